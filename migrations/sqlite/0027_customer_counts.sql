-- How many customers have each value of the columns segments count most:
-- region, industry and the maintained activity dates (a tier S test is a
-- range of s_anchor_on). A segment count such as `region = "华东"` or
-- `last_inquiry within 90d` adds up a few of these rows instead of reading
-- every matching customer's index entry (`domain::segment::kept_count`).
-- Dates are kept as their YYYY-MM-DD text; a missing date is not counted.
-- Triggers keep the rows current in the writing transaction (SQLite has one
-- writer, so a row per value is never contended); a value's row stays at 0
-- when its last customer moves away.
CREATE TABLE customer_counts (
    dimension TEXT   NOT NULL,
    value     TEXT   NOT NULL,
    n         BIGINT NOT NULL,
    PRIMARY KEY (dimension, value)
) WITHOUT ROWID;

INSERT INTO customer_counts (dimension, value, n)
SELECT 'region', region, COUNT(*) FROM customers GROUP BY region
UNION ALL SELECT 'industry', industry, COUNT(*) FROM customers GROUP BY industry
UNION ALL SELECT 'last_interaction_on', last_interaction_on, COUNT(*) FROM customers WHERE last_interaction_on IS NOT NULL GROUP BY last_interaction_on
UNION ALL SELECT 'last_inquiry_on', last_inquiry_on, COUNT(*) FROM customers WHERE last_inquiry_on IS NOT NULL GROUP BY last_inquiry_on
UNION ALL SELECT 'last_order_on', last_order_on, COUNT(*) FROM customers WHERE last_order_on IS NOT NULL GROUP BY last_order_on
UNION ALL SELECT 's_anchor_on', s_anchor_on, COUNT(*) FROM customers WHERE s_anchor_on IS NOT NULL GROUP BY s_anchor_on;

CREATE TRIGGER customer_counts_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customer_counts (dimension, value, n) SELECT 'region', NEW.region, 1 WHERE true
        ON CONFLICT (dimension, value) DO UPDATE SET n = n + 1;
    INSERT INTO customer_counts (dimension, value, n) SELECT 'industry', NEW.industry, 1 WHERE true
        ON CONFLICT (dimension, value) DO UPDATE SET n = n + 1;
    INSERT INTO customer_counts (dimension, value, n) SELECT 'last_interaction_on', NEW.last_interaction_on, 1 WHERE NEW.last_interaction_on IS NOT NULL
        ON CONFLICT (dimension, value) DO UPDATE SET n = n + 1;
    INSERT INTO customer_counts (dimension, value, n) SELECT 'last_inquiry_on', NEW.last_inquiry_on, 1 WHERE NEW.last_inquiry_on IS NOT NULL
        ON CONFLICT (dimension, value) DO UPDATE SET n = n + 1;
    INSERT INTO customer_counts (dimension, value, n) SELECT 'last_order_on', NEW.last_order_on, 1 WHERE NEW.last_order_on IS NOT NULL
        ON CONFLICT (dimension, value) DO UPDATE SET n = n + 1;
    INSERT INTO customer_counts (dimension, value, n) SELECT 's_anchor_on', NEW.s_anchor_on, 1 WHERE NEW.s_anchor_on IS NOT NULL
        ON CONFLICT (dimension, value) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER customer_counts_delete AFTER DELETE ON customers BEGIN
    UPDATE customer_counts SET n = n - 1 WHERE dimension = 'region' AND value = OLD.region;
    UPDATE customer_counts SET n = n - 1 WHERE dimension = 'industry' AND value = OLD.industry;
    UPDATE customer_counts SET n = n - 1 WHERE dimension = 'last_interaction_on' AND value = OLD.last_interaction_on;
    UPDATE customer_counts SET n = n - 1 WHERE dimension = 'last_inquiry_on' AND value = OLD.last_inquiry_on;
    UPDATE customer_counts SET n = n - 1 WHERE dimension = 'last_order_on' AND value = OLD.last_order_on;
    UPDATE customer_counts SET n = n - 1 WHERE dimension = 's_anchor_on' AND value = OLD.s_anchor_on;
END;

CREATE TRIGGER customer_counts_region AFTER UPDATE OF region ON customers WHEN OLD.region IS NOT NEW.region BEGIN
    UPDATE customer_counts SET n = n - 1 WHERE dimension = 'region' AND value = OLD.region;
    INSERT INTO customer_counts (dimension, value, n) SELECT 'region', NEW.region, 1 WHERE true
        ON CONFLICT (dimension, value) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER customer_counts_industry AFTER UPDATE OF industry ON customers WHEN OLD.industry IS NOT NEW.industry BEGIN
    UPDATE customer_counts SET n = n - 1 WHERE dimension = 'industry' AND value = OLD.industry;
    INSERT INTO customer_counts (dimension, value, n) SELECT 'industry', NEW.industry, 1 WHERE true
        ON CONFLICT (dimension, value) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER customer_counts_last_interaction_on AFTER UPDATE OF last_interaction_on ON customers WHEN OLD.last_interaction_on IS NOT NEW.last_interaction_on BEGIN
    UPDATE customer_counts SET n = n - 1 WHERE dimension = 'last_interaction_on' AND value = OLD.last_interaction_on;
    INSERT INTO customer_counts (dimension, value, n) SELECT 'last_interaction_on', NEW.last_interaction_on, 1 WHERE NEW.last_interaction_on IS NOT NULL
        ON CONFLICT (dimension, value) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER customer_counts_last_inquiry_on AFTER UPDATE OF last_inquiry_on ON customers WHEN OLD.last_inquiry_on IS NOT NEW.last_inquiry_on BEGIN
    UPDATE customer_counts SET n = n - 1 WHERE dimension = 'last_inquiry_on' AND value = OLD.last_inquiry_on;
    INSERT INTO customer_counts (dimension, value, n) SELECT 'last_inquiry_on', NEW.last_inquiry_on, 1 WHERE NEW.last_inquiry_on IS NOT NULL
        ON CONFLICT (dimension, value) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER customer_counts_last_order_on AFTER UPDATE OF last_order_on ON customers WHEN OLD.last_order_on IS NOT NEW.last_order_on BEGIN
    UPDATE customer_counts SET n = n - 1 WHERE dimension = 'last_order_on' AND value = OLD.last_order_on;
    INSERT INTO customer_counts (dimension, value, n) SELECT 'last_order_on', NEW.last_order_on, 1 WHERE NEW.last_order_on IS NOT NULL
        ON CONFLICT (dimension, value) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER customer_counts_s_anchor_on AFTER UPDATE OF s_anchor_on ON customers WHEN OLD.s_anchor_on IS NOT NEW.s_anchor_on BEGIN
    UPDATE customer_counts SET n = n - 1 WHERE dimension = 's_anchor_on' AND value = OLD.s_anchor_on;
    INSERT INTO customer_counts (dimension, value, n) SELECT 's_anchor_on', NEW.s_anchor_on, 1 WHERE NEW.s_anchor_on IS NOT NULL
        ON CONFLICT (dimension, value) DO UPDATE SET n = n + 1;
END;
