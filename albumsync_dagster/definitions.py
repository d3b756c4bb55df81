"""The ``albumsync`` code location: composes the Dagster layer, defines nothing itself."""

from __future__ import annotations

import dagster as dg

from albumsync_dagster.dagster_layer import (
    assets,
    health,
    jobs,
    report,
    resources,
    schedules,
    sensors,
)

defs = dg.Definitions(
    assets=[
        assets.smugmug_album_catalog,
        assets.album_sync,
        health.sync_health,
        report.album_sync_report,
    ],
    asset_checks=health.HEALTH_CHECKS,
    jobs=[jobs.album_sync_job, jobs.sync_health_job],
    schedules=[schedules.daily_sync_health_schedule],
    sensors=[sensors.enrichment_sensor, report.album_sync_report_automation],
    resources=resources.resources_from_env(),
    # Also for runs the UI launches outside the two jobs (materializations, backfills): the
    # steps wait on PostgreSQL and SmugMug, a process per step would cost more than the work.
    executor=dg.in_process_executor,
)
