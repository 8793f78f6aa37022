//! How long a failed send waits before its next attempt: exponential in the
//! attempt number with "equal jitter" (half fixed, half random), so servers
//! that failed together do not retry together, and capped.

use chrono::Duration;

/// The retry policy of the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The wait after the first failed attempt (before jitter).
    pub base: Duration,
    /// The longest wait.
    pub cap: Duration,
    /// Attempts in all before a job is dead.
    pub max_attempts: u32,
}

/// 30 s, 1 min, 2 min, … up to 1 h; eight attempts span about two hours.
pub const DEFAULT: Backoff = Backoff { base: Duration::seconds(30), cap: Duration::hours(1), max_attempts: 8 };

impl Backoff {
    /// The wait after failed attempt number `attempt` (1-based); `jitter` in
    /// [0, 1) picks where in [d/2, d] the wait falls.
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let doublings = attempt.saturating_sub(1).min(30);
        let full = self.base.checked_mul(1 << doublings.min(20)).unwrap_or(self.cap).min(self.cap);
        let half = full / 2;
        let jitter = if jitter.is_finite() { jitter.clamp(0.0, 1.0) } else { 0.0 };
        let extra_ms = (half.num_milliseconds() as f64 * jitter) as i64;
        half + Duration::milliseconds(extra_ms)
    }

    /// Whether a job that has made `attempts` attempts may make another.
    pub fn may_retry(&self, attempts: u32) -> bool {
        attempts < self.max_attempts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn doubles_from_the_base_up_to_the_cap() {
        let b = DEFAULT;
        assert_eq!(b.delay(1, 1.0), Duration::seconds(30));
        assert_eq!(b.delay(1, 0.0), Duration::seconds(15));
        assert_eq!(b.delay(2, 1.0), Duration::seconds(60));
        assert_eq!(b.delay(4, 1.0), Duration::seconds(240));
        assert_eq!(b.delay(30, 1.0), Duration::hours(1));
        assert_eq!(b.delay(u32::MAX, 0.0), Duration::minutes(30));
        assert!(b.may_retry(7) && !b.may_retry(8));
    }

    proptest! {
        #[test]
        fn a_wait_is_within_half_and_all_of_its_step(attempt in 1u32..200, jitter in 0.0f64..1.0) {
            let b = DEFAULT;
            let full = b.delay(attempt, 1.0);
            let d = b.delay(attempt, jitter);
            prop_assert!(d >= full / 2 && d <= full);
            prop_assert!(d <= b.cap && d >= b.base / 2);
            // Never shorter than the previous step's shortest wait.
            prop_assert!(b.delay(attempt + 1, 0.0) >= b.delay(attempt, 0.0));
        }
    }
}
