"""Assets: the SmugMug catalog, and per album the five stages of the sync workflow.

The five per-album assets (``album_enrichment``, ``smugmug_album``, ``canonical_album_name``,
``smugmug_album_name``, ``photo_metadata_album_name``) are one step, ``album_sync``, that
calls the matching :mod:`albumsync_dagster.workflow` stage for a whole batch of albums in
turn, then checks the batch (``album_names_in_sync``). A run covers its albums either as a
partition range (consecutive ``albums`` partitions: the job's batches, the UI's backfills) or
as a list of album keys in the run config (``album_keys``: the enrichment sensor's runs, whose
changed albums need not be neighbours). Either way each album gets a materialization of its
own per asset, carrying that album's names, drift, action, reason and rows, so a person
reading one partition in the UI sees that album, not a batch table.

An album that fails a stage (SmugMug refused it, a rename failed) gets no materialization of
that stage or the ones after it; the check lists it with the error. The data lives in
PostgreSQL (snapshot, name history, audit, rows), so nothing is handed between stages in
memory beyond the batch's keys and errors.
"""

import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import dagster as dg
import sqlalchemy as sa
from pydantic import Field

from albumsync_dagster import name_changes, workflow
from albumsync_dagster.catalog import in_partition_order, refresh_catalog, smugmug_names
from albumsync_dagster.dagster_layer.checks import NAMES_IN_SYNC, names_in_sync_result
from albumsync_dagster.dagster_layer.metadata import errors_entry, listed
from albumsync_dagster.dagster_layer.partitions import (
    ALBUMS,
    albums_partitions,
    register_albums,
)
from albumsync_dagster.dagster_layer.resources import (
    AlbumSyncSettings,
    PhotoDatabase,
    SmugMugResource,
)
from albumsync_dagster.decisions import describe_drift, drift_parts
from albumsync_dagster.enrichment import enrichment_records
from albumsync_dagster.hidden_rows import albums_without_visible_rows
from albumsync_dagster.incremental import decision_inputs, enrichment_versions, record_synced
from albumsync_dagster.proposals import Proposal, proposal
from albumsync_dagster.settings import Settings
from albumsync_dagster.shared_rate_limit import share_rate_limit

# backfill_policy is Beta in Dagster 1.13; the warning would print at every load.
warnings.filterwarnings("ignore", message=".*backfill_policy.*", category=dg.BetaWarning)

# Steps that call SmugMug share this concurrency pool: dagster.yaml caps the runs holding
# them, since each run's client sends up to SMUGMUG_REQUESTS_PER_SECOND to the one account.
SMUGMUG_POOL = "smugmug"
CATALOG_GROUP = "smugmug_catalog"
ALBUM_GROUP = "album_sync"
ALBUM_SYNC_STEP = "album_sync"

ENRICHMENT = dg.AssetKey("album_enrichment")
FETCHED = dg.AssetKey("smugmug_album")
CANONICAL = dg.AssetKey("canonical_album_name")
RENAMED = dg.AssetKey("smugmug_album_name")
PHOTO_ROWS = NAMES_IN_SYNC.asset_key  # photo_metadata_album_name, named once in checks.py
ALBUM_ASSET_KEYS = (ENRICHMENT, FETCHED, CANONICAL, RENAMED, PHOTO_ROWS)
PROGRESS_EVERY = 100  # albums between two progress lines of a step


class AlbumSyncConfig(dg.Config):
    """Run config of ``album_sync`` (the step of ``album_sync_job``)."""

    dry_run: bool = Field(
        default=False,
        description="Decide and report each rename and count the rows that would change, "
        "but change nothing on SmugMug or in the database.",
    )
    threshold: int | None = Field(
        default=None,
        description="Rename when the drift score is strictly greater (0-100). "
        "Unset: ALBUMSYNC_DRIFT_THRESHOLD (default 20).",
    )
    album_keys: list[str] = Field(
        default_factory=list,
        description="The albums of a run that is not over a partition range (as the "
        "enrichment sensor launches them). Leave empty to sync the run's partitions.",
    )
    max_renames_per_day: int | None = Field(
        default=None,
        description="Renames on SmugMug in any 24 h, all runs and processes together; an "
        "album over it is deferred to a later run. Unset: ALBUMSYNC_MAX_RENAMES_PER_DAY "
        "(default 100).",
    )


def album_sync_run_config(
    *,
    dry_run: bool = False,
    threshold: int | None = None,
    album_keys: Sequence[str] = (),
    log_level: str | None = None,
    max_renames_per_day: int | None = None,
) -> dg.RunConfig:
    """Run config for ``album_sync_job``.

    ``album_keys`` names the albums of a run launched without a partition range;
    ``log_level`` sets the console logger's level (``WARNING`` keeps a demo's output short).
    """
    return dg.RunConfig(
        ops={
            ALBUM_SYNC_STEP: AlbumSyncConfig(
                dry_run=dry_run,
                threshold=threshold,
                album_keys=list(album_keys),
                max_renames_per_day=max_renames_per_day,
            )
        },
        loggers={"console": {"config": {"log_level": log_level}}} if log_level else None,
    )


# --- the whole account ---------------------------------------------------------------------


@dg.asset(group_name=CATALOG_GROUP, kinds={"smugmug", "postgres"}, pool=SMUGMUG_POOL)
def smugmug_album_catalog(
    context: dg.AssetExecutionContext, photo_db: PhotoDatabase, smugmug: SmugMugResource
) -> dg.MaterializeResult:
    """Every album of the SmugMug account, stored as the catalog snapshot.

    New albums become ``albums`` partitions (oldest first); albums gone from SmugMug are
    reported and marked gone in the snapshot, their partitions kept.
    """
    client = share_rate_limit(smugmug.client, photo_db.get_engine())
    requests_before = client.request_count
    snapshot = refresh_catalog(photo_db.get_engine(), client)
    added = register_albums(context.instance, in_partition_order(photo_db.get_engine()))
    context.log.info(
        f"{snapshot.listed} albums on SmugMug: {len(snapshot.new_keys)} new, "
        f"{len(snapshot.gone_keys)} gone; {len(added)} partitions added"
    )
    return dg.MaterializeResult(
        metadata={
            "album_count": dg.MetadataValue.int(snapshot.listed),
            "new_albums": dg.MetadataValue.int(len(snapshot.new_keys)),
            "new_album_keys": dg.MetadataValue.text(listed(snapshot.new_keys)),
            "gone_albums": dg.MetadataValue.int(len(snapshot.gone_keys)),
            "gone_album_keys": dg.MetadataValue.text(listed(snapshot.gone_keys)),
            "partitions_added": dg.MetadataValue.int(len(added)),
            "photo_count_on_smugmug": dg.MetadataValue.int(snapshot.image_count),
            "smugmug_requests": dg.MetadataValue.int(client.request_count - requests_before),
        }
    )


# --- per album -----------------------------------------------------------------------------


def _album_spec(
    key: dg.AssetKey, description: str, kinds: set[str], deps: Sequence[dg.AssetKey] = ()
) -> dg.AssetSpec:
    return dg.AssetSpec(
        key,
        description=description,
        group_name=ALBUM_GROUP,
        kinds=kinds,
        deps=deps,
        partitions_def=albums_partitions,
        skippable=True,  # an album that fails a stage is not materialized for it
    )


ALBUM_SPECS = [
    _album_spec(
        ENRICHMENT,
        "The AI enrichment of each album (teams, event name, sport) from album_enrichment.",
        {"postgres"},
    ),
    _album_spec(
        FETCHED,
        "Each album and its images' capture times, fetched from SmugMug into the snapshot.",
        {"smugmug", "postgres"},
    ),
    _album_spec(
        CANONICAL,
        "Each album's canonical name (enrichment and capture dates) and its drift score.",
        {"postgres"},
        deps=[FETCHED, ENRICHMENT],
    ),
    _album_spec(
        RENAMED,
        "Each album's name on SmugMug: renamed to the canonical name when the drift is over "
        "the threshold (unless locked or changed by a person), with the audit trail.",
        {"smugmug", "postgres"},
        deps=[CANONICAL],
    ),
    _album_spec(
        PHOTO_ROWS,
        "Every photo row of each album carrying SmugMug's current name (set-based), verified.",
        {"postgres"},
        deps=[RENAMED],
    ),
]


def _text(value: object) -> dg.MetadataValue:
    return dg.MetadataValue.text("" if value is None else str(value))


def _materialization(
    asset_key: dg.AssetKey, album_key: str, metadata: dict[str, Any]
) -> dg.AssetMaterialization:
    return dg.AssetMaterialization(asset_key=asset_key, partition=album_key, metadata=metadata)


def registered_album_keys(instance: dg.DagsterInstance, album_keys: Sequence[str]) -> list[str]:
    """``album_keys`` without repeats, refused unless every one is an ``albums`` partition."""
    keys = list(dict.fromkeys(album_keys))
    known = set(instance.get_dynamic_partitions(ALBUMS))
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise dg.Failure(
            description=f"album_keys not among the albums partitions: {listed(unknown)} "
            "(materialize smugmug_album_catalog to register the account's albums)"
        )
    return keys


def _run_album_keys(
    context: dg.AssetExecutionContext, config: AlbumSyncConfig, engine: sa.Engine
) -> list[str]:
    """The run's albums: its partition range, or ``album_keys`` from the run config.

    A run of the check alone with neither checks every album SmugMug still has.
    """
    partitioned = context.has_partition_key or context.has_partition_key_range
    if config.album_keys:
        if partitioned:
            raise dg.Failure(
                description="give the albums either as a partition range or as album_keys "
                "in the run config, not both"
            )
        return registered_album_keys(context.instance, config.album_keys)
    if partitioned:
        return list(context.partition_keys)
    if not context.selected_asset_keys:
        return sorted(smugmug_names(engine))
    raise dg.Failure(
        description="album_sync_job needs its albums: a partition or partition range, "
        "or album_keys in the run config"
    )


def _enrichment_events(engine: sa.Engine, keys: Sequence[str]) -> Iterator[dg.AssetMaterialization]:
    records = enrichment_records(engine, keys)
    for key in keys:
        record = records.get(key)
        if record is None:
            yield _materialization(ENRICHMENT, key, {"enriched": False})
            continue
        enrichment = record.enrichment
        yield _materialization(
            ENRICHMENT,
            key,
            {
                "enriched": True,
                "teams": _text(", ".join(enrichment.teams)),
                "event_name": _text(enrichment.event_name),
                "sport_type": _text(enrichment.sport_type),
                "level": _text(enrichment.level),
                "division": _text(enrichment.division),
                "enrichment_updated_at": _text(record.updated_at.isoformat(timespec="seconds")),
            },
        )


def _fetch_events(
    context: dg.AssetExecutionContext,
    engine: sa.Engine,
    smugmug: SmugMugResource,
    keys: Sequence[str],
    failed: dict[str, str],
    max_concurrency: int,
) -> Iterator[dg.AssetMaterialization]:
    client = smugmug.client
    outcome = workflow.fetch_albums(engine, client, keys, max_concurrency=max_concurrency)
    refused = {k: e for k, e in outcome.errors.items() if k not in outcome.gone}
    if refused and not outcome.albums:
        # Nothing fetched: SmugMug unreachable or refusing us. Fail so the run says so.
        raise dg.Failure(
            description=f"no album of the batch could be fetched from SmugMug: "
            f"{next(iter(refused.values()))}",
            metadata={"albums": len(keys), **errors_entry(outcome.errors)},
        )
    for key, error in refused.items():
        context.log.warning(error)
        failed[key] = error
    for key in keys:
        album = outcome.albums.get(key)
        if key in outcome.gone:
            context.log.warning(outcome.errors[key])
            failed[key] = outcome.errors[key]
            yield _materialization(FETCHED, key, {"status": "gone from SmugMug"})
        elif album is not None:
            metadata: dict[str, Any] = {
                "status": "fetched",
                "smugmug_name": _text(album.name),
                "images": outcome.image_counts.get(key, 0),
            }
            if album.web_uri:
                metadata["smugmug_url"] = dg.MetadataValue.url(album.web_uri)
            yield _materialization(FETCHED, key, metadata)


def _canonical_events(
    context: dg.AssetExecutionContext,
    engine: sa.Engine,
    keys: Sequence[str],
    settings: Settings,
    plans_out: dict[str, workflow.NamePlan],
) -> Iterator[dg.AssetMaterialization]:
    tz = settings.timezone
    plans = workflow.compute_canonical_names(engine, keys, tz=tz, standard=settings.standard())
    plans_out.update(plans)
    for key in keys:
        plan = plans.get(key)
        if plan is None:
            context.log.info(f"album {key}: not in the SmugMug snapshot, no name computed")
            continue
        metadata: dict[str, Any] = {
            "current_name": _text(plan.current_name),
            "canonical_name": _text(plan.canonical_name),
            "photos": plan.photo_count,
            "dated_photos": plan.dated_photo_count,
            "timezone": _text(tz),
            "naming_standard": _text(plan.standard),
            "differing_parts": _text("; ".join(plan.differences)),
        }
        if plan.drift_score is not None:
            metadata["drift_score"] = plan.drift_score
        metadata.update(_drift_entries(plan.current_name, plan.canonical_name))
        if plan.canonical_name is None:
            metadata["note"] = _text("no name can be made (no enrichment and no dated photo)")
        yield _materialization(CANONICAL, key, metadata)


def _drift_entries(current: str | None, canonical: str | None) -> dict[str, Any]:
    """The drift's parts: title and date, and in words which of them differ."""
    parts = drift_parts(current, canonical)
    if parts is None:
        return {}
    return {
        "title_drift": float(parts.title_drift),
        "date_drift": parts.date_drift,
        "date_relation": _text(parts.date_relation),
        "drift_parts": _text(describe_drift(parts)),
    }


def _decision_metadata(
    outcome: workflow.RenameOutcome,
    plan: workflow.NamePlan | None,
    last: name_changes.NameChange | None,
    threshold: int,
    dry_run: bool,
) -> dict[str, Any]:
    """One album's whole decision: names, drift and its parts, action, reason, last rename.

    A renamed album has ``old_name`` and ``new_name``; any other has ``proposed_name`` (the
    canonical name it was not given), so nothing reads like a rename that did not happen.
    """
    current = plan.current_name if plan is not None else outcome.old_name
    canonical = plan.canonical_name if plan is not None else None
    renamed = outcome.action == workflow.RENAMED
    metadata: dict[str, Any] = {
        "action": _text(outcome.action),
        "reason": _text(outcome.reason),
        "current_name": _text(current),
        "canonical_name": _text(canonical),
    }
    if plan is not None and plan.drift_score is not None:
        metadata["drift_score"] = plan.drift_score
        metadata.update(_drift_entries(current, canonical))
    if renamed:
        metadata["old_name"] = _text(outcome.old_name)
        metadata["new_name"] = _text(outcome.new_name)
    elif canonical is not None and canonical != current:
        metadata["proposed_name"] = _text(canonical)
    if last is not None:
        # Stays on every later materialization, so a run that keeps the name hides nothing.
        metadata["last_renamed_at"] = _text(last.changed_at.isoformat(timespec="seconds"))
        metadata["last_renamed_from"] = _text(last.old_name)
        metadata["last_renamed_to"] = _text(last.new_name)
    metadata["rows_updated"] = outcome.rows_updated
    metadata["threshold"] = threshold
    metadata["dry_run"] = dry_run
    return metadata


def _rename_events(
    context: dg.AssetExecutionContext,
    engine: sa.Engine,
    smugmug: SmugMugResource,
    keys: Sequence[str],
    config: AlbumSyncConfig,
    settings: Settings,
    failed: dict[str, str],
    outcomes_out: dict[str, workflow.RenameOutcome],
) -> Iterator[dg.AssetMaterialization]:
    threshold = settings.drift_threshold if config.threshold is None else config.threshold
    budget = (
        settings.max_renames_per_day
        if config.max_renames_per_day is None
        else config.max_renames_per_day
    )
    outcomes = workflow.apply_renames(
        engine,
        smugmug.client,
        keys,
        threshold=threshold,
        dry_run=config.dry_run,
        changed_by=f"dagster:{context.run_id}",
        source="dagster",
        max_renames_per_day=budget,
        recheck_for=settings.rename_recheck,
    )
    outcomes_out.update(outcomes)
    plans = workflow.latest_plans(engine, list(outcomes))
    last = name_changes.last_renames(engine, list(outcomes))
    for key in keys:
        outcome = outcomes.get(key)
        if outcome is None:
            continue
        if outcome.error:
            context.log.error(f"album {key}: {outcome.reason} ({outcome.error})")
            failed[key] = f"album {key}: {outcome.reason}"
            continue
        yield _materialization(
            RENAMED,
            key,
            _decision_metadata(outcome, plans.get(key), last.get(key), threshold, config.dry_run),
        )


def _row_events(
    context: dg.AssetExecutionContext, engine: sa.Engine, keys: Sequence[str], dry_run: bool
) -> Iterator[dg.AssetMaterialization]:
    result = workflow.sync_photo_rows(
        engine, keys, dry_run=dry_run, source="smugmug", changed_by=f"dagster:{context.run_id}"
    )
    counts = result.would_update if dry_run else result.updated_by_album
    label = "rows_to_update" if dry_run else "rows_updated"
    # Row level security may hide an album's rows from the role: that is not "nothing to do".
    hidden = {
        h.album_key: h.warning
        for h in albums_without_visible_rows(
            engine,
            [k for k, v in result.verification.items() if v.photo_count == 0],
        )
    }
    for key in keys:
        verification = result.verification.get(key)
        error = result.errors.get(key)
        if verification is None:
            if error:
                context.log.warning(error)
            continue
        if key in hidden:
            context.log.warning(hidden[key])
        elif error:
            # An album with no photo rows yet has nothing to sync: worth a note, not a warning.
            (context.log.info if verification.photo_count == 0 else context.log.warning)(error)
        yield _materialization(
            PHOTO_ROWS,
            key,
            {
                label: counts.get(key, 0),
                "photos": verification.photo_count,
                "in_sync": verification.synced,
                "issues": _text("; ".join(verification.issues)),
                "dry_run": dry_run,
                **({"warning": _text(hidden[key])} if key in hidden else {}),
            },
        )


def album_sync_step(
    context: dg.AssetExecutionContext,
    config: AlbumSyncConfig,
    photo_db: PhotoDatabase,
    smugmug: SmugMugResource,
    settings: AlbumSyncSettings,
) -> Iterator[dg.AssetMaterialization | dg.AssetCheckResult]:
    """A batch of albums through the five stages, in order, then the check of the batch."""
    if config.threshold is not None and not 0 <= config.threshold <= 100:
        raise dg.Failure(description=f"threshold must be 0-100, got {config.threshold}")
    run_settings = settings.get()
    if config.max_renames_per_day is not None and config.max_renames_per_day < 0:
        raise dg.Failure(
            description=f"max_renames_per_day must be 0 or more, got {config.max_renames_per_day}"
        )
    engine = photo_db.get_engine()
    share_rate_limit(smugmug.client, engine)
    keys = _run_album_keys(context, config, engine)
    selected = context.selected_asset_keys
    context.log.info(f"{len(keys)} album(s): {listed(keys)}")
    whole = set(ALBUM_ASSET_KEYS) <= set(selected) and not config.dry_run
    enrichment_at = enrichment_versions(engine, keys) if whole else {}
    failed: dict[str, str] = {}  # album key -> the error that stopped it, for the check
    progress = StepProgress(context, smugmug.client, len(keys))
    plans: dict[str, workflow.NamePlan] = {}
    renames: dict[str, workflow.RenameOutcome] = {}
    if ENRICHMENT in selected:
        yield from _enrichment_events(engine, keys)
    if FETCHED in selected:
        yield from _fetch_events(
            context, engine, smugmug, keys, failed, run_settings.max_concurrency
        )
    ready = [k for k in keys if k not in failed]
    if CANONICAL in selected:
        yield from _canonical_events(context, engine, ready, run_settings, plans)
    if RENAMED in selected:
        yield from progress.counting(
            _rename_events(context, engine, smugmug, ready, config, run_settings, failed, renames)
        )
    if PHOTO_ROWS in selected:
        yield from progress.counting(_row_events(context, engine, ready, config.dry_run))
    progress.log(final=True)
    if whole:
        # What these albums' sync saw: the next incremental run leaves them alone until
        # something about them moves.
        threshold = run_settings.drift_threshold if config.threshold is None else config.threshold
        record_synced(
            engine,
            [
                k
                for k in keys
                if k not in failed and (k not in renames or renames[k].action != workflow.DEFERRED)
            ],
            enrichment_at,
            decision_inputs(run_settings, threshold),
        )
    if NAMES_IN_SYNC in context.selected_asset_check_keys:
        yield names_in_sync_result(engine, keys, failed, proposals=_proposals(plans, renames))


def _proposals(
    plans: dict[str, workflow.NamePlan], renames: dict[str, workflow.RenameOutcome]
) -> list[Proposal]:
    """The run's rename proposals, the table a person reviews (as ``sync --csv`` writes it)."""
    rows = []
    for key, plan in plans.items():
        outcome = renames.get(key)
        rows.append(
            proposal(
                key,
                plan.current_name,
                plan.canonical_name,
                plan.drift_score,
                plan.differences,
                outcome.action if outcome else "",
                outcome.reason if outcome else "",
            )
        )
    return rows


def build_album_sync(batch_size: int) -> dg.AssetsDefinition:
    """The ``album_sync`` step; a backfill launched from the UI runs ``batch_size`` albums a
    run, like the job (``ALBUMSYNC_BATCH_SIZE``, read where the code location loads)."""
    return dg.multi_asset(
        name=ALBUM_SYNC_STEP,
        specs=ALBUM_SPECS,
        check_specs=[
            dg.AssetCheckSpec(
                NAMES_IN_SYNC.name,
                asset=PHOTO_ROWS,
                description="For every album of the run, all its photo rows carry SmugMug's "
                "name (as this run fetched or set it); fails listing the albums that do not.",
            )
        ],
        can_subset=True,
        partitions_def=albums_partitions,
        backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=batch_size),
        pool=SMUGMUG_POOL,
    )(album_sync_step)


class StepProgress:
    """Logs albums checked, changed and renamed, and the SmugMug requests left in the
    budget, every ``PROGRESS_EVERY`` albums and at the end of the step."""

    def __init__(self, context: dg.AssetExecutionContext, client: Any, total: int) -> None:
        self._context = context
        self._client = client
        self._total = total
        self.checked: set[str] = set()
        self.changed: set[str] = set()
        self.renamed: set[str] = set()
        self._logged_at = 0

    def counting(
        self, events: Iterator[dg.AssetMaterialization]
    ) -> Iterator[dg.AssetMaterialization]:
        for event in events:
            key = event.partition or ""
            metadata = event.metadata
            self.checked.add(key)
            action = getattr(metadata.get("action"), "value", None)
            rows = getattr(metadata.get("rows_updated"), "value", 0) or 0
            if action == workflow.RENAMED:
                self.renamed.add(key)
            if action in (workflow.RENAMED, workflow.HUMAN_RENAMED) or rows:
                self.changed.add(key)
            if len(self.checked) - self._logged_at >= PROGRESS_EVERY:
                self.log()
            yield event

    def log(self, *, final: bool = False) -> None:
        self._logged_at = len(self.checked)
        left = self._client.rate_limit_remaining
        self._context.log.info(
            f"{'done' if final else 'progress'}: {len(self.checked)}/{self._total} albums"
            f" checked, {len(self.changed)} changed, {len(self.renamed)} renamed;"
            f" {'?' if left is None else left} SmugMug requests left in the budget,"
            f" {self._client.request_count} sent"
        )
