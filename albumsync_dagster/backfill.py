"""Fill ``photo_metadata.album_key`` for rows that lack it, from SmugMug's album listings.

An image's home album is the one whose ``album!images`` listing shows it with an
``Origin`` other than ``Collected``; a photo URL never says (its ``i-XXXX`` segment is the
image key), so the account's albums are walked: ceil(A / 100) requests for the list of A
albums, then max(1, ceil(n / page size)) per album of n images; the walk stops early once
every wanted image has been placed, and makes no request at all when no row lacks a key.

Only ``album_key`` is written: SmugMug is the truth for names and bringing rows to the
album's name is ``album_sync``'s job (``albumsync sync``/``verify`` see the filled rows).
``fill_album_name=True`` also fills ``album_name`` where it is NULL, with SmugMug's name.
The write is one set-based ``UPDATE ... FROM unnest(...)`` that only touches rows whose
``album_key`` is still NULL, so a second run (or a concurrent one) fills nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from albumsync_dagster.schema import photo_metadata
from albumsync_dagster.smugmug import AlbumImage, SmugMugClient, SmugMugNotFound

logger = logging.getLogger("albumsync.backfill")

_FILL = sa.text(
    """
    UPDATE photo_metadata AS p
    SET album_key = f.album_key,
        album_name = CASE
            WHEN CAST(:fill_album_name AS boolean) AND p.album_name IS NULL THEN f.album_name
            ELSE p.album_name
        END,
        updated_at = now()
    FROM unnest(
        CAST(:image_keys AS text[]), CAST(:album_keys AS text[]), CAST(:album_names AS text[])
    ) AS f(image_key, album_key, album_name)
    WHERE p.image_key = f.image_key
      AND p.album_key IS NULL
    """
)


@dataclass(frozen=True)
class BackfillResult:
    """What a backfill found and wrote.

    ``filled``: rows given an album key (would be, under ``dry_run``).
    ``unknown_image_keys``: image keys no album of the account lists.
    ``collected_only_image_keys``: image keys the account only shows as collected from an
    album it does not own; left without a key, since their home album is elsewhere.
    ``albums_scanned``: albums whose images were listed. ``candidates``: rows that lacked
    an album key at the start. ``requests``: SmugMug requests made. ``vanished_album_keys``:
    albums deleted between the album list and their image listing (skipped; run again).
    """

    filled: int
    unknown_image_keys: list[str] = field(default_factory=list)
    albums_scanned: int = 0
    candidates: int = 0
    collected_only_image_keys: list[str] = field(default_factory=list)
    requests: int = 0
    dry_run: bool = False
    # image key -> album key found, for reports (only the rows that were to be filled).
    album_by_image: dict[str, str] = field(default_factory=dict)
    vanished_album_keys: list[str] = field(default_factory=list)


def image_keys_without_album_key(engine: Engine) -> set[str]:
    """Image keys of the photo rows whose ``album_key`` is NULL."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(photo_metadata.c.image_key).where(photo_metadata.c.album_key.is_(None))
        )
        return {key for (key,) in rows}


def backfill_album_keys(
    engine: Engine,
    client: SmugMugClient,
    *,
    nickname: str | None = None,
    fill_album_name: bool = False,
    dry_run: bool = False,
) -> BackfillResult:
    """Fill ``album_key`` of rows lacking one from each image's home album on SmugMug.

    ``nickname``: the account to walk (default: the client's). Nothing is asked of
    SmugMug when no row lacks a key. SmugMug errors propagate (typed, naming the album).
    """
    wanted = image_keys_without_album_key(engine)
    requests_before = client.request_count
    if not wanted:
        logger.info("backfill: every photo row already has an album key")
        return BackfillResult(filled=0, dry_run=dry_run)

    home: dict[str, tuple[str, str]] = {}  # image key -> (album key, album name)
    collected_in: dict[str, str] = {}  # image key -> an album that only collects it
    vanished: list[str] = []
    albums_scanned = 0
    for album in client.iter_user_albums(nickname):
        try:
            listing: list[AlbumImage] = client.list_album_images(album.album_key)
        except SmugMugNotFound:
            logger.warning("backfill: album %s vanished while scanning; skipped", album.album_key)
            vanished.append(album.album_key)
            continue
        albums_scanned += 1
        for image in listing:
            if image.image_key not in wanted:
                continue
            if image.is_collected:
                collected_in.setdefault(image.image_key, album.album_key)
                continue
            if image.image_key in home and home[image.image_key][0] != album.album_key:
                logger.warning(
                    "backfill: image %s is at home in albums %s and %s; keeping the first",
                    image.image_key,
                    home[image.image_key][0],
                    album.album_key,
                )
                continue
            home[image.image_key] = (album.album_key, album.name)
        if len(home) == len(wanted):
            break  # every wanted image is placed; the rest of the account cannot change that

    found = sorted(home)
    filled = len(found)
    if found and not dry_run:
        with engine.begin() as conn:
            result = conn.execute(
                _FILL,
                {
                    "image_keys": found,
                    "album_keys": [home[key][0] for key in found],
                    "album_names": [home[key][1] for key in found],
                    "fill_album_name": fill_album_name,
                },
            )
            filled = result.rowcount
    unknown = sorted(wanted - home.keys() - collected_in.keys())
    collected_only = sorted(collected_in.keys() - home.keys())
    outcome = BackfillResult(
        filled=filled,
        unknown_image_keys=unknown,
        albums_scanned=albums_scanned,
        candidates=len(wanted),
        collected_only_image_keys=collected_only,
        requests=client.request_count - requests_before,
        dry_run=dry_run,
        album_by_image={key: home[key][0] for key in found},
        vanished_album_keys=vanished,
    )
    logger.info(
        "backfill: %s %d of %d rows from %d albums (%d requests); %d image keys unknown to "
        "SmugMug, %d only collected",
        "would fill" if dry_run else "filled",
        outcome.filled,
        outcome.candidates,
        outcome.albums_scanned,
        outcome.requests,
        len(unknown),
        len(collected_only),
    )
    return outcome
