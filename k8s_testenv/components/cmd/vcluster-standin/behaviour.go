package main

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

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
	// On either: the message a "fail" ends with, instead of the stand-in's own.
	behaviourMessage = "standin.openvcluster.io/message"
	// On either: a Go duration ("1500ms"); the request or pod finishes no
	// sooner than that after it was created.
	behaviourDelay = "standin.openvcluster.io/delay"

	behaviourFail    = "fail"
	behaviourPartial = "partial"
	behaviourHang    = "hang"
)

// failure is the message a told-to-fail object ends with.
func failure(object metav1.Object, own string) string {
	if message := object.GetAnnotations()[behaviourMessage]; message != "" {
		return message
	}
	return own
}

// held says how much longer an object's delay holds it; zero when it does
// not (no delay, an unreadable one, or one that is over).
func held(object metav1.Object) time.Duration {
	delay, err := time.ParseDuration(object.GetAnnotations()[behaviourDelay])
	if err != nil {
		return 0
	}
	return max(time.Until(object.GetCreationTimestamp().Add(delay)), 0)
}
