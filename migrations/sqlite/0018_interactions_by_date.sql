-- The search's notes come latest first (ORDER BY occurred_on DESC, id DESC LIMIT n).
-- Without this index every match was read and sorted: a two-character term, which
-- neither SQLite's trigram table nor pg_trgm can look up, scanned and sorted a
-- million notes (1.6 s). Walking this index backwards stops at the page's last row.
CREATE INDEX interactions_occurred ON interactions (occurred_on, id);
