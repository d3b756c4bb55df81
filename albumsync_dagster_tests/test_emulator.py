"""The SmugMug emulator over real HTTP: the samples' shapes, paging, OAuth, errors, faults,
the data file, the demo account and its database rows.

Requests are signed here with oauthlib directly (not with the project's client), so the
emulator is checked against an independent OAuth 1.0a implementation.
"""

from __future__ import annotations

import contextlib
import json
import math
import queue
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Generator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, Client
from sqlalchemy.engine import Engine

from albumsync_dagster.demo_rows import load_demo_rows
from albumsync_dagster.emulator import (
    AlbumFault,
    DataFileError,
    EmulatorStore,
    LostPatchAnswer,
    RunningEmulator,
    build_demo,
    faults_from_flags,
)
from albumsync_dagster.emulator import account_builder as ab
from albumsync_dagster_tests.emulator_fixtures import EAGLES, EMPTY, UNTITLED, StartEmulator
from albumsync_dagster_tests.smugmug_samples_dir import samples_dir

SAMPLES = samples_dir()
NEW_YORK = ZoneInfo("America/New_York")
TIMEOUT = httpx.Timeout(10.0)


def sample(name: str) -> dict[str, Any]:
    path = SAMPLES / name
    if not path.is_file():
        pytest.skip(f"sample {name} not found under {SAMPLES}")
    return json.loads(path.read_text())


# ---------------------------------------------------------------------- signing


class OAuthSign(httpx.Auth):
    """OAuth 1.0a HMAC-SHA1 in the Authorization header; a form body is signed too."""

    def __init__(self, credentials: dict[str, str], **override: str) -> None:
        self.creds = {**credentials, **override}

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        client = Client(
            self.creds["SMUGMUG_API_KEY"],
            client_secret=self.creds["SMUGMUG_API_SECRET"],
            resource_owner_key=self.creds["SMUGMUG_ACCESS_TOKEN"],
            resource_owner_secret=self.creds["SMUGMUG_ACCESS_TOKEN_SECRET"],
            signature_method=SIGNATURE_HMAC_SHA1,
        )
        form = request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        )
        body = request.read().decode() if form else None
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if form else {}
        _, signed, _ = client.sign(
            str(request.url), http_method=request.method, body=body, headers=headers
        )
        request.headers["Authorization"] = signed["Authorization"]
        yield request


def api(emu: RunningEmulator, **override: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{emu.base_url}/api/v2",
        auth=OAuthSign(emu.credentials, **override),
        headers={"Accept": "application/json"},
        timeout=TIMEOUT,
    )


@pytest.fixture
def http(smugmug_emulator: RunningEmulator) -> Iterator[httpx.Client]:
    with api(smugmug_emulator) as client:
        yield client


# ---------------------------------------------------------------------- shapes (samples)


def test_album_answer_has_the_samples_keys(http: httpx.Client) -> None:
    real = sample("album_RM4BL2.json")
    ours = http.get(f"/album/{EAGLES}").json()
    assert ours.keys() == real.keys()
    assert ours["Response"].keys() == real["Response"].keys()
    assert ours["Request"] == {"Version": "v2", "Method": "GET", "Uri": f"/api/v2/album/{EAGLES}"}
    assert (ours["Code"], ours["Message"]) == (200, "Ok")
    real_album, album = real["Response"]["Album"], ours["Response"]["Album"]
    # The owner is asking: SmugMug adds the creation Date to what the public sample shows.
    assert album.keys() - real_album.keys() == {"Date"}
    assert real_album.keys() <= album.keys()
    assert album["Uris"].keys() == real_album["Uris"].keys()
    for name, link in album["Uris"].items():
        assert link.keys() == real_album["Uris"][name].keys(), name
    assert album["AlbumKey"] == EAGLES
    assert album["ImageCount"] == 150
    assert album["Uri"] == f"/api/v2/album/{EAGLES}"
    assert album["WebUri"].endswith(album["UrlPath"])


def test_album_images_have_the_samples_keys(http: httpx.Client) -> None:
    real = sample("images_WpK3n2_expansions.json")
    ours = http.get(f"/album/{EAGLES}!images", params={"count": 100}).json()
    assert ours["Response"].keys() == real["Response"].keys()
    real_image = real["Response"]["AlbumImage"][0]
    images = ours["Response"]["AlbumImage"]
    dated = images[0]
    assert dated.keys() == real_image.keys()
    assert dated["Uris"].keys() == real_image["Uris"].keys()
    # Without a capture time the key is absent, as in album_images_HZMsPf_page_1.json.
    undated = next(i for i in images if "DateTimeOriginal" not in i)
    assert undated.keys() == real_image.keys() - {"DateTimeOriginal"}
    assert sample("album_images_HZMsPf_page_1.json")["Response"]["AlbumImage"][0].keys() <= (
        undated.keys()
    )
    assert dated["Origin"] == "Album"
    key = dated["ImageKey"]
    assert dated["ThumbnailUrl"] == (
        f"https://photos.smugmug.com/photos/i-{key}/0/Th/i-{key}-Th.jpg"
    )
    assert dated["Uri"] == f"/api/v2/album/{EAGLES}/image/{key}-0"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", dated["DateTimeOriginal"])
    assert dated["Date"] == dated["DateTimeUploaded"]


def test_image_and_user_answers_have_the_samples_keys(http: httpx.Client) -> None:
    real_image = sample("image_B2fHSt7-0.json")["Response"]["Image"]
    listed = http.get(f"/album/{EAGLES}!images", params={"count": 1}).json()
    key = listed["Response"]["AlbumImage"][0]["ImageKey"]
    image = http.get(f"/image/{key}-0").json()
    assert image["Response"]["Locator"] == "Image"
    assert image["Response"]["Image"].keys() == real_image.keys()
    assert image["Response"]["Image"]["Uris"].keys() == real_image["Uris"].keys()
    assert image["Response"]["Image"]["Uris"]["ImageAlbum"]["Uri"] == f"/api/v2/album/{EAGLES}"

    real_user = sample("user_cmac.json")
    for path in ("!authuser", "/user/test-account"):
        user = http.get(path).json()
        assert user["Response"].keys() == real_user["Response"].keys()
        assert user["Response"]["User"].keys() == real_user["Response"]["User"].keys()
        assert (
            user["Response"]["User"]["Uris"].keys() == real_user["Response"]["User"]["Uris"].keys()
        )
        assert user["Response"]["User"]["NickName"] == "test-account"


# ---------------------------------------------------------------------- paging


def pages_of(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()["Response"]["Pages"]


def test_images_paging_across_a_boundary(http: httpx.Client) -> None:
    first = http.get(f"/album/{EAGLES}!images", params={"start": 1, "count": 100})
    pages = pages_of(first)
    assert pages.keys() == sample("album_search_marmot_page_1.json")["Response"]["Pages"].keys()
    assert (pages["Total"], pages["Start"], pages["Count"], pages["RequestedCount"]) == (
        150,
        1,
        100,
        100,
    )
    assert pages["NextPage"] == f"/api/v2/album/{EAGLES}!images?start=101&count=100"
    assert len(first.json()["Response"]["AlbumImage"]) == 100

    second = http.get(f"/album/{EAGLES}!images", params={"start": 101, "count": 100})
    pages = pages_of(second)
    assert pages.keys() == sample("node_children_zx4Fx_page_2.json")["Response"]["Pages"].keys()
    assert (pages["Start"], pages["Count"]) == (101, 50)
    assert "NextPage" not in pages
    assert pages["PrevPage"] == f"/api/v2/album/{EAGLES}!images?start=1&count=100"
    keys = [i["ImageKey"] for i in first.json()["Response"]["AlbumImage"]]
    keys += [i["ImageKey"] for i in second.json()["Response"]["AlbumImage"]]
    assert len(set(keys)) == 150

    # Past the end: no locator key at all, an empty page.
    beyond = http.get(f"/album/{EAGLES}!images", params={"start": 151, "count": 100})
    assert "AlbumImage" not in beyond.json()["Response"]
    assert pages_of(beyond)["Count"] == 0


def test_single_page_and_exact_boundary(smugmug_emulator_factory: StartEmulator) -> None:
    emu = smugmug_emulator_factory([ab.album("Ex100A", "Exactly", ab.images("Ex100A", 100))])
    with api(emu) as http:
        pages = pages_of(http.get("/album/Ex100A!images", params={"count": 100}))
        assert pages.keys() == sample("images_WpK3n2_expansions.json")["Response"]["Pages"].keys()
        assert (pages["Total"], pages["Count"]) == (100, 100)
        assert pages["LastPage"] == pages["FirstPage"]


def test_empty_album_leaves_the_locator_out(http: httpx.Client) -> None:
    answer = http.get(f"/album/{EMPTY}!images").json()
    assert "AlbumImage" not in answer["Response"]
    assert answer["Response"]["Locator"] == "AlbumImage"
    assert answer["Response"]["Pages"]["Total"] == 0
    assert answer["Response"]["Pages"]["Count"] == 0


def test_count_is_clamped_per_endpoint(smugmug_emulator_factory: StartEmulator) -> None:
    albums = [ab.album(f"Al{n:04d}", f"Album {n}") for n in range(105)]
    albums[0]["images"] = ab.images("Al0000", 1200, step_seconds=1)
    emu = smugmug_emulator_factory(albums)
    with api(emu) as http:
        first = http.get("/user/test-account!albums", params={"count": 500})
        pages = pages_of(first)
        assert (pages["Count"], pages["RequestedCount"], pages["Total"]) == (100, 100, 105)
        assert pages["NextPage"].endswith("start=101&count=100")
        second = http.get("/user/test-account!albums", params={"start": 101, "count": 100})
        assert [a["AlbumKey"] for a in second.json()["Response"]["Album"]] == [
            f"Al{n:04d}" for n in range(100, 105)
        ]
        images = pages_of(http.get("/album/Al0000!images", params={"count": 5000}))
        assert (images["Count"], images["RequestedCount"]) == (1000, 1000)


def test_filter_and_filteruri(http: httpx.Client) -> None:
    album = http.get(f"/album/{EAGLES}", params={"_filter": "AlbumKey,Name,Nope"}).json()
    assert album["Response"]["Album"] == {"Name": "Eagles vs Lions - May 30", "AlbumKey": EAGLES}
    assert album["Request"]["Uri"].startswith(f"/api/v2/album/{EAGLES}?_filter=")
    trimmed = http.get(f"/album/{EAGLES}", params={"_filteruri": "AlbumImages"}).json()
    assert list(trimmed["Response"]["Album"]["Uris"]) == ["AlbumImages"]
    bare = http.get(f"/album/{EAGLES}", params={"_filteruri": "", "_verbosity": "1"}).json()
    assert "Uris" not in bare["Response"]["Album"]
    listed = http.get(
        f"/album/{EAGLES}!images", params={"_filter": "ImageKey", "count": 3, "_expand": "Album"}
    ).json()
    assert [set(i) for i in listed["Response"]["AlbumImage"]] == [{"ImageKey"}] * 3
    # Page links keep _filter but drop _expand (as NextPage does on the real service).
    assert "_expand" not in listed["Response"]["Pages"]["NextPage"]
    assert "_filter=ImageKey" in listed["Response"]["Pages"]["NextPage"]


# ---------------------------------------------------------------------- OAuth


@pytest.mark.parametrize(
    "override",
    [
        {"SMUGMUG_API_SECRET": "wrong"},
        {"SMUGMUG_ACCESS_TOKEN_SECRET": "wrong"},
        {"SMUGMUG_API_KEY": "someone-else"},
        {"SMUGMUG_ACCESS_TOKEN": "stolen"},
    ],
)
def test_wrong_credentials_get_401_in_the_envelope(
    smugmug_emulator: RunningEmulator, override: dict[str, str]
) -> None:
    with api(smugmug_emulator, **override) as http:
        answer = http.get(f"/album/{EAGLES}")
    assert answer.status_code == 401
    body = answer.json()
    assert (body["Code"], body["Message"]) == (401, "Unauthorized")
    assert body["Request"]["Uri"] == f"/api/v2/album/{EAGLES}"
    assert "oauth_problem" in answer.headers["WWW-Authenticate"]
    assert smugmug_emulator.store.album_name(EAGLES) == "Eagles vs Lions - May 30"


def test_unsigned_tampered_and_replayed_requests_get_401(smugmug_emulator: RunningEmulator) -> None:
    base = f"{smugmug_emulator.base_url}/api/v2"
    assert httpx.get(f"{base}!authuser", timeout=TIMEOUT).status_code == 401
    with api(smugmug_emulator) as http:
        signed = http.build_request("GET", f"/album/{EAGLES}!images", params={"count": 10})
        signed = next(http.auth.auth_flow(signed))  # type: ignore[union-attr]
    auth = {"Authorization": signed.headers["Authorization"]}
    with httpx.Client(timeout=TIMEOUT) as raw:
        # The query is signed: changing it breaks the signature.
        tampered = raw.get(f"{base}/album/{EAGLES}!images", params={"count": 11}, headers=auth)
        assert tampered.status_code == 401
        assert raw.get(str(signed.url), headers=auth).status_code == 200
        replay = raw.get(str(signed.url), headers=auth)
        assert replay.status_code == 401
        assert 'oauth_problem="nonce_used"' in replay.headers["WWW-Authenticate"]


def test_form_bodies_are_signed_json_bodies_are_not(smugmug_emulator: RunningEmulator) -> None:
    with api(smugmug_emulator) as http:
        form = http.patch(f"/album/{EAGLES}", data={"Name": "From a form"})
        assert form.status_code == 200, form.text
        assert smugmug_emulator.store.album_name(EAGLES) == "From a form"
        request = http.build_request("PATCH", f"/album/{EAGLES}", data={"Name": "Signed"})
        request = next(http.auth.auth_flow(request))  # type: ignore[union-attr]
    tampered = httpx.patch(
        str(request.url),
        content=b"Name=Tampered",
        headers={
            "Authorization": request.headers["Authorization"],
            "Content-Type": "application/x-www-form-urlencoded",
        },
        timeout=TIMEOUT,
    )
    assert tampered.status_code == 401
    assert smugmug_emulator.store.album_name(EAGLES) == "From a form"


# ---------------------------------------------------------------------- errors, PATCH, redirect


@pytest.mark.parametrize(
    "path",
    ["/album/NoSuch1", "/album/NoSuch1!images", "/image/NoSuch12-0", "/image/NoSuch12",
     "/user/someone-else", "/user/someone-else!albums", "/folder/nothing"],
)  # fmt: skip
def test_unknown_things_get_404_in_the_envelope(http: httpx.Client, path: str) -> None:
    answer = http.get(path)
    assert answer.status_code == 404
    body = answer.json()
    assert (body["Code"], body["Message"]) == (404, "Not Found")
    assert body["Response"]["Uri"] == "/api/v2" + path


def test_rename_round_trip(http: httpx.Client, smugmug_emulator: RunningEmulator) -> None:
    before = http.get(f"/album/{UNTITLED}").json()["Response"]["Album"]
    answer = http.patch(f"/album/{UNTITLED}", json={"Name": "Hawks vs Owls - Jun 8"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["Request"]["Method"] == "PATCH"
    after = body["Response"]["Album"]
    assert after["Name"] == after["Title"] == "Hawks vs Owls - Jun 8"
    assert after["UrlName"] == before["UrlName"] == "Untitled"  # the web address stays
    assert after["LastUpdated"] > before["LastUpdated"]
    assert http.get(f"/album/{UNTITLED}").json()["Response"]["Album"]["Name"] == (
        "Hawks vs Owls - Jun 8"
    )
    assert smugmug_emulator.store.album_name(UNTITLED) == "Hawks vs Owls - Jun 8"
    # Only the fields sent change.
    assert http.patch(f"/album/{UNTITLED}", json={}).status_code == 200
    assert smugmug_emulator.store.album_name(UNTITLED) == "Hawks vs Owls - Jun 8"


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("x" * 255, True),
        ("", True),
        ("x" * 256, False),
        ("Line\nbreak", False),
        ("Tab\there", False),
        ("Bell\x07", False),
        (42, False),
        ("Élan – Café vs Ünion - May 30", True),
    ],
)
def test_patch_validates_name(
    http: httpx.Client, smugmug_emulator: RunningEmulator, name: object, ok: bool
) -> None:
    answer = http.patch(f"/album/{EAGLES}", json={"Name": name})
    if ok:
        assert answer.status_code == 200, answer.text
        assert smugmug_emulator.store.album_name(EAGLES) == name
    else:
        assert answer.status_code == 400
        body = answer.json()
        assert body["Code"] == 400
        assert body["Message"].startswith("Bad Request")
        assert smugmug_emulator.store.album_name(EAGLES) == "Eagles vs Lions - May 30"


def test_patch_rejects_bad_bodies_and_url_name_clashes(http: httpx.Client) -> None:
    broken = http.patch(
        f"/album/{EAGLES}", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    assert http.patch(f"/album/{EAGLES}", json=["Name"]).status_code == 400
    assert http.patch(f"/album/{EAGLES}", json={"UrlName": "-bad"}).status_code == 400
    clash = http.patch(f"/album/{EAGLES}", json={"UrlName": "Untitled"})
    assert clash.status_code == 409
    assert http.patch("/album/NoSuch1", json={"Name": "x"}).status_code == 404
    assert http.delete(f"/album/{EAGLES}").status_code == 405


def test_image_key_without_serial_redirects(
    http: httpx.Client, smugmug_emulator: RunningEmulator
) -> None:
    key = ab.image_key_for(EAGLES, 3)
    answer = http.get(f"/image/{key}", params={"_filter": "ImageKey"})
    assert answer.status_code == 301
    location = answer.headers["Location"]
    assert location == f"{smugmug_emulator.base_url}/api/v2/image/{key}-0?_filter=ImageKey"
    assert answer.json()["Code"] == 301
    followed = http.get(location)  # a new request, signed afresh
    assert followed.json()["Response"]["Image"] == {"ImageKey": key}


def test_collected_image_points_to_its_home_album(http: httpx.Client) -> None:
    listed = http.get(f"/album/{UNTITLED}!images").json()["Response"]["AlbumImage"]
    origins = Counter(i["Origin"] for i in listed)
    assert origins == {"Album": 12, "Collected": 2}
    collected = next(i for i in listed if i["Origin"] == "Collected")
    assert collected["Uri"] == f"/api/v2/album/{UNTITLED}/image/{collected['ImageKey']}-0"
    image = http.get(f"/image/{collected['ImageKey']}-0").json()["Response"]["Image"]
    assert image["Uris"]["ImageAlbum"]["Uri"] == f"/api/v2/album/{EAGLES}"


# ---------------------------------------------------------------------- faults


def test_aligned_rate_windows_end_at_the_announced_reset(
    http: httpx.Client, smugmug_emulator: RunningEmulator
) -> None:
    smugmug_emulator.faults.set_rate_limit(2, per_seconds=1.0, aligned=True)
    time.sleep(math.ceil(time.time()) - time.time() + 0.02)  # just after a whole second
    answers = [http.get(f"/album/{EAGLES}") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    reset = int(answers[1].headers["X-RateLimit-Reset"])
    assert answers[1].headers["X-RateLimit-Remaining"] == "0"
    assert reset == math.floor(time.time()) + 1  # the whole second the window ends on
    time.sleep(max(0.0, reset - time.time()) + 0.01)  # exactly as long as announced
    assert http.get(f"/album/{EAGLES}").status_code == 200
    smugmug_emulator.faults.set_rate_limit(None)


def test_rate_limit_answers_429_with_retry_after(
    http: httpx.Client, smugmug_emulator: RunningEmulator
) -> None:
    smugmug_emulator.faults.set_rate_limit(3, per_seconds=0.5)
    remaining = []
    for _ in range(3):
        answer = http.get(f"/album/{EAGLES}")
        assert answer.status_code == 200
        remaining.append(int(answer.headers["X-RateLimit-Remaining"]))
    assert remaining == [2, 1, 0]
    limited = http.get(f"/album/{EAGLES}")
    assert limited.status_code == 429
    assert limited.json()["Code"] == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert int(limited.headers["X-RateLimit-Reset"]) >= int(time.time())
    time.sleep(0.55)
    assert http.get(f"/album/{EAGLES}").status_code == 200
    smugmug_emulator.faults.set_rate_limit(None)
    assert all(http.get(f"/album/{EAGLES}").status_code == 200 for _ in range(5))


def test_error_rate_is_seeded(smugmug_emulator_factory: StartEmulator) -> None:
    def statuses() -> list[int]:
        emu = smugmug_emulator_factory(data=ab.account([ab.album("Err001", "x")]))
        emu.faults.set_error_rate(0.3, seed=7)
        with api(emu) as http:
            return [http.get("/album/Err001").status_code for _ in range(40)]

    first, second = statuses(), statuses()
    assert first == second
    assert set(first) == {200, 500}
    assert 4 <= first.count(500) <= 24


def test_fail_next_and_html_gateway_errors(
    http: httpx.Client, smugmug_emulator: RunningEmulator
) -> None:
    smugmug_emulator.faults.fail_next(2)
    failed = [http.get(f"/album/{EAGLES}") for _ in range(2)]
    assert [f.status_code for f in failed] == [503, 503]
    assert failed[0].json()["Code"] == 503
    assert http.get(f"/album/{EAGLES}").status_code == 200
    smugmug_emulator.faults.fail_next(1, status=502)
    gateway = http.get(f"/album/{EAGLES}")
    assert gateway.status_code == 502
    assert gateway.headers["content-type"].startswith("text/html")


def test_latency_is_added(http: httpx.Client, smugmug_emulator: RunningEmulator) -> None:
    http.get(f"/album/{EAGLES}")  # connection warm
    smugmug_emulator.faults.set_latency(150)
    started = time.perf_counter()
    assert http.get(f"/album/{EAGLES}").status_code == 200
    assert time.perf_counter() - started >= 0.15
    smugmug_emulator.faults.set_latency(0)


def test_failing_album(http: httpx.Client, smugmug_emulator: RunningEmulator) -> None:
    faults = smugmug_emulator.faults
    faults.fail_album(EAGLES, methods=["PATCH"])
    assert http.get(f"/album/{EAGLES}").status_code == 200
    assert http.patch(f"/album/{EAGLES}", json={"Name": "x"}).status_code == 500
    assert smugmug_emulator.store.album_name(EAGLES) == "Eagles vs Lions - May 30"
    faults.fail_album(EAGLES, methods=["PATCH"], apply_patch=True)  # the answer is lost
    assert http.patch(f"/album/{EAGLES}", json={"Name": "Applied"}).status_code == 500
    assert smugmug_emulator.store.album_name(EAGLES) == "Applied"
    faults.fail_album(EAGLES, status=500)
    assert http.get(f"/album/{EAGLES}").status_code == 500
    assert http.get(f"/album/{EAGLES}!images").status_code == 500
    assert http.get(f"/album/{UNTITLED}").status_code == 200
    faults.delete_album(EAGLES)
    assert http.get(f"/album/{EAGLES}").status_code == 404
    listed = http.get("/user/test-account!albums").json()["Response"]["Album"]
    assert EAGLES not in {a["AlbumKey"] for a in listed}
    faults.clear_album(EAGLES)
    assert http.get(f"/album/{EAGLES}").status_code == 200
    faults.fail_album(UNTITLED, status=503, methods=["GET"])
    faults.fail_next(1)
    faults.reset()
    assert http.get(f"/album/{UNTITLED}").status_code == 200


def test_faults_from_command_line_flags() -> None:
    faults = faults_from_flags(
        rate_limit=5,
        rate_window=2.0,
        error_rate=0.1,
        fail_next=1,
        latency_ms=20,
        fail_albums=["Bad001"],
        deleted_albums=["Gone01"],
        late_patch_albums=["Late01"],
        late_patch_seconds=3.0,
    )
    assert (faults.rate_limit, faults.rate_window_seconds) == (5, 2.0)
    assert (faults.error_rate, faults.latency_ms) == (0.1, 20)
    assert faults.take_forced_error() == 503
    assert faults.album_fault("Bad001", "PATCH") == AlbumFault(500, frozenset({"GET", "PATCH"}))
    gone = faults.album_fault("Gone01", "GET")
    assert gone is not None and gone.status == 404
    assert faults.lost_patch_answer("Late01") == LostPatchAnswer(504, 0.0, 3.0)


def test_a_patch_whose_answer_is_lost_lands_now_or_later(
    http: httpx.Client, smugmug_emulator: RunningEmulator
) -> None:
    faults, store = smugmug_emulator.faults, smugmug_emulator.store
    faults.lose_patch_answer(EAGLES, status=502)  # lands at once, the answer lost
    assert http.patch(f"/album/{EAGLES}", json={"Name": "At once"}).status_code == 502
    assert store.album_name(EAGLES) == "At once"
    faults.lose_patch_answer(EAGLES, land_after=None)  # held until the test lands it
    assert http.patch(f"/album/{EAGLES}", json={"Name": "Late"}).status_code == 504
    assert store.album_name(EAGLES) == "At once"
    assert faults.held_patches() == {EAGLES: "Late"}
    assert smugmug_emulator.state.land_held_patches() == [EAGLES]
    assert store.album_name(EAGLES) == "Late" and faults.held_patches() == {}
    faults.lose_patch_answer(EAGLES, land_after=0.2)  # lands by itself, a moment later
    assert http.patch(f"/album/{EAGLES}", json={"Name": "Timer"}).status_code == 504
    assert store.album_name(EAGLES) == "Late"
    deadline = time.monotonic() + 5
    while store.album_name(EAGLES) != "Timer" and time.monotonic() < deadline:
        time.sleep(0.02)
    assert store.album_name(EAGLES) == "Timer"
    faults.clear_album(EAGLES)
    assert http.patch(f"/album/{EAGLES}", json={"Name": "Plain"}).status_code == 200


def test_rename_by_hand_and_the_request_log(
    http: httpx.Client, smugmug_emulator: RunningEmulator
) -> None:
    smugmug_emulator.log.clear()
    smugmug_emulator.store.rename_by_hand(EAGLES, "Renamed on the web site")
    assert len(smugmug_emulator.log) == 0
    http.get(f"/album/{EAGLES}", params={"_filter": "Name"})
    http.patch(f"/album/{UNTITLED}", json={"Name": "y"})
    requests = smugmug_emulator.requests
    assert [(r.method, r.path, r.query, r.status) for r in requests] == [
        ("GET", f"/api/v2/album/{EAGLES}", {"_filter": "Name"}, 200),
        ("PATCH", f"/api/v2/album/{UNTITLED}", {}, 200),
    ]
    assert smugmug_emulator.log.count("PATCH") == 1
    assert smugmug_emulator.log.count(path_contains=EAGLES) == 1
    assert http.get(f"/album/{EAGLES}").json()["Response"]["Album"]["Name"] == (
        "Renamed on the web site"
    )


def test_store_edits_show_in_the_api(http: httpx.Client, smugmug_emulator: RunningEmulator) -> None:
    store = smugmug_emulator.store
    before = http.get(f"/album/{EMPTY}").json()["Response"]["Album"]
    store.add_images(EMPTY, ab.images(EMPTY, 3, first="2024-07-04T23:30:00+00:00"))
    after = http.get(f"/album/{EMPTY}").json()["Response"]["Album"]
    assert after["ImageCount"] == 3
    assert after["ImagesLastUpdated"] > before["ImagesLastUpdated"]
    new_key = ab.image_key_for(EMPTY, 0)
    assert http.get(f"/image/{new_key}-0").status_code == 200
    store.add_album(ab.album("New001", "Fresh upload", ab.images("New001", 2)))
    listed = http.get("/user/test-account!albums").json()["Response"]["Album"]
    assert listed[-1]["AlbumKey"] == "New001"
    store.delete_album("New001")
    assert http.get("/album/New001").status_code == 404
    assert http.get(f"/image/{ab.image_key_for('New001', 0)}-0").status_code == 404
    with pytest.raises(DataFileError, match="two home albums"):
        store.add_images(UNTITLED, [{"image_key": new_key}])


def test_env_and_credentials(smugmug_emulator: RunningEmulator) -> None:
    env = smugmug_emulator.env()
    assert env["SMUGMUG_BASE_URL"] == smugmug_emulator.base_url
    assert env["SMUGMUG_NICKNAME"] == "test-account"
    assert {
        "SMUGMUG_API_KEY",
        "SMUGMUG_API_SECRET",
        "SMUGMUG_ACCESS_TOKEN",
        "SMUGMUG_ACCESS_TOKEN_SECRET",
    } <= env.keys()
    assert "secret" not in repr(smugmug_emulator.store.credentials)


# ---------------------------------------------------------------------- data file


def test_data_file_round_trip(tmp_path: Path) -> None:
    from albumsync_dagster_tests.emulator_fixtures import small_account

    store = EmulatorStore.from_dict(small_account())
    path = tmp_path / "account.json"
    store.to_file(path)
    again = EmulatorStore.from_file(path)
    assert again.to_dict() == store.to_dict()
    assert [a.album_key for a in again.albums] == [EAGLES, UNTITLED, EMPTY]
    found = again.image(ab.image_key_for(EAGLES, 0))
    assert found is not None and found[1].album_key == EAGLES
    undated = again.album(EAGLES).entries[7].image  # type: ignore[union-attr]
    assert undated.date_time_original is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"albums": []}, "nickname"),
        ({"nickname": "n", "albums": [{"name": "x"}]}, "'key'"),
        (
            {"nickname": "n", "albums": [
                {"key": "a", "images": [{"image_key": "i", "origin": "X"}]}]},
            "origin",
        ),
        (
            {"nickname": "n", "albums": [
                {"key": "a", "images": [{"image_key": "i"}]},
                {"key": "b", "images": [{"image_key": "i"}]},
            ]},
            "two home albums",
        ),
        (
            {"nickname": "n", "albums": [{"key": "a", "images": [
                {"image_key": "i", "date_time_original": "2024-05-30T22:00:00"}]}]},
            "no UTC offset",
        ),
    ],
)  # fmt: skip
def test_data_file_errors_say_where(data: dict[str, Any], message: str) -> None:
    with pytest.raises(DataFileError, match=message):
        EmulatorStore.from_dict(data)


def test_serve_from_the_command_line(tmp_path: Path) -> None:
    from albumsync_dagster_tests.emulator_fixtures import small_account

    data = tmp_path / "account.json"
    data.write_text(json.dumps(small_account()))
    process = subprocess.Popen(
        [sys.executable, "-m", "albumsync_dagster.emulator", "--port", "0", "--data", str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        output = ""
        deadline = time.monotonic() + 20
        while "SMUGMUG_BASE_URL" not in output and time.monotonic() < deadline:
            with contextlib.suppress(queue.Empty):
                output += lines.get(timeout=0.2)
        base = re.search(r"Base URL: (http://\S+)", output)
        assert base, output
        env = dict(re.findall(r"export (SMUGMUG_\w+)=(\S+)", output))
        assert env["SMUGMUG_BASE_URL"] == base.group(1)
        deadline = time.monotonic() + 10
        while True:
            try:
                with httpx.Client(
                    base_url=f"{base.group(1)}/api/v2", auth=OAuthSign(env), timeout=TIMEOUT
                ) as http:
                    answer = http.get(f"/album/{EAGLES}")
                break
            except httpx.ConnectError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        assert answer.json()["Response"]["Album"]["Name"] == "Eagles vs Lions - May 30"
    finally:
        process.terminate()
        process.wait(timeout=10)


# ---------------------------------------------------------------------- demo account


def test_demo_account_size_and_determinism() -> None:
    demo = build_demo(0)
    assert len(demo.albums) == 120
    assert demo.photo_count == 18_500
    regenerated = build_demo.__wrapped__(0)
    assert regenerated.data == demo.data
    assert regenerated.photo_rows == demo.photo_rows
    assert build_demo.__wrapped__(1).data != demo.data
    store = demo.store()
    assert len(store.albums) == 120
    assert store.timezone == "America/New_York"
    keys = [a.album_key for a in store.albums]
    assert len(set(keys)) == 120
    kinds = Counter(a.kind for a in demo.albums)
    assert kinds["game"] >= 60 and kinds["tournament"] >= 15 and kinds["event"] >= 10
    assert kinds["sport"] >= 10


def test_demo_account_written_as_a_data_file(tmp_path: Path) -> None:
    from albumsync_dagster.emulator.__main__ import main

    path = tmp_path / "demo.json"
    assert main(["--write-demo", str(path), "--seed", "0"]) == 0
    store = EmulatorStore.from_file(path)
    assert store.to_dict() == build_demo(0).store().to_dict()
    assert store.image_count == sum(a.photo_count for a in build_demo(0).albums)


def test_demo_account_contains_its_problems() -> None:
    demo = build_demo(0)
    problems = Counter(p for a in demo.albums for p in a.problems)
    for tag, at_least in {
        "correct": 20,
        "default_name": 15,
        "misspelled": 8,
        "wrong_date": 10,
        "evening_utc_next_day": 8,
        "stray_dates": 5,
        "missing_dto": 20,
        "no_dated_photos": 2,
        "collected_images": 3,
        "cosmetic": 5,
        "swapped_teams": 2,
        "missing_date": 4,
        "stale_db_name": 5,
        "inconsistent_db_names": 2,
    }.items():
        assert problems[tag] >= at_least, tag
    by_key = {a["key"]: a for a in demo.data["albums"]}
    for album in demo.albums:
        if "correct" in album.problems:
            assert album.name == album.canonical_name
        if album.canonical_name is not None:
            assert re.fullmatch(r".+ - (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec).+",
                                album.canonical_name), album.canonical_name  # fmt: skip
        images = by_key[album.album_key]["images"]
        times = [datetime.fromisoformat(i["date_time_original"]) for i in images
                 if i["date_time_original"]]  # fmt: skip
        if "no_dated_photos" in album.problems:
            assert not times and album.canonical_name is None
        if "stray_dates" in album.problems:
            assert any(t.year <= 2000 for t in times)
        if "evening_utc_next_day" in album.problems:
            event_times = [t for t in times if t.year > 2000]
            utc_day = Counter(t.date() for t in event_times).most_common(1)[0][0]
            local_day = Counter(t.astimezone(NEW_YORK).date() for t in event_times)
            assert utc_day != local_day.most_common(1)[0][0]
        if "missing_dto" in album.problems:
            assert any(i["date_time_original"] is None for i in images)
    names = {a.name for a in demo.albums}
    assert {"Untitled", "New Album", "IMG_2043"} <= names
    assert any(re.fullmatch(r"\d{4}-\d\d-\d\d", n) for n in names)
    # Tournaments across a month and a year boundary.
    spans = [a.canonical_name for a in demo.albums if a.kind == "tournament"]
    assert any(re.search(r" - [A-Z][a-z]{2} \d{4}-[A-Z][a-z]{2} \d{4}$", s or "") for s in spans)
    assert any(re.search(r" - [A-Z][a-z]{2}-[A-Z][a-z]{2} \d{4}$", s or "") for s in spans)
    assert "Winter Classic - Dec 2024-Jan 2025" in spans


def test_demo_collected_images_have_one_home() -> None:
    demo = build_demo(0)
    homes: Counter[str] = Counter()
    collected: set[str] = set()
    for album in demo.data["albums"]:
        for image in album["images"]:
            if image["origin"] == "Collected":
                collected.add(image["image_key"])
            else:
                homes[image["image_key"]] += 1
    assert collected
    assert all(homes[key] == 1 for key in collected)
    assert max(homes.values()) == 1
    row_keys = {r["image_key"] for r in demo.photo_rows}
    assert collected <= row_keys


def test_demo_rows_match_the_account() -> None:
    demo = build_demo(0)
    rows = demo.photo_rows
    assert len({r["image_key"] for r in rows}) == len(rows)
    assert len({r["photo_id"] for r in rows}) == len(rows)
    without_key = sum(1 for r in rows if r["album_key"] is None)
    assert 0.02 <= without_key / len(rows) <= 0.03
    names = {a["key"]: a["name"] for a in demo.data["albums"]}
    home = {
        i["image_key"]: a["key"]
        for a in demo.data["albums"]
        for i in a["images"]
        if i["origin"] != "Collected"
    }
    same_name = sum(
        1 for r in rows if r["album_key"] and r["album_name"] == names.get(r["album_key"])
    )
    assert same_name / len(rows) > 0.85
    for row in rows:
        key = row["image_key"]
        assert row["imageurl"] == f"https://photos.smugmug.com/photos/i-{key}/0/L/i-{key}-L.jpg"
        if row["album_key"] and row["album_key"] != demo.orphan_album_key:
            assert home[key] == row["album_key"]
    assert all(k not in home for k in demo.unknown_image_keys)
    assert len(demo.enrichment_rows) == 118
    games = [e for e in demo.enrichment_rows if len(e["teams"]) == 2]
    assert len(games) >= 60


def test_demo_account_served(smugmug_emulator_factory: StartEmulator) -> None:
    emu = smugmug_emulator_factory(store=build_demo(0).store())
    with api(emu) as http:
        assert http.get("!authuser").json()["Response"]["User"]["NickName"] == "demo-sports"
        pages = pages_of(http.get("/user/demo-sports!albums", params={"count": 100}))
        assert pages["Total"] == 120


# ---------------------------------------------------------------------- demo rows in PostgreSQL


def test_load_demo_rows_is_set_based_and_idempotent(engine: Engine) -> None:
    demo = build_demo(0)
    loaded = load_demo_rows(engine, demo)
    assert (loaded.photo_rows, loaded.enrichment_rows) == (len(demo.photo_rows), 118)
    count_sql = sa.text(
        "SELECT count(*), count(album_key), count(DISTINCT album_key), count(photo_date) "
        "FROM photo_metadata"
    )
    with engine.connect() as conn:
        first = conn.execute(count_sql).one()
        assert first[0] == len(demo.photo_rows)
        assert first[0] - first[1] == sum(1 for r in demo.photo_rows if r["album_key"] is None)
        teams = conn.execute(
            sa.text("SELECT teams FROM album_enrichment WHERE cardinality(teams) = 2 LIMIT 1")
        ).scalar_one()
        assert isinstance(teams, list) and len(teams) == 2
        conn.execute(sa.text("UPDATE photo_metadata SET album_name = 'changed'"))
        conn.commit()
    load_demo_rows(engine, demo)
    with engine.connect() as conn:
        assert conn.execute(count_sql).one() == first
        changed = conn.execute(
            sa.text("SELECT count(*) FROM photo_metadata WHERE album_name = 'changed'")
        ).scalar_one()
        assert changed == 0
        stored = conn.execute(
            sa.text("SELECT photo_date FROM photo_metadata WHERE image_key = :k"),
            {"k": demo.photo_rows[0]["image_key"]},
        ).scalar_one()
        assert stored == demo.photo_rows[0]["photo_date"]
