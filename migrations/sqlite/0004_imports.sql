-- Files uploaded to the import page, kept between upload, preview and confirm
-- so that any server instance can continue the flow. Deleted when the import
-- is applied, and by housekeeping after a day.

CREATE TABLE import_uploads (
    id           INTEGER PRIMARY KEY,
    owner_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         TEXT   NOT NULL CHECK (kind IN ('customers', 'interactions')),
    file_name    TEXT   NOT NULL,
    content_type TEXT   NOT NULL DEFAULT '',
    bytes        BLOB   NOT NULL,
    -- The column mapping chosen in the preview, as JSON [[index, "field"], ...];
    -- NULL means the one detected from the headers.
    mapping      TEXT,
    created_at   TEXT   NOT NULL
);
CREATE INDEX import_uploads_owner ON import_uploads (owner_id);
CREATE INDEX import_uploads_created ON import_uploads (created_at);

-- One row per applied import: what the audit trail's `import` records point
-- at. The audit record of an import lists the ids it created as ranges, so
-- a 100,000-row file costs one audit row rather than 100,000 (updated
-- customers still get their own before/after record).
CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    kind        TEXT   NOT NULL CHECK (kind IN ('customers', 'interactions')),
    actor_id    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    actor_email TEXT   NOT NULL,
    file_name   TEXT   NOT NULL DEFAULT '',
    rows_read   BIGINT NOT NULL,
    created     BIGINT NOT NULL,
    updated     BIGINT NOT NULL,
    skipped     BIGINT NOT NULL,
    rejected    BIGINT NOT NULL,
    at          TEXT   NOT NULL
);
