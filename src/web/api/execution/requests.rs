//! Collateral and support requests (物料 / 支持) and the pre-rollout checklist.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::members::when;
use crate::app::AppState;
use crate::ops;
use crate::ops::authz::{self, Permission};
use crate::ops::execution::requests::RequestInput;
use crate::store::execution::requests::Request;
use crate::web::api::{ErrorBody, List, if_match, parse_body, parse_id};
use crate::web::api::{Forbidden, Stale};
use crate::web::error::ApiError;
use crate::web::session::ApiAuth;

#[derive(Serialize, ToSchema)]
pub struct RequestOut {
    pub id: i64,
    pub campaign_id: i64,
    pub campaign_name: String,
    /// collateral (物料), demo (技术演示), logistics (物流/样品) or training (培训).
    pub kind: String,
    pub item: String,
    pub quantity: Option<i64>,
    pub needed_by: Option<NaiveDate>,
    pub person: String,
    pub slot: String,
    /// Shipping lead time in days (logistics).
    pub lead_days: Option<i64>,
    pub details: String,
    /// requested, accepted, delivered or declined.
    pub status: String,
    pub decline_reason: String,
    pub delivery_note: String,
    pub requested_by_email: Option<String>,
    pub handled_by_name: Option<String>,
    pub delivered_at: Option<String>,
    /// The campaign revision the delivered item was made for.
    pub delivered_revision: Option<i64>,
    pub campaign_revision: i64,
    /// ready, stale (版本过期: the campaign changed after delivery), pending or declined.
    pub readiness: String,
    pub version: i64,
}

pub fn request_out(r: Request) -> RequestOut {
    let readiness = serde_json::to_value(ops::execution::requests::readiness(&r))
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    RequestOut {
        id: r.id,
        campaign_id: r.campaign_id,
        campaign_name: r.campaign_name,
        kind: r.kind.as_str().to_owned(),
        item: r.item,
        quantity: r.quantity,
        needed_by: r.needed_by,
        person: r.person,
        slot: r.slot,
        lead_days: r.lead_days,
        details: r.details,
        status: r.status.as_str().to_owned(),
        decline_reason: r.decline_reason,
        delivery_note: r.delivery_note,
        requested_by_email: r.requested_by_email,
        handled_by_name: r.handled_by_name,
        delivered_at: when(r.delivered_at),
        delivered_revision: r.delivered_revision,
        campaign_revision: r.campaign_revision,
        readiness,
        version: r.version,
    }
}

#[derive(Serialize, ToSchema)]
pub struct RequestList {
    pub items: Vec<RequestOut>,
    pub total: i64,
    pub next_cursor: Option<String>,
}

fn list_of(items: Vec<Request>) -> List<RequestOut> {
    let items: Vec<RequestOut> = items.into_iter().map(request_out).collect();
    let total = items.len() as i64;
    List { items, total, next_cursor: None }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestInputIo {
    /// collateral, demo, logistics or training.
    pub kind: String,
    /// e.g. 宣传单页, 演示 PPT, 话术, 促销申请表, 产品知识培训.
    pub item: String,
    pub quantity: Option<i64>,
    pub needed_by: Option<NaiveDate>,
    /// Demo: the person; training: the trainer.
    pub person: Option<String>,
    /// Demo or training: the time slot.
    pub slot: Option<String>,
    /// Logistics: shipping lead time in days.
    pub lead_days: Option<i64>,
    pub details: Option<String>,
}

/// The campaign's requests (its pre-rollout checklist, 资源前置确认).
#[utoipa::path(get, operation_id = "execution_requests", path = "/api/v1/campaigns/{id}/requests", tag = "execution",
    params(("id" = i64, Path, description = "campaign id")),
    responses((status = 200, description = "OK", body = RequestList)))]
pub async fn of_campaign(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<List<RequestOut>>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(list_of(ops::execution::requests::of_campaign(&state.store, &actor, id).await?)))
}

/// Request collateral or support for a campaign (rep, lead, admin).
#[utoipa::path(post, operation_id = "execution_create_request", path = "/api/v1/campaigns/{id}/requests", tag = "execution",
    request_body = RequestInputIo, params(("id" = i64, Path, description = "campaign id")),
    responses((status = 201, description = "Created", body = RequestOut), Forbidden))]
pub async fn create(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<RequestOut>), ApiError> {
    let id = parse_id(&id)?;
    authz::require(&actor, Permission::RequestResources)?;
    ops::campaigns::readable(&state.store, &actor, id).await?;
    let i: RequestInputIo = parse_body(&headers, &body)?;
    let input = RequestInput {
        kind: Some(i.kind),
        item: Some(i.item),
        quantity: i.quantity,
        needed_by: i.needed_by,
        person: i.person,
        slot: i.slot,
        lead_days: i.lead_days,
        details: i.details,
    };
    let r = ops::execution::requests::create(&state.store, &actor, id, input).await?;
    Ok((StatusCode::CREATED, Json(request_out(r))))
}

/// The caller's queue: open requests of the kinds their role handles
/// (marketing: collateral and training; support: demos, logistics and
/// training), plus delivered items gone stale.
#[utoipa::path(get, operation_id = "execution_request_queue", path = "/api/v1/requests", tag = "execution",
    responses((status = 200, description = "OK", body = RequestList), (status = 403, description = "Your role has no queue", body = ErrorBody)))]
pub async fn queue(State(state): State<AppState>, ApiAuth(actor): ApiAuth) -> Result<Json<List<RequestOut>>, ApiError> {
    Ok(Json(list_of(ops::execution::requests::queue(&state.store, &actor).await?)))
}

/// One request.
#[utoipa::path(get, operation_id = "execution_request", path = "/api/v1/requests/{id}", tag = "execution",
    params(("id" = i64, Path, description = "request id")),
    responses((status = 200, description = "OK", body = RequestOut)))]
pub async fn get(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<RequestOut>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(request_out(ops::execution::requests::get(&state.store, &actor, id).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestMoveIo {
    /// accepted, delivered (again, to re-deliver a stale item) or declined.
    pub status: String,
    /// With declined.
    pub decline_reason: Option<String>,
    pub delivery_note: Option<String>,
    pub version: Option<i64>,
}

/// Move a request along its queue (the role that handles its kind).
#[utoipa::path(patch, operation_id = "execution_move_request", path = "/api/v1/requests/{id}", tag = "execution",
    request_body = RequestMoveIo,
    params(("id" = i64, Path, description = "request id"), ("If-Match" = Option<String>, Header, description = "the version being edited")),
    responses((status = 200, description = "OK", body = RequestOut), (status = 403, description = "Not your queue", body = ErrorBody), Stale))]
pub async fn update(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<RequestOut>, ApiError> {
    let id = parse_id(&id)?;
    authz::require(&actor, Permission::HandleRequests)?;
    let r = ops::execution::requests::get(&state.store, &actor, id).await?;
    if !r.kind.handled_by(actor.role) {
        return Err(crate::ops::OpsError::Forbidden.into());
    }
    let m: RequestMoveIo = parse_body(&headers, &body)?;
    let version = if_match(&headers)?.or(m.version);
    let r = ops::execution::requests::move_request(
        &state.store,
        &actor,
        id,
        &m.status,
        m.decline_reason.as_deref(),
        m.delivery_note.as_deref(),
        version,
    )
    .await?;
    Ok(Json(request_out(r)))
}
