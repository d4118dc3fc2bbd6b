package main

import (
	"context"
	"log/slog"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Labels and keys of vcluster's own conventions (loft-sh/vcluster).
const (
	labelApp             = "app"
	labelRelease         = "release"
	appVCluster          = "vcluster"
	appSnapshotPod       = "vcluster-snapshot"
	labelSnapshotRequest = "vcluster.loft.sh/snapshot-request"
	labelRequestVCluster = "vcluster.loft.sh/vcluster-name"
	requestKey           = "snapshotRequest"
	optionsKey           = "snapshotOptions"
	storageOptionsEnv    = "VCLUSTER_STORAGE_OPTIONS"
)

// standin runs one level-triggered reconciler per part, each fed by watches
// through a work queue of namespace/name keys.
type standin struct {
	client    kubernetes.Interface
	archives  *archives
	log       *slog.Logger
	factory   informers.SharedInformerFactory
	workloads appslisters.StatefulSetLister
	deploys   appslisters.DeploymentLister
	configMap corelisters.ConfigMapLister
	pods      corelisters.PodLister
	services  corelisters.ServiceLister
	loops     []*loop
	// snapshotLoop is fed by the control plane too: requests wait for it.
	snapshotLoop *loop
	// podLoop takes back the pods a delay holds.
	podLoop *loop
}

// loop is one reconciler: a queue of keys and the function that handles one.
type loop struct {
	name      string
	queue     workqueue.TypedRateLimitingInterface[string]
	reconcile func(ctx context.Context, namespace, name string) error
}

func newStandin(client kubernetes.Interface, archives *archives, log *slog.Logger) *standin {
	factory := informers.NewSharedInformerFactory(client, 0)
	s := &standin{
		client:    client,
		archives:  archives,
		log:       log,
		factory:   factory,
		workloads: factory.Apps().V1().StatefulSets().Lister(),
		deploys:   factory.Apps().V1().Deployments().Lister(),
		configMap: factory.Core().V1().ConfigMaps().Lister(),
		pods:      factory.Core().V1().Pods().Lister(),
		services:  factory.Core().V1().Services().Lister(),
	}
	controlPlanes := s.newLoop("control-plane", s.reconcileControlPlane)
	snapshots := s.newLoop("snapshot-request", s.reconcileSnapshotRequest)
	s.snapshotLoop = snapshots
	pods := s.newLoop("snapshot-pod", s.reconcileSnapshotPod)
	s.podLoop = pods
	services := s.newLoop("load-balancer", s.reconcileLoadBalancer)
	volumes := s.newLoop("data-volume", s.reconcileDataVolume)

	byRelease := func(obj any) {
		if meta, ok := metaOf(obj); ok && meta.GetLabels()[labelApp] == appVCluster {
			controlPlanes.add(meta.GetNamespace(), meta.GetLabels()[labelRelease])
		}
	}
	onEvents(factory.Apps().V1().StatefulSets().Informer(), byRelease)
	onEvents(factory.Apps().V1().Deployments().Informer(), byRelease)
	onEvents(factory.Core().V1().ConfigMaps().Informer(), func(obj any) {
		if meta, ok := metaOf(obj); ok {
			if _, isRequest := meta.GetLabels()[labelSnapshotRequest]; isRequest {
				snapshots.add(meta.GetNamespace(), meta.GetName())
			}
		}
	})
	onEvents(factory.Core().V1().Pods().Informer(), func(obj any) {
		if meta, ok := metaOf(obj); ok && meta.GetLabels()[labelApp] == appSnapshotPod {
			pods.add(meta.GetNamespace(), meta.GetName())
		}
	})
	onEvents(factory.Core().V1().Services().Informer(), func(obj any) {
		if meta, ok := metaOf(obj); ok {
			services.add(meta.GetNamespace(), meta.GetName())
		}
	})
	// A container:// snapshot lives in the vcluster's data volume: it goes
	// when the volume claim goes.
	_, _ = factory.Core().V1().PersistentVolumeClaims().Informer().AddEventHandler(
		cache.ResourceEventHandlerFuncs{DeleteFunc: func(obj any) {
			if meta, ok := metaOf(obj); ok {
				volumes.add(meta.GetNamespace(), meta.GetName())
			}
		}})
	return s
}

func (s *standin) newLoop(name string, reconcile func(context.Context, string, string) error) *loop {
	l := &loop{
		name: name,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](50*time.Millisecond, 5*time.Second),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: name},
		),
		reconcile: reconcile,
	}
	s.loops = append(s.loops, l)
	return l
}

func (l *loop) add(namespace, name string) {
	if name != "" {
		l.queue.Add(namespace + "/" + name)
	}
}

// after takes the object up again once delay has passed.
func (l *loop) after(namespace, name string, delay time.Duration) {
	l.queue.AddAfter(namespace+"/"+name, delay)
}

// run starts the watches and the reconcilers, and returns when ctx ends.
func (s *standin) run(ctx context.Context) error {
	s.factory.Start(ctx.Done())
	for informer, synced := range s.factory.WaitForCacheSync(ctx.Done()) {
		if !synced {
			s.log.Error("watch did not sync", "informer", informer.String())
		}
	}
	s.log.Info("vcluster stand-in running")
	for _, l := range s.loops {
		go l.work(ctx, s.log)
	}
	<-ctx.Done()
	for _, l := range s.loops {
		l.queue.ShutDown()
	}
	s.factory.Shutdown()
	return nil
}

func (l *loop) work(ctx context.Context, log *slog.Logger) {
	for {
		key, shutdown := l.queue.Get()
		if shutdown {
			return
		}
		namespace, name, _ := cache.SplitMetaNamespaceKey(key)
		if err := l.reconcile(ctx, namespace, name); err != nil {
			log.Warn("reconcile failed; retrying", "loop", l.name, "key", key, "error", err)
			l.queue.AddRateLimited(key)
		} else {
			l.queue.Forget(key)
		}
		l.queue.Done(key)
	}
}

// releaseSelector selects the control-plane workload of one vcluster.
func releaseSelector(release string) labels.Selector {
	return labels.SelectorFromSet(labels.Set{labelApp: appVCluster, labelRelease: release})
}

func onEvents(informer cache.SharedIndexInformer, handle func(obj any)) {
	_, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    handle,
		UpdateFunc: func(_, obj any) { handle(obj) },
		DeleteFunc: handle,
	})
	utilruntime.Must(err)
}

// metaOf reads an object's metadata, also from a deletion tombstone.
func metaOf(obj any) (metav1.Object, bool) {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	accessor, err := meta.Accessor(obj)
	return accessor, err == nil
}
