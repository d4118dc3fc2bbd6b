"""What the vcluster CLI sends the API server for each operation, counted from its source.

Counted in loft-sh/vcluster at commit 487667546c58 (the CLI's helm driver,
pkg/cli/*_helm.go, with pkg/cli/find, pkg/lifecycle and pkg/helm), in the
situation part 8 measures the backend in: a host cluster without the vCluster
platform (no VirtualClusterInstance resource, no platform login), one
vcluster whose control plane is a StatefulSet, running no workloads (no
synced pods to delete), created into a namespace of its own. Every request
is counted once, so these are lower bounds: each wait loop polls every
second until done, and is counted as one poll.

Both the CLI and the backend run helm to install, upgrade and uninstall the
release (create, scale, delete); that run's requests are what part 8
measures for the backend, and they are added to the CLI's side as they are.
The CLI's helm makes at least as many: it runs without
``--disable-openapi-validation``, so it fetches the API server's OpenAPI
schema too, which is left out here. ``helm_extra`` counts the requests of
helm runs the CLI makes beyond that one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CliCount:
    """The CLI's requests for one operation."""

    command: str
    # Requests of the CLI itself (its client-go clients, discovery included).
    own: int
    # Requests of helm runs beyond the install, upgrade or uninstall both sides run.
    helm_extra: int = 0

    @property
    def total_without_shared_helm(self) -> int:
        """Everything the CLI sends but the shared helm run."""
        return self.own + self.helm_extra


# find.GetVCluster (pkg/cli/find/find.go: GetVCluster -> ListVClusters ->
# ListOSSVClusters -> findInContext) for a running vcluster: list StatefulSets
# app=vcluster (getStatefulSets); for the release's StatefulSet, getVCluster:
# get Secret vc-config-NAME (getConfigSecret) and list Pods
# app=vcluster,release=NAME (getPods); list Deployments app=vcluster
# (getDeployments); then the discovery of storage.loft.sh/v1
# (isVirtualClusterInstanceResourceAvailable, a 404 without the platform,
# which ends the search).
_FIND_RUNNING = 5
# The same for a paused vcluster: getVCluster skips the Secret and the Pods.
_FIND_PAUSED = 3
# find.ListVClusters in a namespace without a vcluster: the two lists and the discovery.
_LIST_EMPTY = 3

CLI: dict[str, CliCount] = {
    # pkg/cli/create_helm.go CreateHelm, `vcluster create NAME -n NS --connect=false`
    # (the default --connect=true then connects, which costs more):
    # find.ListVClusters in NS (3); prepare -> ensureNamespace: get Namespace (404)
    # and create it (2); helm.NewSecrets(...).Get (pkg/helm/secrets.go): list the
    # release's Secrets name=NAME,owner=helm (1); get Service "loft", the platform
    # check (1); then deployChart -> `helm upgrade --install --create-namespace`,
    # whose --create-namespace makes one request more than the backend's helm run
    # (helm's pkg/action/install.go creates the Namespace: helm_extra 1).
    "create": CliCount(
        "vcluster create NAME -n NS --connect=false", own=_LIST_EMPTY + 2 + 1 + 1, helm_extra=1
    ),
    # pkg/cli/pause_helm.go PauseHelm, `vcluster pause NAME -n NS`: find.GetVCluster (5);
    # pkg/lifecycle/lifecycle.go PauseVCluster -> scaleDownStatefulSet: list StatefulSets
    # app=vcluster,release=NAME, patch it (paused annotations, replicas 0), then get it
    # every second until status.replicas is 0 (at least 1) (3); DeletePods: list Pods
    # vcluster.loft.sh/managed-by=NAME (1; plus a delete per synced pod, none here);
    # DeleteMultiNamespaceVClusterWorkloads: list Namespaces by the vcluster's marker
    # label (1; plus a list and deletes per namespace found, none here).
    "suspend": CliCount("vcluster pause NAME -n NS", own=_FIND_RUNNING + 3 + 1 + 1),
    # pkg/cli/resume_helm.go ResumeHelm, `vcluster resume NAME -n NS`: find.GetVCluster
    # of the paused vcluster (3); lifecycle.ResumeVCluster -> scaleUpStatefulSet: list
    # StatefulSets app=vcluster,release=NAME and patch it (2). It returns at once,
    # without waiting for the control plane to be Ready.
    "resume": CliCount("vcluster resume NAME -n NS", own=_FIND_PAUSED + 2),
    # The CLI has no scale command: new resources are a `vcluster create NAME -n NS
    # --upgrade -f values.yaml` (pkg/cli/create_helm.go CreateHelm): find.ListVClusters
    # in NS finding the running vcluster (5); ensureNamespace: get Namespace, which
    # exists (1); the release's Secrets (1); get Service "loft" (1); the release is
    # deployed, so getConfigfileFromSecret: get Secret vc-config-NAME (1); then
    # `helm upgrade` (the release exists: no namespace creation).
    "scale": CliCount(
        "vcluster create NAME -n NS --upgrade -f values.yaml", own=_FIND_RUNNING + 1 + 1 + 1 + 1
    ),
    # pkg/cli/delete_helm.go DeleteHelm, `vcluster delete NAME -n NS` (defaults:
    # --auto-delete-namespace, --wait): find.GetVCluster (5); get Namespace, to see
    # that the CLI created it (1); `helm get values --all` (helmClient.GetValues, a helm
    # run of its own, which lists the release's Secrets: helm_extra 1); `helm delete`;
    # deletePriorityClasses: list PriorityClasses (1); no PVC deletes, as the namespace
    # goes; coredns.DeleteCoreDNSComponents: deletecollection Deployments and Pods, list
    # Services (3); find.ListVClusters in NS (3); delete Namespace (1); --wait: get
    # Namespace every second until it is gone (at least 1).
    "delete": CliCount(
        "vcluster delete NAME -n NS",
        own=_FIND_RUNNING + 1 + 1 + 3 + _LIST_EMPTY + 1 + 1,
        helm_extra=1,
    ),
}
