//! Team management (admins edit; everyone reads) and the audit trail pages.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Shell, can, error_page, flash_from, render, role_key};
use crate::app::AppState;
use crate::domain::team::Role;
use crate::ops::authz::Permission;
use crate::ops::users::{AddUser, UserPatch};
use crate::ops::{self, OpsError};
use crate::store::users::User;
use crate::web::error::ApiError;
use crate::web::session::{PageAuth, ResolvedSession};

pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role_key: &'static str,
    pub region: Option<String>,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "team.html")]
struct TeamPage {
    shell: Shell,
    users: Vec<UserRow>,
    can_manage: bool,
    can_audit: bool,
    roles: Vec<(&'static str, &'static str)>,
    regions: Vec<String>,
    error: Option<String>,
}

fn roles() -> Vec<(&'static str, &'static str)> {
    Role::ALL.iter().map(|r| (r.as_str(), role_key(*r))).collect()
}

async fn team_page(
    state: &AppState,
    session: &ResolvedSession,
    headers: &HeaderMap,
    status: StatusCode,
    error: Option<String>,
    ok: Option<&str>,
) -> Response {
    let users = match ops::users::list_users(&state.store, &session.actor).await {
        Ok(users) => users,
        Err(e) => return error_page(headers, Some((&session.actor, &session.csrf)), e.into()),
    };
    let mut shell = Shell::new(headers, Some(session.actor.clone()), &session.csrf, "team.title", "/team", None);
    shell.flash = flash_from(shell.t, ok);
    let page = TeamPage {
        shell,
        users: users
            .into_iter()
            .map(|u| UserRow {
                id: u.id,
                name: u.name,
                email: u.email,
                role_key: role_key(u.role),
                region: u.region,
                active: u.active,
            })
            .collect(),
        can_manage: can(&session.actor, Permission::ManageTeam),
        can_audit: can(&session.actor, Permission::ReadAudit),
        roles: roles(),
        regions: state.store.regions().await.unwrap_or_default(),
        error,
    };
    render(status, &page)
}

#[derive(Deserialize)]
pub struct OkQuery {
    ok: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    PageAuth(session): PageAuth,
    headers: HeaderMap,
    Query(q): Query<OkQuery>,
) -> Response {
    team_page(&state, &session, &headers, StatusCode::OK, None, q.ok.as_deref()).await
}

#[derive(Deserialize)]
pub struct CreateForm {
    email: String,
    name: String,
    role: String,
    region: Option<String>,
    password: String,
}

pub async fn create(
    State(state): State<AppState>,
    PageAuth(session): PageAuth,
    headers: HeaderMap,
    Form(form): Form<CreateForm>,
) -> Response {
    let input =
        AddUser { email: form.email, name: form.name, role: form.role, region: form.region, password: form.password };
    match ops::users::add_user(&state.store, Some(&session.actor), input).await {
        Ok(_) => Redirect::to("/team?ok=team.added").into_response(),
        Err(OpsError::Invalid { message, .. } | OpsError::Conflict(message)) => {
            let t = crate::web::i18n::texts(crate::web::session::request_locale(&headers, Some(&session.actor)));
            let error = Some(t.fill("error.invalid", &[("message", &message)]));
            team_page(&state, &session, &headers, StatusCode::UNPROCESSABLE_ENTITY, error, None).await
        }
        Err(e) => error_page(&headers, Some((&session.actor, &session.csrf)), e.into()),
    }
}

#[derive(Template)]
#[template(path = "user_edit.html")]
struct EditPage {
    shell: Shell,
    user: User,
    roles: Vec<(&'static str, &'static str)>,
    regions: Vec<String>,
    error: Option<String>,
    stale: Option<String>,
}

/// What the edit page shows above the form.
enum Notice<'a> {
    None,
    Saved(&'a str),
    Error(String),
    /// The record as it is now, after a version conflict.
    Stale(String),
}

async fn edit_page(
    state: &AppState,
    session: &ResolvedSession,
    headers: &HeaderMap,
    id: i64,
    status: StatusCode,
    notice: Notice<'_>,
) -> Response {
    if !can(&session.actor, Permission::ManageTeam) {
        return error_page(headers, Some((&session.actor, &session.csrf)), OpsError::Forbidden.into());
    }
    let user = match ops::users::get_user(&state.store, &session.actor, id).await {
        Ok(u) => u,
        Err(e) => return error_page(headers, Some((&session.actor, &session.csrf)), e.into()),
    };
    let mut shell = Shell::new(headers, Some(session.actor.clone()), &session.csrf, "team.edit", "/team", None);
    let (mut error, mut stale) = (None, None);
    match notice {
        Notice::None => {}
        Notice::Saved(key) => shell.flash = flash_from(shell.t, Some(key)),
        Notice::Error(e) => error = Some(e),
        Notice::Stale(s) => stale = Some(s),
    }
    let page = EditPage {
        shell,
        user,
        roles: roles(),
        regions: state.store.regions().await.unwrap_or_default(),
        error,
        stale,
    };
    render(status, &page)
}

fn parse_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found())
}

pub async fn edit(
    State(state): State<AppState>,
    PageAuth(session): PageAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<OkQuery>,
) -> Response {
    match parse_id(&id) {
        Ok(id) => {
            let notice = q.ok.as_deref().map_or(Notice::None, Notice::Saved);
            edit_page(&state, &session, &headers, id, StatusCode::OK, notice).await
        }
        Err(e) => error_page(&headers, Some((&session.actor, &session.csrf)), e),
    }
}

#[derive(Deserialize)]
pub struct UpdateForm {
    name: String,
    role: String,
    region: Option<String>,
    active: String,
    version: i64,
}

pub async fn update(
    State(state): State<AppState>,
    PageAuth(session): PageAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<UpdateForm>,
) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return error_page(&headers, Some((&session.actor, &session.csrf)), e),
    };
    let patch = UserPatch {
        name: Some(form.name),
        role: Some(form.role),
        region: Some(form.region.filter(|r| !r.is_empty())),
        active: Some(form.active == "true"),
        locale: None,
        version: Some(form.version),
    };
    match ops::users::update_user(&state.store, &session.actor, id, patch).await {
        Ok(_) => Redirect::to(&format!("/team/{id}?ok=team.saved")).into_response(),
        Err(OpsError::Stale { current, .. }) => {
            let shown = serde_json::to_string_pretty(&current).unwrap_or_default();
            edit_page(&state, &session, &headers, id, StatusCode::CONFLICT, Notice::Stale(shown)).await
        }
        Err(OpsError::Invalid { message, .. }) => {
            let t = crate::web::i18n::texts(crate::web::session::request_locale(&headers, Some(&session.actor)));
            let error = t.fill("error.invalid", &[("message", &message)]);
            edit_page(&state, &session, &headers, id, StatusCode::UNPROCESSABLE_ENTITY, Notice::Error(error)).await
        }
        Err(e) => error_page(&headers, Some((&session.actor, &session.csrf)), e.into()),
    }
}

#[derive(Deserialize)]
pub struct ResetForm {
    password: String,
    /// A ticked checkbox sends `keep_tokens=on`; an unticked one sends nothing.
    keep_tokens: Option<String>,
}

pub async fn reset_password(
    State(state): State<AppState>,
    PageAuth(session): PageAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<ResetForm>,
) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return error_page(&headers, Some((&session.actor, &session.csrf)), e),
    };
    let keep_tokens = form.keep_tokens.is_some();
    match ops::users::reset_password(&state.store, &session.actor, id, &form.password, keep_tokens).await {
        Ok(()) => {
            let done = if keep_tokens { "team.password_reset_kept" } else { "team.password_reset_done" };
            Redirect::to(&format!("/team/{id}?ok={done}")).into_response()
        }
        Err(OpsError::Invalid { message, .. }) => {
            let t = crate::web::i18n::texts(crate::web::session::request_locale(&headers, Some(&session.actor)));
            let error = t.fill("error.invalid", &[("message", &message)]);
            edit_page(&state, &session, &headers, id, StatusCode::UNPROCESSABLE_ENTITY, Notice::Error(error)).await
        }
        Err(e) => error_page(&headers, Some((&session.actor, &session.csrf)), e.into()),
    }
}

pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action_key: &'static str,
    pub before: String,
    pub after: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    shell: Shell,
    heading: String,
    records: Vec<AuditRow>,
}

pub async fn audit(
    State(state): State<AppState>,
    PageAuth(session): PageAuth,
    headers: HeaderMap,
    Path((object_type, id)): Path<(String, String)>,
) -> Response {
    let fail = |e: ApiError| error_page(&headers, Some((&session.actor, &session.csrf)), e);
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return fail(e),
    };
    let records = match ops::audit::history(&state.store, &session.actor, &object_type, id).await {
        Ok(r) => r,
        Err(e) => return fail(e.into()),
    };
    let pretty = |v: Option<serde_json::Value>| {
        v.map(|v| serde_json::to_string_pretty(&v).unwrap_or_default()).unwrap_or_default()
    };
    let rows = records
        .into_iter()
        .map(|r| AuditRow {
            at: r.at.with_timezone(&crate::clock::china_offset()).format("%Y-%m-%d %H:%M:%S").to_string(),
            actor: r.actor_email,
            action_key: match r.action.as_str() {
                "create" => "audit.create",
                "delete" => "audit.delete",
                _ => "audit.update",
            },
            before: pretty(r.before),
            after: pretty(r.after),
        })
        .collect();
    let shell = Shell::new(&headers, Some(session.actor.clone()), &session.csrf, "audit.title", "/team", None);
    render(StatusCode::OK, &AuditPage { shell, heading: format!("{object_type} #{id}"), records: rows })
}

#[derive(Deserialize)]
pub struct RegionsForm {
    regions: String,
}

pub async fn save_regions(
    State(state): State<AppState>,
    PageAuth(session): PageAuth,
    headers: HeaderMap,
    Form(form): Form<RegionsForm>,
) -> Response {
    let list = form.regions.lines().map(str::to_owned).collect();
    match ops::users::set_regions(&state.store, &session.actor, list).await {
        Ok(_) => Redirect::to("/team?ok=team.regions_saved").into_response(),
        Err(OpsError::Invalid { message, .. }) => {
            let t = crate::web::i18n::texts(crate::web::session::request_locale(&headers, Some(&session.actor)));
            let error = Some(t.fill("error.invalid", &[("message", &message)]));
            team_page(&state, &session, &headers, StatusCode::UNPROCESSABLE_ENTITY, error, None).await
        }
        Err(e) => error_page(&headers, Some((&session.actor, &session.csrf)), e.into()),
    }
}
