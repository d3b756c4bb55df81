"""The code location loads, carries every name DESIGN.md fixes, and its instance configs
(SQLite by default, PostgreSQL for production) load."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
import yaml
from dagster._core.instance.ref import InstanceRef
from sqlalchemy.engine import make_url

from albumsync_dagster.dagster_layer.partitions import range_tags
from albumsync_dagster.dagster_layer.resources import (
    DATABASE_FIELDS,
    SETTINGS_FIELDS,
    SMUGMUG_FIELDS,
    AlbumSyncSettings,
    PhotoDatabase,
    resources_from_env,
)
from albumsync_dagster.db import create_engine
from albumsync_dagster.definitions import defs
from albumsync_dagster.settings import Settings

ROOT = Path(__file__).resolve().parents[1]

ASSETS = {
    "smugmug_album_catalog",
    "album_enrichment",
    "smugmug_album",
    "canonical_album_name",
    "smugmug_album_name",
    "photo_metadata_album_name",
    "sync_health",
    "album_sync_report",
}
PER_ALBUM = ASSETS - {"smugmug_album_catalog", "sync_health", "album_sync_report"}
CHECKS = {
    ("photo_metadata_album_name", "album_names_in_sync"),
    ("sync_health", "no_inconsistent_album_names"),
    ("sync_health", "photos_without_album_key_within_limit"),
    ("sync_health", "no_orphan_album_keys"),
    ("sync_health", "recent_sync_activity"),
    ("sync_health", "smugmug_names_match_rows"),
}


def test_definitions_validate_as_dagster_loads_them():
    dg.Definitions.validate_loadable(defs)


def test_every_design_name_is_present():
    graph = defs.resolve_asset_graph()
    assert {k.to_user_string() for k in graph.get_all_asset_keys()} == ASSETS
    assert {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys} == CHECKS
    for key in PER_ALBUM:
        partitions = graph.get(dg.AssetKey(key)).partitions_def
        assert isinstance(partitions, dg.DynamicPartitionsDefinition)
        assert partitions.name == "albums"
    for key in ("smugmug_album_catalog", "sync_health", "album_sync_report"):
        assert graph.get(dg.AssetKey(key)).partitions_def is None
    assert defs.resolve_job_def("album_sync_job").partitions_def.name == "albums"
    assert defs.resolve_job_def("sync_health_job")
    assert defs.resolve_schedule_def("daily_sync_health_schedule").job_name == "sync_health_job"
    assert defs.resolve_sensor_def("enrichment_sensor").job_name == "album_sync_job"
    assert defs.resolve_sensor_def("smugmug_change_sensor").job_name == "album_sync_job"


def test_lineage_runs_from_smugmug_to_the_rows():
    graph = defs.resolve_asset_graph()

    def parents(name):
        return {k.to_user_string() for k in graph.get(dg.AssetKey(name)).parent_keys}

    assert parents("canonical_album_name") == {"smugmug_album", "album_enrichment"}
    assert parents("smugmug_album_name") == {"canonical_album_name"}
    assert parents("photo_metadata_album_name") == {"smugmug_album_name"}
    assert parents("sync_health") == {"photo_metadata_album_name", "smugmug_album_catalog"}


def test_every_step_that_calls_smugmug_is_in_the_smugmug_pool():
    graph = defs.resolve_asset_graph()
    pools = {key.to_user_string(): graph.get(key).pools for key in graph.get_all_asset_keys()}
    # The catalog, and the one step (album_sync) that makes the five per-album assets.
    assert {name for name, p in pools.items() if p == {"smugmug"}} == {
        "smugmug_album_catalog",
        *PER_ALBUM,
    }
    assert pools["sync_health"] == set()


def test_album_sync_job_runs_in_process_and_covers_only_the_album_assets():
    job = defs.resolve_job_def("album_sync_job")
    assert job.executor_def.name == "in_process"
    assert {k.to_user_string() for k in job.asset_layer.executable_asset_keys} == PER_ALBUM
    assert defs.resolve_job_def("sync_health_job").executor_def.name == "in_process"
    # Runs the UI launches outside the jobs (materializations, backfills) too.
    implicit = defs.resolve_implicit_global_asset_job_def()
    assert implicit.executor_def.name == "in_process"


def test_credentials_reach_dagster_as_environment_variable_names(monkeypatch):
    monkeypatch.setenv("ALBUMSYNC_DATABASE_URL", "postgresql://u:secret-pw@db.example.com/x")
    resources = resources_from_env()
    smugmug = resources["smugmug"]
    for field in ("api_key", "api_secret", "access_token", "access_token_secret"):
        value = getattr(smugmug, field)
        assert isinstance(value, dg.EnvVar), field
        assert value.env_var_name == "SMUGMUG_" + field.upper()
    database = resources["photo_db"]
    assert isinstance(database.database_url, dg.EnvVar)
    assert database.database_url.env_var_name == "ALBUMSYNC_DATABASE_URL"
    monkeypatch.delenv("ALBUMSYNC_DATABASE_URL")
    assert resources_from_env()["photo_db"].database_url is None  # embedded, not a failure


def test_workspace_names_the_code_location_albumsync():
    workspace = yaml.safe_load((ROOT / "workspace.yaml").read_text())
    (location,) = workspace["load_from"]
    assert location["python_module"]["location_name"] == "albumsync"
    done = subprocess.run(
        [str(Path(sys.executable).with_name("dagster")), "definitions", "validate"]
        + ["-w", str(ROOT / "workspace.yaml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DAGSTER_HOME": ""},
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-2000:]
    assert "Validation successful for code location albumsync" in output


def instance_from(config_file: str, home: Path) -> dg.DagsterInstance:
    ref = InstanceRef.from_dir(str(home), config_dir=str(ROOT), config_filename=config_file)
    return dg.DagsterInstance.from_ref(ref)


def run_limits(instance: dg.DagsterInstance) -> tuple[int, int | None, str]:
    """Runs at once; runs at once holding the ``smugmug`` pool; the pools' granularity."""
    config = instance.get_concurrency_config()
    return (
        config.run_queue_config.max_concurrent_runs,
        config.pool_config.default_pool_limit,
        config.pool_config.pool_granularity.value,
    )


def test_default_instance_is_sqlite_under_dagster_home_with_run_limits(tmp_path):
    with instance_from("dagster.yaml", tmp_path) as instance:
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert run_limits(instance) == (4, 2, "run")
    assert (tmp_path / "history").is_dir()


@pytest.fixture
def dagster_storage_url(database_factory, monkeypatch):
    """A database of its own for Dagster on the test server, its parts in DAGSTER_PG_*."""
    url = make_url(database_factory())
    if not url.host:
        pytest.skip(
            "the embedded PostgreSQL listens on a Unix socket only, and dagster-postgres builds"
            " a host:port URL; this test runs where TEST_DATABASE_URL is a TCP server (CI)"
        )
    monkeypatch.setenv("DAGSTER_PG_HOST", url.host)
    monkeypatch.setenv("DAGSTER_PG_PORT", str(url.port or 5432))
    monkeypatch.setenv("DAGSTER_PG_DB", url.database)
    monkeypatch.setenv("DAGSTER_PG_USERNAME", url.username or "postgres")
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", url.password or "")
    # The pooled event log sets DAGSTER_EVENT_BATCH_SIZE when opened: unset it now so that the
    # test sees it set by the storage, and so that it is unset again after the test.
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "")
    monkeypatch.delenv("DAGSTER_EVENT_BATCH_SIZE")
    return url.render_as_string(hide_password=False)


def test_production_instance_stores_runs_in_postgresql(tmp_path, dagster_storage_url, monkeypatch):
    monkeypatch.setenv("ALBUMSYNC_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    with instance_from("dagster.postgres.yaml", tmp_path) as instance:
        assert type(instance.run_storage).__name__ == "PooledPostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PooledPostgresEventLogStorage"
        # Run workers open the instance from its ref: they get the pooled event log too.
        ref = instance.get_ref()
        assert ref.event_storage_data.class_name == "PooledPostgresEventLogStorage"
        assert ref.run_storage_data.class_name == "PooledPostgresRunStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert run_limits(instance) == (4, 2, "run")
        # Partitions and a run go through the real server.
        instance.add_dynamic_partitions("albums", ["ALB001", "ALB002"])

        @dg.op
        def hello() -> int:
            return 1

        @dg.job
        def storage_probe():
            hello()

        result = storage_probe.execute_in_process(instance=instance)
        assert result.success
        # The events went through a held connection, still open, not one per event.
        with create_engine(dagster_storage_url, check=False).connect() as conn:
            held = conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
            events = conn.execute(
                sa.text("SELECT count(*) FROM event_logs WHERE run_id = :r"), {"r": result.run_id}
            ).scalar_one()
        assert held >= 1 and events >= 5
    engine = create_engine(dagster_storage_url, check=False)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT status FROM runs")).scalars().all() == ["SUCCESS"]
        stored = conn.execute(sa.text("SELECT partition FROM dynamic_partitions ORDER BY id"))
        assert stored.scalars().all() == ["ALB001", "ALB002"]
    engine.dispose()


def test_the_engine_lives_and_ends_with_the_photo_database_resource(database_url):
    with dg.build_resources({"photo_db": PhotoDatabase(database_url=database_url)}) as built:
        engine = built.photo_db.get_engine()
        assert built.photo_db.get_engine() is engine  # one engine for the run
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT 1")).scalar() == 1
        pool = engine.pool
        assert pool.checkedin() == 1
    assert pool.checkedin() == 0  # disposed when the resource's run ended
    with dg.build_resources({"photo_db": PhotoDatabase(database_url=database_url)}) as again:
        assert again.photo_db.get_engine() is not engine  # no engine kept between runs


def test_settings_are_read_when_a_run_starts_not_at_import(monkeypatch):
    monkeypatch.setenv("ALBUMSYNC_DRIFT_THRESHOLD", "35")
    monkeypatch.delenv("ALBUMSYNC_BATCH_SIZE", raising=False)
    with dg.build_resources({"settings": AlbumSyncSettings()}) as built:
        assert built.settings.get().drift_threshold == 35
        assert built.settings.get().batch_size == 10
    monkeypatch.setenv("ALBUMSYNC_DRIFT_THRESHOLD", "5")
    given = AlbumSyncSettings(batch_size="3")
    with dg.build_resources({"settings": given}) as built:
        assert built.settings.get().drift_threshold == 5
        assert built.settings.get().batch_size == 3
    monkeypatch.setenv("ALBUMSYNC_DRIFT_THRESHOLD", "500")
    with (
        pytest.raises(dg.DagsterResourceFunctionError) as raised,
        dg.build_resources({"settings": AlbumSyncSettings()}),
    ):
        pass
    assert str(raised.value.__cause__) == "ALBUMSYNC_DRIFT_THRESHOLD=500 is outside 0..100"


def test_every_setting_reaches_dagster_through_a_resource():
    fields = {f.name for f in dataclasses.fields(Settings)}
    assert fields == set(Settings.ENVIRONMENT), "name each Settings field's variable"
    through_resources = {*SETTINGS_FIELDS, *DATABASE_FIELDS, *SMUGMUG_FIELDS.values()}
    assert through_resources == fields, "give each setting a field on one resource"
    resources = resources_from_env()
    for field in SETTINGS_FIELDS:
        assert field in type(resources["settings"]).model_fields
    for field in DATABASE_FIELDS:
        assert field in type(resources["photo_db"]).model_fields
    for field in SMUGMUG_FIELDS:
        assert field in type(resources["smugmug"]).model_fields


def test_the_readme_configuration_table_names_every_setting():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n\n", 2)[1]
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    missing = set(Settings.ENVIRONMENT.values()) - documented
    assert not missing, f"add to the README's configuration table: {sorted(missing)}"


def test_resources_built_with_every_setting_set_read_them_when_the_run_starts(monkeypatch):
    values = {
        "ALBUMSYNC_TIMEZONE": "America/New_York",
        "ALBUMSYNC_DRIFT_THRESHOLD": "30",
        "ALBUMSYNC_BATCH_SIZE": "7",
        "ALBUMSYNC_MAX_PHOTOS_WITHOUT_ALBUM_KEY": "5",
        "ALBUMSYNC_NAME_COPIES": "albums.album_name",
        "ALBUMSYNC_REFRESH_VIEWS": "albums_summary",
        "SMUGMUG_BASE_URL": "http://127.0.0.1:1",
        "SMUGMUG_NICKNAME": "someone",
        "SMUGMUG_REQUESTS_PER_SECOND": "2.5",
        **{f"SMUGMUG_{part}": "x" for part in ("API_KEY", "API_SECRET", "ACCESS_TOKEN")},
        "SMUGMUG_ACCESS_TOKEN_SECRET": "x",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    resources = resources_from_env()  # as the code location loads with all of them set
    monkeypatch.setenv("ALBUMSYNC_BATCH_SIZE", "8")  # changed before the run starts
    expected = Settings.from_env()
    assert expected.batch_size == 8 and expected.smugmug_requests_per_second == 2.5
    runs = {name: resources[name] for name in ("settings", "smugmug")}
    with dg.build_resources(runs) as built:
        assert built.settings.get() == expected
        assert built.smugmug.settings() == expected
        assert built.smugmug.client.requests_per_second == 2.5
    for field in DATABASE_FIELDS[1:]:  # the database itself is opened by the runs above
        value = getattr(resources["photo_db"], field)
        assert isinstance(value, dg.EnvVar) and value.get_value() == os.environ[value.env_var_name]


PROBE_PARTITIONS = dg.DynamicPartitionsDefinition(name="probe_albums")
PROBE_ASSETS = (dg.AssetKey("probe_first"), dg.AssetKey("probe_second"))


@dg.multi_asset(
    specs=[dg.AssetSpec(key, partitions_def=PROBE_PARTITIONS) for key in PROBE_ASSETS],
    check_specs=[dg.AssetCheckSpec("probe_ok", asset=PROBE_ASSETS[1])],
    partitions_def=PROBE_PARTITIONS,
)
def probe_pair(context):
    if context.run.tags.get("probe/fail"):
        raise dg.Failure(description="probe told to fail")
    for key in PROBE_ASSETS:
        yield dg.MaterializeResult(asset_key=key)
    yield dg.AssetCheckResult(asset_key=PROBE_ASSETS[1], check_name="probe_ok", passed=True)


def _range_run(instance, partition_keys, *, fail):
    job = dg.Definitions(assets=[probe_pair]).resolve_implicit_global_asset_job_def()
    return job.execute_in_process(
        instance=instance,
        tags={**({"probe/fail": "yes"} if fail else {}), **range_tags(partition_keys)},
        raise_on_error=False,
    )


def test_production_event_log_writes_a_runs_planned_events_at_once(tmp_path, dagster_storage_url):
    keys = ["P1", "P2", "P3"]
    with instance_from("dagster.postgres.yaml", tmp_path) as instance:
        # The storage turns Dagster's event batching on in the processes that open it.
        assert os.environ["DAGSTER_EVENT_BATCH_SIZE"] == "1000"
        instance.add_dynamic_partitions("probe_albums", keys)
        failed = _range_run(instance, keys, fail=True)
        assert not failed.success
        # What the UI shows: the albums of a failed run are failed, per partition.
        for asset_key in PROBE_ASSETS:
            status = instance.get_status_by_partition(asset_key, keys, PROBE_PARTITIONS)
            assert status == dict.fromkeys(keys, dg.AssetPartitionStatus.FAILED)
        good = _range_run(instance, keys[:2], fail=False)
        assert good.success
        status = instance.get_status_by_partition(PROBE_ASSETS[1], keys, PROBE_PARTITIONS)
        assert status == {
            "P1": dg.AssetPartitionStatus.MATERIALIZED,
            "P2": dg.AssetPartitionStatus.MATERIALIZED,
            "P3": dg.AssetPartitionStatus.FAILED,
        }
        (execution,) = instance.event_log_storage.get_asset_check_execution_history(
            dg.AssetCheckKey(PROBE_ASSETS[1], "probe_ok"), limit=5
        )[:1]
        assert execution.run_id == good.run_id and execution.status.value == "SUCCEEDED"
        latest = instance.get_latest_planned_materialization_info(PROBE_ASSETS[0])
        assert latest is not None and latest.run_id == good.run_id
    engine = create_engine(dagster_storage_url, check=False)
    with engine.connect() as conn:
        planned = conn.execute(
            sa.text(
                "SELECT asset_key, partition, xmin::text AS tx FROM event_logs"
                " WHERE run_id = :r AND dagster_event_type = 'ASSET_MATERIALIZATION_PLANNED'"
            ),
            {"r": failed.run_id},
        ).all()
    engine.dispose()
    assert sorted((row.asset_key, row.partition) for row in planned) == sorted(
        (key.to_string(), p) for key in PROBE_ASSETS for p in keys
    )
    assert len({row.tx for row in planned}) == 1  # one transaction, not one per event


def test_the_dagster_layer_reads_no_setting_at_import():
    """Only the code location's composition reads settings; a module of the layer imports
    with every setting broken (it reads them when a run, tick or check starts)."""
    broken = {"ALBUMSYNC_TIMEZONE": "Mars/Olympus_Mons", "ALBUMSYNC_BATCH_SIZE": "many"}
    modules = ["assets", "health", "jobs", "resources", "schedules", "sensors"]
    code = "; ".join(f"import albumsync_dagster.dagster_layer.{m}" for m in modules)
    done = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **broken}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    loading = subprocess.run(
        [sys.executable, "-c", "import albumsync_dagster.definitions"],
        env={**os.environ, **broken},
        capture_output=True,
        text=True,
    )
    assert loading.returncode != 0 and "Mars/Olympus_Mons" in loading.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("ALBUMSYNC_BATCH_SIZE", "ten", "ALBUMSYNC_BATCH_SIZE='ten' is not a whole number"),
        ("ALBUMSYNC_BATCH_SIZE", "2.5", "ALBUMSYNC_BATCH_SIZE='2.5' is not a whole number"),
        ("ALBUMSYNC_LEASE_SECONDS", "1", "ALBUMSYNC_LEASE_SECONDS=1 is outside 2..86400"),
        (
            "ALBUMSYNC_RENAME_RECHECK_HOURS",
            "x",
            "ALBUMSYNC_RENAME_RECHECK_HOURS='x' is not a number",
        ),
        ("SMUGMUG_TIMEOUT_SECONDS", "0.05", "SMUGMUG_TIMEOUT_SECONDS=0.05 is outside 0.1..600"),
    ],
)
def test_every_numeric_setting_is_refused_the_same_way(variable, value, message):
    with pytest.raises(ValueError) as raised:
        Settings.from_env({variable: value})
    assert str(raised.value) == message
