-- The preview's check of an upload (a dry run of every row) also runs in
-- the background when it takes a while, and its page follows it like an
-- import's: run_status 'checking' while it runs, with the same stage, counts
-- and heartbeat. Once done, the preview is stored and run_status is NULL
-- again; a file that cannot be read ends 'rejected'.
--
-- SQLite cannot change a column's CHECK, so the table is made again (its
-- rows are uploads waiting a day at most).
CREATE TABLE import_uploads_new (
    id             INTEGER PRIMARY KEY,
    owner_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind           TEXT   NOT NULL CHECK (kind IN ('customers', 'interactions')),
    file_name      TEXT   NOT NULL,
    content_type   TEXT   NOT NULL DEFAULT '',
    bytes          BLOB   NOT NULL,
    mapping        TEXT,
    created_at     TEXT   NOT NULL,
    preview        TEXT,
    run_status     TEXT CHECK (run_status IN ('checking', 'running', 'imported', 'rejected', 'failed')),
    run_stage      TEXT CHECK (run_stage IN ('checking', 'writing')),
    rows_done      BIGINT NOT NULL DEFAULT 0,
    rows_total     BIGINT NOT NULL DEFAULT 0,
    run_started_at TEXT,
    heartbeat_at   TEXT,
    run_outcome    TEXT
);
INSERT INTO import_uploads_new (id, owner_id, kind, file_name, content_type, bytes, mapping, created_at, preview,
    run_status, run_stage, rows_done, rows_total, run_started_at, heartbeat_at, run_outcome)
SELECT id, owner_id, kind, file_name, content_type, bytes, mapping, created_at, preview,
    run_status, run_stage, rows_done, rows_total, run_started_at, heartbeat_at, run_outcome
FROM import_uploads;
DROP TABLE import_uploads;
ALTER TABLE import_uploads_new RENAME TO import_uploads;
CREATE INDEX import_uploads_owner ON import_uploads (owner_id);
CREATE INDEX import_uploads_created ON import_uploads (created_at);
