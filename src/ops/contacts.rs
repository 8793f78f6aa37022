//! A customer's contacts: read with the customer, changed by its editors.

use serde_json::json;

use super::authz::{self, Actor, Permission};
use super::customer_edit::editable;
use super::{OpsError, OpsResult, audit_change, optional_text, required_text};
use crate::domain::contact::{Email, Phone};
use crate::store::Store;
use crate::store::audit::AuditAction;
use crate::store::contacts::{self as contact_store, Contact};
use crate::store::customers::NewContact;

pub async fn list(store: &Store, actor: &Actor, customer_id: i64) -> OpsResult<Vec<Contact>> {
    super::customers::get(store, actor, customer_id, crate::clock::today()).await?;
    Ok(store.contacts_of(customer_id).await?)
}

/// Contact fields; `None` keeps the current value on edit.
#[derive(Clone, Debug, Default)]
pub struct ContactFields {
    pub name: Option<String>,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub im_id: Option<String>,
}

fn merge(base: NewContact, f: ContactFields) -> OpsResult<NewContact> {
    let mut c = base;
    if let Some(v) = f.name {
        c.name = required_text("name", &v, 100)?;
    }
    if let Some(v) = f.title {
        c.title = optional_text("title", &v, 100)?;
    }
    if let Some(v) = f.phone {
        let phone = optional_text("phone", &v, 40)?;
        c.phone = if phone.is_empty() {
            phone
        } else {
            Phone::parse(&phone).map_err(|e| OpsError::invalid("phone", e.to_string()))?.into_string()
        };
    }
    if let Some(v) = f.email {
        c.email = if v.trim().is_empty() {
            String::new()
        } else {
            Email::parse(&v).map_err(|e| OpsError::invalid("email", e.to_string()))?.into_string()
        };
    }
    if let Some(v) = f.im_id {
        c.im_id = optional_text("im_id", &v, 100)?;
    }
    Ok(c)
}

/// A new contact's fields, checked (the follow-up form adds contacts too).
pub(crate) fn checked(f: ContactFields) -> OpsResult<NewContact> {
    merge(NewContact::default(), f)
}

fn view(c: &Contact) -> serde_json::Value {
    json!(c)
}

pub async fn create(store: &Store, actor: &Actor, customer_id: i64, fields: ContactFields) -> OpsResult<i64> {
    let mut tx = store.begin().await?;
    editable(&mut tx, actor, customer_id, Permission::WriteCustomers).await?;
    if fields.name.is_none() {
        return Err(OpsError::invalid("name", "name is empty"));
    }
    let contact = merge(NewContact::default(), fields)?;
    let id = contact_store::insert_contact(&mut tx, customer_id, &contact).await?;
    let after = contact_store::contact_in_tx(&mut tx, id).await?;
    audit_change(&mut tx, actor, AuditAction::Create, "contact", id, None, after.as_ref().map(view)).await?;
    tx.commit().await?;
    Ok(id)
}

async fn load(tx: &mut crate::store::Tx, actor: &Actor, id: i64) -> OpsResult<Contact> {
    authz::require(actor, Permission::WriteCustomers)?;
    let contact = contact_store::contact_in_tx(tx, id).await?.ok_or(OpsError::NotFound)?;
    editable(tx, actor, contact.customer_id, Permission::WriteCustomers).await?;
    Ok(contact)
}

pub async fn update(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: Option<i64>,
    fields: ContactFields,
) -> OpsResult<Contact> {
    let mut tx = store.begin().await?;
    let before = load(&mut tx, actor, id).await?;
    if let Some(v) = version
        && v != before.version
    {
        return Err(OpsError::Stale { current_version: before.version, current: view(&before) });
    }
    let base = NewContact {
        name: before.name.clone(),
        title: before.title.clone(),
        phone: before.phone.clone(),
        email: before.email.clone(),
        im_id: before.im_id.clone(),
    };
    let changed = merge(base, fields)?;
    if !contact_store::update_contact(&mut tx, id, before.version, &changed).await? {
        return Err(OpsError::Stale { current_version: before.version + 1, current: view(&before) });
    }
    let after = contact_store::contact_in_tx(&mut tx, id).await?.ok_or(OpsError::NotFound)?;
    audit_change(&mut tx, actor, AuditAction::Update, "contact", id, Some(view(&before)), Some(view(&after))).await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn delete(store: &Store, actor: &Actor, id: i64) -> OpsResult<()> {
    let mut tx = store.begin().await?;
    let before = load(&mut tx, actor, id).await?;
    contact_store::delete_contact(&mut tx, id).await?;
    audit_change(&mut tx, actor, AuditAction::Delete, "contact", id, Some(view(&before)), None).await?;
    tx.commit().await?;
    Ok(())
}

/// Authorization and visibility only, before a request body is even read.
pub async fn check(store: &Store, actor: &Actor, id: i64) -> OpsResult<()> {
    let mut tx = store.begin_read().await?;
    load(&mut tx, actor, id).await.map(|_| ())
}

/// One contact for its edit form, if `actor` may edit it.
pub async fn for_edit(store: &Store, actor: &Actor, id: i64) -> OpsResult<Contact> {
    let mut tx = store.begin_read().await?;
    load(&mut tx, actor, id).await
}
