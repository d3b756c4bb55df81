"""The client's parsers against every recorded real SmugMug answer in ../shared/smugmug-samples.

Each file goes through the envelope parser and then the model parser its locator calls
for; files that are not API v2 envelopes, or that carry an error code, must end in the
typed error. The recorded pages also drive the paging decision the client uses.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from albumsync_dagster.smugmug import (
    Album,
    AlbumImage,
    SmugMugAuthError,
    SmugMugError,
    SmugMugNotFound,
    SmugMugRateLimited,
    SmugMugResponseError,
    SmugMugUnavailable,
    User,
    parse_album,
    parse_album_image,
    parse_datetime,
    parse_envelope,
    parse_user,
)
from albumsync_dagster.smugmug.envelope import Envelope
from albumsync_dagster_tests.smugmug_samples_dir import samples_dir

SAMPLES = samples_dir()
SAMPLE_FILES = sorted(SAMPLES.glob("*.json")) if SAMPLES.is_dir() else []

pytestmark = pytest.mark.skipif(
    not SAMPLE_FILES, reason=f"recorded SmugMug answers not found in {SAMPLES}"
)


def load(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())


def envelope_of(name: str) -> Envelope:
    return parse_envelope(load(name), method="GET", path=f"/sample/{name}")


def parse_payload(envelope: Envelope) -> list[Album | AlbumImage | User | dict[str, Any]]:
    """Run the model parser the locator calls for over every object of the answer."""
    parsers: dict[str, Callable[[object], Album | AlbumImage | User]] = {
        "Album": parse_album,
        "AlbumImage": parse_album_image,
        "Image": parse_album_image,
        "User": parse_user,
    }
    parsed: list[Album | AlbumImage | User | dict[str, Any]] = []
    for obj in envelope.objects():
        parser = parsers.get(envelope.locator or "")
        if parser is not None:
            parsed.append(parser(obj))
        else:
            # Nodes (folders) are not modelled; the client never asks for them.
            assert envelope.locator == "Node", envelope.locator
            assert isinstance(obj.get("NodeID"), str)
            parsed.append(dict(obj))
    return parsed


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=[p.name for p in SAMPLE_FILES])
def test_every_sample_parses_or_fails_typed(path: Path) -> None:
    data = json.loads(path.read_text())
    if not isinstance(data, dict) or "Code" not in data:
        # e.g. the upload service's answer: not an API v2 envelope.
        with pytest.raises(SmugMugResponseError, match="not a SmugMug API v2 envelope"):
            parse_envelope(data, method="GET", path="/x")
        return
    if int(data["Code"]) >= 400:
        with pytest.raises(SmugMugError) as raised:
            parse_envelope(data, method="GET", path="/x")
        assert raised.value.status == int(data["Code"])
        return
    envelope = parse_envelope(data, method="GET", path="/x")
    assert envelope.code == int(data["Code"])
    assert envelope.message == data["Message"]
    assert envelope.locator == data["Response"]["Locator"]
    parsed = parse_payload(envelope)
    expected = data["Response"].get(envelope.locator)
    if expected is None:
        assert parsed == []
    else:
        assert len(parsed) == (len(expected) if isinstance(expected, list) else 1)
    for obj in parsed:
        if isinstance(obj, Album | AlbumImage):
            for field in fields(obj):
                value = getattr(obj, field.name)
                if isinstance(value, datetime):
                    assert value.tzinfo is not None, f"naive {field.name} from {path.name}"
    # Expansions: objects are kept (and parse), "not-an-object" placeholders are dropped.
    raw_expansions = data.get("Expansions") or {}
    good = {uri for uri, value in raw_expansions.items() if isinstance(value, dict)}
    assert set(envelope.expansions) == good
    for expansion in envelope.expansions.values():
        locator = expansion.get("Locator")
        if locator in ("Album", "User", "Image") and isinstance(expansion.get(locator), dict):
            parse_payload(parse_envelope({"Code": 200, "Message": "Ok", "Response": expansion}))


def test_bad_expansions_are_dropped_and_the_object_still_parses() -> None:
    envelope = envelope_of("album_2XrGxm_bad_expansion.json")
    assert envelope.expansions == {}
    album = parse_album(envelope.object())
    assert album.album_key == "2XrGxm"
    good = envelope_of("album_2XrGxm_expansions.json")
    assert "/api/v2/user/cmac" in good.expansions
    assert parse_album(good.object()) == album


def test_album_fields() -> None:
    album = parse_album(envelope_of("album_RM4BL2.json").object())
    assert album == Album(
        album_key="RM4BL2",
        name="Zero",
        url_name="Zero",
        date=None,  # the recorded album carries no Date
        last_updated=datetime(2020, 4, 28, 23, 38, 55, tzinfo=UTC),
        images_last_updated=datetime(2020, 4, 28, 23, 39, 37, tzinfo=UTC),
        image_count=4,
        web_uri="https://cmac.smugmug.com/Zero",
        uri="/api/v2/album/RM4BL2",
    )


def test_album_without_user_uri_parses() -> None:
    album = parse_album(envelope_of("album_WJvpCp_no_user_uri.json").object())
    assert album.album_key == "WJvpCp"
    assert album.name


def test_album_date_is_parsed_when_present() -> None:
    raw = dict(copy.deepcopy(envelope_of("album_RM4BL2.json").object()))
    raw["Date"] = "2020-04-28T23:30:00+00:00"
    assert parse_album(raw).date == datetime(2020, 4, 28, 23, 30, tzinfo=UTC)


def test_album_images_two_pages_without_capture_times() -> None:
    first = envelope_of("album_images_HZMsPf_page_1.json")
    second = envelope_of("album_images_HZMsPf_page_2.json")
    images = [parse_album_image(o) for o in first.objects() + second.objects()]
    assert len(images) == 34
    assert len({i.image_key for i in images}) == 34
    head = images[0]
    assert head.image_key == "qS99d3S"
    assert head.file_name == "7P1A1463.JPG"
    assert head.date_time_original is None  # this album's images have no DateTimeOriginal
    assert head.date_time_uploaded == datetime(2019, 7, 9, 16, 34, 35, tzinfo=UTC)
    assert head.origin == "Album" and not head.is_collected
    assert head.serial == 0
    assert head.thumbnail_url == "https://photos.smugmug.com/photos/i-qS99d3S/0/Th/i-qS99d3S-Th.jpg"
    assert head.uri == "/api/v2/album/HZMsPf/image/qS99d3S-0"


def test_paging_follows_total_even_when_next_page_is_missing() -> None:
    # The recorded first page has no NextPage although 4 more images follow on page 2.
    first = envelope_of("album_images_HZMsPf_page_1.json")
    assert first.pages is not None and first.pages.next_page is None
    assert first.pages.next_start(len(first.objects())) == 31
    second = envelope_of("album_images_HZMsPf_page_2.json")
    assert second.pages is not None
    assert second.pages.next_start(len(second.objects())) is None


def test_paging_stops_at_total_even_when_next_page_is_present() -> None:
    first = envelope_of("album_search_marmot_page_1.json")
    assert first.pages is not None and first.pages.next_start(10) == 11
    second = envelope_of("album_search_marmot_page_2.json")
    assert second.pages is not None and second.pages.next_page  # says start=21 ...
    assert second.pages.next_start(10) is None  # ... but Total is 20
    albums = [parse_album(o) for o in first.objects() + second.objects()]
    assert len(albums) == 20


def test_paging_without_total_uses_next_page() -> None:
    raw = load("node_children_zx4Fx_albums_page_1.json")
    del raw["Response"]["Pages"]["Total"]
    pages = parse_envelope(raw).pages
    assert pages is not None and pages.next_start(10) == 11
    raw = load("node_children_zx4Fx_albums_page_2.json")
    del raw["Response"]["Pages"]["Total"]
    pages = parse_envelope(raw).pages
    assert pages is not None and pages.next_start(1) is None


def test_empty_list_leaves_the_locator_key_out() -> None:
    raw = load("album_images_HZMsPf_page_2.json")
    del raw["Response"]["AlbumImage"]
    raw["Response"]["Pages"].update({"Total": 0, "Start": 1, "Count": 0})
    envelope = parse_envelope(raw)
    assert envelope.objects() == []
    assert envelope.pages is not None and envelope.pages.next_start(0) is None


def test_delete_answer_has_no_object() -> None:
    envelope = envelope_of("image_743XwH7_delete.json")
    assert envelope.locator == "AlbumImage"
    assert envelope.objects() == []
    with pytest.raises(SmugMugResponseError):
        envelope.object()


@pytest.mark.parametrize(
    "name",
    [
        "image_UQpV019_metadata.json",
        "image_UQpV019_metadata_iso.json",
        "image_UQpV019_metadata_iso_string.json",
    ],
)
def test_image_capture_time_and_odd_metadata(name: str) -> None:
    envelope = envelope_of(name)
    image = parse_album_image(envelope.object())
    assert image.image_key == "UQpV019"
    assert image.date_time_original == datetime(2019, 8, 4, 18, 28, 12, tzinfo=UTC)
    assert image.origin is None and not image.is_collected
    assert image.archived_uri and "/i-UQpV019/" in image.archived_uri
    metadata = envelope.expansions["/api/v2/image/UQpV019-0!metadata"]["ImageMetadata"]
    # The metadata forms: no offset, milliseconds, empty; ISO as 20, "foo" or "500".
    assert parse_datetime(metadata["DateTimeCreated"]) == datetime(
        2019, 8, 4, 11, 28, 12, tzinfo=UTC
    )
    assert parse_datetime(metadata["MicroDateTimeCreated"]) == datetime(
        2019, 8, 4, 11, 28, 12, 342000, tzinfo=UTC
    )
    assert parse_datetime(metadata["DateCreated"]) is None
    assert parse_datetime(metadata["ISO"]) is None


def test_images_fetched_alone() -> None:
    legacy = parse_album_image(envelope_of("image_VPB9RVH-0.json").object())
    assert legacy.web_uri is None  # not in the recorded answer
    assert legacy.archived_uri is not None and "/Family/Photos/" in legacy.archived_uri
    assert legacy.date_time_original == datetime(2021, 1, 3, 19, 59, 38, tzinfo=UTC)
    plain = parse_album_image(envelope_of("image_mQRcX2V-0_expansions.json").object())
    assert plain.archived_uri is None


def test_users() -> None:
    for name in ("user_cmac.json", "user_cmac_no_expansion.json", "user_cmac_bad_expansion.json"):
        user = parse_user(envelope_of(name).object())
        assert user.nickname == "cmac"
        assert user.uri == "/api/v2/user/cmac"


def test_missing_capture_time_forms() -> None:
    raw = dict(envelope_of("image_B2fHSt7-0.json").object())
    assert parse_album_image(raw).date_time_original == datetime(
        2020, 8, 25, 21, 36, 13, tzinfo=UTC
    )
    for absent in ("", "   ", None, "0000-00-00 00:00:00", "not a date", 0):
        raw["DateTimeOriginal"] = absent
        assert parse_album_image(raw).date_time_original is None
    del raw["DateTimeOriginal"]
    assert parse_album_image(raw).date_time_original is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-08-04T18:28:12+00:00", datetime(2019, 8, 4, 18, 28, 12, tzinfo=UTC)),
        ("2019-08-04T18:28:12Z", datetime(2019, 8, 4, 18, 28, 12, tzinfo=UTC)),
        ("2019-08-04T18:28:12", datetime(2019, 8, 4, 18, 28, 12, tzinfo=UTC)),
        ("2019:08:04 18:28:12", datetime(2019, 8, 4, 18, 28, 12, tzinfo=UTC)),
        (
            "2019-08-04T11:28:12-07:00",
            datetime(2019, 8, 4, 11, 28, 12, tzinfo=timezone(timedelta(hours=-7))),
        ),
    ],
)
def test_parse_datetime_forms(text: str, expected: datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed == expected
    assert parsed is not None and parsed.tzinfo is not None


def test_objects_without_their_key_are_response_errors() -> None:
    raw = dict(envelope_of("album_RM4BL2.json").object())
    del raw["AlbumKey"]
    with pytest.raises(SmugMugResponseError, match="without AlbumKey"):
        parse_album(raw)
    with pytest.raises(SmugMugResponseError):
        parse_album_image("not-an-object")


@pytest.mark.parametrize(
    ("code", "message", "error_type"),
    [
        (404, "Not Found", SmugMugNotFound),
        (401, "Unauthorized", SmugMugAuthError),
        (403, "Forbidden", SmugMugAuthError),
        (429, "Too Many Requests", SmugMugRateLimited),
        (500, "Internal Server Error", SmugMugUnavailable),
        (503, "Service Unavailable", SmugMugUnavailable),
        (409, "Conflict", SmugMugError),
        (400, "Bad Request", SmugMugError),
    ],
)
def test_error_envelopes_become_typed_errors(
    code: int, message: str, error_type: type[SmugMugError]
) -> None:
    # The real service's error shape: the usual envelope with an error Code and Message.
    body = {
        "Code": code,
        "Message": message,
        "Response": {"Uri": "/api/v2/album/NOPE42", "Locator": "Album", "LocatorType": "Object"},
    }
    for http_status in (code, 200):  # also when only the envelope carries the error
        with pytest.raises(error_type) as raised:
            parse_envelope(
                body,
                http_status=http_status,
                method="GET",
                path="/api/v2/album/NOPE42",
                album_key="NOPE42",
            )
        error = raised.value
        assert error.status == code
        assert error.smugmug_message == message
        assert error.album_key == "NOPE42"
        assert "GET /api/v2/album/NOPE42" in str(error)
        assert message in str(error)


def test_non_json_error_bodies_still_map_by_http_status() -> None:
    with pytest.raises(SmugMugUnavailable) as raised:
        parse_envelope("<html>Bad Gateway</html>", http_status=502, method="GET", path="/x")
    assert raised.value.status == 502
