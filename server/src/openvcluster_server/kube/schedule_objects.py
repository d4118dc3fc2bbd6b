"""Sleep schedules and expiry on VCluster resources: annotations, both ways.

They are settings, not desired state to roll out, so like deletion protection
they live in annotations: changing one is no new generation (which the
phase would show as SCALING). Each annotation holds proto3 JSON:

- ``openvcluster.io/sleep-schedule``: the SleepSchedule;
- ``openvcluster.io/expiry``: ``{"expireTime": ..., "deleteSnapshots": true}``;
- ``openvcluster.io/schedule-status``: what the scheduler keeps, the next
  suspend and resume times and its conditions (Expired, ScheduleSkipped).
"""

from __future__ import annotations

import json
from typing import Any

from google.protobuf import json_format

from openvcluster.v1.vcluster_pb2 import Condition, VCluster, VClusterSpec
from openvcluster_server import schedules
from openvcluster_server.clock import CLOCK
from openvcluster_server.kube.conventions import (
    ANNOTATION_EXPIRY,
    ANNOTATION_SCHEDULE_STATUS,
    ANNOTATION_SLEEP_SCHEDULE,
)

# The VClusterSpec fields kept in these annotations instead of the resource's spec.
SPEC_FIELDS = ("sleepSchedule", "expireTime", "deleteSnapshotsOnExpiry")
_SCHEDULER_CONDITIONS = (schedules.EXPIRED, schedules.SCHEDULE_SKIPPED)


def settings_annotations(spec: VClusterSpec) -> dict[str, str | None]:
    """The annotations (a merge patch of them) that hold the spec's schedule and expiry."""
    expiry: dict[str, Any] = {}
    if spec.HasField("expire_time"):
        expiry["expireTime"] = spec.expire_time.ToJsonString()
    if spec.delete_snapshots_on_expiry:
        expiry["deleteSnapshots"] = True
    return {
        ANNOTATION_SLEEP_SCHEDULE: (
            _compact(json_format.MessageToDict(spec.sleep_schedule))
            if spec.HasField("sleep_schedule")
            else None
        ),
        ANNOTATION_EXPIRY: _compact(expiry) if expiry else None,
    }


def status_annotation(vcluster: VCluster) -> dict[str, str | None]:
    """The annotation (a merge patch of it) that holds the scheduler's part of the status."""
    status = vcluster.status
    kept: dict[str, Any] = {}
    for name, stamp in (
        ("nextSuspendTime", status.next_suspend_time),
        ("nextResumeTime", status.next_resume_time),
    ):
        if stamp.ByteSize():
            kept[name] = stamp.ToJsonString()
    conditions = [
        json_format.MessageToDict(c) for c in status.conditions if c.type in _SCHEDULER_CONDITIONS
    ]
    if conditions:
        kept["conditions"] = conditions
    return {ANNOTATION_SCHEDULE_STATUS: _compact(kept) if kept else None}


def read_settings(annotations: dict[str, str], spec: VClusterSpec) -> None:
    """Fills the spec's schedule and expiry from the resource's annotations."""
    schedule = _loaded(annotations.get(ANNOTATION_SLEEP_SCHEDULE))
    if schedule:
        json_format.ParseDict(schedule, spec.sleep_schedule, ignore_unknown_fields=True)
    expiry = _loaded(annotations.get(ANNOTATION_EXPIRY))
    if expiry.get("expireTime"):
        spec.expire_time.FromJsonString(str(expiry["expireTime"]))
    spec.delete_snapshots_on_expiry = bool(expiry.get("deleteSnapshots"))


def read_status(annotations: dict[str, str], vcluster: VCluster) -> None:
    """Fills the scheduler's part of the status from the resource's annotations."""
    kept = _loaded(annotations.get(ANNOTATION_SCHEDULE_STATUS))
    status = vcluster.status
    if kept.get("nextSuspendTime"):
        status.next_suspend_time.FromJsonString(str(kept["nextSuspendTime"]))
    if kept.get("nextResumeTime"):
        status.next_resume_time.FromJsonString(str(kept["nextResumeTime"]))
    for raw in kept.get("conditions", []):
        status.conditions.append(
            json_format.ParseDict(raw, Condition(), ignore_unknown_fields=True)
        )


def new_annotations(spec: VClusterSpec) -> dict[str, str]:
    """The annotations of a new resource: its schedule and expiry, and the
    schedule's first next times, counted from the server clock."""
    scheduled = VCluster(spec=spec)
    schedules.set_next_times(scheduled, CLOCK.datetime())
    written = {**settings_annotations(spec), **status_annotation(scheduled)}
    return {name: value for name, value in written.items() if value is not None}


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _loaded(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}  # edited by hand into something else: no setting
    return value if isinstance(value, dict) else {}
