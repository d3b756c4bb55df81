"""The emulator's request log: what reached the server, for tests that count requests."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qsl


@dataclass(slots=True)
class RecordedRequest:
    """One request as the server saw it; ``status`` is what it answered."""

    method: str
    path: str
    raw_query: str
    at: float
    status: int = 0
    query: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, method: str, path: str, raw_query: str, at: float) -> RecordedRequest:
        """Record a request; ``query`` keeps the last value of each parameter."""
        return cls(
            method, path, raw_query, at, 0, dict(parse_qsl(raw_query, keep_blank_values=True))
        )


class RequestLog:
    """Thread-safe list of recorded requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[RecordedRequest] = []

    def add(self, entry: RecordedRequest) -> None:
        """Append one request."""
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[RecordedRequest]:
        """A copy of the log, oldest first."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        """Forget every request so far."""
        with self._lock:
            self._entries.clear()

    def count(
        self,
        method: str | None = None,
        *,
        path: str | None = None,
        path_contains: str | None = None,
        status: int | None = None,
    ) -> int:
        """Requests matching every given criterion (method, exact path, substring, status)."""
        return sum(
            1
            for e in self.entries()
            if (method is None or e.method == method.upper())
            and (path is None or e.path == path)
            and (path_contains is None or path_contains in e.path)
            and (status is None or e.status == status)
        )

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
