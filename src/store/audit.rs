//! The append-only audit trail: who changed what, when, from what, to what.
//! The tables refuse UPDATE and DELETE (triggers), so history cannot be rewritten.

use chrono::{DateTime, Utc};

use super::{Store, StoreResult, Tx, on_db, on_tx};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    Create,
    Update,
    Delete,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Create => "create",
            AuditAction::Update => "update",
            AuditAction::Delete => "delete",
        }
    }
}

pub struct AuditEntry<'a> {
    pub actor_id: Option<i64>,
    pub actor_email: &'a str,
    pub action: AuditAction,
    pub object_type: &'a str,
    pub object_id: i64,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AuditRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_email: String,
    pub action: String,
    pub object_type: String,
    pub object_id: i64,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Records a change inside the transaction that makes it, so a change and its
/// record are written together or not at all.
pub async fn record(tx: &mut Tx, entry: AuditEntry<'_>) -> StoreResult<()> {
    record_all(tx, vec![entry]).await
}

/// Records several changes of one unit of work in one statement.
pub async fn record_all(tx: &mut Tx, entries: Vec<AuditEntry<'_>>) -> StoreResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let rows: Vec<String> = (0..entries.len())
        .map(|r| {
            let n = r * 8;
            format!("(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})", n + 1, n + 2, n + 3, n + 4, n + 5, n + 6, n + 7, n + 8)
        })
        .collect();
    let sql = format!(
        "INSERT INTO audit_log (at, actor_id, actor_email, action, object_type, object_id, before, after) VALUES {}",
        rows.join(", ")
    );
    let at = Utc::now();
    on_tx!(tx, conn => {
        let mut q = sqlx::query(&sql);
        for entry in &entries {
            q = q
                .bind(at)
                .bind(entry.actor_id)
                .bind(entry.actor_email)
                .bind(entry.action.as_str())
                .bind(entry.object_type)
                .bind(entry.object_id)
                .bind(entry.before.as_ref().map(|v| v.to_string()))
                .bind(entry.after.as_ref().map(|v| v.to_string()));
        }
        q.execute(&mut **conn).await?.rows_affected()
    });
    Ok(())
}

impl Store {
    /// The history of one object, oldest first.
    pub async fn audit_of(&self, object_type: &str, object_id: i64) -> StoreResult<Vec<AuditRecord>> {
        let sql = "SELECT id, at, actor_email, action, object_type, object_id, before, after FROM audit_log \
                   WHERE object_type = $1 AND object_id = $2 ORDER BY id";
        type Row = (i64, DateTime<Utc>, String, String, String, i64, Option<String>, Option<String>);
        let rows = on_db!(self, pool => sqlx::query_as::<_, Row>(sql)
            .bind(object_type)
            .bind(object_id)
            .fetch_all(pool)
            .await?);
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        Ok(rows
            .into_iter()
            .map(|(id, at, actor_email, action, object_type, object_id, before, after)| AuditRecord {
                id,
                at,
                actor_email,
                action,
                object_type,
                object_id,
                before: parse(before),
                after: parse(after),
            })
            .collect())
    }
}
