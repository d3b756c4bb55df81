-- The rename ledger's states, checked by the database (albumsync_dagster/name_changes.py
-- names them). 'unknown' status: SmugMug did not answer a PATCH clearly (time-out, reset,
-- 5xx after sending); the change is re-checked against SmugMug's name until recheck_until.
ALTER TABLE album_name_changes DROP CONSTRAINT IF EXISTS album_name_changes_status_check;
ALTER TABLE album_name_changes ADD CONSTRAINT album_name_changes_status_check
    CHECK (status IN ('pending', 'unknown', 'completed', 'failed'));

ALTER TABLE album_name_changes DROP CONSTRAINT IF EXISTS album_name_changes_smugmug_renamed_check;
ALTER TABLE album_name_changes ADD CONSTRAINT album_name_changes_smugmug_renamed_check
    CHECK (smugmug_renamed IN ('yes', 'no', 'unknown', 'accepted'));

ALTER TABLE album_name_changes ADD COLUMN IF NOT EXISTS recheck_until timestamptz;

-- Repair looks for every change still open, pending or unknown.
DROP INDEX IF EXISTS idx_album_name_changes_pending;
CREATE INDEX IF NOT EXISTS idx_album_name_changes_open
    ON album_name_changes (album_key) WHERE status IN ('pending', 'unknown');
