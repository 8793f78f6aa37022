//! The knowledge base (知识库) and the search over entries, customers' names
//! and interaction notes. SQLite matches terms of three characters or more
//! through trigram FTS5 tables (migration 0015) and shorter ones with a
//! `LIKE` scan; PostgreSQL uses `ILIKE` for both (`LIKE` for terms without
//! letter case, which find the same rows), served by `pg_trgm` GIN indexes
//! on the same expressions. Customers' names also have an index for one- and
//! two-character terms (migration 0021). Both read a term as a substring
//! that must occur (all terms), so a query finds the same rows on either
//! backend; the order is decided by plain columns for the same reason.
//!
//! Entries and notes are shown latest first, and a common word matches a
//! large share of them: collecting every match to sort it cost more than
//! the whole search may. So a query without letter case first reads the
//! latest rows only (a window walked by the date index, each row checked by
//! `LIKE`), and answers from them when they already hold the page (and the
//! count's cap); otherwise the full query runs. Both give the same rows.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;

use super::bulk::bulk_insert;
use super::customers::CustomerScope;
use super::{Conn, StoreResult, Tx, Value, on_conn, on_tx};
use crate::domain::knowledge::{Query, TRIGRAM, fts5_phrase, is_caseless, like_pattern, spread};

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

/// The statement with its values. On PostgreSQL a search statement is
/// planned for its values each time (not cached): a cached generic plan
/// cannot tell a one- or two-character pattern (no trigram: the index
/// answers every row) from a long one, and read a whole `pg_trgm` index for
/// it after a few runs.
macro_rules! bound {
    ($b:expr, $q:expr, $binds:expr) => {{
        let mut q = $q.persistent($b == Backend::Sqlite);
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

/// How many of the latest entries, and of the latest interactions, a
/// caseless search reads before it falls back to the full query.
const ENTRY_WINDOW: i64 = 2000;
const NOTE_WINDOW: i64 = 2000;

/// How a text condition finds its rows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// Through the indexes (SQLite's trigram tables as `id IN (…)`; on
    /// PostgreSQL the planner picks the `pg_trgm` index or a scan).
    Indexed,
    /// As `Indexed`, except that the caller joins SQLite's trigram table
    /// for the long terms itself (it then drives the query and a capped
    /// count stops early instead of collecting every match first).
    Driven,
    /// Row by row with `LIKE`, for the window of latest rows; only for a
    /// caseless query, where `LIKE` finds what the trigram table finds.
    Rows,
}

/// Where a text condition looks: rows of `alias`, their text `expr`,
/// SQLite's trigram table `fts`, and for customers' names the short-term
/// index (SQLite's table over the spread names; on PostgreSQL the index on
/// `search_spread(name)`).
struct Text<'a> {
    alias: &'a str,
    fts: &'a str,
    expr: &'a str,
    short_fts: Option<&'a str>,
}

/// ILIKE lower-cases each row's text before it compares, most of a scan's
/// time on PostgreSQL; for a term without letter case LIKE finds the same.
fn like_op(b: Backend, term: &str) -> &'static str {
    if b == Backend::Postgres && !is_caseless(term) { "ILIKE" } else { "LIKE" }
}

/// The condition that every term of `query` occurs in the text.
fn text_condition(b: Backend, sql: &mut Sql, query: &Query, t: &Text<'_>, reading: Reading) -> String {
    let mut parts = Vec::new();
    let by_index = reading != Reading::Rows;
    if b == Backend::Sqlite
        && reading == Reading::Indexed
        && let Some(m) = query.fts5()
    {
        let p = sql.text(m);
        parts.push(format!("{}.id IN (SELECT rowid FROM {fts} WHERE {fts} MATCH {p})", t.alias, fts = t.fts));
    }
    if b == Backend::Sqlite
        && by_index
        && let Some(short) = t.short_fts
    {
        let phrases: Vec<String> = query.short_terms().map(|x| fts5_phrase(&spread(x))).collect();
        if !phrases.is_empty() {
            let p = sql.text(phrases.join(" "));
            parts.push(format!("{}.id IN (SELECT rowid FROM {short} WHERE {short} MATCH {p})", t.alias));
        }
    }
    for term in &query.terms {
        let long = term.chars().count() >= TRIGRAM;
        if b == Backend::Sqlite && by_index && long {
            continue;
        }
        let op = like_op(b, term);
        if b == Backend::Postgres && by_index && !long && t.short_fts.is_some() {
            let p = sql.text(like_pattern(&spread(term)));
            parts.push(format!("search_spread({}) {op} {p} ESCAPE '\\'", t.expr));
        }
        parts.push(contains(b, sql, term, t.expr));
    }
    if parts.is_empty() { "1 = 1".to_owned() } else { parts.join(" AND ") }
}

/// For a count on SQLite with long terms: the trigram table joined first,
/// its `MATCH` bound in `sql`, so the capped count stops at its cap.
fn driving_fts(b: Backend, sql: &mut Sql, query: &Query, t: &Text<'_>, table: &str) -> Option<(String, String)> {
    let m = query.fts5().filter(|_| b == Backend::Sqlite)?;
    let p = sql.text(m);
    Some((
        format!("{fts} JOIN {table} {alias} ON {alias}.id = {fts}.rowid", fts = t.fts, alias = t.alias),
        format!("{} MATCH {p}", t.fts),
    ))
}

/// `term` occurs in `expr`, row by row: (I)LIKE, or on SQLite for a term
/// without letter case `instr`, which finds the same (SQLite's LIKE folds
/// ASCII letters only) by comparing bytes instead of decoding characters.
fn contains(b: Backend, sql: &mut Sql, term: &str, expr: &str) -> String {
    if b == Backend::Sqlite && is_caseless(term) {
        let p = sql.text(term);
        return format!("instr({expr}, {p}) > 0");
    }
    let p = sql.text(like_pattern(term));
    format!("{expr} {} {p} ESCAPE '\\'", like_op(b, term))
}

/// Every term in `expr`, row by row: for ranking, not for finding.
fn all_in(b: Backend, sql: &mut Sql, query: &Query, expr: &str) -> String {
    query.terms.iter().map(|t| contains(b, sql, t, expr)).collect::<Vec<_>>().join(" AND ")
}

/// `ids` as a list of bound placeholders, for `IN (…)`.
fn id_list(sql: &mut Sql, ids: &[i64]) -> String {
    ids.iter().map(|id| sql.int(*id)).collect::<Vec<_>>().join(", ")
}

/// The page's rows in the order of `ids` (rows of one id kept together).
fn in_order<T>(ids: &[i64], mut rows: Vec<T>, id: impl Fn(&T) -> i64) -> Vec<T> {
    rows.sort_by_key(|r| ids.iter().position(|x| *x == id(r)).unwrap_or(usize::MAX));
    rows
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

const ENTRY_TEXT: Text<'static> =
    Text { alias: "k", fts: "knowledge_fts", expr: "(k.title || char(10) || k.body)", short_fts: None };

fn entry_where(b: Backend, sql: &mut Sql, f: &EntryFilter, reading: Reading) -> String {
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
    let find = if b == Backend::Sqlite { "instr" } else { "strpos" };
    // Tags are stored as JSON arrays; a tag is found by its quoted form
    // (ops refuses quotes and backslashes in tags, so this is exact).
    if let Some(pain) = f.pain_point.as_deref() {
        let p = sql.text(json_quoted(pain));
        cond.push(format!("{find}(k.pain_points, {p}) > 0"));
    }
    if let Some(ind) = f.industry.as_deref() {
        let p = sql.text(json_quoted(ind));
        cond.push(format!("{find}(k.industries, {p}) > 0"));
    }
    if let Some(q) = &f.query {
        let text = Text { expr: entry_text(b), ..ENTRY_TEXT };
        cond.push(text_condition(b, sql, q, &text, reading));
    }
    cond.join(" AND ")
}

fn json_quoted(tag: &str) -> String {
    serde_json::to_string(tag).unwrap_or_default()
}

/// The capped count of entries matching the filter (uncapped without a query).
async fn count_entries(conn: Conn<'_>, f: &EntryFilter) -> StoreResult<i64> {
    let b = backend(&conn);
    let mut sql = Sql::default();
    let text = Text { expr: entry_text(b), ..ENTRY_TEXT };
    let drive = f.query.as_ref().and_then(|q| driving_fts(b, &mut sql, q, &text, "knowledge_entries"));
    let cond = entry_where(b, &mut sql, f, if drive.is_some() { Reading::Driven } else { Reading::Indexed });
    let (from, cond) = match drive {
        Some((from, m)) => (from, format!("{m} AND {cond}")),
        None => ("knowledge_entries k".to_owned(), cond),
    };
    let count_sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM {from} WHERE {cond} LIMIT {}) AS hits",
        if f.query.is_some() { MAX_COUNT } else { i64::MAX }
    );
    Ok(on_conn!(conn, c => bound!(b, sqlx::query_scalar::<_, i64>(&count_sql), &sql.binds).fetch_one(&mut *c).await?))
}

/// The first page from the latest entries alone, when they hold it: the
/// entries matching every term in the title come first, so the window must
/// hold `offset + limit` of those. Answers the page's ids, and whether the
/// window reached the count's cap.
async fn entries_in_window(
    conn: Conn<'_>,
    f: &EntryFilter,
    offset: i64,
    limit: i64,
) -> StoreResult<Option<(Vec<i64>, bool)>> {
    let Some(q) = f.query.as_ref().filter(|q| q.caseless()) else { return Ok(None) };
    let b = backend(&conn);
    let mut sql = Sql::default();
    let rank = all_in(b, &mut sql, q, "k.title");
    let cond = entry_where(b, &mut sql, f, Reading::Rows);
    let probe = format!(
        "SELECT k.id, CAST(CASE WHEN {rank} THEN 1 ELSE 0 END AS BIGINT) AS in_title FROM \
         (SELECT * FROM knowledge_entries ORDER BY updated_at DESC, id DESC LIMIT {ENTRY_WINDOW}) AS k \
         WHERE {cond} ORDER BY k.updated_at DESC, k.id DESC LIMIT {MAX_COUNT}"
    );
    let hits: Vec<(i64, i64)> =
        on_conn!(conn, c => bound!(b, sqlx::query_as::<_, (i64, i64)>(&probe), &sql.binds).fetch_all(&mut *c).await?);
    let in_title: Vec<i64> = hits.iter().filter(|h| h.1 == 1).map(|h| h.0).collect();
    let (from, to) =
        (usize::try_from(offset).unwrap_or(usize::MAX), usize::try_from(offset + limit).unwrap_or(usize::MAX));
    if in_title.len() < to {
        return Ok(None);
    }
    Ok(Some((in_title[from..to].to_vec(), hits.len() as i64 >= MAX_COUNT)))
}

/// Entries by the filter: with a query, those matching every term in the
/// title first; then the most recently changed. Also the count (up to
/// [`MAX_COUNT`] with a query).
pub async fn entries(mut conn: Conn<'_>, f: &EntryFilter, offset: i64, limit: i64) -> StoreResult<(Vec<Entry>, i64)> {
    let b = backend(&conn);
    if let Some((ids, capped)) = entries_in_window(conn.reborrow(), f, offset, limit).await? {
        let total = if capped { MAX_COUNT } else { count_entries(conn.reborrow(), f).await? };
        let mut sql = Sql::default();
        let list_sql = format!("SELECT {ENTRY_COLUMNS} WHERE k.id IN ({})", id_list(&mut sql, &ids));
        let rows = if ids.is_empty() {
            Vec::new()
        } else {
            on_conn!(conn, c => {
                let mut out = Vec::new();
                for row in bound!(b, sqlx::query(&list_sql), &sql.binds).fetch_all(&mut *c).await? {
                    out.push(entry_from_row!(&row));
                }
                out
            })
        };
        return Ok((in_order(&ids, rows, |e| e.id), total));
    }
    let total = count_entries(conn.reborrow(), f).await?;
    let mut sql = Sql::default();
    let cond = entry_where(b, &mut sql, f, Reading::Indexed);
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
        let mut out = Vec::new();
        for row in bound!(b, sqlx::query(&list_sql), &sql.binds).fetch_all(&mut *c).await? {
            out.push(entry_from_row!(&row));
        }
        (out, total)
    }))
}

/// The reader's customers (alias `c`): the condition, or none for all.
fn scope_condition(sql: &mut Sql, scope: CustomerScope) -> Option<String> {
    match scope {
        CustomerScope::All => None,
        CustomerScope::OwnAndUnassigned(owner) => {
            let p = sql.int(owner);
            Some(format!("(c.owner_id = {p} OR c.owner_id IS NULL)"))
        }
    }
}

const NAME_TEXT: Text<'static> =
    Text { alias: "c", fts: "customers_fts", expr: "c.name", short_fts: Some("customers_short_fts") };

/// Customers whose name holds every term, in the scope; shorter names (the
/// closer matches) first.
pub async fn customers(
    mut conn: Conn<'_>,
    scope: CustomerScope,
    q: &Query,
    offset: i64,
    limit: i64,
) -> StoreResult<(Vec<CustomerHit>, i64)> {
    let b = backend(&conn);
    let count = {
        let mut sql = Sql::default();
        let drive = driving_fts(b, &mut sql, q, &NAME_TEXT, "customers");
        let reading = if drive.is_some() { Reading::Driven } else { Reading::Indexed };
        let mut cond = vec![text_condition(b, &mut sql, q, &NAME_TEXT, reading)];
        cond.extend(scope_condition(&mut sql, scope));
        let from = match drive {
            Some((from, m)) => {
                cond.push(m);
                from
            }
            None => "customers c".to_owned(),
        };
        let count_sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM {from} WHERE {} LIMIT {MAX_COUNT}) AS hits",
            cond.join(" AND ")
        );
        (count_sql, sql.binds)
    };
    let total: i64 = on_conn!(conn.reborrow(), c => bound!(b, sqlx::query_scalar::<_, i64>(&count.0), &count.1).fetch_one(&mut *c).await?);
    let mut sql = Sql::default();
    let mut cond = vec![text_condition(b, &mut sql, q, &NAME_TEXT, Reading::Indexed)];
    cond.extend(scope_condition(&mut sql, scope));
    let len = if b == Backend::Sqlite { "length" } else { "char_length" };
    let lim = sql.int(limit);
    let off = sql.int(offset);
    let list_sql = format!(
        "SELECT c.id, c.name, c.industry, c.region FROM customers c WHERE {} ORDER BY {len}(c.name), c.id \
         LIMIT {lim} OFFSET {off}",
        cond.join(" AND ")
    );
    Ok(on_conn!(conn, c => {
        let mut out = Vec::new();
        for r in bound!(b, sqlx::query(&list_sql), &sql.binds).fetch_all(&mut *c).await? {
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

const NOTE_TEXT: Text<'static> = Text { alias: "i", fts: "interactions_fts", expr: "i.note", short_fts: None };

const NOTE_COLUMNS: &str = "SELECT i.id, i.customer_id, c.name, i.occurred_on, i.note, f.id AS follow_up_id, \
     f.campaign_id FROM interactions i JOIN customers c ON c.id = i.customer_id \
     LEFT JOIN follow_ups f ON f.interaction_id = i.id";

/// Interaction notes (follow-ups' among them) holding every term, of
/// customers in the scope; the latest first.
pub async fn notes(
    mut conn: Conn<'_>,
    scope: CustomerScope,
    q: &Query,
    offset: i64,
    limit: i64,
) -> StoreResult<(Vec<NoteHit>, i64)> {
    let b = backend(&conn);
    // The customers are joined only for the reader's scope: every
    // interaction has its customer.
    let scoped_from = |base: &str| match scope {
        CustomerScope::All => base.to_owned(),
        CustomerScope::OwnAndUnassigned(_) => format!("{base} JOIN customers c ON c.id = i.customer_id"),
    };
    // The latest interactions first (see the module's notes).
    let mut window: Option<(Vec<i64>, bool)> = None;
    if q.caseless() {
        let mut sql = Sql::default();
        let mut cond = vec![text_condition(b, &mut sql, q, &NOTE_TEXT, Reading::Rows)];
        cond.extend(scope_condition(&mut sql, scope));
        let probe = format!(
            "SELECT i.id FROM {} WHERE {} ORDER BY i.occurred_on DESC, i.id DESC LIMIT {MAX_COUNT}",
            scoped_from(&format!(
                "(SELECT id, customer_id, occurred_on, note FROM interactions \
                 ORDER BY occurred_on DESC, id DESC LIMIT {NOTE_WINDOW}) AS i"
            )),
            cond.join(" AND ")
        );
        let hits: Vec<i64> = on_conn!(conn.reborrow(), c => bound!(b, sqlx::query_scalar::<_, i64>(&probe), &sql.binds).fetch_all(&mut *c).await?);
        let (from, to) =
            (usize::try_from(offset).unwrap_or(usize::MAX), usize::try_from(offset + limit).unwrap_or(usize::MAX));
        if hits.len() >= to {
            window = Some((hits[from..to].to_vec(), hits.len() as i64 >= MAX_COUNT));
        }
    }
    let total = match &window {
        Some((_, true)) => MAX_COUNT,
        _ => {
            let mut sql = Sql::default();
            let drive = driving_fts(b, &mut sql, q, &NOTE_TEXT, "interactions");
            let reading = if drive.is_some() { Reading::Driven } else { Reading::Indexed };
            let mut cond = vec![text_condition(b, &mut sql, q, &NOTE_TEXT, reading)];
            cond.extend(scope_condition(&mut sql, scope));
            let from = match drive {
                Some((from, m)) => {
                    cond.push(m);
                    scoped_from(&from)
                }
                None => scoped_from("interactions i"),
            };
            let count_sql = format!(
                "SELECT COUNT(*) FROM (SELECT 1 FROM {from} WHERE {} LIMIT {MAX_COUNT}) AS hits",
                cond.join(" AND ")
            );
            on_conn!(conn.reborrow(), c => bound!(b, sqlx::query_scalar::<_, i64>(&count_sql), &sql.binds).fetch_one(&mut *c).await?)
        }
    };
    let mut sql = Sql::default();
    let (list_sql, ids) = match window {
        Some((ids, _)) if ids.is_empty() => return Ok((Vec::new(), total)),
        Some((ids, _)) => (format!("{NOTE_COLUMNS} WHERE i.id IN ({})", id_list(&mut sql, &ids)), Some(ids)),
        None => {
            let mut cond = vec![text_condition(b, &mut sql, q, &NOTE_TEXT, Reading::Indexed)];
            cond.extend(scope_condition(&mut sql, scope));
            let lim = sql.int(limit);
            let off = sql.int(offset);
            let list_sql = format!(
                "{NOTE_COLUMNS} WHERE {} ORDER BY i.occurred_on DESC, i.id DESC LIMIT {lim} OFFSET {off}",
                cond.join(" AND ")
            );
            (list_sql, None)
        }
    };
    let rows = on_conn!(conn, c => {
        let mut out = Vec::new();
        for r in bound!(b, sqlx::query(&list_sql), &sql.binds).fetch_all(&mut *c).await? {
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
        out
    });
    Ok((
        match ids {
            Some(ids) => in_order(&ids, rows, |n| n.interaction_id),
            None => rows,
        },
        total,
    ))
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

/// A bulk load of entries (`(fields, author, at)` each; `at` is both
/// created and changed): multi-row statements, because SQLite's full-text
/// table flushes its pending terms at every statement that writes it, so one
/// `insert_entry` per row merged index segments row by row.
pub async fn insert_entries(tx: &mut Tx, rows: &[(EntryFields, Option<i64>, DateTime<Utc>)]) -> StoreResult<()> {
    let mut values = Vec::with_capacity(rows.len() * 13);
    for (f, author, at) in rows {
        values.extend([
            Value::from(f.kind.as_str()),
            Value::from(f.title.as_str()),
            Value::from(f.body.as_str()),
            Value::from(json(&f.pain_points)),
            Value::from(json(&f.industries)),
            Value::from(json(&f.campaign_kinds)),
            Value::from(json(&f.tiers)),
            Value::from(f.campaign_id),
            Value::from(f.follow_up_id),
            Value::from(f.status.as_str()),
            Value::from(*author),
            Value::from(*at),
            Value::from(*at),
        ]);
    }
    let columns = [
        "kind",
        "title",
        "body",
        "pain_points",
        "industries",
        "campaign_kinds",
        "tiers",
        "campaign_id",
        "follow_up_id",
        "status",
        "author_id",
        "created_at",
        "updated_at",
    ];
    bulk_insert(tx, "knowledge_entries", &columns, values).await
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
