//! The target list: generating members from the campaign's segment, reading
//! it in outreach order, and adding a channel partner's list.

use serde_json::json;

use super::check_manage;
use crate::domain::team::Role;
use crate::ops::authz::{self, Actor, Permission};
use crate::ops::customers::Total;
use crate::ops::{OpsError, OpsResult, audit_change, required_text};
use crate::store::Store;
use crate::store::audit::AuditAction;
use crate::store::campaigns::{self as campaign_store, Campaign, Member, MemberQuery};
use crate::store::customers::{CustomerFilter, CustomerScope, TierBasis};

/// Tier basis for a campaign: as of its start. A start in the past uses the
/// exact (historical) computation; today or later, the maintained columns.
async fn start_basis(store: &Store, c: &Campaign) -> OpsResult<TierBasis> {
    let today = store.today();
    let rules = crate::ops::customers::tier_rules(store).await?;
    Ok(TierBasis { as_of: c.starts_on, rules, anchored: c.starts_on >= today })
}

/// Applies the campaign's segment: adds each matching customer once.
pub async fn generate_members(store: &Store, actor: &Actor, id: i64) -> OpsResult<(u64, i64)> {
    let c = check_manage(store, actor, id).await?;
    let segment = crate::ops::customers::parse_segment(Some(&c.segment))?
        .ok_or_else(|| OpsError::invalid("segment", "the campaign has no segment to apply"))?;
    let basis = start_basis(store, &c).await?;
    let filter = CustomerFilter { segment: Some(segment), ..CustomerFilter::scope(CustomerScope::All) };
    let mut tx = store.begin().await?;
    let added = campaign_store::add_members_matching(&mut tx, store, id, &filter, &basis, "segment", None).await?;
    let total = campaign_store::count_members(&mut tx, id).await?;
    crate::ops::execution::tasks::plan_if_active(store, &mut tx, id).await?;
    if added > 0 {
        audit_change(
            &mut tx,
            actor,
            AuditAction::Update,
            "campaign",
            id,
            None,
            Some(json!({ "members_added": added })),
        )
        .await?;
    }
    tx.commit().await?;
    settle_after_bulk(store, added);
    Ok((added, total))
}

/// Members added at once from which the list is settled (see
/// [`Store::settle_members`]) behind the request.
const SETTLE_AFTER: u64 = 10_000;

/// After a large list was written, settles it in the background: the
/// request does not wait, and the pages that follow find it settled.
fn settle_after_bulk(store: &Store, added: u64) {
    if added < SETTLE_AFTER {
        return;
    }
    let store = store.clone();
    tokio::spawn(async move {
        if let Err(err) = store.settle_members().await {
            tracing::warn!(error = %err, "could not settle the target list after a bulk add; autovacuum will");
        }
    });
}

/// A rep sees their own part of the target list; everyone else all of it.
pub async fn members(store: &Store, actor: &Actor, id: i64, query: MemberQuery) -> OpsResult<Vec<Member>> {
    super::readable(store, actor, id).await?;
    Ok(store.members(id, &visible_part(actor, query)).await?)
}

/// How many members `query`'s filters match among those `actor` sees:
/// counted in full when `exact`, else no further than
/// [`TOTAL_CAP`](crate::ops::customers::TOTAL_CAP), as the customer list.
pub async fn count_members(store: &Store, actor: &Actor, id: i64, query: MemberQuery, exact: bool) -> OpsResult<Total> {
    use crate::ops::customers::TOTAL_CAP;
    super::readable(store, actor, id).await?;
    let query = visible_part(actor, query);
    Ok(if exact {
        Total { count: store.count_members_matching(id, &query, None).await?, exact: true }
    } else {
        let counted = store.count_members_matching(id, &query, Some(TOTAL_CAP + 1)).await?;
        Total { count: counted.min(TOTAL_CAP), exact: counted <= TOTAL_CAP }
    })
}

fn visible_part(actor: &Actor, mut query: MemberQuery) -> MemberQuery {
    if actor.role == Role::Rep {
        // Their own members, and the unassigned ones of their region (to claim).
        query.assignee_id = None;
        query.unassigned = false;
        query.own_or_pool_of = Some((actor.id, actor.region.clone().unwrap_or_default()));
    }
    query
}

pub async fn member_counts(store: &Store, actor: &Actor, id: i64) -> OpsResult<Vec<(Option<i64>, String, i64)>> {
    super::readable(store, actor, id).await?;
    let all = store.member_counts(id).await?;
    Ok(if actor.role == Role::Rep { all.into_iter().filter(|(a, _, _)| *a == Some(actor.id)).collect() } else { all })
}

/// What a partner's list did: the import's report, and the members it added.
pub struct PartnerListOutcome {
    pub report: crate::ops::import::ImportReport,
    pub added: u64,
    pub total: i64,
}

/// Adds a channel partner's customer list (CSV/XLSX) to a campaign: the rows
/// are imported under the customer importer's rules (unknown customers are
/// created with the partner as their source; bad rows refuse the file unless
/// `partial`), then every customer the list names becomes a member tagged
/// with the partner, with its tier as of the start and the usual assignee.
pub async fn import_partner_list(
    store: &Store,
    actor: &Actor,
    id: i64,
    partner: &str,
    upload: crate::ops::import::Upload<'_>,
    partial: bool,
) -> Result<PartnerListOutcome, crate::ops::import::ImportError> {
    use crate::ops::import::{self, ImportOptions, ImportStatus, Importer};
    authz::require(actor, Permission::WriteCustomers)?;
    let c = check_manage(store, actor, id).await?;
    let partner = required_text("partner", partner, 100)?;
    let prepared = import::prepare(crate::io::ImportKind::Customers, upload, None)?;
    let today = store.today();
    let options = ImportOptions { partial, partner: Some(partner.clone()), ..ImportOptions::new(today) };
    let mut report =
        import::run(store, &Importer::user(actor.clone()), prepared, &options, &import::no_progress).await?;
    if report.status != ImportStatus::Imported {
        return Ok(PartnerListOutcome {
            report,
            added: 0,
            total: store.member_counts(id).await?.iter().map(|(_, _, n)| n).sum(),
        });
    }
    // The customers the list's good rows are, as the import matched or created them.
    let mut ids = std::mem::take(&mut report.named_customers);
    ids.sort_unstable();
    ids.dedup();
    let basis = start_basis(store, &c).await?;
    let filter = CustomerFilter { ids: Some(ids), ..CustomerFilter::scope(CustomerScope::All) };
    let mut tx = store.begin().await?;
    let added =
        campaign_store::add_members_matching(&mut tx, store, id, &filter, &basis, "partner", Some(&partner)).await?;
    let total = campaign_store::count_members(&mut tx, id).await?;
    crate::ops::execution::tasks::plan_if_active(store, &mut tx, id).await?;
    audit_change(
        &mut tx,
        actor,
        AuditAction::Update,
        "campaign",
        id,
        None,
        Some(json!({ "partner_list": partner, "members_added": added })),
    )
    .await?;
    tx.commit().await?;
    settle_after_bulk(store, added);
    Ok(PartnerListOutcome { report, added, total })
}
