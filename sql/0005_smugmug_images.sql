-- Capture times of each album's images as last fetched from SmugMug: the canonical name
-- is computed from them, and the backfill finds an image's home album here.
CREATE TABLE IF NOT EXISTS smugmug_images (
    album_key text NOT NULL,
    image_key text NOT NULL,
    date_time_original timestamptz,
    origin text,
    fetched_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (album_key, image_key)
);

CREATE INDEX IF NOT EXISTS idx_smugmug_images_image_key ON smugmug_images (image_key);
