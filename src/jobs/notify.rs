//! Each server's notification loops: the queue worker (claims, sends and
//! records until nothing is due, then sleeps until woken by a new job in
//! this process or the next poll, which finds other servers' jobs too), and
//! the reminder scan once a minute. Both are safe on any number of servers:
//! claims skip each other's rows and reminders have one key per day.

use std::time::Duration;

use crate::ops::notify::{queue, reminders};
use crate::store::Store;

/// How often an idle worker looks for jobs other servers wrote.
pub const POLL: Duration = Duration::from_millis(500);
/// How often the reminders are checked.
pub const SCAN: Duration = Duration::from_secs(60);

/// The queue worker of this process, until aborted.
pub fn spawn_worker(store: Store, lease: chrono::Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut worker = queue::Worker::new("serve");
        worker.lease = lease;
        loop {
            match queue::run(&store, &worker, None).await {
                Ok(report) if report.done() > 0 || report.reaped > 0 => {
                    tracing::debug!(?report, "notification queue ran");
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "the notification queue failed; trying again"),
            }
            tokio::select! {
                _ = store.woken() => {}
                _ = tokio::time::sleep(POLL) => {}
            }
        }
    })
}

/// The reminder scan of this process, until aborted.
pub fn spawn_scan(store: Store) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SCAN);
        loop {
            tick.tick().await;
            match reminders::scan(&store).await {
                Ok(0) => {}
                Ok(made) => tracing::info!(made, "reminders made"),
                Err(err) => tracing::warn!(error = %err, "the reminder scan failed; trying again next minute"),
            }
        }
    })
}
