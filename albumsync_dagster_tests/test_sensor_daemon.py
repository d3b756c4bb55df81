"""``enrichment_sensor`` under the real ``dagster-daemon``: started from the CLI, ticked by the
daemon, its run queued, launched in a worker process and run against the emulator (HTTP) and
PostgreSQL. The albums whose enrichment changed are not neighbours in the partition order,
so the one run names them in its config; the album between them stays untouched."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import sqlalchemy as sa
from dagster._core.instance.ref import InstanceRef

from albumsync_dagster.dagster_layer.partitions import ALBUMS, RANGE_START_TAG
from albumsync_dagster.definitions import defs
from albumsync_dagster_tests.photo_rows import names_of
from albumsync_dagster_tests.processes import logged_process
from albumsync_dagster_tests.sports_account import TZ, sports_harness

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
WAIT_SECONDS = 240


def _dagster(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "dagster"), *args, "-w", str(ROOT / "workspace.yaml")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _album_sync_runs(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    return list(instance.get_runs(filters=dg.RunsFilter(job_name="album_sync_job")))


def test_the_daemon_ticks_the_sensor_and_runs_exactly_the_changed_albums(
    engine, database_url, tmp_path, monkeypatch
):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    with sports_harness(engine, stale={"CUP002": "spring cup"}) as h:
        env = {
            **os.environ,
            **h.emulator.env(),
            "DAGSTER_HOME": str(home),
            "ALBUMSYNC_DATABASE_URL": database_url,
            "ALBUMSYNC_TIMEZONE": TZ,
            "SMUGMUG_REQUESTS_PER_SECOND": "0",
        }
        for name in ("DAGSTER_HOME", *h.emulator.env(), "ALBUMSYNC_DATABASE_URL"):
            monkeypatch.setenv(name, env[name])
        monkeypatch.setenv("ALBUMSYNC_TIMEZONE", TZ)
        monkeypatch.setenv("SMUGMUG_REQUESTS_PER_SECOND", "0")
        instance = dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
        # The catalog registers the four albums; then only CUP002 and LAX003 count as newly
        # enriched (GAME01, between them, has no enrichment row).
        catalog = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, asset_selection=[dg.AssetKey("smugmug_album_catalog")]
        )
        assert catalog.success
        assert list(instance.get_dynamic_partitions(ALBUMS)) == [
            "CUP002",
            "GAME01",
            "LAX003",
            "NOENR4",
        ]
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM album_enrichment WHERE album_key = 'GAME01'"))

        started = _dagster(env, "sensor", "start", "enrichment_sensor")
        assert started.returncode == 0, started.stderr[-2000:]
        command = [str(BIN / "dagster-daemon"), "run", "-w", str(ROOT / "workspace.yaml")]
        with logged_process(command, tmp_path / "daemon.log", env=env, cwd=ROOT) as daemon:
            deadline = time.monotonic() + WAIT_SECONDS
            runs = _album_sync_runs(instance)
            while time.monotonic() < deadline and not (
                runs and all(r.status in FINISHED for r in runs)
            ):
                assert daemon.process.poll() is None, daemon.report("dagster-daemon exited")
                time.sleep(1)
                runs = _album_sync_runs(instance)
            daemon.stop()

        assert runs, daemon.report(f"no run within {WAIT_SECONDS} s")
        (run,) = runs
        assert run.status == dg.DagsterRunStatus.SUCCESS
        assert run.tags["albumsync/trigger"] == "enrichment"
        assert run.tags["dagster/sensor_name"] == "enrichment_sensor"
        assert RANGE_START_TAG not in run.tags
        assert run.run_config["ops"]["album_sync"]["config"]["album_keys"] == ["CUP002", "LAX003"]

        # What the run did: LAX003 renamed on SmugMug, the rows of both follow SmugMug; GAME01,
        # between them in the partition order, was neither renamed nor written.
        assert h.smugmug_name("LAX003") == "Lacrosse - Apr 2"
        assert names_of(engine, "LAX003") == {"Lacrosse - Apr 2": 12}
        assert names_of(engine, "CUP002") == {"Spring Cup - Jun 2024": 24}
        assert h.smugmug_name("GAME01") == "eagles v lions"
        assert names_of(engine, "GAME01") == {"eagles v lions": 30}
        assert instance.get_materialized_partitions(dg.AssetKey("smugmug_album_name")) == {
            "CUP002",
            "LAX003",
        }
        (evaluation,) = [
            e.get_dagster_event().event_specific_data
            for e in instance.all_logs(
                run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
            )
        ]
        assert evaluation.check_name == "album_names_in_sync" and evaluation.passed
        instance.dispose()
