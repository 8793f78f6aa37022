//! A rep's day (今日跟进): the rep's home on phone and desk. Tasks and next
//! actions due today or overdue, and new members, in outreach order; each
//! row opens the member's follow-up form. A lead opens any rep's day.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::Deserialize;

use super::{action_key, stage_key};
use crate::app::AppState;
use crate::domain::team::Role;
use crate::ops;
use crate::ops::authz::Permission;
use crate::ops::execution::reports::{Day, DayRow, Why};
use crate::web::i18n::Texts;
use crate::web::pages::{Page, PageResult, Shell, flash_from, render};

/// One row of the day, ready to show.
pub struct DayLine {
    pub href: String,
    pub customer: String,
    pub campaign: String,
    pub tier: String,
    pub stage_key: &'static str,
    pub reasons: Vec<String>,
    pub due: String,
    pub overdue: bool,
}

/// The day's lists as the day page and a rep's dashboard show them.
pub struct DaySection {
    pub rows: Vec<DayLine>,
    /// How many more are due beyond `rows`.
    pub more: usize,
    pub upcoming: Vec<DayLine>,
    /// (campaign id, item) of the rep's delivered collateral gone stale.
    pub stale: Vec<(i64, String)>,
}

fn due_text(t: &Texts, due: NaiveDate, today: NaiveDate) -> String {
    let days = (today - due).num_days();
    match days {
        d if d > 0 => t.fill_count("day.overdue_days", d, &[("days", &d.to_string())]),
        0 => t.get("day.due_today").to_owned(),
        _ => t.fill("day.due_on", &[("date", &due.format("%m-%d").to_string())]),
    }
}

fn line(t: &Texts, r: DayRow, today: NaiveDate) -> DayLine {
    let overdue = r.overdue();
    let reasons = r
        .why
        .iter()
        .map(|w| match w {
            // The step's text names its action (电话沟通：…); the label is for steps without text.
            Why::Task { action, what, .. } if what.is_empty() => t.get(action_key(action)).to_owned(),
            Why::Task { what, .. } => what.clone(),
            Why::NextAction { at, what, .. } => {
                let at = at.as_deref().map(|a| format!(" {a}")).unwrap_or_default();
                t.fill("day.next_action", &[("what", what), ("at", &at)])
            }
            Why::New => t.get("day.new_member").to_owned(),
        })
        .collect();
    let m = r.member;
    DayLine {
        href: format!("/campaigns/{}/members/{}", m.campaign_id, m.customer_id),
        customer: m.customer_name,
        campaign: m.campaign_name,
        tier: m.tier,
        stage_key: stage_key(m.stage),
        reasons,
        due: due_text(t, r.due_on, today),
        overdue,
    }
}

pub fn section(t: &Texts, d: Day) -> DaySection {
    let today = d.today;
    DaySection {
        rows: d.rows.into_iter().map(|r| line(t, r, today)).collect(),
        more: d.more,
        upcoming: d.upcoming.into_iter().map(|r| line(t, r, today)).collect(),
        stale: d.stale_requests.into_iter().map(|r| (r.campaign_id, r.item)).collect(),
    }
}

#[derive(Template)]
#[template(path = "day.html")]
struct DayPage {
    shell: Shell,
    heading: String,
    day: DaySection,
    reps: Vec<(String, String)>,
    rep: String,
}

#[derive(Deserialize, Default)]
pub struct DayQuery {
    rep: Option<String>,
    ok: Option<String>,
}

pub async fn page(State(state): State<AppState>, page: Page, Query(q): Query<DayQuery>) -> PageResult {
    let lead = page.can(Permission::RunCampaigns);
    let team = ops::team::directory(&state.store, &page.actor).await?;
    let reps: Vec<(String, String)> = if lead {
        team.active_with(&[Role::Rep]).map(|u| (u.email.clone(), u.name.clone())).collect()
    } else {
        Vec::new()
    };
    // A lead with no rep chosen sees the first rep's day.
    let rep = match q.rep.as_deref().filter(|r| !r.is_empty()) {
        Some(r) => r.to_owned(),
        None if page.actor.role == Role::Rep => page.actor.email.clone(),
        None => reps.first().map(|r| r.0.clone()).unwrap_or_default(),
    };
    let d = ops::execution::reports::day(&state.store, &page.actor, Some(&rep)).await?;
    let shell = page.shell("day.title", "/day").with_flash(flash_from(page.t, q.ok.as_deref()));
    let heading = if d.rep.id == page.actor.id {
        shell.t.get("day.title").to_owned()
    } else {
        shell.t.fill("day.title_of", &[("name", &d.rep.name)])
    };
    let day = section(shell.t, d);
    Ok(render(StatusCode::OK, &DayPage { shell, heading, day, reps, rep }))
}
