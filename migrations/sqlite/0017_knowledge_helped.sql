-- "Helped" marks on knowledge entries (知识库): one per person per entry,
-- set from the follow-up form's suggestions; the count ranks suggestions.
CREATE TABLE knowledge_helped (
    entry_id   BIGINT NOT NULL REFERENCES knowledge_entries (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT   NOT NULL,
    PRIMARY KEY (entry_id, user_id)
);
CREATE INDEX knowledge_helped_user ON knowledge_helped (user_id);
