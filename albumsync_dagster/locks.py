"""Album locks: names the pipeline must never overwrite, and the per-album rename mutex."""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection, Engine

from albumsync_dagster.db import database_error_reason
from albumsync_dagster.schema import album_locks
from albumsync_dagster.settings import lease_seconds_from_env
from albumsync_dagster.sql_arrays import any_of

log = logging.getLogger("albumsync.locks")


@dataclass(frozen=True)
class AlbumLock:
    album_key: str
    reason: str
    locked_by: str
    locked_at: datetime


def lock_album(conn_or_engine: Engine | Connection, album_key: str, reason: str, by: str) -> bool:
    """Lock an album against renames; False when it was locked already (reason kept)."""
    stmt = (
        insert(album_locks)
        .values(album_key=album_key, reason=reason, locked_by=by, locked_at=sa.func.now())
        .on_conflict_do_nothing(index_elements=[album_locks.c.album_key])
        .returning(album_locks.c.album_key)
    )
    if isinstance(conn_or_engine, Engine):
        with conn_or_engine.begin() as conn:
            return conn.execute(stmt).first() is not None
    return conn_or_engine.execute(stmt).first() is not None


def unlock_album(engine: Engine, album_key: str) -> bool:
    """Let the pipeline rename the album again; False when it was not locked."""
    with engine.begin() as conn:
        deleted = conn.execute(
            sa.delete(album_locks)
            .where(album_locks.c.album_key == album_key)
            .returning(album_locks.c.album_key)
        )
        return deleted.first() is not None


def album_locks_for(
    engine: Engine, album_keys: Iterable[str] | None = None
) -> dict[str, AlbumLock]:
    query = sa.select(album_locks)
    if album_keys is not None:
        query = query.where(any_of(album_locks.c.album_key, album_keys))
    with engine.connect() as conn:
        return {
            r.album_key: AlbumLock(r.album_key, r.reason, r.locked_by, r.locked_at)
            for r in conn.execute(query)
        }


class AlbumBusy(RuntimeError):
    """Another process holds the album's rename mutex."""


class AlbumLeaseLost(AlbumBusy):
    """The album's lease ran out and could not be renewed: another process may hold it now."""


# First pause between attempts to take a held lease; doubled up to the longest pause.
_FIRST_PAUSE_SECONDS = 0.05
_LONGEST_PAUSE_SECONDS = 1.0

_TAKE = sa.text(
    "INSERT INTO album_leases AS l (album_key, owner, acquired_at, expires_at)"
    " VALUES (:k, :owner, now(), now() + make_interval(secs => :seconds))"
    " ON CONFLICT (album_key) DO UPDATE SET owner = EXCLUDED.owner,"
    " acquired_at = EXCLUDED.acquired_at, expires_at = EXCLUDED.expires_at"
    " WHERE l.expires_at < now()"
    " RETURNING l.owner"
)
_RENEW = sa.text(
    "UPDATE album_leases SET expires_at = now() + make_interval(secs => :seconds)"
    " WHERE album_key = :k AND owner = :owner RETURNING album_key"
)
_RELEASE = sa.text(
    "DELETE FROM album_leases WHERE album_key = :k AND owner = :owner RETURNING album_key"
)
_HOLDER = sa.text(
    "SELECT owner, GREATEST(0, EXTRACT(EPOCH FROM expires_at - now())) AS left_seconds"
    " FROM album_leases WHERE album_key = :k"
)


def _one_statement(engine: Engine, statement: sa.TextClause, params: dict[str, object]) -> Any:
    """Run one lease statement as its own transaction (autocommit: no separate COMMIT trip)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        return conn.execute(statement, params).first()


class AlbumLease:
    """A held lease on one album: renewed in the background until released.

    Every statement is a short transaction of its own, so the lease holds nothing on a
    connection: it works the same through a transaction pooler, and a dropped connection
    only delays a renewal (a new one is taken from the pool).
    """

    def __init__(
        self, engine: Engine, album_key: str, owner: str, seconds: float, taken_at: float
    ) -> None:
        """``taken_at``: ``time.monotonic()`` before the statement that took it."""
        self.engine = engine
        self.album_key = album_key
        self.owner = owner
        self.seconds = seconds
        self._lost = threading.Event()
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None
        self._valid_until = taken_at + seconds

    @property
    def lost(self) -> bool:
        """True once a renewal found the lease taken, or it ran out unrenewed."""
        if time.monotonic() >= self._valid_until:
            self._lost.set()
        return self._lost.is_set()

    def renew(self) -> bool:
        """Extend the lease to ``seconds`` from now; False when it is no longer ours."""
        started = time.monotonic()
        renewed = _one_statement(
            self.engine, _RENEW, {"k": self.album_key, "owner": self.owner, "seconds": self.seconds}
        )
        if renewed is None:
            self._lost.set()
            return False
        self._valid_until = started + self.seconds
        return True

    def ensure_held(self) -> None:
        """Raise ``AlbumLeaseLost`` unless the lease is certainly still ours.

        Called right before an irreversible step (the PATCH to SmugMug). Certain without asking
        while two thirds of its length are left since the last renewal began (no process can
        take a lease before it expires, and that much time covers a PATCH's time-out);
        otherwise it is renewed at the database now.
        """
        if self.lost:
            raise AlbumLeaseLost(
                f"album {self.album_key}: its rename lease ran out ({self.seconds:g} s) or was"
                " taken over; not renamed"
            )
        if time.monotonic() < self._valid_until - self.seconds / 3:
            return
        try:
            renewed = self.renew()
        except sa.exc.DBAPIError as exc:
            raise AlbumLeaseLost(
                f"album {self.album_key}: could not renew its rename lease"
                f" ({database_error_reason(exc)}); not renamed"
            ) from None
        if not renewed:
            raise AlbumLeaseLost(
                f"album {self.album_key}: its rename lease was taken over; not renamed"
            )

    def start_renewing(self) -> None:
        self._renewer = threading.Thread(
            target=self._renew_until_stopped, name=f"lease-{self.album_key}", daemon=True
        )
        self._renewer.start()

    def _renew_until_stopped(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            try:
                if not self.renew():
                    log.warning("album %s: its rename lease was taken over", self.album_key)
                    return
            except sa.exc.DBAPIError as exc:
                # The lease row outlives the connection: try again at the next tick.
                log.warning(
                    "album %s: renewing its rename lease failed: %s",
                    self.album_key,
                    database_error_reason(exc),
                )

    def release(self) -> None:
        """Stop renewing and delete the lease (if still ours)."""
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
        try:
            _one_statement(self.engine, _RELEASE, {"k": self.album_key, "owner": self.owner})
        except sa.exc.DBAPIError as exc:
            # Not fatal: the lease runs out by itself after ``seconds``.
            log.warning(
                "album %s: releasing its rename lease failed (it expires within %g s): %s",
                self.album_key,
                self.seconds,
                database_error_reason(exc),
            )


def _owner_token() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"


def take_album_lease(
    engine: Engine, album_key: str, *, wait_seconds: float, lease_seconds: float
) -> AlbumLease:
    """Take the album's lease, polling with backoff for up to ``wait_seconds``; else AlbumBusy."""
    owner = _owner_token()
    deadline = time.monotonic() + wait_seconds
    pause = _FIRST_PAUSE_SECONDS
    while True:
        attempt = time.monotonic()
        taken = _one_statement(
            engine, _TAKE, {"k": album_key, "owner": owner, "seconds": lease_seconds}
        )
        if taken is not None:
            return AlbumLease(engine, album_key, owner, lease_seconds, attempt)
        left = deadline - time.monotonic()
        if left <= 0:
            holder = _one_statement(engine, _HOLDER, {"k": album_key})
            detail = (
                f"; held by {holder.owner}, {float(holder.left_seconds):.0f} s left"
                if holder is not None
                else ""
            )
            raise AlbumBusy(
                f"album {album_key}: another process is renaming it"
                f" (waited {wait_seconds:g} s{detail})"
            )
        time.sleep(min(left, pause * random.uniform(0.5, 1.0)))
        pause = min(pause * 2, _LONGEST_PAUSE_SECONDS)


@contextmanager
def album_mutex(
    engine: Engine,
    album_key: str,
    *,
    wait_seconds: float = 30.0,
    lease_seconds: float | None = None,
) -> Iterator[AlbumLease]:
    """Hold the album's rename lease: one renamer per album at a time, across processes.

    A row in ``album_leases`` (not an advisory lock), taken and renewed in short transactions,
    so it excludes through a transaction pooler and survives a dropped connection; a holder
    that dies blocks the album for at most ``lease_seconds`` (``ALBUMSYNC_LEASE_SECONDS``).
    Call ``ensure_held()`` on the lease before an irreversible step.
    """
    seconds = float(lease_seconds if lease_seconds is not None else lease_seconds_from_env())
    lease = take_album_lease(engine, album_key, wait_seconds=wait_seconds, lease_seconds=seconds)
    lease.start_renewing()
    try:
        yield lease
    finally:
        lease.release()
