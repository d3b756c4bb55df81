"""The emulator's ``album!search``, its clocks (LastUpdated, ImagesLastUpdated) and its
generated images (large accounts), over real HTTP, against the recorded answers' shapes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from albumsync_dagster.emulator import DataFileError, EmulatorStore, RunningEmulator
from albumsync_dagster.emulator import account_builder as ab
from albumsync_dagster.emulator.generated_images import (
    decode_generated_key,
    generated_image_key,
)
from albumsync_dagster_tests.emulator_fixtures import StartEmulator
from albumsync_dagster_tests.smugmug_samples_dir import samples_dir
from albumsync_dagster_tests.test_emulator import api

NICK = "search-account"
T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
SEARCH = "/album!search"
# Exactly the recorded request, so our answer can be compared with it field for field.
MARMOT_QUERY = "Scope=&SortDirection=Descending&SortMethod=Rank&Text=Marmot"


def sample(name: str) -> dict[str, Any]:
    path = samples_dir() / name
    if not path.is_file():
        pytest.skip(f"sample {name} not found under {samples_dir()}")
    return json.loads(path.read_text())


def key(i: int) -> str:
    return f"Srch{i:02d}"


def search_account(albums: int = 25) -> dict[str, Any]:
    """``albums`` albums changed an hour apart (Srch00 oldest); every other one is about
    marmots; the odd ones live in the folder Wildlife/Mammals; Srch05 and Srch06 were
    last changed in the same second."""
    out = []
    for i in range(albums):
        changed = T0 + timedelta(hours=min(i, 5) if i in (5, 6) else i)
        entry = ab.album(
            key(i),
            f"Alpine marmot {i}" if i % 2 == 0 else f"Soccer game {i}",
            generated_images=ab.generated(3, first="2024-02-01T10:00:00+00:00"),
            date=T0 - timedelta(days=30),
            last_updated=changed,
        )
        if i % 2:
            entry["folder"] = "Wildlife/Mammals"
        out.append(entry)
    return ab.account(out, nickname=NICK)


@pytest.fixture
def emu(smugmug_emulator_factory: StartEmulator) -> RunningEmulator:
    return smugmug_emulator_factory(data=search_account())


@pytest.fixture
def http(emu: RunningEmulator) -> Iterator[httpx.Client]:
    with api(emu) as client:
        yield client


def newest_first(store: EmulatorStore) -> list[str]:
    return [
        a.album_key
        for a in sorted(store.albums, key=lambda a: (a.last_updated, a.album_key), reverse=True)
    ]


def walk(http: httpx.Client, count: int, **params: str) -> tuple[list[str], int]:
    """Every AlbumKey of a search, page by page following NextPage; (keys, pages read)."""
    keys: list[str] = []
    start, pages = 1, 0
    while True:
        answer = http.get(SEARCH, params={**params, "start": start, "count": count}).json()
        pages += 1
        keys += [a["AlbumKey"] for a in answer["Response"].get("Album", [])]
        if "NextPage" not in answer["Response"]["Pages"]:
            return keys, pages
        start += count


# ---------------------------------------------------------------------- shape


def test_search_answers_have_the_recorded_shape(http: httpx.Client) -> None:
    real = sample("album_search_marmot_page_1.json")
    ours = http.get(f"{SEARCH}?{MARMOT_QUERY}").json()
    assert (
        ours.keys()
        == real.keys() - {"Expansions"}
        == {
            "Request",
            "Options",
            "Response",
            "Code",
            "Message",
        }
    )
    assert ours["Request"] == real["Request"]
    assert ours["Options"] == real["Options"]  # the Parameters' Values follow the request
    assert (ours["Code"], ours["Message"]) == (200, "Ok")
    response, real_response = ours["Response"], real["Response"]
    assert list(response) == list(real_response)
    for field in ("Uri", "Locator", "LocatorType", "UriDescription", "EndpointType"):
        assert response[field] == real_response[field], field
    pages, real_pages = response["Pages"], real_response["Pages"]
    assert list(pages) == list(real_pages)
    assert pages["FirstPage"] == real_pages["FirstPage"]
    assert pages["NextPage"] == real_pages["NextPage"]
    assert (pages["Total"], pages["Start"], pages["Count"], pages["RequestedCount"]) == (
        13,
        1,
        10,
        10,
    )
    assert pages["LastPage"].endswith(f"{MARMOT_QUERY}&start=11&count=10")
    real_albums = (
        real_response["Album"] + sample("album_search_marmot_page_2.json")["Response"]["Album"]
    )
    real_uris = set().union(*(a["Uris"] for a in real_albums))
    for album in response["Album"]:
        for recorded in real_albums:
            assert recorded.keys() <= album.keys()
            # The owner is asking: SmugMug adds Date and CommerceLightbox to public answers.
            assert album.keys() - recorded.keys() <= {"Date", "CommerceLightbox"}
        assert album["Uris"].keys() <= real_uris
        assert real_uris - album["Uris"].keys() <= {"Printmark"}  # a print mark is set up
        assert "marmot" in album["Name"].casefold()

    real_second = sample("album_search_marmot_page_2.json")
    second = http.get(f"{SEARCH}?{MARMOT_QUERY}&start=11&count=10").json()
    assert second["Request"] == real_second["Request"]
    assert second["Response"]["Uri"] == real_second["Response"]["Uri"]
    assert list(second["Response"]["Pages"]) == [
        k for k in real_second["Response"]["Pages"] if k != "NextPage"
    ]  # 13 found: the second page is the last
    assert second["Response"]["Pages"]["PrevPage"] == real_second["Response"]["Pages"]["PrevPage"]
    assert len(second["Response"]["Album"]) == 3


def test_search_errors_come_in_the_envelope(http: httpx.Client) -> None:
    for params, status, message in [
        ({"SortMethod": "Name"}, 400, "SortMethod must be one of Rank, LastUpdated"),
        ({"SortDirection": "Up"}, 400, "SortDirection must be one of Ascending, Descending"),
        ({"Scope": "/api/v2/image/AbCdEfG-0"}, 400, "Scope must be the URI of a Folder"),
        ({"Scope": "/api/v2/user/someone-else"}, 404, "Not Found"),
        ({"Scope": "/api/v2/node/NoSuch"}, 404, "Not Found"),
    ]:
        answer = http.get(SEARCH, params=params)
        assert answer.status_code == status, params
        body = answer.json()
        assert body["Code"] == status and message in body["Message"], body["Message"]
        assert body["Response"]["EndpointType"] == "AlbumSearch"
        assert "Album" not in body["Response"]
    assert http.patch(SEARCH, json={}).status_code == 405


# ---------------------------------------------------------------------- order and paging


def test_sorted_by_last_updated_both_ways_and_paged(
    http: httpx.Client, emu: RunningEmulator
) -> None:
    expected = newest_first(emu.store)
    assert expected[:2] == [key(24), key(23)] and expected[-1] == key(0)
    assert expected.index(key(6)) + 1 == expected.index(key(5))  # same second: by key
    scope = {"Scope": f"/api/v2/user/{NICK}", "SortMethod": "LastUpdated"}
    descending, pages = walk(http, 7, SortDirection="Descending", **scope)
    assert (descending, pages) == (expected, 4)
    ascending, _ = walk(http, 10, SortDirection="Ascending", **scope)
    assert ascending == expected[::-1]
    first = http.get(SEARCH, params=scope).json()["Response"]
    assert [a["AlbumKey"] for a in first["Album"]] == expected[:10]  # default: 10, Descending
    assert (first["Pages"]["Total"], first["Pages"]["RequestedCount"]) == (25, 10)
    clamped = http.get(SEARCH, params={**scope, "count": 500}).json()["Response"]["Pages"]
    assert (clamped["RequestedCount"], clamped["Count"]) == (100, 25)
    beyond = http.get(SEARCH, params={**scope, "start": 26}).json()["Response"]
    assert "Album" not in beyond and beyond["Pages"]["Count"] == 0
    stamps = [
        a["LastUpdated"]
        for a in http.get(SEARCH, params={**scope, "count": 100}).json()["Response"]["Album"]
    ]
    assert stamps == sorted(stamps, reverse=True)


def test_text_rank_and_scopes(http: httpx.Client, emu: RunningEmulator) -> None:
    emu.store.add_album(ab.album("Mrmt01", "Marmotte", date=T0))  # matches inside a word only
    emu.store.touch("Mrmt01", last_updated=T0 + timedelta(days=9))  # the newest of all
    by_rank, _ = walk(http, 100, Text="MARMOT")
    assert len(by_rank) == 14
    assert by_rank[-1] == "Mrmt01"  # ranked below whole-word matches although the newest
    assert by_rank[:-1] == [k for k in newest_first(emu.store) if int(k[-2:] or 1) % 2 == 0][:13]
    by_time, _ = walk(http, 100, Text="marmot", SortMethod="LastUpdated")
    assert by_time[0] == "Mrmt01" and sorted(by_time) == sorted(by_rank)
    assert walk(http, 100, Text="alpine 12")[0] == [key(12)]
    assert walk(http, 100, Text="volleyball")[0] == []

    everything = set(walk(http, 100)[0])
    assert len(everything) == 26
    for scope in (
        f"/api/v2/user/{NICK}",
        f"https://api.smugmug.com/api/v2/user/{NICK}",
        f"/api/v2/folder/user/{NICK}",
    ):
        assert set(walk(http, 100, Scope=scope)[0]) == everything, scope
    root = http.get(f"/user/{NICK}").json()["Response"]["User"]["Uris"]["Node"]["Uri"]
    assert set(walk(http, 100, Scope=root)[0]) == everything
    mammals = walk(http, 100, Scope=f"/api/v2/folder/user/{NICK}/Wildlife")[0]
    assert sorted(mammals) == [key(i) for i in range(1, 25, 2)]
    assert walk(http, 100, Scope=f"/api/v2/folder/user/{NICK}/Wild")[0] == []
    node = http.get(f"/album/{key(3)}").json()["Response"]["Album"]["Uris"]["Node"]["Uri"]
    assert walk(http, 100, Scope=node)[0] == [key(3)]


def test_deleted_albums_leave_the_search(http: httpx.Client, emu: RunningEmulator) -> None:
    params = {"SortMethod": "LastUpdated", "count": "100"}
    emu.faults.delete_album(key(24))
    listed = http.get(SEARCH, params=params).json()["Response"]
    assert key(24) not in [a["AlbumKey"] for a in listed["Album"]]
    assert listed["Pages"]["Total"] == 24
    emu.faults.clear_album(key(24))
    emu.store.delete_album(key(23))
    keys = [a["AlbumKey"] for a in http.get(SEARCH, params=params).json()["Response"]["Album"]]
    assert keys[0] == key(24) and key(23) not in keys and len(keys) == 24
    assert http.get(f"/album/{key(23)}").status_code == 404


# ---------------------------------------------------------------------- clocks


def test_clocks_move_as_on_smugmug(http: httpx.Client, emu: RunningEmulator) -> None:
    store = emu.store
    # The clock moves a minute before each edit (answers read it too: their Date header).
    now = [T0 + timedelta(days=10)]
    store.clock = lambda: now[0]

    def a_minute_later() -> None:
        now[0] += timedelta(minutes=1)

    order = {"SortMethod": "LastUpdated", "count": "3"}

    def album(k: str) -> dict[str, Any]:
        return dict(http.get(f"/album/{k}").json()["Response"]["Album"])

    def newest() -> list[str]:
        return [a["AlbumKey"] for a in http.get(SEARCH, params=order).json()["Response"]["Album"]]

    before = album(key(0))
    a_minute_later()
    renamed = http.patch(f"/album/{key(0)}", json={"Name": "Alpine marmot - Mar 1"})
    assert renamed.status_code == 200
    after = album(key(0))
    assert after["LastUpdated"] == "2024-03-11T12:01:00+00:00"
    assert after["ImagesLastUpdated"] == before["ImagesLastUpdated"]
    assert newest()[0] == key(0)

    # An upload moves ImagesLastUpdated only, as the recorded answers show.
    a_minute_later()
    new_keys = store.upload_images(key(2), 2, first=T0)
    uploaded = album(key(2))
    assert uploaded["ImagesLastUpdated"] == "2024-03-11T12:02:00+00:00"
    assert uploaded["LastUpdated"] == "2024-03-01T14:00:00+00:00"
    assert uploaded["ImageCount"] == 5 and newest()[0] == key(0)
    images = http.get(f"/album/{key(2)}!images").json()["Response"]["AlbumImage"]
    assert [i["ImageKey"] for i in images][-2:] == new_keys == store.image_keys(key(2))[-2:]
    assert images[-1]["DateTimeOriginal"] == "2024-03-01T12:00:30+00:00"

    a_minute_later()
    store.remove_images(key(2), [new_keys[0]])
    assert album(key(2))["ImagesLastUpdated"] == "2024-03-11T12:03:00+00:00"
    assert album(key(2))["ImageCount"] == 4
    with pytest.raises(KeyError, match="has no image"):
        store.remove_images(key(2), ["NoSuch1"])

    store.images_move_last_updated = True  # what the issue assumed, for comparison
    a_minute_later()
    store.upload_images(key(4), 1)
    both = album(key(4))
    assert both["LastUpdated"] == both["ImagesLastUpdated"] == "2024-03-11T12:04:00+00:00"
    assert newest()[0] == key(4)

    a_minute_later()
    store.rename_by_hand(key(8), "Renamed on the web site")
    assert newest() == [key(8), key(4), key(0)]
    assert http.get(SEARCH, params=order).headers["Date"] == "Mon, 11 Mar 2024 12:05:00 GMT"
    store.touch(key(8), last_updated=T0 - timedelta(days=1))
    assert newest()[:2] == [key(4), key(0)] and newest_first(store)[-1] == key(8)


# ---------------------------------------------------------------------- generated images


def test_generated_images_are_served_and_found_by_key(
    smugmug_emulator_factory: StartEmulator,
) -> None:
    gen = ab.generated(250, series=7, first="2024-05-30T22:00:00+00:00", undated=[3])
    data = ab.account(
        [
            ab.album("Gen007", "Generated", generated_images=gen),
            ab.album(
                "Col001",
                "Collects two",
                ab.images("Col001", 1) + ab.collected([generated_image_key(7, 0), "Elsewh1"]),
            ),
        ]
    )
    emu = smugmug_emulator_factory(data=data)
    store = emu.store
    keys = [generated_image_key(7, i) for i in range(250)]
    assert store.image_keys("Gen007") == keys and len(set(keys)) == 250
    assert all(decode_generated_key(k) == (7, i) for i, k in enumerate(keys))
    assert all(not a.entries.listed for a in store.albums if a.album_key == "Gen007")
    with api(emu) as http:
        pages = [
            http.get("/album/Gen007!images", params={"start": s, "count": 100}).json()
            for s in (1, 101, 201)
        ]
        images = [i for p in pages for i in p["Response"]["AlbumImage"]]
        assert [i["ImageKey"] for i in images] == keys
        assert images[0]["FileName"] == "IMG_0001.JPG"
        assert images[1]["DateTimeOriginal"] == "2024-05-30T22:00:30+00:00"
        assert "DateTimeOriginal" not in images[3]
        assert {i["Origin"] for i in images} == {"Album"}
        moved = http.get(f"/image/{keys[42]}")
        assert moved.status_code == 301
        lone = http.get(f"/image/{keys[42]}-0").json()["Response"]["Image"]
        assert lone["Uris"]["ImageAlbum"]["Uri"] == "/api/v2/album/Gen007"
        assert http.get(f"/image/{generated_image_key(7, 250)}-0").status_code == 404
        assert http.get(f"/image/{generated_image_key(8, 0)}-0").status_code == 404
        shown = http.get("/album/Col001!images").json()["Response"]["AlbumImage"]
        assert [(i["Origin"], i["FileName"]) for i in shown[1:]] == [
            ("Collected", "IMG_0001.JPG"),
            ("Collected", "Elsewh1.jpg"),
        ]

    again = EmulatorStore.from_dict(store.to_dict())
    assert again.to_dict() == store.to_dict()
    assert again.image_keys("Gen007") == keys

    store.remove_images("Gen007", [keys[0], keys[249]])
    assert store.image_keys("Gen007") == keys[1:249]
    assert store.image(keys[0]) is not None  # still collected by Col001
    assert store.image(keys[0])[1].album_key == "Col001"  # type: ignore[index]
    assert store.image(keys[249]) is None
    assert store.image(keys[5])[1].album_key == "Gen007"  # type: ignore[index]
    store.delete_album("Gen007")
    assert store.image(keys[5]) is None


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"count": -1}, "'count' must be a non-negative integer"),
        ({"count": 2, "series": 0}, "'series' must be an integer"),
        ({"count": 2, "step_seconds": "30"}, "'step_seconds' must be an integer"),
        ({"count": 2, "first": "yesterday"}, "not an ISO 8601 time"),
        ({"count": 2, "undated": "3"}, "'undated' must be a list"),
    ],
)
def test_generated_images_errors_say_where(spec: dict[str, Any], message: str) -> None:
    data = ab.account([ab.album("Bad001", "Bad", generated_images=spec)])
    with pytest.raises(DataFileError, match=message) as raised:
        EmulatorStore.from_dict(data)
    assert "album 'Bad001' generated_images" in str(raised.value)


def test_generated_series_and_homes_stay_unique() -> None:
    twice = ab.account(
        [
            ab.album("One001", "One", generated_images=ab.generated(2, series=3)),
            ab.album("Two001", "Two", generated_images=ab.generated(2, series=3)),
        ]
    )
    with pytest.raises(DataFileError, match="series 3 is used twice"):
        EmulatorStore.from_dict(twice)
    numbered = EmulatorStore.from_dict(
        ab.account(
            [
                ab.album("Aut001", "Auto", generated_images=ab.generated(1)),
                ab.album("Fix001", "Fixed", generated_images=ab.generated(1, series=5)),
                ab.album("Aut002", "Auto", generated_images=ab.generated(1)),
            ]
        )
    )
    assert [decode_generated_key(numbered.image_keys(k)[0]) for k in ("Aut001", "Aut002")] == [
        (6, 0),
        (7, 0),
    ]
    with pytest.raises(DataFileError, match="two home albums"):
        numbered.add_images("Aut001", [{"image_key": numbered.image_keys("Fix001")[0]}])
    assert len(numbered.album("Aut001").entries) == 1  # type: ignore[union-attr]
    with pytest.raises(DataFileError, match="already used"):
        numbered.add_album(ab.album("New001", "New", generated_images=ab.generated(1, series=5)))
    added = numbered.add_album(ab.album("New002", "New", generated_images=ab.generated(1)))
    assert added.entries.generated is not None and added.entries.generated.series == 8


def test_a_large_generated_account_is_searched_in_order(
    smugmug_emulator_factory: StartEmulator,
) -> None:
    albums = 5000
    data = ab.account(
        [
            ab.album(
                f"Big{i:05d}",
                f"Game {i}",
                generated_images=ab.generated(100, series=i + 1),
                last_updated=T0 + timedelta(minutes=i % 997),
            )
            for i in range(albums)
        ]
    )
    emu = smugmug_emulator_factory(data=data)
    assert emu.store.image_count == albums * 100
    assert not any(a.entries.listed for a in emu.store.albums)  # no object per photo
    with api(emu) as http:
        keys, pages = walk(http, 100, SortMethod="LastUpdated")
    assert pages == albums // 100
    assert keys == newest_first(emu.store)


def test_filtered_image_listings_equal_the_trimmed_whole_objects(
    smugmug_emulator_factory: StartEmulator,
) -> None:
    # A _filter of cheap fields is answered without building whole objects (large accounts);
    # adding _filteruri forces the whole object, trimmed: both must say the same.
    data = ab.account(
        [
            ab.album("Gen001", "Generated", generated_images=ab.generated(5, undated=[2])),
            ab.album(
                "Lst001",
                "Listed",
                ab.images("Lst001", 2) + ab.collected([generated_image_key(1, 0), "Elsewh1"]),
            ),
        ]
    )
    emu = smugmug_emulator_factory(data=data)
    fields = (
        "ImageKey,FileName,DateTimeOriginal,DateTimeUploaded,Title,Caption,Serial,Origin,"
        "ThumbnailUrl,ArchivedUri,WebUri,Uri,Movable,Date,LastUpdated,Format,Hidden,Keywords"
    )
    with api(emu) as http:
        for album, count in (("Gen001", 5), ("Lst001", 4)):
            fast = http.get(f"/album/{album}!images", params={"_filter": fields}).json()
            whole = http.get(
                f"/album/{album}!images", params={"_filter": fields, "_filteruri": ""}
            ).json()
            listed, trimmed = fast["Response"]["AlbumImage"], whole["Response"]["AlbumImage"]
            assert listed == trimmed
            assert [list(i) for i in listed] == [list(i) for i in trimmed]  # same order
            assert len(listed) == count
        assert [i["Origin"] for i in listed] == ["Album", "Album", "Collected", "Collected"]
        gen = http.get("/album/Gen001!images", params={"_filter": fields}).json()
        assert "DateTimeOriginal" not in gen["Response"]["AlbumImage"][2]
        assert gen["Response"]["AlbumImage"][0]["ArchivedUri"].endswith(
            f"i-{generated_image_key(1, 0)}-D.jpg"
        )
