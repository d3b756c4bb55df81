"""Album locks: names the pipeline must never overwrite, and the per-album rename mutex."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection, Engine

from albumsync_dagster.schema import album_locks
from albumsync_dagster.sql_arrays import any_of


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


@contextmanager
def album_mutex(engine: Engine, album_key: str, *, wait_seconds: float = 30.0) -> Iterator[None]:
    """Hold a PostgreSQL advisory lock for the album: one renamer per album at a time.

    Session-level, on a connection of its own, so the intent and the row update can commit
    in other transactions while it is held; it ends with the session if the process dies.
    """
    conn = engine.connect()
    try:
        conn.execute(sa.text(f"SET lock_timeout = '{int(wait_seconds * 1000)}ms'"))
        try:
            conn.execute(
                sa.text("SELECT pg_advisory_lock(hashtextextended('albumsync:' || :k, 0))"),
                {"k": album_key},
            )
        except sa.exc.OperationalError as exc:
            conn.rollback()
            conn.execute(sa.text("RESET lock_timeout"))
            conn.commit()
            raise AlbumBusy(
                f"album {album_key}: another process is renaming it (waited {wait_seconds:g} s)"
            ) from exc
        conn.commit()
        try:
            yield
        finally:
            conn.execute(
                sa.text("SELECT pg_advisory_unlock(hashtextextended('albumsync:' || :k, 0))"),
                {"k": album_key},
            )
            # The connection goes back to the pool: it must not keep our short timeout.
            conn.execute(sa.text("RESET lock_timeout"))
            conn.commit()
    finally:
        conn.close()
