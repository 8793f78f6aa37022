-- Each member's first follow-up (earliest by occurred_at, then id): its
-- channel is the metrics' "by channel" breakdown. Kept on the member when a
-- follow-up is logged, edited or deleted, so the metrics read the members
-- alone; working it out on read took a pass over all the campaign's
-- follow-ups (0.4–0.5 s for 200,000).
ALTER TABLE campaign_members ADD COLUMN first_channel TEXT, ADD COLUMN first_follow_up_at TIMESTAMPTZ;
UPDATE campaign_members m SET first_channel = f.channel, first_follow_up_at = f.occurred_at
FROM (SELECT DISTINCT ON (member_id) member_id, channel, occurred_at FROM follow_ups
      ORDER BY member_id, occurred_at, id) f
WHERE f.member_id = m.id;
