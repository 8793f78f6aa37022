//! Follow-up records (template 3) on campaign members.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::members::download;
use super::{china_time, optional_fen};
use crate::app::AppState;
use crate::domain::money::fen_to_yuan;
use crate::ops;
use crate::ops::execution::follow_ups::{FollowUpChanges, FollowUpInput, NewContactInput};
use crate::store::execution::follow_ups::{FollowUp, RecentActivity};
use crate::web::api::Stale;
use crate::web::api::{ErrorBody, List, if_match, parse_body, parse_id};
use crate::web::error::ApiError;
use crate::web::session::ApiAuth;

#[derive(Serialize, ToSchema)]
pub struct FollowUpOut {
    pub id: i64,
    pub campaign_id: i64,
    pub customer_id: i64,
    /// The interaction on the customer's timeline.
    pub interaction_id: i64,
    pub contact_id: Option<i64>,
    pub contact_name: Option<String>,
    /// RFC 3339, Asia/Shanghai.
    pub occurred_at: String,
    /// phone, im, email, visit or event.
    pub channel: String,
    pub summary: String,
    /// objection (异议), interest (兴趣) or neutral.
    pub feedback_kind: String,
    /// The customer's own words.
    pub feedback: String,
    pub next_action_on: Option<NaiveDate>,
    pub next_action_at: Option<String>,
    pub next_action: String,
    pub stage_before: String,
    pub stage_after: String,
    /// CNY, when this follow-up recorded the order.
    pub order_amount: Option<f64>,
    pub lost_reason: Option<String>,
    pub created_by_email: Option<String>,
    pub created_by_name: Option<String>,
    pub version: i64,
}

pub fn follow_up_out(f: FollowUp) -> FollowUpOut {
    FollowUpOut {
        id: f.id,
        campaign_id: f.campaign_id,
        customer_id: f.customer_id,
        interaction_id: f.interaction_id,
        contact_id: f.contact_id,
        contact_name: f.contact_name,
        occurred_at: china_time(f.occurred_at),
        channel: f.channel.as_str().to_owned(),
        summary: f.summary,
        feedback_kind: f.feedback_kind.as_str().to_owned(),
        feedback: f.feedback,
        next_action_on: f.next_action_on,
        next_action_at: f.next_action_at,
        next_action: f.next_action,
        stage_before: f.stage_before.as_str().to_owned(),
        stage_after: f.stage_after.as_str().to_owned(),
        order_amount: f.order_amount_fen.map(fen_to_yuan),
        lost_reason: f.lost_reason,
        created_by_email: f.created_by_email,
        created_by_name: f.created_by_name,
        version: f.version,
    }
}

#[derive(Serialize, ToSchema)]
pub struct FollowUpList {
    pub items: Vec<FollowUpOut>,
    pub total: i64,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContact {
    pub name: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub title: String,
}

/// A follow-up as sent.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpInputIo {
    /// RFC 3339; default now; never in the future.
    pub occurred_at: Option<DateTime<FixedOffset>>,
    /// phone, im, email, visit or event.
    pub channel: Option<String>,
    /// One of the customer's contacts.
    pub contact_id: Option<i64>,
    /// Or a new contact, added to the customer.
    pub new_contact: Option<NewContact>,
    pub summary: Option<String>,
    /// objection, interest or neutral (default).
    pub feedback_kind: Option<String>,
    pub feedback: Option<String>,
    /// Not before the follow-up.
    pub next_action_on: Option<NaiveDate>,
    /// `HH:MM`.
    pub next_action_at: Option<String>,
    pub next_action: Option<String>,
    /// The resulting stage (forward only); default: at least `contacted`.
    pub stage: Option<String>,
    /// CNY, with `ordered`.
    pub order_amount: Option<f64>,
    /// With `lost`: one of the team's reasons (GET /api/v1/settings/execution).
    pub lost_reason: Option<String>,
    /// The customer's pain points, as edited (replaces the list).
    pub pain_points: Option<Vec<String>>,
}

impl FollowUpInputIo {
    fn into_input(self) -> FollowUpInput {
        FollowUpInput {
            occurred_at: self.occurred_at.map(|t| t.to_utc()),
            channel: self.channel,
            contact_id: self.contact_id,
            new_contact: self.new_contact.map(|c| NewContactInput { name: c.name, phone: c.phone, title: c.title }),
            summary: self.summary,
            feedback_kind: self.feedback_kind,
            feedback: self.feedback,
            next_action_on: self.next_action_on,
            next_action_at: self.next_action_at,
            next_action: self.next_action,
            stage: self.stage,
            order_amount_fen: optional_fen(self.order_amount),
            lost_reason: self.lost_reason,
            pain_points: self.pain_points,
        }
    }
}

/// The member's follow-ups, newest first.
#[utoipa::path(get, operation_id = "execution_follow_ups", path = "/api/v1/campaigns/{id}/members/{customer_id}/follow-ups", tag = "execution",
    params(("id" = i64, Path, description = "campaign id"), ("customer_id" = i64, Path, description = "customer id")),
    responses((status = 200, description = "OK", body = FollowUpList)))]
pub async fn list(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path((id, customer_id)): Path<(String, String)>,
) -> Result<Json<List<FollowUpOut>>, ApiError> {
    let (id, customer_id) = (parse_id(&id)?, parse_id(&customer_id)?);
    let items: Vec<FollowUpOut> = ops::execution::follow_ups::list(&state.store, &actor, id, customer_id)
        .await?
        .into_iter()
        .map(follow_up_out)
        .collect();
    let total = items.len() as i64;
    Ok(Json(List { items, total, next_cursor: None }))
}

/// Log a follow-up (template 3) on a member: saved as an interaction of the
/// customer, moving the member's stage forward, completing the matching task.
#[utoipa::path(post, operation_id = "execution_create_follow_up", path = "/api/v1/campaigns/{id}/members/{customer_id}/follow-ups", tag = "execution",
    request_body = FollowUpInputIo,
    params(("id" = i64, Path, description = "campaign id"), ("customer_id" = i64, Path, description = "customer id")),
    responses((status = 201, description = "Created", body = FollowUpOut), (status = 403, description = "Your role may not do this, or the member is not yours", body = ErrorBody), (status = 409, description = "The member changed meanwhile", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path((id, customer_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<FollowUpOut>), ApiError> {
    let (id, customer_id) = (parse_id(&id)?, parse_id(&customer_id)?);
    let member = ops::execution::follow_ups::loggable_member(&state.store, &actor, id, customer_id).await?;
    let input: FollowUpInputIo = parse_body(&headers, &body)?;
    if let Some(a) = input.order_amount
        && (!a.is_finite() || a < 0.0)
    {
        return Err(ApiError::invalid("order_amount", "the order amount is CNY from 0"));
    }
    let saved = ops::execution::follow_ups::create_for(&state.store, &actor, member, input.into_input()).await?;
    Ok((StatusCode::CREATED, Json(follow_up_out(saved.follow_up))))
}

/// One follow-up.
#[utoipa::path(get, operation_id = "execution_follow_up", path = "/api/v1/follow-ups/{id}", tag = "execution",
    params(("id" = i64, Path, description = "follow-up id")),
    responses((status = 200, description = "OK", body = FollowUpOut)))]
pub async fn get(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<FollowUpOut>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(follow_up_out(ops::execution::follow_ups::get(&state.store, &actor, id).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpPatch {
    pub occurred_at: Option<DateTime<FixedOffset>>,
    pub channel: Option<String>,
    #[serde(default, deserialize_with = "crate::web::api::present")]
    #[schema(value_type = Option<i64>)]
    pub contact_id: Option<Option<i64>>,
    pub summary: Option<String>,
    pub feedback_kind: Option<String>,
    pub feedback: Option<String>,
    #[serde(default, deserialize_with = "crate::web::api::present")]
    #[schema(value_type = Option<NaiveDate>)]
    pub next_action_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "crate::web::api::present")]
    #[schema(value_type = Option<String>)]
    pub next_action_at: Option<Option<String>>,
    pub next_action: Option<String>,
    pub version: Option<i64>,
}

/// Correct a follow-up (its author, or a lead); versioned and audited. The
/// stage is corrected on the member instead.
#[utoipa::path(patch, operation_id = "execution_update_follow_up", path = "/api/v1/follow-ups/{id}", tag = "execution",
    request_body = FollowUpPatch,
    params(("id" = i64, Path, description = "follow-up id"), ("If-Match" = Option<String>, Header, description = "the version being edited")),
    responses((status = 200, description = "OK", body = FollowUpOut), (status = 403, description = "Not yours to correct", body = ErrorBody), Stale))]
pub async fn update(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<FollowUpOut>, ApiError> {
    let id = parse_id(&id)?;
    ops::execution::follow_ups::check_editable(&state.store, &actor, id).await?;
    let p: FollowUpPatch = parse_body(&headers, &body)?;
    let version = if_match(&headers)?.or(p.version);
    let changes = FollowUpChanges {
        occurred_at: p.occurred_at.map(|t| t.to_utc()),
        channel: p.channel,
        contact_id: p.contact_id,
        summary: p.summary,
        feedback_kind: p.feedback_kind,
        feedback: p.feedback,
        next_action_on: p.next_action_on,
        next_action_at: p.next_action_at,
        next_action: p.next_action,
    };
    let f = ops::execution::follow_ups::update(&state.store, &actor, id, version, changes).await?;
    Ok(Json(follow_up_out(f)))
}

/// Delete a follow-up and its interaction (admins only; the audit trail keeps it).
#[utoipa::path(delete, operation_id = "execution_delete_follow_up", path = "/api/v1/follow-ups/{id}", tag = "execution",
    params(("id" = i64, Path, description = "follow-up id")),
    responses((status = 204, description = "Deleted"), (status = 403, description = "Admins only", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    ops::execution::follow_ups::delete(&state.store, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct RecentOut {
    pub interaction_id: i64,
    pub occurred_on: NaiveDate,
    pub occurred_at: Option<String>,
    pub channel: String,
    /// inquiry, call, visit, email, message or order.
    pub kind: String,
    pub note: String,
    pub by_name: Option<String>,
    /// The author's role (service, lead, rep …).
    pub by_role: Option<String>,
    /// The campaign it was logged in, if any.
    pub campaign_name: Option<String>,
    pub feedback_kind: Option<String>,
    pub feedback: Option<String>,
}

fn recent_out(r: RecentActivity) -> RecentOut {
    RecentOut {
        interaction_id: r.interaction_id,
        occurred_on: r.occurred_on,
        occurred_at: r.occurred_at,
        channel: r.channel.as_str().to_owned(),
        kind: r.kind.as_str().to_owned(),
        note: r.note,
        by_name: r.by_name,
        by_role: r.by_role,
        campaign_name: r.campaign_name,
        feedback_kind: r.feedback_kind.map(|k| k.as_str().to_owned()),
        feedback: r.feedback,
    }
}

#[derive(Serialize, ToSchema)]
pub struct RecentList {
    pub items: Vec<RecentOut>,
}

/// What anyone logged for the member's customer in the last 30 days, in any
/// campaign or outside one: read it before reaching the customer.
#[utoipa::path(get, operation_id = "execution_recent", path = "/api/v1/campaigns/{id}/members/{customer_id}/recent", tag = "execution",
    params(("id" = i64, Path, description = "campaign id"), ("customer_id" = i64, Path, description = "customer id")),
    responses((status = 200, description = "OK", body = RecentList)))]
pub async fn recent(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path((id, customer_id)): Path<(String, String)>,
) -> Result<Json<RecentList>, ApiError> {
    let (id, customer_id) = (parse_id(&id)?, parse_id(&customer_id)?);
    let items = ops::execution::follow_ups::recent(&state.store, &actor, id, customer_id).await?;
    Ok(Json(RecentList { items: items.into_iter().map(recent_out).collect() }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportFilter {
    /// Only the follow-ups on this rep's members (a rep: always their own).
    pub rep: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// The campaign's follow-up records as template 3 (客户跟进记录表, XLSX).
#[utoipa::path(get, operation_id = "execution_export_follow_ups", path = "/api/v1/campaigns/{id}/follow-ups/export", tag = "execution",
    params(("id" = i64, Path, description = "campaign id"), ExportFilter),
    responses((status = 200, description = "The XLSX file", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 422, description = "Invalid filter", body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    Query(q): Query<ExportFilter>,
) -> Result<axum::response::Response, ApiError> {
    let id = parse_id(&id)?;
    let filter = ops::execution::export::FollowUpFilter { rep_email: q.rep, from: q.from, to: q.to };
    let (name, bytes) = ops::execution::export::follow_ups_xlsx(&state.store, &actor, id, filter).await?;
    Ok(download(&name, crate::web::api::imports::XLSX_MIME, bytes))
}
