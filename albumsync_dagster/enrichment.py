"""The AI enrichment of albums (``album_enrichment``): reading it, and what changed since a cursor.

Written by the AI pipeline, read here only (no Dagster): the workflow names albums from
:func:`read_enrichments`, the ``album_enrichment`` asset shows :func:`enrichment_records`, and
the enrichment sensor follows :func:`read_enrichment_changes`.

The cursor follows ``updated_at`` with the album key as tie-break, so rows stamped in the same
instant are neither skipped nor read twice. ``updated_at`` defaults to the writing
transaction's start, so a slow transaction can commit a row stamped before the cursor: rows
stamped within :data:`LOOKBACK` before it are read again and kept only if the cursor has not
seen that version (``recent`` in the cursor).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from albumsync_dagster.naming import Enrichment
from albumsync_dagster.schema import album_enrichment

LOOKBACK = timedelta(minutes=5)
MAX_ALBUMS_PER_READ = 2000


@dataclass(frozen=True)
class EnrichmentRecord:
    """One album's enrichment row as stored, with when it was last written."""

    album_key: str
    enrichment: Enrichment
    updated_at: datetime


def enrichment_records(engine: Engine, album_keys: Sequence[str]) -> dict[str, EnrichmentRecord]:
    """The enrichment rows of ``album_keys`` (albums without one are left out)."""
    table = album_enrichment
    statement = sa.select(
        table.c.album_key,
        table.c.teams,
        table.c.event_name,
        table.c.sport_type,
        table.c.level,
        table.c.division,
        table.c.updated_at,
    ).where(table.c.album_key.in_(list(album_keys)))
    with engine.connect() as conn:
        return {
            row.album_key: EnrichmentRecord(
                row.album_key,
                Enrichment(
                    teams=tuple(row.teams or ()),
                    event_name=row.event_name,
                    sport_type=row.sport_type,
                    level=row.level,
                    division=row.division,
                ),
                row.updated_at,
            )
            for row in conn.execute(statement)
        }


def read_enrichments(engine: Engine, album_keys: Sequence[str]) -> dict[str, Enrichment]:
    """The enrichment of each of ``album_keys`` that has one."""
    return {
        key: record.enrichment for key, record in enrichment_records(engine, album_keys).items()
    }


def enrichment_as_dict(enrichment: Enrichment) -> dict[str, object]:
    """The enrichment as JSON-ready fields (for history rows and metadata)."""
    return {
        "teams": list(enrichment.teams),
        "event_name": enrichment.event_name,
        "sport_type": enrichment.sport_type,
        "level": enrichment.level,
        "division": enrichment.division,
    }


# --- changes since a cursor ---------------------------------------------------------------


@dataclass(frozen=True)
class EnrichmentCursor:
    """How far a reader has got: the last (updated_at, album_key) and recent versions."""

    updated_at: datetime | None = None
    album_key: str = ""
    recent: dict[str, str] = field(default_factory=dict)  # album_key -> updated_at ISO

    @classmethod
    def parse(cls, text: str | None) -> EnrichmentCursor:
        """The cursor :meth:`serialize` wrote; the start for None or ""."""
        if not text:
            return cls()
        data = json.loads(text)
        return cls(
            datetime.fromisoformat(data["updated_at"]) if data.get("updated_at") else None,
            data.get("album_key", ""),
            dict(data.get("recent", {})),
        )

    def serialize(self) -> str:
        """The cursor as a JSON string (a Dagster sensor cursor)."""
        return json.dumps(
            {
                "updated_at": self.updated_at.isoformat() if self.updated_at else None,
                "album_key": self.album_key,
                "recent": self.recent,
            },
            sort_keys=True,
        )


@dataclass(frozen=True)
class EnrichmentChange:
    """An album whose enrichment was written at ``updated_at``."""

    album_key: str
    updated_at: datetime

    @property
    def version(self) -> str:
        """The version written, as a UTC ISO timestamp."""
        return self.updated_at.astimezone(UTC).isoformat()


_POSITION = sa.tuple_(album_enrichment.c.updated_at, album_enrichment.c.album_key)
_CHANGES = sa.select(album_enrichment.c.album_key, album_enrichment.c.updated_at).order_by(
    album_enrichment.c.updated_at, album_enrichment.c.album_key
)


def read_enrichment_changes(
    engine: Engine, cursor: EnrichmentCursor, *, limit: int = MAX_ALBUMS_PER_READ
) -> tuple[list[EnrichmentChange], EnrichmentCursor]:
    """Enrichment rows new or changed since ``cursor`` (late commits within LOOKBACK
    included), and the cursor after them."""
    with engine.connect() as conn:
        if cursor.updated_at is None:
            rows = list(conn.execute(_CHANGES.limit(limit)))
            late = []
        else:
            position = sa.tuple_(sa.literal(cursor.updated_at), sa.literal(cursor.album_key))
            rows = list(conn.execute(_CHANGES.where(position < _POSITION).limit(limit)))
            late = list(
                conn.execute(
                    _CHANGES.where(
                        album_enrichment.c.updated_at > cursor.updated_at - LOOKBACK,
                        position >= _POSITION,
                    )
                )
            )
    fresh = [EnrichmentChange(r.album_key, r.updated_at) for r in rows]
    late_changes = [
        EnrichmentChange(r.album_key, r.updated_at)
        for r in late
        if cursor.recent.get(r.album_key) != r.updated_at.astimezone(UTC).isoformat()
    ]
    high: datetime | None = fresh[-1].updated_at if fresh else cursor.updated_at
    high_key = fresh[-1].album_key if fresh else cursor.album_key
    recent = dict(cursor.recent)
    for change in (*late_changes, *fresh):
        recent[change.album_key] = change.version
    if high is not None:
        horizon = high - LOOKBACK
        recent = {k: v for k, v in recent.items() if datetime.fromisoformat(v) > horizon}
    return late_changes + fresh, EnrichmentCursor(high, high_key, recent)
