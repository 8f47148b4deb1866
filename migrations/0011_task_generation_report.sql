-- What each task's provider call was and cost: the seed used, the model, the actual size, how long
-- it took, the provider's own usage report, an estimated cost (src/jobs/cost.ts), the warnings of
-- parameters it honoured only approximately, and how close the result is to its start image.
ALTER TABLE job_tasks ADD COLUMN seed INTEGER;
ALTER TABLE job_tasks ADD COLUMN model TEXT;
ALTER TABLE job_tasks ADD COLUMN width INTEGER;
ALTER TABLE job_tasks ADD COLUMN height INTEGER;
ALTER TABLE job_tasks ADD COLUMN latency_ms INTEGER;
ALTER TABLE job_tasks ADD COLUMN usage_json TEXT;
ALTER TABLE job_tasks ADD COLUMN cost_usd REAL;
ALTER TABLE job_tasks ADD COLUMN warnings_json TEXT;
ALTER TABLE job_tasks ADD COLUMN similar_to_start TEXT;
