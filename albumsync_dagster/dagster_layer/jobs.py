"""Jobs: the per-album sync over a batch of albums, and the whole-table health job.

Both run on the in-process executor: the steps are short and wait on PostgreSQL and SmugMug,
so a process per step would cost more than the work. ``album_sync_job`` covers one batch of
albums (``ALBUMSYNC_BATCH_SIZE``) per run: a partition range when they are consecutive
partitions, otherwise their keys in the run config.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import dagster as dg

from albumsync_dagster.dagster_layer.assets import (
    ALBUM_ASSET_KEYS,
    album_sync_run_config,
    smugmug_album_catalog,
)
from albumsync_dagster.dagster_layer.health import sync_health
from albumsync_dagster.dagster_layer.partitions import (
    ALBUMS,
    albums_partitions,
    batches_in_partition_order,
    run_target,
)
from albumsync_dagster.dagster_layer.report import album_sync_report

TRIGGER_TAG = "albumsync/trigger"  # what requested a run: a sensor's name for it

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
    selection=dg.AssetSelection.assets(smugmug_album_catalog, sync_health, album_sync_report),
    executor_def=dg.in_process_executor,
    description="Refresh the SmugMug catalog (registering new albums), then check the whole "
    "photo table against it and refresh the album report.",
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


@dataclass(frozen=True)
class AlbumRuns:
    """What a sensor's tick asks for: runs of exactly the albums it found, in batches, and the
    partitions those albums still need."""

    new_partitions: list[str]
    batches: list[list[str]]
    run_requests: list[dg.RunRequest]

    def sensor_result(self, cursor: str) -> dg.SensorResult:
        """The tick's result: the runs, the new partitions added first, the next cursor."""
        return dg.SensorResult(
            run_requests=self.run_requests,
            dynamic_partitions_requests=[albums_partitions.build_add_request(self.new_partitions)]
            if self.new_partitions
            else [],
            cursor=cursor,
        )


def runs_of_albums(
    instance: dg.DagsterInstance,
    versions: Mapping[str, str],
    batch_size: int,
    trigger: str,
    *,
    register_first: Sequence[str] = (),
) -> AlbumRuns:
    """Runs of exactly the albums of ``versions`` (album key -> the version seen), at most
    ``batch_size`` a run, tagged with ``trigger``.

    Albums not yet partitions become partitions (``register_first`` ahead of them, in its
    order). Run keys name the albums and their versions, so a tick repeated before the runs
    finish requests nothing twice, while a later version of the same albums does run.
    """
    existing = list(instance.get_dynamic_partitions(ALBUMS))
    known = set(existing)
    new = [k for k in dict.fromkeys([*register_first, *versions]) if k not in known]
    order = existing + new
    batches = batches_in_partition_order(order, versions, batch_size)
    run_keys = [_run_key(trigger, batch, versions) for batch in batches]
    return AlbumRuns(
        new,
        batches,
        album_sync_run_requests(order, batches, run_keys=run_keys, tags={TRIGGER_TAG: trigger}),
    )


def _run_key(trigger: str, batch: Sequence[str], versions: Mapping[str, str]) -> str:
    text = "\n".join(f"{k}@{versions[k]}" for k in batch)
    return f"{trigger}:{batch[0]}..{batch[-1]}:{hashlib.sha256(text.encode()).hexdigest()[:16]}"


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
