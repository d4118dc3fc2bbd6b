"""The log formats: the shape of text and JSON lines, and the log-format setting."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest

from openvcluster.v1 import vcluster_service_pb2 as api
from openvcluster.v1 import vcluster_service_pb2_grpc as api_grpc
from openvcluster_server import calls, logformat
from openvcluster_server.calls import CallRecord
from openvcluster_server.cli import main
from openvcluster_server.logformat import (
    BATCH_SECONDS,
    JsonFormatter,
    TextFormatter,
    direct_handler,
    fields_record,
    record_fields,
    write_fields_line,
    write_waiting,
)
from openvcluster_server.testing import ServerProcess, serve_command

TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
REQUEST_ID = "11111111-2222-4333-8444-555555555555"


def access_record(
    caplog: pytest.LogCaptureFixture, caller: str = "ci-bot", request_id: str = REQUEST_ID
) -> logging.LogRecord:
    """The record of a CreateVCluster call that succeeded, as CallRecord.log makes it."""
    call = CallRecord("CreateVCluster", api.CreateVClusterRequest(request_id=request_id))
    call.caller = caller
    with caplog.at_level(logging.INFO, logger="openvcluster_server.rpc"):
        call.log(grpc.StatusCode.OK)
    [record] = caplog.records
    return record


def error_record(caplog: pytest.LogCaptureFixture) -> logging.LogRecord:
    """An ordinary record with an exception, as ``log.exception`` makes it."""
    log = logging.getLogger("openvcluster_server.example")
    with caplog.at_level(logging.INFO, logger=log.name):
        try:
            raise ValueError("no such phase")
        except ValueError:
            log.exception("internal error in %s", "GetVCluster")
    [record] = caplog.records
    return record


def test_the_access_record_carries_its_fields_unformatted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    record = access_record(caplog)
    assert record.getMessage() == "call"
    fields = dict(record_fields(record))
    assert isinstance(fields.pop("latency_ms"), float)
    assert fields == {
        "method": "CreateVCluster",
        "code": "OK",
        "request_id": REQUEST_ID,
        "caller": "ci-bot",
    }


def test_no_access_record_is_made_when_info_is_off(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="openvcluster_server.rpc"):
        CallRecord("GetVCluster", api.GetVClusterRequest()).log(grpc.StatusCode.OK)
    assert caplog.records == []


def test_text_access_line(caplog: pytest.LogCaptureFixture) -> None:
    line = TextFormatter().format(access_record(caplog))
    assert re.fullmatch(
        rf"{TIME} INFO openvcluster_server\.rpc call method=CreateVCluster code=OK "
        rf"latency_ms=\d+\.\d+ request_id={REQUEST_ID} caller=ci-bot",
        line,
    ), line


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("ci-bot/été", "ci-bot/été"),
        ("", '""'),
        ("ci bot", '"ci bot"'),
        ('say "hi"', r'"say \"hi\""'),
        ("a=b", '"a=b"'),
        ("back\\slash", r'"back\\slash"'),
        # A request_id with a line break must not forge a line of its own.
        ("x\ncode=OK", r'"x\ncode=OK"'),
        ("x\u2028y", r'"x\u2028y"'),
    ],
)
def test_text_values_are_quoted_when_they_need_it(
    caplog: pytest.LogCaptureFixture, value: str, written: str
) -> None:
    line = TextFormatter().format(access_record(caplog, caller=value, request_id=value))
    assert line.endswith(f" request_id={written} caller={written}")
    assert len(line.splitlines()) == 1


def test_text_ordinary_line_with_an_exception(caplog: pytest.LogCaptureFixture) -> None:
    first, *trace = TextFormatter().format(error_record(caplog)).split("\n")
    assert re.fullmatch(
        rf"{TIME} ERROR openvcluster_server\.example internal error in GetVCluster", first
    ), first
    assert trace[0] == "Traceback (most recent call last):"
    assert trace[-1] == "ValueError: no such phase"


def test_json_access_line(caplog: pytest.LogCaptureFixture) -> None:
    line = JsonFormatter().format(access_record(caplog, caller="ci bot"))
    entry = json.loads(line)
    assert list(entry) == [
        "time",
        "level",
        "logger",
        "message",
        "method",
        "code",
        "latency_ms",
        "request_id",
        "caller",
    ]
    assert re.fullmatch(TIME, entry.pop("time"))
    assert isinstance(entry.pop("latency_ms"), float)
    assert entry == {
        "level": "INFO",
        "logger": "openvcluster_server.rpc",
        "message": "call",
        "method": "CreateVCluster",
        "code": "OK",
        "request_id": REQUEST_ID,
        "caller": "ci bot",
    }


def test_times_are_utc_whatever_the_local_zone(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "XST+07:30")
    time.tzset()
    try:
        record = access_record(caplog)
        text_time = TextFormatter().format(record).split()[0]
        json_time = json.loads(JsonFormatter().format(record))["time"]
    finally:
        monkeypatch.undo()
        time.tzset()
    assert text_time == json_time
    written = datetime.fromisoformat(json_time)
    assert written.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - written) < timedelta(minutes=1)


def test_json_ordinary_line_with_an_exception(caplog: pytest.LogCaptureFixture) -> None:
    line = JsonFormatter().format(error_record(caplog))
    assert "\n" not in line
    entry = json.loads(line)
    assert list(entry) == ["time", "level", "logger", "message", "exception"]
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "openvcluster_server.example"
    assert entry["message"] == "internal error in GetVCluster"
    assert entry["exception"].startswith("Traceback (most recent call last):\n")
    assert entry["exception"].endswith("\nValueError: no such phase")


@pytest.mark.parametrize(
    ("flag", "in_file", "written"),
    [(None, None, "text"), ("json", None, "json"), (None, "json", "json")],
    ids=["default", "flag", "config-file"],
)
def test_the_setting_reaches_the_server_log(
    tmp_path: Path, flag: str | None, in_file: str | None, written: str
) -> None:
    extra = []
    if in_file is not None:
        config = tmp_path / "server.yaml"
        config.write_text(f"log-format: {in_file}\n")
        extra += ["--config", str(config)]
    if flag is not None:
        extra += ["--log-format", flag]
    with ServerProcess(serve_command(tmp_path, 0, *extra)) as server:
        with grpc.insecure_channel(server.address) as channel:
            api_grpc.VClusterServiceStub(channel).ListVClusters(
                api.ListVClustersRequest(), timeout=10
            )
        assert server.terminate() == 0
    lines = server.log_tail().splitlines()
    assert lines, "the server logged nothing"
    if written == "json":
        entries = [json.loads(line) for line in lines]
        assert {"time", "level", "logger", "message"} <= set(entries[0])
        access = [e for e in entries if e["logger"] == "openvcluster_server.rpc"]
        assert [(e["method"], e["code"]) for e in access] == [("ListVClusters", "OK")]
    else:
        assert all(re.match(rf"{TIME} [A-Z]+ \S+ ", line) for line in lines), lines
        access = [line for line in lines if " openvcluster_server.rpc " in line]
        assert len(access) == 1
        assert " call method=ListVClusters code=OK latency_ms=" in access[0]
        # Written, though it waited for its batch, before the server said it stops.
        stopping = next(i for i, line in enumerate(lines) if line.endswith(" shutting down"))
        assert lines.index(access[0]) < stopping


def test_a_bad_log_format_flag_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--log-format", "xml"])
    assert exited.value.code == 2
    assert "argument --log-format: invalid choice: 'xml'" in capsys.readouterr().err


def test_a_bad_log_format_in_the_config_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "server.yaml"
    config.write_text("log_format: xml\n")
    assert main(["serve", "--config", str(config)]) == 2
    assert capsys.readouterr().err == (
        "openvcluster-server: log-format must be text or json, not 'xml'\n"
    )


def test_a_fields_record_is_what_make_record_makes() -> None:
    """The access line's record (made from a template, for speed) has every
    attribute logging's own would have, and formats the same in both formats."""
    logger = logging.getLogger("openvcluster_server.example")
    fields = {"method": "GetVCluster", "code": "OK", "request_id": ""}
    before = time.time()
    quick = fields_record(logger, logging.INFO, "call", fields)
    made = logger.makeRecord(
        logger.name, logging.INFO, __file__, 0, "call", (), None, extra={"fields": fields}
    )
    assert quick.__dict__.keys() == made.__dict__.keys()
    for name in ("name", "levelname", "levelno", "msg", "args", "process", "thread"):
        assert getattr(quick, name) == getattr(made, name), name
    assert before <= quick.created <= made.created
    assert abs(quick.relativeCreated - made.relativeCreated) < 1000
    for formatter in (TextFormatter(), JsonFormatter()):
        quick.created, quick.msecs = made.created, made.msecs
        assert formatter.format(quick) == formatter.format(made)


@pytest.fixture
def plain_logger() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger set up the way the command line sets the server's up: one plain
    StreamHandler with a formatter of this module, and no other handler on its way."""
    logger = logging.getLogger("openvcluster_server.example.direct")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(TextFormatter())
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    yield logger, stream
    logger.removeHandler(handler)
    logger.propagate = True
    logger.setLevel(logging.NOTSET)


def alone(logger: logging.Logger) -> logging.StreamHandler[io.StringIO]:
    """The plain_logger's handler, alone on it again: pytest adds its capture
    handlers to a logger that does not propagate, for the test's duration."""
    handler = next(h for h in logger.handlers if type(h) is logging.StreamHandler)
    for other in list(logger.handlers):
        if other is not handler:
            logger.removeHandler(other)
    return handler


def test_only_a_plain_stream_handler_is_written_to_directly(
    plain_logger: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, _ = plain_logger
    handler = alone(logger)
    assert direct_handler(logger, logging.INFO) is handler
    handler.setLevel(logging.WARNING)
    assert direct_handler(logger, logging.INFO) is None
    handler.setLevel(logging.NOTSET)

    def keep(record: logging.LogRecord) -> bool:
        return True

    for owner in (logger, handler):
        owner.addFilter(keep)
        assert direct_handler(logger, logging.INFO) is None
        owner.removeFilter(keep)
    second = logging.NullHandler()
    logger.addHandler(second)
    assert direct_handler(logger, logging.INFO) is None
    logger.removeHandler(second)
    handler.setFormatter(logging.Formatter())
    assert direct_handler(logger, logging.INFO) is None
    handler.setFormatter(JsonFormatter())
    assert direct_handler(logger, logging.INFO) is handler
    logger.disabled = True
    assert direct_handler(logger, logging.INFO) is None
    logger.disabled = False
    # Propagating, the root logger's handlers count too (pytest's capture among them).
    logger.propagate = True
    assert direct_handler(logger, logging.INFO) is None
    logger.propagate = False
    other = logging.getLogger("openvcluster_server.example.other")
    other.propagate = False
    other.addHandler(logging.FileHandler(os.devnull))
    try:
        assert direct_handler(other, logging.INFO) is None  # a StreamHandler subclass
    finally:
        other.handlers[0].close()
        other.removeHandler(other.handlers[0])
        other.propagate = True


@pytest.mark.parametrize("formatter_class", [TextFormatter, JsonFormatter])
@pytest.mark.parametrize(
    "fields",
    [
        {"method": "GetVCluster", "code": "OK", "latency_ms": 0.123, "request_id": ""},
        {"caller": "ci bot", "request_id": 'x\ncode="OK"', "latency_ms": 12, "n": 1e-07},
        {"caller": "ci-bot/été", "trace_id": "a" * 32, "what": None, "flag": True},
    ],
)
def test_a_direct_line_is_the_line_of_the_record(
    plain_logger: tuple[logging.Logger, io.StringIO],
    monkeypatch: pytest.MonkeyPatch,
    formatter_class: type[logging.Formatter],
    fields: dict[str, object],
) -> None:
    logger, stream = plain_logger
    handler = alone(logger)
    handler.setFormatter(formatter_class())
    monkeypatch.setattr(time, "time", lambda: 1767225599.9996)
    write_fields_line(handler, logger, logging.INFO, "call", fields)
    logger.handle(fields_record(logger, logging.INFO, "call", fields))
    direct, recorded = stream.getvalue().splitlines()
    assert direct == recorded
    assert direct.startswith(("2025-12-31T23:59:59.999Z ", '{"time":"2025-12-31T23:59:59.999Z"'))


def test_the_access_line_is_written_directly_when_logging_allows(
    plain_logger: tuple[logging.Logger, io.StringIO], monkeypatch: pytest.MonkeyPatch
) -> None:
    logger, stream = plain_logger
    alone(logger)
    monkeypatch.setattr(calls, "log", logger)

    def no_record(*args: object) -> logging.LogRecord:
        raise AssertionError("no record is made for a direct line")

    monkeypatch.setattr(calls, "fields_record", no_record)
    call = CallRecord("CreateVCluster", api.CreateVClusterRequest(request_id=REQUEST_ID))
    call.caller = "ci bot"
    call.log(grpc.StatusCode.OK)
    assert re.fullmatch(
        rf"{TIME} INFO openvcluster_server\.example\.direct call method=CreateVCluster "
        rf'code=OK latency_ms=\d+\.\d+ request_id={REQUEST_ID} caller="ci bot"\n',
        stream.getvalue(),
    ), stream.getvalue()


def test_a_failed_direct_write_is_reported_as_logging_reports_it(
    plain_logger: tuple[logging.Logger, io.StringIO], monkeypatch: pytest.MonkeyPatch
) -> None:
    logger, stream = plain_logger
    handler = alone(logger)
    stream.close()  # writing raises ValueError
    reported: list[logging.LogRecord] = []
    monkeypatch.setattr(handler, "handleError", reported.append)
    write_fields_line(handler, logger, logging.INFO, "call", {"method": "GetVCluster"})
    # The record reported holds the line that was not written.
    [record] = reported
    assert record.getMessage().endswith(" call method=GetVCluster")


class _CountingStream(io.StringIO):
    """Keeps each write apart."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


@pytest.fixture
def counted(
    plain_logger: tuple[logging.Logger, io.StringIO],
) -> tuple[logging.Logger, logging.StreamHandler[io.StringIO], _CountingStream]:
    """The plain_logger, its handler writing to a stream that keeps each write apart."""
    logger, _ = plain_logger
    handler = alone(logger)
    stream = _CountingStream()
    handler.setStream(stream)
    return logger, handler, stream


def test_on_an_event_loop_direct_lines_wait_and_go_out_in_one_write(
    counted: tuple[logging.Logger, logging.StreamHandler[io.StringIO], _CountingStream],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    logger, handler, stream = counted
    scheduled: list[tuple[float, Callable[..., object], tuple[object, ...]]] = []

    async def calls_end() -> None:
        loop = asyncio.get_running_loop()
        # Record the loop's timers instead of waiting for them.
        monkeypatch.setattr(
            loop, "call_later", lambda delay, fn, *args: scheduled.append((delay, fn, args))
        )
        for method in ("GetVCluster", "ListVClusters", "ScaleVCluster"):
            write_fields_line(handler, logger, logging.INFO, "call", {"method": method})

    asyncio.run(calls_end())
    assert stream.writes == []
    # One timer for the batch, BATCH_SECONDS away; when it fires, one write.
    [(delay, write_batch, args)] = scheduled
    assert delay == BATCH_SECONDS
    write_batch(*args)
    [written] = stream.writes
    assert [line.split()[-1] for line in written.splitlines()] == [
        "method=GetVCluster",
        "method=ListVClusters",
        "method=ScaleVCluster",
    ]


def test_waiting_lines_are_written_when_asked_and_when_too_many_wait(
    counted: tuple[logging.Logger, logging.StreamHandler[io.StringIO], _CountingStream],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    logger, handler, stream = counted
    monkeypatch.setattr(logformat, "MAX_WAITING", 2)

    async def calls_end() -> None:
        for index in range(3):
            write_fields_line(handler, logger, logging.INFO, "call", {"index": index})
        # The first two went out together when the second came; the third waits.
        assert len(stream.writes) == 1
        write_waiting()

    asyncio.run(calls_end())
    assert [len(w.splitlines()) for w in stream.writes] == [2, 1]


def test_a_waiting_line_is_the_line_of_the_formatter_when_it_was_logged(
    counted: tuple[logging.Logger, logging.StreamHandler[io.StringIO], _CountingStream],
) -> None:
    logger, handler, stream = counted

    async def call_ends() -> None:
        write_fields_line(handler, logger, logging.INFO, "call", {"method": "GetVCluster"})
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        write_waiting()

    asyncio.run(call_ends())
    written = stream.getvalue()
    assert written.endswith(" INFO openvcluster_server.example.direct call method=GetVCluster\n")


def test_a_waiting_line_makes_its_fields_when_its_batch_is_written(
    counted: tuple[logging.Logger, logging.StreamHandler[io.StringIO], _CountingStream],
) -> None:
    logger, handler, stream = counted
    made: list[int] = []

    def fields() -> dict[str, object]:
        made.append(1)
        return {"method": "GetVCluster", "code": "OK"}

    async def call_ends() -> None:
        write_fields_line(handler, logger, logging.INFO, "call", fields)
        assert made == []
        write_waiting()

    asyncio.run(call_ends())
    assert made == [1]
    assert stream.getvalue().endswith(" call method=GetVCluster code=OK\n")


def test_lines_left_by_a_loop_closed_before_its_timer_go_out_from_the_next_loop(
    counted: tuple[logging.Logger, logging.StreamHandler[io.StringIO], _CountingStream],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    logger, handler, stream = counted
    timers: list[tuple[Callable[..., object], tuple[object, ...]]] = []

    async def call_ends(method: str) -> None:
        loop = asyncio.get_running_loop()
        monkeypatch.setattr(loop, "call_later", lambda _, fn, *args: timers.append((fn, args)))
        write_fields_line(handler, logger, logging.INFO, "call", {"method": method})

    asyncio.run(call_ends("GetVCluster"))  # its loop closes; its timer never fires
    asyncio.run(call_ends("ListVClusters"))
    assert stream.writes == []
    # Each loop set a timer; the second one's writes both lines at once.
    assert len(timers) == 2
    write_batch, args = timers[1]
    write_batch(*args)
    [written] = stream.writes
    assert [line.split()[-1] for line in written.splitlines()] == [
        "method=GetVCluster",
        "method=ListVClusters",
    ]
