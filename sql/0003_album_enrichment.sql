-- Written by the AI enrichment pipeline; the enrichment sensor follows updated_at.
CREATE TABLE IF NOT EXISTS album_enrichment (
    album_key text PRIMARY KEY,
    teams text[],
    event_name text,
    sport_type text,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS idx_album_enrichment_updated_at
    ON album_enrichment (updated_at, album_key);
