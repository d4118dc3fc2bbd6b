package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// reconcileLoadBalancer gives a LoadBalancer Service an ingress address, as
// a cloud's controller does, from 10.240.0.0/16: the lowest one unused.
func (s *standin) reconcileLoadBalancer(ctx context.Context, namespace, name string) error {
	service, err := s.services.Services(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil || service.Spec.Type != corev1.ServiceTypeLoadBalancer || len(service.Status.LoadBalancer.Ingress) > 0 {
		return err
	}
	all, err := s.services.List(labels.Everything())
	if err != nil {
		return err
	}
	used := map[string]bool{}
	for _, other := range all {
		for _, ingress := range other.Status.LoadBalancer.Ingress {
			used[ingress.IP] = true
		}
	}
	address := ""
	for n := 1; n < 65535 && address == ""; n++ {
		if candidate := fmt.Sprintf("10.240.%d.%d", n/256, n%256); !used[candidate] && n%256 != 0 {
			address = candidate
		}
	}
	updated := service.DeepCopy()
	updated.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: address}}
	_, err = s.client.CoreV1().Services(namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{})
	if err == nil {
		s.log.Info("load balancer address", "namespace", namespace, "service", name, "ip", address)
	}
	return err
}

// reconcileDataVolume removes the container:// snapshots of a vcluster whose
// data volume claim (data-<name>-0) was deleted: they were stored in it.
func (s *standin) reconcileDataVolume(_ context.Context, namespace, claim string) error {
	rest, isData := strings.CutPrefix(claim, "data-")
	vcluster, first := strings.CutSuffix(rest, "-0")
	if !isData || !first {
		return nil
	}
	return os.RemoveAll(s.archives.volume(namespace, vcluster))
}
