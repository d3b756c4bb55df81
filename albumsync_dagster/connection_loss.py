"""A database connection lost in the middle of a run: recognise it, go on with a new one.

PostgreSQL can drop a connection at any moment (a restart, a pooler recycling it, an operator's
``pg_terminate_backend``). The statement running on it fails and its transaction is rolled
back, so a step that is one transaction can run again; SQLAlchemy invalidates the dead
connection and ``pool_pre_ping`` checks every connection handed out after it. A step is tried
at most :data:`MAX_ATTEMPTS` times; what is still failing then is reported in one line naming
the server's reason (never the statement or its parameters, which ``str()`` of a SQLAlchemy
error would print); the full error goes to the log at DEBUG.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa

from albumsync_dagster.db import database_error_reason

log = logging.getLogger("albumsync.database")

MAX_ATTEMPTS = 3
_PAUSE_SECONDS = 0.2  # before a new attempt, doubled each time: a restarting server gets a moment

T = TypeVar("T")

_STEP = "albumsync_step"  # attribute naming the step on an error given up on


def connection_lost(exc: BaseException) -> bool:
    """Whether ``exc`` is a database error that cost us the connection it ran on."""
    return isinstance(exc, sa.exc.DBAPIError) and bool(exc.connection_invalidated)


def database_failure(exc: sa.exc.SQLAlchemyError, what: str | None = None) -> str:
    """One line for a person: what failed and the server's reason; detail to the log.

    ``what`` defaults to the step :func:`retry_on_connection_loss` gave up on, if any.
    """
    what = what or getattr(exc, _STEP, None) or "database"
    log.debug("%s failed", what, exc_info=exc)
    if connection_lost(exc):
        return f"{what}: the database connection was lost ({database_error_reason(exc)})"
    return f"{what}: {database_error_reason(exc)}"


def retry_on_connection_loss(step: Callable[[], T], *, what: str) -> T:
    """Run ``step`` (one transaction), again on a new connection when its connection is lost.

    Any other database error, and a loss on the last attempt, is raised unchanged.
    """
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            return step()
        except sa.exc.DBAPIError as exc:
            if not connection_lost(exc) or attempt == MAX_ATTEMPTS:
                if not hasattr(exc, _STEP):
                    setattr(exc, _STEP, what)
                raise
            log.warning(
                "%s: database connection lost (%s); trying again on a new connection (%d/%d)",
                what,
                database_error_reason(exc),
                attempt,
                MAX_ATTEMPTS - 1,
            )
            log.debug("%s: connection lost", what, exc_info=exc)
            time.sleep(_PAUSE_SECONDS * 2 ** (attempt - 1))
    raise AssertionError("unreachable")  # the loop returns or raises


__all__ = ["MAX_ATTEMPTS", "connection_lost", "database_failure", "retry_on_connection_loss"]
