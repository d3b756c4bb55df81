"""Snapshot of the SmugMug account's albums in ``smugmug_albums``: new, known and gone."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from albumsync_dagster.connection_loss import retry_on_connection_loss
from albumsync_dagster.incremental import FULL_LISTING, advance_newest_change, write_cursor
from albumsync_dagster.schema import smugmug_albums
from albumsync_dagster.smugmug import Album, SmugMugClient
from albumsync_dagster.sql_arrays import any_of, chunks


@dataclass(frozen=True)
class CatalogSnapshot:
    albums: list[Album]
    new_keys: list[str]  # not in the snapshot before (or back after being gone)
    gone_keys: list[str]  # in the snapshot before, no longer on SmugMug
    known_keys: list[str]  # every album key SmugMug lists now


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


def refresh_catalog(
    engine: Engine, client: SmugMugClient, nickname: str | None = None
) -> CatalogSnapshot:
    """List every album of the account and store the snapshot; report new and gone keys."""
    albums = client.list_user_albums(nickname)
    listed = {a.album_key for a in albums}

    def store() -> tuple[list[str], list[str]]:
        with engine.begin() as conn:
            before = {
                row.album_key: row.gone_at
                for row in conn.execute(
                    sa.select(smugmug_albums.c.album_key, smugmug_albums.c.gone_at)
                )
            }
            new = sorted(k for k in listed if k not in before or before[k] is not None)
            gone = sorted(k for k, gone_at in before.items() if gone_at is None and k not in listed)
            store_albums(conn, albums)
            if gone:
                mark_gone(conn, gone)
            write_cursor(conn, FULL_LISTING)
            advance_newest_change(conn, albums)
        return new, gone

    # One transaction: a connection lost in it loses nothing, so it is simply tried again.
    new, gone = retry_on_connection_loss(store, what="storing the SmugMug catalog")
    return CatalogSnapshot(albums=albums, new_keys=new, gone_keys=gone, known_keys=sorted(listed))


def refresh_changed(engine: Engine, client: SmugMugClient, since: datetime) -> CatalogSnapshot:
    """List the albums whose ``LastUpdated`` is ``since`` or later (newest first, stopping
    there: ceil((n + 1) / 100) requests for n albums) and store them; report the new ones.

    Deletions and uploads (which move ``ImagesLastUpdated``, not ``LastUpdated``) are not
    seen: the full listing finds them. ``known_keys`` holds only the albums listed.
    """
    albums = list(client.iter_albums_changed_since(since))
    listed = {a.album_key for a in albums}

    def store() -> dict[str, datetime | None]:
        with engine.begin() as conn:
            before = {
                row.album_key: row.gone_at
                for row in conn.execute(
                    sa.select(smugmug_albums.c.album_key, smugmug_albums.c.gone_at).where(
                        any_of(smugmug_albums.c.album_key, listed)
                    )
                )
            }
            store_albums(conn, albums)
            advance_newest_change(conn, albums)
        return before

    # One transaction: a connection lost in it loses nothing, so it is simply tried again.
    before = retry_on_connection_loss(store, what="storing the SmugMug catalog")
    new = sorted(k for k in listed if k not in before or before[k] is not None)
    return CatalogSnapshot(albums=albums, new_keys=new, gone_keys=[], known_keys=sorted(listed))


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
