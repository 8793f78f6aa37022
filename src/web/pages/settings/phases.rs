//! Phase deadlines in working days (everyone reads, leads and admins change).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use crate::app::AppState;
use crate::domain::campaign::PhaseRules;
use crate::ops::authz::Permission;
use crate::ops::{self, OpsError};
use crate::web::pages::campaigns::OkQuery;
use crate::web::pages::{Page, PageForm, PageResult, Shell, flash_from, render};

pub struct DaysField {
    pub name: &'static str,
    pub label_key: &'static str,
    pub value: u32,
}

#[derive(Template)]
#[template(path = "phase_settings.html")]
struct PhaseSettingsPage {
    shell: Shell,
    fields: Vec<DaysField>,
    can_edit: bool,
}

fn days_fields(r: &PhaseRules) -> Vec<DaysField> {
    vec![
        DaysField {
            name: "kickoff_after_notice",
            label_key: "phases.kickoff_after_notice",
            value: r.kickoff_after_notice,
        },
        DaysField {
            name: "breakdown_after_notice",
            label_key: "phases.breakdown_after_notice",
            value: r.breakdown_after_notice,
        },
        DaysField {
            name: "rollout_after_start",
            label_key: "phases.rollout_after_start",
            value: r.rollout_after_start,
        },
        DaysField { name: "review_after_end", label_key: "phases.review_after_end", value: r.review_after_end },
    ]
}

pub async fn page(State(state): State<AppState>, page: Page, Query(q): Query<OkQuery>) -> PageResult {
    let rules = ops::settings::phase_rules(&state.store).await?;
    let shell = page
        .shell("phases.settings_title", crate::web::pages::TEAM_SETTINGS)
        .with_flash(flash_from(page.t, q.ok.as_deref()));
    let body = PhaseSettingsPage { shell, fields: days_fields(&rules), can_edit: page.can(Permission::ManageSettings) };
    Ok(render(StatusCode::OK, &body))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PhaseForm {
    kickoff_after_notice: String,
    breakdown_after_notice: String,
    rollout_after_start: String,
    review_after_end: String,
}

pub async fn save(State(state): State<AppState>, page: Page, PageForm(f): PageForm<PhaseForm>) -> PageResult {
    page.require(Permission::ManageSettings)?;
    let mut problem = None;
    let mut days = |field: &'static str, raw: &str| {
        raw.trim().parse::<u32>().unwrap_or_else(|_| {
            problem.get_or_insert((field, format!("{raw:?} is not a whole number of working days")));
            0
        })
    };
    let rules = PhaseRules {
        kickoff_after_notice: days("kickoff_after_notice", &f.kickoff_after_notice),
        breakdown_after_notice: days("breakdown_after_notice", &f.breakdown_after_notice),
        rollout_after_start: days("rollout_after_start", &f.rollout_after_start),
        review_after_end: days("review_after_end", &f.review_after_end),
    };
    let result = match problem {
        Some((field, message)) => Err(OpsError::invalid(field, message)),
        None => ops::settings::set_phase_rules(&state.store, &page.actor, rules).await,
    };
    match result {
        Ok(_) => Ok(Redirect::to("/settings/phases?ok=phases.saved").into_response()),
        Err(OpsError::Invalid { field, message }) => {
            let shell = page
                .shell("phases.settings_title", crate::web::pages::TEAM_SETTINGS)
                .with_flash(Some(page.invalid_flash(field, &message)));
            let body = PhaseSettingsPage { shell, fields: days_fields(&rules), can_edit: true };
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &body))
        }
        Err(e) => Err(e.into()),
    }
}
