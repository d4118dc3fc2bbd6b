"""Leader election on a coordination.k8s.io Lease, as client-go's leaderelection.

Every replica serves the API; only the one holding the Lease reconciles (acts
on the cluster), so two replicas never run Helm for one vcluster at once. The
holder renews the Lease every ``retry_period``; the others try to take it
every ``retry_period`` and succeed once it has gone ``lease_duration`` without
a renewal. Expiry is judged by this replica's own clock from when it last saw
the Lease change (as client-go does), never by comparing the holder's
timestamps with ours, so clock skew between machines does not matter.

A holder that cannot renew for ``renew_deadline`` stops leading at once,
well before the others may take over; every write carries the Lease's
resourceVersion, so two candidates never both win.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from openvcluster_server.kube.api import KubeApi, KubeError, Obj
from openvcluster_server.kube.kinds import LEASES

log = logging.getLogger(__name__)

LEASE_NAME = "openvcluster-server"


def _micro_time(at: float) -> str:
    """A MicroTime as the API server writes it."""
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaderElector:
    """Campaigns for the Lease and runs ``lead`` while this replica holds it.

    ``lead`` is started on winning and cancelled on losing; then this replica
    campaigns again. On ``run``'s cancellation (a graceful stop) the Lease is
    released so that another replica takes over without waiting for expiry.
    """

    def __init__(
        self,
        api: KubeApi,
        namespace: str,
        identity: str,
        lease_duration: float,
        lead: Callable[[], Coroutine[Any, Any, None]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._api = api
        self._namespace = namespace
        self.identity = identity
        self._duration = lease_duration
        # client-go's defaults are 15 s / 10 s / 2 s: the same proportions.
        self._renew_deadline = lease_duration * 2 / 3
        self._retry_period = lease_duration * 2 / 15
        self._lead = lead
        self._clock = clock
        # The Lease as this replica last wrote it: renewals replace it without
        # reading it first (half the requests); a conflict means it changed.
        self._held: Obj | None = None
        self._observed: tuple[str, str] | None = None
        self._observed_at = 0.0
        self.leading = False

    async def run(self) -> None:
        """Campaigns, leads, and campaigns again, until cancelled."""
        try:
            while True:
                await self._acquire()
                await self._hold()
        finally:
            await self._release()

    async def _acquire(self) -> None:
        while not await self._try():
            await asyncio.sleep(self._retry_period)
        self._set_leading(True)

    async def _hold(self) -> None:
        """Leads until a renewal has failed for the renew deadline."""
        leading = asyncio.create_task(self._lead(), name="leading")
        try:
            renewed = self._clock()
            while True:
                await asyncio.sleep(self._retry_period)
                if leading.done():
                    leading.result()  # raises why it ended
                    raise RuntimeError("leading ended on its own")
                if await self._try():
                    renewed = self._clock()
                elif self._clock() - renewed > self._renew_deadline:
                    log.warning("%s could not renew the leader lease: stepping down", self.identity)
                    self._held = None
                    return
        finally:
            leading.cancel()
            try:
                await leading
            except asyncio.CancelledError:
                # Only swallow the cancellation of ``leading``, never our own.
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise
            self._set_leading(False)

    async def _try(self) -> bool:
        """One attempt to take or renew the Lease; True when this replica holds it."""
        if self._held is not None:
            if await self._write(self._held):
                return True
            self._held = None
        try:
            lease = await self._api.get(LEASES, self._namespace, LEASE_NAME)
        except KubeError as exc:
            if not exc.not_found:
                log.debug("leader lease: %s", exc)
                return False
            return await self._write(None)
        spec = lease.get("spec") or {}
        holder = str(spec.get("holderIdentity") or "")
        record = (holder, str(spec.get("renewTime") or ""))
        now = self._clock()
        if record != self._observed:
            self._observed, self._observed_at = record, now
        if holder and holder != self.identity:
            duration = float(spec.get("leaseDurationSeconds") or self._duration)
            if now - self._observed_at < duration:
                return False
        return await self._write(lease)

    async def _write(self, lease: Obj | None) -> bool:
        now = time.time()
        spec: dict[str, Any] = {
            "holderIdentity": self.identity,
            "leaseDurationSeconds": math.ceil(self._duration),
            "renewTime": _micro_time(now),
        }
        try:
            if lease is None:
                spec |= {"acquireTime": _micro_time(now), "leaseTransitions": 0}
                body = {"metadata": {"name": LEASE_NAME}, "spec": spec}
                written = await self._api.create(LEASES, self._namespace, body)
            else:
                previous = lease.get("spec") or {}
                if previous.get("holderIdentity") == self.identity:
                    spec["acquireTime"] = previous.get("acquireTime") or _micro_time(now)
                    spec["leaseTransitions"] = previous.get("leaseTransitions") or 0
                else:
                    spec["acquireTime"] = _micro_time(now)
                    spec["leaseTransitions"] = int(previous.get("leaseTransitions") or 0) + 1
                written = await self._api.replace(
                    LEASES, self._namespace, LEASE_NAME, {**lease, "spec": spec}
                )
        except KubeError as exc:
            # 409: another replica wrote first. Anything else: try again next period.
            log.debug("leader lease: %s", exc)
            return False
        self._held = written
        self._observed, self._observed_at = (self.identity, spec["renewTime"]), self._clock()
        return True

    async def _release(self) -> None:
        """Hands the Lease back (empty holder), so the next replica need not wait it out."""
        try:
            lease = await self._api.get(LEASES, self._namespace, LEASE_NAME)
            if (lease.get("spec") or {}).get("holderIdentity") != self.identity:
                return
            spec = {**lease["spec"], "holderIdentity": "", "leaseDurationSeconds": 1}
            await self._api.replace(LEASES, self._namespace, LEASE_NAME, {**lease, "spec": spec})
        except KubeError as exc:
            log.warning("could not release the leader lease: %s", exc)

    def _set_leading(self, leading: bool) -> None:
        if leading != self.leading:
            self.leading = leading
            log.info("%s %s", self.identity, "leads" if leading else "no longer leads")
