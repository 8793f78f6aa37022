//! Campaign metrics (docs/metrics.md): the funnel totals against the plan's
//! goals, cost and ROI, conversion, and the same funnel broken down by tier,
//! rep, region, channel, partner and source. One definition for the page,
//! the API, the XLSX and the frozen review.

use chrono::NaiveDate;

use crate::domain::calendar::WorkCalendar;
use crate::domain::execution::progress::Counts;

/// The metrics of template 4, in the order the review lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKey {
    Reached,
    IntentCustomers,
    Orders,
    SalesAmount,
    AverageOrderValue,
    Cost,
    Roi,
    Conversion,
}

/// How a metric's numbers read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Count,
    /// Fen (CNY × 100).
    Fen,
    /// The `x` of ROI `1:x`.
    Ratio,
    /// A fraction (0.5 = 50%).
    Fraction,
}

impl MetricKey {
    pub const ALL: [MetricKey; 8] = [
        MetricKey::Reached,
        MetricKey::IntentCustomers,
        MetricKey::Orders,
        MetricKey::SalesAmount,
        MetricKey::AverageOrderValue,
        MetricKey::Cost,
        MetricKey::Roi,
        MetricKey::Conversion,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MetricKey::Reached => "reached",
            MetricKey::IntentCustomers => "intent_customers",
            MetricKey::Orders => "orders",
            MetricKey::SalesAmount => "sales_amount",
            MetricKey::AverageOrderValue => "average_order_value",
            MetricKey::Cost => "cost",
            MetricKey::Roi => "roi",
            MetricKey::Conversion => "conversion",
        }
    }

    pub fn parse(s: &str) -> Option<MetricKey> {
        MetricKey::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    /// Template 4's Chinese name of the metric.
    pub fn label_zh(self) -> &'static str {
        match self {
            MetricKey::Reached => "触达客户",
            MetricKey::IntentCustomers => "意向客户",
            MetricKey::Orders => "订单",
            MetricKey::SalesAmount => "销售额",
            MetricKey::AverageOrderValue => "客单价",
            MetricKey::Cost => "投入成本",
            MetricKey::Roi => "投入产出比",
            MetricKey::Conversion => "转化率",
        }
    }

    pub fn unit(self) -> Unit {
        match self {
            MetricKey::Reached | MetricKey::IntentCustomers | MetricKey::Orders => Unit::Count,
            MetricKey::SalesAmount | MetricKey::AverageOrderValue | MetricKey::Cost => Unit::Fen,
            MetricKey::Roi => Unit::Ratio,
            MetricKey::Conversion => Unit::Fraction,
        }
    }
}

/// One line: goal, actual and achievement (actual ÷ goal). `None` where
/// the plan has no goal or the data cannot tell (no cost entered, no order).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Metric {
    pub key: MetricKey,
    pub goal: Option<f64>,
    pub actual: Option<f64>,
    pub achievement: Option<f64>,
}

/// The plan's goals (template 1), money in fen; 0 means "no goal".
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PlanGoals {
    pub reached: i64,
    pub intent_customers: i64,
    pub orders: i64,
    pub sales_fen: i64,
    /// The `x` of `1:x`.
    pub roi: f64,
}

/// The cost side: what the plan budgets and what was spent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CostTotals {
    /// Sum of the cost items' planned amounts, or the budget when no item
    /// has one; 0 = no plan.
    pub planned_fen: i64,
    /// Sum of the actuals entered; `None` until any actual is entered.
    pub actual_fen: Option<i64>,
}

fn positive(v: f64) -> Option<f64> {
    (v > 0.0 && v.is_finite()).then_some(v)
}

fn div(a: f64, b: f64) -> Option<f64> {
    (b > 0.0).then(|| a / b).filter(|v| v.is_finite())
}

/// Actual ÷ goal as a fraction; `None` without a goal or an actual.
pub fn achievement(actual: Option<f64>, goal: Option<f64>) -> Option<f64> {
    match (actual, goal) {
        (Some(a), Some(g)) => div(a, g),
        _ => None,
    }
}

/// The eight metrics of a campaign from its cumulative funnel, goals and cost.
pub fn metrics(actual: &Counts, goals: &PlanGoals, cost: &CostTotals) -> Vec<Metric> {
    let count = |n: i64| positive(n as f64);
    let sales = actual.sales_fen as f64;
    let cost_actual = cost.actual_fen.map(|c| c as f64);
    MetricKey::ALL
        .into_iter()
        .map(|key| {
            let (goal, value) = match key {
                MetricKey::Reached => (count(goals.reached), Some(actual.reached as f64)),
                MetricKey::IntentCustomers => (count(goals.intent_customers), Some(actual.intent_customers as f64)),
                MetricKey::Orders => (count(goals.orders), Some(actual.orders as f64)),
                MetricKey::SalesAmount => (count(goals.sales_fen), Some(sales)),
                MetricKey::AverageOrderValue => (
                    (goals.orders > 0 && goals.sales_fen > 0).then(|| goals.sales_fen as f64 / goals.orders as f64),
                    div(sales, actual.orders as f64),
                ),
                MetricKey::Cost => (count(cost.planned_fen), cost_actual),
                MetricKey::Roi => (positive(goals.roi), cost_actual.and_then(|c| div(sales, c))),
                MetricKey::Conversion => (
                    (goals.orders > 0 && goals.intent_customers > 0)
                        .then(|| goals.orders as f64 / goals.intent_customers as f64),
                    div(actual.orders as f64, actual.intent_customers as f64),
                ),
            };
            Metric { key, goal, actual: value, achievement: achievement(value, goal) }
        })
        .collect()
}

/// The funnel's counts and its two conversions.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Funnel {
    pub members: i64,
    pub reached: i64,
    pub intent_customers: i64,
    pub orders: i64,
    pub sales_fen: i64,
    /// Intent customers ÷ reached.
    pub reached_to_intent: Option<f64>,
    /// Orders ÷ intent customers (转化率).
    pub intent_to_order: Option<f64>,
}

pub fn funnel(c: &Counts) -> Funnel {
    Funnel {
        members: c.members,
        reached: c.reached,
        intent_customers: c.intent_customers,
        orders: c.orders,
        sales_fen: c.sales_fen,
        reached_to_intent: div(c.intent_customers as f64, c.reached as f64),
        intent_to_order: div(c.orders as f64, c.intent_customers as f64),
    }
}

/// A member group as stored: who it is assigned to and where it came from,
/// with its funnel counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberGroup {
    pub assignee_id: Option<i64>,
    pub tier: String,
    /// The customer's region ("" when unknown).
    pub region: String,
    /// How the member reached the campaign: `segment`, `partner`, `manual`, …
    pub source: String,
    pub partner: Option<String>,
    /// The channel of the member's first follow-up; `None` when never reached.
    pub channel: Option<String>,
    pub counts: Counts,
}

/// One row of a breakdown: a value of the dimension and its funnel.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BreakdownRow {
    /// The tier, region, channel, partner or source; the rep's user id as
    /// text (empty for the unassigned pool).
    pub key: String,
    pub funnel: Funnel,
}

/// The funnel by each dimension.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Breakdowns {
    pub by_tier: Vec<BreakdownRow>,
    pub by_rep: Vec<BreakdownRow>,
    pub by_region: Vec<BreakdownRow>,
    pub by_channel: Vec<BreakdownRow>,
    pub by_partner: Vec<BreakdownRow>,
    pub by_source: Vec<BreakdownRow>,
}

fn group_by(groups: &[MemberGroup], key: impl Fn(&MemberGroup) -> Option<String>) -> Vec<BreakdownRow> {
    let mut out: Vec<(String, Counts)> = Vec::new();
    for g in groups {
        let Some(k) = key(g) else { continue };
        match out.iter_mut().find(|(o, _)| *o == k) {
            Some((_, c)) => c.add(&g.counts),
            None => out.push((k, g.counts)),
        }
    }
    out.into_iter().map(|(key, c)| BreakdownRow { key, funnel: funnel(&c) }).collect()
}

fn by_size(mut rows: Vec<BreakdownRow>) -> Vec<BreakdownRow> {
    rows.sort_by(|a, b| b.funnel.members.cmp(&a.funnel.members).then_with(|| a.key.cmp(&b.key)));
    rows
}

/// Totals of all groups (the campaign's funnel).
pub fn total(groups: &[MemberGroup]) -> Counts {
    let mut c = Counts::default();
    for g in groups {
        c.add(&g.counts);
    }
    c
}

/// Tiers S, B, C always (in that order); reps by size; the rest by size,
/// leaving out members without the attribute (no partner, never reached).
pub fn breakdowns(groups: &[MemberGroup]) -> Breakdowns {
    let tiers = group_by(groups, |g| Some(g.tier.clone()));
    let by_tier = ["S", "B", "C"]
        .iter()
        .map(|t| {
            tiers
                .iter()
                .find(|r| r.key == *t)
                .cloned()
                .unwrap_or_else(|| BreakdownRow { key: (*t).to_owned(), funnel: funnel(&Counts::default()) })
        })
        .collect();
    Breakdowns {
        by_tier,
        by_rep: by_size(group_by(groups, |g| Some(g.assignee_id.map(|a| a.to_string()).unwrap_or_default()))),
        by_region: by_size(group_by(groups, |g| Some(g.region.clone()).filter(|r| !r.is_empty()))),
        by_channel: by_size(group_by(groups, |g| g.channel.clone())),
        by_partner: by_size(group_by(groups, |g| g.partner.clone().filter(|p| !p.is_empty()))),
        by_source: by_size(group_by(groups, |g| Some(g.source.clone()))),
    }
}

/// One working day of the burn-up: cumulative intent customers and orders
/// by the end of the day, and where the goal line stands.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BurnDay {
    pub date: NaiveDate,
    pub intent_customers: i64,
    pub orders: i64,
    /// The intent goal spread evenly over the working days.
    pub intent_goal: f64,
    pub orders_goal: f64,
}

/// The burn-up over the campaign's working days: per day, the members who
/// had become intent customers / ordered by then (days before the start
/// count into the first day), against straight goal lines. Days after
/// `today` are left out (nothing has happened yet).
pub fn burn_up(
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    today: NaiveDate,
    intent_days: &[(NaiveDate, i64)],
    order_days: &[(NaiveDate, i64)],
    goals: &PlanGoals,
    calendar: &WorkCalendar,
) -> Vec<BurnDay> {
    let mut days = Vec::new();
    let mut d = starts_on;
    // A year-long campaign has ~250 working days; the bound keeps a bad
    // date pair from looping for long.
    while d <= ends_on && days.len() < 1000 {
        if calendar.is_working_day(d) {
            days.push(d);
        }
        match d.succ_opt() {
            Some(n) => d = n,
            None => break,
        }
    }
    if days.is_empty() {
        days.push(starts_on.min(ends_on));
    }
    let total = days.len() as f64;
    let upto = |list: &[(NaiveDate, i64)], day: NaiveDate, last: bool| -> i64 {
        // The last working day takes in everything through the end date
        // (an order logged on a weekend day of the period still counts).
        list.iter().filter(|(on, _)| *on <= day || (last && *on <= ends_on)).map(|(_, n)| n).sum()
    };
    let n = days.len();
    days.into_iter()
        .enumerate()
        .filter(|(_, day)| *day <= today)
        .map(|(i, date)| {
            let share = (i + 1) as f64 / total;
            BurnDay {
                date,
                intent_customers: upto(intent_days, date, i + 1 == n),
                orders: upto(order_days, date, i + 1 == n),
                intent_goal: goals.intent_customers as f64 * share,
                orders_goal: goals.orders as f64 * share,
            }
        })
        .collect()
}

/// A fraction as a whole percent, half up: 1.1667 → "117%".
pub fn percent(v: f64) -> String {
    format!("{}%", (v * 100.0 + 1e-9).round() as i64)
}

/// The `x` of ROI as the team writes it: 3.5 → "1:3.5", 3.0 → "1:3".
pub fn roi_text(x: f64) -> String {
    let tenths = (x * 10.0 + 1e-9).round() as i64;
    if tenths % 10 == 0 { format!("1:{}", tenths / 10) } else { format!("1:{}.{}", tenths / 10, tenths % 10) }
}

/// A metric value as the review shows it (money in 万元 / ¥, counts whole,
/// fractions as percent, ROI as 1:x).
pub fn value_text(unit: Unit, v: Option<f64>) -> String {
    let Some(v) = v else { return "—".to_owned() };
    match unit {
        Unit::Count => format!("{}", v.round() as i64),
        Unit::Fen => crate::domain::money::format_cny(v.round() as i64),
        Unit::Ratio => roi_text(v),
        Unit::Fraction => percent(v),
    }
}

/// A cost item of the plan: what it is for, what was planned and spent.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CostItem {
    pub item: String,
    pub planned_fen: Option<i64>,
    pub actual_fen: Option<i64>,
}

pub fn cost_totals(items: &[CostItem], budget_fen: i64) -> CostTotals {
    let planned: i64 = items.iter().filter_map(|i| i.planned_fen).sum();
    let actuals: Vec<i64> = items.iter().filter_map(|i| i.actual_fen).collect();
    CostTotals {
        planned_fen: if planned > 0 { planned } else { budget_fen.max(0) },
        actual_fen: (!actuals.is_empty()).then(|| actuals.iter().sum()),
    }
}

/// Reads the plan's free-text cost items ("物料印刷 2万；样品运输 1万") into
/// items with their planned amounts (yuan, or 万 with the suffix). A piece
/// without a readable amount keeps its text and no amount.
pub fn parse_cost_items(text: &str) -> Vec<CostItem> {
    text.split(['；', ';', '\n', '，', ',', '、'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|piece| {
            let (item, amount) = split_amount(piece);
            CostItem { item: item.to_owned(), planned_fen: amount, actual_fen: None }
        })
        .collect()
}

/// Splits a trailing amount off a piece: "样品运输 1.5万元" → ("样品运输", 1_500_000 fen).
fn split_amount(piece: &str) -> (&str, Option<i64>) {
    let mut body = piece.trim_end();
    let mut scale: u64 = 100; // fen per unit
    for (suffix, s) in [("万元", 1_000_000), ("万", 1_000_000), ("元", 100)] {
        if let Some(b) = body.strip_suffix(suffix) {
            body = b.trim_end();
            scale = s;
            break;
        }
    }
    let start = body
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit() || *c == '.')
        .last()
        .map(|(i, _)| i)
        .unwrap_or(body.len());
    let number = &body[start..];
    let name = body[..start].trim_end_matches([' ', '：', ':', '\u{3000}']).trim();
    let Some(fen) = decimal_fen(number, scale) else { return (piece, None) };
    if name.is_empty() {
        return (piece, Some(fen));
    }
    (name, Some(fen))
}

/// "1.5" × scale (fen per unit), exactly; `None` for no digits or overflow.
fn decimal_fen(number: &str, scale: u64) -> Option<i64> {
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() || frac.contains('.') || !whole.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut value = whole.parse::<u64>().ok()?.checked_mul(scale)?;
    let mut unit = scale;
    for c in frac.chars() {
        unit /= 10;
        if unit == 0 {
            break;
        }
        value = value.checked_add(u64::from(c.to_digit(10)?) * unit)?;
    }
    i64::try_from(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn metric(ms: &[Metric], key: MetricKey) -> Metric {
        *ms.iter().find(|m| m.key == key).unwrap()
    }

    #[test]
    fn the_product_example() {
        // Intent 30 → 36, orders 15 → 18, ROI 1:3 → 1:3.5 (sales 210,000 on cost 60,000).
        let actual =
            Counts { members: 80, reached: 60, intent_customers: 36, orders: 18, lost: 0, sales_fen: 21_000_000 };
        let goals = PlanGoals { reached: 0, intent_customers: 30, orders: 15, sales_fen: 18_000_000, roi: 3.0 };
        let cost = CostTotals { planned_fen: 6_000_000, actual_fen: Some(6_000_000) };
        let ms = metrics(&actual, &goals, &cost);
        assert_eq!(ms.len(), 8);
        let intent = metric(&ms, MetricKey::IntentCustomers);
        assert_eq!((intent.goal, intent.actual), (Some(30.0), Some(36.0)));
        assert_eq!(percent(intent.achievement.unwrap()), "120%");
        assert_eq!(percent(metric(&ms, MetricKey::Orders).achievement.unwrap()), "120%");
        let roi = metric(&ms, MetricKey::Roi);
        assert_eq!(roi_text(roi.goal.unwrap()), "1:3");
        assert_eq!(roi_text(roi.actual.unwrap()), "1:3.5");
        assert_eq!(percent(roi.achievement.unwrap()), "117%");
        let conv = metric(&ms, MetricKey::Conversion);
        assert_eq!((conv.goal, conv.actual), (Some(0.5), Some(0.5)));
        let aov = metric(&ms, MetricKey::AverageOrderValue);
        assert_eq!(aov.actual, Some(21_000_000.0 / 18.0));
        assert_eq!(aov.goal, Some(1_200_000.0));
        assert_eq!(metric(&ms, MetricKey::Reached).achievement, None, "no goal, no rate");
    }

    #[test]
    fn without_cost_there_is_no_roi() {
        let actual = Counts { intent_customers: 2, orders: 1, sales_fen: 100, ..Counts::default() };
        let goals = PlanGoals { roi: 3.0, ..PlanGoals::default() };
        let ms = metrics(&actual, &goals, &CostTotals::default());
        let roi = metric(&ms, MetricKey::Roi);
        assert_eq!((roi.goal, roi.actual, roi.achievement), (Some(3.0), None, None));
        assert_eq!(metric(&ms, MetricKey::Cost).actual, None);
        let none = metrics(&Counts::default(), &PlanGoals::default(), &CostTotals::default());
        assert_eq!(metric(&none, MetricKey::Conversion).actual, None, "no intent, no conversion");
        assert_eq!(metric(&none, MetricKey::AverageOrderValue).actual, None);
    }

    #[test]
    fn formats() {
        assert_eq!(percent(1.2), "120%");
        assert_eq!(percent(0.5), "50%");
        assert_eq!(percent(3.5 / 3.0), "117%");
        assert_eq!(roi_text(3.0), "1:3");
        assert_eq!(roi_text(3.5), "1:3.5");
        assert_eq!(roi_text(2.96), "1:3");
        assert_eq!(value_text(Unit::Fen, Some(21_000_000.0)), "21万");
        assert_eq!(value_text(Unit::Count, None), "—");
    }

    #[test]
    fn cost_items_read_from_the_plan() {
        let items = parse_cost_items("物料印刷 2万；样品运输 1.5万元; 答谢礼品：3000元、杂项");
        assert_eq!(
            items.iter().map(|i| (i.item.as_str(), i.planned_fen)).collect::<Vec<_>>(),
            [("物料印刷", Some(2_000_000)), ("样品运输", Some(1_500_000)), ("答谢礼品", Some(300_000)), ("杂项", None)]
        );
        assert!(parse_cost_items("").is_empty());
        let t = cost_totals(&items, 99);
        assert_eq!(t, CostTotals { planned_fen: 3_800_000, actual_fen: None });
        assert_eq!(cost_totals(&[], 5_000).planned_fen, 5_000, "no items: the budget");
        let spent = [CostItem { item: "a".into(), planned_fen: None, actual_fen: Some(7) }];
        assert_eq!(cost_totals(&spent, 0).actual_fen, Some(7));
    }

    fn group(a: Option<i64>, tier: &str, region: &str, channel: Option<&str>, c: Counts) -> MemberGroup {
        MemberGroup {
            assignee_id: a,
            tier: tier.into(),
            region: region.into(),
            source: "segment".into(),
            partner: None,
            channel: channel.map(str::to_owned),
            counts: c,
        }
    }

    #[test]
    fn breakdowns_sum_to_the_total() {
        let c = |m, r, i, o| Counts { members: m, reached: r, intent_customers: i, orders: o, ..Counts::default() };
        let groups = vec![
            group(Some(1), "S", "华南", Some("phone"), c(10, 10, 10, 7)),
            group(Some(2), "B", "华北", Some("email"), c(20, 15, 6, 2)),
            group(None, "C", "", None, c(30, 0, 0, 0)),
        ];
        let b = breakdowns(&groups);
        assert_eq!(b.by_tier.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(), ["S", "B", "C"]);
        assert_eq!(percent(b.by_tier[0].funnel.intent_to_order.unwrap()), "70%");
        assert_eq!(b.by_rep[0].key, "", "the pool is the largest group");
        assert_eq!(b.by_region.len(), 2, "no region, no row");
        assert_eq!(b.by_channel.len(), 2, "never reached, no channel");
        assert!(b.by_partner.is_empty());
        assert_eq!(b.by_source[0].funnel.members, 60);
    }

    #[test]
    fn burn_up_runs_over_working_days() {
        let cal = WorkCalendar::official();
        // 2026-11-02 (Mon) .. 11-06 (Fri): five working days.
        let goals = PlanGoals { intent_customers: 10, orders: 5, ..PlanGoals::default() };
        let intents = [(d("2026-10-30"), 1), (d("2026-11-03"), 2), (d("2026-11-07"), 1)];
        let orders = [(d("2026-11-05"), 1)];
        let b = burn_up(d("2026-11-02"), d("2026-11-08"), d("2026-12-01"), &intents, &orders, &goals, &cal);
        assert_eq!(b.len(), 5);
        assert_eq!(b[0].intent_customers, 1, "before the start counts into day one");
        assert_eq!(b[1].intent_customers, 3);
        assert_eq!(b[4].intent_customers, 4, "a weekend day of the period counts on the last working day");
        assert_eq!(b[4].orders, 1);
        assert!((b[4].intent_goal - 10.0).abs() < 1e-9);
        assert!((b[0].orders_goal - 1.0).abs() < 1e-9);
        let mid = burn_up(d("2026-11-02"), d("2026-11-08"), d("2026-11-03"), &intents, &orders, &goals, &cal);
        assert_eq!(mid.len(), 2, "the future is not drawn");
    }

    proptest! {
        #[test]
        fn breakdowns_never_lose_a_member(
            raw in proptest::collection::vec((0u8..3, proptest::option::of(0i64..4), 0i64..50, 0i64..50), 0..30)
        ) {
            let groups: Vec<MemberGroup> = raw
                .iter()
                .map(|(t, a, m, extra)| {
                    let tier = ["S", "B", "C"][*t as usize];
                    let reached = m / 2;
                    let counts = Counts {
                        members: m + extra,
                        reached,
                        intent_customers: reached / 2,
                        orders: reached / 4,
                        ..Counts::default()
                    };
                    group(*a, tier, "华东", None, counts)
                })
                .collect();
            let t = total(&groups);
            let b = breakdowns(&groups);
            for rows in [&b.by_tier, &b.by_rep, &b.by_source] {
                prop_assert_eq!(rows.iter().map(|r| r.funnel.members).sum::<i64>(), t.members);
                prop_assert_eq!(rows.iter().map(|r| r.funnel.orders).sum::<i64>(), t.orders);
                for r in rows.iter() {
                    if let Some(c) = r.funnel.intent_to_order {
                        prop_assert!((0.0..=1.0).contains(&c));
                    }
                }
            }
        }

        #[test]
        fn achievement_is_actual_over_goal(a in 0i64..100_000, g in 0i64..100_000) {
            let actual = Counts { orders: a, ..Counts::default() };
            let goals = PlanGoals { orders: g, ..PlanGoals::default() };
            let m = metric(&metrics(&actual, &goals, &CostTotals::default()), MetricKey::Orders);
            if g == 0 {
                prop_assert_eq!(m.achievement, None);
            } else {
                prop_assert!((m.achievement.unwrap() - a as f64 / g as f64).abs() < 1e-12);
            }
        }

        #[test]
        fn cost_items_never_panic(s in ".{0,60}") {
            let items = parse_cost_items(&s);
            for i in items {
                prop_assert!(!i.item.is_empty());
                prop_assert!(i.planned_fen.is_none_or(|f| f >= 0));
            }
        }
    }
}
