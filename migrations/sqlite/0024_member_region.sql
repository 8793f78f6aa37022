-- Each member carries its customer's region, kept by a trigger when the
-- customer's region changes, so the metrics group a campaign's members by
-- region from the members' index alone. Joining each member to its customer
-- and sorting the groups took 60–80 ms for 50,000 members (SQLite 3.50);
-- read in index order, 15–20 ms.
ALTER TABLE campaign_members ADD COLUMN region TEXT NOT NULL DEFAULT '';
UPDATE campaign_members SET region = COALESCE(
    (SELECT c.region FROM customers c WHERE c.id = campaign_members.customer_id), '');

CREATE TRIGGER customers_region_to_members AFTER UPDATE OF region ON customers
WHEN OLD.region IS NOT NEW.region
BEGIN
    UPDATE campaign_members SET region = NEW.region WHERE customer_id = NEW.id;
END;

DROP INDEX campaign_members_groups;
CREATE INDEX campaign_members_groups ON campaign_members (campaign_id, assignee_id, tier, region, source, partner,
    first_channel, stage, contacted_on, intent_on, order_amount_fen, customer_id);
