-- The level-event-date naming standard's prefix (NAMING.md): level (high_school, middle_school,
-- college, club) and division (girls, boys, womens, mens, coed), written by the AI pipeline.
ALTER TABLE album_enrichment ADD COLUMN IF NOT EXISTS level text;
ALTER TABLE album_enrichment ADD COLUMN IF NOT EXISTS division text;
