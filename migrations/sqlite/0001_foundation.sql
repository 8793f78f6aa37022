-- Foundation: the team, API tokens, regions, settings, and the customer base
-- that the demo data fills. Dates are 'YYYY-MM-DD' text, timestamps RFC 3339 text.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'lead', 'rep', 'marketing', 'service', 'support', 'viewer')),
    region        TEXT,
    password_hash TEXT    NOT NULL,
    locale        TEXT    NOT NULL DEFAULT 'zh-CN',
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    version       BIGINT  NOT NULL DEFAULT 1,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT   NOT NULL,
    token_hash   TEXT   NOT NULL UNIQUE,
    prefix       TEXT   NOT NULL,
    created_at   TEXT   NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE regions (
    name     TEXT    PRIMARY KEY,
    position INTEGER NOT NULL
);
INSERT INTO regions (name, position) VALUES
    ('华东', 1), ('华南', 2), ('华北', 3), ('华中', 4), ('西南', 5), ('西北', 6), ('东北', 7);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE customers (
    id                  INTEGER PRIMARY KEY,
    name                TEXT   NOT NULL,
    name_key            TEXT   NOT NULL,
    credit_code         TEXT   UNIQUE,
    industry            TEXT   NOT NULL DEFAULT '',
    region              TEXT   NOT NULL DEFAULT '',
    city                TEXT   NOT NULL DEFAULT '',
    annual_purchase_fen BIGINT NOT NULL DEFAULT 0 CHECK (annual_purchase_fen >= 0),
    owner_id            BIGINT REFERENCES users (id) ON DELETE SET NULL,
    source              TEXT   NOT NULL DEFAULT 'manual',
    notes               TEXT   NOT NULL DEFAULT '',
    last_interaction_on TEXT,
    last_inquiry_on     TEXT,
    last_order_on       TEXT,
    s_anchor_on         TEXT,
    version             BIGINT NOT NULL DEFAULT 1,
    created_at          TEXT   NOT NULL,
    updated_at          TEXT   NOT NULL
);
CREATE INDEX customers_name_key ON customers (name_key);
CREATE INDEX customers_region ON customers (region);
CREATE INDEX customers_industry ON customers (industry);
CREATE INDEX customers_owner ON customers (owner_id);
CREATE INDEX customers_annual_purchase ON customers (annual_purchase_fen);
CREATE INDEX customers_last_interaction ON customers (last_interaction_on);
CREATE INDEX customers_last_inquiry ON customers (last_inquiry_on);
CREATE INDEX customers_s_anchor ON customers (s_anchor_on);

CREATE TABLE customer_tags (
    customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    tag         TEXT   NOT NULL,
    PRIMARY KEY (customer_id, tag)
);
CREATE INDEX customer_tags_tag ON customer_tags (tag, customer_id);

CREATE TABLE customer_pain_points (
    customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    pain_point  TEXT   NOT NULL,
    PRIMARY KEY (customer_id, pain_point)
);

CREATE TABLE contacts (
    id          INTEGER PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    name        TEXT   NOT NULL,
    title       TEXT   NOT NULL DEFAULT '',
    phone       TEXT   NOT NULL DEFAULT '',
    email       TEXT   NOT NULL DEFAULT '',
    im_id       TEXT   NOT NULL DEFAULT '',
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TEXT   NOT NULL,
    updated_at  TEXT   NOT NULL
);
CREATE INDEX contacts_customer ON contacts (customer_id);

CREATE TABLE interactions (
    id          INTEGER PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    occurred_on TEXT   NOT NULL,
    occurred_at TEXT,
    channel     TEXT   NOT NULL CHECK (channel IN ('phone', 'im', 'email', 'visit', 'event')),
    kind        TEXT   NOT NULL CHECK (kind IN ('inquiry', 'call', 'visit', 'email', 'message', 'order')),
    note        TEXT   NOT NULL DEFAULT '',
    amount_fen  BIGINT CHECK (amount_fen IS NULL OR amount_fen >= 0),
    created_by  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at  TEXT   NOT NULL
);
CREATE INDEX interactions_customer_date ON interactions (customer_id, occurred_on);
