"""Rename proposals a person reviews before letting a large change through.

One row per album: its key, current name, proposed (canonical) name, drift, the parts of the
name that differ (``prefix missing → HS Girls VB; date Sep 22 → 09-22-2026``), whether the
daily rename budget would defer it, and the action the run took or would take. Written as CSV
by ``albumsync sync --dry-run --csv FILE`` and shown as a table in the Dagster check's metadata.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from albumsync_dagster.outcomes import DEFERRED, AlbumOutcome

COLUMNS = (
    "album_key",
    "current_name",
    "proposed_name",
    "drift_score",
    "parts_that_differ",
    "deferred_by_budget",
    "action",
    "reason",
)


@dataclass(frozen=True)
class Proposal:
    """One album's row."""

    album_key: str
    current_name: str
    proposed_name: str
    drift_score: int | None
    parts_that_differ: str
    deferred_by_budget: bool
    action: str
    reason: str

    def as_row(self) -> tuple[str, ...]:
        """The row as CSV cells, in :data:`COLUMNS` order."""
        return (
            self.album_key,
            self.current_name,
            self.proposed_name,
            "" if self.drift_score is None else str(self.drift_score),
            self.parts_that_differ,
            "yes" if self.deferred_by_budget else "no",
            self.action,
            self.reason,
        )


def proposal(
    album_key: str,
    current_name: str | None,
    canonical_name: str | None,
    drift_score: int | None,
    differences: Iterable[str],
    action: str,
    reason: str,
) -> Proposal:
    """One album's proposal: what the run found, and what it did or would do."""
    return Proposal(
        album_key=album_key,
        current_name=current_name or "",
        proposed_name=canonical_name or "",
        drift_score=drift_score,
        parts_that_differ="; ".join(differences),
        deferred_by_budget=action == DEFERRED,
        action=action,
        reason=reason,
    )


def proposals(outcomes: Iterable[AlbumOutcome]) -> list[Proposal]:
    """A proposal per album outcome, in the order given."""
    return [
        proposal(
            o.album_key,
            o.current_name,
            o.canonical_name,
            o.drift_score,
            o.differences,
            o.action,
            o.reason,
        )
        for o in outcomes
    ]


def write_csv(path: Path, rows: Iterable[Proposal]) -> int:
    """Write the proposals to ``path`` (UTF-8, a header row); the number of albums written."""
    count = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow(row.as_row())
            count += 1
    return count
