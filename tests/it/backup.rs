//! `rally backup` and `rally restore`: a copy taken while a server serves
//! restores to the same data; bad files and wrong URLs get one clear line;
//! PostgreSQL is pointed to pg_dump/pg_restore (whose round trip is checked).

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use reqwest::Method;
use serde_json::json;
use tokio::task::JoinSet;

use crate::backend_test;
use crate::helpers::{Backend, TestApp, TestUser};
use rally::config::DatabaseUrl;
use rally::store::Store;
use rally::store::backup::Contents;

const RALLY: &str = env!("CARGO_BIN_EXE_rally");

fn rally(args: &[&str]) -> Output {
    // Errors only: on a busy machine sqlx may add a "slow statement" warning.
    Command::new(RALLY)
        .args(args)
        .env_remove("RALLY_DATABASE_URL")
        .env("RUST_LOG", "error")
        .output()
        .expect("run rally")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A failure a person can read: non-zero exit, one `error:` line mentioning `what`.
fn assert_refused(out: &Output, what: &str) {
    let text = stderr(out);
    assert!(!out.status.success(), "should fail: {}{text}", String::from_utf8_lossy(&out.stdout));
    let lines: Vec<_> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected: {text}");
    assert!(lines[0].starts_with("error:") && lines[0].contains(what), "{:?} should mention {what:?}", lines[0]);
}

async fn contents_of(url: &str) -> Contents {
    let store = Store::open_and_migrate(&DatabaseUrl::parse(url).unwrap()).await.unwrap();
    let contents = store.contents().await.unwrap();
    store.close().await;
    contents
}

/// Demo data plus some audited writes through the API.
async fn fill(app: &TestApp) -> TestUser {
    rally::ops::demo::load(&app.store, rally::clock::today()).await.unwrap();
    let lead = app.user("backup-lead@example.com", "lead", None).await;
    for i in 0..5 {
        let r = app.api(&lead, Method::POST, "/api/v1/customers").json(&json!({"name": format!("备份客户{i}")})).send();
        assert_eq!(r.await.unwrap().status(), 201);
    }
    lead
}

/// Readers (and, when `write`, writers) on the server until `stop`; returns acknowledged customer names.
fn load(app: &Arc<TestApp>, lead: &TestUser, write: bool, stop: &Arc<AtomicBool>) -> JoinSet<Vec<String>> {
    let mut tasks = JoinSet::new();
    for w in 0..4 {
        let (app, lead, stop) = (app.clone(), lead.clone(), stop.clone());
        tasks.spawn(async move {
            let mut acknowledged = Vec::new();
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                let r = app.api(&lead, Method::GET, "/api/v1/customers?limit=100").send().await.unwrap();
                assert_eq!(r.status(), 200);
                if write && w % 2 == 0 {
                    let name = format!("备份期间客户{w}-{n}");
                    let r = app.api(&lead, Method::POST, "/api/v1/customers").json(&json!({"name": name})).send();
                    let r = r.await.unwrap();
                    assert_eq!(r.status(), 201, "{:?}", r.text().await);
                    acknowledged.push(name);
                    n += 1;
                }
            }
            acknowledged
        });
    }
    tasks
}

backend_test!(backup_while_serving_restores_the_same_data, |app| {
    let lead = fill(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rally-backup.db");
    let file_s = file.to_str().unwrap().to_owned();

    if app.backend == Backend::Postgres {
        let url = app.database_url.clone();
        assert_refused(&rally(&["backup", "--database-url", &url, &file_s]), "pg_dump");
        assert_refused(&rally(&["restore", "--database-url", &url, &file_s]), "pg_restore");
        assert!(!file.exists());
        pg_dump_round_trip(&app).await;
        return;
    }

    // A backup while the server answers reads: the restored copy has the same data.
    let app = Arc::new(app);
    let stop = Arc::new(AtomicBool::new(false));
    let readers = load(&app, &lead, false, &stop);
    let url = app.database_url.clone();
    let out = {
        let (url, file_s) = (url.clone(), file_s.clone());
        tokio::task::spawn_blocking(move || rally(&["backup", "--database-url", &url, &file_s])).await.unwrap()
    };
    stop.store(true, Ordering::SeqCst);
    readers.join_all().await;
    assert!(out.status.success(), "{}", stderr(&out));
    let before = app.store.contents().await.unwrap();
    assert!(before.customers > 2000 && before.interactions > 0 && before.campaigns == 4, "{before:?}");
    assert!(before.users > 10 && before.audit_records >= 5, "{before:?}");
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.contains(&format!("{} customers", before.customers)), "{printed}");

    let restored = dir.path().join("restored.db");
    let restored_url = format!("sqlite://{}", restored.display());
    let out = rally(&["restore", "--database-url", &restored_url, &file_s]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(contents_of(&restored_url).await, before);
    let check = Store::open(&DatabaseUrl::parse(&restored_url).unwrap()).await.unwrap();
    assert!(check.readiness().await.is_ready());
    assert_eq!(check.integrity_problems().await.unwrap(), Vec::<String>::new());
    check.close().await;

    // A backup while writers write: a consistent copy holding every write
    // acknowledged before it started, and no more than what was there after.
    let stop = Arc::new(AtomicBool::new(false));
    let writers = load(&app, &lead, true, &stop);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let at_start = app.store.contents().await.unwrap();
    let second = dir.path().join("during-writes.db");
    let out = {
        let (url, second) = (url.clone(), second.to_str().unwrap().to_owned());
        tokio::task::spawn_blocking(move || rally(&["backup", "--database-url", &url, &second])).await.unwrap()
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    stop.store(true, Ordering::SeqCst);
    let written: usize = writers.join_all().await.iter().map(Vec::len).sum();
    assert!(out.status.success(), "{}", stderr(&out));
    let after = app.store.contents().await.unwrap();
    assert!(written > 0 && after.customers > at_start.customers, "the writers wrote ({written})");
    let again = dir.path().join("again.db");
    let again_url = format!("sqlite://{}", again.display());
    let out = rally(&["restore", "--database-url", &again_url, second.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let copy = contents_of(&again_url).await;
    assert!(copy.customers >= at_start.customers && copy.customers <= after.customers, "{copy:?}");
    assert!(copy.audit_records >= at_start.audit_records && copy.audit_records <= after.audit_records);
    // Each customer came with its audit record in one transaction: the copy has both or neither.
    assert_eq!(copy.customers - at_start.customers, copy.audit_records - at_start.audit_records, "{copy:?}");

    // Restoring onto a database that holds data needs --force, and then replaces it.
    assert_refused(&rally(&["restore", "--database-url", &restored_url, second.to_str().unwrap()]), "--force");
    assert_eq!(contents_of(&restored_url).await, before, "a refused restore changes nothing");
    let out = rally(&["restore", "--force", "--database-url", &restored_url, second.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(contents_of(&restored_url).await, copy);
});

/// The README's PostgreSQL advice works with Rally's schema (the audit trail's triggers included).
async fn pg_dump_round_trip(app: &TestApp) {
    let Some(bin) = crate::pg::bin_dir_if_installed() else { return };
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("rally.dump");
    let out = Command::new(bin.join("pg_dump"))
        .args(["--format=custom", "--file"])
        .arg(&dump)
        .arg(&app.database_url)
        .output()
        .unwrap();
    assert!(out.status.success(), "pg_dump: {}", stderr(&out));
    let target = crate::pg::fresh_database(crate::pg::cluster().unwrap()).await;
    let out = Command::new(bin.join("pg_restore"))
        .args(["--clean", "--if-exists", "--no-owner", "--exit-on-error"])
        .arg(format!("--dbname={target}"))
        .arg(&dump)
        .output()
        .unwrap();
    assert!(out.status.success(), "pg_restore: {}", stderr(&out));
    assert_eq!(contents_of(&target).await, app.store.contents().await.unwrap());
}

/// An SQLite database at an older schema: the first `versions` migrations and one user.
async fn old_database(path: &Path, versions: usize) {
    let migrations = tempfile::tempdir().unwrap();
    let mut files: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files.iter().take(versions) {
        std::fs::copy(f, migrations.path().join(f.file_name().unwrap())).unwrap();
    }
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path).create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    sqlx::migrate::Migrator::new(migrations.path()).await.unwrap().run(&pool).await.unwrap();
    sqlx::query(
        "INSERT INTO users (email, name, role, password_hash, created_at, updated_at) \
         VALUES ('old@example.com', '老用户', 'admin', 'x', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
}

#[tokio::test]
async fn restore_checks_the_file_and_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let url = |name: &str| format!("sqlite://{}", p(name));

    // A backup of an older Rally restores and is migrated to the current schema.
    old_database(Path::new(&p("old.db")), 5).await;
    let out = rally(&["restore", "--database-url", &url("from-old.db"), &p("old.db")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite")).unwrap().count();
    let applied = format!("({} migration(s) applied)", migrations - 5);
    assert!(String::from_utf8_lossy(&out.stdout).contains(&applied), "{out:?}");
    let restored = Store::open(&DatabaseUrl::parse(&url("from-old.db")).unwrap()).await.unwrap();
    assert!(restored.readiness().await.is_ready());
    assert_eq!(restored.contents().await.unwrap().users, 1);
    restored.close().await;

    // Backups are taken of existing SQLite databases into new files only.
    assert_refused(&rally(&["backup", "--database-url", &url("missing.db"), &p("b.db")]), "no database at");
    assert!(!Path::new(&p("missing.db")).exists(), "a backup of nothing creates nothing");
    assert_refused(&rally(&["backup", "--database-url", &url("from-old.db"), &p("old.db")]), "already exists");
    assert_refused(&rally(&["backup", "--database-url", &url("from-old.db"), &p("no/dir/b.db")]), "does not exist");
    assert_refused(&rally(&["backup", "--database-url", "postgres://rally@127.0.0.1:1/rally", &p("b.db")]), "pg_dump");

    // What a restore refuses, and why.
    assert_refused(&rally(&["restore", "--database-url", &url("n.db"), &p("missing.db")]), "no such file");
    std::fs::write(p("notes.txt"), "客户名单\n").unwrap();
    assert_refused(&rally(&["restore", "--database-url", &url("n.db"), &p("notes.txt")]), "not an SQLite database");
    std::fs::write(p("empty.db"), "").unwrap();
    assert_refused(&rally(&["restore", "--database-url", &url("n.db"), &p("empty.db")]), "not an SQLite database");
    let mut garbled = std::fs::read(p("old.db")).unwrap();
    for b in garbled.iter_mut().skip(4096).take(4096) {
        *b = 0x5a;
    }
    std::fs::write(p("garbled.db"), garbled).unwrap();
    assert_refused(&rally(&["restore", "--database-url", &url("n.db"), &p("garbled.db")]), "damaged");
    {
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(p("other.db")).create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        sqlx::query("CREATE TABLE notes (text TEXT)").execute(&pool).await.unwrap();
        pool.close().await;
    }
    assert_refused(&rally(&["restore", "--database-url", &url("n.db"), &p("other.db")]), "not a Rally backup");
    std::fs::copy(p("from-old.db"), p("future.db")).unwrap();
    {
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(p("future.db"));
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (9999, 'from the future', TRUE, x'00', 0)",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }
    assert_refused(&rally(&["restore", "--database-url", &url("n.db"), &p("future.db")]), "newer Rally");
    assert_refused(
        &rally(&["restore", "--database-url", "postgres://rally@127.0.0.1:1/rally", &p("old.db")]),
        "pg_restore",
    );
    assert_refused(&rally(&["restore", "--database-url", &url("notes.txt"), &p("old.db")]), "not a Rally database");
    assert_refused(&rally(&["restore", "--database-url", &url("from-old.db"), &p("from-old.db")]), "itself");
    assert!(!Path::new(&p("n.db")).exists(), "nothing was created by a refused restore");
    assert_eq!(std::fs::read_to_string(p("notes.txt")).unwrap(), "客户名单\n");

    // An empty (just migrated) database may be replaced without --force.
    let fresh = Store::open_and_migrate(&DatabaseUrl::parse(&url("fresh.db")).unwrap()).await.unwrap();
    fresh.close().await;
    let out = rally(&["restore", "--database-url", &url("fresh.db"), &p("from-old.db")]);
    assert!(out.status.success(), "{}", stderr(&out));
}
