//! A customer's contacts (联系人).

use chrono::Utc;

use super::customers::NewContact;
use super::{Store, StoreResult, Tx, on_db, on_tx};

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Contact {
    pub id: i64,
    pub customer_id: i64,
    pub name: String,
    pub title: String,
    pub phone: String,
    pub email: String,
    pub im_id: String,
    pub version: i64,
}

type Row = (i64, i64, String, String, String, String, String, i64);
const COLUMNS: &str = "id, customer_id, name, title, phone, email, im_id, version";

fn from_row((id, customer_id, name, title, phone, email, im_id, version): Row) -> Contact {
    Contact { id, customer_id, name, title, phone, email, im_id, version }
}

impl Store {
    pub async fn contacts_of(&self, customer_id: i64) -> StoreResult<Vec<Contact>> {
        let sql = format!("SELECT {COLUMNS} FROM contacts WHERE customer_id = $1 ORDER BY id");
        let rows = on_db!(self, pool => sqlx::query_as::<_, Row>(&sql).bind(customer_id).fetch_all(pool).await?);
        Ok(rows.into_iter().map(from_row).collect())
    }
}

pub async fn contact_in_tx(tx: &mut Tx, id: i64) -> StoreResult<Option<Contact>> {
    let sql = format!("SELECT {COLUMNS} FROM contacts WHERE id = $1");
    let row = on_tx!(tx, conn => sqlx::query_as::<_, Row>(&sql).bind(id).fetch_optional(&mut **conn).await?);
    Ok(row.map(from_row))
}

pub async fn insert_contact(tx: &mut Tx, customer_id: i64, c: &NewContact) -> StoreResult<i64> {
    let sql = "INSERT INTO contacts (customer_id, name, title, phone, email, im_id, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id";
    Ok(on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql)
        .bind(customer_id)
        .bind(&c.name)
        .bind(&c.title)
        .bind(&c.phone)
        .bind(&c.email)
        .bind(&c.im_id)
        .bind(Utc::now())
        .fetch_one(&mut **conn)
        .await?))
}

pub async fn update_contact(tx: &mut Tx, id: i64, version: i64, c: &NewContact) -> StoreResult<bool> {
    let sql = "UPDATE contacts SET name = $3, title = $4, phone = $5, email = $6, im_id = $7, version = version + 1, \
               updated_at = $8 WHERE id = $1 AND version = $2";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(id)
        .bind(version)
        .bind(&c.name)
        .bind(&c.title)
        .bind(&c.phone)
        .bind(&c.email)
        .bind(&c.im_id)
        .bind(Utc::now())
        .execute(&mut **conn)
        .await?
        .rows_affected());
    Ok(n == 1)
}

pub async fn delete_contact(tx: &mut Tx, id: i64) -> StoreResult<bool> {
    let n = on_tx!(tx, conn => sqlx::query("DELETE FROM contacts WHERE id = $1").bind(id).execute(&mut **conn).await?.rows_affected());
    Ok(n == 1)
}
