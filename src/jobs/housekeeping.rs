//! Drops expired sessions, old sign-in failure records and import uploads
//! nobody confirmed within a day, and refreshes the query planner's statistics.

use chrono::{DateTime, Utc};

use crate::store::{Store, StoreResult};

pub async fn run_once(store: &Store, now: DateTime<Utc>) -> StoreResult<()> {
    store.prune_sessions(now).await?;
    store.prune_uploads(now - crate::ops::uploads::lifetime()).await?;
    store.optimize().await
}
