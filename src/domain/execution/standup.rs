//! The daily stand-up's flags: who has not updated their follow-up record
//! (未更新) by the team's cutoff, and what is overdue.

use chrono::{NaiveDate, NaiveTime};

use super::TimeOfDay;
use crate::domain::calendar::WorkCalendar;

/// The team's default cutoff for the day's follow-up record.
pub fn default_cutoff() -> TimeOfDay {
    TimeOfDay(NaiveTime::from_hms_opt(18, 0, 0).unwrap_or_default())
}

/// Whether a rep is flagged 未更新 on `date`: they have members to work,
/// logged nothing that day, the day is a working day and its cutoff has
/// passed (`now` is the current day and time in Asia/Shanghai).
pub fn missing_update(
    has_members: bool,
    logged: bool,
    date: NaiveDate,
    now: (NaiveDate, NaiveTime),
    cutoff: TimeOfDay,
    calendar: &WorkCalendar,
) -> bool {
    let past_cutoff = date < now.0 || (date == now.0 && now.1 >= cutoff.0);
    has_members && !logged && past_cutoff && calendar.is_working_day(date)
}

/// Whether something due on `due_on` is overdue on `date`.
pub fn overdue(due_on: NaiveDate, date: NaiveDate) -> bool {
    due_on < date
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn t(s: &str) -> NaiveTime {
        NaiveTime::parse_from_str(s, "%H:%M").unwrap()
    }

    #[test]
    fn flagged_only_after_the_cutoff_of_a_working_day() {
        let cal = WorkCalendar::official();
        let cutoff = default_cutoff();
        let friday = d("2026-11-06");
        assert!(!missing_update(true, false, friday, (friday, t("17:59")), cutoff, &cal));
        assert!(missing_update(true, false, friday, (friday, t("18:00")), cutoff, &cal));
        assert!(!missing_update(true, true, friday, (friday, t("19:00")), cutoff, &cal));
        assert!(!missing_update(false, false, friday, (friday, t("19:00")), cutoff, &cal), "no members, no flag");
        assert!(missing_update(true, false, friday, (d("2026-11-07"), t("09:00")), cutoff, &cal));
        let saturday = d("2026-11-07");
        assert!(!missing_update(true, false, saturday, (d("2026-11-09"), t("09:00")), cutoff, &cal));
        // A worked Sunday (调休) counts: 2025-09-28.
        let worked = d("2025-09-28");
        assert!(missing_update(true, false, worked, (d("2025-09-29"), t("09:00")), cutoff, &cal));
    }

    #[test]
    fn overdue_means_before_the_day() {
        assert!(overdue(d("2026-11-05"), d("2026-11-06")));
        assert!(!overdue(d("2026-11-06"), d("2026-11-06")));
    }
}
