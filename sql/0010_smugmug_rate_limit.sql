-- SmugMug's request budget, shared by every process working on one account (two Dagster
-- runs, a CLI run beside them): a token bucket in one row per account. Each request takes
-- its token with one short UPDATE (no session lock, no SET), so it works through a
-- transaction-mode pooler; the database's clock is the one clock all processes share.
CREATE TABLE IF NOT EXISTS smugmug_rate_limit (
    account text PRIMARY KEY,
    tokens double precision NOT NULL,
    refilled_at timestamptz NOT NULL,
    paused_until timestamptz NOT NULL DEFAULT '-infinity'
);
