//! Drops expired sessions and old sign-in failure records, and refreshes
//! the query planner's statistics.

use chrono::{DateTime, Utc};

use crate::store::{Store, StoreResult};

pub async fn run_once(store: &Store, now: DateTime<Utc>) -> StoreResult<()> {
    store.prune_sessions(now).await?;
    store.optimize().await
}
