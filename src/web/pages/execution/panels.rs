//! Fragments other pages load: the progress panel of a campaign (the plan
//! page and the lead's dashboard), a customer's campaign memberships (the
//! customer page), and the dashboard's execution section per role.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::{percent, readiness_key, request_kind_key, stage_key};
use crate::app::AppState;
use crate::domain::execution::progress::Counts;
use crate::domain::money::format_cny;
use crate::domain::team::Role;
use crate::ops;
use crate::ops::authz::Permission;
use crate::ops::execution::reports::Progress;
use crate::web::i18n::Texts;
use crate::web::pages::{Page, PageResult, parse_id, render};

/// One metric against its goal.
pub struct Metric {
    pub label_key: &'static str,
    pub actual: String,
    pub goal: String,
    pub rate: String,
    pub projected: String,
    pub short: bool,
}

pub struct RepLine {
    pub name: String,
    pub members: i64,
    pub reached: i64,
    pub intent: i64,
    pub target: String,
    pub rate: String,
    pub orders: i64,
    pub sales: String,
}

pub struct TierLine {
    pub tier: String,
    pub members: i64,
    pub reached: i64,
    pub intent: i64,
    pub orders: i64,
    pub conversion: String,
}

/// A campaign's progress as shown.
pub struct ProgressView {
    pub campaign_id: i64,
    pub campaign: String,
    pub metrics: Vec<Metric>,
    pub reps: Vec<RepLine>,
    pub tiers: Vec<TierLine>,
    /// The run-rate warning, when the projection falls below a goal.
    pub warning: Option<String>,
    pub pace: Option<String>,
}

pub fn progress_view(t: &Texts, p: &Progress) -> ProgressView {
    let proj = p.projection.as_ref();
    let metric =
        |label_key, actual: i64, goal: i64, rate: Option<f64>, projected: Option<i64>, name: &str, money: bool| {
            let show = |v: i64| if money { format_cny(v) } else { v.to_string() };
            Metric {
                label_key,
                actual: show(actual),
                goal: if goal > 0 { show(goal) } else { "—".to_owned() },
                rate: percent(rate),
                projected: projected.map_or_else(|| "—".to_owned(), show),
                short: proj.is_some_and(|j| j.below_goal.contains(&name)),
            }
        };
    let metrics = vec![
        metric(
            "progress.reached",
            p.actual.reached,
            p.goals.reached,
            p.achievement.reached,
            proj.map(|j| j.reached),
            "reached",
            false,
        ),
        metric(
            "progress.intent",
            p.actual.intent_customers,
            p.goals.intent_customers,
            p.achievement.intent_customers,
            proj.map(|j| j.intent_customers),
            "intent_customers",
            false,
        ),
        metric(
            "progress.orders",
            p.actual.orders,
            p.goals.orders,
            p.achievement.orders,
            proj.map(|j| j.orders),
            "orders",
            false,
        ),
        metric(
            "progress.sales",
            p.actual.sales_fen,
            p.goals.sales_fen,
            p.achievement.sales_amount,
            proj.map(|j| j.sales_fen),
            "sales_amount",
            true,
        ),
    ];
    let warning = proj.filter(|j| !j.below_goal.is_empty()).map(|j| {
        let names: Vec<&str> = j
            .below_goal
            .iter()
            .map(|n| match *n {
                "reached" => t.get("progress.reached"),
                "intent_customers" => t.get("progress.intent"),
                "orders" => t.get("progress.orders"),
                _ => t.get("progress.sales"),
            })
            .collect();
        t.fill("progress.warning", &[("metrics", &names.join("、"))])
    });
    let pace = proj.map(|j| {
        t.fill("progress.pace", &[("elapsed", &j.elapsed_days.to_string()), ("total", &j.total_days.to_string())])
    });
    let reps = p
        .by_rep
        .iter()
        .map(|r| RepLine {
            name: r.name.clone().unwrap_or_else(|| t.get("members.pool").to_owned()),
            members: r.actual.members,
            reached: r.actual.reached,
            intent: r.actual.intent_customers,
            target: r.target_customers.map_or_else(|| "—".to_owned(), |n| n.to_string()),
            rate: percent(r.intent_achievement),
            orders: r.actual.orders,
            sales: format_cny(r.actual.sales_fen),
        })
        .collect();
    let tiers = p
        .by_tier
        .iter()
        .filter(|t| t.actual.members > 0)
        .map(|x| {
            let c: &Counts = &x.actual;
            TierLine {
                tier: x.tier.clone(),
                members: c.members,
                reached: c.reached,
                intent: c.intent_customers,
                orders: c.orders,
                conversion: percent(c.conversion()),
            }
        })
        .collect();
    ProgressView { campaign_id: p.campaign.id, campaign: p.campaign.name.clone(), metrics, reps, tiers, warning, pace }
}

pub struct ChecklistLine {
    pub kind_key: &'static str,
    pub item: String,
    pub state: &'static str,
    pub state_key: &'static str,
}

pub struct BlockerLine {
    pub text: String,
    pub customer: Option<String>,
    pub status_key: &'static str,
}

#[derive(Template)]
#[template(path = "campaign_panel.html")]
struct CampaignPanel {
    t: &'static Texts,
    campaign_id: i64,
    progress: ProgressView,
    checklist: Vec<ChecklistLine>,
    blockers: Vec<BlockerLine>,
    needs: Vec<String>,
}

/// The plan page's execution panel (loaded by htmx): progress against the
/// goal, the pre-rollout checklist (资源前置确认) and open blockers.
pub async fn campaign_panel(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&id)?;
    let t = page.t;
    let p = ops::execution::reports::progress(&state.store, &page.actor, id).await?;
    let checklist = ops::execution::requests::checklist(&state.store, &page.actor, id)
        .await?
        .into_iter()
        .map(|(r, s)| {
            let (state, state_key) = readiness_key(s);
            ChecklistLine { kind_key: request_kind_key(r.kind), item: r.item, state, state_key }
        })
        .collect::<Vec<_>>();
    let blockers = ops::execution::blockers::of_campaign(&state.store, &page.actor, id, true)
        .await?
        .into_iter()
        .map(|b| BlockerLine {
            text: b.text,
            customer: b.customer_name,
            status_key: super::blocker_status_key(b.status),
        })
        .collect();
    // What the plan asks for that nobody has requested yet.
    let c = &p.campaign;
    let needs = [&c.collateral_needs, &c.training_needs].into_iter().filter(|s| !s.is_empty()).cloned().collect();
    let progress = progress_view(t, &p);
    Ok(render(StatusCode::OK, &CampaignPanel { t, campaign_id: id, progress, checklist, blockers, needs }))
}

pub struct Membership {
    pub href: String,
    pub campaign: String,
    pub stage_key: &'static str,
    pub tier: String,
    pub assignee: String,
    pub next: String,
}

#[derive(Template)]
#[template(path = "customer_campaigns.html")]
struct CustomerCampaigns {
    t: &'static Texts,
    rows: Vec<Membership>,
}

/// The customer page's campaign memberships (loaded by htmx), each linking
/// to its follow-up form.
pub async fn customer_campaigns(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&id)?;
    let t = page.t;
    let rows = ops::execution::members::of_customer(&state.store, &page.actor, id)
        .await?
        .into_iter()
        .map(|m| Membership {
            href: format!("/campaigns/{}/members/{}", m.campaign_id, m.customer_id),
            campaign: m.campaign_name.clone(),
            stage_key: stage_key(m.stage),
            tier: m.tier.clone(),
            assignee: m.assignee_name.clone().unwrap_or_else(|| t.get("members.pool").to_owned()),
            next: m.next_action_on.map(|d| format!("{} {}", d.format("%m-%d"), m.next_action)).unwrap_or_default(),
        })
        .collect();
    Ok(render(StatusCode::OK, &CustomerCampaigns { t, rows }))
}

/// A request line on a dashboard queue.
pub struct QueueLine {
    pub campaign_id: i64,
    pub campaign: String,
    pub kind_key: &'static str,
    pub item: String,
    pub needed_by: String,
    pub state: &'static str,
    pub state_key: &'static str,
}

pub struct EscalationLine {
    pub campaign_id: i64,
    pub campaign: String,
    pub text: String,
    pub reply_by: String,
}

/// What the dashboard adds per role: a rep's day; the lead's running
/// campaigns' progress; marketing's and support's queues; management's
/// escalations. Roles that cannot act on a thing are not shown it.
#[derive(Default)]
pub struct DashboardExecution {
    pub day: Option<super::day::DaySection>,
    pub progress: Vec<ProgressView>,
    pub queue: Option<Vec<QueueLine>>,
    pub escalations: Vec<EscalationLine>,
}

pub async fn dashboard(state: &AppState, page: &Page) -> Result<DashboardExecution, ops::OpsError> {
    let t = page.t;
    let mut out = DashboardExecution::default();
    let actor = &page.actor;
    if actor.role == Role::Rep {
        let d = ops::execution::reports::day(&state.store, actor, None).await?;
        out.day = Some(super::day::section(t, d));
    }
    if page.can(Permission::RunCampaigns) || actor.role == Role::Viewer {
        out.progress = ops::execution::reports::active_progress(&state.store, actor)
            .await?
            .iter()
            .map(|p| progress_view(t, p))
            .collect();
    }
    if page.can(Permission::HandleRequests) {
        let queue = ops::execution::requests::queue(&state.store, actor).await?;
        out.queue = Some(
            queue
                .into_iter()
                .map(|r| {
                    let (state, state_key) = readiness_key(ops::execution::requests::readiness(&r));
                    QueueLine {
                        campaign_id: r.campaign_id,
                        campaign: r.campaign_name,
                        kind_key: request_kind_key(r.kind),
                        item: r.item,
                        needed_by: r.needed_by.map(|d| d.to_string()).unwrap_or_default(),
                        state,
                        state_key,
                    }
                })
                .collect(),
        );
    }
    if page.can(Permission::AnswerEscalations) || page.can(Permission::RunCampaigns) {
        out.escalations = ops::execution::blockers::escalated(&state.store, actor)
            .await?
            .into_iter()
            .map(|b| EscalationLine {
                campaign_id: b.campaign_id,
                campaign: b.campaign_name,
                text: b.text,
                reply_by: b.reply_by.map(|d| d.to_string()).unwrap_or_default(),
            })
            .collect();
    }
    Ok(out)
}
