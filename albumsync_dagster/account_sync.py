"""``sync --all``: list the account, choose the albums to work on, sync them in batches.

By default only albums where something moved since their last sync are worked on
(:func:`albumsync_dagster.incremental.albums_to_sync`); ``full`` takes every album and reads
every album's images again.

Two listings find what moved on SmugMug. The full listing (``user!albums``, 100 albums a
page) shows every album's ``LastUpdated``, ``ImagesLastUpdated`` and ``ImageCount``: new
photos and deleted albums are seen only there. The sorted listing (``album!search`` by
``LastUpdated``, newest first) stops where the last complete listing began (SmugMug's time
then, from its ``Date``), less :data:`~albumsync_dagster.incremental.LISTING_LAG`: one page
on a quiet day, even after a burst of renames, but it sees only
edits (a rename moves ``LastUpdated``; an upload does not). A run takes the full listing when
the last one is ``ALBUMSYNC_FULL_LISTING_HOURS`` (23) old or more, otherwise the sorted one;
an account whose search fails falls back to the full listing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from albumsync_dagster.catalog import (
    CatalogSnapshot,
    listed_album_keys,
    refresh_catalog,
    refresh_changed,
    snapshot_albums,
)
from albumsync_dagster.incremental import (
    FULL_LISTING,
    LISTING_LAG,
    LOCK_CHANGED,
    NEVER_SYNCED,
    NEWEST_CHANGE,
    PENDING_RENAME,
    ROWS_DISAGREE,
    SMUGMUG_CHANGED,
    AlbumWork,
    albums_to_sync,
    decision_inputs,
    newest_known_change,
    read_cursor,
)
from albumsync_dagster.outcomes import AlbumOutcome, gone_outcome
from albumsync_dagster.schema import smugmug_albums
from albumsync_dagster.settings import Settings
from albumsync_dagster.smugmug import SmugMugClient, SmugMugError
from albumsync_dagster.smugmug.errors import SmugMugAuthError
from albumsync_dagster.sql_arrays import any_of
from albumsync_dagster.workflow import sync_albums

log = logging.getLogger("albumsync.account_sync")

FULL = "full"
CHANGED = "changed"

# What the change sensor acts on: what a sorted listing can reveal, and what needs no
# listing at all. New enrichment is enrichment_sensor's; new photos the daily run's.
SENSOR_REASONS = frozenset({SMUGMUG_CHANGED, ROWS_DISAGREE, PENDING_RENAME, LOCK_CHANGED})


@dataclass
class AccountSync:
    """What a ``sync --all`` did: the listing, albums chosen (and why), their outcomes."""

    listing: str = FULL
    listed: int = 0
    work: list[AlbumWork] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    outcomes: list[AlbumOutcome] = field(default_factory=list)


def full_listing_due(engine: Engine, settings: Settings, now: datetime | None = None) -> bool:
    """Whether the next listing must be the full one (never done, or old enough)."""
    last = read_cursor(engine, FULL_LISTING)
    newest = read_cursor(engine, NEWEST_CHANGE)
    if last is None or newest is None or newest[0] is None:
        return True
    now = now or datetime.now(UTC)
    return now - last[1] >= timedelta(hours=settings.full_listing_hours)


def list_account(
    engine: Engine, client: SmugMugClient, settings: Settings, *, full: bool
) -> tuple[str, CatalogSnapshot]:
    """The listing this run takes (full or sorted), stored in the snapshot."""
    if full or full_listing_due(engine, settings):
        return FULL, refresh_catalog(engine, client)
    newest = read_cursor(engine, NEWEST_CHANGE)
    assert newest is not None and newest[0] is not None  # full_listing_due said so
    try:
        return CHANGED, refresh_changed(engine, client, newest[0] - LISTING_LAG)
    except SmugMugAuthError:
        raise
    except SmugMugError as exc:
        log.warning("the sorted listing failed (%s); listing every album instead", exc)
        return FULL, refresh_catalog(engine, client)


def sync_account(
    engine: Engine,
    client: SmugMugClient,
    *,
    settings: Settings,
    dry_run: bool,
    full: bool = False,
    threshold: int | None = None,
    changed_by: str = "albumsync",
    source: str = "cli",
    on_planned: Callable[[AccountSync], None] | None = None,
    on_album: Callable[[AlbumOutcome], None] | None = None,
    keep_outcomes: bool = True,
    **batch_options: Any,
) -> AccountSync:
    """Sync the albums of the account that need it (all of them with ``full``);
    ``batch_options`` reach :func:`workflow.sync_albums` (the rename budget).

    ``keep_outcomes=False`` leaves :attr:`AccountSync.outcomes` empty: a caller that takes
    each outcome from ``on_album`` then holds nothing per album."""
    result = AccountSync()
    result.listing, catalog = list_account(engine, client, settings, full=full)
    result.listed = catalog.listed
    result.gone = list(catalog.gone_keys)
    if full:
        result.work = [AlbumWork(k, ("full run",)) for k in listed_album_keys(engine)]
    else:
        decided_with = decision_inputs(settings, threshold)
        result.work = albums_to_sync(engine, decided_with)
    if on_planned:
        on_planned(result)
    keys = [w.album_key for w in result.work]

    def report(outcome: AlbumOutcome) -> None:
        if keep_outcomes:
            result.outcomes.append(outcome)
        if on_album:
            on_album(outcome)

    for key in result.gone:
        report(gone_outcome(key))
    for start in range(0, len(keys), settings.batch_size):
        batch = keys[start : start + settings.batch_size]
        sync_albums(
            engine,
            client,
            batch,
            settings=settings,
            dry_run=dry_run,
            threshold=threshold,
            changed_by=changed_by,
            source=source,
            # The listing is in the snapshot: albums are taken as stored, with no request.
            known=snapshot_albums(engine, batch),
            on_album=report,
            reread_images=full,
            **batch_options,
        )
    return result


@dataclass
class ChangeTick:
    """What a change-sensor tick found: how many albums it listed, the new ones (never
    synced, stored since the last full listing), the work, the cursor, each worked album's
    version."""

    listed: int
    new: set[str]
    work: list[AlbumWork]
    position: datetime | None
    versions: dict[str, str]


def find_changes(
    engine: Engine, client: SmugMugClient, since: datetime | None, decided_with: str
) -> ChangeTick:
    """List albums changed since ``since`` (None: where the last listing of any kind left
    the snapshot, or its newest change) minus the lag, store them, and say which albums
    differ from their last sync.

    With nothing in the snapshot yet nothing is listed: the first full listing (the catalog,
    or ``sync --all``) comes first, so a tick never takes on the whole account.
    """
    if since is None:
        cursor = read_cursor(engine, NEWEST_CHANGE)
        since = cursor[0] if cursor is not None else None
    if since is None:
        with engine.connect() as conn:
            since = newest_known_change(conn)
        if since is None:
            return ChangeTick(0, set(), [], None, {})
    catalog = refresh_changed(engine, client, since - LISTING_LAG)
    position = max(since, catalog.listed_through or since)
    work = albums_to_sync(engine, decided_with)
    never_synced = [w.album_key for w in work if NEVER_SYNCED in w.reasons]
    full_listing = read_cursor(engine, FULL_LISTING)
    new: set[str] = set()
    if never_synced and full_listing is not None:
        # New since the last full listing (or changed since): a tick's to sync. Albums the
        # full listing itself stored and no sync has taken yet are the daily run's.
        with engine.connect() as conn:
            new = set(
                conn.execute(
                    sa.select(smugmug_albums.c.album_key).where(
                        any_of(smugmug_albums.c.album_key, never_synced),
                        smugmug_albums.c.seen_at > full_listing[1],
                    )
                ).scalars()
            )
    snapshot = snapshot_albums(engine, [w.album_key for w in work])
    versions = {
        k: f"{a.last_updated}|{a.images_last_updated}|{a.name}" for k, a in snapshot.items()
    }
    return ChangeTick(catalog.listed, new, work, position, versions)
