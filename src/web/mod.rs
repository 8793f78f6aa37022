//! HTTP adapters: probes, pages and the JSON API. Handlers parse the request,
//! call `ops`, and render; they hold no business rules.

use axum::Router;
use axum::routing::get;

use crate::app::AppState;

pub mod admission;
pub mod api;
mod assets;
pub mod cursor;
pub mod error;
mod health;
pub mod i18n;
pub mod pages;
pub mod security;
pub mod session;

pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .merge(health::routes())
        .merge(api::routes())
        .merge(pages::routes(state))
        .route("/static/{*path}", get(assets::serve))
        .fallback(pages::not_found)
}
