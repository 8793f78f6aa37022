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
    /// The start of the working day: the morning reminders (phase
    /// deadlines, each person's tasks due) are made then.
    pub workday_start: NaiveTime,
    /// When the stand-up digest goes to the team's group channels.
    pub standup_at: NaiveTime,
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
            standup_at: hm(9, 0),
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

impl NotifySettings {
    /// The time of day a daily digest is made: each person's tasks at the
    /// start of the working day, missing follow-ups at the team's cutoff
    /// (the stand-up's own, passed in), the stand-up at its set time.
    /// `None` for kinds that are not daily digests.
    pub fn digest_slot(&self, kind: EventKind, cutoff: NaiveTime) -> Option<NaiveTime> {
        match kind {
            EventKind::TasksDue => Some(self.workday_start),
            EventKind::FollowUpMissing => Some(cutoff),
            EventKind::StandupDigest => Some(self.standup_at),
            _ => None,
        }
    }

    /// The working day whose digest of `kind` is to be made now: switched
    /// on, and its slot open (see [`Self::slot_open`]). Every scan of that
    /// day answers the same date, so the day's key makes it once.
    pub fn digest_due(
        &self,
        kind: EventKind,
        now: DateTime<Utc>,
        cutoff: NaiveTime,
        calendar: &WorkCalendar,
    ) -> Option<NaiveDate> {
        if !self.is_enabled(kind) {
            return None;
        }
        self.slot_open(now, self.digest_slot(kind, cutoff)?, calendar)
    }

    /// The first daily time that falls within quiet hours, by its field
    /// name: such a digest could never be made.
    pub fn quiet_slot(&self, cutoff: NaiveTime) -> Option<&'static str> {
        [("workday_start", self.workday_start), ("followup_cutoff", cutoff), ("standup_at", self.standup_at)]
            .into_iter()
            .find(|(_, t)| self.is_quiet(*t))
            .map(|(field, _)| field)
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

    #[test]
    fn digests_are_due_at_their_slot_on_working_days_only() {
        let s = NotifySettings { standup_at: hm(9, 30), ..NotifySettings::default() };
        let cal = WorkCalendar::official();
        let cutoff = hm(18, 0);
        let due = |kind, day: &str, h, m| s.digest_due(kind, t(day, h, m), cutoff, &cal);
        // Wednesday 2026-11-25.
        assert_eq!(due(EventKind::TasksDue, "2026-11-25", 8, 59), None);
        assert_eq!(due(EventKind::TasksDue, "2026-11-25", 9, 0), Some(d("2026-11-25")));
        assert_eq!(due(EventKind::StandupDigest, "2026-11-25", 9, 10), None);
        assert_eq!(due(EventKind::StandupDigest, "2026-11-25", 9, 30), Some(d("2026-11-25")));
        assert_eq!(due(EventKind::FollowUpMissing, "2026-11-25", 17, 59), None);
        assert_eq!(due(EventKind::FollowUpMissing, "2026-11-25", 18, 0), Some(d("2026-11-25")));
        // Held by quiet hours: nothing is made at night; the next morning is a new day's.
        assert_eq!(due(EventKind::FollowUpMissing, "2026-11-25", 21, 30), None);
        assert_eq!(due(EventKind::TasksDue, "2026-11-26", 7, 0), None);
        // A holiday, a weekend, and an adjusted working Saturday (2026-10-10).
        assert_eq!(due(EventKind::TasksDue, "2026-10-05", 10, 0), None);
        assert_eq!(due(EventKind::StandupDigest, "2026-11-28", 10, 0), None);
        assert_eq!(due(EventKind::StandupDigest, "2026-10-10", 10, 0), Some(d("2026-10-10")));
        // Not a digest, or switched off.
        assert_eq!(due(EventKind::BlockerRaised, "2026-11-25", 10, 0), None);
        let off = NotifySettings { enabled: BTreeSet::new(), ..s.clone() };
        assert_eq!(off.digest_due(EventKind::TasksDue, t("2026-11-25", 10, 0), cutoff, &cal), None);
    }

    #[test]
    fn a_digest_time_within_quiet_hours_is_named() {
        let s = NotifySettings::default();
        assert_eq!(s.quiet_slot(hm(18, 0)), None);
        assert_eq!(s.quiet_slot(hm(22, 0)), Some("followup_cutoff"));
        let s = NotifySettings { standup_at: hm(7, 0), ..NotifySettings::default() };
        assert_eq!(s.quiet_slot(hm(18, 0)), Some("standup_at"));
    }

    proptest! {
        /// A digest is due only on the day of `now`, a working day, at or
        /// after its slot and outside quiet hours; and once due, it stays due
        /// (with the same date) for the rest of that day's open window.
        #[test]
        fn digest_due_is_the_working_day_after_its_slot(
            minutes in 0i64..(3 * 366 * 24 * 60),
            later in 0i64..(24 * 60),
            qs in 0u32..24, qe in 0u32..24, slot in 0u32..24, kind in 0usize..3,
        ) {
            let s = NotifySettings {
                quiet_start: hm(qs, 0), quiet_end: hm(qe, 0), standup_at: hm(slot, 0), workday_start: hm(slot, 0),
                ..NotifySettings::default()
            };
            let kind = [EventKind::TasksDue, EventKind::FollowUpMissing, EventKind::StandupDigest][kind];
            let cal = WorkCalendar::official();
            let now = t("2024-01-01", 0, 0) + chrono::Duration::minutes(minutes);
            let local = now.with_timezone(&china()).naive_local();
            if let Some(day) = s.digest_due(kind, now, hm(slot, 0), &cal) {
                prop_assert_eq!(day, local.date());
                prop_assert!(cal.is_working_day(day));
                prop_assert!(local.time() >= hm(slot, 0));
                prop_assert!(!s.is_quiet(local.time()));
                let then = now + chrono::Duration::minutes(later);
                let then_local = then.with_timezone(&china()).naive_local();
                if then_local.date() == day && !s.is_quiet(then_local.time()) {
                    prop_assert_eq!(s.digest_due(kind, then, hm(slot, 0), &cal), Some(day));
                }
            } else {
                prop_assert!(
                    !cal.is_working_day(local.date()) || local.time() < hm(slot, 0) || s.is_quiet(local.time())
                );
            }
        }
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
