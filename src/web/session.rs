//! Who is asking: session cookies for pages (with CSRF protection on every
//! state-changing request) and bearer tokens or cookies for the API.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::error::ApiError;
use super::i18n::Locale;
use crate::app::AppState;
use crate::ops::auth;
use crate::ops::authz::Actor;

pub const SESSION_COOKIE: &str = "rally_session";
/// Anonymous CSRF token (double-submit) for the sign-in form.
pub const PRE_COOKIE: &str = "rally_pre";
pub const LANG_COOKIE: &str = "rally_lang";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const CSRF_FIELD: &str = "csrf";

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value: HttpOnly, SameSite, `Secure` when served over HTTPS.
pub fn set_cookie(name: &str, value: &str, secure: bool, same_site: &str, max_age: Option<i64>) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

/// The session resolved once per request by [`page_guard`].
#[derive(Clone, Debug)]
pub struct ResolvedSession {
    pub actor: Actor,
    pub csrf: String,
    pub token: String,
}

/// The language of a request: the user's setting, else the anonymous cookie, else Chinese.
pub fn request_locale(headers: &HeaderMap, actor: Option<&Actor>) -> Locale {
    actor
        .and_then(|a| Locale::parse(&a.locale))
        .or_else(|| cookie(headers, LANG_COOKIE).and_then(Locale::parse))
        .unwrap_or(Locale::ZhCn)
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Middleware for the HTML pages: resolves the session into the request's
/// extensions, and rejects any state-changing request whose CSRF token
/// (header, query `csrf`, or form field `csrf`) does not match the session's
/// (or, before sign-in, the `rally_pre` cookie's).
pub async fn page_guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let session = match cookie(&parts.headers, SESSION_COOKIE) {
        Some(token) => match auth::session_actor(&state.store, token).await {
            Ok(found) => found.map(|(actor, csrf)| ResolvedSession { actor, csrf, token: token.to_owned() }),
            Err(e) => return super::pages::error_page(&parts.headers, None, e.into()),
        },
        None => None,
    };
    let mut body = body;
    if is_unsafe(&parts.method) {
        let expected =
            session.as_ref().map(|s| s.csrf.clone()).or_else(|| cookie(&parts.headers, PRE_COOKIE).map(str::to_owned));
        let mut provided = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| query_param(parts.uri.query().unwrap_or(""), CSRF_FIELD));
        let is_form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        if provided.is_none() && is_form {
            let Ok(bytes) = axum::body::to_bytes(body, crate::app::MAX_FORM_BYTES).await else {
                return (StatusCode::PAYLOAD_TOO_LARGE, "form too large").into_response();
            };
            provided = query_param(&String::from_utf8_lossy(&bytes), CSRF_FIELD);
            body = axum::body::Body::from(bytes);
        }
        let ok = matches!((&expected, &provided), (Some(e), Some(p)) if constant_time_eq(e, p));
        if !ok {
            let actor = session.as_ref().map(|s| &s.actor);
            return super::pages::csrf_rejected(&parts.headers, actor);
        }
    }
    let headers = parts.headers.clone();
    if let Some(s) = &session {
        parts.extensions.insert(s.clone());
    }
    let response = next.run(Request::from_parts(parts, body)).await;
    super::pages::frame_failure(&headers, session.as_ref(), response)
}

fn query_param(query: &str, name: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// A signed-in page request; anonymous requests are sent to the sign-in page.
pub struct PageAuth(pub ResolvedSession);

impl FromRequestParts<AppState> for PageAuth {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<ResolvedSession>() {
            Some(s) => Ok(PageAuth(s.clone())),
            None => {
                let next = parts.uri.path_and_query().map_or("/", |p| p.as_str());
                let target = format!("/login?next={}", urlencode(next));
                Err(Redirect::to(&target).into_response())
            }
        }
    }
}

/// An optionally signed-in page request (the sign-in page itself, errors).
pub struct MaybeAuth(pub Option<ResolvedSession>);

impl FromRequestParts<AppState> for MaybeAuth {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(MaybeAuth(parts.extensions.get::<ResolvedSession>().cloned()))
    }
}

pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).map(|e| e[1..].to_owned()).unwrap_or_default()
}

/// An API request's actor: a bearer token, or a session cookie (then state
/// changes need the `X-CSRF-Token` header, as the pages' htmx calls send it).
pub struct ApiAuth(pub Actor);

impl FromRequestParts<AppState> for ApiAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
                .map(str::trim)
                .ok_or_else(ApiError::unauthorized)?;
            return match auth::bearer_actor(&state.store, token).await? {
                Some(actor) => Ok(ApiAuth(actor)),
                None => {
                    Err(ApiError::new(StatusCode::UNAUTHORIZED, "invalid_token", "the token is unknown or revoked"))
                }
            };
        }
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(ApiError::unauthorized());
        };
        let Some((actor, csrf)) = auth::session_actor(&state.store, token).await? else {
            return Err(ApiError::unauthorized());
        };
        if is_unsafe(&parts.method) {
            let provided = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            if !constant_time_eq(provided, &csrf) {
                return Err(ApiError::new(StatusCode::FORBIDDEN, "csrf", "missing or wrong X-CSRF-Token header"));
            }
        }
        Ok(ApiAuth(actor))
    }
}
