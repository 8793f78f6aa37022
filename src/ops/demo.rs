//! Loading the demo data set; each later feature adds its own part here.

use chrono::NaiveDate;

use super::OpsResult;
use super::credentials::hash_password;
use crate::demo::{self, DEMO_CUSTOMERS, TEAM};
use crate::domain::team::Email;
use crate::store::Store;
use crate::store::demo::{DemoCustomer, DemoOutcome};
use crate::store::users::NewUser;

/// The marker of the base part (team, customers, history).
const BASE_MARKER: &str = "demo.base.v1";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoReport {
    pub base: DemoOutcome,
    /// Campaigns added by this run (0 when they were already there).
    pub campaigns: usize,
}

const CAMPAIGNS_MARKER: &str = "demo.campaigns.v1";

/// Loads whatever demo parts are not loaded yet; running it again changes nothing.
pub async fn load(store: &Store, today: NaiveDate) -> OpsResult<DemoReport> {
    let base = load_base(store, today).await?;
    let campaigns = load_campaigns(store, today).await?;
    if base != DemoOutcome::AlreadyLoaded {
        store.optimize().await?;
    }
    Ok(DemoReport { base, campaigns })
}

async fn load_base(store: &Store, today: NaiveDate) -> OpsResult<DemoOutcome> {
    if store.setting(BASE_MARKER).await?.is_some() {
        return Ok(DemoOutcome::AlreadyLoaded);
    }
    // One hash for every demo account: they share the published demo password.
    let password_hash = hash_password(demo::DEMO_PASSWORD)?;
    let users: Vec<NewUser> = TEAM
        .iter()
        .filter_map(|m| {
            Some(NewUser {
                email: Email::parse(m.email).ok()?,
                name: m.name.to_owned(),
                role: m.role,
                region: m.region.map(str::to_owned),
                password_hash: password_hash.clone(),
            })
        })
        .collect();
    let customers = demo::customers(today, DEMO_CUSTOMERS)
        .into_iter()
        .map(|seed| DemoCustomer { customer: seed.customer, owner_email: seed.owner_email.map(str::to_owned) })
        .collect();
    Ok(store.load_demo_part(BASE_MARKER, &users, customers).await?)
}

/// Three campaigns: one that ended last month (its members and outcomes are
/// the history new goals are checked against), one running, one in draft.
async fn load_campaigns(store: &Store, today: NaiveDate) -> OpsResult<usize> {
    use crate::store::campaigns::{add_members_matching, insert_campaign, set_milestone};
    use crate::store::customers::{CustomerFilter, CustomerScope, TierBasis};

    let lead = store.user_by_email("lead@rally.example").await?;
    let marketing = store.user_by_email("marketing@rally.example").await?;
    let service = store.user_by_email("service@rally.example").await?;
    let day = |offset: i64| today.checked_add_signed(chrono::Duration::days(offset)).unwrap_or(today);
    let rules = super::customers::tier_rules(store).await?;
    let mut tx = store.begin().await?;
    if !crate::store::demo::claim_marker(&mut tx, CAMPAIGNS_MARKER).await? {
        return Ok(0);
    }
    let plans = demo::campaigns(today);
    for plan in &plans {
        let mut c = plan.campaign.clone();
        c.lead_id = lead.as_ref().map(|u| u.id);
        c.marketing_id = marketing.as_ref().map(|u| u.id);
        c.service_id = service.as_ref().map(|u| u.id);
        let id = insert_campaign(&mut tx, &c, c.lead_id).await?;
        if plan.generate_members {
            let segment = crate::domain::segment::parse(&c.segment).ok();
            let filter = CustomerFilter { segment, ..CustomerFilter::scope(CustomerScope::All) };
            let basis = TierBasis { as_of: c.starts_on, rules, anchored: c.starts_on >= today };
            add_members_matching(&mut tx, store, id, &filter, &basis, "segment", None).await?;
        }
        for (key, done_offset) in &plan.milestones_done {
            set_milestone(&mut tx, id, key, Some(day(*done_offset)), Some(day(*done_offset))).await?;
        }
    }
    tx.commit().await?;
    Ok(plans.len())
}

/// The sign-in accounts, for printing after `--demo`.
pub fn accounts() -> Vec<(String, &'static str)> {
    TEAM.iter().map(|m| (m.email.to_owned(), m.duty)).collect()
}
