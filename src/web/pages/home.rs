//! The dashboard: what a person sees first after signing in.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::{Shell, error_page, flash_from, render};
use crate::app::AppState;
use crate::ops;
use crate::web::session::PageAuth;

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    shell: Shell,
    greeting: String,
    total: i64,
    tier_s: i64,
    tier_b: i64,
    tier_c: i64,
}

#[derive(serde::Deserialize)]
pub struct FlashQuery {
    ok: Option<String>,
}

pub async fn dashboard(
    State(state): State<AppState>,
    PageAuth(session): PageAuth,
    headers: HeaderMap,
    Query(q): Query<FlashQuery>,
) -> Response {
    let (s, b, c) = match ops::customers::tier_counts(&state.store, &session.actor, crate::clock::today()).await {
        Ok(counts) => counts,
        Err(e) => return error_page(&headers, Some((&session.actor, &session.csrf)), e.into()),
    };
    let mut shell = Shell::new(&headers, Some(session.actor.clone()), &session.csrf, "dashboard.title", "/", None);
    shell.flash = flash_from(shell.t, q.ok.as_deref());
    let greeting = shell.t.fill("dashboard.greeting", &[("name", &session.actor.name)]);
    render(StatusCode::OK, &Dashboard { shell, greeting, total: s + b + c, tier_s: s, tier_b: b, tier_c: c })
}
