"""``smugmug_change_sensor`` over the emulator: changed albums become batched runs of exactly
those albums; a repeated tick requests the same run keys (so the daemon launches nothing
twice); the cursor survives a new sensor context; the first tick starts from the snapshot."""

from __future__ import annotations

from typing import Any

import dagster as dg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from albumsync_dagster.account_sync import sync_account
from albumsync_dagster.dagster_layer.change_sensor import parse_cursor, smugmug_change_sensor
from albumsync_dagster.dagster_layer.partitions import ALBUMS, RANGE_END_TAG, RANGE_START_TAG
from albumsync_dagster.dagster_layer.resources import (
    AlbumSyncSettings,
    PhotoDatabase,
    SmugMugResource,
)
from albumsync_dagster.definitions import defs
from albumsync_dagster.emulator import account_builder as ab
from albumsync_dagster.schema import photo_metadata
from albumsync_dagster.settings import Settings
from albumsync_dagster.smugmug import SmugMugClient
from albumsync_dagster_tests.photo_rows import photo_row

KEYS = [f"Sn{i:03d}xy" for i in range(12)]


class Ticks:
    """Evaluates the sensor as the daemon would: partitions added, cursor kept."""

    def __init__(self, instance: dg.DagsterInstance, database_url: str, emulator: Any) -> None:
        self.instance = instance
        self.resources = {
            "photo_db": PhotoDatabase(database_url=database_url),
            "smugmug": SmugMugResource(
                api_key=emulator.credentials["SMUGMUG_API_KEY"],
                api_secret=emulator.credentials["SMUGMUG_API_SECRET"],
                access_token=emulator.credentials["SMUGMUG_ACCESS_TOKEN"],
                access_token_secret=emulator.credentials["SMUGMUG_ACCESS_TOKEN_SECRET"],
                base_url=emulator.base_url,
                nickname=emulator.credentials["SMUGMUG_NICKNAME"],
                requests_per_second=0,
            ),
            "settings": AlbumSyncSettings(),
        }
        self.cursor: str | None = None

    def tick(self) -> dg.SensorResult:
        with dg.build_sensor_context(
            instance=self.instance, cursor=self.cursor, resources=self.resources, definitions=defs
        ) as context:
            result = smugmug_change_sensor(context)
        assert isinstance(result, dg.SensorResult)
        for request in result.dynamic_partitions_requests or []:
            self.instance.add_dynamic_partitions(
                request.partitions_def_name, request.partition_keys
            )
        self.cursor = result.cursor
        return result


def albums_of(request: dg.RunRequest, order: list[str]) -> list[str]:
    keys = request.run_config["ops"]["album_sync"]["config"]["album_keys"]
    if keys:
        return list(keys)
    start, end = request.tags[RANGE_START_TAG], request.tags[RANGE_END_TAG]
    return order[order.index(start) : order.index(end) + 1]


@pytest.fixture
def synced(engine: Engine, database_url: str, smugmug_emulator_factory: Any, monkeypatch):
    emulator = smugmug_emulator_factory([ab.album(k, f"album {k}", ab.images(k, 2)) for k in KEYS])
    for name, value in {
        **emulator.env(),
        "ALBUMSYNC_DATABASE_URL": database_url,
        "ALBUMSYNC_BATCH_SIZE": "2",
        "SMUGMUG_REQUESTS_PER_SECOND": "0",
    }.items():
        monkeypatch.setenv(name, value)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(photo_metadata), [photo_row(f"{k}-r", k, f"album {k}") for k in KEYS]
        )
    with SmugMugClient.from_env(emulator.env(), requests_per_second=None) as client:
        run = sync_account(engine, client, settings=Settings(batch_size=50), dry_run=False)
    assert len(run.outcomes) == len(KEYS)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(ALBUMS, KEYS)
    return Ticks(instance, database_url, emulator), emulator


def test_changed_albums_become_batched_runs_of_exactly_them(synced: Any, engine: Engine) -> None:
    ticks, emulator = synced
    emulator.log.clear()
    first = ticks.tick()
    # First tick, no cursor: from where the snapshot's last listing left off; nothing differs.
    assert first.run_requests == [] and first.skip_reason
    assert parse_cursor(ticks.cursor) is not None
    assert emulator.log.count("GET", path_contains="!images") == 0
    assert emulator.log.count("GET", path_contains="!albums") == 0  # no full listing

    for key in (KEYS[1], KEYS[4], KEYS[9]):
        emulator.store.rename_by_hand(key, f"renamed {key}")
    # Created now, so changed now (LastUpdated is an album's creation time at first).
    now = emulator.store.now()
    emulator.store.add_album(
        ab.album("NewAl1", "New album", ab.images("NewAl1", 1), date=now, last_updated=now)
    )
    emulator.log.clear()
    result = ticks.tick()
    order = list(ticks.instance.get_dynamic_partitions(ALBUMS))
    assert "NewAl1" in order
    batches = [albums_of(r, order) for r in result.run_requests]
    assert sorted(k for b in batches for k in b) == sorted([KEYS[1], KEYS[4], KEYS[9], "NewAl1"])
    assert len(batches) == 2  # 4 albums, batches of 2
    assert all(r.run_key for r in result.run_requests)
    assert emulator.log.count("GET", path_contains="album!search") == 1

    # The runs have not happened yet: a repeated tick asks for the same run keys (the daemon
    # launches nothing twice), and a fresh context resumes from the stored cursor.
    again = ticks.tick()
    assert [r.run_key for r in again.run_requests] == [r.run_key for r in result.run_requests]


def test_the_runs_it_requests_sync_those_albums(synced: Any, engine: Engine) -> None:
    ticks, emulator = synced
    ticks.tick()
    emulator.store.rename_by_hand(KEYS[3], "chosen by a person")
    result = ticks.tick()
    assert len(result.run_requests) == 1
    request = result.run_requests[0]
    job = defs.resolve_job_def("album_sync_job")
    run = job.execute_in_process(
        instance=ticks.instance, run_config=request.run_config, tags=request.tags
    )
    assert run.success
    with engine.connect() as conn:
        names = conn.execute(
            sa.select(photo_metadata.c.album_name).where(photo_metadata.c.album_key == KEYS[3])
        ).scalars()
        assert set(names) == {"chosen by a person"}
    # Synced: the album no longer differs from its last sync, so the next tick is quiet.
    assert ticks.tick().run_requests == []
