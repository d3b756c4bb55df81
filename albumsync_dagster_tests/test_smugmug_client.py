"""SmugMugClient against the local SmugMug emulator over real HTTP (signed, paged, faulty).

Only ``test_transport_*`` swap the transport, because that is what they are about.
"""

from __future__ import annotations

import json
import logging
import math
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from oauthlib.oauth1.rfc5849 import signature

from albumsync_dagster.emulator import RunningEmulator, build_demo_store
from albumsync_dagster.emulator import account_builder as ab
from albumsync_dagster.smugmug import (
    DEFAULT_REQUESTS_PER_SECOND,
    RequestRateLimiter,
    SmugMugAuthError,
    SmugMugClient,
    SmugMugConfigError,
    SmugMugError,
    SmugMugInvalidName,
    SmugMugNotFound,
    SmugMugRateLimited,
    SmugMugUnavailable,
)

BIG = "Bg250x"  # 250 images, two without a capture time
SMALL = "Sm3Col"  # 3 of its own plus 2 collected from BIG
EMPTY = "Em0pty"
ONE = "On1Img"
HUNDRED = "Hu100x"
HUNDRED_ONE = "Hu101x"
ALBUM_ORDER = (BIG, SMALL, EMPTY, ONE, HUNDRED, HUNDRED_ONE)
UNDATED = (7, 180)
NICKNAME = "client-test"


def account_data(credentials: dict[str, str]) -> dict[str, Any]:
    big = ab.images(BIG, 250, first="2024-05-30T22:30:00+00:00", undated=UNDATED)
    return ab.account(
        [
            ab.album(BIG, "Eagles vs Lions - May 30", big),
            ab.album(
                SMALL,
                "Untitled",
                ab.images(SMALL, 3, first="2024-06-08T14:00:00+00:00")
                + ab.collected([big[0]["image_key"], big[1]["image_key"]]),
            ),
            ab.album(EMPTY, "New Album"),
            ab.album(ONE, "One", ab.images(ONE, 1)),
            ab.album(HUNDRED, "Hundred", ab.images(HUNDRED, 100)),
            ab.album(HUNDRED_ONE, "Hundred and one", ab.images(HUNDRED_ONE, 101)),
        ],
        nickname=NICKNAME,
        credentials=credentials,
    )


@pytest.fixture
def credentials() -> dict[str, str]:
    """Distinctive credential values, so a leak anywhere is found by a substring search."""
    tag = uuid.uuid4().hex
    return {
        "api_key": f"ak-{tag}",
        "api_secret": f"as-{tag}",
        "access_token": f"at-{tag}",
        "access_token_secret": f"ats-{tag}",
    }


@pytest.fixture
def emu(
    smugmug_emulator_factory: Callable[..., RunningEmulator], credentials: dict[str, str]
) -> RunningEmulator:
    return smugmug_emulator_factory(data=account_data(credentials))


@pytest.fixture
def make_client(emu: RunningEmulator) -> Iterator[Callable[..., SmugMugClient]]:
    """Clients on the emulator with test-sized waits; every one is closed afterwards."""
    made: list[SmugMugClient] = []

    def make(**overrides: Any) -> SmugMugClient:
        options: dict[str, Any] = {
            "requests_per_second": None,
            "backoff_base": 0.01,
            "backoff_max": 0.05,
            "max_retry_after": 3.0,
            "image_page_size": 100,
            "timeout": 5.0,
        }
        options.update(overrides)
        client = SmugMugClient.from_env(emu.env(), **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def statuses(emu: RunningEmulator) -> list[int]:
    return [r.status for r in emu.requests]


# ---------------------------------------------------------------- reading


def test_paging_across_page_boundaries(emu: RunningEmulator, make_client: Any) -> None:
    client = make_client(image_page_size=100)
    images = client.list_album_images(BIG)
    expected = [e.image.image_key for e in emu.store.album(BIG).entries]  # type: ignore[union-attr]
    assert [i.image_key for i in images] == expected
    assert len(images) == 250
    starts = [r.query["start"] for r in emu.requests]
    assert starts == ["1", "101", "201"]
    assert client.request_count == 3
    assert {r.query["count"] for r in emu.requests} == {"100"}
    # Only the fields the parser reads are asked for.
    assert all("_filter" in r.query for r in emu.requests)


@pytest.mark.parametrize("album_key", [ONE, HUNDRED, HUNDRED_ONE, BIG])
@pytest.mark.parametrize("page_size", [100, 1000])
def test_album_with_n_images_costs_one_plus_pages(
    emu: RunningEmulator, make_client: Any, album_key: str, page_size: int
) -> None:
    client = make_client(image_page_size=page_size)
    album = client.get_album(album_key)
    images = client.list_album_images(album_key)
    n = len(emu.store.album(album_key).entries)  # type: ignore[union-attr]
    assert len(images) == n == album.image_count
    assert client.request_count == 1 + math.ceil(n / page_size)
    assert len(emu.requests) == client.request_count


def test_empty_album(emu: RunningEmulator, make_client: Any) -> None:
    client = make_client()
    album = client.get_album(EMPTY)
    assert album.image_count == 0
    assert client.list_album_images(EMPTY) == []
    # The empty listing still takes its one request (SmugMug leaves the locator key out).
    assert client.request_count == 2


def test_album_fields_and_missing_capture_times(emu: RunningEmulator, make_client: Any) -> None:
    client = make_client()
    album = client.get_album(BIG)
    assert album.album_key == BIG
    assert album.name == "Eagles vs Lions - May 30"
    assert album.url_name == emu.store.album(BIG).url_name  # type: ignore[union-attr]
    assert album.date == datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    assert album.last_updated is not None and album.last_updated.tzinfo is not None
    assert album.images_last_updated is not None
    assert album.web_uri and album.uri == f"/api/v2/album/{BIG}"
    images = client.list_album_images(BIG)
    undated = [i for i, image in enumerate(images) if image.date_time_original is None]
    assert undated == list(UNDATED)
    first = images[0]
    assert first.date_time_original == datetime(2024, 5, 30, 22, 30, tzinfo=UTC)
    assert first.file_name == "IMG_0001.JPG"
    assert first.origin == "Album" and not first.is_collected
    assert first.thumbnail_url and first.image_key in first.thumbnail_url
    assert first.archived_uri and first.web_uri


def test_collected_images_are_marked(emu: RunningEmulator, make_client: Any) -> None:
    client = make_client()
    images = client.list_album_images(SMALL)
    assert [i.origin for i in images] == ["Album"] * 3 + ["Collected"] * 2
    big_keys = {i.image_key for i in client.list_album_images(BIG)}
    assert {i.image_key for i in images if i.is_collected} <= big_keys


def test_user_albums_paged_and_nickname_from_authuser(
    emu: RunningEmulator, make_client: Any
) -> None:
    env = {k: v for k, v in emu.env().items() if k != "SMUGMUG_NICKNAME"}
    client = SmugMugClient.from_env(env, requests_per_second=None, album_page_size=4)
    try:
        albums = client.list_user_albums()
        assert [a.album_key for a in albums] == list(ALBUM_ORDER)
        assert client.nickname == NICKNAME
        # !authuser once, then ceil(6 / 4) album pages.
        assert [r.path for r in emu.requests] == [
            "/api/v2!authuser",
            f"/api/v2/user/{NICKNAME}!albums",
            f"/api/v2/user/{NICKNAME}!albums",
        ]
        assert client.get_authuser().nickname == NICKNAME
        assert client.get_user().nickname == NICKNAME
    finally:
        client.close()


def test_redirect_is_re_signed(emu: RunningEmulator, make_client: Any) -> None:
    client = make_client()
    key = client.list_album_images(BIG)[3].image_key
    emu.log.clear()
    client.reset_request_count()
    image = client.get_image(key)  # image/{key} answers 301 to image/{key}-0
    assert image.image_key == key
    assert image.date_time_original == datetime(2024, 5, 30, 22, 31, 30, tzinfo=UTC)
    assert [(r.path, r.status) for r in emu.requests] == [
        (f"/api/v2/image/{key}", 301),
        (f"/api/v2/image/{key}-0", 200),  # the emulator checked the new signature
    ]
    assert client.request_count == 2


# ---------------------------------------------------------------- renaming


def test_rename_round_trip(emu: RunningEmulator, make_client: Any) -> None:
    client = make_client()
    before = client.get_album(SMALL)
    client.reset_request_count()
    emu.log.clear()
    new_name = "Eagles vs Lions – May 30 ⚽ (Über)"
    renamed = client.rename_album(SMALL, new_name)
    assert renamed.name == new_name
    assert renamed.url_name == before.url_name  # the web address does not move
    assert client.request_count == 1
    assert [(r.method, r.path) for r in emu.requests] == [("PATCH", f"/api/v2/album/{SMALL}")]
    assert emu.store.album_name(SMALL) == new_name
    again = client.get_album(SMALL)
    assert again.name == new_name and again.url_name == before.url_name
    # The limits themselves are accepted: empty and exactly 255 characters.
    assert client.rename_album(SMALL, "").name == ""
    assert client.rename_album(SMALL, "x" * 255).name == "x" * 255


@pytest.mark.parametrize(
    "bad_name",
    ["x" * 256, "line\nbreak", "tab\there", "nul\x00", "bell\x07", "del\x7f", "\x85next"],
)
def test_rename_validates_before_sending(
    emu: RunningEmulator, make_client: Any, bad_name: str
) -> None:
    client = make_client()
    with pytest.raises(SmugMugInvalidName) as raised:
        client.rename_album(SMALL, bad_name)
    assert isinstance(raised.value, ValueError)
    assert raised.value.album_key == SMALL
    assert SMALL in str(raised.value)
    assert client.request_count == 0
    assert emu.requests == []
    assert emu.store.album_name(SMALL) == "Untitled"


def test_rename_refuses_non_text(emu: RunningEmulator, make_client: Any) -> None:
    client = make_client()
    with pytest.raises(ValueError):
        client.rename_album(SMALL, None)  # type: ignore[arg-type]
    assert emu.requests == []


# ---------------------------------------------------------------- failures


def test_unknown_album_is_not_found(emu: RunningEmulator, make_client: Any) -> None:
    client = make_client()
    with pytest.raises(SmugMugNotFound) as raised:
        client.get_album("NoSuch1")
    error = raised.value
    assert error.status == 404
    assert error.album_key == "NoSuch1"
    assert error.method == "GET" and error.path == "/api/v2/album/NoSuch1"
    assert error.smugmug_message == "Not Found"
    assert "NoSuch1" in str(error) and "GET /api/v2/album/NoSuch1" in str(error)
    assert "?" not in str(error)  # no query string in the text
    with pytest.raises(SmugMugNotFound):
        client.list_album_images("NoSuch1")
    with pytest.raises(SmugMugNotFound):
        client.rename_album("NoSuch1", "Anything")
    assert client.request_count == 3  # a 404 is not retried


def test_deleted_album_is_not_found(emu: RunningEmulator, make_client: Any) -> None:
    client = make_client()
    emu.faults.delete_album(ONE)
    with pytest.raises(SmugMugNotFound):
        client.get_album(ONE)
    assert ONE not in {a.album_key for a in client.iter_user_albums()}


@pytest.mark.parametrize("wrong", ["api_secret", "access_token_secret", "access_token"])
def test_wrong_credentials_are_auth_errors(
    emu: RunningEmulator, make_client: Any, credentials: dict[str, str], wrong: str
) -> None:
    client = make_client(**{**credentials, wrong: "not-the-right-one"})
    with pytest.raises(SmugMugAuthError) as raised:
        client.get_album(BIG)
    assert raised.value.status == 401
    assert raised.value.album_key == BIG
    assert statuses(emu) == [401]  # not retried


def test_429_waits_for_retry_after_then_succeeds(emu: RunningEmulator, make_client: Any) -> None:
    emu.faults.set_rate_limit(1, per_seconds=1.0)
    make_client().get_album(ONE)  # another client uses the window's one request
    client = make_client()
    started = time.monotonic()
    album = client.get_album(BIG)
    elapsed = time.monotonic() - started
    assert album.album_key == BIG
    assert statuses(emu) == [200, 429, 200]
    assert elapsed >= 0.95, "Retry-After (1 s) was not honoured"
    assert elapsed < 3.5
    assert client.request_count == 2


def test_429_wait_is_capped_and_gives_up_typed(emu: RunningEmulator, make_client: Any) -> None:
    emu.faults.set_rate_limit(1, per_seconds=30.0)
    make_client().get_album(ONE)
    client = make_client(max_retry_after=0.2, max_attempts=3)
    started = time.monotonic()
    with pytest.raises(SmugMugRateLimited) as raised:
        client.get_album(BIG)
    elapsed = time.monotonic() - started
    assert raised.value.status == 429
    assert raised.value.retry_after is not None and raised.value.retry_after >= 20
    assert raised.value.album_key == BIG
    assert statuses(emu) == [200, 429, 429, 429]
    assert elapsed < 2.0, "the 30 s Retry-After was not capped"
    assert elapsed >= 0.35


def test_rate_limit_headers_pause_instead_of_429(emu: RunningEmulator, make_client: Any) -> None:
    emu.faults.set_rate_limit(2, per_seconds=1.0)
    client = make_client()
    started = time.monotonic()
    for _ in range(3):
        client.get_album(ONE)
    elapsed = time.monotonic() - started
    # X-RateLimit-Remaining hit 0 on the 2nd request: the client waited for the reset
    # instead of running into a 429.
    assert statuses(emu) == [200] * 3
    assert elapsed >= 0.9


def test_smugmugs_time_is_read_from_each_answer(emu: RunningEmulator, make_client: Any) -> None:
    # The sorted listing's cursor is SmugMug's time (the Date header), not this machine's.
    client = make_client()
    assert client.server_time is None  # no answer yet
    emu.store.clock = lambda: datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)
    client.get_album(ONE)
    assert client.server_time == datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)
    emu.store.clock = lambda: datetime(2031, 1, 2, 3, 9, 0, tzinfo=UTC)
    emu.faults.fail_next(1, status=503)  # an error answer carries the time too
    client.get_album(ONE)
    assert client.server_time == datetime(2031, 1, 2, 3, 9, 0, tzinfo=UTC)


def test_5xx_recovery(emu: RunningEmulator, make_client: Any) -> None:
    client = make_client()
    emu.faults.fail_next(2, status=503)
    assert client.get_album(BIG).album_key == BIG
    assert statuses(emu) == [503, 503, 200]
    emu.log.clear()
    emu.faults.fail_next(1, status=502)  # an HTML page from the proxy, not the envelope
    assert len(client.list_album_images(HUNDRED)) == 100
    assert statuses(emu) == [502, 200]


def test_5xx_retries_give_up_with_typed_error(emu: RunningEmulator, make_client: Any) -> None:
    client = make_client(max_attempts=3)
    emu.faults.fail_next(10, status=500)
    with pytest.raises(SmugMugUnavailable) as raised:
        client.get_album(BIG)
    error = raised.value
    assert error.status == 500
    assert error.album_key == BIG
    assert "3 attempts" in str(error)
    assert statuses(emu) == [500, 500, 500]


def test_failing_album_rename_gives_up_typed(emu: RunningEmulator, make_client: Any) -> None:
    client = make_client(max_attempts=2)
    emu.faults.fail_album(SMALL, status=503, methods=("PATCH",))
    with pytest.raises(SmugMugUnavailable) as raised:
        client.rename_album(SMALL, "Renamed")
    assert raised.value.album_key == SMALL
    assert raised.value.method == "PATCH"
    assert emu.store.album_name(SMALL) == "Untitled"


def test_backoff_waits_between_retries(emu: RunningEmulator, make_client: Any) -> None:
    client = make_client(backoff_base=0.2, backoff_max=1.0)
    emu.faults.fail_next(2, status=503)
    started = time.monotonic()
    client.get_album(ONE)
    # Waits of at least half of 0.2 s and of 0.4 s (jitter adds up to as much again).
    assert time.monotonic() - started >= 0.3


def test_timeouts_are_retried_then_typed(emu: RunningEmulator, make_client: Any) -> None:
    emu.faults.set_latency(400)
    client = make_client(timeout=0.1, max_attempts=2)
    with pytest.raises(SmugMugUnavailable) as raised:
        client.get_album(BIG)
    assert isinstance(raised.value.__cause__, httpx.TimeoutException)
    assert raised.value.status is None
    assert client.request_count == 2
    emu.faults.set_latency(0)
    assert client.get_album(BIG).album_key == BIG


def test_unreachable_server_is_unavailable(emu: RunningEmulator) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**emu.env(), "SMUGMUG_BASE_URL": f"http://127.0.0.1:{port}"}
    client = SmugMugClient.from_env(env, backoff_base=0.01, max_attempts=2)
    with client, pytest.raises(SmugMugUnavailable) as raised:
        client.get_album(BIG)
    assert isinstance(raised.value.__cause__, httpx.ConnectError)
    assert "SMUGMUG_BASE_URL" in str(raised.value)


# ---------------------------------------------------------------- rate limit, threads


def test_client_side_rate_limit(emu: RunningEmulator, make_client: Any) -> None:
    client = make_client(requests_per_second=20, burst=1)
    started = time.monotonic()
    for _ in range(11):
        client.get_album(ONE)
    elapsed = time.monotonic() - started
    assert elapsed >= 0.5 - 0.02  # 10 gaps of 1/20 s
    arrivals = [r.at for r in emu.requests]
    assert arrivals[-1] - arrivals[0] >= 0.45


def test_client_side_rate_limit_is_shared_by_threads(
    emu: RunningEmulator, make_client: Any
) -> None:
    client = make_client(requests_per_second=40, burst=1)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                assert client.get_album(ONE).album_key == ONE
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    assert not errors
    assert client.request_count == 20 == len(emu.requests)
    assert elapsed >= 19 / 40 - 0.02


def test_no_rate_limit_when_disabled(emu: RunningEmulator, make_client: Any) -> None:
    client = make_client(requests_per_second=None)
    started = time.monotonic()
    for _ in range(20):
        client.get_album(ONE)
    assert time.monotonic() - started < 1.0


# ---------------------------------------------------------------- secrets


def test_no_secret_in_logs_reprs_or_errors(
    emu: RunningEmulator,
    make_client: Any,
    credentials: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: ours, httpx, httpcore, oauthlib
    client = make_client(max_attempts=2)
    texts: list[str] = [repr(client), str(client)]
    client.list_user_albums()
    client.list_album_images(BIG)
    client.rename_album(SMALL, "Renamed")
    client.get_image(client.list_album_images(ONE)[0].image_key)
    emu.faults.fail_next(5, status=503)
    failures: list[SmugMugError] = []
    for call in (lambda: client.get_album(BIG), lambda: client.get_album("NoSuch1")):
        try:
            call()
        except SmugMugError as exc:
            failures.append(exc)
    wrong = make_client(**{**credentials, "api_secret": "wrong"})
    try:
        wrong.get_album(BIG)
    except SmugMugAuthError as exc:
        failures.append(exc)
    try:
        client.rename_album(SMALL, "bad\n")
    except SmugMugInvalidName as exc:
        failures.append(exc)
    assert len(failures) == 4
    for error in failures:
        texts += [str(error), repr(error), str(error.__cause__ or "")]
    texts += [repr(wrong), caplog.text]
    texts += [r.getMessage() for r in caplog.records]
    assert any(r.name == "albumsync.smugmug" for r in caplog.records)
    joined = "\n".join(texts)
    for name, value in credentials.items():
        assert value not in joined, f"{name} leaked"
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(client)


def test_repr_says_what_it_is(make_client: Any, emu: RunningEmulator) -> None:
    client = make_client(requests_per_second=5)
    text = repr(client)
    assert emu.base_url in text and NICKNAME in text and "***" in text
    assert "requests_per_second=5" in text


# ---------------------------------------------------------------- configuration


def test_from_env_names_missing_variables(emu: RunningEmulator) -> None:
    env = {k: v for k, v in emu.env().items() if k not in ("SMUGMUG_API_SECRET",)}
    env["SMUGMUG_ACCESS_TOKEN"] = "  "
    with pytest.raises(SmugMugConfigError) as raised:
        SmugMugClient.from_env(env)
    assert "SMUGMUG_API_SECRET" in str(raised.value)
    assert "SMUGMUG_ACCESS_TOKEN" in str(raised.value)
    for value in emu.credentials.values():
        if value != emu.store.nickname:
            assert value not in str(raised.value)


def test_from_env_settings(emu: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in emu.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SMUGMUG_REQUESTS_PER_SECOND", raising=False)
    with SmugMugClient.from_env() as client:
        assert client.base_url == emu.base_url
        assert client.nickname == NICKNAME
        assert client.requests_per_second == DEFAULT_REQUESTS_PER_SECOND
        assert client.get_album(ONE).name == "One"
    monkeypatch.setenv("SMUGMUG_REQUESTS_PER_SECOND", "0")
    with SmugMugClient.from_env() as client:
        assert client.requests_per_second is None
    monkeypatch.setenv("SMUGMUG_REQUESTS_PER_SECOND", "fast")
    with pytest.raises(SmugMugConfigError, match="SMUGMUG_REQUESTS_PER_SECOND"):
        SmugMugClient.from_env()
    monkeypatch.setenv("SMUGMUG_REQUESTS_PER_SECOND", "2.5")
    monkeypatch.setenv("SMUGMUG_BASE_URL", emu.base_url + "/api/v2/")
    with SmugMugClient.from_env() as client:
        assert client.requests_per_second == 2.5
        assert client.base_url == emu.base_url
    monkeypatch.setenv("SMUGMUG_BASE_URL", "ftp://example.com")
    with pytest.raises(SmugMugConfigError, match="SMUGMUG_BASE_URL"):
        SmugMugClient.from_env()


# ---------------------------------------------------------------- the demo account


def test_demo_account_request_counts(smugmug_emulator_factory: Any) -> None:
    store = build_demo_store(seed=0)
    emu = smugmug_emulator_factory(store=store)
    env = {k: v for k, v in emu.env().items() if k != "SMUGMUG_NICKNAME"}
    with SmugMugClient.from_env(env, requests_per_second=None) as client:
        albums = client.list_user_albums()
        images = {a.album_key: client.list_album_images(a.album_key) for a in albums}
        walked = client.request_count
        client.reset_request_count()
        client.rename_album(albums[0].album_key, albums[0].name + " (renamed)")
        renamed = client.request_count
    assert len(albums) == len(store.albums)
    assert sum(len(v) for v in images.values()) == store.image_count
    sizes = [len(a.entries) for a in store.albums]
    expected = (
        1  # !authuser for the nickname
        + math.ceil(len(albums) / 100)  # user!albums pages
        + sum(max(1, math.ceil(n / 1000)) for n in sizes)  # one listing per album
    )
    assert walked == expected
    assert renamed == 1


# ---------------------------------------------------------------- transport swapping


SAMPLE_ALBUM = {
    "Code": 200,
    "Message": "Ok",
    "Response": {
        "Uri": "/api/v2/album/AbC123",
        "Locator": "Album",
        "LocatorType": "Object",
        "Album": {"AlbumKey": "AbC123", "Name": "Renamed", "UrlName": "Old-Url"},
    },
}


def _signature_is_valid(request: httpx.Request, creds: dict[str, str]) -> bool:
    header = request.headers["Authorization"]
    params = signature.collect_parameters(
        uri_query=request.url.query.decode(),
        headers={"Authorization": header},
        exclude_oauth_signature=True,
    )
    sent = dict(
        signature.collect_parameters(
            headers={"Authorization": header}, exclude_oauth_signature=False
        )
    )
    base = signature.signature_base_string(
        request.method,
        signature.base_string_uri(str(request.url)),
        signature.normalize_parameters(params),
    )
    expected = signature.sign_hmac_sha1(base, creds["api_secret"], creds["access_token_secret"])
    return bool(sent["oauth_signature"] == expected)


def transport_client(
    credentials: dict[str, str], answer: Callable[[httpx.Request], httpx.Response]
) -> SmugMugClient:
    """A client whose requests go to ``answer`` instead of the network."""
    return SmugMugClient(
        api_key=credentials["api_key"],
        api_secret=credentials["api_secret"],
        access_token=credentials["access_token"],
        access_token_secret=credentials["access_token_secret"],
        base_url="https://api.smugmug.test",
        transport=httpx.MockTransport(answer),
        requests_per_second=None,
    )


def test_transport_is_swappable_and_patch_body_is_sent_intact(
    credentials: dict[str, str],
) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=SAMPLE_ALBUM)

    with transport_client(credentials, answer) as client:
        album = client.rename_album("AbC123", "Renamed ✓")
    assert album.name == "Renamed" and album.url_name == "Old-Url"
    (request,) = seen
    assert request.method == "PATCH"
    assert request.url.path == "/api/v2/album/AbC123"
    assert json.loads(request.content) == {"Name": "Renamed ✓"}
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Authorization"].startswith("OAuth ")
    assert "oauth_body_hash" not in request.headers["Authorization"]
    assert _signature_is_valid(request, credentials)


def test_transport_redirect_to_another_origin_is_refused(credentials: dict[str, str]) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(301, headers={"Location": "https://evil.example/api/v2/album/X"})

    with (
        transport_client(credentials, answer) as client,
        pytest.raises(SmugMugError, match="another origin"),
    ):
        client.get_album("AbC123")
    assert len(seen) == 1  # the signed request never went to the other host


# ---------------------------------------------------------------- the limiter alone


class FakeClock:
    """A clock that moves only when the limiter sleeps, so waits are exact."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def test_token_bucket_spacing_burst_and_pause() -> None:
    clock = FakeClock()
    limiter = RequestRateLimiter(10, burst=2, clock=clock.time, sleep=clock.sleep)
    for _ in range(4):
        limiter.acquire()
    assert clock.sleeps == [0.1, 0.1]  # a burst of 2, then one every 1/10 s
    clock.now += 5  # idle: the bucket refills, but only up to the burst
    for _ in range(3):
        limiter.acquire()
    assert clock.sleeps == [0.1, 0.1, 0.1]
    limiter.pause_for(2.0)
    limiter.acquire()
    assert clock.sleeps[-1] == 2.0
    unlimited = RequestRateLimiter(None, clock=clock.time, sleep=clock.sleep)
    for _ in range(100):
        unlimited.acquire()
    assert len(clock.sleeps) == 4
