-- Editable interactions carry a version; saved segments.

ALTER TABLE interactions ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE interactions ADD COLUMN updated_at TEXT;

CREATE TABLE saved_segments (
    id         INTEGER PRIMARY KEY,
    name       TEXT   NOT NULL UNIQUE,
    expression TEXT   NOT NULL,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    version    BIGINT NOT NULL DEFAULT 1,
    created_at TEXT   NOT NULL,
    updated_at TEXT   NOT NULL
);
