package main

// Annotations that tell the stand-in to misbehave, so that a backend's
// failure paths can be tested. The control plane's own behaviour
// (annotation standin.openvcluster.io/control-plane: hang or crash on its
// pods) is played by kwok stages, because kwok owns pod status.
const (
	// On a snapshot request ConfigMap: "fail" ends it Failed, "partial"
	// PartiallyFailed, "hang" leaves it in CreatingEtcdBackup.
	behaviourSnapshot = "standin.openvcluster.io/snapshot"
	// On a snapshot or restore pod: "fail" ends it Failed, "hang" leaves it
	// Running.
	behaviourPod = "standin.openvcluster.io/pod"

	behaviourFail    = "fail"
	behaviourPartial = "partial"
	behaviourHang    = "hang"
)
