//! Deterministic random filters and customers, **for tests only** (property
//! tests comparing `evaluate` with the SQL on real databases).
//!
//! Values come from small domains shared by both generators (and anchored on
//! [`REFERENCE_DATE`]) so that random conditions actually hit random
//! customers. No external RNG: a seeded xorshift64* keeps results identical
//! across platforms and dependency versions, so a failing seed reproduces.

use chrono::{Days, NaiveDate};

use super::ast::{
    CmpOp, Cond, DateField, DateTest, Expr, NumberField, NumberTest, TextField, TextTest, Tier, TierTest,
};
use super::eval::{CustomerFacts, TierRules, evaluate, tier_of};
use crate::domain::customer::InteractionKind;

/// Date around which all generated dates lie.
pub const REFERENCE_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2025, 10, 31) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// Owner emails used by [`random_customer`]; tests must create these users.
/// Filters also mention `nobody@rally.test`, which owns no customer.
pub const OWNER_EMAILS: [&str; 3] = ["ming@rally.test", "fang@rally.test", "gang@rally.test"];

const NAMES: [&str; 6] = ["A公司", "B贸易", "C工程", "D科技有限公司", "华东精密制造", "E集团\"连锁\""];
const INDUSTRIES: [&str; 5] = ["制造业", "零售", "建筑", "电子", ""];
const REGIONS: [&str; 3] = ["华东", "华南", "华北"];
const CITIES: [&str; 4] = ["上海", "广州", "北京", "苏州"];
const SOURCES: [&str; 3] = ["渠道商", "展会", "官网"];
const TAGS: [&str; 4] = ["竞品客户", "老客户", "VIP", "新品A"];
/// Substrings for `contains` (including ones that match nothing, the empty
/// string, and odd characters that must survive quoting).
const NEEDLES: [&str; 10] = ["公司", "科技", "华", "制造", "客户", "rally", "@", "", "\"", "\\"];
const AMOUNTS_YUAN: [i64; 6] = [0, 100_000, 1_000_000, 5_000_000, 5_000_001, 12_000_000];

/// xorshift64* (Vigna); seeded through splitmix64 so seed 0 works.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `0..n` (n > 0; modulo bias is irrelevant here).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// `REFERENCE_DATE + offset` for an offset in `lo..=hi`.
    fn date(&mut self, lo: i64, hi: i64) -> NaiveDate {
        let span = (hi - lo + 1).max(1) as u64;
        shift(REFERENCE_DATE, lo + self.below(span) as i64)
    }
}

fn shift(d: NaiveDate, days: i64) -> NaiveDate {
    let r = if days >= 0 {
        d.checked_add_days(Days::new(days.unsigned_abs()))
    } else {
        d.checked_sub_days(Days::new(days.unsigned_abs()))
    };
    r.unwrap_or(d)
}

/// A random customer. Interactions lie in the 100 days up to
/// [`REFERENCE_DATE`], or (with `allow_future`) up to 10 days after it, for
/// testing historical (non-anchored) as-of dates.
pub fn random_customer(seed: u64, allow_future: bool) -> CustomerFacts {
    let mut r = Rng::new(seed);
    let n_interactions = r.pick(&[0, 0, 1, 2, 3, 4, 6]);
    let hi = if allow_future { 10 } else { 0 };
    // Cluster dates on a few days so equal dates and window edges are common.
    let interactions = (0..n_interactions)
        .map(|_| {
            let d = if r.chance(50) {
                r.date(-100, hi)
            } else {
                shift(REFERENCE_DATE, -r.pick(&[0, 1, 29, 30, 59, 60, 89, 90]))
            };
            let kind = match r.below(100) {
                0..40 => InteractionKind::Inquiry,
                40..55 => InteractionKind::Order,
                _ => InteractionKind::Call,
            };
            (d, kind)
        })
        .collect();
    let n_tags = r.below(3) as usize;
    let mut tags: Vec<String> = (0..n_tags).map(|_| r.pick(&TAGS).to_owned()).collect();
    tags.sort();
    tags.dedup(); // customer_tags holds a set
    CustomerFacts {
        name: r.pick(&NAMES).to_owned(),
        industry: r.pick(&INDUSTRIES).to_owned(),
        region: r.pick(&REGIONS).to_owned(),
        city: r.pick(&CITIES).to_owned(),
        annual_purchase_fen: r.pick(&AMOUNTS_YUAN) * 100 + if r.chance(10) { 50 } else { 0 },
        owner_email: r.chance(80).then(|| r.pick(&OWNER_EMAILS).to_owned()),
        source: r.pick(&SOURCES).to_owned(),
        tags,
        interactions,
    }
}

/// Random tier rules near the product defaults, including the edge cases
/// `s_min_interactions = 0` and empty windows.
pub fn random_rules(seed: u64) -> TierRules {
    let mut r = Rng::new(seed);
    TierRules {
        s_min_interactions: r.pick(&[0, 1, 2, 3, 3, 3, 4]),
        s_window_days: r.pick(&[0, 1, 7, 30, 30, 30, 90]),
        b_window_days: r.pick(&[0, 1, 30, 60, 60, 60, 120]),
    }
}

/// A random as-of date in `REFERENCE_DATE − 40 ..= REFERENCE_DATE + 12`
/// (historical mode; pair with `random_customer(_, true)`).
pub fn random_as_of(seed: u64) -> NaiveDate {
    Rng::new(seed).date(-40, 12)
}

/// A random scenario for database property tests: load `customers` (ids
/// `1..=n` in order, owners from [`OWNER_EMAILS`]), compile filters with
/// `as_of`, `rules` and `anchored`, and compare with [`World::expected`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct World {
    pub customers: Vec<CustomerFacts>,
    pub as_of: NaiveDate,
    pub rules: TierRules,
    /// Anchored worlds have `as_of = REFERENCE_DATE` and no interaction after
    /// it; the others have a random `as_of` with interactions on both sides.
    pub anchored: bool,
}

impl World {
    /// 1-based positions of the customers matching `expr`.
    pub fn expected(&self, expr: &Expr) -> Vec<i64> {
        (1..).zip(&self.customers).filter(|(_, c)| evaluate(expr, c, self.as_of, &self.rules)).map(|(i, _)| i).collect()
    }

    /// Every customer's tier, in order.
    pub fn expected_tiers(&self) -> Vec<Tier> {
        self.customers.iter().map(|c| tier_of(c, self.as_of, &self.rules)).collect()
    }
}

pub fn random_world(seed: u64, anchored: bool, n_customers: usize) -> World {
    let base = seed.wrapping_mul(1_000_003);
    World {
        customers: (0..n_customers as u64).map(|i| random_customer(base.wrapping_add(i), !anchored)).collect(),
        as_of: if anchored { REFERENCE_DATE } else { random_as_of(seed) },
        rules: random_rules(seed),
        anchored,
    }
}

/// A random filter at most `max_depth` operators (`and`/`or`/`not`) deep.
pub fn random_expr(seed: u64, max_depth: u32) -> Expr {
    expr(&mut Rng::new(seed), max_depth)
}

fn expr(r: &mut Rng, depth: u32) -> Expr {
    if depth == 0 || r.chance(30) {
        return Expr::Cond(cond(r));
    }
    match r.below(5) {
        0 => expr(r, depth - 1).not(),
        1 | 2 => expr(r, depth - 1).and(expr(r, depth - 1)),
        _ => expr(r, depth - 1).or(expr(r, depth - 1)),
    }
}

fn list<T>(r: &mut Rng, mut item: impl FnMut(&mut Rng) -> T) -> Vec<T> {
    let n = r.pick(&[0, 1, 1, 2, 2, 3]);
    (0..n).map(|_| item(r)).collect()
}

fn cond(r: &mut Rng) -> Cond {
    match r.below(12) {
        0..=5 => {
            let field = r.pick(&[
                TextField::Name,
                TextField::Industry,
                TextField::Region,
                TextField::City,
                TextField::Owner,
                TextField::Tag,
                TextField::Source,
            ]);
            let value = |r: &mut Rng| -> String {
                let v = match field {
                    TextField::Name => r.pick(&NAMES),
                    TextField::Industry => r.pick(&INDUSTRIES),
                    TextField::Region => r.pick(&REGIONS),
                    TextField::City => r.pick(&CITIES),
                    TextField::Owner if r.chance(20) => "nobody@rally.test",
                    TextField::Owner => r.pick(&OWNER_EMAILS),
                    TextField::Tag => r.pick(&TAGS),
                    TextField::Source => r.pick(&SOURCES),
                };
                v.to_owned()
            };
            let test = match r.below(4) {
                0 => TextTest::Eq(value(r)),
                1 => TextTest::Ne(value(r)),
                2 => TextTest::In(list(r, value)),
                _ => TextTest::Contains(r.pick(&NEEDLES).to_owned()),
            };
            Cond::Text { field, test }
        }
        6 => {
            let tier = |r: &mut Rng| r.pick(&Tier::ALL);
            Cond::Tier(match r.below(3) {
                0 => TierTest::Eq(tier(r)),
                1 => TierTest::Ne(tier(r)),
                _ => TierTest::In(list(r, tier)),
            })
        }
        7 | 8 => {
            let field = r.pick(&[NumberField::AnnualPurchase, NumberField::Interactions30d]);
            let value = |r: &mut Rng| match field {
                NumberField::AnnualPurchase => r.pick(&AMOUNTS_YUAN) * 100 + r.pick(&[0, 0, 0, -1, 1, 50]),
                NumberField::Interactions30d => r.below(6) as i64,
            };
            let test = if r.chance(80) {
                NumberTest::Cmp(r.pick(&CmpOp::ALL), value(r))
            } else {
                NumberTest::In(list(r, value))
            };
            Cond::Number { field, test }
        }
        _ => {
            let field = r.pick(&[DateField::LastInteraction, DateField::LastInquiry, DateField::LastOrder]);
            let date = |r: &mut Rng| {
                if r.chance(50) {
                    r.date(-110, 12)
                } else {
                    shift(REFERENCE_DATE, -r.pick(&[0, 1, 29, 30, 59, 60, 89, 90]))
                }
            };
            let test = match r.below(5) {
                0 | 1 => DateTest::Cmp(r.pick(&CmpOp::ALL), date(r)),
                2 => DateTest::In(list(r, date)),
                _ => DateTest::Within(r.pick(&[0, 1, 7, 30, 60, 90, 365])),
            };
            Cond::Date { field, test }
        }
    }
}
