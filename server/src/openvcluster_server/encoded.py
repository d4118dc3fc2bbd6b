"""Responses already in their wire form.

A read of stored resources answers with bytes the store already holds: the
stores keep each vcluster serialized. Parsing them into a response only for
grpc to serialize it again costs a parse and a serialization per item and
call (issue 28), so GetVCluster and ListVClusters answer with an ``Encoded``
response instead, framed from the stored bytes. The gRPC port sends its
bytes as they are; the HTTP port, whose codecs need a message (JSON among
them), parses it. Nothing is cached: the bytes are what the store holds at
the time of the read.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from google.protobuf.message import Message

M = TypeVar("M", bound=Message)

# The wire type of a length-delimited field (a message, bytes or a string).
_LENGTH_DELIMITED = 2


class Encoded(Generic[M]):
    """A response of type ``message_class``, serialized."""

    __slots__ = ("data", "message_class")

    def __init__(self, message_class: type[M], data: bytes) -> None:
        self.message_class = message_class
        self.data = data

    def message(self) -> M:
        """The response, parsed."""
        return self.message_class.FromString(self.data)


def with_field(message_class: type[M], number: int, data: bytes) -> Encoded[M]:
    """A ``message_class`` response whose only field, ``number``, holds the message
    serialized as ``data``."""
    return Encoded(message_class, field(number, data))


def field(number: int, data: bytes) -> bytes:
    """Field ``number`` holding ``data`` (a serialized message, bytes or UTF-8 text)
    on the wire: its tag, its length and the bytes. A repeated field is one such
    frame per item, one after another."""
    return _varint(number << 3 | _LENGTH_DELIMITED) + _varint(len(data)) + data


def serialize(response: Any) -> bytes:
    """A response's bytes: an Encoded one's as they are, a message serialized."""
    if type(response) is Encoded:
        return response.data
    data: bytes = response.SerializeToString()
    return data


def _varint(value: int) -> bytes:
    """``value`` (not negative) as a protobuf varint: seven bits a byte, low bits first."""
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)
