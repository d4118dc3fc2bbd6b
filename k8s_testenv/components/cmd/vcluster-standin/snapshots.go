package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Phases of a snapshot request (loft-sh/api pkg/snapshot).
const (
	phaseNotStarted = ""
	phaseCreating   = "CreatingEtcdBackup"
	phaseCompleted  = "Completed"
	phasePartial    = "PartiallyFailed"
	phaseFailed     = "Failed"
	phaseCanceling  = "Canceling"
	phaseCanceled   = "Canceled"
	phaseDeleting   = "Deleting"
	phaseDeleted    = "Deleted"
)

// snapshotRequest is the JSON in a request ConfigMap. Fields the stand-in
// does not know are kept as they are.
type snapshotRequest map[string]any

func (r snapshotRequest) section(name string) map[string]any {
	if section, ok := r[name].(map[string]any); ok {
		return section
	}
	section := map[string]any{}
	r[name] = section
	return section
}

func (r snapshotRequest) phase() string {
	phase, _ := r.section("status")["phase"].(string)
	return phase
}

func (r snapshotRequest) url() string {
	url, _ := r.section("spec")["url"].(string)
	return url
}

func (r snapshotRequest) setPhase(phase, message string) {
	status := r.section("status")
	status["phase"] = phase
	if message != "" {
		status["error"] = map[string]any{"message": message}
	}
}

// reconcileSnapshotRequest moves a request one phase on, as the snapshot
// controller inside a running vcluster does; each step is one update of
// the ConfigMap, so a watcher sees every phase.
func (s *standin) reconcileSnapshotRequest(ctx context.Context, namespace, name string) error {
	configMap, err := s.configMap.ConfigMaps(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	request := snapshotRequest{}
	if err := json.Unmarshal([]byte(configMap.Data[requestKey]), &request); err != nil {
		s.log.Warn("ignoring a malformed snapshot request", "namespace", namespace, "name", name, "error", err)
		return nil
	}
	vcluster := configMap.Labels[labelRequestVCluster]
	switch request.phase() {
	case phaseNotStarted:
		// The controller runs inside the control plane: nothing happens
		// while the vcluster is paused (reconcileControlPlane requeues).
		if ready, err := s.controlPlaneReady(namespace, vcluster); err != nil || !ready {
			return err
		}
		request.setPhase(phaseCreating, "")
	case phaseCreating:
		if wait := held(configMap); wait > 0 {
			s.snapshotLoop.after(namespace, name, wait)
			return nil
		}
		switch configMap.Annotations[behaviourSnapshot] {
		case behaviourHang:
			return nil
		case behaviourFail:
			request.setPhase(phaseFailed, failure(configMap, "stand-in: the etcd backup failed, as the test asked"))
		case behaviourPartial:
			request.setPhase(phasePartial, failure(configMap, "stand-in: some volumes were not captured, as the test asked"))
		default:
			size, err := s.storeSnapshot(ctx, namespace, name, vcluster, request.url())
			if err != nil {
				request.setPhase(phaseFailed, err.Error())
			} else {
				request.setPhase(phaseCompleted, "")
				// Not in vcluster's request status (v0.29 to v0.37): the
				// stand-in reports the archive's size for backends that read one.
				request.section("status")["size"] = size
			}
		}
	case phaseCanceling:
		request.setPhase(phaseCanceled, "")
	case phaseDeleting:
		if err := s.archives.remove(request.url(), namespace, vcluster); err != nil {
			request.setPhase(phaseFailed, err.Error())
		} else {
			request.setPhase(phaseDeleted, "")
		}
	default:
		return nil
	}
	data, err := json.Marshal(request)
	if err != nil {
		return err
	}
	updated := configMap.DeepCopy()
	updated.Data[requestKey] = string(data)
	_, err = s.client.CoreV1().ConfigMaps(namespace).Update(ctx, updated, metav1.UpdateOptions{})
	if err == nil {
		s.log.Info("snapshot request", "namespace", namespace, "name", name, "phase", request.phase())
	}
	return err
}

// storeSnapshot writes the archive, with the Helm release the request's
// options Secret (same name, key snapshotOptions) carries, and returns its size.
func (s *standin) storeSnapshot(ctx context.Context, namespace, name, vcluster, location string) (int, error) {
	secret, err := s.client.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return 0, fmt.Errorf("snapshot options: %w", err)
	}
	var options struct {
		Release json.RawMessage `json:"release"`
	}
	if err := json.Unmarshal(secret.Data[optionsKey], &options); err != nil {
		return 0, fmt.Errorf("snapshot options: %w", err)
	}
	return s.archives.write(location, archive{
		Namespace: namespace,
		VCluster:  vcluster,
		Release:   options.Release,
		TakenAt:   time.Now().UTC(),
	})
}

// requeueRequests queues the snapshot requests of one vcluster, which wait
// for its control plane.
func (s *standin) requeueRequests(namespace, vcluster string) error {
	selector := labels.SelectorFromSet(labels.Set{labelRequestVCluster: vcluster})
	configMaps, err := s.configMap.ConfigMaps(namespace).List(selector)
	if err != nil {
		return err
	}
	for _, configMap := range configMaps {
		if _, isRequest := configMap.Labels[labelSnapshotRequest]; isRequest {
			s.snapshotLoop.add(namespace, configMap.Name)
		}
	}
	return nil
}
