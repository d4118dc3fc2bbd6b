"""Remembered request ids on the Kubernetes backend: ConfigMaps, capped per caller."""

from __future__ import annotations

import uuid
from collections import Counter
from pathlib import Path

import pytest
from lightkube.resources.core_v1 import ConfigMap

import openvcluster
from k8s_testenv.fixtures import KubeEnv
from openvcluster_server.kube.records import LABEL, LABEL_CALLER
from openvcluster_server.testing import running_server

from .conftest import kubernetes_settings


def test_remembered_request_ids_are_capped_and_the_oldest_go_first(kube: KubeEnv) -> None:
    system = f"sys-{uuid.uuid4().hex[:8]}"  # a server of its own records
    settings = kubernetes_settings(kube, system_namespace=system, request_id_limit_per_caller=3)
    ids = [str(uuid.uuid4()) for _ in range(6)]
    with running_server(**settings) as server, openvcluster.Client(server.address) as client:
        for request_id in ids:  # no-op calls: each answer is remembered all the same
            client.create_vcluster("team-a", "dev", validate_only=True, request_id=request_id)
        records = list(kube.client.list(ConfigMap, namespace=system, labels={LABEL: "true"}))
        assert len(records) == 3
        # The oldest was forgotten: its id may carry another request now ...
        client.create_vcluster("team-a", "other", validate_only=True, request_id=ids[0])
        # ... while the newest is still held to its first request.
        with pytest.raises(openvcluster.InvalidArgumentError, match="request_id"):
            client.create_vcluster("team-a", "other", validate_only=True, request_id=ids[-1])


def test_the_total_cap_forgets_the_oldest_of_anyone(kube: KubeEnv, tmp_path: Path) -> None:
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text(
        "tokens:\n"
        "  - {token: alice-secret, role: editor, name: alice}\n"
        "  - {token: bob-secret, role: editor, name: bob}\n"
    )
    system = f"sys-{uuid.uuid4().hex[:8]}"
    settings = kubernetes_settings(
        kube, system_namespace=system, tokens_file=tokens, request_id_limit=4
    )
    ids = {caller: [str(uuid.uuid4()) for _ in range(3)] for caller in ("alice", "bob")}
    with running_server(**settings) as server:
        for caller in ("alice", "bob"):
            with openvcluster.Client(server.address, token=f"{caller}-secret") as client:
                for request_id in ids[caller]:
                    client.create_vcluster(
                        "team-a", "dev", validate_only=True, request_id=request_id
                    )
        records = list(kube.client.list(ConfigMap, namespace=system, labels={LABEL: "true"}))
        per_caller = Counter(r.metadata.labels[LABEL_CALLER] for r in records if r.metadata)  # type: ignore[index]
        assert sorted(per_caller.values()) == [1, 3]
        # Bob's made room by pushing out alice's two oldest: her newest is still held.
        with openvcluster.Client(server.address, token="alice-secret") as alice:
            with pytest.raises(openvcluster.InvalidArgumentError, match="request_id"):
                alice.create_vcluster(
                    "team-a", "other", validate_only=True, request_id=ids["alice"][2]
                )
            alice.create_vcluster("team-a", "other", validate_only=True, request_id=ids["alice"][0])
