//! The dashboard: what a person sees first after signing in.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;

use super::{Page, PageResult, Shell, flash_from, render};
use crate::app::AppState;
use crate::domain::campaign::Urgency;
use crate::ops;

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
    execution: super::execution::panels::DashboardExecution,
    /// Plans campaigns: offered the notice paste first.
    can_plan: bool,
    /// Ended campaigns whose review (复盘) is due or overdue.
    reviews: Vec<ReviewDue>,
}

/// A review waiting to be held, linked to its review page.
pub struct ReviewDue {
    pub campaign_id: i64,
    pub campaign: String,
    pub due_on: chrono::NaiveDate,
    pub overdue: bool,
}

/// A phase that is overdue or due within a working day.
pub struct Deadline {
    pub campaign_id: i64,
    pub campaign: String,
    pub phase: u8,
    pub phase_key: &'static str,
    pub due_on: chrono::NaiveDate,
    pub urgency: &'static str,
    pub urgency_key: &'static str,
}

#[derive(serde::Deserialize)]
pub struct FlashQuery {
    ok: Option<String>,
}

pub async fn dashboard(State(state): State<AppState>, page: Page, Query(q): Query<FlashQuery>) -> PageResult {
    let (s, b, c) = ops::customers::tier_counts(&state.store, &page.actor, state.store.today()).await?;
    let shell = page.shell("dashboard.title", "/").with_flash(flash_from(page.t, q.ok.as_deref()));
    let greeting = shell.t.fill("dashboard.greeting", &[("name", &page.actor.name)]);
    let reviews: Vec<ReviewDue> = ops::review::open_reviews(&state.store, &page.actor)
        .await?
        .into_iter()
        .map(|r| ReviewDue { campaign_id: r.campaign_id, campaign: r.name, due_on: r.due_on, overdue: r.overdue })
        .collect();
    let mut deadlines = deadlines(&state, &page).await?;
    // A review listed on its own is not listed again as phase 4's deadline.
    deadlines.retain(|d| !(d.phase == 4 && reviews.iter().any(|r| r.campaign_id == d.campaign_id)));
    let execution = super::execution::panels::dashboard(&state, &page).await?;
    Ok(render(
        StatusCode::OK,
        &Dashboard {
            shell,
            greeting,
            total: s + b + c,
            tier_s: s,
            tier_b: b,
            tier_c: c,
            deadlines,
            execution,
            can_plan: page.can(crate::ops::authz::Permission::ManageCampaigns),
            reviews,
        },
    ))
}

/// Phases of running and planned campaigns that need attention now.
async fn deadlines(state: &AppState, page: &Page) -> Result<Vec<Deadline>, ops::OpsError> {
    let mut out = Vec::new();
    for view in ops::campaigns::list(&state.store, &page.actor).await? {
        for p in &view.phases {
            let chased = view.campaign.status.chases_phase(p.phase.number);
            if !chased || !matches!(p.urgency, Urgency::Overdue | Urgency::DueSoon) {
                continue;
            }
            let (urgency, urgency_key) = super::campaigns::urgency_of(p);
            out.push(Deadline {
                campaign_id: view.campaign.id,
                campaign: view.campaign.name.clone(),
                phase: p.phase.number,
                phase_key: super::campaigns::phase_key(p.phase.key),
                due_on: p.phase.due_on,
                urgency,
                urgency_key,
            });
        }
    }
    out.sort_by_key(|d| d.due_on);
    Ok(out)
}
