"""The ``albumsync`` code location: composes the Dagster layer, defines nothing itself."""

from __future__ import annotations

import dagster as dg

from albumsync_dagster.dagster_layer import (
    assets,
    health,
    jobs,
    resources,
    schedules,
    sensors,
)
from albumsync_dagster.dagster_layer.change_sensor import smugmug_change_sensor

defs = dg.Definitions(
    assets=[assets.smugmug_album_catalog, assets.album_sync, health.sync_health],
    asset_checks=health.HEALTH_CHECKS,
    jobs=[jobs.album_sync_job, jobs.sync_health_job],
    schedules=[schedules.daily_sync_health_schedule],
    sensors=[sensors.enrichment_sensor, smugmug_change_sensor],
    resources=resources.resources_from_env(),
    # Also for runs the UI launches outside the two jobs (materializations, backfills): the
    # steps wait on PostgreSQL and SmugMug, a process per step would cost more than the work.
    executor=dg.in_process_executor,
)
