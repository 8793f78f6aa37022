//! The caller's own account.

use axum::Json;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiJson;
use crate::app::AppState;
use crate::ops;
use crate::ops::authz::Actor;
use crate::web::error::ApiError;
use crate::web::session::{ApiAuth, ClientAddr, SESSION_COOKIE, cookie};

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub id: i64,
    pub email: String,
    pub name: String,
    /// admin, lead, rep, marketing, service, support or viewer.
    pub role: String,
    pub region: Option<String>,
    /// zh-CN or en.
    pub locale: String,
}

impl From<Actor> for Me {
    fn from(a: Actor) -> Self {
        Me {
            id: a.id,
            email: a.email,
            name: a.name,
            role: a.role.as_str().to_owned(),
            region: a.region,
            locale: a.locale,
        }
    }
}

/// Who the token or session belongs to.
#[utoipa::path(get, operation_id = "me_me", path = "/api/v1/me", tag = "account",
    responses((status = 200, description = "OK", body = Me), (status = 401, description = "No or invalid credentials", body = super::ErrorBody)))]
pub async fn me(ApiAuth(actor): ApiAuth) -> Json<Me> {
    Json(actor.into())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMe {
    /// zh-CN or en.
    pub locale: String,
}

/// Change one's interface language.
#[utoipa::path(patch, operation_id = "me_update_me", path = "/api/v1/me", tag = "account", request_body = UpdateMe,
    responses((status = 200, description = "OK", body = Me), (status = 401, description = "No or invalid credentials", body = super::ErrorBody)))]
pub async fn update_me(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    ApiJson(input): ApiJson<UpdateMe>,
) -> Result<Json<Me>, ApiError> {
    ops::users::set_own_locale(&state.store, &actor, &input.locale).await?;
    Ok(Json(Me { locale: input.locale, ..actor.into() }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: String,
    /// At least 8 characters.
    pub new_password: String,
    /// Keep the account's API tokens working; by default (`false`) every
    /// token, including the one making this request, is revoked.
    #[serde(default)]
    pub keep_tokens: bool,
}

/// Change one's own password. The session making the request (if it is a
/// session) stays signed in; every other session ends; API tokens are
/// revoked unless `keep_tokens`. Wrong current passwords are throttled like
/// signing in (429 with `Retry-After`).
#[utoipa::path(post, operation_id = "me_change_password", path = "/api/v1/me/password", tag = "account", request_body = ChangePassword,
    responses((status = 204, description = "changed"), (status = 401, description = "No or invalid credentials", body = super::ErrorBody),
        (status = 429, description = "Too many wrong current passwords; see `Retry-After`", body = super::ErrorBody,
            headers(("Retry-After" = i64, description = "seconds to wait")))))]
pub async fn change_password(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ChangePassword>,
) -> Result<StatusCode, ApiError> {
    // A bearer request has no session to keep; a cookie request keeps its own.
    let session = match headers.contains_key(header::AUTHORIZATION) {
        true => None,
        false => cookie(&headers, SESSION_COOKIE),
    };
    let address = client.to_string();
    let change = ops::auth::PasswordChange {
        current: &input.current_password,
        new: &input.new_password,
        keep_tokens: input.keep_tokens,
        keep_session: session,
        address: &address,
    };
    ops::auth::change_password(&state.store, &actor, change).await?;
    Ok(StatusCode::NO_CONTENT)
}
