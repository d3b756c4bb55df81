-- The per-album rename mutex as a lease row (locks.album_mutex). A row, not a session
-- advisory lock: it excludes across processes through a transaction pooler (Supabase port
-- 6543, PgBouncer), where a session lock lands on whichever server connection the statement
-- got, and it outlives a dropped connection. A holder renews expires_at while it renames; a
-- process that dies leaves a row another takes over once expires_at has passed.
CREATE TABLE IF NOT EXISTS album_leases (
    album_key text PRIMARY KEY,
    owner text NOT NULL,
    acquired_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
