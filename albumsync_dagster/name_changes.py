"""The rename ledger: ``album_name_changes``, its states and the transitions between them.

Every change of an album's name is one row: the audit trail, and for a SmugMug rename also
the intent written before the PATCH, so that no fault can lose a rename. ``status`` says
where the change stands, ``smugmug_renamed`` what SmugMug did::

    write_intent                      PATCH confirmed, rows written: complete
        │                 ┌────────────────────────────────────────────────────► COMPLETED / yes
        ▼                 │
    PENDING / -  ─────────┼── SmugMug refused the PATCH: fail ────────────────► FAILED / no
        │   │             │
        │   └── PATCH answer lost (time-out, reset, 5xx after sending): mark_unknown
        │                 ▼
        │           UNKNOWN / unknown  ── repair finds our name ──────────────► COMPLETED / yes
        │                 │  repair finds the old name: stays UNKNOWN until
        │                 │  recheck_until (a PATCH can land late), then ─────► FAILED / no
        │                 └─ repair finds another name (a person's) ──────────► FAILED / unknown
        └── crash or database lost after the PATCH: stays PENDING; repair settles it
            from SmugMug's name at once (ours: completed, old: failed, other: failed/unknown)

    rows followed SmugMug, no PATCH (record_row_sync in album_sync):             COMPLETED / no
    a person's name accepted as the baseline (record_accepted):                 COMPLETED / accepted

Only PENDING and UNKNOWN rows change again; COMPLETED and FAILED are final. Statements are
built from :data:`albumsync_dagster.schema.album_name_changes`; the database checks both
columns' values (``sql/0007_name_change_states.sql``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from albumsync_dagster.schema import album_name_changes as changes


class Status(StrEnum):
    """Where a change stands."""

    PENDING = "pending"  # intent written; the PATCH not sent or not answered yet
    UNKNOWN = "unknown"  # the PATCH's answer was lost: SmugMug's name will tell
    COMPLETED = "completed"
    FAILED = "failed"


class SmugMugRenamed(StrEnum):
    """What SmugMug did for the change."""

    YES = "yes"  # SmugMug carries the name because we set it
    NO = "no"  # nothing renamed on SmugMug (a rows-only change, or a refused PATCH)
    UNKNOWN = "unknown"  # cannot tell: no answer, or a person renamed it since
    ACCEPTED = "accepted"  # a person's name on SmugMug, taken as the baseline


OPEN = (Status.PENDING, Status.UNKNOWN)  # the states repair settles

# How SmugMug holds the names this project set (or accepted from a person).
_OURS = (SmugMugRenamed.YES, SmugMugRenamed.ACCEPTED)


@dataclass(frozen=True)
class NameChange:
    """One row of the ledger."""

    id: int
    album_key: str
    old_name: str | None
    new_name: str  # every writer sets it
    changed_at: datetime
    changed_by: str
    source: str
    status: Status
    smugmug_renamed: SmugMugRenamed | None
    rows_updated: int | None
    error: str | None
    rollback_of: int | None
    completed_at: datetime | None
    recheck_until: datetime | None


_COLUMNS = (
    changes.c.id,
    changes.c.album_key,
    changes.c.old_name,
    changes.c.new_name,
    changes.c.changed_at,
    changes.c.changed_by,
    changes.c.source,
    changes.c.status,
    changes.c.smugmug_renamed,
    changes.c.rows_updated,
    changes.c.error,
    changes.c.rollback_of,
    changes.c.completed_at,
    changes.c.recheck_until,
)


def _row(r: sa.Row) -> NameChange:
    return NameChange(
        id=int(r.id),
        album_key=r.album_key,
        old_name=r.old_name,
        new_name=r.new_name,
        changed_at=r.changed_at,
        changed_by=r.changed_by,
        source=r.source,
        status=Status(r.status),
        smugmug_renamed=None if r.smugmug_renamed is None else SmugMugRenamed(r.smugmug_renamed),
        rows_updated=r.rows_updated,
        error=r.error,
        rollback_of=r.rollback_of,
        completed_at=r.completed_at,
        recheck_until=r.recheck_until,
    )


@contextmanager
def _transaction(bind: Engine | Connection) -> Iterator[Connection]:
    """A transaction of its own on an engine; the caller's on a connection."""
    if isinstance(bind, Engine):
        with bind.begin() as conn:
            yield conn
    else:
        yield bind


# --- transitions --------------------------------------------------------------------------


def write_intent(
    bind: Engine | Connection,
    album_key: str,
    old_name: str,
    new_name: str,
    *,
    changed_by: str,
    source: str,
    rollback_of: int | None = None,
) -> int:
    """Record that we are about to rename the album on SmugMug; the new change's id."""
    with _transaction(bind) as conn:
        return int(
            conn.execute(
                sa.insert(changes)
                .values(
                    album_key=album_key,
                    old_name=old_name,
                    new_name=new_name,
                    changed_by=changed_by,
                    source=source,
                    status=Status.PENDING,
                    rollback_of=rollback_of,
                )
                .returning(changes.c.id)
            ).scalar_one()
        )


def complete(conn: Connection, change_id: int, rows_updated: int) -> bool:
    """SmugMug carries the new name: close the change as our rename (in the caller's
    transaction, beside the rows it wrote). False when it was no longer open."""
    done = conn.execute(
        sa.update(changes)
        .where(changes.c.id == change_id, changes.c.status.in_(OPEN))
        .values(
            status=Status.COMPLETED,
            smugmug_renamed=SmugMugRenamed.YES,
            rows_updated=rows_updated,
            completed_at=sa.func.now(),
            error=None,
            recheck_until=None,
        )
        .returning(changes.c.id)
    )
    return done.first() is not None


def fail(
    bind: Engine | Connection,
    change_id: int,
    error: str,
    *,
    renamed: SmugMugRenamed = SmugMugRenamed.NO,
) -> bool:
    """Close an open change as not done, with the reason. False when it was no longer open."""
    with _transaction(bind) as conn:
        done = conn.execute(
            sa.update(changes)
            .where(changes.c.id == change_id, changes.c.status.in_(OPEN))
            .values(
                status=Status.FAILED,
                error=error,
                smugmug_renamed=renamed,
                completed_at=sa.func.now(),
                recheck_until=None,
            )
            .returning(changes.c.id)
        )
        return done.first() is not None


def mark_unknown(
    bind: Engine | Connection, change_id: int, error: str, *, recheck_for: timedelta
) -> datetime | None:
    """The PATCH's answer was lost: SmugMug's name settles the change, re-checked until
    ``recheck_for`` from now. Returns that time, None when the change was no longer pending."""
    with _transaction(bind) as conn:
        return conn.execute(
            sa.update(changes)
            .where(changes.c.id == change_id, changes.c.status == Status.PENDING)
            .values(
                status=Status.UNKNOWN,
                smugmug_renamed=SmugMugRenamed.UNKNOWN,
                error=error,
                recheck_until=sa.func.now() + recheck_for,
            )
            .returning(changes.c.recheck_until)
        ).scalar()


def record_accepted(conn: Connection, album_key: str, ours: str, theirs: str) -> None:
    """A person renamed an album we had named: their name becomes the baseline."""
    conn.execute(
        sa.insert(changes).values(
            album_key=album_key,
            old_name=ours,
            new_name=theirs,
            changed_by="a person on SmugMug",
            source="human",
            status=Status.COMPLETED,
            smugmug_renamed=SmugMugRenamed.ACCEPTED,
            rows_updated=0,
            completed_at=sa.func.now(),
        )
    )


# --- reading ------------------------------------------------------------------------------


def names_we_set(bind: Engine | Connection, album_keys: Sequence[str]) -> dict[str, str]:
    """The last name this project set (or accepted from a person) on SmugMug, per album."""
    query = (
        sa.select(changes.c.album_key, changes.c.new_name)
        .where(
            changes.c.album_key.in_(list(album_keys)),
            changes.c.smugmug_renamed.in_(_OURS),
            changes.c.status == Status.COMPLETED,
        )
        .distinct(changes.c.album_key)
        .order_by(changes.c.album_key, changes.c.id.desc())
    )
    with _transaction(bind) as conn:
        return {r.album_key: r.new_name for r in conn.execute(query)}


def last_renames(bind: Engine | Connection, album_keys: Sequence[str]) -> dict[str, NameChange]:
    """Each album's last rename SmugMug confirmed (ours or a rollback); albums never renamed
    are absent."""
    query = (
        sa.select(*_COLUMNS)
        .where(
            changes.c.album_key.in_(list(album_keys)),
            changes.c.status == Status.COMPLETED,
            changes.c.smugmug_renamed == SmugMugRenamed.YES,
        )
        .distinct(changes.c.album_key)
        .order_by(changes.c.album_key, changes.c.changed_at.desc(), changes.c.id.desc())
    )
    with _transaction(bind) as conn:
        return {r.album_key: _row(r) for r in conn.execute(query)}


def open_changes(
    bind: Engine | Connection, album_keys: Iterable[str] | None = None
) -> list[NameChange]:
    """Changes still pending or unknown (all, or of the albums given), oldest first."""
    query = sa.select(*_COLUMNS).where(changes.c.status.in_(OPEN)).order_by(changes.c.id)
    if album_keys is not None:
        query = query.where(changes.c.album_key.in_(list(album_keys)))
    with _transaction(bind) as conn:
        return [_row(r) for r in conn.execute(query)]


def get_change(bind: Engine | Connection, change_id: int) -> NameChange | None:
    """One change by id, None when there is none."""
    with _transaction(bind) as conn:
        row = conn.execute(sa.select(*_COLUMNS).where(changes.c.id == change_id)).first()
    return None if row is None else _row(row)


def changes_since(
    bind: Engine | Connection,
    since: datetime,
    *,
    statuses: Iterable[Status] | None = None,
) -> list[NameChange]:
    """Changes written since ``since`` (of the statuses given, or all), newest first."""
    query = sa.select(*_COLUMNS).where(changes.c.changed_at >= since).order_by(changes.c.id.desc())
    if statuses is not None:
        query = query.where(changes.c.status.in_(list(statuses)))
    with _transaction(bind) as conn:
        return [_row(r) for r in conn.execute(query)]


__all__ = [
    "OPEN",
    "NameChange",
    "SmugMugRenamed",
    "Status",
    "changes_since",
    "complete",
    "fail",
    "get_change",
    "last_renames",
    "mark_unknown",
    "names_we_set",
    "open_changes",
    "record_accepted",
    "write_intent",
]
