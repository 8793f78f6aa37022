//! Counts the database keeps current: how many customers have each value of
//! a few columns (region, industry, and the maintained activity dates). A
//! filter that is one test on one of those columns — `region = "华东"`,
//! `tier = "S"`, `last_inquiry within 90d` — is counted by adding up a
//! handful of kept numbers instead of reading every match's index entry,
//! which at a million customers was the segment builder's slowest read
//! (BENCHMARKS.md, *Kept counts*).
//!
//! [`kept_count`] decides whether a filter (or one of [`count_parts`]'s
//! parts) is such a test, with the same meaning as [`compile`]'s SQL; the
//! store adds up `customer_counts` rows for it. Tiers and dates read the
//! maintained columns, so only an anchored context qualifies.
//!
//! [`count_parts`]: super::count_parts
//! [`compile`]: super::compile

use chrono::NaiveDate;

use super::ast::{CmpOp, Cond, DateField, DateTest, Expr, TextField, TextTest, Tier, TierTest};
use super::eval::{DerivedColumns, window};
use super::sql::SqlContext;

/// A column whose values are counted, named as in `customer_counts.dimension`
/// (the migration's triggers write these names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dimension {
    Region,
    Industry,
    LastInteraction,
    LastInquiry,
    LastOrder,
    SAnchor,
}

impl Dimension {
    pub const ALL: [Dimension; 6] = [
        Dimension::Region,
        Dimension::Industry,
        Dimension::LastInteraction,
        Dimension::LastInquiry,
        Dimension::LastOrder,
        Dimension::SAnchor,
    ];

    /// The `customers` column, which is also the dimension's name.
    pub fn column(self) -> &'static str {
        match self {
            Dimension::Region => "region",
            Dimension::Industry => "industry",
            Dimension::LastInteraction => "last_interaction_on",
            Dimension::LastInquiry => "last_inquiry_on",
            Dimension::LastOrder => "last_order_on",
            Dimension::SAnchor => "s_anchor_on",
        }
    }

    pub fn is_date(self) -> bool {
        !matches!(self, Dimension::Region | Dimension::Industry)
    }
}

/// Which values of the dimension are counted. Dates are kept as
/// `YYYY-MM-DD` text, so a range of dates is a range of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeptValues {
    /// Every value: for region, which no customer lacks, every customer.
    Every,
    /// Any of these (never empty).
    AnyOf(Vec<String>),
    /// Dates from `from` to `to`, both included; `None` leaves that end open.
    /// A missing date is never counted.
    Dates { from: Option<NaiveDate>, to: Option<NaiveDate> },
}

/// "The customers whose `dimension` is one of `values`".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptCount {
    pub dimension: Dimension,
    pub values: KeptValues,
}

impl KeptCount {
    /// Whether a customer with these columns is counted (the reference for
    /// tests; the database adds up the kept rows instead).
    pub fn matches(&self, region: &str, industry: &str, activity: &DerivedColumns) -> bool {
        let date = match self.dimension {
            Dimension::Region | Dimension::Industry => {
                let value = if self.dimension == Dimension::Region { region } else { industry };
                return match &self.values {
                    KeptValues::Every => true,
                    KeptValues::AnyOf(vs) => vs.iter().any(|v| v == value),
                    KeptValues::Dates { .. } => false,
                };
            }
            Dimension::LastInteraction => activity.last_interaction_on,
            Dimension::LastInquiry => activity.last_inquiry_on,
            Dimension::LastOrder => activity.last_order_on,
            Dimension::SAnchor => activity.s_anchor_on,
        };
        match (&self.values, date) {
            (KeptValues::Every, Some(_)) => true,
            (KeptValues::Dates { from, to }, Some(d)) => from.is_none_or(|f| f <= d) && to.is_none_or(|t| d <= t),
            _ => false,
        }
    }
}

/// Every customer (each has a region, even if empty).
pub fn kept_all() -> KeptCount {
    KeptCount { dimension: Dimension::Region, values: KeptValues::Every }
}

/// The kept count that answers `expr`, if it is a single test on a kept
/// column; `None` for anything else (the database counts those itself).
pub fn kept_count(expr: &Expr, ctx: &SqlContext) -> Option<KeptCount> {
    let cond = match expr {
        Expr::Cond(cond) => cond,
        // Tests of one column joined by `and` (a part of `count_parts` is
        // a date range written as two comparisons): their common values.
        Expr::And(a, b) => return both(kept_count(a, ctx)?, kept_count(b, ctx)?),
        _ => return None,
    };
    match cond {
        Cond::Text { field, test } => {
            let dimension = match field {
                TextField::Region => Dimension::Region,
                TextField::Industry => Dimension::Industry,
                _ => return None,
            };
            let values = match test {
                TextTest::Eq(v) => vec![v.clone()],
                TextTest::In(vs) if !vs.is_empty() => vs.clone(),
                _ => return None,
            };
            Some(KeptCount { dimension, values: KeptValues::AnyOf(values) })
        }
        // Tier S is "the anchor is in the S window" only with the maintained
        // columns and a rule that needs interactions at all.
        Cond::Tier(TierTest::Eq(Tier::S)) if ctx.anchored && ctx.rules.s_min_interactions > 0 => {
            let (from, _) = window(ctx.as_of, ctx.rules.s_window_days)?;
            Some(KeptCount { dimension: Dimension::SAnchor, values: KeptValues::Dates { from: Some(from), to: None } })
        }
        Cond::Date { field, test } if ctx.anchored => {
            let dimension = match field {
                DateField::LastInteraction => Dimension::LastInteraction,
                DateField::LastInquiry => Dimension::LastInquiry,
                DateField::LastOrder => Dimension::LastOrder,
            };
            let (from, to) = match test {
                DateTest::Within(days) => {
                    let (from, to) = window(ctx.as_of, *days)?;
                    (Some(from), Some(to))
                }
                DateTest::Cmp(CmpOp::Eq, d) => (Some(*d), Some(*d)),
                DateTest::Cmp(CmpOp::Ge, d) => (Some(*d), None),
                DateTest::Cmp(CmpOp::Gt, d) => (Some(d.succ_opt()?), None),
                DateTest::Cmp(CmpOp::Le, d) => (None, Some(*d)),
                DateTest::Cmp(CmpOp::Lt, d) => (None, Some(d.pred_opt()?)),
                _ => return None,
            };
            Some(KeptCount { dimension, values: KeptValues::Dates { from, to } })
        }
        _ => None,
    }
}

/// The values both counts take, when they count the same column and some
/// value remains (an empty intersection is left to the database: zero).
fn both(a: KeptCount, b: KeptCount) -> Option<KeptCount> {
    if a.dimension != b.dimension {
        return None;
    }
    let values = match (a.values, b.values) {
        (KeptValues::Every, other) | (other, KeptValues::Every) => other,
        (KeptValues::AnyOf(x), KeptValues::AnyOf(y)) => {
            let common: Vec<String> = x.into_iter().filter(|v| y.contains(v)).collect();
            if common.is_empty() {
                return None;
            }
            KeptValues::AnyOf(common)
        }
        (KeptValues::Dates { from: f1, to: t1 }, KeptValues::Dates { from: f2, to: t2 }) => {
            let from = f1.max(f2);
            let to = match (t1, t2) {
                (Some(x), Some(y)) => Some(x.min(y)),
                (x, y) => x.or(y),
            };
            if from.zip(to).is_some_and(|(f, t)| f > t) {
                return None;
            }
            KeptValues::Dates { from, to }
        }
        _ => return None,
    };
    Some(KeptCount { dimension: a.dimension, values })
}
