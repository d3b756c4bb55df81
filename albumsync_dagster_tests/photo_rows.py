"""Test data: photo rows inserted straight into the real photo_metadata table, and a database
fault that refuses their updates."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from albumsync_dagster.emulator.demo_account import PHOTO_URL
from albumsync_dagster.schema import photo_metadata


def photo_row(
    image_key: str, album_key: str | None, album_name: str | None, **fields: Any
) -> dict[str, Any]:
    """A photo_metadata row as the enrichment pipeline writes it (the large photo's URL);
    ``fields`` adds or overrides columns."""
    return {
        "photo_id": uuid.uuid4(),
        "image_key": image_key,
        "album_key": album_key,
        "album_name": album_name,
        "imageurl": PHOTO_URL.format(key=image_key, size="L"),
        **fields,
    }


def insert_photos(
    engine: Engine,
    album_key: str | None,
    name: str | None,
    count: int,
    *,
    prefix: str | None = None,
    updated_at: datetime | None = None,
) -> list[str]:
    """Insert ``count`` rows for one album; returns their image keys."""
    prefix = prefix or f"{album_key or 'nokey'}-{uuid.uuid4().hex[:6]}"
    keys = [f"{prefix}-{i:05d}" for i in range(count)]
    stamp = updated_at or datetime(2024, 1, 1)
    with engine.begin() as conn:
        conn.execute(
            photo_metadata.insert(),
            [
                photo_row(
                    key,
                    album_key,
                    name,
                    thumbnailurl=None,
                    sport_type="soccer",
                    photo_date=datetime(2024, 5, 30, 19) + timedelta(seconds=i),
                    updated_at=stamp,
                )
                for i, key in enumerate(keys)
            ],
        )
    return keys


def names_of(engine: Engine, album_key: str) -> dict[str | None, int]:
    """How many rows of the album carry each name."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(photo_metadata.c.album_name, sa.func.count())
            .where(photo_metadata.c.album_key == album_key)
            .group_by(photo_metadata.c.album_name)
        )
        return {name: int(n) for name, n in rows}


def audit_rows(engine: Engine, album_key: str | None = None) -> list[sa.Row]:
    query = "SELECT * FROM album_name_changes"
    params: dict[str, object] = {}
    if album_key:
        query += " WHERE album_key = :k"
        params["k"] = album_key
    with engine.connect() as conn:
        return list(conn.execute(sa.text(query + " ORDER BY id"), params))


def recheck_window_passes(engine: Engine, album_key: str) -> None:
    """Time passes: the re-check window of the album's unknown renames is over."""
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE album_name_changes SET recheck_until = now() - interval '1 second'"
                " WHERE album_key = :k AND status = 'unknown'"
            ),
            {"k": album_key},
        )


def updated_at_of(engine: Engine, image_keys: Iterable[str]) -> dict[str, datetime]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(photo_metadata.c.image_key, photo_metadata.c.updated_at).where(
                photo_metadata.c.image_key.in_(list(image_keys))
            )
        )
        return {key: stamp for key, stamp in rows}


@contextmanager
def updates_refused(engine: Engine, album_key: str) -> Iterator[None]:
    """While inside, PostgreSQL refuses every update of ``album_key``'s photo rows (a trigger
    raising, as a lost or failing database would): fault injection in the database."""
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE OR REPLACE FUNCTION refuse_rows() RETURNS trigger LANGUAGE plpgsql AS $$"
                f" BEGIN IF NEW.album_key = '{album_key}' THEN"
                " RAISE EXCEPTION 'injected fault: photo_metadata unavailable'; END IF;"
                " RETURN NEW; END $$;"
                "CREATE TRIGGER refuse_rows BEFORE UPDATE ON photo_metadata"
                " FOR EACH ROW EXECUTE FUNCTION refuse_rows()"
            )
        )
    try:
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TRIGGER IF EXISTS refuse_rows ON photo_metadata"))
            conn.execute(sa.text("DROP FUNCTION IF EXISTS refuse_rows()"))
