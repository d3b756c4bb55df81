"""What the workflow's steps report: the actions and the records, shared by every step.

The action of each album (``RENAMED``, ``KEPT``, ``DEFERRED``, ...), what repair did with an
open change (``COMPLETED``, ``UNKNOWN``, ``SKIPPED``), and the records the steps hand on:
:class:`FetchOutcome` (step 1), :class:`NamePlan` (step 2, read back by :func:`latest_plans`),
:class:`RenameOutcome` and :class:`RepairOutcome` (step 3), :class:`RowSyncOutcome` (step 4)
and :class:`AlbumOutcome`, the line a person reads per album. No step's code lives here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from albumsync_dagster import album_sync
from albumsync_dagster.naming import SEED, Enrichment
from albumsync_dagster.schema import canonical_name_history
from albumsync_dagster.settings import DEFAULT_RENAME_RECHECK_HOURS
from albumsync_dagster.smugmug import Album
from albumsync_dagster.sql_arrays import any_of

# Actions, as reported per album.
RENAMED = "renamed"
WOULD_RENAME = "would_rename"
KEPT = "kept"  # drift within the threshold
NO_CANONICAL = "no_canonical"  # nothing usable to build a name from
LOCKED = "locked"
HUMAN_RENAMED = "human_renamed"  # a person changed the name we set: locked now
CHANGED_SINCE_PLANNED = "changed_since_planned"
DEFERRED = "deferred"  # over the daily rename budget: a later run renames it
FAILED = "failed"
RENAMED_ON_SMUGMUG = "renamed on SmugMug"  # a rename's reason, before apply_renames says why
UNCONFIRMED = "unconfirmed"  # our last PATCH's answer was lost; re-checked, not sent again
GONE = "gone"  # deleted on SmugMug: marked gone in the snapshot, its rows left as they are

DEFAULT_RENAME_RECHECK = timedelta(hours=DEFAULT_RENAME_RECHECK_HOURS)


@dataclass(frozen=True)
class FetchOutcome:
    albums: dict[str, Album]
    image_counts: dict[str, int]
    errors: dict[str, str] = field(default_factory=dict)
    gone: list[str] = field(default_factory=list)
    images_read: list[str] = field(default_factory=list)  # albums whose images were listed


@dataclass(frozen=True)
class NamePlan:
    album_key: str
    current_name: str
    canonical_name: str | None
    drift_score: int | None
    photo_count: int
    dated_photo_count: int
    enrichment: Enrichment | None
    differences: tuple[str, ...] = ()  # the parts that differ: "date Sep 21 → Sep 22"
    standard: str = SEED


@dataclass(frozen=True)
class RenameOutcome:
    album_key: str
    action: str
    reason: str
    old_name: str | None = None
    new_name: str | None = None
    rows_updated: int = 0
    error: str | None = None
    change_id: int | None = None


@dataclass(frozen=True)
class RowSyncOutcome:
    updated_by_album: dict[str, int]
    verification: dict[str, album_sync.Verification]
    errors: dict[str, str] = field(default_factory=dict)
    would_update: dict[str, int] = field(default_factory=dict)  # dry run


# What repair did with an open change.
COMPLETED = "completed"
UNKNOWN = "unknown"  # still open: SmugMug shows the old name, the re-check window runs on
SKIPPED = "skipped"  # could not look (SmugMug or the database failed, or the album was busy)


@dataclass(frozen=True)
class RepairOutcome:
    change_id: int
    album_key: str
    status: str  # completed | failed | unknown | skipped
    detail: str
    rows_updated: int = 0


@dataclass(frozen=True)
class AlbumOutcome:
    """What happened to one album in a sync: the line a person reads."""

    album_key: str
    current_name: str | None
    canonical_name: str | None
    drift_score: int | None
    action: str
    reason: str
    smugmug_name: str | None
    rows_updated: int
    synced: bool | None  # None in a dry run
    issues: list[str] = field(default_factory=list)
    error: str | None = None
    photo_rows: int = 0  # rows carrying the album key after the sync
    differences: tuple[str, ...] = ()  # the parts of the name that differ, as a person reads

    @property
    def failed(self) -> bool:
        """A failure to act on: the rename failed, or rows that exist disagree with SmugMug.

        An album with no photo rows is reported (not synced) but is not a failure.
        """
        return (
            self.action == FAILED
            or self.error is not None
            or (self.synced is False and self.photo_rows > 0)
        )


def latest_plans(engine: Engine, album_keys: Sequence[str]) -> dict[str, NamePlan]:
    """The most recent canonical-name computation of each album."""
    with engine.connect() as conn:
        h = canonical_name_history.c
        rows = conn.execute(
            sa.select(
                h.album_key,
                h.current_name,
                h.canonical_name,
                h.drift_score,
                h.photo_count,
                h.dated_photo_count,
                h.details,
            )
            .where(any_of(h.album_key, album_keys))
            .distinct(h.album_key)
            .order_by(h.album_key, h.id.desc())
        )
        return {
            r.album_key: NamePlan(
                r.album_key,
                r.current_name or "",
                r.canonical_name,
                r.drift_score,
                r.photo_count or 0,
                r.dated_photo_count or 0,
                None,
                tuple((r.details or {}).get("differences", ())),
                (r.details or {}).get("standard", SEED),
            )
            for r in rows
        }


def gone_outcome(album_key: str) -> AlbumOutcome:
    """The report of an album the account's listing no longer shows."""
    return AlbumOutcome(
        album_key,
        None,
        None,
        None,
        GONE,
        "deleted on SmugMug: marked gone in the snapshot; its photo rows are kept",
        None,
        0,
        None,
    )


def finished(outcome: AlbumOutcome) -> bool:
    """Whether an album needs nothing more until something about it moves."""
    return not outcome.failed and outcome.action not in (CHANGED_SINCE_PLANNED, DEFERRED)
