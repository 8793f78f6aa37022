-- Campaign planning: the plan (template 1), milestones, the target list,
-- the goal breakdown (template 2), and calendar years imported by admins.

CREATE TABLE campaigns (
    id               INTEGER PRIMARY KEY,
    name             TEXT   NOT NULL,
    kind             TEXT   NOT NULL CHECK (kind IN ('new_product', 'trade_show', 'appreciation', 'competitive', 'other')),
    status           TEXT   NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'ended', 'reviewed')),
    theme            TEXT   NOT NULL DEFAULT '',
    selling_points   TEXT   NOT NULL DEFAULT '',
    segment          TEXT   NOT NULL DEFAULT '',
    announced_on     TEXT    NOT NULL,
    starts_on        TEXT    NOT NULL,
    ends_on          TEXT    NOT NULL,
    resource_support TEXT   NOT NULL DEFAULT '',
    goal_reached     BIGINT NOT NULL DEFAULT 0 CHECK (goal_reached >= 0),
    goal_intent      BIGINT NOT NULL DEFAULT 0 CHECK (goal_intent >= 0),
    goal_orders      BIGINT NOT NULL DEFAULT 0 CHECK (goal_orders >= 0),
    goal_sales_fen   BIGINT NOT NULL DEFAULT 0 CHECK (goal_sales_fen >= 0),
    goal_roi         REAL    NOT NULL DEFAULT 0 CHECK (goal_roi >= 0),
    lead_id          BIGINT REFERENCES users (id) ON DELETE SET NULL,
    marketing_id     BIGINT REFERENCES users (id) ON DELETE SET NULL,
    service_id       BIGINT REFERENCES users (id) ON DELETE SET NULL,
    collateral_needs TEXT   NOT NULL DEFAULT '',
    training_needs   TEXT   NOT NULL DEFAULT '',
    resource_risks   TEXT   NOT NULL DEFAULT '',
    budget_fen       BIGINT NOT NULL DEFAULT 0 CHECK (budget_fen >= 0),
    cost_items       TEXT   NOT NULL DEFAULT '',
    notes            TEXT   NOT NULL DEFAULT '',
    created_by       BIGINT REFERENCES users (id) ON DELETE SET NULL,
    version          BIGINT NOT NULL DEFAULT 1,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL
);
CREATE INDEX campaigns_kind_end ON campaigns (kind, ends_on);

CREATE TABLE campaign_milestones (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    key         TEXT   NOT NULL CHECK (key IN ('kickoff_held', 'collateral_ready', 'full_rollout', 'review_held')),
    planned_on  TEXT,
    done_on     TEXT,
    PRIMARY KEY (campaign_id, key)
);

CREATE TABLE campaign_members (
    id            INTEGER PRIMARY KEY,
    campaign_id   BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    customer_id   BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    tier          TEXT   NOT NULL CHECK (tier IN ('S', 'B', 'C')),
    outreach_rank INTEGER NOT NULL DEFAULT 3,
    assignee_id   BIGINT REFERENCES users (id) ON DELETE SET NULL,
    source        TEXT   NOT NULL DEFAULT 'segment',
    partner       TEXT,
    added_at      TEXT    NOT NULL,
    UNIQUE (campaign_id, customer_id)
);
CREATE INDEX campaign_members_assignee ON campaign_members (campaign_id, assignee_id);
CREATE INDEX campaign_members_order ON campaign_members (campaign_id, outreach_rank, customer_id);

CREATE TABLE campaign_breakdown (
    campaign_id         BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    position            INTEGER NOT NULL,
    assignee_id         BIGINT REFERENCES users (id) ON DELETE SET NULL,
    region              TEXT   NOT NULL DEFAULT '',
    target_customers    BIGINT NOT NULL CHECK (target_customers >= 0),
    expected_conversion REAL    NOT NULL CHECK (expected_conversion >= 0 AND expected_conversion <= 1),
    sales_target_fen    BIGINT NOT NULL DEFAULT 0 CHECK (sales_target_fen >= 0),
    key_customers       TEXT   NOT NULL DEFAULT '',
    resource_needs      TEXT   NOT NULL DEFAULT '',
    PRIMARY KEY (campaign_id, position)
);

CREATE TABLE calendar_years (
    year        INTEGER PRIMARY KEY,
    data        TEXT    NOT NULL,
    imported_by BIGINT  REFERENCES users (id) ON DELETE SET NULL,
    imported_at TEXT     NOT NULL
);
