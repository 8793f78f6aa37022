//! The knowledge base (知识库) and the search over entries, customers' names
//! and interaction notes. SQLite matches terms of three characters or more
//! through trigram FTS5 tables (migration 0015) and shorter ones with a
//! `LIKE` scan; PostgreSQL uses `ILIKE` for both, served by `pg_trgm` GIN
//! indexes on the same expressions. Both read a term as a substring that
//! must occur (all terms), so a query finds the same rows on either backend;
//! the order is decided by plain columns for the same reason.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;

use super::customers::CustomerScope;
use super::{Conn, StoreResult, Tx, on_conn, on_tx};
use crate::domain::knowledge::{Query, like_pattern};

/// Counts of search hits stop here: "more than 1,000" is all a reader needs.
pub const MAX_COUNT: i64 = 1000;

#[derive(Clone, Debug, serde::Serialize)]
pub struct Entry {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub pain_points: Vec<String>,
    pub industries: Vec<String>,
    pub campaign_kinds: Vec<String>,
    pub tiers: Vec<String>,
    pub campaign_id: Option<i64>,
    pub campaign_name: Option<String>,
    pub follow_up_id: Option<i64>,
    pub status: String,
    pub merged_into: Option<i64>,
    pub author_id: Option<i64>,
    pub author_name: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// How many people marked it "helped" (有帮助).
    pub helped: i64,
}

/// An entry's fields as written.
#[derive(Clone, Debug, Default)]
pub struct EntryFields {
    pub kind: String,
    pub title: String,
    pub body: String,
    pub pain_points: Vec<String>,
    pub industries: Vec<String>,
    pub campaign_kinds: Vec<String>,
    pub tiers: Vec<String>,
    pub campaign_id: Option<i64>,
    pub follow_up_id: Option<i64>,
    pub status: String,
}

impl From<&Entry> for EntryFields {
    fn from(e: &Entry) -> Self {
        EntryFields {
            kind: e.kind.clone(),
            title: e.title.clone(),
            body: e.body.clone(),
            pain_points: e.pain_points.clone(),
            industries: e.industries.clone(),
            campaign_kinds: e.campaign_kinds.clone(),
            tiers: e.tiers.clone(),
            campaign_id: e.campaign_id,
            follow_up_id: e.follow_up_id,
            status: e.status.clone(),
        }
    }
}

/// Which entries a reader sees; decided by `ops::knowledge`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryScope {
    /// Curators: every entry.
    All,
    /// Everyone else: published entries and their own proposals.
    PublishedAndOwn(i64),
}

#[derive(Clone, Debug)]
pub struct EntryFilter {
    pub scope: EntryScope,
    /// One status; `None`: proposed and published (not retired).
    pub status: Option<String>,
    pub kind: Option<String>,
    pub pain_point: Option<String>,
    pub industry: Option<String>,
    pub query: Option<Query>,
}

/// A follow-up or other interaction note found by a search.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NoteHit {
    pub interaction_id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub occurred_on: NaiveDate,
    pub note: String,
    /// Set when the note is a follow-up's (template 3).
    pub follow_up_id: Option<i64>,
    pub campaign_id: Option<i64>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct CustomerHit {
    pub id: i64,
    pub name: String,
    pub industry: String,
    pub region: String,
}

/// A value bound to a numbered placeholder.
#[derive(Clone, Debug)]
enum Bind {
    Text(String),
    Int(i64),
}

/// Conditions and their values, numbered in order.
#[derive(Default)]
struct Sql {
    binds: Vec<Bind>,
}

impl Sql {
    fn text(&mut self, v: impl Into<String>) -> String {
        self.binds.push(Bind::Text(v.into()));
        format!("${}", self.binds.len())
    }
    fn int(&mut self, v: i64) -> String {
        self.binds.push(Bind::Int(v));
        format!("${}", self.binds.len())
    }
}

macro_rules! bound {
    ($q:expr, $binds:expr) => {{
        let mut q = $q;
        for b in $binds {
            q = match b {
                Bind::Text(s) => q.bind(s.clone()),
                Bind::Int(n) => q.bind(*n),
            };
        }
        q
    }};
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

fn backend(conn: &Conn<'_>) -> Backend {
    match conn {
        Conn::Sqlite(_) => Backend::Sqlite,
        Conn::Postgres(_) => Backend::Postgres,
    }
}

/// The condition that every term of `query` occurs in `expr` (a text
/// expression of `table`'s row `alias`), with SQLite's FTS table `fts` for
/// the long terms.
fn text_condition(b: Backend, sql: &mut Sql, query: &Query, alias: &str, fts: &str, expr: &str) -> String {
    let mut parts = Vec::new();
    match b {
        Backend::Sqlite => {
            if let Some(m) = query.fts5() {
                let p = sql.text(m);
                parts.push(format!("{alias}.id IN (SELECT rowid FROM {fts} WHERE {fts} MATCH {p})"));
            }
            for t in query.short_terms() {
                let p = sql.text(like_pattern(t));
                parts.push(format!("{expr} LIKE {p} ESCAPE '\\'"));
            }
        }
        Backend::Postgres => {
            for t in &query.terms {
                let p = sql.text(like_pattern(t));
                parts.push(format!("{expr} ILIKE {p} ESCAPE '\\'"));
            }
        }
    }
    if parts.is_empty() { "1 = 1".to_owned() } else { parts.join(" AND ") }
}

/// Every term in `expr`, by a plain (I)LIKE: for ranking, not for finding.
fn all_in(b: Backend, sql: &mut Sql, query: &Query, expr: &str) -> String {
    let op = if b == Backend::Sqlite { "LIKE" } else { "ILIKE" };
    query
        .terms
        .iter()
        .map(|t| {
            let p = sql.text(like_pattern(t));
            format!("{expr} {op} {p} ESCAPE '\\'")
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

fn tags(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

fn json(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".to_owned())
}

fn entry_text(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "(k.title || char(10) || k.body)",
        Backend::Postgres => "(k.title || E'\\n' || k.body)",
    }
}

const ENTRY_COLUMNS: &str = "k.id, k.kind, k.title, k.body, k.pain_points, k.industries, k.campaign_kinds, k.tiers, \
     k.campaign_id, c.name AS campaign_name, k.follow_up_id, k.status, k.merged_into, k.author_id, \
     u.name AS author_name, k.version, k.created_at, k.updated_at, \
     (SELECT COUNT(*) FROM knowledge_helped h WHERE h.entry_id = k.id) AS helped \
     FROM knowledge_entries k LEFT JOIN campaigns c ON c.id = k.campaign_id LEFT JOIN users u ON u.id = k.author_id";

macro_rules! entry_from_row {
    ($row:expr) => {{
        let r = $row;
        Entry {
            id: r.try_get("id")?,
            kind: r.try_get("kind")?,
            title: r.try_get("title")?,
            body: r.try_get("body")?,
            pain_points: tags(&r.try_get::<String, _>("pain_points")?),
            industries: tags(&r.try_get::<String, _>("industries")?),
            campaign_kinds: tags(&r.try_get::<String, _>("campaign_kinds")?),
            tiers: tags(&r.try_get::<String, _>("tiers")?),
            campaign_id: r.try_get("campaign_id")?,
            campaign_name: r.try_get("campaign_name")?,
            follow_up_id: r.try_get("follow_up_id")?,
            status: r.try_get("status")?,
            merged_into: r.try_get("merged_into")?,
            author_id: r.try_get("author_id")?,
            author_name: r.try_get("author_name")?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            helped: r.try_get("helped")?,
        }
    }};
}

pub async fn entry(conn: Conn<'_>, id: i64) -> StoreResult<Option<Entry>> {
    let sql = format!("SELECT {ENTRY_COLUMNS} WHERE k.id = $1");
    Ok(on_conn!(conn, c => match sqlx::query(&sql).bind(id).fetch_optional(&mut *c).await? {
        Some(row) => Some(entry_from_row!(&row)),
        None => None,
    }))
}

/// The script library: published entries of kind script and objection,
/// by kind and title (all of them, or the one with `id`).
pub async fn published_scripts(conn: Conn<'_>, id: Option<i64>) -> StoreResult<Vec<Entry>> {
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} WHERE k.kind IN ('script', 'objection') AND k.status = 'published' \
         AND k.id = COALESCE($1, k.id) ORDER BY k.kind DESC, k.title, k.id"
    );
    Ok(on_conn!(conn, c => {
        let mut out = Vec::new();
        for row in sqlx::query(&sql).bind(id).fetch_all(&mut *c).await? {
            out.push(entry_from_row!(&row));
        }
        out
    }))
}

fn entry_where(b: Backend, sql: &mut Sql, f: &EntryFilter) -> String {
    let mut cond = vec!["1 = 1".to_owned()];
    match f.scope {
        EntryScope::All => {}
        EntryScope::PublishedAndOwn(me) => {
            let p = sql.int(me);
            cond.push(format!("(k.status = 'published' OR (k.status = 'proposed' AND k.author_id = {p}))"));
        }
    }
    match f.status.as_deref() {
        Some(s) => {
            let p = sql.text(s);
            cond.push(format!("k.status = {p}"));
        }
        None => cond.push("k.status <> 'retired'".to_owned()),
    }
    if let Some(kind) = f.kind.as_deref() {
        let p = sql.text(kind);
        cond.push(format!("k.kind = {p}"));
    }
    let contains = if b == Backend::Sqlite { "instr" } else { "strpos" };
    // Tags are stored as JSON arrays; a tag is found by its quoted form
    // (ops refuses quotes and backslashes in tags, so this is exact).
    if let Some(pain) = f.pain_point.as_deref() {
        let p = sql.text(json_quoted(pain));
        cond.push(format!("{contains}(k.pain_points, {p}) > 0"));
    }
    if let Some(ind) = f.industry.as_deref() {
        let p = sql.text(json_quoted(ind));
        cond.push(format!("{contains}(k.industries, {p}) > 0"));
    }
    if let Some(q) = &f.query {
        cond.push(text_condition(b, sql, q, "k", "knowledge_fts", entry_text(b)));
    }
    cond.join(" AND ")
}

fn json_quoted(tag: &str) -> String {
    serde_json::to_string(tag).unwrap_or_default()
}

/// Entries by the filter: with a query, those matching every term in the
/// title first; then the most recently changed. Also the count (up to
/// [`MAX_COUNT`] with a query).
pub async fn entries(conn: Conn<'_>, f: &EntryFilter, offset: i64, limit: i64) -> StoreResult<(Vec<Entry>, i64)> {
    let b = backend(&conn);
    let mut sql = Sql::default();
    let cond = entry_where(b, &mut sql, f);
    let count_binds = sql.binds.clone();
    let count_sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM knowledge_entries k WHERE {cond} LIMIT {}) AS hits",
        if f.query.is_some() { MAX_COUNT } else { i64::MAX }
    );
    let rank = match &f.query {
        Some(q) => format!("CASE WHEN {} THEN 0 ELSE 1 END, ", all_in(b, &mut sql, q, "k.title")),
        None => String::new(),
    };
    let lim = sql.int(limit);
    let off = sql.int(offset);
    let list_sql = format!(
        "SELECT {ENTRY_COLUMNS} WHERE {cond} ORDER BY {rank}k.updated_at DESC, k.id DESC LIMIT {lim} OFFSET {off}"
    );
    Ok(on_conn!(conn, c => {
        let total: i64 = bound!(sqlx::query_scalar::<_, i64>(&count_sql), &count_binds).fetch_one(&mut *c).await?;
        let mut out = Vec::new();
        for row in bound!(sqlx::query(&list_sql), &sql.binds).fetch_all(&mut *c).await? {
            out.push(entry_from_row!(&row));
        }
        (out, total)
    }))
}

/// A search over rows of customers (alias `c`) that `scope` may see: its
/// condition, the capped count (with the binds it needs) and the page's
/// `LIMIT` and `OFFSET` placeholders.
struct Scoped {
    cond: String,
    count_sql: String,
    count_binds: Vec<Bind>,
    lim: String,
    off: String,
}

fn scoped(sql: &mut Sql, text: String, scope: CustomerScope, from: &str, limit: i64, offset: i64) -> Scoped {
    let mut cond = vec![text];
    if let CustomerScope::OwnAndUnassigned(owner) = scope {
        let p = sql.int(owner);
        cond.push(format!("(c.owner_id = {p} OR c.owner_id IS NULL)"));
    }
    let cond = cond.join(" AND ");
    let count_sql = format!("SELECT COUNT(*) FROM (SELECT 1 {from} WHERE {cond} LIMIT {MAX_COUNT}) AS hits");
    let count_binds = sql.binds.clone();
    let lim = sql.int(limit);
    let off = sql.int(offset);
    Scoped { cond, count_sql, count_binds, lim, off }
}

/// Customers whose name holds every term, in the scope; shorter names (the
/// closer matches) first.
pub async fn customers(
    conn: Conn<'_>,
    scope: CustomerScope,
    q: &Query,
    offset: i64,
    limit: i64,
) -> StoreResult<(Vec<CustomerHit>, i64)> {
    let b = backend(&conn);
    let mut sql = Sql::default();
    let from = "FROM customers c";
    let text = text_condition(b, &mut sql, q, "c", "customers_fts", "c.name");
    let Scoped { cond, count_sql, count_binds, lim, off } = scoped(&mut sql, text, scope, from, limit, offset);
    let len = if b == Backend::Sqlite { "length" } else { "char_length" };
    let list_sql = format!(
        "SELECT c.id, c.name, c.industry, c.region {from} WHERE {cond} ORDER BY {len}(c.name), c.id \
         LIMIT {lim} OFFSET {off}"
    );
    Ok(on_conn!(conn, c => {
        let total: i64 = bound!(sqlx::query_scalar::<_, i64>(&count_sql), &count_binds).fetch_one(&mut *c).await?;
        let mut out = Vec::new();
        for r in bound!(sqlx::query(&list_sql), &sql.binds).fetch_all(&mut *c).await? {
            out.push(CustomerHit {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                industry: r.try_get("industry")?,
                region: r.try_get("region")?,
            });
        }
        (out, total)
    }))
}

/// Interaction notes (follow-ups' among them) holding every term, of
/// customers in the scope; the latest first.
pub async fn notes(
    conn: Conn<'_>,
    scope: CustomerScope,
    q: &Query,
    offset: i64,
    limit: i64,
) -> StoreResult<(Vec<NoteHit>, i64)> {
    let b = backend(&conn);
    let mut sql = Sql::default();
    let from = "FROM interactions i JOIN customers c ON c.id = i.customer_id";
    let text = text_condition(b, &mut sql, q, "i", "interactions_fts", "i.note");
    let Scoped { cond, count_sql, count_binds, lim, off } = scoped(&mut sql, text, scope, from, limit, offset);
    let list_sql = format!(
        "SELECT i.id, i.customer_id, c.name, i.occurred_on, i.note, f.id AS follow_up_id, f.campaign_id \
         {from} LEFT JOIN follow_ups f ON f.interaction_id = i.id WHERE {cond} \
         ORDER BY i.occurred_on DESC, i.id DESC LIMIT {lim} OFFSET {off}"
    );
    Ok(on_conn!(conn, c => {
        let total: i64 = bound!(sqlx::query_scalar::<_, i64>(&count_sql), &count_binds).fetch_one(&mut *c).await?;
        let mut out = Vec::new();
        for r in bound!(sqlx::query(&list_sql), &sql.binds).fetch_all(&mut *c).await? {
            out.push(NoteHit {
                interaction_id: r.try_get("id")?,
                customer_id: r.try_get("customer_id")?,
                customer_name: r.try_get("name")?,
                occurred_on: r.try_get("occurred_on")?,
                note: r.try_get("note")?,
                follow_up_id: r.try_get("follow_up_id")?,
                campaign_id: r.try_get("campaign_id")?,
            });
        }
        (out, total)
    }))
}

pub async fn insert_entry(tx: &mut Tx, f: &EntryFields, author: Option<i64>, now: DateTime<Utc>) -> StoreResult<i64> {
    let sql = "INSERT INTO knowledge_entries (kind, title, body, pain_points, industries, campaign_kinds, tiers, \
               campaign_id, follow_up_id, status, author_id, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id";
    Ok(on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql)
        .bind(&f.kind)
        .bind(&f.title)
        .bind(&f.body)
        .bind(json(&f.pain_points))
        .bind(json(&f.industries))
        .bind(json(&f.campaign_kinds))
        .bind(json(&f.tiers))
        .bind(f.campaign_id)
        .bind(f.follow_up_id)
        .bind(&f.status)
        .bind(author)
        .bind(now)
        .fetch_one(&mut **conn)
        .await?))
}

/// Writes the fields if the entry is still at `version`; false otherwise.
pub async fn update_entry(
    tx: &mut Tx,
    id: i64,
    version: i64,
    f: &EntryFields,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let sql = "UPDATE knowledge_entries SET kind = $3, title = $4, body = $5, pain_points = $6, industries = $7, \
               campaign_kinds = $8, tiers = $9, campaign_id = $10, follow_up_id = $11, status = $12, updated_at = $13, \
               version = version + 1 WHERE id = $1 AND version = $2";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(id)
        .bind(version)
        .bind(&f.kind)
        .bind(&f.title)
        .bind(&f.body)
        .bind(json(&f.pain_points))
        .bind(json(&f.industries))
        .bind(json(&f.campaign_kinds))
        .bind(json(&f.tiers))
        .bind(f.campaign_id)
        .bind(f.follow_up_id)
        .bind(&f.status)
        .bind(now)
        .execute(&mut **conn)
        .await?
        .rows_affected());
    Ok(n == 1)
}

/// Retires `id` as merged into `into`, if it is still at `version`.
pub async fn mark_merged(tx: &mut Tx, id: i64, version: i64, into: i64, now: DateTime<Utc>) -> StoreResult<bool> {
    let sql = "UPDATE knowledge_entries SET status = 'retired', merged_into = $3, updated_at = $4, \
               version = version + 1 WHERE id = $1 AND version = $2";
    let n = on_tx!(tx, conn => sqlx::query(sql).bind(id).bind(version).bind(into).bind(now)
        .execute(&mut **conn).await?.rows_affected());
    Ok(n == 1)
}

/// Marks (`on`) or unmarks that `user` found entry `id` helped; true when
/// that changed anything (a second mark, or unmarking twice, changes nothing).
pub async fn set_helped(tx: &mut Tx, id: i64, user: i64, on: bool, now: DateTime<Utc>) -> StoreResult<bool> {
    let n = if on {
        let sql = "INSERT INTO knowledge_helped (entry_id, user_id, created_at) VALUES ($1, $2, $3) \
                   ON CONFLICT (entry_id, user_id) DO NOTHING";
        on_tx!(tx, conn => sqlx::query(sql).bind(id).bind(user).bind(now).execute(&mut **conn).await?.rows_affected())
    } else {
        let sql = "DELETE FROM knowledge_helped WHERE entry_id = $1 AND user_id = $2";
        on_tx!(tx, conn => sqlx::query(sql).bind(id).bind(user).execute(&mut **conn).await?.rows_affected())
    };
    Ok(n > 0)
}

/// The entries `user` marked "helped".
pub async fn helped_by(conn: Conn<'_>, user: i64) -> StoreResult<Vec<i64>> {
    let sql = "SELECT entry_id FROM knowledge_helped WHERE user_id = $1 ORDER BY entry_id";
    Ok(on_conn!(conn, c => sqlx::query_scalar::<_, i64>(sql).bind(user).fetch_all(&mut *c).await?))
}

/// A merge: the absorbed entry's "helped" marks count for the one that
/// absorbs it too (one per person still).
pub async fn copy_helped(tx: &mut Tx, from: i64, into: i64) -> StoreResult<()> {
    let sql = "INSERT INTO knowledge_helped (entry_id, user_id, created_at) \
               SELECT $2, user_id, created_at FROM knowledge_helped WHERE entry_id = $1 \
               ON CONFLICT (entry_id, user_id) DO NOTHING";
    on_tx!(tx, conn => sqlx::query(sql).bind(from).bind(into).execute(&mut **conn).await?.rows_affected());
    Ok(())
}

/// The follow-up a draft entry is made from, with its customer and campaign.
#[derive(Clone, Debug)]
pub struct FollowUpSource {
    pub id: i64,
    pub campaign_id: i64,
    pub campaign_kind: String,
    pub customer_id: i64,
    pub customer_name: String,
    pub industry: String,
    pub owner_id: Option<i64>,
    pub tier: String,
    pub summary: String,
    pub feedback_kind: String,
    pub feedback: String,
    pub next_action: String,
}

pub async fn follow_up_source(conn: Conn<'_>, id: i64) -> StoreResult<Option<FollowUpSource>> {
    let sql = "SELECT f.id, f.campaign_id, ca.kind AS campaign_kind, f.customer_id, c.name, c.industry, c.owner_id, \
               m.tier, f.summary, f.feedback_kind, f.feedback, f.next_action \
               FROM follow_ups f JOIN customers c ON c.id = f.customer_id JOIN campaigns ca ON ca.id = f.campaign_id \
               JOIN campaign_members m ON m.id = f.member_id WHERE f.id = $1";
    Ok(on_conn!(conn, c => match sqlx::query(sql).bind(id).fetch_optional(&mut *c).await? {
        Some(r) => Some(FollowUpSource {
            id: r.try_get("id")?,
            campaign_id: r.try_get("campaign_id")?,
            campaign_kind: r.try_get("campaign_kind")?,
            customer_id: r.try_get("customer_id")?,
            customer_name: r.try_get("name")?,
            industry: r.try_get("industry")?,
            owner_id: r.try_get("owner_id")?,
            tier: r.try_get("tier")?,
            summary: r.try_get("summary")?,
            feedback_kind: r.try_get("feedback_kind")?,
            feedback: r.try_get("feedback")?,
            next_action: r.try_get("next_action")?,
        }),
        None => None,
    }))
}
