"""A ServiceAccount's kubeconfig: to run a client with its token and nothing more.

Applies the objects given (a Namespace, the ServiceAccount, its Roles and
bindings, CRDs: whatever the account needs to exist) with the admin
kubeconfig, mints a token for the one ServiceAccount among them with the
TokenRequest API (``kubectl create token``, which the admin may do), and
writes a kubeconfig holding the API server's URL, its CA and that token. A
client using it is authorized exactly as a pod running as the account would
be, and the audit log names it ``system:serviceaccount:NAMESPACE:NAME``.
Standard library only, as the rest of the environment's start.
"""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from k8s_testenv.cluster import Cluster
from k8s_testenv.errors import TestenvError

# Long enough for any run; the environment is thrown away after it.
TOKEN_SECONDS = 24 * 3600
_FIELD_MANAGER = "k8s-testenv"


@dataclass(frozen=True)
class ServiceAccountAccess:
    """A kubeconfig that acts as the ServiceAccount, and the user name the audit log gives it."""

    kubeconfig: Path
    user: str


def grant(
    cluster: Cluster, objects: Sequence[Mapping[str, Any]], kubeconfig: Path
) -> ServiceAccountAccess:
    """Applies ``objects`` as admin and writes ``kubeconfig`` for their one ServiceAccount."""
    accounts = [o for o in objects if o.get("kind") == "ServiceAccount"]
    if len(accounts) != 1:
        raise TestenvError(f"grant: {len(accounts)} ServiceAccounts among the objects; one wanted")
    name = str(accounts[0]["metadata"]["name"])
    namespace = str(accounts[0]["metadata"]["namespace"])
    _kubectl(
        cluster,
        [
            "apply",
            "--server-side",
            "--force-conflicts",
            f"--field-manager={_FIELD_MANAGER}",
            "-f",
            "-",
        ],
        json.dumps({"apiVersion": "v1", "kind": "List", "items": list(objects)}),
    )
    # A custom resource is served only once its definition is established;
    # a client starting at once would otherwise see 404s for a moment.
    definitions = [
        f"customresourcedefinition/{o['metadata']['name']}"
        for o in objects
        if o.get("kind") == "CustomResourceDefinition"
    ]
    if definitions:
        _kubectl(cluster, ["wait", "--for=condition=Established", "--timeout=60s", *definitions])
    token = _kubectl(
        cluster, ["create", "token", name, "-n", namespace, f"--duration={TOKEN_SECONDS}s"]
    ).strip()
    _write_kubeconfig(kubeconfig, cluster, f"{namespace}:{name}", token)
    return ServiceAccountAccess(kubeconfig, f"system:serviceaccount:{namespace}:{name}")


def _kubectl(cluster: Cluster, args: list[str], stdin: str | None = None) -> str:
    result = subprocess.run(
        [str(cluster.bin / "kubectl"), f"--kubeconfig={cluster.kubeconfig}", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise TestenvError(f"grant: kubectl {' '.join(args[:2])} failed: {result.stderr.strip()}")
    return result.stdout


def _write_kubeconfig(path: Path, cluster: Cluster, user: str, token: str) -> None:
    ca = base64.b64encode(cluster.ca_file.read_bytes()).decode()
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "testenv",
                "cluster": {"server": cluster.url, "certificate-authority-data": ca},
            }
        ],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": "testenv", "context": {"cluster": "testenv", "user": user}}],
        "current-context": "testenv",
    }
    # Readable by its owner only from the start: it holds a credential.
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(json.dumps(config, indent=2))
