"""The servers cases run against: reference servers the runner starts, or one of yours.

Managed servers are in-process reference servers with the memory store, zero
transition delay and test hooks on, sharing one tokens file that holds an
admin token and every token the cases declare, and the quotas cases give
their namespaces. Only the kinds the selected
cases need are started: plain, tls (server certificate) and mtls (client
certificates required too), the TLS ones with throwaway trustme CAs.
"""

from __future__ import annotations

import os
import secrets
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import grpc
import yaml

from conformance import rbac_proof
from conformance.cases import Case, CaseError
from conformance.plan import (
    Check,
    Endpoint,
    Environment,
    Scope,
    substitute,
    token_value,
    variables,
)
from k8s_testenv import service_account
from k8s_testenv.audit import AuditLog
from k8s_testenv.cluster import Cluster, start, stop
from k8s_testenv.server_settings import server_settings
from openvcluster.v1.server_info_service_pb2 import GetServerInfoRequest
from openvcluster.v1.server_info_service_pb2_grpc import ServerInfoServiceStub
from openvcluster_server import manifests
from openvcluster_server.config import DEFAULT_KUBERNETES_VERSIONS, Quota
from openvcluster_server.testing import running_server
from openvcluster_server.testing_certs import SERVER_NAMES, write_certificates

ALL_OFFERS = frozenset(
    {
        "test_hooks",
        "tokens",
        "tls",
        "quotas",
        "snapshots",
        "legacy_distros",
        "operations",
        "operations_kept_10",
    }
)
# Operations the reference servers keep per vcluster (the offer operations_kept_10).
OPERATIONS_KEPT = 10
# How long a client's wait may take on the Kubernetes backend, where a few
# hundred real vclusters of concurrent cases queue up on two cores.
KUBERNETES_WAIT_MS = 300_000
# What the Kubernetes backend does not offer, and why: the cases that need it
# are skipped there.
KUBERNETES_LACKS = {
    "legacy_distros": "current vcluster releases run upstream Kubernetes (K8S) only, so K3S "
    "and K0S are INVALID_ARGUMENT on the Kubernetes backend",
}


@contextmanager
def managed(
    cases: Sequence[Case], clients: Sequence[str], workdir: Path, backend: str = "simulated"
) -> Iterator[Environment]:
    """Starts the reference servers the cases need, for the ``with`` block.

    With ``backend="kubernetes"`` they serve real vclusters: a Kubernetes test
    environment (k8s_testenv) is started for the block, and the servers run
    against it with the stand-in vcluster chart, as the deploy ServiceAccount
    (its token and nothing more); only the plain server reconciles (under
    leader election, as deployed), the TLS ones answer the API from the same
    cluster. The environment's closing check is then the RBAC proof.
    """
    salt = secrets.token_hex(4)
    admin = f"ovc-conformance-admin-{salt}"
    tokens_file = workdir / "tokens.yaml"
    tokens_file.write_text(yaml.safe_dump({"tokens": _grants(cases, clients, salt, admin)}))
    quotas = _quotas(cases, clients, salt)
    kinds = {case.server for case in cases} | {"plain"}
    with ExitStack() as stack:
        cluster = stack.enter_context(_kubernetes(workdir)) if backend == "kubernetes" else None
        endpoints: dict[str, Endpoint] = {}
        if kinds & {"tls", "mtls"}:
            certs = write_certificates(workdir, client_name="conformance-client@example.com")
            stack.enter_context(_without_refusals_on_purpose(cases))
        for kind in sorted(kinds):
            tls: dict[str, Any] = {}
            if kind != "plain":
                tls = certs.server_settings(mutual=kind == "mtls")
            backing = {} if cluster is None else _kubernetes_settings(*cluster, kind == "plain")
            server = stack.enter_context(
                running_server(
                    tokens_file=tokens_file,
                    quotas=quotas,
                    operations_per_vcluster=OPERATIONS_KEPT,
                    **tls,
                    **backing,
                )
            )
            http_address = server.http_url.split("://", 1)[1]
            endpoints[kind] = (
                Endpoint(server.address, http_address)
                if kind == "plain"
                else Endpoint(
                    server.address,
                    http_address,
                    tls=True,
                    ca_file=str(certs.ca),
                    untrusted_ca_file=str(certs.other_ca),
                    client_cert_file=str(certs.client_cert),
                    client_key_file=str(certs.client_key),
                )
            )
        clock = partial(read_server_time, endpoints["plain"], admin)
        if cluster is None:
            yield Environment(endpoints, admin, ALL_OFFERS, salt, server_time=clock)
        else:
            # Real transitions queue up behind each other when cases run at once.
            offers = ALL_OFFERS - set(KUBERNETES_LACKS)
            yield Environment(
                endpoints,
                admin,
                offers,
                salt,
                wait_timeout_ms=KUBERNETES_WAIT_MS,
                closing_check=_rbac_proof(*cluster),
                server_time=clock,
            )


@contextmanager
def _kubernetes(workdir: Path) -> Iterator[tuple[Cluster, service_account.ServiceAccountAccess]]:
    """A Kubernetes test environment for the run, always stopped, and the deploy
    ServiceAccount's access to it: the manifests' Namespace, ServiceAccount,
    CRDs and roles applied (not the Deployment: the servers run here)."""
    state = workdir / "k8s"
    cluster = start(state, tied=True)
    try:
        access = service_account.grant(
            cluster, manifests.access_objects(), workdir / "service-account.kubeconfig"
        )
        yield cluster, access
    finally:
        stop(state)


def _kubernetes_settings(
    cluster: Cluster, access: service_account.ServiceAccountAccess, reconcile: bool
) -> dict[str, Any]:
    return server_settings(
        cluster,
        # Helm runs with the same kubeconfig, so it acts as the account too.
        kubeconfig=access.kubeconfig,
        # The manifests installed them; the account may not.
        install_crds=False,
        reconcile=reconcile,
        leader_elect=reconcile,
        # Snapshots that outlive their vcluster, so restores to a new name work
        # (the stand-in keeps them under the environment's state directory).
        snapshot_url="s3://conformance-snapshots/runs",
        # The cases are written for the contract's default versions.
        kubernetes_versions=DEFAULT_KUBERNETES_VERSIONS,
    )


def _rbac_proof(cluster: Cluster, access: service_account.ServiceAccountAccess) -> Check:
    """The RBAC proof over the run's audit log (conformance/rbac_proof.py)."""

    def check(scope: Scope, verbose: bool) -> tuple[list[str], list[str]]:
        usage = rbac_proof.Usage(manifests.NAMESPACE)
        usage.add(AuditLog(cluster.audit_log).events(user=access.user))
        covered, carried = scope.selected, []
        if scope.carry_from is not None:
            earlier = rbac_proof.load(scope.carry_from, usage)
            if earlier is None:
                carried.append(
                    f"RBAC: nothing carried from {scope.carry_from} "
                    "(no such file, or written for other roles)"
                )
            else:
                covered |= earlier
                carried.append(f"RBAC: with {len(earlier)} case(s) of {scope.carry_from}")
        if scope.carry_to is not None:
            rbac_proof.save(scope.carry_to, usage, covered)
        # What the cases used is complete only when they are the whole suite.
        complete = covered >= scope.every
        problems, notes = rbac_proof.verdict(usage, access.user, complete)
        return problems, carried + notes + (rbac_proof.table(usage) if verbose else [])

    return check


def external(endpoint: Endpoint, token: str, test_hooks: bool) -> Environment:
    """Your server: only cases needing nothing beyond the API (and the test hooks
    when it honours them) can run against it."""
    offers = frozenset({"test_hooks", "operations"} if test_hooks else {"operations"})
    return Environment(
        {"plain": endpoint},
        token,
        offers,
        secrets.token_hex(4),
        server_time=partial(read_server_time, endpoint, token),
    )


def read_server_time(endpoint: Endpoint, token: str) -> datetime:
    """The server's clock (ServerInfo.server_time), which clock cases plan from."""
    if endpoint.tls:
        root = Path(endpoint.ca_file).read_bytes() if endpoint.ca_file else None
        key = Path(endpoint.client_key_file).read_bytes() if endpoint.client_key_file else None
        chain = Path(endpoint.client_cert_file).read_bytes() if endpoint.client_cert_file else None
        credentials = grpc.ssl_channel_credentials(root, key, chain)
        options = (
            [("grpc.ssl_target_name_override", endpoint.server_name)]
            if endpoint.server_name
            else []
        )
        channel = grpc.secure_channel(endpoint.address, credentials, options)
    else:
        channel = grpc.insecure_channel(endpoint.address)
    with channel:
        answer = ServerInfoServiceStub(channel).GetServerInfo(
            GetServerInfoRequest(),
            metadata=(("authorization", f"Bearer {token}"),) if token else (),
            timeout=30,
        )
    if not answer.info.HasField("server_time"):
        raise CaseError("the server's GetServerInfo answers no server_time, which clock cases need")
    return answer.info.server_time.ToDatetime(UTC)


def _grants(
    cases: Sequence[Case], clients: Sequence[str], salt: str, admin: str
) -> list[dict[str, object]]:
    grants: list[dict[str, object]] = [
        {"token": admin, "role": "editor", "namespaces": ["*"], "name": "conformance-admin"}
    ]
    for client in clients:
        for case in cases:
            values = variables(client, case, salt)
            for name, grant in case.tokens.items():
                namespaces = [substitute(n, values, set(), "token") for n in grant.namespaces]
                grants.append(
                    {
                        "token": token_value(salt, client, case.name, name),
                        "role": grant.role,
                        "namespaces": namespaces,
                        "name": f"{client}/{case.name}/{name}",
                    }
                )
    return grants


def _quotas(cases: Sequence[Case], clients: Sequence[str], salt: str) -> dict[str, Quota]:
    """The limits cases give their namespace, for every client's copy of it."""
    return {
        variables(client, case, salt)["ns"]: Quota(**case.quota)
        for client in clients
        for case in cases
        if case.quota
    }


@contextmanager
def _without_refusals_on_purpose(cases: Sequence[Case]) -> Iterator[None]:
    """Passes what the process writes to stderr during the block on, line by line,
    but the lines the cases cause on purpose.

    A TLS server's grpc-core logs a client asking for a server name its
    certificate does not carry ("No match found for server name: NAME"), and
    at ERROR, which GRPC_VERBOSITY could only hide with every other error
    grpc-core reports. It writes to file descriptor 2 itself, hence the
    detour through a pipe. Only the names cases ask for on purpose are left
    out; any other line, the servers' own logs among them, is written as it
    comes.
    """
    asked = {str(case.connection.get("server_name", "")) for case in cases}
    wrong = asked - {"", *SERVER_NAMES}
    if not wrong:
        yield
        return
    expected = [f"No match found for server name: {name}".encode() for name in wrong]
    sys.stderr.flush()
    stderr = os.dup(2)
    read_end, write_end = os.pipe()

    def forward() -> None:
        with os.fdopen(read_end, "rb") as lines, os.fdopen(os.dup(stderr), "wb", 0) as out:
            for line in lines:
                if not any(text in line for text in expected):
                    out.write(line)

    forwarder = threading.Thread(target=forward, name="stderr-filter", daemon=True)
    forwarder.start()
    os.dup2(write_end, 2)
    os.close(write_end)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(stderr, 2)  # closes our write end of the pipe: the forwarder ends
        os.close(stderr)
        # A child process still holding the pipe would keep it open; do not
        # wait for it beyond what the last lines need.
        forwarder.join(timeout=5)
