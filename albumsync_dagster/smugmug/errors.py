"""The typed failures of the SmugMug client.

Every error says which call failed (method and path, never the query or any credential),
what SmugMug answered (status and its message) and, when the call was about one album,
which album. Catch :class:`SmugMugError` to handle them all.
"""

from __future__ import annotations

from typing import Any


class SmugMugError(Exception):
    """A SmugMug call failed; base of every error the client raises."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        smugmug_message: str | None = None,
        method: str | None = None,
        path: str | None = None,
        album_key: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.smugmug_message = smugmug_message
        self.method = method
        self.path = path
        self.album_key = album_key
        self.hint = hint
        super().__init__(self._text())

    def _text(self) -> str:
        parts = [self.message]
        if self.method and self.path:
            parts.append(f"call: {self.method} {self.path}")
        if self.status is not None:
            parts.append(f"status: {self.status}")
        if self.smugmug_message:
            parts.append(f"SmugMug said: {self.smugmug_message!r}")
        if self.album_key:
            parts.append(f"album: {self.album_key}")
        if self.hint:
            parts.append(self.hint)
        return "; ".join(parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._text()!r})"


class SmugMugNotFound(SmugMugError):
    """SmugMug answered 404: the album, image or user does not exist (or is not visible)."""


class SmugMugAuthError(SmugMugError):
    """SmugMug answered 401 or 403: bad signature, revoked token or missing permission."""


class SmugMugRateLimited(SmugMugError):
    """SmugMug kept answering 429 after every allowed retry."""

    def __init__(self, message: str, *, retry_after: float | None = None, **details: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **details)


class SmugMugUnavailable(SmugMugError):
    """SmugMug answered 5xx, timed out or could not be reached, on every allowed attempt."""


class SmugMugResponseError(SmugMugError):
    """SmugMug answered something that is not the API v2 envelope the client understands."""


class SmugMugInvalidName(SmugMugError, ValueError):
    """An album name SmugMug would refuse (over 255 characters, control characters).

    Raised before any request is sent; also a ``ValueError``.
    """


class SmugMugConfigError(SmugMugError):
    """The client cannot be built from the environment (a variable is missing or invalid)."""
