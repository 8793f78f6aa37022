//! Files waiting on the import page between upload and confirm, so any
//! server instance can serve any step.

use chrono::{DateTime, Utc};

use super::{Store, StoreResult, on_db, on_write};

/// A file waiting on the import page between upload and confirm.
#[derive(Clone, Debug)]
pub struct PendingUpload {
    pub id: i64,
    pub owner_id: i64,
    pub kind: String,
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub mapping: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Store {
    pub async fn save_upload(
        &self,
        owner_id: i64,
        kind: &str,
        file_name: &str,
        content_type: &str,
        bytes: &[u8],
        now: DateTime<Utc>,
    ) -> StoreResult<i64> {
        let sql = "INSERT INTO import_uploads (owner_id, kind, file_name, content_type, bytes, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
        Ok(on_write!(self, conn => sqlx::query_scalar::<_, i64>(sql)
            .bind(owner_id)
            .bind(kind)
            .bind(file_name)
            .bind(content_type)
            .bind(bytes)
            .bind(now)
            .fetch_one(&mut **conn)
            .await?))
    }

    /// The upload if it exists and belongs to `owner_id`.
    pub async fn upload(&self, id: i64, owner_id: i64) -> StoreResult<Option<PendingUpload>> {
        let sql = "SELECT id, owner_id, kind, file_name, content_type, bytes, mapping, created_at \
                   FROM import_uploads WHERE id = $1 AND owner_id = $2";
        type Row = (i64, i64, String, String, String, Vec<u8>, Option<String>, DateTime<Utc>);
        let row: Option<Row> =
            on_db!(self, pool => sqlx::query_as(sql).bind(id).bind(owner_id).fetch_optional(pool).await?);
        Ok(row.map(|(id, owner_id, kind, file_name, content_type, bytes, mapping, created_at)| PendingUpload {
            id,
            owner_id,
            kind,
            file_name,
            content_type,
            bytes,
            mapping,
            created_at,
        }))
    }

    pub async fn set_upload_mapping(&self, id: i64, owner_id: i64, mapping: &str) -> StoreResult<bool> {
        let sql = "UPDATE import_uploads SET mapping = $1 WHERE id = $2 AND owner_id = $3";
        let n = on_write!(self, conn => sqlx::query(sql).bind(mapping).bind(id).bind(owner_id).execute(&mut **conn).await?.rows_affected());
        Ok(n > 0)
    }

    pub async fn delete_upload(&self, id: i64, owner_id: i64) -> StoreResult<()> {
        let sql = "DELETE FROM import_uploads WHERE id = $1 AND owner_id = $2";
        on_write!(self, conn => sqlx::query(sql).bind(id).bind(owner_id).execute(&mut **conn).await?.rows_affected());
        Ok(())
    }

    /// Housekeeping: drops uploads nobody confirmed since `before`.
    pub async fn prune_uploads(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let sql = "DELETE FROM import_uploads WHERE created_at < $1";
        Ok(on_write!(self, conn => sqlx::query(sql).bind(before).execute(&mut **conn).await?.rows_affected()))
    }
}
