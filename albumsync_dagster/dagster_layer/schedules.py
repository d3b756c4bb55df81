"""``daily_sync_health_schedule``: the health job every morning in the events' timezone."""

from __future__ import annotations

import dagster as dg

from albumsync_dagster.dagster_layer.jobs import sync_health_job

DAILY_AT_SIX = "0 6 * * *"


def build_daily_sync_health_schedule(timezone: str) -> dg.ScheduleDefinition:
    """06:00 every day in ``timezone`` (an IANA name, ``ALBUMSYNC_TIMEZONE``)."""
    return dg.ScheduleDefinition(
        name="daily_sync_health_schedule",
        job=sync_health_job,
        cron_schedule=DAILY_AT_SIX,
        execution_timezone=timezone,
        # Safe on by default: it never renames nor writes photo rows (only the snapshot).
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"sync_health_job at 06:00 {timezone} (ALBUMSYNC_TIMEZONE).",
    )
