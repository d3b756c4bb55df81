"""Resources: the photo database and the SmugMug API, configured from the environment.

Credentials and the database URL reach Dagster as ``EnvVar`` references, so the UI shows the
variable's name, never its value, and the value is read when a run starts.
"""

from __future__ import annotations

import os
import threading

import dagster as dg
from pydantic import Field, PrivateAttr
from sqlalchemy.engine import Engine

from albumsync_dagster.db import create_engine
from albumsync_dagster.settings import smugmug_timeout_seconds
from albumsync_dagster.smugmug import (
    DEFAULT_BASE_URL,
    DEFAULT_REQUESTS_PER_SECOND,
    SmugMugClient,
    SmugMugConfigError,
)

_ENGINES: dict[str | None, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def engine_for(database_url: str | None) -> Engine:
    """One engine (connection pool) per database URL per process; None: the embedded server."""
    with _ENGINES_LOCK:
        engine = _ENGINES.get(database_url)
        if engine is None:
            engine = create_engine(database_url)
            _ENGINES[database_url] = engine
        return engine


class PhotoDatabase(dg.ConfigurableResource):
    """The PostgreSQL database holding ``photo_metadata`` and the pipeline's tables."""

    database_url: str | None = Field(
        default=None,
        description=(
            "PostgreSQL URL. Unset: ALBUMSYNC_DATABASE_URL when a run starts, else the "
            "embedded PostgreSQL under .albumsync/."
        ),
    )

    def get_engine(self) -> Engine:
        """The process's engine for this database (created on first use)."""
        url = self.database_url or os.environ.get("ALBUMSYNC_DATABASE_URL", "").strip()
        return engine_for(url or None)


class SmugMugResource(dg.ConfigurableResource):
    """The SmugMug API v2 account whose album names are the source of truth.

    Settings left unset are read from the environment when a run starts, as
    ``SmugMugClient.from_env`` does. One client per run: it holds the connection pool and the
    client-side rate limit.
    """

    api_key: str = Field(description="OAuth 1.0a consumer key (SMUGMUG_API_KEY).")
    api_secret: str = Field(description="OAuth 1.0a consumer secret (SMUGMUG_API_SECRET).")
    access_token: str = Field(description="OAuth 1.0a access token (SMUGMUG_ACCESS_TOKEN).")
    access_token_secret: str = Field(
        description="OAuth 1.0a access token secret (SMUGMUG_ACCESS_TOKEN_SECRET)."
    )
    base_url: str | None = Field(
        default=None, description=f"API origin. Unset: SMUGMUG_BASE_URL, else {DEFAULT_BASE_URL}."
    )
    nickname: str | None = Field(
        default=None, description="Account to sync. Unset: SMUGMUG_NICKNAME, else the token's user."
    )
    requests_per_second: float | None = Field(
        default=None,
        description="Client-side request limit (0: none). Unset: SMUGMUG_REQUESTS_PER_SECOND, "
        f"else {DEFAULT_REQUESTS_PER_SECOND:g}.",
    )

    _client: SmugMugClient | None = PrivateAttr(default=None)

    def build_client(self) -> SmugMugClient:
        """A new client with this configuration; the caller closes it."""
        rate = self.requests_per_second
        if rate is None:
            rate = _requests_per_second_from_env()
        return SmugMugClient(
            api_key=self.api_key,
            api_secret=self.api_secret,
            access_token=self.access_token,
            access_token_secret=self.access_token_secret,
            base_url=self.base_url or _env("SMUGMUG_BASE_URL") or DEFAULT_BASE_URL,
            nickname=self.nickname or _env("SMUGMUG_NICKNAME") or None,
            requests_per_second=rate or None,
            timeout=smugmug_timeout_seconds(os.environ),
        )

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._client = self.build_client()

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def client(self) -> SmugMugClient:
        """The run's client."""
        if self._client is None:
            self._client = self.build_client()
        return self._client


def _env(name: str) -> str:
    return os.environ.get(name, "").strip()


def _requests_per_second_from_env() -> float:
    raw = _env("SMUGMUG_REQUESTS_PER_SECOND")
    if not raw:
        return DEFAULT_REQUESTS_PER_SECOND
    try:
        value = float(raw)
    except ValueError:
        raise SmugMugConfigError(
            f"SMUGMUG_REQUESTS_PER_SECOND must be a number, got {raw!r}"
        ) from None
    if value < 0:
        raise SmugMugConfigError("SMUGMUG_REQUESTS_PER_SECOND must not be negative")
    return value


def resources_from_env() -> dict[str, dg.ConfigurableResource]:
    """The code location's resources: secrets as ``EnvVar`` (the UI shows only their names).

    The database URL (it may hold a password) is an ``EnvVar`` when set where the code
    location loads; otherwise it is read when a run starts, falling back to the embedded
    server. A plain ``EnvVar`` of an unset variable would fail every run.
    """
    database_url = dg.EnvVar("ALBUMSYNC_DATABASE_URL") if _env("ALBUMSYNC_DATABASE_URL") else None
    return {
        "photo_db": PhotoDatabase(database_url=database_url),
        "smugmug": SmugMugResource(
            api_key=dg.EnvVar("SMUGMUG_API_KEY"),
            api_secret=dg.EnvVar("SMUGMUG_API_SECRET"),
            access_token=dg.EnvVar("SMUGMUG_ACCESS_TOKEN"),
            access_token_secret=dg.EnvVar("SMUGMUG_ACCESS_TOKEN_SECRET"),
        ),
    }
