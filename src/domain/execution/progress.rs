//! Progress against the goal: funnel counts, achievement and the run-rate
//! projection to the end date in working days.

use chrono::NaiveDate;

use crate::domain::calendar::WorkCalendar;

/// Cumulative funnel counts (PRODUCT.md's review: 36 intent customers, 18
/// orders, conversion 50%). Sales in fen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub members: i64,
    pub reached: i64,
    pub intent_customers: i64,
    pub orders: i64,
    pub lost: i64,
    pub sales_fen: i64,
}

impl Counts {
    pub fn add(&mut self, other: &Counts) {
        self.members += other.members;
        self.reached += other.reached;
        self.intent_customers += other.intent_customers;
        self.orders += other.orders;
        self.lost += other.lost;
        self.sales_fen += other.sales_fen;
    }

    /// Orders per intent customer (转化率), when there is any intent.
    pub fn conversion(&self) -> Option<f64> {
        (self.intent_customers > 0).then(|| self.orders as f64 / self.intent_customers as f64)
    }
}

/// The goals progress is measured against (template 1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Goals {
    pub reached: i64,
    pub intent_customers: i64,
    pub orders: i64,
    pub sales_fen: i64,
}

/// Actual ÷ goal per metric; `None` where no goal was set.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Achievement {
    pub reached: Option<f64>,
    pub intent_customers: Option<f64>,
    pub orders: Option<f64>,
    pub sales_amount: Option<f64>,
}

fn ratio(actual: i64, goal: i64) -> Option<f64> {
    (goal > 0).then(|| actual as f64 / goal as f64)
}

pub fn achievement(actual: &Counts, goals: &Goals) -> Achievement {
    Achievement {
        reached: ratio(actual.reached, goals.reached),
        intent_customers: ratio(actual.intent_customers, goals.intent_customers),
        orders: ratio(actual.orders, goals.orders),
        sales_amount: ratio(actual.sales_fen, goals.sales_fen),
    }
}

/// Where the campaign ends up at today's pace.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Projection {
    /// Working days from the start through today (or the end, if passed).
    pub elapsed_days: i64,
    pub total_days: i64,
    pub reached: i64,
    pub intent_customers: i64,
    pub orders: i64,
    pub sales_fen: i64,
    /// Metrics (with a goal) projected to fall short: `reached`,
    /// `intent_customers`, `orders`, `sales_amount`.
    pub below_goal: Vec<&'static str>,
    /// Years without an official calendar that were taken as Monday–Friday.
    pub assumed_years: Vec<i32>,
}

/// Working days of `[from, to]`, both ends included.
fn working_days_inclusive(calendar: &WorkCalendar, from: NaiveDate, to: NaiveDate) -> (i64, Vec<i32>) {
    let Some(before) = from.pred_opt() else { return (0, Vec::new()) };
    let r = calendar.working_days_between(before, to);
    (r.value, r.assumed_years)
}

/// Run-rate projection: what happened per elapsed working day, times the
/// campaign's working days. `None` before the first working day of the
/// campaign (there is no pace yet).
pub fn project(
    actual: &Counts,
    goals: &Goals,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    today: NaiveDate,
    calendar: &WorkCalendar,
) -> Option<Projection> {
    if today < starts_on {
        return None;
    }
    let (total, mut assumed) = working_days_inclusive(calendar, starts_on, ends_on);
    let (elapsed, more) = working_days_inclusive(calendar, starts_on, today.min(ends_on));
    assumed.extend(more);
    assumed.sort_unstable();
    assumed.dedup();
    if elapsed == 0 || total == 0 {
        return None;
    }
    let pace = |n: i64| -> i64 {
        // Round half up in integers: n × total / elapsed.
        let scaled = i128::from(n) * i128::from(total);
        i64::try_from((2 * scaled + i128::from(elapsed)) / (2 * i128::from(elapsed))).unwrap_or(i64::MAX)
    };
    let p = Projection {
        elapsed_days: elapsed,
        total_days: total,
        reached: pace(actual.reached),
        intent_customers: pace(actual.intent_customers),
        orders: pace(actual.orders),
        sales_fen: pace(actual.sales_fen),
        below_goal: Vec::new(),
        assumed_years: assumed,
    };
    let below_goal = [
        ("reached", p.reached, goals.reached),
        ("intent_customers", p.intent_customers, goals.intent_customers),
        ("orders", p.orders, goals.orders),
        ("sales_amount", p.sales_fen, goals.sales_fen),
    ]
    .into_iter()
    .filter(|(_, projected, goal)| *goal > 0 && projected < goal)
    .map(|(name, _, _)| name)
    .collect();
    Some(Projection { below_goal, ..p })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_review_example() {
        let actual = Counts { intent_customers: 36, orders: 18, ..Counts::default() };
        let goals = Goals { intent_customers: 30, orders: 15, ..Goals::default() };
        let a = achievement(&actual, &goals);
        assert_eq!(a.intent_customers, Some(1.2));
        assert_eq!(a.orders, Some(1.2));
        assert_eq!(a.reached, None, "no goal, no rate");
        assert_eq!(actual.conversion(), Some(0.5));
    }

    #[test]
    fn run_rate_counts_working_days() {
        let cal = WorkCalendar::official();
        // November 2026 has 21 working days; by Friday the 6th, 5 have passed.
        let actual = Counts { intent_customers: 5, orders: 1, sales_fen: 1_000_000, ..Counts::default() };
        let goals = Goals { intent_customers: 30, orders: 4, sales_fen: 2_000_000, ..Goals::default() };
        let p = project(&actual, &goals, d("2026-11-02"), d("2026-11-30"), d("2026-11-06"), &cal).unwrap();
        assert_eq!((p.elapsed_days, p.total_days), (5, 21));
        assert_eq!(p.intent_customers, 21);
        assert_eq!(p.orders, 4);
        assert_eq!(p.sales_fen, 4_200_000);
        assert_eq!(p.below_goal, vec!["intent_customers"]);
        // Over the weekend the pace does not change.
        let q = project(&actual, &goals, d("2026-11-02"), d("2026-11-30"), d("2026-11-08"), &cal).unwrap();
        assert_eq!(q.elapsed_days, 5);
        assert!(project(&actual, &goals, d("2026-11-02"), d("2026-11-30"), d("2026-11-01"), &cal).is_none());
    }

    #[test]
    fn after_the_end_the_projection_is_the_result() {
        let cal = WorkCalendar::official();
        let actual = Counts { orders: 7, ..Counts::default() };
        let p = project(&actual, &Goals::default(), d("2026-11-02"), d("2026-11-06"), d("2026-12-20"), &cal).unwrap();
        assert_eq!(p.orders, 7);
    }

    proptest! {
        #[test]
        fn projections_never_shrink_the_actual(n in 0i64..100_000, offset in 0i64..60, len in 0i64..60) {
            let cal = WorkCalendar::official();
            let start = d("2026-09-20");
            let end = start + chrono::Duration::days(len);
            let today = start + chrono::Duration::days(offset);
            let actual = Counts { orders: n, ..Counts::default() };
            if let Some(p) = project(&actual, &Goals::default(), start, end, today, &cal) {
                prop_assert!(p.orders >= n);
                prop_assert!(p.elapsed_days <= p.total_days);
            }
        }
    }
}
