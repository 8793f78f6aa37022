//! Admission: the server works on at most so many requests at once; the
//! others wait for their turn in the order they arrived.
//!
//! Without it, under a burst every request in flight shares the cores and
//! the database connections, and each statement of a request queues behind
//! every other request's statements. A page that runs five statements waits
//! five times, so heavy pages and the writes queued for SQLite's one writer
//! make the slow tail. With admission, a request waits once and then runs
//! with few others beside it, so answers come back in about the order they
//! were asked (BENCHMARKS.md, *HTTP under load*).
//!
//! Not counted: the probes (a load balancer must see a busy server as
//! alive), static files, and requests that carry a file, whose time is
//! mostly the client's upload.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use tokio::sync::Semaphore;

/// Requests worked on at once when `--max-active-requests` is not given.
pub const DEFAULT_MAX_ACTIVE_REQUESTS: u32 = 16;

/// The turns (`None`: no limit).
#[derive(Clone, Debug, Default)]
pub struct Admission(Option<Arc<Semaphore>>);

impl Admission {
    /// `0` admits every request at once.
    pub fn new(max_active: u32) -> Self {
        Admission((max_active > 0).then(|| Arc::new(Semaphore::new(max_active as usize))))
    }
}

fn exempt(req: &Request) -> bool {
    let path = req.uri().path();
    path == "/healthz"
        || path == "/readyz"
        || path.starts_with("/static/")
        || req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/"))
}

/// Middleware: waits for a turn (tokio's semaphore serves waiters first in,
/// first out), runs the request, and gives the turn back when the response
/// is ready — a streamed body goes on after it. A client that disconnects
/// while waiting leaves the queue.
pub async fn admit(State(admission): State<Admission>, req: Request, next: Next) -> Response {
    let Some(turns) = admission.0.as_ref().filter(|_| !exempt(&req)) else {
        return next.run(req).await;
    };
    // The semaphore is never closed, so acquiring cannot fail.
    let _turn = turns.acquire().await.ok();
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use axum::Router;
    use axum::body::Body;
    use axum::routing::{get, post};
    use tower::ServiceExt;

    use super::*;

    /// Counts the handlers running at once and remembers the most seen.
    #[derive(Clone, Default)]
    struct Running {
        now: Arc<AtomicUsize>,
        most: Arc<AtomicUsize>,
    }

    async fn slow(State(running): State<Running>) -> &'static str {
        let now = running.now.fetch_add(1, Ordering::SeqCst) + 1;
        running.most.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(20)).await;
        running.now.fetch_sub(1, Ordering::SeqCst);
        "ok"
    }

    fn app(max_active: u32, running: Running) -> Router {
        Router::new()
            .route("/work", get(slow))
            .route("/healthz", get(slow))
            .route("/upload", post(slow))
            .with_state(running)
            .layer(axum::middleware::from_fn_with_state(Admission::new(max_active), admit))
    }

    async fn most_at_once(max_active: u32, requests: impl Fn() -> Request<Body>) -> usize {
        let running = Running::default();
        let app = app(max_active, running.clone());
        let mut all = tokio::task::JoinSet::new();
        for _ in 0..12 {
            let (app, req) = (app.clone(), requests());
            all.spawn(async move { app.oneshot(req).await.unwrap().status() });
        }
        for status in all.join_all().await {
            assert!(status.is_success(), "{status}");
        }
        running.most.load(Ordering::SeqCst)
    }

    fn get_req(path: &str) -> Request<Body> {
        Request::get(path).body(Body::empty()).unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn at_most_the_limit_run_at_once() {
        assert_eq!(most_at_once(3, || get_req("/work")).await, 3);
        assert_eq!(most_at_once(1, || get_req("/work")).await, 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_limit_probes_and_uploads_are_not_held_back() {
        assert_eq!(most_at_once(0, || get_req("/work")).await, 12);
        assert_eq!(most_at_once(1, || get_req("/healthz")).await, 12);
        let upload = || {
            Request::post("/upload")
                .header(header::CONTENT_TYPE, "multipart/form-data; boundary=x")
                .body(Body::empty())
                .unwrap()
        };
        assert_eq!(most_at_once(1, upload).await, 12);
    }

    /// Turns are handed out in arrival order: a request that came later
    /// never overtakes one waiting before it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn waiting_requests_are_served_in_arrival_order() {
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = {
            let order = order.clone();
            move |axum::extract::Path(n): axum::extract::Path<usize>| {
                let order = order.clone();
                async move {
                    order.lock().unwrap().push(n);
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    "ok"
                }
            }
        };
        let app = Router::new()
            .route("/n/{n}", get(record))
            .layer(axum::middleware::from_fn_with_state(Admission::new(1), admit));
        let mut all = Vec::new();
        for n in 0..8 {
            let app = app.clone();
            all.push(tokio::spawn(async move { app.oneshot(get_req(&format!("/n/{n}"))).await.unwrap() }));
            // Each request is waiting before the next is sent.
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        for handle in all {
            handle.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), (0..8).collect::<Vec<_>>());
    }
}
