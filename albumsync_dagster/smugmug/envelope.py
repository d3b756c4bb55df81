"""The API v2 response envelope: ``Code``, ``Message``, ``Response`` (locator, paging) and
``Expansions``, and the mapping of error answers to the typed errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from albumsync_dagster.smugmug.errors import (
    SmugMugAuthError,
    SmugMugError,
    SmugMugNotFound,
    SmugMugRateLimited,
    SmugMugResponseError,
    SmugMugUnavailable,
)


@dataclass(frozen=True, slots=True)
class Pages:
    """``Response.Pages`` of a list answer. ``start`` is 1-based."""

    total: int | None
    start: int
    count: int
    requested_count: int | None = None
    next_page: str | None = None

    def next_start(self, received: int) -> int | None:
        """Where the next page starts, or None when this page was the last.

        ``Total`` decides when SmugMug sent it (recorded answers exist where a first page
        lacks ``NextPage`` although a second page follows); ``NextPage`` only without it.
        An empty page always ends the walk, so a server ignoring ``start`` cannot loop us.
        """
        if received <= 0:
            return None
        following = self.start + received
        if self.total is not None:
            return following if following <= self.total else None
        return following if self.next_page else None


@dataclass(frozen=True, slots=True)
class Envelope:
    """One decoded API v2 answer."""

    code: int
    message: str
    uri: str | None
    locator: str | None
    locator_type: str | None
    payload: Any
    pages: Pages | None
    expansions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def objects(self) -> list[Mapping[str, Any]]:
        """The list under the locator key; SmugMug leaves the key out of an empty list."""
        if self.payload is None:
            return []
        if isinstance(self.payload, list):
            return [item for item in self.payload if isinstance(item, Mapping)]
        if isinstance(self.payload, Mapping):
            return [self.payload]
        raise SmugMugResponseError(
            f"Response.{self.locator} is a {type(self.payload).__name__}, not a list"
        )

    def object(self) -> Mapping[str, Any]:
        """The single object under the locator key."""
        if isinstance(self.payload, Mapping):
            return self.payload
        raise SmugMugResponseError(
            f"Response.{self.locator} is missing or not an object (locator {self.locator!r})"
        )


def _int_or_none(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def parse_pages(raw: object) -> Pages | None:
    """Decode ``Response.Pages``; None when the answer is not paged."""
    if not isinstance(raw, Mapping):
        return None
    next_page = raw.get("NextPage")
    return Pages(
        total=_int_or_none(raw.get("Total")),
        start=_int_or_none(raw.get("Start")) or 1,
        count=_int_or_none(raw.get("Count")) or 0,
        requested_count=_int_or_none(raw.get("RequestedCount")),
        next_page=next_page if isinstance(next_page, str) and next_page else None,
    )


def _expansions(raw: object) -> dict[str, Mapping[str, Any]]:
    # A bad expansion comes back as a string ("not-an-object"); it is not an answer.
    if not isinstance(raw, Mapping):
        return {}
    return {uri: value for uri, value in raw.items() if isinstance(value, Mapping)}


def error_for_status(
    status: int,
    smugmug_message: str | None,
    *,
    method: str | None,
    path: str | None,
    album_key: str | None,
    retry_after: float | None = None,
    attempts: int | None = None,
) -> SmugMugError:
    """The typed error for an HTTP or envelope error status (``attempts``: tries made)."""
    tries = f" on all {attempts} attempts" if attempts and attempts > 1 else ""
    common: dict[str, Any] = {
        "status": status,
        "smugmug_message": smugmug_message,
        "method": method,
        "path": path,
        "album_key": album_key,
    }
    what = f"album {album_key}" if album_key else "the requested object"
    if status == 404:
        return SmugMugNotFound(
            f"SmugMug has no {what}",
            hint="check the key and that the account (SMUGMUG_NICKNAME) and token can see it",
            **common,
        )
    if status == 401:
        return SmugMugAuthError(
            "SmugMug refused the credentials",
            hint="check SMUGMUG_API_KEY, SMUGMUG_API_SECRET, SMUGMUG_ACCESS_TOKEN and "
            "SMUGMUG_ACCESS_TOKEN_SECRET; a wrong secret or a revoked token gives 401",
            **common,
        )
    if status == 403:
        return SmugMugAuthError(
            "SmugMug forbade the call",
            hint="renaming needs a token with Access=Full and Permissions=Modify; SmugMug "
            "also answers 403 to an over-long URL",
            **common,
        )
    if status == 429:
        return SmugMugRateLimited(
            f"SmugMug's rate limit refused the call{tries}",
            retry_after=retry_after,
            hint="lower SMUGMUG_REQUESTS_PER_SECOND or run again later",
            **common,
        )
    if status >= 500:
        return SmugMugUnavailable(
            f"SmugMug failed with {status}{tries}",
            hint="SmugMug is having trouble; run again later",
            **common,
        )
    if status == 409:
        return SmugMugError(
            "SmugMug reported a conflict",
            hint="another album may already use this UrlName",
            **common,
        )
    return SmugMugError("SmugMug rejected the call", **common)


def parse_envelope(
    data: object,
    *,
    http_status: int = 200,
    method: str | None = None,
    path: str | None = None,
    album_key: str | None = None,
) -> Envelope:
    """Decode an API v2 answer; an error status (HTTP or ``Code``) raises its typed error."""
    if not isinstance(data, Mapping) or "Code" not in data:
        if http_status >= 400:
            raise error_for_status(http_status, None, method=method, path=path, album_key=album_key)
        raise SmugMugResponseError(
            "the answer is not a SmugMug API v2 envelope (no Code)",
            status=http_status,
            method=method,
            path=path,
            album_key=album_key,
        )
    code = _int_or_none(data.get("Code"))
    raw_message = data.get("Message")
    message = raw_message if isinstance(raw_message, str) else ""
    status = http_status if http_status >= 400 else (code if code is not None else http_status)
    if status >= 400:
        raise error_for_status(
            status, message or None, method=method, path=path, album_key=album_key
        )
    response = data.get("Response")
    if not isinstance(response, Mapping):
        raise SmugMugResponseError(
            "the envelope has no Response object",
            status=status,
            smugmug_message=message or None,
            method=method,
            path=path,
            album_key=album_key,
        )
    locator = response.get("Locator")
    locator_type = response.get("LocatorType")
    uri = response.get("Uri")
    return Envelope(
        code=status,
        message=message,
        uri=uri if isinstance(uri, str) else None,
        locator=locator if isinstance(locator, str) else None,
        locator_type=locator_type if isinstance(locator_type, str) else None,
        payload=response.get(locator) if isinstance(locator, str) else None,
        pages=parse_pages(response.get("Pages")),
        expansions=_expansions(data.get("Expansions")),
    )
