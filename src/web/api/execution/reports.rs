//! Progress against the goal, the daily stand-up and a rep's day.

use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::AppState;
use crate::domain::execution::progress::Counts;
use crate::domain::money::fen_to_yuan;
use crate::ops;
use crate::ops::execution::reports::{DayRow, Why};
use crate::web::api::Forbidden;
use crate::web::api::{ErrorBody, parse_id};
use crate::web::error::ApiError;
use crate::web::session::ApiAuth;

#[derive(Serialize, ToSchema)]
pub struct GoalsOut {
    pub reached: i64,
    pub intent_customers: i64,
    pub orders: i64,
    /// CNY.
    pub sales_amount: f64,
}

/// Cumulative funnel counts: a member who ordered also counts as reached
/// and as an intent customer.
#[derive(Serialize, ToSchema)]
pub struct ActualOut {
    pub members: i64,
    pub reached: i64,
    pub intent_customers: i64,
    pub orders: i64,
    pub lost: i64,
    /// CNY.
    pub sales_amount: f64,
    /// Orders ÷ intent customers.
    pub conversion: Option<f64>,
}

fn actual(c: &Counts) -> ActualOut {
    ActualOut {
        members: c.members,
        reached: c.reached,
        intent_customers: c.intent_customers,
        orders: c.orders,
        lost: c.lost,
        sales_amount: fen_to_yuan(c.sales_fen),
        conversion: c.conversion(),
    }
}

/// Actual ÷ goal (1.2 = 120%); null where no goal is set.
#[derive(Serialize, ToSchema)]
pub struct AchievementOut {
    pub reached: Option<f64>,
    pub intent_customers: Option<f64>,
    pub orders: Option<f64>,
    pub sales_amount: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct RepOut {
    /// null: the unassigned pool.
    pub email: Option<String>,
    pub name: Option<String>,
    pub actual: ActualOut,
    /// The breakdown row's target customers (template 2).
    pub target_customers: Option<i64>,
    /// CNY.
    pub sales_target: Option<f64>,
    pub intent_achievement: Option<f64>,
    pub sales_achievement: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct TierOut {
    pub tier: String,
    pub actual: ActualOut,
}

/// Where the campaign ends at today's pace (working days).
#[derive(Serialize, ToSchema)]
pub struct ProjectionOut {
    pub elapsed_working_days: i64,
    pub total_working_days: i64,
    pub reached: i64,
    pub intent_customers: i64,
    pub orders: i64,
    /// CNY.
    pub sales_amount: f64,
    /// Metrics projected to fall short of their goal.
    pub below_goal: Vec<String>,
    /// True when any metric is projected below its goal.
    pub warning: bool,
    pub assumed_years: Vec<i32>,
}

#[derive(Serialize, ToSchema)]
pub struct ProgressOut {
    pub campaign_id: i64,
    pub goals: GoalsOut,
    pub actual: ActualOut,
    pub achievement: AchievementOut,
    pub by_rep: Vec<RepOut>,
    pub by_tier: Vec<TierOut>,
    /// null before the campaign's first working day.
    pub projection: Option<ProjectionOut>,
}

pub fn progress_out(p: ops::execution::reports::Progress) -> ProgressOut {
    ProgressOut {
        campaign_id: p.campaign.id,
        goals: GoalsOut {
            reached: p.goals.reached,
            intent_customers: p.goals.intent_customers,
            orders: p.goals.orders,
            sales_amount: fen_to_yuan(p.goals.sales_fen),
        },
        actual: actual(&p.actual),
        achievement: AchievementOut {
            reached: p.achievement.reached,
            intent_customers: p.achievement.intent_customers,
            orders: p.achievement.orders,
            sales_amount: p.achievement.sales_amount,
        },
        by_rep: p
            .by_rep
            .iter()
            .map(|r| RepOut {
                email: r.email.clone(),
                name: r.name.clone(),
                actual: actual(&r.actual),
                target_customers: r.target_customers,
                sales_target: r.sales_target_fen.map(fen_to_yuan),
                intent_achievement: r.intent_achievement,
                sales_achievement: r.sales_achievement,
            })
            .collect(),
        by_tier: p.by_tier.iter().map(|t| TierOut { tier: t.tier.clone(), actual: actual(&t.actual) }).collect(),
        projection: p.projection.map(|j| ProjectionOut {
            elapsed_working_days: j.elapsed_days,
            total_working_days: j.total_days,
            reached: j.reached,
            intent_customers: j.intent_customers,
            orders: j.orders,
            sales_amount: fen_to_yuan(j.sales_fen),
            warning: !j.below_goal.is_empty(),
            below_goal: j.below_goal.iter().map(|s| (*s).to_owned()).collect(),
            assumed_years: j.assumed_years,
        }),
    }
}

/// Progress against the goal: reached / intent / orders / sales with
/// achievement, by rep (against the breakdown) and by tier, and the run-rate
/// projection to the end date in working days.
#[utoipa::path(get, operation_id = "execution_progress", path = "/api/v1/campaigns/{id}/progress", tag = "execution",
    params(("id" = i64, Path, description = "campaign id")),
    responses((status = 200, description = "OK", body = ProgressOut)))]
pub async fn progress(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<ProgressOut>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(progress_out(ops::execution::reports::progress(&state.store, &actor, id).await?)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StandupQuery {
    /// YYYY-MM-DD; default today (Asia/Shanghai).
    pub date: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct StandupRep {
    /// null: the unassigned pool.
    pub email: Option<String>,
    pub name: Option<String>,
    pub members: i64,
    /// Members with a follow-up that day.
    pub contacted: i64,
    /// Members that became intent customers that day.
    pub new_intents: i64,
    pub orders: i64,
    /// CNY.
    pub sales_amount: f64,
    /// Open tasks and next actions due before the day.
    pub overdue: i64,
    pub overdue_tasks: i64,
    pub overdue_actions: i64,
    pub open_blockers: i64,
    /// Logged at least one follow-up that day.
    pub updated: bool,
    /// 未更新: members to work, nothing logged, and the team's cutoff passed.
    pub missing_update: bool,
    /// 未更新 on the previous working day.
    pub missed_previous_day: bool,
}

#[derive(Serialize, ToSchema)]
pub struct StandupOut {
    pub date: NaiveDate,
    /// The working day before, whose missing updates are flagged too.
    pub previous_day: NaiveDate,
    /// The team's cutoff for the day's record (`HH:MM`).
    pub cutoff: String,
    pub reps: Vec<StandupRep>,
}

/// The daily stand-up of a campaign (站会): per rep, what happened on the day.
#[utoipa::path(get, operation_id = "execution_standup", path = "/api/v1/campaigns/{id}/standup", tag = "execution",
    params(("id" = i64, Path, description = "campaign id"), StandupQuery),
    responses((status = 200, description = "OK", body = StandupOut),
        (status = 422, description = "Invalid date", body = ErrorBody)))]
pub async fn standup(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    Query(q): Query<StandupQuery>,
) -> Result<Json<StandupOut>, ApiError> {
    let id = parse_id(&id)?;
    let date = match q.date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => Some(
            d.parse::<NaiveDate>()
                .map_err(|_| ApiError::invalid("date", format!("{d:?} is not a date like 2026-11-06")))?,
        ),
        None => None,
    };
    let s = ops::execution::reports::standup(&state.store, &actor, id, date).await?;
    Ok(Json(StandupOut {
        date: s.date,
        previous_day: s.previous_day,
        cutoff: s.cutoff,
        reps: s
            .rows
            .into_iter()
            .map(|r| StandupRep {
                email: r.email,
                name: r.name,
                members: r.members,
                contacted: r.contacted,
                new_intents: r.new_intents,
                orders: r.orders,
                sales_amount: fen_to_yuan(r.sales_fen),
                overdue: r.overdue_tasks + r.overdue_actions,
                overdue_tasks: r.overdue_tasks,
                overdue_actions: r.overdue_actions,
                open_blockers: r.open_blockers,
                updated: r.updated,
                missing_update: r.missing_update,
                missed_previous_day: r.missed_previous_day,
            })
            .collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct DayReason {
    /// task, next_action or new_member.
    pub kind: String,
    /// The task's action (phone, visit, invite, push, nurture).
    pub action: Option<String>,
    pub what: Option<String>,
    pub due_on: Option<NaiveDate>,
    pub due_at: Option<String>,
    pub overdue: bool,
    pub task_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct DayItem {
    pub campaign_id: i64,
    pub campaign_name: String,
    pub customer_id: i64,
    pub customer_name: String,
    pub tier: String,
    pub stage: String,
    pub due_on: NaiveDate,
    pub overdue: bool,
    pub reasons: Vec<DayReason>,
}

#[derive(Serialize, ToSchema)]
pub struct StaleItem {
    pub request_id: i64,
    pub campaign_id: i64,
    pub item: String,
}

#[derive(Serialize, ToSchema)]
pub struct DayOut {
    pub rep_email: String,
    pub date: NaiveDate,
    /// Tasks and next actions due today or overdue, and new members, in outreach order (S first).
    pub items: Vec<DayItem>,
    /// How many more members are due beyond `items` (the day shows the first 200).
    pub more_items: usize,
    /// What comes next (shown when nothing is due).
    pub upcoming: Vec<DayItem>,
    /// Delivered collateral of one's requests that went stale (版本过期).
    pub stale_collateral: Vec<StaleItem>,
}

fn day_item(r: DayRow) -> DayItem {
    let overdue = r.overdue();
    DayItem {
        campaign_id: r.member.campaign_id,
        campaign_name: r.member.campaign_name,
        customer_id: r.member.customer_id,
        customer_name: r.member.customer_name,
        tier: r.member.tier,
        stage: r.member.stage.as_str().to_owned(),
        due_on: r.due_on,
        overdue,
        reasons: r
            .why
            .into_iter()
            .map(|w| match w {
                Why::Task { id, action, what, due_on, overdue } => DayReason {
                    kind: "task".to_owned(),
                    action: Some(action),
                    what: Some(what),
                    due_on: Some(due_on),
                    due_at: None,
                    overdue,
                    task_id: Some(id),
                },
                Why::NextAction { on, at, what, overdue } => DayReason {
                    kind: "next_action".to_owned(),
                    action: None,
                    what: Some(what),
                    due_on: Some(on),
                    due_at: at,
                    overdue,
                    task_id: None,
                },
                Why::New => DayReason {
                    kind: "new_member".to_owned(),
                    action: None,
                    what: None,
                    due_on: None,
                    due_at: None,
                    overdue: false,
                    task_id: None,
                },
            })
            .collect(),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayQuery {
    /// A lead: whose day (a rep's email). A rep: their own.
    pub rep: Option<String>,
}

/// A rep's day (今日跟进) across every active campaign.
#[utoipa::path(get, operation_id = "execution_day", path = "/api/v1/me/day", tag = "execution",
    params(DayQuery),
    responses((status = 200, description = "OK", body = DayOut),
        (status = 404, description = "No such rep", body = ErrorBody), (status = 422, description = "Name the rep", body = ErrorBody), Forbidden))]
pub async fn day(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Query(q): Query<DayQuery>,
) -> Result<Json<DayOut>, ApiError> {
    let d = ops::execution::reports::day(&state.store, &actor, q.rep.as_deref()).await?;
    let upcoming = if d.rows.is_empty() { d.upcoming.into_iter().map(day_item).collect() } else { Vec::new() };
    Ok(Json(DayOut {
        rep_email: d.rep.email,
        date: d.today,
        items: d.rows.into_iter().map(day_item).collect(),
        more_items: d.more,
        upcoming,
        stale_collateral: d
            .stale_requests
            .into_iter()
            .map(|r| StaleItem { request_id: r.id, campaign_id: r.campaign_id, item: r.item })
            .collect(),
    }))
}
