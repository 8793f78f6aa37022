//! Blockers (卡点) of a campaign, management's escalations, and the script
//! library (话术).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use chrono::NaiveDate;
use serde::Deserialize;

use super::blocker_status_key;
use crate::app::AppState;
use crate::domain::campaign::CampaignKind;
use crate::ops::authz::Permission;
use crate::ops::execution::blockers::Act;
use crate::ops::execution::scripts::ScriptInput;
use crate::ops::{self, OpsError};
use crate::store::campaigns::Campaign;
use crate::store::execution::blockers::Blocker;
use crate::web::pages::{Page, PageForm, PageResult, Shell, flash_from, parse_id, render};

pub struct BlockerLine {
    pub id: i64,
    pub text: String,
    pub customer: Option<(String, String)>,
    pub raised: String,
    pub status_key: &'static str,
    pub status: &'static str,
    pub decision: String,
    pub reply_by: String,
    pub answer: String,
    pub can_decide: bool,
    pub can_escalate: bool,
    pub can_answer: bool,
}

fn line(page: &Page, b: Blocker) -> BlockerLine {
    use crate::domain::execution::blockers::{BlockerAct, can};
    let run = page.can(Permission::RunCampaigns);
    BlockerLine {
        id: b.id,
        customer: b
            .customer_id
            .zip(b.customer_name)
            .map(|(id, name)| (format!("/campaigns/{}/members/{id}", b.campaign_id), name)),
        text: b.text,
        raised: format!("{} · {}", b.raised_by_name.unwrap_or_default(), super::short_time(b.created_at)),
        status_key: blocker_status_key(b.status),
        status: b.status.as_str(),
        decision: b.decision,
        reply_by: b.reply_by.map(|d| d.to_string()).unwrap_or_default(),
        answer: b.answer,
        can_decide: run && can(BlockerAct::Decide, b.status),
        can_escalate: run && can(BlockerAct::Escalate, b.status),
        can_answer: page.can(Permission::AnswerEscalations) && can(BlockerAct::Answer, b.status),
    }
}

#[derive(Template)]
#[template(path = "blockers.html")]
struct BlockersPage {
    shell: Shell,
    c: Campaign,
    tab: &'static str,
    rows: Vec<BlockerLine>,
    can_raise: bool,
    today: String,
}

#[derive(Deserialize, Default)]
pub struct OkQuery {
    ok: Option<String>,
}

pub async fn of_campaign(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Query(q): Query<OkQuery>,
) -> PageResult {
    let id = parse_id(&id)?;
    let c = ops::campaigns::readable(&state.store, &page.actor, id).await?;
    let rows = ops::execution::blockers::of_campaign(&state.store, &page.actor, id, false)
        .await?
        .into_iter()
        .map(|b| line(&page, b))
        .collect();
    let mut shell = page.shell("blockers.title", "/campaigns").with_flash(flash_from(page.t, q.ok.as_deref()));
    shell.title = format!("{} · {}", c.name, shell.t.get("blockers.title"));
    let today = state.store.today().to_string();
    Ok(render(
        StatusCode::OK,
        &BlockersPage { shell, c, tab: "blockers", rows, can_raise: page.can(Permission::RaiseBlockers), today },
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RaiseForm {
    text: String,
}

pub async fn raise(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    PageForm(f): PageForm<RaiseForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    ops::execution::blockers::raise(&state.store, &page.actor, id, None, &f.text).await?;
    Ok(Redirect::to(&format!("/campaigns/{id}/blockers?ok=blocker.raised")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ActForm {
    /// decide, escalate or answer.
    act: String,
    text: String,
    reply_by: String,
    back: String,
}

pub async fn act(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    PageForm(f): PageForm<ActForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    if !page.can(Permission::RunCampaigns) && !page.can(Permission::AnswerEscalations) {
        return Err(OpsError::Forbidden.into());
    }
    ops::execution::blockers::get(&state.store, &page.actor, id).await?;
    let act = match f.act.as_str() {
        "decide" => Act::Decide { decision: f.text.clone() },
        "escalate" => Act::Escalate { reply_by: NaiveDate::parse_from_str(f.reply_by.trim(), "%Y-%m-%d").ok() },
        "answer" => Act::Answer { answer: f.text.clone() },
        _ => return Err(OpsError::invalid("act", "decide, escalate or answer").into()),
    };
    let b = ops::execution::blockers::act(&state.store, &page.actor, id, act, None).await?;
    let back = if f.back == "home" { "/".to_owned() } else { format!("/campaigns/{}/blockers", b.campaign_id) };
    Ok(Redirect::to(&format!("{back}?ok=blocker.updated")).into_response())
}

pub struct ScriptLine {
    pub id: i64,
    pub objection: bool,
    pub title: String,
    pub body: String,
    pub pain_points: String,
    pub industries: String,
    pub kinds: String,
    pub version: i64,
}

#[derive(Template)]
#[template(path = "scripts.html")]
struct ScriptsPage {
    shell: Shell,
    rows: Vec<ScriptLine>,
    can_edit: bool,
    kinds: Vec<(&'static str, &'static str)>,
}

pub async fn scripts(State(state): State<AppState>, page: Page, Query(q): Query<OkQuery>) -> PageResult {
    let rows = ops::execution::scripts::list(&state.store, &page.actor)
        .await?
        .into_iter()
        .map(|s| ScriptLine {
            id: s.id,
            objection: s.kind == "objection",
            title: s.title,
            body: s.body,
            pain_points: s.pain_points.join("、"),
            industries: s.industries.join("、"),
            kinds: s.campaign_kinds.join("、"),
            version: s.version,
        })
        .collect();
    let shell = page.shell("scripts.title", "/scripts").with_flash(flash_from(page.t, q.ok.as_deref()));
    let kinds = CampaignKind::ALL.iter().map(|k| (k.as_str(), crate::web::pages::campaigns::kind_key(*k))).collect();
    Ok(render(StatusCode::OK, &ScriptsPage { shell, rows, can_edit: page.can(Permission::EditScripts), kinds }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ScriptForm {
    kind: String,
    title: String,
    body: String,
    pain_points: String,
    industries: String,
    campaign_kind: String,
    version: String,
}

impl ScriptForm {
    fn input(&self) -> ScriptInput {
        let list = |s: &str| crate::io::values::split_list(s);
        ScriptInput {
            kind: Some(self.kind.clone()),
            title: Some(self.title.clone()),
            body: Some(self.body.clone()),
            pain_points: Some(list(&self.pain_points)),
            industries: Some(list(&self.industries)),
            campaign_kinds: Some(list(&self.campaign_kind)),
        }
    }
}

pub async fn create_script(State(state): State<AppState>, page: Page, PageForm(f): PageForm<ScriptForm>) -> PageResult {
    page.require(Permission::EditScripts)?;
    ops::execution::scripts::create(&state.store, &page.actor, f.input()).await?;
    Ok(Redirect::to("/scripts?ok=scripts.saved").into_response())
}

pub async fn update_script(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    PageForm(f): PageForm<ScriptForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    page.require(Permission::EditScripts)?;
    let version = f.version.trim().parse().ok();
    ops::execution::scripts::update(&state.store, &page.actor, id, version, f.input()).await?;
    Ok(Redirect::to("/scripts?ok=scripts.saved").into_response())
}

pub async fn delete_script(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&id)?;
    ops::execution::scripts::delete(&state.store, &page.actor, id).await?;
    Ok(Redirect::to("/scripts?ok=scripts.deleted").into_response())
}
