"""Rollback on both sides, against the emulator and a real PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from albumsync_dagster.locks import album_locks_for
from albumsync_dagster.rollback import (
    ALREADY_RESTORED,
    REFUSED,
    RESTORED,
    WOULD_RESTORE,
    parse_duration,
    rollback,
)
from albumsync_dagster.workflow import sync_albums
from albumsync_dagster_tests.photo_rows import audit_rows, names_of
from albumsync_dagster_tests.sports_account import ALBUMS, SETTINGS, sports_harness

HOUR = timedelta(hours=1)


def sync_all(h):
    return sync_albums(h.engine, h.client, sorted(ALBUMS), settings=SETTINGS, dry_run=False)


def test_parse_duration():
    assert parse_duration("30m") == timedelta(minutes=30)
    assert parse_duration("1d12h") == timedelta(days=1, hours=12)
    assert parse_duration("2w") == timedelta(weeks=2)
    for bad in ("", "abc", "10", "5x", "-1h"):
        with pytest.raises(ValueError, match="--since"):
            parse_duration(bad)


def test_rollback_restores_both_sides_and_is_idempotent(engine):
    with sports_harness(engine) as h:
        sync_all(h)
        assert h.smugmug_name("GAME01") == "Eagles vs Lions - May 30"

        preview = {i.album_key: i for i in rollback(engine, h.client, HOUR, dry_run=True)}
        assert {k: i.action for k, i in preview.items()} == {
            "GAME01": WOULD_RESTORE,
            "LAX003": WOULD_RESTORE,
        }
        assert h.smugmug_name("GAME01") == "Eagles vs Lions - May 30"  # dry run

        done = {i.album_key: i for i in rollback(engine, h.client, HOUR, dry_run=False)}
        assert {k: i.action for k, i in done.items()} == {"GAME01": RESTORED, "LAX003": RESTORED}
        assert h.smugmug_name("GAME01") == "eagles v lions"
        assert h.smugmug_name("LAX003") == "Untitled"
        assert names_of(engine, "GAME01") == {"eagles v lions": 30}
        assert names_of(engine, "LAX003") == {"Untitled": 12}
        rollbacks = [r for r in audit_rows(engine) if r.source == "rollback"]
        assert len(rollbacks) == 2 and all(r.rollback_of is not None for r in rollbacks)
        assert {"GAME01", "LAX003"} <= set(album_locks_for(engine))

        patches = h.emulator.log.count("PATCH")
        again = rollback(engine, h.client, HOUR, dry_run=False)
        assert {i.action for i in again} == {ALREADY_RESTORED}
        assert h.emulator.log.count("PATCH") == patches

        # The restored albums are locked: the next sync does not rename them straight back.
        sync_all(h)
        assert h.smugmug_name("GAME01") == "eagles v lions"


def test_rollback_refuses_an_album_a_person_renamed_since(engine):
    with sports_harness(engine) as h:
        sync_all(h)
        h.emulator.store.rename_by_hand("GAME01", "Eagles vs Lions - Senior Night")
        items = {i.album_key: i for i in rollback(engine, h.client, HOUR, dry_run=False)}
        assert items["GAME01"].action == REFUSED
        assert "renamed by a person" in items["GAME01"].reason
        assert h.smugmug_name("GAME01") == "Eagles vs Lions - Senior Night"
        assert items["LAX003"].action == RESTORED


def test_rollback_of_one_album_and_outside_the_window(engine):
    with sports_harness(engine) as h:
        sync_all(h)
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE album_name_changes SET changed_at = now() - interval '3 hours'"
                    " WHERE album_key = 'LAX003'"
                )
            )
        items = rollback(engine, h.client, HOUR, dry_run=False)
        assert [i.album_key for i in items] == ["GAME01"]
        items = rollback(engine, h.client, timedelta(days=1), album_key="LAX003", dry_run=False)
        assert [(i.album_key, i.action) for i in items] == [("LAX003", RESTORED)]
        assert h.smugmug_name("LAX003") == "Untitled"
