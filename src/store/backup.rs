//! Online backups of SQLite databases, what a restore checks in a backup
//! file, and integrity checks of a live database (both backends).

use std::path::Path;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};

use super::{
    Db, OpenError, PostgresMigrations, SqliteMigrations, Store, StoreError, StoreResult, database_reason, migrator,
};

/// What a database holds, for the backup and restore reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Contents {
    pub customers: i64,
    pub interactions: i64,
    pub campaigns: i64,
    pub users: i64,
    pub audit_records: i64,
}

impl std::fmt::Display for Contents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} customers, {} interactions, {} campaigns, {} users, {} audit records",
            self.customers, self.interactions, self.campaigns, self.users, self.audit_records
        )
    }
}

const CONTENTS_SQL: &str = "SELECT (SELECT COUNT(*) FROM customers), (SELECT COUNT(*) FROM interactions), \
    (SELECT COUNT(*) FROM campaigns), (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM audit_log)";

type ContentsRow = (i64, i64, i64, i64, i64);

fn contents_from((customers, interactions, campaigns, users, audit_records): ContentsRow) -> Contents {
    Contents { customers, interactions, campaigns, users, audit_records }
}

impl Store {
    pub async fn contents(&self) -> StoreResult<Contents> {
        let row: ContentsRow = super::on_db!(self, pool => sqlx::query_as(CONTENTS_SQL).fetch_one(pool).await?);
        Ok(contents_from(row))
    }

    /// SQLite: writes a consistent copy of the database to the new file
    /// `file` (`VACUUM INTO`). It reads in one transaction, so writers carry
    /// on meanwhile (WAL) and the copy is the database as of its start.
    pub async fn backup_into(&self, file: &Path) -> StoreResult<()> {
        let Db::Sqlite(pool) = &self.db else {
            return Err(StoreError::Database(sqlx::Error::Configuration("VACUUM INTO is for SQLite only".into())));
        };
        let target = file.to_str().ok_or_else(|| {
            StoreError::Database(sqlx::Error::Configuration("the backup file name is not UTF-8".into()))
        })?;
        // Its own connection without sqlx's "slow statement" warning: copying
        // a large database takes seconds, and the command line shows logs.
        let options = (*pool.connect_options()).clone().disable_statement_logging();
        let mut conn = SqliteConnection::connect_with(&options).await?;
        let copied = sqlx::query("VACUUM INTO $1").bind(target).execute(&mut conn).await;
        let _ = conn.close().await;
        copied?;
        Ok(())
    }

    /// Writes SQLite's WAL back into the database file and empties it, so
    /// the file alone is the whole database (before it is moved).
    pub async fn checkpoint(&self) -> StoreResult<()> {
        if let Db::Sqlite(pool) = &self.db {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(pool).await?;
        }
        Ok(())
    }

    /// Whether the database holds anything worth keeping: a team member, a
    /// customer, a campaign or an audit record. An empty or just-migrated
    /// database does not.
    pub async fn holds_data(&self) -> StoreResult<bool> {
        Ok(match &self.db {
            Db::Sqlite(pool) => {
                let tables: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('users', 'customers')",
                )
                .fetch_one(pool)
                .await?;
                tables > 0 && self.contents().await.map_or(true, |c| c != Contents::default())
            }
            Db::Postgres(_) => self.contents().await.map_or(true, |c| c != Contents::default()),
        })
    }

    /// Problems found by the database's own consistency checks; empty when
    /// all is well. SQLite: `PRAGMA integrity_check` and `foreign_key_check`.
    /// PostgreSQL: amcheck on every table and B-tree index of the schema when
    /// the extension can be installed (it needs a superuser), and always
    /// that every constraint is validated.
    pub async fn integrity_problems(&self) -> StoreResult<Vec<String>> {
        let mut problems = Vec::new();
        match &self.db {
            Db::Sqlite(pool) => {
                let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check").fetch_all(pool).await?;
                problems.extend(rows.into_iter().filter(|r| r != "ok"));
                let orphans: Vec<(String, i64)> =
                    sqlx::query_as("SELECT \"table\", rowid FROM pragma_foreign_key_check").fetch_all(pool).await?;
                problems.extend(orphans.into_iter().map(|(t, id)| format!("{t} row {id} breaks a foreign key")));
            }
            Db::Postgres(pool) => {
                let unvalidated: Vec<String> = sqlx::query_scalar(
                    "SELECT conname::text FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace \
                     WHERE n.nspname = 'public' AND NOT c.convalidated",
                )
                .fetch_all(pool)
                .await?;
                problems.extend(unvalidated.into_iter().map(|c| format!("constraint {c} is not validated")));
                if sqlx::query("CREATE EXTENSION IF NOT EXISTS amcheck").execute(pool).await.is_ok() {
                    let heap: Vec<(String, i64, String)> = sqlx::query_as(
                        "SELECT c.relname::text, v.blkno, v.msg FROM pg_class c \
                         JOIN pg_namespace n ON n.oid = c.relnamespace, LATERAL verify_heapam(c.oid) v \
                         WHERE n.nspname = 'public' AND c.relkind = 'r'",
                    )
                    .fetch_all(pool)
                    .await?;
                    problems.extend(heap.into_iter().map(|(t, block, msg)| format!("{t} block {block}: {msg}")));
                    let indexes: Vec<String> = sqlx::query_scalar(
                        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                         JOIN pg_am a ON a.oid = c.relam WHERE n.nspname = 'public' AND c.relkind = 'i' \
                         AND a.amname = 'btree'",
                    )
                    .fetch_all(pool)
                    .await?;
                    for index in indexes {
                        let check = sqlx::query("SELECT bt_index_check($1::regclass, true)")
                            .bind(format!("public.\"{}\"", index.replace('"', "\"\"")))
                            .execute(pool)
                            .await;
                        if let Err(e) = check {
                            problems.push(format!("index {index}: {}", database_reason(&e)));
                        }
                    }
                }
            }
        }
        problems.extend(self.kept_count_problems().await?);
        Ok(problems)
    }
}

/// What a restore found in a backup file.
#[derive(Debug, Clone)]
pub struct BackupFile {
    /// Problems `PRAGMA integrity_check` reported; empty when sound.
    pub problems: Vec<String>,
    /// Migration versions applied in the backup, in order; `None` when it
    /// has no migration history (not a Rally database).
    pub migrations: Option<Vec<i64>>,
    /// The backup's migrations that this Rally does not have (a newer one made it).
    pub unknown_migrations: Vec<i64>,
    /// Versions whose SQL differs from this Rally's (not a Rally database).
    pub changed_migrations: Vec<i64>,
    pub contents: Option<Contents>,
}

/// Opens an SQLite file read-only (it is not changed, not even its journal
/// mode) and reports what a restore needs to know.
pub async fn inspect_sqlite_file(path: &Path) -> Result<BackupFile, OpenError> {
    let shown = path.display().to_string();
    let options =
        SqliteConnectOptions::new().filename(path).read_only(true).create_if_missing(false).disable_statement_logging();
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .map_err(|e| OpenError::Sqlite { path: shown.clone(), reason: database_reason(&e) })?;
    let fail = |e: sqlx::Error| OpenError::Sqlite { path: shown.clone(), reason: database_reason(&e) };
    let problems: Vec<String> =
        sqlx::query_scalar("PRAGMA integrity_check").fetch_all(&mut conn).await.map_err(fail)?;
    let problems: Vec<String> = problems.into_iter().filter(|r| r != "ok").collect();
    let has_history: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'")
            .fetch_one(&mut conn)
            .await
            .map_err(fail)?;
    let mut report = BackupFile {
        problems,
        migrations: None,
        unknown_migrations: Vec::new(),
        changed_migrations: Vec::new(),
        contents: None,
    };
    if has_history == 0 || !report.problems.is_empty() {
        let _ = conn.close().await;
        return Ok(report);
    }
    let applied: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&mut conn)
            .await
            .map_err(fail)?;
    let known = migrator::<SqliteMigrations>();
    for (version, checksum) in &applied {
        match known.migrations.iter().find(|m| m.version == *version) {
            None => report.unknown_migrations.push(*version),
            Some(m) if m.checksum.as_ref() != checksum.as_slice() => report.changed_migrations.push(*version),
            Some(_) => {}
        }
    }
    report.migrations = Some(applied.into_iter().map(|(v, _)| v).collect());
    if report.unknown_migrations.is_empty() && report.changed_migrations.is_empty() {
        // The tables counted exist from the first migrations on.
        let row: Option<ContentsRow> = sqlx::query_as(CONTENTS_SQL).fetch_optional(&mut conn).await.ok().flatten();
        report.contents = row.map(contents_from);
    }
    let _ = conn.close().await;
    Ok(report)
}

/// The migration versions this Rally carries for a backend.
pub fn known_migrations(postgres: bool) -> Vec<i64> {
    let m = if postgres { migrator::<PostgresMigrations>() } else { migrator::<SqliteMigrations>() };
    m.migrations.iter().map(|m| m.version).collect()
}
