//! Customers, their contacts and interaction history, and the activity
//! columns derived from that history (kept current on write, never on read).

use chrono::{NaiveDate, Utc};

use super::{Store, StoreResult, Tx, Value, bind_values, multi_row_inserts, on_db, on_tx};
use crate::domain::customer::{Channel, InteractionKind};

#[derive(Clone, Debug, Default)]
pub struct NewCustomer {
    pub name: String,
    /// Normalised name used to find duplicates.
    pub name_key: String,
    pub credit_code: Option<String>,
    pub industry: String,
    pub region: String,
    pub city: String,
    pub annual_purchase_fen: i64,
    pub owner_id: Option<i64>,
    pub source: String,
    pub tags: Vec<String>,
    pub pain_points: Vec<String>,
    pub contacts: Vec<NewContact>,
    pub interactions: Vec<NewInteraction>,
}

#[derive(Clone, Debug, Default)]
pub struct NewContact {
    pub name: String,
    pub title: String,
    pub phone: String,
    pub email: String,
    pub im_id: String,
}

#[derive(Clone, Debug)]
pub struct NewInteraction {
    pub occurred_on: NaiveDate,
    /// Time of day as written (`14:00`), when known.
    pub occurred_at: Option<String>,
    pub channel: Channel,
    pub kind: InteractionKind,
    pub note: String,
    pub amount_fen: Option<i64>,
    pub created_by: Option<i64>,
}

/// How many interactions in the window make a customer tier S; the derived
/// `s_anchor_on` column is the date of the k-th most recent interaction.
pub const DEFAULT_S_MIN_INTERACTIONS: i64 = 3;

impl Store {
    pub async fn count_customers(&self) -> StoreResult<i64> {
        let sql = "SELECT COUNT(*) FROM customers";
        Ok(on_db!(self, pool => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await?))
    }

    pub async fn count_interactions(&self) -> StoreResult<i64> {
        let sql = "SELECT COUNT(*) FROM interactions";
        Ok(on_db!(self, pool => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await?))
    }
}

/// Inserts customers with their tags, pain points, contacts and interactions,
/// returning the new ids in input order. Derived activity columns are left for
/// [`refresh_activity`], which the caller runs once for the batch.
pub async fn insert_customers(tx: &mut Tx, customers: &[NewCustomer]) -> StoreResult<Vec<i64>> {
    let now = Utc::now();
    let mut ids = Vec::with_capacity(customers.len());
    let sql = "INSERT INTO customers (name, name_key, credit_code, industry, region, city, \
               annual_purchase_fen, owner_id, source, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id";
    for c in customers {
        let id = on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql)
            .bind(&c.name)
            .bind(&c.name_key)
            .bind(&c.credit_code)
            .bind(&c.industry)
            .bind(&c.region)
            .bind(&c.city)
            .bind(c.annual_purchase_fen)
            .bind(c.owner_id)
            .bind(&c.source)
            .bind(now)
            .fetch_one(&mut **conn)
            .await?);
        ids.push(id);
    }

    let mut tags = Vec::new();
    let mut pains = Vec::new();
    let mut contacts = Vec::new();
    let mut interactions = Vec::new();
    for (c, &id) in customers.iter().zip(&ids) {
        let mut seen_tags = std::collections::HashSet::new();
        for tag in c.tags.iter().filter(|t| seen_tags.insert(t.as_str())) {
            tags.extend([Value::from(id), Value::from(tag.as_str())]);
        }
        let mut seen_pains = std::collections::HashSet::new();
        for pain in c.pain_points.iter().filter(|p| seen_pains.insert(p.as_str())) {
            pains.extend([Value::from(id), Value::from(pain.as_str())]);
        }
        for k in &c.contacts {
            contacts.extend([
                Value::from(id),
                Value::from(k.name.as_str()),
                Value::from(k.title.as_str()),
                Value::from(k.phone.as_str()),
                Value::from(k.email.as_str()),
                Value::from(k.im_id.as_str()),
                Value::from(now),
                Value::from(now),
            ]);
        }
        for i in &c.interactions {
            interactions.extend([
                Value::from(id),
                Value::from(i.occurred_on),
                Value::from(i.occurred_at.clone()),
                Value::from(i.channel.as_str()),
                Value::from(i.kind.as_str()),
                Value::from(i.note.as_str()),
                Value::from(i.amount_fen),
                Value::from(i.created_by),
                Value::from(now),
            ]);
        }
    }
    insert_rows(tx, "customer_tags", &["customer_id", "tag"], &tags).await?;
    insert_rows(tx, "customer_pain_points", &["customer_id", "pain_point"], &pains).await?;
    insert_rows(
        tx,
        "contacts",
        &["customer_id", "name", "title", "phone", "email", "im_id", "created_at", "updated_at"],
        &contacts,
    )
    .await?;
    insert_rows(
        tx,
        "interactions",
        &[
            "customer_id",
            "occurred_on",
            "occurred_at",
            "channel",
            "kind",
            "note",
            "amount_fen",
            "created_by",
            "created_at",
        ],
        &interactions,
    )
    .await?;
    Ok(ids)
}

/// Bulk-inserts a flat row-major list of values.
pub(crate) async fn insert_rows(tx: &mut Tx, table: &str, columns: &[&str], values: &[Value]) -> StoreResult<()> {
    let width = columns.len();
    let rows = values.len() / width;
    for (range, sql) in multi_row_inserts(table, columns, rows, "") {
        let chunk = &values[range.start * width..range.end * width];
        on_tx!(tx, conn => bind_values(sqlx::query(&sql), chunk).execute(&mut **conn).await?.rows_affected());
    }
    Ok(())
}

/// Recomputes last interaction / inquiry / order and the tier-S anchor for the
/// given customers (all customers when `ids` is `None`).
pub async fn refresh_activity(tx: &mut Tx, ids: Option<&[i64]>, s_min_interactions: i64) -> StoreResult<()> {
    const SET: &str = "UPDATE customers SET \
        last_interaction_on = (SELECT MAX(i.occurred_on) FROM interactions i WHERE i.customer_id = customers.id), \
        last_inquiry_on = (SELECT MAX(i.occurred_on) FROM interactions i WHERE i.customer_id = customers.id AND i.kind = 'inquiry'), \
        last_order_on = (SELECT MAX(i.occurred_on) FROM interactions i WHERE i.customer_id = customers.id AND i.kind = 'order'), \
        s_anchor_on = (SELECT i.occurred_on FROM interactions i WHERE i.customer_id = customers.id \
                       ORDER BY i.occurred_on DESC LIMIT 1 OFFSET $1)";
    let offset = (s_min_interactions - 1).max(0);
    match ids {
        None => {
            on_tx!(tx, conn => sqlx::query(SET).bind(offset).execute(&mut **conn).await?.rows_affected());
        }
        Some(ids) => {
            for chunk in ids.chunks(1000) {
                let placeholders: Vec<String> = (0..chunk.len()).map(|n| format!("${}", n + 2)).collect();
                let sql = format!("{SET} WHERE id IN ({})", placeholders.join(", "));
                on_tx!(tx, conn => {
                    let mut q = sqlx::query(&sql).bind(offset);
                    for id in chunk {
                        q = q.bind(*id);
                    }
                    q.execute(&mut **conn).await?.rows_affected()
                });
            }
        }
    }
    Ok(())
}
