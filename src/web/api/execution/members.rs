//! A campaign member: its stage, assignee and next action; claims, a lead's
//! reassignment and stage corrections; the target list as a spreadsheet.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::follow_ups::{FollowUpOut, follow_up_out};
use super::{china_time, optional_fen};
use crate::app::AppState;
use crate::domain::money::fen_to_yuan;
use crate::ops;
use crate::ops::authz::{self, Permission};
use crate::store::execution::{MemberFilter, MemberRecord};
use crate::web::api::Forbidden;
use crate::web::api::{ErrorBody, parse_body, parse_id};
use crate::web::error::ApiError;
use crate::web::session::ApiAuth;

#[derive(Serialize, ToSchema)]
pub struct TaskOut {
    pub id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub tier: String,
    pub assignee_email: Option<String>,
    /// phone, visit, invite, push or nurture.
    pub action: String,
    pub what: String,
    pub due_on: NaiveDate,
    /// open, done or cancelled.
    pub status: String,
    /// The follow-up that completed it.
    pub follow_up_id: Option<i64>,
}

pub fn task_out(t: crate::store::execution::tasks::Task) -> TaskOut {
    TaskOut {
        id: t.id,
        customer_id: t.customer_id,
        customer_name: t.customer_name,
        tier: t.tier,
        assignee_email: t.assignee_email,
        action: t.action.as_str().to_owned(),
        what: t.what,
        due_on: t.due_on,
        status: t.status,
        follow_up_id: t.follow_up_id,
    }
}

#[derive(Serialize, ToSchema)]
pub struct MemberDetail {
    pub campaign_id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub industry: String,
    pub region: String,
    /// S, B or C as of the campaign's start.
    pub tier: String,
    /// targeted, contacted, intent (意向), ordered (成交) or lost.
    pub stage: String,
    pub assignee_email: Option<String>,
    /// True when a lead assigned it (it no longer follows the customer's owner).
    pub assigned_explicitly: bool,
    pub contacted_on: Option<NaiveDate>,
    pub intent_on: Option<NaiveDate>,
    pub ordered_on: Option<NaiveDate>,
    /// CNY, with `ordered`.
    pub order_amount: Option<f64>,
    pub lost_reason: Option<String>,
    pub next_action_on: Option<NaiveDate>,
    /// `HH:MM`.
    pub next_action_at: Option<String>,
    pub next_action: String,
    pub last_follow_up: Option<FollowUpOut>,
    /// The playbook's tasks of this member.
    pub tasks: Vec<TaskOut>,
    /// Open blockers on this member.
    pub open_blockers: i64,
    pub version: i64,
}

pub fn member_out(m: MemberRecord) -> MemberDetail {
    MemberDetail {
        campaign_id: m.campaign_id,
        customer_id: m.customer_id,
        customer_name: m.customer_name,
        industry: m.industry,
        region: m.region,
        tier: m.tier,
        stage: m.stage.as_str().to_owned(),
        assignee_email: m.assignee_email,
        assigned_explicitly: m.assigned_explicitly,
        contacted_on: m.contacted_on,
        intent_on: m.intent_on,
        ordered_on: m.ordered_on,
        order_amount: m.order_amount_fen.map(fen_to_yuan),
        lost_reason: m.lost_reason,
        next_action_on: m.next_action_on,
        next_action_at: m.next_action_at,
        next_action: m.next_action,
        last_follow_up: None,
        tasks: Vec::new(),
        open_blockers: 0,
        version: m.version,
    }
}

/// One member of the target list with its stage, assignee, next action,
/// latest follow-up and tasks. A rep sees their own members and the
/// unassigned ones of their region.
#[utoipa::path(get, operation_id = "execution_member", path = "/api/v1/campaigns/{id}/members/{customer_id}", tag = "execution",
    params(("id" = i64, Path, description = "campaign id"), ("customer_id" = i64, Path, description = "customer id")),
    responses((status = 200, description = "OK", body = MemberDetail)))]
pub async fn get(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path((id, customer_id)): Path<(String, String)>,
) -> Result<Json<MemberDetail>, ApiError> {
    let (id, customer_id) = (parse_id(&id)?, parse_id(&customer_id)?);
    let view = ops::execution::members::get(&state.store, &actor, id, customer_id).await?;
    let mut out = member_out(view.member);
    out.last_follow_up = view.last_follow_up.map(follow_up_out);
    out.tasks = view.tasks.into_iter().map(task_out).collect();
    out.open_blockers = view.blockers.iter().filter(|b| b.status.is_open()).count() as i64;
    Ok(Json(out))
}

/// Claim an unassigned member of one's region (reps). When two reps claim the
/// same member, one wins; the other gets 409 naming who holds it.
#[utoipa::path(post, operation_id = "execution_claim", path = "/api/v1/campaigns/{id}/members/{customer_id}/claim", tag = "execution",
    params(("id" = i64, Path, description = "campaign id"), ("customer_id" = i64, Path, description = "customer id")),
    responses((status = 200, description = "Yours now", body = MemberDetail), (status = 409, description = "Someone holds it; the message names them", body = ErrorBody), Forbidden))]
pub async fn claim(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path((id, customer_id)): Path<(String, String)>,
) -> Result<Json<MemberDetail>, ApiError> {
    let (id, customer_id) = (parse_id(&id)?, parse_id(&customer_id)?);
    Ok(Json(member_out(ops::execution::members::claim(&state.store, &actor, id, customer_id).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssigneeInput {
    /// An active rep; null puts the member in the unassigned pool.
    pub assignee_email: Option<String>,
}

/// Reassign one member (lead, admin); its open tasks move with it.
#[utoipa::path(put, operation_id = "execution_set_assignee", path = "/api/v1/campaigns/{id}/members/{customer_id}/assignee", tag = "execution",
    request_body = AssigneeInput,
    params(("id" = i64, Path, description = "campaign id"), ("customer_id" = i64, Path, description = "customer id")),
    responses((status = 200, description = "OK", body = MemberDetail), Forbidden))]
pub async fn set_assignee(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path((id, customer_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<MemberDetail>, ApiError> {
    let (id, customer_id) = (parse_id(&id)?, parse_id(&customer_id)?);
    authz::require(&actor, Permission::RunCampaigns)?;
    ops::execution::visible_member(&state.store, &actor, id, customer_id).await?;
    let input: AssigneeInput = parse_body(&headers, &body)?;
    let m = ops::execution::members::reassign(&state.store, &actor, id, customer_id, input.assignee_email.as_deref())
        .await?;
    Ok(Json(member_out(m)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageInput {
    pub stage: String,
    /// CNY, with `ordered`.
    pub order_amount: Option<f64>,
    /// With `lost`: one of the team's reasons.
    pub lost_reason: Option<String>,
}

/// Correct a member's stage, in any direction (lead, admin); recorded in the audit trail.
#[utoipa::path(put, operation_id = "execution_set_stage", path = "/api/v1/campaigns/{id}/members/{customer_id}/stage", tag = "execution",
    request_body = StageInput,
    params(("id" = i64, Path, description = "campaign id"), ("customer_id" = i64, Path, description = "customer id")),
    responses((status = 200, description = "OK", body = MemberDetail), Forbidden))]
pub async fn set_stage(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path((id, customer_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<MemberDetail>, ApiError> {
    let (id, customer_id) = (parse_id(&id)?, parse_id(&customer_id)?);
    authz::require(&actor, Permission::RunCampaigns)?;
    ops::execution::visible_member(&state.store, &actor, id, customer_id).await?;
    let input: StageInput = parse_body(&headers, &body)?;
    let m = ops::execution::members::correct_stage(
        &state.store,
        &actor,
        id,
        customer_id,
        &input.stage,
        optional_fen(input.order_amount),
        input.lost_reason.as_deref(),
    )
    .await?;
    Ok(Json(member_out(m)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReassignInput {
    /// Only members of this tier (S, B, C).
    pub tier: Option<String>,
    /// Only members in this stage.
    pub stage: Option<String>,
    /// Only customers of this region.
    pub region: Option<String>,
    /// Only members now held by this rep.
    pub from_email: Option<String>,
    /// Only unassigned members.
    #[serde(default)]
    pub unassigned: bool,
    /// The rep they go to; null puts them in the pool.
    pub to_email: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Reassigned {
    /// Members moved.
    pub count: i64,
}

/// Reassign every member matching a filter (lead, admin); open tasks move with them.
#[utoipa::path(post, operation_id = "execution_reassign", path = "/api/v1/campaigns/{id}/members/reassign", tag = "execution",
    request_body = ReassignInput, params(("id" = i64, Path, description = "campaign id")),
    responses((status = 200, description = "OK", body = Reassigned), Forbidden))]
pub async fn reassign(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Reassigned>, ApiError> {
    let id = parse_id(&id)?;
    ops::execution::check_run(&state.store, &actor, id).await?;
    let input: ReassignInput = parse_body(&headers, &body)?;
    let stage = match input.stage.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(
            s.parse().map_err(|e: crate::domain::execution::UnknownCode| ApiError::invalid("stage", e.to_string()))?,
        ),
        None => None,
    };
    let tier = input.tier.filter(|t| !t.is_empty());
    if tier.as_deref().is_some_and(|t| !["S", "B", "C"].contains(&t)) {
        return Err(ApiError::invalid("tier", "tier is S, B or C"));
    }
    let assignee_id = if input.unassigned {
        Some(None)
    } else {
        match input.from_email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
            Some(e) => Some(Some(ops::execution::member_of_team(&state.store, &actor, "from_email", e).await?)),
            None => None,
        }
    };
    let filter =
        MemberFilter { tier, stage, region: input.region.filter(|r| !r.is_empty()), assignee_id, customer_ids: None };
    let count =
        ops::execution::members::reassign_matching(&state.store, &actor, id, filter, input.to_email.as_deref()).await?;
    Ok(Json(Reassigned { count: count as i64 }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportFormat {
    /// `xlsx` (default) or `csv`.
    pub format: Option<String>,
}

/// The target list with each member's stage, as XLSX or CSV (a rep: their part).
#[utoipa::path(get, operation_id = "execution_export_members", path = "/api/v1/campaigns/{id}/members/export", tag = "execution",
    params(("id" = i64, Path, description = "campaign id"), ExportFormat),
    responses((status = 200, description = "The file", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 422, description = "Unknown format", body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    Query(q): Query<ExportFormat>,
) -> Result<axum::response::Response, ApiError> {
    let id = parse_id(&id)?;
    let format = q.format.as_deref().unwrap_or("xlsx");
    let (name, content_type, bytes) = ops::execution::export::members(&state.store, &actor, id, format).await?;
    Ok(download(&name, content_type, bytes))
}

/// A file download with a UTF-8 name (RFC 6266).
pub fn download(name: &str, content_type: &str, bytes: Vec<u8>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let ascii = if name.ends_with(".csv") { "export.csv" } else { "export.xlsx" };
    let disposition =
        format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", crate::web::session::urlencode(name));
    (
        [
            (axum::http::header::CONTENT_TYPE, content_type.to_owned()),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

/// A time for the JSON shapes.
pub fn when(at: Option<chrono::DateTime<chrono::Utc>>) -> Option<String> {
    at.map(china_time)
}
