"""Typed views of the SmugMug objects the project uses, and their parsers.

The parsers read the JSON objects found under ``Response[Locator]`` of API v2 answers
(see ``../shared/smugmug-samples``). They accept what the real service sends: fields left
out by ``_filter``, ``DateTimeOriginal`` absent or empty, numbers sent as strings.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from albumsync_dagster.smugmug.errors import SmugMugResponseError

# The fields each parser reads: the client asks SmugMug (``_filter``) for these and no more.
ALBUM_FIELDS: tuple[str, ...] = (
    "AlbumKey",
    "Name",
    "UrlName",
    "Date",
    "LastUpdated",
    "ImagesLastUpdated",
    "ImageCount",
    "WebUri",
    "Uri",
)
ALBUM_IMAGE_FIELDS: tuple[str, ...] = (
    "ImageKey",
    "FileName",
    "DateTimeOriginal",
    "DateTimeUploaded",
    "Title",
    "Caption",
    "Serial",
    "Origin",
    "ThumbnailUrl",
    "ArchivedUri",
    "WebUri",
    "Uri",
)
USER_FIELDS: tuple[str, ...] = ("NickName", "Name", "Uri", "WebUri")

# SmugMug's limit on an album Name (it allows 0 to 255 characters).
MAX_ALBUM_NAME_LENGTH = 255


def album_name_problem(name: object) -> str | None:
    """Why SmugMug would refuse ``name`` as an album Name, or None when it is acceptable.

    The one album-name rule of the project: text of at most 255 characters, without control
    characters (tabs, line breaks, NUL, C1 controls) or unpaired surrogates, which cannot be
    shown or encoded sanely. The answer completes a sentence ("name ..." / "the new name ...").
    """
    if not isinstance(name, str):
        return f"must be text, not {type(name).__name__}"
    if len(name) > MAX_ALBUM_NAME_LENGTH:
        return f"has {len(name)} characters, more than {MAX_ALBUM_NAME_LENGTH} (SmugMug's limit)"
    for position, char in enumerate(name):
        category = unicodedata.category(char)
        if category == "Cc":
            return f"contains the control character {char!r} at position {position}"
        if category == "Cs":
            return f"contains an unpaired surrogate {char!r} at position {position}"
    return None


@dataclass(frozen=True, slots=True)
class Album:
    """A SmugMug album. ``date`` is its creation time; albums carry no event dates."""

    album_key: str
    name: str
    url_name: str
    date: datetime | None = None
    last_updated: datetime | None = None
    images_last_updated: datetime | None = None
    image_count: int = 0
    web_uri: str | None = None
    uri: str | None = None


@dataclass(frozen=True, slots=True)
class AlbumImage:
    """An image as listed in an album (``album!images``) or fetched alone (``image/{key}``).

    ``date_time_original`` is the capture time, timezone-aware (SmugMug sends UTC), or
    None when the photo has none. ``origin`` is ``"Album"`` for the image's home album,
    ``"Collected"`` when the album only shows an image that lives elsewhere, None when
    SmugMug did not say (a lone image fetch).
    """

    image_key: str
    file_name: str = ""
    date_time_original: datetime | None = None
    title: str = ""
    caption: str = ""
    serial: int = 0
    origin: str | None = None
    thumbnail_url: str | None = None
    archived_uri: str | None = None
    web_uri: str | None = None
    uri: str | None = None
    date_time_uploaded: datetime | None = None

    @property
    def is_collected(self) -> bool:
        """True when this album only collects the image; its home album is another one."""
        return self.origin == "Collected"


@dataclass(frozen=True, slots=True)
class User:
    """A SmugMug account."""

    nickname: str
    name: str | None = None
    uri: str | None = None
    web_uri: str | None = None


_EXIF_STYLE = re.compile(r"^(\d{4}):(\d{2}):(\d{2})([ T].*)?$")


def parse_datetime(value: object) -> datetime | None:
    """Parse a SmugMug timestamp into an aware datetime; None when absent, empty or unusable.

    Accepts ISO 8601 with an offset (``2019-08-04T18:28:12+00:00``, the API's form), a
    ``Z`` suffix, fractions of a second and EXIF-style ``2019:08:04 18:28:12``. A value
    without an offset is taken as UTC, as the API states its times in UTC.
    SmugMug's zero date (``0000-00-00 00:00:00``) and other garbage give None.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    exif = _EXIF_STYLE.match(text)
    if exif:
        text = f"{exif.group(1)}-{exif.group(2)}-{exif.group(3)}{exif.group(4) or ''}"
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _text(obj: Mapping[str, Any], key: str, default: str = "") -> str:
    value = obj.get(key)
    if value is None:
        return default
    return value if isinstance(value, str) else str(value)


def _optional_text(obj: Mapping[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def _int(obj: Mapping[str, Any], key: str, default: int = 0) -> int:
    value = obj.get(key)
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str | float):
        try:
            return int(value)
        except ValueError:
            return default
    return default


def _object_with_key(obj: object, key: str, kind: str) -> tuple[Mapping[str, Any], str]:
    if not isinstance(obj, Mapping):
        raise SmugMugResponseError(f"expected a {kind} object, got {type(obj).__name__}")
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise SmugMugResponseError(f"{kind} object without {key}")
    return obj, value


def parse_album(obj: object) -> Album:
    """Build an :class:`Album` from an API ``Album`` object."""
    fields, album_key = _object_with_key(obj, "AlbumKey", "Album")
    return Album(
        album_key=album_key,
        name=_text(fields, "Name"),
        url_name=_text(fields, "UrlName"),
        date=parse_datetime(fields.get("Date")),
        last_updated=parse_datetime(fields.get("LastUpdated")),
        images_last_updated=parse_datetime(fields.get("ImagesLastUpdated")),
        image_count=_int(fields, "ImageCount"),
        web_uri=_optional_text(fields, "WebUri"),
        uri=_optional_text(fields, "Uri"),
    )


def parse_album_image(obj: object) -> AlbumImage:
    """Build an :class:`AlbumImage` from an API ``AlbumImage`` or ``Image`` object."""
    fields, image_key = _object_with_key(obj, "ImageKey", "AlbumImage")
    return AlbumImage(
        image_key=image_key,
        file_name=_text(fields, "FileName"),
        date_time_original=parse_datetime(fields.get("DateTimeOriginal")),
        title=_text(fields, "Title"),
        caption=_text(fields, "Caption"),
        serial=_int(fields, "Serial"),
        origin=_optional_text(fields, "Origin"),
        thumbnail_url=_optional_text(fields, "ThumbnailUrl"),
        archived_uri=_optional_text(fields, "ArchivedUri"),
        web_uri=_optional_text(fields, "WebUri"),
        uri=_optional_text(fields, "Uri"),
        date_time_uploaded=parse_datetime(fields.get("DateTimeUploaded")),
    )


def parse_user(obj: object) -> User:
    """Build a :class:`User` from an API ``User`` object."""
    fields, nickname = _object_with_key(obj, "NickName", "User")
    return User(
        nickname=nickname,
        name=_optional_text(fields, "Name"),
        uri=_optional_text(fields, "Uri"),
        web_uri=_optional_text(fields, "WebUri"),
    )
