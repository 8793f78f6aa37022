-- The campaign review (phase 4, template 4) and the cost items' actuals.

-- One review per campaign: the lead's lines (JSON [{key, highlight,
-- problem, improvement}]) and, once the review is held, the numbers frozen
-- as they were (JSON snapshot of the metrics, funnel, breakdowns, burn-up).
CREATE TABLE campaign_reviews (
    campaign_id BIGINT PRIMARY KEY REFERENCES campaigns (id) ON DELETE CASCADE,
    lines       TEXT   NOT NULL,
    snapshot    TEXT,
    held_on     TEXT,
    held_by     BIGINT REFERENCES users (id) ON DELETE SET NULL,
    updated_by  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TEXT   NOT NULL,
    updated_at  TEXT   NOT NULL
);

-- The plan's cost items with what was planned and actually spent (entered
-- by the lead or marketing); no rows means the plan's text, nothing spent yet.
CREATE TABLE campaign_costs (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    item        TEXT   NOT NULL,
    planned_fen BIGINT CHECK (planned_fen IS NULL OR planned_fen >= 0),
    actual_fen  BIGINT CHECK (actual_fen IS NULL OR actual_fen >= 0),
    updated_by  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    updated_at  TEXT   NOT NULL,
    PRIMARY KEY (campaign_id, position)
);

-- The review's reads: first follow-up per member (its channel), objections.
CREATE INDEX follow_ups_campaign_feedback ON follow_ups (campaign_id, feedback_kind);
