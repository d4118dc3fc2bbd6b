"""How log records are written: ``text``, one readable line each, or ``json``, one object each.

A record may carry structured fields (the per-RPC access line does): a mapping
in its ``fields`` attribute, set with ``extra={FIELDS: {...}}``. The text format
writes them as ``key=value`` pairs after the message, the JSON format as
top-level keys. Whoever logs passes values as they are; only a formatter, and
so only a record that is written, turns them into text.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from json.encoder import encode_basestring_ascii
from typing import Any

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
    record.msecs = _msecs(created)
    record.relativeCreated = (created - _STARTED) * 1000
    record.thread = threading.get_ident() if logging.logThreads else None
    record.threadName = threading.current_thread().name if logging.logThreads else None
    record.msg = message
    record.__dict__[FIELDS] = fields
    return record


def direct_handler(logger: logging.Logger, level: int) -> logging.StreamHandler[Any] | None:
    """The handler that writes ``logger``'s records at ``level``, when writing a
    formatted line to its stream is all that logging would do with one.

    That is: the logger and those it propagates to have no filters and one
    handler between them, a plain ``StreamHandler`` without filters whose
    formatter is one of this module's and whose level lets ``level`` through.
    For any other setup (a second handler, a filter, pytest's capture, a
    handler of another class) it is None, and the caller makes a record for
    logging to handle. Asked per line, as handlers may change at any time.
    """
    if logger.disabled:
        return None
    found: logging.Handler | None = None
    current: logging.Logger | None = logger
    while current is not None:
        if current.filters:
            return None
        for handler in current.handlers:
            if found is not None:
                return None
            found = handler
        if not current.propagate:
            break
        current = current.parent
    if (
        found is None
        or type(found) is not logging.StreamHandler
        or found.filters
        or level < found.level
        or type(found.formatter) not in _DIRECT_FORMATTERS
    ):
        return None
    return found


def write_fields_line(
    handler: logging.StreamHandler[Any],
    logger: logging.Logger,
    level: int,
    message: str,
    fields: Fields,
) -> None:
    """Writes the line ``handler`` would write for ``fields_record(logger, level,
    message, fields)``, without making the record (``handler`` from direct_handler).

    The same formatter method makes the line either way, so it is the same line.
    On a running event loop the line waits: its time is taken now, and it is
    made and written with the others of the next BATCH_SECONDS, in one write
    (``fields`` may be a function that makes them then). Made and written one
    by one between calls, their code and data cold each time, the access
    lines cost a busy server about as much CPU as the rest of the call did
    (issue 28). Elsewhere the line is written at once.
    """
    formatter = handler.formatter
    assert isinstance(formatter, _UtcFormatter)
    line: _Waiting = (formatter, time.time(), level, logger.name, message, fields)
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        _write(handler, [line])
        return
    lock = handler.lock
    assert lock is not None  # a StreamHandler makes its lock when it is made
    with lock:
        batch = _BATCHES.get(handler)
        if batch is None:
            batch = _BATCHES[handler] = _Batch()
        batch.lines.append(line)
        full = len(batch.lines) >= MAX_WAITING
        # A batch left behind by a loop that closed before its timer fired is
        # written by a timer on this one.
        scheduled = batch.loop is loop
        batch.loop = loop
    if full:
        write_waiting(handler)
    elif not scheduled:
        loop.call_later(BATCH_SECONDS, write_waiting, handler)


# The longest a line of write_fields_line waits on an event loop, and how many
# may wait before they are written at once. A batch is made in one go, and a
# call that comes in meanwhile waits for it: short batches keep that wait
# below the tail latency of a lone caller's calls (issue 28).
BATCH_SECONDS = 0.01
MAX_WAITING = 1000
# A record's structured fields, or (for a line made later) a function that makes them.
Fields = Mapping[str, object] | Callable[[], Mapping[str, object]]
# A waiting line, for its formatter to make from (formatter, time, level,
# logger name, message, fields).
_Waiting = tuple["_UtcFormatter", float, int, str, str, Fields]


class _Batch:
    """The lines waiting for one handler, and the event loop whose timer will write them."""

    __slots__ = ("lines", "loop")

    def __init__(self) -> None:
        self.lines: list[_Waiting] = []
        self.loop: asyncio.AbstractEventLoop | None = None


_BATCHES: dict[logging.StreamHandler[Any], _Batch] = {}


def write_waiting(handler: logging.StreamHandler[Any] | None = None) -> None:
    """Writes the waiting lines of ``handler`` (of every handler: None) now.

    Runs at exit; the server also calls it before it says it is shutting down,
    so the lines keep their order with that one.
    """
    for each in [handler] if handler is not None else list(_BATCHES):
        each.acquire()
        try:
            batch = _BATCHES.pop(each, None)
            if batch is not None and batch.lines:
                _write(each, batch.lines)
        finally:
            each.release()


def _write(handler: logging.StreamHandler[Any], lines: list[_Waiting]) -> None:
    """Makes ``lines`` and writes them to ``handler``'s stream in one write, and
    flushes it."""
    handler.acquire()
    try:
        end = handler.terminator
        text = "".join([_made(line) + end for line in lines])
        stream = handler.stream
        stream.write(text)
        # StreamHandler.flush, its lock already held.
        if stream and hasattr(stream, "flush"):
            stream.flush()
    except RecursionError:
        raise
    except Exception:
        # What StreamHandler.emit does with a failed write: report it, never raise.
        handler.handleError(logging.makeLogRecord({"msg": _made(lines[0])}))
    finally:
        handler.release()


def _made(line: _Waiting) -> str:
    """A waiting line, made (without its terminator)."""
    formatter, created, level, name, message, fields = line
    made = fields() if callable(fields) else fields
    return formatter.fields_line(created, logging.getLevelName(level), name, message, made)


atexit.register(write_waiting)


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
        return self._time(record.created, record.msecs)

    def _time(self, created: float, msecs: float) -> str:
        second = int(created)
        if second != self._second:
            self._second_text = time.strftime(self.default_time_format, time.gmtime(second))
            self._second = second
        return self.default_msec_format % (self._second_text, msecs)

    def fields_line(
        self, created: float, levelname: str, name: str, message: str, fields: Mapping[str, object]
    ) -> str:
        """The line of a record without traceback or stack: its time (``created``, from
        ``time.time()``), level name, logger name, message and structured fields."""
        raise NotImplementedError


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
        return self._line(
            self.formatTime(record),
            record.levelname,
            record.name,
            record.message,
            record_fields(record),
        )

    def fields_line(
        self, created: float, levelname: str, name: str, message: str, fields: Mapping[str, object]
    ) -> str:
        """The line of a record without traceback or stack (see _UtcFormatter)."""
        return self._line(self._time(created, _msecs(created)), levelname, name, message, fields)

    @staticmethod
    def _line(
        when: str, levelname: str, name: str, message: str, fields: Mapping[str, object]
    ) -> str:
        return f"{when} {levelname} {name} {message}" + _text_fields(fields)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        return super().formatMessage(record) + _text_fields(record_fields(record))


class JsonFormatter(_UtcFormatter):
    """One JSON object: ``time``, ``level``, ``logger``, ``message``, the record's fields,
    and ``exception`` (the traceback) when it has one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = _json_entry(
            self.formatTime(record),
            record.levelname,
            record.name,
            record.getMessage(),
            record_fields(record),
        )
        # Cached on the record as logging.Formatter does, for the other handlers.
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return _json_line(entry)

    def fields_line(
        self, created: float, levelname: str, name: str, message: str, fields: Mapping[str, object]
    ) -> str:
        """The line of a record without traceback or stack (see _UtcFormatter)."""
        when = self._time(created, _msecs(created))
        return _json_line(_json_entry(when, levelname, name, message, fields))


def _json_entry(
    when: str, levelname: str, name: str, message: str, fields: Mapping[str, object]
) -> dict[str, object]:
    return {"time": when, "level": levelname, "logger": name, "message": message, **fields}


def _json_line(entry: dict[str, object]) -> str:
    # ASCII only, so that no character of a value can end the line (U+2028 and kin).
    return json.dumps(entry, separators=(",", ":"), default=str)


def _msecs(created: float) -> float:
    """The milliseconds of a record made at ``created``, as fields_record sets them."""
    return (created - int(created)) * 1000


_FORMATTERS: dict[str, type[logging.Formatter]] = {"text": TextFormatter, "json": JsonFormatter}
# The formatters whose lines write_fields_line writes without a record.
_DIRECT_FORMATTERS = (TextFormatter, JsonFormatter)
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
    kind = type(value)
    if kind is float or kind is int:
        # Digits, a sign, a point, "e", "inf" or "nan": never quoted, and never
        # worth a place in the cache (a latency is new every time).
        return str(value)
    return _text_string(str(value))


# Most values repeat call after call (method names, codes, callers), so the
# check of each is remembered; the cache is bounded, as request ids do not repeat.
@functools.lru_cache(maxsize=1024)
def _text_string(text: str) -> str:
    if _BARE.fullmatch(text) and text.isprintable():
        return text
    return encode_basestring_ascii(text)
