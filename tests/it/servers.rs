//! Several servers on one PostgreSQL database, as behind a load balancer
//! without sticky sessions: two real `rally serve` processes (each with its
//! notification workers running) and one story that alternates between
//! them — signing in on one and using the session and its CSRF token on the
//! other, editing a campaign on both with its version, an import uploaded on
//! one and previewed and applied on the other, settings changed on one and
//! read on the other at once, and notifications queued while both run
//! delivered exactly once. PostgreSQL only: SQLite is one machine's database
//! (`docs/deploy.md`). Without PostgreSQL the harness says so loudly
//! (`pg::cluster`) and the test is reported as ignored.

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, PASSWORD, TestUser, hidden_csrf, scalar};
use crate::receivers;
use rally::clock::Clock;
use rally::domain::notify::EventKind;
use rally::domain::notify::schedule::at_local;
use rally::store::Tx;
use rally::store::notify::DeliveryFilter;

const RALLY: &str = env!("CARGO_BIN_EXE_rally");

/// A `rally serve` process, SIGKILLed when dropped.
struct Instance {
    child: Child,
    base: String,
}

impl Instance {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `rally serve` on a free port with its workers (as deployed), once it
/// says where it listens.
async fn start(database_url: &str, log: &std::path::Path) -> Instance {
    let mut child = Command::new(RALLY)
        .args(["serve", "--addr", "127.0.0.1:0", "--database-url", database_url, "--job-lease-seconds", "5"])
        .env_remove("RALLY_DATABASE_URL")
        .env_remove("RALLY_NO_WORKERS")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("start rally serve");
    let stdout = child.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        std::io::BufReader::new(stdout).lines().find_map(|l| l.ok().filter(|l| l.contains("running at http://")))
    })
    .await
    .unwrap();
    let Some(line) = line else {
        let _ = child.kill();
        panic!("rally serve did not start: {}", std::fs::read_to_string(log).unwrap_or_default());
    };
    let base = line.split("running at ").nth(1).and_then(|r| r.split_whitespace().next()).unwrap().to_owned();
    Instance { child, base }
}

async fn call(server: &Instance, user: &TestUser, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut request = client.request(method, server.url(path)).bearer_auth(&user.token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn texts(store: &rally::store::Store, sql: &str) -> Vec<String> {
    let mut tx = store.begin_read().await.unwrap();
    match &mut tx {
        Tx::Sqlite(t) => sqlx::query_scalar(sql).fetch_all(&mut **t).await.unwrap(),
        Tx::Postgres(t) => sqlx::query_scalar(sql).fetch_all(&mut **t).await.unwrap(),
    }
}

/// A customer list upload as the import page's form sends it.
fn multipart(file_name: &str, csv: &str) -> (String, Vec<u8>) {
    let boundary = "rally-servers-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\ncustomers\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    (format!("multipart/form-data; boundary={boundary}"), body.into_bytes())
}

/// Campaign dates whose phase deadlines are known (see `campaigns.rs`).
fn campaign() -> Value {
    json!({
        "name": "双实例促销", "kind": "新品促销", "theme": "新品A首发",
        "selling_points": "新品A首发享8折", "segment": "industry = \"制造业\"",
        "announced_on": "2025-09-25", "starts_on": "2025-09-29", "ends_on": "2025-10-31",
        "goals": {"reached": 120, "intent_customers": 30, "orders": 15}
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(rally_no_postgres, ignore = "PostgreSQL is not installed (Debian: postgresql)")]
async fn the_story_alternates_between_two_rally_serve_processes_on_one_postgres() {
    // `pg::cluster` prints a SKIPPING banner when PostgreSQL is missing (and
    // fails instead under RALLY_REQUIRE_POSTGRES).
    let Some(app) = crate::helpers::spawn_app(Backend::Postgres).await else { return };
    let admin = app.user("admin@example.com", "admin", None).await;
    let lead = app.named_user("lead@example.com", "李组长", "lead", None).await;
    app.user("ming@example.com", "rep", Some("华南")).await;
    let dir = tempfile::tempdir().unwrap();
    let a = start(&app.database_url, &dir.path().join("a.log")).await;
    let b = start(&app.database_url, &dir.path().join("b.log")).await;
    for server in [&a, &b] {
        let ready = reqwest::get(server.url("/readyz")).await.unwrap();
        assert_eq!(ready.status(), 200, "{} is ready", server.base);
        assert_eq!(ready.json::<Value>().await.unwrap()["status"], "ready");
    }

    // --- Sessions and CSRF: signed in on A, the session works on B, and B
    // takes a form posted with the token A's page carried. (A browser sends
    // its cookies to both: same host, as behind one load balancer address.)
    let browser =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let login = browser.get(a.url("/login")).send().await.unwrap().text().await.unwrap();
    let signed_in = browser
        .post(a.url("/login"))
        .form(&[("csrf", hidden_csrf(&login).as_str()), ("email", "lead@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303, "signed in on A");
    let home = browser.get(b.url("/")).send().await.unwrap();
    assert_eq!(home.status(), 200, "B knows A's session");
    assert!(home.text().await.unwrap().contains("李组长"));
    let settings_on_a = browser.get(a.url("/settings")).send().await.unwrap().text().await.unwrap();
    let csrf = hidden_csrf(&settings_on_a);
    assert!(!csrf.is_empty());
    let forged = browser
        .post(b.url("/settings/language"))
        .form(&[("csrf", "forged"), ("locale", "en"), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403, "B refuses a wrong token");
    let switched = browser
        .post(b.url("/settings/language"))
        .form(&[("csrf", csrf.as_str()), ("locale", "en"), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(switched.status(), 303, "B takes the token of A's page");
    let english = browser.get(a.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(english.contains("Hello, 李组长"), "A shows the language chosen on B");

    // --- A campaign created on A, edited on B with its version; the stale
    // version is refused on A. The session's API calls carry A's token on B.
    let (status, created) = call(&a, &lead, Method::POST, "/api/v1/campaigns", Some(campaign())).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let v1 = created["version"].as_i64().unwrap();
    let path = format!("/api/v1/campaigns/{id}");
    let (status, edited) = call(&b, &lead, Method::PATCH, &path, Some(json!({"theme": "B改", "version": v1}))).await;
    assert_eq!(status, 200, "{edited}");
    let v2 = edited["version"].as_i64().unwrap();
    assert!(v2 > v1);
    let (status, stale) = call(&a, &lead, Method::PATCH, &path, Some(json!({"theme": "A改", "version": v1}))).await;
    assert_eq!(status, 409, "{stale}");
    assert_eq!(stale["error"]["code"], "version_conflict");
    let without_header = browser.patch(b.url(&path)).json(&json!({"theme": "会话改", "version": v2})).send().await;
    assert_eq!(without_header.unwrap().status(), 403, "a session's API write needs the CSRF header");
    let with_header = browser
        .patch(b.url(&path))
        .header("x-csrf-token", &csrf)
        .json(&json!({"theme": "会话改", "version": v2}))
        .send()
        .await
        .unwrap();
    assert_eq!(with_header.status(), 200);
    let (_, on_a) = call(&a, &lead, Method::GET, &path, None).await;
    assert_eq!(on_a["theme"], "会话改");
    assert_eq!(on_a["version"].as_i64().unwrap(), v2 + 1);

    // --- Settings changed on A hold on B at once (nothing is cached per process).
    assert_eq!(on_a["phases"][3]["due_on"], "2025-11-05");
    let phases = json!({"kickoff_after_notice": 2, "breakdown_after_notice": 3, "rollout_after_start": 3, "review_after_end": 5});
    let (status, _) = call(&a, &lead, Method::PUT, "/api/v1/settings/phases", Some(phases.clone())).await;
    assert_eq!(status, 200);
    let (_, rules_on_b) = call(&b, &lead, Method::GET, "/api/v1/settings/phases", None).await;
    assert_eq!(rules_on_b, phases);
    let (_, on_b) = call(&b, &lead, Method::GET, &path, None).await;
    assert_eq!(on_b["phases"][3]["due_on"], "2025-11-07", "B's deadlines follow A's change");
    let (status, set) =
        call(&a, &admin, Method::PUT, "/api/v1/settings/notifications", Some(json!({"language": "en"}))).await;
    assert_eq!(status, 200, "{set}");
    let (_, notify_on_b) = call(&b, &admin, Method::GET, "/api/v1/settings/notifications", None).await;
    assert_eq!(notify_on_b["language"], "en");

    // --- An import uploaded on A, previewed and applied on B. The upload and
    // its parsed preview are rows of `import_uploads`.
    let mut csv = String::from("name,region,industry,city,annual_purchase\n");
    for i in 1..=5 {
        csv.push_str(&format!("双实例客户{i},华东,制造业,上海,{}\n", 1_000_000 * i));
    }
    csv.push_str("双实例坏行,华东,制造业,上海,-5\n");
    let (content_type, body) = multipart("two-servers.csv", &csv);
    let uploaded = browser
        .post(a.url("/customers/import"))
        .header("x-csrf-token", &csrf)
        .header("content-type", &content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), 303, "uploaded on A");
    let preview_path = uploaded.headers()["location"].to_str().unwrap().to_owned();
    assert!(preview_path.starts_with("/customers/import/"), "{preview_path}");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM import_uploads WHERE preview IS NOT NULL").await, 1);
    let preview = browser.get(b.url(&preview_path)).send().await.unwrap();
    assert_eq!(preview.status(), 200, "B shows A's upload");
    let html = preview.text().await.unwrap();
    assert!(html.contains("id=\"bad-rows\""), "the preview lists the bad row");
    assert!(html.contains("<td class=\"num-col\">7</td>"), "row 7 (the negative amount)");
    let applied = browser
        .post(b.url(&preview_path))
        .form(&[("csrf", csrf.as_str()), ("action", "import"), ("partial", "true")])
        .send()
        .await
        .unwrap();
    assert_eq!(applied.status(), 303, "applied on B, in the background");
    let progress_path = applied.headers()["location"].to_str().unwrap().to_owned();
    // A follows B's import: its progress and outcome are rows, not B's memory.
    let deadline = Instant::now() + Duration::from_secs(60);
    let html = loop {
        let page = browser.get(a.url(&progress_path)).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        if !html.contains("id=\"import-progress\"") {
            break html;
        }
        assert!(Instant::now() < deadline, "B's import did not end: {html}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(html.contains("data-count=\"created\">5<"), "{html}");
    assert!(html.contains("data-count=\"rejected\">1<"));
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM customers WHERE name LIKE '双实例客户%'").await, 5);
    let preview = browser.get(a.url(&preview_path)).send().await.unwrap();
    assert_eq!(preview.status(), 303, "A sees it applied: the preview leads to the result");

    // --- Notifications queued while both servers run, each delivered once by
    // whichever worker claims it. Test messages go out at once; the events are
    // made on a past working morning so they are due whatever the time now
    // (a real event would be held through quiet hours and days off).
    let fakes = receivers::start().await;
    // Slow enough that one worker cannot drain the queue before the other polls.
    fakes.fakes.set_delay(Duration::from_millis(300));
    let (status, channel) = call(
        &a,
        &admin,
        Method::POST,
        "/api/v1/notification-channels",
        Some(
            json!({"kind": "webhook", "name": "CRM", "url": fakes.webhook_url(), "secret": receivers::WEBHOOK_SECRET}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{channel}");
    let channel_id = channel["id"].as_i64().unwrap();
    let made = app.store.with_clock(Clock::Fixed(at_local(
        "2026-11-25".parse().unwrap(),
        chrono::NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
    )));
    // Which workers hold claims (`KIND-PID-NONCE`), watched while the jobs are queued and sent.
    let watching = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let watcher = tokio::spawn({
        let (store, watching) = (app.store.clone(), watching.clone());
        async move {
            let mut claimers = std::collections::BTreeSet::new();
            while watching.load(std::sync::atomic::Ordering::SeqCst) {
                claimers.extend(texts(&store, "SELECT DISTINCT locked_by FROM jobs WHERE locked_by IS NOT NULL").await);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            claimers
        }
    });
    const EVENTS: usize = 100;
    const TESTS: usize = 5;
    let mut test_keys = Vec::new();
    for i in 0..EVENTS {
        crate::notify::event(&made, EventKind::PhaseDueSoon, &format!("two-servers-{i}"), vec![admin.id]).await;
        if i % (EVENTS / TESTS) == 0 {
            let server = if test_keys.len() % 2 == 0 { &a } else { &b };
            let test_path = format!("/api/v1/notification-channels/{channel_id}/test");
            let (status, tested) = call(server, &admin, Method::POST, &test_path, None).await;
            assert_eq!(status, 200, "{tested}");
            test_keys.push(tested["delivery_id"].as_i64().expect("a test delivery"));
        }
    }
    assert_eq!(test_keys.len(), TESTS);
    // Every delivery sent (the servers' reminder scans may add their own).
    let started = Instant::now();
    let log = loop {
        let log = app.store.deliveries(&DeliveryFilter::default(), 10_000).await.unwrap();
        if log.len() >= EVENTS + TESTS && log.iter().all(|d| d.status == "sent") {
            break log;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "still not all sent after 2 minutes");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    watching.store(false, std::sync::atomic::Ordering::SeqCst);
    let claimers = watcher.await.unwrap();
    for server in [&a, &b] {
        let worker = format!("serve-{}-", server.child.id());
        assert!(
            claimers.iter().any(|c| c.starts_with(&worker)),
            "the worker of {} took a share: {claimers:?}",
            server.base
        );
    }
    for id in &test_keys {
        assert!(log.iter().any(|d| d.id == *id), "test delivery {id} is in the log");
    }
    let mut arrivals = std::collections::BTreeMap::<String, usize>::new();
    let (mut due_soon, mut tests) = (0, 0);
    for r in fakes.fakes.accepted("webhook") {
        *arrivals.entry(r.key.clone().expect("X-Rally-Delivery")).or_insert(0) += 1;
        let text = r.body.to_string();
        due_soon += usize::from(text.contains("is due soon"));
        tests += usize::from(text.contains("Rally test message"));
    }
    assert_eq!((due_soon, tests), (EVENTS, TESTS), "every message in the language set on A");
    assert_eq!(arrivals.len(), log.len(), "every delivery arrived");
    assert!(arrivals.values().all(|n| *n == 1), "a message arrived twice: {arrivals:?}");
    for d in &log {
        assert_eq!(arrivals.get(&d.idempotency_key), Some(&1), "delivery {} arrived once", d.id);
    }
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM jobs").await, 0, "no job is left claimed or queued");
    eprintln!("two servers: {} deliveries, each arrived once; claims held by {claimers:?}", log.len());

    // --- Sign-in throttling counts the failures of both servers together:
    // a guesser alternating between them gets five free tries in all.
    let guesser = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let login = guesser.get(a.url("/login")).send().await.unwrap().text().await.unwrap();
    let pre = hidden_csrf(&login);
    let mut statuses = Vec::new();
    for attempt in 0..7 {
        let server = if attempt % 2 == 0 { &a } else { &b };
        let form = [("csrf", pre.as_str()), ("email", "ming@example.com"), ("password", "wrong guess")];
        statuses.push(guesser.post(server.url("/login")).form(&form).send().await.unwrap().status().as_u16());
    }
    assert_eq!(statuses[..5], [401; 5], "{statuses:?}");
    assert!(statuses[5..].contains(&429), "the sixth or seventh try waits, whichever server: {statuses:?}");
    let right = [("csrf", pre.as_str()), ("email", "ming@example.com"), ("password", PASSWORD)];
    let waited = guesser.post(b.url("/login")).form(&right).send().await.unwrap();
    assert_eq!(waited.status(), 429, "the wait holds on the other server too");
    assert!(waited.headers().contains_key("retry-after"));

    // --- Signing out on B ends the session on A too.
    let out = browser.post(b.url("/logout")).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    assert_eq!(out.status(), 303);
    assert_eq!(browser.get(a.url("/api/v1/me")).send().await.unwrap().status(), 401);
    for server in [&a, &b] {
        assert_eq!(reqwest::get(server.url("/readyz")).await.unwrap().status(), 200);
    }
}
