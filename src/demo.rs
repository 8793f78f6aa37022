//! The demo data set: the team from PRODUCT.md and about 2,000 customers with
//! six months of history, generated from a fixed seed (same input, same data).
//! Pure generation; `ops::demo` stores it.

use chrono::{Days, NaiveDate};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::domain::credit_code;
use crate::domain::customer::{Channel, InteractionKind};
use crate::domain::team::Role;
use crate::store::customers::{NewContact, NewCustomer, NewInteraction};

/// Every demo account signs in with this password.
pub const DEMO_PASSWORD: &str = "rally-demo-2026";
pub const DEMO_SEED: u64 = 20_251_010;
pub const DEMO_CUSTOMERS: usize = 2_000;

pub struct DemoMember {
    pub email: &'static str,
    pub name: &'static str,
    pub role: Role,
    pub region: Option<&'static str>,
    /// What the account is for, shown when the demo starts.
    pub duty: &'static str,
}

/// The team of PRODUCT.md: reps 明 (华南), 芳 (华北), 刚 (华东) and colleagues.
pub const TEAM: &[DemoMember] = &[
    DemoMember {
        email: "admin@rally.example",
        name: "系统管理员",
        role: Role::Admin,
        region: None,
        duty: "管理员 admin",
    },
    DemoMember {
        email: "lead@rally.example",
        name: "周强",
        role: Role::Lead,
        region: None,
        duty: "销售负责人 sales lead",
    },
    DemoMember {
        email: "ming@rally.example",
        name: "明",
        role: Role::Rep,
        region: Some("华南"),
        duty: "销售代表 rep · 华南",
    },
    DemoMember {
        email: "fang@rally.example",
        name: "芳",
        role: Role::Rep,
        region: Some("华北"),
        duty: "销售代表 rep · 华北",
    },
    DemoMember {
        email: "gang@rally.example",
        name: "刚",
        role: Role::Rep,
        region: Some("华东"),
        duty: "销售代表 rep · 华东",
    },
    DemoMember {
        email: "wei@rally.example",
        name: "伟",
        role: Role::Rep,
        region: Some("华中"),
        duty: "销售代表 rep · 华中",
    },
    DemoMember {
        email: "na@rally.example",
        name: "娜",
        role: Role::Rep,
        region: Some("西南"),
        duty: "销售代表 rep · 西南",
    },
    DemoMember {
        email: "jie@rally.example",
        name: "杰",
        role: Role::Rep,
        region: Some("西北"),
        duty: "销售代表 rep · 西北",
    },
    DemoMember {
        email: "min@rally.example",
        name: "敏",
        role: Role::Rep,
        region: Some("东北"),
        duty: "销售代表 rep · 东北",
    },
    DemoMember {
        email: "marketing@rally.example",
        name: "陈静",
        role: Role::Marketing,
        region: None,
        duty: "市场部 marketing",
    },
    DemoMember {
        email: "service@rally.example",
        name: "刘洋",
        role: Role::Service,
        region: None,
        duty: "客服部 customer service",
    },
    DemoMember {
        email: "demo@rally.example",
        name: "赵军",
        role: Role::Support,
        region: None,
        duty: "技术部 tech demos",
    },
    DemoMember {
        email: "logistics@rally.example",
        name: "孙丽",
        role: Role::Support,
        region: None,
        duty: "物流 logistics",
    },
    DemoMember {
        email: "boss@rally.example",
        name: "王总",
        role: Role::Viewer,
        region: None,
        duty: "上级 management (read-only)",
    },
];

/// A city and its administrative division code (the credit code's digits 3–8).
type City = (&'static str, &'static str);

/// Region, its rep's email, and its cities.
const REGIONS: &[(&str, &str, &[City])] = &[
    (
        "华东",
        "gang@rally.example",
        &[
            ("上海", "310000"),
            ("杭州", "330100"),
            ("南京", "320100"),
            ("苏州", "320500"),
            ("宁波", "330200"),
            ("合肥", "340100"),
        ],
    ),
    (
        "华南",
        "ming@rally.example",
        &[("广州", "440100"), ("深圳", "440300"), ("东莞", "441900"), ("佛山", "440600"), ("厦门", "350200")],
    ),
    ("华北", "fang@rally.example", &[("北京", "110000"), ("天津", "120000"), ("石家庄", "130100"), ("太原", "140100")]),
    ("华中", "wei@rally.example", &[("武汉", "420100"), ("长沙", "430100"), ("郑州", "410100")]),
    ("西南", "na@rally.example", &[("成都", "510100"), ("重庆", "500000"), ("昆明", "530100")]),
    ("西北", "jie@rally.example", &[("西安", "610100"), ("兰州", "620100")]),
    ("东北", "min@rally.example", &[("沈阳", "210100"), ("大连", "210200"), ("哈尔滨", "230100")]),
];

/// Industry, the words a company of it puts in its name, and typical pain points.
const INDUSTRIES: &[(&str, &[&str])] = &[
    ("制造业", &["精密制造", "机械", "智能装备", "模具", "五金"]),
    ("零售", &["贸易", "商贸", "百货", "优选"]),
    ("建筑", &["建设工程", "建工", "装饰工程", "建材"]),
    ("电子", &["电子科技", "半导体", "光电", "智能科技"]),
    ("连锁", &["连锁", "便利", "餐饮管理"]),
    ("医疗器械", &["医疗器械", "医疗科技", "生物科技"]),
    ("物流", &["物流", "供应链管理", "国际货运"]),
    ("化工", &["化工", "新材料", "涂料"]),
    ("食品", &["食品", "饮品", "农业发展"]),
    ("汽车零部件", &["汽车部件", "汽配", "动力科技"]),
];

const BRAND_WORDS: &[&str] = &[
    "恒达", "华信", "金鹏", "瑞丰", "嘉禾", "鼎盛", "宏远", "新创", "永泰", "盛世", "天成", "博远", "中联", "立信",
    "宝龙", "振华", "海川", "东方", "正泰", "远航", "聚力", "卓越", "润德", "安泰", "鸿运", "锦程", "星辰", "凯达",
    "同创", "富源", "广源", "鑫源", "华美", "万通", "德邦", "诚信", "明德", "佳和", "汇丰", "开元",
];
const LEGAL_FORMS: &[&str] = &["有限公司", "有限公司", "有限公司", "股份有限公司", "集团有限公司"];
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗",
    "高",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "建华", "志强",
    "海燕", "晓东",
];
const TITLES: &[&str] = &["采购经理", "总经理", "采购总监", "技术总监", "运营主管", "副总经理", "行政经理"];
const PAIN_POINTS: &[&str] = &["成本高", "效率低", "质量不稳定", "交期长", "售后响应慢", "库存积压"];
const TAGS: &[&str] = &["老客户", "重点客户", "渠道推荐", "竞品客户", "展会线索"];

const NOTES: &[(InteractionKind, &str)] = &[
    (InteractionKind::Inquiry, "来电咨询新品A价格与交期"),
    (InteractionKind::Inquiry, "官网留言询问批量采购折扣"),
    (InteractionKind::Inquiry, "展会上留下名片，想了解质保政策"),
    (InteractionKind::Call, "电话回访，客户对价格有异议，需提供竞品对比方案"),
    (InteractionKind::Call, "确认采购计划，预计下季度有新需求"),
    (InteractionKind::Visit, "上门拜访，介绍新品A折扣与质保政策"),
    (InteractionKind::Visit, "现场演示设备，客户技术负责人参与"),
    (InteractionKind::Email, "发送产品手册与报价单"),
    (InteractionKind::Email, "发送竞品分析报告并预约二次沟通"),
    (InteractionKind::Message, "微信沟通样品寄送地址"),
    (InteractionKind::Message, "客户反馈价格比预期低5%，需确认交期"),
    (InteractionKind::Order, "签订采购合同"),
];

pub struct DemoCustomerSeed {
    pub customer: NewCustomer,
    pub owner_email: Option<&'static str>,
}

/// Generates the customers as of `today` (history runs back six months from it).
pub fn customers(today: NaiveDate, count: usize) -> Vec<DemoCustomerSeed> {
    let mut rng = ChaCha8Rng::seed_from_u64(DEMO_SEED);
    let mut names = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(count);
    let mut serial = 0u32;
    while out.len() < count {
        serial += 1;
        // Regions weighted like a team with the East and South strongest.
        let region_index = *[0usize, 0, 0, 1, 1, 1, 2, 2, 3, 4, 5, 6].choose(&mut rng).unwrap_or(&0);
        let (region, rep, cities) = REGIONS[region_index];
        let &(city, division) = cities.choose(&mut rng).unwrap_or(&cities[0]);
        let &(industry, words) = INDUSTRIES.choose(&mut rng).unwrap_or(&INDUSTRIES[0]);
        let brand = BRAND_WORDS.choose(&mut rng).copied().unwrap_or("恒达");
        let word = words.choose(&mut rng).copied().unwrap_or("科技");
        let form = LEGAL_FORMS.choose(&mut rng).copied().unwrap_or("有限公司");
        let name = format!("{city}{brand}{word}{form}");
        if !names.insert(name.clone()) {
            continue;
        }

        // Annual purchases from 20万 to about 8000万, most in the low millions.
        let exponent: f64 = rng.random_range(5.3..7.9);
        let annual_yuan = (10f64.powf(exponent) / 10_000.0).round() * 10_000.0;
        let credit = (rng.random_bool(0.9)).then(|| {
            let body: String = format!("91{division}")
                .chars()
                .chain((0..9).map(|_| char::from(b"0123456789ABCDEFGHJKLMNPQRTUWXY"[rng.random_range(0..31)])))
                .collect();
            let check = credit_code::check_char(&body).unwrap_or('0');
            format!("{body}{check}")
        });
        let owner_email = rng.random_bool(0.85).then_some(rep);
        let contacts = (0..rng.random_range(1..=3))
            .map(|n| {
                let surname = SURNAMES.choose(&mut rng).copied().unwrap_or("王");
                let given = GIVEN.choose(&mut rng).copied().unwrap_or("伟");
                NewContact {
                    name: format!("{surname}{given}"),
                    title: TITLES.choose(&mut rng).copied().unwrap_or("采购经理").to_owned(),
                    phone: format!(
                        "1{}{:09}",
                        [3, 5, 7, 8, 9][rng.random_range(0..5)],
                        rng.random_range(0..1_000_000_000u32)
                    ),
                    email: format!("contact{serial}.{n}@customer{serial}.example.cn"),
                    im_id: format!("wx_{serial}_{n}"),
                }
            })
            .collect();
        let pain_count = rng.random_range(0..=2);
        let pain_points = PAIN_POINTS.choose_multiple(&mut rng, pain_count).map(|s| (*s).to_owned()).collect();
        let tags = if rng.random_bool(0.35) {
            vec![TAGS.choose(&mut rng).copied().unwrap_or("老客户").to_owned()]
        } else {
            Vec::new()
        };
        let interactions = history(&mut rng, today);
        out.push(DemoCustomerSeed {
            customer: NewCustomer {
                name_key: crate::io::names::normalize_company_name(&name),
                name,
                credit_code: credit,
                industry: industry.to_owned(),
                region: region.to_owned(),
                city: city.to_owned(),
                annual_purchase_fen: (annual_yuan as i64) * 100,
                owner_id: None,
                source: if rng.random_bool(0.1) { "渠道商·华贸".to_owned() } else { "import".to_owned() },
                notes: String::new(),
                tags,
                pain_points,
                contacts,
                interactions,
            },
            owner_email,
        });
    }
    out
}

/// Six months of interactions: most customers quiet, some busy, a few buying.
fn history(rng: &mut ChaCha8Rng, today: NaiveDate) -> Vec<NewInteraction> {
    let activity: f64 = rng.random();
    let count = match activity {
        a if a < 0.30 => 0,
        a if a < 0.70 => rng.random_range(1..=4),
        a if a < 0.92 => rng.random_range(5..=12),
        _ => rng.random_range(13..=30),
    };
    // Busy customers cluster their contacts in recent weeks.
    let span_days = if count > 12 { 60 } else { 182 };
    let mut list: Vec<NewInteraction> = (0..count)
        .map(|_| {
            let back = rng.random_range(0..span_days);
            let &(kind, note) = NOTES.choose(rng).unwrap_or(&NOTES[0]);
            let channel = match kind {
                InteractionKind::Visit => Channel::Visit,
                InteractionKind::Email => Channel::Email,
                InteractionKind::Message => Channel::Im,
                InteractionKind::Call => Channel::Phone,
                InteractionKind::Inquiry => {
                    *[Channel::Phone, Channel::Im, Channel::Event].choose(rng).unwrap_or(&Channel::Phone)
                }
                InteractionKind::Order => *[Channel::Visit, Channel::Email].choose(rng).unwrap_or(&Channel::Visit),
            };
            let amount_fen = (kind == InteractionKind::Order).then(|| rng.random_range(2..=60) * 10_000 * 100);
            NewInteraction {
                occurred_on: today.checked_sub_days(Days::new(back)).unwrap_or(today),
                occurred_at: Some(format!(
                    "{:02}:{:02}",
                    rng.random_range(9..18),
                    [0, 15, 30, 45][rng.random_range(0..4)]
                )),
                channel,
                kind,
                note: note.to_owned(),
                amount_fen,
                created_by: None,
            }
        })
        .collect();
    list.sort_by_key(|i| i.occurred_on);
    list
}

/// A demo campaign and what to do with it after inserting.
pub struct DemoCampaign {
    pub campaign: crate::store::campaigns::Campaign,
    pub generate_members: bool,
    /// Milestones done, as day offsets from today.
    pub milestones_done: Vec<(&'static str, i64)>,
}

/// The campaigns of PRODUCT.md around `today`: a new-product promotion that
/// ended last month, the same kind running now, and an urgent trade show in draft.
pub fn campaigns(today: NaiveDate) -> Vec<DemoCampaign> {
    let day = |offset: i64| today.checked_add_signed(chrono::Duration::days(offset)).unwrap_or(today);
    use crate::domain::campaign::{CampaignKind, CampaignStatus};
    let base = |name: &str, kind: CampaignKind, status: CampaignStatus, segment: &str, (a, s, e): (i64, i64, i64)| {
        crate::store::campaigns::Campaign {
            id: 0,
            name: name.to_owned(),
            kind,
            status,
            theme: String::new(),
            selling_points: String::new(),
            segment: segment.to_owned(),
            announced_on: day(a),
            starts_on: day(s),
            ends_on: day(e),
            resource_support: String::new(),
            goal_reached: 0,
            goal_intent: 0,
            goal_orders: 0,
            goal_sales_fen: 0,
            goal_roi: 0.0,
            lead_id: None,
            marketing_id: None,
            service_id: None,
            collateral_needs: String::new(),
            training_needs: String::new(),
            resource_risks: String::new(),
            budget_fen: 0,
            cost_items: String::new(),
            notes: String::new(),
            notice_text: String::new(),
            template_id: None,
            phase_rules: None,
            version: 1,
        }
    };
    let finished = crate::store::campaigns::Campaign {
        theme: "老客户回馈·新品A限时体验".to_owned(),
        selling_points: "新品A首发享8折+3年质保".to_owned(),
        resource_support: "市场部提供宣传单页与演示视频".to_owned(),
        goal_reached: 120,
        goal_intent: 30,
        goal_orders: 15,
        goal_sales_fen: 270_000_000,
        goal_roi: 3.0,
        collateral_needs: "宣传单页500份".to_owned(),
        training_needs: "产品知识培训1小时".to_owned(),
        resource_risks: "样品库存不足".to_owned(),
        budget_fen: 90_000_000,
        ..base(
            "十月新品A限时促销",
            CampaignKind::NewProduct,
            CampaignStatus::Ended,
            "industry in [\"制造业\", \"汽车零部件\"] and annual_purchase > 300万",
            (-50, -46, -20),
        )
    };
    let running = crate::store::campaigns::Campaign {
        theme: "新品A首发·华东华南华北同步".to_owned(),
        selling_points: "新品A首发享8折+3年质保".to_owned(),
        resource_support: "展示样机3台；技术部可安排现场演示".to_owned(),
        goal_reached: 150,
        goal_intent: 30,
        goal_orders: 15,
        goal_sales_fen: 47_000_000,
        goal_roi: 3.0,
        collateral_needs: "宣传单页500份，演示PPT，话术手册".to_owned(),
        training_needs: "产品知识培训1小时".to_owned(),
        resource_risks: "样品库存不足".to_owned(),
        budget_fen: 12_000_000,
        cost_items: "物料印刷 2万；样品运输 1万；答谢礼品 3万".to_owned(),
        notes: "优先触达近3个月有询盘但未下单的客户".to_owned(),
        ..base(
            "新品A限时促销（本月）",
            CampaignKind::NewProduct,
            CampaignStatus::Active,
            "region in [\"华东\", \"华南\", \"华北\"] and industry in [\"制造业\", \"零售\", \"建筑\", \"电子\", \"连锁\", \"医疗器械\"] and annual_purchase > 500万",
            (-11, -8, 20),
        )
    };
    let draft = crate::store::campaigns::Campaign {
        theme: "行业展会紧急参展".to_owned(),
        selling_points: "展位现场下单享专属折扣".to_owned(),
        goal_reached: 60,
        goal_intent: 20,
        goal_orders: 6,
        goal_sales_fen: 60_000_000,
        goal_roi: 2.5,
        collateral_needs: "展台物料、样品12件".to_owned(),
        resource_risks: "展位搭建时间紧".to_owned(),
        ..base(
            "华南工业博览会参展",
            CampaignKind::TradeShow,
            CampaignStatus::Draft,
            "region = \"华南\" and tier in [\"S\", \"B\"]",
            (0, 10, 13),
        )
    };
    vec![
        DemoCampaign {
            campaign: finished,
            generate_members: true,
            milestones_done: vec![
                ("kickoff_held", -49),
                ("collateral_ready", -47),
                ("full_rollout", -44),
                ("review_held", -18),
            ],
        },
        DemoCampaign {
            campaign: running,
            generate_members: true,
            milestones_done: vec![("kickoff_held", -10), ("collateral_ready", -9), ("full_rollout", -6)],
        },
        DemoCampaign { campaign: draft, generate_members: false, milestones_done: Vec::new() },
    ]
}

/// The script library the demo ships (话术 in the template's spirit):
/// (kind, title, body, pain points, industries).
/// Knowledge entries beyond the scripts: (kind, title, body, pain points, industries).
pub const KNOWLEDGE: &[DemoScript] = &[
    (
        "solution",
        "竞品对比方案：新品A与主要竞品的总成本",
        "客户嫌价格高时使用。把采购价格、3年质保、能耗和售后响应时间放在一张表里，按5年总成本对比：新品A首发8折后，总成本比主要竞品低约12%。附竞品分析报告模板，发出后预约15分钟电话逐项讲解。",
        &["成本高", "采购成本高"],
        &["制造业"],
    ),
    (
        "objection",
        "“质保期太短”",
        "新品A活动期间质保从1年延长到3年，关键部件48小时上门；可写入合同附件。客户仍有顾虑时，提供两周样机试用。",
        &["质量不稳定"],
        &["医疗器械", "制造业"],
    ),
    (
        "lesson",
        "部分物料延迟2天：下次活动提前5天确认物流",
        "上次活动宣传单页和样品晚到2天，华北区首周拜访只能空手去。下次活动启动会当天就确认物流交期，至少提前5个工作日到位。",
        &[],
        &[],
    ),
    (
        "lesson",
        "S级客户先上门再报价",
        "S级客户转化率70%：先上门了解历史采购，再给定制报价的，成交明显多于直接发价格单的。",
        &[],
        &[],
    ),
];

pub type DemoScript = (&'static str, &'static str, &'static str, &'static [&'static str], &'static [&'static str]);

pub const SCRIPTS: &[DemoScript] = &[
    (
        "script",
        "成本高 → 讲性价比",
        "理解您对采购成本的顾虑。新品A首发享8折，按您去年的采购量测算，一年可节省约15%；加上3年质保，后期维护费用也能省下来。我把测算表发给您看看？",
        &["成本高", "采购成本高"],
        &[],
    ),
    (
        "script",
        "质量不稳定 → 讲质保",
        "新品A这次提供3年质保，关键部件出现问题48小时内上门处理。我们可以先安排样机试用两周，您的技术负责人验证后再决定。",
        &["质量不稳定", "质量"],
        &[],
    ),
    (
        "script",
        "交期长 → 讲交付保障",
        "活动期间的订单我们单独排产，标准配置10个工作日内交付，我可以先把交期表发给您确认。",
        &["交期长"],
        &[],
    ),
    (
        "objection",
        "“价格比竞品高”",
        "可以理解。我们准备了一份竞品对比方案，把质保年限、能耗和售后响应一起算进总成本，请允许我明天发给您，再约15分钟电话过一遍。",
        &["成本高"],
        &[],
    ),
    (
        "script",
        "制造业客户：效率提升",
        "新品A的节拍比上一代快20%，对您产线的换型时间也有帮助，我们可以带方案上门，结合您这两年的采购记录讲。",
        &["效率低"],
        &["制造业"],
    ),
];

/// A member of the running campaign the demo follows up.
#[derive(Clone, Debug)]
pub struct DemoMemberRef {
    pub customer_id: i64,
    pub tier: String,
    pub assignee_email: String,
}

/// A follow-up the demo logs: who, when (a day and minutes after midnight,
/// Asia/Shanghai), and what came of it.
#[derive(Clone, Debug)]
pub struct DemoFollowUp {
    pub customer_id: i64,
    pub by: String,
    pub day: NaiveDate,
    pub minute: u32,
    pub channel: Channel,
    pub summary: &'static str,
    pub feedback_kind: &'static str,
    pub feedback: &'static str,
    pub next_action_on: Option<NaiveDate>,
    pub next_action: &'static str,
    pub stage: &'static str,
    pub amount_fen: Option<i64>,
    pub lost_reason: Option<&'static str>,
}

/// (summary, feedback kind, the customer's words, next action) by channel.
const BY_PHONE: &[(&str, &str, &str, &str)] = &[
    (
        "电话介绍新品A折扣与质保政策",
        "objection",
        "客户对价格有异议，需提供竞品对比方案",
        "发送竞品分析报告并预约二次沟通",
    ),
    ("电话沟通活动内容，客户有兴趣了解样机", "interest", "想看看样机，下周安排时间", "预约上门演示样机"),
    ("电话沟通，客户近期没有采购计划", "neutral", "", "月底再确认预算情况"),
];
const BY_MESSAGE: &[(&str, &str, &str, &str)] = &[
    ("微信发送专属优惠与产品手册", "neutral", "", "跟进客户阅读情况"),
    ("邮件邀约参加新品体验会", "objection", "今年预算已用完，明年再说", "月底再确认预算情况"),
    ("微信发送专属优惠，客户询问批量折扣", "interest", "批量采购能否再优惠？", "报批量折扣并发送报价单"),
];

/// The demo's follow-ups over the campaign's working days so far, the way
/// the playbook asks: S members are called first, then visited; B members
/// get an IM or email invitation; C members get the community push (not
/// logged one by one). Some show intent, some of those order on a visit a
/// day or more later, a few are lost; some next actions fall before today
/// and stay open (overdue). `missing` is a (rep, day) that logged nothing.
pub fn execution_follow_ups(
    members: &[DemoMemberRef],
    days: &[NaiveDate],
    missing: Option<(&str, NaiveDate)>,
) -> Vec<DemoFollowUp> {
    let mut rng = ChaCha8Rng::seed_from_u64(DEMO_SEED + 3);
    let mut reps: Vec<&str> = members.iter().map(|m| m.assignee_email.as_str()).collect();
    reps.sort_unstable();
    reps.dedup();
    let mut next_index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    // S members reached by phone, waiting for the visit (and whether they showed intent).
    let mut to_visit: Vec<(usize, NaiveDate, bool)> = Vec::new();
    let mut out = Vec::new();
    let last = days.last().copied();
    for (d, &day) in days.iter().enumerate() {
        let is_today = Some(day) == last;
        for rep in &reps {
            if missing.is_some_and(|(r, m)| r == *rep && m == day) {
                continue;
            }
            // Today only the earliest riser has logged anything yet.
            if is_today && *rep != "ming@rally.example" {
                continue;
            }
            let mine: Vec<usize> = members
                .iter()
                .enumerate()
                .filter(|(_, m)| m.assignee_email == *rep && m.tier != "C")
                .map(|(i, _)| i)
                .collect();
            let mut minute = 9 * 60 + rng.random_range(0..40);
            // Visits: orders, proposals and losses among those called before.
            let ready: Vec<(usize, bool)> = to_visit
                .iter()
                .filter(|(i, since, _)| members[*i].assignee_email == *rep && *since < day)
                .map(|(i, _, intent)| (*i, *intent))
                .collect();
            for (i, intent) in ready.into_iter().take(2) {
                to_visit.retain(|(w, _, _)| *w != i);
                let roll: f64 = rng.random();
                let odds = if intent { 0.45 } else { 0.15 };
                let f = if roll < odds {
                    let amount = rng.random_range(6..=30) * 10_000 * 100;
                    (
                        "ordered",
                        Some(amount),
                        None,
                        Channel::Visit,
                        "上门拜访，签订新品A采购合同",
                        "interest",
                        "价格可以接受，按活动价下单",
                        None,
                        "",
                    )
                } else if roll < odds + 0.15 {
                    (
                        "lost",
                        None,
                        Some("competitor"),
                        Channel::Phone,
                        "电话回访，客户已选择竞品",
                        "objection",
                        "竞品给了更低的价格",
                        None,
                        "",
                    )
                } else if roll < 0.85 {
                    let next = days.get(d + 1).copied().or_else(|| day.checked_add_days(Days::new(1)));
                    (
                        "intent",
                        None,
                        None,
                        Channel::Visit,
                        "上门拜访，演示样机并提交方案",
                        "interest",
                        "需要和技术负责人再确认",
                        next,
                        "提交正式报价",
                    )
                } else {
                    continue;
                };
                out.push(DemoFollowUp {
                    customer_id: members[i].customer_id,
                    by: (*rep).to_owned(),
                    day,
                    minute,
                    channel: f.3,
                    summary: f.4,
                    feedback_kind: f.5,
                    feedback: f.6,
                    next_action_on: f.7,
                    next_action: f.8,
                    stage: f.0,
                    amount_fen: f.1,
                    lost_reason: f.2,
                });
                minute += rng.random_range(25..70);
            }
            let count = if is_today { 3 } else { rng.random_range(3..=5) };
            for _ in 0..count {
                let pos = next_index.entry(rep).or_insert(0);
                let Some(&i) = mine.get(*pos) else { break };
                *pos += 1;
                let m = &members[i];
                let (channel, texts) = if m.tier == "S" {
                    (Channel::Phone, BY_PHONE)
                } else if rng.random_bool(0.5) {
                    (Channel::Im, BY_MESSAGE)
                } else {
                    (Channel::Email, BY_MESSAGE)
                };
                let &(summary, kind, feedback, next) = texts.choose(&mut rng).unwrap_or(&texts[0]);
                let intent_odds = if m.tier == "S" { 0.5 } else { 0.3 };
                let stage = if kind == "interest" || rng.random_bool(intent_odds) { "intent" } else { "contacted" };
                if m.tier == "S" {
                    to_visit.push((i, day, stage == "intent"));
                }
                // Next actions one or two working days on: some land before today and stay open.
                let next_on =
                    days.get(d + rng.random_range(1..=2)).copied().or_else(|| day.checked_add_days(Days::new(2)));
                out.push(DemoFollowUp {
                    customer_id: m.customer_id,
                    by: (*rep).to_owned(),
                    day,
                    minute,
                    channel,
                    summary,
                    feedback_kind: kind,
                    feedback,
                    next_action_on: next_on,
                    next_action: next,
                    stage,
                    amount_fen: None,
                    lost_reason: None,
                });
                minute += rng.random_range(25..70);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn same_seed_same_data() {
        let a = customers(day("2026-11-28"), 50);
        let b = customers(day("2026-11-28"), 50);
        let names = |v: &[DemoCustomerSeed]| v.iter().map(|c| c.customer.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&a), names(&b));
        assert_eq!(a[7].customer.credit_code, b[7].customer.credit_code);
    }

    #[test]
    fn customers_look_real() {
        let today = day("2026-11-28");
        let all = customers(today, DEMO_CUSTOMERS);
        assert_eq!(all.len(), DEMO_CUSTOMERS);
        let unique: std::collections::HashSet<_> = all.iter().map(|c| &c.customer.name).collect();
        assert_eq!(unique.len(), DEMO_CUSTOMERS);
        for c in &all {
            if let Some(code) = &c.customer.credit_code {
                credit_code::parse(code).unwrap();
            }
            assert!(c.customer.annual_purchase_fen >= 0);
            for i in &c.customer.interactions {
                assert!(i.occurred_on <= today && i.occurred_on > day("2026-05-28"));
                assert_eq!(i.amount_fen.is_some(), i.kind == InteractionKind::Order);
            }
        }
        let interactions: usize = all.iter().map(|c| c.customer.interactions.len()).sum();
        assert!(interactions > 8_000, "{interactions}");
        // The PRODUCT.md segment exists in the demo: East China manufacturers over 5,000,000.
        assert!(all.iter().any(|c| c.customer.region == "华东"
            && c.customer.industry == "制造业"
            && c.customer.annual_purchase_fen > 500_000_000));
    }

    #[test]
    fn the_running_campaign_gets_follow_ups_across_the_funnel() {
        let members: Vec<DemoMemberRef> = (0..90)
            .map(|i| DemoMemberRef {
                customer_id: i,
                tier: ["S", "B", "C"][usize::try_from(i % 3).unwrap()].to_owned(),
                assignee_email: ["ming@rally.example", "fang@rally.example", "gang@rally.example"]
                    [usize::try_from(i % 3).unwrap()]
                .to_owned(),
            })
            .collect();
        let days = [
            day("2026-11-19"),
            day("2026-11-20"),
            day("2026-11-23"),
            day("2026-11-24"),
            day("2026-11-25"),
            day("2026-11-26"),
        ];
        let all = execution_follow_ups(&members, &days, Some(("fang@rally.example", day("2026-11-25"))));
        for stage in ["contacted", "intent", "ordered", "lost"] {
            assert!(all.iter().any(|f| f.stage == stage), "{stage}");
        }
        assert!(all.iter().any(|f| f.feedback_kind == "objection"));
        assert!(!all.iter().any(|f| f.by == "fang@rally.example" && f.day == day("2026-11-25")), "the missing update");
        assert!(all.iter().filter(|f| f.day == day("2026-11-26")).all(|f| f.by == "ming@rally.example"));
        assert!(all.iter().any(|f| f.next_action_on.is_some_and(|d| d < day("2026-11-26"))), "an overdue next action");
        // Each member's follow-ups are in order, and none follows an order or a loss.
        for m in &members {
            let mine: Vec<&DemoFollowUp> = all.iter().filter(|f| f.customer_id == m.customer_id).collect();
            assert!(mine.windows(2).all(|w| w[0].day < w[1].day), "{mine:?}");
            assert!(mine.iter().rev().skip(1).all(|f| !matches!(f.stage, "ordered" | "lost")));
            assert!(m.tier != "C" || mine.is_empty(), "C members get the community push");
        }
    }

    #[test]
    fn every_rep_has_a_region_with_customers() {
        for member in TEAM.iter().filter(|m| m.role == Role::Rep) {
            let region = member.region.unwrap();
            assert!(REGIONS.iter().any(|(r, rep, _)| *r == region && *rep == member.email));
        }
    }
}
