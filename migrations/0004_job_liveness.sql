-- A running job's workflow writes heartbeat_at every few seconds; a job whose heartbeat has gone
-- quiet is reconciled (resumed, else ended). origin is the API origin the job was submitted on,
-- kept so a resumed workflow builds the same absolute image URLs.
ALTER TABLE jobs ADD COLUMN heartbeat_at INTEGER;
ALTER TABLE jobs ADD COLUMN origin TEXT;
