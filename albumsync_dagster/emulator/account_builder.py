"""Short-hand for building small emulator accounts in tests (the data-file structure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from albumsync_dagster.emulator.generated_images import generated_image_key, image_key_for
from albumsync_dagster.emulator.store import DEFAULT_CREDENTIALS, format_time

__all__ = [
    "account",
    "album",
    "collected",
    "generated",
    "generated_image_key",
    "image_key_for",
    "images",
]


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


def generated(
    count: int,
    *,
    series: int | None = None,
    first: datetime | str | None = "2024-05-30T22:00:00+00:00",
    step_seconds: int = 30,
    undated: Iterable[int] = (),
) -> dict[str, Any]:
    """An album's ``generated_images`` (images made on demand; see ``generated_images.py``).

    Image ``i`` has the key ``generated_image_key(series, i)`` (``series`` None: the store
    numbers it) and the capture time ``first + i * step_seconds``.
    """
    spec: dict[str, Any] = {
        "count": count,
        "first": format_time(first) if isinstance(first, datetime) else first,
        "step_seconds": step_seconds,
        "undated": sorted(set(undated)),
    }
    if series is not None:
        spec["series"] = series
    return spec


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
    generated_images: dict[str, Any] | None = None,
    last_updated: datetime | None = None,
) -> dict[str, Any]:
    """One album of the data-file structure (``generated_images`` from :func:`generated`;
    ``last_updated`` sets both LastUpdated and ImagesLastUpdated)."""
    out: dict[str, Any] = {
        "key": key,
        "name": name,
        "date": format_time(date or datetime(2024, 6, 1, 12, 0, tzinfo=UTC)),
        "images": list(image_entries),
    }
    if url_name is not None:
        out["url_name"] = url_name
    if generated_images is not None:
        out["generated_images"] = generated_images
    if last_updated is not None:
        out["last_updated"] = format_time(last_updated)
        out["images_last_updated"] = format_time(last_updated)
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
