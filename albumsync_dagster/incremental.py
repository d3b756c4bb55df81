"""Which albums a run works on: only those where something moved since their last sync.

``album_sync_state`` keeps, per album, what its last finished sync saw: SmugMug's
``LastUpdated`` and ``Name``, the ``ImagesLastUpdated`` and ``ImageCount`` its stored images
were read at, the enrichment version, the lock, and the settings the decision was made with.
After the account's listing is stored in ``smugmug_albums``, one set-based query compares the
two (:func:`albums_to_sync`); albums whose rows disagree with SmugMug's name and albums with
a pending rename are added, and so are albums whose row in a configured name copy
(``ALBUMSYNC_NAME_COPIES``) carries another name. Comparing stored state, rather than the
listing with the snapshot before it is stored, keeps a crashed run's albums in the next run's
work.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from albumsync_dagster.name_changes import OPEN
from albumsync_dagster.name_copies import disagreeing_copies
from albumsync_dagster.schema import album_enrichment, album_sync_state, sync_cursors
from albumsync_dagster.smugmug import Album
from albumsync_dagster.sql_arrays import any_of, chunks

if TYPE_CHECKING:
    from albumsync_dagster.settings import Settings

# Why an album is in a run's work (several may apply).
NEVER_SYNCED = "never synced"
SMUGMUG_CHANGED = "changed on SmugMug"
IMAGES_CHANGED = "images changed"
ENRICHMENT_CHANGED = "enrichment changed"
LOCK_CHANGED = "locked or unlocked"
SETTINGS_CHANGED = "settings changed"
PENDING_RENAME = "pending rename"  # or one whose PATCH's answer was lost
ROWS_DISAGREE = "rows disagree with SmugMug"
COPIES_DISAGREE = "name copies disagree with SmugMug"  # ALBUMSYNC_NAME_COPIES

# Cursor names in sync_cursors: when the last full listing ran; the point the snapshot is
# complete through (SmugMug's time when the last complete listing began, or the newest
# LastUpdated listed if later), where the next sorted listing stops, less the lag.
FULL_LISTING = "full_listing"
NEWEST_CHANGE = "newest_change"
# A listing sorted by LastUpdated stops this long before that point: SmugMug's search index
# may show a change late.
LISTING_LAG = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class AlbumWork:
    album_key: str
    reasons: tuple[str, ...]


def decision_inputs(settings: Settings, threshold: int | None = None) -> str:
    """The settings an album's decision depends on, as one comparable string: the drift
    threshold (``threshold`` overrides the setting), the time zone, the naming standard and
    its template. Changing any of them puts every album back in the next run's work."""
    used = settings.drift_threshold if threshold is None else threshold
    template = f";template={settings.naming_template}" if settings.naming_template else ""
    return (
        f"threshold={used};timezone={settings.timezone};"
        f"standard={settings.naming_standard or 'seed'}{template}"
    )


# Rows disagreeing with SmugMug: read from the (album_key, album_name) index, one pass.
_WORK = sa.text(
    """
    WITH disagree AS (
        SELECT DISTINCT p.album_key
        FROM photo_metadata p JOIN smugmug_albums s ON s.album_key = p.album_key
        WHERE p.album_key IS NOT NULL AND s.gone_at IS NULL
          AND p.album_name IS DISTINCT FROM s.name
    ),
    pending AS (
        SELECT DISTINCT album_key FROM album_name_changes
        WHERE status = ANY(CAST(:open_states AS text[]))
    ),
    compared AS (
        SELECT s.album_key,
               st.album_key IS NULL AS never_synced,
               (s.last_updated, s.name) IS DISTINCT FROM (st.last_updated, st.name)
                   AS smugmug_changed,
               (s.images_last_updated, s.image_count)
                   IS DISTINCT FROM (st.images_last_updated, st.image_count) AS images_changed,
               e.updated_at IS DISTINCT FROM st.enrichment_updated_at AS enrichment_changed,
               (l.album_key IS NOT NULL) IS DISTINCT FROM st.locked AS lock_changed,
               st.decided_with IS DISTINCT FROM :decided_with AS settings_changed,
               pe.album_key IS NOT NULL AS pending,
               d.album_key IS NOT NULL AS rows_disagree
        FROM smugmug_albums s
        LEFT JOIN album_sync_state st ON st.album_key = s.album_key
        LEFT JOIN album_enrichment e ON e.album_key = s.album_key
        LEFT JOIN album_locks l ON l.album_key = s.album_key
        LEFT JOIN pending pe ON pe.album_key = s.album_key
        LEFT JOIN disagree d ON d.album_key = s.album_key
        WHERE s.gone_at IS NULL {filter}
    )
    SELECT album_key, {reasons} AS reasons FROM compared
    WHERE never_synced OR smugmug_changed OR images_changed OR enrichment_changed
       OR lock_changed OR settings_changed OR pending OR rows_disagree
    ORDER BY album_key
    """
)

_REASONS = (
    ("never_synced", NEVER_SYNCED),
    ("smugmug_changed", SMUGMUG_CHANGED),
    ("images_changed", IMAGES_CHANGED),
    ("enrichment_changed", ENRICHMENT_CHANGED),
    ("lock_changed", LOCK_CHANGED),
    ("settings_changed", SETTINGS_CHANGED),
    ("pending", PENDING_RENAME),
    ("rows_disagree", ROWS_DISAGREE),
)
# An album's reasons come back as one integer, a bit per reason: two columns a row, not
# nine (a first run's plan holds a row per album of the account).
_REASON_BITS = " + ".join(f"{column}::int * {1 << bit}" for bit, (column, _) in enumerate(_REASONS))


@cache  # one tuple per combination of reasons, shared by the albums that have it
def _reasons_of(bits: int) -> tuple[str, ...]:
    return tuple(text for bit, (_, text) in enumerate(_REASONS) if bits & (1 << bit))


def albums_to_sync(
    engine: Engine, decided_with: str, album_keys: Iterable[str] | None = None
) -> list[AlbumWork]:
    """Albums SmugMug still has (all, or those given) where something moved, with why."""
    params: dict[str, object] = {
        "decided_with": decided_with,
        "open_states": [str(state) for state in OPEN],
    }
    where = ""
    if album_keys is not None:
        where = "AND s.album_key = ANY(CAST(:keys AS text[]))"
        params["keys"] = list(album_keys)
    query = _WORK.text.format(filter=where, reasons=_REASON_BITS)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(query), params)
        reasons = {key: _reasons_of(bits) for key, bits in rows}
        keys = None if album_keys is None else list(album_keys)
        for key in sorted(disagreeing_copies(conn, keys)):
            reasons[key] = (*reasons.get(key, ()), COPIES_DISAGREE)
    return [AlbumWork(key, why) for key, why in reasons.items()]


def enrichment_versions(engine: Engine, album_keys: Sequence[str]) -> dict[str, datetime]:
    """``album_enrichment.updated_at`` of the albums that have enrichment."""
    with engine.connect() as conn:
        return {
            r.album_key: r.updated_at
            for r in conn.execute(
                sa.select(album_enrichment.c.album_key, album_enrichment.c.updated_at).where(
                    any_of(album_enrichment.c.album_key, album_keys)
                )
            )
        }


def images_current(engine: Engine, albums: Iterable[Album]) -> set[str]:
    """Keys of the albums whose stored images were read at their current ImagesLastUpdated."""
    listed = {a.album_key: a for a in albums if a.images_last_updated is not None}
    if not listed:
        return set()
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                album_sync_state.c.album_key,
                album_sync_state.c.images_last_updated,
                album_sync_state.c.image_count,
            ).where(any_of(album_sync_state.c.album_key, listed))
        )
        return {
            r.album_key
            for r in rows
            if r.images_last_updated == listed[r.album_key].images_last_updated
            and r.image_count == listed[r.album_key].image_count
        }


_IMAGES_READ = sa.text(
    """
    INSERT INTO album_sync_state AS st (album_key, images_last_updated, image_count,
                                        images_read_at)
    SELECT album_key, images_last_updated, image_count, now()
    FROM unnest(CAST(:keys AS text[]), CAST(:images_last_updated AS timestamptz[]),
                CAST(:image_counts AS integer[])) AS r(album_key, images_last_updated, image_count)
    ON CONFLICT (album_key) DO UPDATE SET
        images_last_updated = excluded.images_last_updated, image_count = excluded.image_count,
        images_read_at = excluded.images_read_at
    WHERE (st.images_last_updated, st.image_count)
          IS DISTINCT FROM (excluded.images_last_updated, excluded.image_count)
    """
)


def record_images_read(conn: Connection, albums: Iterable[Album]) -> None:
    """Note the ImagesLastUpdated and ImageCount at which these albums' images were read."""
    for chunk in chunks(list({a.album_key: a for a in albums}.values())):
        conn.execute(
            _IMAGES_READ,
            {
                "keys": [a.album_key for a in chunk],
                "images_last_updated": [a.images_last_updated for a in chunk],
                "image_counts": [a.image_count for a in chunk],
            },
        )


_SYNCED = sa.text(
    """
    INSERT INTO album_sync_state AS st (album_key, last_updated, name, enrichment_updated_at,
                                        locked, decided_with, synced_at)
    SELECT s.album_key, s.last_updated, s.name, w.enrichment_updated_at,
           EXISTS (SELECT 1 FROM album_locks l WHERE l.album_key = s.album_key),
           :decided_with, now()
    FROM unnest(CAST(:keys AS text[]), CAST(:enriched AS timestamptz[]))
         AS w(album_key, enrichment_updated_at)
    JOIN smugmug_albums s ON s.album_key = w.album_key
    ON CONFLICT (album_key) DO UPDATE SET
        last_updated = excluded.last_updated, name = excluded.name,
        enrichment_updated_at = excluded.enrichment_updated_at, locked = excluded.locked,
        decided_with = excluded.decided_with, synced_at = excluded.synced_at
    WHERE (st.last_updated, st.name, st.enrichment_updated_at, st.locked, st.decided_with)
          IS DISTINCT FROM (excluded.last_updated, excluded.name,
                            excluded.enrichment_updated_at, excluded.locked,
                            excluded.decided_with)
    """
)


def record_synced(
    engine: Engine,
    album_keys: Sequence[str],
    enrichment_at: Mapping[str, datetime],
    decided_with: str,
) -> None:
    """Note what the finished sync of these albums saw (SmugMug's record as now stored).

    ``enrichment_at`` holds the enrichment versions read before the albums were named, so
    enrichment written during the run is seen by the next one.
    """
    with engine.begin() as conn:
        for chunk in chunks(sorted(set(album_keys))):
            conn.execute(
                _SYNCED,
                {
                    "keys": list(chunk),
                    "enriched": [enrichment_at.get(k) for k in chunk],
                    "decided_with": decided_with,
                },
            )


def newest_known_change(conn: Connection) -> datetime | None:
    """The newest ``LastUpdated`` of the snapshot (where a first sorted listing may stop)."""
    return conn.execute(sa.text("SELECT max(last_updated) FROM smugmug_albums")).scalar()


def advance_newest_change(conn: Connection, listed: datetime | None) -> datetime | None:
    """Move the newest-change cursor to ``listed`` (the newest ``LastUpdated`` a listing
    showed), never back; returns the cursor's position."""
    current = conn.execute(
        sa.select(sync_cursors.c.position).where(sync_cursors.c.name == NEWEST_CHANGE)
    ).scalar()
    newest = max((t for t in (listed, current) if t is not None), default=None)
    if newest is not None and newest != current:
        write_cursor(conn, NEWEST_CHANGE, newest)
    return newest


def read_cursor(engine: Engine, name: str) -> tuple[datetime | None, datetime] | None:
    """``(position, ran_at)`` of a cursor, or None when it was never written."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(sync_cursors.c.position, sync_cursors.c.ran_at).where(
                sync_cursors.c.name == name
            )
        ).first()
    return None if row is None else (row.position, row.ran_at)


def write_cursor(conn: Connection, name: str, position: datetime | None = None) -> None:
    """Set a cursor's position and the time it ran."""
    conn.execute(
        sa.text(
            "INSERT INTO sync_cursors (name, position, ran_at) VALUES (:n, :p, now())"
            " ON CONFLICT (name) DO UPDATE SET position = excluded.position, ran_at = now()"
        ),
        {"n": name, "p": position},
    )
