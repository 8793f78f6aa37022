//! Loading the generated demo data set in one transaction, exactly once.

use chrono::Utc;

use super::customers::{CustomerRows, DEFAULT_S_MIN_INTERACTIONS, NewCustomer, insert_customers, refresh_activity};
use super::users::NewUser;
use super::{Store, StoreResult, on_tx};
use crate::domain::segment::DerivedColumns;

/// A demo customer whose owner is named by email (ids are not known yet).
pub struct DemoCustomer {
    pub customer: NewCustomer,
    pub owner_email: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoOutcome {
    Loaded { users: usize, customers: usize, interactions: usize },
    AlreadyLoaded,
}

impl Store {
    /// Loads one part of the demo. The marker row is written first in the same
    /// transaction, so a second run (or a second server racing the first)
    /// changes nothing.
    pub async fn load_demo_part(
        &self,
        marker: &str,
        users: &[NewUser],
        customers: Vec<DemoCustomer>,
    ) -> StoreResult<DemoOutcome> {
        let mut tx = self.begin().await?;
        if !claim_marker(&mut tx, marker).await? {
            return Ok(DemoOutcome::AlreadyLoaded);
        }

        let mut created_users = 0;
        let insert_user = "INSERT INTO users (email, name, role, region, password_hash, created_at, updated_at) \
                           VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (email) DO NOTHING";
        let now = Utc::now();
        for u in users {
            created_users += on_tx!(&mut tx, conn => sqlx::query(insert_user)
                .bind(u.email.as_str())
                .bind(&u.name)
                .bind(u.role.as_str())
                .bind(&u.region)
                .bind(&u.password_hash)
                .bind(now)
                .execute(&mut **conn)
                .await?
                .rows_affected());
        }
        let ids: Vec<(i64, String)> = on_tx!(&mut tx, conn =>
            sqlx::query_as("SELECT id, email FROM users").fetch_all(&mut **conn).await?);
        let owner_ids: std::collections::HashMap<String, i64> = ids.into_iter().map(|(id, e)| (e, id)).collect();

        let interactions = customers.iter().map(|c| c.customer.interactions.len()).sum();
        let count = customers.len();
        let rows: Vec<NewCustomer> = customers
            .into_iter()
            .map(|c| NewCustomer { owner_id: c.owner_email.and_then(|e| owner_ids.get(&e).copied()), ..c.customer })
            .collect();
        let ids = insert_customers(&mut tx, rows).await?;
        refresh_activity(&mut tx, Some(&ids), DEFAULT_S_MIN_INTERACTIONS).await?;
        tx.commit().await?;
        Ok(DemoOutcome::Loaded { users: usize::try_from(created_users).unwrap_or(0), customers: count, interactions })
    }
}

impl Store {
    /// Loads a generated data set of `total` customers in one transaction,
    /// exactly once per `marker`: `batches` hands out customers with their
    /// activity columns until it closes, `progress` hears how many are in. On SQLite into a base no larger than the load, the customer
    /// indexes are built once at the end rather than row by row.
    pub async fn load_generated(
        &self,
        marker: &str,
        total: usize,
        mut batches: tokio::sync::mpsc::Receiver<Vec<(NewCustomer, DerivedColumns)>>,
        mut progress: impl FnMut(usize),
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        if !claim_marker(&mut tx, marker).await? {
            return Ok(false);
        }
        let suspended = super::bulk::suspend_indexes(&mut tx, total, super::bulk::CUSTOMER_TABLES_WITH_HISTORY).await?;
        // The names are in hand here: spread for the short-term index in Rust
        // (1,000,000 customers: see BENCHMARKS.md, *Scale data set*).
        let short_terms = super::bulk::suspend_short_terms(&mut tx).await?;
        let now = Utc::now();
        let mut done = 0;
        while let Some(batch) = batches.recv().await {
            let ids = super::bulk::allocate_ids(&mut tx, "customers", batch.len()).await?;
            let names: Vec<(i64, String)> = match short_terms {
                Some(_) => ids.iter().zip(&batch).map(|(&id, (c, _))| (id, c.name.clone())).collect(),
                None => Vec::new(),
            };
            let mut rows = CustomerRows::default();
            for ((customer, activity), id) in batch.into_iter().zip(ids) {
                rows.push_with_activity(id, customer, activity, now);
                done += 1;
            }
            rows.insert(&mut tx).await?;
            let names: Vec<(i64, &str)> = names.iter().map(|(id, name)| (*id, name.as_str())).collect();
            super::bulk::insert_short_terms(&mut tx, &names).await?;
            progress(done);
        }
        if let Some(create) = short_terms {
            super::bulk::restore_short_terms(&mut tx, &create).await?;
        }
        if let Some(suspended) = suspended {
            super::bulk::restore_indexes(&mut tx, suspended).await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}

/// Claims a demo part's marker inside `tx`; `false` when already loaded.
pub async fn claim_marker(tx: &mut super::Tx, marker: &str) -> StoreResult<bool> {
    let sql = "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING";
    let claimed = on_tx!(tx, conn => sqlx::query(sql)
        .bind(marker)
        .bind(Utc::now().to_rfc3339())
        .execute(&mut **conn)
        .await?
        .rows_affected());
    Ok(claimed == 1)
}

impl Store {
    /// Marks a campaign's open tasks of one action done (the demo's community
    /// push went out to every C member at once).
    pub async fn demo_complete_tasks(&self, campaign_id: i64, action: &str) -> StoreResult<u64> {
        let sql = "UPDATE member_tasks SET status = 'done', done_at = $3 WHERE campaign_id = $1 AND action = $2 AND status = 'open'";
        let mut tx = self.begin().await?;
        let n = on_tx!(&mut tx, conn => sqlx::query(sql).bind(campaign_id).bind(action).bind(Utc::now()).execute(&mut **conn).await?.rows_affected());
        tx.commit().await?;
        Ok(n)
    }

    /// Dates the demo's follow-ups as logged when they happened (they are all
    /// written at load time), so the stand-up reads them as daily records.
    pub async fn demo_backdate_follow_ups(
        &self,
        campaign_id: i64,
        listed_at: chrono::DateTime<Utc>,
    ) -> StoreResult<()> {
        let sql = "UPDATE follow_ups SET logged_on = occurred_on, created_at = occurred_at WHERE campaign_id = $1";
        // The list was drawn up before the start, not when the demo loaded.
        let members = "UPDATE campaign_members SET added_at = $2, assigned_at = $2 WHERE campaign_id = $1";
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, conn => sqlx::query(sql).bind(campaign_id).execute(&mut **conn).await?.rows_affected());
        on_tx!(&mut tx, conn => sqlx::query(members).bind(campaign_id).bind(listed_at).execute(&mut **conn).await?.rows_affected());
        tx.commit().await?;
        Ok(())
    }
}
