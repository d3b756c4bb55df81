"""Resources: the photo database, the SmugMug API and the run's settings.

Each resource's fields are settings of :class:`~albumsync_dagster.settings.Settings`, as
raw text parsed by ``Settings`` itself. ``resources_from_env`` feeds every field whose
variable is set where the code location loads from an ``EnvVar``, so the UI shows the
variable's name, never its value, and the value is read when a run starts; a field left
unset is read from the run's environment when the run starts (a plain ``EnvVar`` of an unset
variable would fail every run). Nothing is read at import.

The engine (its connection pool) belongs to the ``PhotoDatabase`` resource: made when a run,
sensor tick or check starts, disposed when it ends.
"""

from __future__ import annotations

import os
from typing import Any

import dagster as dg
from pydantic import Field, PrivateAttr
from sqlalchemy.engine import Engine

from albumsync_dagster.db import DatabaseUnavailable
from albumsync_dagster.migrations import MigrationError
from albumsync_dagster.name_copies import open_photo_database
from albumsync_dagster.privileges import PrivilegeMissing
from albumsync_dagster.settings import Settings
from albumsync_dagster.smugmug import DEFAULT_BASE_URL, DEFAULT_REQUESTS_PER_SECOND, SmugMugClient


def _settings_with(resource: dg.ConfigurableResource, fields: dict[str, str]) -> Settings:
    """``Settings`` with ``resource``'s ``fields`` (field -> setting) set over the environment."""
    values = {setting: getattr(resource, field) for field, setting in fields.items()}
    return Settings.with_values({k: None if v is None else str(v) for k, v in values.items()})


class PhotoDatabase(dg.ConfigurableResource):
    """The PostgreSQL database holding ``photo_metadata`` and the pipeline's tables."""

    database_url: str | None = Field(
        default=None,
        description=(
            "PostgreSQL URL. Unset: ALBUMSYNC_DATABASE_URL when a run starts, else the "
            "embedded PostgreSQL under .albumsync/."
        ),
    )

    name_copies: str | None = Field(
        default=None,
        description="Other table.column copies of an album's name kept with the photo rows "
        "(comma-separated). Unset: ALBUMSYNC_NAME_COPIES, else none.",
    )
    refresh_views: str | None = Field(
        default=None,
        description="Materialized views refreshed after names change (comma-separated). "
        "Unset: ALBUMSYNC_REFRESH_VIEWS, else none.",
    )

    _engine: Engine | None = PrivateAttr(default=None)

    def settings(self) -> Settings:
        return _settings_with(self, {name: name for name in DATABASE_FIELDS})

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # Opened on first use (get_engine), so a refusal fails the step that met it with
        # one line rather than the resource's set-up with a wrapped traceback.
        self._engine = None

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def get_engine(self) -> Engine:
        """This resource's engine: made when the run (tick, check) starts, disposed at its end.

        Made on first use: the database must be migrated, the role must hold the grants the
        README lists, and the name copies and views it keeps in step must exist. Otherwise a
        ``dg.Failure`` whose description is the one line saying what to do (run
        ``albumsync migrate``, the missing ``GRANT``, the copy that does not exist); it is
        not retried. Outside Dagster's set-up (a resource built by hand) the engine lives as
        long as the resource object.
        """
        if self._engine is None:
            try:
                self._engine = open_photo_database(self.settings())
            except (DatabaseUnavailable, MigrationError, PrivilegeMissing, ValueError) as exc:
                raise dg.Failure(description=str(exc), allow_retries=False) from None
        return self._engine


DATABASE_FIELDS = ("database_url", "name_copies", "refresh_views")
SMUGMUG_FIELDS = {  # resource field -> setting
    "base_url": "smugmug_base_url",
    "nickname": "smugmug_nickname",
    "requests_per_second": "smugmug_requests_per_second",
    "timeout_seconds": "smugmug_timeout_seconds",
}


class SmugMugResource(dg.ConfigurableResource):
    """The SmugMug API v2 account whose album names are the source of truth.

    Settings left unset are read from the environment when a run starts. One client per
    run: it holds the connection pool and the client-side rate limit.
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

    timeout_seconds: float | None = Field(
        default=None,
        description="Per-request time-out in seconds. Unset: SMUGMUG_TIMEOUT_SECONDS, else 30.",
    )

    _client: SmugMugClient | None = PrivateAttr(default=None)

    def settings(self) -> Settings:
        return _settings_with(self, SMUGMUG_FIELDS)

    def build_client(self) -> SmugMugClient:
        """A new client with this configuration; the caller closes it."""
        settings = self.settings()
        return SmugMugClient(
            api_key=self.api_key,
            api_secret=self.api_secret,
            access_token=self.access_token,
            access_token_secret=self.access_token_secret,
            base_url=settings.smugmug_base_url,
            nickname=settings.smugmug_nickname,
            requests_per_second=settings.smugmug_requests_per_second,
            timeout=settings.smugmug_timeout_seconds,
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


class AlbumSyncSettings(dg.ConfigurableResource):
    """How the pipeline names and batches albums: the run's ``ALBUMSYNC_*`` settings."""

    timezone: str | None = Field(
        default=None, description="IANA zone of the events. Unset: ALBUMSYNC_TIMEZONE, else UTC."
    )
    drift_threshold: str | None = Field(
        default=None,
        description="Rename when the drift is strictly greater (0-100). "
        "Unset: ALBUMSYNC_DRIFT_THRESHOLD, else 20.",
    )
    batch_size: str | None = Field(
        default=None, description="Albums per run. Unset: ALBUMSYNC_BATCH_SIZE, else 10."
    )
    max_photos_without_album_key: str | None = Field(
        default=None,
        description="Most photo rows allowed without an album key. "
        "Unset: ALBUMSYNC_MAX_PHOTOS_WITHOUT_ALBUM_KEY, else 100.",
    )

    rename_recheck_hours: str | None = Field(
        default=None,
        description="Hours a rename SmugMug did not confirm is re-checked before it is closed. "
        "Unset: ALBUMSYNC_RENAME_RECHECK_HOURS, else 24.",
    )

    naming_standard: str | None = Field(
        default=None,
        description="seed, level-event-date or template. Unset: ALBUMSYNC_NAMING_STANDARD, "
        "else seed (template when a template is given).",
    )
    naming_template: str | None = Field(
        default=None, description="A name template. Unset: ALBUMSYNC_NAMING_TEMPLATE, else none."
    )
    max_renames_per_day: str | None = Field(
        default=None,
        description="Renames on SmugMug in any 24 h, all processes together. "
        "Unset: ALBUMSYNC_MAX_RENAMES_PER_DAY, else 100.",
    )
    lease_seconds: str | None = Field(
        default=None,
        description="Seconds an album's rename lease lasts unless renewed. "
        "Unset: ALBUMSYNC_LEASE_SECONDS, else 60.",
    )
    max_concurrency: str | None = Field(
        default=None,
        description="SmugMug fetches of albums at once. Unset: SMUGMUG_MAX_CONCURRENCY, else 4.",
    )
    full_listing_hours: str | None = Field(
        default=None,
        description="Hours after which a run lists the whole account again (0: always). "
        "Unset: ALBUMSYNC_FULL_LISTING_HOURS, else 23.",
    )

    _settings: Settings | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._settings = self._read()

    def _read(self) -> Settings:
        return _settings_with(self, {name: name for name in SETTINGS_FIELDS})

    def get(self) -> Settings:
        """The settings, read once when the run (tick, check) starts."""
        if self._settings is None:
            self._settings = self._read()
        return self._settings


SETTINGS_FIELDS = (
    "timezone",
    "drift_threshold",
    "batch_size",
    "max_photos_without_album_key",
    "rename_recheck_hours",
    "naming_standard",
    "naming_template",
    "max_renames_per_day",
    "lease_seconds",
    "max_concurrency",
    "full_listing_hours",
)


def _from_env(variable: str) -> Any:
    """An ``EnvVar`` when ``variable`` is set where the code location loads, else None."""
    return dg.EnvVar(variable) if os.environ.get(variable, "").strip() else None


def resources_from_env() -> dict[str, dg.ConfigurableResource]:
    """The code location's resources: settings and secrets as ``EnvVar`` (names in the UI).

    Called when the code location loads. A variable unset then is read when each run starts,
    falling back to its default (the embedded server for the database).
    """
    env = Settings.ENVIRONMENT
    return {
        "photo_db": PhotoDatabase(**{name: _from_env(env[name]) for name in DATABASE_FIELDS}),
        "smugmug": SmugMugResource(
            api_key=dg.EnvVar("SMUGMUG_API_KEY"),
            api_secret=dg.EnvVar("SMUGMUG_API_SECRET"),
            access_token=dg.EnvVar("SMUGMUG_ACCESS_TOKEN"),
            access_token_secret=dg.EnvVar("SMUGMUG_ACCESS_TOKEN_SECRET"),
            base_url=_from_env(env["smugmug_base_url"]),
            nickname=_from_env(env["smugmug_nickname"]),
            # Numbers: an EnvVar cannot feed them (Dagster reads EnvVars as text); left unset,
            # SMUGMUG_REQUESTS_PER_SECOND and SMUGMUG_TIMEOUT_SECONDS are read when the run starts.
            requests_per_second=None,
            timeout_seconds=None,
        ),
        "settings": AlbumSyncSettings(**{name: _from_env(env[name]) for name in SETTINGS_FIELDS}),
    }
