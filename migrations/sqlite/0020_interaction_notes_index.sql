-- Only interactions with a note have a place in the full-text index: an
-- empty note matches no search, and most interactions are logged without
-- one (every row of a generated or imported history), so a bulk load no
-- longer pays for the index row by row. The index is refilled with the
-- notes alone, and the triggers skip empty notes on both sides.
DROP TRIGGER interactions_fts_insert;
DROP TRIGGER interactions_fts_delete;
DROP TRIGGER interactions_fts_update;
INSERT INTO interactions_fts (interactions_fts) VALUES ('delete-all');
INSERT INTO interactions_fts (rowid, note) SELECT id, note FROM interactions WHERE note <> '';
CREATE TRIGGER interactions_fts_insert AFTER INSERT ON interactions WHEN new.note <> '' BEGIN
    INSERT INTO interactions_fts (rowid, note) VALUES (new.id, new.note);
END;
CREATE TRIGGER interactions_fts_delete AFTER DELETE ON interactions WHEN old.note <> '' BEGIN
    INSERT INTO interactions_fts (interactions_fts, rowid, note) VALUES ('delete', old.id, old.note);
END;
CREATE TRIGGER interactions_fts_update AFTER UPDATE OF note ON interactions BEGIN
    INSERT INTO interactions_fts (interactions_fts, rowid, note) SELECT 'delete', old.id, old.note WHERE old.note <> '';
    INSERT INTO interactions_fts (rowid, note) SELECT new.id, new.note WHERE new.note <> '';
END;
