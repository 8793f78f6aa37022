//! The script library (话术).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::AppState;
use crate::ops;
use crate::ops::authz::{self, Permission};
use crate::ops::execution::scripts::ScriptInput;
use crate::store::execution::scripts::Script;
use crate::web::api::{EditErrors, Forbidden};
use crate::web::api::{List, if_match, parse_body, parse_id};
use crate::web::error::ApiError;
use crate::web::session::ApiAuth;

#[derive(Serialize, ToSchema)]
pub struct ScriptOut {
    pub id: i64,
    /// script (话术) or objection (异议应答).
    pub kind: String,
    pub title: String,
    pub body: String,
    pub pain_points: Vec<String>,
    pub industries: Vec<String>,
    /// new_product, trade_show, appreciation, competitive, other; empty: any.
    pub campaign_kinds: Vec<String>,
    pub version: i64,
    /// How many people marked it "helped" (有帮助); see `POST /api/v1/knowledge/{id}/helped`.
    pub helped: i64,
}

fn out(s: Script) -> ScriptOut {
    ScriptOut {
        id: s.id,
        kind: s.kind,
        title: s.title,
        body: s.body,
        pain_points: s.pain_points,
        industries: s.industries,
        campaign_kinds: s.campaign_kinds,
        version: s.version,
        helped: s.helped,
    }
}

#[derive(Serialize, ToSchema)]
pub struct ScriptList {
    pub items: Vec<ScriptOut>,
    pub total: i64,
    pub next_cursor: Option<String>,
}

fn list_of(items: Vec<Script>) -> List<ScriptOut> {
    let items: Vec<ScriptOut> = items.into_iter().map(out).collect();
    let total = items.len() as i64;
    List { items, total, next_cursor: None }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScriptInputIo {
    pub kind: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub pain_points: Option<Vec<String>>,
    pub industries: Option<Vec<String>>,
    pub campaign_kinds: Option<Vec<String>>,
    pub version: Option<i64>,
}

impl ScriptInputIo {
    fn input(self) -> (ScriptInput, Option<i64>) {
        (
            ScriptInput {
                kind: self.kind,
                title: self.title,
                body: self.body,
                pain_points: self.pain_points,
                industries: self.industries,
                campaign_kinds: self.campaign_kinds,
            },
            self.version,
        )
    }
}

/// The whole library.
#[utoipa::path(get, operation_id = "execution_scripts", path = "/api/v1/scripts", tag = "execution",
    responses((status = 200, description = "OK", body = ScriptList)))]
pub async fn list(State(state): State<AppState>, ApiAuth(actor): ApiAuth) -> Result<Json<List<ScriptOut>>, ApiError> {
    Ok(Json(list_of(ops::execution::scripts::list(&state.store, &actor).await?)))
}

/// Add a script or objection answer (marketing, lead, admin).
#[utoipa::path(post, operation_id = "execution_create_script", path = "/api/v1/scripts", tag = "execution", request_body = ScriptInputIo,
    responses((status = 201, description = "Created", body = ScriptOut), Forbidden))]
pub async fn create(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<ScriptOut>), ApiError> {
    authz::require(&actor, Permission::EditScripts)?;
    let (input, _) = parse_body::<ScriptInputIo>(&headers, &body)?.input();
    Ok((StatusCode::CREATED, Json(out(ops::execution::scripts::create(&state.store, &actor, input).await?))))
}

/// Edit a script (marketing, lead, admin).
#[utoipa::path(patch, operation_id = "execution_update_script", path = "/api/v1/scripts/{id}", tag = "execution", request_body = ScriptInputIo,
    params(("id" = i64, Path, description = "script id"), ("If-Match" = Option<String>, Header, description = "the version being edited")),
    responses((status = 200, description = "OK", body = ScriptOut), EditErrors))]
pub async fn update(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ScriptOut>, ApiError> {
    let id = parse_id(&id)?;
    authz::require(&actor, Permission::EditScripts)?;
    let (input, version) = parse_body::<ScriptInputIo>(&headers, &body)?.input();
    let version = if_match(&headers)?.or(version);
    Ok(Json(out(ops::execution::scripts::update(&state.store, &actor, id, version, input).await?)))
}

/// Remove a script (marketing, lead, admin).
#[utoipa::path(delete, operation_id = "execution_delete_script", path = "/api/v1/scripts/{id}", tag = "execution",
    params(("id" = i64, Path, description = "script id")),
    responses((status = 204, description = "Deleted"), Forbidden))]
pub async fn delete(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    ops::execution::scripts::delete(&state.store, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Scripts matching a member's customer (pain points, industry) and the campaign's kind.
#[utoipa::path(get, operation_id = "execution_member_scripts", path = "/api/v1/campaigns/{id}/members/{customer_id}/scripts", tag = "execution",
    params(("id" = i64, Path, description = "campaign id"), ("customer_id" = i64, Path, description = "customer id")),
    responses((status = 200, description = "OK", body = ScriptList)))]
pub async fn for_member(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path((id, customer_id)): Path<(String, String)>,
) -> Result<Json<List<ScriptOut>>, ApiError> {
    let (id, customer_id) = (parse_id(&id)?, parse_id(&customer_id)?);
    Ok(Json(list_of(ops::execution::scripts::for_member(&state.store, &actor, id, customer_id).await?)))
}
