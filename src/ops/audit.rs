//! Reading the audit trail (lead and admin).

use super::OpsResult;
use super::authz::{self, Actor, Permission};
use crate::store::Store;
use crate::store::audit::AuditRecord;

pub async fn history(store: &Store, actor: &Actor, object_type: &str, object_id: i64) -> OpsResult<Vec<AuditRecord>> {
    authz::require(actor, Permission::ReadAudit)?;
    Ok(store.audit_of(object_type, object_id).await?)
}
