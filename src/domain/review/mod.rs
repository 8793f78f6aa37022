//! The campaign review (活动复盘, template 4): per metric the goal, actual
//! and achievement, with a highlight, a problem and an improvement. The
//! draft is pre-filled from what the records say; the lead edits every line.

pub mod charts;
pub mod metrics;

use chrono::NaiveDate;

use crate::domain::calendar::WorkCalendar;

use metrics::{BreakdownRow, Breakdowns, BurnDay, CostItem, Funnel, Metric, MetricKey, percent};

/// The numbers a review is about, frozen when the review is held.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Snapshot {
    pub metrics: Vec<Metric>,
    pub funnel: Funnel,
    pub breakdowns: Breakdowns,
    pub burn_up: Vec<BurnDay>,
    pub cost_items: Vec<CostItem>,
}

/// The lead's words on one metric.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LineText {
    pub key: String,
    pub highlight: String,
    pub problem: String,
    pub improvement: String,
}

/// What the records say beyond the numbers, for the pre-fill.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Facts {
    /// Days each collateral item was delivered after its needed-by date (> 0).
    pub late_collateral_days: Vec<i64>,
    /// Delivered collateral made for an older version of the campaign.
    pub stale_collateral: i64,
    /// Members whose next action's date passed without a follow-up.
    pub overdue_actions: i64,
    /// Reps and the working days of the campaign they logged nothing on.
    pub missed_updates: Vec<(String, i64)>,
    /// Blockers decided (or still open) more than one working day after
    /// they were raised.
    pub late_blockers: i64,
    /// Objections heard, with how often (most first).
    pub objections: Vec<(String, i64)>,
}

fn join(parts: Vec<String>) -> String {
    parts.into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join("；")
}

/// The tier that converted best (orders ÷ intent customers), among tiers
/// with an intent customer: "S级客户转化率70%".
pub fn best_tier(by_tier: &[BreakdownRow]) -> Option<String> {
    by_tier
        .iter()
        .filter(|r| r.funnel.intent_customers > 0)
        .filter_map(|r| r.funnel.intent_to_order.map(|c| (r, c)))
        .max_by(|a, b| a.1.total_cmp(&b.1).then_with(|| b.0.key.cmp(&a.0.key)))
        .map(|(r, c)| format!("{}级客户转化率{}", r.key, percent(c)))
}

/// The draft's lines: per metric, what the numbers and the records say.
/// Nothing is written where the data says nothing.
pub fn prefill(metrics: &[Metric], by_tier: &[BreakdownRow], facts: &Facts) -> Vec<LineText> {
    MetricKey::ALL
        .into_iter()
        .map(|key| {
            let m = metrics.iter().find(|m| m.key == key);
            let rate = m.and_then(|m| m.achievement);
            let label = key.label_zh();
            let mut highlight = Vec::new();
            let mut problem = Vec::new();
            let mut improvement = Vec::new();
            match (key, rate) {
                // Spending under the plan is no highlight by itself; over it is a problem.
                (MetricKey::Cost, Some(r)) if r > 1.0 + 1e-9 => {
                    problem.push(format!("投入超出计划{}", percent(r - 1.0)));
                }
                (MetricKey::Cost, _) => {}
                (_, Some(r)) if r >= 1.0 - 1e-9 => highlight.push(format!("{label}达成率{}", percent(r))),
                (_, Some(r)) => problem.push(format!("{label}达成率{}，未达目标", percent(r))),
                (_, None) => {}
            }
            match key {
                MetricKey::Reached => {
                    if let Some(max) = facts.late_collateral_days.iter().copied().max() {
                        problem.push(format!("部分物料延迟{max}天"));
                        improvement.push(format!("下次活动物料需求至少提前{max}天提交并确认物流"));
                    }
                    if facts.stale_collateral > 0 {
                        problem.push(format!("{}项物料按旧版活动信息制作", facts.stale_collateral));
                        improvement.push("活动信息变更后当天更新物料".to_owned());
                    }
                }
                MetricKey::IntentCustomers => {
                    if facts.overdue_actions > 0 {
                        problem.push(format!("{}位客户的下一步行动逾期未跟进", facts.overdue_actions));
                        improvement.push("站会逐一核对逾期的下一步行动".to_owned());
                    }
                    if !facts.missed_updates.is_empty() {
                        let who: Vec<String> =
                            facts.missed_updates.iter().map(|(name, days)| format!("{name}{days}天")).collect();
                        problem.push(format!("跟进记录未按日更新：{}", who.join("、")));
                        improvement.push("每天下班前更新客户跟进记录".to_owned());
                    }
                }
                MetricKey::Orders if facts.late_blockers > 0 => {
                    problem.push(format!("{}个卡点未在一个工作日内决策", facts.late_blockers));
                    improvement.push("卡点在站会当场决策或升级".to_owned());
                }
                MetricKey::Conversion => {
                    if let Some(best) = best_tier(by_tier) {
                        highlight.push(best);
                    }
                    let top: Vec<String> =
                        facts.objections.iter().take(3).map(|(text, n)| format!("{text}（{n}次）")).collect();
                    if !top.is_empty() {
                        problem.push(format!("常见异议：{}", top.join("、")));
                        improvement.push("把常见异议的应对话术整理进知识库".to_owned());
                    }
                }
                _ => {}
            }
            LineText {
                key: key.as_str().to_owned(),
                highlight: join(highlight),
                problem: join(problem),
                improvement: join(improvement),
            }
        })
        .collect()
}

/// Most frequent objections first (ties by text), at most `n`, from texts
/// with how often each was recorded; blank texts are not counted and texts
/// are compared after trimming.
pub fn top_objections(texts: &[(String, i64)], n: usize) -> Vec<(String, i64)> {
    let mut counts: Vec<(String, i64)> = Vec::new();
    for (t, times) in texts {
        let t = t.trim().trim_end_matches(['。', '.']);
        if t.is_empty() {
            continue;
        }
        match counts.iter_mut().find(|(k, _)| k == t) {
            Some((_, c)) => *c += times,
            None => counts.push((t.to_owned(), *times)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counts.truncate(n);
    counts
}

/// Working days of `[from, to]` on which nothing was logged (`logged`
/// holds the days something was).
pub fn missed_days(calendar: &WorkCalendar, from: NaiveDate, to: NaiveDate, logged: &[NaiveDate]) -> i64 {
    let mut n = 0;
    let mut d = from;
    // Bounded: a campaign runs weeks, not decades.
    for _ in 0..1000 {
        if d > to {
            break;
        }
        if calendar.is_working_day(d) && !logged.contains(&d) {
            n += 1;
        }
        match d.succ_opt() {
            Some(next) => d = next,
            None => break,
        }
    }
    n
}

/// A blocker is decided late when its first decision (or escalation) came
/// more than one working day after it was raised, or when none had come by
/// `cutoff` and that is more than one working day after.
pub fn acted_late(calendar: &WorkCalendar, raised: NaiveDate, acted: Option<NaiveDate>, cutoff: NaiveDate) -> bool {
    let limit = calendar.add_working_days(raised, 1).value;
    match acted {
        Some(a) => a > limit,
        None => cutoff > limit,
    }
}

/// A review's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    /// The campaign has not ended: the lines are a preview.
    Pending,
    Draft,
    /// The review meeting was held; the numbers are frozen.
    Held,
}

#[cfg(test)]
mod tests {
    use super::metrics::{CostTotals, PlanGoals, breakdowns, metrics as compute};
    use super::*;
    use crate::domain::execution::progress::Counts;

    fn line<'a>(lines: &'a [LineText], key: &str) -> &'a LineText {
        lines.iter().find(|l| l.key == key).unwrap()
    }

    fn example() -> (Vec<Metric>, Vec<BreakdownRow>) {
        let actual =
            Counts { members: 80, reached: 60, intent_customers: 36, orders: 18, lost: 0, sales_fen: 21_000_000 };
        let goals = PlanGoals { reached: 70, intent_customers: 30, orders: 15, sales_fen: 0, roi: 3.0 };
        let ms = compute(&actual, &goals, &CostTotals { planned_fen: 5_000_000, actual_fen: Some(6_000_000) });
        let tier = |t: &str, i, o| metrics::MemberGroup {
            tier: t.into(),
            counts: Counts { members: i, reached: i, intent_customers: i, orders: o, ..Counts::default() },
            ..Default::default()
        };
        let b = breakdowns(&[tier("S", 10, 7), tier("B", 20, 9), tier("C", 6, 2)]);
        (ms, b.by_tier)
    }

    #[test]
    fn the_product_example_is_prefilled() {
        let (ms, tiers) = example();
        let facts = Facts {
            late_collateral_days: vec![1, 2],
            objections: vec![("价格偏高".into(), 4), ("交期太长".into(), 2)],
            ..Facts::default()
        };
        let lines = prefill(&ms, &tiers, &facts);
        assert_eq!(lines.len(), 8);
        assert_eq!(line(&lines, "intent_customers").highlight, "意向客户达成率120%");
        assert_eq!(line(&lines, "orders").highlight, "订单达成率120%");
        assert_eq!(line(&lines, "roi").highlight, "投入产出比达成率117%");
        assert_eq!(line(&lines, "conversion").highlight, "转化率达成率100%；S级客户转化率70%");
        assert_eq!(line(&lines, "conversion").problem, "常见异议：价格偏高（4次）、交期太长（2次）");
        let reached = line(&lines, "reached");
        assert_eq!(reached.problem, "触达客户达成率86%，未达目标；部分物料延迟2天");
        assert!(reached.improvement.contains("提前2天"));
        assert_eq!(line(&lines, "cost").problem, "投入超出计划20%");
        assert_eq!(line(&lines, "sales_amount"), &LineText { key: "sales_amount".into(), ..LineText::default() });
    }

    #[test]
    fn discipline_problems_land_on_their_lines() {
        let (ms, tiers) = example();
        let facts = Facts {
            stale_collateral: 1,
            overdue_actions: 3,
            missed_updates: vec![("明".into(), 2), ("芳".into(), 1)],
            late_blockers: 2,
            ..Facts::default()
        };
        let lines = prefill(&ms, &tiers, &facts);
        assert!(line(&lines, "reached").problem.contains("1项物料按旧版活动信息制作"));
        let intent = line(&lines, "intent_customers");
        assert!(intent.problem.contains("3位客户的下一步行动逾期未跟进"));
        assert!(intent.problem.contains("跟进记录未按日更新：明2天、芳1天"));
        assert!(line(&lines, "orders").problem.contains("2个卡点未在一个工作日内决策"));
    }

    #[test]
    fn no_data_no_words() {
        let ms = compute(&Counts::default(), &PlanGoals::default(), &CostTotals::default());
        let lines = prefill(&ms, &[], &Facts::default());
        assert!(lines.iter().all(|l| l.highlight.is_empty() && l.problem.is_empty() && l.improvement.is_empty()));
        assert_eq!(best_tier(&[]), None);
    }

    #[test]
    fn missed_days_and_late_decisions_count_working_days() {
        let cal = WorkCalendar::official();
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        // Mon 2026-11-02 .. Sun 11-08: five working days, two logged.
        assert_eq!(missed_days(&cal, d("2026-11-02"), d("2026-11-08"), &[d("2026-11-03"), d("2026-11-07")]), 4);
        assert_eq!(missed_days(&cal, d("2026-11-09"), d("2026-11-02"), &[]), 0);
        // Raised Friday: Monday is within one working day, Tuesday is late.
        assert!(!acted_late(&cal, d("2026-11-06"), Some(d("2026-11-09")), d("2026-12-01")));
        assert!(acted_late(&cal, d("2026-11-06"), Some(d("2026-11-10")), d("2026-12-01")));
        assert!(acted_late(&cal, d("2026-11-06"), None, d("2026-11-10")));
        assert!(!acted_late(&cal, d("2026-11-06"), None, d("2026-11-09")));
    }

    #[test]
    fn objections_are_counted() {
        let texts: Vec<(String, i64)> =
            [("价格偏高", 2), ("价格偏高。", 1), (" 交期太长", 1), ("", 5), ("交期太长", 1), ("要求延期", 1)]
                .map(|(t, n)| (t.to_owned(), n))
                .to_vec();
        assert_eq!(top_objections(&texts, 2), [("价格偏高".to_owned(), 3), ("交期太长".to_owned(), 2)]);
    }
}
