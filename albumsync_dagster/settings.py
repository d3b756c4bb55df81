"""Run settings from the environment (DESIGN.md's table), validated once with clear errors."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from albumsync_dagster.naming import NamingStandard, naming_standard
from albumsync_dagster.naming.event_dates import resolve_zone

DEFAULT_DRIFT_THRESHOLD = 20
DEFAULT_BATCH_SIZE = 10
DEFAULT_MAX_CONCURRENCY = 4
# A daily schedule that drifts a few minutes still gets its full listing every day.
DEFAULT_FULL_LISTING_HOURS = 23
DEFAULT_MAX_RENAMES_PER_DAY = 100
DEFAULT_SMUGMUG_TIMEOUT_SECONDS = 30.0
# A PATCH whose answer was lost can still land; SmugMug's name is re-read for this long.
DEFAULT_RENAME_RECHECK_HOURS = 24.0


@dataclass(frozen=True)
class Settings:
    timezone: str = "UTC"
    drift_threshold: int = DEFAULT_DRIFT_THRESHOLD
    batch_size: int = DEFAULT_BATCH_SIZE
    database_url: str | None = None  # None: the embedded PostgreSQL
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY  # SmugMug fetches of albums at once
    # sync --all lists the whole account when the last full listing is this old (0: always)
    full_listing_hours: int = DEFAULT_FULL_LISTING_HOURS
    naming_standard: str = "seed"  # seed | level-event-date | template
    naming_template: str | None = None  # with naming_standard "template"
    max_renames_per_day: int = DEFAULT_MAX_RENAMES_PER_DAY  # all processes together
    smugmug_timeout_seconds: float = DEFAULT_SMUGMUG_TIMEOUT_SECONDS
    rename_recheck_hours: float = DEFAULT_RENAME_RECHECK_HOURS

    def standard(self) -> NamingStandard:
        """The naming standard these settings name (see :mod:`albumsync_dagster.naming`)."""
        return naming_standard(self.naming_standard, template=self.naming_template)

    @property
    def rename_recheck(self) -> timedelta:
        """How long a rename SmugMug did not confirm is re-checked before it is closed."""
        return timedelta(hours=self.rename_recheck_hours)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
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
            full_listing_hours=_int(
                env, "ALBUMSYNC_FULL_LISTING_HOURS", DEFAULT_FULL_LISTING_HOURS, 0, 24 * 365
            ),
            max_concurrency=_int(env, "SMUGMUG_MAX_CONCURRENCY", DEFAULT_MAX_CONCURRENCY, 1, 64),
            naming_standard=standard,
            naming_template=template,
            max_renames_per_day=_int(
                env, "ALBUMSYNC_MAX_RENAMES_PER_DAY", DEFAULT_MAX_RENAMES_PER_DAY, 0, 1_000_000
            ),
            smugmug_timeout_seconds=smugmug_timeout_seconds(env),
            rename_recheck_hours=_float(
                env, "ALBUMSYNC_RENAME_RECHECK_HOURS", DEFAULT_RENAME_RECHECK_HOURS, 0.0, 24 * 30
            ),
        )


def smugmug_timeout_seconds(env: Mapping[str, str]) -> float:
    """``SMUGMUG_TIMEOUT_SECONDS``: the SmugMug client's per-request time-out (default 30)."""
    return _float(env, "SMUGMUG_TIMEOUT_SECONDS", DEFAULT_SMUGMUG_TIMEOUT_SECONDS, 0.1, 600.0)


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise ValueError(f"{name}={value} is outside {low}..{high}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a number") from None
    if not low <= value <= high:
        raise ValueError(f"{name}={value:g} is outside {low:g}..{high:g}")
    return value
