//! Notifications: channels, events, the inbox, deliveries with their
//! attempts, the job queue and robots' rate windows.
//!
//! The queue: a job is claimed by one worker at a time — on PostgreSQL with
//! `FOR UPDATE SKIP LOCKED` (several servers claim different rows at once),
//! on SQLite inside the single writer's turn — and leased (`locked_until`):
//! a worker that dies mid-send leaves its jobs running until the lease ends,
//! then any server takes them again. An attempt is written (outcome
//! `unknown`) in the claim's transaction, before anything is sent.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use super::bulk::{bulk_insert, placeholders};
use super::{Store, StoreResult, Tx, Value, decode, on_db, on_tx, on_write};
use crate::domain::notify::{ChannelKind, EventKind, ratelimit};

/// A configured channel. `Debug` never shows the URL or the secret.
#[derive(Clone)]
pub struct Channel {
    pub id: i64,
    pub kind: ChannelKind,
    pub name: String,
    pub enabled: bool,
    pub url: String,
    pub secret: String,
    /// JSON (SMTP host, port, TLS mode, user name, sender).
    pub config: String,
    /// Kinds it hears; empty: all but personal digests on group channels
    /// ([`EventKind::is_personal_digest`]).
    pub events: Vec<EventKind>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("enabled", &self.enabled)
            .field("url", &"<redacted>")
            .field("secret", &"<redacted>")
            .field("version", &self.version)
            .finish()
    }
}

impl Channel {
    pub fn hears(&self, kind: EventKind) -> bool {
        kind == EventKind::Test
            || self.events.contains(&kind)
            || (self.events.is_empty() && (self.kind.is_personal() || !kind.is_personal_digest()))
    }

    /// The key of its rate window (robots only): `KIND:ID`.
    pub fn rate_key(&self) -> Option<String> {
        (!ratelimit::limits(self.kind).is_empty()).then(|| format!("{}:{}", self.kind, self.id))
    }
}

type ChannelRow = (i64, String, String, bool, String, String, String, String, i64, DateTime<Utc>, DateTime<Utc>);
const CHANNEL_COLUMNS: &str = "id, kind, name, enabled, url, secret, config, events, version, created_at, updated_at";

fn channel_from_row(r: ChannelRow) -> Result<Channel, sqlx::Error> {
    let events = r.7.split(',').filter(|s| !s.trim().is_empty()).filter_map(|s| s.parse().ok()).collect();
    Ok(Channel {
        id: r.0,
        kind: decode(r.1, "kind")?,
        name: r.2,
        enabled: r.3,
        url: r.4,
        secret: r.5,
        config: r.6,
        events,
        version: r.8,
        created_at: r.9,
        updated_at: r.10,
    })
}

pub fn events_text(events: &[EventKind]) -> String {
    events.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(",")
}

/// What a new or changed channel holds.
#[derive(Clone)]
pub struct ChannelValues {
    pub kind: ChannelKind,
    pub name: String,
    pub enabled: bool,
    pub url: String,
    pub secret: String,
    pub config: String,
    pub events: Vec<EventKind>,
}

impl Store {
    pub async fn channels(&self) -> StoreResult<Vec<Channel>> {
        let sql = format!("SELECT {CHANNEL_COLUMNS} FROM notification_channels ORDER BY id");
        let rows = on_db!(self, pool => sqlx::query_as::<_, ChannelRow>(&sql).fetch_all(pool).await?);
        Ok(rows.into_iter().map(channel_from_row).collect::<Result<_, _>>()?)
    }

    pub async fn channel(&self, id: i64) -> StoreResult<Option<Channel>> {
        let sql = format!("SELECT {CHANNEL_COLUMNS} FROM notification_channels WHERE id = $1");
        let row = on_db!(self, pool => sqlx::query_as::<_, ChannelRow>(&sql).bind(id).fetch_optional(pool).await?);
        Ok(row.map(channel_from_row).transpose()?)
    }
}

pub async fn insert_channel(tx: &mut Tx, v: &ChannelValues, now: DateTime<Utc>) -> StoreResult<i64> {
    let sql = "INSERT INTO notification_channels (kind, name, enabled, url, secret, config, events, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id";
    Ok(on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql)
        .bind(v.kind.as_str())
        .bind(&v.name)
        .bind(v.enabled)
        .bind(&v.url)
        .bind(&v.secret)
        .bind(&v.config)
        .bind(events_text(&v.events))
        .bind(now)
        .bind(now)
        .fetch_one(&mut **conn)
        .await?))
}

/// Changes a channel if it still has `version`; false when it does not.
pub async fn update_channel(
    tx: &mut Tx,
    id: i64,
    version: i64,
    v: &ChannelValues,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let sql = "UPDATE notification_channels SET name = $1, enabled = $2, url = $3, secret = $4, config = $5, \
               events = $6, updated_at = $7, version = version + 1 WHERE id = $8 AND version = $9";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(&v.name)
        .bind(v.enabled)
        .bind(&v.url)
        .bind(&v.secret)
        .bind(&v.config)
        .bind(events_text(&v.events))
        .bind(now)
        .bind(id)
        .bind(version)
        .execute(&mut **conn)
        .await?
        .rows_affected());
    Ok(n == 1)
}

pub async fn channel_in_tx(tx: &mut Tx, id: i64) -> StoreResult<Option<Channel>> {
    let sql = format!("SELECT {CHANNEL_COLUMNS} FROM notification_channels WHERE id = $1");
    let row = on_tx!(tx, conn => sqlx::query_as::<_, ChannelRow>(&sql).bind(id).fetch_optional(&mut **conn).await?);
    Ok(row.map(channel_from_row).transpose()?)
}

pub async fn delete_channel(tx: &mut Tx, id: i64) -> StoreResult<bool> {
    // Jobs of its deliveries can never be sent now.
    let jobs =
        "DELETE FROM jobs WHERE kind = 'deliver' AND ref_id IN (SELECT id FROM deliveries WHERE channel_id = $1)";
    let dead = "UPDATE deliveries SET status = 'dead', last_answer = 'the channel was removed' \
                WHERE channel_id = $1 AND status <> 'sent'";
    let sql = "DELETE FROM notification_channels WHERE id = $1";
    let n = on_tx!(tx, conn => {
        sqlx::query(jobs).bind(id).execute(&mut **conn).await?;
        sqlx::query(dead).bind(id).execute(&mut **conn).await?;
        sqlx::query(sql).bind(id).execute(&mut **conn).await?.rows_affected()
    });
    Ok(n == 1)
}

/// A person's mobile (for @-mentions) and the event kinds they take no mail for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Prefs {
    pub mobile: String,
    pub mail_optout: Vec<EventKind>,
}

impl Store {
    pub async fn notify_prefs(&self, user_id: i64) -> StoreResult<Prefs> {
        Ok(self.notify_prefs_of(&[user_id]).await?.remove(&user_id).unwrap_or_default())
    }

    pub async fn notify_prefs_of(&self, user_ids: &[i64]) -> StoreResult<HashMap<i64, Prefs>> {
        if user_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let sqlite = matches!(self.db, super::Db::Sqlite(_));
        let sql = format!(
            "SELECT user_id, mobile, mail_optout FROM notification_prefs WHERE user_id IN ({})",
            placeholders(sqlite, user_ids.len())
        );
        let rows = on_db!(self, pool => {
            let mut q = sqlx::query_as::<_, (i64, String, String)>(&sql);
            for id in user_ids {
                q = q.bind(*id);
            }
            q.fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, mobile, optout)| {
                let mail_optout = optout.split(',').filter_map(|s| s.parse().ok()).collect();
                (id, Prefs { mobile, mail_optout })
            })
            .collect())
    }
}

pub async fn set_notify_prefs(tx: &mut Tx, user_id: i64, prefs: &Prefs) -> StoreResult<()> {
    let sql = "INSERT INTO notification_prefs (user_id, mobile, mail_optout) VALUES ($1, $2, $3) \
               ON CONFLICT (user_id) DO UPDATE SET mobile = excluded.mobile, mail_optout = excluded.mail_optout";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(user_id)
        .bind(&prefs.mobile)
        .bind(events_text(&prefs.mail_optout))
        .execute(&mut **conn)
        .await?
        .rows_affected());
    Ok(())
}

/// Records an event once: `None` when its key was recorded before (by
/// this server or another), so its messages are not made twice.
pub async fn insert_event(
    tx: &mut Tx,
    kind: EventKind,
    dedupe_key: &str,
    occurred_at: DateTime<Utc>,
    data: &str,
) -> StoreResult<Option<i64>> {
    let sql = "INSERT INTO notification_events (kind, dedupe_key, occurred_at, data) VALUES ($1, $2, $3, $4) \
               ON CONFLICT (dedupe_key) DO NOTHING RETURNING id";
    Ok(on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql)
        .bind(kind.as_str())
        .bind(dedupe_key)
        .bind(occurred_at)
        .bind(data)
        .fetch_optional(&mut **conn)
        .await?))
}

pub async fn insert_inbox(tx: &mut Tx, event_id: i64, user_ids: &[i64], now: DateTime<Utc>) -> StoreResult<()> {
    let mut values = Vec::with_capacity(user_ids.len() * 3);
    for id in user_ids {
        values.extend([Value::from(*id), Value::from(event_id), Value::from(now)]);
    }
    bulk_insert(tx, "notifications", &["user_id", "event_id", "created_at"], values).await
}

/// One message to send: a delivery (the log's row) and its job.
#[derive(Clone, Debug)]
pub struct NewDelivery {
    pub event_id: i64,
    pub channel_id: i64,
    pub channel_kind: ChannelKind,
    pub user_id: Option<i64>,
    pub receiver: String,
    pub key: String,
    pub mentions: Vec<String>,
    pub run_at: DateTime<Utc>,
    pub rate_key: Option<String>,
    pub max_attempts: i64,
}

/// Writes deliveries and their jobs (ids allocated up front, rows in bulk).
pub async fn insert_deliveries(tx: &mut Tx, items: &[NewDelivery], now: DateTime<Utc>) -> StoreResult<()> {
    if items.is_empty() {
        return Ok(());
    }
    let ids = allocate_ids(tx, "deliveries", items.len()).await?;
    let mut rows = Vec::with_capacity(items.len() * 12);
    for (id, d) in ids.iter().zip(items) {
        rows.extend([
            Value::from(*id),
            Value::from(d.event_id),
            Value::from(d.channel_id),
            Value::from(d.channel_kind.as_str()),
            Value::Int(d.user_id),
            Value::from(d.receiver.as_str()),
            Value::from(d.key.as_str()),
            Value::from("queued"),
            Value::from(d.mentions.join(",")),
            Value::from(now),
            Value::from(now),
        ]);
    }
    let columns = [
        "id",
        "event_id",
        "channel_id",
        "channel_kind",
        "user_id",
        "receiver",
        "idempotency_key",
        "status",
        "mentions",
        "created_at",
        "updated_at",
    ];
    bulk_insert(tx, "deliveries", &columns, rows).await?;
    let mut jobs = Vec::with_capacity(items.len() * 8);
    for (id, d) in ids.iter().zip(items) {
        jobs.extend([
            Value::from("deliver"),
            Value::from(*id),
            Value::from("queued"),
            Value::from(d.run_at),
            Value::from(d.max_attempts),
            Value::Text(d.rate_key.clone()),
            Value::from(now),
            Value::from(now),
        ]);
    }
    let columns = ["kind", "ref_id", "status", "run_at", "max_attempts", "rate_key", "created_at", "updated_at"];
    bulk_insert(tx, "jobs", &columns, jobs).await
}

async fn allocate_ids(tx: &mut Tx, table: &'static str, n: usize) -> StoreResult<Vec<i64>> {
    match tx {
        // The write lock is ours until commit, so MAX(id) stays ours.
        Tx::Sqlite(_) => super::bulk::allocate_ids(tx, table, n).await,
        Tx::Postgres(_) => super::bulk::allocate_ids(tx, table, n).await,
    }
}

/// An event as stored.
#[derive(Clone, Debug)]
pub struct StoredEvent {
    pub id: i64,
    pub kind: EventKind,
    pub occurred_at: DateTime<Utc>,
    pub data: String,
}

/// One item of a person's inbox.
#[derive(Clone, Debug)]
pub struct InboxItem {
    pub id: i64,
    pub event: StoredEvent,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

type InboxRow = (i64, i64, String, DateTime<Utc>, String, DateTime<Utc>, Option<DateTime<Utc>>);

impl Store {
    /// Newest first; `before_id` pages on.
    pub async fn inbox(
        &self,
        user_id: i64,
        before_id: Option<i64>,
        unread_only: bool,
        limit: i64,
    ) -> StoreResult<Vec<InboxItem>> {
        let unread = if unread_only { " AND n.read_at IS NULL" } else { "" };
        let sql = format!(
            "SELECT n.id, e.id, e.kind, e.occurred_at, e.data, n.created_at, n.read_at \
             FROM notifications n JOIN notification_events e ON e.id = n.event_id \
             WHERE n.user_id = $1 AND n.id < $2{unread} ORDER BY n.id DESC LIMIT $3"
        );
        let rows = on_db!(self, pool => sqlx::query_as::<_, InboxRow>(&sql)
            .bind(user_id)
            .bind(before_id.unwrap_or(i64::MAX))
            .bind(limit)
            .fetch_all(pool)
            .await?);
        rows.into_iter()
            .map(|r| {
                Ok(InboxItem {
                    id: r.0,
                    event: StoredEvent { id: r.1, kind: decode(r.2, "kind")?, occurred_at: r.3, data: r.4 },
                    created_at: r.5,
                    read_at: r.6,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// (all, unread) of a person's inbox.
    pub async fn inbox_counts(&self, user_id: i64) -> StoreResult<(i64, i64)> {
        let sql = "SELECT COUNT(*), COUNT(*) - COUNT(read_at) FROM notifications WHERE user_id = $1";
        Ok(on_db!(self, pool => sqlx::query_as::<_, (i64, i64)>(sql).bind(user_id).fetch_one(pool).await?))
    }

    /// The bell's number: an index count of unread items.
    pub async fn unread_count(&self, user_id: i64) -> StoreResult<i64> {
        let sql = "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL";
        Ok(on_db!(self, pool => sqlx::query_scalar::<_, i64>(sql).bind(user_id).fetch_one(pool).await?))
    }

    /// Marks one item (`Some(id)`) or all of a person's items read; the
    /// number changed. Another person's item is not found.
    pub async fn mark_read(&self, user_id: i64, id: Option<i64>, now: DateTime<Utc>) -> StoreResult<u64> {
        let sql = match id {
            Some(_) => "UPDATE notifications SET read_at = COALESCE(read_at, $1) WHERE user_id = $2 AND id = $3",
            None => "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL AND $3 = 0",
        };
        Ok(on_write!(self, conn => sqlx::query(sql)
            .bind(now)
            .bind(user_id)
            .bind(id.unwrap_or(0))
            .execute(&mut **conn)
            .await?
            .rows_affected()))
    }

    /// The people an event was for (its inbox rows).
    pub async fn event_recipients(&self, event_id: i64) -> StoreResult<Vec<i64>> {
        let sql = "SELECT user_id FROM notifications WHERE event_id = $1 ORDER BY user_id";
        Ok(on_db!(self, pool => sqlx::query_scalar::<_, i64>(sql).bind(event_id).fetch_all(pool).await?))
    }

    pub async fn event_by_key(&self, dedupe_key: &str) -> StoreResult<Option<StoredEvent>> {
        let sql = "SELECT id, kind, occurred_at, data FROM notification_events WHERE dedupe_key = $1";
        let row = on_db!(self, pool => sqlx::query_as::<_, (i64, String, DateTime<Utc>, String)>(sql)
            .bind(dedupe_key)
            .fetch_optional(pool)
            .await?);
        row.map(|r| {
            Ok::<_, sqlx::Error>(StoredEvent { id: r.0, kind: decode(r.1, "kind")?, occurred_at: r.2, data: r.3 })
        })
        .transpose()
        .map_err(Into::into)
    }
}

/// A row of the delivery log.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DeliveryRow {
    pub id: i64,
    pub event_id: i64,
    pub event_kind: String,
    pub channel_id: Option<i64>,
    pub channel_kind: String,
    pub channel_name: Option<String>,
    pub receiver: String,
    pub idempotency_key: String,
    pub status: String,
    pub attempts: i64,
    pub last_answer: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    /// When it goes (next), while it waits.
    pub next_at: Option<DateTime<Utc>>,
    /// Its job, while it has one (a dead delivery's job is retried by id).
    pub job_id: Option<i64>,
}

type DeliveryLogRow = (
    i64,
    i64,
    String,
    Option<i64>,
    String,
    Option<String>,
    String,
    String,
    String,
    i64,
    Option<String>,
    DateTime<Utc>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<i64>,
);

/// One attempt of a delivery.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AttemptRow {
    pub delivery_id: i64,
    pub attempt: i64,
    pub at: DateTime<Utc>,
    pub outcome: String,
    pub answer: String,
}

/// Filters of the delivery log.
#[derive(Clone, Debug, Default)]
pub struct DeliveryFilter {
    pub status: Option<String>,
    pub event_id: Option<i64>,
    pub before_id: Option<i64>,
}

impl Store {
    /// Newest first.
    pub async fn deliveries(&self, f: &DeliveryFilter, limit: i64) -> StoreResult<Vec<DeliveryRow>> {
        let mut sql = "SELECT d.id, d.event_id, e.kind, d.channel_id, d.channel_kind, c.name, d.receiver, \
                       d.idempotency_key, d.status, d.attempts, d.last_answer, d.created_at, d.updated_at, d.sent_at, \
                       CASE WHEN j.status = 'queued' THEN j.run_at END, j.id \
                       FROM deliveries d JOIN notification_events e ON e.id = d.event_id \
                       LEFT JOIN notification_channels c ON c.id = d.channel_id \
                       LEFT JOIN jobs j ON j.kind = 'deliver' AND j.ref_id = d.id \
                       WHERE d.id < $1"
            .to_owned();
        let mut values: Vec<Value> = vec![Value::from(f.before_id.unwrap_or(i64::MAX))];
        if let Some(s) = &f.status {
            values.push(Value::from(s.as_str()));
            sql.push_str(&format!(" AND d.status = ${}", values.len()));
        }
        if let Some(e) = f.event_id {
            values.push(Value::from(e));
            sql.push_str(&format!(" AND d.event_id = ${}", values.len()));
        }
        values.push(Value::from(limit));
        sql.push_str(&format!(" ORDER BY d.id DESC LIMIT ${}", values.len()));
        let rows = on_db!(self, pool => {
            let rows = super::bind_values(sqlx::query(&sql), &values).fetch_all(pool).await?;
            rows.iter().map(<DeliveryLogRow as sqlx::FromRow<_>>::from_row).collect::<Result<Vec<_>, _>>()?
        });
        Ok(rows
            .into_iter()
            .map(|r| DeliveryRow {
                id: r.0,
                event_id: r.1,
                event_kind: r.2,
                channel_id: r.3,
                channel_kind: r.4,
                channel_name: r.5,
                receiver: r.6,
                idempotency_key: r.7,
                status: r.8,
                attempts: r.9,
                last_answer: r.10,
                created_at: r.11,
                updated_at: r.12,
                sent_at: r.13,
                next_at: r.14,
                job_id: r.15,
            })
            .collect())
    }

    /// The attempts of some deliveries, in order.
    pub async fn delivery_attempts(&self, delivery_ids: &[i64]) -> StoreResult<Vec<AttemptRow>> {
        if delivery_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sqlite = matches!(self.db, super::Db::Sqlite(_));
        let sql = format!(
            "SELECT delivery_id, attempt, at, outcome, answer FROM delivery_attempts WHERE delivery_id IN ({}) \
             ORDER BY delivery_id, attempt",
            placeholders(sqlite, delivery_ids.len())
        );
        let rows = on_db!(self, pool => {
            let mut q = sqlx::query_as::<_, (i64, i64, DateTime<Utc>, String, String)>(&sql);
            for id in delivery_ids {
                q = q.bind(*id);
            }
            q.fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(|(delivery_id, attempt, at, outcome, answer)| AttemptRow { delivery_id, attempt, at, outcome, answer })
            .collect())
    }
}

/// A job as `rally jobs list` and the admin page show it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub ref_id: i64,
    pub status: String,
    pub run_at: DateTime<Utc>,
    pub attempts: i64,
    pub max_attempts: i64,
    pub last_error: Option<String>,
    pub updated_at: DateTime<Utc>,
}

type JobListRow = (i64, String, i64, String, DateTime<Utc>, i64, i64, Option<String>, DateTime<Utc>);

impl Store {
    /// Jobs not yet done (or only the dead ones), oldest first.
    pub async fn jobs(&self, dead_only: bool, after_id: Option<i64>, limit: i64) -> StoreResult<Vec<JobRow>> {
        let which = if dead_only { "status = 'dead'" } else { "status IN ('queued', 'running', 'dead')" };
        let sql = format!(
            "SELECT id, kind, ref_id, status, run_at, attempts, max_attempts, last_error, updated_at FROM jobs \
             WHERE {which} AND id > $1 ORDER BY id LIMIT $2"
        );
        let rows = on_db!(self, pool => sqlx::query_as::<_, JobListRow>(&sql)
            .bind(after_id.unwrap_or(0))
            .bind(limit)
            .fetch_all(pool)
            .await?);
        Ok(rows
            .into_iter()
            .map(|r| JobRow {
                id: r.0,
                kind: r.1,
                ref_id: r.2,
                status: r.3,
                run_at: r.4,
                attempts: r.5,
                max_attempts: r.6,
                last_error: r.7,
                updated_at: r.8,
            })
            .collect())
    }

    /// How many jobs are queued, running and dead.
    pub async fn job_counts(&self) -> StoreResult<BTreeMap<String, i64>> {
        let sql = "SELECT status, COUNT(*) FROM jobs GROUP BY status";
        let rows = on_db!(self, pool => sqlx::query_as::<_, (String, i64)>(sql).fetch_all(pool).await?);
        Ok(rows.into_iter().collect())
    }

    /// When the next queued job falls due (for an idle worker's sleep).
    pub async fn next_job_at(&self) -> StoreResult<Option<DateTime<Utc>>> {
        let sql = "SELECT MIN(run_at) FROM jobs WHERE status = 'queued'";
        Ok(on_db!(self, pool => sqlx::query_scalar::<_, Option<DateTime<Utc>>>(sql).fetch_one(pool).await?))
    }

    /// Leased jobs whose lease has not run out (work other workers hold).
    pub async fn running_jobs(&self) -> StoreResult<i64> {
        let sql = "SELECT COUNT(*) FROM jobs WHERE status = 'running'";
        Ok(on_db!(self, pool => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await?))
    }

    /// Sends a dead job again from its first attempt; false unless it was dead.
    pub async fn retry_dead_job(&self, id: i64, at: DateTime<Utc>) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let sql = "UPDATE jobs SET status = 'queued', attempts = 0, run_at = $1, last_error = NULL, updated_at = $2 \
                   WHERE id = $3 AND status = 'dead' RETURNING ref_id";
        let reference = on_tx!(&mut tx, conn => sqlx::query_scalar::<_, i64>(sql)
            .bind(at)
            .bind(at)
            .bind(id)
            .fetch_optional(&mut **conn)
            .await?);
        if let Some(delivery) = reference {
            let sql = "UPDATE deliveries SET status = 'queued', updated_at = $1 WHERE id = $2 AND status = 'dead'";
            on_tx!(&mut tx, conn => sqlx::query(sql).bind(at).bind(delivery).execute(&mut **conn).await?.rows_affected());
        }
        tx.commit().await?;
        Ok(reference.is_some())
    }
}

/// A claimed job with all its send needs: the delivery, its event and channel.
#[derive(Clone, Debug)]
pub struct ClaimedJob {
    pub job_id: i64,
    /// This job's attempt number (1 for the first).
    pub attempt: i64,
    pub max_attempts: i64,
    pub delivery_id: i64,
    /// The delivery's attempt number (across admin retries), for the log.
    pub delivery_attempt: i64,
    pub key: String,
    pub channel_kind: ChannelKind,
    pub channel: Option<Channel>,
    pub user_id: Option<i64>,
    pub receiver: String,
    pub mentions: Vec<String>,
    pub event: StoredEvent,
}

/// What a claim returns: jobs to send now, and how many it held back for
/// their robot's rate limit.
#[derive(Debug, Default)]
pub struct Claim {
    pub jobs: Vec<ClaimedJob>,
    pub postponed: usize,
    pub reaped: usize,
}

/// The end of one attempt, as recorded.
#[derive(Clone, Debug)]
pub enum Finish {
    Sent { answer: String },
    Retry { at: DateTime<Utc>, answer: String },
    Dead { answer: String },
}

/// Claims up to `limit` due jobs for `worker` until `lease_until`, in one
/// write transaction: jobs whose lease ran out are queued again first (their
/// attempt's outcome is unknown); jobs of a robot over its rate limit are
/// put back with the time their turn comes; the claimed deliveries are
/// marked `sending` and their attempt is recorded before anything is sent.
pub async fn claim_jobs(
    store: &Store,
    worker: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
    only_event: Option<i64>,
) -> StoreResult<Claim> {
    let mut tx = store.begin().await?;
    let sqlite = matches!(tx, Tx::Sqlite(_));
    let mut claim = Claim::default();

    // 1. Leases that ran out: the worker died (or stalled) mid-send.
    let reap = "UPDATE jobs SET status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END, \
                run_at = $1, locked_by = NULL, locked_until = NULL, updated_at = $2, \
                last_error = 'the worker stopped mid-send; the outcome is unknown' \
                WHERE status = 'running' AND locked_until < $3 RETURNING ref_id, status";
    let reaped: Vec<(i64, String)> = on_tx!(&mut tx, conn => sqlx::query_as(reap)
        .bind(now)
        .bind(now)
        .bind(now)
        .fetch_all(&mut **conn)
        .await?);
    for (delivery, status) in &reaped {
        let sql = "UPDATE deliveries SET status = $1, updated_at = $2, \
                   last_answer = 'the worker stopped mid-send; the outcome is unknown' \
                   WHERE id = $3 AND status = 'sending'";
        let next = if status == "dead" { "dead" } else { "retrying" };
        on_tx!(&mut tx, conn => sqlx::query(sql).bind(next).bind(now).bind(delivery).execute(&mut **conn).await?.rows_affected());
    }
    claim.reaped = reaped.len();

    // 2. Due jobs, oldest first; other servers skip the rows this one holds.
    let lock = if sqlite { "" } else { " FOR UPDATE SKIP LOCKED" };
    // A test message runs its own event's jobs, whatever else is due.
    let only = match only_event {
        Some(_) => " AND ref_id IN (SELECT id FROM deliveries WHERE event_id = $6)",
        None => " AND $6 = 0",
    };
    // PostgreSQL: `id = ANY(ARRAY(…))` makes the picked ids an InitPlan looked
    // up by primary key. With `id IN (…)`, the generic plan a prepared
    // statement falls back to hash-joins the subquery against a sequential
    // scan of the whole table (68 ms with 100,000 queued instead of 0.3 ms).
    let pick = format!(
        "SELECT id FROM jobs WHERE status = 'queued' AND run_at <= $4{only} ORDER BY run_at, id LIMIT $5{lock}"
    );
    let picked = if sqlite { format!("id IN ({pick})") } else { format!("id = ANY(ARRAY({pick}))") };
    let sql = format!(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $1, locked_until = $2, updated_at = $3 \
         WHERE {picked} RETURNING id, ref_id, attempts, max_attempts, rate_key"
    );
    let mut claimed: Vec<(i64, i64, i64, i64, Option<String>)> = on_tx!(&mut tx, conn => sqlx::query_as(&sql)
        .bind(worker)
        .bind(lease_until)
        .bind(now)
        .bind(now)
        .bind(limit)
        .bind(only_event.unwrap_or(0))
        .fetch_all(&mut **conn)
        .await?);
    if claimed.is_empty() {
        tx.commit().await?;
        return Ok(claim);
    }
    claimed.sort_by_key(|c| c.0);

    // 3. Deliveries already sent (a lease that ran out after the send was
    //    recorded cannot happen, but an admin retry of a sent one can): done.
    let refs: Vec<i64> = claimed.iter().map(|c| c.1).collect();
    let sql =
        format!("SELECT id FROM deliveries WHERE status = 'sent' AND id IN ({})", placeholders(sqlite, refs.len()));
    let sent: Vec<i64> = on_tx!(&mut tx, conn => {
        let mut q = sqlx::query_scalar::<_, i64>(&sql);
        for r in &refs {
            q = q.bind(*r);
        }
        q.fetch_all(&mut **conn).await?
    });
    if !sent.is_empty() {
        let done: Vec<i64> = claimed.iter().filter(|c| sent.contains(&c.1)).map(|c| c.0).collect();
        delete_jobs(&mut tx, &done).await?;
        claimed.retain(|c| !sent.contains(&c.1));
    }

    // 4. Rate limits: each robot's recent sends, locked in key order.
    let mut keys: Vec<String> = claimed.iter().filter_map(|c| c.4.clone()).collect();
    keys.sort();
    keys.dedup();
    let mut admitted = Vec::with_capacity(claimed.len());
    let mut windows: HashMap<String, (Vec<i64>, Vec<i64>)> = HashMap::new();
    for key in &keys {
        let ensure = "INSERT INTO rate_windows (rate_key, sends) VALUES ($1, '[]') ON CONFLICT (rate_key) DO NOTHING";
        let read =
            format!("SELECT sends FROM rate_windows WHERE rate_key = $1{}", if sqlite { "" } else { " FOR UPDATE" });
        let text: String = on_tx!(&mut tx, conn => {
            sqlx::query(ensure).bind(key).execute(&mut **conn).await?;
            sqlx::query_scalar(&read).bind(key).fetch_one(&mut **conn).await?
        });
        let sends: Vec<i64> = serde_json::from_str(&text).unwrap_or_default();
        windows.insert(key.clone(), (sends.clone(), sends));
    }
    let now_ms = now.timestamp_millis();
    for job in claimed {
        let Some(key) = &job.4 else {
            admitted.push(job);
            continue;
        };
        let limits = rate_limits_of(key);
        let Some((sends, plan)) = windows.get_mut(key) else { continue };
        match ratelimit::admit(sends, now_ms, limits) {
            Ok(()) => {
                ratelimit::admit(plan, now_ms, limits).ok();
                admitted.push(job);
            }
            Err(_) => {
                // Its turn: the next free time, counting the ones put back before it.
                let at = match ratelimit::admit(plan, now_ms, limits) {
                    Ok(()) => now_ms,
                    Err(next) => {
                        let _ = ratelimit::admit(plan, next, limits);
                        next
                    }
                };
                let run_at = DateTime::<Utc>::from_timestamp_millis(at).unwrap_or(now);
                let sql = "UPDATE jobs SET status = 'queued', attempts = attempts - 1, run_at = $1, locked_by = NULL, \
                           locked_until = NULL WHERE id = $2";
                on_tx!(&mut tx, conn => sqlx::query(sql).bind(run_at).bind(job.0).execute(&mut **conn).await?.rows_affected());
                claim.postponed += 1;
            }
        }
    }
    for key in &keys {
        if let Some((sends, _)) = windows.get_mut(key) {
            ratelimit::trim(sends, rate_limits_of(key));
            let text = serde_json::to_string(sends).unwrap_or_else(|_| "[]".to_owned());
            let sql = "UPDATE rate_windows SET sends = $1 WHERE rate_key = $2";
            on_tx!(&mut tx, conn => sqlx::query(sql).bind(text).bind(key).execute(&mut **conn).await?.rows_affected());
        }
    }
    if admitted.is_empty() {
        tx.commit().await?;
        return Ok(claim);
    }

    // 5. The attempt is recorded before the send: `sending`, outcome unknown.
    let refs: Vec<i64> = admitted.iter().map(|c| c.1).collect();
    // `$N` on both backends: a batch is small, so SQLite's name lookup costs nothing here.
    let ids: Vec<String> = (0..refs.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "UPDATE deliveries SET status = 'sending', attempts = attempts + 1, updated_at = $1 WHERE id IN ({}) \
         RETURNING id, attempts",
        ids.join(", ")
    );
    let attempts: Vec<(i64, i64)> = on_tx!(&mut tx, conn => {
        let mut q = sqlx::query_as::<_, (i64, i64)>(&sql).bind(now);
        for r in &refs {
            q = q.bind(*r);
        }
        q.fetch_all(&mut **conn).await?
    });
    let attempt_of: HashMap<i64, i64> = attempts.into_iter().collect();
    let mut rows = Vec::with_capacity(admitted.len() * 4);
    for job in &admitted {
        rows.extend([
            Value::from(job.1),
            Value::from(attempt_of.get(&job.1).copied().unwrap_or(1)),
            Value::from(now),
            Value::from("unknown"),
        ]);
    }
    bulk_insert(&mut tx, "delivery_attempts", &["delivery_id", "attempt", "at", "outcome"], rows).await?;

    // 6. What the sends need.
    let sql = format!(
        "SELECT d.id, d.idempotency_key, d.channel_kind, d.channel_id, d.user_id, d.receiver, d.mentions, \
         e.id, e.kind, e.occurred_at, e.data \
         FROM deliveries d JOIN notification_events e ON e.id = d.event_id WHERE d.id IN ({})",
        placeholders(sqlite, refs.len())
    );
    type Detail = (i64, String, String, Option<i64>, Option<i64>, String, String, i64, String, DateTime<Utc>, String);
    let details: Vec<Detail> = on_tx!(&mut tx, conn => {
        let mut q = sqlx::query_as::<_, Detail>(&sql);
        for r in &refs {
            q = q.bind(*r);
        }
        q.fetch_all(&mut **conn).await?
    });
    let mut channels: HashMap<i64, Option<Channel>> = HashMap::new();
    for d in &details {
        if let Some(c) = d.3
            && !channels.contains_key(&c)
        {
            let ch = channel_in_tx(&mut tx, c).await?;
            channels.insert(c, ch);
        }
    }
    tx.commit().await?;

    let by_id: HashMap<i64, Detail> = details.into_iter().map(|d| (d.0, d)).collect();
    for job in admitted {
        let Some(d) = by_id.get(&job.1) else { continue };
        claim.jobs.push(ClaimedJob {
            job_id: job.0,
            attempt: job.2,
            max_attempts: job.3,
            delivery_id: d.0,
            delivery_attempt: attempt_of.get(&d.0).copied().unwrap_or(1),
            key: d.1.clone(),
            channel_kind: decode(d.2.clone(), "channel_kind")?,
            channel: d.3.and_then(|c| channels.get(&c).cloned().flatten()),
            user_id: d.4,
            receiver: d.5.clone(),
            mentions: d.6.split(',').filter(|m| !m.is_empty()).map(str::to_owned).collect(),
            event: StoredEvent { id: d.7, kind: decode(d.8.clone(), "kind")?, occurred_at: d.9, data: d.10.clone() },
        });
    }
    Ok(claim)
}

/// The limits of a rate key (`KIND:CHANNEL_ID`).
fn rate_limits_of(key: &str) -> &'static [ratelimit::Limit] {
    key.split(':').next().and_then(|k| k.parse::<ChannelKind>().ok()).map_or(&[], ratelimit::limits)
}

async fn delete_jobs(tx: &mut Tx, ids: &[i64]) -> StoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let sqlite = matches!(tx, Tx::Sqlite(_));
    let sql = format!("DELETE FROM jobs WHERE id IN ({})", placeholders(sqlite, ids.len()));
    on_tx!(tx, conn => {
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        q.execute(&mut **conn).await?.rows_affected()
    });
    Ok(())
}

/// Records the ends of attempts, many in one write transaction (a group
/// commit). A job whose lease this worker lost is left to its new holder,
/// but a send that went out is recorded as sent all the same.
pub async fn finish_jobs(
    store: &Store,
    worker: &str,
    done: &[(ClaimedJob, Finish)],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if done.is_empty() {
        return Ok(());
    }
    let mut tx = store.begin().await?;
    for (job, finish) in done {
        let (outcome, answer) = match finish {
            Finish::Sent { answer } => ("sent", answer),
            Finish::Retry { answer, .. } => ("retry", answer),
            Finish::Dead { answer } => ("dead", answer),
        };
        let held = match finish {
            Finish::Sent { .. } => {
                let sql = "DELETE FROM jobs WHERE id = $1 AND locked_by = $2";
                on_tx!(&mut tx, conn => sqlx::query(sql).bind(job.job_id).bind(worker).execute(&mut **conn).await?.rows_affected())
            }
            Finish::Retry { at, answer } => {
                let sql = "UPDATE jobs SET status = 'queued', run_at = $1, locked_by = NULL, locked_until = NULL, \
                           last_error = $2, updated_at = $3 WHERE id = $4 AND locked_by = $5 AND status = 'running'";
                on_tx!(&mut tx, conn => sqlx::query(sql)
                    .bind(at)
                    .bind(answer)
                    .bind(now)
                    .bind(job.job_id)
                    .bind(worker)
                    .execute(&mut **conn)
                    .await?
                    .rows_affected())
            }
            Finish::Dead { answer } => {
                let sql = "UPDATE jobs SET status = 'dead', locked_by = NULL, locked_until = NULL, last_error = $1, \
                           updated_at = $2 WHERE id = $3 AND locked_by = $4 AND status = 'running'";
                on_tx!(&mut tx, conn => sqlx::query(sql)
                    .bind(answer)
                    .bind(now)
                    .bind(job.job_id)
                    .bind(worker)
                    .execute(&mut **conn)
                    .await?
                    .rows_affected())
            }
        };
        let is_sent = matches!(finish, Finish::Sent { .. });
        if held == 1 || is_sent {
            let (status, sent_at) = match finish {
                Finish::Sent { .. } => ("sent", Some(now)),
                Finish::Retry { .. } => ("retrying", None),
                Finish::Dead { .. } => ("dead", None),
            };
            let sql = "UPDATE deliveries SET status = $1, last_answer = $2, updated_at = $3, \
                       sent_at = COALESCE(sent_at, $4) WHERE id = $5 AND status <> 'sent'";
            on_tx!(&mut tx, conn => sqlx::query(sql)
                .bind(status)
                .bind(answer)
                .bind(now)
                .bind(sent_at)
                .bind(job.delivery_id)
                .execute(&mut **conn)
                .await?
                .rows_affected());
        }
        let sql = "UPDATE delivery_attempts SET outcome = $1, answer = $2 WHERE delivery_id = $3 AND attempt = $4";
        on_tx!(&mut tx, conn => sqlx::query(sql)
            .bind(outcome)
            .bind(answer)
            .bind(job.delivery_id)
            .bind(job.delivery_attempt)
            .execute(&mut **conn)
            .await?
            .rows_affected());
    }
    tx.commit().await
}

/// Removes finished history older than `before`: events (with their
/// inbox rows, deliveries and attempts) whose deliveries are all done.
pub async fn prune_events(store: &Store, before: DateTime<Utc>) -> StoreResult<u64> {
    let sql = "DELETE FROM notification_events WHERE occurred_at < $1 AND NOT EXISTS \
               (SELECT 1 FROM deliveries d WHERE d.event_id = notification_events.id \
                AND d.status IN ('queued', 'sending', 'retrying'))";
    Ok(on_write!(store, conn => sqlx::query(sql).bind(before).execute(&mut **conn).await?.rows_affected()))
}
