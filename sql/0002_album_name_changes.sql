-- Audit trail of album-name changes; a 'pending' row is also the intent written before a
-- SmugMug rename, so a crash between the rename and the row update can be repaired.
CREATE TABLE IF NOT EXISTS album_name_changes (
    id bigserial PRIMARY KEY,
    album_key text NOT NULL,
    old_name text,
    new_name text,
    changed_at timestamptz NOT NULL DEFAULT now(),
    changed_by text NOT NULL DEFAULT 'system',
    source text NOT NULL DEFAULT 'manual',
    status text NOT NULL DEFAULT 'completed'
        CHECK (status IN ('pending', 'completed', 'failed')),
    smugmug_renamed text,
    rows_updated integer,
    error text,
    rollback_of bigint REFERENCES album_name_changes (id),
    completed_at timestamptz
);

CREATE INDEX IF NOT EXISTS idx_album_name_changes_album_key
    ON album_name_changes (album_key, changed_at DESC);
CREATE INDEX IF NOT EXISTS idx_album_name_changes_changed_at
    ON album_name_changes (changed_at DESC);
CREATE INDEX IF NOT EXISTS idx_album_name_changes_pending
    ON album_name_changes (album_key) WHERE status = 'pending';
