//! Files waiting on the import page between upload and confirm, with their
//! stored preview, so any server instance can serve any step.

use chrono::{DateTime, Utc};

use super::{Store, StoreResult, on_db, on_tx, on_write};

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
    /// The import started from the page, if one was.
    pub run: Option<UploadRun>,
}

/// An import of an upload, running or ended (migration 0023), or the
/// preview's check of it while that runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadRun {
    /// `checking` (the preview's dry run), `running`, `imported`,
    /// `rejected` or `failed`.
    pub status: String,
    /// `checking` or `writing`; `None` before the first rows.
    pub stage: Option<String>,
    pub rows_done: i64,
    pub rows_total: i64,
    pub started_at: Option<DateTime<Utc>>,
    pub heartbeat_at: Option<DateTime<Utc>>,
    /// How it ended, as JSON (`ops::uploads::RunOutcome`).
    pub outcome: Option<String>,
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
        let bytes = if with_bytes { "bytes" } else { "NULL" };
        let sql = format!(
            "SELECT id, owner_id, kind, file_name, content_type, {bytes}, mapping, preview, created_at, \
             run_status, run_stage, rows_done, rows_total, run_started_at, heartbeat_at, run_outcome \
             FROM import_uploads WHERE id = $1 AND owner_id = $2"
        );
        type Row = (
            i64,
            i64,
            String,
            String,
            String,
            Option<Vec<u8>>,
            Option<String>,
            Option<String>,
            DateTime<Utc>,
            Option<String>,
            Option<String>,
            i64,
            i64,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
            Option<String>,
        );
        let row: Option<Row> =
            on_db!(self, pool => sqlx::query_as(&sql).bind(id).bind(owner_id).fetch_optional(pool).await?);
        Ok(row.map(
            |(
                id,
                owner_id,
                kind,
                file_name,
                content_type,
                bytes,
                mapping,
                preview,
                created_at,
                status,
                stage,
                rows_done,
                rows_total,
                started_at,
                heartbeat_at,
                outcome,
            )| PendingUpload {
                id,
                owner_id,
                kind,
                file_name,
                content_type,
                bytes: bytes.unwrap_or_default(),
                mapping,
                preview,
                created_at,
                run: status.map(|status| UploadRun {
                    status,
                    stage,
                    rows_done,
                    rows_total,
                    started_at,
                    heartbeat_at,
                    outcome,
                }),
            },
        ))
    }

    /// Marks the upload's import (`status` `running`) or its preview's
    /// check (`checking`) as running from `now`, unless either is running
    /// (a heartbeat since `stale_before`) or it was imported: two clicks, or
    /// two servers, cannot both start one. False: not started.
    pub async fn claim_upload_run(
        &self,
        id: i64,
        owner_id: i64,
        status: &str,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let sql = "UPDATE import_uploads SET run_status = $5, run_stage = NULL, rows_done = 0, rows_total = 0, \
                   run_started_at = $3, heartbeat_at = $3, run_outcome = NULL \
                   WHERE id = $1 AND owner_id = $2 AND (run_status IS NULL OR run_status IN ('rejected', 'failed') \
                   OR (run_status IN ('running', 'checking') AND heartbeat_at < $4))";
        let n = on_write!(self, conn => sqlx::query(sql).bind(id).bind(owner_id).bind(now).bind(stale_before)
            .bind(status).execute(&mut **conn).await?.rows_affected());
        Ok(n > 0)
    }

    /// Ends a running check with the preview it made (and the mapping to
    /// remember), and stores the file if it was not yet (`file`): the upload
    /// is back to waiting for its confirm, and used now.
    pub async fn finish_upload_check(
        &self,
        id: i64,
        mapping: Option<&str>,
        preview: &str,
        file: Option<&[u8]>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let sql = "UPDATE import_uploads SET mapping = $2, preview = $3, run_status = NULL, run_stage = NULL, \
                   rows_done = 0, rows_total = 0, run_started_at = NULL, heartbeat_at = $4, run_outcome = NULL, \
                   bytes = COALESCE($5, bytes) \
                   WHERE id = $1 AND run_status = 'checking'";
        let n = on_write!(self, conn => sqlx::query(sql).bind(id).bind(mapping).bind(preview).bind(now).bind(file)
            .execute(&mut **conn).await?.rows_affected());
        Ok(n > 0)
    }

    /// Records a running import's progress and heartbeat, if that waits for
    /// no other writer (see [`Store::try_begin`]). False: not written now.
    pub async fn try_record_upload_progress(
        &self,
        id: i64,
        stage: Option<&str>,
        rows_done: i64,
        rows_total: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let Some(mut tx) = self.try_begin().await? else { return Ok(false) };
        let sql = "UPDATE import_uploads SET run_stage = $2, rows_done = $3, rows_total = $4, heartbeat_at = $5 \
                   WHERE id = $1 AND run_status IN ('running', 'checking')";
        on_tx!(&mut tx, conn => sqlx::query(sql).bind(id).bind(stage).bind(rows_done).bind(rows_total).bind(now)
            .execute(&mut **conn).await?.rows_affected());
        tx.commit().await?;
        Ok(true)
    }

    /// Ends a running import or check: its status (`imported`, `rejected`,
    /// `failed`) and outcome. Without `keep_file` the upload's file is
    /// dropped: it was imported, or cannot be read (the row stays for the
    /// outcome's page until housekeeping).
    pub async fn finish_upload_run(
        &self,
        id: i64,
        status: &str,
        outcome: &str,
        keep_file: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let sql = "UPDATE import_uploads SET run_status = $2, run_outcome = $3, heartbeat_at = $4, \
                   bytes = CASE WHEN $6 THEN bytes ELSE $5 END \
                   WHERE id = $1 AND run_status IN ('running', 'checking')";
        let empty: &[u8] = &[];
        on_write!(self, conn => sqlx::query(sql).bind(id).bind(status).bind(outcome).bind(now).bind(empty)
            .bind(keep_file).execute(&mut **conn).await?.rows_affected());
        Ok(())
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

    /// Housekeeping: drops uploads untouched since `before` (uploaded, and
    /// their import's last heartbeat, if any, before it).
    pub async fn prune_uploads(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let sql = "DELETE FROM import_uploads WHERE created_at < $1 AND (heartbeat_at IS NULL OR heartbeat_at < $1)";
        Ok(on_write!(self, conn => sqlx::query(sql).bind(before).execute(&mut **conn).await?.rows_affected()))
    }
}
