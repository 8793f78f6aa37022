//! The team's clock: mainland China, UTC+8 all year (no daylight saving since 1991).
//!
//! Use cases read the time from the [`Clock`] their store carries, so tests can
//! pin "today" (deadlines, tiers and "overdue" all depend on it).

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

pub fn china_offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset is valid"))
}

/// The system clock, or a fixed instant (tests, benchmarks, reproducible demos).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Clock {
    #[default]
    System,
    Fixed(DateTime<Utc>),
}

impl Clock {
    /// A clock standing still at noon (Asia/Shanghai) of `day`.
    pub fn fixed_on(day: NaiveDate) -> Clock {
        let noon = day.and_hms_opt(12, 0, 0).unwrap_or_default();
        Clock::Fixed(noon.and_local_timezone(china_offset()).single().map(|t| t.to_utc()).unwrap_or_default())
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(at) => *at,
        }
    }

    pub fn now_in_china(&self) -> DateTime<FixedOffset> {
        self.now().with_timezone(&china_offset())
    }

    /// Today's date in Asia/Shanghai, which decides tiers and deadlines.
    pub fn today(&self) -> NaiveDate {
        self.now_in_china().date_naive()
    }
}

pub fn now_in_china() -> DateTime<FixedOffset> {
    Clock::System.now_in_china()
}

/// Today by the system clock; use cases use `store.today()` instead.
pub fn today() -> NaiveDate {
    Clock::System.today()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_day_is_that_day_in_china() {
        let day = NaiveDate::from_ymd_opt(2026, 10, 10).unwrap();
        let clock = Clock::fixed_on(day);
        assert_eq!(clock.today(), day);
        assert_eq!(clock.now().to_rfc3339(), "2026-10-10T04:00:00+00:00");
    }
}
