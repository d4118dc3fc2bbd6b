"""``-o json`` and ``-o yaml``: the canonical protobuf JSON mapping, as the HTTP API shows it.

That is MessageToDict's default: lowerCamelCase field names, enum values by
their full names (``PHASE_RUNNING``, ``EVENT_TYPE_ADDED``). Tables keep the
short names.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from google.protobuf.json_format import MessageToDict, MessageToJson

import openvcluster
from openvcluster import EventType
from tests.cli.helpers import Ovc, lines


def test_vclusters_and_events(ovc: Ovc, client: openvcluster.Client, ns: str) -> None:
    created = json.loads(ovc("create", "dev", "--wait", "-o", "json").stdout)
    vcluster = client.get_vcluster(ns, "dev")
    canonical = MessageToDict(vcluster)
    assert created == canonical
    assert canonical["status"]["phase"] == "PHASE_RUNNING"
    assert canonical["spec"]["kubernetesVersion"] == "1.33"
    assert canonical["spec"]["network"]["exposeType"] == "EXPOSE_TYPE_CLUSTER_IP"

    assert ovc("get", "dev", "-o", "json").stdout == MessageToJson(vcluster) + "\n"
    assert yaml.safe_load(ovc("describe", "dev", "-o", "yaml").stdout) == canonical
    assert json.loads(ovc("list", "-o", "json").stdout) == [canonical]
    assert yaml.safe_load(ovc("list", "-o", "yaml").stdout) == [canonical]
    assert lines(ovc("get", "dev").stdout)[1].split()[1] == "RUNNING"

    expected: list[dict[str, Any]] = []
    with client.watch_vclusters(ns, name="dev") as watch:
        for event in watch:
            expected.append(MessageToDict(event))
            if event.type == EventType.EVENT_TYPE_SYNCED:
                break
    assert expected == [{"type": "EVENT_TYPE_ADDED", "vcluster": canonical},
                        {"type": "EVENT_TYPE_SYNCED"}]  # fmt: skip
    watched = ovc("watch", "dev", "-o", "json", "--timeout", "0.2").stdout
    assert [json.loads(line) for line in lines(watched)] == expected
    documents = ovc("watch", "dev", "-o", "yaml", "--timeout", "0.2").stdout
    assert list(yaml.safe_load_all(documents)) == expected
    assert lines(ovc("watch", "dev", "--timeout", "0.2").stdout)[1].split()[:3] == [
        "ADDED",
        "dev",
        "RUNNING",
    ]

    scaled = json.loads(ovc("scale", "dev", "--cpu", "2", "--wait", "-o", "json").stdout)
    assert scaled == MessageToDict(client.get_vcluster(ns, "dev"))
    suspended = yaml.safe_load(ovc("suspend", "dev", "-o", "yaml").stdout)
    assert suspended["status"]["phase"] == "PHASE_SUSPENDING"  # the answer, not the end
    assert suspended["spec"] == scaled["spec"]


def test_snapshots_and_restores(ovc: Ovc, client: openvcluster.Client, ns: str) -> None:
    ovc("create", "dev", "--wait")
    taken = json.loads(ovc("snapshot", "create", "dev", "--name", "s", "-o", "json").stdout)
    assert taken["phase"] == "PHASE_PENDING"  # the answer: taking it has begun
    snapshot = client.wait_for_snapshot(ns, "s")
    canonical = MessageToDict(snapshot)
    assert taken["sourceSpec"] == canonical["sourceSpec"]
    assert (canonical["phase"], canonical["sizeBytes"]) == ("PHASE_READY", str(snapshot.size_bytes))
    assert ovc("snapshot", "get", "s", "-o", "json").stdout == MessageToJson(snapshot) + "\n"
    assert yaml.safe_load(ovc("snapshot", "list", "-o", "yaml").stdout) == [canonical]
    assert lines(ovc("snapshot", "get", "s").stdout)[1].split()[2] == "READY"

    restored = yaml.safe_load(ovc("restore", "s", "--to", "copy", "--wait", "-o", "yaml").stdout)
    assert restored == MessageToDict(client.get_vcluster(ns, "copy"))
    deleting = json.loads(ovc("delete", "copy", "-o", "json").stdout)
    assert deleting["status"]["phase"] == "PHASE_DELETING"
