//! A customer's interaction history (the timeline); writes refresh the
//! customer's activity columns in the same transaction.

use chrono::{DateTime, NaiveDate, Utc};

use super::customers::NewInteraction;
use super::{Store, StoreError, StoreResult, Tx, on_db, on_tx};
use crate::domain::customer::{Channel, InteractionKind};

#[derive(Clone, Debug, serde::Serialize)]
pub struct Interaction {
    pub id: i64,
    pub customer_id: i64,
    pub occurred_on: NaiveDate,
    pub occurred_at: Option<String>,
    pub channel: Channel,
    pub kind: InteractionKind,
    pub note: String,
    pub amount_fen: Option<i64>,
    pub created_by: Option<i64>,
    pub created_by_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub version: i64,
}

type Row = (
    i64,
    i64,
    NaiveDate,
    Option<String>,
    String,
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<String>,
    DateTime<Utc>,
    i64,
);

const SELECT: &str = "SELECT i.id, i.customer_id, i.occurred_on, i.occurred_at, i.channel, i.kind, i.note, i.amount_fen, \
    i.created_by, u.name, i.created_at, i.version FROM interactions i LEFT JOIN users u ON u.id = i.created_by";

fn from_row(r: Row) -> StoreResult<Interaction> {
    let bad = |e: crate::domain::customer::UnknownCode| StoreError::Database(sqlx::Error::Decode(e.into()));
    Ok(Interaction {
        id: r.0,
        customer_id: r.1,
        occurred_on: r.2,
        occurred_at: r.3,
        channel: r.4.parse().map_err(bad)?,
        kind: r.5.parse().map_err(bad)?,
        note: r.6,
        amount_fen: r.7,
        created_by: r.8,
        created_by_name: r.9,
        created_at: r.10,
        version: r.11,
    })
}

impl Store {
    /// Newest first.
    pub async fn interactions_of(&self, customer_id: i64, limit: i64) -> StoreResult<Vec<Interaction>> {
        let sql = format!("{SELECT} WHERE i.customer_id = $1 ORDER BY i.occurred_on DESC, i.id DESC LIMIT $2");
        let rows =
            on_db!(self, pool => sqlx::query_as::<_, Row>(&sql).bind(customer_id).bind(limit).fetch_all(pool).await?);
        rows.into_iter().map(from_row).collect()
    }
}

pub async fn interaction_in_tx(tx: &mut Tx, id: i64) -> StoreResult<Option<Interaction>> {
    let sql = format!("{SELECT} WHERE i.id = $1");
    let row = on_tx!(tx, conn => sqlx::query_as::<_, Row>(&sql).bind(id).fetch_optional(&mut **conn).await?);
    row.map(from_row).transpose()
}

pub async fn insert_interaction(tx: &mut Tx, customer_id: i64, i: &NewInteraction) -> StoreResult<i64> {
    let sql = "INSERT INTO interactions (customer_id, occurred_on, occurred_at, channel, kind, note, amount_fen, created_by, created_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id";
    Ok(on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql)
        .bind(customer_id)
        .bind(i.occurred_on)
        .bind(&i.occurred_at)
        .bind(i.channel.as_str())
        .bind(i.kind.as_str())
        .bind(&i.note)
        .bind(i.amount_fen)
        .bind(i.created_by)
        .bind(Utc::now())
        .fetch_one(&mut **conn)
        .await?))
}

/// Writes an interaction's fields; with `version`, only if it is still that
/// version (`false` otherwise). A follow-up's own interaction is rewritten
/// with the follow-up, which holds the version check.
pub async fn update_interaction(tx: &mut Tx, id: i64, version: Option<i64>, i: &NewInteraction) -> StoreResult<bool> {
    let sql = "UPDATE interactions SET occurred_on = $3, occurred_at = $4, channel = $5, kind = $6, note = $7, \
               amount_fen = $8, version = version + 1, updated_at = $9 WHERE id = $1 AND version = COALESCE($2, version)";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(id)
        .bind(version)
        .bind(i.occurred_on)
        .bind(&i.occurred_at)
        .bind(i.channel.as_str())
        .bind(i.kind.as_str())
        .bind(&i.note)
        .bind(i.amount_fen)
        .bind(Utc::now())
        .execute(&mut **conn)
        .await?
        .rows_affected());
    Ok(n == 1)
}

pub async fn delete_interaction(tx: &mut Tx, id: i64) -> StoreResult<bool> {
    let n = on_tx!(tx, conn => sqlx::query("DELETE FROM interactions WHERE id = $1").bind(id).execute(&mut **conn).await?.rows_affected());
    Ok(n == 1)
}
