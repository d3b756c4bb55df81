"""The client-side request rate limit: a thread-safe token bucket with a pause switch."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol


class RateLimiter(Protocol):
    """What the client asks of a rate limit: wait for a slot, hold everyone back."""

    @property
    def requests_per_second(self) -> float | None: ...

    def acquire(self) -> float: ...

    def pause_for(self, seconds: float) -> None: ...


class RequestRateLimiter:
    """Allows ``requests_per_second`` on average with bursts of ``burst``; thread-safe.

    Callers reserve a slot under the lock and sleep outside it, so concurrent threads are
    spaced out rather than serialised behind a sleeping one. ``pause_for`` holds every
    caller back until a moment (SmugMug's ``X-RateLimit-Reset`` when its remaining count
    hit zero). ``requests_per_second=None`` (or 0) disables the limit but not pauses.
    """

    def __init__(
        self,
        requests_per_second: float | None,
        *,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if requests_per_second is not None and requests_per_second < 0:
            raise ValueError("requests_per_second must be positive, 0 or None")
        self._rate = requests_per_second or None
        self._capacity = float(burst if burst is not None else max(1, int(self._rate or 1)))
        if self._capacity < 1:
            raise ValueError("burst must be at least 1")
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = self._capacity
        self._updated = clock()
        self._paused_until = 0.0

    @property
    def requests_per_second(self) -> float | None:
        return self._rate

    def acquire(self) -> float:
        """Wait for a slot; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            wait = max(0.0, self._paused_until - now)
            if self._rate is not None:
                self._tokens = min(
                    self._capacity, self._tokens + (now - self._updated) * self._rate
                )
                self._updated = now
                self._tokens -= 1.0
                if self._tokens < 0:
                    wait = max(wait, -self._tokens / self._rate)
        if wait > 0:
            self._sleep(wait)
        return wait

    def pause_for(self, seconds: float) -> None:
        """Hold every request back for ``seconds`` from now."""
        if seconds <= 0:
            return
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def __repr__(self) -> str:
        return f"RequestRateLimiter(requests_per_second={self._rate}, burst={self._capacity:g})"
