//! A customer's interaction history.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{List, Page, if_match, parse_body, parse_id};
use crate::app::AppState;
use crate::domain::money::fen_to_yuan;
use crate::ops::OpsError;
use crate::ops::interactions::{self, InteractionFields};
use crate::store::interactions::Interaction as Stored;
use crate::web::api::{EditErrors, Forbidden};
use crate::web::error::ApiError;
use crate::web::session::ApiAuth;

#[derive(Serialize, ToSchema)]
pub struct Interaction {
    pub id: i64,
    pub customer_id: i64,
    pub occurred_on: NaiveDate,
    /// `HH:MM` when known.
    pub occurred_at: Option<String>,
    /// phone, im, email, visit or event.
    pub channel: String,
    /// inquiry, call, visit, email, message or order.
    pub kind: String,
    pub note: String,
    /// CNY, for orders.
    pub amount: Option<f64>,
    pub created_by_name: Option<String>,
    pub version: i64,
}

#[derive(Serialize, ToSchema)]
pub struct InteractionList {
    pub items: Vec<Interaction>,
    pub total: i64,
    pub next_cursor: Option<String>,
}

fn to_api(i: Stored) -> Interaction {
    Interaction {
        id: i.id,
        customer_id: i.customer_id,
        occurred_on: i.occurred_on,
        occurred_at: i.occurred_at,
        channel: i.channel.as_str().to_owned(),
        kind: i.kind.as_str().to_owned(),
        note: i.note,
        amount: i.amount_fen.map(fen_to_yuan),
        created_by_name: i.created_by_name,
        version: i.version,
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InteractionInput {
    /// Not in the future; defaults to today on create.
    pub occurred_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub occurred_at: Option<Option<String>>,
    pub channel: Option<String>,
    pub kind: Option<String>,
    pub note: Option<String>,
    /// CNY; orders only.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<f64>)]
    pub amount: Option<Option<f64>>,
    pub version: Option<i64>,
}

impl InteractionInput {
    fn fields(self) -> Result<(InteractionFields, Option<i64>), ApiError> {
        let amount_fen = match self.amount {
            None => None,
            Some(None) => Some(None),
            Some(Some(v)) => Some(Some(super::yuan_to_fen("amount", v)?)),
        };
        Ok((
            InteractionFields {
                occurred_on: self.occurred_on,
                occurred_at: self.occurred_at,
                channel: self.channel,
                kind: self.kind,
                note: self.note,
                amount_fen,
            },
            self.version,
        ))
    }
}

/// The history of a visible customer, newest first (`limit`, at most 200).
#[utoipa::path(get, operation_id = "interactions_list", path = "/api/v1/customers/{id}/interactions", tag = "customers",
    params(("id" = i64, Path, description = "customer id"), Page),
    responses((status = 200, description = "OK", body = InteractionList)))]
pub async fn list(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    Query(page): Query<Page>,
) -> Result<Json<List<Interaction>>, ApiError> {
    let id = parse_id(&id)?;
    let items = interactions::list(&state.store, &actor, id, page.limit()?).await?;
    let total = items.len() as i64;
    Ok(Json(List { items: items.into_iter().map(to_api).collect(), total, next_cursor: None }))
}

/// Log an interaction (the customer's editors, and customer service).
#[utoipa::path(post, operation_id = "interactions_create", path = "/api/v1/customers/{id}/interactions", tag = "customers", request_body = InteractionInput,
    params(("id" = i64, Path, description = "customer id")),
    responses((status = 201, description = "Created", body = Interaction), Forbidden))]
pub async fn create(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Interaction>), ApiError> {
    let customer_id = parse_id(&id)?;
    interactions::check_customer(&state.store, &actor, customer_id).await?;
    let (fields, _) = parse_body::<InteractionInput>(&headers, &body)?.fields()?;
    let id = interactions::create(&state.store, &actor, customer_id, fields).await?;
    let found = interactions::list(&state.store, &actor, customer_id, 1000).await?.into_iter().find(|i| i.id == id);
    Ok((StatusCode::CREATED, Json(to_api(found.ok_or_else(ApiError::not_found)?))))
}

/// Correct an interaction; the audit trail keeps what it said before.
#[utoipa::path(patch, operation_id = "interactions_update", path = "/api/v1/interactions/{id}", tag = "customers", request_body = InteractionInput,
    params(("id" = i64, Path, description = "interaction id"), ("If-Match" = Option<String>, Header, description = "the version being edited")),
    responses((status = 200, description = "OK", body = Interaction), EditErrors))]
pub async fn update(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Interaction>, ApiError> {
    let id = parse_id(&id)?;
    interactions::check(&state.store, &actor, id).await?;
    let (fields, version) = parse_body::<InteractionInput>(&headers, &body)?.fields()?;
    let version = if_match(&headers)?.or(version);
    match interactions::update(&state.store, &actor, id, version, fields).await {
        Ok(updated) => Ok(Json(to_api(updated))),
        // `current` as the list shows it (`amount` in CNY, not the stored fen).
        Err(OpsError::Stale { current_version, .. }) => {
            let now = interactions::for_edit(&state.store, &actor, id).await?;
            Err(ApiError::stale(current_version, serde_json::json!(to_api(now))))
        }
        Err(e) => Err(e.into()),
    }
}

/// Delete an interaction.
#[utoipa::path(delete, operation_id = "interactions_delete", path = "/api/v1/interactions/{id}", tag = "customers",
    params(("id" = i64, Path, description = "interaction id")),
    responses((status = 204, description = "Deleted"), Forbidden))]
pub async fn delete(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    interactions::delete(&state.store, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
