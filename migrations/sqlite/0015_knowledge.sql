-- The team knowledge base (知识库) and full-text search over it, the
-- customers' names and the interaction notes (follow-ups write theirs there).
-- Trigram FTS5 tables hold no text of their own (external content) and are
-- kept in step by triggers; terms under three characters have no trigram and
-- are matched by a scan instead (store::knowledge).

CREATE TABLE knowledge_entries (
    id             INTEGER PRIMARY KEY,
    kind           TEXT   NOT NULL CHECK (kind IN ('script', 'objection', 'solution', 'lesson')),
    title          TEXT   NOT NULL,
    body           TEXT   NOT NULL,
    -- JSON arrays of tags.
    pain_points    TEXT   NOT NULL DEFAULT '[]',
    industries     TEXT   NOT NULL DEFAULT '[]',
    campaign_kinds TEXT   NOT NULL DEFAULT '[]',
    tiers          TEXT   NOT NULL DEFAULT '[]',
    campaign_id    BIGINT REFERENCES campaigns (id) ON DELETE SET NULL,
    follow_up_id   BIGINT REFERENCES follow_ups (id) ON DELETE SET NULL,
    status         TEXT   NOT NULL DEFAULT 'published' CHECK (status IN ('proposed', 'published', 'retired')),
    merged_into    BIGINT REFERENCES knowledge_entries (id) ON DELETE SET NULL,
    author_id      BIGINT REFERENCES users (id) ON DELETE SET NULL,
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     TEXT   NOT NULL,
    updated_at     TEXT   NOT NULL
);
CREATE INDEX knowledge_entries_status ON knowledge_entries (status, updated_at);
CREATE INDEX knowledge_entries_follow_up ON knowledge_entries (follow_up_id);
CREATE INDEX knowledge_entries_campaign ON knowledge_entries (campaign_id);
CREATE INDEX knowledge_entries_merged_into ON knowledge_entries (merged_into);

CREATE VIRTUAL TABLE knowledge_fts USING fts5 (
    title, body, content = 'knowledge_entries', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER knowledge_fts_insert AFTER INSERT ON knowledge_entries BEGIN
    INSERT INTO knowledge_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER knowledge_fts_delete AFTER DELETE ON knowledge_entries BEGIN
    INSERT INTO knowledge_fts (knowledge_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;
CREATE TRIGGER knowledge_fts_update AFTER UPDATE OF title, body ON knowledge_entries BEGIN
    INSERT INTO knowledge_fts (knowledge_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
    INSERT INTO knowledge_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;

CREATE VIRTUAL TABLE customers_fts USING fts5 (
    name, content = 'customers', content_rowid = 'id', tokenize = 'trigram'
);
INSERT INTO customers_fts (customers_fts) VALUES ('rebuild');
CREATE TRIGGER customers_fts_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customers_fts (rowid, name) VALUES (new.id, new.name);
END;
CREATE TRIGGER customers_fts_delete AFTER DELETE ON customers BEGIN
    INSERT INTO customers_fts (customers_fts, rowid, name) VALUES ('delete', old.id, old.name);
END;
CREATE TRIGGER customers_fts_update AFTER UPDATE OF name ON customers BEGIN
    INSERT INTO customers_fts (customers_fts, rowid, name) VALUES ('delete', old.id, old.name);
    INSERT INTO customers_fts (rowid, name) VALUES (new.id, new.name);
END;

CREATE VIRTUAL TABLE interactions_fts USING fts5 (
    note, content = 'interactions', content_rowid = 'id', tokenize = 'trigram'
);
INSERT INTO interactions_fts (interactions_fts) VALUES ('rebuild');
CREATE TRIGGER interactions_fts_insert AFTER INSERT ON interactions BEGIN
    INSERT INTO interactions_fts (rowid, note) VALUES (new.id, new.note);
END;
CREATE TRIGGER interactions_fts_delete AFTER DELETE ON interactions BEGIN
    INSERT INTO interactions_fts (interactions_fts, rowid, note) VALUES ('delete', old.id, old.note);
END;
CREATE TRIGGER interactions_fts_update AFTER UPDATE OF note ON interactions BEGIN
    INSERT INTO interactions_fts (interactions_fts, rowid, note) VALUES ('delete', old.id, old.note);
    INSERT INTO interactions_fts (rowid, note) VALUES (new.id, new.note);
END;

-- The script library becomes knowledge entries of kind script / objection.
INSERT INTO knowledge_entries (kind, title, body, pain_points, industries, campaign_kinds, status, author_id, created_at, updated_at)
SELECT kind, title, body, pain_points, industries, campaign_kinds, 'published', created_by, created_at, updated_at
FROM scripts ORDER BY id;
DROP TABLE scripts;
