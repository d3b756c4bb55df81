"""Run settings from the environment (DESIGN.md's table), validated once with clear errors.

Every setting of the pipeline lives here, as a field of :class:`Settings` read by
:meth:`Settings.from_env` when a command or a run starts, never when a module is imported.
The CLI reads them at the start of each command; the Dagster layer through its resources
(``dagster_layer/resources.py``), whose fields ``ENVIRONMENT`` maps to these variables.
The SmugMug credentials are not settings: they stay secrets read by the client and by
``EnvVar`` in the Dagster layer.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

from albumsync_dagster.name_copies import CopySpec, Relation, parse_name_copies, parse_views
from albumsync_dagster.naming import NamingStandard, naming_standard
from albumsync_dagster.naming.event_dates import resolve_zone
from albumsync_dagster.numbers import bounded_number
from albumsync_dagster.smugmug.client import (
    DEFAULT_BASE_URL,
    DEFAULT_REQUESTS_PER_SECOND,
    DEFAULT_TIMEOUT_SECONDS,
    requests_per_second_setting,
    timeout_seconds_setting,
)

DEFAULT_DRIFT_THRESHOLD = 20
DEFAULT_BATCH_SIZE = 10
DEFAULT_MAX_PHOTOS_WITHOUT_ALBUM_KEY = 100
DEFAULT_SMUGMUG_TIMEOUT_SECONDS = DEFAULT_TIMEOUT_SECONDS
DEFAULT_MAX_CONCURRENCY = 4
# A daily schedule that drifts a few minutes still gets its full listing every day.
DEFAULT_FULL_LISTING_HOURS = 23
DEFAULT_MAX_RENAMES_PER_DAY = 100
# A PATCH whose answer was lost can still land; SmugMug's name is re-read for this long.
DEFAULT_RENAME_RECHECK_HOURS = 24.0
# How long an album's rename mutex (a lease row) lasts unless its holder renews it; renewed
# every third of it while the rename runs, so a dead holder blocks the album at most this long.
DEFAULT_LEASE_SECONDS = 60
LEASE_SECONDS_VAR = "ALBUMSYNC_LEASE_SECONDS"


@dataclass(frozen=True)
class Settings:
    timezone: str = "UTC"
    drift_threshold: int = DEFAULT_DRIFT_THRESHOLD
    batch_size: int = DEFAULT_BATCH_SIZE
    database_url: str | None = None  # None: the embedded PostgreSQL
    max_photos_without_album_key: int = DEFAULT_MAX_PHOTOS_WITHOUT_ALBUM_KEY
    smugmug_base_url: str = DEFAULT_BASE_URL
    smugmug_nickname: str | None = None  # None: the token's user
    smugmug_requests_per_second: float | None = DEFAULT_REQUESTS_PER_SECOND  # None: no limit
    name_copies: tuple[CopySpec, ...] = ()  # other table.column copies of the album name
    refresh_views: tuple[Relation, ...] = ()  # materialized views refreshed after changes
    lease_seconds: int = DEFAULT_LEASE_SECONDS
    smugmug_timeout_seconds: float = DEFAULT_SMUGMUG_TIMEOUT_SECONDS
    rename_recheck_hours: float = DEFAULT_RENAME_RECHECK_HOURS
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY  # SmugMug fetches of albums at once
    # sync --all lists the whole account when the last full listing is this old (0: always)
    full_listing_hours: int = DEFAULT_FULL_LISTING_HOURS
    naming_standard: str = "seed"  # seed | level-event-date | template
    naming_template: str | None = None  # with naming_standard "template"
    max_renames_per_day: int = DEFAULT_MAX_RENAMES_PER_DAY  # all processes together

    # The variable each field is read from.
    ENVIRONMENT: ClassVar[Mapping[str, str]] = {
        "timezone": "ALBUMSYNC_TIMEZONE",
        "drift_threshold": "ALBUMSYNC_DRIFT_THRESHOLD",
        "batch_size": "ALBUMSYNC_BATCH_SIZE",
        "database_url": "ALBUMSYNC_DATABASE_URL",
        "max_photos_without_album_key": "ALBUMSYNC_MAX_PHOTOS_WITHOUT_ALBUM_KEY",
        "smugmug_base_url": "SMUGMUG_BASE_URL",
        "smugmug_nickname": "SMUGMUG_NICKNAME",
        "smugmug_requests_per_second": "SMUGMUG_REQUESTS_PER_SECOND",
        "name_copies": "ALBUMSYNC_NAME_COPIES",
        "refresh_views": "ALBUMSYNC_REFRESH_VIEWS",
        "smugmug_timeout_seconds": "SMUGMUG_TIMEOUT_SECONDS",
        "rename_recheck_hours": "ALBUMSYNC_RENAME_RECHECK_HOURS",
        "naming_standard": "ALBUMSYNC_NAMING_STANDARD",
        "naming_template": "ALBUMSYNC_NAMING_TEMPLATE",
        "max_renames_per_day": "ALBUMSYNC_MAX_RENAMES_PER_DAY",
        "lease_seconds": LEASE_SECONDS_VAR,
        "max_concurrency": "SMUGMUG_MAX_CONCURRENCY",
        "full_listing_hours": "ALBUMSYNC_FULL_LISTING_HOURS",
    }

    def standard(self) -> NamingStandard:
        """The naming standard these settings name (see :mod:`albumsync_dagster.naming`)."""
        return naming_standard(self.naming_standard, template=self.naming_template)

    @property
    def rename_recheck(self) -> timedelta:
        """How long a rename SmugMug did not confirm is re-checked before it is closed."""
        return timedelta(hours=self.rename_recheck_hours)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings in ``environ`` (default ``os.environ``); a bad value raises one line."""
        env = os.environ if environ is None else environ
        timezone = env.get("ALBUMSYNC_TIMEZONE", "").strip() or "UTC"
        resolve_zone(timezone)  # raises ValueError naming an unknown zone
        template = env.get("ALBUMSYNC_NAMING_TEMPLATE", "").strip() or None
        standard = env.get("ALBUMSYNC_NAMING_STANDARD", "").strip().lower()
        standard = standard or ("template" if template else "seed")
        naming_standard(standard, template=template)  # raises ValueError saying what is wrong
        return cls(
            timezone=timezone,
            drift_threshold=_int(env, "ALBUMSYNC_DRIFT_THRESHOLD", DEFAULT_DRIFT_THRESHOLD, 0, 100),
            batch_size=_int(env, "ALBUMSYNC_BATCH_SIZE", DEFAULT_BATCH_SIZE, 1, 10_000),
            database_url=env.get("ALBUMSYNC_DATABASE_URL", "").strip() or None,
            max_photos_without_album_key=_int(
                env,
                "ALBUMSYNC_MAX_PHOTOS_WITHOUT_ALBUM_KEY",
                DEFAULT_MAX_PHOTOS_WITHOUT_ALBUM_KEY,
                0,
                2**62,
            ),
            smugmug_base_url=env.get("SMUGMUG_BASE_URL", "").strip() or DEFAULT_BASE_URL,
            smugmug_nickname=env.get("SMUGMUG_NICKNAME", "").strip() or None,
            smugmug_requests_per_second=requests_per_second_setting(
                env.get("SMUGMUG_REQUESTS_PER_SECOND")
            ),
            name_copies=parse_name_copies(env.get("ALBUMSYNC_NAME_COPIES")),
            refresh_views=parse_views(env.get("ALBUMSYNC_REFRESH_VIEWS")),
            full_listing_hours=_int(
                env, "ALBUMSYNC_FULL_LISTING_HOURS", DEFAULT_FULL_LISTING_HOURS, 0, 24 * 365
            ),
            max_concurrency=_int(env, "SMUGMUG_MAX_CONCURRENCY", DEFAULT_MAX_CONCURRENCY, 1, 64),
            naming_standard=standard,
            naming_template=template,
            max_renames_per_day=_int(
                env, "ALBUMSYNC_MAX_RENAMES_PER_DAY", DEFAULT_MAX_RENAMES_PER_DAY, 0, 1_000_000
            ),
            lease_seconds=lease_seconds_from_env(env),
            smugmug_timeout_seconds=smugmug_timeout_seconds(env),
            rename_recheck_hours=_float(
                env, "ALBUMSYNC_RENAME_RECHECK_HOURS", DEFAULT_RENAME_RECHECK_HOURS, 0.0, 24 * 30
            ),
        )

    @classmethod
    def with_values(cls, values: Mapping[str, str | None]) -> Settings:
        """The environment's settings with some fields given as raw text (None: unset), each
        parsed and checked as its variable would be."""
        unknown = set(values) - set(cls.ENVIRONMENT)
        if unknown:
            raise ValueError(f"not settings: {', '.join(sorted(unknown))}")
        env = dict(os.environ)
        for name, value in values.items():
            if value is not None:
                env[cls.ENVIRONMENT[name]] = value
        return cls.from_env(env)


def smugmug_timeout_seconds(env: Mapping[str, str]) -> float:
    """``SMUGMUG_TIMEOUT_SECONDS``: the SmugMug client's per-request time-out (default 30)."""
    return timeout_seconds_setting(env.get("SMUGMUG_TIMEOUT_SECONDS"))


def lease_seconds_from_env(environ: Mapping[str, str] | None = None) -> int:
    """``ALBUMSYNC_LEASE_SECONDS``: the album mutex's lease length (default 60 s)."""
    env = os.environ if environ is None else environ
    return _int(env, LEASE_SECONDS_VAR, DEFAULT_LEASE_SECONDS, 2, 86_400)


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    return bounded_number(name, env.get(name), default, low, high, whole=True)


def _float(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    return bounded_number(name, env.get(name), default, low, high)
