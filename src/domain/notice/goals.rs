//! Goals: `新增意向客户30家`, `意向客户三十个`, `促成订单15单`, `销售额100万`,
//! `ROI 1:3`, `投入产出比1:3.5`, `触达200家`.

use super::numbers::{Num, money_at, number_at};
use super::text::{Norm, R};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum GoalKind {
    Reached,
    Intent,
    Orders,
    Sales,
    Roi,
}

/// A goal found: counts as whole numbers, sales in fen, ROI as `x` of `1:x`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum GoalValue {
    Count(i64),
    Fen(i64),
    Ratio(f64),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Goal {
    pub kind: GoalKind,
    pub value: GoalValue,
    /// The words it came from: the list item holding keyword and number.
    pub r: R,
}

const KEYWORDS: &[(&str, GoalKind)] = &[
    ("新增意向客户", GoalKind::Intent),
    ("意向客户数", GoalKind::Intent),
    ("意向客户", GoalKind::Intent),
    ("有效意向", GoalKind::Intent),
    ("新增意向", GoalKind::Intent),
    ("意向", GoalKind::Intent),
    ("成交额", GoalKind::Sales),
    ("成交金额", GoalKind::Sales),
    ("销售额", GoalKind::Sales),
    ("销售金额", GoalKind::Sales),
    ("销售收入", GoalKind::Sales),
    ("销售目标", GoalKind::Sales),
    ("业绩", GoalKind::Sales),
    ("营收", GoalKind::Sales),
    ("营业额", GoalKind::Sales),
    ("回款", GoalKind::Sales),
    ("GMV", GoalKind::Sales),
    ("订单数", GoalKind::Orders),
    ("订单", GoalKind::Orders),
    ("成交", GoalKind::Orders),
    ("签单", GoalKind::Orders),
    ("签约", GoalKind::Orders),
    ("下单", GoalKind::Orders),
    ("促成", GoalKind::Orders),
    ("ROI", GoalKind::Roi),
    ("投入产出比", GoalKind::Roi),
    ("投产比", GoalKind::Roi),
    ("投入产出", GoalKind::Roi),
    ("触达", GoalKind::Reached),
    ("覆盖", GoalKind::Reached),
    ("拜访", GoalKind::Reached),
    ("走访", GoalKind::Reached),
    ("邀约", GoalKind::Reached),
    ("联系", GoalKind::Reached),
    ("接触", GoalKind::Reached),
    ("外呼", GoalKind::Reached),
    ("回访", GoalKind::Reached),
    ("到场", GoalKind::Reached),
];

const COUNT_UNITS: &[&str] = &["家", "个", "位", "户", "名", "组", "单", "笔", "张"];
/// After a number these make it something other than a count (a rate, a duration, money).
const NOT_A_COUNT: &[char] = &['%', '天', '日', '月', '年', '周', '折', '倍', '元', '小', '次'];

fn keyword_at(n: &Norm, i: usize, limit: usize) -> Option<(GoalKind, usize)> {
    KEYWORDS
        .iter()
        .filter(|(w, _)| n.word_at(i, w, limit))
        .max_by_key(|(w, _)| w.chars().count())
        .map(|(w, k)| (*k, w.chars().count()))
}

/// The goals in `r`, each kind once, in the order written.
pub(crate) fn read(n: &Norm, r: R) -> Vec<Goal> {
    let mut out: Vec<Goal> = Vec::new();
    for item in n.items(r) {
        read_item(n, item, &mut out);
    }
    out
}

fn read_item(n: &Norm, item: R, out: &mut Vec<Goal>) {
    let mut claimed: Vec<R> = Vec::new();
    let mut i = item.s;
    while i < item.e {
        let Some((kind, len)) = keyword_at(n, i, item.e) else {
            i += 1;
            continue;
        };
        let found = forward(n, kind, i + len, item.e, &claimed).or_else(|| backward(n, kind, i, item.s, &claimed));
        if let Some((value, num)) = found
            && !out.iter().any(|g| g.kind == kind)
        {
            claimed.push(num);
            out.push(Goal { kind, value, r: item });
        }
        i += len;
    }
    // `15单` with no keyword is an order count.
    if !out.iter().any(|g| g.kind == GoalKind::Orders) {
        for j in item.s..item.e {
            if let Some(num) = number_at(n, j, item.e)
                && !claimed.iter().any(|c| c.s <= num.r.s && num.r.s < c.e)
                && matches!(n.at(num.r.e), Some('单' | '笔'))
                && let Some(v) = count(num)
            {
                out.push(Goal { kind: GoalKind::Orders, value: GoalValue::Count(v), r: item });
                break;
            }
        }
    }
}

fn count(num: Num) -> Option<i64> {
    num.value.whole().filter(|v| (0..=10_000_000).contains(v))
}

/// The number after a keyword: `意向客户30家`, `订单：15单`, `销售额达到100万`, `ROI 1:3`.
fn forward(n: &Norm, kind: GoalKind, from: usize, limit: usize, claimed: &[R]) -> Option<(GoalValue, R)> {
    let stop = (from + 10).min(limit);
    for j in from..stop {
        // Another goal's keyword or a rate (达成率) ends the search.
        if keyword_at(n, j, limit).is_some() || n.at(j) == Some('率') {
            return None;
        }
        let Some(num) = number_at(n, j, limit) else { continue };
        if claimed.iter().any(|c| c.s <= num.r.s && num.r.s < c.e) {
            return None;
        }
        return value(n, kind, num, limit);
    }
    None
}

/// The number before a keyword: `30家意向客户`, `15单成交`.
fn backward(n: &Norm, kind: GoalKind, at: usize, start: usize, claimed: &[R]) -> Option<(GoalValue, R)> {
    if matches!(kind, GoalKind::Roi | GoalKind::Sales) {
        return None;
    }
    let unit = n.any_at(at.checked_sub(1)?, COUNT_UNITS, at).map(|_| 1).unwrap_or(0);
    let end = at - unit;
    (start..end).rev().take(12).find_map(|j| {
        let num = number_at(n, j, end)?;
        (num.r.e == end && !claimed.contains(&num.r)).then_some(num).and_then(|num| {
            let v = count(num)?;
            Some((GoalValue::Count(v), num.r))
        })
    })
}

fn value(n: &Norm, kind: GoalKind, num: Num, limit: usize) -> Option<(GoalValue, R)> {
    let next = n.at(num.r.e).filter(|_| num.r.e < limit);
    match kind {
        GoalKind::Sales => {
            if next == Some('%') {
                return None;
            }
            let bare = num.value.whole().is_some_and(|v| v >= 1_000);
            let (fen, r) = money_at(n, num.r.s, limit, bare)?;
            Some((GoalValue::Fen(fen), r))
        }
        GoalKind::Roi => {
            // 1:3, 1比3 → 3; 3 → 3; 300% → 3.
            if num.value.whole() == Some(1)
                && let Some((_, sep)) = n.any_at(num.r.e, &[":", "比"], limit)
                && let Some(x) = number_at(n, num.r.e + sep, limit)
            {
                return ratio(x.value.to_f64()).map(|v| (GoalValue::Ratio(v), R::new(num.r.s, x.r.e)));
            }
            let v = if next == Some('%') { num.value.to_f64() / 100.0 } else { num.value.to_f64() };
            ratio(v).map(|v| (GoalValue::Ratio(v), num.r))
        }
        GoalKind::Reached | GoalKind::Intent | GoalKind::Orders => {
            if num.scaled || next.is_some_and(|c| NOT_A_COUNT.contains(&c)) {
                return None;
            }
            Some((GoalValue::Count(count(num)?), num.r))
        }
    }
}

fn ratio(v: f64) -> Option<f64> {
    (v.is_finite() && v > 0.0 && v <= 1000.0).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn goals(text: &str) -> Vec<(GoalKind, GoalValue)> {
        let n = Norm::new(text);
        read(&n, n.all()).into_iter().map(|g| (g.kind, g.value)).collect()
    }

    #[test]
    fn the_forms_of_the_issue() {
        use GoalKind::*;
        use GoalValue::*;
        assert_eq!(goals("本月新增意向客户30家，促成订单15单"), [(Intent, Count(30)), (Orders, Count(15))]);
        assert_eq!(goals("意向客户30个"), [(Intent, Count(30))]);
        assert_eq!(goals("意向客户三十家、订单十五单"), [(Intent, Count(30)), (Orders, Count(15))]);
        assert_eq!(goals("30家意向客户"), [(Intent, Count(30))]);
        assert_eq!(goals("销售额100万"), [(Sales, Fen(100_000_000))]);
        assert_eq!(goals("业绩100万元"), [(Sales, Fen(100_000_000))]);
        assert_eq!(goals("ROI 1:3"), [(Roi, Ratio(3.0))]);
        assert_eq!(goals("投入产出比1:3.5"), [(Roi, Ratio(3.5))]);
        assert_eq!(goals("触达200家"), [(Reached, Count(200))]);
        assert_eq!(goals("意向客户达成率120%"), []);
        assert_eq!(goals("新品A首发享8折+3年质保"), []);
        assert_eq!(goals("新增意向客户30家并促成订单15单"), [(Intent, Count(30)), (Orders, Count(15))]);
    }
}
