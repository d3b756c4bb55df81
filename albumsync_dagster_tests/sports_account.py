"""A small sports account for the workflow tests: emulator data, enrichment and photo rows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from albumsync_dagster.schema import album_enrichment, photo_metadata
from albumsync_dagster.settings import Settings
from albumsync_dagster.smugmug import SmugMugClient
from albumsync_dagster_tests.photo_rows import photo_row

TZ = "America/New_York"
SETTINGS = Settings(timezone=TZ, drift_threshold=20, batch_size=10)


def _images(
    prefix: str, start: datetime, count: int, step_minutes: int = 1
) -> list[dict[str, Any]]:
    return [
        {
            "image_key": f"{prefix}{i:04d}",
            "file_name": f"IMG_{i:04d}.JPG",
            "date_time_original": (start + timedelta(minutes=i * step_minutes)).isoformat(),
            "origin": "Album",
        }
        for i in range(count)
    ]


# key: (SmugMug name, enrichment (teams, event, sport), images)
ALBUMS: dict[str, tuple[str, tuple[list[str], str | None, str | None] | None, list[dict]]] = {
    # An evening game in New York: 23:30-00:30 UTC is May 30 local.
    "GAME01": (
        "eagles v lions",
        (["Eagles", "Lions"], None, "soccer"),
        _images("gA", datetime(2024, 5, 30, 23, 30, tzinfo=UTC), 30, 2),
    ),
    "CUP002": (
        "Spring Cup - Jun 2024",
        ([], "Spring Cup", "soccer"),
        _images("cB", datetime(2024, 6, 7, 14, tzinfo=UTC), 24, 180),
    ),
    "LAX003": (
        "Untitled",
        ([], None, "lacrosse"),
        _images("lC", datetime(2024, 4, 2, 15, tzinfo=UTC), 12),
    ),
    "NOENR4": ("Some Album", None, _images("nD", datetime(2024, 3, 1, 15, tzinfo=UTC), 5)),
}


def account_data() -> dict[str, Any]:
    return {
        "nickname": "testsports",
        "timezone": TZ,
        "albums": [
            {"key": key, "name": name, "date": "2024-07-01T12:00:00+00:00", "images": images}
            for key, (name, _, images) in ALBUMS.items()
        ],
    }


def load_rows(engine: Engine, *, stale: dict[str, str] | None = None) -> None:
    """Enrichment and photo rows for the account; ``stale`` gives rows another name."""
    stale = stale or {}
    with engine.begin() as conn:
        conn.execute(
            sa.insert(album_enrichment),
            [
                {
                    "album_key": key,
                    "teams": teams,
                    "event_name": event,
                    "sport_type": sport,
                    "updated_at": datetime.now(UTC),
                }
                for key, (_, enrichment, _) in ALBUMS.items()
                if enrichment is not None
                for teams, event, sport in [enrichment]
            ],
        )
        conn.execute(
            sa.insert(photo_metadata),
            [
                photo_row(
                    image["image_key"],
                    key,
                    stale.get(key, name),
                    sport_type="soccer",
                    photo_date=None,
                    updated_at=datetime(2024, 1, 1),
                )
                for key, (name, _, images) in ALBUMS.items()
                for image in images
            ],
        )


@dataclass
class Harness:
    engine: Engine
    emulator: Any
    client: SmugMugClient

    def new_client(self, **options: Any) -> SmugMugClient:
        base = {"max_attempts": 2, "backoff_base": 0.01, "backoff_max": 0.05}
        return SmugMugClient.from_env(self.emulator.env(), **{**base, **options})

    def smugmug_name(self, key: str) -> str:
        return self.emulator.store.album_name(key)


@contextmanager
def sports_harness(engine: Engine, **load: Any) -> Iterator[Harness]:
    from albumsync_dagster.emulator import EmulatorStore, run_emulator

    store = EmulatorStore.from_dict(account_data())
    load_rows(engine, **load)
    with run_emulator(store, port=0) as emu:
        harness = Harness(engine, emu, None)  # type: ignore[arg-type]
        harness.client = harness.new_client()
        try:
            yield harness
        finally:
            harness.client.close()
