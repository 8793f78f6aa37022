//! Channels an admin configures: group robots (WeCom, DingTalk, Feishu), a
//! signed webhook, mail over SMTP. URLs, keys and passwords are stored as
//! entered and never shown back in full, logged, or put in the audit trail.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::authz::{self, Actor, Permission};
use super::super::{OpsError, OpsResult, audit_change, optional_text, required_text};
use super::{Context, Event, emit_now};
use crate::domain::notify::render::{EventData, Params};
use crate::domain::notify::{ChannelKind, EventKind, mask_secret, mask_url};
use crate::store::Store;
use crate::store::audit::AuditAction;
use crate::store::notify::{self as notify_store, Channel, ChannelValues};

/// How mail reaches its SMTP server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No TLS (a relay on the same machine or network only).
    None,
}

/// The non-secret part of a mail channel.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: String,
    /// The sender, e.g. `快响 Rally <rally@example.com>` or an address.
    pub from: String,
}

/// A channel as shown back: secrets masked.
#[derive(Clone, Debug, Serialize)]
pub struct ChannelView {
    pub id: i64,
    pub kind: ChannelKind,
    pub name: String,
    pub enabled: bool,
    /// Scheme, host and the last characters only.
    pub url: String,
    pub secret_set: bool,
    /// `••••` and the last four characters.
    pub secret: String,
    pub smtp: Option<SmtpConfig>,
    /// Event kinds it hears; empty: all.
    pub events: Vec<EventKind>,
    pub version: i64,
}

impl From<&Channel> for ChannelView {
    fn from(c: &Channel) -> Self {
        ChannelView {
            id: c.id,
            kind: c.kind,
            name: c.name.clone(),
            enabled: c.enabled,
            url: mask_url(&c.url),
            secret_set: !c.secret.is_empty(),
            secret: mask_secret(&c.secret),
            smtp: (c.kind == ChannelKind::Email).then(|| serde_json::from_str(&c.config).unwrap_or_default()),
            events: c.events.clone(),
            version: c.version,
        }
    }
}

/// A channel's fields as given; `None` keeps (on edit) or defaults. A blank
/// URL or secret on edit keeps the stored one (it is never shown back).
#[derive(Clone, Debug, Default)]
pub struct ChannelInput {
    pub kind: Option<String>,
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub url: Option<String>,
    pub secret: Option<String>,
    pub smtp: Option<SmtpConfig>,
    pub events: Option<Vec<String>>,
}

pub async fn list(store: &Store, actor: &Actor) -> OpsResult<Vec<ChannelView>> {
    authz::require(actor, Permission::ManageNotifications)?;
    Ok(store.channels().await?.iter().map(ChannelView::from).collect())
}

pub async fn get(store: &Store, actor: &Actor, id: i64) -> OpsResult<ChannelView> {
    authz::require(actor, Permission::ManageNotifications)?;
    store.channel(id).await?.as_ref().map(ChannelView::from).ok_or(OpsError::NotFound)
}

fn check_url(kind: ChannelKind, url: &str) -> OpsResult<()> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(OpsError::invalid("url", "the URL starts with https://"));
    }
    let expected = match kind {
        ChannelKind::Wecom => Some(("/cgi-bin/webhook/send", "key=")),
        ChannelKind::Dingtalk => Some(("/robot/send", "access_token=")),
        ChannelKind::Feishu => Some(("/open-apis/bot/v2/hook/", "")),
        _ => None,
    };
    if let Some((path, query)) = expected
        && !(url.contains(path) && url.contains(query))
    {
        // The robot's URL is copied from the group's settings whole; a part of it fails later.
        let example = match kind {
            ChannelKind::Wecom => "…/cgi-bin/webhook/send?key=KEY",
            ChannelKind::Dingtalk => "…/robot/send?access_token=TOKEN",
            _ => "…/open-apis/bot/v2/hook/TOKEN",
        };
        return Err(OpsError::invalid("url", format!("paste the robot's whole webhook address ({example})")));
    }
    Ok(())
}

fn values(current: Option<&Channel>, input: ChannelInput) -> OpsResult<ChannelValues> {
    let kind = match (&input.kind, current) {
        (_, Some(c)) => c.kind,
        (Some(k), None) => {
            k.parse().map_err(|e: crate::domain::notify::UnknownCode| OpsError::invalid("kind", e.to_string()))?
        }
        (None, None) => return Err(OpsError::invalid("kind", "kind is required")),
    };
    let name = match (input.name, current) {
        (Some(n), _) => required_text("name", &n, 100)?,
        (None, Some(c)) => c.name.clone(),
        (None, None) => return Err(OpsError::invalid("name", "name is required")),
    };
    let keep = |given: Option<String>, stored: Option<&String>| -> String {
        match given.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) {
            Some(s) => s,
            None => stored.cloned().unwrap_or_default(),
        }
    };
    let url = keep(input.url, current.map(|c| &c.url));
    let secret = keep(input.secret, current.map(|c| &c.secret));
    for (field, v) in [("url", &url), ("secret", &secret)] {
        super::super::check_chars(field, v, false)?;
        if v.chars().count() > 2000 {
            return Err(OpsError::invalid(field, format!("{field} is longer than 2000 characters")));
        }
    }
    let mut config = current.map_or_else(|| "{}".to_owned(), |c| c.config.clone());
    match kind {
        ChannelKind::Email => {
            let mut smtp: SmtpConfig = match input.smtp {
                Some(s) => s,
                None => serde_json::from_str(&config).unwrap_or_default(),
            };
            smtp.host = required_text("smtp.host", &smtp.host, 253)?;
            if smtp.port == 0 {
                smtp.port = match smtp.tls {
                    SmtpTls::Tls => 465,
                    SmtpTls::Starttls => 587,
                    SmtpTls::None => 25,
                };
            }
            smtp.username = optional_text("smtp.username", &smtp.username, 200)?;
            smtp.from = required_text("smtp.from", &smtp.from, 200)?;
            if smtp.from.parse::<lettre::message::Mailbox>().is_err() {
                return Err(OpsError::invalid("smtp.from", "the sender is an address such as rally@example.com"));
            }
            config = serde_json::to_string(&smtp).map_err(|e| OpsError::Other(e.into()))?;
        }
        _ => {
            if url.is_empty() {
                return Err(OpsError::invalid("url", "url is required"));
            }
            check_url(kind, &url)?;
            if kind == ChannelKind::Webhook && secret.is_empty() {
                return Err(OpsError::invalid("secret", "a webhook needs a signing secret"));
            }
        }
    }
    let events = match input.events {
        Some(list) => {
            let mut out = Vec::new();
            for e in list.iter().filter(|e| !e.trim().is_empty()) {
                let k: EventKind = e
                    .parse()
                    .map_err(|e: crate::domain::notify::UnknownCode| OpsError::invalid("events", e.to_string()))?;
                if EventKind::CONFIGURABLE.contains(&k) && !out.contains(&k) {
                    out.push(k);
                }
            }
            out
        }
        None => current.map(|c| c.events.clone()).unwrap_or_default(),
    };
    Ok(ChannelValues {
        kind,
        name,
        enabled: input.enabled.unwrap_or(current.is_none_or(|c| c.enabled)),
        url,
        secret,
        config,
        events,
    })
}

/// What the audit trail keeps of a channel: never its URL or secret.
fn audited(v: &ChannelView) -> serde_json::Value {
    json!({ "channel": {
        "kind": v.kind, "name": v.name, "enabled": v.enabled, "url": v.url, "secret_set": v.secret_set,
        "smtp": v.smtp, "events": v.events,
    }})
}

pub async fn create(store: &Store, actor: &Actor, input: ChannelInput) -> OpsResult<ChannelView> {
    authz::require(actor, Permission::ManageNotifications)?;
    let v = values(None, input)?;
    let mut tx = store.begin().await?;
    let id = notify_store::insert_channel(&mut tx, &v, store.now()).await?;
    let created = notify_store::channel_in_tx(&mut tx, id).await?.ok_or(OpsError::NotFound)?;
    let view = ChannelView::from(&created);
    audit_change(&mut tx, actor, AuditAction::Create, "notification_channel", id, None, Some(audited(&view))).await?;
    tx.commit().await?;
    Ok(view)
}

pub async fn update(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: Option<i64>,
    input: ChannelInput,
) -> OpsResult<ChannelView> {
    authz::require(actor, Permission::ManageNotifications)?;
    let mut tx = store.begin().await?;
    let before = notify_store::channel_in_tx(&mut tx, id).await?.ok_or(OpsError::NotFound)?;
    let before_view = ChannelView::from(&before);
    if let Some(v) = version
        && v != before.version
    {
        return Err(OpsError::Stale { current_version: before.version, current: json!(before_view) });
    }
    let v = values(Some(&before), input)?;
    if !notify_store::update_channel(&mut tx, id, before.version, &v, store.now()).await? {
        return Err(OpsError::Stale { current_version: before.version + 1, current: json!(before_view) });
    }
    let after = notify_store::channel_in_tx(&mut tx, id).await?.ok_or(OpsError::NotFound)?;
    let view = ChannelView::from(&after);
    audit_change(
        &mut tx,
        actor,
        AuditAction::Update,
        "notification_channel",
        id,
        Some(audited(&before_view)),
        Some(audited(&view)),
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

pub async fn delete(store: &Store, actor: &Actor, id: i64) -> OpsResult<()> {
    authz::require(actor, Permission::ManageNotifications)?;
    let mut tx = store.begin().await?;
    let before = notify_store::channel_in_tx(&mut tx, id).await?.ok_or(OpsError::NotFound)?;
    notify_store::delete_channel(&mut tx, id).await?;
    let view = ChannelView::from(&before);
    audit_change(&mut tx, actor, AuditAction::Delete, "notification_channel", id, Some(audited(&view)), None).await?;
    tx.commit().await?;
    Ok(())
}

/// What a test message did.
#[derive(Clone, Debug, Serialize)]
pub struct TestResult {
    /// `sent`, `queued` (waiting for the robot's rate limit), `retrying` or `dead`.
    pub status: String,
    /// The receiver's answer (or why it could not be reached).
    pub answer: Option<String>,
    pub delivery_id: Option<i64>,
}

/// "Send a test message": one message to this channel (mail: to the admin
/// who asks), sent now through the queue's own step so it is signed,
/// rate-limited and logged like any other.
pub async fn send_test(store: &Store, actor: &Actor, id: i64) -> OpsResult<TestResult> {
    authz::require(actor, Permission::ManageNotifications)?;
    let channel = store.channel(id).await?.ok_or(OpsError::NotFound)?;
    let ctx = Context::load(store).await?;
    let now = store.now();
    let mut params = Params::new();
    params.insert("channel".into(), channel.name.as_str().into());
    params.insert("admin".into(), actor.name.as_str().into());
    let event = Event {
        kind: EventKind::Test,
        dedupe_key: format!("test:c{id}:{}", now.timestamp_nanos_opt().unwrap_or_default()),
        occurred_at: now,
        data: EventData { params, link: "/settings/notifications".to_owned(), ..EventData::default() },
        recipients: vec![actor.id],
        only_channel: Some(id),
    };
    let Some(event_id) = emit_now(store, &ctx, &event).await? else {
        return Err(OpsError::Conflict("the test message was not made".into()));
    };
    let worker = super::queue::Worker::new("test");
    let outcome = super::queue::run_event(store, &worker, event_id).await?;
    let delivery = store
        .deliveries(&crate::store::notify::DeliveryFilter { event_id: Some(event_id), ..Default::default() }, 1)
        .await?
        .into_iter()
        .next();
    let _ = outcome;
    Ok(match delivery {
        Some(d) => TestResult { status: d.status, answer: d.last_answer, delivery_id: Some(d.id) },
        // Mail to an admin without an address, or the channel has no receiver.
        None => {
            TestResult { status: "dead".into(), answer: Some("no receiver for this channel".into()), delivery_id: None }
        }
    })
}
