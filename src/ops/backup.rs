//! `rally backup` and `rally restore` for SQLite: a consistent copy taken
//! while servers keep serving, and a restore that checks the copy before it
//! becomes a database. PostgreSQL has its own tools (`pg_dump`,
//! `pg_restore`); both commands point to them.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::config::DatabaseUrl;
use crate::store::backup::{Contents, inspect_sqlite_file, known_migrations};
use crate::store::{OpenError, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "rally backup copies SQLite databases; back up PostgreSQL with pg_dump, e.g. \
         pg_dump --format=custom --file=rally.dump \"$RALLY_DATABASE_URL\" (and restore with pg_restore)"
    )]
    PostgresBackup,
    #[error(
        "rally restore writes SQLite databases; restore a PostgreSQL dump with pg_restore, e.g. \
         pg_restore --clean --if-exists --no-owner --dbname=\"$RALLY_DATABASE_URL\" rally.dump"
    )]
    PostgresRestore,
    #[error("there is no database at {0} (check --database-url)")]
    NoDatabase(String),
    #[error("{0} already exists; a backup never overwrites a file, so name a new one")]
    FileExists(String),
    #[error("cannot write {path}: the directory {dir} does not exist")]
    MissingDirectory { path: String, dir: String },
    #[error("cannot read {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("{0} is not an SQLite database, so it is not a Rally backup")]
    NotSqlite(String),
    #[error("{0} is an SQLite database but not a Rally backup (it has no Rally migration history)")]
    NotRally(String),
    #[error("{0} is not a Rally backup: its migration {1} differs from this Rally's")]
    ForeignMigration(String, i64),
    #[error(
        "{path} was made by a newer Rally (it has migration {version}; this one knows up to {known}); \
         restore it with that version or a later one"
    )]
    Newer { path: String, version: i64, known: i64 },
    #[error("{path} is damaged (integrity check: {problem}); use another backup")]
    Damaged { path: String, problem: String },
    #[error("{path} already holds data ({contents}); restore onto a new path, or pass --force to replace it")]
    TargetHoldsData { path: String, contents: String },
    #[error("{0} exists and is not a Rally database; restore onto a new path, or pass --force to replace it")]
    TargetNotDatabase(String),
    #[error("the backup {0} is the database itself; restore onto another path")]
    SameFile(String),
    #[error("{0}")]
    Io(String),
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn io_error(what: &str, path: &Path, err: &std::io::Error) -> BackupError {
    BackupError::Io(format!("cannot {what} {}: {err}", path.display()))
}

pub struct BackupReport {
    pub bytes: u64,
    pub contents: Contents,
}

/// Copies the SQLite database at `url` into the new file `file` while it
/// stays in use, then checks the copy as a restore would.
pub async fn backup(url: &DatabaseUrl, file: &Path) -> Result<BackupReport, BackupError> {
    let DatabaseUrl::Sqlite(db_path) = url else { return Err(BackupError::PostgresBackup) };
    if !db_path.is_file() {
        return Err(BackupError::NoDatabase(db_path.display().to_string()));
    }
    let shown = file.display().to_string();
    if file.symlink_metadata().is_ok() {
        return Err(BackupError::FileExists(shown));
    }
    check_directory(file)?;
    let store = Store::open(url).await?;
    let copied = store.backup_into(file).await;
    store.close().await;
    copied?;
    let checked = inspect_sqlite_file(file).await?;
    if let Some(problem) = checked.problems.first() {
        return Err(BackupError::Damaged { path: shown, problem: problem.clone() });
    }
    let bytes = std::fs::metadata(file).map_err(|e| io_error("read", file, &e))?.len();
    Ok(BackupReport { bytes, contents: checked.contents.unwrap_or_default() })
}

pub struct RestoreReport {
    pub contents: Contents,
    /// Migrations applied to the restored copy (a backup of an older Rally).
    pub migrated: usize,
    /// Whether an existing database was replaced (`--force`).
    pub replaced: bool,
}

/// Restores the backup `file` onto the SQLite database at `url`: checks the
/// file (an SQLite database that passes its integrity check, with Rally's
/// migrations, none newer than this Rally's), refuses to replace a database
/// holding data unless `force`, migrates a copy beside the target and moves
/// it into place. Stop servers on the target before replacing it.
pub async fn restore(file: &Path, url: &DatabaseUrl, force: bool) -> Result<RestoreReport, BackupError> {
    let DatabaseUrl::Sqlite(target) = url else { return Err(BackupError::PostgresRestore) };
    let shown = file.display().to_string();
    check_backup_file(file).await?;

    let replaced = match target.symlink_metadata() {
        Err(_) => {
            check_directory(target)?;
            false
        }
        Ok(_) => {
            if same_file(file, target) {
                return Err(BackupError::SameFile(shown));
            }
            let target_shown = target.display().to_string();
            if !force {
                match target_contents(url).await {
                    Ok(None) => {}
                    Ok(Some(contents)) => {
                        return Err(BackupError::TargetHoldsData {
                            path: target_shown,
                            contents: contents.to_string(),
                        });
                    }
                    Err(_) => return Err(BackupError::TargetNotDatabase(target_shown)),
                }
            }
            true
        }
    };

    // The copy is migrated and checked under a temporary name in the
    // target's directory, then renamed: the target is never half-written.
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "rally.db".to_owned());
    let temp = target.with_file_name(format!(".{name}.restoring-{}", std::process::id()));
    remove_with_journals(&temp)?;
    std::fs::copy(file, &temp).map_err(|e| io_error("copy the backup to", &temp, &e))?;
    let restored = migrate_copy(&temp).await;
    let (migrated, contents) = match restored {
        Ok(done) => done,
        Err(e) => {
            let _ = remove_with_journals(&temp);
            return Err(e);
        }
    };
    if replaced {
        // A stale WAL beside the new file would be replayed into it.
        for suffix in ["-wal", "-shm"] {
            remove_if_present(&with_suffix(target, suffix))?;
        }
    }
    std::fs::rename(&temp, target).map_err(|e| io_error("move the restored database to", target, &e))?;
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(dir) = std::fs::File::open(dir)
    {
        let _ = dir.sync_all();
    }
    Ok(RestoreReport { contents, migrated, replaced })
}

/// Everything a restore checks in the backup file, without changing it.
async fn check_backup_file(file: &Path) -> Result<(), BackupError> {
    let shown = file.display().to_string();
    let unreadable = |reason: String| BackupError::Unreadable { path: shown.clone(), reason };
    let meta = std::fs::metadata(file).map_err(|e| {
        unreadable(if e.kind() == std::io::ErrorKind::NotFound { "no such file".to_owned() } else { e.to_string() })
    })?;
    if meta.is_dir() {
        return Err(unreadable("it is a directory".to_owned()));
    }
    let mut header = [0u8; 16];
    let mut f = std::fs::File::open(file).map_err(|e| unreadable(e.to_string()))?;
    if f.read_exact(&mut header).is_err() || &header != b"SQLite format 3\0" {
        return Err(BackupError::NotSqlite(shown));
    }
    let checked = match inspect_sqlite_file(file).await {
        Ok(checked) => checked,
        Err(OpenError::Sqlite { reason, .. }) if reason.contains("not a database") => {
            return Err(BackupError::NotSqlite(shown));
        }
        Err(OpenError::Sqlite { reason, .. }) => return Err(BackupError::Damaged { path: shown, problem: reason }),
        Err(e) => return Err(e.into()),
    };
    if let Some(problem) = checked.problems.first() {
        return Err(BackupError::Damaged { path: shown, problem: problem.clone() });
    }
    if checked.migrations.is_none() {
        return Err(BackupError::NotRally(shown));
    }
    if let Some(&version) = checked.changed_migrations.first() {
        return Err(BackupError::ForeignMigration(shown, version));
    }
    if let Some(&version) = checked.unknown_migrations.last() {
        let known = known_migrations(false).last().copied().unwrap_or(0);
        return Err(BackupError::Newer { path: shown, version, known });
    }
    Ok(())
}

/// `None` for an empty database (nothing worth keeping), else its contents.
async fn target_contents(url: &DatabaseUrl) -> Result<Option<Contents>, BackupError> {
    let store = Store::open(url).await?;
    let result = async {
        if store.holds_data().await? { Ok(Some(store.contents().await.unwrap_or_default())) } else { Ok(None) }
    }
    .await;
    store.close().await;
    result
}

/// Migrates the copy, checks it and folds its WAL back into the file.
async fn migrate_copy(path: &Path) -> Result<(usize, Contents), BackupError> {
    let store = Store::open(&DatabaseUrl::Sqlite(path.to_path_buf())).await?;
    let result = async {
        let migrated = store.migrate().await?;
        // Derived numbers are made afresh from the customers, not trusted.
        store.recount_customer_counts().await?;
        let problems = store.integrity_problems().await?;
        if let Some(problem) = problems.first() {
            return Err(BackupError::Damaged { path: path.display().to_string(), problem: problem.clone() });
        }
        let contents = store.contents().await?;
        store.checkpoint().await?;
        Ok((migrated, contents))
    }
    .await;
    store.close().await;
    let done = result?;
    // The last connection closed with the WAL checkpointed: the file alone
    // is the database. Anything left in a WAL would be lost by the rename.
    let wal = with_suffix(path, "-wal");
    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        return Err(BackupError::Io(format!("{} was not written back into the database", wal.display())));
    }
    remove_if_present(&wal)?;
    remove_if_present(&with_suffix(path, "-shm"))?;
    Ok(done)
}

fn check_directory(path: &Path) -> Result<(), BackupError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        return Err(BackupError::MissingDirectory { path: path.display().to_string(), dir: dir.display().to_string() });
    }
    Ok(())
}

fn same_file(a: &Path, b: &Path) -> bool {
    matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn remove_if_present(path: &Path) -> Result<(), BackupError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_error("remove", path, &e)),
        _ => Ok(()),
    }
}

fn remove_with_journals(path: &Path) -> Result<(), BackupError> {
    remove_if_present(path)?;
    remove_if_present(&with_suffix(path, "-wal"))?;
    remove_if_present(&with_suffix(path, "-shm"))
}
