-- Snapshot of the SmugMug account's albums, refreshed by the catalog.
CREATE TABLE IF NOT EXISTS smugmug_albums (
    album_key text PRIMARY KEY,
    name text,
    url_name text,
    image_count integer,
    album_date timestamptz,
    last_updated timestamptz,
    images_last_updated timestamptz,
    seen_at timestamptz NOT NULL DEFAULT now(),
    gone_at timestamptz
);

-- Every canonical-name computation, so drift can be followed over time.
CREATE TABLE IF NOT EXISTS canonical_name_history (
    id bigserial PRIMARY KEY,
    album_key text NOT NULL,
    current_name text,
    canonical_name text,
    drift_score integer CHECK (drift_score BETWEEN 0 AND 100),
    photo_count integer,
    dated_photo_count integer,
    computed_at timestamptz NOT NULL DEFAULT now(),
    details jsonb
);

CREATE INDEX IF NOT EXISTS idx_canonical_name_history_album
    ON canonical_name_history (album_key, computed_at DESC);

-- Albums never to be renamed by the pipeline (a person's choice, or an operator's lock).
CREATE TABLE IF NOT EXISTS album_locks (
    album_key text PRIMARY KEY,
    reason text NOT NULL,
    locked_by text NOT NULL DEFAULT 'system',
    locked_at timestamptz NOT NULL DEFAULT now()
);
