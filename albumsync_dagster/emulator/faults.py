"""Fault knobs of the emulator: rate limit, 5xx errors, latency, failing or slow albums,
lost answers.

Every knob can be set before the server starts or changed while it runs (tests do);
``Faults`` is shared by the server thread and the test thread, hence the lock.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

# Shown in X-RateLimit-* headers when no limit is set: a budget no test run exhausts.
NOMINAL_LIMIT = 100_000
NOMINAL_WINDOW_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class AlbumFault:
    """How requests about one album fail.

    ``status`` 404 answers as if the album were deleted; 5xx as a server error.
    ``methods`` the HTTP methods that fail (GET covers ``album/{key}`` and its ``!images``).
    ``apply_patch`` makes a failing PATCH rename the album first (the answer is lost, the
    change is not): a client must then find out from SmugMug what happened.
    """

    status: int = 500
    methods: frozenset[str] = frozenset({"GET", "PATCH"})
    apply_patch: bool = False


@dataclass(frozen=True, slots=True)
class LostPatchAnswer:
    """How a PATCH of one album loses its answer while the rename still happens (or later).

    ``status`` the answer sent (a 5xx), after ``stall_seconds`` (longer than the client's
    time-out: the client gives up first and never reads it). ``land_after`` seconds after
    the PATCH arrived the rename is applied; None keeps it held until
    :meth:`Faults.land_held_patches` (a rename landing as late as a test likes).
    """

    status: int = 504
    stall_seconds: float = 0.0
    land_after: float | None = 0.0


@dataclass(frozen=True, slots=True)
class RateDecision:
    """The rate limiter's verdict on one request, and the values of its headers."""

    allowed: bool
    limit: int
    remaining: int
    reset_epoch: int
    retry_after: int


class Faults:
    """The emulator's fault knobs (all off by default)."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._random = random.Random(seed)
        self.latency_ms: float = 0.0
        self.error_rate: float = 0.0
        self.error_status: int = 500
        self._fail_next: deque[int] = deque()
        self.rate_limit: int | None = None
        self.rate_window_seconds: float = NOMINAL_WINDOW_SECONDS
        self.rate_windows_aligned = False
        self._window_start: float | None = None
        self._window_used = 0
        self._albums: dict[str, AlbumFault] = {}
        self._slow_albums: dict[str, tuple[float, frozenset[str]]] = {}
        self._lost_answers: dict[str, LostPatchAnswer] = {}
        self._held: dict[str, str] = {}  # album key -> name of a PATCH not applied yet
        self._listing_fails_from: tuple[int, int] | None = None  # (first album, status)

    # ------------------------------------------------------------------ knobs

    def set_rate_limit(
        self, requests: int | None, per_seconds: float = 1.0, *, aligned: bool = False
    ) -> None:
        """Allow ``requests`` per window of ``per_seconds``, then 429 + Retry-After; None: off.

        A window starts with the first request after the last one ended, unless ``aligned``:
        then windows are whole multiples of ``per_seconds`` since the epoch, so the
        ``X-RateLimit-Reset`` a whole second announces is the moment the window really ends
        (a server keeping whole-second windows). Unaligned, the announced reset is the real
        one rounded up to the second: a client that waits for it loses the difference.
        """
        if requests is not None and requests < 0:
            raise ValueError("requests must be >= 0 (or None for no limit)")
        if per_seconds <= 0:
            raise ValueError("per_seconds must be positive")
        with self._lock:
            self.rate_limit = requests
            self.rate_window_seconds = (
                per_seconds if requests is not None else NOMINAL_WINDOW_SECONDS
            )
            self.rate_windows_aligned = aligned
            self._window_start = None
            self._window_used = 0

    def set_error_rate(self, rate: float, *, status: int = 500, seed: int | None = None) -> None:
        """Fail this fraction (0..1) of requests with ``status``; seeded, so runs repeat."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be within 0..1")
        _check_5xx(status)
        with self._lock:
            self.error_rate = rate
            self.error_status = status
            if seed is not None:
                self._seed = seed
                self._random = random.Random(seed)

    def fail_next(self, count: int, status: int = 503) -> None:
        """Fail the next ``count`` requests (that pass authentication) with ``status``."""
        _check_5xx(status)
        with self._lock:
            self._fail_next.extend([status] * count)

    def fail_listing_from(self, start: int | None, status: int = 500) -> None:
        """Fail every page of an album listing (``user!albums``, ``album!search``) that
        starts at album ``start`` (1-based) or later with ``status``, until set to None:
        a listing cut short after its first pages."""
        if start is not None:
            _check_5xx(status)
            if start < 1:
                raise ValueError("start must be at least 1")
        with self._lock:
            self._listing_fails_from = None if start is None else (start, status)

    def listing_page_fault(self, start: int) -> int | None:
        """The status a listing page starting at album ``start`` must fail with, or None."""
        with self._lock:
            fault = self._listing_fails_from
        return fault[1] if fault is not None and start >= fault[0] else None

    def set_latency(self, milliseconds: float) -> None:
        """Delay every answer by this many milliseconds."""
        if milliseconds < 0:
            raise ValueError("latency must be >= 0")
        with self._lock:
            self.latency_ms = milliseconds

    def fail_album(
        self,
        album_key: str,
        *,
        status: int = 500,
        methods: Iterable[str] = ("GET", "PATCH"),
        apply_patch: bool = False,
    ) -> None:
        """Make requests about one album fail (404: as if deleted; 5xx: server error)."""
        if status != 404:
            _check_5xx(status)
        wanted = frozenset(m.upper() for m in methods)
        if not wanted <= {"GET", "PATCH"}:
            raise ValueError("methods must be GET and/or PATCH")
        with self._lock:
            self._albums[album_key] = AlbumFault(status, wanted, apply_patch)

    def lose_patch_answer(
        self,
        album_key: str,
        *,
        status: int = 504,
        stall_seconds: float = 0.0,
        land_after: float | None = 0.0,
    ) -> None:
        """PATCHes of this album get no usable answer, yet SmugMug applies them (at once,
        ``land_after`` seconds later, or when :meth:`land_held_patches` is called)."""
        _check_5xx(status)
        if stall_seconds < 0 or (land_after is not None and land_after < 0):
            raise ValueError("stall_seconds and land_after must be >= 0")
        with self._lock:
            self._lost_answers[album_key] = LostPatchAnswer(status, stall_seconds, land_after)

    def lost_patch_answer(self, album_key: str) -> LostPatchAnswer | None:
        """The lost-answer fault of this album's PATCH, or None."""
        with self._lock:
            return self._lost_answers.get(album_key)

    def hold_patch(self, album_key: str, name: str) -> None:
        """Keep a PATCH's new name until it lands (the app calls this)."""
        with self._lock:
            self._held[album_key] = name

    def take_held_patch(self, album_key: str) -> str | None:
        """The held name of this album's PATCH, removed; None when none is held."""
        with self._lock:
            return self._held.pop(album_key, None)

    def held_patches(self) -> dict[str, str]:
        """PATCHes received and not applied yet: album key -> name."""
        with self._lock:
            return dict(self._held)

    def delete_album(self, album_key: str) -> None:
        """Answer 404 for this album, as SmugMug does for a deleted one."""
        self.fail_album(album_key, status=404)

    def slow_album(
        self, album_key: str, seconds: float, *, methods: Iterable[str] = ("GET",)
    ) -> None:
        """Delay answers about the album's own record (``album/{key}``, not its images) by
        ``seconds`` (on top of the latency); 0 turns it off. A slow re-read before a rename."""
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        wanted = frozenset(m.upper() for m in methods)
        if not wanted <= {"GET", "PATCH"}:
            raise ValueError("methods must be GET and/or PATCH")
        with self._lock:
            if seconds:
                self._slow_albums[album_key] = (seconds, wanted)
            else:
                self._slow_albums.pop(album_key, None)

    def clear_album(self, album_key: str) -> None:
        """Stop failing this album."""
        with self._lock:
            self._albums.pop(album_key, None)
            self._lost_answers.pop(album_key, None)

    def reset(self) -> None:
        """Turn every knob off."""
        with self._lock:
            self.latency_ms = 0.0
            self.error_rate = 0.0
            self.error_status = 500
            self._fail_next.clear()
            self.rate_limit = None
            self.rate_window_seconds = NOMINAL_WINDOW_SECONDS
            self.rate_windows_aligned = False
            self._window_start = None
            self._window_used = 0
            self._albums.clear()
            self._slow_albums.clear()
            self._lost_answers.clear()
            self._listing_fails_from = None
            self._random = random.Random(self._seed)

    # ------------------------------------------------------------------ used by the app

    def take_rate(self, now: float | None = None) -> RateDecision:
        """Count one request against the current window (a refused one does not count)."""
        now = time.time() if now is None else now
        with self._lock:
            window = self.rate_window_seconds
            if self._window_start is None or now >= self._window_start + window:
                aligned = self.rate_windows_aligned
                self._window_start = math.floor(now / window) * window if aligned else now
                self._window_used = 0
            reset = self._window_start + window
            limit = self.rate_limit
            if limit is None:
                self._window_used += 1
                remaining = max(1, NOMINAL_LIMIT - self._window_used)
                return RateDecision(True, NOMINAL_LIMIT, remaining, math.ceil(reset), 0)
            if self._window_used >= limit:
                retry = max(1, math.ceil(reset - now))
                return RateDecision(False, limit, 0, math.ceil(reset), retry)
            self._window_used += 1
            return RateDecision(True, limit, limit - self._window_used, math.ceil(reset), 0)

    def take_forced_error(self) -> int | None:
        """The 5xx status this request must fail with, or None."""
        with self._lock:
            if self._fail_next:
                return self._fail_next.popleft()
            if self.error_rate > 0 and self._random.random() < self.error_rate:
                return self.error_status
            return None

    def album_fault(self, album_key: str, method: str) -> AlbumFault | None:
        """The fault configured for this album and method, or None."""
        with self._lock:
            fault = self._albums.get(album_key)
        if fault is None or method.upper() not in fault.methods:
            return None
        return fault

    def album_delay(self, album_key: str, method: str) -> float:
        """Extra seconds before answering a request about the album's own record."""
        with self._lock:
            seconds, methods = self._slow_albums.get(album_key, (0.0, frozenset()))
        return seconds if method.upper() in methods else 0.0

    def hidden_album_keys(self) -> frozenset[str]:
        """Albums answering 404 to GET (as if deleted): left out of every listing."""
        with self._lock:
            return frozenset(
                key
                for key, fault in self._albums.items()
                if fault.status == 404 and "GET" in fault.methods
            )

    def current_latency(self) -> float:
        """Seconds to wait before answering."""
        with self._lock:
            return self.latency_ms / 1000.0


def _check_5xx(status: int) -> None:
    if not 500 <= status <= 599:
        raise ValueError(f"status must be a 5xx code, got {status}")
