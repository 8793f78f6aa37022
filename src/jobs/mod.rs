//! Background work that every server instance runs. Each job is one testable
//! step (`run_once`) plus a loop; steps are safe to run on several instances
//! at once (idempotent deletes now; row-claiming with `SKIP LOCKED` for the
//! notification queue).

pub mod housekeeping;

use std::time::Duration;

use crate::store::Store;

/// Starts the periodic jobs; they stop when the returned handle is aborted
/// or the runtime shuts down.
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
