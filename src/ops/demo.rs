//! Loading the demo data set; each later feature adds its own part here.

use chrono::NaiveDate;

use super::OpsResult;
use super::credentials::hash_password;
use crate::demo::{self, DEMO_CUSTOMERS, TEAM};
use crate::domain::team::Email;
use crate::store::Store;
use crate::store::demo::{DemoCustomer, DemoOutcome};
use crate::store::users::NewUser;

/// The marker of the base part (team, customers, history).
const BASE_MARKER: &str = "demo.base.v1";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoReport {
    pub base: DemoOutcome,
    /// Campaigns added by this run (0 when they were already there).
    pub campaigns: usize,
    /// Follow-ups logged on the running campaign by this run.
    pub follow_ups: usize,
}

const CAMPAIGNS_MARKER: &str = "demo.campaigns.v1";

/// Loads whatever demo parts are not loaded yet; running it again changes nothing.
pub async fn load(store: &Store, today: NaiveDate) -> OpsResult<DemoReport> {
    let base = load_base(store, today).await?;
    let campaigns = load_campaigns(store, today).await?;
    let follow_ups = load_execution(store, today).await?;
    let reviewed = load_review(store, today).await?;
    load_knowledge(store).await?;
    load_helped(store).await?;
    if base != DemoOutcome::AlreadyLoaded {
        store.optimize().await?;
    }
    Ok(DemoReport { base, campaigns: campaigns + reviewed, follow_ups })
}

async fn load_base(store: &Store, today: NaiveDate) -> OpsResult<DemoOutcome> {
    if store.setting(BASE_MARKER).await?.is_some() {
        return Ok(DemoOutcome::AlreadyLoaded);
    }
    // One hash for every demo account: they share the published demo password.
    let password_hash = hash_password(demo::DEMO_PASSWORD)?;
    let users: Vec<NewUser> = TEAM
        .iter()
        .filter_map(|m| {
            Some(NewUser {
                email: Email::parse(m.email).ok()?,
                name: m.name.to_owned(),
                role: m.role,
                region: m.region.map(str::to_owned),
                password_hash: password_hash.clone(),
            })
        })
        .collect();
    let customers = demo::customers(today, DEMO_CUSTOMERS)
        .into_iter()
        .map(|seed| DemoCustomer { customer: seed.customer, owner_email: seed.owner_email.map(str::to_owned) })
        .collect();
    Ok(store.load_demo_part(BASE_MARKER, &users, customers).await?)
}

/// Three campaigns: one that ended last month (its members and outcomes are
/// the history new goals are checked against), one running, one in draft.
async fn load_campaigns(store: &Store, today: NaiveDate) -> OpsResult<usize> {
    use crate::store::campaigns::{add_members_matching, insert_campaign, set_milestone};
    use crate::store::customers::{CustomerFilter, CustomerScope, TierBasis};

    let lead = store.user_by_email("lead@rally.example").await?;
    let marketing = store.user_by_email("marketing@rally.example").await?;
    let service = store.user_by_email("service@rally.example").await?;
    let day = |offset: i64| today.checked_add_signed(chrono::Duration::days(offset)).unwrap_or(today);
    let rules = super::customers::tier_rules(store).await?;
    let mut tx = store.begin().await?;
    if !crate::store::demo::claim_marker(&mut tx, CAMPAIGNS_MARKER).await? {
        return Ok(0);
    }
    let plans = demo::campaigns(today);
    for plan in &plans {
        let mut c = plan.campaign.clone();
        c.lead_id = lead.as_ref().map(|u| u.id);
        c.marketing_id = marketing.as_ref().map(|u| u.id);
        c.service_id = service.as_ref().map(|u| u.id);
        let id = insert_campaign(&mut tx, &c, c.lead_id).await?;
        if plan.generate_members {
            let segment = crate::domain::segment::parse(&c.segment).ok();
            let filter = CustomerFilter { segment, ..CustomerFilter::scope(CustomerScope::All) };
            let basis = TierBasis { as_of: c.starts_on, rules, anchored: c.starts_on >= today };
            add_members_matching(&mut tx, store, id, &filter, &basis, "segment", None).await?;
        }
        for (key, done_offset) in &plan.milestones_done {
            set_milestone(&mut tx, id, key, Some(day(*done_offset)), Some(day(*done_offset))).await?;
        }
    }
    tx.commit().await?;
    Ok(plans.len())
}

/// The sign-in accounts, for printing after `--demo`.
pub fn accounts() -> Vec<(String, &'static str)> {
    TEAM.iter().map(|m| (m.email.to_owned(), m.duty)).collect()
}

const EXECUTION_MARKER: &str = "demo.execution.v1";
const KNOWLEDGE_MARKER: &str = "demo.knowledge.v1";

/// The knowledge base beyond the script library: a solution, an objection
/// answer, and the lessons of last month's review, published by marketing
/// and the lead.
async fn load_knowledge(store: &Store) -> OpsResult<usize> {
    let (Some(lead), Some(marketing)) =
        (actor(store, "lead@rally.example").await?, actor(store, "marketing@rally.example").await?)
    else {
        return Ok(0);
    };
    let mut tx = store.begin().await?;
    if !crate::store::demo::claim_marker(&mut tx, KNOWLEDGE_MARKER).await? {
        return Ok(0);
    }
    tx.commit().await?;
    // The lessons come from last month's review.
    let reviewed =
        store.campaigns().await?.into_iter().find(|c| c.status == crate::domain::campaign::CampaignStatus::Reviewed);
    for (kind, title, body, pains, industries) in demo::KNOWLEDGE {
        let from_review = reviewed.as_ref().filter(|_| *kind == "lesson");
        let input = super::knowledge::EntryInput {
            kind: Some((*kind).to_owned()),
            title: Some((*title).to_owned()),
            body: Some((*body).to_owned()),
            pain_points: Some(pains.iter().map(|p| (*p).to_owned()).collect()),
            industries: Some(industries.iter().map(|p| (*p).to_owned()).collect()),
            campaign_id: from_review.map(|c| c.id),
            campaign_kinds: from_review.map(|c| vec![c.kind.as_str().to_owned()]),
            ..Default::default()
        };
        let author = if *kind == "lesson" { &lead } else { &marketing };
        super::knowledge::create(store, author, input).await?;
    }
    Ok(demo::KNOWLEDGE.len())
}

const HELPED_MARKER: &str = "demo.helped.v1";

/// The reps' "helped" marks on the script library: the price objection's
/// answer helped three of them, the value-for-money script one, so the
/// follow-up form of a cost-focused customer ranks them so.
async fn load_helped(store: &Store) -> OpsResult<usize> {
    let scripts = crate::store::execution::scripts::scripts(store.acquire().await?.conn()).await?;
    let id_of = |title: &str| scripts.iter().find(|s| s.title == title).map(|s| s.id);
    let (Some(objection), Some(value)) = (id_of("“价格比竞品高”"), id_of("成本高 → 讲性价比"))
    else {
        return Ok(0);
    };
    let mut tx = store.begin().await?;
    if !crate::store::demo::claim_marker(&mut tx, HELPED_MARKER).await? {
        return Ok(0);
    }
    tx.commit().await?;
    let mut marks = 0;
    for (email, entries) in [
        ("ming@rally.example", &[objection, value][..]),
        ("fang@rally.example", &[objection][..]),
        ("gang@rally.example", &[objection][..]),
    ] {
        let Some(rep) = actor(store, email).await? else { continue };
        for id in entries {
            super::knowledge::set_helped(store, &rep, *id, true).await?;
            marks += 1;
        }
    }
    Ok(marks)
}

async fn actor(store: &Store, email: &str) -> OpsResult<Option<super::authz::Actor>> {
    Ok(store.user_by_email(email).await?.map(Into::into))
}

/// The running campaign under way: its tasks, the script library, requests
/// (one delivered item gone stale after the selling points changed), the
/// reps' follow-ups over its working days so far (stages across the funnel,
/// objections, overdue next actions, one rep who did not update the day
/// before), and open blockers. Through the use cases, so every record is
/// what the app itself would have written.
async fn load_execution(store: &Store, today: NaiveDate) -> OpsResult<usize> {
    use crate::domain::campaign::CampaignStatus;
    use crate::ops::execution::{blockers, follow_ups, requests, scripts};
    let Some(running) = store.campaigns().await?.into_iter().find(|c| c.status == CampaignStatus::Active) else {
        return Ok(0);
    };
    let (Some(lead), Some(marketing), Some(tech), Some(ming)) = (
        actor(store, "lead@rally.example").await?,
        actor(store, "marketing@rally.example").await?,
        actor(store, "demo@rally.example").await?,
        actor(store, "ming@rally.example").await?,
    ) else {
        return Ok(0);
    };
    let calendar = super::calendar::calendar(store).await?;
    let mut tx = store.begin().await?;
    if !crate::store::demo::claim_marker(&mut tx, EXECUTION_MARKER).await? {
        return Ok(0);
    }
    super::execution::tasks::plan_new_members(&mut tx, &calendar, running.id, running.starts_on).await?;
    tx.commit().await?;
    let id = running.id;

    for (kind, title, body, pains, industries) in demo::SCRIPTS {
        let input = scripts::ScriptInput {
            kind: Some((*kind).to_owned()),
            title: Some((*title).to_owned()),
            body: Some((*body).to_owned()),
            pain_points: Some(pains.iter().map(|p| (*p).to_owned()).collect()),
            industries: Some(industries.iter().map(|p| (*p).to_owned()).collect()),
            campaign_kinds: None,
        };
        scripts::create(store, &marketing, input).await?;
    }

    let request =
        |kind: &str, item: &str, quantity: Option<i64>, person: &str, lead_days: Option<i64>| requests::RequestInput {
            kind: Some(kind.to_owned()),
            item: Some(item.to_owned()),
            quantity,
            needed_by: Some(today + chrono::Duration::days(3)),
            person: Some(person.to_owned()),
            slot: None,
            lead_days,
            details: None,
        };
    let flyer = requests::create(store, &ming, id, request("collateral", "宣传单页", Some(500), "", None)).await?;
    let deck = requests::create(store, &lead, id, request("collateral", "演示PPT", None, "", None)).await?;
    let training =
        requests::create(store, &lead, id, request("training", "产品知识培训 1小时", None, "赵军", None)).await?;
    requests::create(store, &ming, id, request("logistics", "样品 3台", Some(3), "", Some(4))).await?;
    requests::create(store, &ming, id, request("demo", "现场技术演示", None, "赵军", None)).await?;
    requests::move_request(store, &marketing, flyer.id, "delivered", None, Some("已送达各区"), None).await?;
    requests::move_request(store, &marketing, deck.id, "accepted", None, None, None).await?;
    requests::move_request(store, &tech, training.id, "delivered", None, Some("已于周一完成"), None).await?;
    // The offer changed after the flyers were printed: they are out of date now.
    let fields = super::campaigns::CampaignFields {
        selling_points: Some(format!("{}，前50单免费上门安装", running.selling_points)),
        ..Default::default()
    };
    super::campaigns::update(store, &lead, id, None, fields).await?;

    // The campaign's working days so far, and the one before today (a rep misses it).
    let mut days = Vec::new();
    let mut d = running.starts_on;
    while d <= today {
        if calendar.is_working_day(d) {
            days.push(d);
        }
        let Some(next) = d.succ_opt() else { break };
        d = next;
    }
    let previous = days.iter().rev().find(|d| **d < today).copied();
    let mut refs = Vec::new();
    let mut after = None;
    loop {
        let q = crate::store::campaigns::MemberQuery { after, limit: 1000, ..Default::default() };
        let page = store.members(id, &q).await?;
        let Some(last) = page.last() else { break };
        after = Some((last.outreach_rank, last.customer_id));
        refs.extend(page.into_iter().filter_map(|m| {
            Some(demo::DemoMemberRef { customer_id: m.customer_id, tier: m.tier, assignee_email: m.assignee_email? })
        }));
    }
    let planned = demo::execution_follow_ups(&refs, &days, previous.map(|p| ("fang@rally.example", p)));
    let now = store.now();
    let mut reps = std::collections::HashMap::new();
    let mut logged = 0;
    for f in planned {
        if !reps.contains_key(&f.by) {
            let a = actor(store, &f.by).await?;
            reps.insert(f.by.clone(), a);
        }
        let Some(Some(rep)) = reps.get(&f.by) else { continue };
        let at = f
            .day
            .and_hms_opt(f.minute / 60, f.minute % 60, 0)
            .and_then(|t| t.and_local_timezone(crate::clock::china_offset()).single())
            .map(|t| t.to_utc().min(now - chrono::Duration::minutes(2)));
        let input = follow_ups::FollowUpInput {
            occurred_at: at,
            channel: Some(f.channel.as_str().to_owned()),
            summary: Some(f.summary.to_owned()),
            feedback_kind: Some(f.feedback_kind.to_owned()),
            feedback: Some(f.feedback.to_owned()),
            next_action_on: f.next_action_on.map(|n| n.max(f.day)),
            next_action: Some(f.next_action.to_owned()),
            stage: Some(f.stage.to_owned()),
            order_amount_fen: f.amount_fen,
            lost_reason: f.lost_reason.map(str::to_owned),
            ..Default::default()
        };
        // A member moved meanwhile (or a stage that no longer fits) is skipped.
        if follow_ups::create(store, rep, id, f.customer_id, input).await.is_ok() {
            logged += 1;
        }
    }

    store.demo_complete_tasks(id, "push").await?;
    let listed_at = running
        .announced_on
        .and_hms_opt(10, 0, 0)
        .and_then(|t| t.and_local_timezone(crate::clock::china_offset()).single())
        .map_or_else(|| store.now(), |t| t.to_utc());
    store.demo_backdate_follow_ups(id, listed_at).await?;
    let row = |email: &str, region: &str, target: i64, conversion: f64, sales_yuan: i64, key: &str, needs: &str| {
        super::campaigns::breakdown::BreakdownInput {
            assignee_email: Some(email.to_owned()),
            region: region.to_owned(),
            target_customers: target,
            expected_conversion: conversion,
            sales_target_fen: sales_yuan * 100,
            key_customers: key.to_owned(),
            resource_needs: needs.to_owned(),
        }
    };
    let rows = vec![
        row("ming@rally.example", "华南", 10, 0.5, 150_000, "", "需延长活动期限至下月5日"),
        row("fang@rally.example", "华北", 8, 0.4, 120_000, "", "需技术支持演示"),
        row("gang@rally.example", "华东", 12, 0.6, 200_000, "", "物料已到位"),
    ];
    if running.goal_intent == 30 {
        super::campaigns::breakdown::save_breakdown(store, &lead, id, rows).await?;
    }

    // Blockers: one escalated to management, one open on the campaign.
    if let Some(first) = refs.iter().find(|m| m.assignee_email == "ming@rally.example") {
        let b = blockers::raise(store, &ming, id, Some(first.customer_id), "客户要求延长活动期限至下月5日").await?;
        let reply_by = calendar.add_working_days(today, 2).value;
        blockers::act(store, &lead, b.id, blockers::Act::Escalate { reply_by: Some(reply_by) }, None).await?;
    }
    if let Some(gang) = actor(store, "gang@rally.example").await? {
        blockers::raise(store, &gang, id, None, "样品库存不足，华东客户要求先试用再下单").await?;
    }
    Ok(logged)
}

const REVIEW_MARKER: &str = "demo.review.v1";

/// Phase 4: the campaign that ended last month, its funnel as its reps left
/// it (PRODUCT.md's review: 36 intent customers for a goal of 30, 18 orders
/// for 15, ROI 1:3.5 for 1:3), its costs, and its review written by the lead
/// and held two working days after the end — so it is `reviewed` with its
/// numbers frozen, saved as an SOP template. An older appreciation event is left ended with its review
/// draft past due. Returns the campaigns added (the older one).
async fn load_review(store: &Store, today: NaiveDate) -> OpsResult<usize> {
    use crate::domain::campaign::{CampaignKind, CampaignStatus};
    use crate::domain::review::LineText;
    use crate::domain::review::metrics::CostItem;

    let Some(ended) = store.campaigns().await?.into_iter().find(|c| c.status == CampaignStatus::Ended) else {
        return Ok(0);
    };
    let (Some(lead), Some(marketing)) =
        (actor(store, "lead@rally.example").await?, actor(store, "marketing@rally.example").await?)
    else {
        return Ok(0);
    };
    let calendar = super::calendar::calendar(store).await?;
    let users = store.users().await?;
    let mut tx = store.begin().await?;
    if !crate::store::demo::claim_marker(&mut tx, REVIEW_MARKER).await? {
        return Ok(0);
    }
    // The older campaign: ended two months ago, never reviewed.
    let day = |offset: i64| today.checked_add_signed(chrono::Duration::days(offset)).unwrap_or(today);
    let older = crate::store::campaigns::Campaign {
        id: 0,
        name: "九月老客户答谢会".to_owned(),
        kind: CampaignKind::Appreciation,
        status: CampaignStatus::Ended,
        theme: "答谢老客户·新品A预览".to_owned(),
        announced_on: day(-85),
        starts_on: day(-80),
        ends_on: day(-66),
        goal_reached: 40,
        goal_intent: 12,
        goal_orders: 4,
        goal_sales_fen: 0,
        goal_roi: 2.0,
        budget_fen: 5_000_000,
        lead_id: Some(lead.id),
        marketing_id: Some(marketing.id),
        cost_items: "场地 3万；答谢礼品 2万".to_owned(),
        ..ended.clone()
    };
    let older_id = crate::store::campaigns::insert_campaign(&mut tx, &older, Some(lead.id)).await?;
    let older = crate::store::campaigns::Campaign { id: older_id, ..older };
    super::review::create_draft(&mut tx, &older, &calendar, &users, today, Some(lead.id)).await?;
    tx.commit().await?;

    // The ended campaign's members in outreach order (S first).
    let mut members = Vec::new();
    let mut after = None;
    loop {
        let q = crate::store::campaigns::MemberQuery { after, limit: 1000, ..Default::default() };
        let page = store.members(ended.id, &q).await?;
        let Some(last) = page.last() else { break };
        after = Some((last.outreach_rank, last.customer_id));
        members.extend(page.into_iter().map(|m| (m.customer_id, m.tier)));
    }
    // Its working days, over which the stages moved.
    let mut days = Vec::new();
    let mut d = ended.starts_on;
    while d <= ended.ends_on {
        if calendar.is_working_day(d) {
            days.push(d);
        }
        let Some(next) = d.succ_opt() else { break };
        d = next;
    }
    if days.is_empty() || members.len() < 36 {
        return Ok(1);
    }
    // 36 intent customers; 7 of the first 10 S members order (S级客户转化率70%),
    // the rest of the 18 orders come from the others; 110 reached in all.
    let intent: Vec<(i64, String)> = members.iter().take(36).cloned().collect();
    let s_members: Vec<usize> =
        intent.iter().enumerate().filter(|(_, m)| m.1 == "S").map(|(i, _)| i).take(10).collect();
    let mut ordered: Vec<usize> = s_members.iter().take(s_members.len() * 7 / 10).copied().collect();
    for i in 0..intent.len() {
        if ordered.len() >= 18 {
            break;
        }
        if !s_members.contains(&i) && !ordered.contains(&i) {
            ordered.push(i);
        }
    }
    // 18 orders of 157,500 yuan: 2,835,000 on a cost of 810,000 is 1:3.5.
    let n = days.len();
    for (i, (customer_id, _)) in members.iter().enumerate().take(110) {
        // Spread over the working days, the later steps later.
        let at = days[(i * 7 + 3) % n].max(days[n.min(i / 4 + 1) - 1]);
        let on_day = store.with_clock(crate::clock::Clock::fixed_on(at));
        let (stage, amount) = if ordered.contains(&i) {
            ("ordered", Some(15_750_000))
        } else if i < 36 {
            ("intent", None)
        } else {
            ("contacted", None)
        };
        super::execution::members::correct_stage(&on_day, &lead, ended.id, *customer_id, stage, amount, None).await?;
    }
    let cost = |item: &str, planned_yuan: i64, actual_yuan: i64| CostItem {
        item: item.to_owned(),
        planned_fen: Some(planned_yuan * 100),
        actual_fen: Some(actual_yuan * 100),
    };
    super::review::set_costs(
        store,
        &marketing,
        ended.id,
        vec![
            cost("物料印刷", 300_000, 320_000),
            cost("样品运输", 200_000, 180_000),
            cost("答谢礼品", 400_000, 310_000),
        ],
    )
    .await?;
    // The review meeting, two working days after the end.
    let held_on = calendar.add_working_days(ended.ends_on, 2).value.min(today);
    let then = store.with_clock(crate::clock::Clock::fixed_on(held_on));
    let line = |key: &str, highlight: &str, problem: &str, improvement: &str| LineText {
        key: key.to_owned(),
        highlight: highlight.to_owned(),
        problem: problem.to_owned(),
        improvement: improvement.to_owned(),
    };
    let lines = vec![
        line("intent_customers", "意向客户达成率120%", "", "继续优先触达近3个月有询盘未下单的客户"),
        line("orders", "订单达成率120%", "", ""),
        line("roi", "投入产出比1:3.5，高于目标1:3", "部分物料延迟2天", "下次活动提前5天确认物流"),
        line("conversion", "S级客户转化率70%", "转化率仅50%，B级客户跟进不足", "B级客户邀约后48小时内电话回访"),
    ];
    super::review::save(&then, &lead, ended.id, None, lines).await?;
    super::review::hold(&then, &lead, ended.id).await?;
    // What the team keeps for the next campaign of this kind.
    super::templates::save_from_campaign(&then, &lead, ended.id, None).await?;
    Ok(1)
}

/// The marker of the generated scale data set (one per database).
const SCALE_MARKER: &str = "demo.scale.v1";
/// Customers generated and written per batch: bounds memory whatever the total.
const SCALE_BATCH: usize = 20_000;

/// What `load_scale` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScaleOutcome {
    Loaded {
        customers: usize,
        interactions: usize,
    },
    /// A scale data set is already in this database; nothing changed.
    AlreadyLoaded,
}

/// Adds `customers` generated customers with `per_customer` interactions
/// each (see [`crate::scale`]) to the demo, owned by the demo team's rep of
/// their region (15% unassigned), with their tiers' activity columns. Loads
/// the demo first if it is not there. `progress` hears how many are in.
pub async fn load_scale(
    store: &Store,
    today: NaiveDate,
    customers: usize,
    per_customer: usize,
    progress: impl FnMut(usize),
) -> OpsResult<ScaleOutcome> {
    if customers == 0 {
        return Err(super::OpsError::invalid("customers", "name at least one customer to generate"));
    }
    if per_customer > 1_000 {
        return Err(super::OpsError::invalid("interactions_per_customer", "at most 1000 interactions per customer"));
    }
    if store.setting(SCALE_MARKER).await?.is_some() {
        return Ok(ScaleOutcome::AlreadyLoaded);
    }
    load(store, today).await?;
    let rules = super::customers::tier_rules(store).await?;
    let users = store.users().await?;
    let owners: Vec<Option<i64>> = crate::scale::REGIONS
        .iter()
        .map(|region| {
            users
                .iter()
                .find(|u| u.role == crate::domain::team::Role::Rep && u.region.as_deref() == Some(region))
                .map(|u| u.id)
        })
        .collect();
    // Batches are made on a thread of their own while the previous one is
    // written, two at most in hand; the thread stops when the load does.
    let (batches, receiver) = tokio::sync::mpsc::channel(2);
    std::thread::spawn(move || {
        for start in (0..customers).step_by(SCALE_BATCH) {
            let end = (start + SCALE_BATCH).min(customers);
            let batch = crate::scale::customers(start..end, per_customer, today, &rules)
                .into_iter()
                .map(|c| {
                    let owner_id = if c.assigned { owners[c.region] } else { None };
                    (crate::store::customers::NewCustomer { owner_id, ..c.customer }, c.activity)
                })
                .collect();
            if batches.blocking_send(batch).is_err() {
                return;
            }
        }
    });
    let loaded = store.load_generated(SCALE_MARKER, customers, receiver, progress).await?;
    if !loaded {
        return Ok(ScaleOutcome::AlreadyLoaded);
    }
    store.optimize().await?;
    Ok(ScaleOutcome::Loaded { customers, interactions: customers * per_customer })
}
