//! Reading customers within the actor's visibility.

use chrono::{Days, NaiveDate};

use super::authz::{self, Actor, Permission};
use super::{OpsError, OpsResult};
use crate::store::Store;
use crate::store::customers::{CustomerQuery, CustomerSummary, TierCutoffs};

/// Default tier rules of PRODUCT.md: S = 3+ interactions in 30 days, B = an
/// inquiry in 60 days. "The last N days as of t" is t−(N−1) ..= t.
pub fn default_cutoffs(today: NaiveDate) -> TierCutoffs {
    TierCutoffs {
        s_from: today.checked_sub_days(Days::new(29)).unwrap_or(today),
        b_from: today.checked_sub_days(Days::new(59)).unwrap_or(today),
    }
}

fn redact(actor: &Actor, mut c: CustomerSummary) -> CustomerSummary {
    if !authz::allows(actor.role, Permission::ReadCustomerNotes) {
        c.notes.clear();
    }
    c
}

pub async fn list(
    store: &Store,
    actor: &Actor,
    query: &CustomerQuery,
    today: NaiveDate,
) -> OpsResult<(Vec<CustomerSummary>, i64)> {
    authz::require(actor, Permission::ReadCustomers)?;
    let (rows, total) = store.list_customers(authz::customer_scope(actor), query, default_cutoffs(today)).await?;
    Ok((rows.into_iter().map(|c| redact(actor, c)).collect(), total))
}

pub async fn get(store: &Store, actor: &Actor, id: i64, today: NaiveDate) -> OpsResult<CustomerSummary> {
    authz::require(actor, Permission::ReadCustomers)?;
    let found = store.customer(authz::customer_scope(actor), id, default_cutoffs(today)).await?;
    found.map(|c| redact(actor, c)).ok_or(OpsError::NotFound)
}

pub async fn tier_counts(store: &Store, actor: &Actor, today: NaiveDate) -> OpsResult<(i64, i64, i64)> {
    authz::require(actor, Permission::ReadCustomers)?;
    Ok(store.tier_counts(authz::customer_scope(actor), default_cutoffs(today)).await?)
}
