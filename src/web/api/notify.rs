//! Notifications: the caller's inbox and preferences; for admins the
//! channels (with their test message), the team's settings, the delivery
//! log and the queue's jobs. Secrets are never returned in full.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{List, Page, if_match, parse_body, parse_id};
use crate::app::AppState;
use crate::ops;
use crate::ops::authz::{self, Permission};
use crate::ops::notify::channels::{ChannelInput, ChannelView, SmtpConfig, SmtpTls};
use crate::store::notify::DeliveryFilter;
use crate::web::cursor;
use crate::web::error::ApiError;
use crate::web::session::ApiAuth;

#[derive(Serialize, ToSchema)]
pub struct InboxItem {
    pub id: i64,
    /// The event kind (`phase_due_soon`, `phase_overdue`, …).
    pub event: String,
    pub title: String,
    pub body: String,
    pub lines: Vec<String>,
    /// A path inside Rally.
    pub link: String,
    pub occurred_at: DateTime<Utc>,
    pub read: bool,
}

#[derive(Serialize, ToSchema)]
pub struct InboxList {
    pub items: Vec<InboxItem>,
    pub total: i64,
    pub unread: i64,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// `true`: unread only.
    pub unread: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

fn flag(field: &str, raw: Option<&str>) -> Result<bool, ApiError> {
    match raw.map(str::trim) {
        None | Some("") | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(_) => Err(ApiError::invalid(field, format!("{field} is true or false"))),
    }
}

/// The caller's notifications, newest first (rendered in the caller's language).
#[utoipa::path(get, operation_id = "inbox_list", path = "/api/v1/inbox", tag = "notifications", params(InboxQuery),
    responses((status = 200, description = "OK", body = InboxList)))]
pub async fn inbox(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Query(q): Query<InboxQuery>,
) -> Result<Json<InboxList>, ApiError> {
    let unread_only = flag("unread", q.unread.as_deref())?;
    let page = Page { limit: q.limit, cursor: q.cursor };
    let limit = page.limit()?;
    let before = page.after_id()?;
    let p = ops::notify::inbox::list(&state.store, &actor, before, unread_only, limit).await?;
    Ok(Json(InboxList {
        items: p
            .items
            .into_iter()
            .map(|i| InboxItem {
                id: i.id,
                event: i.event.as_str().to_owned(),
                title: i.title,
                body: i.body,
                lines: i.lines,
                link: i.link,
                occurred_at: i.occurred_at,
                read: i.read,
            })
            .collect(),
        total: p.total,
        unread: p.unread,
        next_cursor: p.next.map(cursor::encode),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Unread {
    pub unread: i64,
}

/// The bell's number: the caller's unread notifications.
#[utoipa::path(get, operation_id = "inbox_unread", path = "/api/v1/inbox/unread-count", tag = "notifications",
    responses((status = 200, description = "OK", body = Unread)))]
pub async fn unread(State(state): State<AppState>, ApiAuth(actor): ApiAuth) -> Result<Json<Unread>, ApiError> {
    Ok(Json(Unread { unread: ops::notify::inbox::unread_count(&state.store, &actor).await? }))
}

/// Mark one of the caller's notifications read.
#[utoipa::path(post, operation_id = "inbox_read", path = "/api/v1/inbox/{id}/read", tag = "notifications",
    params(("id" = i64, Path, description = "notification id")),
    responses((status = 204, description = "read")))]
pub async fn read(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    ops::notify::inbox::mark_read(&state.store, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct Marked {
    pub marked: u64,
}

/// Mark all of the caller's notifications read.
#[utoipa::path(post, operation_id = "inbox_read_all", path = "/api/v1/inbox/read-all", tag = "notifications",
    responses((status = 200, description = "OK", body = Marked)))]
pub async fn read_all(State(state): State<AppState>, ApiAuth(actor): ApiAuth) -> Result<Json<Marked>, ApiError> {
    Ok(Json(Marked { marked: ops::notify::inbox::mark_all_read(&state.store, &actor).await? }))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MyNotifications {
    /// A mainland mobile number, so group robots can @-mention you (empty: none).
    pub mobile: Option<String>,
    /// Event kinds you take no mail for.
    pub mail_optout: Option<Vec<String>>,
}

fn my_prefs_out(p: crate::store::notify::Prefs) -> MyNotifications {
    MyNotifications {
        mobile: Some(p.mobile),
        mail_optout: Some(p.mail_optout.iter().map(|k| k.as_str().to_owned()).collect()),
    }
}

/// The caller's notification preferences.
#[utoipa::path(get, operation_id = "me_notifications", path = "/api/v1/me/notifications", tag = "notifications",
    responses((status = 200, description = "OK", body = MyNotifications)))]
pub async fn my_prefs(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
) -> Result<Json<MyNotifications>, ApiError> {
    Ok(Json(my_prefs_out(ops::notify::my_prefs(&state.store, &actor).await?)))
}

/// Change the caller's mobile (for @-mentions) and mail opt-outs.
#[utoipa::path(put, operation_id = "me_set_notifications", path = "/api/v1/me/notifications", tag = "notifications",
    request_body = MyNotifications, responses((status = 200, description = "OK", body = MyNotifications)))]
pub async fn set_my_prefs(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<MyNotifications>, ApiError> {
    let input: MyNotifications = parse_body(&headers, &body)?;
    let current = ops::notify::my_prefs(&state.store, &actor).await?;
    let mobile = input.mobile.unwrap_or(current.mobile);
    let optout =
        input.mail_optout.unwrap_or_else(|| current.mail_optout.iter().map(|k| k.as_str().to_owned()).collect());
    Ok(Json(my_prefs_out(ops::notify::set_my_prefs(&state.store, &actor, &mobile, &optout).await?)))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotifySettingsBody {
    /// Event kinds the team hears (`phase_due_soon`, `phase_overdue`, `blocker_raised`, …,
    /// `tasks_due`, `follow_up_missing`, `standup_digest`).
    pub enabled: Option<Vec<String>>,
    /// Quiet hours (HH:MM, Asia/Shanghai): external messages wait until they end.
    pub quiet_start: Option<String>,
    pub quiet_end: Option<String>,
    /// When the morning reminders go, each person's tasks due among them (HH:MM).
    pub workday_start: Option<String>,
    /// When the stand-up digest goes to the group channels on working days (HH:MM).
    pub standup_at: Option<String>,
    /// The day's cutoff for the follow-up record (HH:MM): reps with nothing
    /// logged by then are reminded and listed to their lead. The stand-up's own
    /// cutoff (`standup_cutoff` of the execution settings).
    pub followup_cutoff: Option<String>,
    /// `zh-CN` or `en`: the language of robot, webhook and mail texts.
    pub language: Option<String>,
    /// Rally's address, so messages link into it.
    pub public_url: Option<String>,
}

fn settings_out(s: crate::domain::notify::schedule::NotifySettings, cutoff: chrono::NaiveTime) -> NotifySettingsBody {
    NotifySettingsBody {
        enabled: Some(s.enabled.iter().map(|k| k.as_str().to_owned()).collect()),
        quiet_start: Some(s.quiet_start.format("%H:%M").to_string()),
        quiet_end: Some(s.quiet_end.format("%H:%M").to_string()),
        workday_start: Some(s.workday_start.format("%H:%M").to_string()),
        standup_at: Some(s.standup_at.format("%H:%M").to_string()),
        followup_cutoff: Some(cutoff.format("%H:%M").to_string()),
        language: Some(s.language),
        public_url: Some(s.public_url),
    }
}

/// The team's notification settings (admin).
#[utoipa::path(get, operation_id = "settings_notifications", path = "/api/v1/settings/notifications", tag = "notifications",
    responses((status = 200, description = "OK", body = NotifySettingsBody), (status = 403, description = "Your role may not do this", body = super::ErrorBody)))]
pub async fn settings(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
) -> Result<Json<NotifySettingsBody>, ApiError> {
    authz::require(&actor, Permission::ManageNotifications)?;
    let cutoff = ops::notify::followup_cutoff(&state.store).await?;
    Ok(Json(settings_out(ops::notify::settings(&state.store).await?, cutoff)))
}

/// Change the team's notification settings (admin).
#[utoipa::path(put, operation_id = "settings_set_notifications", path = "/api/v1/settings/notifications", tag = "notifications",
    request_body = NotifySettingsBody,
    responses((status = 200, description = "OK", body = NotifySettingsBody), (status = 403, description = "Your role may not do this", body = super::ErrorBody)))]
pub async fn set_settings(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<NotifySettingsBody>, ApiError> {
    authz::require(&actor, Permission::ManageNotifications)?;
    let b: NotifySettingsBody = parse_body(&headers, &body)?;
    let input = ops::notify::SettingsInput {
        enabled: b.enabled,
        quiet_start: b.quiet_start,
        quiet_end: b.quiet_end,
        workday_start: b.workday_start,
        standup_at: b.standup_at,
        followup_cutoff: b.followup_cutoff,
        language: b.language,
        public_url: b.public_url,
    };
    let s = ops::notify::set_settings(&state.store, &actor, input).await?;
    Ok(Json(settings_out(s, ops::notify::followup_cutoff(&state.store).await?)))
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct SmtpBody {
    pub host: Option<String>,
    pub port: Option<u16>,
    /// `starttls` (587), `tls` (465) or `none`.
    pub tls: Option<String>,
    pub username: Option<String>,
    /// The sender address.
    pub from: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ChannelOut {
    pub id: i64,
    /// `wecom`, `dingtalk`, `feishu`, `webhook` or `email`.
    pub kind: String,
    pub name: String,
    pub enabled: bool,
    /// Masked: scheme, host and the last characters.
    pub url: String,
    pub secret_set: bool,
    /// Masked: `••••` and the last four characters.
    pub secret: String,
    pub smtp: Option<SmtpBody>,
    /// Event kinds it hears; empty: all.
    pub events: Vec<String>,
    pub version: i64,
}

fn tls_name(t: SmtpTls) -> &'static str {
    match t {
        SmtpTls::Starttls => "starttls",
        SmtpTls::Tls => "tls",
        SmtpTls::None => "none",
    }
}

fn channel_out(v: ChannelView) -> ChannelOut {
    ChannelOut {
        id: v.id,
        kind: v.kind.as_str().to_owned(),
        name: v.name,
        enabled: v.enabled,
        url: v.url,
        secret_set: v.secret_set,
        secret: v.secret,
        smtp: v.smtp.map(|s| SmtpBody {
            host: Some(s.host),
            port: Some(s.port),
            tls: Some(tls_name(s.tls).to_owned()),
            username: Some(s.username),
            from: Some(s.from),
        }),
        events: v.events.iter().map(|k| k.as_str().to_owned()).collect(),
        version: v.version,
    }
}

#[derive(Serialize, ToSchema)]
pub struct ChannelList {
    pub items: Vec<ChannelOut>,
    pub total: i64,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelBody {
    /// `wecom`, `dingtalk`, `feishu`, `webhook` or `email` (on create only).
    pub kind: Option<String>,
    pub name: Option<String>,
    pub enabled: Option<bool>,
    /// The robot's or webhook's URL as copied (it carries the key); blank or absent on edit keeps it.
    pub url: Option<String>,
    /// The signing secret (DingTalk 加签, Feishu 签名校验, webhook) or the SMTP password; blank or absent keeps it.
    pub secret: Option<String>,
    pub smtp: Option<SmtpBody>,
    pub events: Option<Vec<String>>,
    pub version: Option<i64>,
}

fn channel_input(b: ChannelBody) -> Result<ChannelInput, ApiError> {
    let smtp = match b.smtp {
        None => None,
        Some(s) => Some(SmtpConfig {
            host: s.host.unwrap_or_default(),
            port: s.port.unwrap_or(0),
            tls: match s.tls.as_deref().map(str::trim) {
                None | Some("") | Some("starttls") => SmtpTls::Starttls,
                Some("tls") => SmtpTls::Tls,
                Some("none") => SmtpTls::None,
                Some(_) => return Err(ApiError::invalid("smtp.tls", "tls is starttls, tls or none")),
            },
            username: s.username.unwrap_or_default(),
            from: s.from.unwrap_or_default(),
        }),
    };
    Ok(ChannelInput {
        kind: b.kind,
        name: b.name,
        enabled: b.enabled,
        url: b.url,
        secret: b.secret,
        smtp,
        events: b.events,
    })
}

/// The notification channels (admin).
#[utoipa::path(get, operation_id = "channels_list", path = "/api/v1/notification-channels", tag = "notifications",
    responses((status = 200, description = "OK", body = ChannelList), (status = 403, description = "Your role may not do this", body = super::ErrorBody)))]
pub async fn channels(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
) -> Result<Json<List<ChannelOut>>, ApiError> {
    let items: Vec<ChannelOut> =
        ops::notify::channels::list(&state.store, &actor).await?.into_iter().map(channel_out).collect();
    let total = items.len() as i64;
    Ok(Json(List { items, total, next_cursor: None }))
}

/// Add a channel (admin).
#[utoipa::path(post, operation_id = "channels_create", path = "/api/v1/notification-channels", tag = "notifications", request_body = ChannelBody,
    responses((status = 201, description = "Created", body = ChannelOut), (status = 403, description = "Your role may not do this", body = super::ErrorBody)))]
pub async fn create_channel(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<ChannelOut>), ApiError> {
    authz::require(&actor, Permission::ManageNotifications)?;
    let b: ChannelBody = parse_body(&headers, &body)?;
    let view = ops::notify::channels::create(&state.store, &actor, channel_input(b)?).await?;
    Ok((StatusCode::CREATED, Json(channel_out(view))))
}

/// One channel (admin).
#[utoipa::path(get, operation_id = "channels_get", path = "/api/v1/notification-channels/{id}", tag = "notifications",
    params(("id" = i64, Path, description = "channel id")),
    responses((status = 200, description = "OK", body = ChannelOut), (status = 403, description = "Your role may not do this", body = super::ErrorBody)))]
pub async fn channel(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<ChannelOut>, ApiError> {
    authz::require(&actor, Permission::ManageNotifications)?;
    let id = parse_id(&id)?;
    Ok(Json(channel_out(ops::notify::channels::get(&state.store, &actor, id).await?)))
}

/// Change a channel (admin); name the version seen (`If-Match` or `version`).
#[utoipa::path(patch, operation_id = "channels_update", path = "/api/v1/notification-channels/{id}", tag = "notifications", request_body = ChannelBody,
    params(("id" = i64, Path, description = "channel id")),
    responses((status = 200, description = "OK", body = ChannelOut), (status = 403, description = "Your role may not do this", body = super::ErrorBody),
        (status = 409, description = "Changed meanwhile", body = super::ErrorBody)))]
pub async fn update_channel(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ChannelOut>, ApiError> {
    authz::require(&actor, Permission::ManageNotifications)?;
    let id = parse_id(&id)?;
    ops::notify::channels::get(&state.store, &actor, id).await?;
    let b: ChannelBody = parse_body(&headers, &body)?;
    let version = if_match(&headers)?.or(b.version);
    let view = ops::notify::channels::update(&state.store, &actor, id, version, channel_input(b)?).await?;
    Ok(Json(channel_out(view)))
}

/// Remove a channel (admin); its unsent messages become dead.
#[utoipa::path(delete, operation_id = "channels_delete", path = "/api/v1/notification-channels/{id}", tag = "notifications",
    params(("id" = i64, Path, description = "channel id")),
    responses((status = 204, description = "removed"), (status = 403, description = "Your role may not do this", body = super::ErrorBody)))]
pub async fn delete_channel(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    authz::require(&actor, Permission::ManageNotifications)?;
    let id = parse_id(&id)?;
    ops::notify::channels::delete(&state.store, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct TestOut {
    /// `sent`, `queued` (waiting for the robot's rate limit), `retrying` or `dead`.
    pub status: String,
    /// The receiver's answer, or why it could not be reached.
    pub answer: Option<String>,
    pub delivery_id: Option<i64>,
}

/// Send a test message through a channel now (admin; mail goes to the caller).
#[utoipa::path(post, operation_id = "channels_test", path = "/api/v1/notification-channels/{id}/test", tag = "notifications",
    params(("id" = i64, Path, description = "channel id")),
    responses((status = 200, description = "What the receiver answered", body = TestOut), (status = 403, description = "Your role may not do this", body = super::ErrorBody)))]
pub async fn test_channel(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<TestOut>, ApiError> {
    authz::require(&actor, Permission::ManageNotifications)?;
    let id = parse_id(&id)?;
    let r = ops::notify::channels::send_test(&state.store, &actor, id).await?;
    Ok(Json(TestOut { status: r.status, answer: r.answer, delivery_id: r.delivery_id }))
}

#[derive(Serialize, ToSchema)]
pub struct AttemptOut {
    pub attempt: i64,
    pub at: DateTime<Utc>,
    /// `sent`, `retry`, `dead`, or `unknown` (the worker stopped mid-send).
    pub outcome: String,
    /// The receiver's answer.
    pub answer: String,
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryOut {
    pub id: i64,
    pub event_id: i64,
    pub event: String,
    pub channel_id: Option<i64>,
    pub channel_kind: String,
    pub channel_name: Option<String>,
    /// The channel's name, or the person's address for mail.
    pub receiver: String,
    /// Sent with the message (`X-Rally-Delivery`, DingTalk's `msgUuid`, the mail's `Message-ID`).
    pub idempotency_key: String,
    /// `queued`, `sending`, `sent`, `retrying` or `dead`.
    pub status: String,
    pub attempts: i64,
    pub last_answer: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    /// When it goes next, while it waits (quiet hours, a rate limit, a retry).
    pub next_at: Option<DateTime<Utc>>,
    /// Its job while it has one: a dead delivery is retried by this id.
    pub job_id: Option<i64>,
    pub history: Vec<AttemptOut>,
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryList {
    pub items: Vec<DeliveryOut>,
    pub total: i64,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// `queued`, `sending`, `sent`, `retrying` or `dead`.
    pub status: Option<String>,
    pub event_id: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// One page of `rows` as the lists here answer: the next cursor is the last
/// row's id when the page came back full.
fn paged<R, T>(rows: Vec<R>, limit: i64, id: impl Fn(&R) -> i64, out: impl FnMut(R) -> T) -> List<T> {
    let next_cursor = (rows.len() as i64 == limit).then(|| rows.last().map(|r| cursor::encode(id(r)))).flatten();
    let items: Vec<T> = rows.into_iter().map(out).collect();
    let total = items.len() as i64;
    List { items, total, next_cursor }
}

fn delivery_out(d: crate::store::notify::DeliveryRow, attempts: &[crate::store::notify::AttemptRow]) -> DeliveryOut {
    let history = attempts
        .iter()
        .filter(|a| a.delivery_id == d.id)
        .map(|a| AttemptOut { attempt: a.attempt, at: a.at, outcome: a.outcome.clone(), answer: a.answer.clone() })
        .collect();
    DeliveryOut {
        history,
        id: d.id,
        event_id: d.event_id,
        event: d.event_kind,
        channel_id: d.channel_id,
        channel_kind: d.channel_kind,
        channel_name: d.channel_name,
        receiver: d.receiver,
        idempotency_key: d.idempotency_key,
        status: d.status,
        attempts: d.attempts,
        last_answer: d.last_answer,
        created_at: d.created_at,
        sent_at: d.sent_at,
        next_at: d.next_at,
        job_id: d.job_id,
    }
}

/// The delivery log, newest first: per event and receiver, each attempt with the receiver's answer (admin).
#[utoipa::path(get, operation_id = "deliveries_list", path = "/api/v1/deliveries", tag = "notifications", params(DeliveryQuery),
    responses((status = 200, description = "OK", body = DeliveryList), (status = 403, description = "Your role may not do this", body = super::ErrorBody)))]
pub async fn deliveries(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Query(q): Query<DeliveryQuery>,
) -> Result<Json<List<DeliveryOut>>, ApiError> {
    authz::require(&actor, Permission::ManageNotifications)?;
    let page = Page { limit: q.limit, cursor: q.cursor };
    let limit = page.limit()?;
    let event_id = match q.event_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => Some(raw.parse::<i64>().map_err(|_| ApiError::invalid("event_id", "event_id is a number"))?),
    };
    let filter =
        DeliveryFilter { status: q.status.filter(|s| !s.trim().is_empty()), event_id, before_id: page.after_id()? };
    let (rows, attempts) = ops::notify::log::deliveries(&state.store, &actor, filter, limit).await?;
    Ok(Json(paged(rows, limit, |d| d.id, |d| delivery_out(d, &attempts))))
}

#[derive(Serialize, ToSchema)]
pub struct JobOut {
    pub id: i64,
    pub kind: String,
    /// The delivery it sends.
    pub ref_id: i64,
    /// `queued`, `running` or `dead`.
    pub status: String,
    pub run_at: DateTime<Utc>,
    pub attempts: i64,
    pub max_attempts: i64,
    pub last_error: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct JobList {
    pub items: Vec<JobOut>,
    pub total: i64,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    /// `true`: only dead jobs.
    pub dead: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// The queue's jobs not yet done, oldest first (admin).
#[utoipa::path(get, operation_id = "jobs_list", path = "/api/v1/jobs", tag = "notifications", params(JobQuery),
    responses((status = 200, description = "OK", body = JobList), (status = 403, description = "Your role may not do this", body = super::ErrorBody)))]
pub async fn jobs(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Query(q): Query<JobQuery>,
) -> Result<Json<List<JobOut>>, ApiError> {
    authz::require(&actor, Permission::ManageNotifications)?;
    let dead = flag("dead", q.dead.as_deref())?;
    let page = Page { limit: q.limit, cursor: q.cursor };
    let limit = page.limit()?;
    let rows = ops::notify::log::jobs(&state.store, &actor, dead, page.after_id()?, limit).await?;
    Ok(Json(paged(
        rows,
        limit,
        |j| j.id,
        |j| JobOut {
            id: j.id,
            kind: j.kind,
            ref_id: j.ref_id,
            status: j.status,
            run_at: j.run_at,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            last_error: j.last_error,
        },
    )))
}

/// Send a dead job again from its first attempt (admin).
#[utoipa::path(post, operation_id = "jobs_retry", path = "/api/v1/jobs/{id}/retry", tag = "notifications",
    params(("id" = i64, Path, description = "job id")),
    responses((status = 204, description = "queued again"), (status = 403, description = "Your role may not do this", body = super::ErrorBody)))]
pub async fn retry_job(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    authz::require(&actor, Permission::ManageNotifications)?;
    let id = parse_id(&id)?;
    ops::notify::log::retry(&state.store, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
