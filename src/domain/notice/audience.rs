//! The target segment (目标客群) in the filter language: regions (and the
//! provinces and cities in them), industries, annual purchases, tiers, tags,
//! and recent inquiries, interactions and orders.

use super::numbers::{money_at, number_at};
use super::text::{Norm, R};
use crate::domain::segment::{
    CmpOp, Cond, DateField, DateTest, Expr, NumberField, NumberTest, TextField, TextTest, Tier, TierTest,
};

/// The regions of a team that has not set its own.
pub(crate) const DEFAULT_REGIONS: [&str; 7] = ["华东", "华南", "华北", "华中", "西南", "西北", "东北"];

/// Provinces, groupings and large cities, with the region they belong to.
const PLACES: &[(&str, &str)] = &[
    ("江浙沪", "华东"),
    ("长三角", "华东"),
    ("上海", "华东"),
    ("江苏", "华东"),
    ("浙江", "华东"),
    ("安徽", "华东"),
    ("福建", "华东"),
    ("江西", "华东"),
    ("山东", "华东"),
    ("苏州", "华东"),
    ("南京", "华东"),
    ("无锡", "华东"),
    ("常州", "华东"),
    ("杭州", "华东"),
    ("宁波", "华东"),
    ("温州", "华东"),
    ("合肥", "华东"),
    ("福州", "华东"),
    ("厦门", "华东"),
    ("南昌", "华东"),
    ("济南", "华东"),
    ("青岛", "华东"),
    ("珠三角", "华南"),
    ("两广", "华南"),
    ("广东", "华南"),
    ("广西", "华南"),
    ("海南", "华南"),
    ("广州", "华南"),
    ("深圳", "华南"),
    ("东莞", "华南"),
    ("佛山", "华南"),
    ("珠海", "华南"),
    ("南宁", "华南"),
    ("海口", "华南"),
    ("京津冀", "华北"),
    ("北京", "华北"),
    ("天津", "华北"),
    ("河北", "华北"),
    ("山西", "华北"),
    ("内蒙古", "华北"),
    ("石家庄", "华北"),
    ("太原", "华北"),
    ("呼和浩特", "华北"),
    ("河南", "华中"),
    ("湖北", "华中"),
    ("湖南", "华中"),
    ("郑州", "华中"),
    ("武汉", "华中"),
    ("长沙", "华中"),
    ("川渝", "西南"),
    ("重庆", "西南"),
    ("四川", "西南"),
    ("贵州", "西南"),
    ("云南", "西南"),
    ("西藏", "西南"),
    ("成都", "西南"),
    ("贵阳", "西南"),
    ("昆明", "西南"),
    ("陕西", "西北"),
    ("甘肃", "西北"),
    ("青海", "西北"),
    ("宁夏", "西北"),
    ("新疆", "西北"),
    ("西安", "西北"),
    ("兰州", "西北"),
    ("乌鲁木齐", "西北"),
    ("东三省", "东北"),
    ("辽宁", "东北"),
    ("吉林", "东北"),
    ("黑龙江", "东北"),
    ("沈阳", "东北"),
    ("大连", "东北"),
    ("长春", "东北"),
    ("哈尔滨", "东北"),
];

/// Industries a team without customers yet is assumed to have.
pub(crate) const DEFAULT_INDUSTRIES: [&str; 12] =
    ["制造业", "零售", "建筑", "电子", "连锁", "医疗器械", "物流", "化工", "食品", "汽车零部件", "医药", "教育"];

/// Other words for an industry (only used when the team has that industry).
const INDUSTRY_WORDS: &[(&str, &str)] = &[
    ("制造企业", "制造业"),
    ("制造类", "制造业"),
    ("制造", "制造业"),
    ("工厂", "制造业"),
    ("生产企业", "制造业"),
    ("零售商", "零售"),
    ("零售业", "零售"),
    ("商超", "零售"),
    ("连锁店", "连锁"),
    ("连锁门店", "连锁"),
    ("连锁企业", "连锁"),
    ("医疗", "医疗器械"),
    ("汽配", "汽车零部件"),
    ("汽车配件", "汽车零部件"),
    ("建筑业", "建筑"),
    ("建工", "建筑"),
    ("施工", "建筑"),
    ("电子厂", "电子"),
    ("半导体", "电子"),
    ("物流企业", "物流"),
    ("化工企业", "化工"),
    ("食品企业", "食品"),
];

/// Words for tiers; they win over a tag of the same name.
const TIER_WORDS: &[(&str, Tier)] = &[
    ("重点客户", Tier::S),
    ("核心客户", Tier::S),
    ("高互动客户", Tier::S),
    ("潜在客户池", Tier::C),
    ("潜在客户", Tier::C),
];

const PURCHASE: &[&str] = &[
    "年采购额",
    "年采购金额",
    "年度采购额",
    "年度采购",
    "年采购量",
    "年采购",
    "采购额",
    "采购金额",
    "采购规模",
    "采购量",
    "年消费",
    "规模",
];
const OP_GT: &[&str] = &["超过", "超", "大于", "高于", "多于", ">"];
const OP_GE: &[&str] = &["不低于", "不少于", "至少", "达到", "≥", ">="];
const OP_LT: &[&str] = &["低于", "小于", "少于", "不足", "不到", "<"];
const OP_LE: &[&str] = &["不超过", "不高于", "不多于", "最多", "≤", "<="];
const AFTER_GE: &[&str] = &["及以上", "或以上", "以上", "+", "起"];
const AFTER_LE: &[&str] = &["及以下", "或以下", "以下", "以内"];

const INQUIRY: &[&str] = &["询盘", "询价", "询单", "咨询", "来询"];
const INTERACTION: &[&str] = &["互动", "跟进", "联系", "沟通", "活跃", "接触"];
const ORDER: &[&str] = &["下单", "下过单", "订单", "成交", "购买", "买过", "签单", "采购过"];
const NEGATION: &[&str] = &["未", "没有", "没", "尚未", "无", "不曾", "未曾", "从未", "还没", "暂未"];

/// Words that make a sentence about customers (free text is read as a
/// segment only when it is).
pub(crate) const CUSTOMER_NOUNS: &[&str] = &[
    "客户",
    "客群",
    "企业",
    "公司",
    "厂商",
    "厂家",
    "经销商",
    "代理商",
    "门店",
    "商家",
    "用户",
    "买家",
    "采购商",
    "工厂",
];

/// A sentence that ranks customers (优先…) says who comes first, not who is in.
pub(crate) const PRIORITY: &[&str] = &["优先", "重点跟进", "重点触达", "首先"];

/// What the reader knows of the team: its regions, industries and tags.
pub(crate) struct Vocabulary {
    entries: Vec<(String, Entry)>,
}

#[derive(Clone, Debug, PartialEq)]
enum Entry {
    Region(String),
    Industry(String),
    Tag(String),
    Tier(Tier),
    Nationwide,
}

impl Vocabulary {
    pub fn new(regions: &[String], industries: &[String], tags: &[String]) -> Vocabulary {
        let clean = |v: &[String]| -> Vec<String> {
            v.iter().map(|s| s.trim().to_owned()).filter(|s| s.chars().count() >= 2).collect()
        };
        let mut regions = clean(regions);
        if regions.is_empty() {
            regions = DEFAULT_REGIONS.iter().map(|s| (*s).to_owned()).collect();
        }
        let mut industries = clean(industries);
        if industries.is_empty() {
            industries = DEFAULT_INDUSTRIES.iter().map(|s| (*s).to_owned()).collect();
        }
        let mut entries: Vec<(String, Entry)> = Vec::new();
        entries.push(("全国".to_owned(), Entry::Nationwide));
        for (word, tier) in TIER_WORDS {
            entries.push(((*word).to_owned(), Entry::Tier(*tier)));
        }
        for r in &regions {
            entries.push((r.clone(), Entry::Region(r.clone())));
        }
        for (place, region) in PLACES {
            if regions.iter().any(|r| r == region) {
                entries.push(((*place).to_owned(), Entry::Region((*region).to_owned())));
            }
        }
        for i in &industries {
            entries.push((i.clone(), Entry::Industry(i.clone())));
        }
        for (word, industry) in INDUSTRY_WORDS {
            if industries.iter().any(|i| i == industry) {
                entries.push(((*word).to_owned(), Entry::Industry((*industry).to_owned())));
            }
        }
        for t in clean(tags) {
            if !entries.iter().any(|(w, _)| *w == t) {
                entries.push((t.clone(), Entry::Tag(t)));
            }
        }
        // The first entry of a surface wins; longer surfaces are tried first.
        let mut seen = std::collections::HashSet::new();
        entries.retain(|(w, _)| seen.insert(w.clone()));
        entries.sort_by_key(|(w, _)| std::cmp::Reverse(w.chars().count()));
        Vocabulary { entries }
    }
}

/// The segment read so far, merged over every sentence that describes it.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Audience {
    regions: Vec<String>,
    industries: Vec<String>,
    tiers: Vec<Tier>,
    tags: Vec<String>,
    amounts: Vec<(CmpOp, i64)>,
    inquiry: Option<(bool, u32)>,
    interaction: Option<(bool, u32)>,
    order: Option<(bool, u32)>,
    nationwide: bool,
}

fn push<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

impl Audience {
    pub fn is_empty(&self) -> bool {
        *self == Audience::default()
    }

    pub fn merge(&mut self, other: Audience) {
        for r in other.regions {
            push(&mut self.regions, r);
        }
        for i in other.industries {
            push(&mut self.industries, i);
        }
        for t in other.tiers {
            push(&mut self.tiers, t);
        }
        for t in other.tags {
            push(&mut self.tags, t);
        }
        if self.amounts.is_empty() {
            self.amounts = other.amounts;
        }
        self.inquiry = self.inquiry.or(other.inquiry);
        self.interaction = self.interaction.or(other.interaction);
        self.order = self.order.or(other.order);
        self.nationwide |= other.nationwide;
    }

    /// The filter, conditions in a fixed order (region, industry, amount,
    /// tier, tag, inquiry, interaction, order); `None` when nothing narrows it.
    pub fn expr(&self) -> Option<Expr> {
        let mut conds: Vec<Expr> = Vec::new();
        let text = |field: TextField, values: &[String]| -> Option<Expr> {
            let test = match values {
                [] => return None,
                [one] => TextTest::Eq(one.clone()),
                many => TextTest::In(many.to_vec()),
            };
            Some(Expr::Cond(Cond::Text { field, test }))
        };
        conds.extend(text(TextField::Region, &self.regions));
        conds.extend(text(TextField::Industry, &self.industries));
        for &(op, fen) in &self.amounts {
            conds.push(Expr::Cond(Cond::Number { field: NumberField::AnnualPurchase, test: NumberTest::Cmp(op, fen) }));
        }
        match self.tiers.as_slice() {
            [] => {}
            [one] => conds.push(Expr::Cond(Cond::Tier(TierTest::Eq(*one)))),
            many => conds.push(Expr::Cond(Cond::Tier(TierTest::In(many.to_vec())))),
        }
        conds.extend(text(TextField::Tag, &self.tags));
        for (field, recency) in [
            (DateField::LastInquiry, self.inquiry),
            (DateField::LastInteraction, self.interaction),
            (DateField::LastOrder, self.order),
        ] {
            if let Some((did, days)) = recency {
                let c = Expr::Cond(Cond::Date { field, test: DateTest::Within(days) });
                conds.push(if did { c } else { c.not() });
            }
        }
        conds.into_iter().reduce(Expr::and)
    }
}

/// What `r` says about the segment (empty when nothing).
pub(crate) fn read(n: &Norm, r: R, vocab: &Vocabulary) -> Audience {
    let mut a = Audience::default();
    let mut i = r.s;
    // Named things, longest first at each position.
    while i < r.e {
        let found = vocab.entries.iter().find(|(w, _)| n.word_at(i, w, r.e));
        match found {
            Some((w, entry)) => {
                match entry {
                    Entry::Region(v) => push(&mut a.regions, v.clone()),
                    Entry::Industry(v) => push(&mut a.industries, v.clone()),
                    Entry::Tag(v) => push(&mut a.tags, v.clone()),
                    Entry::Tier(t) => push(&mut a.tiers, *t),
                    Entry::Nationwide => a.nationwide = true,
                }
                i += w.chars().count();
            }
            None => i += 1,
        }
    }
    for t in letter_tiers(n, r) {
        push(&mut a.tiers, t);
    }
    a.amounts = amounts(n, r);
    recency(n, r, &mut a);
    a
}

/// `S级`, `S、B级`, `S/B类客户`, `S级和B级`.
fn letter_tiers(n: &Norm, r: R) -> Vec<Tier> {
    let mut out = Vec::new();
    let c = |i: usize| if i < r.e { n.at(i) } else { None };
    let tier = |ch: Option<char>| match ch {
        Some('S') => Some(Tier::S),
        Some('B') => Some(Tier::B),
        Some('C') => Some(Tier::C),
        _ => None,
    };
    let mut i = r.s;
    while i < r.e {
        let starts = tier(c(i)).is_some() && !(i > r.s && c(i - 1).is_some_and(|p| p.is_ascii_alphanumeric()));
        if !starts {
            i += 1;
            continue;
        }
        // A run of letters joined by 、 / , 和 及 与, then 级/类/档.
        let mut run = Vec::new();
        let mut j = i;
        while let Some(t) = tier(c(j)) {
            run.push(t);
            j += 1;
            if matches!(c(j), Some('级' | '类' | '档')) {
                j += 1;
            }
            if matches!(c(j), Some('、' | '/' | ',' | '和' | '及' | '与' | '或')) && tier(c(j + 1)).is_some() {
                j += 1;
            } else {
                break;
            }
        }
        let closed = (i..j).any(|k| matches!(c(k), Some('级' | '类' | '档')));
        if closed && !c(j).is_some_and(|ch| ch.is_ascii_alphanumeric()) {
            out.extend(run);
        }
        i = j.max(i + 1);
    }
    out
}

/// `年采购额超500万`, `500万以上`, `不低于300万元`, `500-1000万`.
fn amounts(n: &Norm, r: R) -> Vec<(CmpOp, i64)> {
    let Some((k, _, len)) = n.find_any(r, PURCHASE) else { return Vec::new() };
    let from = k + len;
    for i in from..(from + 12).min(r.e) {
        // Do not read past the clause of the keyword.
        if matches!(n.at(i), Some(',' | '、' | ';')) {
            break;
        }
        let Some(num) = number_at(n, i, r.e) else { continue };
        let lo = money_at(n, i, r.e, false);
        let after_lo = lo.map_or(num.r.e, |(_, m)| m.e);
        // A range: 500万-1000万, 500至1000万 (the first number takes the second's unit).
        if let Some((_, sep)) = n.any_at(after_lo, &["-", "~", "至", "到"], r.e)
            && let Some((hi, hm)) = money_at(n, after_lo + sep, r.e, false)
        {
            let lo_fen = match lo {
                Some((fen, _)) => Some(fen),
                None => num.value.scaled(2).and_then(|v| v.checked_mul(multiplier(n, hm))),
            };
            if let Some(lo_fen) = lo_fen.filter(|&l| l <= hi) {
                return vec![(CmpOp::Ge, lo_fen), (CmpOp::Le, hi)];
            }
        }
        let (fen, m) = match lo {
            Some(found) => found,
            None => match num.value.whole() {
                Some(v) if v >= 10_000 => (v.saturating_mul(100), num.r),
                _ => continue,
            },
        };
        let before = R::new(from, m.s);
        let op_before = [(OP_LE, CmpOp::Le), (OP_GE, CmpOp::Ge), (OP_LT, CmpOp::Lt), (OP_GT, CmpOp::Gt)]
            .iter()
            .filter_map(|(words, op)| n.find_any(before, words).map(|(at, _, len)| (at, len, *op)))
            // The leftmost, and at one position the longest (不超过, not 超过).
            .min_by_key(|&(at, len, _)| (at, std::cmp::Reverse(len)))
            .map(|(_, _, op)| op);
        let op_after = if n.any_at(m.e, AFTER_GE, r.e).is_some() {
            Some(CmpOp::Ge)
        } else if n.any_at(m.e, AFTER_LE, r.e).is_some() {
            Some(CmpOp::Le)
        } else {
            None
        };
        return vec![(op_before.or(op_after).unwrap_or(CmpOp::Ge), fen)];
    }
    Vec::new()
}

/// What the multipliers written in `m` (万, 亿, 千) multiply by.
fn multiplier(n: &Norm, m: R) -> i64 {
    (m.s..m.e).fold(1i64, |acc, i| match n.at(i) {
        Some('万' | 'W') => acc.saturating_mul(10_000),
        Some('亿') => acc.saturating_mul(100_000_000),
        Some('千' | 'K') => acc.saturating_mul(1_000),
        _ => acc,
    })
}

/// `近3个月有询盘`, `近30天有互动`, `未下单`: the days of the window (90 when
/// none is named) and whether it happened.
fn recency(n: &Norm, r: R, a: &mut Audience) {
    let days = window_days(n, r);
    let mut i = r.s;
    while i < r.e {
        let hit = [(INQUIRY, 0), (INTERACTION, 1), (ORDER, 2)]
            .iter()
            .find_map(|(words, k)| n.any_at(i, words, r.e).map(|(_, len)| (*k, len)));
        let Some((kind, len)) = hit else {
            i += 1;
            continue;
        };
        let back = R::new(i.saturating_sub(3).max(r.s), i);
        let negated = n.contains_any(back, NEGATION);
        let window = days.unwrap_or(90);
        let slot = match kind {
            0 => &mut a.inquiry,
            1 => &mut a.interaction,
            _ => &mut a.order,
        };
        if slot.is_none() {
            *slot = Some((!negated, window));
        }
        i += len;
    }
}

fn window_days(n: &Norm, r: R) -> Option<u32> {
    for i in r.s..r.e {
        let Some((_, len)) = n.any_at(i, &["最近", "过去", "近"], r.e) else { continue };
        let j = i + len;
        if n.word_at(j, "半年", r.e) {
            return Some(180);
        }
        if n.word_at(j, "期", r.e) {
            return Some(90);
        }
        let Some(num) = number_at(n, j, r.e) else { continue };
        let Some(v) = num.value.whole().and_then(|v| u32::try_from(v).ok()) else { continue };
        let mut k = num.r.e;
        if n.at(k) == Some('个') {
            k += 1;
        }
        let per = match n.at(k) {
            Some('月') => 30,
            Some('天' | '日') => 1,
            Some('周') => 7,
            Some('年') => 365,
            _ => continue,
        };
        return v.checked_mul(per).filter(|d| (1..=3650).contains(d));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(text: &str) -> Option<String> {
        let n = Norm::new(text);
        let vocab = Vocabulary::new(&[], &[], &["竞品客户".to_owned(), "老客户".to_owned()]);
        read(&n, n.all(), &vocab).expr().map(|e| e.to_plain_amounts())
    }

    #[test]
    fn the_seed_segment() {
        assert_eq!(
            seg("华东区域年采购额超500万的制造业客户").as_deref(),
            Some("region = \"华东\" and industry = \"制造业\" and annual_purchase > 5000000")
        );
    }

    #[test]
    fn places_amounts_tiers_and_recency() {
        assert_eq!(
            seg("江浙沪、广东的零售客户").as_deref(),
            Some("region in [\"华东\", \"华南\"] and industry = \"零售\"")
        );
        assert_eq!(seg("年采购额500万以上").as_deref(), Some("annual_purchase >= 5000000"));
        assert_eq!(seg("年采购额不低于300万元").as_deref(), Some("annual_purchase >= 3000000"));
        assert_eq!(seg("年采购额不超过五百万").as_deref(), Some("annual_purchase <= 5000000"));
        assert_eq!(
            seg("年采购额500-1000万").as_deref(),
            Some("annual_purchase >= 5000000 and annual_purchase <= 10000000")
        );
        assert_eq!(seg("S、B级客户").as_deref(), Some("tier in [\"S\", \"B\"]"));
        assert_eq!(seg("重点客户").as_deref(), Some("tier = \"S\""));
        assert_eq!(seg("竞品客户").as_deref(), Some("tag = \"竞品客户\""));
        assert_eq!(
            seg("近3个月有询盘但未下单的客户").as_deref(),
            Some("last_inquiry within 90d and not last_order within 90d")
        );
        assert_eq!(seg("未成交客户").as_deref(), Some("not last_order within 90d"));
        assert_eq!(seg("近30天有互动的客户").as_deref(), Some("last_interaction within 30d"));
        assert_eq!(seg("全国客户"), None);
        assert_eq!(seg("ABS级材料"), None);
    }
}
