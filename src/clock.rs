//! The team's clock: mainland China, UTC+8 all year (no daylight saving since 1991).

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

pub fn china_offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset is valid"))
}

pub fn now_in_china() -> DateTime<FixedOffset> {
    Utc::now().with_timezone(&china_offset())
}

/// Today's date in Asia/Shanghai, which decides tiers and deadlines.
pub fn today() -> NaiveDate {
    now_in_china().date_naive()
}
