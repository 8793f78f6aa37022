//! The caller's own API tokens.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiJson, List, parse_id};
use crate::app::AppState;
use crate::ops;
use crate::store::users::TokenInfo;
use crate::web::error::ApiError;
use crate::web::session::ApiAuth;

#[derive(Serialize, ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenInfo>,
    pub total: i64,
    pub next_cursor: Option<String>,
}

/// The caller's tokens (never the tokens themselves, only their prefixes).
#[utoipa::path(get, operation_id = "tokens_list", path = "/api/v1/tokens", tag = "account",
    responses((status = 200, description = "OK", body = TokenList), (status = 401, description = "No or invalid credentials", body = super::ErrorBody)))]
pub async fn list(State(state): State<AppState>, ApiAuth(actor): ApiAuth) -> Result<Json<List<TokenInfo>>, ApiError> {
    let items = ops::users::own_tokens(&state.store, &actor).await?;
    let total = items.len() as i64;
    Ok(Json(List { items, total, next_cursor: None }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// A label to recognise the token by.
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    /// The token itself: shown only in this response.
    pub token: String,
    #[serde(flatten)]
    pub info: TokenInfo,
}

/// Create a token for the caller.
#[utoipa::path(post, operation_id = "tokens_create", path = "/api/v1/tokens", tag = "account", request_body = CreateToken,
    responses((status = 201, description = "Created", body = CreatedToken), (status = 401, description = "No or invalid credentials", body = super::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    ApiJson(input): ApiJson<CreateToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let (info, token) = ops::users::create_own_token(&state.store, &actor, &input.name).await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { token, info })))
}

/// Revoke one of the caller's tokens.
#[utoipa::path(delete, operation_id = "tokens_revoke", path = "/api/v1/tokens/{id}", tag = "account", params(("id" = i64, Path, description = "token id")),
    responses((status = 204, description = "revoked"), (status = 401, description = "No or invalid credentials", body = super::ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    ops::users::revoke_own_token(&state.store, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
