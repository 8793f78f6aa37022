//! Notification pages: everyone's inbox (the bell in the header) and own
//! preferences; for admins the team's notification settings, the channels
//! with "send a test message", the delivery log and the dead jobs to retry.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::app::AppState;
use crate::domain::notify::{ChannelKind, EventKind};
use crate::ops::authz::Permission;
use crate::ops::notify::channels::{ChannelInput, ChannelView, SmtpConfig, SmtpTls};
use crate::ops::{self, OpsError};
use crate::store::notify::DeliveryFilter;
use crate::web::pages::{Flash, Page, PageForm, PageResult, Shell, TEAM_SETTINGS, flash_from, parse_id, render};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OkQuery {
    ok: Option<String>,
    unread: Option<String>,
    before: Option<String>,
}

fn shown(t: DateTime<Utc>) -> String {
    t.with_timezone(&crate::clock::china_offset()).format("%Y-%m-%d %H:%M").to_string()
}

fn event_key(kind: &str) -> String {
    format!("notify.event.{kind}")
}

// ---------------------------------------------------------------- inbox

pub struct InboxRow {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub lines: Vec<String>,
    pub link: String,
    pub at: String,
    pub read: bool,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    shell: Shell,
    items: Vec<InboxRow>,
    total: i64,
    unread: i64,
    unread_only: bool,
    next: Option<i64>,
}

const INBOX_PAGE: i64 = 50;

/// The reader's notifications, newest first.
pub async fn inbox(State(state): State<AppState>, page: Page, Query(q): Query<OkQuery>) -> PageResult {
    let unread_only = q.unread.as_deref() == Some("1");
    let before = q.before.as_deref().and_then(|b| b.parse::<i64>().ok());
    let p = ops::notify::inbox::list(&state.store, &page.actor, before, unread_only, INBOX_PAGE).await?;
    let items = p
        .items
        .into_iter()
        .map(|i| InboxRow {
            id: i.id,
            title: i.title,
            body: i.body,
            lines: i.lines,
            link: i.link,
            at: shown(i.occurred_at),
            read: i.read,
        })
        .collect();
    let mut shell = page.shell("inbox.title", "/inbox").with_flash(flash_from(page.t, q.ok.as_deref()));
    shell.unread = Some(p.unread);
    let body = InboxPage { shell, items, total: p.total, unread: p.unread, unread_only, next: p.next };
    Ok(render(StatusCode::OK, &body))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReadForm {
    /// Where to go after marking: the notification's own link, or back to the inbox.
    open: String,
}

/// Marks one notification read; with `open`, goes on to what it is about.
pub async fn mark_read(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    PageForm(f): PageForm<ReadForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    ops::notify::inbox::mark_read(&state.store, &page.actor, id).await?;
    // Only a path inside Rally (never another site).
    let open = f.open.trim();
    let to = if open.starts_with('/') && !open.starts_with("//") { open.to_owned() } else { "/inbox".to_owned() };
    Ok(Redirect::to(&to).into_response())
}

pub async fn mark_all_read(State(state): State<AppState>, page: Page) -> PageResult {
    ops::notify::inbox::mark_all_read(&state.store, &page.actor).await?;
    Ok(Redirect::to("/inbox?ok=inbox.all_read").into_response())
}

// ---------------------------------------------------------------- own preferences

pub struct Check {
    pub value: String,
    pub label_key: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "notify_prefs.html")]
struct PrefsPage {
    shell: Shell,
    mobile: String,
    mail: Vec<Check>,
}

fn event_checks(selected: &[EventKind]) -> Vec<Check> {
    EventKind::CONFIGURABLE
        .iter()
        .map(|k| Check {
            value: k.as_str().to_owned(),
            label_key: event_key(k.as_str()),
            checked: selected.contains(k),
        })
        .collect()
}

pub async fn prefs(State(state): State<AppState>, page: Page, Query(q): Query<OkQuery>) -> PageResult {
    let p = ops::notify::my_prefs(&state.store, &page.actor).await?;
    let all: Vec<EventKind> = EventKind::CONFIGURABLE.iter().copied().filter(|k| !p.mail_optout.contains(k)).collect();
    let shell = page.shell("notify_prefs.title", "/settings").with_flash(flash_from(page.t, q.ok.as_deref()));
    Ok(render(StatusCode::OK, &PrefsPage { shell, mobile: p.mobile, mail: event_checks(&all) }))
}

/// The form's fields as pairs: checkboxes repeat their name.
type Pairs = Vec<(String, String)>;

fn field<'a>(pairs: &'a Pairs, name: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

fn all_of(pairs: &Pairs, name: &str) -> Vec<String> {
    pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
}

/// Saves the mobile and which events come by mail (the unticked ones are opted out).
pub async fn save_prefs(State(state): State<AppState>, page: Page, PageForm(f): PageForm<Pairs>) -> PageResult {
    let wanted = all_of(&f, "mail");
    let optout: Vec<String> =
        EventKind::CONFIGURABLE.iter().map(|k| k.as_str().to_owned()).filter(|k| !wanted.contains(k)).collect();
    let mobile = field(&f, "mobile");
    match ops::notify::set_my_prefs(&state.store, &page.actor, mobile, &optout).await {
        Ok(_) => Ok(Redirect::to("/settings/notifications?ok=notify_prefs.saved").into_response()),
        Err(OpsError::Invalid { field, message }) => {
            let shell =
                page.shell("notify_prefs.title", "/settings").with_flash(Some(page.invalid_flash(field, &message)));
            let kept: Vec<EventKind> = wanted.iter().filter_map(|k| k.parse().ok()).collect();
            let body = PrefsPage { shell, mobile: mobile.to_owned(), mail: event_checks(&kept) };
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &body))
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------- channels (admin)

pub struct ChannelRow {
    pub id: i64,
    pub kind_key: String,
    pub name: String,
    pub enabled: bool,
    pub url: String,
    pub secret: String,
    pub events: Vec<String>,
}

pub struct Choice {
    pub value: &'static str,
    pub label_key: String,
    pub selected: bool,
}

/// What the channel form shows (never a secret).
pub struct ChannelForm {
    pub id: Option<i64>,
    pub kind: Vec<Choice>,
    pub name: String,
    pub enabled: bool,
    pub url: String,
    pub secret_set: bool,
    pub smtp_host: String,
    pub smtp_port: String,
    pub smtp_tls: Vec<Choice>,
    pub smtp_username: String,
    pub smtp_from: String,
    pub events: Vec<Check>,
    pub version: i64,
}

fn kind_choices(selected: Option<ChannelKind>) -> Vec<Choice> {
    ChannelKind::ALL
        .iter()
        .map(|k| Choice {
            value: k.as_str(),
            label_key: format!("channels.kind.{}", k.as_str()),
            selected: Some(*k) == selected,
        })
        .collect()
}

fn tls_choices(selected: SmtpTls) -> Vec<Choice> {
    [(SmtpTls::Starttls, "starttls"), (SmtpTls::Tls, "tls"), (SmtpTls::None, "none")]
        .into_iter()
        .map(|(t, v)| Choice { value: v, label_key: format!("channels.tls.{v}"), selected: t == selected })
        .collect()
}

impl ChannelForm {
    fn blank() -> ChannelForm {
        ChannelForm {
            id: None,
            kind: kind_choices(Some(ChannelKind::Wecom)),
            name: String::new(),
            enabled: true,
            url: String::new(),
            secret_set: false,
            smtp_host: String::new(),
            smtp_port: "587".into(),
            smtp_tls: tls_choices(SmtpTls::Starttls),
            smtp_username: String::new(),
            smtp_from: String::new(),
            events: event_checks(&[]),
            version: 0,
        }
    }

    fn of(v: &ChannelView) -> ChannelForm {
        let smtp = v.smtp.clone().unwrap_or_default();
        ChannelForm {
            id: Some(v.id),
            kind: kind_choices(Some(v.kind)),
            name: v.name.clone(),
            enabled: v.enabled,
            url: String::new(),
            secret_set: v.secret_set,
            smtp_host: smtp.host,
            smtp_port: if smtp.port == 0 { String::new() } else { smtp.port.to_string() },
            smtp_tls: tls_choices(smtp.tls),
            smtp_username: smtp.username,
            smtp_from: smtp.from,
            events: event_checks(&v.events),
            version: v.version,
        }
    }

    /// The form as typed, after an error (secrets are not kept).
    fn typed(pairs: &Pairs, id: Option<i64>, secret_set: bool) -> ChannelForm {
        let kind = field(pairs, "kind").parse::<ChannelKind>().ok();
        let events: Vec<EventKind> = all_of(pairs, "events").iter().filter_map(|k| k.parse().ok()).collect();
        let tls = match field(pairs, "smtp_tls") {
            "tls" => SmtpTls::Tls,
            "none" => SmtpTls::None,
            _ => SmtpTls::Starttls,
        };
        ChannelForm {
            id,
            kind: kind_choices(kind),
            name: field(pairs, "name").to_owned(),
            enabled: field(pairs, "enabled") == "on",
            url: field(pairs, "url").to_owned(),
            secret_set,
            smtp_host: field(pairs, "smtp_host").to_owned(),
            smtp_port: field(pairs, "smtp_port").to_owned(),
            smtp_tls: tls_choices(tls),
            smtp_username: field(pairs, "smtp_username").to_owned(),
            smtp_from: field(pairs, "smtp_from").to_owned(),
            events: event_checks(&events),
            version: field(pairs, "version").parse().unwrap_or(0),
        }
    }
}

/// The team's notification settings as the form shows them.
pub struct TeamForm {
    pub enabled: Vec<Check>,
    pub quiet_start: String,
    pub quiet_end: String,
    pub workday_start: String,
    pub standup_at: String,
    pub followup_cutoff: String,
    pub language: Vec<Choice>,
    pub public_url: String,
}

fn team_form(s: &crate::domain::notify::schedule::NotifySettings, cutoff: chrono::NaiveTime) -> TeamForm {
    let enabled: Vec<EventKind> = s.enabled.iter().copied().collect();
    TeamForm {
        enabled: event_checks(&enabled),
        quiet_start: s.quiet_start.format("%H:%M").to_string(),
        quiet_end: s.quiet_end.format("%H:%M").to_string(),
        workday_start: s.workday_start.format("%H:%M").to_string(),
        standup_at: s.standup_at.format("%H:%M").to_string(),
        followup_cutoff: cutoff.format("%H:%M").to_string(),
        language: [("zh-CN", "channels.lang.zh"), ("en", "channels.lang.en")]
            .into_iter()
            .map(|(v, k)| Choice { value: v, label_key: k.to_owned(), selected: s.language == v })
            .collect(),
        public_url: s.public_url.clone(),
    }
}

#[derive(Template)]
#[template(path = "notify_channels.html")]
struct ChannelsPage {
    shell: Shell,
    team: TeamForm,
    channels: Vec<ChannelRow>,
    form: ChannelForm,
}

fn channel_row(v: &ChannelView) -> ChannelRow {
    ChannelRow {
        id: v.id,
        kind_key: format!("channels.kind.{}", v.kind.as_str()),
        name: v.name.clone(),
        enabled: v.enabled,
        url: if v.kind == ChannelKind::Email {
            v.smtp.as_ref().map(|s| format!("{}:{}", s.host, s.port)).unwrap_or_default()
        } else {
            v.url.clone()
        },
        secret: v.secret.clone(),
        events: v.events.iter().map(|k| event_key(k.as_str())).collect(),
    }
}

async fn channels_page(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    flash: Option<Flash>,
    form: Option<ChannelForm>,
    team: Option<TeamForm>,
) -> PageResult {
    let list = ops::notify::channels::list(&state.store, &page.actor).await?;
    let settings = ops::notify::settings(&state.store).await?;
    let cutoff = ops::notify::followup_cutoff(&state.store).await?;
    let body = ChannelsPage {
        shell: page.shell("channels.title", TEAM_SETTINGS).with_flash(flash),
        team: team.unwrap_or_else(|| team_form(&settings, cutoff)),
        channels: list.iter().map(channel_row).collect(),
        form: form.unwrap_or_else(ChannelForm::blank),
    };
    Ok(render(status, &body))
}

/// The team's notification settings and channels (admin).
pub async fn channels(State(state): State<AppState>, page: Page, Query(q): Query<OkQuery>) -> PageResult {
    page.require(Permission::ManageNotifications)?;
    let flash = flash_from(page.t, q.ok.as_deref());
    channels_page(&state, &page, StatusCode::OK, flash, None, None).await
}

fn channel_input(pairs: &Pairs, creating: bool) -> ChannelInput {
    let kind = field(pairs, "kind");
    let smtp = (kind == "email").then(|| SmtpConfig {
        host: field(pairs, "smtp_host").to_owned(),
        port: field(pairs, "smtp_port").trim().parse().unwrap_or(0),
        tls: match field(pairs, "smtp_tls") {
            "tls" => SmtpTls::Tls,
            "none" => SmtpTls::None,
            _ => SmtpTls::Starttls,
        },
        username: field(pairs, "smtp_username").to_owned(),
        from: field(pairs, "smtp_from").to_owned(),
    });
    let blank_keeps = |name: &str| {
        let v = field(pairs, name);
        (creating || !v.trim().is_empty()).then(|| v.to_owned())
    };
    ChannelInput {
        kind: creating.then(|| kind.to_owned()),
        name: Some(field(pairs, "name").to_owned()),
        enabled: Some(creating || field(pairs, "enabled") == "on"),
        url: if kind == "email" { None } else { blank_keeps("url") },
        secret: blank_keeps("secret"),
        smtp,
        events: Some(all_of(pairs, "events")),
    }
}

pub async fn create_channel(State(state): State<AppState>, page: Page, PageForm(f): PageForm<Pairs>) -> PageResult {
    page.require(Permission::ManageNotifications)?;
    match ops::notify::channels::create(&state.store, &page.actor, channel_input(&f, true)).await {
        Ok(_) => Ok(Redirect::to("/settings/channels?ok=channels.created").into_response()),
        Err(OpsError::Invalid { field, message }) => {
            let flash = Some(page.invalid_flash(field, &message));
            let form = ChannelForm::typed(&f, None, false);
            channels_page(&state, &page, StatusCode::UNPROCESSABLE_ENTITY, flash, Some(form), None).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn save_team(State(state): State<AppState>, page: Page, PageForm(f): PageForm<Pairs>) -> PageResult {
    page.require(Permission::ManageNotifications)?;
    let input = ops::notify::SettingsInput {
        enabled: Some(all_of(&f, "enabled")),
        quiet_start: Some(field(&f, "quiet_start").to_owned()),
        quiet_end: Some(field(&f, "quiet_end").to_owned()),
        workday_start: Some(field(&f, "workday_start").to_owned()),
        standup_at: Some(field(&f, "standup_at").to_owned()),
        followup_cutoff: Some(field(&f, "followup_cutoff").to_owned()),
        language: Some(field(&f, "language").to_owned()),
        public_url: Some(field(&f, "public_url").to_owned()),
    };
    match ops::notify::set_settings(&state.store, &page.actor, input).await {
        Ok(_) => Ok(Redirect::to("/settings/channels?ok=channels.team_saved").into_response()),
        Err(OpsError::Invalid { field: name, message }) => {
            let flash = Some(page.invalid_flash(name, &message));
            let enabled: Vec<EventKind> = all_of(&f, "enabled").iter().filter_map(|k| k.parse().ok()).collect();
            let team = TeamForm {
                enabled: event_checks(&enabled),
                quiet_start: field(&f, "quiet_start").to_owned(),
                quiet_end: field(&f, "quiet_end").to_owned(),
                workday_start: field(&f, "workday_start").to_owned(),
                standup_at: field(&f, "standup_at").to_owned(),
                followup_cutoff: field(&f, "followup_cutoff").to_owned(),
                language: team_form(&Default::default(), chrono::NaiveTime::default()).language,
                public_url: field(&f, "public_url").to_owned(),
            };
            channels_page(&state, &page, StatusCode::UNPROCESSABLE_ENTITY, flash, None, Some(team)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "notify_channel_edit.html")]
struct ChannelEditPage {
    shell: Shell,
    form: ChannelForm,
    is_email: bool,
}

pub async fn edit_channel(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
    page.require(Permission::ManageNotifications)?;
    let id = parse_id(&id)?;
    let v = ops::notify::channels::get(&state.store, &page.actor, id).await?;
    let body = ChannelEditPage {
        shell: page.shell("channels.edit", TEAM_SETTINGS),
        is_email: v.kind == ChannelKind::Email,
        form: ChannelForm::of(&v),
    };
    Ok(render(StatusCode::OK, &body))
}

pub async fn update_channel(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    PageForm(f): PageForm<Pairs>,
) -> PageResult {
    page.require(Permission::ManageNotifications)?;
    let id = parse_id(&id)?;
    let current = ops::notify::channels::get(&state.store, &page.actor, id).await?;
    let version = field(&f, "version").parse::<i64>().ok();
    let mut pairs = f.clone();
    pairs.retain(|(k, _)| k != "kind");
    pairs.push(("kind".into(), current.kind.as_str().into()));
    match ops::notify::channels::update(&state.store, &page.actor, id, version, channel_input(&pairs, false)).await {
        Ok(_) => Ok(Redirect::to("/settings/channels?ok=channels.saved").into_response()),
        Err(OpsError::Invalid { field: name, message }) => {
            let body = ChannelEditPage {
                shell: page.shell("channels.edit", TEAM_SETTINGS).with_flash(Some(page.invalid_flash(name, &message))),
                is_email: current.kind == ChannelKind::Email,
                form: ChannelForm::typed(&pairs, Some(id), current.secret_set),
            };
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &body))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn delete_channel(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
    page.require(Permission::ManageNotifications)?;
    let id = parse_id(&id)?;
    ops::notify::channels::delete(&state.store, &page.actor, id).await?;
    Ok(Redirect::to("/settings/channels?ok=channels.deleted").into_response())
}

/// "Send a test message": the receiver's answer is shown on the page.
pub async fn test_channel(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
    page.require(Permission::ManageNotifications)?;
    let id = parse_id(&id)?;
    let r = ops::notify::channels::send_test(&state.store, &page.actor, id).await?;
    let answer = r.answer.unwrap_or_default();
    let status = page.t.get(&format!("deliveries.status.{}", r.status)).to_owned();
    let flash = if r.status == "sent" {
        Flash { kind: "ok", text: page.t.fill("channels.test_sent", &[("answer", &answer)]) }
    } else {
        Flash { kind: "bad", text: page.t.fill("channels.test_failed", &[("status", &status), ("answer", &answer)]) }
    };
    channels_page(&state, &page, StatusCode::OK, Some(flash), None, None).await
}

// ---------------------------------------------------------------- delivery log and jobs (admin)

pub struct AttemptRow {
    pub at: String,
    pub outcome_key: String,
    pub answer: String,
}

pub struct DeliveryView {
    pub id: i64,
    pub event_key: String,
    pub channel: String,
    pub channel_kind_key: String,
    pub receiver: String,
    pub key: String,
    pub status: String,
    pub status_key: String,
    pub created: String,
    pub sent: Option<String>,
    pub next: Option<String>,
    pub last_answer: Option<String>,
    pub attempts: Vec<AttemptRow>,
}

pub struct StatusTab {
    pub value: &'static str,
    pub label_key: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "notify_deliveries.html")]
struct DeliveriesPage {
    shell: Shell,
    tabs: Vec<StatusTab>,
    status: String,
    items: Vec<DeliveryView>,
    next: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LogQuery {
    status: String,
    before: String,
}

const LOG_PAGE: i64 = 50;

/// The delivery log, newest first (admin).
pub async fn deliveries(State(state): State<AppState>, page: Page, Query(q): Query<LogQuery>) -> PageResult {
    page.require(Permission::ManageNotifications)?;
    let status = ops::notify::log::STATUSES.iter().find(|s| **s == q.status.trim()).map(|s| (*s).to_owned());
    let filter =
        DeliveryFilter { status: status.clone(), event_id: None, before_id: q.before.trim().parse::<i64>().ok() };
    let (rows, attempts) = ops::notify::log::deliveries(&state.store, &page.actor, filter, LOG_PAGE).await?;
    let next = (rows.len() as i64 == LOG_PAGE).then(|| rows.last().map(|r| r.id)).flatten();
    let items = rows
        .into_iter()
        .map(|d| DeliveryView {
            attempts: attempts
                .iter()
                .filter(|a| a.delivery_id == d.id)
                .map(|a| AttemptRow {
                    at: shown(a.at),
                    outcome_key: format!("deliveries.outcome.{}", a.outcome),
                    answer: a.answer.clone(),
                })
                .collect(),
            id: d.id,
            event_key: event_key(&d.event_kind),
            channel: d.channel_name.unwrap_or_default(),
            channel_kind_key: format!("channels.kind.{}", d.channel_kind),
            receiver: d.receiver,
            key: d.idempotency_key,
            status_key: format!("deliveries.status.{}", d.status),
            status: d.status,
            created: shown(d.created_at),
            sent: d.sent_at.map(shown),
            next: d.next_at.map(shown),
            last_answer: d.last_answer,
        })
        .collect();
    let current = status.clone().unwrap_or_default();
    let tabs = std::iter::once("")
        .chain(ops::notify::log::STATUSES)
        .map(|s| StatusTab {
            value: s,
            label_key: if s.is_empty() { "deliveries.all".to_owned() } else { format!("deliveries.status.{s}") },
            active: current == s,
        })
        .collect();
    let body =
        DeliveriesPage { shell: page.shell("deliveries.title", TEAM_SETTINGS), tabs, status: current, items, next };
    Ok(render(StatusCode::OK, &body))
}

pub struct JobView {
    pub id: i64,
    pub delivery: i64,
    pub attempts: i64,
    pub max_attempts: i64,
    pub last_error: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "notify_jobs.html")]
struct JobsPage {
    shell: Shell,
    jobs: Vec<JobView>,
}

/// The dead jobs, each with a retry button (admin).
pub async fn jobs(State(state): State<AppState>, page: Page, Query(q): Query<OkQuery>) -> PageResult {
    page.require(Permission::ManageNotifications)?;
    let rows = ops::notify::log::jobs(&state.store, &page.actor, true, None, 200).await?;
    let jobs = rows
        .into_iter()
        .map(|j| JobView {
            id: j.id,
            delivery: j.ref_id,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            last_error: j.last_error.unwrap_or_default(),
            at: shown(j.updated_at),
        })
        .collect();
    let shell = page.shell("jobs.title", TEAM_SETTINGS).with_flash(flash_from(page.t, q.ok.as_deref()));
    Ok(render(StatusCode::OK, &JobsPage { shell, jobs }))
}

pub async fn retry_job(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
    page.require(Permission::ManageNotifications)?;
    let id = parse_id(&id)?;
    ops::notify::log::retry(&state.store, &page.actor, id).await?;
    Ok(Redirect::to("/settings/jobs?ok=jobs.retried").into_response())
}
