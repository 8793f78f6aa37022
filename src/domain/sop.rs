//! Campaign SOPs (标准作业程序): what a reviewed campaign leaves for the next
//! one of its kind — the plan's texts, the tier playbook, the phase rules,
//! the collateral and support checklist, the goal ratios its frozen numbers
//! show, and the lessons of its review — and how a new campaign is pre-filled
//! from them. The new goals are proposals: they still face the realism check.

use chrono::NaiveDate;

use super::calendar::WorkCalendar;
use super::campaign::PhaseRules;
use super::execution::playbook::Step;
use super::execution::requests::RequestKind;
use super::review::metrics::MetricKey;
use super::review::{LineText, Snapshot};

/// A template as stored (one JSON document).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TemplateBody {
    pub plan: PlanTexts,
    pub playbook: Vec<Step>,
    /// `None` when the source campaign followed the team's rules at the time
    /// and those are what was copied; always set on a saved template.
    pub phase_rules: Option<PhaseRules>,
    pub checklist: Vec<ChecklistItem>,
    pub ratios: GoalRatios,
    /// The review's improvements (and problems without one), one per line.
    pub lessons: Vec<String>,
}

/// The plan's texts a new campaign starts from.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PlanTexts {
    pub theme: String,
    pub selling_points: String,
    pub segment: String,
    pub resource_support: String,
    pub collateral_needs: String,
    pub training_needs: String,
    pub resource_risks: String,
    pub cost_items: String,
    pub budget_fen: i64,
}

/// One collateral or support item to line up, timed against the start.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChecklistItem {
    pub kind: RequestKind,
    pub item: String,
    pub quantity: Option<i64>,
    pub person: String,
    pub slot: String,
    pub lead_days: Option<i64>,
    pub details: String,
    /// Working days before the start it was needed by; `None` when undated.
    pub working_days_before_start: Option<u32>,
}

/// What the source campaign's frozen numbers say, to size new goals with.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GoalRatios {
    /// Customers reached (the source's actual), the default reach goal.
    pub reached: i64,
    /// Intent customers per customer reached.
    pub intent_per_reached: Option<f64>,
    /// Orders per intent customer.
    pub orders_per_intent: Option<f64>,
    /// Sales ÷ orders, in fen.
    pub average_order_fen: Option<i64>,
    /// The `x` of the ROI `1:x` achieved.
    pub roi: Option<f64>,
}

/// Goals proposed from the ratios; 0 means "no goal", as in the plan.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ProposedGoals {
    pub reached: i64,
    pub intent: i64,
    pub orders: i64,
    pub sales_fen: i64,
    pub roi: f64,
}

fn ratio(a: i64, b: i64) -> Option<f64> {
    (b > 0 && a >= 0).then(|| a as f64 / b as f64)
}

/// The ratios a held review's snapshot shows.
pub fn ratios_from(snapshot: &Snapshot) -> GoalRatios {
    let f = &snapshot.funnel;
    let roi = snapshot
        .metrics
        .iter()
        .find(|m| m.key == MetricKey::Roi)
        .and_then(|m| m.actual)
        .filter(|x| x.is_finite() && *x > 0.0)
        .map(|x| (x * 10.0).round() / 10.0);
    GoalRatios {
        reached: f.reached,
        intent_per_reached: ratio(f.intent_customers, f.reached),
        orders_per_intent: ratio(f.orders, f.intent_customers),
        average_order_fen: (f.orders > 0).then(|| f.sales_fen / f.orders),
        roi,
    }
}

/// The goals a lead gave; `None` for those the ratios are to fill.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct GivenGoals {
    pub reached: Option<i64>,
    pub intent: Option<i64>,
    pub orders: Option<i64>,
    pub sales_fen: Option<i64>,
    pub roi: Option<f64>,
}

/// Goals down the funnel: each one not given is the step before it (given
/// or derived) at the source's rate, rounded to whole customers; the reach
/// defaults to the source's.
pub fn goals_for(r: &GoalRatios, given: GivenGoals) -> ProposedGoals {
    let reached = given.reached.unwrap_or(r.reached).max(0);
    let step = |from: i64, rate: Option<f64>| rate.map(|x| (from as f64 * x).round() as i64).unwrap_or(0);
    let intent = given.intent.unwrap_or_else(|| step(reached, r.intent_per_reached));
    let orders = given.orders.unwrap_or_else(|| step(intent, r.orders_per_intent));
    let sales_fen =
        given.sales_fen.unwrap_or_else(|| r.average_order_fen.map(|a| a.saturating_mul(orders)).unwrap_or(0));
    ProposedGoals { reached, intent, orders, sales_fen, roi: given.roi.unwrap_or(r.roi.unwrap_or(0.0)) }
}

/// The review's lessons: each line's improvement, or its problem when no
/// improvement was written, labelled with its metric.
pub fn lessons_from(lines: &[LineText]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| {
            let text = if l.improvement.trim().is_empty() { l.problem.trim() } else { l.improvement.trim() };
            if text.is_empty() {
                return None;
            }
            let label = MetricKey::parse(&l.key).map(MetricKey::label_zh).unwrap_or(l.key.as_str());
            Some(format!("{label}：{text}"))
        })
        .collect()
}

/// How many working days before `starts_on` an item was needed by; `None`
/// when undated or needed after the start (timed by the campaign, not ahead).
pub fn days_before_start(cal: &WorkCalendar, needed_by: Option<NaiveDate>, starts_on: NaiveDate) -> Option<u32> {
    let d = needed_by?;
    if d > starts_on {
        return None;
    }
    u32::try_from(cal.working_days_between(d, starts_on).value).ok()
}

/// The needed-by date of an item for a campaign starting on `starts_on`:
/// `n` working days before it, and never before `today` (an item that
/// should have been ready already is needed at once).
pub fn needed_by(cal: &WorkCalendar, starts_on: NaiveDate, n: Option<u32>, today: NaiveDate) -> Option<NaiveDate> {
    let n = n?;
    let mut d = starts_on;
    for _ in 0..n.min(250) {
        d = cal.previous_working_day(d);
    }
    Some(d.max(today))
}

/// The notes a new campaign starts with: the template's lessons.
pub fn notes_from_lessons(template_name: &str, lessons: &[String]) -> String {
    if lessons.is_empty() {
        return String::new();
    }
    let mut out = format!("来自 SOP「{template_name}」的经验：");
    for l in lessons {
        out.push_str("\n- ");
        out.push_str(l);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::execution::progress::Counts;
    use crate::domain::review::metrics::{self, CostTotals, PlanGoals};

    fn cal() -> WorkCalendar {
        WorkCalendar::official()
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn snapshot(counts: Counts) -> Snapshot {
        let goals = PlanGoals { reached: 100, intent_customers: 30, orders: 15, sales_fen: 30_000_000, roi: 3.0 };
        let cost = CostTotals { planned_fen: 10_000_000, actual_fen: Some(10_000_000) };
        Snapshot {
            metrics: metrics::metrics(&counts, &goals, &cost),
            funnel: metrics::funnel(&counts),
            breakdowns: metrics::Breakdowns::default(),
            burn_up: Vec::new(),
            cost_items: Vec::new(),
        }
    }

    /// PRODUCT.md's review: 36 intent customers, 18 orders, ROI 1:3.5.
    fn product_snapshot() -> Snapshot {
        snapshot(Counts {
            members: 120,
            reached: 100,
            intent_customers: 36,
            orders: 18,
            lost: 10,
            sales_fen: 35_000_000,
        })
    }

    #[test]
    fn ratios_follow_the_frozen_funnel() {
        let r = ratios_from(&product_snapshot());
        assert_eq!(r.reached, 100);
        assert_eq!(r.intent_per_reached, Some(0.36));
        assert_eq!(r.orders_per_intent, Some(0.5));
        assert_eq!(r.average_order_fen, Some(35_000_000 / 18));
        assert_eq!(r.roi, Some(3.5));
    }

    #[test]
    fn goals_scale_with_the_reach() {
        let r = ratios_from(&product_snapshot());
        let g = goals_for(&r, GivenGoals { reached: Some(200), ..Default::default() });
        assert_eq!((g.reached, g.intent, g.orders), (200, 72, 36));
        assert_eq!(g.sales_fen, 36 * (35_000_000 / 18));
        assert_eq!(g.roi, 3.5);
        // The source's reach by default.
        let g = goals_for(&r, GivenGoals::default());
        assert_eq!((g.reached, g.intent, g.orders), (100, 36, 18));
        // A given step is the base of the next: 10 intent customers → 5 orders.
        let g = goals_for(&r, GivenGoals { intent: Some(10), roi: Some(2.0), ..Default::default() });
        assert_eq!((g.reached, g.intent, g.orders, g.roi), (100, 10, 5, 2.0));
        let none = goals_for(&GoalRatios::default(), GivenGoals { reached: Some(50), ..Default::default() });
        assert_eq!((none.intent, none.orders, none.sales_fen, none.roi), (0, 0, 0, 0.0));
    }

    #[test]
    fn an_empty_campaign_gives_no_ratio() {
        let r = ratios_from(&snapshot(Counts::default()));
        assert_eq!(r, GoalRatios::default());
    }

    #[test]
    fn lessons_take_the_improvement_or_else_the_problem() {
        let lines = vec![
            LineText { key: "orders".into(), improvement: "提前两天备齐物料".into(), ..Default::default() },
            LineText { key: "reached".into(), problem: "部分客户未触达".into(), ..Default::default() },
            LineText { key: "cost".into(), highlight: "费用可控".into(), ..Default::default() },
        ];
        let l = lessons_from(&lines);
        assert_eq!(l.len(), 2);
        assert!(l[0].ends_with("：提前两天备齐物料"), "{l:?}");
        assert!(l[1].ends_with("：部分客户未触达"), "{l:?}");
        assert!(notes_from_lessons("新品SOP", &l).starts_with("来自 SOP「新品SOP」的经验：\n- "));
        assert_eq!(notes_from_lessons("x", &[]), "");
    }

    #[test]
    fn checklist_dates_move_with_the_start_in_working_days() {
        let c = cal();
        // Needed by Friday 2026-11-13 for a Wednesday 2026-11-18 start: 3 working days before.
        let n = days_before_start(&c, Some(day("2026-11-13")), day("2026-11-18"));
        assert_eq!(n, Some(3));
        // Started on Monday 2026-10-12: Saturday the 10th is a working day
        // (exchanged for the National Day holiday), then the 9th and the 8th.
        assert_eq!(needed_by(&c, day("2026-10-12"), n, day("2026-09-01")), Some(day("2026-10-08")));
        // Never before today.
        assert_eq!(needed_by(&c, day("2026-10-12"), n, day("2026-10-09")), Some(day("2026-10-09")));
        assert_eq!(days_before_start(&c, None, day("2026-09-30")), None);
        assert_eq!(days_before_start(&c, Some(day("2026-10-02")), day("2026-09-30")), None);
        assert_eq!(needed_by(&c, day("2026-10-12"), None, day("2026-09-01")), None);
    }
}
