-- How many customers have each value of the columns segments count most:
-- region, industry and the maintained activity dates (a tier S test is a
-- range of s_anchor_on). A segment count such as `region = "华东"` or
-- `last_inquiry within 90d` adds up a few of these rows instead of reading
-- every matching customer's index entry (`domain::segment::kept_count`).
-- Dates are kept as their YYYY-MM-DD text; a missing date is not counted.
--
-- A value's count is the sum of its rows. Writers only ever add rows
-- (statement triggers, one row per value a statement changed, with the net
-- change), so concurrent writers never wait on a shared counter row — a row
-- per value updated in place would make every follow-up of the day queue
-- behind the others on today's `last_interaction_on`. The server folds the
-- rows into one per value every few seconds (`Store::fold_customer_counts`).
-- No writer may slip in between the first count and the triggers.
LOCK TABLE customers IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE customer_counts (
    dimension TEXT   NOT NULL,
    value     TEXT   NOT NULL,
    n         BIGINT NOT NULL
);
CREATE INDEX customer_counts_value ON customer_counts (dimension, value) INCLUDE (n);

INSERT INTO customer_counts (dimension, value, n)
SELECT 'region', region, COUNT(*) FROM customers GROUP BY region
UNION ALL SELECT 'industry', industry, COUNT(*) FROM customers GROUP BY industry
UNION ALL SELECT 'last_interaction_on', to_char(last_interaction_on, 'YYYY-MM-DD'), COUNT(*) FROM customers
    WHERE last_interaction_on IS NOT NULL GROUP BY last_interaction_on
UNION ALL SELECT 'last_inquiry_on', to_char(last_inquiry_on, 'YYYY-MM-DD'), COUNT(*) FROM customers
    WHERE last_inquiry_on IS NOT NULL GROUP BY last_inquiry_on
UNION ALL SELECT 'last_order_on', to_char(last_order_on, 'YYYY-MM-DD'), COUNT(*) FROM customers
    WHERE last_order_on IS NOT NULL GROUP BY last_order_on
UNION ALL SELECT 's_anchor_on', to_char(s_anchor_on, 'YYYY-MM-DD'), COUNT(*) FROM customers
    WHERE s_anchor_on IS NOT NULL GROUP BY s_anchor_on;

-- Each function turns the statement's rows into (dimension, value) pairs,
-- one per customer and counted column, and adds one row per value.
CREATE FUNCTION customer_counts_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO customer_counts (dimension, value, n)
    SELECT v.dimension, v.value, COUNT(*)
    FROM (SELECT d.dimension, d.value
          FROM added c,
               LATERAL (VALUES ('region', c.region),
                               ('industry', c.industry),
                               ('last_interaction_on', to_char(c.last_interaction_on, 'YYYY-MM-DD')),
                               ('last_inquiry_on', to_char(c.last_inquiry_on, 'YYYY-MM-DD')),
                               ('last_order_on', to_char(c.last_order_on, 'YYYY-MM-DD')),
                               ('s_anchor_on', to_char(c.s_anchor_on, 'YYYY-MM-DD'))) d (dimension, value)
          WHERE d.value IS NOT NULL) v
    GROUP BY v.dimension, v.value;
    RETURN NULL;
END
$$;

CREATE FUNCTION customer_counts_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO customer_counts (dimension, value, n)
    SELECT v.dimension, v.value, -COUNT(*)
    FROM (SELECT d.dimension, d.value
          FROM removed c,
               LATERAL (VALUES ('region', c.region),
                               ('industry', c.industry),
                               ('last_interaction_on', to_char(c.last_interaction_on, 'YYYY-MM-DD')),
                               ('last_inquiry_on', to_char(c.last_inquiry_on, 'YYYY-MM-DD')),
                               ('last_order_on', to_char(c.last_order_on, 'YYYY-MM-DD')),
                               ('s_anchor_on', to_char(c.s_anchor_on, 'YYYY-MM-DD'))) d (dimension, value)
          WHERE d.value IS NOT NULL) v
    GROUP BY v.dimension, v.value;
    RETURN NULL;
END
$$;

-- An update adds the new values and takes away the old; values that did not
-- change cancel out and write nothing (most updates change no counted column).
CREATE FUNCTION customer_counts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO customer_counts (dimension, value, n)
    SELECT v.dimension, v.value, SUM(v.n)
    FROM (SELECT a.dimension, a.value, 1 AS n FROM (SELECT d.dimension, d.value
          FROM added c,
               LATERAL (VALUES ('region', c.region),
                               ('industry', c.industry),
                               ('last_interaction_on', to_char(c.last_interaction_on, 'YYYY-MM-DD')),
                               ('last_inquiry_on', to_char(c.last_inquiry_on, 'YYYY-MM-DD')),
                               ('last_order_on', to_char(c.last_order_on, 'YYYY-MM-DD')),
                               ('s_anchor_on', to_char(c.s_anchor_on, 'YYYY-MM-DD'))) d (dimension, value)
          WHERE d.value IS NOT NULL) a
          UNION ALL
          SELECT r.dimension, r.value, -1 FROM (SELECT d.dimension, d.value
          FROM removed c,
               LATERAL (VALUES ('region', c.region),
                               ('industry', c.industry),
                               ('last_interaction_on', to_char(c.last_interaction_on, 'YYYY-MM-DD')),
                               ('last_inquiry_on', to_char(c.last_inquiry_on, 'YYYY-MM-DD')),
                               ('last_order_on', to_char(c.last_order_on, 'YYYY-MM-DD')),
                               ('s_anchor_on', to_char(c.s_anchor_on, 'YYYY-MM-DD'))) d (dimension, value)
          WHERE d.value IS NOT NULL) r) v
    GROUP BY v.dimension, v.value
    HAVING SUM(v.n) <> 0;
    RETURN NULL;
END
$$;

CREATE TRIGGER customer_counts_insert AFTER INSERT ON customers
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION customer_counts_added();
CREATE TRIGGER customer_counts_delete AFTER DELETE ON customers
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION customer_counts_removed();
CREATE TRIGGER customer_counts_update AFTER UPDATE ON customers
    REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION customer_counts_changed();
