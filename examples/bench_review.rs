//! Rerunnable benchmark of the review and knowledge targets (issue 12,
//! figures in BENCHMARKS.md). Two figure sets, one command each:
//!
//! - `--part metrics`: a campaign of 50,000 members and 200,000 follow-ups
//!   (ended, its review drafted), then `GET /api/v1/campaigns/{id}/metrics`
//!   (bearer token) and the printable review page `GET /campaigns/{id}/review`
//!   (a signed-in session cookie). Targets ≤ 100 ms and ≤ 300 ms.
//! - `--part search`: 100,000 knowledge entries and 1,000,000 follow-up notes,
//!   then `GET /api/v1/search?q=…` and `GET /api/v1/knowledge?q=…` for three-
//!   and two-character queries. Target p95 ≤ 30 ms.
//!
//! `cargo run --release --example bench_review -- --part metrics|search [--members 50000] [--follow-ups 200000]
//!  [--entries 100000] [--notes 1000000] [--runs 50] [--database-url URL]`
//! The database must be new; `bench/review.sh` makes a fresh SQLite file and
//! a throwaway PostgreSQL cluster.
//!
//! The data is loaded through store functions in large transactions (the
//! bulk customer path for customers and notes; for follow-ups, their
//! interactions in multi-row statements (`import::insert_interactions`),
//! then `insert_follow_up` + `record_follow_up_on_member`; `insert_entries`,
//! multi-row, for entries): the setup is not what is measured.

use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate, TimeZone, Utc};
use rally::app::{AppConfig, AppState};
use rally::domain::customer::{Channel, InteractionKind};
use rally::domain::execution::FeedbackKind;
use rally::domain::execution::stage::{Funnel, Stage};
use rally::ops;
use rally::store::Store;
use rally::store::customers::{NewCustomer, NewInteraction};

mod common;

use common::{REGIONS, arg, arg_or, bench_team, empty_store, get_ok, load, load_customers, ms, percentile, timed};

/// A small deterministic generator (SplitMix64), so every run loads the same text.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.below(list.len())]
    }
}

// What reps write after a call or visit: a summary, and the customer's words.
// The searched words occur only in some lines (frequencies printed by the run).
const SUMMARIES: [&str; 16] = [
    "电话介绍新品A的功能和折扣政策",
    "上门拜访采购部王经理，现场演示设备运行",
    "微信发送产品资料和报价单",
    "邮件跟进上次会议纪要，确认需求清单",
    "电话回访使用情况，客户反馈设备运行稳定",
    "陪同客户参观展厅，讲解节能改造方案",
    "与技术负责人沟通安装条件和交付周期",
    "参加客户内部评审会，介绍整体解决方案",
    "电话确认样品已收到，约定下周试用",
    "拜访财务部门，沟通付款方式和账期",
    "在展会上与客户交换名片，简单介绍公司",
    "视频会议演示远程监控平台",
    "陪经销商一起拜访，介绍区域服务网点",
    "电话邀请客户参加新品发布会",
    "上门检查旧设备，评估更换必要性",
    "发送节能测算表，说明投资回收期",
];

const FEEDBACK: [&str; 24] = [
    "客户对价格有异议，认为比去年贵了不少",
    "客户问质保期多长，希望延长到三年",
    "客户要求提供竞品对比资料再决定",
    "客户对交货时间比较满意",
    "采购流程需要总部审批，预计月底有结果",
    "客户表示今年预算已经用完，明年再考虑",
    "客户对售后响应速度有顾虑",
    "技术部门认可方案，等待商务条款",
    "客户希望先小批量试用",
    "客户询问安装培训是否收费",
    "决策人出差，下周再联系",
    "客户认为现有设备还能用，暂不更换",
    "客户对节能效果很感兴趣，要求提供同行案例",
    "客户提出付款要分三期",
    "客户说另外两家的价格更低",
    "客户关注质保范围是否包含易损件",
    "客户需要和老板商量",
    "客户对远程监控功能很感兴趣",
    "客户担心停产改造影响生产",
    "客户要求上门做一次技术交流",
    "客户已经在用同类产品，切换成本高",
    "客户觉得方案不错，让我们出正式报价",
    "",
    "",
];

const NEXT_ACTIONS: [&str; 8] = [
    "发送正式报价单",
    "预约二次拜访",
    "安排技术交流会",
    "提供三个同行业案例",
    "申请特价审批",
    "寄送样品",
    "整理竞品分析表发给客户",
    "跟进审批进度",
];

// Knowledge entries: a title and a body of several sentences.
const TITLE_TOPICS: [&str; 20] = [
    "首次电话开场白",
    "客户嫌价格高怎么办",
    "质保期与延保说明",
    "竞品对比要点",
    "节能改造方案介绍",
    "付款方式与账期谈判",
    "老客户复购话术",
    "预算不足的应对",
    "决策链梳理方法",
    "试用转正式订单",
    "交付周期异议",
    "售后响应承诺",
    "展会跟进节奏",
    "经销商联合拜访",
    "远程监控平台卖点",
    "旧设备更换评估",
    "招投标注意事项",
    "大客户年度框架协议",
    "行业案例怎么讲",
    "活动复盘经验",
];

const TITLE_PREFIXES: [&str; 8] =
    ["制造业", "化工行业", "食品行业", "汽配行业", "电子行业", "华东区", "华南区", "新品A"];

const BODY_SENTENCES: [&str; 30] = [
    "先确认客户当前设备的使用年限和故障情况。",
    "不要一开始就报价格，先讲清楚能为客户节省多少成本。",
    "强调我们的质保期为两年，可购买延保至五年。",
    "准备一页纸的竞品对比，重点讲能耗和售后。",
    "客户说贵的时候，先问和谁比、比的是哪一项。",
    "用同行业客户的节能数据说话，比讲参数更有说服力。",
    "付款可以分三期，首付不低于百分之三十。",
    "预约拜访前把报价单和案例一起发给对方。",
    "决策人通常是生产副总，采购只负责比价。",
    "试用期一般为两周，期间每三天回访一次。",
    "交付周期标准为四周，加急需要总部批准。",
    "售后承诺四小时响应，二十四小时到场。",
    "展会结束后三天内完成首次电话跟进。",
    "和经销商一起拜访时，由经销商先介绍本地服务。",
    "远程监控平台可以提前发现故障，减少停机时间。",
    "旧设备评估要拍照记录铭牌和运行参数。",
    "招投标项目要提前确认资质文件是否齐全。",
    "框架协议按年度用量给阶梯折扣。",
    "讲案例时说清楚客户规模、投入和回收期。",
    "本次活动意向客户转化率高于目标，S级客户贡献最大。",
    "物料晚到两天影响了第一周的拜访节奏。",
    "客户关心的易损件不在质保范围内，需要提前说明。",
    "对价格敏感的客户可以推荐基础款。",
    "竞品常用低价切入，我们要讲全生命周期成本。",
    "如果客户预算不足，可以建议分期或租赁。",
    "记录客户提出的每个异议，周会上统一讨论。",
    "电话开场先报公司和姓名，再说明来意。",
    "给客户发资料后第二天要确认是否收到。",
    "大客户每季度至少拜访一次。",
    "复盘时把有效话术整理进知识库。",
];

const PAIN_POINTS: [&str; 6] = ["能耗高", "故障多", "交付慢", "价格敏感", "售后远", "产能不足"];
const KINDS: [&str; 4] = ["script", "objection", "solution", "lesson"];

fn note_text(rng: &mut Mix) -> String {
    let summary = rng.pick(&SUMMARIES);
    let feedback = rng.pick(&FEEDBACK);
    if feedback.is_empty() { summary.to_owned() } else { format!("{summary}\n“{feedback}”") }
}

fn entry_fields(i: usize, rng: &mut Mix) -> rally::store::knowledge::EntryFields {
    let title = format!("{}：{}（{}）", rng.pick(&TITLE_PREFIXES), rng.pick(&TITLE_TOPICS), i + 1);
    let sentences = 3 + rng.below(5);
    let body: String = (0..sentences).map(|_| rng.pick(&BODY_SENTENCES)).collect::<Vec<_>>().join("");
    rally::store::knowledge::EntryFields {
        kind: KINDS[i % 4].to_owned(),
        title,
        body,
        pain_points: vec![rng.pick(&PAIN_POINTS).to_owned()],
        industries: vec!["制造业".to_owned()],
        campaign_kinds: vec!["new_product".to_owned()],
        tiers: vec![["S", "A", "B", "C"][i % 4].to_owned()],
        campaign_id: None,
        follow_up_id: None,
        // Most entries are published; some are proposals, a few retired.
        status: match i % 20 {
            0 => "proposed",
            1 => "retired",
            _ => "published",
        }
        .to_owned(),
    }
}

/// p50, p95 and p99 of `runs` GETs after three warm-ups.
async fn time_get(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    runs: usize,
) -> (Duration, Duration, Duration) {
    let mut samples = timed(runs, || get_ok(client, url, token)).await;
    (percentile(&mut samples, 0.5), percentile(&mut samples, 0.95), percentile(&mut samples, 0.99))
}

async fn serve(store: &Store) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let state = AppState::new(store.clone(), AppConfig::default());
    tokio::spawn(rally::app::serve(listener, state, std::future::pending()));
    Ok(format!("http://{addr}"))
}

/// A client holding a signed-in session of `email` (the login form with its CSRF token).
async fn browser_session(base: &str, email: &str) -> anyhow::Result<reqwest::Client> {
    let client = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build()?;
    let page = client.get(format!("{base}/login")).send().await?.text().await?;
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned();
    let response = client
        .post(format!("{base}/login"))
        .form(&[("csrf", csrf.as_str()), ("email", email), ("password", "bench password"), ("next", "/")])
        .send()
        .await?;
    anyhow::ensure!(response.status() == 303, "sign-in answered {}", response.status());
    Ok(client)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match arg("--part").as_deref() {
        Some("metrics") => metrics().await,
        Some("search") => search().await,
        _ => anyhow::bail!("--part metrics or --part search"),
    }
}

async fn metrics() -> anyhow::Result<()> {
    let members: usize = arg_or("--members", 50_000)?;
    let follow_ups: usize = arg_or("--follow-ups", 200_000)?;
    let runs: usize = arg_or("--runs", 30)?;
    let reps_n = 32;
    let store = empty_store("review").await?;
    println!("backend: {} · members: {members} · follow-ups: {follow_ups}", store.backend_name());
    let reps = bench_team(&store, reps_n).await?;
    let today = store.today();
    let start_day = today.checked_sub_days(Days::new(21)).unwrap_or(today);
    let end_day = today.checked_sub_days(Days::new(1)).unwrap_or(today);

    let started = Instant::now();
    load_customers(&store, members, |i| {
        let rep = i % reps_n;
        let interactions = (0..(i % 4))
            .map(|k| NewInteraction {
                occurred_on: start_day.checked_sub_days(Days::new(((i + k * 9) % 50) as u64 + 5)).unwrap_or(today),
                occurred_at: None,
                channel: Channel::Phone,
                kind: if (i + k) % 5 == 0 { InteractionKind::Inquiry } else { InteractionKind::Call },
                note: String::new(),
                amount_fen: None,
                created_by: None,
            })
            .collect();
        NewCustomer {
            name: format!("复盘基准客户{i:07}有限公司"),
            name_key: format!("复盘基准客户{i:07}"),
            industry: "制造业".to_owned(),
            region: REGIONS[rep % 7].to_owned(),
            city: "城市".to_owned(),
            annual_purchase_fen: 800_000_000,
            owner_id: Some(reps[rep].0),
            source: if i % 10 == 0 { "partner".to_owned() } else { "import".to_owned() },
            interactions,
            ..Default::default()
        }
    })
    .await?;

    // The campaign: ran the last three weeks, its list generated and active.
    let lead: ops::authz::Actor = store.user_by_email("lead@bench.example").await?.expect("lead").into();
    let fields = ops::campaigns::CampaignFields {
        name: Some("复盘基准活动".to_owned()),
        kind: Some("new_product".to_owned()),
        segment: Some("industry = \"制造业\"".to_owned()),
        announced_on: start_day.checked_sub_days(Days::new(2)),
        starts_on: Some(start_day),
        ends_on: Some(end_day),
        goal_reached: Some(40_000),
        goal_intent: Some(15_000),
        goal_orders: Some(6_000),
        ..Default::default()
    };
    let id = ops::campaigns::create(&store, &lead, fields).await?;
    let (added, _) = ops::campaigns::members::generate_members(&store, &lead, id).await?;
    anyhow::ensure!(added as usize == members, "expected {members} members, got {added}");
    let active = ops::campaigns::CampaignFields { status: Some("active".to_owned()), ..Default::default() };
    ops::campaigns::update(&store, &lead, id, None, active).await?;
    println!("customers and campaign in {:.1} s (not a target)", started.elapsed().as_secs_f64());

    // Follow-ups: each member gets its share over the campaign's days, the
    // last one leaving its final stage — half contacted, a quarter intent,
    // 15% ordered, 10% lost.
    let started = Instant::now();
    let ids: Vec<i64> = (1..=members as i64).collect();
    let mut rng = Mix(12);
    let mut written = 0usize;
    for chunk in ids.chunks(5_000) {
        let records = {
            let mut c = store.acquire().await?;
            rally::store::execution::members_by_id(c.conn(), chunk).await?
        };
        // The chunk's interactions go in multi-row statements (see below),
        // then its follow-ups, then the members.
        let mut interactions: Vec<(i64, NewInteraction, i64)> = Vec::new();
        let mut records_out: Vec<rally::store::execution::follow_ups::NewFollowUp> = Vec::new();
        let mut members_after = Vec::new();
        for m in records.iter().filter(|m| m.campaign_id == id) {
            let j = (m.id - 1) as usize;
            let per = follow_ups / members + usize::from(j < follow_ups % members);
            let final_stage = match j % 20 {
                0..=9 => Stage::Contacted,
                10..=14 => Stage::Intent,
                15..=17 => Stage::Ordered,
                _ => Stage::Lost,
            };
            let mut funnel = Funnel::default();
            let mut before = Stage::Targeted;
            let mut last_at = Utc::now();
            let mut next = (None, String::new());
            let mut first = None;
            let author = m.assignee_id.unwrap_or(reps[0].0);
            for k in 0..per {
                let day_n = ((k * 5 + j % 5) as u64).min(19);
                let day: NaiveDate = start_day.checked_add_days(Days::new(day_n)).unwrap_or(start_day);
                let at = rally::clock::china_offset()
                    .from_local_datetime(&day.and_hms_opt(9 + (j % 8) as u32, 0, 0).unwrap_or_default())
                    .single()
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or_else(Utc::now);
                let last = k + 1 == per;
                let after = if last {
                    final_stage
                } else if k >= 1 && matches!(final_stage, Stage::Ordered) {
                    Stage::Intent
                } else {
                    Stage::Contacted
                };
                funnel = funnel.moved(after, day, rally::domain::execution::stage::Mover::FollowUp, true);
                let summary = rng.pick(&SUMMARIES).to_owned();
                let feedback = rng.pick(&FEEDBACK).to_owned();
                let next_on = day.checked_add_days(Days::new(2));
                let next_action = rng.pick(&NEXT_ACTIONS).to_owned();
                let channel = [Channel::Phone, Channel::Im, Channel::Email, Channel::Visit][(j + k) % 4];
                let amount = (after == Stage::Ordered && before != Stage::Ordered)
                    .then_some(5_000_000 + (j as i64 % 7) * 1_000_000);
                let interaction = NewInteraction {
                    occurred_on: day,
                    occurred_at: Some(at.with_timezone(&rally::clock::china_offset()).format("%H:%M").to_string()),
                    channel,
                    kind: if amount.is_some() { InteractionKind::Order } else { InteractionKind::Call },
                    note: if feedback.is_empty() { summary.clone() } else { format!("{summary}\n“{feedback}”") },
                    amount_fen: amount,
                    created_by: Some(author),
                };
                let interaction_id = 0; // allocated below
                interactions.push((author, interaction, m.customer_id));
                let f = rally::store::execution::follow_ups::NewFollowUp {
                    campaign_id: id,
                    member_id: m.id,
                    customer_id: m.customer_id,
                    interaction_id,
                    contact_id: None,
                    occurred_at: at,
                    occurred_on: day,
                    logged_on: day,
                    channel,
                    summary,
                    feedback_kind: match (j + k) % 3 {
                        0 => FeedbackKind::Objection,
                        1 => FeedbackKind::Interest,
                        _ => FeedbackKind::Neutral,
                    },
                    feedback,
                    next_action_on: next_on,
                    next_action_at: None,
                    next_action: next_action.clone(),
                    stage_before: before,
                    stage_after: after,
                    order_amount_fen: amount,
                    lost_reason: (after == Stage::Lost).then(|| "预算不足".to_owned()),
                    created_by: author,
                    created_at: at,
                };
                records_out.push(f);
                before = after;
                first.get_or_insert((at, channel));
                last_at = at;
                next = (next_on, next_action);
                written += 1;
            }
            if let Some((first_at, first_channel)) = first {
                let done = matches!(final_stage, Stage::Ordered | Stage::Lost);
                let after = rally::store::execution::MemberAfterFollowUp {
                    funnel,
                    order_amount_fen: (final_stage == Stage::Ordered).then_some(5_000_000 + (j as i64 % 7) * 1_000_000),
                    lost_reason: (final_stage == Stage::Lost).then(|| "预算不足".to_owned()),
                    next_action_on: if done { None } else { next.0 },
                    next_action_at: None,
                    next_action: if done { String::new() } else { next.1.clone() },
                    last_follow_up_at: last_at,
                    follow_up_at: first_at,
                    follow_up_channel: first_channel,
                };
                members_after.push((m, after));
            }
        }
        // One INSERT per statement-full of interactions: the notes' trigram
        // index (FTS5) flushes its pending terms at every statement that
        // writes it inside a transaction, and a flush per row, each merging
        // segments, slowed the load to a crawl past 100,000 follow-ups.
        let mut tx = store.begin().await?;
        let ids = rally::store::bulk::allocate_ids(&mut tx, "interactions", interactions.len()).await?;
        let mut by_author: std::collections::BTreeMap<i64, Vec<rally::store::import::NewImportedInteraction>> =
            std::collections::BTreeMap::new();
        for ((author, i, customer_id), interaction_id) in interactions.into_iter().zip(&ids) {
            by_author.entry(author).or_default().push(rally::store::import::NewImportedInteraction {
                id: *interaction_id,
                key: rally::store::import::InteractionKey {
                    customer_id,
                    occurred_on: i.occurred_on,
                    occurred_at: i.occurred_at,
                    channel: i.channel.as_str().to_owned(),
                    kind: i.kind.as_str().to_owned(),
                    note: i.note,
                },
                amount_fen: i.amount_fen,
            });
        }
        let now = Utc::now();
        for (author, rows) in &by_author {
            rally::store::import::insert_interactions(&mut tx, rows, Some(*author), now).await?;
        }
        for (mut f, interaction_id) in records_out.into_iter().zip(ids) {
            f.interaction_id = interaction_id;
            rally::store::execution::follow_ups::insert_follow_up(&mut tx, &f).await?;
        }
        for (member, after) in &members_after {
            let ok = rally::store::execution::record_follow_up_on_member(&mut tx, member, after).await?;
            anyhow::ensure!(ok, "member {} moved", member.id);
        }
        tx.commit().await?;
        eprintln!("  {written} follow-ups written, {:.1} s", started.elapsed().as_secs_f64());
    }
    anyhow::ensure!(written == follow_ups, "wrote {written} follow-ups, expected {follow_ups}");

    // Costs with actuals, then the campaign ends: its review is drafted.
    let costs = vec![
        rally::domain::review::metrics::CostItem {
            item: "物料".to_owned(),
            planned_fen: Some(20_000_000),
            actual_fen: Some(22_000_000),
        },
        rally::domain::review::metrics::CostItem {
            item: "礼品".to_owned(),
            planned_fen: Some(30_000_000),
            actual_fen: Some(28_000_000),
        },
        rally::domain::review::metrics::CostItem {
            item: "差旅".to_owned(),
            planned_fen: Some(50_000_000),
            actual_fen: Some(61_000_000),
        },
    ];
    ops::review::set_costs(&store, &lead, id, costs).await?;
    let ended = ops::campaigns::CampaignFields { status: Some("ended".to_owned()), ..Default::default() };
    ops::campaigns::update(&store, &lead, id, None, ended).await?;
    store.optimize().await?;
    println!("follow-ups, costs and the review draft in {:.1} s (not a target)", started.elapsed().as_secs_f64());

    let base = serve(&store).await?;
    let token = ops::users::create_token(&store, "lead@bench.example", "bench").await?;
    let api = reqwest::Client::new();
    let browser = browser_session(&base, "lead@bench.example").await?;

    println!("\nload average (1, 5, 15 min) before the reads: {}", load());
    println!("\n| read | p50 | p95 | p99 |\n|---|---|---|---|");
    let (p50, p95, p99) = time_get(&api, &format!("{base}/api/v1/campaigns/{id}/metrics"), Some(&token), runs).await;
    println!("| metrics (API, {members} members, {follow_ups} follow-ups) | {} | {} | {} |", ms(p50), ms(p95), ms(p99));
    let (p50, p95, p99) = time_get(&browser, &format!("{base}/campaigns/{id}/review"), None, runs).await;
    println!("| review page (printable report, signed in) | {} | {} | {} |", ms(p50), ms(p95), ms(p99));
    println!("\nload average (1, 5, 15 min) after the reads: {}", load());
    Ok(())
}

async fn search() -> anyhow::Result<()> {
    let entries: usize = arg_or("--entries", 100_000)?;
    let notes: usize = arg_or("--notes", 1_000_000)?;
    let runs: usize = arg_or("--runs", 50)?;
    let customers = (notes / 10).max(1);
    let store = empty_store("search").await?;
    println!("backend: {} · entries: {entries} · notes: {notes} on {customers} customers", store.backend_name());
    let reps = bench_team(&store, 8).await?;
    let today = store.today();

    // Notes: ten per customer over the last year, as reps log them
    // (summary, and the customer's words on their own line).
    let started = Instant::now();
    let per = notes / customers;
    load_customers(&store, customers, |i| {
        let mut rng = Mix(i as u64);
        let interactions = (0..per + usize::from(i < notes % customers))
            .map(|k| NewInteraction {
                occurred_on: today.checked_sub_days(Days::new(((i * 7 + k * 31) % 365) as u64)).unwrap_or(today),
                occurred_at: None,
                channel: [Channel::Phone, Channel::Im, Channel::Email, Channel::Visit][(i + k) % 4],
                kind: InteractionKind::Call,
                note: note_text(&mut rng),
                amount_fen: None,
                created_by: Some(reps[i % reps.len()].0),
            })
            .collect();
        NewCustomer {
            name: format!("检索基准客户{i:07}有限公司"),
            name_key: format!("检索基准客户{i:07}"),
            industry: "制造业".to_owned(),
            region: REGIONS[i % 7].to_owned(),
            city: "城市".to_owned(),
            annual_purchase_fen: 800_000_000,
            owner_id: Some(reps[i % reps.len()].0),
            source: "import".to_owned(),
            interactions,
            ..Default::default()
        }
    })
    .await?;
    println!("customers and notes in {:.1} s (not a target)", started.elapsed().as_secs_f64());

    let started = Instant::now();
    let lead_id = store.user_by_email("lead@bench.example").await?.expect("lead").id;
    let mut rng = Mix(99);
    let now = Utc::now();
    // Multi-row statements, 10,000 entries per transaction: one INSERT per
    // row made SQLite's trigram table flush and merge per row (40 rows/s
    // past 30,000 entries).
    for start in (0..entries).step_by(10_000) {
        let rows: Vec<_> = (start..(start + 10_000).min(entries))
            .map(|i| (entry_fields(i, &mut rng), Some(lead_id), now - chrono::Duration::minutes((entries - i) as i64)))
            .collect();
        let mut tx = store.begin().await?;
        rally::store::knowledge::insert_entries(&mut tx, &rows).await?;
        tx.commit().await?;
        eprintln!("  {} entries written, {:.1} s", start + rows.len(), started.elapsed().as_secs_f64());
    }
    store.optimize().await?;
    println!("entries in {:.1} s (not a target)", started.elapsed().as_secs_f64());

    // How often the searched words occur in what was loaded.
    let queries = ["竞品对比", "质保期", "价格", "质保"];
    let mut in_notes = [0usize; 4];
    for i in 0..customers {
        let mut rng = Mix(i as u64);
        for _ in 0..per + usize::from(i < notes % customers) {
            let n = note_text(&mut rng);
            for (q, c) in queries.iter().zip(in_notes.iter_mut()) {
                *c += usize::from(n.contains(q));
            }
        }
    }
    let mut in_entries = [0usize; 4];
    let mut rng = Mix(99);
    for i in 0..entries {
        let f = entry_fields(i, &mut rng);
        for (q, c) in queries.iter().zip(in_entries.iter_mut()) {
            *c += usize::from(f.title.contains(q) || f.body.contains(q));
        }
    }
    println!("\n| word | notes holding it | entries holding it |\n|---|---|---|");
    for (k, q) in queries.iter().enumerate() {
        println!(
            "| {q} | {:.1}% | {:.1}% |",
            100.0 * in_notes[k] as f64 / notes as f64,
            100.0 * in_entries[k] as f64 / entries as f64
        );
    }

    let base = serve(&store).await?;
    let token = ops::users::create_token(&store, "lead@bench.example", "bench").await?;
    let client = reqwest::Client::new();
    println!("\nload average (1, 5, 15 min) before the reads: {}", load());
    println!("\n| query | endpoint | p50 | p95 | p99 |\n|---|---|---|---|---|");
    for q in queries {
        let enc = rally::web::session::urlencode(q);
        for (what, url) in [
            ("/api/v1/search", format!("{base}/api/v1/search?q={enc}")),
            ("/api/v1/knowledge", format!("{base}/api/v1/knowledge?q={enc}")),
        ] {
            let (p50, p95, p99) = time_get(&client, &url, Some(&token), runs).await;
            println!("| {q} ({} chars) | {what} | {} | {} | {} |", q.chars().count(), ms(p50), ms(p95), ms(p99));
        }
    }
    println!("\nload average (1, 5, 15 min) after the reads: {}", load());
    Ok(())
}
