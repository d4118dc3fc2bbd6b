"""Snapshot requests and snapshot or restore pods on the host, made as vcluster makes them.

A running vcluster takes a snapshot when asked through a request
(loft-sh/vcluster pkg/snapshot/request.go): a Secret holding the snapshot
options and a ConfigMap of the same name holding the request, labelled
with the vcluster's name and namespace, in its host namespace. A controller
inside the vcluster moves the request's phase. A paused vcluster runs no
controller; a pod with the syncer's image on its data volume runs
``/vcluster snapshot`` or ``/vcluster restore`` instead
(pkg/snapshot/pod/pod.go), its options in a Secret of its own.

Names are derived from the API object's uid (and generation), never
random, so a reconciler that repeats a step after a restart finds what it
made before instead of making it twice.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from openvcluster_server.kube import kinds, snapshot_store
from openvcluster_server.kube.api import Kind, KubeApi, KubeError, Obj
from openvcluster_server.kube.conventions import (
    APP_SNAPSHOT_POD,
    LABEL_API_KIND,
    LABEL_API_NAME,
    LABEL_API_NAMESPACE,
    LABEL_APP,
    LABEL_REQUEST_NAMESPACE,
    LABEL_REQUEST_VCLUSTER,
    LABEL_SNAPSHOT_REQUEST,
    OPTIONS_KEY,
    REQUEST_KEY,
    STORAGE_OPTIONS_ENV,
    SYNCER_CONTAINER,
)
from openvcluster_server.kube.lifecycle import delete_if_present
from openvcluster_server.kube.reflector import Key

# What the owner label says an object serves.
FOR_SNAPSHOT = "snapshot"
FOR_VCLUSTER = "vcluster"
# Phases of a snapshot request (loft-sh/api pkg/snapshot/request.go).
NOT_STARTED = ""
CREATING = "CreatingEtcdBackup"
COMPLETED = "Completed"
PARTIALLY_FAILED = "PartiallyFailed"
FAILED = "Failed"
CANCELING = "Canceling"
CANCELED = "Canceled"
DELETING = "Deleting"
DELETED = "Deleted"
DONE = frozenset({COMPLETED, PARTIALLY_FAILED, FAILED, CANCELED})


def owner_labels(kind: str, key: Key) -> dict[str, str]:
    """Labels that name the API object a host object serves."""
    return {LABEL_API_KIND: kind, LABEL_API_NAMESPACE: key[0], LABEL_API_NAME: key[1]}


def owner_of(obj: Obj) -> tuple[str, Key] | None:
    """(kind, API key) of the API object a host object serves, if it names one."""
    labels = obj["metadata"].get("labels") or {}
    kind = labels.get(LABEL_API_KIND)
    if kind is None:
        return None
    return kind, (labels.get(LABEL_API_NAMESPACE, ""), labels.get(LABEL_API_NAME, ""))


def _suffix(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:8]


# --- requests -----------------------------------------------------------------------------


def request_name(release: str, uid: str) -> str:
    """The name of the request ConfigMap and options Secret of one snapshot."""
    return f"{release}-snapshot-request-{_suffix(uid)}"


def _request_labels(host: Key, owner: Key) -> dict[str, str]:
    return {
        LABEL_REQUEST_NAMESPACE: host[0],
        LABEL_REQUEST_VCLUSTER: host[1],
        LABEL_SNAPSHOT_REQUEST: "",
        **owner_labels(FOR_SNAPSHOT, owner),
    }


async def create_request(
    api: KubeApi,
    host: Key,
    name: str,
    owner: Key,
    options: Mapping[str, Any],
    annotations: Mapping[str, str],
    created: str,
    phase: str = NOT_STARTED,
) -> Obj:
    """Creates the options Secret, then the request ConfigMap (the request is served
    once both exist); returns the ConfigMap, or the one a previous attempt made.
    A request made in phase Deleting asks the vcluster to remove a stored snapshot."""
    labels = _request_labels(host, owner)
    secret = {
        "metadata": {"name": name, "labels": labels},
        "type": "Opaque",
        "data": {OPTIONS_KEY: _b64(json.dumps(options))},
    }
    request = {
        "metadata": {"name": name, "creationTimestamp": created},
        "spec": {"url": options_url(options)},
        "status": {"phase": phase},
    }
    config_map = {
        "metadata": {"name": name, "labels": labels, "annotations": dict(annotations)},
        "data": {REQUEST_KEY: json.dumps(request)},
    }
    await _create_or_keep(api, kinds.SECRETS, host[0], secret)
    return await _create_or_keep(api, kinds.CONFIGMAPS, host[0], config_map)


def options_url(options: Mapping[str, Any]) -> str:
    """The snapshot URL options describe (loft-sh/api Options.GetURL)."""
    scheme = str(options.get("type", ""))
    section = options.get(scheme) or {}
    if scheme == "s3":
        return f"s3://{section.get('bucket', '')}/{section.get('key', '')}"
    if scheme == "oci":
        return f"oci://{section.get('repository', '')}"
    return f"{scheme}://{section.get('path', '')}"


def request_status(config_map: Obj) -> dict[str, Any]:
    """The status of the request a ConfigMap holds (phase "" when unreadable)."""
    try:
        request = json.loads((config_map.get("data") or {}).get(REQUEST_KEY, "{}"))
    except ValueError:
        return {}
    status = request.get("status") if isinstance(request, dict) else None
    return status if isinstance(status, dict) else {}


async def set_request_phase(api: KubeApi, config_map: Obj, phase: str) -> Obj:
    """Moves a request to ``phase`` (Canceling, Deleting), at the version read."""
    data = json.loads((config_map.get("data") or {}).get(REQUEST_KEY, "{}"))
    data.setdefault("status", {})["phase"] = phase
    meta = config_map["metadata"]
    patch = {
        "metadata": {"resourceVersion": meta["resourceVersion"]},
        "data": {REQUEST_KEY: json.dumps(data)},
    }
    return await api.patch(kinds.CONFIGMAPS, meta["namespace"], meta["name"], patch)


async def delete_request(api: KubeApi, namespace: str, name: str) -> None:
    """Removes a request's ConfigMap and options Secret."""
    for kind in (kinds.CONFIGMAPS, kinds.SECRETS):
        await delete_if_present(api, kind, namespace, name)


class StoreError(Exception):
    """The snapshot store's settings cannot be used; the message says why."""


async def read_credentials(api: KubeApi, secret: str, url: str) -> dict[str, str]:
    """The keys of the credentials Secret (NAMESPACE/NAME) as text; none for a
    snapshot in the vcluster's own volume, or when no Secret is configured."""
    if not secret or snapshot_store.in_volume(url):
        return {}
    namespace, name = secret.split("/", 1)
    try:
        found = await api.get(kinds.SECRETS, namespace, name)
    except KubeError as exc:
        if exc.not_found:
            raise StoreError(f"the snapshot credentials Secret {secret} does not exist") from None
        raise
    return {k: base64.b64decode(v).decode() for k, v in (found.get("data") or {}).items()}


# --- pods ---------------------------------------------------------------------------------


def pod_name(*identity: str) -> str:
    """The name of the snapshot or restore pod of one snapshot (or one restore)."""
    return f"vcluster-snapshot-{_suffix(*identity)}"


def options_secret_name(pod: str) -> str:
    """The Secret that holds a pod's snapshot options."""
    return pod.replace("vcluster-snapshot-", "vcluster-snapshot-options-", 1)


async def create_pod(
    api: KubeApi,
    workload: Obj,
    name: str,
    command: list[str],
    options: Mapping[str, Any],
    owner: tuple[str, Key],
    annotations: Mapping[str, str],
) -> Obj:
    """Runs ``command`` in a pod like the control plane's syncer, on its data
    volume, with the options from a Secret; returns the pod (or the one a
    previous attempt made)."""
    meta = workload["metadata"]
    namespace, release = meta["namespace"], meta["name"]
    labels = {LABEL_APP: APP_SNAPSHOT_POD, **owner_labels(*owner)}
    secret = options_secret_name(name)
    await _create_or_keep(
        api,
        kinds.SECRETS,
        namespace,
        {
            "metadata": {"name": secret, "labels": labels},
            "type": "Opaque",
            "data": {STORAGE_OPTIONS_ENV: _b64(snapshot_store.options_env(options))},
        },
    )
    template = workload.get("spec", {}).get("template", {}).get("spec", {})
    syncer = next(
        (c for c in template.get("containers", []) if c.get("name") == SYNCER_CONTAINER),
        (template.get("containers") or [{}])[0],
    )
    env = [e for e in syncer.get("env", []) if e.get("name") not in ("POD_NAME",)]
    env += [
        {
            "name": STORAGE_OPTIONS_ENV,
            "valueFrom": {"secretKeyRef": {"name": secret, "key": STORAGE_OPTIONS_ENV}},
        },
        {"name": "POD_NAME", "value": f"{release}-0"},
    ]
    volumes, mounts = _data_volume(workload, release)
    pod = {
        "metadata": {"name": name, "labels": labels, "annotations": dict(annotations)},
        "spec": {
            "restartPolicy": "Never",
            "serviceAccountName": template.get("serviceAccountName"),
            "volumes": volumes,
            "containers": [
                {
                    "name": "snapshot",
                    "image": syncer.get("image", ""),
                    "command": command,
                    "env": env,
                    "volumeMounts": mounts,
                }
            ],
        },
    }
    if not pod["spec"]["serviceAccountName"]:
        del pod["spec"]["serviceAccountName"]
    return await _create_or_keep(api, kinds.PODS, namespace, pod)


def _data_volume(workload: Obj, release: str) -> tuple[list[Obj], list[Obj]]:
    """The control plane's data volume claim (data-<release>-0) and its mount, when it has one."""
    templates = workload.get("spec", {}).get("volumeClaimTemplates") or []
    if not templates:
        return [], []
    claim = f"{templates[0]['metadata']['name']}-{release}-0"
    volume = {"name": "data", "persistentVolumeClaim": {"claimName": claim}}
    return [volume], [{"name": "data", "mountPath": "/data"}]


def pod_outcome(pod: Obj) -> tuple[bool, str] | None:
    """(succeeded, message) once a pod ended; None while it runs."""
    phase = pod.get("status", {}).get("phase")
    if phase == "Succeeded":
        return True, ""
    if phase != "Failed":
        return None
    status = pod.get("status", {})
    for container in status.get("containerStatuses") or []:
        terminated = container.get("state", {}).get("terminated") or {}
        if terminated.get("message"):
            return False, str(terminated["message"])
    return False, str(status.get("message") or "the pod failed")


async def delete_pod(api: KubeApi, namespace: str, name: str) -> None:
    """Removes a snapshot or restore pod and its options Secret."""
    await delete_if_present(api, kinds.PODS, namespace, name)
    await delete_if_present(api, kinds.SECRETS, namespace, options_secret_name(name))


async def ensure_data_claim(api: KubeApi, workload: Obj) -> None:
    """Creates the data volume claim a StatefulSet would, when it is missing (a
    vcluster whose control plane never started), as ``vcluster restore`` does."""
    templates = workload.get("spec", {}).get("volumeClaimTemplates") or []
    if not templates:
        return
    meta = workload["metadata"]
    template = templates[0]
    claim = {
        "metadata": {
            "name": f"{template['metadata']['name']}-{meta['name']}-0",
            "labels": workload.get("spec", {}).get("selector", {}).get("matchLabels", {}),
        },
        "spec": template.get("spec", {}),
    }
    await _create_or_keep(api, kinds.CLAIMS, meta["namespace"], claim)


# --- shared -------------------------------------------------------------------------------


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def _create_or_keep(api: KubeApi, kind: Kind, namespace: str, obj: Obj) -> Obj:
    try:
        return await api.create(kind, namespace, obj)
    except KubeError as exc:
        if not exc.conflict:
            raise
        return await api.get(kind, namespace, obj["metadata"]["name"])
