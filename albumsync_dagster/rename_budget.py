"""The daily rename budget: at most N renames on SmugMug in any 24 hours, all processes together.

One normalisation run once renamed every album of an account at once; the budget
(``ALBUMSYNC_MAX_RENAMES_PER_DAY``, default 100) keeps a large change to a pace a person can
follow. It is counted from the ledger (``album_name_changes``), so every process and every
Dagster run shares it: a rename counts from the moment its intent is written (pending or
unknown, SmugMug may already carry it) and stays counted for 24 hours once SmugMug confirmed
it; a refused rename stops counting.

Taking a slot and writing the intent happen in one short transaction that holds
``pg_advisory_xact_lock`` on one key: two runs cannot both see the last free slot. The lock
is transaction-scoped, so it is safe through a transaction-mode pooler (PgBouncer, Supabase
port 6543) and released by the commit or rollback, never left behind by a crashed process.
An album over the budget is ``deferred``: its rows still follow SmugMug, and a later run
renames it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from albumsync_dagster.name_changes import OPEN, SmugMugRenamed
from albumsync_dagster.schema import album_name_changes as changes

WINDOW = sa.text("interval '24 hours'")
# pg_advisory_xact_lock's key for the budget: "albumsync rename budget" in one bigint.
BUDGET_LOCK_KEY = 0x616C62_72656E6D


def deferred_reason(limit: int) -> str:
    """What a person reads for an album the budget deferred."""
    return f"daily rename budget of {limit} reached; renamed on a later run"


@dataclass(frozen=True)
class RenameBudget:
    """The budget as it stands: ``used`` of ``limit`` renames in the last 24 hours."""

    limit: int
    used: int

    @property
    def left(self) -> int:
        """Renames the budget allows now."""
        return max(0, self.limit - self.used)

    def describe(self) -> str:
        """``the daily rename budget allows 97 more now (3 of 100 used in the last 24 h)``."""
        return (
            f"the daily rename budget allows {self.left} more now"
            f" ({self.used} of {self.limit} used in the last 24 h)"
        )


# In flight or unanswered (SmugMug may carry it), or confirmed.
_COUNTED = sa.or_(
    changes.c.status.in_(OPEN),
    changes.c.smugmug_renamed.in_((SmugMugRenamed.YES, SmugMugRenamed.UNKNOWN)),
)


def renames_in_window(bind: Engine | Connection) -> int:
    """Renames on SmugMug in the last 24 hours (confirmed, in flight or unanswered)."""
    statement = (
        sa.select(sa.func.count())
        .select_from(changes)
        .where(changes.c.changed_at > sa.func.now() - WINDOW, _COUNTED)
    )
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return int(conn.execute(statement).scalar_one())
    return int(bind.execute(statement).scalar_one())


def rename_budget(engine: Engine, limit: int) -> RenameBudget:
    """How the budget stands now (what a dry run reports)."""
    return RenameBudget(limit, renames_in_window(engine))


@contextmanager
def rename_slot(engine: Engine, limit: int | None) -> Iterator[Connection | None]:
    """A transaction holding the budget: yields its connection when a rename fits (write the
    intent on it before leaving), None when the budget is spent. ``limit`` None: no budget,
    a plain transaction."""
    with engine.begin() as conn:
        if limit is None:
            yield conn
            return
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(BUDGET_LOCK_KEY)))
        yield conn if renames_in_window(conn) < limit else None


class PlannedBudget:
    """A dry run's budget: slots handed out across the batches of one command."""

    def __init__(self, budget: RenameBudget) -> None:
        self.budget = budget
        self.planned = 0

    def take(self) -> bool:
        """True while the budget allows one more rename in this plan."""
        if self.planned >= self.budget.left:
            return False
        self.planned += 1
        return True
