"""Bring photo rows to an album's name, verify, and report on the whole table.

The seed's functions with its names and result shapes. Writes are set-based: a batch of
albums is one ``UPDATE ... FROM unnest(...)`` statement that touches only rows whose name
differs, sets their ``updated_at`` and writes one audit row per album whose name changed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from albumsync_dagster import name_copies
from albumsync_dagster.db import database_error_reason
from albumsync_dagster.name_changes import SmugMugRenamed, Status
from albumsync_dagster.schema import photo_metadata
from albumsync_dagster.smugmug.models import album_name_problem
from albumsync_dagster.sql_arrays import any_of


@dataclass(frozen=True)
class SyncResult:
    updated: int
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Verification:
    synced: bool
    photo_count: int
    issues: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BatchResult:
    success: int
    failed: int
    errors: list[str] = field(default_factory=list)
    updated: int = 0
    # Rows written per album key that succeeded (0 when already in sync).
    updated_by_album: dict[str, int] = field(default_factory=dict)
    failed_keys: list[str] = field(default_factory=list)
    errors_by_album: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AlbumKeyInfo:
    album_key: str
    photo_count: int
    album_name: str | None  # the name most of the album's rows carry


@dataclass(frozen=True)
class SyncStats:
    total_albums: int
    total_photos: int
    photos_with_album_key: int
    photos_without_album_key: int
    recently_updated: int  # rows whose updated_at is within the last 24 hours


@dataclass(frozen=True)
class AlbumNames:
    """The names an album's rows carry, most common first (None for rows without a name)."""

    album_key: str
    photo_count: int
    names: list[tuple[str | None, int]]

    @property
    def consistent(self) -> bool:
        return len(self.names) == 1 and self.names[0][0] is not None

    @property
    def prevailing_name(self) -> str | None:
        return self.names[0][0] if self.names else None


@dataclass(frozen=True)
class PhotoWithoutAlbumKey:
    photo_id: str
    image_key: str
    album_name: str | None
    imageurl: str | None


def name_problem(name: object, *, blank_allowed: bool = False) -> str | None:
    """Why ``name`` cannot be an album name, or None when it can.

    SmugMug's rule (:func:`~albumsync_dagster.smugmug.models.album_name_problem`), and the
    project's own: it never gives an album an empty or blank name. ``blank_allowed`` is for
    rows following a name SmugMug already holds, which may be blank.
    """
    problem = album_name_problem(name)
    if problem:
        return f"name {problem}"
    if not blank_allowed and isinstance(name, str) and not name.strip():
        return "name is empty"
    return None


# One statement per batch. The CTEs see one snapshot: `previous` reads the prevailing old
# name of the rows about to change, `written` changes them, `audit` records one row per
# album whose rows changed. Row locks are taken in album-key order (the input is sorted).
# The redundant `= ANY(:keys)` gives the planner an index condition: without it, it
# estimates the unnest badly and hashes the whole table for every batch.
_BATCH_SYNC = sa.text(
    """
    WITH wanted AS (
        SELECT album_key, new_name, audited
        FROM unnest(CAST(:keys AS text[]), CAST(:names AS text[]), CAST(:audit AS boolean[]))
             AS w(album_key, new_name, audited)
    ),
    previous AS (
        SELECT p.album_key, mode() WITHIN GROUP (ORDER BY p.album_name) AS old_name
        FROM photo_metadata p JOIN wanted w ON w.album_key = p.album_key
        WHERE p.album_key = ANY(CAST(:keys AS text[]))
          AND p.album_name IS DISTINCT FROM w.new_name
        GROUP BY p.album_key
    ),
    written AS (
        UPDATE photo_metadata p
        SET album_name = w.new_name, updated_at = now()
        FROM wanted w
        WHERE p.album_key = w.album_key
          AND p.album_key = ANY(CAST(:keys AS text[]))
          AND p.album_name IS DISTINCT FROM w.new_name
        RETURNING p.album_key
    ),
    counted AS (
        SELECT album_key, count(*) AS n FROM written GROUP BY album_key
    ),
    audit AS (
        INSERT INTO album_name_changes
            (album_key, old_name, new_name, changed_by, source, status, smugmug_renamed,
             rows_updated, completed_at)
        SELECT c.album_key, pr.old_name, w.new_name, :changed_by, :source, :completed,
               :not_on_smugmug, c.n, now()
        FROM counted c
        JOIN wanted w ON w.album_key = c.album_key
        LEFT JOIN previous pr ON pr.album_key = c.album_key
        WHERE w.audited
        RETURNING album_key
    )
    SELECT w.album_key,
           COALESCE(c.n, 0) AS updated,
           EXISTS (SELECT 1 FROM photo_metadata p WHERE p.album_key = w.album_key) AS has_rows
    FROM wanted w LEFT JOIN counted c ON c.album_key = w.album_key
    """
)


def batch_sync_albums(
    engine: Engine,
    renames: Iterable[tuple[str, str]],
    *,
    source: str = "batch",
    changed_by: str = "system",
    blank_allowed: bool = False,
) -> BatchResult:
    """Bring every row of each album to its new name, one statement for the whole batch.

    A key given twice, an invalid name or an album with no photo rows fails that key only;
    the others commit. Each album's rows change together or not at all. ``blank_allowed``:
    the names are SmugMug's own, which may be empty or blank (never a name we choose).
    """
    pairs = list(renames)
    by_album: dict[str, str] = {}
    failed: set[str] = set()

    def fail(key: str, message: str) -> None:
        by_album.setdefault(key, message)
        failed.add(key)

    counts = Counter(key for key, _ in pairs)
    valid: dict[str, str] = {}
    for key, name in pairs:
        if not isinstance(key, str) or not key.strip():
            fail(str(key), f"album key {key!r}: not a valid album key")
            continue
        if counts[key] > 1:
            fail(key, f"album {key}: given {counts[key]} times in one batch; not synced")
            continue
        problem = name_problem(name, blank_allowed=blank_allowed)
        if problem:
            fail(key, f"album {key}: {problem}; not synced")
            continue
        valid[key] = name

    updated_by_album: dict[str, int] = {}
    copied = 0  # rows written in the other copies of the names (ALBUMSYNC_NAME_COPIES)
    if valid:
        try:
            with engine.begin() as conn:
                outcome, copied = sync_rows_in_transaction(conn, valid, source, changed_by)
        except sa.exc.DBAPIError:
            # One album's rows broke the statement (a trigger, a constraint): find it by
            # syncing album by album, so the rest of the batch still commits.
            outcome = {}
            for key in sorted(valid):
                try:
                    with engine.begin() as conn:
                        rows, copies = sync_rows_in_transaction(
                            conn, {key: valid[key]}, source, changed_by
                        )
                    outcome.update(rows)
                    copied += copies
                except sa.exc.DBAPIError as exc:
                    reason = database_error_reason(exc)
                    fail(key, f"album {key}: database refused the update: {reason}")
        if copied or any(updated for updated, _ in outcome.values()):
            name_copies.refresh_views(engine)  # after the names committed, not inside
        for key, (updated, has_rows) in outcome.items():
            if not has_rows:
                fail(key, f"album {key}: no photo rows carry this album key; not synced")
            else:
                updated_by_album[key] = updated

    return BatchResult(
        success=len(updated_by_album),
        failed=len(failed),
        errors=list(by_album.values()),
        updated=sum(updated_by_album.values()),
        updated_by_album=updated_by_album,
        failed_keys=sorted(failed),
        errors_by_album=by_album,
    )


def sync_rows_in_transaction(
    conn: Connection,
    renames: dict[str, str],
    source: str,
    changed_by: str,
    *,
    unaudited: frozenset[str] = frozenset(),
) -> tuple[dict[str, tuple[int, bool]], int]:
    """Each album's rows in one statement, then every other copy of its name
    (``ALBUMSYNC_NAME_COPIES``), brought to its name: ``({key: (photo rows written, has photo
    rows)}, rows written in the copies)``.

    Runs in the caller's transaction. Albums in ``unaudited`` get no audit row here: the
    caller completes an audit row of its own (a SmugMug rename's intent) in the same transaction.
    The caller refreshes the views (``name_copies.refresh_views``) after it commits.
    """
    keys = sorted(renames)
    rows = conn.execute(
        _BATCH_SYNC,
        {
            "keys": keys,
            "names": [renames[k] for k in keys],
            "audit": [k not in unaudited for k in keys],
            "source": source,
            "changed_by": changed_by,
            "completed": Status.COMPLETED,
            "not_on_smugmug": SmugMugRenamed.NO,
        },
    )
    outcome = {row.album_key: (int(row.updated), bool(row.has_rows)) for row in rows}
    return outcome, sum(name_copies.write_copies(conn, renames).values())


def sync_album_name(
    engine: Engine,
    album_key: str,
    new_name: str,
    *,
    source: str = "manual",
    changed_by: str = "system",
) -> SyncResult:
    """Bring every photo row of one album to ``new_name``; idempotent."""
    result = batch_sync_albums(
        engine, [(album_key, new_name)], source=source, changed_by=changed_by
    )
    return SyncResult(updated=result.updated, errors=result.errors)


def album_names(engine: Engine, album_keys: Sequence[str] | None = None) -> list[AlbumNames]:
    """The names each album's rows carry (all albums, or the keys given), by album key."""
    p = photo_metadata.c
    rows = sa.func.count().label("n")
    query = (
        sa.select(p.album_key, p.album_name, rows)
        .where(p.album_key.is_not(None))
        .group_by(p.album_key, p.album_name)
        .order_by(p.album_key, rows.desc(), p.album_name)
    )
    if album_keys is not None:
        query = query.where(any_of(p.album_key, album_keys))
    grouped: dict[str, list[tuple[str | None, int]]] = {}
    with engine.connect() as conn:
        for row in conn.execute(query):
            grouped.setdefault(row.album_key, []).append((row.album_name, int(row.n)))
    return [AlbumNames(key, sum(n for _, n in names), names) for key, names in grouped.items()]


def verify_album_sync(engine: Engine, album_key: str, expected_name: str) -> Verification:
    """Whether every photo row of the album (and every other copy of its name) carries
    ``expected_name``."""
    return verify_albums(engine, {album_key: expected_name})[album_key]


def verify_albums(engine: Engine, expected: dict[str, str]) -> dict[str, Verification]:
    """Whether every photo row of each album, and every other copy of its name, carries its
    expected name (one query for the rows, one per copy)."""
    by_key = {names.album_key: names for names in album_names(engine, list(expected))}
    copies = name_copies.copy_disagreements(engine, expected)
    results: dict[str, Verification] = {}
    for key, expected_name in expected.items():
        names = by_key.get(key)
        if names is None:
            results[key] = Verification(
                False, 0, [f"album {key}: no photo rows carry this album key", *copies.get(key, [])]
            )
            continue
        issues = [
            f"album {key}: {n} of {names.photo_count} rows carry "
            f"{'no name' if name is None else repr(name)} instead of {expected_name!r}"
            for name, n in names.names
            if name != expected_name
        ]
        issues += copies.get(key, [])  # another copy of the name (albums.album_name...)
        results[key] = Verification(not issues, names.photo_count, issues)
    return results


def get_all_album_keys(engine: Engine) -> list[AlbumKeyInfo]:
    """Every album key in the table with its photo count and prevailing name."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT album_key, count(*) AS photo_count,"
                " mode() WITHIN GROUP (ORDER BY album_name) AS album_name"
                " FROM photo_metadata WHERE album_key IS NOT NULL"
                " GROUP BY album_key ORDER BY album_key"
            )
        )
        return [AlbumKeyInfo(r.album_key, int(r.photo_count), r.album_name) for r in rows]


def get_sync_stats(engine: Engine) -> SyncStats:
    """Counts over the whole table; ``recently_updated`` covers the last 24 hours."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT count(DISTINCT album_key) AS total_albums, count(*) AS total_photos,"
                " count(album_key) AS with_key,"
                " count(*) FILTER (WHERE updated_at > now() - interval '24 hours') AS recent"
                " FROM photo_metadata"
            )
        ).one()
    return SyncStats(
        total_albums=int(row.total_albums),
        total_photos=int(row.total_photos),
        photos_with_album_key=int(row.with_key),
        photos_without_album_key=int(row.total_photos) - int(row.with_key),
        recently_updated=int(row.recent),
    )


# Rows with no name next to rows with a name also count: those rows are out of sync.
_INCONSISTENT = sa.text(
    "SELECT album_key FROM photo_metadata WHERE album_key IS NOT NULL"
    " GROUP BY album_key"
    " HAVING min(album_name) <> max(album_name)"
    "  OR (count(album_name) <> count(*) AND count(album_name) > 0)"
    " ORDER BY album_key"
)


def find_inconsistent_albums(engine: Engine) -> list[str]:
    """Album keys whose photo rows carry more than one name, sorted."""
    with engine.connect() as conn:
        return list(conn.execute(_INCONSISTENT).scalars())


def count_photos_without_album_key(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.text("SELECT count(*) FROM photo_metadata WHERE album_key IS NULL")
            ).scalar_one()
        )


def get_photos_without_album_key(engine: Engine, limit: int = 100) -> list[PhotoWithoutAlbumKey]:
    """Photo rows that no album claims yet (``backfill-album-keys`` fills them)."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT photo_id, image_key, album_name, imageurl FROM photo_metadata"
                " WHERE album_key IS NULL ORDER BY image_key LIMIT :limit"
            ),
            {"limit": limit},
        )
        return [
            PhotoWithoutAlbumKey(str(r.photo_id), r.image_key, r.album_name, r.imageurl)
            for r in rows
        ]
