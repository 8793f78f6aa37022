//! Files waiting on the import page between upload and confirm, with their
//! stored preview, so any server instance can serve any step.

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
    /// Empty when read by [`Store::upload_preview`].
    pub bytes: Vec<u8>,
    pub mapping: Option<String>,
    /// The page's preview as JSON (`ops::uploads::Preview`), once computed.
    pub preview: Option<String>,
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
        self.upload_row(id, owner_id, true).await
    }

    /// The upload without its file: enough to show its stored preview.
    pub async fn upload_preview(&self, id: i64, owner_id: i64) -> StoreResult<Option<PendingUpload>> {
        self.upload_row(id, owner_id, false).await
    }

    async fn upload_row(&self, id: i64, owner_id: i64, with_bytes: bool) -> StoreResult<Option<PendingUpload>> {
        let sql = if with_bytes {
            "SELECT id, owner_id, kind, file_name, content_type, bytes, mapping, preview, created_at \
             FROM import_uploads WHERE id = $1 AND owner_id = $2"
        } else {
            "SELECT id, owner_id, kind, file_name, content_type, NULL, mapping, preview, created_at \
             FROM import_uploads WHERE id = $1 AND owner_id = $2"
        };
        type Row = (i64, i64, String, String, String, Option<Vec<u8>>, Option<String>, Option<String>, DateTime<Utc>);
        let row: Option<Row> =
            on_db!(self, pool => sqlx::query_as(sql).bind(id).bind(owner_id).fetch_optional(pool).await?);
        Ok(row.map(|(id, owner_id, kind, file_name, content_type, bytes, mapping, preview, created_at)| {
            PendingUpload {
                id,
                owner_id,
                kind,
                file_name,
                content_type,
                bytes: bytes.unwrap_or_default(),
                mapping,
                preview,
                created_at,
            }
        }))
    }

    /// Stores the mapping the preview used and the preview itself.
    pub async fn set_upload_preview(
        &self,
        id: i64,
        owner_id: i64,
        mapping: Option<&str>,
        preview: &str,
    ) -> StoreResult<bool> {
        let sql = "UPDATE import_uploads SET mapping = $1, preview = $2 WHERE id = $3 AND owner_id = $4";
        let n = on_db!(self, pool => sqlx::query(sql).bind(mapping).bind(preview).bind(id).bind(owner_id)
            .execute(pool).await?.rows_affected());
        Ok(n > 0)
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
