"""Where snapshots are stored, and the options vcluster is given to store or read one.

The store is server configuration (``--snapshot-url``), never part of the
API: every snapshot gets a location of its own under it, a URL of the form
vcluster's ``snapshot create`` takes. The options are vcluster's own
snapshot options (loft-sh/api pkg/snapshot Options): the URL split by
scheme, the store's credentials copied from a Secret the operator names
(``--snapshot-credentials-secret``), and the Helm release to recreate the
vcluster from.

``container://`` snapshots live in the vcluster's own data volume, so they
are lost with it and cannot be restored into another vcluster; ``s3://``
and ``oci://`` ones outlive it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import yaml

CONTAINER = "container"


def location(base: str, namespace: str, name: str, uid: str) -> str:
    """The URL of one snapshot under the configured store; the uid keeps a
    snapshot deleted and taken again under the same name from reusing it."""
    scheme = base.partition("://")[0]
    stem = f"{namespace}-{name}-{uid[:8]}"
    if scheme == "oci":
        return f"{base.rstrip('/')}:{stem}"
    return f"{base.rstrip('/')}/{stem}.tar.gz"


def in_volume(url: str) -> bool:
    """Whether a snapshot lives in its vcluster's data volume (and goes with it)."""
    return url.startswith(f"{CONTAINER}://")


def options(
    url: str, credentials: Mapping[str, str], release: Mapping[str, Any] | None
) -> dict[str, Any]:
    """vcluster's snapshot options for a location: its scheme's section holds the
    credentials' keys (s3: access-key-id, secret-access-key, region, ...; oci:
    username, password), as ``vcluster snapshot create`` fills them."""
    scheme, _, rest = url.partition("://")
    section: dict[str, Any] = dict(credentials)
    if scheme == "s3":
        parts = urlsplit(url)
        section.update(bucket=parts.netloc, key=parts.path.lstrip("/"))
    elif scheme == "oci":
        section["repository"] = rest
    else:
        section = {"path": rest}  # in the vcluster's own volume: no credentials
    chosen: dict[str, Any] = {"type": scheme, scheme: section}
    if release is not None:
        chosen["release"] = dict(release)
    return chosen


def release(namespace: str, name: str, chart: str, version: str, values: Any) -> dict[str, Any]:
    """The Helm release a snapshot records (chart values as YAML, base64 as Go's []byte)."""
    text = yaml.safe_dump(values, sort_keys=True).encode()
    return {
        "releaseName": name,
        "releaseNamespace": namespace,
        "chartName": chart,
        "chartVersion": version,
        "values": base64.b64encode(text).decode(),
    }


def options_env(chosen: Mapping[str, Any]) -> str:
    """The options as a snapshot or restore pod reads them (base64 of the JSON)."""
    return base64.b64encode(json.dumps(chosen, sort_keys=True).encode()).decode()
