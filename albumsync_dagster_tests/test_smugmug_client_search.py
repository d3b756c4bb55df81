"""``SmugMugClient.iter_albums_changed_since``: the account newest-changed first through
``album!search``, against the emulator over real HTTP and against the recorded answers.

Only ``test_transport_*`` swap the transport: they replay the recorded search pages.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from albumsync_dagster.emulator import RunningEmulator
from albumsync_dagster.emulator import account_builder as ab
from albumsync_dagster.smugmug import SmugMugClient, SmugMugError, parse_datetime
from albumsync_dagster_tests.smugmug_samples_dir import samples_dir

NICK = "changes-account"
T0 = datetime(2024, 4, 1, 9, 0, tzinfo=UTC)
ALBUMS = 250


def key(i: int) -> str:
    return f"Chg{i:03d}"


def changed_at(i: int) -> datetime:
    # Album i last changed i minutes after T0; Chg100 and Chg101 in the same second.
    return T0 + timedelta(minutes=100 if i == 101 else i)


@pytest.fixture
def emu(smugmug_emulator_factory: Callable[..., RunningEmulator]) -> RunningEmulator:
    data = ab.account(
        [
            ab.album(
                key(i),
                f"Game {i}",
                generated_images=ab.generated(2),
                date=T0 - timedelta(days=1),
                last_updated=changed_at(i),
            )
            for i in range(ALBUMS)
        ],
        nickname=NICK,
    )
    return smugmug_emulator_factory(data=data)


@pytest.fixture
def client(emu: RunningEmulator) -> Iterator[SmugMugClient]:
    with SmugMugClient.from_env(emu.env(), requests_per_second=None, timeout=5.0) as made:
        yield made


def searches(emu: RunningEmulator) -> list[dict[str, str]]:
    return [r.query for r in emu.requests if r.path == "/api/v2/album!search"]


def test_changed_since_walks_newest_first_and_stops(
    emu: RunningEmulator, client: SmugMugClient
) -> None:
    since = changed_at(230)
    albums = list(client.iter_albums_changed_since(since))
    assert [a.album_key for a in albums] == [key(i) for i in range(249, 229, -1)]
    assert all(a.last_updated is not None and a.last_updated >= since for a in albums)
    assert albums[0].images_last_updated is not None and albums[0].image_count == 2
    (query,) = searches(emu)  # 20 changed albums: one page of 100 tells where to stop
    assert query["Scope"] == f"/api/v2/user/{NICK}"
    assert (query["SortMethod"], query["SortDirection"]) == ("LastUpdated", "Descending")
    assert (query["start"], query["count"]) == ("1", "100")
    assert "LastUpdated" in query["_filter"].split(",")
    assert len(emu.requests) == 1  # the nickname came from SMUGMUG_NICKNAME

    emu.log.clear()
    older = list(client.iter_albums_changed_since(changed_at(100)))  # 150 albums, ties kept
    assert [a.album_key for a in older][-2:] == [key(101), key(100)]
    assert len(older) == 150 and len(searches(emu)) == 2

    emu.log.clear()
    everything = list(client.iter_albums_changed_since(None))
    assert [a.album_key for a in everything][:3] == [key(249), key(248), key(247)]
    assert len({a.album_key for a in everything}) == ALBUMS
    assert [r["start"] for r in searches(emu)] == ["1", "101", "201"]

    emu.log.clear()
    naive = datetime(2024, 4, 1, 13, 5)  # read as UTC: Chg245 and newer
    assert len(list(client.iter_albums_changed_since(naive))) == 5
    assert list(client.iter_albums_changed_since(T0 + timedelta(days=1))) == []


def test_renames_come_first_uploads_do_not_move_an_album(
    emu: RunningEmulator, client: SmugMugClient
) -> None:
    emu.store.clock = lambda: T0 + timedelta(days=2)
    since = T0 + timedelta(days=1)
    client.rename_album(key(7), "Game 7 - Apr 1")
    emu.store.upload_images(key(8), 3)
    changed = list(client.iter_albums_changed_since(since))
    assert [a.album_key for a in changed] == [key(7)]
    assert changed[0].name == "Game 7 - Apr 1"
    uploaded = client.get_album(key(8))
    assert uploaded.images_last_updated == T0 + timedelta(days=2)
    assert uploaded.last_updated == changed_at(8)


def test_an_album_moving_during_the_walk_is_yielded_once(
    emu: RunningEmulator, client: SmugMugClient
) -> None:
    walk = client.iter_albums_changed_since(None)
    first_page = [next(walk).album_key for _ in range(100)]  # page 1 read, page 2 not yet
    emu.store.clock = lambda: T0 + timedelta(days=3)
    emu.store.rename_by_hand(key(20), "Moved to the front")  # was 230th
    rest = [a.album_key for a in walk]
    keys = first_page + rest
    # SmugMug's page 2 now repeats the last album of page 1: yielded once. The moved album
    # went to the front, already passed: this walk misses it, the next one (from the
    # time this one started) finds it.
    assert len(keys) == len(set(keys)) == ALBUMS - 1
    assert key(20) not in keys
    assert [a.album_key for a in client.iter_albums_changed_since(T0 + timedelta(days=3))] == [
        key(20)
    ]


def test_search_failures_are_typed_one_line_errors(
    emu: RunningEmulator, client: SmugMugClient
) -> None:
    with pytest.raises(SmugMugError) as raised:
        list(client.iter_albums_changed_since(None, nickname="nobody-here"))
    assert raised.value.status == 404
    assert "album!search" in str(raised.value) and "\n" not in str(raised.value)
    emu.faults.fail_next(1)
    assert len(list(client.iter_albums_changed_since(changed_at(245)))) == 5  # retried


# ---------------------------------------------------------------------- recorded answers


def recorded(name: str) -> dict[str, Any]:
    path = samples_dir() / name
    if not path.is_file():
        pytest.skip(f"sample {name} not found under {samples_dir()}")
    return dict(json.loads(path.read_text()))


def replaying(pages: dict[str, dict[str, Any]], seen: list[httpx.Request]) -> SmugMugClient:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=pages[request.url.params.get("start", "1")])

    return SmugMugClient(
        api_key="k",
        api_secret="s",
        access_token="t",
        access_token_secret="ts",
        base_url="https://api.smugmug.test",
        nickname="Bugsrus",
        transport=httpx.MockTransport(answer),
        requests_per_second=None,
    )


def test_transport_recorded_search_pages_are_walked_and_parsed() -> None:
    first, second = (
        recorded("album_search_marmot_page_1.json"),
        recorded("album_search_marmot_page_2.json"),
    )
    raw = first["Response"]["Album"] + second["Response"]["Album"]
    seen: list[httpx.Request] = []
    with replaying({"1": first, "11": second}, seen) as client:
        albums = list(client.iter_albums_changed_since(None))
    assert [a.album_key for a in albums] == [r["AlbumKey"] for r in raw]
    assert [a.last_updated for a in albums] == [parse_datetime(r["LastUpdated"]) for r in raw]
    assert albums[0].name == "Marmota marmota, Alpine marmot" and albums[0].image_count == 62
    assert [r.url.params["start"] for r in seen] == ["1", "11"]  # pages follow what was sent
    assert seen[0].url.path == "/api/v2/album!search"
    assert seen[0].url.params["Scope"] == "/api/v2/user/Bugsrus"

    # These pages are sorted by Rank; the walk stops at the first album older than since.
    since = parse_datetime(raw[0]["LastUpdated"])
    assert since is not None
    seen.clear()
    with replaying({"1": first, "11": second}, seen) as client:
        stopped = list(client.iter_albums_changed_since(since - timedelta(days=365)))
    newer = [r["AlbumKey"] for r in raw]
    cut = next(
        i
        for i, r in enumerate(raw)
        if (parse_datetime(r["LastUpdated"]) or since) < since - timedelta(days=365)
    )
    assert [a.album_key for a in stopped] == newer[:cut] and len(seen) == 1


def test_transport_recorded_bad_expansion_still_lists_the_albums() -> None:
    bad = recorded("album_search_bad_expansion.json")
    assert bad["Expansions"] == {"/api/v2/user/Bugsrus": "not-an-object"}
    second = recorded("album_search_marmot_page_2.json")
    seen: list[httpx.Request] = []
    with replaying({"1": bad, "11": second}, seen) as client:
        albums = list(client.iter_albums_changed_since(None))
    assert len(albums) == 20
    assert albums[0].album_key == bad["Response"]["Album"][0]["AlbumKey"]
