-- Search speed (issue 12).
--
-- 1. Customers' names get an index for one- and two-character terms (价格,
--    机械), which the trigram table cannot look up: the name with a letter
--    before every character and after the last (`q价q格q`), in a trigram
--    table of its own, so the pair 价格 is the trigram 价q格. The spread text
--    is made by the triggers from a table of positions (a trigger cannot
--    hold a recursive query); 32,768 of them, the longest cell an import
--    reads. The table holds no text (contentless); a delete repeats the
--    spread text. Notes and entries do without: their searches read the
--    latest rows first (below).
-- 2. Entries by their last change, which the search's first page walks.

CREATE TABLE search_positions (n INTEGER PRIMARY KEY);
WITH RECURSIVE p (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM p WHERE n < 32768)
INSERT INTO search_positions (n) SELECT n FROM p;

CREATE VIRTUAL TABLE customers_short_fts USING fts5 (name, content = '', tokenize = 'trigram');
INSERT INTO customers_short_fts (rowid, name)
SELECT c.id, (SELECT group_concat('q' || substr(c.name, p.n, 1), '' ORDER BY p.n) || 'q'
              FROM search_positions p WHERE p.n <= length(c.name))
FROM customers c;
CREATE TRIGGER customers_short_fts_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customers_short_fts (rowid, name)
    SELECT new.id, group_concat('q' || substr(new.name, p.n, 1), '' ORDER BY p.n) || 'q'
    FROM search_positions p WHERE p.n <= length(new.name);
END;
CREATE TRIGGER customers_short_fts_delete AFTER DELETE ON customers BEGIN
    INSERT INTO customers_short_fts (customers_short_fts, rowid, name)
    SELECT 'delete', old.id, group_concat('q' || substr(old.name, p.n, 1), '' ORDER BY p.n) || 'q'
    FROM search_positions p WHERE p.n <= length(old.name);
END;
CREATE TRIGGER customers_short_fts_update AFTER UPDATE OF name ON customers BEGIN
    INSERT INTO customers_short_fts (customers_short_fts, rowid, name)
    SELECT 'delete', old.id, group_concat('q' || substr(old.name, p.n, 1), '' ORDER BY p.n) || 'q'
    FROM search_positions p WHERE p.n <= length(old.name);
    INSERT INTO customers_short_fts (rowid, name)
    SELECT new.id, group_concat('q' || substr(new.name, p.n, 1), '' ORDER BY p.n) || 'q'
    FROM search_positions p WHERE p.n <= length(new.name);
END;

CREATE INDEX knowledge_entries_updated ON knowledge_entries (updated_at, id);
