//! The delivery log (per event and receiver: queued, sent, retried with the
//! receiver's answer, dead) and the queue's jobs, with an admin's retry of a
//! dead one.

use super::super::authz::{self, Actor, Permission};
use super::super::{OpsError, OpsResult};
use crate::store::Store;
use crate::store::notify::{AttemptRow, DeliveryFilter, DeliveryRow, JobRow};

pub const STATUSES: [&str; 5] = ["queued", "sending", "sent", "retrying", "dead"];

/// A page of the log, newest first, each delivery with its attempts.
pub async fn deliveries(
    store: &Store,
    actor: &Actor,
    filter: DeliveryFilter,
    limit: i64,
) -> OpsResult<(Vec<DeliveryRow>, Vec<AttemptRow>)> {
    authz::require(actor, Permission::ManageNotifications)?;
    if let Some(s) = &filter.status
        && !STATUSES.contains(&s.as_str())
    {
        return Err(OpsError::invalid("status", format!("status is one of {}", STATUSES.join(", "))));
    }
    let rows = store.deliveries(&filter, limit).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let attempts = store.delivery_attempts(&ids).await?;
    Ok((rows, attempts))
}

pub async fn jobs(
    store: &Store,
    actor: &Actor,
    dead_only: bool,
    after: Option<i64>,
    limit: i64,
) -> OpsResult<Vec<JobRow>> {
    authz::require(actor, Permission::ManageNotifications)?;
    Ok(store.jobs(dead_only, after, limit).await?)
}

/// Sends a dead job again from its first attempt (after the admin fixed
/// the channel). Only dead jobs can be retried; others are not found.
pub async fn retry(store: &Store, actor: &Actor, job_id: i64) -> OpsResult<()> {
    authz::require(actor, Permission::ManageNotifications)?;
    if !store.retry_dead_job(job_id, store.now()).await? {
        return Err(OpsError::NotFound);
    }
    store.wake_workers();
    Ok(())
}
