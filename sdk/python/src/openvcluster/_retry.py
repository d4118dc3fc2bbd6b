"""Retry policy: exponential backoff with full jitter, bounded by attempts and time.

Pure bookkeeping with no I/O, so the sync and async clients run the same rules
and only differ in how they sleep.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import grpc

__all__ = ["RetryPolicy", "RetryState"]


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before sending a failed call again.

    Only the codes in ``retry_codes`` are retried: by default UNAVAILABLE, which
    means the server did not handle the call (or its answer was lost). Retrying
    mutations is safe because the SDK sends the same ``request_id`` on every
    attempt, so the server applies the mutation once.

    The wait before attempt *n + 1* is drawn uniformly from
    ``[0, min(max_backoff, initial_backoff * multiplier ** (n - 1))]`` ("full
    jitter"), which keeps many clients from retrying in lock step. No attempt
    starts, and no wait reaches, beyond ``total_timeout`` seconds after the
    first attempt; ``None`` lifts that bound.
    """

    max_attempts: int = 5
    initial_backoff: float = 0.1
    max_backoff: float = 5.0
    multiplier: float = 2.0
    total_timeout: float | None = 60.0
    retry_codes: frozenset[grpc.StatusCode] = field(
        default_factory=lambda: frozenset({grpc.StatusCode.UNAVAILABLE})
    )

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.initial_backoff < 0 or self.max_backoff < 0:
            raise ValueError("backoffs must not be negative")
        if self.multiplier < 1:
            raise ValueError("multiplier must be at least 1")
        if self.total_timeout is not None and self.total_timeout <= 0:
            raise ValueError("total_timeout must be positive or None")

    def backoff_cap(self, attempt: int) -> float:
        """The longest wait after failed attempt number ``attempt`` (1-based)."""
        return min(self.max_backoff, self.initial_backoff * self.multiplier ** (attempt - 1))


class RetryState:
    """The attempts of one logical call under a policy (``None``: one attempt only)."""

    def __init__(
        self,
        policy: RetryPolicy | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._policy = policy
        self._clock = clock
        self._rand = rand
        self._start = clock()
        self.attempt = 1

    def remaining(self) -> float | None:
        """Seconds left of the policy's total timeout, or ``None`` when unbounded."""
        if self._policy is None or self._policy.total_timeout is None:
            return None
        return self._policy.total_timeout - (self._clock() - self._start)

    def attempt_timeout(self, timeout: float | None) -> float | None:
        """The deadline of the next attempt: the call timeout, cut to the time left."""
        remaining = self.remaining()
        if remaining is None:
            return timeout
        remaining = max(remaining, 0.001)
        return remaining if timeout is None else min(timeout, remaining)

    def next_backoff(self, code: grpc.StatusCode) -> float | None:
        """After a failed attempt: seconds to wait before the next one, or ``None`` to give up.

        Advances the attempt counter when it answers a wait.
        """
        policy = self._policy
        if policy is None or code not in policy.retry_codes:
            return None
        if self.attempt >= policy.max_attempts:
            return None
        delay = self._rand() * policy.backoff_cap(self.attempt)
        remaining = self.remaining()
        if remaining is not None and delay >= remaining:
            return None
        self.attempt += 1
        return delay
