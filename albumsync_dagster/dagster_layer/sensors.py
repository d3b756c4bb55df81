"""``enrichment_sensor``: albums whose enrichment is new or changed get synced.

The cursor follows ``album_enrichment.updated_at`` with the album key as tie-break, so rows
stamped in the same instant are neither skipped nor read twice. ``updated_at`` defaults to
the writing transaction's start, so a slow transaction can commit a row stamped before the
cursor: rows stamped within ``LOOKBACK`` before it are read again and kept only if the cursor
has not seen that version (``recent`` in the cursor).

Runs cover exactly the changed albums, at most ``ALBUMSYNC_BATCH_SIZE`` per run: n changed
albums make ceil(n / batch size) runs, wherever they sit in the partition order. A batch of
neighbouring partitions runs as a partition range; a batch of albums scattered through the
order runs with their keys in the run config (a range would take in every album between).
Run keys name the albums and their enrichment versions, so an evaluation repeated after a
crash requests nothing twice, while a later change of the same albums does run.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import dagster as dg
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from albumsync_dagster.dagster_layer.jobs import album_sync_job, album_sync_run_requests
from albumsync_dagster.dagster_layer.partitions import (
    ALBUMS,
    albums_partitions,
    batches_in_partition_order,
)
from albumsync_dagster.dagster_layer.resources import AlbumSyncSettings, PhotoDatabase

LOOKBACK = timedelta(minutes=5)
MAX_ALBUMS_PER_TICK = 2000
TRIGGER_TAG = "albumsync/trigger"


@dataclass(frozen=True)
class EnrichmentCursor:
    """How far the sensor has read: the last (updated_at, album_key) and recent versions."""

    updated_at: datetime | None = None
    album_key: str = ""
    recent: dict[str, str] = field(default_factory=dict)  # album_key -> updated_at ISO

    @classmethod
    def parse(cls, text: str | None) -> "EnrichmentCursor":
        if not text:
            return cls()
        data = json.loads(text)
        return cls(
            datetime.fromisoformat(data["updated_at"]) if data.get("updated_at") else None,
            data.get("album_key", ""),
            dict(data.get("recent", {})),
        )

    def serialize(self) -> str:
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
    album_key: str
    updated_at: datetime

    @property
    def version(self) -> str:
        return self.updated_at.astimezone(UTC).isoformat()


_AFTER_CURSOR = sa.text(
    "SELECT album_key, updated_at FROM album_enrichment"
    " WHERE (updated_at, album_key) > (:ts, :key)"
    " ORDER BY updated_at, album_key LIMIT :limit"
)
_FROM_START = sa.text(
    "SELECT album_key, updated_at FROM album_enrichment ORDER BY updated_at, album_key LIMIT :limit"
)
_LATE = sa.text(
    "SELECT album_key, updated_at FROM album_enrichment"
    " WHERE updated_at > :since AND (updated_at, album_key) <= (:ts, :key)"
    " ORDER BY updated_at, album_key"
)


def read_enrichment_changes(
    engine: Engine, cursor: EnrichmentCursor, *, limit: int = MAX_ALBUMS_PER_TICK
) -> tuple[list[EnrichmentChange], EnrichmentCursor]:
    """Enrichment rows new or changed since ``cursor``, and the cursor after them."""
    with engine.connect() as conn:
        if cursor.updated_at is None:
            rows = list(conn.execute(_FROM_START, {"limit": limit}))
            late = []
        else:
            params = {"ts": cursor.updated_at, "key": cursor.album_key}
            rows = list(conn.execute(_AFTER_CURSOR, {**params, "limit": limit}))
            late = list(conn.execute(_LATE, {**params, "since": cursor.updated_at - LOOKBACK}))
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


def run_key_for(batch: list[str], versions: dict[str, str]) -> str:
    """Names the albums and the enrichment versions a run covers."""
    digest = hashlib.sha256("\n".join(f"{k}@{versions[k]}" for k in batch).encode()).hexdigest()[
        :16
    ]
    return f"enrichment:{batch[0]}..{batch[-1]}:{digest}"


@dg.sensor(
    name="enrichment_sensor",
    job=album_sync_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="New or changed album_enrichment rows: adds the albums' partitions and syncs "
    "exactly those albums, at most ALBUMSYNC_BATCH_SIZE per run.",
)
def enrichment_sensor(
    context: dg.SensorEvaluationContext, photo_db: PhotoDatabase, settings: AlbumSyncSettings
) -> dg.SensorResult:
    cursor = EnrichmentCursor.parse(context.cursor)
    changes, next_cursor = read_enrichment_changes(photo_db.get_engine(), cursor)
    if not changes:
        return dg.SensorResult(
            skip_reason="no new or changed enrichment", cursor=next_cursor.serialize()
        )
    versions = {c.album_key: c.version for c in changes}  # the latest version wins
    changed = list(versions)
    existing = list(context.instance.get_dynamic_partitions(ALBUMS))
    known = set(existing)
    missing = [k for k in changed if k not in known]
    order = existing + missing
    batches = batches_in_partition_order(order, changed, settings.get().batch_size)
    context.log.info(
        f"{len(changed)} album(s) with new enrichment ({len(missing)} new partitions): "
        f"{len(batches)} run(s)"
    )
    return dg.SensorResult(
        run_requests=album_sync_run_requests(
            order,
            batches,
            run_keys=[run_key_for(b, versions) for b in batches],
            tags={TRIGGER_TAG: "enrichment"},
        ),
        dynamic_partitions_requests=[albums_partitions.build_add_request(missing)]
        if missing
        else [],
        cursor=next_cursor.serialize(),
    )
