-- SQLite's uploads table gets AUTOINCREMENT in this migration, so that an
-- upload's id (in its pages' addresses) is never handed out again after
-- housekeeping deleted the upload. PostgreSQL's sequence never reuses one;
-- this records why the id must stay that way.
COMMENT ON COLUMN import_uploads.id IS
    'Never reused: the id is in the upload''s page addresses, which a browser tab may poll for a day.';
