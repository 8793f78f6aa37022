//! The plan (template 1): the form to create and edit it, the printable plan
//! with its phases and milestones, and the planning spreadsheets.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use super::{OkQuery, kind_key, milestone_key, phase_key, status_key, urgency_of};
use crate::app::AppState;
use crate::domain::campaign::{CampaignKind, CampaignStatus};
use crate::domain::money::format_cny;
use crate::domain::team::Role;
use crate::io::values::parse_amount_fen;
use crate::ops::authz::Permission;
use crate::ops::campaigns::CampaignFields;
use crate::ops::team::Directory;
use crate::ops::{self, OpsError};
use crate::store::campaigns::Campaign;
use crate::web::pages::customers::{BuilderView, Carry, Preview, builder_preview, builder_view, row_problem};
use crate::web::pages::forms::FieldErrors;
use crate::web::pages::segment_builder::Builder;
use crate::web::pages::{Page, PageForm, PageResult, Shell, flash_from, invalid_message, parse_id, render};

/// The plan form's values, as text (what the user typed comes back on errors).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct PlanForm {
    name: String,
    kind: String,
    status: String,
    theme: String,
    selling_points: String,
    segment: String,
    announced_on: String,
    starts_on: String,
    ends_on: String,
    resource_support: String,
    goal_reached: String,
    goal_intent: String,
    goal_orders: String,
    goal_sales: String,
    goal_roi: String,
    lead_email: String,
    marketing_email: String,
    service_email: String,
    collateral_needs: String,
    training_needs: String,
    resource_risks: String,
    budget: String,
    cost_items: String,
    notes: String,
    version: String,
    /// The notice the form was filled from, kept with the campaign created.
    pub(super) notice_text: String,
    /// "1": generate the target list and propose the breakdown on creating.
    pub(super) prepare: String,
    /// The SOP template a new campaign starts from, and its name to show.
    template_id: String,
    template_name: String,
}

impl PlanForm {
    fn from_campaign(c: &Campaign, team: &Directory, t: &crate::web::i18n::Texts) -> PlanForm {
        let email = |id: Option<i64>| team.email_of(id).unwrap_or_default();
        let yuan = |fen: i64| if fen == 0 { String::new() } else { (fen / 100).to_string() };
        PlanForm {
            name: c.name.clone(),
            kind: c.kind.as_str().to_owned(),
            status: c.status.as_str().to_owned(),
            theme: c.theme.clone(),
            selling_points: c.selling_points.clone(),
            segment: segment_for(t, &c.segment),
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
            notice_text: String::new(),
            prepare: String::new(),
            template_id: String::new(),
            template_name: String::new(),
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
                // Only a new campaign takes the notice it was read from.
                notice_text: (!editing && !self.notice_text.trim().is_empty()).then(|| self.notice_text.clone()),
                template_id: if editing || self.template_id.trim().is_empty() {
                    None
                } else {
                    Some(
                        self.template_id
                            .trim()
                            .parse()
                            .map_err(|_| OpsError::invalid("template_id", "the template is not a number"))?,
                    )
                },
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
    errors: FieldErrors,
    stale: Option<String>,
    segment_preview: Preview,
    builder: BuilderView,
    preview: Preview,
    regions: Vec<String>,
    notice: super::notice::NoticeView,
    /// Creating: the active SOP templates to start from (id, name).
    templates: Vec<(i64, String)>,
}

/// What the plan form shows above its fields.
pub enum FormNotice {
    None,
    /// A field's problem, shown beside it.
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The campaign as it is now, after a version conflict.
    Stale(String),
}

/// The plan form. The owner choices come from the team directory; if it
/// cannot be read the request fails rather than offering empty choices that
/// would clear the owners on save.
async fn form_page(
    state: &AppState,
    page: &Page,
    editing: Option<i64>,
    f: PlanForm,
    status: StatusCode,
    notice: FormNotice,
) -> PageResult {
    let from_notice = if editing.is_none() {
        super::notice::view_for(state, page, &f).await
    } else {
        super::notice::NoticeView::none(page.t)
    };
    form_page_with(state, page, editing, f, status, notice, from_notice).await
}

/// The plan form with the paste-the-notice box and what it filled in.
pub(super) async fn form_page_with(
    state: &AppState,
    page: &Page,
    editing: Option<i64>,
    f: PlanForm,
    status: StatusCode,
    notice: FormNotice,
    from_notice: super::notice::NoticeView,
) -> PageResult {
    let t = page.t;
    let mut errors = FieldErrors::none();
    let (error, stale) = match notice {
        FormNotice::None => (None, None),
        FormNotice::Invalid { field, message } => {
            // The segment's own message, positioned and in the reader's language.
            let text = match crate::domain::segment::parse(f.segment.trim()) {
                Err(e) if field == "segment" => crate::web::pages::segment_builder::error_text(t, &e),
                _ => crate::web::pages::forms::invalid_text(t, field, &message),
            };
            errors.add(field, text);
            (Some(t.get("form.fix_below").to_owned()), None)
        }
        FormNotice::Stale(current) => (None, Some(current)),
    };
    // The live count of the segment as it stands, and the form builder
    // started from it (or blank when the text is not one a form can show).
    let segment_preview = text_preview_of(state, page, &f.segment).await;
    let from_text = crate::domain::segment::parse(f.segment.trim()).ok().and_then(|e| Builder::from_expr(&e));
    let b = from_text.unwrap_or_else(Builder::blank);
    let carry = Carry { q: String::new(), region: String::new(), for_campaign: true };
    let preview = builder_preview(state, &page.actor, t, &b, &carry).await;
    let mut builder = builder_view(&b, row_problem(t, &b), ("", "", ""));
    builder.for_campaign = true;
    let team = ops::team::directory(&state.store, &page.actor).await?;
    let choices = |roles: &[Role]| -> Vec<(String, String)> {
        team.active_with(roles).map(|u| (u.email.clone(), format!("{} <{}>", u.name, u.email))).collect()
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
    let shell = page.shell(title, "/campaigns");
    let form = FormPage {
        heading: shell.t.get(title).to_owned(),
        submit: shell.t.get(if editing.is_some() { "campaign.save" } else { "campaign.create" }).to_owned(),
        action: editing.map_or("/campaigns".to_owned(), |id| format!("/campaigns/{id}")),
        kinds: CampaignKind::ALL.iter().map(|k| (k.as_str(), kind_key(*k))).collect(),
        // `reviewed` is reached by holding the review (its page), not chosen
        // here; a reviewed campaign stays reviewed.
        statuses: if editing.is_some() && f.status == CampaignStatus::Reviewed.as_str() {
            vec![(CampaignStatus::Reviewed.as_str(), status_key(CampaignStatus::Reviewed))]
        } else if editing.is_some() {
            CampaignStatus::ALL
                .iter()
                .filter(|st| **st != CampaignStatus::Reviewed)
                .map(|st| (st.as_str(), status_key(*st)))
                .collect()
        } else {
            Vec::new()
        },
        shell,
        f,
        owner_fields,
        error,
        errors,
        stale,
        segment_preview,
        builder,
        preview,
        regions: ops::team::regions(&state.store, &page.actor).await?,
        notice: from_notice,
        templates: if editing.is_none() {
            ops::templates::list(&state.store, &page.actor)
                .await?
                .into_iter()
                .filter(|t| !t.stored.retired)
                .map(|t| (t.stored.id, t.stored.name))
                .collect()
        } else {
            Vec::new()
        },
    };
    Ok(render(status, &form))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    /// Start from this SOP template.
    template: String,
}

pub async fn new_form(State(state): State<AppState>, page: Page, Query(q): Query<NewQuery>) -> PageResult {
    page.require(Permission::ManageCampaigns)?;
    let today = state.store.today().to_string();
    if !q.template.trim().is_empty() {
        let id = parse_id(&q.template)?;
        let view = ops::templates::get(&state.store, &page.actor, id).await?;
        let mut fields = CampaignFields::default();
        ops::templates::prefill(&mut fields, &view.template);
        let text = |v: Option<String>| v.unwrap_or_default();
        let number = |v: Option<i64>| v.filter(|n| *n > 0).map(|n| n.to_string()).unwrap_or_default();
        let yuan = |v: Option<i64>| v.filter(|n| *n > 0).map(|n| (n / 100).to_string()).unwrap_or_default();
        let f = PlanForm {
            kind: text(fields.kind),
            theme: text(fields.theme),
            selling_points: text(fields.selling_points),
            segment: segment_for(page.t, &text(fields.segment)),
            announced_on: today.clone(),
            starts_on: today.clone(),
            ends_on: today,
            resource_support: text(fields.resource_support),
            goal_reached: number(fields.goal_reached),
            goal_intent: number(fields.goal_intent),
            goal_orders: number(fields.goal_orders),
            goal_sales: yuan(fields.goal_sales_fen),
            goal_roi: fields.goal_roi.filter(|r| *r > 0.0).map(|r| r.to_string()).unwrap_or_default(),
            lead_email: if page.actor.role == Role::Lead { page.actor.email.clone() } else { String::new() },
            marketing_email: if page.actor.role == Role::Marketing { page.actor.email.clone() } else { String::new() },
            collateral_needs: text(fields.collateral_needs),
            training_needs: text(fields.training_needs),
            resource_risks: text(fields.resource_risks),
            budget: yuan(fields.budget_fen),
            cost_items: text(fields.cost_items),
            notes: text(fields.notes),
            prepare: "1".to_owned(),
            template_id: id.to_string(),
            template_name: view.template.stored.name.clone(),
            ..PlanForm::default()
        };
        return form_page(&state, &page, None, f, StatusCode::OK, FormNotice::None).await;
    }
    let f = PlanForm {
        kind: "new_product".to_owned(),
        announced_on: today.clone(),
        starts_on: today.clone(),
        ends_on: today,
        lead_email: if page.actor.role == Role::Lead { page.actor.email.clone() } else { String::new() },
        marketing_email: if page.actor.role == Role::Marketing { page.actor.email.clone() } else { String::new() },
        prepare: "1".to_owned(),
        ..PlanForm::default()
    };
    form_page(&state, &page, None, f, StatusCode::OK, FormNotice::None).await
}

/// A new form as [`new_form`] starts it, for the notice to fill.
pub(super) fn blank_form(page: &Page) -> PlanForm {
    PlanForm {
        kind: "new_product".to_owned(),
        lead_email: if page.actor.role == Role::Lead { page.actor.email.clone() } else { String::new() },
        marketing_email: if page.actor.role == Role::Marketing { page.actor.email.clone() } else { String::new() },
        prepare: "1".to_owned(),
        ..PlanForm::default()
    }
}

pub async fn create(State(state): State<AppState>, page: Page, PageForm(f): PageForm<PlanForm>) -> PageResult {
    let result = match f.fields(false) {
        Ok((fields, _)) => ops::campaigns::create(&state.store, &page.actor, fields).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(id) if !f.prepare.is_empty() && !f.segment.trim().is_empty() => {
            // One step to the split: the list from the segment, then the breakdown proposed on it.
            match ops::campaigns::members::generate_members(&state.store, &page.actor, id).await {
                Ok(_) => Ok(Redirect::to(&format!("/campaigns/{id}/breakdown?ok=campaign.prepared")).into_response()),
                // The campaign exists; the list page shows why the list did not come.
                Err(e) => {
                    tracing::warn!(error = %e, campaign = id, "target list not generated on creation");
                    Ok(Redirect::to(&format!("/campaigns/{id}/members?ok=campaign.created")).into_response())
                }
            }
        }
        Ok(id) => Ok(Redirect::to(&format!("/campaigns/{id}/members?ok=campaign.created")).into_response()),
        Err(OpsError::Invalid { field, message }) => {
            let notice = FormNotice::Invalid { field, message };
            form_page(&state, &page, None, f, StatusCode::UNPROCESSABLE_ENTITY, notice).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn edit_form(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&id)?;
    let c = ops::campaigns::check_manage(&state.store, &page.actor, id).await?;
    let team = ops::team::directory(&state.store, &page.actor).await?;
    let f = PlanForm::from_campaign(&c, &team, page.t);
    form_page(&state, &page, Some(id), f, StatusCode::OK, FormNotice::None).await
}

pub async fn update(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    PageForm(f): PageForm<PlanForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    ops::campaigns::check_manage(&state.store, &page.actor, id).await?;
    let result = match f.fields(true) {
        // The form always names the version it was rendered from.
        Ok((fields, version)) => {
            ops::campaigns::update(&state.store, &page.actor, id, Some(version.unwrap_or(0)), fields).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/campaigns/{id}?ok=campaign.saved")).into_response()),
        Err(OpsError::Invalid { field, message }) => {
            let notice = FormNotice::Invalid { field, message };
            form_page(&state, &page, Some(id), f, StatusCode::UNPROCESSABLE_ENTITY, notice).await
        }
        Err(OpsError::Stale { current, .. }) => {
            let shown = serde_json::to_string_pretty(&current).unwrap_or_default();
            let mut fresh = f.clone();
            if let Some(v) = current["version"].as_i64() {
                fresh.version = v.to_string();
            }
            form_page(&state, &page, Some(id), fresh, StatusCode::CONFLICT, FormNotice::Stale(shown)).await
        }
        Err(e) => Err(e.into()),
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

/// One goal as the plan shows it: "未设定" when the plan leaves it at zero.
pub struct GoalLine {
    pub label_key: &'static str,
    pub value: Option<String>,
}

/// The live count beside the segment field, as the customer list shows it.
async fn text_preview_of(state: &AppState, page: &Page, text: &str) -> Preview {
    crate::web::pages::customers::text_preview(state, &page.actor, page.t, text).await
}

/// What a draft still lacks, with where to fix it.
pub struct MissingLine {
    pub label_key: &'static str,
    pub href: String,
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
    segment: String,
    goals: Vec<GoalLine>,
    budget: Option<String>,
    owners: (String, String, String),
    can_plan: bool,
    is_draft: bool,
    missing: Vec<MissingLine>,
    today: String,
    milestone_error: Option<(String, String)>,
    /// Leads and admins read the audit trail (the notice is in the creation record).
    can_audit: bool,
}

/// The segment in the reader's language: Chinese field names and keywords
/// for a Chinese reader, the canonical text otherwise.
pub fn segment_for(t: &crate::web::i18n::Texts, text: &str) -> String {
    match crate::domain::segment::parse(text) {
        Ok(expr) if t.locale == crate::web::i18n::Locale::ZhCn => expr.to_chinese(),
        _ => text.to_owned(),
    }
}

fn goal_lines(c: &Campaign) -> Vec<GoalLine> {
    let count = |v: i64| (v > 0).then(|| v.to_string());
    vec![
        GoalLine { label_key: "campaign.goal_reached", value: count(c.goal_reached) },
        GoalLine { label_key: "campaign.goal_intent", value: count(c.goal_intent) },
        GoalLine { label_key: "campaign.goal_orders", value: count(c.goal_orders) },
        GoalLine {
            label_key: "campaign.goal_sales_short",
            value: (c.goal_sales_fen > 0).then(|| format_cny(c.goal_sales_fen)),
        },
        GoalLine {
            label_key: "campaign.goal_roi_short",
            value: (c.goal_roi > 0.0).then(|| format!("1:{}", c.goal_roi)),
        },
    ]
}

fn missing_lines(id: i64, missing: &[crate::domain::campaign::Missing]) -> Vec<MissingLine> {
    use crate::domain::campaign::Missing;
    missing
        .iter()
        .map(|m| {
            let (label_key, href) = match m {
                Missing::Segment => ("missing.segment", format!("/campaigns/{id}/edit#segment")),
                Missing::TargetList => ("missing.target_list", format!("/campaigns/{id}/members")),
                Missing::Goals => ("missing.goals", format!("/campaigns/{id}/edit#goals")),
                Missing::Lead => ("missing.lead", format!("/campaigns/{id}/edit#owners")),
                Missing::Breakdown => ("missing.breakdown", format!("/campaigns/{id}/breakdown")),
            };
            MissingLine { label_key, href }
        })
        .collect()
}

pub async fn plan(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Query(q): Query<OkQuery>,
) -> PageResult {
    let id = parse_id(&id)?;
    let flash = flash_from(page.t, q.ok.as_deref());
    plan_page(&state, &page, id, flash, None, StatusCode::OK).await
}

async fn plan_page(
    state: &AppState,
    page: &Page,
    id: i64,
    flash: Option<crate::web::pages::Flash>,
    milestone_error: Option<(String, String)>,
    status: StatusCode,
) -> PageResult {
    let view = ops::campaigns::get(&state.store, &page.actor, id).await?;
    let team = ops::team::directory(&state.store, &page.actor).await?;
    let is_draft = view.campaign.status == CampaignStatus::Draft;
    let missing = if is_draft { ops::campaigns::missing(&state.store, &page.actor, id).await? } else { Vec::new() };
    let mut shell = page.shell("campaign.tab_plan", "/campaigns").with_flash(flash);
    shell.title = view.campaign.name.clone();
    let mut assumed_years: Vec<i32> = view.phases.iter().flat_map(|p| p.phase.assumed_years.clone()).collect();
    assumed_years.sort_unstable();
    assumed_years.dedup();
    let assumed = (!assumed_years.is_empty()).then(|| {
        let years: Vec<String> = assumed_years.iter().map(i32::to_string).collect();
        shell.t.fill("phases.assumed", &[("years", &years.join("、"))])
    });
    let c = view.campaign;
    let phases = view
        .phases
        .iter()
        .map(|p| {
            let (urgency, urgency_key) = urgency_of(p);
            PhaseRow {
                number: p.phase.number,
                phase_key: phase_key(p.phase.key),
                due_on: p.phase.due_on,
                urgency,
                urgency_key,
                milestone: p.milestone,
                milestone_key: milestone_key(p.milestone),
                planned_on: p.planned_on.map(|d| d.to_string()).unwrap_or_default(),
                done_on: p.done_on.map(|d| d.to_string()).unwrap_or_default(),
            }
        })
        .collect();
    let body = PlanPage {
        tab: "plan",
        kind_key: kind_key(c.kind),
        status_key: status_key(c.status),
        phases,
        assumed,
        segment: segment_for(shell.t, &c.segment),
        goals: goal_lines(&c),
        budget: (c.budget_fen > 0).then(|| format_cny(c.budget_fen)),
        owners: (team.name_or(c.lead_id, "—"), team.name_or(c.marketing_id, "—"), team.name_or(c.service_id, "—")),
        can_plan: page.can(Permission::ManageCampaigns),
        is_draft,
        missing: missing_lines(c.id, &missing),
        today: state.store.today().to_string(),
        milestone_error,
        can_audit: page.can(Permission::ReadAudit),
        shell,
        c,
    };
    Ok(render(status, &body))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ActivateForm {
    version: String,
}

/// 启动活动: the explicit button on a draft's plan.
pub async fn activate(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    PageForm(f): PageForm<ActivateForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    let version = f.version.trim().parse().ok();
    match ops::campaigns::activate(&state.store, &page.actor, id, version).await {
        Ok(()) => Ok(Redirect::to(&format!("/campaigns/{id}?ok=campaign.activated")).into_response()),
        // Resources not confirmed: the checklist, where the lead confirms the override.
        Err(OpsError::Invalid { field: "confirm_unready", .. }) => {
            Ok(Redirect::to(&format!("/campaigns/{id}/activate")).into_response())
        }
        Err(OpsError::Invalid { field, message }) => {
            let flash = Some(page.invalid_flash(field, &message));
            plan_page(&state, &page, id, flash, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(OpsError::Stale { .. }) => {
            let flash = Some(crate::web::pages::Flash { kind: "bad", text: page.t.get("campaign.stale").to_owned() });
            plan_page(&state, &page, id, flash, None, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MilestoneForm {
    #[serde(default)]
    planned_on: String,
    #[serde(default)]
    done_on: String,
}

pub async fn set_milestone(
    State(state): State<AppState>,
    page: Page,
    Path((id, key)): Path<(String, String)>,
    PageForm(f): PageForm<MilestoneForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    let date = |v: &str| NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok();
    match ops::campaigns::set_milestone(&state.store, &page.actor, id, &key, date(&f.planned_on), date(&f.done_on))
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/campaigns/{id}?ok=campaign.saved")).into_response()),
        // The plan again, with the message beside the milestone's dates.
        Err(OpsError::Invalid { message, field }) => {
            let text = if field == "done_on" && message.contains("future") {
                page.t.get("milestone.future").to_owned()
            } else {
                invalid_message(page.t, field, &message)
            };
            plan_page(&state, &page, id, None, Some((key, text)), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct TemplateQuery {
    template: Option<String>,
}

/// Downloads template 1 or 2 for the signed-in person.
pub async fn export(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Query(q): Query<TemplateQuery>,
) -> PageResult {
    let id = parse_id(&id)?;
    let which = q.template.as_deref().unwrap_or("plan");
    let (name, bytes) = ops::campaigns::export::export_template(&state.store, &page.actor, id, which).await?;
    Ok(xlsx_download(&name, bytes))
}

/// An XLSX file as a download named `name` (UTF-8 names per RFC 6266).
pub fn xlsx_download(name: &str, bytes: Vec<u8>) -> Response {
    crate::web::api::campaigns::xlsx_response(name, bytes)
}

impl PlanForm {
    /// A field's value by its name in the API (`goals.intent_customers`).
    pub(super) fn value_of(&self, key: &str) -> Option<&str> {
        Some(match key {
            "name" => &self.name,
            "kind" => &self.kind,
            "theme" => &self.theme,
            "selling_points" => &self.selling_points,
            "segment" => &self.segment,
            "announced_on" => &self.announced_on,
            "starts_on" => &self.starts_on,
            "ends_on" => &self.ends_on,
            "resource_support" => &self.resource_support,
            "collateral_needs" => &self.collateral_needs,
            "training_needs" => &self.training_needs,
            "goals.reached" => &self.goal_reached,
            "goals.intent_customers" => &self.goal_intent,
            "goals.orders" => &self.goal_orders,
            "goals.sales_amount" => &self.goal_sales,
            "goals.roi" => &self.goal_roi,
            _ => return None,
        })
    }

    /// The form filled from what a notice says: what it says replaces
    /// `base`'s value, dates it does not give stay empty (never guessed).
    pub(super) fn from_draft(
        base: PlanForm,
        d: &crate::domain::notice::NoticeDraft,
        text: &str,
        t: &crate::web::i18n::Texts,
    ) -> PlanForm {
        let or = |v: &Option<String>, b: String| v.clone().unwrap_or(b);
        let count = |v: Option<i64>, b: String| v.map_or(b, |n| n.to_string());
        let date = |v: Option<NaiveDate>| v.map(|d| d.to_string()).unwrap_or_default();
        let segment = d.segment.as_ref().map(|e| segment_for(t, &e.to_string()));
        PlanForm {
            name: or(&d.name, base.name),
            kind: d.kind.as_str().to_owned(),
            theme: or(&d.theme, base.theme),
            selling_points: or(&d.selling_points, base.selling_points),
            segment: segment.unwrap_or(base.segment),
            announced_on: d.announced_on.to_string(),
            starts_on: date(d.starts_on),
            ends_on: date(d.ends_on),
            resource_support: or(&d.resource_support, base.resource_support),
            collateral_needs: or(&d.collateral_needs, base.collateral_needs),
            training_needs: or(&d.training_needs, base.training_needs),
            goal_reached: count(d.goals.reached, base.goal_reached),
            goal_intent: count(d.goals.intent_customers, base.goal_intent),
            goal_orders: count(d.goals.orders, base.goal_orders),
            goal_sales: d.goals.sales_fen.map_or(base.goal_sales, |fen| {
                if fen % 100 == 0 { (fen / 100).to_string() } else { format!("{}.{:02}", fen / 100, fen % 100) }
            }),
            goal_roi: d.goals.roi.map_or(base.goal_roi, |v| v.to_string()),
            notice_text: text.to_owned(),
            ..base
        }
    }
}
