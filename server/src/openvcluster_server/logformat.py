"""How log records are written: ``text``, one readable line each, or ``json``, one object each.

A record may carry structured fields (the per-RPC access line does): a mapping
in its ``fields`` attribute, set with ``extra={FIELDS: {...}}``. The text format
writes them as ``key=value`` pairs after the message, the JSON format as
top-level keys. Whoever logs passes values as they are; only a formatter, and
so only a record that is written, turns them into text.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import threading
import time
from collections.abc import Mapping
from json.encoder import encode_basestring_ascii

# The LogRecord attribute that holds a record's structured fields.
FIELDS = "fields"
# What fields_record copies into each record, by (logger, level).
_TEMPLATES: dict[tuple[str, int], dict[str, object]] = {}
# logging's start time, for relativeCreated (logging keeps it private).
_PROBE = logging.LogRecord("", logging.INFO, "", 0, "", (), None)
_STARTED = _PROBE.created - _PROBE.relativeCreated / 1000
# What a text value may hold and still be written without quotes.
_BARE = re.compile(r'[^ "=\\]+')


def fields_record(
    logger: logging.Logger, level: int, message: str, fields: Mapping[str, object]
) -> logging.LogRecord:
    """A record of ``message`` with structured fields, as ``logger.makeRecord`` would
    make it, at a fraction of the cost: the attributes that are the same for every
    record from this source line are copied from one made once."""
    template = _TEMPLATES.get((logger.name, level))
    if template is None:
        made = logger.makeRecord(logger.name, level, __file__, 0, message, (), None)
        template = dict(made.__dict__)
        for varying in ("created", "msecs", "relativeCreated", "thread", "threadName"):
            template.pop(varying, None)
        _TEMPLATES[(logger.name, level)] = template
    record = logging.LogRecord.__new__(logging.LogRecord)
    record.__dict__.update(template)
    created = time.time()
    record.created = created
    record.msecs = (created - int(created)) * 1000
    record.relativeCreated = (created - _STARTED) * 1000
    record.thread = threading.get_ident() if logging.logThreads else None
    record.threadName = threading.current_thread().name if logging.logThreads else None
    record.msg = message
    record.__dict__[FIELDS] = fields
    return record


def record_fields(record: logging.LogRecord) -> Mapping[str, object]:
    """The structured fields of a record; empty for an ordinary one."""
    fields: Mapping[str, object] = record.__dict__.get(FIELDS, {})
    return fields


class _UtcFormatter(logging.Formatter):
    """Times in RFC 3339, in UTC, with milliseconds: ``2025-01-31T12:00:00.123Z``."""

    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"

    def __init__(self, fmt: str | None = None) -> None:
        super().__init__(fmt)
        # The time of day to the second, made once per second: a server
        # writes a line per call, many in the same second.
        self._second = -1
        self._second_text = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        """The record's time in RFC 3339 with milliseconds (``datefmt`` is not used)."""
        second = int(record.created)
        if second != self._second:
            self._second_text = time.strftime(self.default_time_format, time.gmtime(second))
            self._second = second
        return self.default_msec_format % (self._second_text, record.msecs)


class TextFormatter(_UtcFormatter):
    """``TIME LEVEL LOGGER message key=value ...``; a traceback follows on lines of its own."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """The record's line; a record without traceback or stack (the access line)
        is written directly, without logging's general template machinery."""
        if record.exc_info or record.exc_text or record.stack_info:
            return super().format(record)
        record.message = record.getMessage()
        head = f"{self.formatTime(record)} {record.levelname} {record.name} {record.message}"
        return head + _text_fields(record_fields(record))

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        return super().formatMessage(record) + _text_fields(record_fields(record))


class JsonFormatter(_UtcFormatter):
    """One JSON object: ``time``, ``level``, ``logger``, ``message``, the record's fields,
    and ``exception`` (the traceback) when it has one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **record_fields(record),
        }
        # Cached on the record as logging.Formatter does, for the other handlers.
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # ASCII only, so that no character of a value can end the line (U+2028 and kin).
        return json.dumps(entry, separators=(",", ":"), default=str)


_FORMATTERS: dict[str, type[logging.Formatter]] = {"text": TextFormatter, "json": JsonFormatter}
LOG_FORMATS = tuple(_FORMATTERS)


def formatter(log_format: str) -> logging.Formatter:
    """The formatter of one of LOG_FORMATS."""
    return _FORMATTERS[log_format]()


def _text_fields(fields: Mapping[str, object]) -> str:
    """`` key=value`` for each field, in order."""
    return "".join([f" {key}={_text_value(value)}" for key, value in fields.items()])


def _text_value(value: object) -> str:
    """A value as logfmt writes it: bare, or quoted with JSON's escapes when it is empty or
    holds a space, a quote, ``=``, a backslash or anything unprintable. A caller sends the
    request_id, and a newline in it must not start a line of its own."""
    if isinstance(value, str):
        return _text_string(value)
    return _text_string(str(value))


# Most values repeat call after call (method names, codes, callers), so the
# check of each is remembered; the cache is bounded, as request ids do not repeat.
@functools.lru_cache(maxsize=1024)
def _text_string(text: str) -> str:
    if _BARE.fullmatch(text) and text.isprintable():
        return text
    return encode_basestring_ascii(text)
