//! Background work that every server instance runs. Each job is one testable
//! step (`run_once`, `ops::notify::queue::run`, `ops::notify::reminders::scan`)
//! plus a loop; steps are safe to run on several instances at once
//! (idempotent deletes; row-claiming with `SKIP LOCKED` for the notification
//! queue; one key per reminder and day).

pub mod housekeeping;
pub mod notify;

use std::time::Duration;

use crate::store::Store;

/// The loops a server runs beside serving requests.
#[derive(Clone, Copy, Debug)]
pub struct Loops {
    /// Send notifications and make reminders (off in tests that drive the
    /// queue themselves).
    pub notifications: bool,
    /// How long a worker's claim lasts before another server may take it over.
    pub lease: chrono::Duration,
}

impl Default for Loops {
    fn default() -> Self {
        Loops { notifications: true, lease: chrono::Duration::seconds(60) }
    }
}

/// Starts the background loops; they stop when the returned handles are
/// aborted or the runtime shuts down.
pub fn spawn_all(store: Store, loops: Loops) -> Vec<tokio::task::JoinHandle<()>> {
    let mut handles = vec![spawn(store.clone()), spawn_count_folds(store.clone())];
    if loops.notifications {
        handles.push(notify::spawn_worker(store.clone(), loops.lease));
        handles.push(notify::spawn_scan(store));
    }
    handles
}

/// Starts the periodic housekeeping; it stops when the returned handle is
/// aborted or the runtime shuts down.
pub fn spawn(store: Store) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            if let Err(err) = housekeeping::run_once(&store, chrono::Utc::now()).await {
                tracing::warn!(error = %err, "housekeeping failed; retrying next hour");
            }
        }
    })
}

/// Folds the kept customer counts' rows every few seconds (PostgreSQL, where
/// writers add rows; see `store::counts`), so a count adds up a handful.
fn spawn_count_folds(store: Store) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if !matches!(store.dialect(), crate::domain::segment::Dialect::Postgres) {
            return;
        }
        let mut tick = tokio::time::interval(Duration::from_secs(10));
        loop {
            tick.tick().await;
            if let Err(err) = store.fold_customer_counts().await {
                tracing::warn!(error = %err, "folding the kept customer counts failed; retrying");
            }
        }
    })
}
