//! Selling points (享8折, 3年质保, 买一送一) and what the campaign is given or
//! needs: collateral (宣传单页500份), training (产品知识培训1小时), and other
//! support (样品, 演示, 技术支持).

use super::text::{Norm, R};

const SELLING: &[&str] = &[
    "折扣",
    "折上折",
    "买一送一",
    "满减",
    "立减",
    "直降",
    "返现",
    "赠品",
    "赠送",
    "质保",
    "保修",
    "延保",
    "包邮",
    "免费",
    "特价",
    "首发价",
    "优惠价",
    "以旧换新",
    "专属优惠",
    "专属折扣",
    "性价比",
    "价格优势",
    "限时特惠",
    "限时优惠",
];

/// Is `r` a selling point: an offer or a guarantee (享8折, 3年质保, 买二送一)?
pub(crate) fn is_selling_point(n: &Norm, r: R) -> bool {
    if n.contains_any(r, SELLING) {
        return true;
    }
    // N折 / 打N折 / 买N送N / 满N减N
    (r.s..r.e).any(|i| {
        let c = n.at(i);
        let numeric = |j: usize| n.at(j).is_some_and(|c| c.is_ascii_digit() || "一二三四五六七八九两".contains(c));
        (c == Some('折') && i > r.s && numeric(i - 1))
            || (c == Some('买') && numeric(i + 1) && n.at(i + 2) == Some('送'))
            || (c == Some('满') && numeric(i + 1) && n.find(R::new(i + 2, (i + 8).min(r.e)), "减").is_some())
    })
}

/// What an item of support is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Need {
    Collateral,
    Training,
    Other,
}

const COLLATERAL: &[&str] = &[
    "物料",
    "宣传单",
    "单页",
    "彩页",
    "折页",
    "海报",
    "易拉宝",
    "展架",
    "手册",
    "宣传册",
    "画册",
    "PPT",
    "演示文稿",
    "话术",
    "视频",
    "申请表",
    "台卡",
    "横幅",
    "样册",
    "产品资料",
    "资料包",
    "礼品",
    "伴手礼",
    "纪念品",
    "展台",
];
const TRAINING: &[&str] = &["培训", "宣讲", "讲解会", "学习会"];
const OTHER: &[&str] = &["样品", "样机", "演示", "技术支持", "技术部", "物流", "专人", "驻场", "支持", "补贴", "资源"];
/// Who provides it: cut from the front of an item (`市场部提供宣传单页500份`).
const PROVIDER: &[&str] =
    &["统一提供", "提供", "配备", "准备", "下发", "发放", "制作", "可申请", "申请", "安排", "支持"];

/// Sorts one item of support; `None` when it names nothing a campaign is given.
pub(crate) fn need_of(n: &Norm, r: R) -> Option<Need> {
    if n.contains_any(r, COLLATERAL) {
        Some(Need::Collateral)
    } else if n.contains_any(r, TRAINING) {
        Some(Need::Training)
    } else if n.contains_any(r, OTHER) {
        Some(Need::Other)
    } else {
        None
    }
}

/// The item without the provider in front of it: `宣传单页500份` from
/// `市场部提供宣传单页500份` (only when something is left).
pub(crate) fn without_provider(n: &Norm, r: R) -> R {
    let head = R::new(r.s, (r.s + 8).min(r.e));
    match n.find_any(head, PROVIDER) {
        Some((at, _, len)) if at + len < r.e => {
            let rest = n.trim(R::new(at + len, r.e));
            if rest.len() >= 2 { rest } else { r }
        }
        _ => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offers_and_needs() {
        let yes = |s: &str| {
            let n = Norm::new(s);
            is_selling_point(&n, n.all())
        };
        assert!(yes("新品A首发享8折+3年质保"));
        assert!(yes("买二送一"));
        assert!(yes("满1000减100"));
        assert!(!yes("新品A限时促销"));
        assert!(!yes("本月新增意向客户30家"));
        let n = Norm::new("市场部提供宣传单页500份、产品演示PPT、技术部可安排现场演示、产品知识培训1小时");
        let got: Vec<(Need, String)> = n
            .items(n.all())
            .into_iter()
            .filter_map(|r| need_of(&n, r).map(|k| (k, n.text(without_provider(&n, r)))))
            .collect();
        assert_eq!(
            got,
            [
                (Need::Collateral, "宣传单页500份".to_owned()),
                (Need::Collateral, "产品演示PPT".to_owned()),
                (Need::Other, "现场演示".to_owned()),
                (Need::Training, "产品知识培训1小时".to_owned()),
            ]
        );
    }
}
