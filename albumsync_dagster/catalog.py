"""Snapshot of the SmugMug account's albums in ``smugmug_albums``: new, known and gone."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection, Engine

from albumsync_dagster.connection_loss import retry_on_connection_loss
from albumsync_dagster.schema import smugmug_albums
from albumsync_dagster.smugmug import Album, SmugMugClient


@dataclass(frozen=True)
class CatalogSnapshot:
    albums: list[Album]
    new_keys: list[str]  # not in the snapshot before (or back after being gone)
    gone_keys: list[str]  # in the snapshot before, no longer on SmugMug
    known_keys: list[str]  # every album key SmugMug lists now


def store_albums(conn: Connection, albums: Iterable[Album]) -> None:
    """Upsert albums into the snapshot (one statement), clearing any ``gone_at``."""
    rows = [
        {
            "album_key": a.album_key,
            "name": a.name,
            "url_name": a.url_name,
            "image_count": a.image_count,
            "album_date": a.date,
            "last_updated": a.last_updated,
            "images_last_updated": a.images_last_updated,
            "seen_at": sa.func.now(),
            "gone_at": None,
        }
        for a in albums
    ]
    if not rows:
        return
    stmt = insert(smugmug_albums).values(rows)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[smugmug_albums.c.album_key],
            set_={
                c: stmt.excluded[c]
                for c in (
                    "name",
                    "url_name",
                    "image_count",
                    "album_date",
                    "last_updated",
                    "images_last_updated",
                    "seen_at",
                    "gone_at",
                )
            },
        )
    )


def mark_gone(conn: Connection, album_keys: Iterable[str]) -> None:
    conn.execute(
        sa.update(smugmug_albums)
        .where(smugmug_albums.c.album_key.in_(list(album_keys)))
        .where(smugmug_albums.c.gone_at.is_(None))
        .values(gone_at=sa.func.now())
    )


def smugmug_names(engine: Engine, album_keys: Iterable[str] | None = None) -> dict[str, str]:
    """Names from the SmugMug snapshot, for albums SmugMug still has (all, or those given)."""
    query = sa.select(smugmug_albums.c.album_key, smugmug_albums.c.name).where(
        smugmug_albums.c.gone_at.is_(None)
    )
    if album_keys is not None:
        query = query.where(smugmug_albums.c.album_key.in_(list(album_keys)))
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
        return new, gone

    # One transaction: a connection lost in it loses nothing, so it is simply tried again.
    new, gone = retry_on_connection_loss(store, what="storing the SmugMug catalog")
    return CatalogSnapshot(albums=albums, new_keys=new, gone_keys=gone, known_keys=sorted(listed))
