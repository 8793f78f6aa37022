//! Campaign pages: the list, the plan (template 1, editable and printable),
//! the breakdown (template 2) and the target list.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use super::{Shell, can, error_page, flash_from, render};
use crate::app::AppState;
use crate::domain::campaign::{CampaignKind, CampaignStatus};
use crate::domain::money::format_cny;
use crate::domain::team::Role;
use crate::io::values::parse_amount_fen;
use crate::ops::authz::Permission;
use crate::ops::campaigns::{BreakdownInput, CampaignFields, PhaseStatus};
use crate::ops::{self, OpsError};
use crate::store::campaigns::{Campaign, MemberQuery};
use crate::web::cursor;
use crate::web::error::ApiError;
use crate::web::session::{PageAuth, ResolvedSession};

fn fail(headers: &HeaderMap, s: &ResolvedSession, e: impl Into<ApiError>) -> Response {
    error_page(headers, Some((&s.actor, &s.csrf)), e.into())
}

fn kind_key(kind: &str) -> &'static str {
    match kind {
        "new_product" => "kind.new_product",
        "trade_show" => "kind.trade_show",
        "appreciation" => "kind.appreciation",
        "competitive" => "kind.competitive",
        _ => "kind.other",
    }
}

fn status_key(status: &str) -> &'static str {
    match status {
        "active" => "status.active",
        "ended" => "status.ended",
        "reviewed" => "status.reviewed",
        _ => "status.draft",
    }
}

pub(super) fn phase_key(key: &str) -> &'static str {
    match key {
        "kickoff" => "phase.kickoff",
        "breakdown" => "phase.breakdown",
        "rollout" => "phase.rollout",
        _ => "phase.review",
    }
}

fn milestone_key(key: &str) -> &'static str {
    match key {
        "kickoff_held" => "milestone.kickoff_held",
        "collateral_ready" => "milestone.collateral_ready",
        "full_rollout" => "milestone.full_rollout",
        _ => "milestone.review_held",
    }
}

fn urgency_code(p: &PhaseStatus) -> &'static str {
    use crate::domain::campaign::Urgency;
    match p.urgency {
        Urgency::Done => "done",
        Urgency::Overdue => "overdue",
        Urgency::DueSoon => "due_soon",
        Urgency::OnTrack => "on_track",
    }
}

fn urgency_key(code: &str) -> &'static str {
    match code {
        "done" => "urgency.done",
        "overdue" => "urgency.overdue",
        "due_soon" => "urgency.due_soon",
        _ => "urgency.on_track",
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
        let code = urgency_code(p);
        NextDeadline {
            phase_key: phase_key(p.phase.key),
            due_on: p.phase.due_on,
            urgency: code,
            urgency_key: urgency_key(code),
        }
    })
}

pub struct ListRow {
    pub id: i64,
    pub name: String,
    pub kind_key: &'static str,
    pub status: String,
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

pub async fn list(State(state): State<AppState>, PageAuth(s): PageAuth, headers: HeaderMap) -> Response {
    let campaigns = match ops::campaigns::list(&state.store, &s.actor).await {
        Ok(c) => c,
        Err(e) => return fail(&headers, &s, e),
    };
    let mut rows = Vec::with_capacity(campaigns.len());
    for c in campaigns {
        let phases = match ops::campaigns::get(&state.store, &s.actor, c.id).await {
            Ok(view) => view.phases,
            Err(e) => return fail(&headers, &s, e),
        };
        rows.push(ListRow {
            id: c.id,
            kind_key: kind_key(&c.kind),
            status_key: status_key(&c.status),
            status: c.status,
            name: c.name,
            starts_on: c.starts_on,
            ends_on: c.ends_on,
            next: next_deadline(&phases),
        });
    }
    let shell = Shell::new(&headers, Some(s.actor.clone()), &s.csrf, "campaigns.title", "/campaigns", None);
    render(StatusCode::OK, &ListPage { shell, rows, can_plan: can(&s.actor, Permission::ManageCampaigns) })
}

/// The plan form's values, as text (what the user typed comes back on errors).
#[derive(Deserialize, Default, Clone)]
pub struct PlanForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    theme: String,
    #[serde(default)]
    selling_points: String,
    #[serde(default)]
    segment: String,
    #[serde(default)]
    announced_on: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    #[serde(default)]
    resource_support: String,
    #[serde(default)]
    goal_reached: String,
    #[serde(default)]
    goal_intent: String,
    #[serde(default)]
    goal_orders: String,
    #[serde(default)]
    goal_sales: String,
    #[serde(default)]
    goal_roi: String,
    #[serde(default)]
    lead_email: String,
    #[serde(default)]
    marketing_email: String,
    #[serde(default)]
    service_email: String,
    #[serde(default)]
    collateral_needs: String,
    #[serde(default)]
    training_needs: String,
    #[serde(default)]
    resource_risks: String,
    #[serde(default)]
    budget: String,
    #[serde(default)]
    cost_items: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    version: String,
}

impl PlanForm {
    async fn from_campaign(state: &AppState, c: &Campaign) -> PlanForm {
        let users = state.store.users().await.unwrap_or_default();
        let email =
            |id: Option<i64>| users.iter().find(|u| Some(u.id) == id).map(|u| u.email.clone()).unwrap_or_default();
        let yuan = |fen: i64| if fen == 0 { String::new() } else { (fen / 100).to_string() };
        PlanForm {
            name: c.name.clone(),
            kind: c.kind.clone(),
            status: c.status.clone(),
            theme: c.theme.clone(),
            selling_points: c.selling_points.clone(),
            segment: c.segment.clone(),
            announced_on: c.announced_on.to_string(),
            starts_on: c.starts_on.to_string(),
            ends_on: c.ends_on.to_string(),
            resource_support: c.resource_support.clone(),
            goal_reached: c.goal_reached.to_string(),
            goal_intent: c.goal_intent.to_string(),
            goal_orders: c.goal_orders.to_string(),
            goal_sales: yuan(c.goal_sales_fen),
            goal_roi: if c.goal_roi == 0.0 { String::new() } else { c.goal_roi.to_string() },
            lead_email: email(c.lead_id),
            marketing_email: email(c.marketing_id),
            service_email: email(c.service_id),
            collateral_needs: c.collateral_needs.clone(),
            training_needs: c.training_needs.clone(),
            resource_risks: c.resource_risks.clone(),
            budget: yuan(c.budget_fen),
            cost_items: c.cost_items.clone(),
            notes: c.notes.clone(),
            version: c.version.to_string(),
        }
    }

    /// Every field as given; parse errors name the field.
    fn fields(&self, editing: bool) -> Result<(CampaignFields, Option<i64>), OpsError> {
        let date = |field: &'static str, v: &str| -> Result<Option<NaiveDate>, OpsError> {
            if v.trim().is_empty() {
                return Ok(None);
            }
            NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
                .map(Some)
                .map_err(|_| OpsError::invalid(field, format!("{v:?} is not a date")))
        };
        let int = |field: &'static str, v: &str| -> Result<Option<i64>, OpsError> {
            if v.trim().is_empty() {
                return Ok(Some(0));
            }
            v.trim().parse().map(Some).map_err(|_| OpsError::invalid(field, format!("{v:?} is not a whole number")))
        };
        let money = |field: &'static str, v: &str| -> Result<Option<i64>, OpsError> {
            if v.trim().is_empty() {
                return Ok(Some(0));
            }
            parse_amount_fen(v).map(Some).map_err(|e| OpsError::invalid(field, e.message))
        };
        let roi = if self.goal_roi.trim().is_empty() {
            Some(0.0)
        } else {
            Some(
                self.goal_roi
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| OpsError::invalid("goals.roi", "ROI is a number such as 3"))?,
            )
        };
        let text = |v: &str| Some(v.to_owned());
        let owner = |v: &str| Some(Some(v.to_owned()).filter(|s| !s.is_empty()));
        Ok((
            CampaignFields {
                name: text(&self.name),
                kind: text(&self.kind),
                status: (editing && !self.status.is_empty()).then(|| self.status.clone()),
                theme: text(&self.theme),
                selling_points: text(&self.selling_points),
                segment: text(&self.segment),
                announced_on: date("announced_on", &self.announced_on)?,
                starts_on: date("starts_on", &self.starts_on)?,
                ends_on: date("ends_on", &self.ends_on)?,
                resource_support: text(&self.resource_support),
                goal_reached: int("goals.reached", &self.goal_reached)?,
                goal_intent: int("goals.intent_customers", &self.goal_intent)?,
                goal_orders: int("goals.orders", &self.goal_orders)?,
                goal_sales_fen: money("goals.sales_amount", &self.goal_sales)?,
                goal_roi: roi,
                lead_email: owner(&self.lead_email),
                marketing_email: owner(&self.marketing_email),
                service_email: owner(&self.service_email),
                collateral_needs: text(&self.collateral_needs),
                training_needs: text(&self.training_needs),
                resource_risks: text(&self.resource_risks),
                budget_fen: money("budget", &self.budget)?,
                cost_items: text(&self.cost_items),
                notes: text(&self.notes),
            },
            self.version.trim().parse().ok(),
        ))
    }
}

pub struct OwnerField {
    pub name: &'static str,
    pub label_key: &'static str,
    pub selected: String,
    pub choices: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "campaign_form.html")]
struct FormPage {
    shell: Shell,
    heading: String,
    action: String,
    submit: String,
    f: PlanForm,
    kinds: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    owner_fields: Vec<OwnerField>,
    error: Option<String>,
    stale: Option<String>,
}

/// What the plan form shows above its fields.
enum FormNotice {
    None,
    Error(String),
    /// The campaign as it is now, after a version conflict.
    Stale(String),
}

async fn form_page(
    state: &AppState,
    s: &ResolvedSession,
    headers: &HeaderMap,
    editing: Option<i64>,
    f: PlanForm,
    status: StatusCode,
    notice: FormNotice,
) -> Response {
    let (error, stale) = match notice {
        FormNotice::None => (None, None),
        FormNotice::Error(e) => (Some(e), None),
        FormNotice::Stale(current) => (None, Some(current)),
    };
    let users = state.store.users().await.unwrap_or_default();
    let choices = |roles: &[Role]| -> Vec<(String, String)> {
        users
            .iter()
            .filter(|u| u.active && roles.contains(&u.role))
            .map(|u| (u.email.clone(), format!("{} <{}>", u.name, u.email)))
            .collect()
    };
    let owner_fields = vec![
        OwnerField {
            name: "lead_email",
            label_key: "campaign.lead",
            selected: f.lead_email.clone(),
            choices: choices(&[Role::Lead, Role::Admin]),
        },
        OwnerField {
            name: "marketing_email",
            label_key: "campaign.marketing",
            selected: f.marketing_email.clone(),
            choices: choices(&[Role::Marketing, Role::Lead, Role::Admin]),
        },
        OwnerField {
            name: "service_email",
            label_key: "campaign.service",
            selected: f.service_email.clone(),
            choices: choices(&[Role::Service, Role::Lead, Role::Admin]),
        },
    ];
    let title = if editing.is_some() { "campaign.edit" } else { "campaigns.new" };
    let shell = Shell::new(headers, Some(s.actor.clone()), &s.csrf, title, "/campaigns", None);
    let page = FormPage {
        heading: shell.t.get(title).to_owned(),
        submit: shell.t.get(if editing.is_some() { "campaign.save" } else { "campaign.create" }).to_owned(),
        action: editing.map_or("/campaigns".to_owned(), |id| format!("/campaigns/{id}")),
        kinds: CampaignKind::ALL.iter().map(|k| (k.as_str(), kind_key(k.as_str()))).collect(),
        statuses: if editing.is_some() {
            CampaignStatus::ALL.iter().map(|st| (st.as_str(), status_key(st.as_str()))).collect()
        } else {
            Vec::new()
        },
        shell,
        f,
        owner_fields,
        error,
        stale,
    };
    render(status, &page)
}

pub async fn new_form(State(state): State<AppState>, PageAuth(s): PageAuth, headers: HeaderMap) -> Response {
    if !can(&s.actor, Permission::ManageCampaigns) {
        return fail(&headers, &s, OpsError::Forbidden);
    }
    let today = crate::clock::today().to_string();
    let f = PlanForm {
        kind: "new_product".to_owned(),
        announced_on: today.clone(),
        starts_on: today.clone(),
        ends_on: today,
        lead_email: if s.actor.role == Role::Lead { s.actor.email.clone() } else { String::new() },
        marketing_email: if s.actor.role == Role::Marketing { s.actor.email.clone() } else { String::new() },
        ..PlanForm::default()
    };
    form_page(&state, &s, &headers, None, f, StatusCode::OK, FormNotice::None).await
}

fn invalid_message(t: &crate::web::i18n::Texts, field: &str, message: &str) -> String {
    t.fill("error.invalid", &[("message", &format!("{field}: {message}"))])
}

pub async fn create(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    headers: HeaderMap,
    Form(f): Form<PlanForm>,
) -> Response {
    let t = crate::web::i18n::texts(crate::web::session::request_locale(&headers, Some(&s.actor)));
    let result = match f.fields(false) {
        Ok((fields, _)) => ops::campaigns::create(&state.store, &s.actor, fields).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(id) => Redirect::to(&format!("/campaigns/{id}/members?ok=campaign.created")).into_response(),
        Err(OpsError::Invalid { field, message }) => {
            let error = FormNotice::Error(invalid_message(t, field, &message));
            form_page(&state, &s, &headers, None, f, StatusCode::UNPROCESSABLE_ENTITY, error).await
        }
        Err(e) => fail(&headers, &s, e),
    }
}

fn parse_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found())
}

pub async fn edit_form(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return fail(&headers, &s, e),
    };
    let c = match ops::campaigns::check_manage(&state.store, &s.actor, id).await {
        Ok(c) => c,
        Err(e) => return fail(&headers, &s, e),
    };
    let f = PlanForm::from_campaign(&state, &c).await;
    form_page(&state, &s, &headers, Some(id), f, StatusCode::OK, FormNotice::None).await
}

pub async fn update(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<PlanForm>,
) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return fail(&headers, &s, e),
    };
    if let Err(e) = ops::campaigns::check_manage(&state.store, &s.actor, id).await {
        return fail(&headers, &s, e);
    }
    let t = crate::web::i18n::texts(crate::web::session::request_locale(&headers, Some(&s.actor)));
    let result = match f.fields(true) {
        // The form always names the version it was rendered from.
        Ok((fields, version)) => {
            ops::campaigns::update(&state.store, &s.actor, id, Some(version.unwrap_or(0)), fields).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Redirect::to(&format!("/campaigns/{id}?ok=campaign.saved")).into_response(),
        Err(OpsError::Invalid { field, message }) => {
            let error = FormNotice::Error(invalid_message(t, field, &message));
            form_page(&state, &s, &headers, Some(id), f, StatusCode::UNPROCESSABLE_ENTITY, error).await
        }
        Err(OpsError::Stale { current, .. }) => {
            let shown = serde_json::to_string_pretty(&current).unwrap_or_default();
            let mut fresh = f.clone();
            if let Some(v) = current["version"].as_i64() {
                fresh.version = v.to_string();
            }
            form_page(&state, &s, &headers, Some(id), fresh, StatusCode::CONFLICT, FormNotice::Stale(shown)).await
        }
        Err(e) => fail(&headers, &s, e),
    }
}

pub struct PhaseRow {
    pub number: u8,
    pub phase_key: &'static str,
    pub due_on: NaiveDate,
    pub urgency: &'static str,
    pub urgency_key: &'static str,
    pub milestone: &'static str,
    pub milestone_key: &'static str,
    pub planned_on: String,
    pub done_on: String,
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct PlanPage {
    shell: Shell,
    c: Campaign,
    tab: &'static str,
    kind_key: &'static str,
    status_key: &'static str,
    phases: Vec<PhaseRow>,
    assumed: Option<String>,
    sales: String,
    budget: String,
    owners: (String, String, String),
    can_plan: bool,
}

#[derive(Deserialize)]
pub struct OkQuery {
    ok: Option<String>,
}

pub async fn plan(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<OkQuery>,
) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return fail(&headers, &s, e),
    };
    let view = match ops::campaigns::get(&state.store, &s.actor, id).await {
        Ok(v) => v,
        Err(e) => return fail(&headers, &s, e),
    };
    let mut shell = Shell::new(&headers, Some(s.actor.clone()), &s.csrf, "campaign.tab_plan", "/campaigns", None);
    shell.flash = flash_from(shell.t, q.ok.as_deref());
    shell.title = view.campaign.name.clone();
    let mut assumed_years: Vec<i32> = view.phases.iter().flat_map(|p| p.phase.assumed_years.clone()).collect();
    assumed_years.sort_unstable();
    assumed_years.dedup();
    let assumed = (!assumed_years.is_empty()).then(|| {
        let years: Vec<String> = assumed_years.iter().map(i32::to_string).collect();
        shell.t.fill("phases.assumed", &[("years", &years.join("、"))])
    });
    let users = state.store.users().await.unwrap_or_default();
    let name = |uid: Option<i64>| {
        users.iter().find(|u| Some(u.id) == uid).map(|u| u.name.clone()).unwrap_or_else(|| "—".to_owned())
    };
    let c = view.campaign;
    let phases = view
        .phases
        .iter()
        .map(|p| {
            let code = urgency_code(p);
            PhaseRow {
                number: p.phase.number,
                phase_key: phase_key(p.phase.key),
                due_on: p.phase.due_on,
                urgency: code,
                urgency_key: urgency_key(code),
                milestone: p.milestone,
                milestone_key: milestone_key(p.milestone),
                planned_on: p.planned_on.map(|d| d.to_string()).unwrap_or_default(),
                done_on: p.done_on.map(|d| d.to_string()).unwrap_or_default(),
            }
        })
        .collect();
    let page = PlanPage {
        shell,
        tab: "plan",
        kind_key: kind_key(&c.kind),
        status_key: status_key(&c.status),
        phases,
        assumed,
        sales: format_cny(c.goal_sales_fen),
        budget: format_cny(c.budget_fen),
        owners: (name(c.lead_id), name(c.marketing_id), name(c.service_id)),
        can_plan: can(&s.actor, Permission::ManageCampaigns),
        c,
    };
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct MilestoneForm {
    #[serde(default)]
    planned_on: String,
    #[serde(default)]
    done_on: String,
}

pub async fn set_milestone(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    headers: HeaderMap,
    Path((id, key)): Path<(String, String)>,
    Form(f): Form<MilestoneForm>,
) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return fail(&headers, &s, e),
    };
    let date = |v: &str| NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok();
    match ops::campaigns::set_milestone(&state.store, &s.actor, id, &key, date(&f.planned_on), date(&f.done_on)).await {
        Ok(()) => Redirect::to(&format!("/campaigns/{id}?ok=campaign.saved")).into_response(),
        Err(e) => fail(&headers, &s, e),
    }
}

pub struct BreakdownLine {
    pub assignee_email: String,
    pub assignee_name: String,
    pub region: String,
    pub target_customers: i64,
    pub conversion_percent: String,
    pub sales: String,
    pub key_customers: String,
    pub resource_needs: String,
}

pub struct CheckLine {
    pub measure_key: &'static str,
    pub implied: String,
    pub historical: String,
    pub basis: Option<String>,
    pub verdict: &'static str,
    pub verdict_key: &'static str,
}

#[derive(Template)]
#[template(path = "campaign_breakdown.html")]
struct BreakdownPage {
    shell: Shell,
    c: Campaign,
    tab: &'static str,
    rows: Vec<BreakdownLine>,
    reps: Vec<(String, String)>,
    checks: Vec<CheckLine>,
    proposed: bool,
    total: i64,
    total_label: String,
    can_plan: bool,
}

fn percent(v: f64) -> String {
    let p = (v * 1000.0).round() / 10.0;
    if p.fract() == 0.0 { format!("{p:.0}") } else { format!("{p:.1}") }
}

async fn breakdown_page(
    state: &AppState,
    s: &ResolvedSession,
    headers: &HeaderMap,
    id: i64,
    status: StatusCode,
    override_rows: Option<Vec<BreakdownLine>>,
    flash: Option<super::Flash>,
) -> Response {
    let c = match state.store.campaign(id).await {
        Ok(Some(c)) => c,
        Ok(None) => return fail(headers, s, ApiError::not_found()),
        Err(e) => return fail(headers, s, OpsError::from(e)),
    };
    let view = match ops::campaigns::breakdown(&state.store, &s.actor, id).await {
        Ok(v) => v,
        Err(e) => return fail(headers, s, e),
    };
    let users = state.store.users().await.unwrap_or_default();
    let reps: Vec<(String, String)> = users
        .iter()
        .filter(|u| u.role == Role::Rep && u.active)
        .map(|u| (u.email.clone(), format!("{} · {}", u.name, u.region.clone().unwrap_or_default())))
        .collect();
    let name_of = |email: &Option<String>| {
        email.as_ref().and_then(|e| users.iter().find(|u| &u.email == e)).map(|u| u.name.clone()).unwrap_or_default()
    };
    let mut shell = Shell::new(headers, Some(s.actor.clone()), &s.csrf, "breakdown.title", "/campaigns", flash);
    shell.title = format!("{} · {}", c.name, shell.t.get("breakdown.title"));
    let rows = override_rows.unwrap_or_else(|| {
        view.rows
            .iter()
            .map(|r| BreakdownLine {
                assignee_email: r.assignee_email.clone().unwrap_or_default(),
                assignee_name: name_of(&r.assignee_email),
                region: r.region.clone(),
                target_customers: r.target_customers,
                conversion_percent: percent(r.expected_conversion),
                sales: (r.sales_target_fen / 100).to_string(),
                key_customers: r.key_customers.clone(),
                resource_needs: r.resource_needs.clone(),
            })
            .collect()
    });
    let checks = view
        .checks
        .iter()
        .map(|ch| {
            let verdict =
                serde_json::to_value(&ch.verdict).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
            let (verdict, verdict_key) = match verdict.as_str() {
                "too_high" => ("too_high", "verdict.too_high"),
                "too_low" => ("too_low", "verdict.too_low"),
                "realistic" => ("realistic", "verdict.realistic"),
                _ => ("no_history", "verdict.no_history"),
            };
            CheckLine {
                measure_key: if ch.measure == "intent_rate" { "realism.intent_rate" } else { "realism.conversion" },
                implied: ch.implied.map(|v| format!("{}%", percent(v))).unwrap_or_else(|| "—".to_owned()),
                historical: ch.historical.map(|v| format!("{}%", percent(v))).unwrap_or_else(|| "—".to_owned()),
                basis: ch.history.map(|h| {
                    shell.t.fill(
                        "realism.based_on",
                        &[("campaigns", &h.campaigns.to_string()), ("members", &h.members.to_string())],
                    )
                }),
                verdict,
                verdict_key,
            }
        })
        .collect();
    let total = rows.iter().map(|r| r.target_customers).sum();
    let total_label = shell.t.fill("breakdown.total", &[("goal", &c.goal_intent.to_string())]);
    let page = BreakdownPage {
        shell,
        tab: "breakdown",
        rows,
        reps,
        checks,
        proposed: view.proposed,
        total,
        total_label,
        can_plan: can(&s.actor, Permission::ManageCampaigns),
        c,
    };
    render(status, &page)
}

pub async fn breakdown(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<OkQuery>,
) -> Response {
    match parse_id(&id) {
        Ok(id) => {
            let t = crate::web::i18n::texts(crate::web::session::request_locale(&headers, Some(&s.actor)));
            let flash = flash_from(t, q.ok.as_deref());
            breakdown_page(&state, &s, &headers, id, StatusCode::OK, None, flash).await
        }
        Err(e) => fail(&headers, &s, e),
    }
}

/// Repeated fields come in row order; gather them column by column.
fn column<'a>(pairs: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
}

pub async fn save_breakdown(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return fail(&headers, &s, e),
    };
    if let Err(e) = ops::campaigns::check_manage(&state.store, &s.actor, id).await {
        return fail(&headers, &s, e);
    }
    let emails = column(&pairs, "assignee_email");
    let regions = column(&pairs, "region");
    let targets = column(&pairs, "target_customers");
    let conversions = column(&pairs, "expected_conversion");
    let sales = column(&pairs, "sales_target");
    let keys = column(&pairs, "key_customers");
    let needs = column(&pairs, "resource_needs");
    let cell = |col: &[&str], i: usize| col.get(i).copied().unwrap_or("").to_owned();
    let mut lines = Vec::new();
    let mut inputs = Vec::new();
    let mut problem: Option<(&'static str, String)> = None;
    for i in 0..emails.len() {
        let target = cell(&targets, i).trim().parse::<i64>();
        let conversion_text = cell(&conversions, i);
        let conversion = conversion_text.trim().trim_end_matches(['%', '％']).trim().parse::<f64>().map(|v| v / 100.0);
        let sales_fen = if cell(&sales, i).trim().is_empty() {
            Ok(0)
        } else {
            parse_amount_fen(&cell(&sales, i)).map_err(|e| e.message)
        };
        if problem.is_none() {
            if target.is_err() {
                problem =
                    Some(("target_customers", format!("row {}: {:?} is not a whole number", i + 1, cell(&targets, i))));
            } else if conversion.is_err() {
                problem =
                    Some(("expected_conversion", format!("row {}: {conversion_text:?} is not a percentage", i + 1)));
            } else if let Err(m) = &sales_fen {
                problem = Some(("sales_target", format!("row {}: {m}", i + 1)));
            }
        }
        lines.push(BreakdownLine {
            assignee_email: cell(&emails, i),
            assignee_name: String::new(),
            region: cell(&regions, i),
            target_customers: target.clone().unwrap_or(0),
            conversion_percent: conversion_text.trim().trim_end_matches(['%', '％']).to_owned(),
            sales: cell(&sales, i),
            key_customers: cell(&keys, i),
            resource_needs: cell(&needs, i),
        });
        inputs.push(BreakdownInput {
            assignee_email: Some(cell(&emails, i)).filter(|e| !e.is_empty()),
            region: cell(&regions, i),
            target_customers: target.unwrap_or(0),
            expected_conversion: conversion.unwrap_or(0.0),
            sales_target_fen: sales_fen.unwrap_or(0),
            key_customers: cell(&keys, i),
            resource_needs: cell(&needs, i),
        });
    }
    let t = crate::web::i18n::texts(crate::web::session::request_locale(&headers, Some(&s.actor)));
    if let Some((field, message)) = problem {
        let flash = Some(super::Flash { kind: "bad", text: invalid_message(t, field, &message) });
        return breakdown_page(&state, &s, &headers, id, StatusCode::UNPROCESSABLE_ENTITY, Some(lines), flash).await;
    }
    match ops::campaigns::save_breakdown(&state.store, &s.actor, id, inputs).await {
        Ok(_) => Redirect::to(&format!("/campaigns/{id}/breakdown?ok=breakdown.saved")).into_response(),
        Err(OpsError::Invalid { field, message }) => {
            let flash = Some(super::Flash { kind: "bad", text: invalid_message(t, field, &message) });
            breakdown_page(&state, &s, &headers, id, StatusCode::UNPROCESSABLE_ENTITY, Some(lines), flash).await
        }
        Err(e) => fail(&headers, &s, e),
    }
}

pub struct CountRow {
    pub name: String,
    pub s: i64,
    pub b: i64,
    pub c: i64,
    pub total: i64,
}

#[derive(Template)]
#[template(path = "campaign_members.html")]
struct MembersPage {
    shell: Shell,
    c: Campaign,
    tab: &'static str,
    counts: Vec<CountRow>,
    members: Vec<crate::store::campaigns::Member>,
    tier: String,
    rep: String,
    reps: Vec<(String, String)>,
    count_text: String,
    next_href: Option<String>,
    can_plan: bool,
    can_import: bool,
    partner_errors: Option<Vec<String>>,
}

#[derive(Deserialize)]
pub struct MembersQuery {
    tier: Option<String>,
    rep: Option<String>,
    cursor: Option<String>,
    ok: Option<String>,
    added: Option<u64>,
    total: Option<i64>,
    /// Set after a partner list: the flash names it.
    partner: Option<String>,
}

const RANK_SPAN: i64 = 1_000_000_000_000;
const MEMBERS_PAGE: i64 = 100;

pub async fn list_members(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<MembersQuery>,
) -> Response {
    match parse_id(&id) {
        Ok(id) => members_page(&state, &s, &headers, id, q, None, StatusCode::OK).await,
        Err(e) => fail(&headers, &s, e),
    }
}

async fn members_page(
    state: &AppState,
    s: &ResolvedSession,
    headers: &HeaderMap,
    id: i64,
    q: MembersQuery,
    partner_errors: Option<Vec<String>>,
    status: StatusCode,
) -> Response {
    let (state, s, headers) = (state.clone(), s.clone(), headers.clone());
    let c = match state.store.campaign(id).await {
        Ok(Some(c)) => c,
        Ok(None) => return fail(&headers, &s, ApiError::not_found()),
        Err(e) => return fail(&headers, &s, OpsError::from(e)),
    };
    let users = state.store.users().await.unwrap_or_default();
    let tier = q.tier.clone().filter(|t| ["S", "B", "C"].contains(&t.as_str()));
    let rep_email = q.rep.clone().unwrap_or_default();
    let rep_id = users.iter().find(|u| u.email == rep_email).map(|u| u.id);
    let after = match q.cursor.as_deref().filter(|c| !c.is_empty()).map(cursor::decode).transpose() {
        Ok(k) => k.map(|k| (i32::try_from(k / RANK_SPAN).unwrap_or(0), k % RANK_SPAN)),
        Err(e) => return fail(&headers, &s, e),
    };
    let query = MemberQuery {
        assignee_id: rep_id,
        tier: tier.clone(),
        after,
        limit: MEMBERS_PAGE + 1,
        ..MemberQuery::default()
    };
    let mut members = match ops::campaigns::members(&state.store, &s.actor, id, query).await {
        Ok(m) => m,
        Err(e) => return fail(&headers, &s, e),
    };
    let counts_raw = ops::campaigns::member_counts(&state.store, &s.actor, id).await.unwrap_or_default();
    let mut counts: Vec<CountRow> = Vec::new();
    for (assignee, t, n) in &counts_raw {
        let name =
            users.iter().find(|u| Some(u.id) == *assignee).map(|u| u.name.clone()).unwrap_or_else(|| "—".to_owned());
        let row = match counts.iter_mut().position(|r| r.name == name) {
            Some(i) => &mut counts[i],
            None => {
                counts.push(CountRow { name, s: 0, b: 0, c: 0, total: 0 });
                let last = counts.len() - 1;
                &mut counts[last]
            }
        };
        match t.as_str() {
            "S" => row.s += n,
            "B" => row.b += n,
            _ => row.c += n,
        }
        row.total += n;
    }
    let matching: i64 = counts_raw
        .iter()
        .filter(|(a, t, _)| tier.as_ref().is_none_or(|want| want == t) && rep_id.is_none_or(|r| *a == Some(r)))
        .map(|(_, _, n)| n)
        .sum();
    let base = format!(
        "/campaigns/{id}/members?tier={}&rep={}",
        tier.clone().unwrap_or_default(),
        crate::web::session::urlencode(&rep_email)
    );
    let next_href = (members.len() as i64 > MEMBERS_PAGE).then(|| {
        members.truncate(usize::try_from(MEMBERS_PAGE).unwrap_or(100));
        let last = members.last().map_or(0, |m| i64::from(m.outreach_rank) * RANK_SPAN + m.customer_id);
        format!("{base}&cursor={}", cursor::encode(last))
    });
    let mut shell = Shell::new(&headers, Some(s.actor.clone()), &s.csrf, "members.title", "/campaigns", None);
    shell.title = format!("{} · {}", c.name, shell.t.get("members.title"));
    shell.flash = match (q.added, q.total) {
        (Some(added), Some(total)) => Some(super::Flash {
            kind: "ok",
            text: shell.t.fill(
                if q.partner.is_some() { "members.partner_added" } else { "members.generated" },
                &[("added", &added.to_string()), ("total", &total.to_string())],
            ),
        }),
        _ => flash_from(shell.t, q.ok.as_deref()),
    };
    let reps = if s.actor.role == Role::Rep {
        Vec::new()
    } else {
        users.iter().filter(|u| u.role == Role::Rep).map(|u| (u.email.clone(), u.name.clone())).collect()
    };
    let count_text = shell.t.fill("members.count", &[("total", &matching.to_string())]);
    let page = MembersPage {
        shell,
        tab: "members",
        counts,
        members,
        tier: tier.unwrap_or_default(),
        rep: rep_email,
        reps,
        count_text,
        next_href,
        can_plan: can(&s.actor, Permission::ManageCampaigns),
        can_import: can(&s.actor, Permission::ManageCampaigns) && can(&s.actor, Permission::WriteCustomers),
        partner_errors,
        c,
    };
    render(status, &page)
}

pub async fn generate(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return fail(&headers, &s, e),
    };
    match ops::campaigns::generate_members(&state.store, &s.actor, id).await {
        Ok((added, total)) => {
            Redirect::to(&format!("/campaigns/{id}/members?added={added}&total={total}")).into_response()
        }
        Err(e) => fail(&headers, &s, e),
    }
}

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

fn days_fields(r: &crate::domain::campaign::PhaseRules) -> Vec<DaysField> {
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

pub async fn phase_settings(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    headers: HeaderMap,
    Query(q): Query<OkQuery>,
) -> Response {
    let rules = match ops::campaigns::phase_rules(&state.store).await {
        Ok(r) => r,
        Err(e) => return fail(&headers, &s, e),
    };
    let mut shell = Shell::new(&headers, Some(s.actor.clone()), &s.csrf, "phases.settings_title", "/settings", None);
    shell.flash = flash_from(shell.t, q.ok.as_deref());
    render(
        StatusCode::OK,
        &PhaseSettingsPage { shell, fields: days_fields(&rules), can_edit: can(&s.actor, Permission::ManageSettings) },
    )
}

#[derive(Deserialize)]
pub struct PhaseForm {
    kickoff_after_notice: u32,
    breakdown_after_notice: u32,
    rollout_after_start: u32,
    review_after_end: u32,
}

pub async fn save_phase_settings(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    headers: HeaderMap,
    Form(f): Form<PhaseForm>,
) -> Response {
    let rules = crate::domain::campaign::PhaseRules {
        kickoff_after_notice: f.kickoff_after_notice,
        breakdown_after_notice: f.breakdown_after_notice,
        rollout_after_start: f.rollout_after_start,
        review_after_end: f.review_after_end,
    };
    match ops::campaigns::set_phase_rules(&state.store, &s.actor, rules).await {
        Ok(_) => Redirect::to("/settings/phases?ok=phases.saved").into_response(),
        Err(OpsError::Invalid { field, message }) => {
            let mut shell =
                Shell::new(&headers, Some(s.actor.clone()), &s.csrf, "phases.settings_title", "/settings", None);
            shell.flash = Some(super::Flash { kind: "bad", text: invalid_message(shell.t, field, &message) });
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &PhaseSettingsPage { shell, fields: days_fields(&rules), can_edit: true },
            )
        }
        Err(e) => fail(&headers, &s, e),
    }
}

/// The partner-list upload (multipart; its CSRF token rides in the URL).
pub async fn import_partner_list(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return fail(&headers, &s, e),
    };
    let _slot = match state.imports.enter(s.actor.id) {
        Ok(slot) => slot,
        Err(busy) => return fail(&headers, &s, crate::web::api::imports::busy_error(busy)),
    };
    let Ok(mut multipart) = multipart else {
        return fail(&headers, &s, OpsError::invalid("file", "send the form with its file"));
    };
    let (mut partner, mut partial, mut file, mut name) = (String::new(), false, Vec::new(), None);
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => match field.name().unwrap_or_default() {
                "partner" => partner = field.text().await.unwrap_or_default(),
                "partial" => partial = field.text().await.unwrap_or_default() == "true",
                "file" => {
                    name = field.file_name().map(str::to_owned);
                    file = field.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
                }
                _ => {}
            },
            Ok(None) => break,
            Err(_) => return fail(&headers, &s, OpsError::invalid("file", "the upload was cut short; send it again")),
        }
    }
    let upload = crate::ops::import::Upload { bytes: &file, file_name: name.as_deref(), content_type: None };
    match ops::campaigns::import_partner_list(&state.store, &s.actor, id, &partner, upload, partial).await {
        Ok(outcome) if outcome.report.status == crate::ops::import::ImportStatus::Rejected => {
            let problems: Vec<String> = outcome
                .report
                .errors
                .iter()
                .take(50)
                .map(|e| format!("第 {} 行 · {}：{}", e.row, e.column, e.message))
                .collect();
            let q =
                MembersQuery { tier: None, rep: None, cursor: None, ok: None, added: None, total: None, partner: None };
            members_page(&state, &s, &headers, id, q, Some(problems), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Ok(outcome) => {
            Redirect::to(&format!("/campaigns/{id}/members?added={}&total={}&partner=1", outcome.added, outcome.total))
                .into_response()
        }
        Err(crate::ops::import::ImportError::Ops(e)) => fail(&headers, &s, e),
        Err(e) => fail(&headers, &s, crate::web::api::imports::import_error(e)),
    }
}

#[derive(Deserialize)]
pub struct TemplateQuery {
    template: Option<String>,
}

/// Downloads template 1 or 2 for the signed-in person.
pub async fn export(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<TemplateQuery>,
) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return fail(&headers, &s, e),
    };
    match ops::campaigns::export_template(&state.store, &s.actor, id, q.template.as_deref().unwrap_or("plan")).await {
        Ok((name, bytes)) => crate::web::api::campaigns::xlsx_response(&name, bytes),
        Err(e) => fail(&headers, &s, e),
    }
}

pub struct YearRow {
    pub year: i32,
    pub covered: bool,
    pub source: String,
    pub holidays: String,
}

#[derive(Template)]
#[template(path = "calendar_settings.html")]
struct CalendarPage {
    shell: Shell,
    years: Vec<YearRow>,
    can_import: bool,
}

async fn calendar_page(
    state: &AppState,
    s: &ResolvedSession,
    headers: &HeaderMap,
    status: StatusCode,
    flash: Option<super::Flash>,
) -> Response {
    let cal = match ops::campaigns::calendar(&state.store).await {
        Ok(c) => c,
        Err(e) => return fail(headers, s, e),
    };
    let years = cal
        .years()
        .into_iter()
        .map(|year| {
            let schedule = cal.year(year);
            YearRow {
                year,
                covered: cal.covers(year),
                source: schedule.and_then(|y| y.source.as_ref()).map(|src| src.title.clone()).unwrap_or_default(),
                holidays: schedule
                    .map(|y| y.blocks.iter().map(|b| b.name.clone()).collect::<Vec<_>>().join("、"))
                    .unwrap_or_default(),
            }
        })
        .collect();
    let shell = Shell::new(headers, Some(s.actor.clone()), &s.csrf, "calendar.title", "/settings", flash);
    render(status, &CalendarPage { shell, years, can_import: can(&s.actor, Permission::ManageCalendar) })
}

pub async fn calendar_settings(State(state): State<AppState>, PageAuth(s): PageAuth, headers: HeaderMap) -> Response {
    calendar_page(&state, &s, &headers, StatusCode::OK, None).await
}

/// An admin uploads a newly announced year (multipart; CSRF token in the URL).
pub async fn import_calendar(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    headers: HeaderMap,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    if !can(&s.actor, Permission::ManageCalendar) {
        return fail(&headers, &s, OpsError::Forbidden);
    }
    let mut text = String::new();
    if let Ok(mut multipart) = multipart {
        while let Ok(Some(field)) = multipart.next_field().await {
            if field.name() == Some("file") {
                text = field.text().await.unwrap_or_default();
            }
        }
    }
    let t = crate::web::i18n::texts(crate::web::session::request_locale(&headers, Some(&s.actor)));
    match ops::campaigns::import_calendar(&state.store, Some(&s.actor), &text).await {
        Ok(years) => {
            let shown: Vec<String> = years.iter().map(i32::to_string).collect();
            let flash =
                Some(super::Flash { kind: "ok", text: t.fill("calendar.imported", &[("years", &shown.join("、"))]) });
            calendar_page(&state, &s, &headers, StatusCode::OK, flash).await
        }
        Err(OpsError::Invalid { field, message }) => {
            let flash = Some(super::Flash { kind: "bad", text: invalid_message(t, field, &message) });
            calendar_page(&state, &s, &headers, StatusCode::UNPROCESSABLE_ENTITY, flash).await
        }
        Err(e) => fail(&headers, &s, e),
    }
}
