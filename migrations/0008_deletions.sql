-- Project deletions: DELETE /api/projects/:id tombstones the project (projects.deleted_at, 0007) and
-- records a deletion here; the maintenance actor's alarm removes its rows and objects in passes until
-- a pass finds nothing left (src/deletion/). The row outlives the project so its progress stays readable.
CREATE TABLE deletions (
  id TEXT PRIMARY KEY,                  -- the project's id: deleting twice is the same deletion
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  origin TEXT NOT NULL,                 -- the API origin: public-page cache keys and re-rendered URLs
  status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'complete')),
  passes INTEGER NOT NULL DEFAULT 0,
  removed_rows INTEGER NOT NULL DEFAULT 0,
  removed_objects INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  swept_at INTEGER,                     -- when the last pass ran
  finished_at INTEGER
);
CREATE INDEX idx_deletions_status ON deletions(status, updated_at);
