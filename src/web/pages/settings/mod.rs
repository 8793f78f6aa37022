//! Team-wide settings (设置) for admins and leads: tier thresholds, phase
//! deadlines and the holiday calendar. Personal settings are in `account`.

pub mod calendar;
pub mod phases;
pub mod tiers;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;

use crate::app::AppState;
use crate::ops;
use crate::web::pages::{Page, PageResult, Shell, TEAM_SETTINGS, render};

#[derive(Template)]
#[template(path = "team_settings.html")]
struct IndexPage {
    shell: Shell,
    regions: Vec<String>,
    can_manage_team: bool,
}

/// 设置: the team-wide settings in one place.
pub async fn index(State(state): State<AppState>, page: Page) -> PageResult {
    let regions = ops::team::regions(&state.store, &page.actor).await?;
    let body = IndexPage {
        shell: page.shell("nav.team_settings", TEAM_SETTINGS),
        regions,
        can_manage_team: page.can(crate::ops::authz::Permission::ManageTeam),
    };
    Ok(render(StatusCode::OK, &body))
}
