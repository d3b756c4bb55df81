"""The fault matrix: the database connection lost mid-run (in the catalog, in a batch, while the
rename mutex is held, between the PATCH and the commit), PATCH answers lost (the rename landing
late, after repair looked), names SmugMug holds that the project would never set, and SmugMug
erring under two processes at once. Each ends, after repair and a rerun, with SmugMug and the
rows in agreement and every rename with exactly one completed audit row."""

from __future__ import annotations

import os
import subprocess
import time
from collections import Counter
from datetime import timedelta

from albumsync_dagster.db import create_engine
from albumsync_dagster.locks import lock_album
from albumsync_dagster.name_changes import OPEN, SmugMugRenamed, Status
from albumsync_dagster.rollback import RESTORED, rollback
from albumsync_dagster.smugmug import SmugMugClient
from albumsync_dagster.verify_report import build_verify_report
from albumsync_dagster.workflow import (
    FAILED,
    KEPT,
    RENAMED,
    UNCONFIRMED,
    rename_on_smugmug,
    repair_pending,
    sync_albums,
)
from albumsync_dagster_tests.cli_runner import albumsync_executable, run_cli
from albumsync_dagster_tests.db_faults import connection_dies_writing, terminate_connections_when
from albumsync_dagster_tests.photo_rows import audit_rows, names_of, recheck_window_passes
from albumsync_dagster_tests.sports_account import ALBUMS, SETTINGS, TZ, sports_harness

CANONICAL = "Eagles vs Lions - May 30"


def run(h, keys, client=None):
    client = client or h.client
    return {
        o.album_key: o
        for o in sync_albums(h.engine, client, keys, settings=SETTINGS, dry_run=False)
    }


def assert_settled(h) -> None:
    """SmugMug and the rows agree, nothing is left open, and each album's renames on SmugMug
    are one completed audit row each, the last carrying SmugMug's name."""
    for key in ALBUMS:
        assert set(names_of(h.engine, key)) == {h.smugmug_name(key)}, key
    rows = audit_rows(h.engine)
    assert [r.id for r in rows if r.status in OPEN] == []
    ours = [r for r in rows if r.status == Status.COMPLETED and r.smugmug_renamed == "yes"]
    for key in ALBUMS:
        renames = [(r.old_name, r.new_name) for r in ours if r.album_key == key]
        if h.smugmug_name(key) != ALBUMS[key][0]:
            assert renames and renames[-1][1] == h.smugmug_name(key), key
        assert all(a != b for a, b in renames), key
        # No rename recorded twice: consecutive completed renames chain old -> new.
        assert all(renames[i][1] == renames[i + 1][0] for i in range(len(renames) - 1)), key


def cli_env(h, database_url, **extra):
    return {
        **h.emulator.env(),
        "ALBUMSYNC_DATABASE_URL": database_url,
        "ALBUMSYNC_TIMEZONE": TZ,
        "ALBUMSYNC_BATCH_SIZE": "3",
        **extra,
    }


def assert_no_dump(stderr: str) -> None:
    """One-line errors: no traceback, no statement, no parameters (album names) on the terminal."""
    assert "Traceback" not in stderr
    assert "INSERT" not in stderr and "UPDATE" not in stderr and "[parameters" not in stderr
    assert "eagles v lions" not in stderr


# --- the database connection lost -------------------------------------------------------


def test_connection_lost_between_patch_and_commit_is_retried(engine):
    with sports_harness(engine) as h:
        with connection_dies_writing(engine, "photo_metadata", "GAME01", times=1):
            outcome = run(h, ["GAME01", "LAX003"])
        game = outcome["GAME01"]
        assert (game.action, game.error, game.synced) == (RENAMED, None, True)
        assert outcome["LAX003"].action == RENAMED
        assert h.emulator.log.count("PATCH") == 2
        assert_settled(h)


def test_connection_lost_for_good_after_the_patch_leaves_it_pending_then_repaired(engine):
    with sports_harness(engine) as h:
        with connection_dies_writing(engine, "photo_metadata", "GAME01", times=1000):
            outcome = run(h, ["GAME01", "LAX003"])
        game = outcome["GAME01"]
        assert game.action == RENAMED and game.failed
        assert "connection was lost" in game.error and "pending" in game.error
        assert "\n" not in game.error
        assert outcome["LAX003"].action == RENAMED and outcome["LAX003"].synced  # went on
        assert [r.status for r in audit_rows(engine, "GAME01")] == [Status.PENDING]

        again = run(h, ["GAME01"])["GAME01"]  # repair completes it; nothing sent again
        assert again.action == KEPT and again.synced
        assert h.emulator.log.count("PATCH") == 2
        assert_settled(h)
        (done,) = audit_rows(engine, "GAME01")
        assert (done.status, done.smugmug_renamed, done.rows_updated) == ("completed", "yes", 30)

        items = rollback(engine, h.client, timedelta(hours=1), album_key="GAME01", dry_run=False)
        assert [i.action for i in items] == [RESTORED]
        assert h.smugmug_name("GAME01") == "eagles v lions"
        assert_settled(h)


def test_connection_lost_while_the_mutex_is_held(engine, database_url):
    watcher = create_engine(database_url)
    try:
        with sports_harness(engine) as h:
            h.emulator.faults.set_latency(300)  # the PATCH is in flight long enough to strike
            with terminate_connections_when(
                watcher, lambda: h.emulator.log.count("PATCH") > 0
            ) as killed:
                outcome = run(h, ["GAME01", "LAX003"])
            h.emulator.faults.set_latency(0)
            assert killed and killed[0] >= 1
            game = outcome["GAME01"]
            assert (game.action, game.error, game.synced) == (RENAMED, None, True)
            assert outcome["LAX003"].action == RENAMED and outcome["LAX003"].synced
            assert h.emulator.log.count("PATCH") == 2
            assert_settled(h)
    finally:
        watcher.dispose()


def test_connection_lost_storing_the_catalog(engine, database_url):
    with sports_harness(engine) as h:
        env = cli_env(h, database_url)
        with connection_dies_writing(engine, "smugmug_albums", "GAME01", times=1):
            once = run_cli("sync", "--all", "--apply", env=env)
        assert once.code == 0, once.stderr
        assert "connection lost" in once.stderr and "trying again" in once.stderr
        assert_no_dump(once.stderr)

        # A full listing (the sorted one would list only the albums just renamed).
        full = {**env, "ALBUMSYNC_FULL_LISTING_HOURS": "0"}
        with connection_dies_writing(engine, "smugmug_albums", "CUP002", times=1000):
            lost = run_cli("sync", "--all", "--apply", env=full)
        assert lost.code == 2
        assert_no_dump(lost.stderr)
        (error,) = [line for line in lost.stderr.splitlines() if line.startswith("error:")]
        assert "storing the SmugMug catalog" in error and "connection was lost" in error

        again = run_cli("sync", "--all", "--apply", env=env)
        assert again.code == 0, again.stderr
        assert run_cli("verify", env=env).code == 0
        assert_settled(h)


def test_connection_lost_for_one_album_fails_that_album_and_the_run_goes_on(engine, database_url):
    with sports_harness(engine) as h:
        env = cli_env(h, database_url)
        with connection_dies_writing(engine, "smugmug_images", "GAME01", times=1000):
            result = run_cli("sync", "--all", "--apply", "--json", env=env)
        assert result.code == 1
        assert_no_dump(result.stderr)
        payload = result.json()
        assert payload["summary"]["failed"] == 1
        by_key = {a["album_key"]: a for a in payload["albums"]}
        assert "connection was lost" in by_key["GAME01"]["error"]
        assert by_key["LAX003"]["action"] == RENAMED  # same batch, went on
        assert by_key["NOENR4"]["action"] == "no_canonical"  # next batch too
        assert h.smugmug_name("GAME01") == "eagles v lions"

        again = run_cli("sync", "--all", "--apply", env=env)
        assert again.code == 0, again.stderr
        assert h.smugmug_name("GAME01") == CANONICAL
        assert run_cli("verify", env=env).code == 0
        assert_settled(h)


# --- PATCH answers lost -----------------------------------------------------------------


def test_a_patch_landing_after_repair_looked_is_completed_as_ours(engine):
    with sports_harness(engine) as h:
        h.emulator.faults.lose_patch_answer("GAME01", status=504, land_after=None)
        first = run(h, ["GAME01"])["GAME01"]
        assert first.action == FAILED and "unknown" in first.reason
        (change,) = audit_rows(engine, "GAME01")
        assert (change.status, change.smugmug_renamed) == (Status.UNKNOWN, SmugMugRenamed.UNKNOWN)
        assert change.recheck_until is not None
        h.emulator.faults.clear_album("GAME01")
        patches = h.emulator.log.count("PATCH")

        [looked] = repair_pending(engine, h.client)
        assert (looked.status, looked.change_id) == ("unknown", change.id)
        waiting = run(h, ["GAME01"])["GAME01"]
        assert waiting.action == UNCONFIRMED and not waiting.failed
        assert h.emulator.log.count("PATCH") == patches  # never sent again while it may land
        assert names_of(engine, "GAME01") == {"eagles v lions": 30}  # rows follow SmugMug

        assert h.emulator.state.land_held_patches() == ["GAME01"]  # it lands, late
        after = run(h, ["GAME01"])["GAME01"]
        assert after.action == KEPT and after.synced
        (done,) = audit_rows(engine, "GAME01")
        assert (done.id, done.status, done.smugmug_renamed) == (change.id, "completed", "yes")
        assert_settled(h)

        items = rollback(engine, h.client, timedelta(hours=1), dry_run=False)
        assert [(i.album_key, i.action) for i in items] == [("GAME01", RESTORED)]
        assert h.smugmug_name("GAME01") == "eagles v lions"
        assert_settled(h)


def test_a_timed_out_patch_uses_the_timeout_setting_and_lands_late(engine):
    with sports_harness(engine) as h:
        client = SmugMugClient.from_env(
            {**h.emulator.env(), "SMUGMUG_TIMEOUT_SECONDS": "0.3"}, max_attempts=1
        )
        h.emulator.faults.lose_patch_answer("GAME01", stall_seconds=2.0, land_after=1.0)
        with client:
            first = run(h, ["GAME01"], client=client)["GAME01"]
            assert first.action == FAILED and "Timeout" in first.reason
            assert [r.status for r in audit_rows(engine, "GAME01")] == [Status.UNKNOWN]
            h.emulator.faults.clear_album("GAME01")
            deadline = 50
            while h.smugmug_name("GAME01") != CANONICAL and deadline:
                deadline -= 1
                time.sleep(0.1)
            assert h.smugmug_name("GAME01") == CANONICAL
            after = run(h, ["GAME01"], client=client)["GAME01"]
        assert after.action == KEPT and after.synced
        assert_settled(h)


def test_a_5xx_patch_that_was_applied_is_confirmed_at_once(engine):
    with sports_harness(engine) as h:
        h.emulator.faults.fail_album("GAME01", status=502, methods=["PATCH"], apply_patch=True)
        game = run(h, ["GAME01"])["GAME01"]
        assert (game.action, game.error, game.synced) == (RENAMED, None, True)
        assert "answer was lost" in game.reason
        assert_settled(h)


def test_an_unknown_rename_that_never_lands_is_closed_after_the_window(engine):
    with sports_harness(engine) as h:
        h.emulator.faults.lose_patch_answer("GAME01", land_after=None)  # held for ever
        assert run(h, ["GAME01"])["GAME01"].action == FAILED
        h.emulator.faults.clear_album("GAME01")
        recheck_window_passes(engine, "GAME01")
        renamed = run(h, ["GAME01"])["GAME01"]  # closes it, then renames afresh
        assert renamed.action == RENAMED and renamed.synced
        statuses = [(r.status, r.error) for r in audit_rows(engine, "GAME01")]
        assert statuses[0][0] == "failed" and "never reached" in statuses[0][1]
        assert statuses[1][0] == "completed"
        assert_settled(h)


# --- names SmugMug holds ----------------------------------------------------------------


def test_rows_follow_empty_and_blank_names_and_verify_counts_them_in_sync(engine):
    with sports_harness(engine) as h:
        lock_album(engine, "LAX003", "kept as it is", "tester")
        h.emulator.store.rename_by_hand("NOENR4", "")
        h.emulator.store.rename_by_hand("LAX003", "   ")
        outcome = run(h, ["NOENR4", "LAX003"])
        assert names_of(engine, "NOENR4") == {"": 5}
        assert names_of(engine, "LAX003") == {"   ": 12}
        assert all(o.synced and not o.failed for o in outcome.values())
        report = build_verify_report(engine)
        lines = {line.album_key: line for line in report.albums}
        assert lines["NOENR4"].synced and lines["LAX003"].synced

        # The project itself never sets such a name.
        refused = rename_on_smugmug(
            engine,
            h.client,
            "GAME01",
            expected_current="eagles v lions",
            new_name="  ",
            changed_by="tester",
            source="test",
        )
        assert refused.action == FAILED and "blank" in refused.reason
        assert h.emulator.log.count("PATCH") == 0


# --- SmugMug erring, two processes at once ----------------------------------------------


def test_429_storms_and_5xx_with_two_processes_at_once(engine, database_url):
    with sports_harness(engine) as h:
        h.emulator.faults.set_error_rate(0.2, seed=11)
        h.emulator.faults.set_rate_limit(6, per_seconds=1.0)
        env = {
            **cli_env(h, database_url, ALBUMSYNC_RENAME_RECHECK_HOURS="0"),
            "COLUMNS": "200",
        }
        procs = [
            subprocess.Popen(
                [albumsync_executable(), "sync", "--all", "--apply"],
                env={**os.environ, **env},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
        for code, _, stderr in results:
            assert code in (0, 1), stderr
            assert_no_dump(stderr)
        h.emulator.faults.reset()

        assert run_cli("repair", env=env).code == 0
        again = run_cli("sync", "--all", "--apply", env=env)
        assert again.code == 0, again.stdout + again.stderr
        assert run_cli("verify", env=env).code == 0
        assert h.smugmug_name("GAME01") == CANONICAL
        assert_settled(h)
        ours = Counter(
            (r.album_key, r.new_name)
            for r in audit_rows(engine)
            if r.status == "completed" and r.smugmug_renamed == "yes"
        )
        assert ours[("GAME01", CANONICAL)] == 1
