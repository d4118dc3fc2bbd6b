"""The display of a ``--wait``: live on a terminal, plain lines otherwise.

On an interactive terminal a spinner shows the resource, its current phase
and the time elapsed, and is replaced by one line when the wait is over. When
stderr is not a terminal (CI logs, pipes) each phase change is one plain
line, so logs stay readable.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Self

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

__all__ = ["WaitDisplay", "stderr_console"]


def stderr_console() -> Console:
    """The console of progress and notes: stderr, so stdout keeps only results."""
    return Console(stderr=True, highlight=False)


class WaitDisplay:
    """Shows the phases of one resource while a wait runs.

    ``update`` takes each state the wait reports (its ``on_change``); ``done``
    records the end state, shown when the ``with`` block ends. After ``done``
    further updates are ignored.
    """

    def __init__(
        self,
        subject: str,
        console: Console | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.subject = subject
        self._console = console if console is not None else stderr_console()
        self._live = self._console.is_interactive
        self._clock = clock
        self._start = clock()
        self._phase: str | None = None
        self._final: str | None = None  # the end-state line, once done
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    @property
    def live(self) -> bool:
        """Whether the display is the live one (an interactive terminal)."""
        return self._live

    def __enter__(self) -> Self:
        if self._live:
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=self._console,
                transient=True,
            )
            self._progress.start()
        return self

    def update(self, phase: str, message: str = "") -> None:
        """The resource is now in ``phase`` (``message``: the server's explanation)."""
        if self._final is not None:
            return
        changed = phase != self._phase
        self._phase = phase
        if self._progress is not None:
            note = f" [dim]{escape(message)}[/]" if message else ""
            text = f"[bold]{escape(self.subject)}[/] [yellow]{escape(phase)}[/]{note}"
            if self._task is None:
                self._task = self._progress.add_task(text, total=None)
            self._progress.update(self._task, description=text, refresh=True)
        elif changed:
            self._line(self._text(phase, message))

    def done(self, phase: str) -> None:
        """The wait is over with the resource in ``phase`` (``deleted`` for a deletion)."""
        if self._final is None:
            self._final = self._text(phase)
            if self._progress is None and phase != self._phase:
                self._line(self._final)
            self._phase = phase

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
            if self._final is not None:
                self._console.print(f"[green]✓[/] {escape(self._final)}", soft_wrap=True)

    def _text(self, phase: str, message: str = "") -> str:
        elapsed = max(self._clock() - self._start, 0.0)
        text = f"{self.subject} {phase} ({elapsed:.1f}s)"
        return f"{text}: {message}" if message else text

    def _line(self, text: str) -> None:
        self._console.print(text, markup=False, highlight=False, soft_wrap=True)
