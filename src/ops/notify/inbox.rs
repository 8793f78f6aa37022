//! The in-app inbox (always on): each person's notifications, rendered in
//! the reader's language when read, the unread count for the bell, and
//! marking read.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::super::authz::Actor;
use super::super::{OpsError, OpsResult};
use crate::domain::notify::EventKind;
use crate::domain::notify::render::{EventData, Format, render};
use crate::i18n::{Locale, texts};
use crate::store::Store;

/// One notification as its reader sees it.
#[derive(Clone, Debug, Serialize)]
pub struct InboxEntry {
    pub id: i64,
    pub event: EventKind,
    pub title: String,
    pub body: String,
    pub lines: Vec<String>,
    /// A path inside Rally.
    pub link: String,
    pub occurred_at: DateTime<Utc>,
    pub read: bool,
}

pub struct InboxPage {
    pub items: Vec<InboxEntry>,
    pub total: i64,
    pub unread: i64,
    /// The id to page on from (`before`), when there may be more.
    pub next: Option<i64>,
}

pub async fn list(
    store: &Store,
    actor: &Actor,
    before: Option<i64>,
    unread_only: bool,
    limit: i64,
) -> OpsResult<InboxPage> {
    let locale = Locale::parse(&actor.locale).unwrap_or(Locale::ZhCn);
    let t = texts(locale);
    let rows = store.inbox(actor.id, before, unread_only, limit).await?;
    let (total, unread) = store.inbox_counts(actor.id).await?;
    let next = (rows.len() as i64 == limit).then(|| rows.last().map(|r| r.id)).flatten();
    let items = rows
        .into_iter()
        .map(|r| {
            let data: EventData = serde_json::from_str(&r.event.data).unwrap_or_default();
            let m = render(r.event.kind, &data, t, "", Format::Plain);
            InboxEntry {
                id: r.id,
                event: r.event.kind,
                title: m.title,
                body: m.body,
                lines: m.lines,
                link: if data.link.is_empty() { "/inbox".to_owned() } else { data.link },
                occurred_at: r.event.occurred_at,
                read: r.read_at.is_some(),
            }
        })
        .collect();
    Ok(InboxPage { items, total, unread, next })
}

/// The bell's number.
pub async fn unread_count(store: &Store, actor: &Actor) -> OpsResult<i64> {
    Ok(store.unread_count(actor.id).await?)
}

/// Marks one of the reader's notifications read (someone else's is not found).
pub async fn mark_read(store: &Store, actor: &Actor, id: i64) -> OpsResult<()> {
    if store.mark_read(actor.id, Some(id), store.now()).await? == 0 {
        return Err(OpsError::NotFound);
    }
    Ok(())
}

/// Marks all of the reader's notifications read; how many were unread.
pub async fn mark_all_read(store: &Store, actor: &Actor) -> OpsResult<u64> {
    Ok(store.mark_read(actor.id, None, store.now()).await?)
}
