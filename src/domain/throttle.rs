//! Sign-in throttling as arithmetic: how long a key (an account, an address,
//! or the pair of both) must wait after a number of failed attempts. No hard
//! lockout: every wait ends, and it doubles with each further failure.

use chrono::Duration;

/// The policy of one kind of key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Failures tolerated before any wait.
    pub free: i64,
    /// The first wait; each further failure doubles it.
    pub base: Duration,
    /// The longest wait.
    pub cap: Duration,
}

/// One person guessing one account from one address: the tightest rule.
pub const PAIR: Policy = Policy { free: 5, base: Duration::seconds(15), cap: Duration::hours(1) };
/// One address trying many accounts (password spraying, or an office behind one NAT).
pub const ADDRESS: Policy = Policy { free: 30, base: Duration::seconds(15), cap: Duration::hours(1) };
/// Many addresses guessing one account: generous, so that one attacker's
/// guesses (already slowed by [`PAIR`]) do not keep the owner out.
pub const ACCOUNT: Policy = Policy { free: 50, base: Duration::seconds(15), cap: Duration::minutes(15) };

/// Failure counts older than this start again from zero.
pub const FORGET_AFTER: Duration = Duration::hours(24);

impl Policy {
    /// The wait after the `failures`-th failure, or `None` while within the free attempts.
    pub fn wait_after(&self, failures: i64) -> Option<Duration> {
        if failures < self.free {
            return None;
        }
        // 2^20 × 15 s is far beyond any cap; stop doubling there (no overflow).
        let doublings = u32::try_from(failures - self.free).unwrap_or(u32::MAX).min(20);
        let wait = self.base.checked_mul(1 << doublings).unwrap_or(self.cap);
        Some(wait.min(self.cap))
    }
}

/// Whole seconds until `until`, at least 1 (for a `Retry-After` header).
pub fn retry_after_seconds(until: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc>) -> i64 {
    let millis = (until - now).num_milliseconds().max(0);
    ((millis + 999) / 1000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_attempts_then_doubling_waits_up_to_the_cap() {
        assert_eq!(PAIR.wait_after(1), None);
        assert_eq!(PAIR.wait_after(4), None);
        assert_eq!(PAIR.wait_after(5), Some(Duration::seconds(15)));
        assert_eq!(PAIR.wait_after(6), Some(Duration::seconds(30)));
        assert_eq!(PAIR.wait_after(7), Some(Duration::seconds(60)));
        assert_eq!(PAIR.wait_after(13), Some(Duration::hours(1)));
        assert_eq!(PAIR.wait_after(i64::MAX), Some(Duration::hours(1)));
        assert_eq!(ACCOUNT.wait_after(1_000), Some(Duration::minutes(15)));
    }

    #[test]
    fn retry_after_rounds_up() {
        let now = chrono::Utc::now();
        assert_eq!(retry_after_seconds(now + Duration::milliseconds(1), now), 1);
        assert_eq!(retry_after_seconds(now + Duration::milliseconds(15_001), now), 16);
        assert_eq!(retry_after_seconds(now - Duration::seconds(3), now), 1);
    }
}
