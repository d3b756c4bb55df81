"""Short-hand for building small emulator accounts in tests (the data-file structure)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from albumsync_dagster.emulator.store import DEFAULT_CREDENTIALS, format_time

_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def image_key_for(album_key: str, index: int) -> str:
    """A stable, realistic 7-character ImageKey for image ``index`` of an album."""
    digest = hashlib.sha256(f"{album_key}/{index}".encode()).digest()
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:7])


def images(
    album_key: str,
    count: int,
    *,
    first: datetime | str | None = "2024-05-30T22:00:00+00:00",
    step_seconds: int = 30,
    undated: Iterable[int] = (),
) -> list[dict[str, Any]]:
    """``count`` home images of an album, captured ``step_seconds`` apart from ``first``.

    ``first=None`` makes every image undated; ``undated`` lists indexes without a capture time.
    """
    start = datetime.fromisoformat(first) if isinstance(first, str) else first
    skip = set(undated)
    out = []
    for i in range(count):
        taken = None if start is None or i in skip else start + timedelta(seconds=i * step_seconds)
        out.append(
            {
                "image_key": image_key_for(album_key, i),
                "file_name": f"IMG_{i + 1:04d}.JPG",
                "date_time_original": format_time(taken) if taken else None,
                "origin": "Album",
            }
        )
    return out


def collected(image_keys: Sequence[str]) -> list[dict[str, Any]]:
    """Entries showing images whose home album is another one (``Origin: Collected``)."""
    return [{"image_key": key, "origin": "Collected"} for key in image_keys]


def album(
    key: str,
    name: str,
    image_entries: Sequence[dict[str, Any]] = (),
    *,
    date: datetime | None = None,
    url_name: str | None = None,
) -> dict[str, Any]:
    """One album of the data-file structure."""
    out: dict[str, Any] = {
        "key": key,
        "name": name,
        "date": format_time(date or datetime(2024, 6, 1, 12, 0, tzinfo=UTC)),
        "images": list(image_entries),
    }
    if url_name is not None:
        out["url_name"] = url_name
    return out


def account(
    albums: Sequence[dict[str, Any]],
    *,
    nickname: str = "test-account",
    timezone: str = "America/New_York",
    credentials: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A whole account of the data-file structure."""
    return {
        "nickname": nickname,
        "name": "Test Account",
        "timezone": timezone,
        "credentials": {**DEFAULT_CREDENTIALS, **(credentials or {})},
        "albums": list(albums),
    }
