"""The latest decision on each album (``album_decisions``): what a run did to it and why.

Every applying run (Dagster or the CLI) replaces the row of each album it decided on, with the
names it compared, the drift and its parts, the threshold and the reason in words. The album
report reads it so every album's story is one row; the renames themselves stay in the audit
trail (``album_name_changes``). Dry runs record nothing: they change nothing either.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine

from albumsync_dagster.connection_loss import database_failure, retry_on_connection_loss
from albumsync_dagster.naming import DriftExplanation, explain_drift
from albumsync_dagster.schema import album_decisions

# The workflow's steps record their decisions here: a failure is logged as the workflow's.
log = logging.getLogger("albumsync.workflow")

# How the dates of two names relate (naming.drift's relations), in a photographer's words.
DATE_RELATIONS = {
    "notation": "same date written another way",
    "narrower": "a range of days inside the event's",
    "extra": "a range of days inside the event's",
    "wider": "a less precise date",
    "incomplete": "one day of a several-day event",
    "overlap": "dates that only partly overlap",
    "missing": "no date",
    "wrong": "the wrong date",
}


@dataclass(frozen=True)
class Decision:
    """One album's decision: the action, the reason, and what it was decided from."""

    album_key: str
    action: str
    reason: str
    current_name: str | None = None
    canonical_name: str | None = None
    drift_score: int | None = None
    title_drift: float | None = None
    date_drift: int | None = None
    date_relation: str | None = None
    threshold: int | None = None
    decided_by: str = "albumsync"
    decided_at: datetime | None = None


def drift_parts(current: str | None, canonical: str | None) -> DriftExplanation | None:
    """The drift of ``current`` from ``canonical`` with its parts (None without both names)."""
    if current is None or canonical is None:
        return None
    return explain_drift(current, canonical)


def describe_drift(parts: DriftExplanation | None) -> str:
    """Which parts of the name differ, in words: ``title 15, the wrong date (+50)``."""
    if parts is None:
        return ""
    if parts.score == 0:
        return "identical"
    if parts.title_drift == 0 and parts.date_drift == 0:
        return "the same once case, dashes and 'vs' are ignored"
    said = []
    if parts.title_drift:
        said.append(f"title {parts.title_drift:g}")
    if parts.date_drift:
        said.append(
            f"{DATE_RELATIONS.get(parts.date_relation, parts.date_relation)} (+{parts.date_drift})"
        )
    return ", ".join(said)


def decision(
    album_key: str,
    action: str,
    reason: str,
    *,
    current_name: str | None,
    canonical_name: str | None,
    drift_score: int | None,
    threshold: int | None,
) -> Decision:
    """A decision with the drift's parts worked out from the two names."""
    parts = drift_parts(current_name, canonical_name)
    return Decision(
        album_key=album_key,
        action=action,
        reason=reason,
        current_name=current_name,
        canonical_name=canonical_name,
        drift_score=drift_score,
        title_drift=None if parts is None else parts.title_drift,
        date_drift=None if parts is None else parts.date_drift,
        date_relation=None if parts is None else parts.date_relation,
        threshold=threshold,
    )


def record_decisions(engine: Engine, decisions: Iterable[Decision], *, decided_by: str) -> None:
    """Replace each album's latest decision (one statement)."""
    rows = [
        {
            "album_key": d.album_key,
            "action": d.action,
            "reason": d.reason,
            "current_name": d.current_name,
            "canonical_name": d.canonical_name,
            "drift_score": d.drift_score,
            "title_drift": d.title_drift,
            "date_drift": d.date_drift,
            "date_relation": d.date_relation,
            "threshold": d.threshold,
            "decided_by": decided_by,
            "decided_at": sa.func.now(),
        }
        for d in {d.album_key: d for d in decisions}.values()
    ]
    if not rows:
        return
    stmt = insert(album_decisions).values(rows)
    with engine.begin() as conn:
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[album_decisions.c.album_key],
                set_={c: stmt.excluded[c] for c in rows[0] if c != "album_key"},
            )
        )


def latest_decisions(engine: Engine, album_keys: Sequence[str]) -> dict[str, Decision]:
    """The recorded decision of each album given (albums never decided on are absent)."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(album_decisions).where(album_decisions.c.album_key.in_(list(album_keys)))
        )
        return {
            r.album_key: Decision(
                album_key=r.album_key,
                action=r.action,
                reason=r.reason,
                current_name=r.current_name,
                canonical_name=r.canonical_name,
                drift_score=r.drift_score,
                title_drift=r.title_drift,
                date_drift=r.date_drift,
                date_relation=r.date_relation,
                threshold=r.threshold,
                decided_by=r.decided_by,
                decided_at=r.decided_at,
            )
            for r in rows
        }


def record_decisions_safely(
    engine: Engine, decisions: Sequence[Decision], *, decided_by: str
) -> None:
    """Record the batch's decisions for the album report; a database that keeps failing is
    logged, not raised: the renames and rows it reports on are already settled."""
    try:
        retry_on_connection_loss(
            lambda: record_decisions(engine, decisions, decided_by=decided_by),
            what="recording the batch's decisions",
        )
    except sa.exc.DBAPIError as exc:
        log.error("%s", database_failure(exc, "the batch's decisions were not recorded"))
