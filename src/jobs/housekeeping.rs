//! Drops expired sessions, old sign-in failure records and import uploads
//! unused for a day (uploaded, or their import last heard from), notification history older than 90 days, and refreshes the query planner's statistics.

use chrono::{DateTime, Utc};

use crate::store::{Store, StoreResult};

pub async fn run_once(store: &Store, now: DateTime<Utc>) -> StoreResult<()> {
    store.prune_sessions(now).await?;
    store.prune_uploads(now - crate::ops::uploads::lifetime()).await?;
    // Notification history whose messages are all done, after 90 days.
    crate::store::notify::prune_events(store, now - chrono::Duration::days(90)).await?;
    store.optimize().await
}
