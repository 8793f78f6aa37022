//! The dates Rally accepts. Every date someone gives (forms, API, imports,
//! the command line) is checked here, so a typo like 0001-01-01 or 20251-01-01
//! cannot become a campaign whose deadline is `+10000-01-04`, and deadline
//! arithmetic never leaves chrono's range.

use chrono::NaiveDate;

/// The earliest date accepted.
pub const EARLIEST: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(d) => d,
    None => panic!("2000-01-01 is a date"),
};
/// The latest date accepted.
pub const LATEST: NaiveDate = match NaiveDate::from_ymd_opt(2100, 12, 31) {
    Some(d) => d,
    None => panic!("2100-12-31 is a date"),
};

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("{0:?} is not a date like 2025-10-10")]
    Format(String),
    #[error("{0} is outside {EARLIEST} ..= {LATEST}")]
    OutOfRange(NaiveDate),
}

/// `date` if it lies within [`EARLIEST`] ..= [`LATEST`].
pub fn check(date: NaiveDate) -> Result<NaiveDate, DateError> {
    if (EARLIEST..=LATEST).contains(&date) { Ok(date) } else { Err(DateError::OutOfRange(date)) }
}

/// A `YYYY-MM-DD` date (as forms and query strings send it) within the range.
pub fn parse(raw: &str) -> Result<NaiveDate, DateError> {
    let text = raw.trim();
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| DateError::Format(shorten(text)))?;
    check(date)
}

/// An optional form date: blank is `None`.
pub fn parse_optional(raw: &str) -> Result<Option<NaiveDate>, DateError> {
    if raw.trim().is_empty() { Ok(None) } else { parse(raw).map(Some) }
}

fn shorten(text: &str) -> String {
    text.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_is_inclusive() {
        assert_eq!(parse("2000-01-01"), Ok(EARLIEST));
        assert_eq!(parse(" 2100-12-31 "), Ok(LATEST));
        assert!(matches!(parse("1999-12-31"), Err(DateError::OutOfRange(_))));
        assert!(matches!(parse("2101-01-01"), Err(DateError::OutOfRange(_))));
        assert!(matches!(parse("0001-01-01"), Err(DateError::OutOfRange(_))));
        assert!(parse("+10000-01-04").is_err());
        assert!(matches!(parse("2025-02-30"), Err(DateError::Format(_))));
        assert_eq!(parse_optional("  "), Ok(None));
        assert_eq!(check(NaiveDate::MAX), Err(DateError::OutOfRange(NaiveDate::MAX)));
    }

    #[test]
    fn messages_do_not_echo_long_input() {
        let long = "9".repeat(10_000);
        assert!(parse(&long).unwrap_err().to_string().len() < 100);
    }
}
