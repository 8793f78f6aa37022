//! Crash battery: the real `rally serve` (under write load) and `rally import
//! customers FILE` are SIGKILLed at seeded random moments. After every kill
//! the database passes its own consistency checks (SQLite `integrity_check`
//! and `foreign_key_check`; PostgreSQL amcheck and validated constraints),
//! its migrations are current, every acknowledged write is there with its
//! audit record, and each import is all or nothing.
//!
//! The seed is printed; `RALLY_CRASH_SEED=N` repeats a run's kill moments.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_test;
use crate::helpers::{TestApp, TestUser};
use rally::config::DatabaseUrl;
use rally::store::{Store, Tx};

const RALLY: &str = env!("CARGO_BIN_EXE_rally");
/// Trials per backend (30 in all, about 10 s per backend here), each killing
/// the server, the import or both.
const TRIALS: usize = 15;
const IMPORT_ROWS: usize = 5000;
const WRITERS: usize = 6;

fn seed() -> u64 {
    std::env::var("RALLY_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
    })
}

/// Written past the harness's capture, so the seed shows even on success.
fn note(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// One trial's plan: what runs, and when each process is killed.
#[derive(Debug)]
struct Trial {
    n: usize,
    serve_kill_after: Option<Duration>,
    import_kill_after: Option<Duration>,
}

backend_test!(sigkill_serve_and_import_at_random_moments, |app| {
    let seed = seed();
    note(&format!("crash battery ({:?}): seed {seed} (RALLY_CRASH_SEED={seed} repeats it)", app.backend));
    let mut rng = StdRng::seed_from_u64(seed);
    let lead = app.user("crash-lead@example.com", "lead", None).await;
    let dir = tempfile::tempdir().unwrap();
    let url = app.database_url.clone();
    let started = Instant::now();

    // An import left alone, to learn how long one takes here (debug build, a busy machine).
    let calibration = run_import(&url, dir.path(), 0, None).await;
    assert!(calibration.completed, "the calibration import failed: {calibration:?}");
    check(&url, &Outcome { import: Some(calibration.clone()), ..Outcome::default() }, seed, 0).await;
    let import_time = calibration.elapsed;
    note(&format!("  an import of {IMPORT_ROWS} rows alone: {} ms", import_time.as_millis()));

    for n in 1..=TRIALS {
        // Serve only, import only, or both at once, in turn.
        let trial = Trial {
            n,
            serve_kill_after: (n % 3 != 2).then(|| Duration::from_millis(rng.random_range(150..900))),
            import_kill_after: (n % 3 != 1).then(|| import_time.mul_f64(rng.random_range(0.0..1.2))),
        };
        let outcome = run_trial(&app, &lead, dir.path(), &trial).await;
        let applied = check(&url, &outcome, seed, n).await;
        note(&format!(
            "  trial {n:2}: {}; {}",
            trial.serve_kill_after.map_or("no server".to_owned(), |t| format!(
                "serve killed at {} ms, {} customers and {} follow-ups acknowledged",
                t.as_millis(),
                outcome.customers.len(),
                outcome.interactions.len()
            )),
            match (&trial.import_kill_after, &outcome.import) {
                (Some(t), Some(i)) => format!(
                    "import {} at {} ms, {}",
                    if i.completed { "finished before its kill" } else { "killed" },
                    t.as_millis(),
                    if applied { "applied whole" } else { "applied nothing" }
                ),
                _ => "no import".to_owned(),
            }
        ));
    }
    note(&format!("crash battery ({:?}): {TRIALS} trials in {:.1} s", app.backend, started.elapsed().as_secs_f64()));
});

#[derive(Debug, Default)]
struct Outcome {
    /// Customers the server answered 201 for, by name.
    customers: Vec<String>,
    /// Follow-ups the server answered 201 for, by note.
    interactions: Vec<String>,
    import: Option<ImportRun>,
}

#[derive(Debug, Clone)]
struct ImportRun {
    file_name: String,
    prefix: String,
    /// The process finished with success before any kill.
    completed: bool,
    elapsed: Duration,
}

async fn run_trial(app: &TestApp, lead: &TestUser, dir: &std::path::Path, trial: &Trial) -> Outcome {
    let mut outcome = Outcome::default();
    let server = match trial.serve_kill_after {
        Some(after) => Some((start_server(&app.database_url, dir, trial.n).await, after)),
        None => None,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = tokio::task::JoinSet::new();
    if let Some((server, _)) = &server {
        for w in 0..WRITERS {
            let (base, token, stop, n) = (server.base.clone(), lead.token.clone(), stop.clone(), trial.n);
            writers.spawn(write_until_gone(base, token, stop, n, w));
        }
    }
    let import = trial.import_kill_after.map(|after| {
        let (url, dir, n) = (app.database_url.clone(), dir.to_path_buf(), trial.n);
        tokio::spawn(async move { run_import(&url, &dir, n, Some(after)).await })
    });
    if let Some((mut server, after)) = server {
        tokio::time::sleep(after).await;
        server.child.kill().expect("SIGKILL rally serve");
        let _ = server.child.wait();
    }
    stop.store(true, Ordering::SeqCst);
    for (customers, interactions, server_errors) in writers.join_all().await {
        assert!(server_errors.is_empty(), "trial {}: refused before the kill: {server_errors:?}", trial.n);
        outcome.customers.extend(customers);
        outcome.interactions.extend(interactions);
    }
    if let Some(import) = import {
        outcome.import = Some(import.await.unwrap());
    }
    outcome
}

struct Server {
    child: Child,
    base: String,
}

/// `rally serve` on a free port, once it says where it listens.
async fn start_server(url: &str, dir: &std::path::Path, n: usize) -> Server {
    let log = std::fs::File::create(dir.join(format!("serve-{n}.log"))).unwrap();
    let mut child = Command::new(RALLY)
        .args(["serve", "--addr", "127.0.0.1:0", "--database-url", url])
        .env_remove("RALLY_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("start rally serve");
    let stdout = child.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stdout).lines();
        lines.find_map(|l| l.ok().filter(|l| l.contains("running at http://")))
    })
    .await
    .unwrap();
    let Some(line) = line else {
        let _ = child.kill();
        let log = std::fs::read_to_string(dir.join(format!("serve-{n}.log"))).unwrap_or_default();
        panic!("rally serve did not start: {log}");
    };
    let base = line.split("running at ").nth(1).and_then(|r| r.split_whitespace().next()).unwrap().to_owned();
    Server { child, base }
}

/// Creates customers and logs follow-ups until the server is gone; returns
/// what it acknowledged and any other answer than 201 (a killed server
/// sends no answer at all).
async fn write_until_gone(
    base: String,
    token: String,
    stop: Arc<AtomicBool>,
    trial: usize,
    w: usize,
) -> (Vec<String>, Vec<String>, Vec<(u16, String)>) {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let (mut customers, mut interactions, mut errors) = (Vec::new(), Vec::new(), Vec::new());
    let send = |method: Method, path: String, body: Value| {
        client.request(method, format!("{base}{path}")).bearer_auth(&token).json(&body).send()
    };
    for i in 0.. {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let name = format!("崩溃{trial:02}-{w}-{i:04}");
        let Ok(response) =
            send(Method::POST, "/api/v1/customers".into(), json!({"name": name, "region": "华东"})).await
        else {
            break;
        };
        let status = response.status().as_u16();
        let Ok(body) = response.json::<Value>().await else { break };
        if status != 201 {
            errors.push((status, body.to_string()));
            continue;
        }
        customers.push(name.clone());
        let id = body["id"].as_i64().unwrap();
        let note = format!("跟进{name}");
        let body = json!({"channel": "phone", "kind": "inquiry", "note": note});
        let Ok(response) = send(Method::POST, format!("/api/v1/customers/{id}/interactions"), body).await else {
            break;
        };
        let status = response.status().as_u16();
        if status != 201 {
            errors.push((status, response.text().await.unwrap_or_default()));
        } else if response.bytes().await.is_ok() {
            interactions.push(note);
        }
    }
    (customers, interactions, errors)
}

/// `rally import customers FILE` of a fresh list, killed after `kill_after` unless it finished first.
async fn run_import(url: &str, dir: &std::path::Path, n: usize, kill_after: Option<Duration>) -> ImportRun {
    let prefix = format!("崩溃导入{n:02}-");
    let file_name = format!("crash-import-{n:02}.csv");
    let path = dir.join(&file_name);
    let mut csv = String::from("name,region,industry,city,annual_purchase\n");
    for i in 1..=IMPORT_ROWS {
        csv.push_str(&format!("{prefix}{i:05},华南,零售,深圳,{}\n", 2_000_000 + i));
    }
    std::fs::write(&path, csv).unwrap();
    let started = Instant::now();
    let mut child = Command::new(RALLY)
        .args(["import", "customers", "--database-url", url])
        .arg(&path)
        .env_remove("RALLY_DATABASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start rally import");
    let deadline = kill_after.map(|d| started + d);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            child.kill().expect("SIGKILL rally import");
            let _ = child.wait();
            break None;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "rally import hangs");
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    ImportRun { file_name, prefix, completed: status.is_some_and(|s| s.success()), elapsed: started.elapsed() }
}

async fn scalar(store: &Store, sql: &str, bind: &str) -> i64 {
    let mut tx = store.begin_read().await.unwrap();
    match &mut tx {
        Tx::Sqlite(t) => sqlx::query_scalar(sql).bind(bind).fetch_one(&mut **t).await.unwrap(),
        Tx::Postgres(t) => sqlx::query_scalar(sql).bind(bind).fetch_one(&mut **t).await.unwrap(),
    }
}

async fn names(store: &Store, sql: &str, bind: &str) -> std::collections::HashSet<String> {
    let mut tx = store.begin_read().await.unwrap();
    let rows: Vec<String> = match &mut tx {
        Tx::Sqlite(t) => sqlx::query_scalar(sql).bind(bind).fetch_all(&mut **t).await.unwrap(),
        Tx::Postgres(t) => sqlx::query_scalar(sql).bind(bind).fetch_all(&mut **t).await.unwrap(),
    };
    rows.into_iter().collect()
}

/// What must hold after trial `n`, whatever moment the kills hit. Returns
/// whether the trial's import was applied.
async fn check(url: &str, outcome: &Outcome, seed: u64, n: usize) -> bool {
    let at = format!("seed {seed}, trial {n}");
    // Opens as `rally serve` would: recovers, migrates (nothing is pending), answers ready.
    let store = Store::open_and_migrate(&DatabaseUrl::parse(url).unwrap()).await.unwrap();
    assert!(store.readiness().await.is_ready(), "{at}: migrations are not current");
    assert_eq!(store.integrity_problems().await.unwrap(), Vec::<String>::new(), "{at}");

    let prefix = format!("崩溃{n:02}-%");
    let stored = names(&store, "SELECT name FROM customers WHERE name LIKE $1", &prefix).await;
    for name in &outcome.customers {
        assert!(stored.contains(name), "{at}: acknowledged customer {name} is missing");
    }
    let unaudited = "SELECT COUNT(*) FROM customers c WHERE c.name LIKE $1 AND NOT EXISTS (SELECT 1 FROM audit_log a \
                     WHERE a.object_type = 'customer' AND a.object_id = c.id AND a.action = 'create')";
    assert_eq!(scalar(&store, unaudited, &prefix).await, 0, "{at}: a customer without its audit record");
    let notes = names(&store, "SELECT note FROM interactions WHERE note LIKE $1", &format!("跟进崩溃{n:02}-%")).await;
    for note in &outcome.interactions {
        assert!(notes.contains(note), "{at}: acknowledged follow-up {note:?} is missing");
    }

    if let Some(import) = &outcome.import {
        let imported =
            scalar(&store, "SELECT COUNT(*) FROM customers WHERE name LIKE $1", &format!("{}%", import.prefix)).await;
        let records = scalar(&store, "SELECT COUNT(*) FROM imports WHERE file_name = $1", &import.file_name).await;
        assert!(
            (imported, records) == (0, 0) || (imported, records) == (IMPORT_ROWS as i64, 1),
            "{at}: the import is not all or nothing: {imported} of {IMPORT_ROWS} customers, {records} import records"
        );
        if import.completed {
            assert_eq!(imported, IMPORT_ROWS as i64, "{at}: a finished import is missing");
        }
        store.close().await;
        return imported > 0;
    }
    store.close().await;
    false
}
