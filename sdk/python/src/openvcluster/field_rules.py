"""The API's field rules, checked before a request is sent.

The rules are written once, in the proto (``buf.validate`` options, see
``proto/openvcluster/v1/field_rules.proto``), and checked here with
protovalidate. The server runs the same check, so a request that breaks a
rule fails the same way with or without a network call: INVALID_ARGUMENT
with one ``google.rpc.BadRequest`` field violation per bad field, the first
rule that field breaks.

Rules that need the server's state or several fields at once (supported
Kubernetes versions, the odd replica count of HA, resource minimums, label
selectors, page tokens) are the server's alone.
"""

from __future__ import annotations

from typing import Any

import protovalidate
from google.protobuf.message import Message
from google.rpc import error_details_pb2

from openvcluster.errors import InvalidArgumentError

__all__ = ["check", "violations"]

# Compiles each message type's rules on first use and keeps them.
_validator = protovalidate.Validator()


def violations(message: Message) -> list[tuple[str, str]]:
    """``(field path, description)`` for each field of ``message`` that breaks a
    rule: the first rule it breaks, fields in the order of the proto.

    Paths are written as in the API's errors: ``spec.resources.cpu``, and a
    map entry as ``labels[app]``.
    """
    key = _verdict_key(message)
    if key is None:
        return _violations(message)
    verdict = _VERDICTS.get(key)
    if verdict is None:
        verdict = tuple(_violations(message))
        if len(_VERDICTS) >= MAX_VERDICTS:
            _VERDICTS.clear()
        _VERDICTS[key] = verdict
    return list(verdict)


# Verdicts on requests already checked, by message class and wire bytes. The
# rules read nothing but the message, so the same bytes always get the same
# verdict; and a client or server checks the same few requests again and
# again (a poll, a wait loop, the reads of a dashboard), where a kept verdict
# costs a tenth of a check (issue 28). Emptied when full: a simple bound.
_VERDICTS: dict[tuple[type[Message], bytes], tuple[tuple[str, str], ...]] = {}
MAX_VERDICTS = 4096
# Larger requests are checked every time, so that the verdicts never hold
# more than MAX_VERDICTS * MAX_VERDICT_BYTES of request bytes.
MAX_VERDICT_BYTES = 512


def _verdict_key(message: Message) -> tuple[type[Message], bytes] | None:
    """What ``message``'s verdict is kept by; None for one not worth keeping: a
    mutation's, whose request_id is never the same twice, or a large one."""
    if request_id_of(message):
        return None
    wire = message.SerializeToString(deterministic=True)
    return None if len(wire) > MAX_VERDICT_BYTES else (type(message), wire)


def request_id_of(message: Message) -> str:
    """The message's request_id; empty for a message without one."""
    # Asked of the descriptor, once per message class, not with getattr's
    # default: a protobuf message raises (and catches) AttributeError for a
    # missing field, on every call.
    kind = type(message)
    has = _HAS_REQUEST_ID.get(kind)
    if has is None:
        # A bare Message (the server's stand-in for an undecodable request)
        # has no descriptor.
        descriptor = message.DESCRIPTOR
        has = descriptor is not None and "request_id" in descriptor.fields_by_name
        _HAS_REQUEST_ID[kind] = has
    return str(message.request_id) if has else ""  # type: ignore[attr-defined]


# Whether each message class has a request_id field.
_HAS_REQUEST_ID: dict[type[Message], bool] = {}


def _violations(message: Message) -> list[tuple[str, str]]:
    found: dict[str, str] = {}
    for violation in _validator.collect_violations(message):
        found.setdefault(field_path(violation.proto.field), violation.proto.message)
    return _map_entries_by_key(list(found.items()))


def _map_entries_by_key(found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``found`` with the entries of each map field in key order, where the
    map's first violation was: every SDK's protovalidate walks a map in its
    own order (Go's at random), and one answer should read the same in all."""
    groups: dict[str, list[tuple[str, str, str]]] = {}
    for field, description in found:
        base, bracket, key = field.partition("[")
        groups.setdefault(base + bracket, []).append((key[:-1], field, description))
    return [(field, text) for group in groups.values() for _, field, text in sorted(group)]


def check(message: Message, *, request_id: str | None = None) -> None:
    """Raises the InvalidArgumentError the server would answer, if ``message``
    breaks a field rule; returns quietly otherwise."""
    found = violations(message)
    if found:
        raise invalid_argument_error(found, request_id=request_id)


def invalid_argument_error(
    found: list[tuple[str, str]], *, request_id: str | None = None
) -> InvalidArgumentError:
    """The error of a request with these bad fields, as the server words it."""
    summary = "; ".join(f"{field}: {description}" for field, description in found)
    detail = error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=field, description=description)
            for field, description in found
        ]
    )
    return InvalidArgumentError(
        f"invalid request: {summary}", details=[detail], request_id=request_id
    )


def field_path(path: Any) -> str:
    """A protovalidate ``FieldPath`` as the API writes field paths."""
    text = ""
    for element in path.elements:
        text += f".{element.field_name}" if text else element.field_name
        subscript = element.subscript
        if subscript is not None:
            value = subscript.value
            text += f"[{str(value).lower() if isinstance(value, bool) else value}]"
    return text
