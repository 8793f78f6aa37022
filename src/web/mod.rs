//! HTTP adapters: probes, pages and the JSON API. Handlers parse the request,
//! call `ops` or `store`, and render; they hold no business rules.

use axum::Router;

use crate::app::AppState;

mod health;

pub fn routes() -> Router<AppState> {
    Router::new().merge(health::routes())
}
