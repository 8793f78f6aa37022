//! The tier playbook (template's 分级触达): which actions each tier gets and
//! within how many working days. Each member gets one task per step of its
//! tier, due that many working days after the later of the campaign's start
//! and the day the member was added.

use chrono::NaiveDate;

use super::codes;
use crate::domain::calendar::WorkCalendar;
use crate::domain::customer::Channel;
use crate::domain::segment::Tier;

/// What a step asks the rep to do; decides which follow-ups complete it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// 电话沟通
    Phone,
    /// 上门拜访 (with a proposal built on the customer's history)
    Visit,
    /// 邮件/微信邀约 (the exclusive offer and a script)
    Invite,
    /// 社群/公众号推送
    Push,
    /// 长期培育
    Nurture,
}

codes!(
    Action,
    "action",
    [(Phone, "phone"), (Visit, "visit"), (Invite, "invite"), (Push, "push"), (Nurture, "nurture")]
);

impl Action {
    /// Whether a follow-up by `channel` does this step.
    pub fn done_by(self, channel: Channel) -> bool {
        match self {
            Action::Phone => channel == Channel::Phone,
            Action::Visit => matches!(channel, Channel::Visit | Channel::Event),
            Action::Invite => matches!(channel, Channel::Email | Channel::Im),
            Action::Push => matches!(channel, Channel::Im | Channel::Email | Channel::Event),
            Action::Nurture => true,
        }
    }

    /// The steps a follow-up by `channel` may complete.
    pub fn completed_by(channel: Channel) -> Vec<Action> {
        Action::ALL.iter().copied().filter(|a| a.done_by(channel)).collect()
    }
}

/// One step of a tier's playbook.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Step {
    #[serde(with = "tier_code")]
    pub tier: Tier,
    pub action: Action,
    /// Working days after the start (or the day the member joined).
    pub within_days: u32,
    /// What to do, as the rep reads it.
    pub what: String,
}

mod tier_code {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::domain::segment::Tier;

    pub fn serialize<S: Serializer>(t: &Tier, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(t.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Tier, D::Error> {
        let raw = String::deserialize(d)?;
        raw.parse().map_err(|()| serde::de::Error::custom(format!("unknown tier {raw:?}: expected S, B or C")))
    }
}

/// The template's playbook: S phone within 1 working day and a visit with a
/// proposal within 3; B an email/IM invitation with the exclusive offer and a
/// script within 2; C a community / official-account push within 3, then
/// nurture.
pub fn default_playbook() -> Vec<Step> {
    let step = |tier, action, within_days, what: &str| Step { tier, action, within_days, what: what.to_owned() };
    vec![
        step(Tier::S, Action::Phone, 1, "电话沟通：介绍活动，了解近期需求"),
        step(Tier::S, Action::Visit, 3, "上门拜访：结合客户历史采购带方案"),
        step(Tier::B, Action::Invite, 2, "邮件/微信邀约：发送专属优惠与话术"),
        step(Tier::C, Action::Push, 3, "社群/公众号推送活动信息"),
        step(Tier::C, Action::Nurture, 10, "长期培育：关注反馈，适时跟进"),
    ]
}

pub const MAX_STEPS_PER_TIER: usize = 6;
pub const MAX_WITHIN_DAYS: u32 = 60;

/// Checks an edited playbook; the message names the step (`steps[2].what`).
pub fn check(steps: &[Step]) -> Result<(), (String, &'static str)> {
    for (i, s) in steps.iter().enumerate() {
        if s.within_days > MAX_WITHIN_DAYS {
            return Err((format!("steps[{i}].within_days"), "at most 60 working days"));
        }
        let what = s.what.trim();
        if what.is_empty() {
            return Err((format!("steps[{i}].what"), "say what the step is"));
        }
        if what.chars().count() > 200 {
            return Err((format!("steps[{i}].what"), "at most 200 characters"));
        }
    }
    for tier in Tier::ALL {
        if steps.iter().filter(|s| s.tier == tier).count() > MAX_STEPS_PER_TIER {
            return Err(("steps".to_owned(), "at most 6 steps per tier"));
        }
    }
    Ok(())
}

/// The day a member's tasks count from: the start, or the day it joined
/// when that was later.
pub fn base_day(starts_on: NaiveDate, added_on: NaiveDate) -> NaiveDate {
    starts_on.max(added_on)
}

/// A task to create: the step's index in the playbook and its due date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedTask {
    pub step: usize,
    pub action: Action,
    pub what: String,
    pub due_on: NaiveDate,
}

/// The tasks of a member of `tier` whose tasks count from `base`.
pub fn plan(steps: &[Step], tier: Tier, base: NaiveDate, calendar: &WorkCalendar) -> Vec<PlannedTask> {
    steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.tier == tier)
        .filter_map(|(i, s)| {
            let due = calendar.checked_add_working_days(base, s.within_days)?.value;
            Some(PlannedTask { step: i, action: s.action, what: s.what.clone(), due_on: due })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_template_playbook_on_the_official_calendar() {
        let cal = WorkCalendar::official();
        // Start Monday 2025-09-29; National Day and Mid-Autumn run 10-01..08.
        let s = plan(&default_playbook(), Tier::S, d("2025-09-29"), &cal);
        assert_eq!(
            s.iter().map(|t| (t.action, t.due_on)).collect::<Vec<_>>(),
            vec![(Action::Phone, d("2025-09-30")), (Action::Visit, d("2025-10-10")),]
        );
        let b = plan(&default_playbook(), Tier::B, d("2025-09-29"), &cal);
        assert_eq!(b[0].due_on, d("2025-10-09"));
        let c = plan(&default_playbook(), Tier::C, d("2025-09-29"), &cal);
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn late_members_count_from_the_day_they_joined() {
        assert_eq!(base_day(d("2026-11-02"), d("2026-11-05")), d("2026-11-05"));
        assert_eq!(base_day(d("2026-11-02"), d("2026-10-20")), d("2026-11-02"));
    }

    #[test]
    fn follow_ups_complete_the_matching_step() {
        assert!(Action::Phone.done_by(Channel::Phone));
        assert!(!Action::Phone.done_by(Channel::Visit));
        assert!(Action::Invite.done_by(Channel::Im));
        assert_eq!(Action::completed_by(Channel::Visit), vec![Action::Visit, Action::Nurture]);
    }

    #[test]
    fn edited_playbooks_are_checked() {
        let mut steps = default_playbook();
        assert!(check(&steps).is_ok());
        steps[1].what = " ".to_owned();
        assert_eq!(check(&steps).unwrap_err().0, "steps[1].what");
        steps[1].what = "拜访".to_owned();
        steps[0].within_days = 61;
        assert_eq!(check(&steps).unwrap_err().0, "steps[0].within_days");
    }

    #[test]
    fn steps_read_and_write_json() {
        let json = serde_json::to_string(&default_playbook()[0]).unwrap();
        assert!(json.contains("\"tier\":\"S\"") && json.contains("\"action\":\"phone\""), "{json}");
        let back: Step = serde_json::from_str(&json).unwrap();
        assert_eq!(back, default_playbook()[0]);
        assert!(serde_json::from_str::<Step>(r#"{"tier":"X","action":"phone","within_days":1,"what":"a"}"#).is_err());
    }
}
