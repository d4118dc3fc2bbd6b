"""Failures: one clear line on stderr, and the documented exit code of each kind."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import click
import grpc
import pytest
from click.testing import CliRunner

import openvcluster
from openvcluster import errors
from openvcluster.cli import main
from openvcluster.cli.app import cli
from openvcluster.cli.errors import ExitCode, from_exception
from openvcluster.cli.session import Session
from openvcluster.v1 import snapshot_pb2, vcluster_pb2
from openvcluster_server.testing import RunningServer, running_server
from tests.cli.helpers import Ovc, client_options, lines

HOLD = "ovc-test-transition-delay-ms"
FAIL = "ovc-test-fail-transition"
TOKENS = """
tokens:
  - {token: editor-s3cret, role: editor, namespaces: ["*"], name: editor}
  - {token: viewer-s3cret, role: viewer, namespaces: ["*"], name: viewer}
"""


def test_a_bad_quantity_names_the_flag_and_the_fix(ovc: Ovc) -> None:
    result = ovc("create", "dev", "--memory", "4GB", code=ExitCode.USAGE)
    assert result.stdout == ""
    (line,) = lines(result.stderr)
    assert line.startswith("Error: --memory 4GB: must be a positive Kubernetes quantity")
    assert line.endswith("try --memory 4Gi")


def test_every_bad_field_gets_its_line(ovc: Ovc) -> None:
    result = ovc("create", "Bad_Name", "--cpu", "two", "-l", "bad key=x", code=ExitCode.USAGE)
    found = lines(result.stderr)
    assert len(found) == 3
    assert any(line.startswith("Error: NAME Bad_Name: must be a DNS-1123 label") for line in found)
    assert any(
        line.startswith("Error: --cpu two: must be a positive Kubernetes quantity")
        for line in found
    )
    assert any(line.startswith("Error: --label 'bad key': the key must") for line in found)
    version = ovc("create", "dev", "--kubernetes-version", "1.2", code=ExitCode.USAGE)
    assert "Error: --kubernetes-version 1.2: 1.2 is not supported" in version.stderr


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["create"], "Missing argument 'NAME'"),
        (["create", "dev", "--bogus"], "No such option '--bogus'"),
        (["create", "dev", "--distro", "k9s"], "'k9s' is not one of"),
        (["create", "dev", "--replicas", "0"], "--replicas"),
        (["create", "dev", "-l", "app"], "'app' is not KEY=VALUE"),
        (["create", "dev", "--timeout", "soon"], "'soon' is not a duration"),
        (["scale", "dev"], "nothing to change"),
        (["list", "-o", "xml"], "'xml' is not one of"),
        (["frobnicate"], "No such command 'frobnicate'"),
    ],
)
def test_usage_errors_exit_2(ovc: Ovc, args: list[str], text: str) -> None:
    assert text in ovc(*args, code=ExitCode.USAGE).stderr


def test_not_found_exits_3(ovc: Ovc) -> None:
    for args in (["get", "nope"], ["delete", "nope"], ["suspend", "nope", "--wait"]):
        (line,) = lines(ovc(*args, code=ExitCode.NOT_FOUND).stderr)
        assert "vcluster" in line and "nope not found" in line


def test_conflicts_exit_4(ovc: Ovc, client: openvcluster.Client, ns: str) -> None:
    ovc("create", "dev", "--wait")
    exists = ovc("create", "dev", code=ExitCode.CONFLICT)
    assert lines(exists.stderr) == [f"Error: vcluster {ns}/dev already exists"]

    client.create_vcluster(ns, "slow", metadata={HOLD: "60000"})  # held PROVISIONING
    phase = ovc("suspend", "slow", "--wait", code=ExitCode.CONFLICT)
    assert "while it is PROVISIONING; allowed in RUNNING" in phase.stderr
    client.delete_vcluster(ns, "slow")


def test_wait_timeout_and_failure_exit_7(
    ovc: Ovc, monkeypatch: pytest.MonkeyPatch, client: openvcluster.Client, ns: str
) -> None:
    client_options(monkeypatch, metadata={HOLD: "60000"})
    late = ovc("create", "slow", "--wait", "--timeout", "0.2", code=ExitCode.WAIT)
    error = lines(late.stderr)[-1]
    assert error.startswith(f"Error: vcluster {ns}/slow did not reach RUNNING within 0.2 s")
    assert "--timeout" in error
    client.delete_vcluster(ns, "slow")

    client_options(monkeypatch, metadata={FAIL: "no capacity left"})
    failed = ovc("create", "doomed", "--wait", code=ExitCode.WAIT)
    error = lines(failed.stderr)[-1]
    assert "FAILED: no capacity left" in error and f"`ovc delete doomed -n {ns}`" in error

    # A protected vcluster needs its protection off first: the fix says so.
    client.create_vcluster(
        ns, "kept", kubernetes_version="1.31", deletion_protection=True, wait=True
    )
    failed = ovc("upgrade", "kept", "--to", "1.32", "--wait", code=ExitCode.WAIT)
    error = lines(failed.stderr)[-1]
    assert f"`ovc update kept -n {ns} --no-deletion-protection`, then `ovc delete kept" in error


def test_an_unreachable_server_exits_6(monkeypatch: pytest.MonkeyPatch, ns: str) -> None:
    client_options(monkeypatch, retry=None)
    result = Ovc(CliRunner(), "127.0.0.1:1", ns)("list", code=ExitCode.CONNECTION)
    (line,) = lines(result.stderr)
    assert line.startswith("Error: cannot reach the server at 127.0.0.1:1")
    assert "openvcluster-server serve" in line


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server that wants tokens: an editor and a viewer."""
    tokens = tmp_path_factory.mktemp("tokens") / "tokens.yaml"
    tokens.write_text(TOKENS)
    with running_server(tokens_file=tokens) as server:
        yield server


def test_credentials_exit_5_and_tokens_never_show(secured: RunningServer, ns: str) -> None:
    ovc = Ovc(CliRunner(), secured.address, ns)
    anonymous = ovc("list", code=ExitCode.DENIED)
    assert "did not accept the credentials" in anonymous.stderr
    assert "OVC_TOKEN" in anonymous.stderr

    wrong = ovc("list", env={"OVC_TOKEN": "wrong-s3cret"}, code=ExitCode.DENIED)
    viewer = {"OVC_TOKEN": "viewer-s3cret"}
    ovc("list", env=viewer)
    denied = ovc("create", "dev", env=viewer, code=ExitCode.DENIED)
    assert "permission denied" in denied.stderr and "editor token" in denied.stderr
    created = ovc("create", "dev", "--wait", env={"OVC_TOKEN": "editor-s3cret"})
    for result in (anonymous, wrong, denied, created):
        text = result.stdout + result.stderr
        assert "s3cret" not in text


def test_interrupt_exits_130(ovc: Ovc, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(self: Session) -> openvcluster.Client:
        raise KeyboardInterrupt

    monkeypatch.setattr(Session, "client", interrupted)
    assert "Interrupted" in ovc("list", code=ExitCode.INTERRUPTED).stderr


def test_without_the_cli_extra_ovc_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "rich", None)  # makes `import rich` fail
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err == "ovc needs the cli extra (missing rich): pip install 'open-vcluster-api[cli]'\n"


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (errors.InvalidArgumentError("bad"), ExitCode.USAGE),
        (errors.NotFoundError("vcluster a/b not found"), ExitCode.NOT_FOUND),
        (errors.AlreadyExistsError("taken"), ExitCode.CONFLICT),
        (errors.FailedPreconditionError("wrong phase"), ExitCode.CONFLICT),
        (errors.AbortedError("stale etag"), ExitCode.CONFLICT),
        (errors.ResourceExhaustedError("quota"), ExitCode.CONFLICT),
        (errors.UnauthenticatedError("who"), ExitCode.DENIED),
        (errors.PermissionDeniedError("no"), ExitCode.DENIED),
        (errors.UnavailableError("down"), ExitCode.CONNECTION),
        (errors.DeadlineExceededError("slow"), ExitCode.CONNECTION),
        (errors.WaitTimeoutError("late"), ExitCode.WAIT),
        (errors.VClusterFailedError(vcluster_pb2.VCluster(name="a")), ExitCode.WAIT),
        (errors.SnapshotFailedError(snapshot_pb2.Snapshot(name="s")), ExitCode.WAIT),
        (errors.UnexpectedStatusError("?", code=grpc.StatusCode.INTERNAL), ExitCode.ERROR),
        (ValueError("a client certificate needs its key"), ExitCode.USAGE),
        (FileNotFoundError(2, "No such file or directory", "ca.pem"), ExitCode.ERROR),
    ],
)
def test_exit_code_of_every_error(exc: Exception, code: ExitCode) -> None:
    ctx = click.Context(cli)
    mapped = from_exception(exc, ctx, "127.0.0.1:50051")
    assert mapped.exit_code == code
    assert "\n" not in mapped.message


def test_exit_codes_are_distinct_and_documented() -> None:
    values = [int(code) for code in ExitCode]
    assert len(values) == len(set(values))
    help_text = CliRunner().invoke(cli, ["--help"]).stdout
    for code in ExitCode:
        assert f"  {int(code)}  " in help_text
