//! Blockers (卡点): raised, decided, escalated and answered.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::members::when;
use crate::app::AppState;
use crate::ops;
use crate::ops::authz::{self, Permission};
use crate::ops::execution::blockers::Act;
use crate::store::execution::blockers::Blocker;
use crate::web::api::{EditErrors, Forbidden};
use crate::web::api::{List, if_match, parse_body, parse_id};
use crate::web::error::ApiError;
use crate::web::session::ApiAuth;

#[derive(Serialize, ToSchema)]
pub struct BlockerOut {
    pub id: i64,
    pub campaign_id: i64,
    pub campaign_name: String,
    /// The member's customer, when the blocker is about one member.
    pub customer_id: Option<i64>,
    pub customer_name: Option<String>,
    pub text: String,
    /// open, escalated, decided or answered.
    pub status: String,
    pub raised_by_email: Option<String>,
    pub raised_by_name: Option<String>,
    pub decision: String,
    pub decided_by_name: Option<String>,
    pub reply_by: Option<NaiveDate>,
    pub answer: String,
    pub answered_by_name: Option<String>,
    pub created_at: String,
    pub version: i64,
}

pub fn blocker_out(b: Blocker) -> BlockerOut {
    BlockerOut {
        id: b.id,
        campaign_id: b.campaign_id,
        campaign_name: b.campaign_name,
        customer_id: b.customer_id,
        customer_name: b.customer_name,
        text: b.text,
        status: b.status.as_str().to_owned(),
        raised_by_email: b.raised_by_email,
        raised_by_name: b.raised_by_name,
        decision: b.decision,
        decided_by_name: b.decided_by_name,
        reply_by: b.reply_by,
        answer: b.answer,
        answered_by_name: b.answered_by_name,
        created_at: when(Some(b.created_at)).unwrap_or_default(),
        version: b.version,
    }
}

#[derive(Serialize, ToSchema)]
pub struct BlockerList {
    pub items: Vec<BlockerOut>,
    pub total: i64,
    pub next_cursor: Option<String>,
}

fn list_of(items: Vec<Blocker>) -> List<BlockerOut> {
    let items: Vec<BlockerOut> = items.into_iter().map(blocker_out).collect();
    let total = items.len() as i64;
    List { items, total, next_cursor: None }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BlockerFilter {
    /// `true`: only open and escalated ones.
    pub open: Option<bool>,
}

/// A campaign's blockers, newest first.
#[utoipa::path(get, operation_id = "execution_blockers", path = "/api/v1/campaigns/{id}/blockers", tag = "execution",
    params(("id" = i64, Path, description = "campaign id"), BlockerFilter),
    responses((status = 200, description = "OK", body = BlockerList)))]
pub async fn of_campaign(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    Query(f): Query<BlockerFilter>,
) -> Result<Json<List<BlockerOut>>, ApiError> {
    let id = parse_id(&id)?;
    let open = f.open.unwrap_or(false);
    Ok(Json(list_of(ops::execution::blockers::of_campaign(&state.store, &actor, id, open).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlockerInput {
    /// e.g. 客户要求延长活动期限.
    pub text: String,
    /// The member it is about, if any.
    pub customer_id: Option<i64>,
}

/// Raise a blocker on a campaign or one of its members (anyone on the campaign).
#[utoipa::path(post, operation_id = "execution_raise_blocker", path = "/api/v1/campaigns/{id}/blockers", tag = "execution",
    request_body = BlockerInput, params(("id" = i64, Path, description = "campaign id")),
    responses((status = 201, description = "Created", body = BlockerOut), Forbidden))]
pub async fn raise(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<BlockerOut>), ApiError> {
    let id = parse_id(&id)?;
    authz::require(&actor, Permission::RaiseBlockers)?;
    ops::campaigns::readable(&state.store, &actor, id).await?;
    let input: BlockerInput = parse_body(&headers, &body)?;
    let b = ops::execution::blockers::raise(&state.store, &actor, id, input.customer_id, &input.text).await?;
    Ok((StatusCode::CREATED, Json(blocker_out(b))))
}

/// Escalations waiting for management's answer, across campaigns.
#[utoipa::path(get, operation_id = "execution_escalations", path = "/api/v1/blockers/escalated", tag = "execution",
    responses((status = 200, description = "OK", body = BlockerList)))]
pub async fn escalated(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
) -> Result<Json<List<BlockerOut>>, ApiError> {
    Ok(Json(list_of(ops::execution::blockers::escalated(&state.store, &actor).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    pub decision: String,
    pub version: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationInput {
    /// The day management is asked to answer by.
    pub reply_by: Option<NaiveDate>,
    pub version: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    pub answer: String,
    pub version: Option<i64>,
}

/// Authorization and visibility before the body is read.
async fn check(
    state: &AppState,
    actor: &crate::ops::authz::Actor,
    id: i64,
    permission: Permission,
) -> Result<(), ApiError> {
    authz::require(actor, permission)?;
    ops::execution::blockers::get(&state.store, actor, id).await?;
    Ok(())
}

/// One step of a blocker's flow: permission and visibility before the body
/// is read, then the act with the version from `If-Match` or the body.
async fn act_on<I: serde::de::DeserializeOwned>(
    state: &AppState,
    actor: &crate::ops::authz::Actor,
    id: &str,
    headers: &HeaderMap,
    body: &Bytes,
    permission: Permission,
    to_act: impl FnOnce(I) -> (Act, Option<i64>),
) -> Result<Json<BlockerOut>, ApiError> {
    let id = parse_id(id)?;
    check(state, actor, id, permission).await?;
    let (act, body_version) = to_act(parse_body(headers, body)?);
    let version = if_match(headers)?.or(body_version);
    Ok(Json(blocker_out(ops::execution::blockers::act(&state.store, actor, id, act, version).await?)))
}

/// Decide a blocker on the spot (lead, admin); the decision is recorded.
#[utoipa::path(post, operation_id = "execution_decide_blocker", path = "/api/v1/blockers/{id}/decision", tag = "execution",
    request_body = DecisionInput,
    params(("id" = i64, Path, description = "blocker id"), ("If-Match" = Option<String>, Header, description = "the version being edited")),
    responses((status = 200, description = "OK", body = BlockerOut), EditErrors))]
pub async fn decide(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<BlockerOut>, ApiError> {
    act_on(&state, &actor, &id, &headers, &body, Permission::RunCampaigns, |input: DecisionInput| {
        (Act::Decide { decision: input.decision }, input.version)
    })
    .await
}

/// Escalate a blocker to management with a reply-by date (lead, admin).
#[utoipa::path(post, operation_id = "execution_escalate_blocker", path = "/api/v1/blockers/{id}/escalation", tag = "execution",
    request_body = EscalationInput,
    params(("id" = i64, Path, description = "blocker id"), ("If-Match" = Option<String>, Header, description = "the version being edited")),
    responses((status = 200, description = "OK", body = BlockerOut), EditErrors))]
pub async fn escalate(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<BlockerOut>, ApiError> {
    act_on(&state, &actor, &id, &headers, &body, Permission::RunCampaigns, |input: EscalationInput| {
        (Act::Escalate { reply_by: input.reply_by }, input.version)
    })
    .await
}

/// Answer an escalated blocker (management, 上级).
#[utoipa::path(post, operation_id = "execution_answer_blocker", path = "/api/v1/blockers/{id}/answer", tag = "execution",
    request_body = AnswerInput,
    params(("id" = i64, Path, description = "blocker id"), ("If-Match" = Option<String>, Header, description = "the version being edited")),
    responses((status = 200, description = "OK", body = BlockerOut), EditErrors))]
pub async fn answer(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<BlockerOut>, ApiError> {
    act_on(&state, &actor, &id, &headers, &body, Permission::AnswerEscalations, |input: AnswerInput| {
        (Act::Answer { answer: input.answer }, input.version)
    })
    .await
}

/// One blocker.
#[utoipa::path(get, operation_id = "execution_blocker", path = "/api/v1/blockers/{id}", tag = "execution",
    params(("id" = i64, Path, description = "blocker id")),
    responses((status = 200, description = "OK", body = BlockerOut)))]
pub async fn get(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<BlockerOut>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(blocker_out(ops::execution::blockers::get(&state.store, &actor, id).await?)))
}
