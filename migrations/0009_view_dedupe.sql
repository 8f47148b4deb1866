-- Honest view counts (src/views/): one view per visitor per artifact per UTC day, daily salts for
-- the visitor hash, and raw rows past the retention period folded into daily counts per country.

-- The salted visitor hash (never the salt or the address) and the UTC day (YYYY-MM-DD) of the view.
-- Rows written before this migration have neither and stay as they are.
ALTER TABLE artifact_views ADD COLUMN visitor TEXT;
ALTER TABLE artifact_views ADD COLUMN day TEXT;
-- The guarantee: a repeated or redelivered view of the same visitor on the same day writes nothing.
CREATE UNIQUE INDEX idx_artifact_views_visitor_day ON artifact_views(artifact_id, visitor, day)
  WHERE visitor IS NOT NULL;
-- Retention walks the oldest rows first.
CREATE INDEX idx_artifact_views_timestamp ON artifact_views(timestamp, id);

-- One random salt per UTC day; the first isolate to ask makes it, the others read it back.
-- Deleted the day after, so old visitor hashes can no longer be linked to an address.
CREATE TABLE view_salts (
  day TEXT PRIMARY KEY,
  salt TEXT NOT NULL
);

-- Raw views past VIEW_RETENTION_DAYS, folded: the count per artifact, UTC day and country
-- ('unknown' when the country was not known).
CREATE TABLE artifact_view_daily (
  artifact_id TEXT NOT NULL,
  day TEXT NOT NULL,
  country TEXT NOT NULL,
  views INTEGER NOT NULL CHECK (views >= 0),
  PRIMARY KEY (artifact_id, day, country)
);
