"""Jobs: the per-album sync over a batch of albums, and the whole-table health job.

Both run on the in-process executor: the steps are short and wait on PostgreSQL and SmugMug,
so a process per step would cost more than the work. ``album_sync_job`` covers one batch of
albums (``ALBUMSYNC_BATCH_SIZE``) per run: a partition range when they are consecutive
partitions, otherwise their keys in the run config.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import dagster as dg

from albumsync_dagster.dagster_layer.assets import (
    ALBUM_ASSET_KEYS,
    album_sync_run_config,
    smugmug_album_catalog,
)
from albumsync_dagster.dagster_layer.health import sync_health
from albumsync_dagster.dagster_layer.partitions import ALBUMS, run_target

album_sync_job = dg.define_asset_job(
    name="album_sync_job",
    selection=dg.AssetSelection.assets(*ALBUM_ASSET_KEYS),
    executor_def=dg.in_process_executor,
    description="Per album: enrichment, fetch, canonical name, rename on SmugMug, photo rows "
    "follow, check. One run covers a batch of albums: a partition range, or the album_keys "
    "of its run config.",
)

sync_health_job = dg.define_asset_job(
    name="sync_health_job",
    selection=dg.AssetSelection.assets(smugmug_album_catalog, sync_health),
    executor_def=dg.in_process_executor,
    description="Refresh the SmugMug catalog (registering new albums), then check the whole "
    "photo table against it.",
)


def album_sync_run(
    partition_keys: Sequence[str],
    batch: Sequence[str],
    *,
    dry_run: bool = False,
    threshold: int | None = None,
    log_level: str | None = None,
    max_renames_per_day: int | None = None,
) -> tuple[dg.RunConfig, dict[str, str]]:
    """Run config and tags of an ``album_sync_job`` run over ``batch`` (a range when its albums
    are consecutive in ``partition_keys``, the partition order; else their keys)."""
    tags, album_keys = run_target(partition_keys, batch)
    run_config = album_sync_run_config(
        dry_run=dry_run,
        threshold=threshold,
        album_keys=album_keys,
        log_level=log_level,
        max_renames_per_day=max_renames_per_day,
    )
    return run_config, tags


def album_sync_run_requests(
    partition_keys: Sequence[str],
    batches: Sequence[Sequence[str]],
    *,
    dry_run: bool = False,
    threshold: int | None = None,
    run_keys: Sequence[str] | None = None,
    tags: Mapping[str, str] | None = None,
) -> list[dg.RunRequest]:
    """One ``album_sync_job`` run request per batch (``partition_keys``: the partition order)."""
    if run_keys is not None and len(run_keys) != len(batches):
        raise ValueError("one run key per batch")
    requests = []
    for i, batch in enumerate(batches):
        run_config, target_tags = album_sync_run(
            partition_keys, batch, dry_run=dry_run, threshold=threshold
        )
        requests.append(
            dg.RunRequest(
                run_key=run_keys[i] if run_keys is not None else None,
                job_name=album_sync_job.name,
                run_config=run_config,
                tags={**(tags or {}), **target_tags},
            )
        )
    return requests


def execute_album_sync_batches(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    batches: Sequence[Sequence[str]],
    *,
    dry_run: bool = False,
    threshold: int | None = None,
    log_level: str | None = None,
    max_renames_per_day: int | None = None,
) -> list[dg.ExecuteInProcessResult]:
    """Run ``album_sync_job`` in this process, one run per batch (demo, benchmark, tests).

    A failed run does not stop the next batch; the caller reads each result.
    """
    job = defs.resolve_job_def(album_sync_job.name)
    partition_keys = list(instance.get_dynamic_partitions(ALBUMS))
    results = []
    for batch in batches:
        run_config, tags = album_sync_run(
            partition_keys,
            batch,
            dry_run=dry_run,
            threshold=threshold,
            log_level=log_level,
            max_renames_per_day=max_renames_per_day,
        )
        results.append(
            job.execute_in_process(
                instance=instance, run_config=run_config, tags=tags, raise_on_error=False
            )
        )
    return results
