//! The storage seam. All SQL lives under `store`; callers see typed records
//! and [`StoreError`], never a backend.
//!
//! Both backends run the same SQL text wherever the dialects agree (bound
//! `$N` parameters, `RETURNING`, `ON CONFLICT`); the few places where they do
//! not are marked with `Db::Sqlite` / `Db::Postgres` matches beside each other.

use std::borrow::Cow;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use rust_embed::RustEmbed;
use sqlx::Connection;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::clock::Clock;
use crate::config::{DatabaseUrl, redact_url};

pub mod audit;
pub mod bulk;
pub mod calendar;
pub mod campaigns;
pub mod contacts;
pub mod customers;
pub mod demo;
pub mod import;
pub mod interactions;
pub mod segments;
pub mod sessions;
pub mod settings;
pub mod uploads;
pub mod users;

/// Runs `$body` with `$pool` bound to the concrete pool of either backend.
/// The body is compiled once per backend, so each query is typed natively.
macro_rules! on_db {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.db {
            $crate::store::Db::Sqlite($pool) => $body,
            $crate::store::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_db;

/// Like [`on_db!`] for an open transaction: `$conn` is the concrete
/// `&mut sqlx::Transaction`, used as `&mut **$conn`.
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::store::Tx::Sqlite($conn) => $body,
            $crate::store::Tx::Postgres($conn) => $body,
        }
    };
}
pub(crate) use on_tx;

/// A unit of work: store functions that take `&mut Tx` compose into one
/// transaction (an import, a demo load, an edit with its audit record).
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Tx {
    /// The transaction's connection, for reads shared with the pool path.
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(tx) => Conn::Sqlite(tx),
            Tx::Postgres(tx) => Conn::Postgres(tx),
        }
    }

    pub async fn commit(self) -> StoreResult<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

/// One connection of either backend, borrowed from a [`Tx`] or a
/// [`PooledConn`], so a read is written once and runs inside or outside a
/// unit of work.
pub enum Conn<'c> {
    Sqlite(&'c mut sqlx::SqliteConnection),
    Postgres(&'c mut sqlx::PgConnection),
}

/// Like [`on_db!`] for a [`Conn`]: `$c` is the concrete `&mut Connection`.
macro_rules! on_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::store::Conn::Sqlite($c) => $body,
            $crate::store::Conn::Postgres($c) => $body,
        }
    };
}
pub(crate) use on_conn;

/// A connection taken from the pool for a few reads.
pub enum PooledConn {
    Sqlite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
}

impl PooledConn {
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            PooledConn::Sqlite(c) => Conn::Sqlite(c),
            PooledConn::Postgres(c) => Conn::Postgres(c),
        }
    }
}

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A handle to the database; cheap to clone (pools are reference-counted).
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) db: Db,
    clock: Clock,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness or version conflict; the string names the constraint.
    #[error("conflict: {0}")]
    Conflict(String),
    #[error(transparent)]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        if matches!(err, sqlx::Error::RowNotFound) {
            return StoreError::NotFound;
        }
        if let Some(db) = err.as_database_error()
            && db.is_unique_violation()
        {
            // PostgreSQL names the constraint; SQLite puts `table.column` in the message.
            let what = db
                .constraint()
                .map(str::to_owned)
                .unwrap_or_else(|| db.message().trim_start_matches("UNIQUE constraint failed: ").to_owned());
            return StoreError::Conflict(what);
        }
        StoreError::Database(err)
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Why the database could not be opened, phrased for the person who typed the URL.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot create the SQLite database {path}: the directory {dir} does not exist")]
    MissingDirectory { path: String, dir: String },
    #[error("cannot open the SQLite database {path}: {reason} (is the directory writable?)")]
    Sqlite { path: String, reason: String },
    #[error("cannot connect to PostgreSQL at {url}: {reason}")]
    Postgres { url: String, reason: String },
    #[error("cannot migrate the database: {0}")]
    Migrate(String),
}

#[derive(RustEmbed)]
#[folder = "migrations/sqlite"]
struct SqliteMigrations;

#[derive(RustEmbed)]
#[folder = "migrations/postgres"]
struct PostgresMigrations;

/// Builds a migrator from the embedded `NNNN_description.sql` files, so the
/// binary carries its schema and needs no files beside it.
fn migrator<E: RustEmbed>() -> Migrator {
    let mut names: Vec<_> = E::iter().filter(|n| n.ends_with(".sql")).collect();
    names.sort();
    let migrations = names
        .into_iter()
        .filter_map(|name| {
            let file = E::get(&name)?;
            let stem = name.trim_end_matches(".sql");
            let (version, description) = stem.split_once('_')?;
            let sql = String::from_utf8_lossy(&file.data).into_owned();
            Some(Migration::new(
                version.parse().ok()?,
                Cow::Owned(description.replace('_', " ")),
                MigrationType::Simple,
                Cow::Owned(sql),
                false,
            ))
        })
        .collect::<Vec<_>>();
    Migrator { migrations: Cow::Owned(migrations), ..Migrator::DEFAULT }
}

/// What `/readyz` reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Readiness {
    pub database: &'static str,
    pub reachable: bool,
    pub migrations_applied: i64,
    pub migrations_expected: i64,
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.reachable && self.migrations_applied == self.migrations_expected
    }
}

impl Store {
    /// Opens (creating an SQLite file if needed) without migrating.
    pub async fn open(url: &DatabaseUrl) -> Result<Store, OpenError> {
        match url {
            DatabaseUrl::Sqlite(path) => open_sqlite(path).await,
            DatabaseUrl::Postgres(raw) => open_postgres(raw).await,
        }
    }

    /// Opens and applies pending migrations: what `serve` and every command do.
    pub async fn open_and_migrate(url: &DatabaseUrl) -> Result<Store, OpenError> {
        let store = Store::open(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// The same database seen through another clock (tests pin "today").
    pub fn with_clock(&self, clock: Clock) -> Store {
        Store { db: self.db.clone(), clock }
    }

    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// Today in Asia/Shanghai by this store's clock.
    pub fn today(&self) -> NaiveDate {
        self.clock.today()
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn backend_name(&self) -> &'static str {
        match self.db {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Applies pending migrations. On PostgreSQL the migrator holds an advisory
    /// lock, so several servers starting at once migrate exactly once.
    pub async fn migrate(&self) -> Result<usize, OpenError> {
        let before = self.applied_migrations().await.unwrap_or(0);
        let result = match &self.db {
            Db::Sqlite(pool) => migrator::<SqliteMigrations>().run(pool).await,
            Db::Postgres(pool) => migrator::<PostgresMigrations>().run(pool).await,
        };
        result.map_err(|e| OpenError::Migrate(e.to_string()))?;
        let after = self.applied_migrations().await.unwrap_or(0);
        Ok(usize::try_from(after - before).unwrap_or(0))
    }

    fn expected_migrations(&self) -> i64 {
        let count = match self.db {
            Db::Sqlite(_) => migrator::<SqliteMigrations>().migrations.len(),
            Db::Postgres(_) => migrator::<PostgresMigrations>().migrations.len(),
        };
        i64::try_from(count).unwrap_or(i64::MAX)
    }

    async fn applied_migrations(&self) -> StoreResult<i64> {
        let sql = "SELECT COUNT(*) FROM _sqlx_migrations WHERE success";
        Ok(on_db!(self, pool => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await?))
    }

    pub async fn readiness(&self) -> Readiness {
        let reachable = on_db!(self, pool => sqlx::query("SELECT 1").execute(pool).await.is_ok());
        Readiness {
            database: self.backend_name(),
            reachable,
            migrations_applied: if reachable { self.applied_migrations().await.unwrap_or(0) } else { 0 },
            migrations_expected: self.expected_migrations(),
        }
    }

    pub async fn begin(&self) -> StoreResult<Tx> {
        Ok(match &self.db {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    pub async fn acquire(&self) -> StoreResult<PooledConn> {
        Ok(match &self.db {
            Db::Sqlite(pool) => PooledConn::Sqlite(pool.acquire().await?),
            Db::Postgres(pool) => PooledConn::Postgres(pool.acquire().await?),
        })
    }

    pub async fn close(&self) {
        on_db!(self, pool => pool.close().await)
    }
}

async fn open_sqlite(path: &Path) -> Result<Store, OpenError> {
    let shown = path.display().to_string();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        return Err(OpenError::MissingDirectory { path: shown, dir: dir.display().to_string() });
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .map_err(|e| OpenError::Sqlite { path: shown, reason: database_reason(&e) })?;
    Ok(Store { db: Db::Sqlite(pool), clock: Clock::System })
}

async fn open_postgres(raw: &str) -> Result<Store, OpenError> {
    let err = |reason: String| OpenError::Postgres { url: redact_url(raw), reason };
    let options = PgConnectOptions::from_str(raw).map_err(|e| err(database_reason(&e)))?;
    // One direct connection first: the pool would retry until its timeout and
    // hide the real reason (refused, unknown host, bad password).
    let first = tokio::time::timeout(Duration::from_secs(10), PgConnection::connect_with(&options))
        .await
        .map_err(|_| err("no answer within 10 s".to_owned()))?
        .map_err(|e| err(database_reason(&e)))?;
    let _ = first.close().await;
    let pool =
        PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(5)).connect_lazy_with(options);
    Ok(Store { db: Db::Postgres(pool), clock: Clock::System })
}

/// The first line of a driver error, without the driver's own prefixes.
fn database_reason(err: &sqlx::Error) -> String {
    let text = match err {
        sqlx::Error::Database(db) => db.message().to_owned(),
        sqlx::Error::Io(io) => io.to_string(),
        sqlx::Error::PoolTimedOut => "timed out after 5 s".to_owned(),
        other => other.to_string(),
    };
    text.lines().next().unwrap_or_default().to_owned()
}

/// Reads a text column into a typed value (a kind, a status), so callers never
/// compare strings; an unknown value is a decode error naming the column.
pub(crate) fn decode<T>(raw: String, column: &str) -> Result<T, sqlx::Error>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    raw.parse().map_err(|e: T::Err| sqlx::Error::ColumnDecode { index: column.to_owned(), source: Box::new(e) })
}

/// A value bound into dynamically built SQL (bulk inserts, filters). NULLs
/// carry their type because PostgreSQL needs one for every parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Date(Option<NaiveDate>),
    Time(Option<DateTime<Utc>>),
    Bool(Option<bool>),
    Real(Option<f64>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(Some(v))
    }
}
impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Value::Int(v)
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(Some(v))
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(Some(v.to_owned()))
    }
}
impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        Value::Text(v)
    }
}
impl From<NaiveDate> for Value {
    fn from(v: NaiveDate) -> Self {
        Value::Date(Some(v))
    }
}
impl From<Option<NaiveDate>> for Value {
    fn from(v: Option<NaiveDate>) -> Self {
        Value::Date(v)
    }
}
impl From<DateTime<Utc>> for Value {
    fn from(v: DateTime<Utc>) -> Self {
        Value::Time(Some(v))
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(Some(v))
    }
}

/// Binds values in order; generic so each backend gets its own instance.
pub(crate) fn bind_values<'q, DB>(
    mut query: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>,
    values: &[Value],
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>
where
    DB: sqlx::Database,
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<NaiveDate>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<DateTime<Utc>>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<bool>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<f64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    for value in values {
        query = match value.clone() {
            Value::Int(v) => query.bind(v),
            Value::Text(v) => query.bind(v),
            Value::Date(v) => query.bind(v),
            Value::Time(v) => query.bind(v),
            Value::Bool(v) => query.bind(v),
            Value::Real(v) => query.bind(v),
        };
    }
    query
}

impl Store {
    /// Refreshes the planner's statistics after bulk changes (imports, the
    /// demo) and periodically, so filters pick the right index.
    pub async fn optimize(&self) -> StoreResult<()> {
        match &self.db {
            Db::Sqlite(pool) => {
                sqlx::query("PRAGMA analysis_limit = 1000").execute(pool).await?;
                sqlx::query("ANALYZE").execute(pool).await?;
            }
            Db::Postgres(pool) => {
                sqlx::query("ANALYZE").execute(pool).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_migrations_match_between_backends() {
        let sqlite = migrator::<SqliteMigrations>();
        let postgres = migrator::<PostgresMigrations>();
        let versions = |m: &Migrator| m.migrations.iter().map(|m| m.version).collect::<Vec<_>>();
        assert!(!sqlite.migrations.is_empty());
        assert_eq!(versions(&sqlite), versions(&postgres));
    }
}
