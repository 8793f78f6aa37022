//! Campaigns: kinds, the status flow, the four phases and their working-day
//! deadlines, milestones, and the outreach order of a target list.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

use super::calendar::WorkCalendar;
use super::segment::Tier;

/// What marketing launched (template 1's 活动类型).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignKind {
    /// 新品促销
    NewProduct,
    /// 展会
    TradeShow,
    /// 答谢会
    Appreciation,
    /// 竞品反击
    Competitive,
    Other,
}

impl CampaignKind {
    pub const ALL: [CampaignKind; 5] = [
        CampaignKind::NewProduct,
        CampaignKind::TradeShow,
        CampaignKind::Appreciation,
        CampaignKind::Competitive,
        CampaignKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CampaignKind::NewProduct => "new_product",
            CampaignKind::TradeShow => "trade_show",
            CampaignKind::Appreciation => "appreciation",
            CampaignKind::Competitive => "competitive",
            CampaignKind::Other => "other",
        }
    }

    /// The template's Chinese name, also accepted on input.
    pub fn label_zh(self) -> &'static str {
        match self {
            CampaignKind::NewProduct => "新品促销",
            CampaignKind::TradeShow => "展会",
            CampaignKind::Appreciation => "答谢会",
            CampaignKind::Competitive => "竞品反击",
            CampaignKind::Other => "其他",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}: expected one of {expected}")]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
    pub expected: &'static str,
}

impl FromStr for CampaignKind {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let v = s.trim();
        CampaignKind::ALL.into_iter().find(|k| k.as_str() == v || k.label_zh() == v).ok_or_else(|| UnknownValue {
            what: "campaign kind",
            value: s.to_owned(),
            expected: "new_product, trade_show, appreciation, competitive, other",
        })
    }
}

impl fmt::Display for CampaignKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// draft → active → ended → reviewed; a step back is allowed by one (to undo
/// a premature click), skipping forward is not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    Draft,
    Active,
    Ended,
    Reviewed,
}

impl CampaignStatus {
    pub const ALL: [CampaignStatus; 4] =
        [CampaignStatus::Draft, CampaignStatus::Active, CampaignStatus::Ended, CampaignStatus::Reviewed];

    pub fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::Draft => "draft",
            CampaignStatus::Active => "active",
            CampaignStatus::Ended => "ended",
            CampaignStatus::Reviewed => "reviewed",
        }
    }

    fn rank(self) -> i32 {
        match self {
            CampaignStatus::Draft => 0,
            CampaignStatus::Active => 1,
            CampaignStatus::Ended => 2,
            CampaignStatus::Reviewed => 3,
        }
    }

    pub fn can_become(self, next: CampaignStatus) -> bool {
        (next.rank() - self.rank()).abs() <= 1
    }

    /// Whether phase `number`'s deadline is still chased (dashboard,
    /// reminders): a running campaign is past its kickoff (its resources,
    /// phase 2, may still be unready: a lead can activate anyway), an ended
    /// one past its rollout, and a reviewed one past everything. The plan
    /// page still shows each phase's milestone as it was recorded.
    pub fn chases_phase(self, number: u8) -> bool {
        match self {
            CampaignStatus::Draft => true,
            CampaignStatus::Active => number >= 2,
            CampaignStatus::Ended => number >= 4,
            CampaignStatus::Reviewed => false,
        }
    }
}

impl FromStr for CampaignStatus {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CampaignStatus::ALL.into_iter().find(|k| k.as_str() == s.trim()).ok_or_else(|| UnknownValue {
            what: "status",
            value: s.to_owned(),
            expected: "draft, active, ended, reviewed",
        })
    }
}

impl fmt::Display for CampaignStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Working days allowed per phase (PRODUCT.md's defaults; editable per team).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PhaseRules {
    /// Phase 1 (kickoff & goal anchoring): after the notice.
    pub kickoff_after_notice: u32,
    /// Phase 2 (breakdown & resources): after the notice.
    pub breakdown_after_notice: u32,
    /// Phase 3 (full rollout): after the start.
    pub rollout_after_start: u32,
    /// Phase 4 (review): after the end.
    pub review_after_end: u32,
}

impl Default for PhaseRules {
    fn default() -> Self {
        PhaseRules { kickoff_after_notice: 2, breakdown_after_notice: 3, rollout_after_start: 3, review_after_end: 3 }
    }
}

/// The dates a campaign's deadlines count from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CampaignDates {
    pub announced_on: NaiveDate,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

impl CampaignDates {
    /// Notice ≤ start ≤ end; a message names what is wrong.
    pub fn check(&self) -> Result<(), (&'static str, &'static str)> {
        if self.starts_on < self.announced_on {
            return Err(("starts_on", "the campaign cannot start before it is announced"));
        }
        if self.ends_on < self.starts_on {
            return Err(("ends_on", "the campaign cannot end before it starts"));
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Phase {
    pub number: u8,
    /// `kickoff`, `breakdown`, `rollout`, `review`.
    pub key: &'static str,
    pub due_on: NaiveDate,
    /// Years without an official calendar that this deadline assumed Mon–Fri for.
    pub assumed_years: Vec<i32>,
}

/// The four phases' deadlines on the working-day calendar.
pub fn phases(dates: &CampaignDates, rules: &PhaseRules, calendar: &WorkCalendar) -> Vec<Phase> {
    let plan = [
        (1, "kickoff", dates.announced_on, rules.kickoff_after_notice),
        (2, "breakdown", dates.announced_on, rules.breakdown_after_notice),
        (3, "rollout", dates.starts_on, rules.rollout_after_start),
        (4, "review", dates.ends_on, rules.review_after_end),
    ];
    plan.into_iter()
        .map(|(number, key, from, days)| {
            let due = calendar.add_working_days(from, days);
            Phase { number, key, due_on: due.value, assumed_years: due.assumed_years }
        })
        .collect()
}

/// How a deadline stands today.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    Done,
    Overdue,
    /// Due today or on the next working day.
    DueSoon,
    OnTrack,
}

pub fn urgency(due_on: NaiveDate, done: bool, today: NaiveDate, calendar: &WorkCalendar) -> Urgency {
    if done {
        Urgency::Done
    } else if due_on < today {
        Urgency::Overdue
    } else if due_on <= calendar.add_working_days(today, 1).value {
        Urgency::DueSoon
    } else {
        Urgency::OnTrack
    }
}

/// The milestones of template 1, each tied to the phase whose deadline it meets.
pub const MILESTONES: [(&str, u8); 4] =
    [("kickoff_held", 1), ("collateral_ready", 2), ("full_rollout", 3), ("review_held", 4)];

/// Outreach order of a target list: S first, then B with a recent inquiry and
/// no order since, then the other B, then C; within a group, the most recent
/// activity first.
pub fn outreach_rank(tier: Tier, last_inquiry_on: Option<NaiveDate>, last_order_on: Option<NaiveDate>) -> u8 {
    match tier {
        Tier::S => 0,
        Tier::B => {
            let inquiry_open = match (last_inquiry_on, last_order_on) {
                (Some(q), Some(o)) => q > o,
                (Some(_), None) => true,
                _ => false,
            };
            if inquiry_open { 1 } else { 2 }
        }
        Tier::C => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn phases_follow_the_official_calendar() {
        let cal = WorkCalendar::official();
        // Notice on Thursday 2025-09-25; National Day and Mid-Autumn run 10-01..08,
        // with Sunday 09-28 and Saturday 10-11 worked.
        let dates =
            CampaignDates { announced_on: d("2025-09-25"), starts_on: d("2025-09-29"), ends_on: d("2025-10-31") };
        let p = phases(&dates, &PhaseRules::default(), &cal);
        assert_eq!(p[0].due_on, d("2025-09-28"), "Fri 26, then the worked Sunday 28");
        assert_eq!(p[1].due_on, d("2025-09-29"));
        assert_eq!(p[2].due_on, d("2025-10-10"), "Tue 30, the holiday, then Thu 9 and Fri 10");
        assert_eq!(p[3].due_on, d("2025-11-05"));
        assert!(p.iter().all(|ph| ph.assumed_years.is_empty()));
    }

    #[test]
    fn a_year_without_data_is_flagged() {
        let cal = WorkCalendar::official();
        let dates =
            CampaignDates { announced_on: d("2027-03-01"), starts_on: d("2027-03-02"), ends_on: d("2027-03-31") };
        let p = phases(&dates, &PhaseRules::default(), &cal);
        assert_eq!(p[0].assumed_years, vec![2027]);
    }

    #[test]
    fn status_moves_one_step_at_a_time() {
        use CampaignStatus::*;
        assert!(Draft.can_become(Active));
        assert!(Active.can_become(Draft));
        assert!(!Draft.can_become(Ended));
        assert!(Ended.can_become(Reviewed));
    }

    #[test]
    fn kinds_accept_codes_and_the_templates_words() {
        assert_eq!("trade_show".parse::<CampaignKind>().unwrap(), CampaignKind::TradeShow);
        assert_eq!("竞品反击".parse::<CampaignKind>().unwrap(), CampaignKind::Competitive);
        assert!("party".parse::<CampaignKind>().is_err());
    }

    #[test]
    fn only_the_phases_ahead_of_a_campaign_are_chased() {
        let chased = |s: CampaignStatus| (1..=4).filter(|n| s.chases_phase(*n)).collect::<Vec<u8>>();
        assert_eq!(chased(CampaignStatus::Draft), [1, 2, 3, 4]);
        assert_eq!(chased(CampaignStatus::Active), [2, 3, 4]);
        assert_eq!(chased(CampaignStatus::Ended), [4]);
        assert!(chased(CampaignStatus::Reviewed).is_empty());
    }

    #[test]
    fn urgency_counts_working_days() {
        let cal = WorkCalendar::official();
        // Friday 2026-11-27: the next working day is Monday 30.
        let today = d("2026-11-27");
        assert_eq!(urgency(d("2026-11-26"), false, today, &cal), Urgency::Overdue);
        assert_eq!(urgency(d("2026-11-30"), false, today, &cal), Urgency::DueSoon);
        assert_eq!(urgency(d("2026-12-01"), false, today, &cal), Urgency::OnTrack);
        assert_eq!(urgency(d("2026-11-26"), true, today, &cal), Urgency::Done);
    }

    #[test]
    fn outreach_puts_open_inquiries_before_other_b() {
        let q = Some(d("2026-11-01"));
        let o = Some(d("2026-11-10"));
        assert_eq!(outreach_rank(Tier::S, None, None), 0);
        assert_eq!(outreach_rank(Tier::B, q, None), 1);
        assert_eq!(outreach_rank(Tier::B, q, o), 2);
        assert_eq!(outreach_rank(Tier::C, q, None), 3);
    }
}

/// What a draft campaign still lacks before it can be rolled out, in the
/// order a lead would fix it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    /// No target segment (目标客群) to build the list from.
    Segment,
    /// The target list has not been generated (or is empty).
    TargetList,
    /// No intent-customer goal (核心目标).
    Goals,
    /// Nobody runs it (销售负责人).
    Lead,
    /// The goal is not split across the reps (销售任务分解).
    Breakdown,
}

/// The facts [`missing_before_rollout`] looks at.
#[derive(Clone, Copy, Debug, Default)]
pub struct RolloutFacts {
    pub has_segment: bool,
    pub members: i64,
    pub intent_goal: i64,
    pub has_lead: bool,
    pub breakdown_saved: bool,
}

pub fn missing_before_rollout(f: RolloutFacts) -> Vec<Missing> {
    let mut out = Vec::new();
    if !f.has_segment {
        out.push(Missing::Segment);
    }
    if f.members == 0 {
        out.push(Missing::TargetList);
    }
    if f.intent_goal == 0 {
        out.push(Missing::Goals);
    }
    if !f.has_lead {
        out.push(Missing::Lead);
    }
    if !f.breakdown_saved {
        out.push(Missing::Breakdown);
    }
    out
}

#[cfg(test)]
mod rollout_tests {
    use super::*;

    #[test]
    fn a_blank_draft_lacks_everything_and_a_ready_one_nothing() {
        assert_eq!(
            missing_before_rollout(RolloutFacts::default()),
            [Missing::Segment, Missing::TargetList, Missing::Goals, Missing::Lead, Missing::Breakdown]
        );
        let ready =
            RolloutFacts { has_segment: true, members: 12, intent_goal: 30, has_lead: true, breakdown_saved: true };
        assert!(missing_before_rollout(ready).is_empty());
        assert_eq!(missing_before_rollout(RolloutFacts { members: 0, ..ready }), [Missing::TargetList]);
    }
}
