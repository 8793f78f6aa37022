//! The scale data set: any number of customers with a chosen number of
//! interactions each, for benchmarks and load tests up to millions of
//! customers. Deterministic per customer — customer `i` is the same whatever
//! batch it is made in and however many are made — so a figure measured on
//! it can be reproduced anywhere. Pure generation; `ops::demo::load_scale`
//! stores it.

use chrono::{Days, NaiveDate};

use crate::domain::customer::{Channel, InteractionKind};
use crate::domain::segment::{CustomerFacts, DerivedColumns, TierRules, derived_columns};
use crate::io::names::normalize_company_name;
use crate::store::customers::{NewCustomer, NewInteraction};

/// The regions customers are spread over, each served by the demo team's rep
/// of that region.
pub const REGIONS: [&str; 7] = ["华东", "华南", "华北", "华中", "西南", "西北", "东北"];
const INDUSTRIES: [&str; 10] =
    ["制造业", "零售", "建筑", "电子", "连锁", "医疗器械", "物流", "化工", "食品", "汽车配件"];
/// Three cities of each region in [`REGIONS`], in the same order.
const CITIES: [[&str; 3]; 7] = [
    ["上海", "杭州", "苏州"],
    ["广州", "深圳", "厦门"],
    ["北京", "天津", "石家庄"],
    ["武汉", "长沙", "郑州"],
    ["成都", "重庆", "昆明"],
    ["西安", "兰州", "银川"],
    ["沈阳", "长春", "哈尔滨"],
];
const SUFFIXES: [&str; 5] = ["科技有限公司", "制造有限公司", "贸易有限公司", "实业有限公司", "集团有限公司"];
const SOURCES: [&str; 4] = ["crm", "import", "event", "referral"];
const TAGS: [&str; 6] = ["老客户", "重点客户", "价格敏感", "决策慢", "新客户", "渠道客户"];
const PAINS: [&str; 6] = ["成本高", "交期长", "质量不稳定", "售后慢", "能耗高", "库存积压"];
const CHANNELS: [Channel; 4] = [Channel::Phone, Channel::Im, Channel::Visit, Channel::Email];
const ROUTINE: [InteractionKind; 4] =
    [InteractionKind::Call, InteractionKind::Message, InteractionKind::Visit, InteractionKind::Email];

/// One generated customer: its fields and history, the index of its region in
/// [`REGIONS`] (its owner is that region's rep unless `assigned` is false), and
/// the activity columns its history gives, so a load need not recompute them.
pub struct ScaleCustomer {
    pub customer: NewCustomer,
    pub region: usize,
    pub assigned: bool,
    pub activity: DerivedColumns,
}

/// One interaction in twenty is an order, one in ten an inquiry.
fn routine_or_not(r: u64) -> InteractionKind {
    match (r >> 20) % 20 {
        0 => InteractionKind::Order,
        1 | 2 => InteractionKind::Inquiry,
        _ => pick(&ROUTINE, r >> 32),
    }
}

/// SplitMix64: a fixed, fast mix of the customer's index, so customer `i`
/// does not depend on the ones made before it.
fn mix(i: u64, salt: u64) -> u64 {
    let mut z = i.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(salt.wrapping_mul(0xD1B5_4A32_D192_ED03));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn pick<T: Copy>(list: &[T], r: u64) -> T {
    list[(r % list.len() as u64) as usize]
}

/// Customers `range` with `per_customer` interactions each, dated back from
/// `today`: about one in ten busy this month, a quarter with a recent
/// inquiry, the rest dormant (see [`customer`]).
pub fn customers(
    range: std::ops::Range<usize>,
    per_customer: usize,
    today: NaiveDate,
    rules: &TierRules,
) -> Vec<ScaleCustomer> {
    range.map(|i| customer(i, per_customer, today, rules)).collect()
}

fn customer(i: usize, per_customer: usize, today: NaiveDate, rules: &TierRules) -> ScaleCustomer {
    let n = i as u64;
    let r = |salt| mix(n, salt);
    let region = (r(1) % REGIONS.len() as u64) as usize;
    let city = pick(&CITIES[region], r(2));
    let name = format!("{city}{}{i:07}{}", pick(&INDUSTRIES, r(3)), pick(&SUFFIXES, r(4)));
    // How its history looks: busy this month (tier S with the default
    // rules), asked about something in the last two months and quiet since
    // (tier B), or dormant for up to three years (tier C).
    let profile = r(5) % 100;
    let interactions: Vec<NewInteraction> = (0..per_customer as u64)
        .map(|k| {
            let rk = mix(n, 100 + k);
            let (back, kind) = match (profile, k) {
                (0..10, _) => (rk % 30, routine_or_not(rk)),
                (10..35, 0) => (30 + rk % 30, InteractionKind::Inquiry),
                _ => (61 + rk % 1035, routine_or_not(rk)),
            };
            NewInteraction {
                occurred_on: today.checked_sub_days(Days::new(back)).unwrap_or(today),
                occurred_at: None,
                channel: pick(&CHANNELS, rk >> 40),
                kind,
                note: String::new(),
                amount_fen: (kind == InteractionKind::Order).then(|| ((rk >> 8) % 5_000 + 100) as i64 * 10_000),
                created_by: None,
            }
        })
        .collect();
    let facts = CustomerFacts {
        interactions: interactions.iter().map(|x| (x.occurred_on, x.kind)).collect(),
        ..CustomerFacts::default()
    };
    let activity = derived_columns(&facts, rules);
    let mut tags = vec![pick(&TAGS, r(6)).to_owned()];
    if r(7) % 3 == 0 {
        tags.push(pick(&TAGS, r(8)).to_owned());
    }
    tags.dedup();
    ScaleCustomer {
        customer: NewCustomer {
            name_key: normalize_company_name(&name),
            name,
            credit_code: None,
            industry: pick(&INDUSTRIES, r(3)).to_owned(),
            region: REGIONS[region].to_owned(),
            city: city.to_owned(),
            annual_purchase_fen: ((r(9) % 2_000) as i64 + 1) * 500_000,
            owner_id: None,
            source: pick(&SOURCES, r(10)).to_owned(),
            notes: String::new(),
            tags,
            pain_points: vec![pick(&PAINS, r(11)).to_owned()],
            contacts: Vec::new(),
            interactions,
        },
        region,
        assigned: r(12) % 100 >= 15,
        activity,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::segment::{Tier, tier_of};

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    }

    #[test]
    fn a_customer_is_the_same_in_any_batch() {
        let rules = TierRules::default();
        let whole = customers(0..300, 10, today(), &rules);
        let part = customers(200..300, 10, today(), &rules);
        for (a, b) in whole[200..].iter().zip(&part) {
            assert_eq!(a.customer.name, b.customer.name);
            assert_eq!(a.customer.interactions.len(), b.customer.interactions.len());
            assert_eq!(a.activity, b.activity);
            assert_eq!((a.region, a.assigned), (b.region, b.assigned));
        }
    }

    #[test]
    fn names_are_distinct_and_tiers_realistic() {
        let rules = TierRules::default();
        let made = customers(0..20_000, 10, today(), &rules);
        let keys: std::collections::HashSet<&str> = made.iter().map(|c| c.customer.name_key.as_str()).collect();
        assert_eq!(keys.len(), made.len());
        let mut tiers = [0usize; 3];
        for c in &made {
            let facts = CustomerFacts {
                interactions: c.customer.interactions.iter().map(|x| (x.occurred_on, x.kind)).collect(),
                ..CustomerFacts::default()
            };
            let tier = tier_of(&facts, today(), &rules);
            tiers[match tier {
                Tier::S => 0,
                Tier::B => 1,
                Tier::C => 2,
            }] += 1;
            assert!(c.customer.interactions.iter().all(|x| x.occurred_on <= today()));
            assert_eq!(c.activity.last_interaction_on, facts.interactions.iter().map(|x| x.0).max());
        }
        let share = |n: usize| n * 100 / made.len();
        assert!((8..=15).contains(&share(tiers[0])), "S: {tiers:?}");
        assert!((15..=40).contains(&share(tiers[1])), "B: {tiers:?}");
        assert!(share(tiers[2]) >= 45, "C: {tiers:?}");
        let orders = made.iter().flat_map(|c| &c.customer.interactions).filter(|x| x.kind == InteractionKind::Order);
        assert!(orders.clone().count() > 0 && orders.clone().all(|x| x.amount_fen.is_some()));
    }
}
