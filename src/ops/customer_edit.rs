//! Creating, editing and deleting customers. A rep edits their own customers
//! (the unassigned pool is read-only to them); leads and admins edit all.

use serde_json::json;

use super::authz::{self, Actor, Permission};
use super::{OpsError, OpsResult, audit_change, check_chars, optional_multiline, optional_text, required_text};
use crate::domain::credit_code;
use crate::domain::team::Role;
use crate::io::names::normalize_company_name;
use crate::store::audit::AuditAction;
use crate::store::customers::{self as customer_store, CustomerRecord, NewCustomer};
use crate::store::{Store, StoreError, Tx};

/// Customer fields as given; `None` means "default" on create, "keep" on edit.
#[derive(Clone, Debug, Default)]
pub struct CustomerFields {
    pub name: Option<String>,
    /// `Some(None)` or `Some(Some(""))` clears it.
    pub credit_code: Option<Option<String>>,
    pub industry: Option<String>,
    pub region: Option<String>,
    pub city: Option<String>,
    pub annual_purchase_fen: Option<i64>,
    /// `Some(None)` makes the customer unassigned.
    pub owner_email: Option<Option<String>>,
    pub source: Option<String>,
    pub notes: Option<String>,
    pub tags: Option<Vec<String>>,
    pub pain_points: Option<Vec<String>>,
}

fn labels(field: &'static str, items: Vec<String>) -> OpsResult<Vec<String>> {
    let cleaned: Vec<String> = items.iter().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect();
    for label in &cleaned {
        check_chars(field, label, false)?;
    }
    if cleaned.len() > 20 {
        return Err(OpsError::invalid(field, format!("at most 20 {field}")));
    }
    if let Some(long) = cleaned.iter().find(|t| t.chars().count() > 50) {
        return Err(OpsError::invalid(field, format!("{long:?} is longer than 50 characters")));
    }
    Ok(cleaned)
}

/// Applies `fields` over `base`, validating every field that was given.
async fn merge(store: &Store, actor: &Actor, base: NewCustomer, fields: CustomerFields) -> OpsResult<NewCustomer> {
    let mut c = base;
    if let Some(name) = fields.name {
        c.name = required_text("name", &name, 200)?;
        c.name_key = normalize_company_name(&c.name);
    }
    if let Some(code) = fields.credit_code {
        c.credit_code = match code.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(raw) => Some(credit_code::parse(raw).map_err(|e| OpsError::invalid("credit_code", e.to_string()))?),
            None => None,
        };
    }
    if let Some(v) = fields.industry {
        c.industry = optional_text("industry", &v, 100)?;
    }
    if let Some(v) = fields.city {
        c.city = optional_text("city", &v, 100)?;
    }
    if let Some(v) = fields.region {
        let region = v.trim().to_owned();
        let regions = store.regions().await?;
        if !region.is_empty() && !regions.contains(&region) {
            return Err(OpsError::invalid(
                "region",
                format!("unknown region {region:?}: expected one of {}", regions.join(", ")),
            ));
        }
        c.region = region;
    }
    if let Some(fen) = fields.annual_purchase_fen {
        if fen < 0 {
            return Err(OpsError::invalid("annual_purchase", "the annual purchase amount cannot be negative"));
        }
        c.annual_purchase_fen = fen;
    }
    if let Some(owner) = fields.owner_email {
        c.owner_id = match owner.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(email) => {
                let (id, _) = store
                    .active_rep_by_email(email)
                    .await?
                    .ok_or_else(|| OpsError::invalid("owner_email", format!("{email:?} is not an active sales rep")))?;
                Some(id)
            }
        };
    }
    // A rep's customers are their own: they cannot hand them to someone else
    // or release them to the pool.
    if actor.role == Role::Rep && c.owner_id != Some(actor.id) {
        return Err(OpsError::invalid("owner_email", "a rep's customers are owned by that rep"));
    }
    if let Some(v) = fields.source {
        c.source = optional_text("source", &v, 100)?;
        if c.source.is_empty() {
            c.source = "manual".to_owned();
        }
    }
    if let Some(v) = fields.notes {
        c.notes = optional_multiline("notes", &v, 5000)?;
    }
    if let Some(v) = fields.tags {
        c.tags = labels("tags", v)?;
    }
    if let Some(v) = fields.pain_points {
        c.pain_points = labels("pain_points", v)?;
    }
    Ok(c)
}

fn changes_of(r: &CustomerRecord, name_key: String) -> NewCustomer {
    NewCustomer {
        name: r.name.clone(),
        name_key,
        credit_code: r.credit_code.clone(),
        industry: r.industry.clone(),
        region: r.region.clone(),
        city: r.city.clone(),
        annual_purchase_fen: r.annual_purchase_fen,
        owner_id: r.owner_id,
        source: r.source.clone(),
        notes: r.notes.clone(),
        tags: r.tags.clone(),
        pain_points: r.pain_points.clone(),
        contacts: Vec::new(),
        interactions: Vec::new(),
    }
}

fn conflict(err: StoreError) -> OpsError {
    match err {
        StoreError::Conflict(_) => OpsError::invalid("credit_code", "another customer already has this credit code"),
        other => other.into(),
    }
}

/// The customer if `actor` may change it: 404 when it is not visible to
/// them, 403 when it is visible but not theirs to change.
pub(crate) async fn editable(tx: &mut Tx, actor: &Actor, id: i64, permission: Permission) -> OpsResult<CustomerRecord> {
    authz::require(actor, permission)?;
    let record = customer_store::customer_record(tx, id).await?.ok_or(OpsError::NotFound)?;
    if actor.role == Role::Rep {
        match record.owner_id {
            Some(owner) if owner == actor.id => {}
            None => return Err(OpsError::Forbidden),
            Some(_) => return Err(OpsError::NotFound),
        }
    }
    Ok(record)
}

pub async fn create(store: &Store, actor: &Actor, fields: CustomerFields) -> OpsResult<i64> {
    authz::require(actor, Permission::WriteCustomers)?;
    if fields.name.is_none() {
        return Err(OpsError::invalid("name", "name is empty"));
    }
    let base = NewCustomer {
        region: actor.region.clone().unwrap_or_default(),
        owner_id: (actor.role == Role::Rep).then_some(actor.id),
        source: "manual".to_owned(),
        ..NewCustomer::default()
    };
    let new = merge(store, actor, base, fields).await?;
    let mut tx = store.begin().await?;
    let id = customer_store::insert_customers(&mut tx, vec![new]).await.map_err(conflict)?[0];
    let after = customer_store::customer_record(&mut tx, id).await?;
    audit_change(&mut tx, actor, AuditAction::Create, "customer", id, None, after.map(|r| json!(r))).await?;
    tx.commit().await?;
    Ok(id)
}

/// Edits a customer. `version`, when given, must be current (else
/// [`OpsError::Stale`] with the record as it is now).
pub async fn update(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: Option<i64>,
    fields: CustomerFields,
) -> OpsResult<()> {
    let mut tx = store.begin().await?;
    let before = editable(&mut tx, actor, id, Permission::WriteCustomers).await?;
    if let Some(v) = version
        && v != before.version
    {
        return Err(OpsError::Stale { current_version: before.version, current: json!(before) });
    }
    let base = changes_of(&before, normalize_company_name(&before.name));
    let changes = merge(store, actor, base, fields).await?;
    if !customer_store::update_customer(&mut tx, id, before.version, &changes).await.map_err(conflict)? {
        return Err(OpsError::Stale { current_version: before.version + 1, current: json!(before) });
    }
    if changes.owner_id != before.owner_id {
        // Campaign members follow the new owner (unless a lead assigned them).
        super::execution::members::follow_owner(&mut tx, &[id], store.now()).await?;
    }
    let after = customer_store::customer_record(&mut tx, id).await?;
    audit_change(&mut tx, actor, AuditAction::Update, "customer", id, Some(json!(before)), after.map(|r| json!(r)))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes a customer with its contacts and history (lead and admin); the
/// audit trail keeps what it said.
pub async fn delete(store: &Store, actor: &Actor, id: i64) -> OpsResult<()> {
    let mut tx = store.begin().await?;
    let before = editable(&mut tx, actor, id, Permission::DeleteCustomers).await?;
    customer_store::delete_customer(&mut tx, id).await?;
    audit_change(&mut tx, actor, AuditAction::Delete, "customer", id, Some(json!(before)), None).await?;
    tx.commit().await?;
    Ok(())
}

/// Authorization and visibility only, before a request body is even read.
pub async fn check(store: &Store, actor: &Actor, id: i64, permission: Permission) -> OpsResult<()> {
    let mut tx = store.begin_read().await?;
    editable(&mut tx, actor, id, permission).await.map(|_| ())
}

/// The customer's own fields (tags, pain points, notes, version) for an edit
/// form, if `actor` may edit it; private notes are blanked for roles that
/// may not read them.
pub async fn for_edit(store: &Store, actor: &Actor, id: i64) -> OpsResult<CustomerRecord> {
    let mut tx = store.begin_read().await?;
    let mut record = editable(&mut tx, actor, id, Permission::WriteCustomers).await?;
    if !authz::allows(actor.role, Permission::ReadCustomerNotes) {
        record.notes.clear();
    }
    Ok(record)
}

/// The people a customer may be given to: active sales reps, by name.
pub async fn active_reps(store: &Store, actor: &Actor) -> OpsResult<Vec<crate::store::users::User>> {
    authz::require(actor, Permission::ReadCustomers)?;
    let mut reps: Vec<_> = store.users().await?.into_iter().filter(|u| u.active && u.role == Role::Rep).collect();
    reps.sort_by(|a, b| a.name.cmp(&b.name).then(a.email.cmp(&b.email)));
    Ok(reps)
}
