-- The artifact output vocabulary gains 'text' (the seed-replay script serves text/plain, not HTML).
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt. Dropping it would cascade
-- to its children (project links, configurations, comments, votes: ON DELETE CASCADE fires even with
-- deferred foreign keys), so they are copied aside first and put back after the rename.
PRAGMA defer_foreign_keys = on;

CREATE TABLE keep_project_artifacts AS SELECT * FROM project_artifacts;
CREATE TABLE keep_artifact_configurations AS SELECT * FROM artifact_configurations;
CREATE TABLE keep_artifact_comments AS SELECT * FROM artifact_comments;
CREATE TABLE keep_artifact_votes AS SELECT * FROM artifact_votes;

CREATE TABLE artifacts_next (
  id TEXT PRIMARY KEY,
  owner_id TEXT,
  title TEXT NOT NULL,
  template_r2_key TEXT,
  content_r2_key TEXT,
  public_slug TEXT UNIQUE,
  created_at INTEGER NOT NULL,
  type TEXT NOT NULL DEFAULT 'lookbook',
  output TEXT NOT NULL DEFAULT 'html' CHECK (output IN ('html', 'pdf', 'json', 'video', 'csv', 'image', 'text')),
  status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
  content_type TEXT,
  content_etag TEXT,
  updated_at INTEGER NOT NULL
);
INSERT INTO artifacts_next (id, owner_id, title, template_r2_key, content_r2_key, public_slug, created_at, type,
  output, status, content_type, content_etag, updated_at)
SELECT id, owner_id, title, template_r2_key, content_r2_key, public_slug, created_at, type,
  CASE WHEN type = 'seed-replay-script' THEN 'text' ELSE output END, status, content_type, content_etag, updated_at
FROM artifacts;
DROP TABLE artifacts;
ALTER TABLE artifacts_next RENAME TO artifacts;
CREATE INDEX idx_artifacts_public_slug ON artifacts(public_slug);
CREATE INDEX idx_artifacts_owner ON artifacts(owner_id, created_at);

INSERT INTO project_artifacts SELECT * FROM keep_project_artifacts;
INSERT INTO artifact_configurations SELECT * FROM keep_artifact_configurations;
INSERT INTO artifact_comments SELECT * FROM keep_artifact_comments;
INSERT INTO artifact_votes SELECT * FROM keep_artifact_votes;
DROP TABLE keep_project_artifacts;
DROP TABLE keep_artifact_configurations;
DROP TABLE keep_artifact_comments;
DROP TABLE keep_artifact_votes;

PRAGMA defer_foreign_keys = off;
