//! Saved segments, the live count, and the tier thresholds.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Count, List, if_match, parse_body, parse_id};
use crate::app::AppState;
use crate::domain::segment::TierRules;
use crate::ops;
use crate::ops::authz::{self, Permission};
use crate::store::segments::SavedSegment;
use crate::web::api::{EditErrors, Forbidden};
use crate::web::error::ApiError;
use crate::web::session::ApiAuth;

#[derive(Serialize, ToSchema)]
pub struct SegmentList {
    pub items: Vec<SavedSegment>,
    pub total: i64,
    pub next_cursor: Option<String>,
}

/// The team's saved segments.
#[utoipa::path(get, operation_id = "segments_list", path = "/api/v1/segments", tag = "segments",
    responses((status = 200, description = "OK", body = SegmentList), (status = 401, description = "No or invalid credentials", body = super::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
) -> Result<Json<List<SavedSegment>>, ApiError> {
    let items = ops::segments::list(&state.store, &actor).await?;
    let total = items.len() as i64;
    Ok(Json(List { items, total, next_cursor: None }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentInput {
    pub name: Option<String>,
    /// In the segment language (docs/segments.md).
    pub expression: Option<String>,
    pub version: Option<i64>,
}

/// Save a segment for the team.
#[utoipa::path(post, operation_id = "segments_create", path = "/api/v1/segments", tag = "segments", request_body = SegmentInput,
    responses((status = 201, description = "Created", body = SavedSegment), Forbidden))]
pub async fn create(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<SavedSegment>), ApiError> {
    authz::require(&actor, Permission::SaveSegments)?;
    let input: SegmentInput = parse_body(&headers, &body)?;
    let saved = ops::segments::create(
        &state.store,
        &actor,
        input.name.as_deref().unwrap_or(""),
        input.expression.as_deref().unwrap_or(""),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// Rename or change a saved segment (its author, or a lead/admin).
#[utoipa::path(patch, operation_id = "segments_update", path = "/api/v1/segments/{id}", tag = "segments", request_body = SegmentInput,
    params(("id" = i64, Path, description = "segment id")),
    responses((status = 200, description = "OK", body = SavedSegment), EditErrors))]
pub async fn update(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<SavedSegment>, ApiError> {
    let id = parse_id(&id)?;
    ops::segments::check(&state.store, &actor, id).await?;
    let input: SegmentInput = parse_body(&headers, &body)?;
    let version = if_match(&headers)?.or(input.version);
    let saved =
        ops::segments::update(&state.store, &actor, id, version, input.name.as_deref(), input.expression.as_deref())
            .await?;
    Ok(Json(saved))
}

/// Delete a saved segment (its author, or a lead/admin).
#[utoipa::path(delete, operation_id = "segments_delete", path = "/api/v1/segments/{id}", tag = "segments",
    params(("id" = i64, Path, description = "segment id")),
    responses((status = 204, description = "Deleted"), Forbidden))]
pub async fn delete(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    ops::segments::delete(&state.store, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CountQuery {
    /// The segment to count, e.g. `tier in ["S","B"] and region = "华东"`.
    pub segment: Option<String>,
}

/// How many customers visible to the caller a segment matches.
#[utoipa::path(get, operation_id = "segments_count", path = "/api/v1/segments/count", tag = "segments", params(CountQuery),
    responses((status = 200, description = "OK", body = Count), (status = 422, description = "The segment does not parse; the message names the position", body = super::ErrorBody)))]
pub async fn count(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Query(q): Query<CountQuery>,
) -> Result<Json<Count>, ApiError> {
    let count =
        ops::customers::count(&state.store, &actor, q.segment.as_deref().unwrap_or(""), state.store.today()).await?;
    Ok(Json(Count { count }))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Tiers {
    /// S: at least this many interactions …
    pub s_min_interactions: u32,
    /// … in this many days.
    pub s_window_days: u32,
    /// B: an inquiry within this many days.
    pub b_window_days: u32,
}

impl From<TierRules> for Tiers {
    fn from(r: TierRules) -> Self {
        Tiers {
            s_min_interactions: r.s_min_interactions,
            s_window_days: r.s_window_days,
            b_window_days: r.b_window_days,
        }
    }
}

/// The tier thresholds (S / B / C).
#[utoipa::path(get, operation_id = "settings_tiers", path = "/api/v1/settings/tiers", tag = "segments",
    responses((status = 200, description = "OK", body = Tiers), (status = 401, description = "No or invalid credentials", body = super::ErrorBody)))]
pub async fn tiers(State(state): State<AppState>, ApiAuth(actor): ApiAuth) -> Result<Json<Tiers>, ApiError> {
    authz::require(&actor, Permission::ReadCustomers)?;
    Ok(Json(ops::customers::tier_rules(&state.store).await?.into()))
}

/// Change the tier thresholds (lead, admin).
#[utoipa::path(put, operation_id = "settings_set_tiers", path = "/api/v1/settings/tiers", tag = "segments", request_body = Tiers,
    responses((status = 200, description = "OK", body = Tiers), Forbidden))]
pub async fn set_tiers(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Tiers>, ApiError> {
    authz::require(&actor, Permission::ManageSettings)?;
    let input: Tiers = parse_body(&headers, &body)?;
    let rules = TierRules {
        s_min_interactions: input.s_min_interactions,
        s_window_days: input.s_window_days,
        b_window_days: input.b_window_days,
    };
    Ok(Json(ops::segments::set_tier_rules(&state.store, &actor, rules).await?.into()))
}
