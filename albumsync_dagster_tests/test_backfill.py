"""backfill_album_keys on a small account: the emulator over HTTP, a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from albumsync_dagster.backfill import backfill_album_keys
from albumsync_dagster.emulator import RunningEmulator
from albumsync_dagster.emulator import account_builder as ab
from albumsync_dagster.schema import photo_metadata
from albumsync_dagster.smugmug import SmugMugClient
from albumsync_dagster_tests.photo_rows import photo_row

HOME_A = "HmA111"
HOME_B = "HmB222"
COLLECTOR = "Col333"
OUTSIDER = "Zz9Yy8X"  # shown (collected) in the account, at home in someone else's album
UNKNOWN = "Unkn0wn"
STAMP = datetime(2024, 1, 1)

A_IMAGES = ab.images(HOME_A, 5)
B_IMAGES = ab.images(HOME_B, 3)
A = [i["image_key"] for i in A_IMAGES]
B = [i["image_key"] for i in B_IMAGES]


def account() -> dict[str, Any]:
    # HOME_B comes first and collects A[0], so a walk that ignored Origin would put
    # A[0] in HOME_B; COLLECTOR only collects.
    return ab.account(
        [
            ab.album(HOME_B, "Hawks vs Bears - Jun 2", B_IMAGES + ab.collected([A[0], A[1]])),
            ab.album(HOME_A, "Eagles vs Lions - May 30", A_IMAGES),
            ab.album(COLLECTOR, "Best of 2024", ab.collected([B[0], OUTSIDER])),
        ],
        nickname="backfill-test",
    )


@pytest.fixture
def emu(smugmug_emulator_factory: Callable[..., RunningEmulator]) -> RunningEmulator:
    return smugmug_emulator_factory(data=account())


@pytest.fixture
def client(emu: RunningEmulator) -> Iterator[SmugMugClient]:
    with SmugMugClient.from_env(emu.env(), requests_per_second=None) as made:
        yield made


def insert_rows(engine: Engine, rows: dict[str, tuple[str | None, str | None]]) -> None:
    """Photo rows by image key: (album_key, album_name)."""
    with engine.begin() as conn:
        conn.execute(
            photo_metadata.insert(),
            [
                photo_row(key, album_key, name, updated_at=STAMP)
                for key, (album_key, name) in rows.items()
            ],
        )


def rows_of(engine: Engine) -> dict[str, tuple[str | None, str | None, datetime | None]]:
    with engine.connect() as conn:
        result = conn.execute(
            sa.select(
                photo_metadata.c.image_key,
                photo_metadata.c.album_key,
                photo_metadata.c.album_name,
                photo_metadata.c.updated_at,
            )
        )
        return {key: (album_key, name, at) for key, album_key, name, at in result}


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    insert_rows(
        engine,
        {
            A[0]: (None, None),  # home HOME_A, collected in HOME_B
            A[2]: (HOME_A, "Eagles vs Lions - May 30"),  # already keyed: untouched
            B[0]: (None, None),  # home HOME_B, collected in COLLECTOR
            B[1]: (None, "Old name"),  # the name stays: renaming is album_sync's job
            UNKNOWN: (None, None),  # SmugMug does not know it
            OUTSIDER: (None, None),  # only collected here
        },
    )
    return engine


def test_backfill_fills_home_albums_and_reports_the_rest(
    seeded: Engine, client: SmugMugClient, emu: RunningEmulator
) -> None:
    result = backfill_album_keys(seeded, client)
    assert result.filled == 3
    assert result.unknown_image_keys == [UNKNOWN]
    assert result.collected_only_image_keys == [OUTSIDER]
    assert result.albums_scanned == 3  # unknown keys need the whole account
    assert result.candidates == 5
    assert result.album_by_image == {A[0]: HOME_A, B[0]: HOME_B, B[1]: HOME_B}
    rows = rows_of(seeded)
    assert rows[A[0]][:2] == (HOME_A, None)
    assert rows[B[0]][:2] == (HOME_B, None)
    assert rows[B[1]][:2] == (HOME_B, "Old name")
    assert rows[A[2]] == (HOME_A, "Eagles vs Lions - May 30", STAMP)
    assert rows[UNKNOWN] == (None, None, STAMP)
    assert rows[OUTSIDER] == (None, None, STAMP)
    for key in (A[0], B[0], B[1]):
        assert rows[key][2] != STAMP  # updated_at moved with the write
    # One user!albums page and one listing per album (the nickname is configured).
    assert result.requests == 1 + 3 == len(emu.requests)


def test_backfill_is_idempotent(seeded: Engine, client: SmugMugClient) -> None:
    first = backfill_album_keys(seeded, client)
    after_first = rows_of(seeded)
    second = backfill_album_keys(seeded, client)
    assert first.filled == 3
    assert second.filled == 0
    assert second.unknown_image_keys == [UNKNOWN]
    assert second.collected_only_image_keys == [OUTSIDER]
    assert rows_of(seeded) == after_first


def test_backfill_writes_with_one_statement(seeded: Engine, client: SmugMugClient) -> None:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa.event.listen(seeded, "before_cursor_execute", record)
    try:
        backfill_album_keys(seeded, client)
    finally:
        sa.event.remove(seeded, "before_cursor_execute", record)
    updates = [s for s in statements if s.lstrip().upper().startswith("UPDATE")]
    assert len(updates) == 1
    assert "unnest" in updates[0]


def test_nothing_to_fill_asks_smugmug_nothing(
    engine: Engine, client: SmugMugClient, emu: RunningEmulator
) -> None:
    insert_rows(engine, {A[0]: (HOME_A, "Eagles vs Lions - May 30")})
    result = backfill_album_keys(engine, client)
    assert result.filled == 0 and result.albums_scanned == 0
    assert emu.requests == []


def test_walk_stops_once_every_image_is_placed(
    engine: Engine, client: SmugMugClient, emu: RunningEmulator
) -> None:
    insert_rows(engine, {B[2]: (None, None)})  # at home in the first album
    result = backfill_album_keys(engine, client)
    assert result.filled == 1
    assert result.albums_scanned == 1
    assert [r.path for r in emu.requests] == [
        "/api/v2/user/backfill-test!albums",
        f"/api/v2/album/{HOME_B}!images",
    ]


def test_fill_album_name_only_where_missing(seeded: Engine, client: SmugMugClient) -> None:
    result = backfill_album_keys(seeded, client, fill_album_name=True)
    assert result.filled == 3
    rows = rows_of(seeded)
    assert rows[A[0]][:2] == (HOME_A, "Eagles vs Lions - May 30")
    assert rows[B[0]][:2] == (HOME_B, "Hawks vs Bears - Jun 2")
    assert rows[B[1]][:2] == (HOME_B, "Old name")


def test_dry_run_writes_nothing(seeded: Engine, client: SmugMugClient) -> None:
    before = rows_of(seeded)
    result = backfill_album_keys(seeded, client, dry_run=True)
    assert result.dry_run and result.filled == 3
    assert result.unknown_image_keys == [UNKNOWN]
    assert rows_of(seeded) == before


@pytest.mark.parametrize("explicit", [True, False])
def test_nickname_explicit_or_from_the_token(
    seeded: Engine, emu: RunningEmulator, explicit: bool
) -> None:
    env = {k: v for k, v in emu.env().items() if k != "SMUGMUG_NICKNAME"}
    with SmugMugClient.from_env(env, requests_per_second=None) as anonymous:
        nickname = "backfill-test" if explicit else None
        result = backfill_album_keys(seeded, anonymous, nickname=nickname)
    assert result.filled == 3
    asked = [r.path for r in emu.requests].count("/api/v2!authuser")
    assert asked == (0 if explicit else 1)
