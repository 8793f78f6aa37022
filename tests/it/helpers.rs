//! `TestApp`: the real server on a random loopback port over a fresh database.

use std::future::Future;
use std::net::SocketAddr;

use rally::app::{AppConfig, AppState};
use rally::config::DatabaseUrl;
use rally::store::Store;
use tokio::sync::oneshot;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub backend: Backend,
    pub addr: SocketAddr,
    pub store: Store,
    pub database_url: String,
    pub client: reqwest::Client,
    /// The server's import gate, so a test can hold places in it.
    pub imports: rally::ops::import::ImportGate,
    shutdown: Option<oneshot::Sender<()>>,
    _dir: Option<tempfile::TempDir>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request")
    }

    /// A second `Store` on the same database, as a second server would open it.
    pub async fn another_store(&self) -> Store {
        Store::open_and_migrate(&DatabaseUrl::parse(&self.database_url).unwrap()).await.unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A database URL for a fresh, empty database of the backend, or `None`
/// when PostgreSQL is not installed (and not required).
pub async fn fresh_database(backend: Backend) -> Option<(String, Option<tempfile::TempDir>)> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("rally.db").display());
            Some((url, Some(dir)))
        }
        Backend::Postgres => {
            let cluster = crate::pg::cluster()?;
            Some((crate::pg::fresh_database(cluster).await, None))
        }
    }
}

pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with_clock(backend, rally::clock::Clock::System).await
}

/// A fresh app whose store reads "today" and "now" from `clock`.
pub async fn spawn_app_with_clock(backend: Backend, clock: rally::clock::Clock) -> Option<TestApp> {
    spawn_app_with(backend, clock, AppConfig::default()).await
}

/// A fresh app with its clock and server configuration.
pub async fn spawn_app_with(backend: Backend, clock: rally::clock::Clock, config: AppConfig) -> Option<TestApp> {
    spawn_app_tuned(backend, clock, config, |_| {}).await
}

/// A fresh app whose server state `tune` adjusts before it serves.
pub async fn spawn_app_tuned(
    backend: Backend,
    clock: rally::clock::Clock,
    config: AppConfig,
    tune: impl FnOnce(&mut AppState),
) -> Option<TestApp> {
    let (database_url, dir) = fresh_database(backend).await?;
    let store = Store::open_and_migrate(&DatabaseUrl::parse(&database_url).unwrap())
        .await
        .expect("open the test database")
        .with_clock(clock);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut state = AppState::new(store.clone(), config);
    tune(&mut state);
    let imports = state.imports.clone();
    let (tx, rx) = oneshot::channel();
    tokio::spawn(rally::app::serve(listener, state, async {
        let _ = rx.await;
    }));
    let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
    Some(TestApp { backend, addr, store, database_url, client, imports, shutdown: Some(tx), _dir: dir })
}

/// Runs a test body against a fresh app on the backend (skipping PostgreSQL
/// when it is absent, as `pg::cluster` announces).
pub async fn run_on<F, Fut>(backend: Backend, body: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    if let Some(app) = spawn_app(backend).await {
        body(app).await;
    }
}

/// Defines `name::sqlite` and `name::postgres` from one async test body.
#[macro_export]
macro_rules! backend_test {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::helpers::run_on($crate::helpers::Backend::Sqlite, |$app| async move $body).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(rally_no_postgres, ignore = "PostgreSQL is not installed (Debian: postgresql)")]
            async fn postgres() {
                $crate::helpers::run_on($crate::helpers::Backend::Postgres, |$app| async move $body).await;
            }
        }
    };
}

/// The password every test user gets.
pub const PASSWORD: &str = "correct horse battery";

/// A team member made for a test, with an API token.
#[derive(Clone, Debug)]
pub struct TestUser {
    pub id: i64,
    pub email: String,
    pub role: String,
    pub token: String,
}

impl TestApp {
    pub async fn user(&self, email: &str, role: &str, region: Option<&str>) -> TestUser {
        self.named_user(email, "测试用户", role, region).await
    }

    pub async fn named_user(&self, email: &str, name: &str, role: &str, region: Option<&str>) -> TestUser {
        let input = rally::ops::users::AddUser {
            email: email.to_owned(),
            name: name.to_owned(),
            role: role.to_owned(),
            region: region.map(str::to_owned),
            password: PASSWORD.to_owned(),
        };
        let id = rally::ops::users::add_user(&self.store, None, input).await.expect("add user");
        let token = rally::ops::users::create_token(&self.store, email, "test").await.expect("token");
        TestUser { id, email: email.to_owned(), role: role.to_owned(), token }
    }

    /// A request with the user's bearer token.
    pub fn api(&self, user: &TestUser, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(&user.token)
    }

    /// A fresh cookie-keeping client signed in through the sign-in form.
    pub async fn browser_session(&self, email: &str) -> reqwest::Client {
        let client =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let page = client.get(self.url("/login")).send().await.unwrap().text().await.unwrap();
        let csrf = hidden_csrf(&page);
        let response = client
            .post(self.url("/login"))
            .form(&[("csrf", csrf.as_str()), ("email", email), ("password", PASSWORD), ("next", "/")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "sign-in should redirect");
        client
    }
}

/// The value of the first hidden `csrf` input of a page.
pub fn hidden_csrf(html: &str) -> String {
    html.split("name=\"csrf\" value=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap_or_default().to_owned()
}

/// Adds a customer directly (the customer API arrives with the customer base work).
pub async fn add_customer(app: &TestApp, name: &str, region: &str, owner: Option<i64>) -> i64 {
    let mut tx = app.store.begin().await.unwrap();
    let customer = rally::store::customers::NewCustomer {
        name: name.to_owned(),
        name_key: rally::io::names::normalize_company_name(name),
        region: region.to_owned(),
        industry: "制造业".to_owned(),
        city: "广州".to_owned(),
        annual_purchase_fen: 500_000_000,
        owner_id: owner,
        source: "manual".to_owned(),
        ..Default::default()
    };
    let ids = rally::store::customers::insert_customers(&mut tx, vec![customer]).await.unwrap();
    tx.commit().await.unwrap();
    ids[0]
}

/// Another server on an existing database, as a second instance behind a load balancer.
pub async fn spawn_on(database_url: &str) -> TestApp {
    let store = Store::open_and_migrate(&DatabaseUrl::parse(database_url).unwrap()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::new(store.clone(), AppConfig::default());
    let imports = state.imports.clone();
    let (tx, rx) = oneshot::channel();
    tokio::spawn(rally::app::serve(listener, state, async {
        let _ = rx.await;
    }));
    TestApp {
        imports,
        backend: if database_url.starts_with("postgres") { Backend::Postgres } else { Backend::Sqlite },
        addr,
        store,
        database_url: database_url.to_owned(),
        client: reqwest::Client::builder().cookie_store(true).build().unwrap(),
        shutdown: Some(tx),
        _dir: None,
    }
}

/// A page as (status, body), without following redirects when the client does not.
pub async fn get_page(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let response = client.get(app.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// A form post with the session's CSRF token (read from the settings page):
/// (status, Location, body).
pub async fn post_form(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let (_, settings) = get_page(client, app, "/settings").await;
    let csrf = hidden_csrf(&settings);
    let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let response = client.post(app.url(path)).form(&form).send().await.unwrap();
    let status = response.status().as_u16();
    let location = response.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, location, response.text().await.unwrap())
}

/// The `rally` binary this test run built.
pub const RALLY: &str = env!("CARGO_BIN_EXE_rally");

/// Runs `rally` with `args` in `cwd` (the test's directory), `stdin` as its
/// input, and without the caller's `RALLY_DATABASE_URL`.
pub fn rally(args: &[&str], stdin: Option<&str>, cwd: &std::path::Path) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(RALLY)
        .args(args)
        .current_dir(cwd)
        .env_remove("RALLY_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run rally");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

/// Follows a page import's progress page (as a browser without JavaScript
/// reloads it) until the import has ended: (status, body) of the page then.
pub async fn follow_import(client: &reqwest::Client, app: &TestApp, progress_path: &str) -> (u16, String) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let (status, html) = get_page(client, app, progress_path).await;
        if !html.contains("id=\"import-progress\"") {
            return (status, html);
        }
        assert!(std::time::Instant::now() < deadline, "the import did not end within a minute: {html}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Runs one statement of raw SQL in `tx`, as someone with database access
/// would (the product never does this).
pub async fn rally_sql(tx: &mut rally::store::Tx, sql: &str) -> Result<u64, sqlx::Error> {
    match tx {
        rally::store::Tx::Sqlite(t) => sqlx::query(sql).execute(&mut **t).await.map(|r| r.rows_affected()),
        rally::store::Tx::Postgres(t) => sqlx::query(sql).execute(&mut **t).await.map(|r| r.rows_affected()),
    }
}

/// The one number `sql` selects, read in a transaction of its own.
pub async fn scalar(app: &TestApp, sql: &str) -> i64 {
    let mut tx = app.store.begin_read().await.unwrap();
    match &mut tx {
        rally::store::Tx::Sqlite(t) => sqlx::query_scalar::<_, i64>(sql).fetch_one(&mut **t).await.unwrap(),
        rally::store::Tx::Postgres(t) => sqlx::query_scalar::<_, i64>(sql).fetch_one(&mut **t).await.unwrap(),
    }
}

/// Inserts `n` manufacturers named `{prefix}{i:05}有限公司` straight into
/// the store, in `regions` by turns: a list past the totals' cap.
pub async fn insert_many_customers(app: &TestApp, prefix: &str, n: usize, regions: &[&str]) {
    let customers = (0..n)
        .map(|i| {
            let name = format!("{prefix}{i:05}有限公司");
            rally::store::customers::NewCustomer {
                name_key: rally::io::names::normalize_company_name(&name),
                name,
                region: regions[i % regions.len()].to_owned(),
                industry: "制造业".to_owned(),
                city: "广州".to_owned(),
                annual_purchase_fen: 500_000_000,
                source: "import".to_owned(),
                ..Default::default()
            }
        })
        .collect();
    let mut tx = app.store.begin().await.unwrap();
    rally::store::customers::insert_customers(&mut tx, customers).await.unwrap();
    tx.commit().await.unwrap();
}
