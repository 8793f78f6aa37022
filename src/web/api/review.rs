//! Phase 4: a campaign's metrics, its cost items, the review (template 4)
//! and its XLSX. Definitions: docs/metrics.md.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::AppState;
use crate::domain::campaign::Urgency;
use crate::domain::money::fen_to_yuan;
use crate::domain::review::metrics::{BreakdownRow, CostItem, Funnel, Unit};
use crate::domain::review::{LineText, ReviewStatus};
use crate::ops;
use crate::ops::review::MetricsView;
use crate::web::api::{ErrorBody, Forbidden, parse_body, parse_id, yuan_to_fen};
use crate::web::error::ApiError;
use crate::web::session::ApiAuth;

/// Money in CNY, counts as they are, ROI as the `x` of `1:x`, conversion as a fraction.
fn value(unit: Unit, v: Option<f64>) -> Option<f64> {
    v.map(|v| if unit == Unit::Fen { v.round() / 100.0 } else { v })
}

#[derive(Serialize, ToSchema)]
pub struct MetricOut {
    /// `reached`, `intent_customers`, `orders`, `sales_amount`, `average_order_value`, `cost`, `roi`, `conversion`.
    pub key: String,
    /// Template 4's Chinese name.
    pub label: String,
    /// CNY for money, the `x` of `1:x` for ROI, a fraction for conversion; null without a goal.
    pub goal: Option<f64>,
    /// null when the records cannot tell (no cost entered, no order yet).
    pub actual: Option<f64>,
    /// actual ÷ goal as a fraction (1.2 = 120%); null without a goal.
    pub achievement: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct FunnelOut {
    pub members: i64,
    pub reached: i64,
    pub intent_customers: i64,
    pub orders: i64,
    /// CNY.
    pub sales_amount: f64,
    /// Intent customers ÷ reached.
    pub reached_to_intent: Option<f64>,
    /// Orders ÷ intent customers.
    pub intent_to_order: Option<f64>,
}

fn funnel_out(f: &Funnel) -> FunnelOut {
    FunnelOut {
        members: f.members,
        reached: f.reached,
        intent_customers: f.intent_customers,
        orders: f.orders,
        sales_amount: fen_to_yuan(f.sales_fen),
        reached_to_intent: f.reached_to_intent,
        intent_to_order: f.intent_to_order,
    }
}

#[derive(Serialize, ToSchema)]
pub struct GroupOut {
    /// The tier, region, channel, partner or source; for reps the rep's name
    /// ("未分配" for the unassigned pool).
    pub key: String,
    #[serde(flatten)]
    pub funnel: FunnelOut,
}

#[derive(Serialize, ToSchema)]
pub struct CostItemIo {
    pub item: String,
    /// CNY; null when the plan names no amount.
    pub planned: Option<f64>,
    /// CNY; null until entered.
    pub actual: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct BurnDayOut {
    pub date: NaiveDate,
    /// Intent customers by the end of the day (cumulative).
    pub intent_customers: i64,
    pub orders: i64,
    /// The goal line: the goal spread evenly over the working days.
    pub intent_goal: f64,
    pub orders_goal: f64,
}

#[derive(Serialize, ToSchema)]
pub struct MetricsOut {
    pub campaign_id: i64,
    /// True once the review is held: these numbers no longer change.
    pub frozen: bool,
    pub metrics: Vec<MetricOut>,
    pub funnel: FunnelOut,
    pub by_tier: Vec<GroupOut>,
    pub by_rep: Vec<GroupOut>,
    pub by_region: Vec<GroupOut>,
    /// By the channel of each member's first follow-up.
    pub by_channel: Vec<GroupOut>,
    pub by_partner: Vec<GroupOut>,
    pub by_source: Vec<GroupOut>,
    pub cost_items: Vec<CostItemIo>,
    /// Per working day of the campaign up to today.
    pub burn_up: Vec<BurnDayOut>,
}

/// One metric as the API gives it.
pub(crate) fn metric_out(m: &crate::domain::review::metrics::Metric) -> MetricOut {
    MetricOut {
        key: m.key.as_str().to_owned(),
        label: m.key.label_zh().to_owned(),
        goal: value(m.key.unit(), m.goal),
        actual: value(m.key.unit(), m.actual),
        achievement: m.achievement,
    }
}

fn cost_out(i: &CostItem) -> CostItemIo {
    CostItemIo { item: i.item.clone(), planned: i.planned_fen.map(fen_to_yuan), actual: i.actual_fen.map(fen_to_yuan) }
}

fn metrics_out(v: &MetricsView) -> MetricsOut {
    let s = &v.snapshot;
    let groups = |rows: &[BreakdownRow], rep: bool| -> Vec<GroupOut> {
        rows.iter()
            .map(|r| GroupOut {
                key: if rep { v.rep_name(&r.key) } else { r.key.clone() },
                funnel: funnel_out(&r.funnel),
            })
            .collect()
    };
    MetricsOut {
        campaign_id: v.campaign.id,
        frozen: v.frozen,
        metrics: s.metrics.iter().map(metric_out).collect(),
        funnel: funnel_out(&s.funnel),
        by_tier: groups(&s.breakdowns.by_tier, false),
        by_rep: groups(&s.breakdowns.by_rep, true),
        by_region: groups(&s.breakdowns.by_region, false),
        by_channel: groups(&s.breakdowns.by_channel, false),
        by_partner: groups(&s.breakdowns.by_partner, false),
        by_source: groups(&s.breakdowns.by_source, false),
        cost_items: s.cost_items.iter().map(cost_out).collect(),
        burn_up: s
            .burn_up
            .iter()
            .map(|d| BurnDayOut {
                date: d.date,
                intent_customers: d.intent_customers,
                orders: d.orders,
                intent_goal: d.intent_goal,
                orders_goal: d.orders_goal,
            })
            .collect(),
    }
}

/// The campaign's metrics against its goals, broken down by tier, rep,
/// region, channel, partner and source; frozen once the review is held.
#[utoipa::path(get, operation_id = "review_metrics", path = "/api/v1/campaigns/{id}/metrics", tag = "review",
    params(("id" = i64, Path, description = "campaign id")),
    responses((status = 200, description = "OK", body = MetricsOut)))]
pub async fn metrics(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<MetricsOut>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(metrics_out(&ops::review::metrics(&state.store, &actor, id).await?)))
}

#[derive(Serialize, ToSchema)]
pub struct CostsOut {
    pub items: Vec<CostItemIo>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CostItemIn {
    pub item: String,
    /// CNY.
    #[serde(default)]
    pub planned: Option<f64>,
    /// CNY actually spent; null until known.
    #[serde(default)]
    pub actual: Option<f64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CostsIn {
    pub items: Vec<CostItemIn>,
}

/// The plan's cost items with their planned and actual amounts (the plan's
/// text read into items until someone enters them).
#[utoipa::path(get, operation_id = "review_costs", path = "/api/v1/campaigns/{id}/costs", tag = "review",
    params(("id" = i64, Path, description = "campaign id")),
    responses((status = 200, description = "OK", body = CostsOut)))]
pub async fn costs(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<CostsOut>, ApiError> {
    let id = parse_id(&id)?;
    let items = ops::review::costs(&state.store, &actor, id).await?;
    Ok(Json(CostsOut { items: items.iter().map(cost_out).collect() }))
}

/// Replace the cost items (the lead or marketing enters what was spent);
/// 409 once the campaign is reviewed.
#[utoipa::path(put, operation_id = "review_set_costs", path = "/api/v1/campaigns/{id}/costs", tag = "review", request_body = CostsIn,
    params(("id" = i64, Path, description = "campaign id")),
    responses((status = 200, description = "OK", body = CostsOut), Forbidden,
        (status = 409, description = "The campaign is reviewed", body = ErrorBody)))]
pub async fn set_costs(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<CostsOut>, ApiError> {
    let id = parse_id(&id)?;
    ops::campaigns::check_manage(&state.store, &actor, id).await?;
    let input: CostsIn = parse_body(&headers, &body)?;
    let mut items = Vec::with_capacity(input.items.len());
    for i in input.items {
        items.push(CostItem {
            item: i.item,
            planned_fen: i.planned.map(|v| yuan_to_fen("items[].planned", v)).transpose()?,
            actual_fen: i.actual.map(|v| yuan_to_fen("items[].actual", v)).transpose()?,
        });
    }
    ops::review::set_costs(&state.store, &actor, id, items).await?;
    let items = ops::review::costs(&state.store, &actor, id).await?;
    Ok(Json(CostsOut { items: items.iter().map(cost_out).collect() }))
}

#[derive(Serialize, ToSchema)]
pub struct ReviewLineOut {
    pub key: String,
    pub label: String,
    pub goal: Option<f64>,
    pub actual: Option<f64>,
    pub achievement: Option<f64>,
    /// As the page and the XLSX show them: `30`, `1:3.5`, `120%`, `21万`.
    pub goal_text: String,
    pub actual_text: String,
    pub achievement_text: String,
    pub highlight: String,
    pub problem: String,
    pub improvement: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReviewOut {
    pub campaign_id: i64,
    /// `pending` (the campaign runs: a preview), `draft`, `held`.
    pub status: String,
    /// Phase 4's deadline (working days after the end).
    pub due_on: NaiveDate,
    /// Past its deadline and not held.
    pub overdue: bool,
    pub held_on: Option<NaiveDate>,
    /// The stored review's version (for `PUT`); null before the draft exists.
    pub version: Option<i64>,
    /// True once held: the numbers no longer change.
    pub frozen: bool,
    pub lines: Vec<ReviewLineOut>,
}

async fn review_out(state: &AppState, actor: &ops::authz::Actor, id: i64) -> Result<ReviewOut, ApiError> {
    let v = ops::review::get(&state.store, actor, id).await?;
    Ok(ReviewOut {
        campaign_id: v.metrics.campaign.id,
        status: match v.status {
            ReviewStatus::Pending => "pending",
            ReviewStatus::Draft => "draft",
            ReviewStatus::Held => "held",
        }
        .to_owned(),
        due_on: v.due_on,
        overdue: v.urgency == Urgency::Overdue && v.status != ReviewStatus::Held,
        held_on: v.held_on,
        version: v.version,
        frozen: v.metrics.frozen,
        lines: v
            .lines
            .iter()
            .map(|l| ReviewLineOut {
                key: l.key.as_str().to_owned(),
                label: l.label.to_owned(),
                goal: value(l.unit, l.goal),
                actual: value(l.unit, l.actual),
                achievement: l.achievement,
                goal_text: l.goal_text(),
                actual_text: l.actual_text(),
                achievement_text: l.achievement_text(),
                highlight: l.highlight.clone(),
                problem: l.problem.clone(),
                improvement: l.improvement.clone(),
            })
            .collect(),
    })
}

/// The campaign's review (活动复盘, template 4): per metric the goal, actual,
/// achievement, highlight, problem and improvement — pre-filled from the
/// records until the lead edits it.
#[utoipa::path(get, operation_id = "review_get", path = "/api/v1/campaigns/{id}/review", tag = "review",
    params(("id" = i64, Path, description = "campaign id")),
    responses((status = 200, description = "OK", body = ReviewOut)))]
pub async fn get(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<ReviewOut>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(review_out(&state, &actor, id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewLineIn {
    /// The metric's key.
    pub key: String,
    #[serde(default)]
    pub highlight: String,
    #[serde(default)]
    pub problem: String,
    #[serde(default)]
    pub improvement: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewIn {
    /// The version read; a newer one answers 409.
    #[serde(default)]
    pub version: Option<i64>,
    /// Lines not given keep their text.
    pub lines: Vec<ReviewLineIn>,
}

/// Save the lead's lines (lead and admin; after the campaign ends).
#[utoipa::path(put, operation_id = "review_save", path = "/api/v1/campaigns/{id}/review", tag = "review", request_body = ReviewIn,
    params(("id" = i64, Path, description = "campaign id")),
    responses((status = 200, description = "OK", body = ReviewOut), Forbidden,
        (status = 409, description = "The campaign has not ended, or the review changed meanwhile", body = ErrorBody)))]
pub async fn save(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ReviewOut>, ApiError> {
    let id = parse_id(&id)?;
    ops::review::check_edit(&state.store, &actor, id).await?;
    let input: ReviewIn = parse_body(&headers, &body)?;
    let lines = input
        .lines
        .into_iter()
        .map(|l| LineText { key: l.key, highlight: l.highlight, problem: l.problem, improvement: l.improvement })
        .collect();
    ops::review::save(&state.store, &actor, id, input.version, lines).await?;
    Ok(Json(review_out(&state, &actor, id).await?))
}

/// The review meeting was held: the numbers freeze, phase 4's milestone is
/// done and the campaign becomes `reviewed` (lead and admin).
#[utoipa::path(post, operation_id = "review_held", path = "/api/v1/campaigns/{id}/review/held", tag = "review",
    params(("id" = i64, Path, description = "campaign id")),
    responses((status = 200, description = "OK", body = ReviewOut), Forbidden,
        (status = 409, description = "The campaign has not ended, or the review was held already", body = ErrorBody)))]
pub async fn held(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<ReviewOut>, ApiError> {
    let id = parse_id(&id)?;
    ops::review::hold(&state.store, &actor, id).await?;
    Ok(Json(review_out(&state, &actor, id).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportFormat {
    /// `xlsx` (the default and only format).
    pub format: Option<String>,
}

/// Template 4 (活动复盘表) as XLSX: 指标, 目标值, 实际值, 达成率, 亮点, 问题, 改进措施.
#[utoipa::path(get, operation_id = "review_export", path = "/api/v1/campaigns/{id}/review/export", tag = "review",
    params(("id" = i64, Path, description = "campaign id"), ExportFormat),
    responses((status = 200, description = "The XLSX file", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 422, description = "Unknown format", body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    Query(q): Query<ExportFormat>,
) -> Result<axum::response::Response, ApiError> {
    let id = parse_id(&id)?;
    ops::campaigns::readable(&state.store, &actor, id).await?;
    match q.format.as_deref().map(str::trim).unwrap_or("xlsx") {
        "xlsx" | "" => {}
        other => return Err(ApiError::invalid("format", format!("{other:?} is not a format (expected xlsx)"))),
    }
    let (name, bytes) = ops::review::export_xlsx(&state.store, &actor, id).await?;
    Ok(super::campaigns::xlsx_response(&name, bytes))
}
