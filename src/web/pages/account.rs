//! Signing in and out, language, password and API tokens of one's own.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Shell, error_page, flash_from, render};
use crate::app::AppState;
use crate::ops::{self, OpsError};
use crate::web::i18n::{Locale, texts};
use crate::web::session::{
    ClientAddr, LANG_COOKIE, MaybeAuth, PRE_COOKIE, PageAuth, SESSION_COOKIE, cookie, request_locale, set_cookie,
};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    shell: Shell,
    error: Option<String>,
    email: String,
    next: String,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    ok: Option<String>,
}

/// Only same-site paths, so `next` cannot send anyone elsewhere.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
}

/// `Retry-After` on a throttled answer, so clients and proxies know when to come back.
fn with_retry_after(mut response: Response, seconds: Option<i64>) -> Response {
    if let Some(v) = seconds.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

fn with_cookie(mut response: Response, value: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

pub async fn login_page(
    State(state): State<AppState>,
    MaybeAuth(session): MaybeAuth,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    if session.is_some() {
        return Redirect::to(&safe_next(q.next.as_deref())).into_response();
    }
    let pre = cookie(&headers, PRE_COOKIE).map(str::to_owned);
    let token = pre.clone().unwrap_or_else(ops::auth::random_token);
    let mut shell = Shell::new(&headers, None, &token, "login.title", "/login", None);
    shell.flash = flash_from(shell.t, q.ok.as_deref());
    let page = LoginPage { shell, error: None, email: String::new(), next: safe_next(q.next.as_deref()) };
    let response = render(StatusCode::OK, &page);
    if pre.is_none() {
        with_cookie(response, &set_cookie(PRE_COOKIE, &token, state.config.secure_cookies, "Strict", None))
    } else {
        response
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    match ops::auth::sign_in(&state.store, &form.email, &form.password, &client.to_string()).await {
        Ok(session) => {
            let response = Redirect::to(&next).into_response();
            with_cookie(response, &set_cookie(SESSION_COOKIE, &session.token, state.config.secure_cookies, "Lax", None))
        }
        Err(err @ (OpsError::BadCredentials | OpsError::Throttled { .. })) => {
            let csrf = cookie(&headers, PRE_COOKIE).unwrap_or_default().to_owned();
            let shell = Shell::new(&headers, None, &csrf, "login.title", "/login", None);
            let (status, error, retry_after) = match err {
                OpsError::Throttled { retry_after_seconds } => {
                    let seconds = retry_after_seconds.to_string();
                    let text = shell.t.fill("login.throttled", &[("seconds", &seconds)]);
                    (StatusCode::TOO_MANY_REQUESTS, text, Some(retry_after_seconds))
                }
                _ => (StatusCode::UNAUTHORIZED, shell.t.get("login.failed").to_owned(), None),
            };
            let response = render(status, &LoginPage { shell, error: Some(error), email: form.email, next });
            with_retry_after(response, retry_after)
        }
        Err(other) => error_page(&headers, None, other.into()),
    }
}

pub async fn logout(State(state): State<AppState>, PageAuth(session): PageAuth) -> Response {
    if let Err(e) = ops::auth::sign_out(&state.store, &session.token).await {
        tracing::warn!(error = %e, "sign-out could not delete the session");
    }
    let response = Redirect::to("/login?ok=login.signed_out").into_response();
    with_cookie(response, &set_cookie(SESSION_COOKIE, "", state.config.secure_cookies, "Lax", Some(0)))
}

#[derive(Deserialize)]
pub struct LangQuery {
    to: String,
    next: Option<String>,
}

/// Language choice before signing in (a cookie; signed-in users store it).
pub async fn anonymous_language(State(state): State<AppState>, Query(q): Query<LangQuery>) -> Response {
    let locale = Locale::parse(&q.to).unwrap_or(Locale::ZhCn);
    let response = Redirect::to(&safe_next(q.next.as_deref())).into_response();
    let age = Some(365 * 24 * 3600);
    with_cookie(response, &set_cookie(LANG_COOKIE, locale.code(), state.config.secure_cookies, "Lax", age))
}

#[derive(Deserialize)]
pub struct LanguageForm {
    locale: String,
    next: Option<String>,
}

pub async fn set_language(
    State(state): State<AppState>,
    PageAuth(session): PageAuth,
    headers: HeaderMap,
    Form(form): Form<LanguageForm>,
) -> Response {
    match ops::users::set_own_locale(&state.store, &session.actor, &form.locale).await {
        // The cookie keeps the choice for the sign-in page after signing out.
        Ok(()) => with_cookie(
            Redirect::to(&safe_next(form.next.as_deref())).into_response(),
            &set_cookie(LANG_COOKIE, &form.locale, state.config.secure_cookies, "Lax", Some(365 * 24 * 3600)),
        ),
        Err(e) => error_page(&headers, Some((&session.actor, &session.csrf)), e.into()),
    }
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    shell: Shell,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct OkQuery {
    ok: Option<String>,
}

pub async fn settings(PageAuth(session): PageAuth, headers: HeaderMap, Query(q): Query<OkQuery>) -> Response {
    let mut shell = Shell::new(&headers, Some(session.actor), &session.csrf, "settings.title", "/settings", None);
    shell.flash = flash_from(shell.t, q.ok.as_deref());
    render(StatusCode::OK, &SettingsPage { shell, error: None })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    /// A ticked checkbox sends `keep_tokens=on`; an unticked one sends nothing.
    keep_tokens: Option<String>,
}

pub async fn change_password(
    State(state): State<AppState>,
    PageAuth(session): PageAuth,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Response {
    let keep_tokens = form.keep_tokens.is_some();
    let address = client.to_string();
    let change = ops::auth::PasswordChange {
        current: &form.current_password,
        new: &form.new_password,
        keep_tokens,
        keep_session: Some(&session.token),
        address: &address,
    };
    let page = |status: StatusCode, error: String| {
        let shell =
            Shell::new(&headers, Some(session.actor.clone()), &session.csrf, "settings.title", "/settings", None);
        render(status, &SettingsPage { shell, error: Some(error) })
    };
    let t = texts(request_locale(&headers, Some(&session.actor)));
    match ops::auth::change_password(&state.store, &session.actor, change).await {
        Ok(()) if keep_tokens => Redirect::to("/settings?ok=settings.password_changed_kept").into_response(),
        Ok(()) => Redirect::to("/settings?ok=settings.password_changed").into_response(),
        Err(OpsError::Invalid { message, .. }) => {
            page(StatusCode::UNPROCESSABLE_ENTITY, t.fill("error.invalid", &[("message", &message)]))
        }
        Err(OpsError::Throttled { retry_after_seconds }) => {
            let seconds = retry_after_seconds.to_string();
            let response = page(StatusCode::TOO_MANY_REQUESTS, t.fill("settings.throttled", &[("seconds", &seconds)]));
            with_retry_after(response, Some(retry_after_seconds))
        }
        Err(e) => error_page(&headers, Some((&session.actor, &session.csrf)), e.into()),
    }
}

pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub created: String,
    pub last_used: Option<String>,
    pub revoked: bool,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    shell: Shell,
    tokens: Vec<TokenRow>,
    new_token: Option<String>,
    error: Option<String>,
}

async fn tokens_page(
    state: &AppState,
    session: &crate::web::session::ResolvedSession,
    headers: &HeaderMap,
    status: StatusCode,
    new_token: Option<String>,
    error: Option<String>,
) -> Response {
    let list = match ops::users::own_tokens(&state.store, &session.actor).await {
        Ok(list) => list,
        Err(e) => return error_page(headers, Some((&session.actor, &session.csrf)), e.into()),
    };
    let shown = |t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&crate::clock::china_offset()).format("%Y-%m-%d %H:%M").to_string()
    };
    let tokens = list
        .into_iter()
        .map(|t| TokenRow {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            created: shown(t.created_at),
            last_used: t.last_used_at.map(shown),
            revoked: t.revoked_at.is_some(),
        })
        .collect();
    let shell =
        Shell::new(headers, Some(session.actor.clone()), &session.csrf, "tokens.title", "/settings/tokens", None);
    render(status, &TokensPage { shell, tokens, new_token, error })
}

pub async fn tokens(State(state): State<AppState>, PageAuth(session): PageAuth, headers: HeaderMap) -> Response {
    tokens_page(&state, &session, &headers, StatusCode::OK, None, None).await
}

#[derive(Deserialize)]
pub struct TokenForm {
    name: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    PageAuth(session): PageAuth,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    match ops::users::create_own_token(&state.store, &session.actor, &form.name).await {
        Ok((_, token)) => tokens_page(&state, &session, &headers, StatusCode::CREATED, Some(token), None).await,
        Err(OpsError::Invalid { message, .. }) => {
            let t = texts(request_locale(&headers, Some(&session.actor)));
            let error = Some(t.fill("error.invalid", &[("message", &message)]));
            tokens_page(&state, &session, &headers, StatusCode::UNPROCESSABLE_ENTITY, None, error).await
        }
        Err(e) => error_page(&headers, Some((&session.actor, &session.csrf)), e.into()),
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    PageAuth(session): PageAuth,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    match ops::users::revoke_own_token(&state.store, &session.actor, id).await {
        Ok(()) => Redirect::to("/settings/tokens").into_response(),
        Err(e) => error_page(&headers, Some((&session.actor, &session.csrf)), e.into()),
    }
}
