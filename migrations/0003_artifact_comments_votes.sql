-- Public interaction on published artifacts: pinned comments on review boards, votes on voting decks.

-- A visitor's comment, optionally pinned to one image of the board at (x, y) in 0..1 of its size.
CREATE TABLE artifact_comments (
  id TEXT PRIMARY KEY,
  artifact_id TEXT NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,
  progression_id TEXT,
  author TEXT,
  body TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
  x REAL CHECK (x IS NULL OR (x >= 0 AND x <= 1)),
  y REAL CHECK (y IS NULL OR (y >= 0 AND y <= 1)),
  created_at INTEGER NOT NULL
);
CREATE INDEX idx_artifact_comments_artifact_created ON artifact_comments(artifact_id, created_at);

-- One vote per visitor per deck, enforced by the primary key. `voter` is a SHA-256 of the deck id
-- and the visitor's IP address, so the table never holds an address.
CREATE TABLE artifact_votes (
  artifact_id TEXT NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,
  voter TEXT NOT NULL,
  progression_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (artifact_id, voter)
);
CREATE INDEX idx_artifact_votes_artifact_progression ON artifact_votes(artifact_id, progression_id);
