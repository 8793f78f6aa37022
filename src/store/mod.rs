//! The storage seam. All SQL lives under `store`; callers see typed records
//! and [`StoreError`], never a backend.
//!
//! Both backends run the same SQL text wherever the dialects agree (bound
//! `$N` parameters, `RETURNING`, `ON CONFLICT`); the few places where they do
//! not are marked with `Db::Sqlite` / `Db::Postgres` matches beside each other.

use std::borrow::Cow;
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use rust_embed::RustEmbed;
use sqlx::Connection;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::clock::Clock;
use crate::config::{DatabaseUrl, redact_url};

pub mod audit;
pub mod backup;
pub mod bulk;
pub mod calendar;
pub mod campaigns;
pub mod contacts;
pub mod counts;
pub mod customers;
pub mod demo;
pub mod execution;
pub mod group;
pub mod import;
pub mod interactions;
pub mod knowledge;
pub mod notify;
pub mod review;
pub mod segments;
pub mod sessions;
pub mod settings;
pub mod templates;
pub mod uploads;
pub mod users;
pub mod vocabulary;

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

/// Runs `$body` (a statement or a few on `$conn`, used as `&mut **$conn`) as
/// a write transaction of its own ([`Store::begin`]), so even a one-statement
/// write takes its turn with the other writers instead of racing them for
/// SQLite's lock.
macro_rules! on_write {
    ($store:expr, $conn:ident => $body:expr) => {{
        let mut tx = $store.begin().await?;
        let out = $crate::store::on_tx!(&mut tx, $conn => $body);
        tx.commit().await?;
        out
    }};
}
pub(crate) use on_write;

/// A unit of work: store functions that take `&mut Tx` compose into one
/// transaction (an import, a demo load, an edit with its audit record).
pub enum Tx {
    Sqlite(BackendTx<sqlx::Sqlite>),
    Postgres(BackendTx<sqlx::Postgres>),
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
            Tx::Sqlite(tx) => tx.tx.commit().await?,
            Tx::Postgres(tx) => tx.tx.commit().await?,
        }
        Ok(())
    }

    /// Undoes the transaction now (dropping it does the same, later).
    pub async fn rollback(self) -> StoreResult<()> {
        match self {
            Tx::Sqlite(tx) => tx.tx.rollback().await?,
            Tx::Postgres(tx) => tx.tx.rollback().await?,
        }
        Ok(())
    }
}

/// A transaction of one backend; a write transaction also holds a writer's
/// turn ([`Store::begin`]) until it ends. Derefs to the connection, so store
/// functions write `&mut **conn`.
pub struct BackendTx<DB: sqlx::Database> {
    // Declared first so it is dropped (rolled back) before the turn passes on.
    tx: sqlx::Transaction<'static, DB>,
    _turn: Option<OwnedSemaphorePermit>,
}

impl<DB: sqlx::Database> Deref for BackendTx<DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        &self.tx
    }
}

impl<DB: sqlx::Database> DerefMut for BackendTx<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        &mut self.tx
    }
}

/// How long a writer waits for its turn among this process's writers, and
/// on SQLite then again for the database's write lock (the busy timeout),
/// which another process may hold: `rally import` of 100,000 rows holds it
/// about 1.5 s, so this covers imports far larger than any seen.
pub const WRITE_WAIT: Duration = Duration::from_secs(60);

/// Pooled connections per backend, and how many of them transactions may
/// hold at once. Use cases often read through the pool while their
/// transaction holds a connection; if transactions could hold every
/// connection, all of them could wait for one more and none would finish
/// (seen as "pool timed out" under twenty concurrent writers on PostgreSQL).
const SQLITE_CONNECTIONS: u32 = 8;
/// Page cache per SQLite connection, in KiB.
pub(crate) const SQLITE_CACHE_KIB: u32 = 32 * 1024;
/// What SQLite may allocate in all (page caches included) before it starts
/// recycling cache pages rather than growing.
const SQLITE_HEAP_LIMIT_BYTES: u64 = 160 * 1024 * 1024;
/// Log pages (4 KiB) after which a committing SQLite writer checkpoints.
const WAL_AUTOCHECKPOINT_PAGES: u32 = 16_384;
const POSTGRES_CONNECTIONS: u32 = 16;
const POSTGRES_WRITERS: usize = 8;
const READ_TRANSACTIONS: usize = 4;

/// One connection of either backend, borrowed from a [`Tx`] or a
/// [`PooledConn`], so a read is written once and runs inside or outside a
/// unit of work.
pub enum Conn<'c> {
    Sqlite(&'c mut sqlx::SqliteConnection),
    Postgres(&'c mut sqlx::PgConnection),
}

impl Conn<'_> {
    /// A shorter-lived handle on the same connection, so one `Conn` serves
    /// several reads in a row.
    pub fn reborrow(&mut self) -> Conn<'_> {
        match self {
            Conn::Sqlite(c) => Conn::Sqlite(c),
            Conn::Postgres(c) => Conn::Postgres(c),
        }
    }
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
    /// Turns for write transactions, first come first served, taken before a
    /// pooled connection. SQLite has one writer at a time, so it has one turn:
    /// this process's writers queue here fairly and without holding a
    /// connection, and SQLite's busy handler (sleep and retry, no queue) only
    /// arbitrates between processes. PostgreSQL has [`POSTGRES_WRITERS`].
    writers: Arc<Semaphore>,
    /// Turns for read-only transactions ([`READ_TRANSACTIONS`]).
    readers: Arc<Semaphore>,
    clock: Clock,
    /// Wakes this process's queue worker when a job was just written, so a
    /// message goes out at once instead of at the next poll. A hint only:
    /// other servers find the job by polling.
    wake: Arc<tokio::sync::Notify>,
    /// The group writer's queue ([`Store::write_grouped`], SQLite only).
    group: group::GroupQueue,
    /// API tokens this process noted as used, and when (see
    /// [`Store::touch_token`]).
    token_touches: Arc<std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness or version conflict; the string names the constraint.
    #[error("conflict: {0}")]
    Conflict(String),
    /// SQLite's write lock stayed taken longer than a writer waits
    /// ([`WRITE_WAIT`]), e.g. by a very long import in another process, or
    /// every writer's turn stayed taken that long.
    #[error("the database is busy with another writer; try again shortly")]
    Busy,
    #[error(transparent)]
    Database(sqlx::Error),
}

/// What `Conflict` names when PostgreSQL gave up on a transaction because of
/// a concurrent one (a deadlock or a serialization failure).
pub const CONCURRENT_CHANGE: &str = "a concurrent change; try again";

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        if matches!(err, sqlx::Error::RowNotFound) {
            return StoreError::NotFound;
        }
        if let Some(db) = err.as_database_error() {
            if db.is_unique_violation() {
                // PostgreSQL names the constraint; SQLite puts `table.column` in the message.
                let what = db
                    .constraint()
                    .map(str::to_owned)
                    .unwrap_or_else(|| db.message().trim_start_matches("UNIQUE constraint failed: ").to_owned());
                return StoreError::Conflict(what);
            }
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // SQLITE_BUSY (5) and SQLITE_LOCKED (6), whatever the extended code.
                let primary = db.code().and_then(|c| c.parse::<i32>().ok()).map(|c| c & 0xff);
                if matches!(primary, Some(5 | 6)) {
                    return StoreError::Busy;
                }
            }
            if let Some(e) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                && matches!(e.code(), "40001" | "40P01")
            {
                return StoreError::Conflict(CONCURRENT_CHANGE.to_owned());
            }
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

/// Waits (at most [`WRITE_WAIT`]) for a turn to hold a transaction.
async fn take_turn(turns: &Arc<Semaphore>) -> StoreResult<OwnedSemaphorePermit> {
    match tokio::time::timeout(WRITE_WAIT, turns.clone().acquire_owned()).await {
        Ok(Ok(turn)) => Ok(turn),
        // Timed out (the semaphores are never closed).
        _ => Err(StoreError::Busy),
    }
}

impl Store {
    fn new(db: Db, writers: usize) -> Store {
        Store {
            db,
            writers: Arc::new(Semaphore::new(writers)),
            readers: Arc::new(Semaphore::new(READ_TRANSACTIONS)),
            clock: Clock::System,
            wake: Arc::new(tokio::sync::Notify::new()),
            group: group::GroupQueue::default(),
            token_touches: Arc::default(),
        }
    }

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
        Store { clock, ..self.clone() }
    }

    /// Tells this process's queue worker that jobs were written.
    pub fn wake_workers(&self) {
        self.wake.notify_one();
    }

    /// Resolves when [`Store::wake_workers`] was called (or had been).
    pub async fn woken(&self) {
        self.wake.notified().await;
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

    /// Opens a write transaction: first a writer's turn (see `writers`),
    /// then the connection. On SQLite the write lock is taken up front
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads and then writes
    /// fails at once with "database is locked" when another writer got in
    /// between, because waiting could not make its snapshot current again.
    pub async fn begin(&self) -> StoreResult<Tx> {
        let turn = take_turn(&self.writers).await?;
        Ok(match &self.db {
            Db::Sqlite(pool) => {
                Tx::Sqlite(BackendTx { tx: pool.begin_with("BEGIN IMMEDIATE").await?, _turn: Some(turn) })
            }
            Db::Postgres(pool) => Tx::Postgres(BackendTx { tx: pool.begin().await?, _turn: Some(turn) }),
        })
    }

    /// A write transaction if a writer's turn is free now, else `None`: for
    /// writes worth making only when they wait for nobody, such as a running
    /// import's progress — on SQLite the import itself holds the one turn
    /// until it commits, and its progress must not queue behind it.
    pub async fn try_begin(&self) -> StoreResult<Option<Tx>> {
        let Ok(turn) = self.writers.clone().try_acquire_owned() else { return Ok(None) };
        Ok(Some(match &self.db {
            Db::Sqlite(pool) => {
                Tx::Sqlite(BackendTx { tx: pool.begin_with("BEGIN IMMEDIATE").await?, _turn: Some(turn) })
            }
            Db::Postgres(pool) => Tx::Postgres(BackendTx { tx: pool.begin().await?, _turn: Some(turn) }),
        }))
    }

    /// Opens a transaction that only reads (one consistent snapshot). It
    /// never waits for writers, only (briefly) for one of the read turns
    /// that keep pooled connections free. Writing in it may fail on SQLite.
    pub async fn begin_read(&self) -> StoreResult<Tx> {
        let turn = take_turn(&self.readers).await?;
        Ok(match &self.db {
            Db::Sqlite(pool) => Tx::Sqlite(BackendTx { tx: pool.begin().await?, _turn: Some(turn) }),
            Db::Postgres(pool) => Tx::Postgres(BackendTx { tx: pool.begin().await?, _turn: Some(turn) }),
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
        .busy_timeout(WRITE_WAIT)
        // The group writer checkpoints beside itself (`group`); the
        // automatic checkpoint in a committing writer is the backstop for
        // writers outside it, at 64 MB of log instead of 4 MB.
        .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES.to_string())
        .pragma("journal_size_limit", (64 * 1024 * 1024).to_string())
        // SQLite's default page cache (2 MB a connection) made every save on
        // a 400 MB database re-read its index pages from the OS with a system
        // call each: 401 saves/s against 768/s with 32 MB (BENCHMARKS.md).
        // The soft heap limit bounds all connections together, whatever
        // each one's cache would grow to.
        .pragma("cache_size", format!("-{}", SQLITE_CACHE_KIB))
        .pragma("soft_heap_limit", SQLITE_HEAP_LIMIT_BYTES.to_string())
        // No memory map: each connection reads through its own bounded page
        // cache, so the server's resident memory stays flat in the
        // database's size (the soft heap limit above). Mapped, the pages a
        // server read stayed in its resident set: at a million customers
        // VmHWM 320 MB under the load benchmark against 206 MB unmapped, for
        // about 20% more CPU per read unmapped (BENCHMARKS.md).
        .pragma("mmap_size", "0");
    let pool = SqlitePoolOptions::new()
        .max_connections(SQLITE_CONNECTIONS)
        // A file on this machine does not go away: no ping (one more round
        // trip to the connection's thread) before every use.
        .test_before_acquire(false)
        .connect_with(options)
        .await
        .map_err(|e| OpenError::Sqlite { path: shown, reason: database_reason(&e) })?;
    Ok(Store::new(Db::Sqlite(pool), 1))
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
    let pool = PgPoolOptions::new()
        .max_connections(POSTGRES_CONNECTIONS)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy_with(options);
    Ok(Store::new(Db::Postgres(pool), POSTGRES_WRITERS))
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
    /// Copies the SQLite write-ahead log into the database as far as no
    /// reader still needs it (`PASSIVE`: it never waits for, nor blocks, a
    /// writer or a reader). A no-op on PostgreSQL.
    pub async fn checkpoint_passive(&self) -> StoreResult<()> {
        if let Db::Sqlite(pool) = &self.db {
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(pool).await?;
        }
        Ok(())
    }

    /// Refreshes the planner's statistics after bulk changes (imports, the
    /// demo) and periodically, so filters pick the right index (and, on
    /// PostgreSQL, the visibility map, so counts read indexes alone).
    pub async fn optimize(&self) -> StoreResult<()> {
        match &self.db {
            Db::Sqlite(pool) => {
                // ANALYZE writes its statistics tables: a writer like any other.
                let _turn = take_turn(&self.writers).await?;
                let mut conn = pool.acquire().await?;
                sqlx::query("PRAGMA analysis_limit = 1000").execute(&mut *conn).await?;
                sqlx::query("ANALYZE").execute(&mut *conn).await?;
            }
            Db::Postgres(pool) => {
                // VACUUM also marks the pages a bulk load wrote all-visible, so
                // counts are index-only scans: a capped list total at a million
                // customers went from 16 ms (a sequential scan) to 1.6 ms.
                // Another server's fold may hold the rows (the loop retries).
                if let Err(err) = self.fold_customer_counts().await {
                    tracing::info!(error = %err, "folding the kept customer counts is left to the next fold");
                }
                sqlx::query("VACUUM (ANALYZE)").execute(pool).await?;
            }
        }
        Ok(())
    }

    /// Settles `campaign_members` after a target list grew in bulk. On
    /// PostgreSQL the new rows' pages are not yet all-visible, so the list's
    /// counts (the breakdown proposal, the counts beside the list) fetch
    /// every member from the heap until autovacuum comes by: at 250,000 new
    /// members the proposal took 149 ms, 30 ms after `VACUUM`. `SKIP_LOCKED`:
    /// a vacuum already under way does the same. A no-op on SQLite, whose
    /// index reads never visit the table for visibility.
    pub async fn settle_members(&self) -> StoreResult<()> {
        if let Db::Postgres(pool) = &self.db {
            // No truncation: its exclusive lock would stop every server's
            // reads of the table for a moment, to give back a few pages.
            sqlx::query("VACUUM (ANALYZE, SKIP_LOCKED, TRUNCATE false) campaign_members").execute(pool).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that waited its whole busy timeout gets `Busy` (503), not a database error (500).
    #[tokio::test]
    async fn a_write_lock_held_too_long_is_busy() {
        let dir = tempfile::tempdir().unwrap();
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("busy.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::ZERO);
        let mut holder = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
        sqlx::query("CREATE TABLE t (x)").execute(&mut holder).await.unwrap();
        sqlx::query("BEGIN IMMEDIATE").execute(&mut holder).await.unwrap();
        let mut other = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
        let err = sqlx::query("INSERT INTO t VALUES (1)").execute(&mut other).await.unwrap_err();
        assert!(matches!(StoreError::from(err), StoreError::Busy));
    }

    #[test]
    fn embedded_migrations_match_between_backends() {
        let sqlite = migrator::<SqliteMigrations>();
        let postgres = migrator::<PostgresMigrations>();
        let versions = |m: &Migrator| m.migrations.iter().map(|m| m.version).collect::<Vec<_>>();
        assert!(!sqlite.migrations.is_empty());
        assert_eq!(versions(&sqlite), versions(&postgres));
    }
}
