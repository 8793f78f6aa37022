//! Saved segments: named filters the whole team can reuse.

use chrono::Utc;

use super::{Store, StoreResult, Tx, on_db, on_tx};

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SavedSegment {
    pub id: i64,
    pub name: String,
    /// The filter in the segment language (canonical form).
    pub expression: String,
    pub created_by: Option<i64>,
    pub version: i64,
}

type Row = (i64, String, String, Option<i64>, i64);

fn from_row((id, name, expression, created_by, version): Row) -> SavedSegment {
    SavedSegment { id, name, expression, created_by, version }
}

impl Store {
    pub async fn saved_segments(&self) -> StoreResult<Vec<SavedSegment>> {
        let sql = "SELECT id, name, expression, created_by, version FROM saved_segments ORDER BY name";
        let rows = on_db!(self, pool => sqlx::query_as::<_, Row>(sql).fetch_all(pool).await?);
        Ok(rows.into_iter().map(from_row).collect())
    }
}

pub async fn segment_in_tx(tx: &mut Tx, id: i64) -> StoreResult<Option<SavedSegment>> {
    let sql = "SELECT id, name, expression, created_by, version FROM saved_segments WHERE id = $1";
    let row = on_tx!(tx, conn => sqlx::query_as::<_, Row>(sql).bind(id).fetch_optional(&mut **conn).await?);
    Ok(row.map(from_row))
}

/// A taken name answers `StoreError::Conflict`.
pub async fn insert_segment(tx: &mut Tx, name: &str, expression: &str, created_by: i64) -> StoreResult<i64> {
    let sql = "INSERT INTO saved_segments (name, expression, created_by, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $4) RETURNING id";
    Ok(on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql)
        .bind(name)
        .bind(expression)
        .bind(created_by)
        .bind(Utc::now())
        .fetch_one(&mut **conn)
        .await?))
}

pub async fn update_segment(tx: &mut Tx, id: i64, version: i64, name: &str, expression: &str) -> StoreResult<bool> {
    let sql = "UPDATE saved_segments SET name = $3, expression = $4, version = version + 1, updated_at = $5 \
               WHERE id = $1 AND version = $2";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(id)
        .bind(version)
        .bind(name)
        .bind(expression)
        .bind(Utc::now())
        .execute(&mut **conn)
        .await?
        .rows_affected());
    Ok(n == 1)
}

pub async fn delete_segment(tx: &mut Tx, id: i64) -> StoreResult<bool> {
    let n = on_tx!(tx, conn => sqlx::query("DELETE FROM saved_segments WHERE id = $1").bind(id).execute(&mut **conn).await?.rows_affected());
    Ok(n == 1)
}
