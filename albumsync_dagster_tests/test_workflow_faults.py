"""Regressions from review: pending changes, stale plans, people's renames, pooled timeouts."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from albumsync_dagster.locks import album_locks_for, album_mutex, unlock_album
from albumsync_dagster.rollback import RESTORED, rollback
from albumsync_dagster.workflow import (
    CHANGED_SINCE_PLANNED,
    FAILED,
    HUMAN_RENAMED,
    KEPT,
    LOCKED,
    RENAMED,
    apply_renames,
    compute_canonical_names,
    fetch_albums,
    sync_albums,
)
from albumsync_dagster_tests.photo_rows import audit_rows, names_of, updates_refused
from albumsync_dagster_tests.sports_account import SETTINGS, sports_harness

CANONICAL = "Eagles vs Lions - May 30"
PERSON = "Eagles vs Lions - Senior Night"


def run(h, keys, **kw):
    return {
        o.album_key: o
        for o in sync_albums(h.engine, h.client, keys, settings=SETTINGS, dry_run=False, **kw)
    }


def test_pending_rename_then_a_person_renames_is_never_overwritten(engine):
    with sports_harness(engine) as h:
        with updates_refused(engine, "GAME01"):
            run(h, ["GAME01"])
        h.emulator.store.rename_by_hand("GAME01", PERSON)
        outcome = run(h, ["GAME01"])["GAME01"]
        assert outcome.action == LOCKED
        assert h.smugmug_name("GAME01") == PERSON
        assert names_of(engine, "GAME01") == {PERSON: 30}
        assert h.emulator.log.count("PATCH") == 1


def test_a_stale_plan_is_not_taken_for_a_persons_rename(engine):
    with sports_harness(engine) as h:
        fetch_albums(engine, h.client, ["GAME01"])
        compute_canonical_names(engine, ["GAME01"], tz=SETTINGS.timezone)
        first = apply_renames(engine, h.client, ["GAME01"], threshold=20, dry_run=False)
        assert first["GAME01"].action == RENAMED
        # The Dagster step re-executed on the same (now stale) plan.
        again = apply_renames(engine, h.client, ["GAME01"], threshold=20, dry_run=False)
        assert again["GAME01"].action == KEPT
        assert album_locks_for(engine) == {}
        assert h.emulator.log.count("PATCH") == 1


def test_unlock_after_a_persons_rename_lets_the_pipeline_rename_again(engine):
    with sports_harness(engine) as h:
        run(h, ["GAME01"])
        h.emulator.store.rename_by_hand("GAME01", PERSON)
        assert run(h, ["GAME01"])["GAME01"].action == HUMAN_RENAMED
        assert [r.smugmug_renamed for r in audit_rows(engine, "GAME01")].count("accepted") == 1
        assert unlock_album(engine, "GAME01")
        assert run(h, ["GAME01"])["GAME01"].action == RENAMED
        assert h.smugmug_name("GAME01") == CANONICAL


def test_rollback_whose_rows_fail_stays_locked_and_fails(engine):
    with sports_harness(engine) as h:
        run(h, ["GAME01"])
        with updates_refused(engine, "GAME01"):
            (item,) = rollback(engine, h.client, timedelta(hours=1), dry_run=False)
        assert item.action == FAILED and "pending" in item.reason
        assert h.smugmug_name("GAME01") == "eagles v lions"
        assert "GAME01" in album_locks_for(engine)
        after = run(h, ["GAME01"])["GAME01"]  # repairs the pending rollback, renames nothing
        assert after.action == LOCKED
        assert h.smugmug_name("GAME01") == "eagles v lions"
        assert names_of(engine, "GAME01") == {"eagles v lions": 30}


def test_rollback_sees_a_rename_left_pending(engine):
    with sports_harness(engine) as h:
        with updates_refused(engine, "GAME01"):
            run(h, ["GAME01"])
        items = rollback(engine, h.client, timedelta(hours=1), dry_run=False)
        assert [(i.album_key, i.action) for i in items] == [("GAME01", RESTORED)]
        assert h.smugmug_name("GAME01") == "eagles v lions"
        assert names_of(engine, "GAME01") == {"eagles v lions": 30}


def test_a_stuck_pending_change_does_not_stop_the_batch(engine):
    with sports_harness(engine) as h:
        with updates_refused(engine, "GAME01"):
            run(h, ["GAME01"])
            outcomes = run(h, ["GAME01", "LAX003"])  # repair of GAME01 fails again
        assert outcomes["LAX003"].action == RENAMED
        assert [r.status for r in audit_rows(engine, "GAME01")] == ["pending"]


def test_rows_follow_the_name_found_when_it_changed_since_planning(engine):
    with sports_harness(engine) as h:
        keys = ["GAME01"]
        fetch_albums(engine, h.client, keys)
        compute_canonical_names(engine, keys, tz=SETTINGS.timezone)
        h.emulator.store.rename_by_hand("GAME01", "Eagles at Lions")
        outcome = apply_renames(engine, h.client, keys, threshold=20, dry_run=False)
        assert outcome["GAME01"].action == CHANGED_SINCE_PLANNED
        from albumsync_dagster.workflow import sync_photo_rows

        rows = sync_photo_rows(engine, keys, dry_run=False)
        assert rows.verification["GAME01"].synced
        assert names_of(engine, "GAME01") == {"Eagles at Lions": 30}


def test_the_mutex_leaves_no_timeout_on_pooled_connections(engine):
    for _ in range(3):
        with album_mutex(engine, "GAME01", wait_seconds=1):
            pass
    conns = [engine.connect() for _ in range(3)]
    try:
        timeouts = {c.execute(sa.text("SHOW lock_timeout")).scalar() for c in conns}
    finally:
        for c in conns:
            c.close()
    assert timeouts == {"0"}


def test_lock_and_unlock_say_what_they_changed(engine):
    from albumsync_dagster.locks import lock_album

    assert lock_album(engine, "GAME01", "first", "tester") is True
    assert lock_album(engine, "GAME01", "second", "tester") is False
    assert album_locks_for(engine)["GAME01"].reason == "first"
    assert unlock_album(engine, "GAME01") is True
    assert unlock_album(engine, "GAME01") is False
