//! Campaign planning: the plan (template 1) with its phase deadlines and
//! milestones, and the planning spreadsheets. The target list and the
//! breakdown are in the submodules.

pub mod breakdown;
pub mod members;
pub mod notice;

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
use crate::ops::campaigns::{CampaignFields, CampaignView, PhaseStatus};
use crate::store::campaigns::Campaign as Stored;
use crate::web::api::{List, if_match, parse_body, parse_id, yuan_to_fen};
use crate::web::error::ApiError;
use crate::web::session::ApiAuth;

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Goals {
    /// Customers reached (触达客户数).
    pub reached: Option<i64>,
    /// Intent customers (意向客户).
    pub intent_customers: Option<i64>,
    pub orders: Option<i64>,
    /// CNY.
    pub sales_amount: Option<f64>,
    /// Return on investment as a ratio: 3 means 1:3.
    pub roi: Option<f64>,
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Owners {
    /// 销售负责人.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub lead_email: Option<Option<String>>,
    /// 市场部对接人.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub marketing_email: Option<Option<String>>,
    /// 客服负责人.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub service_email: Option<Option<String>>,
}

/// The plan (template 1). On edit, absent fields keep their value.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CampaignInput {
    pub name: Option<String>,
    /// new_product, trade_show, appreciation, competitive or other (or 新品促销 …).
    pub kind: Option<String>,
    /// draft, active, ended, reviewed (one step at a time).
    pub status: Option<String>,
    pub theme: Option<String>,
    pub selling_points: Option<String>,
    /// Target customers in the segment language.
    pub segment: Option<String>,
    /// The marketing notice's date (phase 1 and 2 deadlines count from it).
    pub announced_on: Option<NaiveDate>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub resource_support: Option<String>,
    pub goals: Option<Goals>,
    pub owners: Option<Owners>,
    pub collateral_needs: Option<String>,
    pub training_needs: Option<String>,
    pub resource_risks: Option<String>,
    /// CNY.
    pub budget: Option<f64>,
    pub cost_items: Option<String>,
    pub notes: Option<String>,
    /// The marketing notice the plan was read from (see `POST /api/v1/campaigns/parse-notice`):
    /// given on creation; an update may repeat it but not change it.
    pub notice_text: Option<String>,
    /// On creation: start from this SOP template (`/api/v1/campaign-templates`):
    /// fields not given come from it — the plan's texts, goals from its ratios
    /// for the reach goal, its lessons as notes — and the campaign gets its
    /// playbook, phase rules and collateral/support checklist.
    pub template_id: Option<i64>,
    pub version: Option<i64>,
    /// Make the campaign active although items of its pre-rollout checklist
    /// are not confirmed (the override is recorded).
    #[serde(default)]
    pub confirm_unready: bool,
}

impl CampaignInput {
    fn fields(self) -> Result<(CampaignFields, Option<i64>), ApiError> {
        let goals = self.goals.unwrap_or_default();
        let owners = self.owners.unwrap_or_default();
        Ok((
            CampaignFields {
                name: self.name,
                kind: self.kind,
                status: self.status,
                theme: self.theme,
                selling_points: self.selling_points,
                segment: self.segment,
                announced_on: self.announced_on,
                starts_on: self.starts_on,
                ends_on: self.ends_on,
                resource_support: self.resource_support,
                goal_reached: goals.reached,
                goal_intent: goals.intent_customers,
                goal_orders: goals.orders,
                goal_sales_fen: goals.sales_amount.map(|v| yuan_to_fen("goals.sales_amount", v)).transpose()?,
                goal_roi: goals.roi,
                lead_email: owners.lead_email,
                marketing_email: owners.marketing_email,
                service_email: owners.service_email,
                collateral_needs: self.collateral_needs,
                training_needs: self.training_needs,
                resource_risks: self.resource_risks,
                budget_fen: self.budget.map(|v| yuan_to_fen("budget", v)).transpose()?,
                cost_items: self.cost_items,
                notes: self.notes,
                notice_text: self.notice_text,
                template_id: self.template_id,
            },
            self.version,
        ))
    }
}

#[derive(Serialize, ToSchema)]
pub struct PhaseOut {
    pub number: u8,
    /// The phase's name (启动与目标锚定, 任务拆解与资源匹配, 执行落地与客户触达, 复盘优化与经验沉淀).
    pub name: String,
    /// kickoff, breakdown, rollout, review.
    pub key: String,
    pub due_on: NaiveDate,
    /// The milestone that completes it.
    pub milestone: String,
    pub planned_on: Option<NaiveDate>,
    pub done_on: Option<NaiveDate>,
    /// done, overdue, due_soon (today or the next working day), on_track.
    pub urgency: String,
    /// Years whose holiday schedule is not imported yet (Mon–Fri assumed).
    pub assumed_years: Vec<i32>,
}

#[derive(Serialize, ToSchema)]
pub struct Campaign {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub status: String,
    pub theme: String,
    pub selling_points: String,
    pub segment: String,
    pub announced_on: NaiveDate,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub resource_support: String,
    pub goals: Goals,
    pub collateral_needs: String,
    pub training_needs: String,
    pub resource_risks: String,
    pub budget: f64,
    pub cost_items: String,
    pub notes: String,
    /// The marketing notice the plan was read from ("" when none).
    pub notice_text: String,
    /// The SOP template the campaign was started from.
    pub template_id: Option<i64>,
    pub phases: Vec<PhaseOut>,
    pub version: i64,
}

pub fn phase_name(key: &str) -> &'static str {
    match key {
        "kickoff" => "启动与目标锚定",
        "breakdown" => "任务拆解与资源匹配",
        "rollout" => "执行落地与客户触达",
        _ => "复盘优化与经验沉淀",
    }
}

fn phase_out(p: PhaseStatus) -> PhaseOut {
    PhaseOut {
        number: p.phase.number,
        name: phase_name(p.phase.key).to_owned(),
        key: p.phase.key.to_owned(),
        due_on: p.phase.due_on,
        milestone: p.milestone.to_owned(),
        planned_on: p.planned_on,
        done_on: p.done_on,
        urgency: serde_json::to_value(p.urgency).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
        assumed_years: p.phase.assumed_years,
    }
}

fn to_api(view: CampaignView) -> Campaign {
    let c: Stored = view.campaign;
    Campaign {
        id: c.id,
        name: c.name,
        kind: c.kind.as_str().to_owned(),
        status: c.status.as_str().to_owned(),
        theme: c.theme,
        selling_points: c.selling_points,
        segment: c.segment,
        announced_on: c.announced_on,
        starts_on: c.starts_on,
        ends_on: c.ends_on,
        resource_support: c.resource_support,
        goals: Goals {
            reached: Some(c.goal_reached),
            intent_customers: Some(c.goal_intent),
            orders: Some(c.goal_orders),
            sales_amount: Some(fen_to_yuan(c.goal_sales_fen)),
            roi: Some(c.goal_roi),
        },
        collateral_needs: c.collateral_needs,
        training_needs: c.training_needs,
        resource_risks: c.resource_risks,
        budget: fen_to_yuan(c.budget_fen),
        cost_items: c.cost_items,
        notes: c.notes,
        notice_text: c.notice_text,
        template_id: c.template_id,
        phases: view.phases.into_iter().map(phase_out).collect(),
        version: c.version,
    }
}

#[derive(Serialize, ToSchema)]
pub struct CampaignList {
    pub items: Vec<Campaign>,
    pub total: i64,
    pub next_cursor: Option<String>,
}

/// All campaigns, newest start first (every role may read them).
#[utoipa::path(get, operation_id = "campaigns_list", path = "/api/v1/campaigns", tag = "campaigns",
    responses((status = 200, description = "OK", body = CampaignList), (status = 401, description = "No or invalid credentials", body = crate::web::api::ErrorBody)))]
pub async fn list(State(state): State<AppState>, ApiAuth(actor): ApiAuth) -> Result<Json<List<Campaign>>, ApiError> {
    let items: Vec<Campaign> = ops::campaigns::list(&state.store, &actor).await?.into_iter().map(to_api).collect();
    let total = items.len() as i64;
    Ok(Json(List { items, total, next_cursor: None }))
}

/// Create a campaign (marketing, lead, admin); answers with its phase deadlines.
#[utoipa::path(post, operation_id = "campaigns_create", path = "/api/v1/campaigns", tag = "campaigns", request_body = CampaignInput,
    responses((status = 201, description = "Created", body = Campaign), (status = 403, description = "Your role may not do this", body = crate::web::api::ErrorBody),
        (status = 422, description = "Invalid input; the error names the field", body = crate::web::api::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Campaign>), ApiError> {
    crate::ops::authz::require(&actor, crate::ops::authz::Permission::ManageCampaigns)?;
    let (fields, _) = parse_body::<CampaignInput>(&headers, &body)?.fields()?;
    let id = ops::campaigns::create(&state.store, &actor, fields).await?;
    Ok((StatusCode::CREATED, Json(to_api(ops::campaigns::get(&state.store, &actor, id).await?))))
}

/// One campaign with its phases and how each stands today.
#[utoipa::path(get, operation_id = "campaigns_get", path = "/api/v1/campaigns/{id}", tag = "campaigns",
    params(("id" = i64, Path, description = "campaign id")),
    responses((status = 200, description = "OK", body = Campaign), (status = 404, description = "Not found", body = crate::web::api::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<Campaign>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(to_api(ops::campaigns::get(&state.store, &actor, id).await?)))
}

/// Edit the plan (marketing, lead, admin). Stale versions answer 409.
#[utoipa::path(patch, operation_id = "campaigns_update", path = "/api/v1/campaigns/{id}", tag = "campaigns", request_body = CampaignInput,
    params(("id" = i64, Path, description = "campaign id"), ("If-Match" = Option<String>, Header, description = "the version being edited")),
    responses((status = 200, description = "OK", body = Campaign), (status = 403, description = "Your role may not do this", body = crate::web::api::ErrorBody),
        (status = 404, description = "Not found", body = crate::web::api::ErrorBody), (status = 409, description = "Changed meanwhile", body = crate::web::api::ErrorBody),
        (status = 422, description = "Invalid input; the error names the field", body = crate::web::api::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Campaign>, ApiError> {
    let id = parse_id(&id)?;
    ops::campaigns::check_manage(&state.store, &actor, id).await?;
    let input = parse_body::<CampaignInput>(&headers, &body)?;
    let confirm_unready = input.confirm_unready;
    let (fields, version) = input.fields()?;
    let version = if_match(&headers)?.or(version);
    let result = ops::campaigns::update_with(&state.store, &actor, id, version, fields, confirm_unready).await;
    let now = to_api(ops::campaigns::get(&state.store, &actor, id).await?);
    match result {
        Ok(()) => Ok(Json(now)),
        // `current` as GET shows it (`budget`, `goals`, owners' emails), not the stored row.
        Err(crate::ops::OpsError::Stale { current_version, .. }) => {
            Err(ApiError::stale(current_version, serde_json::json!(now)))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneInput {
    pub planned_on: Option<NaiveDate>,
    /// When it actually happened (not in the future).
    pub done_on: Option<NaiveDate>,
}

/// Record a milestone: kickoff_held, collateral_ready, full_rollout, review_held.
#[utoipa::path(put, operation_id = "campaigns_set_milestone", path = "/api/v1/campaigns/{id}/milestones/{key}", tag = "campaigns", request_body = MilestoneInput,
    params(("id" = i64, Path, description = "campaign id"), ("key" = String, Path, description = "milestone")),
    responses((status = 200, description = "OK", body = Campaign), (status = 403, description = "Your role may not do this", body = crate::web::api::ErrorBody),
        (status = 404, description = "Not found", body = crate::web::api::ErrorBody), (status = 422, description = "Invalid input; the error names the field", body = crate::web::api::ErrorBody)))]
pub async fn set_milestone(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path((id, key)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Campaign>, ApiError> {
    let id = parse_id(&id)?;
    ops::campaigns::check_manage(&state.store, &actor, id).await?;
    let input: MilestoneInput = parse_body(&headers, &body)?;
    ops::campaigns::set_milestone(&state.store, &actor, id, &key, input.planned_on, input.done_on).await?;
    Ok(Json(to_api(ops::campaigns::get(&state.store, &actor, id).await?)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportTemplate {
    /// `plan` (市场活动快速响应计划表) or `breakdown` (销售任务分解表).
    pub template: Option<String>,
}

/// The campaign as the team's spreadsheet (XLSX with the template's Chinese headings).
#[utoipa::path(get, operation_id = "campaigns_export", path = "/api/v1/campaigns/{id}/export", tag = "campaigns",
    params(("id" = i64, Path, description = "campaign id"), ExportTemplate),
    responses((status = 200, description = "The XLSX file", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 404, description = "Not found", body = crate::web::api::ErrorBody), (status = 422, description = "Unknown template", body = crate::web::api::ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    Query(q): Query<ExportTemplate>,
) -> Result<axum::response::Response, ApiError> {
    let id = parse_id(&id)?;
    let (name, bytes) =
        ops::campaigns::export::export_template(&state.store, &actor, id, q.template.as_deref().unwrap_or("plan"))
            .await?;
    Ok(xlsx_response(&name, bytes))
}

/// An XLSX download with a UTF-8 file name (RFC 6266).
pub fn xlsx_response(name: &str, bytes: Vec<u8>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let disposition =
        format!("attachment; filename=\"export.xlsx\"; filename*=UTF-8''{}", crate::web::session::urlencode(name));
    (
        [
            (axum::http::header::CONTENT_TYPE, crate::web::api::imports::XLSX_MIME.to_owned()),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}
