//! In-memory evaluation: the reference semantics that the SQL compiler must
//! reproduce exactly.

use chrono::{Days, NaiveDate};

use super::ast::{Cond, DateField, DateTest, Expr, NumberField, NumberTest, TextField, TextTest, Tier, TierTest};
use crate::domain::customer::InteractionKind;

/// Everything the language can ask about one customer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustomerFacts {
    pub name: String,
    /// `""` = unknown.
    pub industry: String,
    pub region: String,
    pub city: String,
    /// Fen (1 yuan = 100 fen); the language writes yuan.
    pub annual_purchase_fen: i64,
    /// The owning user's email; `None` = unassigned.
    pub owner_email: Option<String>,
    pub source: String,
    pub tags: Vec<String>,
    /// `(date, kind)`, in any order, duplicates allowed (each counts).
    /// Inquiries and orders are interactions too.
    pub interactions: Vec<(NaiveDate, InteractionKind)>,
}

/// Tier thresholds (team settings; the product defaults are 3 / 30 / 60).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TierRules {
    /// S needs at least this many interactions in the S window. 0 makes
    /// every customer S.
    pub s_min_interactions: u32,
    pub s_window_days: u32,
    pub b_window_days: u32,
}

impl Default for TierRules {
    fn default() -> Self {
        TierRules { s_min_interactions: 3, s_window_days: 30, b_window_days: 60 }
    }
}

/// Length of the `interactions_30d` window.
pub const INTERACTIONS_WINDOW_DAYS: u32 = 30;

/// Earliest date any window reaches back to; keeps huge windows in the date
/// range every database can hold (both sides clamp the same way).
pub(crate) const MIN_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// "The last `days` days as of `as_of`": `[as_of − (days−1), as_of]`,
/// start clamped to [`MIN_DATE`]. `None` for `days == 0` (an empty window).
pub(crate) fn window(as_of: NaiveDate, days: u32) -> Option<(NaiveDate, NaiveDate)> {
    let back = days.checked_sub(1)?;
    let start = as_of.checked_sub_days(Days::new(u64::from(back))).unwrap_or(MIN_DATE).max(MIN_DATE);
    Some((start, as_of))
}

fn in_window(d: NaiveDate, w: Option<(NaiveDate, NaiveDate)>) -> bool {
    w.is_some_and(|(start, end)| start <= d && d <= end)
}

/// Does the customer match the filter as of `as_of`?
pub fn evaluate(expr: &Expr, facts: &CustomerFacts, as_of: NaiveDate, rules: &TierRules) -> bool {
    let view = View::new(facts, as_of, rules);
    view.eval(expr)
}

/// The customer's tier as of `as_of`.
pub fn tier_of(facts: &CustomerFacts, as_of: NaiveDate, rules: &TierRules) -> Tier {
    let s_window = window(as_of, rules.s_window_days);
    let recent = facts.interactions.iter().filter(|(d, _)| in_window(*d, s_window)).count();
    if recent >= rules.s_min_interactions as usize {
        return Tier::S;
    }
    let b_window = window(as_of, rules.b_window_days);
    let inquiry =
        |&(d, kind): &(NaiveDate, InteractionKind)| kind == InteractionKind::Inquiry && in_window(d, b_window);
    if facts.interactions.iter().any(inquiry) { Tier::B } else { Tier::C }
}

/// The derived columns of `customers` (`last_interaction_on`,
/// `last_inquiry_on`, `last_order_on`, `s_anchor_on`) for a customer, computed over *all* its
/// interactions. Stores that maintain these columns must agree with this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DerivedColumns {
    pub last_interaction_on: Option<NaiveDate>,
    pub last_inquiry_on: Option<NaiveDate>,
    pub last_order_on: Option<NaiveDate>,
    /// Date of the k-th most recent interaction, k = `s_min_interactions`;
    /// `None` with fewer than k interactions. For k = 0 every customer is S,
    /// the SQL never reads the column, and any value (this returns `None`)
    /// is fine.
    pub s_anchor_on: Option<NaiveDate>,
}

pub fn derived_columns(facts: &CustomerFacts, rules: &TierRules) -> DerivedColumns {
    let mut dates: Vec<NaiveDate> = facts.interactions.iter().map(|(d, _)| *d).collect();
    dates.sort_unstable_by(|a, b| b.cmp(a));
    let k = rules.s_min_interactions as usize;
    DerivedColumns {
        last_interaction_on: dates.first().copied(),
        last_inquiry_on: latest_of(facts, InteractionKind::Inquiry, None),
        last_order_on: latest_of(facts, InteractionKind::Order, None),
        s_anchor_on: k.checked_sub(1).and_then(|i| dates.get(i).copied()),
    }
}

/// The latest interaction of `kind`, on or before `as_of` when given.
fn latest_of(facts: &CustomerFacts, kind: InteractionKind, as_of: Option<NaiveDate>) -> Option<NaiveDate> {
    facts.interactions.iter().filter(|(d, k)| *k == kind && as_of.is_none_or(|t| *d <= t)).map(|(d, _)| *d).max()
}

/// Facts resolved as of a date, computed once per `evaluate` call.
struct View<'a> {
    facts: &'a CustomerFacts,
    as_of: NaiveDate,
    tier: Tier,
    last_interaction: Option<NaiveDate>,
    last_inquiry: Option<NaiveDate>,
    last_order: Option<NaiveDate>,
    interactions_30d: i64,
}

impl<'a> View<'a> {
    fn new(facts: &'a CustomerFacts, as_of: NaiveDate, rules: &TierRules) -> View<'a> {
        let past = || facts.interactions.iter().filter(|(d, _)| *d <= as_of);
        let w30 = window(as_of, INTERACTIONS_WINDOW_DAYS);
        View {
            facts,
            as_of,
            tier: tier_of(facts, as_of, rules),
            last_interaction: past().map(|(d, _)| *d).max(),
            last_inquiry: latest_of(facts, InteractionKind::Inquiry, Some(as_of)),
            last_order: latest_of(facts, InteractionKind::Order, Some(as_of)),
            interactions_30d: facts.interactions.iter().filter(|(d, _)| in_window(*d, w30)).count() as i64,
        }
    }

    fn eval(&self, e: &Expr) -> bool {
        match e {
            Expr::Cond(c) => self.cond(c),
            Expr::Not(e) => !self.eval(e),
            Expr::And(a, b) => self.eval(a) && self.eval(b),
            Expr::Or(a, b) => self.eval(a) || self.eval(b),
        }
    }

    fn cond(&self, c: &Cond) -> bool {
        match c {
            Cond::Text { field, test } => self.text(*field, test),
            Cond::Tier(test) => match test {
                TierTest::Eq(t) => self.tier == *t,
                TierTest::Ne(t) => self.tier != *t,
                TierTest::In(ts) => ts.contains(&self.tier),
            },
            Cond::Number { field, test } => {
                let v = match field {
                    NumberField::AnnualPurchase => self.facts.annual_purchase_fen,
                    NumberField::Interactions30d => self.interactions_30d,
                };
                match test {
                    NumberTest::Cmp(op, x) => op.holds(&v, x),
                    NumberTest::In(xs) => xs.contains(&v),
                }
            }
            Cond::Date { field, test } => {
                let v = match field {
                    DateField::LastInteraction => self.last_interaction,
                    DateField::LastInquiry => self.last_inquiry,
                    DateField::LastOrder => self.last_order,
                };
                match (test, v) {
                    // `!=` is `not =`, so it holds for a missing date.
                    (DateTest::Cmp(super::ast::CmpOp::Ne, x), v) => v != Some(*x),
                    (_, None) => false,
                    (DateTest::Cmp(op, x), Some(v)) => op.holds(&v, x),
                    (DateTest::In(xs), Some(v)) => xs.contains(&v),
                    (DateTest::Within(n), Some(v)) => in_window(v, window(self.as_of, *n)),
                }
            }
        }
    }

    /// A text field is a set of values: one for plain columns, zero or one
    /// for the owner, any number for tags. A test holds if some value
    /// passes it, and `!=` is the negation of `=`.
    fn text(&self, field: TextField, test: &TextTest) -> bool {
        match test {
            TextTest::Eq(x) => self.any_text(field, |v| v == x),
            TextTest::Ne(x) => !self.any_text(field, |v| v == x),
            TextTest::In(xs) => self.any_text(field, |v| xs.iter().any(|x| x == v)),
            TextTest::Contains(x) => self.any_text(field, |v| v.contains(x.as_str())),
        }
    }

    fn any_text(&self, field: TextField, pred: impl Fn(&str) -> bool) -> bool {
        let f = self.facts;
        match field {
            TextField::Name => pred(&f.name),
            TextField::Industry => pred(&f.industry),
            TextField::Region => pred(&f.region),
            TextField::City => pred(&f.city),
            TextField::Source => pred(&f.source),
            TextField::Owner => f.owner_email.as_deref().is_some_and(pred),
            TextField::Tag => f.tags.iter().any(|t| pred(t)),
        }
    }
}
