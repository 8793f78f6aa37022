//! The team: everyone reads it; admins change it.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{List, if_match, parse_body, parse_id};
use crate::app::AppState;
use crate::ops::authz::{self, Permission};
use crate::ops::users::{AddUser, UserPatch};
use crate::ops::{self, OpsError};
use crate::store::users::User as StoredUser;
use crate::web::api::Forbidden;
use crate::web::error::ApiError;
use crate::web::session::ApiAuth;

#[derive(Serialize, ToSchema)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: String,
    pub region: Option<String>,
    pub active: bool,
    pub locale: String,
    /// Send it back (`If-Match` or `version`) when editing.
    pub version: i64,
}

#[derive(Serialize, ToSchema)]
pub struct UserList {
    pub items: Vec<User>,
    pub total: i64,
    pub next_cursor: Option<String>,
}

impl From<StoredUser> for User {
    fn from(u: StoredUser) -> Self {
        User {
            id: u.id,
            email: u.email,
            name: u.name,
            role: u.role.as_str().to_owned(),
            region: u.region,
            active: u.active,
            locale: u.locale,
            version: u.version,
        }
    }
}

/// The whole team (it is small: one page).
#[utoipa::path(get, operation_id = "users_list", path = "/api/v1/users", tag = "team",
    responses((status = 200, description = "OK", body = UserList), (status = 401, description = "No or invalid credentials", body = super::ErrorBody)))]
pub async fn list(State(state): State<AppState>, ApiAuth(actor): ApiAuth) -> Result<Json<List<User>>, ApiError> {
    let users = ops::users::list_users(&state.store, &actor).await?;
    let total = users.len() as i64;
    Ok(Json(List { items: users.into_iter().map(User::from).collect(), total, next_cursor: None }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub email: String,
    pub name: String,
    /// admin, lead, rep, marketing, service, support or viewer.
    pub role: String,
    /// Required for reps.
    pub region: Option<String>,
    /// At least 8 characters.
    pub password: String,
}

/// Add a team member (admin).
#[utoipa::path(post, operation_id = "users_create", path = "/api/v1/users", tag = "team", request_body = CreateUser,
    responses((status = 201, description = "Created", body = User), (status = 409, description = "Conflict (the error says with what)", body = super::ErrorBody), Forbidden))]
pub async fn create(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<User>), ApiError> {
    authz::require(&actor, Permission::ManageTeam)?;
    let input: CreateUser = parse_body(&headers, &body)?;
    let add = AddUser {
        email: input.email,
        name: input.name,
        role: input.role,
        region: input.region,
        password: input.password,
    };
    let id = ops::users::add_user(&state.store, Some(&actor), add).await?;
    let user = ops::users::get_user(&state.store, &actor, id).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// One team member.
#[utoipa::path(get, operation_id = "users_get", path = "/api/v1/users/{id}", tag = "team", params(("id" = i64, Path, description = "user id")),
    responses((status = 200, description = "OK", body = User)))]
pub async fn get(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<User>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(ops::users::get_user(&state.store, &actor, id).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub name: Option<String>,
    pub role: Option<String>,
    /// A region, or null to clear it.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub region: Option<Option<String>>,
    pub active: Option<bool>,
    pub locale: Option<String>,
    /// The version being edited; stale versions answer 409 with the current record.
    pub version: Option<i64>,
}

/// Edit a team member (admin). Name the version with `If-Match` or `version`
/// to be told (409) when someone else changed it meanwhile.
#[utoipa::path(patch, operation_id = "users_update", path = "/api/v1/users/{id}", tag = "team", request_body = UpdateUser,
    params(("id" = i64, Path, description = "user id"), ("If-Match" = Option<String>, Header, description = "the version being edited")),
    responses((status = 200, description = "OK", body = User),
        (status = 409, description = "Conflict (the error says with what)", body = super::ErrorBody), Forbidden))]
pub async fn update(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<User>, ApiError> {
    authz::require(&actor, Permission::ManageTeam)?;
    let id = parse_id(&id)?;
    ops::users::get_user(&state.store, &actor, id).await?;
    let input: UpdateUser = parse_body(&headers, &body)?;
    let version = if_match(&headers)?.or(input.version);
    let patch = UserPatch {
        name: input.name,
        role: input.role,
        region: input.region,
        active: input.active,
        locale: input.locale,
        version,
    };
    match ops::users::update_user(&state.store, &actor, id, patch).await {
        Ok(user) => Ok(Json(user.into())),
        Err(OpsError::Stale { current_version, .. }) => {
            let now = User::from(ops::users::get_user(&state.store, &actor, id).await?);
            Err(ApiError::stale(current_version, serde_json::json!(now)))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    /// At least 8 characters.
    pub password: String,
    /// Keep the member's API tokens working; by default (`false`) they are revoked.
    #[serde(default)]
    pub keep_tokens: bool,
}

/// Set a new password for a team member (admin); their sessions end and
/// their API tokens are revoked unless `keep_tokens`.
#[utoipa::path(post, operation_id = "users_reset_password", path = "/api/v1/users/{id}/password", tag = "team", request_body = ResetPassword,
    params(("id" = i64, Path, description = "user id")),
    responses((status = 204, description = "reset"), Forbidden))]
pub async fn reset_password(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    authz::require(&actor, Permission::ManageTeam)?;
    let id = parse_id(&id)?;
    ops::users::get_user(&state.store, &actor, id).await?;
    let input: ResetPassword = parse_body(&headers, &body)?;
    ops::users::reset_password(&state.store, &actor, id, &input.password, input.keep_tokens).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Regions {
    /// In display order, e.g. ["华东", "华南", "华北"].
    pub regions: Vec<String>,
}

/// The team's sales regions.
#[utoipa::path(get, operation_id = "settings_regions", path = "/api/v1/settings/regions", tag = "team",
    responses((status = 200, description = "OK", body = Regions), (status = 401, description = "No or invalid credentials", body = super::ErrorBody)))]
pub async fn regions(State(state): State<AppState>, ApiAuth(actor): ApiAuth) -> Result<Json<Regions>, ApiError> {
    Ok(Json(Regions { regions: ops::team::regions(&state.store, &actor).await? }))
}

/// Replace the list of sales regions (admin).
#[utoipa::path(put, operation_id = "settings_set_regions", path = "/api/v1/settings/regions", tag = "team", request_body = Regions,
    responses((status = 200, description = "OK", body = Regions), Forbidden))]
pub async fn set_regions(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Regions>, ApiError> {
    authz::require(&actor, Permission::ManageTeam)?;
    let input: Regions = parse_body(&headers, &body)?;
    Ok(Json(Regions { regions: ops::users::set_regions(&state.store, &actor, input.regions).await? }))
}
