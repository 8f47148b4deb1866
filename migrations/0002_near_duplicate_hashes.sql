-- Near-duplicate detection (src/lib/near-duplicate): each progression's fingerprint, and its pHash bands
-- so a lookup reads only the progressions that share a band with the new image, never a whole project.
-- image_progressions.phash stays as it is: it is the API's 64-bit pHash, not the fingerprint.

CREATE TABLE image_fingerprints (
  progression_id TEXT PRIMARY KEY REFERENCES image_progressions(id) ON DELETE CASCADE,
  project_id TEXT NOT NULL,
  version INTEGER NOT NULL,             -- FINGERPRINT_VERSION that computed it; others never match
  hashes TEXT NOT NULL                  -- JSON: { version, views: { full: { phash, phashMask, gradient, gradientMask, cells }, ... } }
);

-- One row per distinct band of the fingerprint's views: band_key = version << 20 | band << 16 | 16-bit value.
-- The primary key is the lookup index: project first, then the probed keys.
CREATE TABLE image_fingerprint_bands (
  project_id TEXT NOT NULL,
  band_key INTEGER NOT NULL,
  progression_id TEXT NOT NULL REFERENCES image_fingerprints(progression_id) ON DELETE CASCADE,
  PRIMARY KEY (project_id, band_key, progression_id)
) WITHOUT ROWID;
-- For the cascade when a progression (and so its fingerprint) is deleted.
CREATE INDEX idx_fingerprint_bands_progression ON image_fingerprint_bands(progression_id);

-- A task skipped as a near-duplicate says what decided it (duplicate_of names the match): JSON
-- { phash, gradient, cells }, the distances of the best-aligned views (findNearDuplicate's result).
ALTER TABLE job_tasks ADD COLUMN duplicate_distances TEXT;
