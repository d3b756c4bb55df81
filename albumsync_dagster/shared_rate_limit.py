"""SmugMug's rate limit held in PostgreSQL, so every process on one account shares it.

A token bucket in one row of ``smugmug_rate_limit`` per account. Taking a slot is one
statement: it refills the bucket for the time since the last take (at the caller's rate, up
to its burst), takes a token and returns the balance. A negative balance is a reservation: the
caller sleeps until its turn, outside any transaction, as :class:`RequestRateLimiter` does in
one process. A 429 or an exhausted ``X-RateLimit-Remaining`` moves ``paused_until``, which
holds every process back together. No session state is used, so a transaction-mode pooler
(PgBouncer, Supabase's port 6543) is fine.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from albumsync_dagster.smugmug import SmugMugClient

_TAKE = sa.text(
    """
    INSERT INTO smugmug_rate_limit AS b (account, tokens, refilled_at)
    VALUES (:account, :burst - 1, clock_timestamp())
    ON CONFLICT (account) DO UPDATE SET
        tokens = LEAST(CAST(:burst AS double precision),
                       b.tokens + :rate * EXTRACT(epoch FROM clock_timestamp() - b.refilled_at))
                 - 1,
        refilled_at = clock_timestamp()
    RETURNING tokens,
              GREATEST(0, EXTRACT(epoch FROM GREATEST(b.paused_until, clock_timestamp())
                                              - clock_timestamp())) AS paused_for
    """
)

_PAUSE = sa.text(
    """
    INSERT INTO smugmug_rate_limit AS b (account, tokens, refilled_at, paused_until)
    VALUES (:account, :burst, clock_timestamp(),
            clock_timestamp() + make_interval(secs => :seconds))
    ON CONFLICT (account) DO UPDATE SET
        paused_until = GREATEST(b.paused_until,
                                clock_timestamp() + make_interval(secs => :seconds))
    """
)


def share_rate_limit(client: SmugMugClient, engine: Engine) -> SmugMugClient:
    """Make ``client`` take its requests from the account's budget kept in ``engine``.

    A client without a rate limit (``SMUGMUG_REQUESTS_PER_SECOND=0``) is left as it is.
    """
    rate = client.requests_per_second
    if rate and not isinstance(client.limiter, SharedRateLimiter):
        client.use_limiter(SharedRateLimiter(engine, client.account_id, rate))
    return client


class SharedRateLimiter:
    """``requests_per_second`` on average for all processes together, bursts of ``burst``.

    Same interface as :class:`~albumsync_dagster.smugmug.ratelimit.RequestRateLimiter`
    (``acquire``, ``pause_for``); thread-safe (each call is its own transaction).
    """

    def __init__(
        self,
        engine: Engine,
        account: str,
        requests_per_second: float,
        *,
        burst: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if requests_per_second <= 0:
            raise ValueError("a shared rate limit needs requests_per_second > 0")
        self._engine = engine
        self._account = account
        self._rate = float(requests_per_second)
        # No bursts by default: one request every 1/rate seconds. A server counting requests
        # in fixed windows (SmugMug announces a whole-second X-RateLimit-Reset) then never
        # sees more than the rate in one window. With bursts of the rate, 10% of a first run's
        # requests at 5/s answered 429, each costing its Retry-After (bench/README.md).
        self._burst = float(burst if burst is not None else 1)
        self._sleep = sleep
        self._lock = threading.Lock()
        self.statements = 0  # round trips to PostgreSQL, for measurements

    @property
    def requests_per_second(self) -> float:
        return self._rate

    def acquire(self) -> float:
        """Wait for a slot of the account's budget; returns the seconds waited."""
        with self._engine.begin() as conn:
            row = conn.execute(
                _TAKE, {"account": self._account, "burst": self._burst, "rate": self._rate}
            ).one()
        with self._lock:
            self.statements += 1
        wait = max(float(row.paused_for), -float(row.tokens) / self._rate, 0.0)
        if wait > 0:
            self._sleep(wait)
        return wait

    def pause_for(self, seconds: float) -> None:
        """Hold every process's requests back for ``seconds`` from now."""
        if seconds <= 0:
            return
        with self._engine.begin() as conn:
            conn.execute(
                _PAUSE, {"account": self._account, "burst": self._burst, "seconds": seconds}
            )

    def __repr__(self) -> str:
        return (
            f"SharedRateLimiter(requests_per_second={self._rate:g}, burst={self._burst:g}, "
            "held in PostgreSQL)"
        )
