//! Exporting a customer list (any filter) page by page, within the
//! actor's visibility: a rep exports exactly what their list shows.

use chrono::NaiveDate;

use super::authz::{self, Actor, Permission};
use super::customers::{basis, parse_segment};
use super::{OpsError, OpsResult};
use crate::io::export::ExportRecord;
use crate::store::Store;
use crate::store::customers::{CustomerFilter, TierBasis};

/// Customers per database round trip: big enough to be quick, small enough
/// that a 100k-customer export never holds more than this in memory (CSV).
pub const EXPORT_PAGE: i64 = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl std::str::FromStr for ExportFormat {
    type Err = OpsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "csv" => Ok(ExportFormat::Csv),
            "xlsx" => Ok(ExportFormat::Xlsx),
            other => Err(OpsError::invalid("format", format!("{other:?} is not csv or xlsx"))),
        }
    }
}

/// The list's filter, as the customer list takes it.
#[derive(Clone, Debug, Default)]
pub struct ExportQuery {
    pub search: Option<String>,
    pub region: Option<String>,
    pub segment: Option<String>,
}

/// A cursor over the customers to export, in id order.
pub struct Export {
    store: Store,
    filter: CustomerFilter,
    basis: TierBasis,
    after: Option<i64>,
    done: bool,
}

/// Checks permission and the filter (a bad segment fails here, before any
/// byte is sent) and positions before the first customer.
pub async fn start(store: &Store, actor: &Actor, query: ExportQuery, today: NaiveDate) -> OpsResult<Export> {
    authz::require(actor, Permission::ReadCustomers)?;
    let filter = CustomerFilter {
        scope: authz::customer_scope(actor),
        search: query.search,
        region: query.region,
        segment: parse_segment(query.segment.as_deref())?,
        ids: None,
    };
    Ok(Export { store: store.clone(), basis: basis(store, today).await?, filter, after: None, done: false })
}

impl Export {
    /// The next page, or `None` at the end.
    pub async fn next_page(&mut self) -> OpsResult<Option<Vec<ExportRecord>>> {
        if self.done {
            return Ok(None);
        }
        let page = self.store.list_customers(&self.filter, &self.basis, self.after, EXPORT_PAGE).await?;
        if (page.len() as i64) < EXPORT_PAGE {
            self.done = true;
        }
        let Some(last) = page.last() else { return Ok(None) };
        self.after = Some(last.id);
        let ids: Vec<i64> = page.iter().map(|c| c.id).collect();
        let mut contacts = self.store.first_contacts(&ids).await?;
        Ok(Some(
            page.into_iter()
                .map(|c| {
                    let contact = contacts.remove(&c.id).unwrap_or_default();
                    ExportRecord {
                        name: c.name,
                        credit_code: c.credit_code,
                        industry: c.industry,
                        region: c.region,
                        city: c.city,
                        annual_purchase_fen: c.annual_purchase_fen,
                        contact: contact.name,
                        phone: contact.phone,
                        email: contact.email,
                        owner_email: c.owner_email,
                        tier: c.tier,
                        last_interaction_on: c.last_interaction_on,
                        last_inquiry_on: c.last_inquiry_on,
                        source: c.source,
                    }
                })
                .collect(),
        ))
    }
}
