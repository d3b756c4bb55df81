"""The album report: every album of the account in one table, what needs a person first.

One row per album SmugMug still has: its SmugMug name, canonical name, drift (with the parts
that differ), the latest decision on it and why (``album_decisions``), whether it is locked,
its last rename (from the audit trail, so a rename stays visible after later runs keep the
name), how many of its photo rows carry SmugMug's name, and which other copies of its name
(``ALBUMSYNC_NAME_COPIES``, attached to the engine) carry another. Rows are ordered by what needs a
person (:data:`ATTENTION`), then by the most recent change. No Dagster here: the
``album_sync_report`` asset and the command line show what :func:`build_album_report` returns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from albumsync_dagster.decisions import DATE_RELATIONS
from albumsync_dagster.name_changes import SmugMugRenamed, Status
from albumsync_dagster.name_copies import disagreeing_copies
from albumsync_dagster.rename_budget import renames_in_window

NOT_SYNCED = "not synced yet"  # the action of an album no applying run has decided on
DEFAULT_LIMIT = 2_000

# What needs a person, most urgent first (the report's order).
FAILED = "failed"
DEFERRED = "deferred"
PERSON_RENAMED = "renamed by a person, locked"
HIGH_DRIFT = "drift over the threshold, not renamed"
NO_CANONICAL = "no canonical name"
ATTENTION = (FAILED, DEFERRED, PERSON_RENAMED, HIGH_DRIFT, NO_CANONICAL)

# Drift histogram buckets: (label, lowest, highest).
DRIFT_BUCKETS = (
    ("0", 0, 0),
    ("1-10", 1, 10),
    ("11-20", 11, 20),
    ("21-40", 21, 40),
    ("41-60", 41, 60),
    ("61-80", 61, 80),
    ("81-100", 81, 100),
)

# One statement; the laterals use the (album_key, ... DESC) indexes of the history and audit
# tables, the photo rows are counted in one grouped pass.
_REPORT = sa.text(
    """
    WITH photo_rows AS (
        SELECT p.album_key,
               count(*) AS photo_rows,
               count(*) FILTER (WHERE p.album_name IS NOT DISTINCT FROM s.name) AS agreeing
        FROM photo_metadata p
        JOIN smugmug_albums s ON s.album_key = p.album_key AND s.gone_at IS NULL
        WHERE p.album_key IS NOT NULL
        GROUP BY p.album_key
    ), albums AS (
        SELECT s.album_key,
               s.name AS smugmug_name,
               coalesce(d.canonical_name, h.canonical_name) AS canonical_name,
               CASE WHEN d.album_key IS NULL THEN h.drift_score ELSE d.drift_score END
                   AS drift_score,
               d.title_drift, d.date_drift, d.date_relation,
               coalesce(d.action, :not_synced) AS action,
               coalesce(d.reason, '') AS reason,
               d.threshold AS decided_threshold,
               d.decided_at,
               l.album_key IS NOT NULL AS locked,
               l.reason AS lock_reason,
               r.changed_at AS last_renamed_at,
               r.old_name AS last_renamed_from,
               r.new_name AS last_renamed_to,
               EXISTS (
                   SELECT 1 FROM album_name_changes c
                   WHERE c.album_key = s.album_key AND c.smugmug_renamed = :accepted
               ) AS person_renamed,
               coalesce(pr.photo_rows, 0) AS photo_rows,
               coalesce(pr.agreeing, 0) AS rows_in_agreement
        FROM smugmug_albums s
        LEFT JOIN album_decisions d ON d.album_key = s.album_key
        LEFT JOIN album_locks l ON l.album_key = s.album_key
        LEFT JOIN photo_rows pr ON pr.album_key = s.album_key
        LEFT JOIN LATERAL (
            SELECT h.canonical_name, h.drift_score FROM canonical_name_history h
            WHERE h.album_key = s.album_key AND d.album_key IS NULL
            ORDER BY h.computed_at DESC, h.id DESC LIMIT 1
        ) h ON true
        LEFT JOIN LATERAL (
            SELECT c.changed_at, c.old_name, c.new_name FROM album_name_changes c
            WHERE c.album_key = s.album_key AND c.status = :completed
              AND c.smugmug_renamed = :yes
            ORDER BY c.changed_at DESC, c.id DESC LIMIT 1
        ) r ON true
        WHERE s.gone_at IS NULL
    )
    SELECT *,
           CASE
               WHEN action = 'failed' OR rows_in_agreement < photo_rows THEN 0
               WHEN action = 'deferred' THEN 1
               WHEN action = 'human_renamed' OR (locked AND person_renamed) THEN 2
               WHEN drift_score > :threshold AND action <> 'renamed'
                    AND canonical_name IS DISTINCT FROM smugmug_name THEN 3
               WHEN canonical_name IS NULL AND action <> :not_synced THEN 4
           END AS attention_rank
    FROM albums
    ORDER BY attention_rank NULLS LAST, last_renamed_at DESC NULLS LAST,
             decided_at DESC NULLS LAST, album_key
    """
)
_GONE = sa.text("SELECT count(*) FROM smugmug_albums WHERE gone_at IS NOT NULL")


@dataclass(frozen=True)
class AlbumReportRow:
    """One album in the report (the CSV's and the Dagster table's columns, in this order)."""

    album_key: str
    smugmug_name: str | None
    canonical_name: str | None
    drift_score: int | None
    action: str
    reason: str
    locked: bool
    last_renamed_at: datetime | None
    last_renamed_from: str | None
    rows: int
    rows_in_agreement: int
    copies_disagreeing: str  # name copies carrying another name, comma-separated ("": none)
    attention: str | None
    decided_at: datetime | None

    @property
    def needs_a_person(self) -> bool:
        return self.attention is not None


REPORT_COLUMNS = tuple(f.name for f in fields(AlbumReportRow))


@dataclass(frozen=True)
class AlbumReport:
    """The whole account: counts, a bounded list of rows, where the full list was written."""

    threshold: int
    max_renames_per_day: int
    albums: int  # on SmugMug now
    gone_albums: int
    actions: dict[str, int]  # latest decision -> albums
    attention: dict[str, int]  # ATTENTION category -> albums
    renamed_last_24h: int
    drift_histogram: list[tuple[str, int]]  # (bucket, albums); albums with a drift only
    rows: list[AlbumReportRow]  # what needs a person first, then the most recent changes
    csv_path: Path | None = None
    every_row: list[AlbumReportRow] = field(default_factory=list, repr=False)

    @property
    def budget_left(self) -> int:
        """Renames SmugMug may still take in the rolling 24 h (ALBUMSYNC_MAX_RENAMES_PER_DAY)."""
        return max(0, self.max_renames_per_day - self.renamed_last_24h)

    @property
    def truncated(self) -> bool:
        return len(self.rows) < self.albums

    @property
    def needing_a_person(self) -> int:
        return sum(self.attention.values())


def reason_with_parts(row: sa.Row) -> str:
    """The decision's reason, then the parts of the name that differ (title, date)."""
    reason = row.reason
    if row.action == NOT_SYNCED:
        reason = "no applying run has decided on it yet"
    parts = []
    if row.title_drift:
        parts.append(f"title {row.title_drift:g}")
    if row.date_drift:
        relation = DATE_RELATIONS.get(row.date_relation, row.date_relation)
        parts.append(f"{relation} (+{row.date_drift})")
    if parts and row.drift_score is not None:
        return f"{reason}: {', '.join(parts)}" if reason else ", ".join(parts)
    return reason


def _row(record: sa.Row, copies: Sequence[str] = ()) -> AlbumReportRow:
    rank = record.attention_rank
    if copies:  # out of agreement, as rows that disagree are
        rank = 0
    return AlbumReportRow(
        album_key=record.album_key,
        smugmug_name=record.smugmug_name,
        canonical_name=record.canonical_name,
        drift_score=record.drift_score,
        action=record.action,
        reason=reason_with_parts(record),
        locked=bool(record.locked),
        last_renamed_at=record.last_renamed_at,
        last_renamed_from=record.last_renamed_from,
        rows=int(record.photo_rows),
        rows_in_agreement=int(record.rows_in_agreement),
        copies_disagreeing=", ".join(copies),
        attention=None if rank is None else ATTENTION[rank],
        decided_at=record.decided_at,
    )


def drift_histogram(drifts: Sequence[int | None]) -> list[tuple[str, int]]:
    """Albums per drift bucket (albums with no drift, i.e. no canonical name, left out)."""
    counts = Counter(
        label
        for d in drifts
        if d is not None
        for label, low, high in DRIFT_BUCKETS
        if low <= d <= high
    )
    return [(label, counts.get(label, 0)) for label, _, _ in DRIFT_BUCKETS]


def build_album_report(
    engine: Engine,
    *,
    threshold: int,
    max_renames_per_day: int,
    limit: int = DEFAULT_LIMIT,
    csv_path: Path | None = None,
) -> AlbumReport:
    """Every album of the account; ``rows`` bounded to ``limit`` (needs-a-person first).

    With ``csv_path`` every row is written there as CSV (through pandas), so a report of
    100,000 albums stays readable in the UI and complete on disk.
    """
    with engine.connect() as conn:
        states = {
            "completed": Status.COMPLETED.value,
            "yes": SmugMugRenamed.YES.value,
            "accepted": SmugMugRenamed.ACCEPTED.value,
        }
        records = conn.execute(
            _REPORT, {"threshold": threshold, "not_synced": NOT_SYNCED, **states}
        ).all()
        renamed = renames_in_window(conn)  # as the budget counts them
        gone = int(conn.execute(_GONE).scalar_one())
        copies = disagreeing_copies(conn)
    rows = [_row(r, copies.get(r.album_key, ())) for r in records]
    if copies:  # albums out of agreement only through a copy move up (the order is stable)
        rows.sort(
            key=lambda r: len(ATTENTION) if r.attention is None else ATTENTION.index(r.attention)
        )
    if csv_path is not None:
        write_csv(rows, csv_path)
    return AlbumReport(
        threshold=threshold,
        max_renames_per_day=max_renames_per_day,
        albums=len(rows),
        gone_albums=gone,
        actions=dict(Counter(r.action for r in rows).most_common()),
        attention={a: n for a in ATTENTION if (n := sum(r.attention == a for r in rows))},
        renamed_last_24h=renamed,
        drift_histogram=drift_histogram([r.drift_score for r in rows]),
        rows=rows[:limit],
        csv_path=csv_path,
        every_row=rows,
    )


def report_frame(rows: Sequence[AlbumReportRow]):  # -> pandas.DataFrame
    """The rows as a pandas frame, columns as :data:`REPORT_COLUMNS`."""
    import pandas as pd

    return pd.DataFrame([asdict(r) for r in rows], columns=list(REPORT_COLUMNS))


def write_csv(rows: Sequence[AlbumReportRow], path: Path) -> None:
    """Write every row as CSV (UTF-8, header first); replaced whole, never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    report_frame(rows).to_csv(partial, index=False)
    partial.replace(path)


@dataclass(frozen=True)
class PhotoRowCounts:
    """The photo table against the SmugMug snapshot; the parts add up to ``total``."""

    total: int
    of_albums_on_smugmug: int  # rows whose album key is an album SmugMug has
    agreeing: int  # of those, rows carrying SmugMug's name
    of_other_album_keys: int  # rows whose album key SmugMug does not have
    other_album_keys: int
    without_album_key: int
    albums_on_smugmug: int
    albums_with_rows: int  # albums on SmugMug with at least one row

    @property
    def disagreeing(self) -> int:
        return self.of_albums_on_smugmug - self.agreeing


_PHOTO_ROW_COUNTS = sa.text(
    """
    SELECT count(*) AS total,
           count(s.album_key) AS of_albums_on_smugmug,
           count(*) FILTER (WHERE s.album_key IS NOT NULL
                            AND p.album_name IS NOT DISTINCT FROM s.name) AS agreeing,
           count(*) FILTER (WHERE p.album_key IS NOT NULL AND s.album_key IS NULL)
               AS of_other_album_keys,
           count(DISTINCT p.album_key) FILTER (WHERE s.album_key IS NULL) AS other_album_keys,
           count(*) FILTER (WHERE p.album_key IS NULL) AS without_album_key,
           (SELECT count(*) FROM smugmug_albums WHERE gone_at IS NULL) AS albums_on_smugmug,
           count(DISTINCT s.album_key) AS albums_with_rows
    FROM photo_metadata p
    LEFT JOIN smugmug_albums s ON s.album_key = p.album_key AND s.gone_at IS NULL
    """
)


def photo_row_counts(engine: Engine) -> PhotoRowCounts:
    """How the photo rows stand against SmugMug, in one pass over the table."""
    with engine.connect() as conn:
        row = conn.execute(_PHOTO_ROW_COUNTS).one()
    return PhotoRowCounts(**{k: int(v) for k, v in row._mapping.items()})
