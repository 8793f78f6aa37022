-- An import confirmed on the import page runs in the background; the page
-- follows it here rather than in a long request. The run lives in the
-- database, not in the server's memory, so that whichever server instance
-- answers the next poll (several share one PostgreSQL database) sees it.
--
-- run_status: NULL (never started), 'running', then 'imported', 'rejected'
-- (bad rows without "partial", or the file or mapping refused; the upload
-- stays for another try) or 'failed' (an error of the server's; nothing was
-- written, the import is one transaction). A 'running' run whose heartbeat
-- is older than a minute belongs to a server that stopped mid-way.
ALTER TABLE import_uploads ADD COLUMN run_status TEXT
    CHECK (run_status IN ('running', 'imported', 'rejected', 'failed'));
-- Where the running import is: 'checking' or 'writing' (NULL: reading the file).
ALTER TABLE import_uploads ADD COLUMN run_stage TEXT CHECK (run_stage IN ('checking', 'writing'));
-- Rows done and rows in the stage (an estimate until a CSV file is read to its end).
ALTER TABLE import_uploads ADD COLUMN rows_done BIGINT NOT NULL DEFAULT 0;
ALTER TABLE import_uploads ADD COLUMN rows_total BIGINT NOT NULL DEFAULT 0;
ALTER TABLE import_uploads ADD COLUMN run_started_at TEXT;
-- Written with the counts while the run goes on, and when it ends; an
-- upload is kept a day after this (housekeeping), so a result outlives the
-- upload's own day.
ALTER TABLE import_uploads ADD COLUMN heartbeat_at TEXT;
-- How the run ended, as JSON (`ops::uploads::RunOutcome`: the report with
-- its bad rows cut to what the page shows, or why it stopped).
ALTER TABLE import_uploads ADD COLUMN run_outcome TEXT;
