-- Uploads (src/uploads/): image files an owner sent as bytes (POST /api/uploads), to use as start
-- images. The original is in R2 under r2_key (`uploads/{owner_id}/{id}`) with its sniffed content type.

CREATE TABLE uploads (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL,
  -- Lowercase hex SHA-256 of the bytes.
  sha256 TEXT NOT NULL,
  content_type TEXT NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  r2_key TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  -- The guarantee: the same bytes uploaded again by one owner (even concurrently) are one upload.
  UNIQUE (owner_id, sha256)
);
