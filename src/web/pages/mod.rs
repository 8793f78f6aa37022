//! Server-rendered pages (askama templates, htmx for partial updates). Pages
//! call the same `ops` functions as the API; they only render.

use askama::Template;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

use super::error::ApiError;
use super::i18n::{Texts, texts};
use super::session::{ResolvedSession, page_guard, request_locale, urlencode};
use crate::app::AppState;
use crate::domain::team::Role;
use crate::ops::authz::{self, Actor, Permission};

mod account;
mod campaigns;
mod customer_detail;
mod customer_forms;
pub(crate) mod customers;
mod docs;
mod execution;
pub(crate) mod forms;
mod home;
mod imports;
mod knowledge;
mod notify;
mod review;
pub(crate) mod segment_builder;
mod settings;
mod team;
mod templates;

pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(home::dashboard))
        .route("/login", get(account::login_page).post(account::login))
        .route("/logout", post(account::logout))
        .route("/lang", get(account::anonymous_language))
        .route("/settings", get(account::settings))
        .route("/settings/language", post(account::set_language))
        .route("/settings/password", post(account::change_password))
        .route("/settings/tokens", get(account::tokens).post(account::create_token))
        .route("/settings/tokens/{id}/revoke", post(account::revoke_token))
        .route("/settings/team", get(settings::index))
        .route("/settings/tiers", get(settings::tiers::page).post(settings::tiers::save))
        .route("/customers", get(customers::list).post(customer_forms::create))
        .route("/customers/new", get(customer_forms::new_form))
        .route("/customers/segment-preview", get(customers::segment_preview))
        .route("/customers/tier-counts", get(customers::tier_counts))
        .route("/customers/segment-builder", get(customers::segment_builder))
        .route("/customers/segments", post(customers::save_segment))
        .route("/customers/segments/{id}/delete", post(customers::delete_segment))
        .route(
            "/customers/import",
            get(imports::form)
                .post(imports::upload)
                // Multipart bodies get the app's upload limit, not axum's 2 MB default.
                .layer(axum::extract::DefaultBodyLimit::max(crate::app::MAX_BODY_BYTES)),
        )
        .route("/customers/import/{id}", get(imports::preview).post(imports::submit))
        .route("/customers/import/{id}/progress", get(imports::progress))
        .route("/customers/{id}", get(customer_detail::detail).post(customer_forms::update))
        .route("/customers/{id}/edit", get(customer_forms::edit_form))
        .route("/customers/{id}/delete", post(customer_forms::delete))
        .route("/customers/{id}/contacts", post(customer_detail::add_contact))
        .route(
            "/customers/{id}/contacts/{contact}",
            get(customer_detail::edit_contact).post(customer_detail::update_contact),
        )
        .route("/customers/{id}/contacts/{contact}/delete", post(customer_detail::delete_contact))
        .route("/customers/{id}/interactions", post(customer_detail::add_interaction))
        .route(
            "/customers/{id}/interactions/{interaction}",
            get(customer_detail::edit_interaction).post(customer_detail::update_interaction),
        )
        .route("/customers/{id}/interactions/{interaction}/delete", post(customer_detail::delete_interaction))
        .route("/team", get(team::list).post(team::create))
        .route("/team/regions", post(team::save_regions))
        .route("/team/{id}", get(team::edit).post(team::update))
        .route("/team/{id}/password", post(team::reset_password))
        .route("/audit/{object_type}/{id}", get(team::audit))
        .route("/api/docs", get(docs::reference))
        .route("/settings/calendar", get(settings::calendar::page).post(settings::calendar::import))
        .route("/settings/phases", get(settings::phases::page).post(settings::phases::save))
        .route("/campaigns", get(campaigns::list).post(campaigns::plan::create))
        .route("/campaigns/new", get(campaigns::plan::new_form))
        .route("/campaigns/history", get(templates::history))
        .route("/templates", get(templates::list).post(templates::create))
        .route("/templates/{id}", get(templates::detail))
        .route("/templates/{id}/retire", post(templates::retire))
        .route("/campaigns/new/notice", post(campaigns::notice::read))
        .route("/campaigns/{id}", get(campaigns::plan::plan).post(campaigns::plan::update))
        .route("/campaigns/{id}/edit", get(campaigns::plan::edit_form))
        .route("/campaigns/{id}/milestones/{key}", post(campaigns::plan::set_milestone))
        .route(
            "/campaigns/{id}/breakdown",
            get(campaigns::breakdown::breakdown).post(campaigns::breakdown::save_breakdown),
        )
        .route("/campaigns/{id}/members", get(campaigns::members::list_members))
        .route("/campaigns/{id}/members/counts", get(campaigns::members::member_counts))
        .route("/campaigns/{id}/members/generate", post(campaigns::members::generate))
        .route(
            "/campaigns/{id}/members/import",
            // Partner lists can be large spreadsheets: the app's limit, not axum's 2 MB default.
            post(campaigns::members::import_partner_list)
                .layer(axum::extract::DefaultBodyLimit::max(crate::app::MAX_BODY_BYTES)),
        )
        .route("/campaigns/{id}/export", get(campaigns::plan::export))
        .route("/day", get(execution::day::page))
        .route("/campaigns/{id}/members/export", get(execution::playbook::export_members))
        .route("/campaigns/{id}/members/reassign", post(execution::playbook::reassign))
        .route("/campaigns/{id}/members/{customer}", get(execution::member::show))
        .route("/campaigns/{id}/members/{customer}/follow-ups", post(execution::member::log))
        .route("/campaigns/{id}/members/{customer}/claim", post(execution::member::claim))
        .route("/campaigns/{id}/members/{customer}/assignee", post(execution::member::assign))
        .route("/campaigns/{id}/members/{customer}/stage", post(execution::member::correct_stage))
        .route("/campaigns/{id}/members/{customer}/blockers", post(execution::member::raise_blocker))
        .route("/campaigns/{id}/follow-ups/export", get(execution::playbook::export_follow_ups))
        .route("/campaigns/{id}/panel", get(execution::panels::campaign_panel))
        .route("/campaigns/{id}/standup", get(execution::standup::page))
        .route("/campaigns/{id}/standup/board", get(execution::standup::board_only))
        .route("/campaigns/{id}/requests", get(execution::requests::of_campaign).post(execution::requests::create))
        .route("/campaigns/{id}/activate", get(execution::requests::activate_form).post(campaigns::plan::activate))
        .route("/campaigns/{id}/activate/confirm", post(execution::requests::activate))
        .route("/campaigns/{id}/blockers", get(execution::team_work::of_campaign).post(execution::team_work::raise))
        .route("/campaigns/{id}/playbook", get(execution::playbook::page).post(execution::playbook::save))
        .route("/campaigns/{id}/review", get(review::page).post(review::save))
        .route("/campaigns/{id}/review/held", post(review::held))
        .route("/campaigns/{id}/review/costs", post(review::costs))
        .route("/campaigns/{id}/review/export", get(review::export))
        .route("/blockers/{id}", post(execution::team_work::act))
        .route("/requests", get(execution::requests::queue))
        .route("/requests/{id}", post(execution::requests::move_request))
        .route("/knowledge", get(knowledge::list).post(knowledge::create))
        .route("/knowledge/new", get(knowledge::new))
        .route("/knowledge/{id}", get(knowledge::show).post(knowledge::update))
        .route("/knowledge/{id}/edit", get(knowledge::edit))
        .route("/knowledge/{id}/retire", post(knowledge::retire))
        .route("/knowledge/{id}/merge", post(knowledge::merge))
        .route("/knowledge/{id}/helped", post(knowledge::helped))
        .route("/search", get(knowledge::search))
        .route("/scripts", get(execution::team_work::scripts).post(execution::team_work::create_script))
        .route("/scripts/{id}", post(execution::team_work::update_script))
        .route("/scripts/{id}/delete", post(execution::team_work::delete_script))
        .route("/customers/{id}/campaigns", get(execution::panels::customer_campaigns))
        .route("/inbox", get(notify::inbox))
        .route("/inbox/read-all", post(notify::mark_all_read))
        .route("/inbox/{id}/read", post(notify::mark_read))
        .route("/settings/notifications", get(notify::prefs).post(notify::save_prefs))
        .route("/settings/channels", get(notify::channels).post(notify::create_channel))
        .route("/settings/channels/team", post(notify::save_team))
        .route("/settings/channels/{id}", get(notify::edit_channel).post(notify::update_channel))
        .route("/settings/channels/{id}/test", post(notify::test_channel))
        .route("/settings/channels/{id}/delete", post(notify::delete_channel))
        .route("/settings/deliveries", get(notify::deliveries))
        .route("/settings/jobs", get(notify::jobs))
        .route("/settings/jobs/{id}/retry", post(notify::retry_job))
        .route_layer(middleware::from_fn_with_state(state, page_guard))
}

/// A signed-in page request: who asks, their CSRF token and their texts.
/// Anonymous requests are sent to the sign-in page.
pub struct Page {
    pub actor: Actor,
    pub csrf: String,
    pub t: &'static Texts,
    /// The bell's number: the reader's unread notifications.
    pub unread: Option<i64>,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let super::session::PageAuth(s) = super::session::PageAuth::from_request_parts(parts, state).await?;
        let t = texts(request_locale(&parts.headers, Some(&s.actor)));
        // A failed count leaves the bell without a number; the page itself still answers.
        let unread = crate::ops::notify::inbox::unread_count(&state.store, &s.actor).await.ok();
        Ok(Page { actor: s.actor, csrf: s.csrf, t, unread })
    }
}

impl Page {
    /// The frame of a page titled by `title_key` in the navigation section `section`.
    pub fn shell(&self, title_key: &str, section: &str) -> Shell {
        Shell {
            t: self.t,
            title: self.t.get(title_key).to_owned(),
            actor: Some(self.actor.clone()),
            csrf: self.csrf.clone(),
            path: section.to_owned(),
            flash: None,
            unread: self.unread,
        }
    }

    pub fn can(&self, permission: Permission) -> bool {
        authz::allows(self.actor.role, permission)
    }

    /// 403 unless the role may do this (pages that are only a form).
    pub fn require(&self, permission: Permission) -> Result<(), PageError> {
        Ok(authz::require(&self.actor, permission)?)
    }

    /// A flash naming what went wrong, in the user's language.
    pub fn invalid_flash(&self, field: &str, message: &str) -> Flash {
        Flash { kind: "bad", text: invalid_message(self.t, field, message) }
    }
}

/// "field: message" inside the page's "please check" sentence.
pub fn invalid_message(t: &Texts, field: &str, message: &str) -> String {
    let key = format!("field.{field}");
    let label = t.get(&key);
    let label = if label == key { field } else { label };
    t.fill("error.invalid", &[("message", &format!("{label}: {message}"))])
}

/// A failed page request. Handlers return [`PageResult`] and use `?`; the
/// page guard turns the failure into the error page, framed with the
/// request's session and language, and with the failure's status code.
#[derive(Debug)]
pub struct PageError(pub ApiError);

impl<E: Into<ApiError>> From<E> for PageError {
    fn from(err: E) -> Self {
        PageError(err.into())
    }
}

pub type PageResult = Result<Response, PageError>;

/// What a failed handler hands to the page guard (a response extension).
#[derive(Clone, Debug)]
pub struct PageFailure {
    pub status: StatusCode,
    /// The error's code, for answers with words of their own (busy imports).
    pub code: &'static str,
    pub message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let mut response = self.0.status.into_response();
        let failure = PageFailure { status: self.0.status, code: self.0.code, message: self.0.message };
        response.extensions_mut().insert(failure);
        response
    }
}

/// Renders the error page for a response that carries a [`PageFailure`].
pub fn frame_failure(headers: &HeaderMap, session: Option<&ResolvedSession>, response: Response) -> Response {
    match response.extensions().get::<PageFailure>() {
        Some(failure) => {
            let err = ApiError::new(failure.status, failure.code, failure.message.clone());
            error_page(headers, session.map(|s| (&s.actor, s.csrf.as_str())), err)
        }
        None => response,
    }
}

/// A form body. Page forms take every field as text with defaults, so
/// reading one cannot fail before the handler has checked who asks; a body
/// that is not a form at all is a 422 page.
pub struct PageForm<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for PageForm<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = PageError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(value)) => Ok(PageForm(value)),
            Err(rejection) => Err(PageError(ApiError::invalid("form", rejection.body_text()))),
        }
    }
}

/// A numeric id from the path; anything else is a page that does not exist.
pub fn parse_id(raw: &str) -> Result<i64, PageError> {
    raw.parse().map_err(|_| PageError(ApiError::not_found()))
}

pub struct Flash {
    pub kind: &'static str,
    pub text: String,
}

/// The team-wide settings (tiers, phases, calendar, regions): the section
/// their pages belong to.
pub const TEAM_SETTINGS: &str = "/settings/team";

pub struct NavItem {
    pub href: &'static str,
    pub key: &'static str,
    pub active: bool,
}

/// What every page's frame needs: texts, the signed-in person, the CSRF token.
pub struct Shell {
    pub t: &'static Texts,
    pub actor: Option<Actor>,
    pub csrf: String,
    pub title: String,
    pub path: String,
    pub flash: Option<Flash>,
    /// Unread notifications for the bell (`None`: the bell without a number).
    pub unread: Option<i64>,
}

impl Shell {
    pub fn with_flash(mut self, flash: Option<Flash>) -> Shell {
        self.flash = flash;
        self
    }

    pub fn new(
        headers: &HeaderMap,
        actor: Option<Actor>,
        csrf: &str,
        title_key: &str,
        path: &str,
        flash: Option<Flash>,
    ) -> Shell {
        let t = texts(request_locale(headers, actor.as_ref()));
        Shell {
            t,
            title: t.get(title_key).to_owned(),
            actor,
            csrf: csrf.to_owned(),
            path: path.to_owned(),
            flash,
            unread: None,
        }
    }

    /// The main navigation: the work (dashboard, campaigns, customers, team)
    /// and, for those who change team-wide settings, 设置. Personal settings,
    /// API tokens and the API reference live in the user menu.
    pub fn nav(&self) -> Vec<NavItem> {
        let mut items = vec![("/", "nav.dashboard")];
        // Execution: the day for those who follow up, the queue for those who supply.
        let role = self.actor.as_ref().map(|a| a.role);
        if matches!(role, Some(Role::Rep | Role::Lead | Role::Admin)) {
            items.push(("/day", "nav.day"));
        }
        if matches!(role, Some(Role::Marketing | Role::Support | Role::Admin)) {
            items.push(("/requests", "nav.requests"));
        }
        items.extend([
            ("/campaigns", "nav.campaigns"),
            ("/customers", "nav.customers"),
            ("/knowledge", "nav.knowledge"),
            ("/scripts", "nav.scripts"),
            ("/team", "nav.team"),
        ]);
        if self.actor.as_ref().is_some_and(|a| authz::allows(a.role, Permission::ManageSettings)) {
            items.push((TEAM_SETTINGS, "nav.team_settings"));
        }
        // The longest matching prefix is the current section.
        let current = items
            .iter()
            .filter(|(href, _)| self.path == *href || (*href != "/" && self.path.starts_with(&format!("{href}/"))))
            .max_by_key(|(href, _)| href.len())
            .map(|(href, _)| *href);
        items.into_iter().map(|(href, key)| NavItem { href, key, active: Some(href) == current }).collect()
    }

    pub fn role_key(&self) -> &'static str {
        self.actor.as_ref().map_or("role.viewer", |a| role_key(a.role))
    }

    /// The bell's label for screen readers: "通知（3 条未读）".
    pub fn bell_label(&self) -> String {
        // The count as the bell shows it, first and spaced, so the visible
        // text is part of the accessible name (WCAG 2.5.3).
        match self.bell_count() {
            Some(count) => self.t.fill("inbox.bell_unread", &[("count", &count)]),
            None => self.t.get("inbox.title").to_owned(),
        }
    }

    /// The number on the bell; more than 99 shows as 99+.
    pub fn bell_count(&self) -> Option<String> {
        match self.unread {
            Some(n) if n > 99 => Some("99+".to_owned()),
            Some(n) if n > 0 => Some(n.to_string()),
            _ => None,
        }
    }

    pub fn path_encoded(&self) -> String {
        urlencode(&self.path)
    }
}

pub fn role_key(role: Role) -> &'static str {
    match role {
        Role::Admin => "role.admin",
        Role::Lead => "role.lead",
        Role::Rep => "role.rep",
        Role::Marketing => "role.marketing",
        Role::Service => "role.service",
        Role::Support => "role.support",
        Role::Viewer => "role.viewer",
    }
}

pub fn can(actor: &Actor, permission: Permission) -> bool {
    authz::allows(actor.role, permission)
}

/// A success message named by a `?ok=` key from a redirect (known keys only).
pub fn flash_from(t: &Texts, ok: Option<&str>) -> Option<Flash> {
    let key = ok?;
    let text = t.get(key);
    (text != key).then(|| Flash { kind: "ok", text: text.to_owned() })
}

pub fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    shell: Shell,
    message: String,
}

/// A friendly error page for a failed page request (never the cause of a 500).
pub fn error_page(headers: &HeaderMap, session: Option<(&Actor, &str)>, err: ApiError) -> Response {
    let actor = session.map(|(a, _)| a.clone());
    let csrf = session.map_or("", |(_, c)| c);
    let mut shell = Shell::new(headers, actor, csrf, "error.title", "", None);
    let own = format!("error.{}", err.code);
    let message = match err.status {
        StatusCode::NOT_FOUND => shell.t.get("error.not_found").to_owned(),
        StatusCode::FORBIDDEN => shell.t.get("error.forbidden").to_owned(),
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => {
            shell.t.fill("error.invalid", &[("message", &err.message)])
        }
        // Busy imports (`import_in_progress`, `imports_busy`) have words of their own.
        StatusCode::CONFLICT | StatusCode::TOO_MANY_REQUESTS if shell.t.get(&own) != own => {
            shell.t.get(&own).to_owned()
        }
        StatusCode::CONFLICT => shell.t.get("error.conflict").to_owned(),
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS => shell.t.get("error.busy").to_owned(),
        _ => shell.t.get("error.internal").to_owned(),
    };
    shell.title = shell.t.get("error.title").to_owned();
    render(err.status, &ErrorPage { shell, message })
}

pub fn csrf_rejected(headers: &HeaderMap, actor: Option<&Actor>) -> Response {
    let shell = Shell::new(headers, actor.cloned(), "", "error.title", "", None);
    let message = shell.t.get("error.csrf").to_owned();
    render(StatusCode::FORBIDDEN, &ErrorPage { shell, message })
}

/// Unknown paths: a JSON 404 under /api, the friendly page elsewhere.
pub async fn not_found(uri: axum::http::Uri, headers: HeaderMap) -> Response {
    if uri.path().starts_with("/api/v1") {
        return ApiError::not_found().into_response();
    }
    error_page(&headers, None, ApiError::not_found())
}
