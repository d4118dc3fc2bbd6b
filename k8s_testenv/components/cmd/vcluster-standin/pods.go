package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// storageOptions is the part of vcluster's snapshot options (env
// VCLUSTER_STORAGE_OPTIONS, base64 JSON) that says where a snapshot lives.
type storageOptions struct {
	Type string `json:"type"`
	S3   struct {
		Bucket string `json:"bucket"`
		Key    string `json:"key"`
	} `json:"s3"`
	Container struct {
		Path string `json:"path"`
	} `json:"container"`
	OCI struct {
		Repository string `json:"repository"`
	} `json:"oci"`
	File struct {
		Path string `json:"path"`
	} `json:"file"`
	Release json.RawMessage `json:"release"`
}

func (o storageOptions) url() string {
	switch o.Type {
	case "s3":
		return "s3://" + o.S3.Bucket + "/" + o.S3.Key
	case "container":
		return "container://" + o.Container.Path
	case "oci":
		return "oci://" + o.OCI.Repository
	case "file":
		return "file://" + o.File.Path
	}
	return ""
}

// reconcileSnapshotPod ends a running snapshot or restore pod the way
// `/vcluster snapshot` or `/vcluster restore` would: a restore succeeds when
// the snapshot it names is stored, a snapshot stores one.
func (s *standin) reconcileSnapshotPod(ctx context.Context, namespace, name string) error {
	pod, err := s.pods.Pods(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil || pod.Status.Phase != corev1.PodRunning || pod.DeletionTimestamp != nil {
		return err
	}
	behaviour := pod.Annotations[behaviourPod]
	if behaviour == behaviourHang || len(pod.Spec.Containers) == 0 {
		return nil
	}
	container := pod.Spec.Containers[0]
	options, vcluster := podStorage(container)
	command := strings.Join(append(append([]string{}, container.Command...), container.Args...), " ")
	var failure string
	switch {
	case behaviour == behaviourFail:
		failure = "stand-in: the pod failed, as the test asked"
	case strings.Contains(command, "restore"):
		if _, err := s.archives.read(options.url(), namespace, vcluster); err != nil {
			failure = "restore: " + err.Error()
		}
	default:
		err := s.archives.write(options.url(), archive{
			Namespace: namespace, VCluster: vcluster, Release: options.Release, TakenAt: time.Now().UTC(),
		})
		if err != nil {
			failure = "snapshot: " + err.Error()
		}
	}
	return s.finishPod(ctx, pod, failure)
}

// podStorage reads the snapshot options and the vcluster name (POD_NAME is
// <vcluster>-0) from the pod's environment.
func podStorage(container corev1.Container) (storageOptions, string) {
	var options storageOptions
	vcluster := ""
	for _, env := range container.Env {
		switch env.Name {
		case storageOptionsEnv:
			if raw, err := base64.StdEncoding.DecodeString(env.Value); err == nil {
				_ = json.Unmarshal(raw, &options)
			}
		case "POD_NAME":
			vcluster = strings.TrimSuffix(env.Value, "-0")
		}
	}
	return options, vcluster
}

// finishPod sets the pod's final status as a kubelet would after its
// container exited: Succeeded, or Failed with the message.
func (s *standin) finishPod(ctx context.Context, pod *corev1.Pod, failure string) error {
	updated := pod.DeepCopy()
	now := metav1.Now()
	terminated := &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed", StartedAt: now, FinishedAt: now}
	updated.Status.Phase = corev1.PodSucceeded
	if failure != "" {
		terminated.ExitCode, terminated.Reason, terminated.Message = 1, "Error", failure
		updated.Status.Phase = corev1.PodFailed
		updated.Status.Message = failure
	}
	updated.Status.ContainerStatuses = nil
	for _, container := range pod.Spec.Containers {
		updated.Status.ContainerStatuses = append(updated.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: container.Name, Image: container.Image, State: corev1.ContainerState{Terminated: terminated},
		})
	}
	for i := range updated.Status.Conditions {
		if updated.Status.Conditions[i].Type == corev1.PodReady || updated.Status.Conditions[i].Type == corev1.ContainersReady {
			updated.Status.Conditions[i].Status = corev1.ConditionFalse
		}
	}
	_, err := s.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{})
	if err == nil {
		s.log.Info("snapshot pod finished", "namespace", pod.Namespace, "pod", pod.Name, "phase", updated.Status.Phase, "message", failure)
	}
	return err
}
