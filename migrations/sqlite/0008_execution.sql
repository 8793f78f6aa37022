-- Running a campaign (phase 3): member stages, next actions and assignment,
-- the playbook and its tasks, follow-up records (template 3), collateral and
-- support requests, blockers and the script library.

-- Each member's place in the funnel: the stage, and the days it first became
-- contacted / intent / ordered (kept when it is lost later, so the funnel
-- stays cumulative). A member follows its customer's owner unless a lead
-- assigned it explicitly.
ALTER TABLE campaign_members ADD COLUMN stage TEXT NOT NULL DEFAULT 'targeted'
    CHECK (stage IN ('targeted', 'contacted', 'intent', 'ordered', 'lost'));
ALTER TABLE campaign_members ADD COLUMN contacted_on TEXT;
ALTER TABLE campaign_members ADD COLUMN intent_on TEXT;
ALTER TABLE campaign_members ADD COLUMN ordered_on TEXT;
ALTER TABLE campaign_members ADD COLUMN order_amount_fen BIGINT CHECK (order_amount_fen IS NULL OR order_amount_fen >= 0);
ALTER TABLE campaign_members ADD COLUMN lost_reason TEXT;
ALTER TABLE campaign_members ADD COLUMN next_action_on TEXT;
ALTER TABLE campaign_members ADD COLUMN next_action_at TEXT;
ALTER TABLE campaign_members ADD COLUMN next_action TEXT NOT NULL DEFAULT '';
ALTER TABLE campaign_members ADD COLUMN last_follow_up_at TEXT;
ALTER TABLE campaign_members ADD COLUMN assigned_explicitly BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE campaign_members ADD COLUMN assigned_at TEXT;
ALTER TABLE campaign_members ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
-- The day the member's playbook tasks count from (set when first planned).
ALTER TABLE campaign_members ADD COLUMN plan_from TEXT;
UPDATE campaign_members SET assigned_at = added_at WHERE assignee_id IS NOT NULL;
CREATE INDEX campaign_members_customer ON campaign_members (customer_id);
-- campaign_id last: the stand-up counts overdue next actions of one campaign from this index alone.
CREATE INDEX campaign_members_next_action ON campaign_members (assignee_id, next_action_on, campaign_id);
CREATE INDEX campaign_members_assigned ON campaign_members (assignee_id, assigned_at);
CREATE INDEX campaign_members_funnel ON campaign_members
    (campaign_id, assignee_id, tier, stage, contacted_on, intent_on, order_amount_fen);
CREATE INDEX campaign_members_intent_on ON campaign_members (campaign_id, intent_on);
CREATE INDEX campaign_members_ordered_on ON campaign_members (campaign_id, ordered_on);
CREATE INDEX campaign_members_due_action ON campaign_members (campaign_id, next_action_on, assignee_id);

-- Bumped when what collateral says changes (theme, selling points, dates,
-- segment): delivered items record the revision they were made for.
ALTER TABLE campaigns ADD COLUMN content_revision BIGINT NOT NULL DEFAULT 1;

-- The tier playbook of a campaign as edited by the lead (JSON steps); no row
-- means the template's default.
CREATE TABLE campaign_playbooks (
    campaign_id BIGINT PRIMARY KEY REFERENCES campaigns (id) ON DELETE CASCADE,
    steps       TEXT   NOT NULL,
    version     BIGINT NOT NULL DEFAULT 1,
    updated_by  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    updated_at  TEXT   NOT NULL
);

-- Template 3: one row per follow-up, beside the interaction it is on the
-- customer's timeline (deleting either deletes both).
CREATE TABLE follow_ups (
    id               INTEGER PRIMARY KEY,
    campaign_id      BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    member_id        BIGINT NOT NULL REFERENCES campaign_members (id) ON DELETE CASCADE,
    -- No foreign key: the interaction's cascade removes the row with its customer.
    customer_id      BIGINT NOT NULL,
    interaction_id   BIGINT NOT NULL UNIQUE REFERENCES interactions (id) ON DELETE CASCADE,
    -- Kept when the contact is deleted (the record says whom it was with).
    contact_id       BIGINT,
    occurred_at      TEXT   NOT NULL,
    occurred_on      TEXT   NOT NULL,
    logged_on        TEXT   NOT NULL,
    channel          TEXT   NOT NULL CHECK (channel IN ('phone', 'im', 'email', 'visit', 'event')),
    summary          TEXT   NOT NULL,
    feedback_kind    TEXT   NOT NULL DEFAULT 'neutral' CHECK (feedback_kind IN ('objection', 'interest', 'neutral')),
    feedback         TEXT   NOT NULL DEFAULT '',
    next_action_on   TEXT,
    next_action_at   TEXT,
    next_action      TEXT   NOT NULL DEFAULT '',
    stage_before     TEXT   NOT NULL,
    stage_after      TEXT   NOT NULL,
    order_amount_fen BIGINT CHECK (order_amount_fen IS NULL OR order_amount_fen >= 0),
    lost_reason      TEXT,
    created_by       BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at       TEXT   NOT NULL,
    updated_at       TEXT,
    version          BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX follow_ups_member ON follow_ups (member_id, occurred_at);
CREATE INDEX follow_ups_campaign_day ON follow_ups (campaign_id, occurred_on);
CREATE INDEX follow_ups_campaign_logged ON follow_ups (campaign_id, logged_on, created_by);

-- The playbook's tasks per member, assigned to the member's assignee (open
-- tasks move with the member).
CREATE TABLE member_tasks (
    id           INTEGER PRIMARY KEY,
    campaign_id  BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    member_id    BIGINT NOT NULL REFERENCES campaign_members (id) ON DELETE CASCADE,
    assignee_id  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    step         INTEGER NOT NULL,
    action       TEXT   NOT NULL CHECK (action IN ('phone', 'visit', 'invite', 'push', 'nurture')),
    what         TEXT   NOT NULL,
    due_on       TEXT   NOT NULL,
    status       TEXT   NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
    done_at      TEXT,
    -- The follow-up that completed it (no foreign key: kept if that is deleted).
    follow_up_id BIGINT,
    created_at   TEXT   NOT NULL
);
CREATE INDEX member_tasks_member ON member_tasks (member_id, status);
-- campaign_id last: the stand-up counts overdue tasks of one campaign from this index alone.
CREATE INDEX member_tasks_assignee_due ON member_tasks (assignee_id, status, due_on, campaign_id);
CREATE INDEX member_tasks_campaign_due ON member_tasks (campaign_id, status, due_on, assignee_id);

-- Collateral and support requests (物料 / 支持).
CREATE TABLE resource_requests (
    id                 INTEGER PRIMARY KEY,
    campaign_id        BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    kind               TEXT   NOT NULL CHECK (kind IN ('collateral', 'demo', 'logistics', 'training')),
    item               TEXT   NOT NULL,
    quantity           BIGINT CHECK (quantity IS NULL OR quantity > 0),
    needed_by          TEXT,
    person             TEXT   NOT NULL DEFAULT '',
    slot               TEXT   NOT NULL DEFAULT '',
    lead_days          INTEGER CHECK (lead_days IS NULL OR lead_days >= 0),
    details            TEXT   NOT NULL DEFAULT '',
    status             TEXT   NOT NULL DEFAULT 'requested' CHECK (status IN ('requested', 'accepted', 'delivered', 'declined')),
    decline_reason     TEXT   NOT NULL DEFAULT '',
    delivery_note      TEXT   NOT NULL DEFAULT '',
    requested_by       BIGINT REFERENCES users (id) ON DELETE SET NULL,
    handled_by         BIGINT REFERENCES users (id) ON DELETE SET NULL,
    delivered_at       TEXT,
    delivered_revision BIGINT,
    version            BIGINT NOT NULL DEFAULT 1,
    created_at         TEXT   NOT NULL,
    updated_at         TEXT   NOT NULL
);
CREATE INDEX resource_requests_campaign ON resource_requests (campaign_id, kind);
CREATE INDEX resource_requests_queue ON resource_requests (status, kind);

-- Blockers (卡点) on a campaign or one member.
CREATE TABLE blockers (
    id          INTEGER PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    member_id   BIGINT REFERENCES campaign_members (id) ON DELETE CASCADE,
    text        TEXT   NOT NULL,
    status      TEXT   NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'escalated', 'decided', 'answered')),
    raised_by   BIGINT REFERENCES users (id) ON DELETE SET NULL,
    decision    TEXT   NOT NULL DEFAULT '',
    decided_by  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    decided_at  TEXT,
    reply_by    TEXT,
    escalated_at TEXT,
    answer      TEXT   NOT NULL DEFAULT '',
    answered_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    answered_at TEXT,
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TEXT   NOT NULL,
    updated_at  TEXT   NOT NULL
);
CREATE INDEX blockers_campaign ON blockers (campaign_id, status);
CREATE INDEX blockers_member ON blockers (member_id);

-- Scripts and objection answers (话术), tagged by pain point, industry and
-- campaign kind (JSON arrays of strings).
CREATE TABLE scripts (
    id             INTEGER PRIMARY KEY,
    kind           TEXT   NOT NULL CHECK (kind IN ('script', 'objection')),
    title          TEXT   NOT NULL,
    body           TEXT   NOT NULL,
    pain_points    TEXT   NOT NULL DEFAULT '[]',
    industries     TEXT   NOT NULL DEFAULT '[]',
    campaign_kinds TEXT   NOT NULL DEFAULT '[]',
    created_by     BIGINT REFERENCES users (id) ON DELETE SET NULL,
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     TEXT   NOT NULL,
    updated_at     TEXT   NOT NULL
);
