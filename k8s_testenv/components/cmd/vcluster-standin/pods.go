package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
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
	if wait := held(pod); wait > 0 {
		s.podLoop.after(namespace, name, wait)
		return nil
	}
	container := pod.Spec.Containers[0]
	options, vcluster, err := s.podStorage(ctx, namespace, container)
	if err != nil {
		return err
	}
	command := strings.Join(append(append([]string{}, container.Command...), container.Args...), " ")
	var failed string
	switch {
	case behaviour == behaviourFail:
		failed = failure(pod, "stand-in: the pod failed, as the test asked")
	case strings.Contains(command, "restore"):
		if _, err := s.archives.read(options.url(), namespace, vcluster); err != nil {
			failed = "restore: " + err.Error()
		}
	default:
		_, err := s.archives.write(options.url(), archive{
			Namespace: namespace, VCluster: vcluster, Release: options.Release, TakenAt: time.Now().UTC(),
		})
		if err != nil {
			failed = "snapshot: " + err.Error()
		}
	}
	return s.finishPod(ctx, pod, failed)
}

// podStorage reads the snapshot options and the vcluster name (POD_NAME is
// <vcluster>-0) from the pod's environment. The options are given as a value
// or, as vcluster's own pods do to keep credentials out of the pod spec, as
// a key of a Secret.
func (s *standin) podStorage(ctx context.Context, namespace string, container corev1.Container) (storageOptions, string, error) {
	var options storageOptions
	vcluster := ""
	for _, env := range container.Env {
		switch env.Name {
		case storageOptionsEnv:
			value := env.Value
			if ref := env.ValueFrom; ref != nil && ref.SecretKeyRef != nil {
				secret, err := s.client.CoreV1().Secrets(namespace).Get(ctx, ref.SecretKeyRef.Name, metav1.GetOptions{})
				if err != nil {
					return options, "", fmt.Errorf("snapshot options: %w", err)
				}
				value = string(secret.Data[ref.SecretKeyRef.Key])
			}
			if raw, err := base64.StdEncoding.DecodeString(value); err == nil {
				_ = json.Unmarshal(raw, &options)
			}
		case "POD_NAME":
			vcluster = strings.TrimSuffix(env.Value, "-0")
		}
	}
	return options, vcluster, nil
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
