"""vcluster's own names, labels and annotations, and how API names map onto the host.

The backend makes and reads host objects exactly as loft-sh/vcluster does,
so the vcluster CLI and this API can manage the same vclusters. Everything
of our own is under the openvcluster.io prefix.
"""

from __future__ import annotations

import hashlib

# vcluster's conventions (loft-sh/vcluster pkg/constants, chart/templates).
LABEL_APP = "app"
APP_VCLUSTER = "vcluster"
LABEL_RELEASE = "release"
CONTROL_PLANE_SELECTOR = f"{LABEL_APP}={APP_VCLUSTER}"
SYNCER_CONTAINER = "syncer"
PAUSED = "loft.sh/paused"
PAUSED_REPLICAS = "loft.sh/paused-replicas"
PAUSED_DATE = "loft.sh/paused-date"
RESTORING = "loft.sh/restoring"
NON_DELETABLE = "loft.sh/non-deletable"
MANAGED_BY = "vcluster.loft.sh/managed-by"
NAMESPACE_CREATED = "vcluster.loft.sh/created"
# Snapshot requests (pkg/snapshot): a ConfigMap and a Secret of one name.
LABEL_SNAPSHOT_REQUEST = "vcluster.loft.sh/snapshot-request"
LABEL_REQUEST_VCLUSTER = "vcluster.loft.sh/vcluster-name"
LABEL_REQUEST_NAMESPACE = "vcluster.loft.sh/vcluster-namespace"
REQUEST_KEY = "snapshotRequest"
OPTIONS_KEY = "snapshotOptions"
# Snapshot and restore pods (pkg/snapshot/pod) and their options.
APP_SNAPSHOT_POD = "vcluster-snapshot"
SNAPSHOT_POD_SELECTOR = f"{LABEL_APP}={APP_SNAPSHOT_POD}"
STORAGE_OPTIONS_ENV = "VCLUSTER_STORAGE_OPTIONS"
# The quota `vcluster create --restore` holds the new control plane back with.
RESTORE_QUOTA = "vcluster-restore"

# Ours.
PREFIX = "openvcluster.io"
FINALIZER = f"{PREFIX}/cleanup"
# On host namespaces the backend made for a vcluster: whose they are.
LABEL_API_NAMESPACE = f"{PREFIX}/namespace"
LABEL_API_NAME = f"{PREFIX}/name"
# On snapshot requests and snapshot or restore pods: the API object they
# serve (LABEL_API_NAMESPACE/LABEL_API_NAME name it), a vcluster or a snapshot.
LABEL_API_KIND = f"{PREFIX}/kind"
# On namespaces made to hold VCluster resources (one per API namespace).
LABEL_HOLDS_VCLUSTERS = f"{PREFIX}/vclusters"
# Annotations of a VCluster resource.
ANNOTATION_UID = f"{PREFIX}/uid"
# On a resource that records a vcluster found on the host: its phase and spec then.
ANNOTATION_ADOPTED = f"{PREFIX}/adopted"
ANNOTATION_UPDATED = f"{PREFIX}/update-time"
ANNOTATION_KEEP_DATA = f"{PREFIX}/keep-data"
ANNOTATION_TEST_HOOKS = f"{PREFIX}/test-hooks"
# The sleep schedule and the expiry (spec settings), and what the scheduler
# keeps of its own (next times, its conditions); see schedule_objects.py.
ANNOTATION_SLEEP_SCHEDULE = f"{PREFIX}/sleep-schedule"
ANNOTATION_EXPIRY = f"{PREFIX}/expiry"
ANNOTATION_SCHEDULE_STATUS = f"{PREFIX}/schedule-status"

_MAX_NAME = 63
_HASH = 8


def host_namespace(namespace: str, name: str) -> str:
    """The host namespace a new vcluster (namespace, name) gets: vcluster allows one
    per host namespace.

    ``vc-<namespace>-<name>`` cut to fit 63 characters, then an 8-character
    hash of the pair, so two pairs never share one ("a-b"/"c" and "a"/"b-c"
    read alike but hash apart) and the owner stays readable.
    """
    digest = hashlib.sha256(f"{namespace}/{name}".encode()).hexdigest()[:_HASH]
    readable = f"vc-{namespace}-{name}"[: _MAX_NAME - _HASH - 1].rstrip("-")
    return f"{readable}-{digest}"
