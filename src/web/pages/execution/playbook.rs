//! The tier playbook of a campaign (the lead edits it; open tasks are
//! re-planned) and the execution spreadsheets (template 3, the target list).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use chrono::NaiveDate;
use serde::Deserialize;

use super::action_key;
use crate::app::AppState;
use crate::domain::execution::playbook::{Action, Step};
use crate::domain::segment::Tier;
use crate::ops;
use crate::ops::authz::Permission;
use crate::store::campaigns::Campaign;
use crate::web::pages::{Page, PageResult, Shell, flash_from, parse_id, render};

pub struct StepLine {
    pub tier: String,
    pub action: String,
    pub action_key: &'static str,
    pub within_days: u32,
    pub what: String,
}

#[derive(Template)]
#[template(path = "playbook.html")]
struct PlaybookPage {
    shell: Shell,
    c: Campaign,
    tab: &'static str,
    steps: Vec<StepLine>,
    default: bool,
    can_edit: bool,
    actions: Vec<(&'static str, &'static str)>,
}

#[derive(Deserialize, Default)]
pub struct OkQuery {
    ok: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Query(q): Query<OkQuery>,
) -> PageResult {
    let id = parse_id(&id)?;
    let c = ops::campaigns::readable(&state.store, &page.actor, id).await?;
    let (steps, default) = ops::execution::tasks::playbook(&state.store, &page.actor, id).await?;
    let mut steps: Vec<StepLine> = steps
        .into_iter()
        .map(|s| StepLine {
            tier: s.tier.as_str().to_owned(),
            action: s.action.as_str().to_owned(),
            action_key: action_key(s.action.as_str()),
            within_days: s.within_days,
            what: s.what,
        })
        .collect();
    let can_edit = page.can(Permission::RunCampaigns);
    if can_edit {
        // One empty line to add a step.
        steps.push(StepLine {
            tier: String::new(),
            action: "phone".to_owned(),
            action_key: "action.phone",
            within_days: 1,
            what: String::new(),
        });
    }
    let mut shell = page.shell("playbook.title", "/campaigns").with_flash(flash_from(page.t, q.ok.as_deref()));
    shell.title = format!("{} · {}", c.name, shell.t.get("playbook.title"));
    let actions = Action::ALL.iter().map(|a| (a.as_str(), action_key(a.as_str()))).collect();
    Ok(render(StatusCode::OK, &PlaybookPage { shell, c, tab: "playbook", steps, default, can_edit, actions }))
}

/// The playbook form: parallel lists, one entry per row (blank rows dropped).
pub async fn save(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> PageResult {
    let id = parse_id(&id)?;
    page.require(Permission::RunCampaigns)?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let values = |name: &str| pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect::<Vec<_>>();
    let (tiers, actions, days, whats) = (values("tier"), values("action"), values("within_days"), values("what"));
    let mut steps = Vec::new();
    for (i, tier) in tiers.iter().enumerate() {
        let what = whats.get(i).cloned().unwrap_or_default();
        if tier.is_empty() && what.trim().is_empty() {
            continue;
        }
        let bad = |m: &str| ops::OpsError::invalid("steps", format!("steps[{i}]: {m}"));
        let tier: Tier = tier.parse().map_err(|()| bad("tier is S, B or C"))?;
        let action: Action =
            actions.get(i).map(String::as_str).unwrap_or("").parse().map_err(|_| bad("unknown action"))?;
        let within_days: u32 =
            days.get(i).and_then(|d| d.trim().parse().ok()).ok_or_else(|| bad("working days is a number"))?;
        steps.push(Step { tier, action, within_days, what });
    }
    ops::execution::tasks::set_playbook(&state.store, &page.actor, id, steps).await?;
    Ok(Redirect::to(&format!("/campaigns/{id}/playbook?ok=playbook.saved")).into_response())
}

#[derive(Deserialize, Default)]
pub struct ExportQuery {
    rep: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// Template 3 (客户跟进记录表) for a rep and a date range.
pub async fn export_follow_ups(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Query(q): Query<ExportQuery>,
) -> PageResult {
    let id = parse_id(&id)?;
    let date = |v: Option<&str>| {
        v.map(str::trim).filter(|s| !s.is_empty()).and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
    };
    let filter = ops::execution::export::FollowUpFilter {
        rep_email: q.rep.filter(|r| !r.is_empty()),
        from: date(q.from.as_deref()),
        to: date(q.to.as_deref()),
    };
    let (name, bytes) = ops::execution::export::follow_ups_xlsx(&state.store, &page.actor, id, filter).await?;
    Ok(crate::web::api::execution_download(&name, crate::web::api::imports::XLSX_MIME, bytes))
}

#[derive(Deserialize, Default)]
pub struct FormatQuery {
    format: Option<String>,
}

/// The target list with stages as XLSX or CSV.
pub async fn export_members(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Query(q): Query<FormatQuery>,
) -> PageResult {
    let id = parse_id(&id)?;
    let format = q.format.as_deref().unwrap_or("xlsx");
    let (name, content_type, bytes) = ops::execution::export::members(&state.store, &page.actor, id, format).await?;
    Ok(crate::web::api::execution_download(&name, content_type, bytes))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReassignForm {
    tier: String,
    stage: String,
    from_email: String,
    to_email: String,
}

/// A lead's bulk reassignment from the target list.
pub async fn reassign(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    crate::web::pages::PageForm(f): crate::web::pages::PageForm<ReassignForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    page.require(Permission::RunCampaigns)?;
    let stage = match f.stage.trim() {
        "" => None,
        s => Some(
            s.parse()
                .map_err(|e: crate::domain::execution::UnknownCode| ops::OpsError::invalid("stage", e.to_string()))?,
        ),
    };
    let assignee_id = match f.from_email.trim() {
        "" => None,
        "pool" => Some(None),
        e => Some(Some(ops::execution::member_of_team(&state.store, &page.actor, "from_email", e).await?)),
    };
    let filter = crate::store::execution::MemberFilter {
        tier: Some(f.tier.clone()).filter(|t| !t.is_empty()),
        stage,
        region: None,
        assignee_id,
        customer_ids: None,
    };
    let n =
        ops::execution::members::reassign_matching(&state.store, &page.actor, id, filter, Some(&f.to_email)).await?;
    Ok(Redirect::to(&format!("/campaigns/{id}/members?moved={n}")).into_response())
}
