-- What the last finished sync of each album saw. `sync --all` (and the change sensor) work
-- only on albums where something moved since: SmugMug's record (LastUpdated, Name), its
-- images (ImagesLastUpdated, ImageCount: only then are the images read again), the
-- enrichment, the lock, or the decision's settings. Rows are written only when they change.
CREATE TABLE IF NOT EXISTS album_sync_state (
    album_key text PRIMARY KEY,
    images_last_updated timestamptz,   -- ImagesLastUpdated when smugmug_images was last read
    image_count integer,               -- ImageCount then
    images_read_at timestamptz,
    last_updated timestamptz,          -- LastUpdated the last finished sync saw
    name text,                         -- the Name it saw
    enrichment_updated_at timestamptz, -- album_enrichment.updated_at it used
    locked boolean,                    -- whether the album was locked then
    decided_with text,                 -- threshold, time zone, naming standard then
    synced_at timestamptz
);

-- Account-wide cursors: the last full listing (deletions are found there), the newest
-- LastUpdated seen by a sorted listing, the change sensor's position.
CREATE TABLE IF NOT EXISTS sync_cursors (
    name text PRIMARY KEY,
    position timestamptz,
    ran_at timestamptz NOT NULL DEFAULT now()
);
