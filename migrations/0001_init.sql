-- Picasso backend: the initial schema. Times are integer milliseconds since the epoch.
-- D1 enforces foreign keys on every connection (PRAGMA foreign_keys is always ON there).

CREATE TABLE projects (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  description TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX idx_projects_updated_at ON projects(updated_at);
-- Keyset pagination orders by (updated_at DESC, id DESC).
CREATE INDEX idx_projects_updated_at_id ON projects(updated_at DESC, id DESC);

-- A job: one prompt fanned out to providers x variants.
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  session_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'complete', 'failed', 'cancelled')),
  kind TEXT NOT NULL DEFAULT 'generate',
  prompt TEXT NOT NULL,
  request_json TEXT NOT NULL,          -- the validated request (providers, variants, options)
  start_image_url TEXT,
  start_image_r2_key TEXT,
  parent_progression_id TEXT,
  metadata TEXT NOT NULL DEFAULT '{}', -- JSON: applied knowledge tips, refinement notes, ...
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX idx_jobs_project_created ON jobs(project_id, created_at);
CREATE INDEX idx_jobs_session ON jobs(session_id);

-- One task per provider x variant (and per judge-driven retry).
CREATE TABLE job_tasks (
  id TEXT PRIMARY KEY,
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  ordinal INTEGER NOT NULL,             -- position in the job: names the R2 original orig/{ordinal}
  provider TEXT NOT NULL CHECK (provider IN ('openai', 'gemini', 'workers', 'local')),
  variant_index INTEGER NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 0,
  parent_task_id TEXT REFERENCES job_tasks(id),
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'complete', 'failed', 'cancelled')),
  progression_id TEXT,
  skipped TEXT,                         -- 'duplicate' when a near-duplicate was not stored
  duplicate_of TEXT,                    -- the progression it matched
  error TEXT,
  started_at INTEGER,
  finished_at INTEGER,
  created_at INTEGER NOT NULL,
  refined_prompt TEXT,
  UNIQUE (job_id, provider, variant_index, attempt),
  UNIQUE (job_id, ordinal)
);
CREATE INDEX idx_job_tasks_job ON job_tasks(job_id);

CREATE TABLE image_progressions (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  parent_progression_id TEXT NULL REFERENCES image_progressions(id),
  start_image_url TEXT NULL,
  prompt TEXT NOT NULL,
  generated_image_url TEXT NOT NULL,
  original_image_r2_key TEXT NOT NULL,
  ai_provider TEXT NOT NULL,
  ai_notes TEXT NOT NULL DEFAULT '[]',  -- JSON array of strings
  ai_tags TEXT NOT NULL DEFAULT '[]',   -- JSON array of strings
  judgment TEXT NULL CHECK (judgment IN ('pass', 'fail')),
  created_at INTEGER NOT NULL,
  job_id TEXT REFERENCES jobs(id),
  task_id TEXT REFERENCES job_tasks(id),
  variant_index INTEGER,
  refined_prompt TEXT,
  phash TEXT,                           -- 64-bit perceptual hash, 16 hex chars
  content_type TEXT,
  provider_meta TEXT NOT NULL DEFAULT '{}', -- JSON: model, latency, mode ('offline' | 'live'), ...
  judge_meta TEXT NOT NULL DEFAULT '{}',    -- JSON: which judge ran, retry suggestion, ...
  FOREIGN KEY(project_id) REFERENCES projects(id)
);
CREATE INDEX idx_progressions_project_created ON image_progressions(project_id, created_at);
CREATE INDEX idx_progressions_project_phash ON image_progressions(project_id, phash);
CREATE INDEX idx_progressions_job ON image_progressions(job_id);

-- Idempotency-Key for job submission: one row per (project, key), enforced by the primary key.
CREATE TABLE idempotency_keys (
  project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  body_hash TEXT NOT NULL,
  job_id TEXT,
  response_status INTEGER,
  response_json TEXT,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (project_id, key)
);

CREATE TABLE artifacts (
  id TEXT PRIMARY KEY,
  owner_id TEXT,
  title TEXT NOT NULL,
  template_r2_key TEXT,
  content_r2_key TEXT,
  public_slug TEXT UNIQUE,
  created_at INTEGER NOT NULL,
  type TEXT NOT NULL DEFAULT 'lookbook',
  output TEXT NOT NULL DEFAULT 'html' CHECK (output IN ('html', 'pdf', 'json', 'video', 'csv', 'image')),
  status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
  content_type TEXT,
  content_etag TEXT,
  updated_at INTEGER NOT NULL
);
CREATE INDEX idx_artifacts_public_slug ON artifacts(public_slug);

CREATE TABLE project_artifacts (
  project_id TEXT NOT NULL,
  artifact_id TEXT NOT NULL,
  PRIMARY KEY (project_id, artifact_id),
  FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE CASCADE,
  FOREIGN KEY (artifact_id) REFERENCES artifacts(id) ON DELETE CASCADE
);

CREATE TABLE artifact_configurations (
  artifact_id TEXT NOT NULL,
  config_key TEXT NOT NULL,
  config_value TEXT,
  PRIMARY KEY (artifact_id, config_key),
  FOREIGN KEY (artifact_id) REFERENCES artifacts(id) ON DELETE CASCADE
);

-- One row per public view; id is the queue message id so redelivery never writes twice.
CREATE TABLE artifact_views (
  id TEXT PRIMARY KEY,
  artifact_id TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  ip_address TEXT,
  country TEXT,
  city TEXT,
  user_agent TEXT
);
CREATE INDEX idx_artifact_views_artifact_ts ON artifact_views(artifact_id, timestamp);

-- Provider tips; value is JSON: { "provider": "openai", "tip": "...", "append": "..." }.
CREATE TABLE knowledge_base (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
