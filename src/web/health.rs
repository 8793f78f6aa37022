//! Liveness and readiness probes for load balancers and orchestrators.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::app::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz))
}

/// The process is up and answering.
async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

/// The database answers and its schema is current: safe to route traffic here.
async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let r = state.store.readiness().await;
    let ready = r.is_ready();
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (
        status,
        Json(json!({
            "status": if ready { "ready" } else { "not_ready" },
            "database": r.database,
            "database_reachable": r.reachable,
            "migrations": { "applied": r.migrations_applied, "expected": r.migrations_expected },
        })),
    )
}
