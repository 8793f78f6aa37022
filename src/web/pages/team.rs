//! Team management (admins edit; everyone reads) and the audit trail pages.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::{Page, PageForm, PageResult, Shell, flash_from, invalid_message, parse_id, render, role_key};
use crate::app::AppState;
use crate::domain::team::Role;
use crate::ops::authz::Permission;
use crate::ops::users::{AddUser, UserPatch};
use crate::ops::{self, OpsError};
use crate::store::users::User;

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
    page: &Page,
    status: StatusCode,
    error: Option<String>,
    ok: Option<&str>,
) -> PageResult {
    let users = ops::users::list_users(&state.store, &page.actor).await?;
    let body = TeamPage {
        shell: page.shell("team.title", "/team").with_flash(flash_from(page.t, ok)),
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
        can_manage: page.can(Permission::ManageTeam),
        can_audit: page.can(Permission::ReadAudit),
        roles: roles(),
        regions: ops::team::regions(&state.store, &page.actor).await?,
        error,
    };
    Ok(render(status, &body))
}

#[derive(Deserialize)]
pub struct OkQuery {
    ok: Option<String>,
}

pub async fn list(State(state): State<AppState>, page: Page, Query(q): Query<OkQuery>) -> PageResult {
    team_page(&state, &page, StatusCode::OK, None, q.ok.as_deref()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CreateForm {
    email: String,
    name: String,
    role: String,
    region: Option<String>,
    password: String,
}

pub async fn create(State(state): State<AppState>, page: Page, PageForm(form): PageForm<CreateForm>) -> PageResult {
    let input =
        AddUser { email: form.email, name: form.name, role: form.role, region: form.region, password: form.password };
    match ops::users::add_user(&state.store, Some(&page.actor), input).await {
        Ok(_) => Ok(Redirect::to("/team?ok=team.added").into_response()),
        Err(OpsError::Invalid { field, message }) => {
            let error = Some(invalid_message(page.t, field, &message));
            team_page(&state, &page, StatusCode::UNPROCESSABLE_ENTITY, error, None).await
        }
        Err(OpsError::Conflict(message)) => {
            let error = Some(page.t.fill("error.invalid", &[("message", &message)]));
            team_page(&state, &page, StatusCode::UNPROCESSABLE_ENTITY, error, None).await
        }
        Err(e) => Err(e.into()),
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

async fn edit_page(state: &AppState, page: &Page, id: i64, status: StatusCode, notice: Notice<'_>) -> PageResult {
    page.require(Permission::ManageTeam)?;
    let user = ops::users::get_user(&state.store, &page.actor, id).await?;
    let mut shell = page.shell("team.edit", "/team");
    let (mut error, mut stale) = (None, None);
    match notice {
        Notice::None => {}
        Notice::Saved(key) => shell.flash = flash_from(shell.t, Some(key)),
        Notice::Error(e) => error = Some(e),
        Notice::Stale(s) => stale = Some(s),
    }
    let body = EditPage {
        shell,
        user,
        roles: roles(),
        regions: ops::team::regions(&state.store, &page.actor).await?,
        error,
        stale,
    };
    Ok(render(status, &body))
}

pub async fn edit(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Query(q): Query<OkQuery>,
) -> PageResult {
    let id = parse_id(&id)?;
    let notice = q.ok.as_deref().map_or(Notice::None, Notice::Saved);
    edit_page(&state, &page, id, StatusCode::OK, notice).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct UpdateForm {
    name: String,
    role: String,
    region: Option<String>,
    active: String,
    version: i64,
}

pub async fn update(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    PageForm(form): PageForm<UpdateForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    let patch = UserPatch {
        name: Some(form.name),
        role: Some(form.role),
        region: Some(form.region.filter(|r| !r.is_empty())),
        active: Some(form.active == "true"),
        locale: None,
        version: Some(form.version),
    };
    match ops::users::update_user(&state.store, &page.actor, id, patch).await {
        Ok(_) => Ok(Redirect::to(&format!("/team/{id}?ok=team.saved")).into_response()),
        Err(OpsError::Stale { current, .. }) => {
            let shown = serde_json::to_string_pretty(&current).unwrap_or_default();
            edit_page(&state, &page, id, StatusCode::CONFLICT, Notice::Stale(shown)).await
        }
        Err(OpsError::Invalid { field, message }) => {
            let error = invalid_message(page.t, field, &message);
            edit_page(&state, &page, id, StatusCode::UNPROCESSABLE_ENTITY, Notice::Error(error)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResetForm {
    password: String,
    /// A ticked checkbox sends `keep_tokens=on`; an unticked one sends nothing.
    keep_tokens: Option<String>,
}

pub async fn reset_password(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    PageForm(form): PageForm<ResetForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    let keep_tokens = form.keep_tokens.is_some();
    match ops::users::reset_password(&state.store, &page.actor, id, &form.password, keep_tokens).await {
        Ok(()) => {
            let done = if keep_tokens { "team.password_reset_kept" } else { "team.password_reset_done" };
            Ok(Redirect::to(&format!("/team/{id}?ok={done}")).into_response())
        }
        Err(OpsError::Invalid { field, message }) => {
            let error = invalid_message(page.t, field, &message);
            edit_page(&state, &page, id, StatusCode::UNPROCESSABLE_ENTITY, Notice::Error(error)).await
        }
        Err(e) => Err(e.into()),
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
    page: Page,
    Path((object_type, id)): Path<(String, String)>,
) -> PageResult {
    let id = parse_id(&id)?;
    let records = ops::audit::history(&state.store, &page.actor, &object_type, id).await?;
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
    let shell = page.shell("audit.title", "/team");
    Ok(render(StatusCode::OK, &AuditPage { shell, heading: format!("{object_type} #{id}"), records: rows }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RegionsForm {
    regions: String,
}

pub async fn save_regions(
    State(state): State<AppState>,
    page: Page,
    PageForm(form): PageForm<RegionsForm>,
) -> PageResult {
    let list = form.regions.lines().map(str::to_owned).collect();
    match ops::users::set_regions(&state.store, &page.actor, list).await {
        Ok(_) => Ok(Redirect::to("/team?ok=team.regions_saved").into_response()),
        Err(OpsError::Invalid { field, message }) => {
            let error = Some(invalid_message(page.t, field, &message));
            team_page(&state, &page, StatusCode::UNPROCESSABLE_ENTITY, error, None).await
        }
        Err(e) => Err(e.into()),
    }
}
