-- The progressions listing orders by (created_at DESC, id DESC) within a project and pages on that
-- key: an index on exactly that key lets SQLite walk it without sorting (EXPLAIN QUERY PLAN showed
-- "USE TEMP B-TREE FOR RIGHT PART OF ORDER BY" with the (project_id, created_at) index alone).
CREATE INDEX idx_progressions_project_created_id ON image_progressions(project_id, created_at DESC, id DESC);
