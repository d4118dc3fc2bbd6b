"""The resources the backend reads and writes."""

from __future__ import annotations

from openvcluster_server.kube.api import Kind

GROUP = "openvcluster.io"
VERSION = "v1alpha1"

VCLUSTERS = Kind(GROUP, VERSION, "vclusters", "VCluster")
SNAPSHOTS = Kind(GROUP, VERSION, "snapshots", "Snapshot")
OPERATIONS = Kind(GROUP, VERSION, "operations", "Operation")
NAMESPACES = Kind("", "v1", "namespaces", "Namespace", namespaced=False)
STATEFULSETS = Kind("apps", "v1", "statefulsets", "StatefulSet")
DEPLOYMENTS = Kind("apps", "v1", "deployments", "Deployment")
PODS = Kind("", "v1", "pods", "Pod")
SERVICES = Kind("", "v1", "services", "Service")
SECRETS = Kind("", "v1", "secrets", "Secret")
CONFIGMAPS = Kind("", "v1", "configmaps", "ConfigMap")
CLAIMS = Kind("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim")
RESOURCEQUOTAS = Kind("", "v1", "resourcequotas", "ResourceQuota")
LEASES = Kind("coordination.k8s.io", "v1", "leases", "Lease")
NODES = Kind("", "v1", "nodes", "Node", namespaced=False)
CRDS = Kind(
    "apiextensions.k8s.io",
    "v1",
    "customresourcedefinitions",
    "CustomResourceDefinition",
    namespaced=False,
)


def workload_kind(workload: dict[str, object]) -> Kind:
    """The kind of a control-plane workload (StatefulSet or Deployment)."""
    return DEPLOYMENTS if workload.get("kind") == DEPLOYMENTS.kind else STATEFULSETS
