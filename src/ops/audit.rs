//! Reading the audit trail (lead and admin).

use super::OpsResult;
use super::authz::{self, Actor, Permission};
use crate::store::Store;
use crate::store::audit::AuditRecord;

/// An object's history, oldest first. Customers and follow-ups created by an
/// import have no record of their own (one record per import lists the ids
/// it created, see ARCHITECTURE.md); that record is part of their history.
pub async fn history(store: &Store, actor: &Actor, object_type: &str, object_id: i64) -> OpsResult<Vec<AuditRecord>> {
    authz::require(actor, Permission::ReadAudit)?;
    let mut records = store.audit_of(object_type, object_id).await?;
    if let Some(key) = crate::ops::import::created_ids_key(object_type) {
        records.extend(store.imports_creating(key, object_id).await?);
        records.sort_by_key(|r| r.id);
    }
    Ok(records)
}
