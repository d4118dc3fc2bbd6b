package main

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// defaultServer is where vcluster's syncer points a kubeconfig unless
// exportKubeConfig.server says otherwise.
const defaultServer = "https://localhost:8443"

// reconcileControlPlane writes Secret vc-<release> once the vcluster's
// control plane has a Ready replica, as the syncer does when it is up. The
// Secret is left alone afterwards (a paused vcluster keeps it).
func (s *standin) reconcileControlPlane(ctx context.Context, namespace, release string) error {
	ready, err := s.controlPlaneReady(namespace, release)
	if err != nil || !ready {
		return err
	}
	if err := s.requeueRequests(namespace, release); err != nil {
		return err
	}
	name := "vc-" + release
	if _, err := s.client.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{}); err == nil {
		return nil
	} else if !apierrors.IsNotFound(err) {
		return err
	}
	server, err := s.exportedServer(ctx, namespace, release)
	if err != nil {
		return err
	}
	data, err := kubeconfigSecretData(release, server)
	if err != nil {
		return err
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Type:       corev1.SecretTypeOpaque,
		Data:       data,
	}
	_, err = s.client.CoreV1().Secrets(namespace).Create(ctx, secret, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	if err == nil {
		s.log.Info("control plane ready: wrote its kubeconfig", "namespace", namespace, "secret", name)
	}
	return err
}

// controlPlaneReady reports whether the vcluster's StatefulSet (or
// Deployment) wants replicas and has at least one Ready.
func (s *standin) controlPlaneReady(namespace, release string) (bool, error) {
	selector := releaseSelector(release)
	sets, err := s.workloads.StatefulSets(namespace).List(selector)
	if err != nil {
		return false, err
	}
	for _, set := range sets {
		if wantsReplicas(set.Spec.Replicas) && set.Status.ReadyReplicas > 0 {
			return true, nil
		}
	}
	deploys, err := s.deploys.Deployments(namespace).List(selector)
	if err != nil {
		return false, err
	}
	for _, deploy := range deploys {
		if wantsReplicas(deploy.Spec.Replicas) && deploy.Status.ReadyReplicas > 0 {
			return true, nil
		}
	}
	return false, nil
}

func wantsReplicas(replicas *int32) bool {
	return replicas == nil || *replicas > 0
}

// exportedServer reads exportKubeConfig.server from the vcluster's config
// (Secret vc-config-<release>, key config.yaml), as the syncer does.
func (s *standin) exportedServer(ctx context.Context, namespace, release string) (string, error) {
	secret, err := s.client.CoreV1().Secrets(namespace).Get(ctx, "vc-config-"+release, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return defaultServer, nil
	}
	if err != nil {
		return "", err
	}
	var config struct {
		ExportKubeConfig struct {
			Server string `json:"server"`
		} `json:"exportKubeConfig"`
	}
	if err := yaml.Unmarshal(secret.Data["config.yaml"], &config); err != nil {
		return "", fmt.Errorf("vc-config-%s: config.yaml: %w", release, err)
	}
	if config.ExportKubeConfig.Server == "" {
		return defaultServer, nil
	}
	return config.ExportKubeConfig.Server, nil
}
