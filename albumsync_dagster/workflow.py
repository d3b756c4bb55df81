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

This module holds steps 2 and 4 and runs the four (:func:`sync_albums`). Step 1 lives in
:mod:`albumsync_dagster.fetch`, step 3 in :mod:`albumsync_dagster.renames`, the actions and
records every step reports in :mod:`albumsync_dagster.outcomes`; their public names are
re-exported here, so ``workflow.X`` keeps working for every caller.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from albumsync_dagster import album_sync
from albumsync_dagster.catalog import smugmug_names
from albumsync_dagster.connection_loss import database_failure, retry_on_connection_loss
from albumsync_dagster.decisions import record_decisions_safely
from albumsync_dagster.enrichment import enrichment_as_dict, read_enrichments
from albumsync_dagster.fetch import each_album, fetch_albums, store_images, stored_image_counts
from albumsync_dagster.incremental import decision_inputs, enrichment_versions, record_synced
from albumsync_dagster.naming import SEED, Enrichment, NamingStandard, name_album, naming_standard
from albumsync_dagster.outcomes import (
    CHANGED_SINCE_PLANNED,
    COMPLETED,
    DEFAULT_RENAME_RECHECK,
    DEFERRED,
    FAILED,
    GONE,
    HUMAN_RENAMED,
    KEPT,
    LOCKED,
    NO_CANONICAL,
    RENAMED,
    RENAMED_ON_SMUGMUG,
    SKIPPED,
    UNCONFIRMED,
    UNKNOWN,
    WOULD_RENAME,
    AlbumOutcome,
    FetchOutcome,
    NamePlan,
    RenameOutcome,
    RepairOutcome,
    RowSyncOutcome,
    finished,
    gone_outcome,
    latest_plans,
)
from albumsync_dagster.rename_budget import PlannedBudget
from albumsync_dagster.renames import (
    accept_human_rename,
    apply_renames,
    rename_on_smugmug,
    repair_pending,
)
from albumsync_dagster.schema import canonical_name_history, smugmug_albums, smugmug_images
from albumsync_dagster.settings import Settings
from albumsync_dagster.smugmug import Album, AlbumImage, SmugMugClient
from albumsync_dagster.sql_arrays import any_of

# Every step's public names, from their homes too: callers keep reading them as ``workflow.X``.
__all__ = [
    "AlbumOutcome",
    "CHANGED_SINCE_PLANNED",
    "COMPLETED",
    "DEFAULT_RENAME_RECHECK",
    "DEFERRED",
    "FAILED",
    "FetchOutcome",
    "GONE",
    "HUMAN_RENAMED",
    "KEPT",
    "LOCKED",
    "NO_CANONICAL",
    "NamePlan",
    "RENAMED",
    "RENAMED_ON_SMUGMUG",
    "RenameOutcome",
    "RepairOutcome",
    "RowSyncOutcome",
    "SKIPPED",
    "UNCONFIRMED",
    "UNKNOWN",
    "WOULD_RENAME",
    "accept_human_rename",
    "apply_renames",
    "compute_canonical_names",
    "each_album",
    "fetch_albums",
    "finished",
    "gone_outcome",
    "latest_plans",
    "record_decisions_safely",
    "rename_on_smugmug",
    "repair_pending",
    "store_images",
    "stored_image_counts",
    "sync_albums",
    "sync_photo_rows",
]


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
