"""``k8s-testenv start`` and ``stop``: a real control plane on loopback.

etcd, kube-apiserver (RBAC, a static admin token, an audit log of every
request), kube-controller-manager, kube-scheduler, kwok with one fake node
(pods on it go Running and Ready without running anything), kwok's volume
provisioner behind a default StorageClass, and the vcluster stand-in. Ports
are picked free at start. Everything a run writes stays in the state
directory: certificates, data, logs, the kubeconfig.
"""

from __future__ import annotations

import base64
import contextlib
import json
import secrets
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from k8s_testenv import processes
from k8s_testenv.errors import TestenvError, log_tail
from k8s_testenv.versions import HERE, cache_dir

NODE_NAME = "kwok-node-0"
_STANDIN_STAGES = HERE / "kwok"
_READY_TIMEOUT = 90.0
_SERVICE_CIDR = "10.96.0.0/16"
_CONTROLLER_MANAGER = "system:kube-controller-manager"
_SCHEDULER = "system:kube-scheduler"
# (user, group) of each client of the API server.
_IDENTITIES = (
    ("admin", "system:masters"),
    # In system:masters rather than with a token per controller
    # (--use-service-account-credentials), whose renewals cost the API server
    # more than everything else the controllers do in a test.
    (_CONTROLLER_MANAGER, "system:masters"),
    (_SCHEDULER, ""),
    ("kwok", "system:masters"),
    ("vcluster-standin", "system:masters"),
)

_AUDIT_POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
# One entry per request (at ResponseComplete, or ResponseStarted for watches)
# with its user, verb and resource.
omitStages: [RequestReceived]
rules:
  - level: Metadata
"""

_CAPACITY = {"cpu": "100000", "memory": "1000Ti", "ephemeral-storage": "10000Ti", "pods": "100000"}
_NODE = {
    "apiVersion": "v1",
    "kind": "Node",
    "metadata": {
        "name": NODE_NAME,
        "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
        "labels": {
            "kubernetes.io/hostname": NODE_NAME,
            "kubernetes.io/os": "linux",
            "type": "kwok",
        },
    },
    # Room for thousands of vclusters: nothing runs, so nothing is used.
    "status": {
        "allocatable": _CAPACITY,
        "capacity": _CAPACITY,
    },
}


@dataclass(frozen=True)
class Cluster:
    """A started environment: how to reach it and where its files are."""

    state: Path
    url: str
    token: str

    @property
    def kubeconfig(self) -> Path:
        """Admin kubeconfig (group system:masters)."""
        return self.state / "kubeconfig"

    @property
    def audit_log(self) -> Path:
        """JSON lines, one per request the API server answered."""
        return self.state / "audit.log"

    @property
    def ca_file(self) -> Path:
        """The CA bundle that verifies the API server's certificate."""
        return self.state / "pki" / "apiserver" / "apiserver.crt"

    @property
    def snapshot_dir(self) -> Path:
        """Where the vcluster stand-in stores snapshots (by URL scheme)."""
        return self.state / "snapshots"

    def stop_component(self, name: str) -> None:
        """Stops one component, as a fault would (``start_component`` brings it back)."""
        processes.stop_one(self.state, name)

    def start_component(self, name: str) -> None:
        """Starts a stopped component again, as it ran before, and waits until it is ready."""
        argv = next(s.argv for s in processes.recorded(self.state) if s.name == name)
        started, process = processes.spawn(name, argv, self.state, tied=True)
        ready = (
            (lambda: _get(f"{self.url}/readyz", token=self.token, insecure=True) == b"ok")
            if (name == "kube-apiserver")
            else (lambda: True)
        )
        _wait(name, started, process, ready)

    @property
    def bin(self) -> Path:
        """The directory of the built binaries (helm, kubectl, ...)."""
        return Path((self.state / "bin").read_text().strip())


def start(state: Path, *, tied: bool = False, binaries: Path | None = None) -> Cluster:
    """Starts every component and waits until each is ready.

    On any failure it stops what it had started and raises TestenvError
    naming the component and its log.
    """
    bin_dir = (binaries or cache_dir()) / "bin"
    missing = [
        b
        for b in ("kube-apiserver", "etcd", "kwok", "vcluster-standin")
        if not (bin_dir / b).exists()
    ]
    if missing:
        raise TestenvError(
            f"start: {', '.join(missing)} not built in {bin_dir}; "
            "run `scripts/k8s-testenv build` first"
        )
    state.mkdir(parents=True, exist_ok=True)
    if any(processes.is_running(p) for p in processes.recorded(state)):
        raise TestenvError(f"start: an environment is already running in {state}; stop it first")
    (state / "bin").write_text(str(bin_dir))
    try:
        return _start(state, bin_dir, tied)
    except BaseException:
        processes.stop_all(state)
        raise


def stop(state: Path, *, remove: bool = False) -> list[str]:
    """Stops what ``start`` started in ``state``; returns the names it stopped."""
    stopped = processes.stop_all(state) if state.exists() else []
    if remove and state.exists():
        subprocess.run(["rm", "-rf", "--", str(state)], check=True)
    return stopped


def _start(state: Path, bin_dir: Path, tied: bool) -> Cluster:
    pki = state / "pki"
    pki.mkdir(exist_ok=True)
    # One identity per client, so the audit log tells a test's own requests
    # ("admin") from the components'. The scheduler gets the role Kubernetes
    # bootstraps for it; the others act as admins.
    tokens = {user: secrets.token_hex(16) for user, _ in _IDENTITIES}
    (pki / "tokens.csv").write_text(
        "".join(
            f"{tokens[user]},{user},{user}" + (f',"{group}"\n' if group else "\n")
            for user, group in _IDENTITIES
        )
    )
    token = tokens["admin"]
    _openssl(["genrsa", "-out", str(pki / "sa.key"), "2048"], state)
    _openssl(["rsa", "-in", str(pki / "sa.key"), "-pubout", "-out", str(pki / "sa.pub")], state)
    (state / "audit-policy.yaml").write_text(_AUDIT_POLICY)
    (state / "snapshots").mkdir(exist_ok=True)
    _write_kwok_config(state, bin_dir.parent / "kwok-stages")

    def run(name: str, argv: list[str], ready: Callable[[], bool]) -> None:
        started, process = processes.spawn(name, argv, state, tied=tied)
        _wait(name, started, process, ready)

    etcd_port, peer_port = _free_port(), _free_port()
    run(
        "etcd",
        [
            str(bin_dir / "etcd"),
            f"--data-dir={state / 'etcd'}",
            f"--listen-client-urls=http://127.0.0.1:{etcd_port}",
            f"--advertise-client-urls=http://127.0.0.1:{etcd_port}",
            f"--listen-peer-urls=http://127.0.0.1:{peer_port}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{peer_port}",
            f"--initial-cluster=default=http://127.0.0.1:{peer_port}",
            "--unsafe-no-fsync",
            "--log-level=warn",
        ],
        lambda: b'"health":"true"' in _get(f"http://127.0.0.1:{etcd_port}/health"),
    )

    api_port = _free_port()
    url = f"https://127.0.0.1:{api_port}"
    run(
        "kube-apiserver",
        [
            str(bin_dir / "kube-apiserver"),
            f"--etcd-servers=http://127.0.0.1:{etcd_port}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={api_port}",
            f"--cert-dir={pki / 'apiserver'}",
            f"--token-auth-file={pki / 'tokens.csv'}",
            "--authorization-mode=RBAC",
            "--endpoint-reconciler-type=none",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={pki / 'sa.pub'}",
            f"--service-account-signing-key-file={pki / 'sa.key'}",
            f"--service-cluster-ip-range={_SERVICE_CIDR}",
            f"--audit-policy-file={state / 'audit-policy.yaml'}",
            f"--audit-log-path={state / 'audit.log'}",
            "--audit-log-format=json",
            "--allow-privileged=true",
            "--profiling=false",
            # A test cluster has one busy tenant: no queueing of its requests.
            "--max-requests-inflight=0",
            "--max-mutating-requests-inflight=0",
            "--enable-priority-and-fairness=false",
        ],
        lambda: _get(f"{url}/readyz", token=token, insecure=True) == b"ok",
    )

    cluster = Cluster(state, url, token)
    for user, _ in _IDENTITIES:
        _write_kubeconfig(_kubeconfig_of(cluster, user), cluster, tokens[user])
    # The generated bundle is the serving certificate, then its CA; the
    # controller-manager wants the CA alone.
    ca = (
        cluster.ca_file.read_text().split("-----END CERTIFICATE-----")[-2]
        + "-----END CERTIFICATE-----\n"
    )
    (pki / "ca.crt").write_text(ca.lstrip())

    def serving(user: str) -> list[str]:
        kubeconfig = _kubeconfig_of(cluster, user)
        return [
            f"--kubeconfig={kubeconfig}",
            f"--authentication-kubeconfig={kubeconfig}",
            f"--authorization-kubeconfig={kubeconfig}",
            "--bind-address=127.0.0.1",
            "--leader-elect=false",
            # The default 20 requests a second (burst 30) hold up rollouts
            # when a test suite runs dozens of vclusters at once.
            "--kube-api-qps=5000",
            "--kube-api-burst=10000",
        ]

    cm_port = _free_port()
    run(
        "kube-controller-manager",
        [
            str(bin_dir / "kube-controller-manager"),
            *serving(_CONTROLLER_MANAGER),
            f"--secure-port={cm_port}",
            f"--root-ca-file={pki / 'ca.crt'}",
            f"--service-account-private-key-file={pki / 'sa.key'}",
            f"--service-cluster-ip-range={_SERVICE_CIDR}",
            # Nothing here routes traffic or attaches volumes: those controllers
            # would only add requests to every test.
            "--controllers=*,-endpoints-controller,-endpointslice-controller,"
            "-endpointslice-mirroring-controller,-persistentvolume-attach-detach-controller,"
            "-ttl-controller,-disruption-controller,-horizontal-pod-autoscaler-controller",
        ],
        lambda: _get(f"https://127.0.0.1:{cm_port}/healthz", insecure=True) == b"ok",
    )

    scheduler_port = _free_port()
    run(
        "kube-scheduler",
        [
            str(bin_dir / "kube-scheduler"),
            *serving(_SCHEDULER),
            f"--secure-port={scheduler_port}",
        ],
        lambda: _get(f"https://127.0.0.1:{scheduler_port}/healthz", insecure=True) == b"ok",
    )

    kubectl = _kubectl(bin_dir, cluster)
    kubectl(["apply", "-f", "-"], json.dumps(_NODE))
    kubectl(["apply", "-f", str(bin_dir.parent / "kwok-stages" / "volume-fast-storage-class.yaml")])
    run(
        "kwok",
        [
            str(bin_dir / "kwok"),
            f"--kubeconfig={_kubeconfig_of(cluster, 'kwok')}",
            f"--config={state / 'kwok.yaml'}",
            "--manage-all-nodes=false",
            "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
            f"--server-address=127.0.0.1:{_free_port()}",
        ],
        lambda: _node_ready(cluster),
    )

    run(
        "vcluster-standin",
        [
            str(bin_dir / "vcluster-standin"),
            f"--kubeconfig={_kubeconfig_of(cluster, 'vcluster-standin')}",
            f"--snapshot-dir={cluster.snapshot_dir}",
        ],
        lambda: (
            b"vcluster stand-in running"
            in Path(state / "logs" / "vcluster-standin.log").read_bytes()
        ),
    )

    # The controller-manager is fully working once it made the default ServiceAccount.
    kubectl(["wait", "--for=create", "serviceaccount/default", "-n", "default", "--timeout=60s"])
    return cluster


def _wait(
    name: str,
    started: processes.Started,
    process: subprocess.Popen[bytes],
    ready: Callable[[], bool],
) -> None:
    """Polls ``ready`` until it holds; fails when the process exits or time runs out."""
    deadline = time.monotonic() + _READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise TestenvError(
                f"start: {name} exited with status {process.returncode} (log {started.log}):\n"
                + log_tail(Path(started.log))
            )
        with contextlib.suppress(OSError, ValueError):
            if ready():
                return
        time.sleep(0.1)
    raise TestenvError(
        f"start: {name} was not ready after {_READY_TIMEOUT:.0f} s (log {started.log}):\n"
        + log_tail(Path(started.log))
    )


def _node_ready(cluster: Cluster) -> bool:
    node = json.loads(
        _get(f"{cluster.url}/api/v1/nodes/{NODE_NAME}", token=cluster.token, insecure=True)
    )
    conditions = node.get("status", {}).get("conditions", [])
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def _get(url: str, *, token: str | None = None, insecure: bool = False) -> bytes:
    request = urllib.request.Request(
        url, headers={"Authorization": f"Bearer {token}"} if token else {}
    )
    context = ssl._create_unverified_context() if insecure else None
    try:
        with urllib.request.urlopen(request, timeout=2, context=context) as response:
            return bytes(response.read())
    except urllib.error.HTTPError:
        return b""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _openssl(args: list[str], state: Path) -> None:
    try:
        subprocess.run(["openssl", *args], check=True, capture_output=True)
    except FileNotFoundError:
        raise TestenvError(
            "start: openssl not found on PATH (it makes the service-account keys)"
        ) from None
    except subprocess.CalledProcessError as exc:
        raise TestenvError(
            f"start: openssl {args[0]} failed: {exc.stderr.decode().strip()}"
        ) from None


def _kubectl(bin_dir: Path, cluster: Cluster) -> Callable[..., None]:
    def kubectl(args: list[str], stdin: str | None = None) -> None:
        result = subprocess.run(
            [str(bin_dir / "kubectl"), f"--kubeconfig={cluster.kubeconfig}", *args],
            input=stdin,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise TestenvError(
                f"start: kubectl {' '.join(args[:2])} failed: {result.stderr.strip()}"
            )

    return kubectl


def _kubeconfig_of(cluster: Cluster, user: str) -> Path:
    if user == "admin":
        return cluster.kubeconfig
    return cluster.state / "pki" / f"kubeconfig-{user.rsplit(':', 1)[-1]}"


def _write_kubeconfig(path: Path, cluster: Cluster, token: str) -> None:
    ca = base64.b64encode(cluster.ca_file.read_bytes()).decode()
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {
                        "name": "testenv",
                        "cluster": {"server": cluster.url, "certificate-authority-data": ca},
                    }
                ],
                "users": [{"name": "admin", "user": {"token": token}}],
                "contexts": [
                    {"name": "testenv", "context": {"cluster": "testenv", "user": "admin"}}
                ],
                "current-context": "testenv",
            },
            indent=2,
        )
    )
    path.chmod(0o600)


def _write_kwok_config(state: Path, kwok_stages: Path) -> None:
    """kwok's own stages (nodes, pods, volumes) and the stand-in's, as one file."""
    stages = [p for p in sorted(kwok_stages.glob("*.yaml")) if "storage-class" not in p.name]
    stages += sorted(_STANDIN_STAGES.glob("*.yaml"))
    (state / "kwok.yaml").write_text("\n---\n".join(p.read_text() for p in stages))
