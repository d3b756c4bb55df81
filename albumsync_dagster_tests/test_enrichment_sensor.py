"""``enrichment_sensor`` over a changing ``album_enrichment`` table (real PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest
import sqlalchemy as sa

from albumsync_dagster.dagster_layer.partitions import (
    ALBUMS,
    RANGE_END_TAG,
    RANGE_START_TAG,
    batches_in_partition_order,
    is_partition_range,
)
from albumsync_dagster.dagster_layer.resources import AlbumSyncSettings, PhotoDatabase
from albumsync_dagster.dagster_layer.sensors import EnrichmentCursor, enrichment_sensor
from albumsync_dagster.definitions import defs

KEYS = [f"ALB{i:03d}" for i in range(25)]


def enrich(engine, keys, at=None):
    """Write (or rewrite) the enrichment of ``keys``, stamped ``at`` (default: now())."""
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO album_enrichment (album_key, teams, event_name, sport_type,"
                " updated_at) VALUES (:k, ARRAY['Eagles','Lions'], NULL, 'soccer',"
                " COALESCE(:at, now()))"
                " ON CONFLICT (album_key) DO UPDATE SET updated_at = EXCLUDED.updated_at,"
                " sport_type = 'lacrosse'"
            ),
            [{"k": k, "at": at} for k in keys],
        )


class Ticks:
    """Evaluates the sensor as the daemon would: partitions added, cursor kept."""

    def __init__(self, instance, database_url):
        self.instance = instance
        self.database_url = database_url
        self.cursor = None

    def evaluate(self, cursor=None):
        # A context manager: the resources' engine lives for the tick, as under the daemon.
        with dg.build_sensor_context(
            instance=self.instance,
            cursor=self.cursor if cursor is None else cursor,
            resources={
                "photo_db": PhotoDatabase(database_url=self.database_url),
                "settings": AlbumSyncSettings(),
            },
            definitions=defs,
        ) as context:
            result = enrichment_sensor(context)
        assert isinstance(result, dg.SensorResult)
        return result

    def tick(self):
        result = self.evaluate()
        for request in result.dynamic_partitions_requests or []:
            self.instance.add_dynamic_partitions(
                request.partitions_def_name, request.partition_keys
            )
        self.cursor = result.cursor
        return result


def ranges(result):
    """The partition range of each run request (all of them must be ranges)."""
    return [(r.tags[RANGE_START_TAG], r.tags[RANGE_END_TAG]) for r in result.run_requests or []]


def album_keys(request):
    return request.run_config["ops"]["album_sync"]["config"]["album_keys"]


@pytest.fixture
def ticks(engine, database_url, monkeypatch):
    monkeypatch.delenv("ALBUMSYNC_BATCH_SIZE", raising=False)  # the default: 10
    with dg.DagsterInstance.ephemeral() as instance:
        yield Ticks(instance, database_url)


def test_25_new_albums_become_3_runs_then_nothing(engine, ticks):
    enrich(engine, KEYS)
    first = ticks.tick()
    assert ranges(first) == [("ALB000", "ALB009"), ("ALB010", "ALB019"), ("ALB020", "ALB024")]
    (added,) = first.dynamic_partitions_requests
    assert added.partitions_def_name == ALBUMS and list(added.partition_keys) == KEYS
    assert list(ticks.instance.get_dynamic_partitions(ALBUMS)) == KEYS
    for request in first.run_requests:
        assert request.job_name == "album_sync_job"
        assert request.tags["albumsync/trigger"] == "enrichment"
        assert request.run_config["ops"]["album_sync"]["config"]["dry_run"] is False
        assert album_keys(request) == []  # a range: its tags say which albums
    # The cursor advanced to the last row read.
    cursor = EnrichmentCursor.parse(first.cursor)
    assert cursor.album_key == "ALB024" and cursor.updated_at is not None

    # Nothing changed: no run; the same evaluation repeated (a crash before the cursor was
    # stored) asks for the same run keys, which Dagster launches only once.
    second = ticks.tick()
    assert second.run_requests == [] or second.run_requests is None
    assert "no new or changed enrichment" in (second.skip_reason or "")
    replay = ticks.evaluate(cursor="")
    assert [r.run_key for r in replay.run_requests] == [r.run_key for r in first.run_requests]


def test_changed_albums_only_and_a_later_change_runs_again(engine, ticks):
    enrich(engine, KEYS)
    first = ticks.tick()
    enrich(engine, ["ALB003", "ALB004", "ALB017"])
    changed = ticks.tick()
    # Exactly the changed albums, in one run: not neighbours, so named in the run config.
    (request,) = changed.run_requests
    assert album_keys(request) == ["ALB003", "ALB004", "ALB017"]
    assert RANGE_START_TAG not in request.tags
    assert request.tags["albumsync/albums"] == "ALB003,ALB004,ALB017"
    assert not changed.dynamic_partitions_requests
    earlier = {r.run_key for r in first.run_requests}
    assert earlier.isdisjoint(r.run_key for r in changed.run_requests)
    enrich(engine, ["ALB003", "ALB004"])  # changed again: a new version, a new run key
    again = ticks.tick()
    assert ranges(again) == [("ALB003", "ALB004")]
    assert again.run_requests[0].run_key != changed.run_requests[0].run_key


def test_batch_size_from_the_environment(engine, ticks, monkeypatch):
    monkeypatch.setenv("ALBUMSYNC_BATCH_SIZE", "4")
    enrich(engine, KEYS[:9])
    assert ranges(ticks.tick()) == [
        ("ALB000", "ALB003"),
        ("ALB004", "ALB007"),
        ("ALB008", "ALB008"),
    ]


def test_rows_stamped_in_one_instant_are_read_once_each(engine, ticks):
    instant = datetime(2024, 6, 1, 12, tzinfo=UTC)
    enrich(engine, KEYS[:3], at=instant)
    assert ranges(ticks.tick()) == [("ALB000", "ALB002")]
    enrich(engine, ["ALB005"], at=instant)  # same stamp, a key after the cursor's
    assert ranges(ticks.tick()) == [("ALB005", "ALB005")]
    assert not ticks.tick().run_requests


def test_a_late_commit_stamped_before_the_cursor_is_not_lost(engine, ticks):
    enrich(engine, ["ALB000", "ALB001"])
    ticks.tick()
    cursor = EnrichmentCursor.parse(ticks.cursor)
    # A slow transaction commits now a row stamped when it began, before the cursor.
    enrich(engine, ["ALB010"], at=cursor.updated_at - timedelta(seconds=30))
    late = ticks.tick()
    assert ranges(late) == [("ALB010", "ALB010")]
    assert not ticks.tick().run_requests  # and only once


def test_100_scattered_changes_among_1000_albums_become_10_runs(engine, ticks):
    many = [f"ALB{i:04d}" for i in range(1000)]
    enrich(engine, many)
    assert len(ticks.tick().run_requests) == 100  # the first sight of 1,000 albums
    scattered = many[7::10]  # every tenth album: no two are neighbours
    enrich(engine, scattered)
    result = ticks.tick()
    assert len(result.run_requests) == 10
    covered = [album_keys(r) for r in result.run_requests]
    assert all(len(keys) == 10 for keys in covered)
    assert sorted(k for keys in covered for k in keys) == scattered  # each exactly once
    assert len({r.run_key for r in result.run_requests}) == 10


def test_batches_in_partition_order():
    order = ["a", "b", "c", "d", "e", "f"]
    assert batches_in_partition_order(order, {"e", "a", "b", "c"}, 2) == [["a", "b"], ["c", "e"]]
    assert batches_in_partition_order(order, set(order), 10) == [order]
    assert batches_in_partition_order(order, {"zz"}, 3) == []
    with pytest.raises(ValueError):
        batches_in_partition_order(order, {"a"}, 0)
    assert is_partition_range(order, ["b", "c", "d"])
    assert not is_partition_range(order, ["c", "e"])
    assert not is_partition_range(order, ["b", "a"])
    assert not is_partition_range(order, ["zz"]) and not is_partition_range(order, [])
