"""Jobs: the per-album sync over a batch of albums, and the whole-table health job.

Both run on the in-process executor: the steps are short and wait on PostgreSQL and SmugMug,
so a process per step would cost more than the work. ``album_sync_job`` covers one batch of
consecutive ``albums`` partitions per run (a partition range, ``ALBUMSYNC_BATCH_SIZE`` long).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import dagster as dg

from albumsync_dagster.dagster_layer.assets import (
    ALBUM_ASSETS,
    album_sync_run_config,
    smugmug_album_catalog,
)
from albumsync_dagster.dagster_layer.health import sync_health
from albumsync_dagster.dagster_layer.partitions import range_tags

album_sync_job = dg.define_asset_job(
    name="album_sync_job",
    selection=dg.AssetSelection.assets(*ALBUM_ASSETS),
    executor_def=dg.in_process_executor,
    description="Per album: enrichment, fetch, canonical name, rename on SmugMug, photo rows "
    "follow, check. One run covers a batch of consecutive albums (a partition range).",
)

sync_health_job = dg.define_asset_job(
    name="sync_health_job",
    selection=dg.AssetSelection.assets(smugmug_album_catalog, sync_health),
    executor_def=dg.in_process_executor,
    description="Refresh the SmugMug catalog (registering new albums), then check the whole "
    "photo table against it.",
)


def album_sync_run_requests(
    batches: Sequence[Sequence[str]],
    *,
    dry_run: bool = False,
    threshold: int | None = None,
    run_keys: Sequence[str] | None = None,
    tags: Mapping[str, str] | None = None,
) -> list[dg.RunRequest]:
    """One ``album_sync_job`` run request per batch of consecutive album partitions."""
    if run_keys is not None and len(run_keys) != len(batches):
        raise ValueError("one run key per batch")
    return [
        dg.RunRequest(
            run_key=run_keys[i] if run_keys is not None else None,
            job_name=album_sync_job.name,
            run_config=album_sync_run_config(dry_run=dry_run, threshold=threshold),
            tags={**(tags or {}), **range_tags(batch)},
        )
        for i, batch in enumerate(batches)
    ]


def execute_album_sync_batches(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    batches: Sequence[Sequence[str]],
    *,
    dry_run: bool = False,
    threshold: int | None = None,
    log_level: str | None = None,
) -> list[dg.ExecuteInProcessResult]:
    """Run ``album_sync_job`` in this process, one run per batch (demo, benchmark, tests).

    A failed run does not stop the next batch; the caller reads each result.
    """
    job = defs.resolve_job_def(album_sync_job.name)
    run_config = album_sync_run_config(dry_run=dry_run, threshold=threshold, log_level=log_level)
    return [
        job.execute_in_process(
            instance=instance,
            run_config=run_config,
            tags=range_tags(batch),
            raise_on_error=False,
        )
        for batch in batches
    ]
