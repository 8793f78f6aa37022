//! The notice reader against a table of notices as marketing departments
//! write them, each with its whole expected draft, and property tests: it
//! never panics, and everything it cites is a slice of the input.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;

const REGIONS: [&str; 7] = ["华东", "华南", "华北", "华中", "西南", "西北", "东北"];
/// The demo team's industries and tags.
const INDUSTRIES: [&str; 10] =
    ["制造业", "零售", "建筑", "电子", "连锁", "医疗器械", "物流", "化工", "食品", "汽车零部件"];
const TAGS: [&str; 5] = ["老客户", "重点客户", "渠道推荐", "竞品客户", "展会线索"];
/// A Wednesday; the month ends on Monday 30 November.
const TODAY: &str = "2026-11-04";

fn owned(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn read_on(text: &str, today: &str, announced: Option<&str>) -> NoticeReading {
    let calendar = WorkCalendar::official();
    let (regions, industries, tags) = (owned(&REGIONS), owned(&INDUSTRIES), owned(&TAGS));
    let ctx = NoticeContext {
        today: today.parse().unwrap(),
        announced_on: announced.map(|d| d.parse().unwrap()),
        calendar: &calendar,
        regions: &regions,
        industries: &industries,
        tags: &tags,
    };
    read(text, &ctx)
}

/// The draft as `field=value` lines (absent fields left out), and the
/// sentences not used as `unparsed=a|b`.
fn described(text: &str, r: &NoticeReading) -> BTreeMap<String, String> {
    let d = &r.draft;
    let mut m = BTreeMap::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            m.insert(k.to_owned(), v);
        }
    };
    put("name", d.name.clone());
    put("kind", Some(d.kind.as_str().to_owned()));
    put("theme", d.theme.clone());
    put("selling_points", d.selling_points.clone());
    put("segment", d.segment.as_ref().map(|e| e.to_plain_amounts()));
    put("announced_on", Some(d.announced_on.to_string()));
    put("starts_on", d.starts_on.map(|x| x.to_string()));
    put("ends_on", d.ends_on.map(|x| x.to_string()));
    put("resource_support", d.resource_support.clone());
    put("collateral_needs", d.collateral_needs.clone());
    put("training_needs", d.training_needs.clone());
    put("goals.reached", d.goals.reached.map(|v| v.to_string()));
    put("goals.intent_customers", d.goals.intent_customers.map(|v| v.to_string()));
    put("goals.orders", d.goals.orders.map(|v| v.to_string()));
    put("goals.sales_amount", d.goals.sales_fen.map(|v| (v / 100).to_string()));
    put("goals.roi", d.goals.roi.map(|v| v.to_string()));
    let unparsed: Vec<&str> = r.unparsed.iter().map(|s| s.text(text)).collect();
    if !unparsed.is_empty() {
        m.insert("unparsed".to_owned(), unparsed.join("|"));
    }
    m
}

/// Checks the whole draft: listed fields have these values, every other
/// field is absent (kind `other`, the notice date `today` unless listed).
fn check(case: usize, text: &str, today: &str, announced: Option<&str>, expected: &[&str]) {
    let reading = read_on(text, today, announced);
    let got = described(text, &reading);
    let mut want: BTreeMap<String, String> = BTreeMap::new();
    want.insert("kind".into(), "other".into());
    want.insert("announced_on".into(), announced.unwrap_or(today).to_owned());
    for line in expected {
        let (k, v) = line.split_once('=').unwrap_or_else(|| panic!("case {case}: bad line {line:?}"));
        want.insert(k.to_owned(), v.to_owned());
    }
    assert_eq!(got, want, "case {case}: {text}");
    // Every field found says where it came from, and that is in the text.
    for field in DraftField::ALL {
        let found = match field {
            DraftField::Name => reading.draft.name.is_some(),
            DraftField::Theme => reading.draft.theme.is_some(),
            DraftField::SellingPoints => reading.draft.selling_points.is_some(),
            DraftField::Segment => reading.draft.segment.is_some(),
            DraftField::StartsOn => reading.draft.starts_on.is_some(),
            DraftField::EndsOn => reading.draft.ends_on.is_some(),
            DraftField::GoalIntent => reading.draft.goals.intent_customers.is_some(),
            DraftField::GoalOrders => reading.draft.goals.orders.is_some(),
            _ => continue,
        };
        assert_eq!(found, reading.source(field).is_some(), "case {case}: source of {field:?}");
    }
    cited_spans_are_in(text, &reading);
}

fn cited_spans_are_in(text: &str, r: &NoticeReading) {
    assert_eq!(r.pieces(text).iter().map(|(p, _)| *p).collect::<String>(), text, "the pieces are the notice");
    let spans = r.sources.iter().flat_map(|(_, s)| s.iter()).chain(r.unparsed.iter());
    for s in spans {
        assert!(s.start < s.end && s.end <= text.len(), "{s:?} of {} bytes", text.len());
        assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end), "{s:?}");
        assert_eq!(s.text(text).trim(), s.text(text), "spans are trimmed: {s:?}");
    }
}

const SEED: &str = "主题 新品A限时促销; 目标客群 华东区域年采购额超500万的制造业客户; 核心卖点 新品A首发享8折+3年质保; 活动时间 即日起至月底; 本月新增意向客户30家，促成订单15单";

/// The issue's "Done when": the seed's notice.
#[test]
fn the_seed_notice_becomes_the_draft_the_issue_asks_for() {
    let r = read_on(SEED, TODAY, None);
    let d = &r.draft;
    assert_eq!(d.kind, CampaignKind::NewProduct);
    assert_eq!(
        d.segment.as_ref().map(|e| e.to_plain_amounts()).as_deref(),
        Some("region = \"华东\" and industry = \"制造业\" and annual_purchase > 5000000")
    );
    assert_eq!(d.starts_on, Some(d.announced_on));
    assert_eq!(d.ends_on, NaiveDate::from_ymd_opt(2026, 11, 30));
    assert_eq!((d.goals.intent_customers, d.goals.orders), (Some(30), Some(15)));
    assert_eq!(r.quote(SEED, DraftField::Segment).as_deref(), Some("华东区域年采购额超500万的制造业客户"));
    assert_eq!(r.quote(SEED, DraftField::EndsOn).as_deref(), Some("即日起至月底"));
    assert_eq!(r.quote(SEED, DraftField::GoalOrders).as_deref(), Some("促成订单15单"));
    assert!(r.unparsed.is_empty(), "{:?}", r.unparsed);
    // Any day of any month: the month's last day.
    for (today, end) in [("2026-02-10", "2026-02-28"), ("2028-02-29", "2028-02-29"), ("2026-12-31", "2026-12-31")] {
        let d = read_on(SEED, today, None).draft;
        assert_eq!((d.starts_on, d.ends_on), (today.parse().ok(), end.parse().ok()), "{today}");
    }
}

/// The notice as read: cut by use, nothing lost, nothing added.
#[test]
fn the_notice_cut_by_how_it_was_used() {
    let text = "主题：新品I预热\n联系人：王经理 13800138000\n目标客群：华南制造业客户";
    let r = read_on(text, TODAY, None);
    let pieces = r.pieces(text);
    assert_eq!(pieces.iter().map(|(p, _)| *p).collect::<String>(), text);
    assert!(pieces.contains(&("新品I预热", Use::Used)), "{pieces:?}");
    assert!(pieces.contains(&("联系人：王经理 13800138000", Use::Unparsed)), "{pieces:?}");
    assert!(pieces.iter().any(|(p, u)| *u == Use::Used && p.contains("华南制造业")), "{pieces:?}");
    assert!(pieces.windows(2).all(|w| w[0].1 != w[1].1), "neighbours of one use are joined: {pieces:?}");
    assert_eq!(read_on("", TODAY, None).pieces(""), vec![]);
}

/// (notice, today, announced_on given, the expected draft)
type Case = (&'static str, &'static str, Option<&'static str>, &'static [&'static str]);

const SEED_DRAFT: &[&str] = &[
    "name=新品A限时促销",
    "theme=新品A限时促销",
    "kind=new_product",
    "selling_points=新品A首发享8折+3年质保",
    "segment=region = \"华东\" and industry = \"制造业\" and annual_purchase > 5000000",
    "starts_on=2026-11-04",
    "ends_on=2026-11-30",
    "goals.intent_customers=30",
    "goals.orders=15",
];

const CASES: &[Case] = &[
    // 1. The seed, as the issue writes it.
    (SEED, TODAY, None, SEED_DRAFT),
    // 2. The same notice as a formal document: title, greeting, numbered
    //    sections, an instruction, sign-off, department and date.
    (
        "关于开展“新品A限时促销”活动的通知\n\n各区域销售团队：\n\n为配合新品A上市，市场部决定开展限时促销活动，具体安排如下：\n一、活动主题：新品A限时促销\n二、目标客群：华东区域年采购额超500万的制造业客户\n三、核心卖点：新品A首发享8折+3年质保\n四、活动时间：即日起至月底\n五、资源支持：市场部提供宣传单页500份、产品演示PPT；技术部可安排现场演示\n六、活动目标：本月新增意向客户30家，促成订单15单\n七、请各区域负责人于2个工作日内完成启动会。\n\n特此通知。\n市场部\n2026年11月2日",
        TODAY,
        None,
        &[
            "name=新品A限时促销",
            "theme=新品A限时促销",
            "kind=new_product",
            "selling_points=新品A首发享8折+3年质保",
            "segment=region = \"华东\" and industry = \"制造业\" and annual_purchase > 5000000",
            "announced_on=2026-11-02",
            "starts_on=2026-11-02",
            "ends_on=2026-11-30",
            "resource_support=市场部提供宣传单页500份、产品演示PPT；技术部可安排现场演示",
            "collateral_needs=宣传单页500份；产品演示PPT",
            "goals.intent_customers=30",
            "goals.orders=15",
            "unparsed=为配合新品A上市，市场部决定开展限时促销活动|请各区域负责人于2个工作日内完成启动会",
        ],
    ),
    // 3. A chat message, one line, commas between fields.
    (
        "@所有人 新品A限时促销，华东年采购额500万以上的制造业客户，新品A首发享8折+3年质保，即日起至月底，目标新增意向30家、订单15单",
        TODAY,
        None,
        &[
            "name=新品A限时促销",
            "theme=新品A限时促销",
            "kind=new_product",
            "selling_points=新品A首发享8折+3年质保",
            "segment=region = \"华东\" and industry = \"制造业\" and annual_purchase >= 5000000",
            "starts_on=2026-11-04",
            "ends_on=2026-11-30",
            "goals.intent_customers=30",
            "goals.orders=15",
        ],
    ),
    // 4. Full-width digits, letters and punctuation throughout.
    (
        "主题：新品Ｂ限时促销；目标客群：华南区域年采购额超过１０００万元的零售客户；活动时间：２０２６年１２月１日—２０２６年１２月３１日；活动目标：新增意向客户２０家，促成订单８单，销售额２００万元。",
        TODAY,
        None,
        &[
            "name=新品B限时促销",
            "theme=新品B限时促销",
            "kind=new_product",
            "segment=region = \"华南\" and industry = \"零售\" and annual_purchase > 10000000",
            "starts_on=2026-12-01",
            "ends_on=2026-12-31",
            "goals.intent_customers=20",
            "goals.orders=8",
            "goals.sales_amount=2000000",
        ],
    ),
    // 5. Chinese numerals; an appreciation event on one day.
    (
        "活动名称：华东制造业客户答谢会\n活动对象：华东地区重点客户\n活动时间：12月5日\n活动目标：邀约三十家客户到场，新增意向客户十五家",
        TODAY,
        None,
        &[
            "name=华东制造业客户答谢会",
            "theme=华东制造业客户答谢会",
            "kind=appreciation",
            "segment=region = \"华东\" and tier = \"S\"",
            "starts_on=2026-12-05",
            "ends_on=2026-12-05",
            "goals.reached=30",
            "goals.intent_customers=15",
        ],
    ),
    // 6. Typos: commas and doubled marks between fields, spaces for colons.
    (
        "主题:新品C首发,,目标客群 江浙沪年采购额不低于300万元的连锁企业;;时间：即日起至12月15日。。目标 意向客户三十个 订单十单",
        TODAY,
        None,
        &[
            "name=新品C首发",
            "theme=新品C首发",
            "kind=new_product",
            "segment=region = \"华东\" and industry = \"连锁\" and annual_purchase >= 3000000",
            "starts_on=2026-11-04",
            "ends_on=2026-12-15",
            "goals.intent_customers=30",
            "goals.orders=10",
        ],
    ),
    // 7. An urgent trade show.
    (
        "【紧急】华南工业博览会参展通知\n展会时间：12月10日-12月13日\n展位：B馆A12\n目标客户：华南地区制造业、电子行业客户\n现场优惠：展位现场下单享专属折扣\n物料需求：展台物料、样品12件、宣传册300份\n目标：邀约客户60家到展，新增意向20家，订单6单，销售额60万",
        TODAY,
        None,
        &[
            "name=华南工业博览会参展",
            "theme=华南工业博览会参展",
            "kind=trade_show",
            "selling_points=展位现场下单享专属折扣",
            "segment=region = \"华南\" and industry in [\"制造业\", \"电子\"]",
            "starts_on=2026-12-10",
            "ends_on=2026-12-13",
            "collateral_needs=展台物料、样品12件、宣传册300份",
            "goals.reached=60",
            "goals.intent_customers=20",
            "goals.orders=6",
            "goals.sales_amount=600000",
            "unparsed=展位：B馆A12",
        ],
    ),
    // 8. A title before a colon; an event date; gifts to prepare.
    (
        "客户专属答谢会通知：为感谢老客户长期支持，定于12月18日举办客户答谢沙龙。对象：近一年有订单的老客户。目标：到场客户40家，新增意向10家。需准备伴手礼40份、产品手册50本。",
        TODAY,
        None,
        &[
            "name=客户专属答谢会",
            "theme=客户专属答谢会",
            "kind=appreciation",
            "segment=tag = \"老客户\" and last_order within 365d",
            "starts_on=2026-12-18",
            "ends_on=2026-12-18",
            "collateral_needs=伴手礼40份；产品手册50本",
            "goals.reached=40",
            "goals.intent_customers=10",
        ],
    ),
    // 9. A counter-attack on a competitor.
    (
        "竞品反击专项行动\n背景：竞品X近期在华东降价15%抢夺我司客户。\n目标客户：华东、华中区域近30天有互动的竞品客户\n政策：老客户以旧换新补贴10%，新客户首单立减5%\n时间：即日起为期两周\n目标：回访200家，挽回订单20单",
        TODAY,
        None,
        &[
            "name=竞品反击专项行动",
            "theme=竞品反击专项行动",
            "kind=competitive",
            "selling_points=老客户以旧换新补贴10%，新客户首单立减5%",
            "segment=region in [\"华东\", \"华中\"] and tag = \"竞品客户\" and last_interaction within 30d",
            "starts_on=2026-11-04",
            "ends_on=2026-11-17",
            "goals.reached=200",
            "goals.orders=20",
            "unparsed=背景：竞品X近期在华东降价15%抢夺我司客户",
        ],
    ),
    // 10. 即日起至12月15日 in a chat.
    (
        "新品D上市推广，即日起至12月15日，华北区域客户",
        TODAY,
        None,
        &[
            "name=新品D上市推广",
            "theme=新品D上市推广",
            "kind=new_product",
            "segment=region = \"华北\"",
            "starts_on=2026-11-04",
            "ends_on=2026-12-15",
        ],
    ),
    // 11. 12月1日至15日.
    ("活动时间：12月1日至15日", TODAY, None, &["starts_on=2026-12-01", "ends_on=2026-12-15"]),
    // 12. 12/1–12/15 with an en dash, two provinces of one region, a tier.
    (
        "时间：12/1–12/15，目标客群：广东、广西的S级客户",
        TODAY,
        None,
        &["segment=region = \"华南\" and tier = \"S\"", "starts_on=2026-12-01", "ends_on=2026-12-15"],
    ),
    // 13. Full dates with an em dash; the first line is the theme.
    (
        "冬季促销活动\n活动时间：2026年12月1日—2026年12月31日",
        TODAY,
        None,
        &["name=冬季促销活动", "theme=冬季促销活动", "starts_on=2026-12-01", "ends_on=2026-12-31"],
    ),
    // 14. 为期两周; inquired in the last 3 months but not bought.
    (
        "新品E试用推广，为期两周，面向近3个月有询盘但未下单的客户",
        TODAY,
        None,
        &[
            "name=新品E试用推广",
            "theme=新品E试用推广",
            "kind=new_product",
            "segment=last_inquiry within 90d and not last_order within 90d",
            "starts_on=2026-11-04",
            "ends_on=2026-11-17",
        ],
    ),
    // 15. 本周五前: this week's Friday.
    (
        "限时促销：本周五前下单享9折",
        TODAY,
        None,
        &[
            "name=限时促销",
            "theme=限时促销",
            "kind=new_product",
            "selling_points=本周五前下单享9折",
            "starts_on=2026-11-04",
            "ends_on=2026-11-06",
        ],
    ),
    // 16. 下周一开始: a start, no end.
    (
        "下周一开始，华中区域答谢季活动，年采购额200万以上的老客户",
        TODAY,
        None,
        &[
            "name=华中区域答谢季活动",
            "theme=华中区域答谢季活动",
            "kind=appreciation",
            "segment=annual_purchase >= 2000000 and tag = \"老客户\"",
            "starts_on=2026-11-09",
        ],
    ),
    // 17. 10个工作日内 on the official calendar.
    (
        "主题：新品T铺货\n目标客群：华东区域经销商\n活动周期：10个工作日内",
        TODAY,
        None,
        &[
            "name=新品T铺货",
            "theme=新品T铺货",
            "kind=new_product",
            "segment=region = \"华东\"",
            "starts_on=2026-11-04",
            "ends_on=2026-11-17",
        ],
    ),
    // 18. 10个工作日内 across the National Day holiday and its worked Sunday.
    (
        "主题：国庆备货\n活动时间：即日起10个工作日内",
        "2025-09-25",
        None,
        &["name=国庆备货", "theme=国庆备货", "starts_on=2025-09-25", "ends_on=2025-10-14"],
    ),
    // 19. 截至: a deadline; a segment that is also the offer.
    (
        "截至12月20日，S级和B级客户享新品G首发价",
        TODAY,
        None,
        &[
            "kind=new_product",
            "selling_points=S级和B级客户享新品G首发价",
            "segment=tier in [\"S\", \"B\"]",
            "starts_on=2026-11-04",
            "ends_on=2026-12-20",
        ],
    ),
    // 20. Segments: 江浙沪, two industries.
    (
        "目标客群：江浙沪零售、连锁客户",
        TODAY,
        None,
        &["segment=region = \"华东\" and industry in [\"零售\", \"连锁\"]"],
    ),
    // 21. A province with 省; 500万以上 is at least.
    (
        "目标客群：广东省年采购额500万以上的医疗器械企业",
        TODAY,
        None,
        &["segment=region = \"华南\" and industry = \"医疗器械\" and annual_purchase >= 5000000"],
    ),
    // 22. 不低于300万元.
    (
        "目标客群：华北，年采购额不低于300万元",
        TODAY,
        None,
        &["segment=region = \"华北\" and annual_purchase >= 3000000"],
    ),
    // 23. The outreach priority of the seed as a segment.
    (
        "目标客群：近3个月有询盘但未下单的客户",
        TODAY,
        None,
        &["segment=last_inquiry within 90d and not last_order within 90d"],
    ),
    // 24. S级.
    ("目标客群：S级客户", TODAY, None, &["segment=tier = \"S\""]),
    // 25. 重点客户 is tier S (also when the team has such a tag).
    ("目标客群：重点客户", TODAY, None, &["segment=tier = \"S\""]),
    // 26. 全国 narrows nothing.
    ("目标客群：全国制造业客户", TODAY, None, &["segment=industry = \"制造业\""]),
    // 27. A range of purchases; 京津冀; 汽配 is 汽车零部件.
    (
        "目标客群：京津冀汽配厂商，年采购额1000万-5000万",
        TODAY,
        None,
        &[
            "segment=region = \"华北\" and industry = \"汽车零部件\" and annual_purchase >= 10000000 and annual_purchase <= 50000000",
        ],
    ),
    // 28. 未成交.
    ("目标客群：西南地区未成交客户", TODAY, None, &["segment=region = \"西南\" and not last_order within 90d"]),
    // 29. Sales and ROI.
    ("活动目标：销售额100万，ROI 1:3", TODAY, None, &["goals.sales_amount=1000000", "goals.roi=3"]),
    // 30. 业绩 and 投入产出比.
    ("活动目标：业绩100万元，投入产出比1:3", TODAY, None, &["goals.sales_amount=1000000", "goals.roi=3"]),
    // 31. Reached, intent and orders.
    (
        "目标：触达200家，意向客户30个，成交15单",
        TODAY,
        None,
        &["goals.reached=200", "goals.intent_customers=30", "goals.orders=15"],
    ),
    // 32. One sentence of goals in Chinese numerals.
    (
        "本次活动需新增意向客户三十家、促成订单十五单、实现销售额一百万元",
        TODAY,
        None,
        &["goals.intent_customers=30", "goals.orders=15", "goals.sales_amount=1000000"],
    ),
    // 33. ROI ≥ 1:3.5 and visits.
    ("目标：ROI不低于1:3.5，拜访客户50家", TODAY, None, &["goals.roi=3.5", "goals.reached=50"]),
    // 34. Resources on one line: collateral, training, samples, a demo.
    (
        "资源支持：宣传单页500份，产品知识培训1小时，样品20件，技术部现场演示",
        TODAY,
        None,
        &[
            "resource_support=宣传单页500份，产品知识培训1小时，样品20件，技术部现场演示",
            "collateral_needs=宣传单页500份",
            "training_needs=产品知识培训1小时",
        ],
    ),
    // 35. Resources as a numbered block under its label.
    (
        "五、资源支持：\n1. 宣传单页500份\n2. 产品知识培训1小时\n3. 样品由物流部提前3天寄出\n六、活动目标：意向客户20家",
        TODAY,
        None,
        &[
            "resource_support=宣传单页500份；产品知识培训1小时；样品由物流部提前3天寄出",
            "collateral_needs=宣传单页500份",
            "training_needs=产品知识培训1小时",
            "goals.intent_customers=20",
        ],
    ),
    // 36. Collateral and training labels.
    (
        "物料：海报100张、易拉宝10个；培训：新品话术培训2小时",
        TODAY,
        None,
        &["kind=new_product", "collateral_needs=海报100张、易拉宝10个", "training_needs=新品话术培训2小时"],
    ),
    // 37. The notice's own date, and 一个月.
    (
        "通知日期：2026年11月2日\n主题：新品H体验月\n活动时间：即日起一个月",
        TODAY,
        None,
        &[
            "name=新品H体验月",
            "theme=新品H体验月",
            "kind=new_product",
            "announced_on=2026-11-02",
            "starts_on=2026-11-02",
            "ends_on=2026-12-01",
        ],
    ),
    // 38. The date the caller gives wins over the notice's.
    (
        "通知日期：2026年11月2日\n主题：新品H体验月\n活动时间：即日起至月底",
        TODAY,
        Some("2026-11-03"),
        &["name=新品H体验月", "theme=新品H体验月", "kind=new_product", "starts_on=2026-11-03", "ends_on=2026-11-30"],
    ),
    // 39. Instructions and contacts are listed as not used.
    (
        "主题：新品I预热\n请各区域于周三前提交客户名单\n联系人：王经理 13800138000",
        TODAY,
        None,
        &[
            "name=新品I预热",
            "theme=新品I预热",
            "kind=new_product",
            "unparsed=请各区域于周三前提交客户名单|联系人：王经理 13800138000",
        ],
    ),
    // 40. Nothing at all.
    ("", TODAY, None, &[]),
    // 41. Only an acknowledgement.
    ("收到，谢谢！", TODAY, None, &[]),
    // 42. A new year's campaign named in December.
    (
        "主题：新春开门红\n活动时间：1月5日至1月20日",
        "2026-12-20",
        None,
        &["name=新春开门红", "theme=新春开门红", "starts_on=2027-01-05", "ends_on=2027-01-20"],
    ),
    // 43. Half-width everything, a list of regions split by a comma, 12.1-12.15.
    (
        "主题:新品L限时特惠;目标客群:华东,华南区域;时间:12.1-12.15;目标:意向客户25家",
        TODAY,
        None,
        &[
            "name=新品L限时特惠",
            "theme=新品L限时特惠",
            "kind=new_product",
            "segment=region in [\"华东\", \"华南\"]",
            "starts_on=2026-12-01",
            "ends_on=2026-12-15",
            "goals.intent_customers=25",
        ],
    ),
    // 44. A terse chat: segment, deadline, offer, orders.
    (
        "华南S级客户，本周五前，新品M享9折，冲20单",
        TODAY,
        None,
        &[
            "kind=new_product",
            "selling_points=新品M享9折",
            "segment=region = \"华南\" and tier = \"S\"",
            "starts_on=2026-11-04",
            "ends_on=2026-11-06",
            "goals.orders=20",
        ],
    ),
    // 45. Labels alone on their lines, values below.
    (
        "新品V限时促销\n\n目标客群\n华东区域制造业客户\n\n活动时间\n即日起至月底",
        TODAY,
        None,
        &[
            "name=新品V限时促销",
            "theme=新品V限时促销",
            "kind=new_product",
            "segment=region = \"华东\" and industry = \"制造业\"",
            "starts_on=2026-11-04",
            "ends_on=2026-11-30",
        ],
    ),
    // 46. Numbered sections with bullet sub-items.
    (
        "1. 活动主题：新品S订货会\n2. 目标客群：\n   - 华东、华南制造业客户\n   - 年采购额300万以上\n3. 活动时间：12月1日-12月3日\n4. 活动目标：意向客户50家，订单20单，销售额300万",
        TODAY,
        None,
        &[
            "name=新品S订货会",
            "theme=新品S订货会",
            "kind=new_product",
            "segment=region in [\"华东\", \"华南\"] and industry = \"制造业\" and annual_purchase >= 3000000",
            "starts_on=2026-12-01",
            "ends_on=2026-12-03",
            "goals.intent_customers=50",
            "goals.orders=20",
            "goals.sales_amount=3000000",
        ],
    ),
    // 47. Typos: a semicolon after the label, a doubled colon, spaces in the period.
    (
        "主题；新品P上市。目标客群：：华东 制造业客户，，时间: 即日起 至 月底",
        TODAY,
        None,
        &[
            "name=新品P上市",
            "theme=新品P上市",
            "kind=new_product",
            "segment=region = \"华东\" and industry = \"制造业\"",
            "starts_on=2026-11-04",
            "ends_on=2026-11-30",
        ],
    ),
    // 48. A title only.
    (
        "关于开展2026年度客户答谢会的通知",
        TODAY,
        None,
        &["name=2026年度客户答谢会", "theme=2026年度客户答谢会", "kind=appreciation"],
    ),
    // 49. A campaign that started before the notice: reported as written.
    (
        "主题：十一月回馈\n活动时间：11月1日至11月30日",
        TODAY,
        None,
        &["name=十一月回馈", "theme=十一月回馈", "kind=appreciation", "starts_on=2026-11-01", "ends_on=2026-11-30"],
    ),
    // 50. 8.5折 is no date.
    (
        "核心卖点：新品Q首发享8.5折，满1000减100",
        TODAY,
        None,
        &["kind=new_product", "selling_points=新品Q首发享8.5折，满1000减100"],
    ),
    // 51. A start, then 为期一个月.
    (
        "主题：秋季回馈\n活动时间：11月10日起，为期一个月",
        TODAY,
        None,
        &["name=秋季回馈", "theme=秋季回馈", "kind=appreciation", "starts_on=2026-11-10", "ends_on=2026-12-09"],
    ),
    // 52. 年底; sales and orders.
    (
        "主题：年终冲刺\n活动时间：即日起至年底\n目标：销售额500万元，订单50单",
        TODAY,
        None,
        &[
            "name=年终冲刺",
            "theme=年终冲刺",
            "starts_on=2026-11-04",
            "ends_on=2026-12-31",
            "goals.orders=50",
            "goals.sales_amount=5000000",
        ],
    ),
    // 53. Values still to come are listed with their labels.
    (
        "主题：新品R推广\n活动时间：待定\n目标客群：待定",
        TODAY,
        None,
        &["name=新品R推广", "theme=新品R推广", "kind=new_product", "unparsed=活动时间：待定|目标客群：待定"],
    ),
    // 54. The kind from the first sentence; a purpose is no theme.
    (
        "各位同事：\n为狙击竞品Y的降价，我们推出老客户专享价\n目标：留住老客户30家",
        TODAY,
        None,
        &["kind=competitive", "segment=tag = \"老客户\"", "unparsed=为狙击竞品Y的降价"],
    ),
    // 55. A bracketed title before a colon, and a one-day sale.
    (
        "【通知】双十一限时促销：11月11日当天下单享8折",
        TODAY,
        None,
        &[
            "name=双十一限时促销",
            "theme=双十一限时促销",
            "kind=new_product",
            "selling_points=11月11日当天下单享8折",
            "starts_on=2026-11-11",
            "ends_on=2026-11-11",
        ],
    ),
    // 56. A one-day trade-show slot with its weekday.
    (
        "主题：展位现场签约有礼\n时间：12月5日（周六）",
        TODAY,
        None,
        &[
            "name=展位现场签约有礼",
            "theme=展位现场签约有礼",
            "kind=trade_show",
            "starts_on=2026-12-05",
            "ends_on=2026-12-05",
        ],
    ),
    // 57. Bars between the fields of a chat message.
    (
        "新品U首发 | 华南 | 12月1日至12月7日 | 意向15家",
        TODAY,
        None,
        &[
            "name=新品U首发",
            "theme=新品U首发",
            "kind=new_product",
            "segment=region = \"华南\"",
            "starts_on=2026-12-01",
            "ends_on=2026-12-07",
            "goals.intent_customers=15",
        ],
    ),
    // 58. A department's title, a launch date and the real period after it.
    (
        "市场部通知：新品W将于12月1日正式上市，首发期间（12月1日-12月10日）全系享9折，请各区域于11月28日前提交目标客户名单。",
        TODAY,
        None,
        &[
            "kind=new_product",
            "selling_points=首发期间（12月1日-12月10日）全系享9折",
            "starts_on=2026-12-01",
            "ends_on=2026-12-10",
            "unparsed=请各区域于11月28日前提交目标客户名单",
        ],
    ),
    // 59. A trade show: its stand number is not used; support to book.
    (
        "行业展会紧急参展\n展位号：3号馆C08\n时间：12月8日-10日\n需技术部派2人现场演示，样机3台",
        TODAY,
        None,
        &[
            "name=行业展会紧急参展",
            "theme=行业展会紧急参展",
            "kind=trade_show",
            "starts_on=2026-12-08",
            "ends_on=2026-12-10",
            "resource_support=需技术部派2人现场演示；样机3台",
            "unparsed=展位号：3号馆C08",
        ],
    ),
    // 60. Labels after spaces only.
    (
        "主题 新品K首发 目标客群 华东制造业客户 活动时间 即日起至月底",
        TODAY,
        None,
        &[
            "name=新品K首发",
            "theme=新品K首发",
            "kind=new_product",
            "segment=region = \"华东\" and industry = \"制造业\"",
            "starts_on=2026-11-04",
            "ends_on=2026-11-30",
        ],
    ),
];

#[test]
fn a_table_of_notices_becomes_their_drafts() {
    assert!(CASES.len() >= 40);
    for (k, (text, today, announced, expected)) in CASES.iter().enumerate() {
        check(k + 1, text, today, *announced, expected);
    }
}

#[test]
fn without_team_data_the_default_regions_and_industries_are_used() {
    let calendar = WorkCalendar::official();
    let ctx = NoticeContext {
        today: "2026-11-04".parse().unwrap(),
        announced_on: None,
        calendar: &calendar,
        regions: &[],
        industries: &[],
        tags: &[],
    };
    let r = read("目标客群：广东制造企业", &ctx);
    assert_eq!(r.draft.segment.map(|e| e.to_string()).as_deref(), Some("region = \"华南\" and industry = \"制造业\""));
    // A team without 华南 gets no region from 广东.
    let regions = vec!["华东".to_owned()];
    let ctx = NoticeContext { regions: &regions, ..ctx };
    assert_eq!(
        read("目标客群：广东制造企业", &ctx).draft.segment.map(|e| e.to_string()).as_deref(),
        Some("industry = \"制造业\"")
    );
}

#[test]
fn long_notices_are_cut_not_refused() {
    let long = SEED.repeat(2_000);
    let r = read_on(&long, TODAY, None);
    assert_eq!(r.draft.goals.intent_customers, Some(30));
    cited_spans_are_in(&long, &r);
}

/// Text that looks like notices: their words, numbers, dates and marks in any order.
fn noticeish() -> impl Strategy<Value = String> {
    let words = prop::sample::select(vec![
        "主题",
        "目标客群",
        "核心卖点",
        "活动时间",
        "资源支持",
        "活动目标",
        "：",
        ":",
        "；",
        ";",
        "，",
        ",",
        "、",
        "。",
        "\n",
        " ",
        "华东",
        "广东",
        "制造业",
        "零售",
        "年采购额",
        "超",
        "以上",
        "不低于",
        "500万",
        "３００万元",
        "1000万-",
        "即日起",
        "至",
        "月底",
        "12月1日",
        "15日",
        "12/1",
        "–",
        "—",
        "2026年12月31日",
        "为期两周",
        "本周五前",
        "下周一开始",
        "10个工作日内",
        "新增意向客户",
        "30家",
        "三十家",
        "促成订单",
        "15单",
        "销售额",
        "100万",
        "ROI",
        "1:3",
        "触达",
        "宣传单页500份",
        "培训",
        "样品",
        "演示",
        "S级",
        "、B级",
        "重点客户",
        "近3个月",
        "有询盘",
        "未下单",
        "新品",
        "展会",
        "答谢",
        "竞品",
        "【",
        "】",
        "一、",
        "1.",
        "（1）",
        "①",
        "- ",
        "“",
        "”",
        "@所有人",
        "关于",
        "通知",
        "8.5折",
        "享",
        "𝄞",
        "\u{0}",
        "\r",
        "\u{3000}",
        "ｓ",
        "W",
        "亿",
        "0",
        "9",
        ".",
        "-",
        "~",
        "|",
    ]);
    prop::collection::vec(words, 0..60).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_any_text(text in any::<String>()) {
        let r = read_on(&text, TODAY, None);
        cited_spans_are_in(&text, &r);
    }

    #[test]
    fn never_panics_on_notice_like_text_and_cites_only_the_input(text in noticeish()) {
        let r = read_on(&text, TODAY, None);
        cited_spans_are_in(&text, &r);
        // Whatever it reads is a valid draft: the segment parses back, dates are ordered.
        if let Some(e) = &r.draft.segment {
            prop_assert_eq!(&crate::domain::segment::parse(&e.to_string()).unwrap(), e);
            prop_assert_eq!(&crate::domain::segment::parse(&e.to_plain_amounts()).unwrap(), e);
        }
        if let (Some(s), Some(e)) = (r.draft.starts_on, r.draft.ends_on) {
            prop_assert!(s <= e);
        }
        // Sources and the sentences not used never overlap (the kind's word
        // may stand in a sentence otherwise not used: 为狙击竞品Y的降价).
        for u in &r.unparsed {
            for (_, spans) in r.sources.iter().filter(|(f, _)| *f != DraftField::Kind) {
                for s in spans {
                    prop_assert!(s.end <= u.start || u.end <= s.start, "{:?} overlaps {:?} in {:?}", s, u, text);
                }
            }
        }
    }
}
