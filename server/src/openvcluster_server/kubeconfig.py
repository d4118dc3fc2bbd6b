"""Kubeconfig YAML for a vcluster's API server."""

from __future__ import annotations

import hashlib
import hmac

import yaml

from openvcluster.v1.vcluster_pb2 import VCluster


def api_server_endpoint(namespace: str, name: str) -> str:
    """The URL the emulated API server of a vcluster answers on."""
    return f"https://{name}.{namespace}.vcluster.local:443"


def render_kubeconfig(vcluster: VCluster, secret: bytes) -> str:
    """A kubeconfig (kind Config, one cluster, user and context) for the vcluster.

    The token is derived from the server secret and the vcluster's uid, so it
    is stable for one vcluster and differs for a re-created one. The emulator
    has no certificate authority, hence insecure-skip-tls-verify.
    """
    entry = f"{vcluster.namespace}-{vcluster.name}"
    token = hmac.new(secret, f"kubeconfig:{vcluster.uid}".encode(), hashlib.sha256).hexdigest()
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": entry,
                "cluster": {
                    "server": vcluster.status.api_server_endpoint,
                    "insecure-skip-tls-verify": True,
                },
            }
        ],
        "users": [{"name": f"{entry}-admin", "user": {"token": token}}],
        "contexts": [
            {
                "name": entry,
                "context": {"cluster": entry, "user": f"{entry}-admin", "namespace": "default"},
            }
        ],
        "current-context": entry,
        "preferences": {},
    }
    return yaml.safe_dump(config, sort_keys=False)
