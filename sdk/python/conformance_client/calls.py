"""Which SDK method a step calls, with which arguments: shared by the sync and
async flavours, whose clients have the same methods."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

import openvcluster
from conformance.protocol import CallOptions, Connection, Step, snake_case, step_request

BY_TYPE = ""
UNARY, LIST_ALL, LIST_PAGE, WATCH_START, WATCH_COLLECT = (
    "unary",
    "list_all",
    "list_page",
    "watch_start",
    "watch_collect",
)


class UnresolvedRefError(Exception):
    """A ref of the step could not be resolved."""


class UnsupportedError(Exception):
    """The flavour does not offer the step's action or one of its options."""


@dataclass(frozen=True)
class Call:
    """One SDK method call, and where its answer goes in the StepResult."""

    method: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    # The StepResult.outcome field that receives the answer; BY_TYPE: the one
    # of the answer's type.
    outcome: str = "done"
    shape: str = UNARY
    # A mutation: its on_operation callback records the operation id in
    # StepResult.operation_id.
    mutation: bool = False


def request_of(step: Step, earlier: Mapping[str, Mapping[str, Any]]) -> Message:
    """The step's request with its refs filled in from earlier results (proto3 JSON dicts)."""
    request = step_request(step)
    if not step.refs:
        return request
    fields = {f.json_name: f for f in request.DESCRIPTOR.fields}
    request = type(request).FromString(request.SerializeToString())
    for ref in step.refs:
        value: Any = earlier.get(ref.step)
        for part in ref.path.split("."):
            if isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            elif isinstance(value, Mapping) and part in value:
                value = value[part]
            else:
                raise UnresolvedRefError(f"{ref.step}.{ref.path} has no value")
        if ref.field not in fields:
            raise UnresolvedRefError(f"{ref.field} is not a field of {request.DESCRIPTOR.name}")
        setattr(request, fields[ref.field].name, str(value))
    return request


def options_kwargs(options: CallOptions) -> dict[str, Any]:
    """timeout, retry and metadata keyword arguments of a unary SDK call."""
    kwargs: dict[str, Any] = {}
    if options.timeout_ms:
        kwargs["timeout"] = options.timeout_ms / 1000
    if options.max_attempts == 1:
        kwargs["retry"] = None
    elif options.max_attempts > 1:
        kwargs["retry"] = openvcluster.RetryPolicy(max_attempts=options.max_attempts)
    if options.metadata:
        kwargs["metadata"] = tuple(sorted(options.metadata.items()))
    return kwargs


def sdk_call(step: Step, request: Any) -> Call:
    """The SDK call a step makes (``request`` is its request, refs applied)."""
    call = _sdk_call(step, request)
    # A mutation's SDK method takes on_operation; in the proto, every mutation
    # (and nothing else) has a request_id.
    if "request_id" in request.DESCRIPTOR.fields_by_name:
        return replace(call, mutation=True)
    return call


# The SDK's names that are not the RPC's name in snake_case (sdk/names.json).
_METHOD_NAMES = {"GetVClusterKubeconfig": "get_kubeconfig"}


def unary_call(method: str, request: Message, options: CallOptions) -> Call:
    """A UnaryCall as the SDK method of that RPC: its required arguments and
    every set field of the request become the keyword arguments of the same
    names, so that no RPC needs code of its own here (protocol.proto,
    UnaryCall)."""
    name = _METHOD_NAMES.get(method) or snake_case(method)
    sdk_method = getattr(openvcluster.AsyncClient, name, None)
    if sdk_method is None:
        raise UnsupportedError(f"the SDK has no method {name} for {method}")
    parameters = inspect.signature(sdk_method).parameters
    # The arguments without a default (namespace, name) always, empty or not.
    kwargs: dict[str, Any] = {
        field: getattr(request, field)
        for field, parameter in parameters.items()
        if parameter.default is inspect.Parameter.empty and field != "self"
    }
    for descriptor, value in request.ListFields():
        if descriptor.name not in parameters:
            raise UnsupportedError(f"{name} has no argument {descriptor.name}")
        kwargs[descriptor.name] = _argument(descriptor, value)
    return Call(name, (), {**kwargs, **options_kwargs(options)}, BY_TYPE)


def _argument(descriptor: FieldDescriptor, value: Any) -> Any:
    """A set field's value as an SDK argument: a map as a dict, a list as a list."""
    if descriptor.message_type is not None and descriptor.message_type.GetOptions().map_entry:
        return dict(value)
    if descriptor.is_repeated:
        return list(value)
    return value


def _sdk_call(step: Step, request: Any) -> Call:
    action = step.WhichOneof("action")
    unary = options_kwargs(step.options)
    metadata = {"metadata": unary["metadata"]} if "metadata" in unary else {}
    r = request
    if action == "call":
        return unary_call(step.call.method, request, step.options)
    if action in ("list_vclusters", "list_vclusters_page"):
        kwargs = {
            "label_selector": r.label_selector,
            "phase": r.phase or None,
            "page_size": r.page_size,
            "page_token": r.page_token,
            **unary,
        }
        if action == "list_vclusters":
            return Call("list_vclusters", (r.namespace,), kwargs, "vclusters", LIST_ALL)
        return Call("list_vclusters", (r.namespace,), kwargs, "vcluster_page", LIST_PAGE)
    if action == "update_vcluster":
        target, kwargs = _update_arguments(r)
        return Call("update_vcluster", target, {**kwargs, **unary}, "vcluster")
    if action in ("list_snapshots", "list_snapshots_page"):
        kwargs = {
            "vcluster": r.vcluster,
            "page_size": r.page_size,
            "page_token": r.page_token,
            **unary,
        }
        if action == "list_snapshots":
            return Call("list_snapshots", (r.namespace,), kwargs, "snapshots", LIST_ALL)
        return Call("list_snapshots", (r.namespace,), kwargs, "snapshot_page", LIST_PAGE)
    if action in ("list_operations", "list_operations_page"):
        kwargs = {
            "vcluster": r.vcluster,
            "page_size": r.page_size,
            "page_token": r.page_token,
            **unary,
        }
        if action == "list_operations":
            return Call("list_operations", (r.namespace,), kwargs, "operations", LIST_ALL)
        return Call("list_operations", (r.namespace,), kwargs, "operation_page", LIST_PAGE)
    if action in ("wait_for_phase", "wait_for_deletion", "wait_for_snapshot"):
        wait = {"timeout": r.timeout_ms / 1000} if r.timeout_ms else {}
        if action == "wait_for_phase":
            args: tuple[Any, ...] = (r.namespace, r.name, r.phase)
            return Call(action, args, {**wait, **metadata}, "vcluster")
        if action == "wait_for_snapshot":
            args = (r.namespace, r.name, r.phase)
            return Call(action, args, {**wait, **metadata}, "snapshot")
        return Call(action, (r.namespace, r.name), {**wait, **metadata}, "done")
    if action == "watch_start":
        kwargs = {"name": r.name, "label_selector": r.label_selector, **metadata}
        return Call("watch_vclusters", (r.namespace,), kwargs, "done", WATCH_START)
    if action == "watch_collect":
        return Call("", (), {}, "watch_events", WATCH_COLLECT)
    raise ValueError(f"unknown action {action}")


# The update_mask paths update_vcluster has an argument for, and how to read it.
_UPDATE_ARGUMENTS: dict[str, tuple[str, Any]] = {
    "labels": ("labels", lambda v: dict(v.labels)),
    "spec.kubernetes_version": ("kubernetes_version", lambda v: v.spec.kubernetes_version),
    "spec.deletion_protection": ("deletion_protection", lambda v: v.spec.deletion_protection),
    "spec.sleep_schedule": ("sleep_schedule", lambda v: v.spec.sleep_schedule),
    "spec.expire_time": ("expire_time", lambda v: v.spec.expire_time),
    "spec.delete_snapshots_on_expiry": (
        "delete_snapshots_on_expiry",
        lambda v: v.spec.delete_snapshots_on_expiry,
    ),
}

# The message fields of those paths: an unset one is no argument, since the
# SDK can only name a path whose argument it is given.
_MESSAGE_PATHS = {"spec.sleep_schedule": "sleep_schedule", "spec.expire_time": "expire_time"}


def _update_arguments(r: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The arguments of update_vcluster for an UpdateVClusterRequest.

    Each mask path the method has an argument for becomes that argument with
    the value in ``r.vcluster``; the mask itself is passed only when it holds
    another path, or a message path whose message is unset (the SDK then
    sends it unset, which clears the field), so an empty mask is a call with
    no change.
    """
    v = r.vcluster
    paths = list(r.update_mask.paths)
    kwargs: dict[str, Any] = {
        "etag": r.etag,
        "validate_only": r.validate_only,
        "request_id": r.request_id or None,
    }
    explicit = False
    for path in paths:
        if path not in _UPDATE_ARGUMENTS or _unset_message(v, path):
            explicit = True
            continue
        argument, read = _UPDATE_ARGUMENTS[path]
        kwargs[argument] = read(v)
    if explicit:
        kwargs["update_mask"] = paths
    return (v.namespace, v.name), kwargs


def _unset_message(v: Any, path: str) -> bool:
    """Whether ``path`` names a message field that ``v`` leaves unset."""
    field_name = _MESSAGE_PATHS.get(path)
    return field_name is not None and not v.spec.HasField(field_name)


# Where CallOptions.offline steps go: nothing listens there, so only the
# SDK's own check of the request can answer them.
OFFLINE_ADDRESS = "127.0.0.1:1"
# The client key of the offline client, and the suffix of a token's client
# whose field-rule check is off (tokens hold no NUL).
OFFLINE = "\x00offline"
UNCHECKED = "\x00unchecked"


def client_key(step: Step, connection: Connection) -> str:
    """Which of a session's clients runs a step: OFFLINE, or its token's, with
    the SDK's check of the field rules (UNCHECKED appended: without)."""
    if step.options.offline:
        return OFFLINE
    token = token_of(step, connection)
    return token + UNCHECKED if step.options.no_sdk_checks else token


def client_kwargs(key: str, connection: Connection) -> tuple[str, dict[str, Any]]:
    """The address and keyword arguments of the client a client_key names."""
    if key == OFFLINE:
        return OFFLINE_ADDRESS, {"tls": False, "retry": None}
    token, unchecked, _ = key.partition(UNCHECKED)
    kwargs = connection_kwargs(connection, token)
    kwargs["wait_timeout"] = (connection.wait_timeout_ms or 60_000) / 1000
    if unchecked:
        kwargs["validate_requests"] = False
    return connection.address, kwargs


def token_of(step: Step, connection: Connection) -> str:
    """The bearer token of a step: its own when it chooses one, else the connection's."""
    return step.options.token if step.options.HasField("token") else connection.token


def connection_kwargs(connection: Connection, token: str) -> dict[str, Any]:
    """Keyword arguments of ``Client``, ``AsyncClient`` and ``create_channel``."""
    kwargs: dict[str, Any] = {"token": token or None, "tls": connection.HasField("tls")}
    if connection.HasField("tls"):
        tls = connection.tls
        kwargs.update(
            ca_file=tls.ca_file or None,
            client_cert_file=tls.client_cert_file or None,
            client_key_file=tls.client_key_file or None,
            tls_server_name=tls.server_name or None,
        )
    return kwargs
