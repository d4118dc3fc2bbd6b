"""The ``--wait`` display on its own (plain and live), output helpers and completion."""

from __future__ import annotations

import io

from click.testing import CliRunner
from rich.console import Console

from openvcluster.cli.app import cli
from openvcluster.cli.base import DURATION
from openvcluster.cli.output import format_age, format_bytes
from openvcluster.cli.progress import WaitDisplay
from tests.cli.helpers import Ovc


class FakeClock:
    """Seconds that pass only when a test says so."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _console(*, terminal: bool) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=terminal,
        force_interactive=terminal,
        width=80,
        color_system=None,
    )
    return console, buffer


def test_plain_display_prints_one_line_per_phase() -> None:
    console, buffer = _console(terminal=False)
    clock = FakeClock()
    with WaitDisplay("vcluster/dev", console, clock=clock) as display:
        assert not display.live
        display.update("PROVISIONING", "creating the control plane")
        clock.now += 0.5
        display.update("PROVISIONING", "still creating")  # same phase: no new line
        clock.now += 1.5
        display.update("RUNNING", "the control plane is serving")
        display.done("RUNNING")  # already shown
        display.update("DELETING")  # after done: ignored
    assert buffer.getvalue().splitlines() == [
        "vcluster/dev PROVISIONING (0.0s): creating the control plane",
        "vcluster/dev RUNNING (2.0s): the control plane is serving",
    ]


def test_plain_display_prints_the_end_state_it_did_not_see() -> None:
    console, buffer = _console(terminal=False)
    clock = FakeClock()
    with WaitDisplay("vcluster/dev", console, clock=clock) as display:
        display.update("DELETING")
        clock.now += 3
        display.done("deleted")
    assert buffer.getvalue().splitlines() == [
        "vcluster/dev DELETING (0.0s)",
        "vcluster/dev deleted (3.0s)",
    ]


def test_live_display_shows_phase_and_elapsed_then_one_line() -> None:
    console, buffer = _console(terminal=True)
    clock = FakeClock()
    with WaitDisplay("vcluster/dev", console, clock=clock) as display:
        assert display.live
        display.update("SUSPENDING", "stopping the control plane")
        clock.now += 2.25
        display.done("SUSPENDED")
    out = buffer.getvalue()
    assert "vcluster/dev SUSPENDING stopping the control plane" in out
    assert "0:00:0" in out  # the elapsed-time column
    assert "\x1b[?25l" in out  # the cursor is hidden while the spinner runs
    assert out.rstrip().endswith("✓ vcluster/dev SUSPENDED (2.2s)")


def test_live_display_leaves_nothing_behind_on_failure() -> None:
    console, buffer = _console(terminal=True)
    try:
        with WaitDisplay("vcluster/dev", console) as display:
            display.update("PROVISIONING")
            raise RuntimeError("the wait failed")
    except RuntimeError:
        pass
    assert "✓" not in buffer.getvalue()


def test_ages_and_sizes() -> None:
    now = 2_000_000_000.0
    ages = {5: "5s", 119: "119s", 150: "2m30s", 600: "10m", 3 * 3600 + 5: "3h",
            5 * 3600 + 600: "5h10m", 30 * 3600: "30h", 3 * 86400: "3d", 40 * 86400: "40d",
            800 * 86400: "2y"}  # fmt: skip
    for seconds, text in ages.items():
        assert format_age(int(now - seconds), now) == text
    assert format_age(0, now) == ""
    assert [format_bytes(n) for n in (77, 1536, 5 * 1024**3, 20 * 1024**3)] == [
        "77",
        "1.5Ki",
        "5.0Gi",
        "20Gi",
    ]
    assert [DURATION.convert(v, None, None) for v in ("90", "90s", "5m", "1h30m", "250ms")] == [
        90.0,
        90.0,
        300.0,
        5400.0,
        0.25,
    ]


def test_shell_completion(ovc: Ovc) -> None:
    script = ovc("completion", "bash").stdout
    assert "_OVC_COMPLETE=bash_complete" in script
    ovc("create", "dev")
    ovc("create", "web")
    # Completion parses COMP_WORDS, not the arguments: the endpoint comes from the environment.
    env = {"_OVC_COMPLETE": "bash_complete", "OVC_ENDPOINT": ovc.endpoint}
    completed = ovc(env={**env, "COMP_WORDS": "ovc get d", "COMP_CWORD": "2"})
    assert completed.stdout.split() == ["plain,dev"]
    commands = ovc(env={**env, "COMP_WORDS": "ovc sn", "COMP_CWORD": "1"})
    assert commands.stdout.split() == ["plain,snapshot"]
    down = ovc(
        env={**env, "OVC_ENDPOINT": "127.0.0.1:1", "COMP_WORDS": "ovc get ", "COMP_CWORD": "2"}
    )
    assert down.stdout.strip() == ""  # no server: no names, and no error either


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"], prog_name="ovc")
    assert result.exit_code == 0 and result.stdout.startswith("ovc, version ")
