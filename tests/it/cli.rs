//! The `rally` binary as a user runs it: exit codes, one-line errors, data
//! that survives a restart, nothing written on bad input.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::helpers::{Backend, RALLY, fresh_database, rally};

/// Asserts a failure that a person can read: non-zero, one `error:` line, no panic.
fn assert_clean_failure(out: &Output, mentions: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "should fail: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let lines: Vec<_> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected: {stderr}");
    assert!(lines[0].starts_with("error:"), "{stderr}");
    assert!(lines[0].contains(mentions), "{:?} should mention {mentions:?}", lines[0]);
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn bad_input_gives_one_clear_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    assert_clean_failure(&rally(&["migrate", "--database-url", "mysql://x/y"], None, cwd), "invalid database URL");
    assert_clean_failure(&rally(&["--database-url", "postgres://h:notaport/db", "migrate"], None, cwd), "port");
    assert_clean_failure(&rally(&["migrate", "--database-url", "sqlite:///proc/rally.db"], None, cwd), "cannot open");
    assert_clean_failure(
        &rally(&["migrate", "--database-url", "sqlite:///no/such/dir/rally.db"], None, cwd),
        "does not exist",
    );
    assert_clean_failure(
        &rally(&["migrate", "--database-url", "postgres://rally:pw@127.0.0.1:1/rally"], None, cwd),
        "cannot connect to PostgreSQL",
    );
    assert_clean_failure(&rally(&["serve", "--addr", "nowhere"], None, cwd), "--addr");
    assert_clean_failure(&rally(&["serve", "--frobnicate"], None, cwd), "--frobnicate");
    assert_clean_failure(&rally(&["serve", "--trusted-proxies", "127.0.0.1,nginx"], None, cwd), "\"nginx\"");
    assert!(!cwd.join("rally.db").exists(), "no database was created by bad flags");

    let url = format!("sqlite://{}", cwd.join("team.db").display());
    let add = |email: &str, role: &str, region: Option<&str>| {
        let mut args = vec!["user", "add", "--database-url", &url, "--email", email, "--name", "芳", "--role", role];
        if let Some(r) = region {
            args.extend(["--region", r]);
        }
        rally(&args, Some("correct horse battery\n"), cwd)
    };
    let ok = add("fang@example.com", "rep", Some("华北"));
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert_clean_failure(&add("fang@example.com", "rep", Some("华北")), "already exists");
    assert_clean_failure(&add("new@example.com", "boss", None), "unknown role");
    assert_clean_failure(&add("new@example.com", "rep", None), "region");
    assert_clean_failure(
        &rally(
            &["user", "add", "--database-url", &url, "--email", "x@example.com", "--name", "x", "--role", "lead"],
            Some(""),
            cwd,
        ),
        "password",
    );

    let token = rally(&["token", "create", "--email", "fang@example.com", "--database-url", &url], None, cwd);
    assert!(token.status.success());
    assert!(stdout(&token).trim().starts_with("rly_"));
    assert_clean_failure(
        &rally(&["token", "create", "--email", "nobody@example.com", "--database-url", &url], None, cwd),
        "no user",
    );
}

#[test]
fn help_is_available_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["user", "add", "--help"],
        &["token", "create", "--help"],
        &["demo", "--help"],
    ] {
        let out = rally(args, None, dir.path());
        assert!(out.status.success(), "{args:?}");
        assert!(stdout(&out).contains("Usage"), "{args:?}");
    }
}

fn demo_twice(url: &str, cwd: &Path) {
    let first = rally(&["demo", "--database-url", url], None, cwd);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(stdout(&first).contains("2000 customers"), "{}", stdout(&first));
    assert!(stdout(&first).contains("ming@rally.example"));
    let second = rally(&["demo", "--database-url", url], None, cwd);
    assert!(second.status.success());
    assert!(stdout(&second).contains("already loaded"), "{}", stdout(&second));
}

#[test]
fn demo_twice_changes_nothing_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    demo_twice(&format!("sqlite://{}", dir.path().join("d.db").display()), dir.path());
}

#[tokio::test]
#[cfg_attr(rally_no_postgres, ignore = "PostgreSQL is not installed (Debian: postgresql)")]
async fn demo_twice_changes_nothing_on_postgres() {
    let Some((url, _)) = fresh_database(Backend::Postgres).await else { return };
    let dir = tempfile::tempdir().unwrap();
    demo_twice(&url, dir.path());
    let migrate = rally(&["migrate", "--database-url", &url], None, dir.path());
    assert!(stdout(&migrate).contains("0 migration(s) applied now"), "{}", stdout(&migrate));
}

/// `rally demo --customers N`: the demo plus N generated customers with their
/// interactions and the tiers' activity columns as a recomputation gives them;
/// a second run changes nothing; a bad size is one clear line.
async fn demo_with_generated_customers(backend: Backend) {
    let Some((url, _dir)) = fresh_database(backend).await else { return };
    let cwd = tempfile::tempdir().unwrap();
    // The demo alone first, to see its search results survive the load.
    let demo = rally(&["demo", "--database-url", &url], None, cwd.path());
    assert!(demo.status.success(), "{}", String::from_utf8_lossy(&demo.stderr));
    let store = rally::store::Store::open(&rally::config::DatabaseUrl::parse(&url).unwrap()).await.unwrap();
    let lead: rally::ops::authz::Actor = store.user_by_email("lead@rally.example").await.unwrap().unwrap().into();
    let search = |q: &'static str| {
        let (store, lead) = (&store, &lead);
        async move {
            let found = rally::ops::knowledge::search(store, lead, q, None, 0, 5).await.unwrap();
            (found.customers.unwrap().total, found.notes.unwrap().total)
        }
    };
    let demo_notes = search("需确认交期").await.1;
    assert!(demo_notes > 0);
    let schema = || async {
        let Some(path) = url.strip_prefix("sqlite://") else { return Vec::new() };
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{path}")).await.unwrap();
        let sql = "SELECT type || ' ' || name FROM sqlite_master WHERE type IN ('index', 'trigger') ORDER BY 1";
        sqlx::query_scalar::<_, String>(sql).fetch_all(&pool).await.unwrap()
    };
    let schema_before = schema().await;

    // 10,000 customers: a load the size of what is stored or more drops the
    // customer and interaction indexes and builds them once at the end (SQLite).
    let args = ["demo", "--database-url", &url, "--customers", "10000", "--interactions-per-customer", "3"];
    let first = rally(&args, None, cwd.path());
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(stdout(&first).contains("generated 10000 customers with 30000 interactions"), "{}", stdout(&first));
    let again = rally(&args, None, cwd.path());
    assert!(stdout(&again).contains("already loaded; nothing changed"), "{}", stdout(&again));

    assert_eq!(store.count_customers().await.unwrap(), 12_000);
    assert_eq!(schema().await, schema_before, "every index and trigger is back");
    // The rebuilt indexes and the search tables are sound, every reference holds.
    assert_eq!(store.integrity_problems().await.unwrap(), Vec::<String>::new());
    // Generated customer #1234 by its number (the trigram table) and by two
    // characters of it (the short-term table); the demo's notes as before.
    assert_eq!(search("0001234").await.0, 1);
    assert!(search("12").await.0 >= 1);
    if let Some(path) = url.strip_prefix("sqlite://") {
        // The load writes the short-term table itself: a two-character term
        // finds every name that holds it, as a plain scan does.
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{path}")).await.unwrap();
        let sql = "SELECT COUNT(*) FROM customers WHERE name LIKE '%99%'";
        let holding: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
        assert!(holding > 100, "{holding}");
        assert_eq!(search("99").await.0, holding);
    }
    assert_eq!(search("需确认交期").await.1, demo_notes);
    let today = rally::clock::today();
    let segments = [
        "tier = \"S\"",
        "tier = \"B\"",
        "tier = \"C\"",
        "last_inquiry within 90d",
        "last_order within 365d",
        "interactions_30d >= 2",
    ];
    let mut counts = Vec::new();
    for segment in segments {
        counts.push(rally::ops::customers::count(&store, &lead, segment, today).await.unwrap());
    }
    assert!(counts[0] > 200 && counts[1] > 400 && counts[2] > 2000, "a realistic mix of tiers: {counts:?}");
    // The columns as written are the columns a recomputation gives.
    let mut tx = store.begin().await.unwrap();
    rally::store::customers::refresh_activity(&mut tx, None, 3).await.unwrap();
    tx.commit().await.unwrap();
    for (segment, before) in segments.iter().zip(&counts) {
        let after = rally::ops::customers::count(&store, &lead, segment, today).await.unwrap();
        assert_eq!(after, *before, "{segment}");
    }

    for (flag, value, mentions) in [("--customers", "0", "--customers"), ("--customers", "x", "--customers")] {
        let out = rally(&["demo", "--database-url", &url, flag, value], None, cwd.path());
        assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains(mentions));
    }
}

#[tokio::test]
async fn demo_with_generated_customers_on_sqlite() {
    demo_with_generated_customers(Backend::Sqlite).await;
}

#[tokio::test]
#[cfg_attr(rally_no_postgres, ignore = "PostgreSQL is not installed (Debian: postgresql)")]
async fn demo_with_generated_customers_on_postgres() {
    demo_with_generated_customers(Backend::Postgres).await;
}

/// `serve --demo` on the default database, stop, start again: the data is there.
#[tokio::test]
async fn data_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    for round in 0..2 {
        let mut args = vec!["serve", "--addr", &addr];
        if round == 0 {
            args.push("--demo");
        }
        let mut server = Command::new(RALLY)
            .args(&args)
            .current_dir(dir.path())
            .env_remove("RALLY_DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let ready = wait_ready(&addr).await;
        let _ = Command::new("kill").args(["-TERM", &server.id().to_string()]).status();
        let status = server.wait().unwrap();
        assert!(ready, "server did not become ready (round {round})");
        assert!(status.success(), "graceful stop on SIGTERM");
        assert!(dir.path().join("rally.db").exists(), "serve with no flags uses ./rally.db");
    }
    let url = format!("sqlite://{}", dir.path().join("rally.db").display());
    let store = rally::store::Store::open(&rally::config::DatabaseUrl::parse(&url).unwrap()).await.unwrap();
    assert_eq!(store.count_customers().await.unwrap(), 2_000);
}

async fn wait_ready(addr: &str) -> bool {
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if let Ok(r) = client.get(format!("http://{addr}/readyz")).send().await
            && r.status() == 200
        {
            let body: serde_json::Value = r.json().await.unwrap_or_default();
            return body["status"] == "ready";
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// Logs piped to a file are plain text (no colour codes); `RALLY_LOG_FORMAT=json`
/// gives one JSON object per line; an unknown format is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_are_plain_when_piped_and_json_on_request() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["text", "json"] {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr = format!("127.0.0.1:{port}");
        let server = Command::new(RALLY)
            .args(["serve", "--addr", &addr])
            .current_dir(dir.path())
            .env_remove("RALLY_DATABASE_URL")
            .env("RALLY_LOG_FORMAT", format)
            .env("RUST_LOG", "rally=info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        assert!(wait_ready(&addr).await, "server ready ({format})");
        let _ = Command::new("kill").args(["-TERM", &server.id().to_string()]).status();
        let output = server.wait_with_output().unwrap();
        let log = String::from_utf8_lossy(&output.stderr);
        assert!(log.contains("serving"), "{format}: {log}");
        assert!(!log.contains('\u{1b}'), "{format}: no terminal colour codes in a piped log: {log:?}");
        if format == "json" {
            for line in log.lines().filter(|l| !l.trim().is_empty()) {
                let value: serde_json::Value =
                    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
                assert!(value["level"].is_string(), "{line}");
            }
        }
    }
    let refused =
        Command::new(RALLY).args(["migrate"]).current_dir(dir.path()).env("RALLY_LOG_FORMAT", "yaml").output().unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("RALLY_LOG_FORMAT must be text or json"));
}
