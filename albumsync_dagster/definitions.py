"""The ``albumsync`` code location: composes the Dagster layer, defines nothing itself.

The settings that shape the definitions themselves (the schedule's timezone, the batch of a
backfill launched from the UI) are read here, once, when the code location loads; every
other setting is read when a run starts, by the resources.
"""

from __future__ import annotations

from collections.abc import Mapping

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
from albumsync_dagster.dagster_layer.change_sensor import smugmug_change_sensor
from albumsync_dagster.settings import Settings


def build_definitions(
    settings: Settings, resource_defs: Mapping[str, dg.ConfigurableResource] | None = None
) -> dg.Definitions:
    """The code location for ``settings``; ``resource_defs`` default to the environment's."""
    return dg.Definitions(
        assets=[
            assets.smugmug_album_catalog,
            assets.build_album_sync(settings.batch_size),
            health.sync_health,
            report.album_sync_report,
        ],
        asset_checks=health.HEALTH_CHECKS,
        jobs=[jobs.album_sync_job, jobs.sync_health_job],
        schedules=[schedules.build_daily_sync_health_schedule(settings.timezone)],
        sensors=[
            sensors.enrichment_sensor,
            smugmug_change_sensor,
            report.album_sync_report_automation,
        ],
        resources=dict(resource_defs or resources.resources_from_env()),
        # Also for runs the UI launches outside the two jobs (materializations, backfills): the
        # steps wait on PostgreSQL and SmugMug, a process per step would cost more than the work.
        executor=dg.in_process_executor,
    )


defs = build_definitions(Settings.from_env())
