"""The emulated SmugMug account: albums, their images, credentials; and its JSON data file.

Data file format (JSON; every time is ISO 8601 with an offset, SmugMug's form):

```json
{
  "nickname": "demo-sports",                      // required: the account's NickName
  "name": "Demo Sports Photography",              // optional: the User's display Name
  "timezone": "America/New_York",                 // optional: IANA zone of the events
  "credentials": {                                // optional: defaults in DEFAULT_CREDENTIALS
    "api_key": "...", "api_secret": "...",
    "access_token": "...", "access_token_secret": "..."
  },
  "albums": [                                     // in this order in user!albums
    {
      "key": "Xk3Pq9",                            // AlbumKey (unique)
      "name": "Eagles vs Lions - May 30",         // Name (0..255 characters)
      "url_name": "Eagles-vs-Lions",              // optional: UrlName, derived from name
      "folder": "Soccer",                         // optional: folder path of UrlPath/WebUri
      "date": "2024-05-31T02:10:00+00:00",        // optional: creation time (Album.Date),
                                                  //   default 2024-01-01T00:00:00+00:00
      "last_updated": "2024-06-01T10:00:00+00:00",// optional: LastUpdated (default: newest
                                                  //   of date and the images' uploads)
      "images": [                                 // in this order in album!images
        {
          "image_key": "Bq7Rt2M",                 // ImageKey (one home album per key)
          "file_name": "IMG_0001.JPG",
          "date_time_original": "2024-05-30T22:03:33+00:00",   // or null: no capture time
          "origin": "Album",                      // "Album" (home) or "Collected"
          "serial": 0,                            // optional, default 0
          "uploaded": "2024-05-31T01:02:03+00:00" // optional: Date/DateTimeUploaded
                                                  //   (default: album date + 5 minutes)
        },
        {"image_key": "Zz9Yy8X", "origin": "Collected"}   // shown here, lives elsewhere
      ]
    }
  ]
}
```

A ``Collected`` entry whose image has a home album in the account needs only
``image_key`` and ``origin``: the rest comes from the home entry. An image key has at most
one home entry (``origin`` other than ``Collected``). ``file_name`` defaults to
``{image_key}.jpg``; ``url_name`` to the name's words joined by hyphens (it never follows
later renames, as on SmugMug). ``EmulatorStore.to_file`` writes this format (with every
optional field filled in); ``python -m albumsync_dagster.emulator --write-demo FILE``
writes the demo account in it.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

DEFAULT_CREDENTIALS: dict[str, str] = {
    # Local stand-ins, not secrets: the emulator only ever listens on a local interface.
    "api_key": "emulator-api-key",
    "api_secret": "emulator-api-secret",
    "access_token": "emulator-access-token",
    "access_token_secret": "emulator-access-token-secret",
}
ORIGINS = ("Album", "Collected")
_DEFAULT_ALBUM_DATE = datetime(2024, 1, 1, tzinfo=UTC)


class DataFileError(ValueError):
    """The emulator's data file (or dict) is malformed; the message says where."""


@dataclass(frozen=True, slots=True)
class EmulatorCredentials:
    """The OAuth 1.0a consumer and access credentials the emulator accepts."""

    api_key: str
    api_secret: str
    access_token: str
    access_token_secret: str

    def as_env(self) -> dict[str, str]:
        """The four ``SMUGMUG_*`` credential variables."""
        return {
            "SMUGMUG_API_KEY": self.api_key,
            "SMUGMUG_API_SECRET": self.api_secret,
            "SMUGMUG_ACCESS_TOKEN": self.access_token,
            "SMUGMUG_ACCESS_TOKEN_SECRET": self.access_token_secret,
        }

    def __repr__(self) -> str:
        return "EmulatorCredentials(***)"


@dataclass(frozen=True, slots=True)
class EmulatorImage:
    """One image (the file), independent of the albums that show it."""

    image_key: str
    file_name: str
    date_time_original: datetime | None
    uploaded: datetime
    serial: int = 0


@dataclass(slots=True)
class AlbumEntry:
    """An image as listed in one album: ``origin`` is ``Album`` in its home album."""

    image: EmulatorImage
    origin: str = "Album"


@dataclass(slots=True)
class EmulatorAlbum:
    """One album. ``date`` is its creation time; ``last_updated`` moves with edits."""

    album_key: str
    name: str
    url_name: str
    date: datetime
    last_updated: datetime
    images_last_updated: datetime
    folder: str = ""
    entries: list[AlbumEntry] = field(default_factory=list)

    @property
    def url_path(self) -> str:
        """The album's web path, e.g. ``/Soccer/Eagles-vs-Lions``."""
        folder = self.folder.strip("/")
        return f"/{folder}/{self.url_name}" if folder else f"/{self.url_name}"

    @property
    def node_id(self) -> str:
        """A stable NodeID derived from the album key (SmugMug's are opaque too)."""
        return _stable_token(f"node:{self.album_key}", 6)


def format_time(value: datetime) -> str:
    """SmugMug's timestamp form: ``2024-05-30T22:03:33+00:00`` (UTC, whole seconds)."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def parse_time(value: object, where: str) -> datetime:
    """Parse an ISO 8601 time with an offset from the data file."""
    if not isinstance(value, str):
        raise DataFileError(f"{where}: expected an ISO 8601 time string, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise DataFileError(f"{where}: not an ISO 8601 time: {value!r}") from exc
    if parsed.tzinfo is None:
        raise DataFileError(f"{where}: time {value!r} has no UTC offset")
    return parsed.astimezone(UTC)


def url_name_for(name: str) -> str:
    """A SmugMug-style UrlName from a Name: words joined by hyphens, capitalised, <= 60."""
    words = re.findall(r"[A-Za-z0-9]+", name)
    text = "-".join(w[:1].upper() + w[1:] for w in words)[:60].strip("-")
    if not text or not text[0].isalnum():
        text = "Album"
    return text


def _stable_token(seed: str, length: int) -> str:
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(alphabet[b % len(alphabet)] for b in digest[:length])


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class EmulatorStore:
    """The account the emulator serves. Thread-safe: the server thread and tests share it."""

    def __init__(
        self,
        *,
        nickname: str,
        albums: Iterable[EmulatorAlbum] = (),
        credentials: EmulatorCredentials | None = None,
        user_name: str | None = None,
        timezone: str = "UTC",
    ) -> None:
        self.nickname = nickname
        self.user_name = user_name or nickname
        self.timezone = timezone
        self.credentials = credentials or EmulatorCredentials(**DEFAULT_CREDENTIALS)
        self.lock = threading.RLock()
        self._albums: dict[str, EmulatorAlbum] = {}
        # image key -> (image, home album); rebuilt after albums or their images change.
        self._image_index: dict[str, tuple[EmulatorImage, EmulatorAlbum]] | None = None
        for album in albums:
            if album.album_key in self._albums:
                raise DataFileError(f"album key {album.album_key!r} appears twice")
            self._albums[album.album_key] = album

    # ------------------------------------------------------------------ reading

    @property
    def albums(self) -> list[EmulatorAlbum]:
        """The albums in account order (a snapshot list; the objects are live)."""
        with self.lock:
            return list(self._albums.values())

    def album(self, album_key: str) -> EmulatorAlbum | None:
        """The album with this key, or None."""
        with self.lock:
            return self._albums.get(album_key)

    def album_name(self, album_key: str) -> str:
        """The album's current Name; KeyError when there is no such album."""
        with self.lock:
            return self._albums[album_key].name

    def image(self, image_key: str) -> tuple[EmulatorImage, EmulatorAlbum] | None:
        """An image and its home album (where its Origin is not Collected), or None."""
        with self.lock:
            if self._image_index is None:
                self._image_index = self._build_image_index()
            return self._image_index.get(image_key)

    def _build_image_index(self) -> dict[str, tuple[EmulatorImage, EmulatorAlbum]]:
        index: dict[str, tuple[EmulatorImage, EmulatorAlbum]] = {}
        for album in self._albums.values():
            for entry in album.entries:
                key = entry.image.image_key
                # The home album wins over any album that only collects the image.
                if entry.origin != "Collected" or key not in index:
                    index[key] = (entry.image, album)
        return index

    @property
    def image_count(self) -> int:
        """Album entries in the account (a collected image counts in each album)."""
        with self.lock:
            return sum(len(a.entries) for a in self._albums.values())

    # ------------------------------------------------------------------ writing

    def rename(self, album_key: str, name: str, *, when: datetime | None = None) -> EmulatorAlbum:
        """Set an album's Name (UrlName unchanged) and its LastUpdated, as a PATCH does."""
        with self.lock:
            album = self._albums[album_key]
            album.name = name
            album.last_updated = when or _now()
            return album

    def rename_by_hand(self, album_key: str, name: str) -> None:
        """A person renames the album on smugmug.com: the store changes, no API call is made."""
        self.rename(album_key, name)

    def set_url_name(self, album_key: str, url_name: str) -> EmulatorAlbum:
        """Set an album's UrlName (the web address) and its LastUpdated."""
        with self.lock:
            album = self._albums[album_key]
            album.url_name = url_name
            album.last_updated = _now()
            return album

    def add_album(self, album: Mapping[str, Any] | EmulatorAlbum) -> EmulatorAlbum:
        """Add an album (an ``EmulatorAlbum`` or a data-file album dict) at the end."""
        with self.lock:
            if not isinstance(album, EmulatorAlbum):
                album = _album_from_dict(album, len(self._albums))
            if album.album_key in self._albums:
                raise ValueError(f"album key {album.album_key!r} already exists")
            self._albums[album.album_key] = album
            self._resolve_and_reindex()
            return album

    def add_images(self, album_key: str, images: Iterable[Mapping[str, Any]]) -> None:
        """Upload images to an album (data-file image dicts); moves its ImagesLastUpdated."""
        with self.lock:
            album = self._albums[album_key]
            now = _now()
            for i, raw in enumerate(images):
                entry = _entry_from_dict(raw, f"album {album_key!r} new image {i}", now)
                if "uploaded" not in raw:
                    entry.image = replace(entry.image, uploaded=now)
                album.entries.append(entry)
            album.images_last_updated = now
            album.last_updated = now
            self._resolve_and_reindex()

    def delete_album(self, album_key: str) -> None:
        """Remove an album (its URLs answer 404 from now on)."""
        with self.lock:
            del self._albums[album_key]
            self._image_index = None

    def _resolve_and_reindex(self) -> None:
        _resolve_collected(list(self._albums.values()))
        self._image_index = None

    # ------------------------------------------------------------------ data file

    @classmethod
    def from_file(cls, path: str | Path) -> EmulatorStore:
        """Load an account from a JSON data file (format in this module's docstring)."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DataFileError(f"{path}: not valid JSON: {exc}") from exc
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EmulatorStore:
        """Build an account from the data file's structure."""
        if not isinstance(data, Mapping):
            raise DataFileError("the data file must hold a JSON object")
        nickname = data.get("nickname")
        if not isinstance(nickname, str) or not nickname:
            raise DataFileError("'nickname' (the account's NickName) is required")
        creds = {**DEFAULT_CREDENTIALS, **(data.get("credentials") or {})}
        unknown = set(creds) - set(DEFAULT_CREDENTIALS)
        if unknown:
            raise DataFileError(f"'credentials' has unknown keys: {sorted(unknown)}")
        raw_albums = data.get("albums", [])
        if not isinstance(raw_albums, list):
            raise DataFileError("'albums' must be a list")
        albums = [_album_from_dict(raw, i) for i, raw in enumerate(raw_albums)]
        _resolve_collected(albums)
        return cls(
            nickname=nickname,
            albums=albums,
            credentials=EmulatorCredentials(**creds),
            user_name=data.get("name"),
            timezone=str(data.get("timezone") or "UTC"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The account in the data file's structure (round-trips through ``from_dict``)."""
        with self.lock:
            c = self.credentials
            return {
                "nickname": self.nickname,
                "name": self.user_name,
                "timezone": self.timezone,
                "credentials": {
                    "api_key": c.api_key,
                    "api_secret": c.api_secret,
                    "access_token": c.access_token,
                    "access_token_secret": c.access_token_secret,
                },
                "albums": [_album_to_dict(a) for a in self._albums.values()],
            }

    def to_file(self, path: str | Path) -> None:
        """Write the account as a JSON data file."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")

    def __repr__(self) -> str:
        return (
            f"EmulatorStore(nickname={self.nickname!r}, albums={len(self._albums)}, "
            f"images={self.image_count})"
        )


def _album_from_dict(raw: object, index: int) -> EmulatorAlbum:
    where = f"albums[{index}]"
    if not isinstance(raw, Mapping):
        raise DataFileError(f"{where}: expected an object")
    key = raw.get("key")
    if not isinstance(key, str) or not key:
        raise DataFileError(f"{where}: 'key' (the AlbumKey) is required")
    where = f"album {key!r}"
    name = raw.get("name", "")
    if not isinstance(name, str):
        raise DataFileError(f"{where}: 'name' must be a string")
    date = (
        parse_time(raw["date"], f"{where} date")
        if raw.get("date") is not None
        else _DEFAULT_ALBUM_DATE
    )
    raw_images = raw.get("images", [])
    if not isinstance(raw_images, list):
        raise DataFileError(f"{where}: 'images' must be a list")
    entries = [
        _entry_from_dict(img, f"{where} images[{i}]", date) for i, img in enumerate(raw_images)
    ]
    newest_upload = max((e.image.uploaded for e in entries), default=date)
    return EmulatorAlbum(
        album_key=key,
        name=name,
        url_name=str(raw.get("url_name") or url_name_for(name)),
        date=date,
        last_updated=(
            parse_time(raw["last_updated"], f"{where} last_updated")
            if raw.get("last_updated")
            else max(date, newest_upload)
        ),
        images_last_updated=max(date, newest_upload),
        folder=str(raw.get("folder") or ""),
        entries=entries,
    )


def _entry_from_dict(raw: object, where: str, album_date: datetime) -> AlbumEntry:
    if not isinstance(raw, Mapping):
        raise DataFileError(f"{where}: expected an object")
    key = raw.get("image_key")
    if not isinstance(key, str) or not key:
        raise DataFileError(f"{where}: 'image_key' is required")
    origin = raw.get("origin", "Album")
    if origin not in ORIGINS:
        raise DataFileError(f"{where}: 'origin' must be one of {ORIGINS}, got {origin!r}")
    dto = raw.get("date_time_original")
    serial = raw.get("serial", 0)
    if not isinstance(serial, int) or serial < 0:
        raise DataFileError(f"{where}: 'serial' must be a non-negative integer")
    image = EmulatorImage(
        image_key=key,
        file_name=str(raw.get("file_name") or f"{key}.jpg"),
        date_time_original=None if dto is None else parse_time(dto, f"{where} date_time_original"),
        uploaded=(
            parse_time(raw["uploaded"], f"{where} uploaded")
            if raw.get("uploaded")
            else album_date + timedelta(minutes=5)
        ),
        serial=serial,
    )
    entry = AlbumEntry(image=image, origin=origin)
    # Marks a Collected entry given by key alone, to be filled from its home entry.
    if origin == "Collected" and "file_name" not in raw:
        entry.image = replace(image, file_name="")
    return entry


def _resolve_collected(albums: list[EmulatorAlbum]) -> None:
    homes: dict[str, EmulatorImage] = {}
    for album in albums:
        for entry in album.entries:
            if entry.origin != "Collected":
                if entry.image.image_key in homes:
                    raise DataFileError(
                        f"image {entry.image.image_key!r} has two home albums "
                        "(mark every album but one with origin 'Collected')"
                    )
                homes[entry.image.image_key] = entry.image
    for album in albums:
        for entry in album.entries:
            if entry.origin == "Collected":
                home = homes.get(entry.image.image_key)
                if home is not None:
                    entry.image = home
                elif not entry.image.file_name:
                    entry.image = replace(entry.image, file_name=f"{entry.image.image_key}.jpg")


def _album_to_dict(album: EmulatorAlbum) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": album.album_key,
        "name": album.name,
        "url_name": album.url_name,
        "date": format_time(album.date),
        "last_updated": format_time(album.last_updated),
    }
    if album.folder:
        out["folder"] = album.folder
    images = []
    for entry in album.entries:
        img = entry.image
        images.append(
            {
                "image_key": img.image_key,
                "file_name": img.file_name,
                "date_time_original": (
                    format_time(img.date_time_original) if img.date_time_original else None
                ),
                "origin": entry.origin,
                "serial": img.serial,
                "uploaded": format_time(img.uploaded),
            }
        )
    out["images"] = images
    return out
