-- Who may see what: owners (tenants), their scoped API keys, and an owner on every project, job and artifact.
-- The keys in the API_KEYS secret are the deployment's root keys; they act as the owner 'default',
-- which every row made before this migration belongs to.

CREATE TABLE owners (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
INSERT INTO owners (id, name, created_at) VALUES ('default', 'Root keys (API_KEYS)', 0);

-- A key is stored as the SHA-256 of its secret only; the secret is shown once, when it is made.
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL REFERENCES owners(id),
  name TEXT NOT NULL,
  scopes TEXT NOT NULL,                 -- JSON array of 'read' | 'write' | 'admin'
  key_hash TEXT NOT NULL UNIQUE,        -- hex SHA-256 of the whole secret (pk_…)
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  expires_at INTEGER,
  revoked_at INTEGER
);
CREATE INDEX idx_api_keys_owner ON api_keys(owner_id, created_at);

ALTER TABLE projects ADD COLUMN owner_id TEXT NOT NULL DEFAULT 'default';
-- Set when DELETE /api/projects/:id is accepted: from then on the project answers 404 everywhere,
-- while its rows and objects are removed in the background (src/deletion/).
ALTER TABLE projects ADD COLUMN deleted_at INTEGER;
-- The owner's listing: newest updatedAt first, keyset on (updated_at, id).
CREATE INDEX idx_projects_owner_updated ON projects(owner_id, updated_at DESC, id DESC);

-- Denormalised from the project: a job's stream is addressed by (owner, sessionId).
ALTER TABLE jobs ADD COLUMN owner_id TEXT NOT NULL DEFAULT 'default';

-- artifacts.owner_id held a key fingerprint; it is now the owner.
UPDATE artifacts SET owner_id = 'default';
CREATE INDEX idx_artifacts_owner ON artifacts(owner_id, created_at);

-- Short-lived stream tokens for browsers (a WebSocket cannot carry X-Api-Key): hash only.
CREATE TABLE stream_tokens (
  token_hash TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX idx_stream_tokens_expires ON stream_tokens(expires_at);
