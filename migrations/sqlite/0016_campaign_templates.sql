-- Campaign SOPs (标准作业程序): a reviewed campaign saved as a template —
-- its plan texts, playbook, phase rules, collateral and support checklist,
-- goal ratios and key lessons, kept as one JSON document (domain::sop) — and
-- the campaigns started from one, which carry the template's phase rules.

CREATE TABLE campaign_templates (
    id                 INTEGER PRIMARY KEY,
    name               TEXT   NOT NULL,
    kind               TEXT   NOT NULL,
    source_campaign_id BIGINT REFERENCES campaigns (id) ON DELETE SET NULL,
    body               TEXT   NOT NULL,
    retired            BOOLEAN NOT NULL DEFAULT FALSE,
    created_by         BIGINT REFERENCES users (id) ON DELETE SET NULL,
    version            BIGINT NOT NULL DEFAULT 1,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
CREATE INDEX campaign_templates_kind ON campaign_templates (kind, retired);
CREATE INDEX campaign_templates_source ON campaign_templates (source_campaign_id);

ALTER TABLE campaigns ADD COLUMN template_id BIGINT REFERENCES campaign_templates (id) ON DELETE SET NULL;
-- JSON PhaseRules; NULL follows the team's rules.
ALTER TABLE campaigns ADD COLUMN phase_rules TEXT;
CREATE INDEX campaigns_template ON campaigns (template_id);
