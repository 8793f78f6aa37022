//! `TestApp`: the real server on a random loopback port over a fresh database.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

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
    let (database_url, dir) = fresh_database(backend).await?;
    let store =
        Store::open_and_migrate(&DatabaseUrl::parse(&database_url).unwrap()).await.expect("open the test database");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState { store: store.clone(), config: Arc::new(AppConfig::default()) };
    let (tx, rx) = oneshot::channel();
    tokio::spawn(rally::app::serve(listener, state, async {
        let _ = rx.await;
    }));
    let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
    Some(TestApp { backend, addr, store, database_url, client, shutdown: Some(tx), _dir: dir })
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
            async fn postgres() {
                $crate::helpers::run_on($crate::helpers::Backend::Postgres, |$app| async move $body).await;
            }
        }
    };
}
