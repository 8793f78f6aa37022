-- Sign-in throttling with exponential backoff: one row per key (an account,
-- an address, or an account from one address) instead of one row per failure,
-- so the check is one primary-key read and every server shares the state.

CREATE TABLE sign_in_throttle (
    key             TEXT    PRIMARY KEY,
    failures        BIGINT  NOT NULL,
    last_failure_at TEXT    NOT NULL,
    blocked_until   TEXT
);
CREATE INDEX sign_in_throttle_last_failure ON sign_in_throttle (last_failure_at);

DROP TABLE login_failures;
