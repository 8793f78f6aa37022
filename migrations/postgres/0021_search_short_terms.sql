-- Search speed (issue 12).
--
-- 1. Customers' names get an index for one- and two-character terms (价格,
--    机械), which pg_trgm cannot look up: the name with a letter before every
--    character and after the last (`q价q格q`), so the pair 价格 is the trigram
--    价q格. A letter, because pg_trgm only takes letters and digits into its
--    trigrams. store::knowledge matches the same expression with LIKE/ILIKE.
--    Notes and entries do without: their searches read the latest rows first.
-- 2. Entries by their last change, which the search's first page walks.

CREATE FUNCTION search_spread(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT regexp_replace(t, '(.)', 'q\1', 'g') || 'q' $$;
CREATE INDEX customers_name_spread_trgm ON customers USING gin (search_spread(name) gin_trgm_ops);

CREATE INDEX knowledge_entries_updated ON knowledge_entries (updated_at, id);
