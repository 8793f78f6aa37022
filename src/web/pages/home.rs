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
    deadlines: Vec<Deadline>,
}

/// A phase that is overdue or due within a working day.
pub struct Deadline {
    pub campaign_id: i64,
    pub campaign: String,
    pub phase_key: &'static str,
    pub due_on: chrono::NaiveDate,
    pub urgency: &'static str,
    pub urgency_key: &'static str,
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
    let deadlines = deadlines(&state, &session.actor).await;
    render(StatusCode::OK, &Dashboard { shell, greeting, total: s + b + c, tier_s: s, tier_b: b, tier_c: c, deadlines })
}

/// Phases of running and planned campaigns that need attention now.
async fn deadlines(state: &AppState, actor: &crate::ops::authz::Actor) -> Vec<Deadline> {
    use crate::domain::campaign::Urgency;
    let mut out = Vec::new();
    let Ok(campaigns) = ops::campaigns::list(&state.store, actor).await else { return out };
    for c in campaigns.into_iter().filter(|c| c.status == "draft" || c.status == "active" || c.status == "ended") {
        let Ok(view) = ops::campaigns::get(&state.store, actor, c.id).await else { continue };
        for p in view.phases {
            let (urgency, urgency_key) = match p.urgency {
                Urgency::Overdue => ("overdue", "urgency.overdue"),
                Urgency::DueSoon => ("due_soon", "urgency.due_soon"),
                _ => continue,
            };
            let phase_key = super::campaigns::phase_key(p.phase.key);
            out.push(Deadline {
                campaign_id: c.id,
                campaign: c.name.clone(),
                phase_key,
                due_on: p.phase.due_on,
                urgency,
                urgency_key,
            });
        }
    }
    out.sort_by_key(|d| d.due_on);
    out
}
