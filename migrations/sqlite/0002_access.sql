-- Sign-in sessions, sign-in throttling and the append-only audit trail.

CREATE TABLE sessions (
    id_hash      TEXT   PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT   NOT NULL,
    created_at   TEXT   NOT NULL,
    last_seen_at TEXT   NOT NULL,
    expires_at   TEXT   NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE login_failures (
    id        INTEGER PRIMARY KEY,
    key       TEXT NOT NULL,
    failed_at TEXT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, failed_at);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT   NOT NULL,
    actor_id    BIGINT,
    actor_email TEXT   NOT NULL,
    action      TEXT   NOT NULL CHECK (action IN ('create', 'update', 'delete')),
    object_type TEXT   NOT NULL,
    object_id   BIGINT NOT NULL,
    before      TEXT,
    after       TEXT
);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
