-- An upload's id is in its page's address (preview, progress) and in pages
-- a browser tab may poll for a day. SQLite gives a new row the largest id
-- plus one, so once housekeeping deleted the newest upload, the next upload
-- took its id, and a stale tab or link showed another file's import.
-- AUTOINCREMENT never hands out an id twice (PostgreSQL's sequences never
-- did). SQLite cannot add it to a table, so the table is made again (its
-- rows are uploads waiting a day at most; nothing references them).
CREATE TABLE import_uploads_new (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
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
