"""The per-album workflow: fetch, name, decide, rename on SmugMug, rows follow, verify.

Four steps, each over a batch of album keys, each keeping its results in PostgreSQL so the
Dagster assets can run them one by one and the CLI all at once (:func:`sync_albums`):

1. :func:`fetch_albums`: albums and their images' capture times from SmugMug into the snapshot.
2. :func:`compute_canonical_names`: canonical name and drift from the snapshot and the
   enrichment, recorded in ``canonical_name_history``.
3. :func:`apply_renames`: rename on SmugMug where a canonical name exists, the drift is over
   the threshold and the album is not locked. Per album: take the album's mutex, re-read it
   from SmugMug (never overwrite a name changed since step 1), take a slot of the daily rename
   budget and write a pending intent in one transaction (over the budget: ``deferred``), PATCH,
   then in one transaction bring the rows to the new name and complete the intent. A crash or a
   database failure after the PATCH leaves the intent pending; :func:`repair_pending` (run
   first by every later step 3, and by ``albumsync repair``) completes it.
4. :func:`sync_photo_rows`: rows of every album follow SmugMug's current name (a name set by
   hand on SmugMug reaches the rows too), set-based; then verify.

A name we set on SmugMug that later reads differently was changed by a person: the album is
locked and reported, never overwritten.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from albumsync_dagster import album_sync, name_changes, name_copies
from albumsync_dagster.catalog import mark_gone, smugmug_names, store_albums
from albumsync_dagster.connection_loss import database_failure, retry_on_connection_loss
from albumsync_dagster.decisions import Decision, decision, record_decisions
from albumsync_dagster.enrichment import enrichment_as_dict, read_enrichments
from albumsync_dagster.incremental import (
    decision_inputs,
    enrichment_versions,
    images_current,
    record_images_read,
    record_synced,
)
from albumsync_dagster.locks import (
    AlbumBusy,
    AlbumLease,
    album_locks_for,
    album_mutex,
    lock_album,
)
from albumsync_dagster.name_changes import SmugMugRenamed, Status
from albumsync_dagster.naming import SEED, Enrichment, NamingStandard, name_album, naming_standard
from albumsync_dagster.rename_budget import (
    PlannedBudget,
    deferred_reason,
    rename_budget,
    rename_slot,
)
from albumsync_dagster.schema import canonical_name_history, smugmug_albums, smugmug_images
from albumsync_dagster.settings import DEFAULT_RENAME_RECHECK_HOURS, Settings
from albumsync_dagster.smugmug import (
    Album,
    AlbumImage,
    SmugMugClient,
    SmugMugError,
    SmugMugNotFound,
    SmugMugResponseError,
    SmugMugUnavailable,
)
from albumsync_dagster.sql_arrays import CHUNK_ROWS, any_of

log = logging.getLogger("albumsync.workflow")

T = TypeVar("T")

# Actions, as reported per album.
RENAMED = "renamed"
WOULD_RENAME = "would_rename"
KEPT = "kept"  # drift within the threshold
NO_CANONICAL = "no_canonical"  # nothing usable to build a name from
LOCKED = "locked"
HUMAN_RENAMED = "human_renamed"  # a person changed the name we set: locked now
CHANGED_SINCE_PLANNED = "changed_since_planned"
DEFERRED = "deferred"  # over the daily rename budget: a later run renames it
FAILED = "failed"
RENAMED_ON_SMUGMUG = "renamed on SmugMug"  # a rename's reason, before apply_renames says why
UNCONFIRMED = "unconfirmed"  # our last PATCH's answer was lost; re-checked, not sent again
GONE = "gone"  # deleted on SmugMug: marked gone in the snapshot, its rows left as they are

DEFAULT_RENAME_RECHECK = timedelta(hours=DEFAULT_RENAME_RECHECK_HOURS)


@dataclass(frozen=True)
class FetchOutcome:
    albums: dict[str, Album]
    image_counts: dict[str, int]
    errors: dict[str, str] = field(default_factory=dict)
    gone: list[str] = field(default_factory=list)
    images_read: list[str] = field(default_factory=list)  # albums whose images were listed


@dataclass(frozen=True)
class NamePlan:
    album_key: str
    current_name: str
    canonical_name: str | None
    drift_score: int | None
    photo_count: int
    dated_photo_count: int
    enrichment: Enrichment | None
    differences: tuple[str, ...] = ()  # the parts that differ: "date Sep 21 → Sep 22"
    standard: str = SEED


@dataclass(frozen=True)
class RenameOutcome:
    album_key: str
    action: str
    reason: str
    old_name: str | None = None
    new_name: str | None = None
    rows_updated: int = 0
    error: str | None = None
    change_id: int | None = None


@dataclass(frozen=True)
class RowSyncOutcome:
    updated_by_album: dict[str, int]
    verification: dict[str, album_sync.Verification]
    errors: dict[str, str] = field(default_factory=dict)
    would_update: dict[str, int] = field(default_factory=dict)  # dry run


# What repair did with an open change.
COMPLETED = "completed"
UNKNOWN = "unknown"  # still open: SmugMug shows the old name, the re-check window runs on
SKIPPED = "skipped"  # could not look (SmugMug or the database failed, or the album was busy)


@dataclass(frozen=True)
class RepairOutcome:
    change_id: int
    album_key: str
    status: str  # completed | failed | unknown | skipped
    detail: str
    rows_updated: int = 0


@dataclass(frozen=True)
class AlbumOutcome:
    """What happened to one album in a sync: the line a person reads."""

    album_key: str
    current_name: str | None
    canonical_name: str | None
    drift_score: int | None
    action: str
    reason: str
    smugmug_name: str | None
    rows_updated: int
    synced: bool | None  # None in a dry run
    issues: list[str] = field(default_factory=list)
    error: str | None = None
    photo_rows: int = 0  # rows carrying the album key after the sync
    differences: tuple[str, ...] = ()  # the parts of the name that differ, as a person reads

    @property
    def failed(self) -> bool:
        """A failure to act on: the rename failed, or rows that exist disagree with SmugMug.

        An album with no photo rows is reported (not synced) but is not a failure.
        """
        return (
            self.action == FAILED
            or self.error is not None
            or (self.synced is False and self.photo_rows > 0)
        )


# --- step 1 -------------------------------------------------------------------------------


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


# --- step 2 -------------------------------------------------------------------------------


def _read_snapshot(
    engine: Engine, keys: list[str]
) -> tuple[dict[str, sa.Row], dict[str, list[AlbumImage]]]:
    """The snapshot rows of the albums SmugMug still has, and their images' capture times."""
    with engine.connect() as conn:
        snapshot = {
            r.album_key: r
            for r in conn.execute(
                sa.select(smugmug_albums).where(
                    any_of(smugmug_albums.c.album_key, keys), smugmug_albums.c.gone_at.is_(None)
                )
            )
        }
        times: dict[str, list[AlbumImage]] = {k: [] for k in snapshot}
        for r in conn.execute(
            sa.select(
                smugmug_images.c.album_key,
                smugmug_images.c.image_key,
                smugmug_images.c.date_time_original,
            ).where(any_of(smugmug_images.c.album_key, snapshot))
        ):
            times[r.album_key].append(
                AlbumImage(image_key=r.image_key, date_time_original=r.date_time_original)
            )
    return snapshot, times


def compute_canonical_names(
    engine: Engine,
    album_keys: Sequence[str],
    *,
    tz: str = "UTC",
    standard: str | NamingStandard = SEED,
) -> dict[str, NamePlan]:
    """Canonical name and drift for each album in the snapshot, under the naming
    ``standard``; recorded with a timestamp when the outcome changed since the last one."""
    chosen = naming_standard(standard)
    keys = list(album_keys)
    snapshot, times = retry_on_connection_loss(
        lambda: _read_snapshot(engine, keys), what="reading the SmugMug snapshot"
    )
    enrichments = retry_on_connection_loss(
        lambda: read_enrichments(engine, list(snapshot)), what="reading the enrichment"
    )
    previous = retry_on_connection_loss(
        lambda: latest_plans(engine, list(snapshot)), what="reading the last canonical names"
    )
    plans: dict[str, NamePlan] = {}
    history = []
    for key, row in snapshot.items():
        enrichment = enrichments.get(key)
        # No fallback to the album's creation date: that is when the gallery was made, not
        # when the event happened. An album with no dated photo is reported, not renamed.
        album = Album(album_key=key, name=row.name or "", url_name=row.url_name or "")
        result = name_album(album, times[key], enrichment or Enrichment(), tz=tz, standard=chosen)
        explanation = result.explanation
        differences = (
            () if explanation is None else tuple(d.describe() for d in explanation.differences)
        )
        plans[key] = NamePlan(
            album_key=key,
            current_name=row.name or "",
            canonical_name=result.canonical_name,
            drift_score=result.drift_score,
            photo_count=result.photo_count,
            dated_photo_count=result.dated_photo_count,
            enrichment=enrichment,
            differences=differences,
            standard=chosen.name,
        )
        if _same_outcome(previous.get(key), plans[key]):
            continue  # history records changes of name or drift, not every computation
        history.append(
            {
                "album_key": key,
                "current_name": row.name,
                "canonical_name": result.canonical_name,
                "drift_score": result.drift_score,
                "photo_count": result.photo_count,
                "dated_photo_count": result.dated_photo_count,
                "details": {
                    "timezone": tz,
                    "standard": chosen.name,
                    "differences": list(differences),
                    "enrichment": None if enrichment is None else enrichment_as_dict(enrichment),
                    "event_dates": None
                    if result.event_dates is None
                    else {
                        "first_day": result.event_dates.first_day.isoformat(),
                        "last_day": result.event_dates.last_day.isoformat(),
                        "main_day": result.event_dates.main_day.isoformat(),
                        "stray_photos": result.event_dates.stray_photo_count,
                        "from_fallback": result.event_dates.from_fallback,
                    },
                },
            }
        )
    if history:

        def record() -> None:
            with engine.begin() as conn:
                conn.execute(sa.insert(canonical_name_history), history)

        retry_on_connection_loss(record, what="recording the canonical names")
    return plans


def _same_outcome(before: NamePlan | None, now: NamePlan) -> bool:
    return before is not None and (
        before.current_name,
        before.canonical_name,
        before.drift_score,
        before.photo_count,
        before.dated_photo_count,
    ) == (
        now.current_name,
        now.canonical_name,
        now.drift_score,
        now.photo_count,
        now.dated_photo_count,
    )


def latest_plans(engine: Engine, album_keys: Sequence[str]) -> dict[str, NamePlan]:
    """The most recent canonical-name computation of each album."""
    with engine.connect() as conn:
        h = canonical_name_history.c
        rows = conn.execute(
            sa.select(
                h.album_key,
                h.current_name,
                h.canonical_name,
                h.drift_score,
                h.photo_count,
                h.dated_photo_count,
                h.details,
            )
            .where(any_of(h.album_key, album_keys))
            .distinct(h.album_key)
            .order_by(h.album_key, h.id.desc())
        )
        return {
            r.album_key: NamePlan(
                r.album_key,
                r.current_name or "",
                r.canonical_name,
                r.drift_score,
                r.photo_count or 0,
                r.dated_photo_count or 0,
                None,
                tuple((r.details or {}).get("differences", ())),
                (r.details or {}).get("standard", SEED),
            )
            for r in rows
        }


# --- step 3 -------------------------------------------------------------------------------


def _complete_change(
    engine: Engine, change_id: int, album_key: str, new_name: str, changed_by: str
) -> int:
    """Rows (and other copies of the name) to the new name, snapshot updated and intent
    completed, in one transaction; then the materialized views over them refreshed."""
    with engine.begin() as conn:
        outcome, _ = album_sync.sync_rows_in_transaction(
            conn, {album_key: new_name}, "smugmug", changed_by, unaudited=frozenset({album_key})
        )
        rows = outcome.get(album_key, (0, False))[0]
        name_changes.complete(conn, change_id, rows)
        conn.execute(
            sa.update(smugmug_albums)
            .where(smugmug_albums.c.album_key == album_key)
            .values(name=new_name, seen_at=sa.func.now())
        )
    name_copies.refresh_views(engine)  # the name changed: views over it, after the commit
    return rows


def accept_human_rename(
    engine: Engine, album_key: str, ours: str, theirs: str, *, dry_run: bool = False
) -> str:
    """A person renamed an album we had named: lock it and record their name as the baseline.

    The audit row (``smugmug_renamed`` accepted) makes the person's name the one to
    compare with from now on, so ``albumsync unlock`` lets the pipeline rename it again.
    """
    reason = (
        f"renamed by a person on SmugMug: we set {ours!r}, SmugMug now says {theirs!r};"
        " locked, never overwritten"
    )
    if dry_run:
        return reason
    with engine.begin() as conn:
        if lock_album(conn, album_key, reason, "albumsync"):
            name_changes.record_accepted(conn, album_key, ours, theirs)
    return reason


def rename_on_smugmug(
    engine: Engine,
    client: SmugMugClient,
    album_key: str,
    *,
    expected_current: str,
    new_name: str,
    changed_by: str,
    source: str,
    rollback_of: int | None = None,
    recheck_for: timedelta = DEFAULT_RENAME_RECHECK,
    max_renames_per_day: int | None = None,
) -> RenameOutcome:
    """Rename one album safely: mutex, re-read, intent, PATCH, rows and audit together.

    A PATCH whose answer is lost leaves the change unknown, re-checked for ``recheck_for``.
    With ``max_renames_per_day`` the intent is written only while the daily rename budget has
    room (taken under its lock, :mod:`albumsync_dagster.rename_budget`); else ``deferred``.
    """
    if not new_name.strip():
        message = "the project never gives an album an empty or blank name"
        return RenameOutcome(album_key, FAILED, message, expected_current, new_name, error=message)
    settled: list[RenameOutcome] = []
    try:
        with album_mutex(engine, album_key) as lease:
            settled.append(
                _rename_holding_mutex(
                    engine,
                    client,
                    lease,
                    album_key,
                    expected_current=expected_current,
                    new_name=new_name,
                    changed_by=changed_by,
                    source=source,
                    rollback_of=rollback_of,
                    recheck_for=recheck_for,
                    max_renames_per_day=max_renames_per_day,
                )
            )
    except AlbumBusy as exc:
        return RenameOutcome(
            album_key, FAILED, str(exc), expected_current, new_name, error=str(exc)
        )
    except sa.exc.DBAPIError as exc:
        if settled:
            # The rename is settled; only handing the mutex back failed, with its connection
            # (and PostgreSQL ends what the connection held).
            database_failure(exc, f"album {album_key}: releasing the rename mutex")
            return settled[0]
        # Every database step after the PATCH is guarded inside: this one came before it.
        message = database_failure(exc, f"album {album_key}: not renamed") + (
            "; nothing was sent to SmugMug"
        )
        return RenameOutcome(album_key, FAILED, message, expected_current, new_name, error=message)
    return settled[0]


def _rename_holding_mutex(
    engine: Engine,
    client: SmugMugClient,
    lease: AlbumLease,
    album_key: str,
    *,
    expected_current: str,
    new_name: str,
    changed_by: str,
    source: str,
    rollback_of: int | None,
    recheck_for: timedelta,
    max_renames_per_day: int | None,
) -> RenameOutcome:
    try:
        fresh = client.get_album(album_key)
    except SmugMugError as exc:
        return RenameOutcome(
            album_key,
            FAILED,
            f"re-reading the album before renaming failed: {exc}",
            expected_current,
            new_name,
            error=str(exc),
        )
    if fresh.name != expected_current:
        # Keep the snapshot true to SmugMug, so the rows follow what it says now.
        with engine.begin() as conn:
            store_albums(conn, [fresh])
    ours = name_changes.names_we_set(engine, [album_key]).get(album_key)
    if ours is not None and fresh.name != ours and fresh.name != new_name:
        # Checked here, under the mutex and against SmugMug itself: a plan made
        # before our own rename finished must not pass for a person's choice.
        reason = accept_human_rename(engine, album_key, ours, fresh.name)
        return RenameOutcome(album_key, HUMAN_RENAMED, reason, fresh.name, new_name)
    if fresh.name != expected_current:
        if fresh.name == new_name:
            return RenameOutcome(
                album_key, KEPT, "SmugMug already carries this name", fresh.name, new_name
            )
        return RenameOutcome(
            album_key,
            CHANGED_SINCE_PLANNED,
            f"SmugMug's name changed since it was read ({expected_current!r} ->"
            f" {fresh.name!r}); not overwritten",
            fresh.name,
            new_name,
        )
    # The lease may have run out while SmugMug was slow (or this process stalled): another
    # renamer may hold the album now, so no intent and no PATCH from here (AlbumLeaseLost).
    lease.ensure_held()
    with rename_slot(engine, max_renames_per_day) as slot:
        if slot is None:
            reason = deferred_reason(max_renames_per_day or 0)
            return RenameOutcome(album_key, DEFERRED, reason, fresh.name, new_name)
        change_id = name_changes.write_intent(
            slot,
            album_key,
            fresh.name,
            new_name,
            changed_by=changed_by,
            source=source,
            rollback_of=rollback_of,
        )
    try:
        renamed = client.rename_album(album_key, new_name)
    except (SmugMugUnavailable, SmugMugResponseError) as exc:
        # Time-out, reset or 5xx after sending, or an answer we cannot read: SmugMug may
        # have applied it, now or later. Its name decides.
        return _answer_lost(
            engine, client, change_id, album_key, fresh.name, new_name, changed_by, exc, recheck_for
        )
    except (SmugMugError, ValueError) as exc:
        message = f"SmugMug refused the rename: {exc}"
        _record_quietly(
            lambda: name_changes.fail(engine, change_id, message), album_key, "closing the change"
        )
        return RenameOutcome(
            album_key, FAILED, message, fresh.name, new_name, error=str(exc), change_id=change_id
        )
    outcome = _finish_rename(
        engine, change_id, album_key, fresh.name, new_name, changed_by, RENAMED_ON_SMUGMUG
    )
    if outcome.error is None:
        # The PATCH moved LastUpdated: the snapshot takes it, so the next run does not
        # mistake our own rename for a change on SmugMug.
        _record_quietly(
            lambda: _store_renamed(engine, renamed), album_key, "storing the renamed album"
        )
    return outcome


def _store_renamed(engine: Engine, album: Album) -> None:
    with engine.begin() as conn:
        store_albums(conn, [album])


def _finish_rename(
    engine: Engine,
    change_id: int,
    album_key: str,
    old_name: str,
    new_name: str,
    changed_by: str,
    reason: str,
) -> RenameOutcome:
    """SmugMug carries the new name: rows and audit follow (a lost connection is retried)."""
    try:
        rows = retry_on_connection_loss(
            lambda: _complete_change(engine, change_id, album_key, new_name, changed_by),
            what=f"album {album_key}: writing the renamed album's rows",
        )
    except sa.exc.DBAPIError as exc:
        failure = database_failure(exc, "the photo rows could not be updated")
        message = (
            f"renamed on SmugMug, but {failure}; the change stays pending and the next run"
            " or `albumsync repair` completes it"
        )
        log.error("album %s: %s", album_key, message)
        return RenameOutcome(
            album_key, RENAMED, message, old_name, new_name, error=message, change_id=change_id
        )
    return RenameOutcome(album_key, RENAMED, reason, old_name, new_name, rows, change_id=change_id)


def _answer_lost(
    engine: Engine,
    client: SmugMugClient,
    change_id: int,
    album_key: str,
    old_name: str,
    new_name: str,
    changed_by: str,
    exc: SmugMugError,
    recheck_for: timedelta,
) -> RenameOutcome:
    """The PATCH's answer was lost: SmugMug's name now settles it, or the change is unknown."""
    try:
        seen: str | None = client.get_album(album_key).name
    except SmugMugError:
        seen = None
    if seen == new_name:
        return _finish_rename(
            engine,
            change_id,
            album_key,
            old_name,
            new_name,
            changed_by,
            f"renamed on SmugMug (its answer was lost, {exc}; SmugMug's name confirms it)",
        )
    until = _record_quietly(
        lambda: name_changes.mark_unknown(
            engine, change_id, f"SmugMug did not confirm the rename: {exc}", recheck_for=recheck_for
        ),
        album_key,
        "marking the change unknown",
    )
    later = f" (re-checked until {until:%Y-%m-%d %H:%M %Z})" if until else ""
    message = (
        f"SmugMug did not confirm the rename ({exc}); whether it landed is unknown: the next"
        f" run or `albumsync repair` settles it from SmugMug's name{later}"
    )
    return RenameOutcome(
        album_key, FAILED, message, old_name, new_name, error=message, change_id=change_id
    )


def _record_quietly(step: Callable[[], T], album_key: str, what: str) -> T | None:
    """A ledger step after the PATCH: a database failure leaves the change pending for repair
    (which settles it from SmugMug's name) rather than losing the outcome already known."""
    try:
        return retry_on_connection_loss(step, what=f"album {album_key}: {what}")
    except sa.exc.DBAPIError as exc:
        log.error("%s; the change stays pending for repair", database_failure(exc, what))
        return None


def record_decisions_safely(
    engine: Engine, decisions: Sequence[Decision], *, decided_by: str
) -> None:
    """Record the batch's decisions for the album report; a database that keeps failing is
    logged, not raised: the renames and rows it reports on are already settled."""
    try:
        retry_on_connection_loss(
            lambda: record_decisions(engine, decisions, decided_by=decided_by),
            what="recording the batch's decisions",
        )
    except sa.exc.DBAPIError as exc:
        log.error("%s", database_failure(exc, "the batch's decisions were not recorded"))


def apply_renames(
    engine: Engine,
    client: SmugMugClient,
    album_keys: Sequence[str],
    *,
    threshold: int,
    dry_run: bool,
    changed_by: str = "albumsync",
    source: str = "pipeline",
    plans: Mapping[str, NamePlan] | None = None,
    recheck_for: timedelta = DEFAULT_RENAME_RECHECK,
    max_renames_per_day: int | None = None,
    planned_budget: PlannedBudget | None = None,
) -> dict[str, RenameOutcome]:
    """Decide and apply the renames of a batch (from the latest plans unless given).

    An album whose last rename SmugMug has not confirmed (unknown, within its re-check
    window) is not renamed again: that PATCH may still land. ``max_renames_per_day`` caps
    renames on SmugMug in any 24 h, all processes together: an album over it is
    ``deferred``. A dry run hands out the budget left now in key order (``planned_budget``
    carries it across the batches of one command).
    """
    keys = sorted(album_keys)
    if dry_run and planned_budget is None and max_renames_per_day is not None:
        planned_budget = PlannedBudget(rename_budget(engine, max_renames_per_day))
    if not dry_run:
        repair_pending(engine, client, keys, changed_by=changed_by)
    plans = dict(plans) if plans is not None else latest_plans(engine, keys)
    locks = album_locks_for(engine, keys)
    ours = name_changes.names_we_set(engine, keys)
    unconfirmed = {
        c.album_key: c
        for c in name_changes.open_changes(engine, keys)
        if c.status == Status.UNKNOWN
    }
    outcomes: dict[str, RenameOutcome] = {}
    for key in keys:
        plan = plans.get(key)
        if plan is None:
            outcomes[key] = RenameOutcome(
                key, FAILED, "no canonical name computed for this album yet", error="no plan"
            )
            continue
        current, canonical = plan.current_name, plan.canonical_name
        if key in locks:
            outcomes[key] = RenameOutcome(
                key, LOCKED, f"locked: {locks[key].reason}", current, canonical
            )
        elif key in unconfirmed:
            waiting = unconfirmed[key]
            until = (
                f" until {waiting.recheck_until:%Y-%m-%d %H:%M %Z}" if waiting.recheck_until else ""
            )
            outcomes[key] = RenameOutcome(
                key,
                UNCONFIRMED,
                f"the rename to {waiting.new_name!r} is not confirmed by SmugMug; its name is"
                f" re-checked{until}, nothing sent again",
                current,
                canonical,
            )
        elif canonical is None:
            outcomes[key] = RenameOutcome(
                key, NO_CANONICAL, "no canonical name: no usable enrichment or dates", current
            )
        elif plan.drift_score is not None and plan.drift_score <= threshold:
            outcomes[key] = RenameOutcome(
                key, KEPT, f"drift {plan.drift_score} <= threshold {threshold}", current, canonical
            )
        elif dry_run and key in ours and ours[key] != current:
            reason = accept_human_rename(engine, key, ours[key], current, dry_run=True)
            outcomes[key] = RenameOutcome(key, HUMAN_RENAMED, reason, current, canonical)
        elif dry_run and planned_budget is not None and not planned_budget.take():
            limit = planned_budget.budget.limit
            outcomes[key] = RenameOutcome(key, DEFERRED, deferred_reason(limit), current, canonical)
        elif dry_run:
            outcomes[key] = RenameOutcome(
                key, WOULD_RENAME, _why_rename(plan, threshold), current, canonical
            )
        else:
            outcome = rename_on_smugmug(
                engine,
                client,
                key,
                expected_current=current,
                new_name=canonical,
                changed_by=changed_by,
                source=source,
                recheck_for=recheck_for,
                max_renames_per_day=max_renames_per_day,
            )
            if outcome.action == RENAMED and outcome.error is None:
                outcome = replace(
                    outcome, reason=f"{outcome.reason}: {_why_rename(plan, threshold)}"
                )
            outcomes[key] = outcome
    if not dry_run:
        record_decisions_safely(
            engine,
            [
                decision(
                    key,
                    outcome.action,
                    outcome.reason,
                    current_name=plans[key].current_name if key in plans else outcome.old_name,
                    canonical_name=plans[key].canonical_name if key in plans else None,
                    drift_score=plans[key].drift_score if key in plans else None,
                    threshold=threshold,
                )
                for key, outcome in outcomes.items()
            ],
            decided_by=changed_by,
        )
    return outcomes


def _why_rename(plan: NamePlan, threshold: int) -> str:
    """``drift 55 > threshold 20 (prefix missing → HS Girls VB; date Sep 22 → 09-22-2026)``."""
    why = f"drift {plan.drift_score} > threshold {threshold}"
    return f"{why} ({'; '.join(plan.differences)})" if plan.differences else why


def repair_pending(
    engine: Engine,
    client: SmugMugClient,
    album_keys: Sequence[str] | None = None,
    *,
    changed_by: str = "albumsync",
) -> list[RepairOutcome]:
    """Settle every open change, pending or unknown (all, or of the albums given).

    SmugMug decides: if it carries the intended name the PATCH landed, so the rows follow and
    the change completes as our rename; if it carries another name a person renamed it (their
    choice: locked). If it still carries the old name, a pending change never reached SmugMug
    (failed); an unknown one may still land, so it stays open until its ``recheck_until``.
    """
    open_now = retry_on_connection_loss(
        lambda: name_changes.open_changes(engine, album_keys), what="reading the open renames"
    )
    results: list[RepairOutcome] = []
    for change in open_now:
        try:
            with album_mutex(engine, change.album_key, wait_seconds=1):
                outcome = _settle(engine, client, change, changed_by)
            if outcome is not None:
                results.append(outcome)
        except AlbumBusy:
            results.append(
                RepairOutcome(change.id, change.album_key, SKIPPED, "another process holds it")
            )
        except SmugMugError as exc:
            results.append(RepairOutcome(change.id, change.album_key, SKIPPED, str(exc)))
        except sa.exc.DBAPIError as exc:
            # One stuck change must not stop the batch: it stays open for the next run.
            reason = database_failure(exc, f"album {change.album_key}: repair")
            results.append(RepairOutcome(change.id, change.album_key, SKIPPED, reason))
    return results


def _settle(
    engine: Engine, client: SmugMugClient, change: name_changes.NameChange, changed_by: str
) -> RepairOutcome | None:
    """Settle one open change from SmugMug's name (the mutex held); None if already settled."""
    current = name_changes.get_change(engine, change.id)
    if current is None or current.status not in name_changes.OPEN:
        return None  # the renamer holding the mutex settled it meanwhile
    key = change.album_key
    try:
        album = client.get_album(key)
    except SmugMugNotFound:
        name_changes.fail(engine, change.id, "album not found on SmugMug during repair")
        return RepairOutcome(change.id, key, FAILED, "album gone")
    if album.name == change.new_name:
        rows = _complete_change(engine, change.id, key, change.new_name, changed_by)
        return RepairOutcome(
            change.id, key, COMPLETED, "rename had reached SmugMug; rows updated", rows
        )
    if album.name == change.old_name:
        until = current.recheck_until
        if current.status == Status.UNKNOWN and until is not None and datetime.now(UTC) < until:
            return RepairOutcome(
                change.id,
                key,
                UNKNOWN,
                f"SmugMug still shows the old name; re-checked until {until:%Y-%m-%d %H:%M %Z}"
                " (a PATCH can land late)",
            )
        name_changes.fail(engine, change.id, "the rename never reached SmugMug")
        return RepairOutcome(change.id, key, FAILED, "rename not applied")
    # A person renamed it after our PATCH (or instead of it): their choice.
    name_changes.fail(
        engine,
        change.id,
        f"SmugMug's name changed since to {album.name!r}",
        renamed=SmugMugRenamed.UNKNOWN,
    )
    accept_human_rename(engine, key, change.new_name, album.name)
    with engine.begin() as conn:
        store_albums(conn, [album])
    return RepairOutcome(change.id, key, FAILED, "renamed by a person since; locked")


# --- step 4 -------------------------------------------------------------------------------


def sync_photo_rows(
    engine: Engine,
    album_keys: Sequence[str],
    *,
    dry_run: bool,
    source: str = "smugmug",
    changed_by: str = "albumsync",
) -> RowSyncOutcome:
    """Bring every album's rows to SmugMug's current name (one statement), then verify.

    Any name SmugMug holds is followed, an empty or blank one included.
    """
    names = retry_on_connection_loss(
        lambda: smugmug_names(engine, album_keys), what="reading the SmugMug snapshot"
    )
    errors = {
        k: f"album {k}: not in the SmugMug snapshot (fetch it first, or it was deleted)"
        for k in album_keys
        if k not in names
    }
    if dry_run:
        by_key = {n.album_key: n for n in album_sync.album_names(engine, list(names))}
        would = {
            key: sum(count for name, count in by_key[key].names if name != expected)
            for key, expected in names.items()
            if key in by_key
        }
        return RowSyncOutcome({}, album_sync.verify_albums(engine, names), errors, would)
    result = album_sync.batch_sync_albums(
        engine, sorted(names.items()), source=source, changed_by=changed_by, blank_allowed=True
    )
    errors.update(result.errors_by_album)
    verification = retry_on_connection_loss(
        lambda: album_sync.verify_albums(engine, names), what="verifying the photo rows"
    )
    return RowSyncOutcome(result.updated_by_album, verification, errors)


# --- all four -----------------------------------------------------------------------------


def sync_albums(
    engine: Engine,
    client: SmugMugClient,
    album_keys: Sequence[str],
    *,
    settings: Settings | None = None,
    dry_run: bool,
    threshold: int | None = None,
    changed_by: str = "albumsync",
    source: str = "cli",
    known: Mapping[str, Album] | None = None,
    on_album: Callable[[AlbumOutcome], None] | None = None,
    reread_images: bool = False,
    max_renames_per_day: int | None = None,
    planned_budget: PlannedBudget | None = None,
) -> list[AlbumOutcome]:
    """Run the four steps over a batch and say, per album, what happened.

    ``max_renames_per_day`` overrides the settings' daily rename budget for this call;
    ``planned_budget`` carries a dry run's budget across the batches of one command. Images
    are listed only for albums whose images moved since they were read (all of them with
    ``reread_images``). An applied run notes what each album that finished saw
    (:func:`incremental.record_synced`), so the next ``sync --all`` skips it unless
    something moves.
    """
    settings = settings or Settings.from_env()
    threshold = settings.drift_threshold if threshold is None else threshold
    budget = settings.max_renames_per_day if max_renames_per_day is None else max_renames_per_day
    keys = list(dict.fromkeys(album_keys))
    try:
        outcomes = _sync_batch(
            engine,
            client,
            keys,
            settings,
            dry_run,
            threshold,
            changed_by,
            source,
            known,
            budget,
            planned_budget,
            reread_images,
        )
    except sa.exc.DBAPIError as exc:
        # The database stayed out of reach through the retries: every album of the batch
        # fails with the reason, and the caller goes on with the next batch.
        message = database_failure(exc, "this batch stopped")
        outcomes = [
            AlbumOutcome(
                key,
                None,
                None,
                None,
                FAILED,
                message,
                None,
                0,
                None if dry_run else False,
                error=message,
            )
            for key in keys
        ]
    if on_album:
        for outcome in outcomes:
            on_album(outcome)
    return outcomes


def _sync_batch(
    engine: Engine,
    client: SmugMugClient,
    keys: list[str],
    settings: Settings,
    dry_run: bool,
    threshold: int,
    changed_by: str,
    source: str,
    known: Mapping[str, Album] | None,
    max_renames_per_day: int,
    planned_budget: PlannedBudget | None,
    reread_images: bool,
) -> list[AlbumOutcome]:
    enrichment_at = {} if dry_run else enrichment_versions(engine, keys)
    fetched = fetch_albums(
        engine,
        client,
        keys,
        known=known,
        reread_images=reread_images,
        max_concurrency=settings.max_concurrency,
    )
    ok = [k for k in keys if k in fetched.albums]
    plans = compute_canonical_names(engine, ok, tz=settings.timezone, standard=settings.standard())
    renames = apply_renames(
        engine,
        client,
        ok,
        threshold=threshold,
        dry_run=dry_run,
        changed_by=changed_by,
        source=source,
        plans=plans,
        recheck_for=settings.rename_recheck,
        max_renames_per_day=max_renames_per_day,
        planned_budget=planned_budget,
    )
    rows = sync_photo_rows(engine, ok, dry_run=dry_run, changed_by=changed_by)
    names_now = retry_on_connection_loss(
        lambda: smugmug_names(engine, ok), what="reading the SmugMug snapshot"
    )
    outcomes: list[AlbumOutcome] = []
    for key in keys:
        if key not in fetched.albums:
            outcome = AlbumOutcome(
                key,
                None,
                None,
                None,
                FAILED,
                fetched.errors.get(key, "not fetched"),
                None,
                0,
                None if dry_run else False,
                error=fetched.errors.get(key),
            )
        else:
            plan, rename = plans.get(key), renames[key]
            verification = rows.verification.get(key)
            rows_written = (
                rows.would_update.get(key, 0)
                if dry_run
                else (rename.rows_updated + rows.updated_by_album.get(key, 0))
            )
            issues = list(verification.issues) if verification else []
            if key in rows.errors and not issues:
                issues.append(rows.errors[key])
            outcome = AlbumOutcome(
                album_key=key,
                current_name=plan.current_name if plan else None,
                canonical_name=plan.canonical_name if plan else None,
                drift_score=plan.drift_score if plan else None,
                action=rename.action,
                reason=rename.reason,
                smugmug_name=names_now.get(key),
                rows_updated=rows_written,
                synced=None if dry_run else (verification.synced if verification else False),
                issues=issues,
                error=rename.error,
                photo_rows=verification.photo_count if verification else 0,
                differences=plan.differences if plan else (),
            )
        outcomes.append(outcome)
    if not dry_run:
        record_synced(
            engine,
            [o.album_key for o in outcomes if finished(o)],
            enrichment_at,
            decision_inputs(settings, threshold),
        )
    return outcomes


def gone_outcome(album_key: str) -> AlbumOutcome:
    """The report of an album the account's listing no longer shows."""
    return AlbumOutcome(
        album_key,
        None,
        None,
        None,
        GONE,
        "deleted on SmugMug: marked gone in the snapshot; its photo rows are kept",
        None,
        0,
        None,
    )


def finished(outcome: AlbumOutcome) -> bool:
    """Whether an album needs nothing more until something about it moves."""
    return not outcome.failed and outcome.action not in (CHANGED_SINCE_PLANNED, DEFERRED)
