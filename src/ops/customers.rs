//! Reading customers within the actor's visibility, filtered by segments.

use chrono::NaiveDate;

use super::authz::{self, Actor, Permission};
use super::{OpsError, OpsResult};
use crate::domain::segment::{self, Expr, TierRules};
use crate::store::Store;
use crate::store::customers::{CustomerFilter, CustomerSummary, TierBasis};

/// The setting that holds the team's tier thresholds.
pub const TIER_RULES_KEY: &str = "tiers";

/// The team's tier thresholds (PRODUCT.md's defaults until a lead edits them).
pub async fn tier_rules(store: &Store) -> OpsResult<TierRules> {
    let stored = store.setting(TIER_RULES_KEY).await?;
    let parsed = stored.and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok());
    let defaults = TierRules::default();
    let get = |v: &Option<serde_json::Value>, key: &str, default: u32| {
        v.as_ref().and_then(|v| v[key].as_u64()).and_then(|n| u32::try_from(n).ok()).unwrap_or(default)
    };
    Ok(TierRules {
        s_min_interactions: get(&parsed, "s_min_interactions", defaults.s_min_interactions),
        s_window_days: get(&parsed, "s_window_days", defaults.s_window_days),
        b_window_days: get(&parsed, "b_window_days", defaults.b_window_days),
    })
}

/// Tiers as of `today` use the maintained activity columns: interactions are
/// never dated after today, so the anchored form is exact.
pub async fn basis(store: &Store, today: NaiveDate) -> OpsResult<TierBasis> {
    Ok(TierBasis { as_of: today, rules: tier_rules(store).await?, anchored: true })
}

/// A segment as typed; blank means no filter. Errors name the position.
pub fn parse_segment(text: Option<&str>) -> OpsResult<Option<Expr>> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => segment::parse(t).map(Some).map_err(|e| OpsError::invalid("segment", e.to_string())),
    }
}

/// What a customer list asks for.
#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    pub search: Option<String>,
    pub region: Option<String>,
    pub segment: Option<String>,
    pub after_id: Option<i64>,
    pub limit: i64,
    /// Count every match for the total, however many (on demand); by
    /// default the count stops past [`TOTAL_CAP`].
    pub exact_total: bool,
}

/// Up to this many matches a list's total is exact without asking; past it
/// the list says "more than 10,000" and counts exactly on demand.
pub const TOTAL_CAP: i64 = 10_000;

/// How many customers a list matches: exact, or at least `count` (more
/// than [`TOTAL_CAP`] and not counted further).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Total {
    pub count: i64,
    pub exact: bool,
}

fn redact(actor: &Actor, mut c: CustomerSummary) -> CustomerSummary {
    if !authz::allows(actor.role, Permission::ReadCustomerNotes) {
        c.notes.clear();
    }
    c
}

fn filter_for(actor: &Actor, query: &ListQuery) -> OpsResult<CustomerFilter> {
    Ok(CustomerFilter {
        scope: authz::customer_scope(actor),
        search: query.search.clone(),
        region: query.region.clone(),
        segment: parse_segment(query.segment.as_deref())?,
        ids: None,
    })
}

/// A page of visible customers and how many match in all.
pub async fn list(
    store: &Store,
    actor: &Actor,
    query: &ListQuery,
    today: NaiveDate,
) -> OpsResult<(Vec<CustomerSummary>, Total)> {
    authz::require(actor, Permission::ReadCustomers)?;
    let filter = filter_for(actor, query)?;
    let basis = basis(store, today).await?;
    let rows = store.list_customers(&filter, &basis, query.after_id, query.limit).await?;
    // Counted exactly when asked, or when the kept counts answer at no cost.
    let kept = match query.exact_total {
        true => None,
        false => store.count_kept(&filter, &basis).await?,
    };
    let total = if let Some(count) = kept {
        Total { count, exact: true }
    } else if query.exact_total {
        Total { count: store.count_matching(&filter, &basis).await?, exact: true }
    } else {
        let counted = store.count_matching_capped(&filter, &basis, TOTAL_CAP).await?;
        Total { count: counted.min(TOTAL_CAP), exact: counted <= TOTAL_CAP }
    };
    Ok((rows.into_iter().map(|c| redact(actor, c)).collect(), total))
}

/// How many visible customers a segment matches (the builder's live count).
pub async fn count(store: &Store, actor: &Actor, segment_text: &str, today: NaiveDate) -> OpsResult<i64> {
    authz::require(actor, Permission::ReadCustomers)?;
    let query = ListQuery { segment: Some(segment_text.to_owned()), ..ListQuery::default() };
    let filter = filter_for(actor, &query)?;
    Ok(store.count_matching(&filter, &basis(store, today).await?).await?)
}

pub async fn get(store: &Store, actor: &Actor, id: i64, today: NaiveDate) -> OpsResult<CustomerSummary> {
    authz::require(actor, Permission::ReadCustomers)?;
    let found = store.customer(authz::customer_scope(actor), id, &basis(store, today).await?).await?;
    found.map(|c| redact(actor, c)).ok_or(OpsError::NotFound)
}

pub async fn tier_counts(store: &Store, actor: &Actor, today: NaiveDate) -> OpsResult<(i64, i64, i64)> {
    authz::require(actor, Permission::ReadCustomers)?;
    let filter = CustomerFilter::scope(authz::customer_scope(actor));
    Ok(store.tier_counts(&filter, &basis(store, today).await?).await?)
}

/// Customers per tier (S, B, C) among the visible ones matching a list
/// query (search, region, segment): the counts above the customer list.
pub async fn tier_counts_matching(
    store: &Store,
    actor: &Actor,
    query: &ListQuery,
    today: NaiveDate,
) -> OpsResult<(i64, i64, i64)> {
    authz::require(actor, Permission::ReadCustomers)?;
    let filter = filter_for(actor, query)?;
    Ok(store.tier_counts(&filter, &basis(store, today).await?).await?)
}

/// A visible customer's tags and pain points, for display.
pub async fn labels(store: &Store, actor: &Actor, id: i64) -> OpsResult<(Vec<String>, Vec<String>)> {
    get(store, actor, id, store.today()).await?;
    Ok(store.customer_labels(id).await?)
}
