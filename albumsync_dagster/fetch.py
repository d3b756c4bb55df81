"""Step 1 of the workflow: albums and their images' capture times from SmugMug into the snapshot.

:func:`fetch_albums` re-reads an album's images only when SmugMug says they moved, stores
them by difference (:func:`store_images`) and marks the albums SmugMug no longer has as gone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from albumsync_dagster.catalog import mark_gone, store_albums
from albumsync_dagster.connection_loss import database_failure, retry_on_connection_loss
from albumsync_dagster.decisions import decision, record_decisions_safely
from albumsync_dagster.incremental import images_current, record_images_read
from albumsync_dagster.outcomes import FAILED, FetchOutcome
from albumsync_dagster.schema import smugmug_images
from albumsync_dagster.smugmug import (
    Album,
    AlbumImage,
    SmugMugClient,
    SmugMugError,
    SmugMugNotFound,
)
from albumsync_dagster.sql_arrays import CHUNK_ROWS, any_of

T = TypeVar("T")


def fetch_albums(
    engine: Engine,
    client: SmugMugClient,
    album_keys: Sequence[str],
    *,
    known: Mapping[str, Album] | None = None,
    reread_images: bool = False,
    max_concurrency: int = 1,
) -> FetchOutcome:
    """Fetch each album (unless ``known`` has it) and its images; store them in the snapshot.

    An album's images are listed only when its ImagesLastUpdated or ImageCount moved since
    they were last read (or ``reread_images``): 1 + ceil(n / page size) requests for an
    album of n images, none for a known album whose images did not move or that SmugMug
    counts no image in. Albums are fetched
    ``max_concurrency`` at a time, under the client's rate limit. An album SmugMug no longer
    has is marked gone and reported.
    """
    given = known or {}
    errors: dict[str, str] = {}
    gone: list[str] = []

    def failed(key: str, exc: SmugMugError) -> None:
        if isinstance(exc, SmugMugNotFound):
            gone.append(key)
            errors[key] = f"album {key}: not found on SmugMug (deleted?)"
        else:
            errors[key] = f"album {key}: fetching from SmugMug failed: {exc}"

    albums: dict[str, Album] = {}
    records = each_album(
        [k for k in album_keys if k not in given], client.get_album, max_concurrency
    )
    for key in album_keys:
        record = given.get(key) or records.get(key)
        if isinstance(record, SmugMugError):
            failed(key, record)
        elif record is not None:
            albums[key] = record
    current = set() if reread_images else images_current(engine, albums.values())
    # An album SmugMug counts no image in has nothing to list: its stored images go.
    images: dict[str, list[AlbumImage]] = {
        k: [] for k, a in albums.items() if k not in current and a.image_count == 0
    }
    listings = each_album(
        [k for k in albums if k not in current and k not in images],
        client.list_album_images,
        max_concurrency,
    )
    for key, listing in listings.items():
        if isinstance(listing, SmugMugError):
            failed(key, listing)
            del albums[key]
        else:
            images[key] = listing
    try:
        retry_on_connection_loss(
            lambda: _store_snapshot(engine, albums, images, gone),
            what="storing the SmugMug snapshot",
        )
    except sa.exc.DBAPIError:
        # One album's rows (or a connection that keeps dying on them) broke the batch: store
        # album by album, so the others go on and only that album fails.
        for key in list(albums):
            try:
                retry_on_connection_loss(
                    lambda key=key: _store_snapshot(  # type: ignore[misc]
                        engine,
                        {key: albums[key]},
                        {key: images[key]} if key in images else {},
                        [],
                    ),
                    what=f"album {key}: storing the SmugMug snapshot",
                )
            except sa.exc.DBAPIError as exc:
                errors[key] = database_failure(exc, f"album {key}: storing the SmugMug snapshot")
                del albums[key]
                images.pop(key, None)
        if gone:
            retry_on_connection_loss(
                lambda: _store_snapshot(engine, {}, {}, gone), what="marking albums gone"
            )
    refused = {k: e for k, e in errors.items() if k not in gone}
    if refused:
        # Recorded even in a dry run: the report must say the album could not be fetched.
        record_decisions_safely(
            engine,
            [
                decision(
                    key,
                    FAILED,
                    error,
                    current_name=None,
                    canonical_name=None,
                    drift_score=None,
                    threshold=None,
                )
                for key, error in refused.items()
            ],
            decided_by="albumsync",
        )
    counts = {k: len(v) for k, v in images.items()}
    counts.update(stored_image_counts(engine, [k for k in albums if k not in images]))
    return FetchOutcome(
        albums=albums,
        image_counts={k: counts.get(k, 0) for k in albums},
        errors=errors,
        gone=gone,
        images_read=sorted(images),
    )


def _store_snapshot(
    engine: Engine,
    albums: Mapping[str, Album],
    images: Mapping[str, list[AlbumImage]],
    gone: Sequence[str],
) -> None:
    """Albums, their images (by difference) and the gone albums, in one transaction."""
    with engine.begin() as conn:
        store_albums(conn, albums.values())
        if gone:
            mark_gone(conn, gone)
        store_images(conn, images)
        record_images_read(conn, [albums[k] for k in images if k in albums])


def each_album(
    album_keys: Sequence[str], fetch: Callable[[str], T], max_concurrency: int
) -> dict[str, T | SmugMugError]:
    """``fetch(key)`` for every album, ``max_concurrency`` at a time; SmugMug's errors kept.

    Any other error (a bad key, the database holding the shared rate limit) is raised.
    """

    def one(key: str) -> T | SmugMugError:
        try:
            return fetch(key)
        except SmugMugError as exc:
            return exc

    if max_concurrency <= 1 or len(album_keys) <= 1:
        return {key: one(key) for key in album_keys}
    with ThreadPoolExecutor(
        max_workers=min(max_concurrency, len(album_keys)), thread_name_prefix="smugmug"
    ) as pool:
        return dict(zip(album_keys, pool.map(one, album_keys), strict=True))


def stored_image_counts(engine: Engine, album_keys: Sequence[str]) -> dict[str, int]:
    """Images held in the snapshot per album (of those given)."""
    if not album_keys:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(smugmug_images.c.album_key, sa.func.count())
            .where(any_of(smugmug_images.c.album_key, album_keys))
            .group_by(smugmug_images.c.album_key)
        )
        return {key: int(n) for key, n in rows}


# One album's listing replaces its stored images by difference: images gone are deleted,
# new or changed ones upserted, unchanged ones left alone (no dead tuples, no WAL).
# The DELETE and the INSERT see the same snapshot and touch disjoint rows.
_STORE_IMAGES = sa.text(
    """
    WITH listed AS (
        SELECT * FROM unnest(CAST(:album_keys AS text[]), CAST(:image_keys AS text[]),
                             CAST(:times AS timestamptz[]), CAST(:origins AS text[]))
             AS l(album_key, image_key, date_time_original, origin)
    ),
    removed AS (
        DELETE FROM smugmug_images s
        WHERE s.album_key = ANY(CAST(:albums AS text[]))
          AND NOT EXISTS (SELECT 1 FROM listed l
                          WHERE l.album_key = s.album_key AND l.image_key = s.image_key)
        RETURNING 1
    ),
    written AS (
        INSERT INTO smugmug_images AS s (album_key, image_key, date_time_original, origin)
        SELECT album_key, image_key, date_time_original, origin FROM listed
        ON CONFLICT (album_key, image_key) DO UPDATE
            SET date_time_original = excluded.date_time_original, origin = excluded.origin,
                fetched_at = now()
            WHERE (s.date_time_original, s.origin)
                  IS DISTINCT FROM (excluded.date_time_original, excluded.origin)
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM removed) AS removed, (SELECT count(*) FROM written) AS written
    """
)


def store_images(conn: sa.Connection, images: Mapping[str, Sequence[AlbumImage]]) -> int:
    """Bring the stored images of each album to its listing; returns the rows written.

    Albums are sent whole, several per statement up to about ``CHUNK_ROWS`` images (an
    album bigger than that goes alone): one array per column, never a parameter per image.
    """
    written = 0
    group: list[str] = []
    size = 0

    def flush() -> int:
        rows = [
            (key, image)
            for key in group
            for image in {i.image_key: i for i in images[key]}.values()
        ]
        result = conn.execute(
            _STORE_IMAGES,
            {
                "albums": list(group),
                "album_keys": [k for k, _ in rows],
                "image_keys": [i.image_key for _, i in rows],
                "times": [i.date_time_original for _, i in rows],
                "origins": [i.origin for _, i in rows],
            },
        ).one()
        return int(result.removed) + int(result.written)

    for key in images:
        if group and size + len(images[key]) > CHUNK_ROWS:
            written += flush()
            group, size = [], 0
        group.append(key)
        size += len(images[key])
    if group:
        written += flush()
    return written
