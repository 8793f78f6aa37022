//! Reminders and notifications: the team's settings, making an event with
//! its messages (the inbox rows, and one delivery per channel and receiver,
//! each with a job) inside the transaction of the change that caused it,
//! and the submodules: channels an admin configures, the inbox, the
//! delivery log, the reminders made on the calendar, and the queue's step.

pub mod channels;
pub mod digests;
pub mod events;
pub mod inbox;
pub mod log;
pub mod queue;
pub mod reminders;
pub mod send;

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveTime, Utc};
use serde_json::json;

use super::authz::{self, Actor, Permission};
use super::{OpsError, OpsResult, audit_change};
use crate::domain::calendar::WorkCalendar;
use crate::domain::notify::render::EventData;
use crate::domain::notify::schedule::NotifySettings;
use crate::domain::notify::{ChannelKind, EventKind, backoff, idempotency_key};
use crate::store::audit::AuditAction;
use crate::store::notify::{self as notify_store, Channel, NewDelivery, Prefs};
use crate::store::{Store, Tx};

pub const SETTINGS_KEY: &str = "notifications";

/// The team's notification settings (defaults until an admin saves them).
pub async fn settings(store: &Store) -> OpsResult<NotifySettings> {
    Ok(store.setting(SETTINGS_KEY).await?.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default())
}

/// The day's cutoff for the follow-up record: the stand-up's own setting
/// (one time for the 未更新 flag and its reminder), shown and changed with
/// the notification settings too.
pub async fn followup_cutoff(store: &Store) -> OpsResult<NaiveTime> {
    Ok(super::execution::settings(store).await?.cutoff().0)
}

/// What an admin may change.
#[derive(Clone, Debug, Default)]
pub struct SettingsInput {
    pub enabled: Option<Vec<String>>,
    pub quiet_start: Option<String>,
    pub quiet_end: Option<String>,
    pub workday_start: Option<String>,
    pub standup_at: Option<String>,
    /// The stand-up's cutoff (`ExecutionSettings::standup_cutoff`).
    pub followup_cutoff: Option<String>,
    pub language: Option<String>,
    pub public_url: Option<String>,
}

fn parse_time(field: &'static str, raw: &str) -> OpsResult<NaiveTime> {
    NaiveTime::parse_from_str(raw.trim(), "%H:%M")
        .map_err(|_| OpsError::invalid(field, format!("{field} is a time of day such as 08:00")))
}

pub async fn set_settings(store: &Store, actor: &Actor, input: SettingsInput) -> OpsResult<NotifySettings> {
    authz::require(actor, Permission::ManageNotifications)?;
    let mut s = settings(store).await?;
    if let Some(kinds) = input.enabled {
        let mut enabled = BTreeSet::new();
        for k in kinds {
            let kind: EventKind = k
                .parse()
                .map_err(|e: crate::domain::notify::UnknownCode| OpsError::invalid("enabled", e.to_string()))?;
            if !EventKind::CONFIGURABLE.contains(&kind) {
                return Err(OpsError::invalid("enabled", format!("{kind} is not an event a team switches")));
            }
            enabled.insert(kind);
        }
        s.enabled = enabled;
    }
    if let Some(t) = input.quiet_start {
        s.quiet_start = parse_time("quiet_start", &t)?;
    }
    if let Some(t) = input.quiet_end {
        s.quiet_end = parse_time("quiet_end", &t)?;
    }
    if let Some(t) = input.workday_start {
        s.workday_start = parse_time("workday_start", &t)?;
    }
    if let Some(t) = input.standup_at {
        s.standup_at = parse_time("standup_at", &t)?;
    }
    let mut execution = super::execution::settings(store).await?;
    let cutoff = match input.followup_cutoff {
        Some(t) => parse_time("followup_cutoff", &t)?,
        None => execution.cutoff().0,
    };
    if let Some(field) = s.quiet_slot(cutoff) {
        let what = match field {
            "workday_start" => "the working day cannot start within quiet hours",
            "followup_cutoff" => "the follow-up cutoff cannot fall within quiet hours: its reminder would never go",
            _ => "the stand-up digest cannot go within quiet hours",
        };
        return Err(OpsError::invalid(field, what));
    }
    if let Some(l) = input.language {
        let l = l.trim();
        if crate::i18n::Locale::parse(l).is_none() {
            return Err(OpsError::invalid("language", "the language is zh-CN or en"));
        }
        s.language = crate::i18n::Locale::parse(l).map_or("zh-CN", |l| l.code()).to_owned();
    }
    if let Some(u) = input.public_url {
        let u = super::optional_text("public_url", &u, 300)?;
        if !(u.is_empty() || u.starts_with("http://") || u.starts_with("https://")) {
            return Err(OpsError::invalid("public_url", "Rally's address starts with https:// (or http://)"));
        }
        s.public_url = u.trim_end_matches('/').to_owned();
    }
    let mut tx = store.begin().await?;
    let before = settings(store).await?;
    let text = serde_json::to_string(&s).map_err(|e| OpsError::Other(e.into()))?;
    crate::store::settings::set_in_tx(&mut tx, SETTINGS_KEY, &text).await?;
    let cutoff = crate::domain::execution::TimeOfDay(cutoff).to_string();
    if cutoff != execution.standup_cutoff {
        let before = json!({ "execution": execution });
        execution.standup_cutoff = cutoff;
        let text = serde_json::to_string(&execution).map_err(|e| OpsError::Other(e.into()))?;
        crate::store::settings::set_in_tx(&mut tx, super::execution::SETTINGS_KEY, &text).await?;
        let after = json!({ "execution": execution });
        audit_change(&mut tx, actor, AuditAction::Update, "settings", 0, Some(before), Some(after)).await?;
    }
    audit_change(
        &mut tx,
        actor,
        AuditAction::Update,
        "settings",
        0,
        Some(json!({ "notifications": before })),
        Some(json!({ "notifications": s })),
    )
    .await?;
    tx.commit().await?;
    Ok(s)
}

/// An event to make: who it is for, and what it says.
#[derive(Clone, Debug)]
pub struct Event {
    pub kind: EventKind,
    /// Makes the event once, however many servers notice it (`phase_due_soon:c3:p2:2026-11-30`).
    pub dedupe_key: String,
    pub occurred_at: DateTime<Utc>,
    pub data: EventData,
    /// Team members it is for: their inbox, their mail, their @-mentions.
    pub recipients: Vec<i64>,
    /// Only this channel (a test message); `None`: every channel that hears the kind.
    pub only_channel: Option<i64>,
}

/// What making events needs, read once (before the write turn, or through
/// the pool beside it).
pub struct Context {
    pub settings: NotifySettings,
    pub calendar: WorkCalendar,
    pub channels: Vec<Channel>,
    /// Active members: id → e-mail.
    pub emails: HashMap<i64, String>,
    /// Active members: id → role (who hears escalations and requests).
    pub roles: HashMap<i64, crate::domain::team::Role>,
}

impl Context {
    pub async fn load(store: &Store) -> OpsResult<Context> {
        let users: Vec<_> = store.users().await?.into_iter().filter(|u| u.active).collect();
        let roles = users.iter().map(|u| (u.id, u.role)).collect();
        let emails = users.into_iter().map(|u| (u.id, u.email)).collect();
        Ok(Context {
            roles,
            settings: settings(store).await?,
            calendar: super::calendar::calendar(store).await?,
            channels: store.channels().await?,
            emails,
        })
    }
}

/// Makes an event inside `tx` (the transaction of the change that caused
/// it, so the change and its messages are written together or not at all):
/// the inbox rows, then one delivery and job per channel and receiver, held
/// past quiet hours and days off. `None` when the team switched the kind off
/// or the event was made before (its dedupe key).
pub async fn emit(store: &Store, tx: &mut Tx, ctx: &Context, event: &Event) -> OpsResult<Option<i64>> {
    if !ctx.settings.is_enabled(event.kind) {
        return Ok(None);
    }
    let data = serde_json::to_string(&event.data).map_err(|e| OpsError::Other(e.into()))?;
    let Some(event_id) =
        notify_store::insert_event(tx, event.kind, &event.dedupe_key, event.occurred_at, &data).await?
    else {
        return Ok(None);
    };
    let mut recipients: Vec<i64> = event.recipients.iter().copied().filter(|id| ctx.emails.contains_key(id)).collect();
    recipients.sort_unstable();
    recipients.dedup();
    let now = store.now();
    if event.kind != EventKind::Test {
        notify_store::insert_inbox(tx, event_id, &recipients, now).await?;
    }
    let prefs: HashMap<i64, Prefs> = store.notify_prefs_of(&recipients).await?;
    let mobiles: Vec<String> =
        recipients.iter().filter_map(|id| prefs.get(id)).map(|p| p.mobile.clone()).filter(|m| !m.is_empty()).collect();
    // A test goes at once; everything else waits for a working day's daytime.
    let run_at = if event.kind == EventKind::Test { now } else { ctx.settings.release_at(now, &ctx.calendar) };
    let mut deliveries = Vec::new();
    for channel in &ctx.channels {
        let wanted = match event.only_channel {
            Some(id) => id == channel.id,
            None => channel.enabled && channel.hears(event.kind),
        };
        if !wanted {
            continue;
        }
        let base = |user_id: Option<i64>, receiver: String, mentions: Vec<String>| NewDelivery {
            event_id,
            channel_id: channel.id,
            channel_kind: channel.kind,
            user_id,
            receiver,
            key: idempotency_key(event_id, channel.id, user_id),
            mentions,
            run_at,
            rate_key: channel.rate_key(),
            max_attempts: i64::from(backoff::DEFAULT.max_attempts),
        };
        if channel.kind.is_personal() {
            // A test mail goes to the admin who asked for it (the only recipient).
            for id in &recipients {
                let opted_out = prefs.get(id).is_some_and(|p| p.mail_optout.contains(&event.kind));
                if let Some(email) = ctx.emails.get(id)
                    && !opted_out
                {
                    deliveries.push(base(Some(*id), email.clone(), Vec::new()));
                }
            }
        } else {
            let mentions = if channel.kind.is_robot() { mobiles.clone() } else { Vec::new() };
            deliveries.push(base(None, channel.name.clone(), mentions));
        }
    }
    notify_store::insert_deliveries(tx, &deliveries, now).await?;
    store.wake_workers();
    Ok(Some(event_id))
}

/// Makes one event in a transaction of its own.
pub async fn emit_now(store: &Store, ctx: &Context, event: &Event) -> OpsResult<Option<i64>> {
    let mut tx = store.begin().await?;
    let id = emit(store, &mut tx, ctx, event).await?;
    tx.commit().await?;
    Ok(id)
}

/// A person's own notification preferences: their mobile for @-mentions in
/// group robots, and the events they take no mail for.
pub async fn my_prefs(store: &Store, actor: &Actor) -> OpsResult<Prefs> {
    Ok(store.notify_prefs(actor.id).await?)
}

pub async fn set_my_prefs(store: &Store, actor: &Actor, mobile: &str, mail_optout: &[String]) -> OpsResult<Prefs> {
    let mobile = mobile.trim();
    let mobile = if mobile.is_empty() {
        String::new()
    } else {
        crate::domain::notify::mobile(mobile)
            .ok_or_else(|| OpsError::invalid("mobile", "a mobile number has 11 digits, such as 138 0013 8000"))?
    };
    let mut optout = Vec::new();
    for k in mail_optout {
        let kind: EventKind = k
            .parse()
            .map_err(|e: crate::domain::notify::UnknownCode| OpsError::invalid("mail_optout", e.to_string()))?;
        if EventKind::CONFIGURABLE.contains(&kind) && !optout.contains(&kind) {
            optout.push(kind);
        }
    }
    let prefs = Prefs { mobile, mail_optout: optout };
    let mut tx = store.begin().await?;
    notify_store::set_notify_prefs(&mut tx, actor.id, &prefs).await?;
    tx.commit().await?;
    Ok(prefs)
}

/// Which channel kinds take which fields (for the forms and the API).
pub fn kinds() -> [ChannelKind; 5] {
    ChannelKind::ALL
}
