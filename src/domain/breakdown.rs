//! The goal breakdown (template 2): split the intent-customer goal across reps
//! from their share of the target list and their history on similar
//! campaigns, always summing to the goal; and say when a goal is picked from
//! thin air (拍脑袋) — far above or below what history supports.

/// One rep's (or region's) basis for the split.
#[derive(Clone, Debug, PartialEq)]
pub struct RepBasis {
    pub assignee_id: Option<i64>,
    /// Members of this campaign assigned to them.
    pub members: i64,
    pub history: Option<History>,
}

/// What similar campaigns achieved.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct History {
    pub campaigns: i64,
    pub members: i64,
    /// Members who became intent customers (an inquiry or an order in the period).
    pub intent: i64,
    /// Intent customers who ordered.
    pub orders: i64,
    pub order_amount_fen: i64,
}

impl History {
    pub fn intent_rate(&self) -> Option<f64> {
        (self.members > 0).then(|| self.intent as f64 / self.members as f64)
    }

    pub fn conversion(&self) -> Option<f64> {
        (self.intent > 0).then(|| self.orders as f64 / self.intent as f64)
    }

    pub fn average_order_fen(&self) -> Option<i64> {
        (self.orders > 0).then(|| self.order_amount_fen / self.orders)
    }
}

/// A proposed row.
#[derive(Clone, Debug, PartialEq)]
pub struct Proposal {
    pub assignee_id: Option<i64>,
    pub target_customers: i64,
    pub expected_conversion: f64,
    /// Orders this row is to close: `target × conversion`, split so the rows
    /// sum to the orders goal when there is one.
    pub orders_target: i64,
    pub sales_target_fen: i64,
}

/// The goals a breakdown splits.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Goals {
    pub intent: i64,
    pub orders: Option<i64>,
    pub sales_fen: Option<i64>,
}

/// Orders a row stands for: its targets times its conversion, rounded.
pub fn orders_of(target_customers: i64, expected_conversion: f64) -> i64 {
    (target_customers as f64 * expected_conversion).round() as i64
}

/// Conversion assumed when neither the rep nor the team has history.
pub const DEFAULT_CONVERSION: f64 = 0.5;

/// Splits the intent-customer goal: each rep weighs members × their
/// historical intent rate (the team's when they have none); largest
/// remainders make the integers sum exactly to the goal. The orders goal is
/// split the same way by expected orders (target × historical conversion),
/// and each row's conversion is then what its orders imply, so targets,
/// conversions and orders agree row by row and in total. Sales targets split
/// the sales goal by orders; without a sales goal they use the historical
/// average order.
pub fn propose(goals: Goals, reps: &[RepBasis], team: Option<&History>) -> Vec<Proposal> {
    let goal = goals.intent;
    if reps.is_empty() {
        return Vec::new();
    }
    let team_rate = team.and_then(History::intent_rate);
    let weights: Vec<f64> = reps
        .iter()
        .map(|r| {
            let rate = r.history.as_ref().and_then(History::intent_rate).or(team_rate).unwrap_or(1.0);
            // A rep with members but a zero rate still gets a share by members.
            r.members as f64 * rate.max(0.01)
        })
        .collect();
    let targets = apportion(goal.max(0), &weights);
    let conversions: Vec<f64> = reps
        .iter()
        .map(|r| {
            r.history
                .as_ref()
                .and_then(History::conversion)
                .or_else(|| team.and_then(History::conversion))
                .unwrap_or(DEFAULT_CONVERSION)
        })
        .collect();
    let expected_orders: Vec<f64> = targets.iter().zip(&conversions).map(|(t, c)| *t as f64 * c).collect();
    // Orders cannot exceed the row's intent customers; a goal above the
    // intent goal is reported by `realism`, not silently spread.
    let orders: Vec<i64> = match goals.orders {
        Some(total) => apportion(total.clamp(0, goal.max(0)), &expected_orders)
            .into_iter()
            .zip(&targets)
            .map(|(o, t)| o.min(*t))
            .collect(),
        None => expected_orders.iter().map(|o| o.round() as i64).collect(),
    };
    let conversions: Vec<f64> = match goals.orders {
        Some(_) => orders
            .iter()
            .zip(&targets)
            .zip(&conversions)
            .map(|((o, t), c)| if *t > 0 { *o as f64 / *t as f64 } else { *c })
            .collect(),
        None => conversions,
    };
    let order_weights: Vec<f64> = orders.iter().map(|o| *o as f64).collect();
    let sales: Vec<i64> = match goals.sales_fen {
        Some(total) if order_weights.iter().any(|w| *w > 0.0) => apportion(total.max(0), &order_weights),
        Some(total) => apportion(total.max(0), &expected_orders),
        None => {
            let avg = team.and_then(History::average_order_fen).unwrap_or(0);
            orders.iter().map(|o| o * avg).collect()
        }
    };
    reps.iter()
        .zip(targets)
        .zip(conversions)
        .zip(orders)
        .zip(sales)
        .map(|((((r, target_customers), expected_conversion), orders_target), sales_target_fen)| Proposal {
            assignee_id: r.assignee_id,
            target_customers,
            expected_conversion: (expected_conversion * 1000.0).round() / 1000.0,
            orders_target,
            sales_target_fen,
        })
        .collect()
}

/// Integers proportional to `weights` that sum to `total` (largest remainder;
/// ties go to the earlier row, so the result is stable). All-zero weights
/// split evenly.
pub fn apportion(total: i64, weights: &[f64]) -> Vec<i64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let clean: Vec<f64> = weights.iter().map(|w| if w.is_finite() && *w > 0.0 { *w } else { 0.0 }).collect();
    let sum: f64 = clean.iter().sum();
    let shares: Vec<f64> = if sum > 0.0 {
        clean.iter().map(|w| total as f64 * w / sum).collect()
    } else {
        vec![total as f64 / clean.len() as f64; clean.len()]
    };
    let mut out: Vec<i64> = shares.iter().map(|s| s.floor() as i64).collect();
    let mut left = total - out.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = shares[a] - shares[a].floor();
        let rb = shares[b] - shares[b].floor();
        rb.partial_cmp(&ra).unwrap_or(std::cmp::Ordering::Equal).then(a.cmp(&b))
    });
    for i in order.into_iter().cycle() {
        if left <= 0 {
            break;
        }
        out[i] += 1;
        left -= 1;
    }
    out
}

/// How far a goal may stray from history before it is called out.
pub const TOO_HIGH: f64 = 1.5;
pub const TOO_LOW: f64 = 0.5;

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Far above history (拍脑袋): the team will likely miss it.
    TooHigh,
    /// Far below history: an empty goal.
    TooLow,
    Realistic,
    /// No similar campaign to compare with.
    NoHistory,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RealismCheck {
    /// `intent_rate` (intent goal ÷ target list) or `conversion` (orders goal ÷ intent goal).
    pub measure: &'static str,
    pub implied: Option<f64>,
    pub historical: Option<f64>,
    pub verdict: Verdict,
    pub history: Option<History>,
}

fn judge(
    measure: &'static str,
    implied: Option<f64>,
    historical: Option<f64>,
    history: Option<History>,
) -> RealismCheck {
    let verdict = match (implied, historical) {
        (Some(i), Some(h)) if h > 0.0 && i > h * TOO_HIGH => Verdict::TooHigh,
        (Some(i), Some(h)) if i < h * TOO_LOW => Verdict::TooLow,
        (Some(_), Some(_)) => Verdict::Realistic,
        _ => Verdict::NoHistory,
    };
    RealismCheck { measure, implied, historical, verdict, history }
}

/// Compares the intent goal against the list size, and the orders goal
/// against the intent goal, with what similar campaigns achieved.
pub fn realism(intent_goal: i64, orders_goal: i64, list_size: i64, team: Option<&History>) -> Vec<RealismCheck> {
    let implied_intent = (list_size > 0).then(|| intent_goal as f64 / list_size as f64);
    let implied_conversion = (intent_goal > 0).then(|| orders_goal as f64 / intent_goal as f64);
    vec![
        judge("intent_rate", implied_intent, team.and_then(History::intent_rate), team.copied()),
        judge("conversion", implied_conversion, team.and_then(History::conversion), team.copied()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(members: i64, intent: i64, orders: i64) -> History {
        History { campaigns: 1, members, intent, orders, order_amount_fen: orders * 1_500_000 }
    }

    #[test]
    fn apportion_always_sums_to_the_total() {
        assert_eq!(apportion(30, &[8.0, 10.0, 12.0]), vec![8, 10, 12]);
        assert_eq!(apportion(10, &[1.0, 1.0, 1.0]), vec![4, 3, 3]);
        assert_eq!(apportion(5, &[0.0, 0.0]), vec![3, 2]);
        assert_eq!(apportion(0, &[1.0, 2.0]), vec![0, 0]);
        assert_eq!(apportion(7, &[f64::NAN, 1.0]), vec![0, 7]);
        // A pseudo-random sweep: always the exact total, never negative.
        let mut seed = 42u64;
        for _ in 0..500 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let n = (seed % 7 + 1) as usize;
            let total = (seed % 97) as i64;
            let weights: Vec<f64> = (0..n).map(|i| ((seed >> (i * 5)) % 11) as f64).collect();
            let split = apportion(total, &weights);
            assert_eq!(split.iter().sum::<i64>(), total, "{weights:?}");
            assert!(split.iter().all(|x| *x >= 0));
        }
    }

    #[test]
    fn proposal_follows_list_share_and_history() {
        // PRODUCT.md: 30 intent customers; 华南/明 8, 华北/芳 10, 华东/刚 12.
        let reps = [
            RepBasis { assignee_id: Some(1), members: 40, history: Some(history(100, 20, 10)) },
            RepBasis { assignee_id: Some(2), members: 50, history: None },
            RepBasis { assignee_id: Some(3), members: 60, history: Some(history(100, 20, 12)) },
        ];
        let team = history(300, 60, 30);
        let goals = Goals { intent: 30, orders: None, sales_fen: Some(47_000_000) };
        let p = propose(goals, &reps, Some(&team));
        assert_eq!(p.iter().map(|r| r.target_customers).sum::<i64>(), 30);
        assert_eq!(p.iter().map(|r| r.target_customers).collect::<Vec<_>>(), vec![8, 10, 12]);
        assert_eq!(p[1].expected_conversion, 0.5, "the team's conversion without own history");
        assert_eq!(p[2].expected_conversion, 0.6);
        assert_eq!(p.iter().map(|r| r.sales_target_fen).sum::<i64>(), 47_000_000);

        // With an orders goal, every column adds up to its goal and each
        // row's orders are its targets times its conversion.
        let goals = Goals { intent: 30, orders: Some(15), sales_fen: Some(47_000_000) };
        let p = propose(goals, &reps, Some(&team));
        assert_eq!(p.iter().map(|r| r.target_customers).sum::<i64>(), 30);
        assert_eq!(p.iter().map(|r| r.orders_target).sum::<i64>(), 15);
        assert_eq!(p.iter().map(|r| r.sales_target_fen).sum::<i64>(), 47_000_000);
        for row in &p {
            assert_eq!(orders_of(row.target_customers, row.expected_conversion), row.orders_target, "{row:?}");
            assert!(row.orders_target <= row.target_customers);
        }
    }

    proptest::proptest! {
        /// Whatever the goals and history, the columns sum to their goals and
        /// each row is consistent with itself.
        #[test]
        fn proposals_always_add_up(
            intent in 0i64..500,
            orders_share in 0u32..=100,
            sales in proptest::option::of(0i64..10_000_000_000),
            members in proptest::collection::vec(0i64..2_000, 1..8),
        ) {
            let orders = intent * i64::from(orders_share) / 100;
            let reps: Vec<RepBasis> = members
                .iter()
                .enumerate()
                .map(|(i, m)| RepBasis { assignee_id: Some(i as i64), members: *m, history: None })
                .collect();
            let p = propose(Goals { intent, orders: Some(orders), sales_fen: sales }, &reps, None);
            proptest::prop_assert_eq!(p.iter().map(|r| r.target_customers).sum::<i64>(), intent);
            proptest::prop_assert_eq!(p.iter().map(|r| r.orders_target).sum::<i64>(), orders);
            if let Some(total) = sales {
                proptest::prop_assert_eq!(p.iter().map(|r| r.sales_target_fen).sum::<i64>(), total);
            }
            for row in &p {
                proptest::prop_assert!(row.orders_target <= row.target_customers);
                proptest::prop_assert_eq!(orders_of(row.target_customers, row.expected_conversion), row.orders_target);
            }
        }
    }

    #[test]
    fn goals_far_from_history_are_called_out() {
        let team = history(200, 40, 20); // 20% become intent, half of them order
        let checks = realism(30, 15, 150, Some(&team));
        assert_eq!(checks[0].verdict, Verdict::Realistic, "30/150 = 20%");
        assert_eq!(checks[1].verdict, Verdict::Realistic);
        let pulled_from_air = realism(90, 80, 150, Some(&team));
        assert_eq!(pulled_from_air[0].verdict, Verdict::TooHigh);
        assert_eq!(pulled_from_air[1].verdict, Verdict::TooHigh);
        let empty = realism(5, 1, 150, Some(&team));
        assert_eq!(empty[0].verdict, Verdict::TooLow);
        assert_eq!(realism(30, 15, 150, None)[0].verdict, Verdict::NoHistory);
    }
}
