//! Campaign SOP templates (标准作业程序) and past campaigns (活动历史). A
//! campaign starts from a template through `POST /api/v1/campaigns` with
//! `template_id`; `DELETE` retires a template (campaigns that used it keep
//! pointing at it).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::AppState;
use crate::domain::money::fen_to_yuan;
use crate::ops;
use crate::ops::authz::{self, Permission};
use crate::ops::templates::Template;
use crate::store::campaigns::Campaign;
use crate::web::api::review::{MetricOut, metric_out};
use crate::web::api::{EditErrors, Forbidden, List, if_match, parse_body, parse_id};
use crate::web::error::ApiError;
use crate::web::session::ApiAuth;

#[derive(Serialize, ToSchema)]
pub struct PlaybookStepOut {
    /// S, B or C.
    pub tier: String,
    /// The action code (call, visit, invite, push, nurture …).
    pub action: String,
    /// Working days after the start (or the day the member joined).
    pub within_days: u32,
    pub what: String,
}

#[derive(Serialize, ToSchema)]
pub struct ChecklistItemOut {
    /// collateral, demo, logistics, training.
    pub kind: String,
    pub item: String,
    pub quantity: Option<i64>,
    pub person: String,
    pub slot: String,
    pub lead_days: Option<i64>,
    pub details: String,
    /// Needed this many working days before the start; null when undated.
    pub working_days_before_start: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct PhaseRulesOut {
    pub kickoff_after_notice: u32,
    pub breakdown_after_notice: u32,
    pub rollout_after_start: u32,
    pub review_after_end: u32,
}

#[derive(Serialize, ToSchema)]
pub struct RatiosOut {
    /// Customers the source campaign reached: the default reach goal.
    pub reached: i64,
    /// Intent customers per customer reached.
    pub intent_per_reached: Option<f64>,
    /// Orders per intent customer.
    pub orders_per_intent: Option<f64>,
    /// CNY.
    pub average_order_value: Option<f64>,
    /// The `x` of ROI `1:x`.
    pub roi: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct TemplateOut {
    pub id: i64,
    pub name: String,
    /// new_product, trade_show, appreciation, competitive, other.
    pub kind: String,
    pub source_campaign_id: Option<i64>,
    pub source_campaign_name: Option<String>,
    pub theme: String,
    pub selling_points: String,
    pub segment: String,
    pub resource_support: String,
    pub collateral_needs: String,
    pub training_needs: String,
    pub resource_risks: String,
    pub cost_items: String,
    /// CNY.
    pub budget: f64,
    pub playbook: Vec<PlaybookStepOut>,
    pub phase_rules: Option<PhaseRulesOut>,
    pub checklist: Vec<ChecklistItemOut>,
    pub ratios: RatiosOut,
    pub lessons: Vec<String>,
    pub retired: bool,
    pub created_by_name: Option<String>,
    pub created_at: String,
    pub version: i64,
}

fn template_out(t: Template) -> TemplateOut {
    let b = t.body;
    let s = t.stored;
    TemplateOut {
        id: s.id,
        name: s.name,
        kind: s.kind,
        source_campaign_id: s.source_campaign_id,
        source_campaign_name: s.source_campaign_name,
        theme: b.plan.theme,
        selling_points: b.plan.selling_points,
        segment: b.plan.segment,
        resource_support: b.plan.resource_support,
        collateral_needs: b.plan.collateral_needs,
        training_needs: b.plan.training_needs,
        resource_risks: b.plan.resource_risks,
        cost_items: b.plan.cost_items,
        budget: fen_to_yuan(b.plan.budget_fen),
        playbook: b
            .playbook
            .into_iter()
            .map(|p| PlaybookStepOut {
                tier: p.tier.as_str().to_owned(),
                action: p.action.as_str().to_owned(),
                within_days: p.within_days,
                what: p.what,
            })
            .collect(),
        phase_rules: b.phase_rules.map(|r| PhaseRulesOut {
            kickoff_after_notice: r.kickoff_after_notice,
            breakdown_after_notice: r.breakdown_after_notice,
            rollout_after_start: r.rollout_after_start,
            review_after_end: r.review_after_end,
        }),
        checklist: b
            .checklist
            .into_iter()
            .map(|c| ChecklistItemOut {
                kind: c.kind.as_str().to_owned(),
                item: c.item,
                quantity: c.quantity,
                person: c.person,
                slot: c.slot,
                lead_days: c.lead_days,
                details: c.details,
                working_days_before_start: c.working_days_before_start,
            })
            .collect(),
        ratios: RatiosOut {
            reached: b.ratios.reached,
            intent_per_reached: b.ratios.intent_per_reached,
            orders_per_intent: b.ratios.orders_per_intent,
            average_order_value: b.ratios.average_order_fen.map(fen_to_yuan),
            roi: b.ratios.roi,
        },
        lessons: b.lessons,
        retired: s.retired,
        created_by_name: s.created_by_name,
        created_at: s.created_at.to_rfc3339(),
        version: s.version,
    }
}

#[derive(Serialize, ToSchema)]
pub struct TemplateList {
    pub items: Vec<TemplateOut>,
    pub total: i64,
    pub next_cursor: Option<String>,
}

/// A campaign with the goals and results frozen by its held review (null
/// metrics while its review is not held).
#[derive(Serialize, ToSchema)]
pub struct PastCampaignOut {
    pub campaign_id: i64,
    pub name: String,
    pub kind: String,
    /// draft, active, ended, reviewed.
    pub status: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub held_on: Option<NaiveDate>,
    pub metrics: Option<Vec<MetricOut>>,
}

fn past(c: Campaign, metrics: Option<Vec<MetricOut>>, held_on: Option<NaiveDate>) -> PastCampaignOut {
    PastCampaignOut {
        campaign_id: c.id,
        name: c.name,
        kind: c.kind.as_str().to_owned(),
        status: c.status.as_str().to_owned(),
        starts_on: c.starts_on,
        ends_on: c.ends_on,
        held_on,
        metrics,
    }
}

#[derive(Serialize, ToSchema)]
pub struct TemplateDetail {
    #[serde(flatten)]
    pub template: TemplateOut,
    /// Campaigns started from the template, the latest start first, with how they did.
    pub used_by: Vec<PastCampaignOut>,
}

/// The SOP templates, active ones first (everyone on the team).
#[utoipa::path(get, operation_id = "templates_list", path = "/api/v1/campaign-templates", tag = "campaigns",
    responses((status = 200, description = "OK", body = TemplateList)))]
pub async fn list(State(state): State<AppState>, ApiAuth(actor): ApiAuth) -> Result<Json<List<TemplateOut>>, ApiError> {
    let items: Vec<TemplateOut> =
        ops::templates::list(&state.store, &actor).await?.into_iter().map(template_out).collect();
    let total = items.len() as i64;
    Ok(Json(List { items, total, next_cursor: None }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    /// The reviewed campaign to save as a template.
    pub campaign_id: i64,
    /// Default: the campaign's name + " SOP".
    pub name: Option<String>,
}

/// Save a reviewed campaign as an SOP template (marketing, lead, admin):
/// its plan texts, playbook, phase rules, collateral and support checklist,
/// goal ratios from its frozen numbers, and its review's lessons.
#[utoipa::path(post, operation_id = "templates_create", path = "/api/v1/campaign-templates", tag = "campaigns", request_body = TemplateInput,
    responses((status = 201, description = "Created", body = TemplateOut), Forbidden))]
pub async fn create(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<TemplateOut>), ApiError> {
    authz::require(&actor, Permission::ManageCampaigns)?;
    let input = parse_body::<TemplateInput>(&headers, &body)?;
    let id = ops::templates::save_from_campaign(&state.store, &actor, input.campaign_id, input.name.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(template_out(ops::templates::get(&state.store, &actor, id).await?.template))))
}

/// One template and the campaigns that used it.
#[utoipa::path(get, operation_id = "templates_get", path = "/api/v1/campaign-templates/{id}", tag = "campaigns",
    params(("id" = i64, Path, description = "template id")),
    responses((status = 200, description = "OK", body = TemplateDetail)))]
pub async fn get(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<TemplateDetail>, ApiError> {
    let id = parse_id(&id)?;
    let view = ops::templates::get(&state.store, &actor, id).await?;
    let used_by = view
        .used_by
        .into_iter()
        .map(|u| past(u.campaign, u.metrics.map(|m| m.iter().map(metric_out).collect()), None))
        .collect();
    Ok(Json(TemplateDetail { template: template_out(view.template), used_by }))
}

/// Retire a template (marketing, lead, admin): no longer offered for new
/// campaigns; kept for those that used it.
#[utoipa::path(delete, operation_id = "templates_retire", path = "/api/v1/campaign-templates/{id}", tag = "campaigns",
    params(("id" = i64, Path, description = "template id"), ("If-Match" = Option<String>, Header, description = "the version being retired")),
    responses((status = 204, description = "Retired"), EditErrors))]
pub async fn retire(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    authz::require(&actor, Permission::ManageCampaigns)?;
    ops::templates::set_retired(&state.store, &actor, id, if_match(&headers)?, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryFilter {
    /// new_product, trade_show, appreciation, competitive, other; all when absent.
    pub kind: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct HistoryOut {
    /// Reviewed campaigns, the latest end first, with their frozen metrics.
    pub reviewed: Vec<PastCampaignOut>,
    /// Ended campaigns whose review is not held yet (no final numbers).
    pub unreviewed: Vec<PastCampaignOut>,
}

/// Past campaigns by kind: goals, results and achievement rates as frozen
/// when each review was held.
#[utoipa::path(get, operation_id = "campaigns_history", path = "/api/v1/campaigns/history", tag = "campaigns",
    params(HistoryFilter),
    responses((status = 200, description = "OK", body = HistoryOut)))]
pub async fn history(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Query(f): Query<HistoryFilter>,
) -> Result<Json<HistoryOut>, ApiError> {
    let view = ops::history::history(&state.store, &actor, f.kind.as_deref()).await?;
    Ok(Json(HistoryOut {
        reviewed: view
            .reviewed
            .into_iter()
            .map(|p| past(p.campaign, Some(p.metrics.iter().map(metric_out).collect()), p.held_on))
            .collect(),
        unreviewed: view.unreviewed.into_iter().map(|c| past(c, None, None)).collect(),
    }))
}
