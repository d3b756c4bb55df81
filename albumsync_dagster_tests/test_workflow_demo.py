"""The whole demo account through the workflow: exactly the albums over the threshold renamed."""

from __future__ import annotations

from collections import Counter

from albumsync_dagster import album_sync
from albumsync_dagster.catalog import listed_album_keys, refresh_catalog, snapshot_albums
from albumsync_dagster.demo_rows import load_demo_rows
from albumsync_dagster.emulator import EmulatorStore, build_demo, run_emulator
from albumsync_dagster.naming import drift_score
from albumsync_dagster.settings import Settings
from albumsync_dagster.smugmug import SmugMugClient
from albumsync_dagster.workflow import RENAMED, sync_albums
from albumsync_dagster_tests.photo_rows import audit_rows


def sync_everything(engine, client, settings):
    refresh_catalog(engine, client)
    keys = listed_album_keys(engine)
    outcomes = []
    for i in range(0, len(keys), settings.batch_size):
        batch = keys[i : i + settings.batch_size]
        outcomes += sync_albums(
            engine,
            client,
            batch,
            settings=settings,
            dry_run=False,
            known=snapshot_albums(engine, batch),
        )
    return {o.album_key: o for o in outcomes}


def test_demo_account_sync_all_then_nothing(engine):
    demo = build_demo(seed=0)
    load_demo_rows(engine, demo)
    settings = Settings(timezone=demo.timezone, drift_threshold=20, batch_size=10)
    with (
        run_emulator(EmulatorStore.from_dict(demo.data), port=0) as emu,
        SmugMugClient.from_env(emu.env(), requests_per_second=0) as client,
    ):
        first = sync_everything(engine, client, settings)
        expected_renames = {
            a.album_key
            for a in demo.albums
            if a.canonical_name is not None and drift_score(a.name, a.canonical_name) > 20
        }
        renamed = {k for k, o in first.items() if o.action == RENAMED}
        assert renamed == expected_renames
        assert len(renamed) > 30
        assert emu.log.count("PATCH") == len(renamed)
        for album in demo.albums:
            if album.album_key in renamed:
                assert emu.store.album_name(album.album_key) == album.canonical_name

        audit_count = len(audit_rows(engine))
        emu.log.clear()
        second = sync_everything(engine, client, settings)
        assert Counter(o.action for o in second.values())[RENAMED] == 0
        assert sum(o.rows_updated for o in second.values()) == 0
        assert emu.log.count("PATCH") == 0
        assert len(audit_rows(engine)) == audit_count

    assert album_sync.find_inconsistent_albums(engine) == []
    with_rows = {info.album_key for info in album_sync.get_all_album_keys(engine)}
    for key, outcome in second.items():
        if key in with_rows:
            assert outcome.synced, (key, outcome.issues)
