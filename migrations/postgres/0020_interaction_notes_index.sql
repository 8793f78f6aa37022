-- SQLite only: its full-text index of interaction notes now leaves empty
-- notes out. PostgreSQL's pg_trgm index holds no trigrams for an empty note
-- already. Kept so both backends count the same migrations.
SELECT 1;
