-- The latest decision on each album (what the last applying run did to it and why), so the
-- album report can show every album's story in one table without reading Dagster's event log.
-- One row per album, replaced by each run that decides on it; the audit trail of renames
-- stays in album_name_changes.
CREATE TABLE IF NOT EXISTS album_decisions (
    album_key text PRIMARY KEY,
    action text NOT NULL,
    reason text NOT NULL,
    current_name text,
    canonical_name text,
    drift_score integer CHECK (drift_score BETWEEN 0 AND 100),
    title_drift real,
    date_drift integer,
    date_relation text,
    threshold integer,
    decided_by text NOT NULL,
    decided_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS idx_album_decisions_decided_at ON album_decisions (decided_at DESC);
