"""How many answers to request ids the server remembers, per caller and in total.

Fresh request ids must not run the server out of memory, so the number kept
is capped. At a cap the answer that expires first is forgotten (the caller's
own at the per-caller cap); a retry of that call then runs it again. A caller
within its cap keeps the whole window whatever other callers do, as long as
the total cap is at least the number of callers times the per-caller cap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from openvcluster_server.store.base import request_caller


class Forgetful(Protocol):
    """Remembered answers that can be counted and forgotten oldest first."""

    def count_requests(self, caller: str | None) -> int:
        """How many answers the caller (None: everyone) has remembered."""
        ...

    def forget_oldest_request(self, caller: str | None) -> None:
        """Drops the caller's (None: anyone's) answer that expires first."""
        ...


@dataclass(frozen=True)
class RequestCaps:
    """How many remembered answers are kept per caller and in total."""

    per_caller: int = 10_000
    total: int = 50_000

    def make_room(self, memory: Forgetful, key: str) -> None:
        """Forgets what must go before one more answer, under ``key``, is kept."""
        caller = request_caller(key)
        while memory.count_requests(caller) >= self.per_caller:
            memory.forget_oldest_request(caller)
        while memory.count_requests(None) >= self.total:
            memory.forget_oldest_request(None)
