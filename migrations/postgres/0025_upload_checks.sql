-- The preview's check of an upload (a dry run of every row) also runs in
-- the background when it takes a while, and its page follows it like an
-- import's: run_status 'checking' while it runs, with the same stage, counts
-- and heartbeat. Once done, the preview is stored and run_status is NULL
-- again; a file that cannot be read ends 'rejected'.
ALTER TABLE import_uploads DROP CONSTRAINT import_uploads_run_status_check;
ALTER TABLE import_uploads ADD CONSTRAINT import_uploads_run_status_check
    CHECK (run_status IN ('checking', 'running', 'imported', 'rejected', 'failed'));
