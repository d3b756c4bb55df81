"""``daily_sync_health_schedule``: 06:00 in ALBUMSYNC_TIMEZONE, requesting the health job."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg

from albumsync_dagster.dagster_layer.schedules import build_daily_sync_health_schedule
from albumsync_dagster.definitions import defs

LOAD = """
import json
from albumsync_dagster.definitions import defs
schedule = defs.resolve_schedule_def("daily_sync_health_schedule")
print(json.dumps([schedule.execution_timezone, schedule.cron_schedule, schedule.job_name]))
"""


def test_the_schedule_requests_the_health_job_at_six():
    schedule = defs.resolve_schedule_def("daily_sync_health_schedule")
    assert schedule.cron_schedule == "0 6 * * *"
    assert schedule.job_name == "sync_health_job"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    tick = datetime(2024, 6, 1, 6, 0, tzinfo=ZoneInfo(schedule.execution_timezone or "UTC"))
    context = dg.build_schedule_context(scheduled_execution_time=tick)
    (request,) = schedule.evaluate_tick(context).run_requests
    assert request.job_name in (None, "sync_health_job")


def test_the_timezone_comes_from_albumsync_timezone():
    schedule = build_daily_sync_health_schedule("America/New_York")
    assert schedule.execution_timezone == "America/New_York"
    # The code location as it loads in a fresh process, with the variable set.
    env = {**os.environ, "ALBUMSYNC_TIMEZONE": "America/New_York"}
    out = subprocess.run(
        [sys.executable, "-c", LOAD], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out.strip().splitlines()[-1]) == [
        "America/New_York",
        "0 6 * * *",
        "sync_health_job",
    ]


def test_an_unknown_timezone_fails_loading_with_its_name():
    env = {**os.environ, "ALBUMSYNC_TIMEZONE": "Mars/Olympus_Mons"}
    done = subprocess.run([sys.executable, "-c", LOAD], env=env, capture_output=True, text=True)
    assert done.returncode != 0
    assert "Mars/Olympus_Mons" in done.stderr
