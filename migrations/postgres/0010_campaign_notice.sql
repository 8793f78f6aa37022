-- The marketing notice a campaign was read from (粘贴通知), kept with the plan;
-- and an index for the segment language's last_order, as for last_inquiry.

ALTER TABLE campaigns ADD COLUMN notice_text TEXT NOT NULL DEFAULT '';
CREATE INDEX customers_last_order ON customers (last_order_on);
