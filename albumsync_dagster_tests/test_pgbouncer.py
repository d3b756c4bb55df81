"""Through PgBouncer in transaction mode (as Supabase's port 6543 serves): the commands work, the
album mutex excludes across processes and outlives a killed holder, and nothing a client did
stays on the pooled server connections."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from albumsync_dagster.db import create_engine, sqlalchemy_url
from albumsync_dagster_tests.cli_runner import albumsync_executable, run_cli
from albumsync_dagster_tests.photo_rows import names_of
from albumsync_dagster_tests.pooler_state import advisory_locks, pooled_server_states
from albumsync_dagster_tests.processes import logged_process
from albumsync_dagster_tests.sports_account import TZ, sports_harness

CANONICAL = "Eagles vs Lions - May 30"
STATEMENT = "SELECT count(*) FROM photo_metadata WHERE album_key = %s"


def env_for(h, url: str, **extra: str) -> dict[str, str]:
    return {
        **h.emulator.env(),
        "ALBUMSYNC_DATABASE_URL": url,
        "ALBUMSYNC_TIMEZONE": TZ,
        "ALBUMSYNC_BATCH_SIZE": "10",
        **extra,
    }


def assert_nothing_left_behind(pooled_url: str, direct_url: str) -> None:
    states = pooled_server_states(pooled_url)
    assert [s.prepared_statements for s in states] == [[] for _ in states]
    assert [s.session_settings for s in states] == [[] for _ in states]
    assert advisory_locks(direct_url) == []


def first_failure(connect: Callable[[], psycopg.Connection], clients: int = 4) -> str | None:
    """Run one statement 10 times per client, clients one after another; the first error."""
    for _ in range(clients):
        with connect() as conn:
            try:
                for _ in range(10):
                    conn.execute(STATEMENT, ["GAME01"]).fetchone()
                    conn.commit()
            except psycopg.Error as exc:
                return str(exc)
    return None


def test_prepared_statements_break_behind_the_pooler_and_ours_are_off(pooled_database_url, engine):
    # The failure users met: psycopg's default prepares after 5 executions, and the next
    # client given that server connection cannot prepare its own.
    failure = first_failure(lambda: psycopg.connect(pooled_database_url))
    assert failure is not None and "_pg3_" in failure, failure
    # Clear what the reproduction left on the pool's server connections.
    with psycopg.connect(pooled_database_url, prepare_threshold=None, autocommit=True) as conn:
        for _ in range(4):
            conn.execute("DEALLOCATE ALL")

    project = create_engine(pooled_database_url)
    try:

        def connect() -> psycopg.Connection:
            return project.raw_connection().driver_connection  # type: ignore[return-value]

        assert first_failure(connect) is None
        with project.connect() as conn:
            assert conn.connection.driver_connection.prepare_threshold is None  # type: ignore[union-attr]
    finally:
        project.dispose()


def test_cli_flows_through_the_pooler(engine, database_url, pooled_database_url):
    with sports_harness(engine) as h:
        env = env_for(h, pooled_database_url)
        migrated = run_cli("migrate", env=env)
        assert migrated.code == 0, migrated.stderr
        first = run_cli("sync", "--all", "--apply", "--json", env=env)
        assert first.code == 0, first.stderr
        assert first.json()["summary"]["actions"] == {"renamed": 2, "kept": 1, "no_canonical": 1}
        for _ in range(2):
            again = run_cli("sync", "--all", "--apply", "--json", env=env)
            assert again.code == 0, again.stderr
            assert "renamed" not in again.json()["summary"]["actions"]
        verify = run_cli("verify", env=env)
        assert verify.code == 0, verify.stdout + verify.stderr
        assert names_of(engine, "GAME01") == {CANONICAL: 30}

        rollback = run_cli("rollback", "--since", "1h", "--apply", env=env)
        assert rollback.code == 0, rollback.stdout + rollback.stderr
        assert h.smugmug_name("GAME01") == "eagles v lions"
        assert names_of(engine, "GAME01") == {"eagles v lions": 30}
        after = run_cli("sync", "--all", "--apply", env=env)
        assert after.code == 0, after.stdout + after.stderr
        assert run_cli("verify", env=env).code == 0
        for result in (migrated, first, verify, rollback, after):
            assert "prepared statement" not in result.stderr
        assert h.emulator.log.count("PATCH", path="/api/v2/album/GAME01") == 2
    assert_nothing_left_behind(pooled_database_url, database_url)


def test_migrate_a_new_database_through_the_pooler(pgbouncer, empty_database_url):
    database = make_url(sqlalchemy_url(empty_database_url)).database or ""
    pooled = pgbouncer.url(database)
    results = [run_cli("migrate", env={"ALBUMSYNC_DATABASE_URL": pooled}) for _ in range(2)]
    assert [r.code for r in results] == [0, 0], results[0].stderr + results[1].stderr
    assert_nothing_left_behind(pooled, empty_database_url)


def test_two_processes_renaming_one_album_patch_it_once(engine, database_url, pooled_database_url):
    with sports_harness(engine) as h:
        # The re-read under the mutex is the only read of the album's record in `sync --all`
        # (the catalog lists it): slow, so the second process arrives while the first holds it.
        h.emulator.faults.slow_album("GAME01", 2.0)
        env = env_for(h, pooled_database_url)
        with ThreadPoolExecutor(2) as pool:
            runs = list(
                pool.map(lambda _: run_cli("sync", "--all", "--apply", "--json", env=env), [0, 1])
            )
        assert [r.code for r in runs] == [0, 0], [r.stderr for r in runs]
        game = [next(a for a in r.json()["albums"] if a["album_key"] == "GAME01") for r in runs]
        assert sorted(a["action"] for a in game) == ["kept", "renamed"]
        assert h.emulator.log.count("PATCH", path="/api/v2/album/GAME01") == 1
        assert h.emulator.log.count("PATCH", path="/api/v2/album/LAX003") == 1
        assert h.smugmug_name("GAME01") == CANONICAL
        assert names_of(engine, "GAME01") == {CANONICAL: 30}
        with engine.connect() as conn:
            completed = conn.execute(
                sa.text(
                    "SELECT album_key, count(*) FROM album_name_changes WHERE status ="
                    " 'completed' AND smugmug_renamed = 'yes' GROUP BY album_key ORDER BY 1"
                )
            ).all()
            leases = conn.execute(sa.text("SELECT count(*) FROM album_leases")).scalar_one()
        assert [tuple(r) for r in completed] == [("GAME01", 1), ("LAX003", 1)]
        assert leases == 0
    assert_nothing_left_behind(pooled_database_url, database_url)


def test_a_killed_holder_is_taken_over_after_its_lease(
    engine, database_url, pooled_database_url, tmp_path
):
    lease_seconds = 4
    with sports_harness(engine) as h:
        h.emulator.faults.slow_album("GAME01", 120.0)
        env = {
            **os.environ,
            **env_for(h, pooled_database_url, ALBUMSYNC_LEASE_SECONDS=str(lease_seconds)),
        }
        command = [albumsync_executable(), "sync", "--all", "--apply", "--json"]
        with logged_process(command, tmp_path / "first.log", env=env) as first:
            held = wait_for_lease(engine, "GAME01", first)
            os.killpg(first.process.pid, signal.SIGKILL)
            first.process.wait()
        with engine.connect() as conn:
            expires_at = conn.execute(
                sa.text("SELECT expires_at FROM album_leases WHERE album_key = 'GAME01'")
            ).scalar_one()
            owner = conn.execute(
                sa.text("SELECT owner FROM album_leases WHERE album_key = 'GAME01'")
            ).scalar_one()
        assert owner == held  # the dead holder's lease stays until it expires
        assert h.emulator.log.count("PATCH", path="/api/v2/album/GAME01") == 0

        h.emulator.faults.slow_album("GAME01", 0)
        second = run_cli("sync", "--all", "--apply", "--json", env=env)
        assert second.code == 0, second.stderr
        game = next(a for a in second.json()["albums"] if a["album_key"] == "GAME01")
        assert game["action"] == "renamed", game
        patches = [
            e
            for e in h.emulator.log.entries()
            if e.method == "PATCH" and e.path == "/api/v2/album/GAME01"
        ]
        assert len(patches) == 1
        # Taken over only once the dead holder's lease had run out.
        assert datetime.fromtimestamp(patches[0].at, expires_at.tzinfo) >= expires_at
        # Every album renamed once (LAX003 by the second process).
        assert h.emulator.log.count("PATCH") == 2
        assert h.smugmug_name("GAME01") == CANONICAL
        assert names_of(engine, "GAME01") == {CANONICAL: 30}
        with engine.connect() as conn:
            renames = conn.execute(
                sa.text(
                    "SELECT count(*) FROM album_name_changes WHERE album_key = 'GAME01'"
                    " AND status = 'completed' AND smugmug_renamed = 'yes'"
                )
            ).scalar_one()
        assert renames == 1
    assert_nothing_left_behind(pooled_database_url, database_url)


def wait_for_lease(engine, album_key: str, process, timeout: float = 60) -> str:
    """The owner of the album's lease once ``process`` holds it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.process.poll() is None, process.report("the holder exited early")
        with engine.connect() as conn:
            owner = conn.execute(
                sa.text("SELECT owner FROM album_leases WHERE album_key = :k"), {"k": album_key}
            ).scalar()
        if owner is not None:
            return str(owner)
        time.sleep(0.1)
    pytest.fail(process.report(f"no lease on {album_key} within {timeout:g} s"))
