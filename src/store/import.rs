//! The SQL of imports (customer and interaction files) and the contact
//! lookup that exports need. The bulk-insert machinery is in `bulk`, the
//! import page's pending uploads in `uploads`.
//!
//! Imports are written in bulk: ids are allocated up front (so no row needs
//! `RETURNING`) and rows go in as multi-row `INSERT`s inside one transaction,
//! which is what keeps 100,000 rows within a couple of seconds on SQLite.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::bulk::{bulk_insert, placeholders};
use super::customers::{CustomerRows, NewContact, NewCustomer};
use super::{Db, Store, StoreResult, Tx, Value, on_db, on_tx};
use crate::domain::team::Role;

/// Rows per `IN (...)` lookup: far below both backends' parameter limits.
const LOOKUP_CHUNK: usize = 1000;

/// The PostgreSQL advisory lock every applying import holds, so that two
/// imports cannot both decide "new customer" for the same company.
const IMPORT_LOCK: i64 = 0x7261_6c6c_7969_6d70; // "rallyimp"

/// Opens the import's unit of work. A `write` transaction takes the write
/// lock up front (SQLite `BEGIN IMMEDIATE`, a PostgreSQL advisory lock), so
/// the duplicate checks it reads stay true until it commits.
pub async fn begin_import(store: &Store, write: bool) -> StoreResult<Tx> {
    Ok(match &store.db {
        Db::Sqlite(_) if write => {
            let mut tx = store.begin().await?;
            if let Tx::Sqlite(conn) = &mut tx {
                // A big import's indexes outgrow SQLite's default 2 MB page
                // cache, which then writes pages out early and reads them back.
                sqlx::query(&format!("PRAGMA cache_size = -{IMPORT_CACHE_KIB}")).execute(&mut **conn).await?;
            }
            tx
        }
        Db::Sqlite(_) => store.begin_read().await?,
        Db::Postgres(_) if write => {
            let mut tx = store.begin().await?;
            if let Tx::Postgres(conn) = &mut tx {
                sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(IMPORT_LOCK).execute(&mut **conn).await?;
            }
            tx
        }
        Db::Postgres(_) => store.begin_read().await?,
    })
}

/// The page cache of an applying import on SQLite, in KiB (the default is 2,000).
const IMPORT_CACHE_KIB: i64 = 64 * 1024;

/// Commits an import, first giving the pooled SQLite connection its default
/// page cache back.
pub async fn commit_import(mut tx: Tx) -> StoreResult<()> {
    reset_cache(&mut tx).await?;
    tx.commit().await
}

/// Undoes an import's writes (a rejected file, a dry run that wrote to
/// check), giving the connection its page cache back too.
pub async fn roll_back_import(mut tx: Tx) -> StoreResult<()> {
    reset_cache(&mut tx).await?;
    tx.rollback().await
}

async fn reset_cache(tx: &mut Tx) -> StoreResult<()> {
    if let Tx::Sqlite(conn) = tx {
        // Back to the pool's own page cache (see `Store::connect`).
        sqlx::query(&format!("PRAGMA cache_size = -{}", super::SQLITE_CACHE_KIB)).execute(&mut **conn).await?;
    }
    Ok(())
}

/// A team member as an import checks owners against.
#[derive(Clone, Debug)]
pub struct TeamMember {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub active: bool,
}

/// The whole team (small), keyed by lowercased e-mail by the caller.
pub async fn team(tx: &mut Tx) -> StoreResult<Vec<TeamMember>> {
    let sql = "SELECT id, email, role, active FROM users";
    let rows: Vec<(i64, String, String, bool)> = on_tx!(tx, conn => sqlx::query_as(sql).fetch_all(&mut **conn).await?);
    Ok(rows
        .into_iter()
        .filter_map(|(id, email, role, active)| {
            Some(TeamMember { id, email: email.to_lowercase(), role: role.parse().ok()?, active })
        })
        .collect())
}

pub async fn regions(tx: &mut Tx) -> StoreResult<Vec<String>> {
    let sql = "SELECT name FROM regions ORDER BY position, name";
    Ok(on_tx!(tx, conn => sqlx::query_scalar::<_, String>(sql).fetch_all(&mut **conn).await?))
}

/// A stored customer as duplicate detection sees it: one row per contact
/// phone (`phone` is `None` for a customer without contacts).
#[derive(Clone, Debug)]
pub struct StoredKey {
    pub id: i64,
    pub name: String,
    pub name_key: String,
    pub credit_code: Option<String>,
    pub owner_id: Option<i64>,
    pub phone: Option<String>,
}

type KeyRow = (i64, String, String, Option<String>, Option<i64>, Option<String>);

async fn keys_where(tx: &mut Tx, column: &str, values: &[&str]) -> StoreResult<Vec<StoredKey>> {
    let mut out = Vec::new();
    for chunk in values.chunks(LOOKUP_CHUNK) {
        let sql = format!(
            "SELECT c.id, c.name, c.name_key, c.credit_code, c.owner_id, k.phone FROM customers c \
             LEFT JOIN contacts k ON k.customer_id = c.id WHERE c.{column} IN ({})",
            placeholders(matches!(tx, Tx::Sqlite(_)), chunk.len())
        );
        let rows: Vec<KeyRow> = on_tx!(tx, conn => {
            let mut q = sqlx::query_as(&sql);
            for v in chunk {
                q = q.bind(*v);
            }
            q.fetch_all(&mut **conn).await?
        });
        out.extend(rows.into_iter().map(key_from_row));
    }
    Ok(out)
}

/// Stored customers that may match these credit codes or normalised names
/// (a superset: callers match by key). When the file names about as many
/// customers as are stored — a first import into a new team, say — one
/// scan is cheaper than thousands of index lookups.
pub async fn customers_matching(tx: &mut Tx, codes: &[&str], name_keys: &[&str]) -> StoreResult<Vec<StoredKey>> {
    if customer_count(tx).await? <= codes.len() + name_keys.len() {
        return all_customer_keys(tx).await;
    }
    let mut keys = customers_by_credit_code(tx, codes).await?;
    keys.extend(customers_by_name_key(tx, name_keys).await?);
    Ok(keys)
}

/// How many customers are stored.
pub async fn customer_count(tx: &mut Tx) -> StoreResult<usize> {
    let stored: i64 =
        on_tx!(tx, conn => sqlx::query_scalar("SELECT COUNT(*) FROM customers").fetch_one(&mut **conn).await?);
    Ok(usize::try_from(stored).unwrap_or(usize::MAX))
}

/// Every stored customer's duplicate keys (one per contact phone).
pub async fn all_customer_keys(tx: &mut Tx) -> StoreResult<Vec<StoredKey>> {
    let sql = "SELECT c.id, c.name, c.name_key, c.credit_code, c.owner_id, k.phone FROM customers c \
               LEFT JOIN contacts k ON k.customer_id = c.id";
    let rows: Vec<KeyRow> = on_tx!(tx, conn => sqlx::query_as(sql).fetch_all(&mut **conn).await?);
    Ok(rows.into_iter().map(key_from_row).collect())
}

fn key_from_row((id, name, name_key, credit_code, owner_id, phone): KeyRow) -> StoredKey {
    StoredKey { id, name, name_key, credit_code, owner_id, phone: phone.filter(|p| !p.is_empty()) }
}

/// Stored customers with one of these credit codes.
pub async fn customers_by_credit_code(tx: &mut Tx, codes: &[&str]) -> StoreResult<Vec<StoredKey>> {
    keys_where(tx, "credit_code", codes).await
}

/// Stored customers with one of these normalised names (`name_key`, indexed).
pub async fn customers_by_name_key(tx: &mut Tx, keys: &[&str]) -> StoreResult<Vec<StoredKey>> {
    keys_where(tx, "name_key", keys).await
}

/// The editable fields of a customer, as an import reads and writes them.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct CustomerFields {
    pub name: String,
    #[serde(skip)]
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
    pub contacts: Vec<ContactFields>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ContactFields {
    pub name: String,
    pub title: String,
    pub phone: String,
    pub email: String,
}

/// A stored customer loaded for an update.
#[derive(Clone, Debug)]
pub struct StoredCustomer {
    pub id: i64,
    pub version: i64,
    pub fields: CustomerFields,
}

/// Loads customers with their tags, pain points and contacts (in id order).
pub async fn customers_for_update(tx: &mut Tx, ids: &[i64]) -> StoreResult<HashMap<i64, StoredCustomer>> {
    type Row = (i64, i64, String, String, Option<String>, String, String, String, i64, Option<i64>, String);
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(LOOKUP_CHUNK) {
        let list = placeholders(matches!(tx, Tx::Sqlite(_)), chunk.len());
        let sql = format!(
            "SELECT id, version, name, name_key, credit_code, industry, region, city, annual_purchase_fen, \
             owner_id, source FROM customers WHERE id IN ({list})"
        );
        let rows: Vec<Row> = on_tx!(tx, conn => {
            let mut q = sqlx::query_as(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(&mut **conn).await?
        });
        for (id, version, name, name_key, credit_code, industry, region, city, amount, owner_id, source) in rows {
            let fields = CustomerFields {
                name,
                name_key,
                credit_code,
                industry,
                region,
                city,
                annual_purchase_fen: amount,
                owner_id,
                source,
                ..CustomerFields::default()
            };
            out.insert(id, StoredCustomer { id, version, fields });
        }
        let lists = [("customer_tags", "tag"), ("customer_pain_points", "pain_point")];
        for (table, column) in lists {
            let sql =
                format!("SELECT customer_id, {column} FROM {table} WHERE customer_id IN ({list}) ORDER BY {column}");
            let rows: Vec<(i64, String)> = on_tx!(tx, conn => {
                let mut q = sqlx::query_as(&sql);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.fetch_all(&mut **conn).await?
            });
            for (id, value) in rows {
                if let Some(c) = out.get_mut(&id) {
                    if table == "customer_tags" { &mut c.fields.tags } else { &mut c.fields.pain_points }.push(value);
                }
            }
        }
        let sql = format!(
            "SELECT customer_id, name, title, phone, email FROM contacts WHERE customer_id IN ({list}) ORDER BY id"
        );
        let rows: Vec<(i64, String, String, String, String)> = on_tx!(tx, conn => {
            let mut q = sqlx::query_as(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(&mut **conn).await?
        });
        for (id, name, title, phone, email) in rows {
            if let Some(c) = out.get_mut(&id) {
                c.fields.contacts.push(ContactFields { name, title, phone, email });
            }
        }
    }
    Ok(out)
}

/// Inserts new customers (with their allocated ids) and their contacts,
/// tags and pain points. Takes the fields by value: their strings move into
/// the statements instead of being copied for 100k rows.
pub async fn insert_customers(
    tx: &mut Tx,
    customers: Vec<(i64, CustomerFields)>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mut rows = CustomerRows::default();
    for (id, f) in customers {
        rows.push(id, f.into(), now);
    }
    rows.insert(tx).await
}

impl From<CustomerFields> for NewCustomer {
    fn from(f: CustomerFields) -> Self {
        NewCustomer {
            name: f.name,
            name_key: f.name_key,
            credit_code: f.credit_code,
            industry: f.industry,
            region: f.region,
            city: f.city,
            annual_purchase_fen: f.annual_purchase_fen,
            owner_id: f.owner_id,
            source: f.source,
            notes: String::new(),
            tags: f.tags,
            pain_points: f.pain_points,
            contacts: f.contacts.into_iter().map(NewContact::from).collect(),
            interactions: Vec::new(),
        }
    }
}

impl From<ContactFields> for NewContact {
    fn from(k: ContactFields) -> Self {
        NewContact { name: k.name, title: k.title, phone: k.phone, email: k.email, im_id: String::new() }
    }
}

/// Writes an import's changes to stored customers: the new field values,
/// version + 1, and the contacts, tags and pain points `after` has beyond
/// `before` (imports only add to those lists).
pub async fn update_customers(
    tx: &mut Tx,
    changes: &[(&StoredCustomer, &CustomerFields)],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let sql = "UPDATE customers SET name = $1, name_key = $2, credit_code = $3, industry = $4, region = $5, \
               city = $6, annual_purchase_fen = $7, owner_id = $8, version = version + 1, updated_at = $9 \
               WHERE id = $10";
    let mut rows = CustomerRows::default();
    for (before, after) in changes {
        on_tx!(tx, conn => sqlx::query(sql)
            .bind(&after.name)
            .bind(&after.name_key)
            .bind(&after.credit_code)
            .bind(&after.industry)
            .bind(&after.region)
            .bind(&after.city)
            .bind(after.annual_purchase_fen)
            .bind(after.owner_id)
            .bind(now)
            .bind(before.id)
            .execute(&mut **conn)
            .await?
            .rows_affected());
        let b = &before.fields;
        rows.push_lists(
            before.id,
            after.contacts.iter().skip(b.contacts.len()).cloned().map(NewContact::from).collect(),
            after.tags.iter().skip(b.tags.len()).cloned().collect(),
            after.pain_points.iter().skip(b.pain_points.len()).cloned().collect(),
            now,
        );
    }
    rows.insert(tx).await
}

/// One audit record, written in bulk (see [`insert_audit`]).
pub struct AuditRow {
    pub action: &'static str,
    pub object_type: &'static str,
    pub object_id: i64,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Appends audit records with multi-row inserts, inside the import's transaction.
pub async fn insert_audit(
    tx: &mut Tx,
    actor_id: Option<i64>,
    actor_email: &str,
    rows: Vec<AuditRow>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mut values = Vec::with_capacity(rows.len() * 8);
    for r in rows {
        values.extend([
            Value::from(now),
            Value::from(actor_id),
            Value::from(actor_email),
            Value::from(r.action),
            Value::from(r.object_type),
            Value::from(r.object_id),
            Value::from(r.before),
            Value::from(r.after),
        ]);
    }
    let columns = ["at", "actor_id", "actor_email", "action", "object_type", "object_id", "before", "after"];
    bulk_insert(tx, "audit_log", &columns, values).await
}

/// An applied import, as the `imports` table keeps it.
pub struct ImportRun<'a> {
    pub kind: &'static str,
    pub actor_id: Option<i64>,
    pub actor_email: &'a str,
    pub file_name: &'a str,
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub skipped: usize,
    pub rejected: usize,
}

/// Records an applied import and its audit record (`after`: the summary
/// and the created ids as ranges); returns the import's id.
pub async fn record_import(
    tx: &mut Tx,
    run: &ImportRun<'_>,
    summary: serde_json::Value,
    now: DateTime<Utc>,
) -> StoreResult<i64> {
    let sql = "INSERT INTO imports (kind, actor_id, actor_email, file_name, rows_read, created, updated, skipped, \
               rejected, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";
    let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let id: i64 = on_tx!(tx, conn => sqlx::query_scalar(sql)
        .bind(run.kind)
        .bind(run.actor_id)
        .bind(run.actor_email)
        .bind(run.file_name)
        .bind(count(run.rows))
        .bind(count(run.created))
        .bind(count(run.updated))
        .bind(count(run.skipped))
        .bind(count(run.rejected))
        .bind(now)
        .fetch_one(&mut **conn)
        .await?);
    let audit = AuditRow {
        action: "create",
        object_type: "import",
        object_id: id,
        before: None,
        after: Some(summary.to_string()),
    };
    insert_audit(tx, run.actor_id, run.actor_email, vec![audit], now).await?;
    Ok(id)
}

impl Store {
    /// The import records that created object `id`: those whose `after`
    /// lists it under `key` (as `[first, last]` ranges). Imports are few
    /// (one record each), so they are filtered here rather than in
    /// backend-specific JSON SQL.
    pub async fn imports_creating(&self, key: &str, id: i64) -> StoreResult<Vec<crate::store::audit::AuditRecord>> {
        let sql = "SELECT id, at, actor_email, action, object_type, object_id, after FROM audit_log \
                   WHERE object_type = 'import' ORDER BY id";
        type Row = (i64, DateTime<Utc>, String, String, String, i64, Option<String>);
        let rows: Vec<Row> = on_db!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?);
        let contains = |after: &serde_json::Value| {
            let ranges = after.get(key).and_then(|r| r.as_array());
            ranges.is_some_and(|rs| {
                rs.iter()
                    .filter_map(|r| Some((r.get(0)?.as_i64()?, r.get(1)?.as_i64()?)))
                    .any(|(a, b)| a <= id && id <= b)
            })
        };
        Ok(rows
            .into_iter()
            .filter_map(|(audit_id, at, actor_email, action, object_type, object_id, after)| {
                let after: serde_json::Value = serde_json::from_str(after.as_deref()?).ok()?;
                contains(&after).then_some(crate::store::audit::AuditRecord {
                    id: audit_id,
                    at,
                    actor_email,
                    action,
                    object_type,
                    object_id,
                    before: None,
                    after: Some(after),
                })
            })
            .collect())
    }
}

/// Sorted ids as inclusive `[first, last]` runs: allocated ids are mostly
/// consecutive, so 100,000 of them usually make one pair.
pub fn id_ranges(ids: &[i64]) -> Vec<[i64; 2]> {
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    let mut out: Vec<[i64; 2]> = Vec::new();
    for id in sorted {
        match out.last_mut() {
            Some(last) if id == last[1] + 1 => last[1] = id,
            Some(last) if id == last[1] => {}
            _ => out.push([id, id]),
        }
    }
    out
}

/// What makes two interactions the same record: a re-imported follow-up
/// sheet must not log the same visit twice.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InteractionKey {
    pub customer_id: i64,
    pub occurred_on: NaiveDate,
    pub occurred_at: Option<String>,
    pub channel: String,
    pub kind: String,
    pub note: String,
}

/// The stored interactions of these customers with ids below `before` (the
/// first this import wrote, if any: the rows it wrote are known to it), as
/// duplicate keys.
pub async fn interaction_keys(
    tx: &mut Tx,
    customer_ids: &[i64],
    before: Option<i64>,
) -> StoreResult<Vec<InteractionKey>> {
    let mut out = Vec::new();
    type Row = (i64, i64, NaiveDate, Option<String>, String, String, String);
    const COLUMNS: &str = "id, customer_id, occurred_on, occurred_at, channel, kind, note";
    for chunk in customer_ids.chunks(LOOKUP_CHUNK) {
        let rows: Vec<Row> = match tx {
            Tx::Sqlite(conn) => {
                let sql = format!(
                    "SELECT {COLUMNS} FROM interactions WHERE customer_id IN ({})",
                    placeholders(true, chunk.len())
                );
                let mut q = sqlx::query_as(&sql);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.fetch_all(&mut **conn).await?
            }
            // Planned afresh each time (not a kept statement), with the ids
            // as one array behind a subquery. A kept statement's generic
            // plan, made when the table was still empty, went on scanning
            // every row as the import grew it (300 ms per lookup at 60,000
            // rows, in `auto_explain`); planned with the thousand values
            // in sight, PostgreSQL, which has no statistics of a table this
            // import grew, estimates that they match every row and reads
            // them all (99 ms instead of 3 ms at 300,000 rows).
            Tx::Postgres(conn) => {
                let sql = format!(
                    "SELECT {COLUMNS} FROM interactions WHERE customer_id = ANY((SELECT $1::bigint[])::bigint[])"
                );
                sqlx::query_as(&sql).persistent(false).bind(chunk).fetch_all(&mut **conn).await?
            }
        };
        out.extend(rows.into_iter().filter(|r| before.is_none_or(|b| r.0 < b)).map(
            |(_, customer_id, occurred_on, occurred_at, channel, kind, note)| InteractionKey {
                customer_id,
                occurred_on,
                occurred_at,
                channel,
                kind,
                note,
            },
        ));
    }
    Ok(out)
}

/// An interaction to create, with its allocated id.
pub struct NewImportedInteraction {
    pub id: i64,
    pub key: InteractionKey,
    pub amount_fen: Option<i64>,
}

pub async fn insert_interactions(
    tx: &mut Tx,
    rows: &[NewImportedInteraction],
    created_by: Option<i64>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mut values = Vec::with_capacity(rows.len() * 10);
    for r in rows {
        let k = &r.key;
        values.extend([
            Value::from(r.id),
            Value::from(k.customer_id),
            Value::from(k.occurred_on),
            Value::from(k.occurred_at.clone()),
            Value::from(k.channel.as_str()),
            Value::from(k.kind.as_str()),
            Value::from(k.note.as_str()),
            Value::from(r.amount_fen),
            Value::from(created_by),
            Value::from(now),
        ]);
    }
    let columns = [
        "id",
        "customer_id",
        "occurred_on",
        "occurred_at",
        "channel",
        "kind",
        "note",
        "amount_fen",
        "created_by",
        "created_at",
    ];
    bulk_insert(tx, "interactions", &columns, values).await
}

impl Store {
    /// Each customer's first contact (by id), for exports.
    pub async fn first_contacts(&self, ids: &[i64]) -> StoreResult<HashMap<i64, ContactFields>> {
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(LOOKUP_CHUNK) {
            let sql = format!(
                "SELECT customer_id, name, title, phone, email FROM contacts WHERE customer_id IN ({}) ORDER BY id",
                placeholders(matches!(self.db, Db::Sqlite(_)), chunk.len())
            );
            let rows: Vec<(i64, String, String, String, String)> = on_db!(self, pool => {
                let mut q = sqlx::query_as(&sql);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.fetch_all(pool).await?
            });
            for (id, name, title, phone, email) in rows {
                out.entry(id).or_insert(ContactFields { name, title, phone, email });
            }
        }
        Ok(out)
    }
}
