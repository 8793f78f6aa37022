-- Reminders and notifications: channels an admin configures, events (each
-- made once: a unique key per event), the in-app inbox, deliveries per event
-- and receiver with their attempts (the delivery log), the job queue every
-- server's workers claim from, robots' recent sends for their rate limits,
-- and each person's mobile (for @-mentions) and mail opt-outs.

CREATE TABLE notification_channels (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL CHECK (kind IN ('wecom', 'dingtalk', 'feishu', 'webhook', 'email')),
    name        TEXT    NOT NULL,
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    -- Secrets, stored as entered and never shown back in full: the robot's
    -- or webhook's URL (it carries the key), the signing secret, the SMTP password.
    url         TEXT    NOT NULL DEFAULT '',
    secret      TEXT    NOT NULL DEFAULT '',
    -- Not secret: SMTP host, port, TLS mode, user name and sender.
    config      TEXT    NOT NULL DEFAULT '{}',
    -- Event kinds this channel hears, comma-separated; empty: all.
    events      TEXT    NOT NULL DEFAULT '',
    version     BIGINT  NOT NULL DEFAULT 1,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);

CREATE TABLE notification_events (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL,
    dedupe_key  TEXT    NOT NULL UNIQUE,
    occurred_at TEXT    NOT NULL,
    data        TEXT    NOT NULL
);

CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY,
    user_id     BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event_id    BIGINT  NOT NULL REFERENCES notification_events (id) ON DELETE CASCADE,
    created_at  TEXT    NOT NULL,
    read_at     TEXT,
    UNIQUE (user_id, event_id)
);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
CREATE INDEX notifications_user ON notifications (user_id, id);

CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    event_id        BIGINT  NOT NULL REFERENCES notification_events (id) ON DELETE CASCADE,
    channel_id      BIGINT  REFERENCES notification_channels (id) ON DELETE SET NULL,
    channel_kind    TEXT    NOT NULL,
    user_id         BIGINT  REFERENCES users (id) ON DELETE SET NULL,
    receiver        TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL UNIQUE,
    status          TEXT    NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'retrying', 'dead')),
    attempts        BIGINT  NOT NULL DEFAULT 0,
    last_answer     TEXT,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    sent_at         TEXT,
    -- Mobiles to @-mention in a group robot's message, comma-separated.
    mentions        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX deliveries_event ON deliveries (event_id);
CREATE INDEX deliveries_status ON deliveries (status, id);

CREATE TABLE delivery_attempts (
    delivery_id BIGINT  NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    attempt     BIGINT  NOT NULL,
    at          TEXT    NOT NULL,
    outcome     TEXT    NOT NULL CHECK (outcome IN ('sent', 'retry', 'dead', 'unknown')),
    answer      TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, attempt)
);

CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY,
    kind         TEXT    NOT NULL,
    ref_id       BIGINT  NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'dead')),
    run_at       TEXT    NOT NULL,
    attempts     BIGINT  NOT NULL DEFAULT 0,
    max_attempts BIGINT  NOT NULL,
    rate_key     TEXT,
    locked_by    TEXT,
    locked_until TEXT,
    last_error   TEXT,
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL
);
CREATE INDEX jobs_due ON jobs (run_at, id) WHERE status = 'queued';
CREATE INDEX jobs_leased ON jobs (locked_until) WHERE status = 'running';
CREATE INDEX jobs_dead ON jobs (id) WHERE status = 'dead';
CREATE INDEX jobs_ref ON jobs (kind, ref_id);

CREATE TABLE rate_windows (
    rate_key TEXT PRIMARY KEY,
    sends    TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE notification_prefs (
    user_id     BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    mobile      TEXT   NOT NULL DEFAULT '',
    mail_optout TEXT   NOT NULL DEFAULT ''
);
