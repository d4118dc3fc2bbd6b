"""VCluster resources as the API sees them: the derived phase, the etag, the times."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any

import pytest

from openvcluster.v1.vcluster_pb2 import Condition, SleepSchedule, VClusterSpec
from openvcluster_server.kube import objects, schedule_objects
from openvcluster_server.kube.conventions import (
    ANNOTATION_EXPIRY,
    ANNOTATION_SCHEDULE_STATUS,
    ANNOTATION_SLEEP_SCHEDULE,
    ANNOTATION_UPDATED,
    host_namespace,
)
from openvcluster_server.phases import Phase


def resource(
    *, stored: str | None = None, suspended: bool = False, generation: int = 1, observed: int = 1
) -> dict[str, Any]:
    created = objects.new_resource(
        "team-a", "dev", VClusterSpec(replicas=1), {"app": "x"}, host_namespace("team-a", "dev")
    )
    created["metadata"].update(
        uid="u-1",
        resourceVersion="10",
        generation=generation,
        creationTimestamp="2026-12-05T10:00:00Z",
    )
    # Fixed, not the clock's: the update time is the latest of the times.
    created["metadata"]["annotations"][ANNOTATION_UPDATED] = "2026-12-05T10:00:00Z"
    created["spec"]["suspended"] = suspended
    if stored is not None:
        created["status"] = {"phase": stored, "observedGeneration": observed}
    return created


@pytest.mark.parametrize(
    ("fields", "phase"),
    [
        ({}, Phase.PHASE_PROVISIONING),
        ({"stored": "PROVISIONING"}, Phase.PHASE_PROVISIONING),
        ({"stored": "RUNNING"}, Phase.PHASE_RUNNING),
        ({"stored": "RUNNING", "generation": 2, "observed": 1}, Phase.PHASE_SCALING),
        ({"stored": "SCALING", "generation": 2, "observed": 2}, Phase.PHASE_RUNNING),
        ({"stored": "RUNNING", "suspended": True}, Phase.PHASE_SUSPENDING),
        ({"stored": "SUSPENDING", "suspended": True}, Phase.PHASE_SUSPENDING),
        ({"stored": "SUSPENDED", "suspended": True}, Phase.PHASE_SUSPENDED),
        ({"stored": "SUSPENDED", "suspended": True, "generation": 3}, Phase.PHASE_SUSPENDED),
        ({"stored": "SUSPENDED"}, Phase.PHASE_RESUMING),
        ({"stored": "RESUMING"}, Phase.PHASE_RESUMING),
        ({"stored": "FAILED", "suspended": True}, Phase.PHASE_FAILED),
    ],
)
def test_the_phase_follows_from_spec_and_status(fields: dict[str, Any], phase: int) -> None:
    assert objects.derived_phase(resource(**fields)) == phase


def test_a_deletion_timestamp_means_deleting() -> None:
    deleting = resource(stored="RUNNING")
    deleting["metadata"]["deletionTimestamp"] = "2026-12-05T11:00:00Z"
    assert objects.derived_phase(deleting) == Phase.PHASE_DELETING
    assert objects.to_vcluster(deleting).update_time.ToJsonString() == "2026-12-05T11:00:00Z"


def test_ready_is_true_exactly_when_running() -> None:
    for stored, ready in (
        ("RUNNING", Condition.Status.STATUS_TRUE),
        ("SUSPENDED", Condition.Status.STATUS_FALSE),
    ):
        vcluster = objects.to_vcluster(resource(stored=stored, suspended=stored == "SUSPENDED"))
        assert vcluster.status.conditions[0].type == "Ready"
        assert vcluster.status.conditions[0].status == ready


def test_what_a_client_cannot_read_leaves_the_etag_alone() -> None:
    before = resource(stored="PROVISIONING")
    after = copy.deepcopy(before)
    after["metadata"]["resourceVersion"] = "11"
    after["status"].update(releasedGeneration=1, phaseTime="2026-12-05T10:00:01Z")
    assert objects.to_vcluster(after).etag == objects.to_vcluster(before).etag


def test_what_a_client_reads_moves_the_etag() -> None:
    before = resource(stored="RUNNING")
    after = copy.deepcopy(before)
    after["metadata"]["labels"] = {"app": "y"}
    assert objects.to_vcluster(after).etag != objects.to_vcluster(before).etag


def test_the_view_of_a_resource() -> None:
    running = resource(stored="RUNNING")
    running["status"].update(
        message="",
        apiServerEndpoint="https://dev.vc.svc:443",
        currentUsage={"cpu": "250m", "memory": "1Gi", "podCount": 3},
        conditions=[{"type": "ControlPlaneAvailable", "status": "True", "reason": "Ready"}],
        updateTime="2026-12-05T10:05:00.123456Z",
    )
    running["metadata"]["annotations"]["openvcluster.io/uid"] = "kept-uid"
    vcluster = objects.to_vcluster(running)
    assert (vcluster.namespace, vcluster.name, vcluster.uid) == ("team-a", "dev", "kept-uid")
    assert dict(vcluster.labels) == {"app": "x"}
    assert vcluster.status.api_server_endpoint == "https://dev.vc.svc:443"
    assert vcluster.status.current_usage.pod_count == 3
    assert [c.type for c in vcluster.status.conditions] == ["Ready", "ControlPlaneAvailable"]
    assert vcluster.update_time.ToJsonString() == "2026-12-05T10:05:00.123456Z"
    assert vcluster.create_time.ToJsonString() == "2026-12-05T10:00:00Z"


def test_host_namespaces_are_unique_readable_and_short() -> None:
    assert host_namespace("a-b", "c") != host_namespace("a", "b-c")
    assert host_namespace("team-a", "dev").startswith("vc-team-a-dev-")
    long_name = host_namespace("n" * 63, "m" * 63)
    assert len(long_name) <= 63 and long_name.startswith("vc-nnn")


def test_a_new_version_not_rolled_out_is_upgrading() -> None:
    upgrading = resource(stored="RUNNING", generation=2, observed=1)
    upgrading["spec"]["kubernetesVersion"] = "1.33"
    upgrading["status"]["kubernetesVersion"] = "1.32"
    assert objects.derived_phase(upgrading) == Phase.PHASE_UPGRADING
    # The same version, or a status from before versions were recorded: SCALING.
    upgrading["status"]["kubernetesVersion"] = "1.33"
    assert objects.derived_phase(upgrading) == Phase.PHASE_SCALING
    del upgrading["status"]["kubernetesVersion"]
    assert objects.derived_phase(upgrading) == Phase.PHASE_SCALING


def test_deletion_protection_is_an_annotation_not_a_spec_field() -> None:
    protected = objects.new_resource(
        "team-a",
        "dev",
        VClusterSpec(replicas=1, deletion_protection=True),
        {},
        host_namespace("team-a", "dev"),
    )
    assert protected["metadata"]["annotations"]["loft.sh/non-deletable"] == "true"
    assert "deletionProtection" not in protected["spec"]
    assert "deletionProtection" not in objects.spec_json(
        VClusterSpec(deletion_protection=True), complete=True
    )
    assert objects.spec_of(protected).deletion_protection is True
    assert objects.spec_of(resource()).deletion_protection is False


def test_the_schedule_and_the_expiry_are_annotations_that_read_back() -> None:
    spec = VClusterSpec(
        replicas=1,
        sleep_schedule=SleepSchedule(
            suspend_cron="0 19 * * 1-5", resume_cron="0 7 * * 1-5", time_zone="Europe/Berlin"
        ),
        delete_snapshots_on_expiry=True,
    )
    spec.expire_time.FromJsonString("2999-01-01T00:00:00Z")
    created = objects.new_resource("team-a", "dev", spec, {}, host_namespace("team-a", "dev"))
    annotations = created["metadata"]["annotations"]
    assert json.loads(annotations[ANNOTATION_SLEEP_SCHEDULE]) == {
        "suspendCron": "0 19 * * 1-5",
        "resumeCron": "0 7 * * 1-5",
        "timeZone": "Europe/Berlin",
    }
    assert json.loads(annotations[ANNOTATION_EXPIRY]) == {
        "expireTime": "2999-01-01T00:00:00Z",
        "deleteSnapshots": True,
    }
    for name in ("sleepSchedule", "expireTime", "deleteSnapshotsOnExpiry"):
        assert name not in created["spec"]
        assert name not in objects.spec_json(spec, complete=True)
    assert objects.spec_of(created) == spec
    # The first next times are written with the resource; the view shows them.
    vcluster = objects.to_vcluster(created)
    assert vcluster.status.next_suspend_time.ToDatetime() > datetime(2026, 1, 1)
    assert vcluster.status.next_resume_time.ByteSize()


def test_the_schedulers_status_reads_back_and_moves_the_etag() -> None:
    plain = resource(stored="RUNNING")
    before = objects.to_vcluster(plain)
    edited = objects.to_vcluster(plain)
    edited.status.next_suspend_time.FromJsonString("2999-01-01T19:00:00Z")
    edited.status.conditions.add(
        type="Expired", status=Condition.Status.STATUS_TRUE, reason="DeletionProtected"
    )
    written = copy.deepcopy(plain)
    written["metadata"]["annotations"].update(schedule_objects.status_annotation(edited))
    after = objects.to_vcluster(written)
    assert after.status.next_suspend_time == edited.status.next_suspend_time
    assert [c.type for c in after.status.conditions] == ["Ready", "Expired"]
    assert after.etag != before.etag
    # A value edited by hand into something else reads as no setting.
    written["metadata"]["annotations"][ANNOTATION_SCHEDULE_STATUS] = "not json"
    assert objects.to_vcluster(written).etag == before.etag
