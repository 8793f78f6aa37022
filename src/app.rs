//! Application state, the router, and serving on a listener.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use crate::store::Store;

/// Settings the running server needs (the CLI builds it from flags and env).
#[derive(Clone, Debug)]
pub struct AppConfig {
    /// Mark cookies `Secure` (set when Rally is served over HTTPS).
    pub secure_cookies: bool,
    /// Run the notification worker and reminder scan (`rally serve` does;
    /// in-process test servers leave the queue to the test).
    pub notification_workers: bool,
    /// How long a worker's claim on a job lasts (`--job-lease-seconds`).
    pub job_lease_seconds: u32,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`--trusted-proxies`).
    pub trusted_proxies: crate::config::TrustedProxies,
    /// Requests worked on at once; the others wait their turn
    /// (`--max-active-requests`; `0`: no limit; see `web::admission`).
    pub max_active_requests: u32,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            secure_cookies: false,
            notification_workers: false,
            job_lease_seconds: 0,
            trusted_proxies: crate::config::TrustedProxies::default(),
            max_active_requests: crate::web::admission::DEFAULT_MAX_ACTIVE_REQUESTS,
        }
    }
}

/// Shared by every request. Holds nothing that must agree across server
/// instances: that lives in the database. (`imports` counts this process's
/// running imports, to protect its memory; see `ops::import::gate`.)
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<AppConfig>,
    pub imports: crate::ops::import::ImportGate,
    pub check_wait: crate::ops::uploads::CheckWait,
}

impl AppState {
    pub fn new(store: Store, config: AppConfig) -> Self {
        AppState {
            store,
            config: Arc::new(config),
            imports: crate::ops::import::ImportGate::default(),
            check_wait: crate::ops::uploads::CheckWait::default(),
        }
    }
}

/// Largest request body accepted (spreadsheet uploads included).
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
/// Largest urlencoded form body (forms are small; uploads are multipart).
pub const MAX_FORM_BYTES: usize = 1024 * 1024;

pub fn router(state: AppState) -> Router {
    let mut router = crate::web::routes(state.clone())
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        // Outside the body limit, so its 413 gets the API's error shape too.
        .layer(axum::middleware::from_fn(crate::web::error::api_error_envelope));
    for layer in crate::web::security::layers() {
        router = router.layer(layer);
    }
    // Inside the trace layer, so a request's logged time includes its wait for a turn.
    let admission = crate::web::admission::Admission::new(state.config.max_active_requests);
    router
        .layer(axum::middleware::from_fn_with_state(admission, crate::web::admission::admit))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let loops = crate::jobs::Loops {
        notifications: state.config.notification_workers,
        lease: chrono::Duration::seconds(i64::from(state.config.job_lease_seconds.max(1))),
    };
    let jobs = crate::jobs::spawn_all(state.store.clone(), loops);
    let imports = state.imports.clone();
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let result = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    // Imports confirmed on the page run on after their request; a stop
    // lets them end too, as it lets requests in flight end.
    while !imports.idle() {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    for job in jobs {
        job.abort();
    }
    result
}
