//! When messages may go out: on working days of the official calendar
//! (holidays off, adjusted working weekends on) and outside the team's quiet
//! hours, all in Asia/Shanghai. A message that falls outside is held, not
//! dropped; a scheduled reminder is only made while its day's window is open.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use super::EventKind;
use crate::domain::calendar::WorkCalendar;

/// The team's notification settings (设置 → 通知).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifySettings {
    /// Events the team hears about; the others are not made at all.
    pub enabled: BTreeSet<EventKind>,
    /// Quiet hours: no external message from `quiet_start` to `quiet_end`
    /// (wrapping past midnight when the start is later than the end).
    pub quiet_start: NaiveTime,
    pub quiet_end: NaiveTime,
    /// The start of the working day: the morning reminders go out then.
    pub workday_start: NaiveTime,
    /// The language of robot, webhook and mail texts (`zh-CN` or `en`).
    pub language: String,
    /// Rally's address as its users reach it (`https://rally.example.com`),
    /// so messages link into it; empty: links are paths.
    pub public_url: String,
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default()
}

impl Default for NotifySettings {
    fn default() -> Self {
        NotifySettings {
            enabled: EventKind::CONFIGURABLE.into_iter().collect(),
            quiet_start: hm(21, 0),
            quiet_end: hm(8, 0),
            workday_start: hm(9, 0),
            language: "zh-CN".to_owned(),
            public_url: String::new(),
        }
    }
}

impl NotifySettings {
    pub fn is_enabled(&self, kind: EventKind) -> bool {
        kind == EventKind::Test || self.enabled.contains(&kind)
    }

    /// Whether `t` (Asia/Shanghai) is within quiet hours.
    pub fn is_quiet(&self, t: NaiveTime) -> bool {
        let (start, end) = (self.quiet_start, self.quiet_end);
        if start == end {
            false
        } else if start < end {
            start <= t && t < end
        } else {
            t >= start || t < end
        }
    }

    /// The earliest instant at or after `at` when an external message may
    /// go: a working day, outside quiet hours. Held messages go at the end of
    /// the quiet hours ("held until morning") of the next working day.
    pub fn release_at(&self, at: DateTime<Utc>, calendar: &WorkCalendar) -> DateTime<Utc> {
        let local = at.with_timezone(&china()).naive_local();
        let (mut day, time) = (local.date(), local.time());
        if calendar.is_working_day(day) {
            if !self.is_quiet(time) {
                return at;
            }
            // Early morning (or a quiet hour in the day): later the same day.
            if time < self.quiet_end {
                return at_local(day, self.quiet_end);
            }
        }
        // A holiday block is at most a few weeks long; a year is a safe bound.
        for _ in 0..370 {
            day = day.succ_opt().unwrap_or(day);
            if calendar.is_working_day(day) {
                return at_local(day, self.morning());
            }
        }
        at
    }

    /// The first moment of a working day when messages may go: the end of
    /// quiet hours that span the night, else the start of the working day.
    fn morning(&self) -> NaiveTime {
        if self.quiet_start > self.quiet_end || self.is_quiet(self.workday_start) {
            self.quiet_end
        } else {
            self.workday_start
        }
    }

    /// Today's date when the day's reminders at `slot` may be made now: a
    /// working day, the slot has come, and quiet hours have not begun (a
    /// reminder made at night would arrive stale the next morning).
    pub fn slot_open(&self, now: DateTime<Utc>, slot: NaiveTime, calendar: &WorkCalendar) -> Option<NaiveDate> {
        let local = now.with_timezone(&china()).naive_local();
        let (day, time) = (local.date(), local.time());
        (calendar.is_working_day(day) && time >= slot && !self.is_quiet(time)).then_some(day)
    }
}

/// Asia/Shanghai: UTC+8 all year.
pub fn china() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| chrono::FixedOffset::east_opt(0).expect("zero offset"))
}

/// The instant of `time` on `day` in Asia/Shanghai.
pub fn at_local(day: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    day.and_time(time).and_local_timezone(china()).single().map(|t| t.to_utc()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn t(day: &str, h: u32, m: u32) -> DateTime<Utc> {
        at_local(d(day), hm(h, m))
    }

    #[test]
    fn quiet_hours_hold_until_morning() {
        let s = NotifySettings::default();
        let cal = WorkCalendar::official();
        // Tuesday 2026-11-24 22:30 → Wednesday 08:00.
        assert_eq!(s.release_at(t("2026-11-24", 22, 30), &cal), t("2026-11-25", 8, 0));
        // Early morning → the same day 08:00.
        assert_eq!(s.release_at(t("2026-11-25", 6, 10), &cal), t("2026-11-25", 8, 0));
        // Daytime on a working day: at once.
        assert_eq!(s.release_at(t("2026-11-25", 14, 0), &cal), t("2026-11-25", 14, 0));
        // 21:00 is quiet, 08:00 is not.
        assert!(s.is_quiet(hm(21, 0)));
        assert!(!s.is_quiet(hm(8, 0)));
    }

    #[test]
    fn weekends_and_holidays_hold_until_the_next_working_morning() {
        let s = NotifySettings::default();
        let cal = WorkCalendar::official();
        // Friday evening → Monday 08:00.
        assert_eq!(s.release_at(t("2026-11-27", 21, 30), &cal), t("2026-11-30", 8, 0));
        // National Day 2026 (Oct 1–7 off) → Thursday Oct 8.
        assert_eq!(s.release_at(t("2026-10-02", 10, 0), &cal), t("2026-10-08", 8, 0));
        // An adjusted working Saturday (2026-10-10) is a working day.
        assert!(cal.is_working_day(d("2026-10-10")));
        assert_eq!(s.release_at(t("2026-10-10", 10, 0), &cal), t("2026-10-10", 10, 0));
        assert_eq!(s.slot_open(t("2026-10-10", 9, 5), hm(9, 0), &cal), Some(d("2026-10-10")));
    }

    #[test]
    fn reminders_are_made_only_while_their_day_is_open() {
        let s = NotifySettings::default();
        let cal = WorkCalendar::official();
        assert_eq!(s.slot_open(t("2026-11-25", 8, 59), hm(9, 0), &cal), None);
        assert_eq!(s.slot_open(t("2026-11-25", 9, 0), hm(9, 0), &cal), Some(d("2026-11-25")));
        assert_eq!(s.slot_open(t("2026-11-25", 20, 59), hm(9, 0), &cal), Some(d("2026-11-25")));
        assert_eq!(s.slot_open(t("2026-11-25", 21, 0), hm(9, 0), &cal), None);
        assert_eq!(s.slot_open(t("2026-11-28", 10, 0), hm(9, 0), &cal), None, "a Saturday");
        assert_eq!(s.slot_open(t("2026-10-05", 10, 0), hm(9, 0), &cal), None, "National Day");
    }

    #[test]
    fn daytime_quiet_hours_and_none() {
        let mut s = NotifySettings { quiet_start: hm(12, 0), quiet_end: hm(13, 30), ..NotifySettings::default() };
        assert!(s.is_quiet(hm(12, 15)) && !s.is_quiet(hm(13, 30)) && !s.is_quiet(hm(23, 0)));
        s.quiet_end = s.quiet_start;
        assert!(!s.is_quiet(hm(3, 0)));
    }

    proptest! {
        /// Whatever the moment and the quiet hours, the release is not
        /// earlier, falls on a working day outside quiet hours, and is at
        /// most a few weeks later.
        #[test]
        fn release_is_allowed_and_never_early(
            minutes in 0i64..(3 * 366 * 24 * 60),
            qs in 0u32..24, qe in 0u32..24,
        ) {
            let s = NotifySettings { quiet_start: hm(qs, 0), quiet_end: hm(qe, 0), ..NotifySettings::default() };
            let cal = WorkCalendar::official();
            let at = t("2024-01-01", 0, 0) + chrono::Duration::minutes(minutes);
            let out = s.release_at(at, &cal);
            prop_assert!(out >= at);
            prop_assert!(out - at <= chrono::Duration::days(20));
            let local = out.with_timezone(&china()).naive_local();
            prop_assert!(cal.is_working_day(local.date()));
            prop_assert!(!s.is_quiet(local.time()));
        }
    }
}
