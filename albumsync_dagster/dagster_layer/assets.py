"""Assets: the SmugMug catalog, and per album the four steps of the sync workflow.

Every per-album asset is partitioned by ``albums``; a run over a partition range handles a
batch of albums in one call of the matching :mod:`albumsync_dagster.workflow` step. The data
lives in PostgreSQL (snapshot, name history, audit, rows), so the assets return only
``MaterializeResult`` metadata: a table with a row per album of the batch.
"""

import warnings
from collections import Counter
from collections.abc import Sequence
from typing import Any

import dagster as dg
import sqlalchemy as sa
from pydantic import Field

from albumsync_dagster import workflow
from albumsync_dagster.catalog import refresh_catalog
from albumsync_dagster.dagster_layer.metadata import (
    album_errors_in_run,
    errors_entry,
    listed,
    markdown_table,
)
from albumsync_dagster.dagster_layer.partitions import (
    albums_partitions,
    in_partition_order,
    register_albums,
)
from albumsync_dagster.dagster_layer.resources import PhotoDatabase, SmugMugResource
from albumsync_dagster.schema import album_enrichment as enrichment_table
from albumsync_dagster.settings import Settings

# backfill_policy is Beta in Dagster 1.13; the warning would print at every load.
warnings.filterwarnings("ignore", message=".*backfill_policy.*", category=dg.BetaWarning)

# Steps that call SmugMug share this concurrency pool: dagster.yaml caps the runs holding
# them, since each run's client sends up to SMUGMUG_REQUESTS_PER_SECOND to the one account.
SMUGMUG_POOL = "smugmug"
CATALOG_GROUP = "smugmug_catalog"
ALBUM_GROUP = "album_sync"
# A backfill launched from the UI batches albums like the job does.
BATCHED = dg.BackfillPolicy.multi_run(max_partitions_per_run=Settings.from_env().batch_size)


class RenameConfig(dg.Config):
    """Run config of ``smugmug_album_name``."""

    dry_run: bool = Field(
        default=False, description="Decide and report each rename, but change nothing."
    )
    threshold: int | None = Field(
        default=None,
        description="Rename when the drift score is strictly greater (0-100). "
        "Unset: ALBUMSYNC_DRIFT_THRESHOLD (default 20).",
    )


class RowSyncConfig(dg.Config):
    """Run config of ``photo_metadata_album_name``."""

    dry_run: bool = Field(
        default=False, description="Count the rows that would change, but write nothing."
    )


def album_sync_run_config(
    *, dry_run: bool = False, threshold: int | None = None, log_level: str | None = None
) -> dg.RunConfig:
    """Run config for ``album_sync_job`` (one ``dry_run`` for both writing steps).

    ``log_level`` sets the console logger's level (``WARNING`` keeps a demo's output short).
    """
    return dg.RunConfig(
        ops={
            "smugmug_album_name": RenameConfig(dry_run=dry_run, threshold=threshold),
            "photo_metadata_album_name": RowSyncConfig(dry_run=dry_run),
        },
        loggers={"console": {"config": {"log_level": log_level}}} if log_level else None,
    )


def _batch_metadata(keys: Sequence[str]) -> dict[str, dg.MetadataValue]:
    return {
        "albums": dg.MetadataValue.int(len(keys)),
        "album_keys": dg.MetadataValue.text(listed(list(keys))),
    }


# --- the whole account ---------------------------------------------------------------------


@dg.asset(group_name=CATALOG_GROUP, kinds={"smugmug", "postgres"}, pool=SMUGMUG_POOL)
def smugmug_album_catalog(
    context: dg.AssetExecutionContext, photo_db: PhotoDatabase, smugmug: SmugMugResource
) -> dg.MaterializeResult:
    """Every album of the SmugMug account, stored as the catalog snapshot.

    New albums become ``albums`` partitions (oldest first); albums gone from SmugMug are
    reported and marked gone in the snapshot, their partitions kept.
    """
    client = smugmug.client
    requests_before = client.request_count
    snapshot = refresh_catalog(photo_db.get_engine(), client)
    added = register_albums(context.instance, in_partition_order(snapshot.albums))
    context.log.info(
        f"{len(snapshot.albums)} albums on SmugMug: {len(snapshot.new_keys)} new, "
        f"{len(snapshot.gone_keys)} gone; {len(added)} partitions added"
    )
    return dg.MaterializeResult(
        metadata={
            "album_count": dg.MetadataValue.int(len(snapshot.albums)),
            "new_albums": dg.MetadataValue.int(len(snapshot.new_keys)),
            "new_album_keys": dg.MetadataValue.text(listed(snapshot.new_keys)),
            "gone_albums": dg.MetadataValue.int(len(snapshot.gone_keys)),
            "gone_album_keys": dg.MetadataValue.text(listed(snapshot.gone_keys)),
            "partitions_added": dg.MetadataValue.int(len(added)),
            "photo_count_on_smugmug": dg.MetadataValue.int(
                sum(a.image_count for a in snapshot.albums)
            ),
            "smugmug_requests": dg.MetadataValue.int(client.request_count - requests_before),
        }
    )


# --- per album -----------------------------------------------------------------------------


@dg.asset(
    partitions_def=albums_partitions,
    group_name=ALBUM_GROUP,
    kinds={"postgres"},
    backfill_policy=BATCHED,
)
def album_enrichment(
    context: dg.AssetExecutionContext, photo_db: PhotoDatabase
) -> dg.MaterializeResult:
    """The AI enrichment of each album (teams, event name, sport) from ``album_enrichment``."""
    keys = list(context.partition_keys)
    with photo_db.get_engine().connect() as conn:
        rows = {
            r.album_key: r
            for r in conn.execute(
                sa.select(enrichment_table).where(enrichment_table.c.album_key.in_(keys))
            )
        }
    missing = [k for k in keys if k not in rows]
    table = [
        (
            k,
            ", ".join(rows[k].teams or ()) if k in rows else None,
            rows[k].event_name if k in rows else None,
            rows[k].sport_type if k in rows else None,
            rows[k].updated_at.isoformat(timespec="seconds") if k in rows else "not enriched",
        )
        for k in keys
    ]
    return dg.MaterializeResult(
        metadata={
            **_batch_metadata(keys),
            "enriched": dg.MetadataValue.int(len(rows)),
            "not_enriched": dg.MetadataValue.text(listed(missing)),
            "enrichment": markdown_table(["album", "teams", "event", "sport", "updated"], table),
        }
    )


@dg.asset(
    partitions_def=albums_partitions,
    group_name=ALBUM_GROUP,
    kinds={"smugmug", "postgres"},
    backfill_policy=BATCHED,
    pool=SMUGMUG_POOL,
)
def smugmug_album(
    context: dg.AssetExecutionContext, photo_db: PhotoDatabase, smugmug: SmugMugResource
) -> dg.MaterializeResult:
    """Each album and its images' capture times, fetched from SmugMug into the snapshot."""
    keys = list(context.partition_keys)
    client = smugmug.client
    requests_before = client.request_count
    outcome = workflow.fetch_albums(photo_db.get_engine(), client, keys)
    failed = {k: e for k, e in outcome.errors.items() if k not in outcome.gone}
    if failed and not outcome.albums:
        # Nothing fetched: SmugMug unreachable or refusing us. Fail so the run says so.
        raise dg.Failure(
            description=f"no album of the batch could be fetched from SmugMug: "
            f"{next(iter(failed.values()))}",
            metadata={**_batch_metadata(keys), **errors_entry(outcome.errors)},
        )
    for error in outcome.errors.values():
        context.log.warning(error)
    table: list[tuple[object, ...]] = []
    for k in keys:
        album = outcome.albums.get(k)
        table.append(
            (
                k,
                album.name if album else None,
                outcome.image_counts.get(k),
                "gone from SmugMug" if k in outcome.gone else outcome.errors.get(k, "fetched"),
            )
        )
    return dg.MaterializeResult(
        metadata={
            **_batch_metadata(keys),
            "fetched": dg.MetadataValue.int(len(outcome.albums)),
            "gone": dg.MetadataValue.text(listed(outcome.gone)),
            "images": dg.MetadataValue.int(sum(outcome.image_counts.values())),
            "smugmug_requests": dg.MetadataValue.int(client.request_count - requests_before),
            "albums_fetched": markdown_table(["album", "SmugMug name", "images", "status"], table),
            **errors_entry(outcome.errors),
        }
    )


def _fetched_keys(context: dg.AssetExecutionContext) -> tuple[list[str], dict[str, str]]:
    """The run's albums whose fetch succeeded, and the errors of those that did not."""
    failed = album_errors_in_run(context.instance, context.run_id, [smugmug_album.key])
    return [k for k in context.partition_keys if k not in failed], failed


@dg.asset(
    partitions_def=albums_partitions,
    group_name=ALBUM_GROUP,
    kinds={"postgres"},
    deps=[smugmug_album, album_enrichment],
    backfill_policy=BATCHED,
)
def canonical_album_name(
    context: dg.AssetExecutionContext, photo_db: PhotoDatabase
) -> dg.MaterializeResult:
    """Each album's canonical name (enrichment and capture dates) and its drift score."""
    keys, skipped = _fetched_keys(context)
    settings = Settings.from_env()
    plans = workflow.compute_canonical_names(photo_db.get_engine(), keys, tz=settings.timezone)
    table: list[tuple[object, ...]] = []
    for k in context.partition_keys:
        plan = plans.get(k)
        if plan is None:
            note = "fetch failed" if k in skipped else "not in the SmugMug snapshot"
            table.append((k, None, None, None, None, note))
            continue
        table.append(
            (
                k,
                plan.current_name,
                plan.canonical_name,
                plan.drift_score,
                f"{plan.dated_photo_count}/{plan.photo_count}",
                "no name can be made" if plan.canonical_name is None else "",
            )
        )
    metadata: dict[str, dg.MetadataValue] = {
        **_batch_metadata(context.partition_keys),
        "named": dg.MetadataValue.int(sum(p.canonical_name is not None for p in plans.values())),
        "timezone": dg.MetadataValue.text(settings.timezone),
        "names": markdown_table(
            ["album", "current name", "canonical name", "drift", "dated/photos", "note"], table
        ),
    }
    if len(plans) == 1:
        plan = next(iter(plans.values()))
        metadata["current_name"] = dg.MetadataValue.text(plan.current_name)
        metadata["canonical_name"] = dg.MetadataValue.text(plan.canonical_name or "")
        if plan.drift_score is not None:
            metadata["drift_score"] = dg.MetadataValue.int(plan.drift_score)
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(
    partitions_def=albums_partitions,
    group_name=ALBUM_GROUP,
    kinds={"smugmug", "postgres"},
    deps=[canonical_album_name],
    backfill_policy=BATCHED,
    pool=SMUGMUG_POOL,
)
def smugmug_album_name(
    context: dg.AssetExecutionContext,
    config: RenameConfig,
    photo_db: PhotoDatabase,
    smugmug: SmugMugResource,
) -> dg.MaterializeResult:
    """Each album's name on SmugMug: renamed to the canonical name when the drift is over
    the threshold (unless locked or changed by a person), with the audit trail."""
    keys, _ = _fetched_keys(context)
    threshold = (
        Settings.from_env().drift_threshold if config.threshold is None else config.threshold
    )
    if not 0 <= threshold <= 100:
        raise dg.Failure(description=f"threshold must be 0-100, got {threshold}")
    client = smugmug.client
    requests_before = client.request_count
    outcomes = workflow.apply_renames(
        photo_db.get_engine(),
        client,
        keys,
        threshold=threshold,
        dry_run=config.dry_run,
        changed_by=f"dagster:{context.run_id}",
        source="dagster",
    )
    errors = {k: o.error for k, o in outcomes.items() if o.error}
    for key, error in errors.items():
        context.log.error(f"album {key}: {error}")
    actions = Counter(o.action for o in outcomes.values())
    table = [
        (o.album_key, o.action, o.reason, o.old_name, o.new_name, o.rows_updated)
        for o in (outcomes[k] for k in sorted(outcomes))
    ]
    metadata: dict[str, dg.MetadataValue] = {
        **_batch_metadata(context.partition_keys),
        "dry_run": dg.MetadataValue.bool(config.dry_run),
        "threshold": dg.MetadataValue.int(threshold),
        "actions": dg.MetadataValue.json(dict(sorted(actions.items()))),
        "renamed": dg.MetadataValue.int(actions.get(workflow.RENAMED, 0)),
        "rows_updated": dg.MetadataValue.int(sum(o.rows_updated for o in outcomes.values())),
        "smugmug_requests": dg.MetadataValue.int(client.request_count - requests_before),
        "renames": markdown_table(
            ["album", "action", "reason", "old name", "new name", "rows updated"], table
        ),
        **errors_entry(errors),
    }
    if len(outcomes) == 1:
        only = next(iter(outcomes.values()))
        metadata["action"] = dg.MetadataValue.text(only.action)
        metadata["reason"] = dg.MetadataValue.text(only.reason)
    return dg.MaterializeResult(metadata=metadata)


def _renames_are_dry(context: dg.AssetExecutionContext) -> bool:
    """Whether this run's rename step was told ``dry_run``: a dry run of the renames must
    not write rows either, even if only that step's config said so."""
    run_config: dict[str, Any] = dict(context.run.run_config or {})
    ops = run_config.get("ops", {})
    return bool(ops.get("smugmug_album_name", {}).get("config", {}).get("dry_run", False))


@dg.asset(
    partitions_def=albums_partitions,
    group_name=ALBUM_GROUP,
    kinds={"postgres"},
    deps=[smugmug_album_name],
    backfill_policy=BATCHED,
)
def photo_metadata_album_name(
    context: dg.AssetExecutionContext, config: RowSyncConfig, photo_db: PhotoDatabase
) -> dg.MaterializeResult:
    """Every photo row of each album carrying SmugMug's current name (set-based), verified."""
    keys, _ = _fetched_keys(context)
    dry_run = config.dry_run or _renames_are_dry(context)
    result = workflow.sync_photo_rows(
        photo_db.get_engine(),
        keys,
        dry_run=dry_run,
        source="smugmug",
        changed_by=f"dagster:{context.run_id}",
    )
    counts = result.would_update if dry_run else result.updated_by_album
    for key, error in result.errors.items():
        no_rows = key in result.verification and result.verification[key].photo_count == 0
        # An album with no photo rows yet has nothing to sync: worth a note, not a warning.
        (context.log.info if no_rows else context.log.warning)(error)
    table: list[tuple[object, ...]] = []
    for k in keys:
        verification = result.verification.get(k)
        table.append(
            (
                k,
                counts.get(k, 0),
                verification.photo_count if verification else None,
                verification.synced if verification else None,
                "; ".join(verification.issues) if verification else result.errors.get(k),
            )
        )
    label = "rows_to_update" if dry_run else "rows_updated"
    metadata: dict[str, dg.MetadataValue] = {
        **_batch_metadata(context.partition_keys),
        "dry_run": dg.MetadataValue.bool(dry_run),
        label: dg.MetadataValue.int(sum(counts.values())),
        "albums_in_sync": dg.MetadataValue.int(sum(v.synced for v in result.verification.values())),
        "rows": markdown_table(
            ["album", label.replace("_", " "), "photos", "in sync", "issues"], table
        ),
        **errors_entry(result.errors),
    }
    return dg.MaterializeResult(metadata=metadata)


ALBUM_ASSETS = [
    album_enrichment,
    smugmug_album,
    canonical_album_name,
    smugmug_album_name,
    photo_metadata_album_name,
]
