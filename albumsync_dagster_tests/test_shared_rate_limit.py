"""One SmugMug budget for every process: the token bucket kept in PostgreSQL.

Two processes fetch albums at once, each allowed the account's whole rate; what reaches the
emulator (its request log, stamped on arrival) must stay within that one rate. And albums
fetched concurrently by one sync all arrive, under the same limit.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from albumsync_dagster.emulator import account_builder as ab
from albumsync_dagster.shared_rate_limit import SharedRateLimiter, share_rate_limit
from albumsync_dagster.smugmug import SmugMugClient
from albumsync_dagster.workflow import fetch_albums

RATE = 5.0  # requests per second for the account, no bursts: far below what the
PER_PROCESS = 15  # emulator serves, so only the limit spaces the requests

_FETCHER = textwrap.dedent(
    """
    import os, sys
    from albumsync_dagster.db import create_engine
    from albumsync_dagster.shared_rate_limit import share_rate_limit
    from albumsync_dagster.smugmug import SmugMugClient

    engine = create_engine(os.environ["ALBUMSYNC_DATABASE_URL"])
    client = share_rate_limit(SmugMugClient.from_env(), engine)
    for key in sys.argv[1:]:
        client.get_album(key)
    """
)


def most_in_any_window(times: list[float], rate: float, burst: float) -> float:
    """The largest excess of requests over ``burst + rate * window`` in any window."""
    times = sorted(times)
    worst = float("-inf")
    for i, start in enumerate(times):
        for j in range(i, len(times)):
            worst = max(worst, (j - i + 1) - (burst + rate * (times[j] - start)))
    return worst


def test_two_processes_share_one_budget(
    engine: Engine, database_url: str, smugmug_emulator_factory: Any
) -> None:
    keys = [f"Rl{i:04d}" for i in range(2 * PER_PROCESS)]
    emulator = smugmug_emulator_factory([ab.album(k, f"album {k}") for k in keys])
    env = {
        **emulator.env(),
        "ALBUMSYNC_DATABASE_URL": database_url,
        "SMUGMUG_REQUESTS_PER_SECOND": str(RATE),
    }
    halves = [keys[:PER_PROCESS], keys[PER_PROCESS:]]
    processes = [
        subprocess.Popen([sys.executable, "-c", _FETCHER, *half], env=env, stderr=subprocess.PIPE)
        for half in halves
    ]
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()[-2000:]

    arrivals = [e for e in emulator.log.entries() if e.path.startswith("/api/v2/album/")]
    assert len(arrivals) == 2 * PER_PROCESS
    first, second = ({e.at for e in arrivals if e.path.rsplit("/", 1)[-1] in h} for h in halves)
    # The two really ran at the same time: their requests interleave.
    assert min(second) < max(first) and min(first) < max(second)
    # Allowing one request of slack for arrival jitter, never more than the one budget.
    assert most_in_any_window([e.at for e in arrivals], RATE, 1.0) <= 1.0
    # Each alone would send its 15 in 2 s (5 at once, then 5 a second): together, 5 s.
    assert max(e.at for e in arrivals) - min(e.at for e in arrivals) >= 4.5


def test_a_pause_holds_every_process_back(engine: Engine) -> None:
    waits: list[float] = []
    one = SharedRateLimiter(engine, "acct", 1000.0, sleep=waits.append)
    other = SharedRateLimiter(engine, "acct", 1000.0, sleep=waits.append)
    one.acquire()
    assert waits == []
    one.pause_for(5.0)  # say SmugMug answered 429 with Retry-After: 5
    other.acquire()
    assert 4.0 < waits[-1] <= 5.0
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM smugmug_rate_limit")).scalar_one() == 1


def test_concurrent_fetches_under_the_shared_limit(
    engine: Engine, smugmug_emulator_factory: Any
) -> None:
    keys = [f"Cf{i:04d}" for i in range(12)]
    emulator = smugmug_emulator_factory([ab.album(k, f"album {k}", ab.images(k, 3)) for k in keys])
    with SmugMugClient.from_env(emulator.env(), requests_per_second=50.0) as client:
        share_rate_limit(client, engine)
        assert isinstance(client.limiter, SharedRateLimiter)
        outcome = fetch_albums(engine, client, keys, max_concurrency=4)
    assert sorted(outcome.albums) == keys and outcome.errors == {}
    assert outcome.image_counts == {k: 3 for k in keys}
    assert emulator.log.count("GET", path_contains="!images") == len(keys)
