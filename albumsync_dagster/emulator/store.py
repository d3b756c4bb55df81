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
      "images_last_updated": "...",               // optional: ImagesLastUpdated (same default)
      "generated_images": {                       // optional: images made on demand, listed
        "count": 100,                             //   before "images" (generated_images.py):
        "series": 17,                             //   optional, unique; default: next free
        "first": "2024-05-30T22:00:00+00:00",     //   capture of image 0 (default: date;
        "step_seconds": 30,                       //   null: none dated), then every step
        "uploaded": "2024-05-31T01:00:00+00:00",  //   optional (default: date + 5 minutes)
        "undated": [7, 90]                        //   optional: indexes without capture time
      },
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

An account of 100,000 albums of 100 photos is held as 100,000 album records whose images are
``generated_images`` (about 0.6 KB an album; a listed image costs about 0.9 KB). The store
keeps its indexes (home album of an image key, collecting albums, the LastUpdated order)
up to date on every change, so an edit costs what it touches, not the account's size.

SmugMug's clocks as the emulator keeps them: a rename (PATCH) or a new UrlName moves the
album's ``LastUpdated``; uploading or removing images moves ``ImagesLastUpdated`` and NOT
``LastUpdated``. That is what the recorded answers show: in every one ``ImagesLastUpdated``
differs from ``LastUpdated``, mostly seconds after it (the upload ended after the album's
last edit), in some years after it (``album_WJvpCp``: 2006 and 2017; an album of 0 images
whose ImagesLastUpdated is 3 years younger). So a listing sorted by ``LastUpdated`` finds
edits and renames, not new photos. ``EmulatorStore(images_move_last_updated=True)`` makes
uploads move both, for comparison. Times come from ``EmulatorStore.clock`` (replace it to
control them).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, overload

from albumsync_dagster.emulator.generated_images import (
    MAX_SERIES,
    GeneratedImages,
    decode_generated_key,
    image_key_for,
    stable_token,
)

DEFAULT_CREDENTIALS: dict[str, str] = {
    # Local stand-ins, not secrets: the emulator only ever listens on a local interface.
    "api_key": "emulator-api-key",
    "api_secret": "emulator-api-secret",
    "access_token": "emulator-access-token",
    "access_token_secret": "emulator-access-token-secret",
}
ORIGINS = ("Album", "Collected")
_DEFAULT_ALBUM_DATE = datetime(2024, 1, 1, tzinfo=UTC)
_DEFAULT_STEP_SECONDS = 30


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


def generated_entry(spec: GeneratedImages, index: int) -> AlbumEntry:
    """Entry ``index`` of a generated album (made now, not kept)."""
    return AlbumEntry(
        EmulatorImage(spec.key(index), spec.file_name(index), spec.taken(index), spec.uploaded)
    )


class AlbumEntries(Sequence[AlbumEntry]):
    """An album's images in order: the generated ones (if any), then those listed one by one.

    Reads like a list (``len``, indexes, slices, iteration); generated entries are built
    as they are read.
    """

    __slots__ = ("generated", "listed")

    def __init__(
        self, listed: Iterable[AlbumEntry] = (), generated: GeneratedImages | None = None
    ) -> None:
        self.listed: list[AlbumEntry] = list(listed)
        self.generated = generated

    @property
    def generated_count(self) -> int:
        """How many of the entries come from the formula."""
        return self.generated.count if self.generated is not None else 0

    def __len__(self) -> int:
        return self.generated_count + len(self.listed)

    @overload
    def __getitem__(self, index: int) -> AlbumEntry: ...

    @overload
    def __getitem__(self, index: slice) -> list[AlbumEntry]: ...

    def __getitem__(self, index: int | slice) -> AlbumEntry | list[AlbumEntry]:
        if isinstance(index, slice):
            return [self._at(i) for i in range(*index.indices(len(self)))]
        size = len(self)
        position = index + size if index < 0 else index
        if not 0 <= position < size:
            raise IndexError("album entry index out of range")
        return self._at(position)

    def _at(self, position: int) -> AlbumEntry:
        made = self.generated_count
        if position < made:
            assert self.generated is not None
            return generated_entry(self.generated, position)
        return self.listed[position - made]

    def __iter__(self) -> Iterator[AlbumEntry]:
        if self.generated is not None:
            for i in range(self.generated.count):
                yield generated_entry(self.generated, i)
        yield from self.listed

    def image_keys(self) -> Iterator[str]:
        """The ImageKeys in order, without building entries for generated images."""
        if self.generated is not None:
            yield from self.generated.keys()
        for entry in self.listed:
            yield entry.image.image_key

    def append(self, entry: AlbumEntry) -> None:
        """Add a listed image at the end."""
        self.listed.append(entry)

    def __repr__(self) -> str:
        return f"AlbumEntries(generated={self.generated_count}, listed={len(self.listed)})"


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
    entries: AlbumEntries = field(default_factory=AlbumEntries)

    def __post_init__(self) -> None:
        if not isinstance(self.entries, AlbumEntries):
            self.entries = AlbumEntries(self.entries)

    @property
    def url_path(self) -> str:
        """The album's web path, e.g. ``/Soccer/Eagles-vs-Lions``."""
        folder = self.folder.strip("/")
        return f"/{folder}/{self.url_name}" if folder else f"/{self.url_name}"

    @property
    def node_id(self) -> str:
        """A stable NodeID derived from the album key (SmugMug's are opaque too)."""
        return stable_token(f"node:{self.album_key}", 6)


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


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class EmulatorStore:
    """The account the emulator serves. Thread-safe: the server thread and tests share it.

    ``clock`` gives the time edits are stamped with (default: now, whole seconds);
    ``images_move_last_updated`` makes image uploads and removals move LastUpdated too
    (SmugMug does not: see the module docstring); ``version`` grows with every edit (the
    server caches orderings by it).
    """

    def __init__(
        self,
        *,
        nickname: str,
        albums: Iterable[EmulatorAlbum] = (),
        credentials: EmulatorCredentials | None = None,
        user_name: str | None = None,
        timezone: str = "UTC",
        clock: Callable[[], datetime] | None = None,
        images_move_last_updated: bool = False,
    ) -> None:
        self.nickname = nickname
        self.user_name = user_name or nickname
        self.timezone = timezone
        self.credentials = credentials or EmulatorCredentials(**DEFAULT_CREDENTIALS)
        self.clock: Callable[[], datetime] = clock or _now
        self.images_move_last_updated = images_move_last_updated
        self.lock = threading.RLock()
        self.version = 0
        self._albums: dict[str, EmulatorAlbum] = {}
        # Listed home images by key; generated ones are found from their key (_series).
        self._homes: dict[str, tuple[EmulatorImage, EmulatorAlbum]] = {}
        self._series: dict[int, EmulatorAlbum] = {}
        # Image key -> the (album, entry) pairs that only collect it, in account order.
        self._collected: dict[str, list[tuple[EmulatorAlbum, AlbumEntry]]] = {}
        self._by_last_updated: tuple[int, list[EmulatorAlbum]] | None = None
        for album in albums:
            if album.album_key in self._albums:
                raise DataFileError(f"album key {album.album_key!r} appears twice")
            self._albums[album.album_key] = album
        for album in self._albums.values():
            self._index_homes(album, album.entries.listed)
        for album in self._albums.values():
            self._index_collected(album, album.entries.listed)

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
        """An image and its home album (where its Origin is not Collected), or None.

        An image only collected (its home is not in the account) comes with the first
        album collecting it.
        """
        with self.lock:
            found = self._homes.get(image_key) or self._generated_home(image_key)
            if found is not None:
                return found
            collecting = self._collected.get(image_key)
            if collecting:
                album, entry = collecting[0]
                return entry.image, album
            return None

    def image_keys(self, album_key: str) -> list[str]:
        """The album's ImageKeys in listing order; KeyError when there is no such album."""
        with self.lock:
            return list(self._albums[album_key].entries.image_keys())

    @property
    def image_count(self) -> int:
        """Album entries in the account (a collected image counts in each album)."""
        with self.lock:
            return sum(len(a.entries) for a in self._albums.values())

    def albums_by_last_updated(self) -> list[EmulatorAlbum]:
        """The albums oldest-changed first (ties by AlbumKey); cached until the next edit."""
        with self.lock:
            cached = self._by_last_updated
            if cached is None or cached[0] != self.version:
                ordered = sorted(self._albums.values(), key=lambda a: (a.last_updated, a.album_key))
                cached = (self.version, ordered)
                self._by_last_updated = cached
            return cached[1]

    def now(self) -> datetime:
        """The time an edit made now is stamped with."""
        return self.clock().astimezone(UTC).replace(microsecond=0)

    # ------------------------------------------------------------------ writing

    def rename(self, album_key: str, name: str, *, when: datetime | None = None) -> EmulatorAlbum:
        """Set an album's Name (UrlName unchanged) and its LastUpdated, as a PATCH does."""
        with self.lock:
            album = self._albums[album_key]
            album.name = name
            album.last_updated = when or self.now()
            self.version += 1
            return album

    def rename_by_hand(self, album_key: str, name: str) -> None:
        """A person renames the album on smugmug.com: the store changes, no API call is made."""
        self.rename(album_key, name)

    def set_url_name(self, album_key: str, url_name: str) -> EmulatorAlbum:
        """Set an album's UrlName (the web address) and its LastUpdated."""
        with self.lock:
            album = self._albums[album_key]
            album.url_name = url_name
            album.last_updated = self.now()
            self.version += 1
            return album

    def touch(
        self,
        album_key: str,
        *,
        last_updated: datetime | None = None,
        images_last_updated: datetime | None = None,
    ) -> EmulatorAlbum:
        """Set an album's LastUpdated and/or ImagesLastUpdated to given times (tests, benches)."""
        with self.lock:
            album = self._albums[album_key]
            if last_updated is not None:
                album.last_updated = last_updated.astimezone(UTC)
            if images_last_updated is not None:
                album.images_last_updated = images_last_updated.astimezone(UTC)
            self.version += 1
            return album

    def add_album(self, album: Mapping[str, Any] | EmulatorAlbum) -> EmulatorAlbum:
        """Add an album (an ``EmulatorAlbum`` or a data-file album dict) at the end."""
        with self.lock:
            if not isinstance(album, EmulatorAlbum):
                album = _album_from_dict(album, len(self._albums), self._next_series)
            if album.album_key in self._albums:
                raise ValueError(f"album key {album.album_key!r} already exists")
            self._check_new_homes(album, album.entries.listed)
            self._albums[album.album_key] = album
            self._index_homes(album, album.entries.listed)
            self._index_collected(album, album.entries.listed)
            self.version += 1
            return album

    def add_images(self, album_key: str, images: Iterable[Mapping[str, Any]]) -> None:
        """Upload images to an album (data-file image dicts); moves its ImagesLastUpdated.

        Nothing changes when one of them is refused.
        """
        with self.lock:
            self._add_entries(self._albums[album_key], images, self.now())

    def _add_entries(
        self, album: EmulatorAlbum, images: Iterable[Mapping[str, Any]], now: datetime
    ) -> None:
        new: list[AlbumEntry] = []
        for i, raw in enumerate(images):
            entry = _entry_from_dict(raw, f"album {album.album_key!r} new image {i}", now)
            if "uploaded" not in raw:
                entry.image = replace(entry.image, uploaded=now)
            new.append(entry)
        self._check_new_homes(album, new)
        for entry in new:
            album.entries.append(entry)
        self._index_homes(album, new)
        self._index_collected(album, new)
        self._images_changed(album, now)

    def upload_images(
        self,
        album_key: str,
        count: int,
        *,
        first: datetime | None = None,
        step_seconds: int = _DEFAULT_STEP_SECONDS,
    ) -> list[str]:
        """Upload ``count`` new photos (captured from ``first``, default now); their keys."""
        with self.lock:
            album = self._albums[album_key]
            start = len(album.entries)
            now = self.now()
            taken = first or now
            keys = [image_key_for(album_key, start + i) for i in range(count)]
            self._add_entries(
                album,
                [
                    {
                        "image_key": key,
                        "file_name": f"IMG_{start + i + 1:04d}.JPG",
                        "date_time_original": format_time(
                            taken + timedelta(seconds=i * step_seconds)
                        ),
                    }
                    for i, key in enumerate(keys)
                ],
                now,
            )
            return keys

    def remove_images(self, album_key: str, image_keys: Iterable[str]) -> None:
        """Remove images from an album; moves its ImagesLastUpdated.

        KeyError (nothing changed) when the album does not list one of them.
        """
        with self.lock:
            album = self._albums[album_key]
            gone = set(image_keys)
            missing = gone - set(album.entries.image_keys())
            if missing:
                raise KeyError(f"album {album_key!r} has no image(s) {sorted(missing)}")
            if album.entries.generated is not None and any(
                decode_generated_key(k) is not None for k in gone
            ):
                self._materialize(album)
            kept: list[AlbumEntry] = []
            for entry in album.entries.listed:
                if entry.image.image_key in gone:
                    self._unindex_entry(album, entry)
                else:
                    kept.append(entry)
            album.entries.listed = kept
            self._images_changed(album, self.now())

    def delete_album(self, album_key: str) -> None:
        """Remove an album (its URLs answer 404 from now on)."""
        with self.lock:
            album = self._albums.pop(album_key)
            generated = album.entries.generated
            if generated is not None:
                self._series.pop(generated.series, None)
            for entry in album.entries.listed:
                self._unindex_entry(album, entry)
            self.version += 1

    def _images_changed(self, album: EmulatorAlbum, now: datetime) -> None:
        album.images_last_updated = now
        if self.images_move_last_updated:
            album.last_updated = now
        self.version += 1

    # ------------------------------------------------------------------ indexes

    def _generated_home(self, image_key: str) -> tuple[EmulatorImage, EmulatorAlbum] | None:
        decoded = decode_generated_key(image_key)
        if decoded is None:
            return None
        series, index = decoded
        album = self._series.get(series)
        spec = album.entries.generated if album is not None else None
        if album is None or spec is None or spec.series != series or index >= spec.count:
            return None
        return generated_entry(spec, index).image, album

    def _next_series(self) -> int:
        return max(self._series, default=0) + 1

    def _check_new_homes(self, album: EmulatorAlbum, entries: Sequence[AlbumEntry]) -> None:
        generated = album.entries.generated
        if generated is not None and self._series.get(generated.series, album) is not album:
            raise DataFileError(f"generated image series {generated.series} is already used")
        seen: set[str] = set()
        for entry in entries:
            if entry.origin == "Collected":
                continue
            key = entry.image.image_key
            if key in seen or key in self._homes or self._generated_home(key) is not None:
                raise DataFileError(_two_homes(key))
            seen.add(key)

    def _index_homes(self, album: EmulatorAlbum, entries: Sequence[AlbumEntry]) -> None:
        generated = album.entries.generated
        if generated is not None:
            owner = self._series.setdefault(generated.series, album)
            if owner is not album:
                raise DataFileError(f"generated image series {generated.series} is used twice")
        for entry in entries:
            if entry.origin == "Collected":
                continue
            key = entry.image.image_key
            if key in self._homes:
                raise DataFileError(_two_homes(key))
            self._homes[key] = (entry.image, album)
            # Albums that collect it show the home's file from now on.
            for _, collecting in self._collected.get(key, ()):
                collecting.image = entry.image

    def _index_collected(self, album: EmulatorAlbum, entries: Sequence[AlbumEntry]) -> None:
        for entry in entries:
            if entry.origin != "Collected":
                continue
            key = entry.image.image_key
            home = self._homes.get(key) or self._generated_home(key)
            if home is not None:
                entry.image = home[0]
            elif not entry.image.file_name:
                entry.image = replace(entry.image, file_name=f"{key}.jpg")
            self._collected.setdefault(key, []).append((album, entry))

    def _unindex_entry(self, album: EmulatorAlbum, entry: AlbumEntry) -> None:
        key = entry.image.image_key
        if entry.origin == "Collected":
            refs = [r for r in self._collected.get(key, ()) if r[1] is not entry]
            if refs:
                self._collected[key] = refs
            else:
                self._collected.pop(key, None)
        elif self._homes.get(key, (None, None))[1] is album:
            del self._homes[key]

    def _materialize(self, album: EmulatorAlbum) -> None:
        """Turn an album's generated images into listed ones (before removing some)."""
        generated = album.entries.generated
        if generated is None:
            return
        made = [generated_entry(generated, i) for i in range(generated.count)]
        album.entries.generated = None
        album.entries.listed[:0] = made
        self._series.pop(generated.series, None)
        for entry in made:
            self._homes[entry.image.image_key] = (entry.image, album)

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
        next_series = _series_counter(raw_albums)
        albums = [_album_from_dict(raw, i, next_series) for i, raw in enumerate(raw_albums)]
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


def _two_homes(image_key: str) -> str:
    return (
        f"image {image_key!r} has two home albums "
        "(mark every album but one with origin 'Collected')"
    )


def _series_counter(raw_albums: list[Any]) -> Callable[[], int]:
    """Numbers for generated albums that give none: after every number the file gives."""
    given = [
        raw["generated_images"]["series"]
        for raw in raw_albums
        if isinstance(raw, Mapping)
        and isinstance(raw.get("generated_images"), Mapping)
        and isinstance(raw["generated_images"].get("series"), int)
    ]
    following = [max(given, default=0)]

    def next_series() -> int:
        following[0] += 1
        return following[0]

    return next_series


def _generated_from_dict(
    raw: object, where: str, date: datetime, next_series: Callable[[], int]
) -> GeneratedImages:
    where = f"{where} generated_images"
    if not isinstance(raw, Mapping):
        raise DataFileError(f"{where}: expected an object")
    count = raw.get("count")
    if not isinstance(count, int) or count < 0:
        raise DataFileError(f"{where}: 'count' must be a non-negative integer")
    series = raw.get("series")
    if series is None:
        series = next_series()
    if not isinstance(series, int) or not 1 <= series < MAX_SERIES:
        raise DataFileError(f"{where}: 'series' must be an integer within 1..{MAX_SERIES - 1}")
    step = raw.get("step_seconds", _DEFAULT_STEP_SECONDS)
    if not isinstance(step, int):
        raise DataFileError(f"{where}: 'step_seconds' must be an integer")
    undated = raw.get("undated", [])
    if not isinstance(undated, list) or not all(isinstance(i, int) for i in undated):
        raise DataFileError(f"{where}: 'undated' must be a list of image indexes")
    first = raw["first"] if "first" in raw else format_time(date)
    try:
        return GeneratedImages(
            series=series,
            count=count,
            first=None if first is None else parse_time(first, f"{where} first"),
            step_seconds=step,
            uploaded=(
                parse_time(raw["uploaded"], f"{where} uploaded")
                if raw.get("uploaded")
                else date + timedelta(minutes=5)
            ),
            undated=frozenset(undated),
        )
    except ValueError as exc:
        if isinstance(exc, DataFileError):
            raise
        raise DataFileError(f"{where}: {exc}") from exc


def _album_from_dict(raw: object, index: int, next_series: Callable[[], int]) -> EmulatorAlbum:
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
    generated = (
        _generated_from_dict(raw["generated_images"], where, date, next_series)
        if raw.get("generated_images") is not None
        else None
    )
    uploads = [e.image.uploaded for e in entries]
    if generated is not None and generated.count:
        uploads.append(generated.uploaded)
    newest_upload = max(uploads, default=date)
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
        images_last_updated=(
            parse_time(raw["images_last_updated"], f"{where} images_last_updated")
            if raw.get("images_last_updated")
            else max(date, newest_upload)
        ),
        folder=str(raw.get("folder") or ""),
        entries=AlbumEntries(entries, generated),
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


def _album_to_dict(album: EmulatorAlbum) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": album.album_key,
        "name": album.name,
        "url_name": album.url_name,
        "date": format_time(album.date),
        "last_updated": format_time(album.last_updated),
        "images_last_updated": format_time(album.images_last_updated),
    }
    if album.folder:
        out["folder"] = album.folder
    generated = album.entries.generated
    if generated is not None:
        out["generated_images"] = {
            "series": generated.series,
            "count": generated.count,
            "first": format_time(generated.first) if generated.first else None,
            "step_seconds": generated.step_seconds,
            "uploaded": format_time(generated.uploaded),
            "undated": sorted(generated.undated),
        }
    images = []
    for entry in album.entries.listed:
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
