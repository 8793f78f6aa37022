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
}

/// Loads whatever demo parts are not loaded yet; running it again changes nothing.
pub async fn load(store: &Store, today: NaiveDate) -> OpsResult<DemoReport> {
    if store.setting(BASE_MARKER).await?.is_some() {
        return Ok(DemoReport { base: DemoOutcome::AlreadyLoaded });
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
    let base = store.load_demo_part(BASE_MARKER, &users, customers).await?;
    Ok(DemoReport { base })
}

/// The sign-in accounts, for printing after `--demo`.
pub fn accounts() -> Vec<(String, &'static str)> {
    TEAM.iter().map(|m| (m.email.to_owned(), m.duty)).collect()
}
