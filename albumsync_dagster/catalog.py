"""Snapshot of the SmugMug account's albums in ``smugmug_albums``: new, known and gone."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from albumsync_dagster.connection_loss import retry_on_connection_loss
from albumsync_dagster.incremental import FULL_LISTING, advance_newest_change, write_cursor
from albumsync_dagster.schema import smugmug_albums
from albumsync_dagster.smugmug import Album, SmugMugClient, SmugMugError
from albumsync_dagster.sql_arrays import any_of, chunks

# Albums stored per transaction while a listing arrives (ten pages of SmugMug's 100).
LISTING_PART = 1_000
# Snapshot keys read per query when looking for albums gone from SmugMug.
KEYS_PER_READ = 10_000


@dataclass(frozen=True)
class CatalogSnapshot:
    """What a listing found and stored. The albums themselves are in ``smugmug_albums``: a
    listing is stored as it arrives, never held whole (:func:`listed_album_keys` reads them)."""

    listed: int  # albums SmugMug listed (each once)
    image_count: int  # photos they hold (SmugMug's ImageCount)
    new_keys: list[str]  # not in the snapshot before (or back after being gone)
    gone_keys: list[str]  # in the snapshot before, no longer on SmugMug (full listing only)
    # Where a later sorted listing may stop (less the lag): SmugMug's time when this listing
    # began, or the newest LastUpdated it listed if later (see :func:`_Listing.through`).
    listed_through: datetime | None


# Upserts a chunk of albums given as one array per column. Only albums whose record differs
# are written: a daily listing of an unchanged account writes nothing.
_STORE_ALBUMS = sa.text(
    """
    INSERT INTO smugmug_albums AS s (album_key, name, url_name, image_count, album_date,
                                     last_updated, images_last_updated, seen_at, gone_at)
    SELECT a.album_key, a.name, a.url_name, a.image_count, a.album_date, a.last_updated,
           a.images_last_updated, now(), NULL
    FROM unnest(CAST(:keys AS text[]), CAST(:names AS text[]), CAST(:url_names AS text[]),
                CAST(:image_counts AS integer[]), CAST(:dates AS timestamptz[]),
                CAST(:last_updated AS timestamptz[]), CAST(:images_last_updated AS timestamptz[]))
         AS a(album_key, name, url_name, image_count, album_date, last_updated,
              images_last_updated)
    ON CONFLICT (album_key) DO UPDATE SET
        name = excluded.name, url_name = excluded.url_name, image_count = excluded.image_count,
        album_date = excluded.album_date, last_updated = excluded.last_updated,
        images_last_updated = excluded.images_last_updated, seen_at = excluded.seen_at,
        gone_at = NULL
    WHERE (s.name, s.url_name, s.image_count, s.album_date, s.last_updated,
           s.images_last_updated, s.gone_at)
          IS DISTINCT FROM (excluded.name, excluded.url_name, excluded.image_count,
                            excluded.album_date, excluded.last_updated,
                            excluded.images_last_updated, NULL)
    RETURNING s.album_key
    """
)


def store_albums(conn: Connection, albums: Iterable[Album]) -> list[str]:
    """Upsert albums into the snapshot, clearing any ``gone_at``; returns the keys written.

    Albums whose record is unchanged are not written. An album listed twice (SmugMug's pages
    shift while an account changes) counts once, its last listing winning.
    """
    unique = list({a.album_key: a for a in albums}.values())
    written: list[str] = []
    for chunk in chunks(unique):
        written.extend(
            conn.execute(
                _STORE_ALBUMS,
                {
                    "keys": [a.album_key for a in chunk],
                    "names": [a.name for a in chunk],
                    "url_names": [a.url_name for a in chunk],
                    "image_counts": [a.image_count for a in chunk],
                    "dates": [a.date for a in chunk],
                    "last_updated": [a.last_updated for a in chunk],
                    "images_last_updated": [a.images_last_updated for a in chunk],
                },
            ).scalars()
        )
    return written


def mark_gone(conn: Connection, album_keys: Iterable[str]) -> None:
    conn.execute(
        sa.update(smugmug_albums)
        .where(any_of(smugmug_albums.c.album_key, album_keys))
        .where(smugmug_albums.c.gone_at.is_(None))
        .values(gone_at=sa.func.now())
    )


def smugmug_names(engine: Engine, album_keys: Iterable[str] | None = None) -> dict[str, str]:
    """Names from the SmugMug snapshot, for albums SmugMug still has (all, or those given)."""
    query = sa.select(smugmug_albums.c.album_key, smugmug_albums.c.name).where(
        smugmug_albums.c.gone_at.is_(None)
    )
    if album_keys is not None:
        query = query.where(any_of(smugmug_albums.c.album_key, album_keys))
    with engine.connect() as conn:
        return {r.album_key: r.name for r in conn.execute(query)}


# Of the keys given, those the snapshot does not hold as an album SmugMug has.
_NOT_HELD = sa.text(
    """
    SELECT k FROM unnest(CAST(:keys AS text[])) AS k
    WHERE NOT EXISTS (
        SELECT 1 FROM smugmug_albums s WHERE s.album_key = k AND s.gone_at IS NULL
    )
    """
)


def _store_page(engine: Engine, albums: list[Album]) -> list[str]:
    """Store one part of a listing in its own transaction; returns the keys new to the
    snapshot (never stored, or back after being gone)."""

    def store() -> list[str]:
        with engine.begin() as conn:
            new = list(conn.execute(_NOT_HELD, {"keys": [a.album_key for a in albums]}).scalars())
            store_albums(conn, albums)
        return new

    # One transaction: a connection lost in it loses nothing, so it is simply tried again.
    return retry_on_connection_loss(store, what="storing the SmugMug catalog")


@dataclass
class _Listing:
    """What a listing stored so far: counts, new keys, the newest LastUpdated, and SmugMug's
    time at its first page."""

    listed: set[str] = field(default_factory=set)
    image_count: int = 0
    new_keys: set[str] = field(default_factory=set)
    newest_change: datetime | None = None
    began: datetime | None = None

    @property
    def through(self) -> datetime | None:
        """The time a complete listing has seen every change up to (less the lag).

        A change made before the first page was read shows in it (the index may lag: hence
        :data:`~albumsync_dagster.incremental.LISTING_LAG`), one made while the listing ran
        may not, but is newer than that time and so is read by the next listing. SmugMug's
        own clock (the ``Date`` of the first page) rather than ours: no skew to allow for.
        Without a ``Date``, the newest ``LastUpdated`` listed.
        """
        known = [t for t in (self.newest_change, self.began) if t is not None]
        return max(known, default=None)

    def snapshot(self, gone_keys: list[str]) -> CatalogSnapshot:
        return CatalogSnapshot(
            listed=len(self.listed),
            image_count=self.image_count,
            new_keys=sorted(self.new_keys),
            gone_keys=gone_keys,
            listed_through=self.through,
        )


def _store_listing(engine: Engine, client: SmugMugClient, albums: Iterable[Album]) -> _Listing:
    """Store a listing as it arrives, :data:`LISTING_PART` albums a transaction, holding
    only the keys seen (not the albums), and what it stored when SmugMug fails part way."""
    seen = _Listing()
    part: list[Album] = []

    def flush() -> None:
        seen.new_keys.update(_store_page(engine, part))
        part.clear()

    try:
        for album in albums:
            if seen.began is None:
                seen.began = client.server_time  # the first page's answer
            if album.album_key not in seen.listed:
                seen.listed.add(album.album_key)
                seen.image_count += album.image_count
            if album.last_updated is not None and (
                seen.newest_change is None or album.last_updated > seen.newest_change
            ):
                seen.newest_change = album.last_updated
            part.append(album)
            if len(part) >= LISTING_PART:
                flush()
    except SmugMugError:
        # A listing cut short stores what it saw (the next run starts from it), then fails.
        if part:
            flush()
        raise
    if part:
        flush()
    if seen.began is None:
        seen.began = client.server_time  # an empty listing: its one page's answer
    return seen


def refresh_catalog(
    engine: Engine, client: SmugMugClient, nickname: str | None = None
) -> CatalogSnapshot:
    """List every album of the account into the snapshot; report new and gone keys.

    The listing is stored as it arrives. Albums the snapshot holds and the listing did not
    show are marked gone, the ``full_listing`` cursor is written and the newest-change
    cursor moved, in one last transaction: a listing cut short (an error, a lost
    connection) stores what it saw and marks nothing gone.
    """
    seen = _store_listing(engine, client, client.iter_user_albums(nickname))

    def finish() -> list[str]:
        with engine.begin() as conn:
            gone = [k for k in _keys_not_gone(conn) if k not in seen.listed]
            if gone:
                mark_gone(conn, gone)
            write_cursor(conn, FULL_LISTING)
            advance_newest_change(conn, seen.through)
        return gone

    return seen.snapshot(retry_on_connection_loss(finish, what="storing the SmugMug catalog"))


def refresh_changed(engine: Engine, client: SmugMugClient, since: datetime) -> CatalogSnapshot:
    """List the albums whose ``LastUpdated`` is ``since`` or later (newest first, stopping
    there: ceil((n + 1) / 100) requests for n albums) and store them; report the new ones.

    Deletions and uploads (which move ``ImagesLastUpdated``, not ``LastUpdated``) are not
    seen: the full listing finds them.
    """
    seen = _store_listing(engine, client, client.iter_albums_changed_since(since))

    def finish() -> None:
        with engine.begin() as conn:
            advance_newest_change(conn, seen.through)

    retry_on_connection_loss(finish, what="storing the SmugMug catalog")
    return seen.snapshot(gone_keys=[])


def _keys_not_gone(conn: Connection) -> Iterator[str]:
    """Keys of the snapshot's albums not marked gone, in key order, read in parts."""
    key = smugmug_albums.c.album_key.collate("C")  # Python's order of strings
    after = ""
    while True:
        keys = list(
            conn.execute(
                sa.select(smugmug_albums.c.album_key)
                .where(smugmug_albums.c.gone_at.is_(None), key > after)
                .order_by(key)
                .limit(KEYS_PER_READ)
            ).scalars()
        )
        yield from keys
        if len(keys) < KEYS_PER_READ:
            return
        after = keys[-1]


def listed_album_keys(engine: Engine) -> list[str]:
    """Keys of the albums SmugMug had at the last listing (not gone), in key order."""
    with engine.connect() as conn:
        return list(_keys_not_gone(conn))


def in_partition_order(engine: Engine, album_keys: Iterable[str] | None = None) -> list[str]:
    """Keys of the snapshot's albums not gone (all, or those given), oldest first:
    SmugMug's creation date (albums without one first), then key. The order partitions
    are added in."""
    query = (
        sa.select(smugmug_albums.c.album_key)
        .where(smugmug_albums.c.gone_at.is_(None))
        .order_by(
            smugmug_albums.c.album_date.asc().nulls_first(),
            smugmug_albums.c.album_key.collate("C"),
        )
    )
    if album_keys is not None:
        query = query.where(any_of(smugmug_albums.c.album_key, album_keys))
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


def snapshot_albums(engine: Engine, album_keys: Iterable[str]) -> dict[str, Album]:
    """Albums as the snapshot holds them (those SmugMug still has, of the keys given)."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(smugmug_albums).where(
                any_of(smugmug_albums.c.album_key, album_keys), smugmug_albums.c.gone_at.is_(None)
            )
        )
        return {
            r.album_key: Album(
                album_key=r.album_key,
                name=r.name or "",
                url_name=r.url_name or "",
                date=r.album_date,
                last_updated=r.last_updated,
                images_last_updated=r.images_last_updated,
                image_count=r.image_count or 0,
            )
            for r in rows
        }
