"""The reconciler: makes each VCluster resource real, and records what happened.

Level-triggered, as controller-runtime's reconcilers are: it is handed the
key of a vcluster whenever its resource or one of its host objects changed,
looks at everything as it is now (in the watch cache), takes the next step
of the vcluster's current transition, and records the outcome in the
resource's status. Every step is idempotent, so a restart (or another
replica taking over) simply carries on. Nothing polls: besides watch events,
a key comes back only at a transition's deadline, or after a backoff when a
step failed or a fact it waits for has no event of its own (vcluster's
kubeconfig Secret).

The transitions (see objects.py for how the API's phase is derived):

PROVISIONING  host namespace, ``helm upgrade --install``, then RUNNING once a
              control-plane replica is Ready and vc-<name> exists.
SCALING       ``helm upgrade`` with the new spec, then RUNNING once rolled out.
UPGRADING     the same, with the new Kubernetes version in the chart values.
SUSPENDING    pause (annotate, scale to 0), then, once the control-plane pods
              are gone, delete the synced pods: SUSPENDED.
RESUMING      resume (replicas back, annotations gone), ``helm upgrade`` if the
              spec changed while suspended, then RUNNING once Ready.
RESTORING     pause for the restore, the restore pod, resume, ``helm upgrade``
              to the snapshot's spec, then RUNNING once Ready (restores.py). A
              vcluster restored to a new name does the same within PROVISIONING,
              installed behind the restore quota.
DELETING      ``helm uninstall``, the data volume claims, the host namespace it
              made; once that namespace is gone, the finalizer.

FAILED when Helm fails, the control plane crash-loops, or a transition does
not finish within the phase timeout. A RUNNING or SUSPENDED vcluster follows
pause and resume done by the vcluster CLI.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openvcluster.v1.vcluster_pb2 import NetworkSpec, VClusterSpec
from openvcluster_server.clock import CLOCK
from openvcluster_server.kube import hooks as test_hooks
from openvcluster_server.kube import kinds, lifecycle, objects, restores, values, workloads
from openvcluster_server.kube.api import KubeApi, KubeError, Obj
from openvcluster_server.kube.conventions import (
    ANNOTATION_KEEP_DATA,
    FINALIZER,
    LABEL_API_NAME,
    LABEL_API_NAMESPACE,
    NAMESPACE_CREATED,
    NON_DELETABLE,
)
from openvcluster_server.kube.helm import Helm, HelmError
from openvcluster_server.kube.reflector import Key
from openvcluster_server.kube.restores import RestoreError, Restores
from openvcluster_server.kube.workqueue import WorkQueue
from openvcluster_server.kube.world import World, host_key
from openvcluster_server.phases import INTERMEDIATE, Phase, phase_name
from openvcluster_server.quantity import format_bytes, format_cpu, parse_quantity

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    """How the reconciler behaves."""

    # Seconds a transition may take before the vcluster is FAILED.
    phase_timeout: float = 300.0
    # Where INGRESS-exposed vclusters are reachable: https://<host namespace>.<domain>.
    ingress_domain: str = "vcluster.local"
    test_hooks: bool = False
    # Vclusters worked on at once; Helm runs are bounded separately (helm.py).
    workers: int = 16
    # NAMESPACE/NAME of the snapshot store's credentials (restore pods read them).
    snapshot_credentials_secret: str = ""


class Reconciler:
    """A work queue of vcluster keys and the workers that reconcile them."""

    def __init__(
        self,
        api: KubeApi,
        world: World,
        helm: Helm,
        settings: Settings,
        clock: Callable[[], float] = CLOCK.time,
    ) -> None:
        self._api = api
        self._world = world
        self._helm = helm
        self._settings = settings
        self._clock = clock
        self._restores = Restores(api, world, settings.snapshot_credentials_secret)
        self.queue = WorkQueue("reconciler", self._reconcile_and_follow)
        # Told each vcluster after its step, so its running operations follow its phase.
        self.follow: Callable[[Key], Awaitable[None]] = _nothing

    def enqueue(self, key: Key) -> None:
        """Asks for the vcluster to be looked at; a key is never worked on twice at once."""
        self.queue.enqueue(key)

    def enqueue_all(self) -> None:
        """Looks at every vcluster (after a start or a takeover)."""
        for key in list(self._world.vclusters.objects):
            self.queue.enqueue(key)

    def run(self) -> list[asyncio.Task[None]]:
        """Starts the workers; they run until cancelled."""
        return self.queue.run(self._settings.workers)

    # --- one vcluster -------------------------------------------------------------------

    async def _reconcile_and_follow(self, key: Key) -> bool:
        done = await self.reconcile(key)
        await self.follow(key)
        return done

    async def reconcile(self, key: Key) -> bool:
        """Takes the next step for one vcluster; False when it must be looked at again soon."""
        resource = self._world.resource(key)
        if resource is None:
            return True
        phase = objects.derived_phase(resource)
        steps: dict[int, Callable[[Obj], Awaitable[bool]]] = {
            Phase.PHASE_DELETING: self._delete,
            Phase.PHASE_PROVISIONING: self._provision,
            Phase.PHASE_SCALING: self._scale,
            Phase.PHASE_UPGRADING: self._scale,
            Phase.PHASE_SUSPENDING: self._suspend,
            Phase.PHASE_SUSPENDED: self._follow_suspended,
            Phase.PHASE_RESUMING: self._resume,
            Phase.PHASE_RESTORING: self._restore,
            Phase.PHASE_RUNNING: self._follow_running,
        }
        step = steps.get(phase)
        if step is None:  # FAILED: only a deletion moves it on
            return True
        adopted = objects.adopted(resource)
        if adopted is not None and objects.stored_phase(resource) is None:
            await self._record_adoption(resource, *adopted)
            return True  # the recorded resource comes back as an event
        if phase in INTERMEDIATE and phase != Phase.PHASE_DELETING:
            resource = await self._start_phase(resource, phase)
            if resource is None:
                return True
        return await step(resource)

    async def _record_adoption(self, resource: Obj, phase: int, spec: VClusterSpec) -> None:
        """Records a vcluster found on the host as it was found: its phase, its release."""
        await self._record(
            resource,
            phase=phase_name(phase),
            observedGeneration=1,
            kubernetesVersion=spec.kubernetes_version,
            releasedValues=values.fingerprint(self._chart_values(resource, spec)),
            phaseTime=objects.now_text(),
        )

    async def _start_phase(self, resource: Obj, phase: int) -> Obj | None:
        """Records an intermediate phase (and when it began), and ends it at its deadline."""
        if objects.stored_phase(resource) != phase:
            resource = await self._record(
                resource, phase=phase_name(phase), phaseTime=objects.now_text()
            )
        started = (
            objects.timestamp(resource.get("status", {}).get("phaseTime", "")).ToNanoseconds() / 1e9
        )
        remaining = started + self._settings.phase_timeout - self._clock()
        if remaining <= 0:
            await self._fail(
                resource,
                "Progressing",
                "PhaseTimedOut",
                f"{phase_name(phase)} did not finish within "
                + _duration(self._settings.phase_timeout),
            )
            return None
        self.queue.later(_key(resource), remaining + 0.05)
        return resource

    async def _provision(self, resource: Obj) -> bool:
        host = host_key(resource)
        meta = resource["metadata"]
        if host[0] != meta["namespace"] and not self._world.namespace_exists(host[0]):
            await lifecycle.ensure_namespace(
                self._api,
                host[0],
                labels={LABEL_API_NAMESPACE: meta["namespace"], LABEL_API_NAME: meta["name"]},
                annotations={NAMESPACE_CREATED: "true"},
            )
        restore = objects.restore_of(resource)
        if restore is not None and not resource.get("status", {}).get("releasedValues"):
            await self._restores.hold_back(host[0])
        released = await self._release(resource)
        if released is None:
            return True
        if restore is not None:
            restored = await self._restore_step(released, restore, new=True)
            if restored is None:
                return True
            released = restored
        return await self._finish_when_ready(released, rolled_out=False)

    async def _restore(self, resource: Obj) -> bool:
        restore = objects.restore_of(resource)
        assert restore is not None  # what makes the phase RESTORING
        restored = await self._restore_step(resource, restore, new=False)
        if restored is None:
            return True
        released = await self._release(restored)
        return released is None or await self._finish_when_ready(released, rolled_out=True)

    async def _restore_step(
        self, resource: Obj, restore: dict[str, Any], *, new: bool
    ) -> Obj | None:
        """The restore's next step; the resource once restored, None while waiting or
        FAILED (a failed restore into a new vcluster uninstalls it, as vcluster does)."""
        transition = test_hooks.of(resource, self._settings.test_hooks)
        try:
            return await self._restores.step(resource, restore, transition, self._record, new=new)
        except RestoreError as exc:
            if new:
                host = host_key(resource)
                try:
                    await self._helm.uninstall(host[1], host[0])
                except HelmError as error:
                    log.warning("helm uninstall of %s/%s: %s", *host, error)
            await self._fail(resource, "Restored", "RestoreError", str(exc))
            return None

    async def _scale(self, resource: Obj) -> bool:
        released = await self._release(resource)
        return released is None or await self._finish_when_ready(released, rolled_out=True)

    async def _resume(self, resource: Obj) -> bool:
        transition = test_hooks.of(resource, self._settings.test_hooks)
        if transition.fail is not None:
            await self._fail(resource, "Progressing", "ResumeFailed", transition.fail)
            return True
        host = host_key(resource)
        workload = self._world.workload(host)
        if workload is not None and workloads.is_paused(workload):
            delay = transition.delay_ms
            slow = {test_hooks.READY_DELAY: test_hooks.duration(delay)} if delay else None
            resumed = await lifecycle.unpause(self._api, workload, slow)
            self._world.apply(kinds.workload_kind(workload), resumed)
        released = await self._release(resource)
        return released is None or await self._finish_when_ready(released, rolled_out=True)

    async def _suspend(self, resource: Obj) -> bool:
        transition = test_hooks.of(resource, self._settings.test_hooks)
        if transition.fail is not None:
            await self._fail(resource, "Progressing", "SuspendFailed", transition.fail)
            return True
        host = host_key(resource)
        workload = self._world.workload(host)
        if workload is not None and not workloads.is_paused(workload):
            if transition.delay_ms:
                await self._annotate_pods(
                    host, {test_hooks.DELETE_DELAY: test_hooks.duration(transition.delay_ms)}
                )
            self._world.apply(
                kinds.workload_kind(workload), await lifecycle.pause(self._api, workload)
            )
        if self._world.control_plane_pods(host):
            return True  # their deletion is an event
        await lifecycle.delete_synced_pods(self._api, host)
        await self._record(
            resource,
            phase="SUSPENDED",
            observed=False,
            conditions=[
                _condition("Paused", True, "Paused", "the control plane is scaled to zero")
            ],
        )
        return True

    async def _follow_running(self, resource: Obj) -> bool:
        host = host_key(resource)
        workload = self._world.workload(host)
        if workload is not None:
            await self._mirror_protection(resource, workload)
        if workload is None:
            await self._fail(
                resource,
                "ControlPlaneAvailable",
                "ControlPlaneMissing",
                "the control plane's workload was deleted outside the API",
            )
            return True
        if workloads.is_paused(workload):  # paused with the vcluster CLI
            await self._set_suspended(resource, True)
            return True
        crash = workloads.crash_message(self._world.control_plane_pods(host))
        if crash:
            await self._fail(resource, "ControlPlaneAvailable", "CrashLoopBackOff", crash)
            return True
        endpoint = await self._endpoint(resource) or resource.get("status", {}).get(
            "apiServerEndpoint", ""
        )
        usage = self._usage(host)
        status = resource.get("status", {})
        if status.get("currentUsage") != usage or status.get("apiServerEndpoint") != endpoint:
            await self._record(resource, currentUsage=usage, apiServerEndpoint=endpoint)
        return True

    async def _follow_suspended(self, resource: Obj) -> bool:
        workload = self._world.workload(host_key(resource))
        if workload is not None:
            await self._mirror_protection(resource, workload)
        if (
            workload is not None
            and not workloads.is_paused(workload)
            and workloads.desired_replicas(workload) > 0
        ):
            await self._set_suspended(resource, False)  # resumed with the vcluster CLI
        return True

    async def _delete(self, resource: Obj) -> bool:
        host = host_key(resource)
        meta = resource["metadata"]
        status = resource.get("status", {})
        if FINALIZER not in (meta.get("finalizers") or []):
            return True
        keep_data = (meta.get("annotations") or {}).get(ANNOTATION_KEEP_DATA) == "true"
        made_namespace = host[0] != meta["namespace"]
        if not status.get("uninstalled"):
            transition = test_hooks.of(resource, self._settings.test_hooks)
            if transition.delay_ms:
                await self._annotate_pods(
                    host, {test_hooks.DELETE_DELAY: test_hooks.duration(transition.delay_ms)}
                )
            elif self._settings.test_hooks:
                # A hold of the transition the deletion interrupts is over.
                held = test_hooks.held(self._world.control_plane_pods(host))
                await lifecycle.delete_now(self._api, held)
            await restores.remove_leftovers(self._api, host, _key(resource))
            try:
                await self._helm.uninstall(host[1], host[0])
            except HelmError as exc:
                log.warning("helm uninstall of %s/%s: %s", *host, exc)
            if keep_data:
                pass  # the volume claims, and the namespace holding them, stay
            elif made_namespace:  # its deletion takes the volume claims along
                await lifecycle.delete_if_present(self._api, kinds.NAMESPACES, None, host[0])
            else:
                await lifecycle.delete_claims(self._api, host)
            resource = await self._record(resource, uninstalled=True)
        gone = (
            not self._world.namespace_exists(host[0])
            if made_namespace and not keep_data
            else self._world.workload(host) is None and not self._world.control_plane_pods(host)
        )
        if not gone:
            return True  # the namespace's (or workload's) disappearance is an event
        finalizers = [f for f in meta.get("finalizers") or [] if f != FINALIZER]
        patch = {
            "metadata": {
                "finalizers": finalizers,
                "resourceVersion": resource["metadata"]["resourceVersion"],
            }
        }
        try:
            # Not applied to the cache: without its finalizer the resource is
            # gone, which the watch reports.
            await self._api.patch(kinds.VCLUSTERS, meta["namespace"], meta["name"], patch)
        except KubeError as exc:
            if not exc.not_found:
                raise
        return True

    # --- steps shared by transitions ----------------------------------------------------

    async def _mirror_protection(self, resource: Obj, workload: Obj) -> None:
        """Copies the resource's deletion protection onto the control plane's
        workload, where ``vcluster delete`` looks for it."""
        wanted = objects.protected(resource)
        annotations = workload["metadata"].get("annotations") or {}
        if (annotations.get(NON_DELETABLE) == "true") == wanted:
            return
        meta = workload["metadata"]
        patch = {"metadata": {"annotations": objects.protection_annotation(wanted)}}
        kind = kinds.workload_kind(workload)
        self._world.apply(kind, await self._api.patch(kind, meta["namespace"], meta["name"], patch))

    async def _annotate_pods(self, host: Key, annotations: dict[str, str]) -> None:
        """Annotates the control-plane pods, in the cache too: a step that follows
        at once (a deletion ending a held suspend) must see the annotations."""
        pods = self._world.control_plane_pods(host)
        for patched in await lifecycle.annotate(self._api, pods, annotations):
            self._world.apply(kinds.PODS, patched)

    async def _release(self, resource: Obj) -> Obj | None:
        """Installs or upgrades the Helm release to the spec's values; None when it FAILED.

        Helm runs only when the values changed since the last release (a
        suspend and resume change the spec's generation, not its values).
        """
        chart_values = self._chart_values(resource, objects.spec_of(resource))
        released = values.fingerprint(chart_values)
        if resource.get("status", {}).get("releasedValues") == released:
            return resource
        host = host_key(resource)
        try:
            await self._helm.upgrade(host[1], host[0], chart_values)
        except HelmError as exc:
            await self._fail(resource, "HelmReleaseDeployed", "HelmFailed", str(exc))
            return None
        return await self._record(resource, releasedValues=released)

    def _chart_values(self, resource: Obj, spec: VClusterSpec) -> dict[str, Any]:
        """The chart values of a spec for this vcluster (and its test hooks, when on)."""
        chart_values = values.for_host(spec, host_key(resource), self._settings.ingress_domain)
        if self._settings.test_hooks:
            chart_values = values.merged(
                chart_values, test_hooks.chart_values(test_hooks.of(resource, True))
            )
        return chart_values

    async def _finish_when_ready(self, resource: Obj, *, rolled_out: bool) -> bool:
        """RUNNING once the control plane serves the current spec; False to look again soon."""
        host = host_key(resource)
        workload = self._world.workload(host)
        pods = self._world.control_plane_pods(host)
        crash = workloads.crash_message(pods)
        if crash:
            await self._fail(resource, "ControlPlaneAvailable", "CrashLoopBackOff", crash)
            return True
        ready = workload is not None and (
            workloads.rolled_out(workload) if rolled_out else workloads.ready(workload)
        )
        if not ready:
            return True  # the workload's readiness is an event
        # vcluster writes its kubeconfig Secret as it first starts and keeps it:
        # a vcluster that has been RUNNING (it has an endpoint) needs no look.
        first_start = not resource.get("status", {}).get("apiServerEndpoint")
        if first_start and await lifecycle.kubeconfig_secret(self._api, host) is None:
            self.queue.backoff(_key(resource))  # no event tells us it is there
            return False
        endpoint = await self._endpoint(resource)
        if endpoint is None:
            return True  # the load balancer's address is an event
        await self._record(
            resource,
            phase="RUNNING",
            observed=True,
            apiServerEndpoint=endpoint,
            currentUsage=self._usage(host),
            conditions=[
                _condition(
                    "ControlPlaneAvailable", True, "Ready", "a control-plane replica is Ready"
                ),
                _condition(
                    "HelmReleaseDeployed", True, "Deployed", "the vcluster chart is deployed"
                ),
                _condition(
                    "KubeconfigAvailable",
                    True,
                    "Written",
                    f"Secret vc-{host[1]} holds the kubeconfig",
                ),
            ],
        )
        return True

    async def _fail(self, resource: Obj, condition: str, reason: str, message: str) -> None:
        """FAILED with the message, and the condition that failed saying why."""
        await self._record(
            resource,
            phase="FAILED",
            message=message,
            conditions=[_condition(condition, False, reason, message)],
        )

    async def _set_suspended(self, resource: Obj, suspended: bool) -> None:
        """Follows a pause or resume done outside the API: the power state on the host wins."""
        meta = resource["metadata"]
        patch = {
            "metadata": {"resourceVersion": meta["resourceVersion"]},
            "spec": {objects.SUSPENDED: suspended},
        }
        updated = await self._api.patch(kinds.VCLUSTERS, meta["namespace"], meta["name"], patch)
        self._world.apply(kinds.VCLUSTERS, updated)
        if suspended:
            await self._record(
                updated,
                phase="SUSPENDED",
                conditions=[
                    _condition(
                        "Paused", True, "PausedOutsideTheAPI", "paused with the vcluster CLI"
                    )
                ],
            )

    async def _record(self, resource: Obj, *, observed: bool = False, **fields: Any) -> Obj:
        """Writes status fields (at the resource's version) and returns the updated resource.

        ``observed`` marks the current generation as rolled out. The update
        time moves only when a client would see a difference.
        """
        status = dict(resource.get("status", {}))
        status.update(fields)
        if observed:
            status["observedGeneration"] = int(resource["metadata"].get("generation", 1))
            status["kubernetesVersion"] = resource.get("spec", {}).get("kubernetesVersion", "")
        if "phase" in fields and fields["phase"] != resource.get("status", {}).get("phase"):
            status.setdefault("phaseTime", objects.now_text())
            if fields["phase"] in ("RUNNING", "SUSPENDED", "FAILED"):
                status["phaseTime"] = objects.now_text()
            if "message" not in fields:
                status["message"] = ""
        if fields.get("phase") not in (None, "FAILED") and "conditions" not in fields:
            status["conditions"] = []
        candidate = {**resource, "status": status}
        if objects.to_vcluster(candidate).etag != objects.to_vcluster(resource).etag:
            status["updateTime"] = objects.now_text()
        meta = resource["metadata"]
        patch = {"metadata": {"resourceVersion": meta["resourceVersion"]}, "status": status}
        updated = await self._api.patch(
            kinds.VCLUSTERS, meta["namespace"], meta["name"], patch, sub="status"
        )
        self._world.apply(kinds.VCLUSTERS, updated)
        return updated

    async def _endpoint(self, resource: Obj) -> str | None:
        """Where the vcluster's API server is reachable; None while its address is not known yet."""
        host = host_key(resource)
        spec = objects.spec_of(resource)
        ingress_host = f"{host[0]}.{self._settings.ingress_domain}"
        known = values.known_endpoint(spec.network.expose_type, host, ingress_host)
        if known:
            return known
        service = self._world.service(host) or {}
        if spec.network.expose_type == NetworkSpec.ExposeType.EXPOSE_TYPE_LOAD_BALANCER:
            ingress = (service.get("status", {}).get("loadBalancer", {}).get("ingress") or [{}])[0]
            address = ingress.get("ip") or ingress.get("hostname")
            return f"https://{address}:443" if address else None
        node_port = next(
            (
                p.get("nodePort")
                for p in service.get("spec", {}).get("ports", [])
                if p.get("nodePort")
            ),
            None,
        )
        if node_port is None:
            return None
        nodes, _ = await self._api.list_all(kinds.NODES, limit=1)
        addresses = nodes[0].get("status", {}).get("addresses", []) if nodes else []
        address = next(
            (a["address"] for a in addresses if a.get("type") in ("ExternalIP", "InternalIP")), None
        )
        return f"https://{address}:{node_port}" if address else None

    def _usage(self, host: Key) -> dict[str, Any]:
        """Pods the vcluster runs on the host, and what they request."""
        pods = [
            p
            for p in self._world.synced_pods_of(host)
            if not p["metadata"].get("deletionTimestamp")
        ]
        cpu = memory = Decimal(0)
        for pod in pods:
            for container in pod.get("spec", {}).get("containers", []):
                requests = container.get("resources", {}).get("requests", {})
                cpu += parse_quantity(str(requests.get("cpu", "0")))
                memory += parse_quantity(str(requests.get("memory", "0")))
        return {"cpu": format_cpu(cpu), "memory": format_bytes(memory), "podCount": len(pods)}


def _duration(seconds: float) -> str:
    return f"{seconds:g} seconds" if seconds < 120 else f"{seconds / 60:g} minutes"


async def _nothing(key: Key) -> None:
    """The default follower: nothing follows the vclusters."""


def _key(resource: Obj) -> Key:
    return (resource["metadata"]["namespace"], resource["metadata"]["name"])


def _condition(kind: str, status: bool, reason: str, message: str) -> dict[str, str]:
    return {
        "type": kind,
        "status": "True" if status else "False",
        "reason": reason,
        "message": message,
        "lastTransitionTime": objects.now_text(),
    }
