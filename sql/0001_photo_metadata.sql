-- The seed's photo table. Created only when missing: an existing table of this shape
-- (made by the AI enrichment pipeline on Supabase) is used as it is.
CREATE TABLE IF NOT EXISTS photo_metadata (
    photo_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    image_key text UNIQUE NOT NULL,
    album_key text,
    album_name text,
    ImageUrl text,
    ThumbnailUrl text,
    sport_type text,
    photo_date timestamp,
    updated_at timestamp DEFAULT now()
);

-- Partial: rows without an album key are never looked up by key.
CREATE INDEX IF NOT EXISTS idx_photo_metadata_album_key
    ON photo_metadata (album_key) WHERE album_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_photo_metadata_album_key_name
    ON photo_metadata (album_key, album_name) WHERE album_key IS NOT NULL;

-- album_key is NOT filled here from ImageUrl: the i-XXXX segment of a SmugMug photo URL is
-- the image key, not the album key. `albumsync backfill-album-keys` fills it from SmugMug.
