"""Whole-table sync health against the SmugMug snapshot: orphans, name reconciliation, activity.

Set-based (one statement each, grouped in PostgreSQL) so the queries stay cheap on a table of
millions of rows: they return counts and a bounded sample, never every album.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from albumsync_dagster.name_copies import CopyMismatch, copies_against_snapshot

SAMPLE = 20


@dataclass(frozen=True)
class AlbumCount:
    album_key: str
    photos: int


@dataclass(frozen=True)
class NameMismatch:
    album_key: str
    smugmug_name: str | None
    photos: int
    differing: int
    row_names: list[str | None]


@dataclass(frozen=True)
class Reconciliation:
    albums_compared: int
    mismatched: int  # albums whose photo rows differ
    sample: list[NameMismatch]
    copies: list[CopyMismatch] = field(default_factory=list)  # ALBUMSYNC_NAME_COPIES differing

    @property
    def all_match(self) -> bool:
        return self.mismatched == 0 and not self.copies


_ORPHANS = sa.text(
    """
    SELECT p.album_key, count(*) AS photos, count(*) OVER () AS total
    FROM photo_metadata p
    WHERE p.album_key IS NOT NULL
      AND NOT EXISTS (
          SELECT 1 FROM smugmug_albums s WHERE s.album_key = p.album_key AND s.gone_at IS NULL
      )
    GROUP BY p.album_key
    ORDER BY p.album_key
    LIMIT :limit
    """
)


def find_orphan_album_keys(engine: Engine, limit: int = SAMPLE) -> tuple[int, list[AlbumCount]]:
    """Album keys in the rows that the SmugMug snapshot does not list as live: (count, sample)."""
    with engine.connect() as conn:
        rows = list(conn.execute(_ORPHANS, {"limit": limit}))
    total = int(rows[0].total) if rows else 0
    return total, [AlbumCount(r.album_key, int(r.photos)) for r in rows]


# One pass: each live album of the snapshot joined to its rows, grouped in PostgreSQL.
_RECONCILE = sa.text(
    """
    WITH per_album AS (
        SELECT s.album_key, s.name AS smugmug_name, count(*) AS photos,
               count(*) FILTER (WHERE p.album_name IS DISTINCT FROM s.name) AS differing
        FROM smugmug_albums s
        JOIN photo_metadata p ON p.album_key = s.album_key
        WHERE s.gone_at IS NULL
        GROUP BY s.album_key, s.name
    )
    SELECT (SELECT count(*) FROM per_album) AS compared,
           (SELECT count(*) FROM per_album WHERE differing > 0) AS mismatched,
           m.album_key, m.smugmug_name, m.photos, m.differing,
           (SELECT array_agg(DISTINCT p.album_name) FROM photo_metadata p
             WHERE p.album_key = m.album_key
               AND p.album_name IS DISTINCT FROM m.smugmug_name) AS row_names
    FROM (SELECT 1) AS one
    LEFT JOIN LATERAL (
        SELECT * FROM per_album WHERE differing > 0 ORDER BY album_key LIMIT :limit
    ) AS m ON true
    """
)


def reconcile_names(engine: Engine, limit: int = SAMPLE) -> Reconciliation:
    """Albums whose rows carry any name other than SmugMug's (per the snapshot), in one query;
    and the same for every other copy of the name (one query per copy)."""
    with engine.connect() as conn:
        rows = list(conn.execute(_RECONCILE, {"limit": limit}))
    first = rows[0]
    sample = [
        NameMismatch(r.album_key, r.smugmug_name, int(r.photos), int(r.differing), r.row_names)
        for r in rows
        if r.album_key is not None
    ]
    return Reconciliation(
        int(first.compared), int(first.mismatched), sample, copies_against_snapshot(engine, limit)
    )


_LAST_ACTIVITY = sa.text(
    "SELECT greatest("
    " (SELECT max(computed_at) FROM canonical_name_history),"
    " (SELECT max(changed_at) FROM album_name_changes))"
)


def last_sync_activity(engine: Engine) -> datetime | None:
    """When the workflow last computed a name or changed one (CLI or Dagster), or None."""
    with engine.connect() as conn:
        return conn.execute(_LAST_ACTIVITY).scalar()


def snapshot_album_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.text("SELECT count(*) FROM smugmug_albums WHERE gone_at IS NULL")
            ).scalar_one()
        )
