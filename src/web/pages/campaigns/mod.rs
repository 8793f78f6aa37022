//! Campaign pages: the list here; the plan (template 1) in `plan`, the
//! breakdown (template 2) in `breakdown`, the target list in `members`.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::Deserialize;

use super::{Page, PageResult, Shell, render};
use crate::app::AppState;
use crate::domain::campaign::{CampaignKind, CampaignStatus, Urgency};
use crate::ops;
use crate::ops::authz::Permission;
use crate::ops::campaigns::PhaseStatus;

pub mod breakdown;
pub mod members;
pub mod notice;
pub mod plan;

pub fn kind_key(kind: CampaignKind) -> &'static str {
    match kind {
        CampaignKind::NewProduct => "kind.new_product",
        CampaignKind::TradeShow => "kind.trade_show",
        CampaignKind::Appreciation => "kind.appreciation",
        CampaignKind::Competitive => "kind.competitive",
        CampaignKind::Other => "kind.other",
    }
}

pub fn status_key(status: CampaignStatus) -> &'static str {
    match status {
        CampaignStatus::Draft => "status.draft",
        CampaignStatus::Active => "status.active",
        CampaignStatus::Ended => "status.ended",
        CampaignStatus::Reviewed => "status.reviewed",
    }
}

pub fn phase_key(key: &str) -> &'static str {
    match key {
        "kickoff" => "phase.kickoff",
        "breakdown" => "phase.breakdown",
        "rollout" => "phase.rollout",
        _ => "phase.review",
    }
}

pub fn milestone_key(key: &str) -> &'static str {
    match key {
        "kickoff_held" => "milestone.kickoff_held",
        "collateral_ready" => "milestone.collateral_ready",
        "full_rollout" => "milestone.full_rollout",
        _ => "milestone.review_held",
    }
}

/// The urgency's CSS class and its label key.
pub fn urgency_of(p: &PhaseStatus) -> (&'static str, &'static str) {
    match p.urgency {
        Urgency::Done => ("done", "urgency.done"),
        Urgency::Overdue => ("overdue", "urgency.overdue"),
        Urgency::DueSoon => ("due_soon", "urgency.due_soon"),
        Urgency::OnTrack => ("on_track", "urgency.on_track"),
    }
}

pub struct NextDeadline {
    pub phase_key: &'static str,
    pub due_on: NaiveDate,
    pub urgency: &'static str,
    pub urgency_key: &'static str,
}

/// The first phase not done yet.
fn next_deadline(phases: &[PhaseStatus]) -> Option<NextDeadline> {
    phases.iter().find(|p| p.done_on.is_none()).map(|p| {
        let (urgency, urgency_key) = urgency_of(p);
        NextDeadline { phase_key: phase_key(p.phase.key), due_on: p.phase.due_on, urgency, urgency_key }
    })
}

pub struct ListRow {
    pub id: i64,
    pub name: String,
    pub kind_key: &'static str,
    pub status: CampaignStatus,
    pub status_key: &'static str,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub next: Option<NextDeadline>,
}

#[derive(Template)]
#[template(path = "campaigns.html")]
struct ListPage {
    shell: Shell,
    rows: Vec<ListRow>,
    can_plan: bool,
}

pub async fn list(State(state): State<AppState>, page: Page) -> PageResult {
    let rows = ops::campaigns::list(&state.store, &page.actor)
        .await?
        .into_iter()
        .map(|view| {
            let c = view.campaign;
            ListRow {
                id: c.id,
                kind_key: kind_key(c.kind),
                status_key: status_key(c.status),
                status: c.status,
                name: c.name,
                starts_on: c.starts_on,
                ends_on: c.ends_on,
                next: next_deadline(&view.phases),
            }
        })
        .collect();
    let shell = page.shell("campaigns.title", "/campaigns");
    Ok(render(StatusCode::OK, &ListPage { shell, rows, can_plan: page.can(Permission::ManageCampaigns) }))
}

#[derive(Deserialize)]
pub struct OkQuery {
    pub ok: Option<String>,
}
