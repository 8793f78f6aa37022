//! Creating, editing and deleting a customer through forms.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use serde_json::Value;

use super::customer_detail::{StaleLine, source_label};
use super::forms::{self, FieldErrors, field_errors};
use super::{Page, PageForm, PageResult, Shell, can, parse_id, render};
use crate::app::AppState;
use crate::domain::money::format_cny;
use crate::domain::team::Role;
use crate::ops::authz::{Actor, Permission};
use crate::ops::customer_edit::{self, CustomerFields};
use crate::ops::team::Directory;
use crate::ops::{self, OpsError};
use crate::store::customers::CustomerRecord;
use crate::web::i18n::Texts;

/// The customer form's values as typed (so a failed save keeps them).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct CustomerForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub credit_code: String,
    #[serde(default)]
    pub industry: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub annual_purchase: String,
    /// Absent when the form has no owner select (reps keep their customers).
    pub owner: Option<String>,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub tags: String,
    #[serde(default)]
    pub pain_points: String,
    /// Absent for roles that may not read private notes.
    pub notes: Option<String>,
    #[serde(default)]
    pub version: i64,
}

/// Tags and pain points as one line of text, split again by `split_list`.
fn joined(items: &[String]) -> String {
    items.join("、")
}

impl CustomerForm {
    fn of(r: &CustomerRecord, owner_email: Option<String>) -> CustomerForm {
        CustomerForm {
            name: r.name.clone(),
            credit_code: r.credit_code.clone().unwrap_or_default(),
            industry: r.industry.clone(),
            region: r.region.clone(),
            city: r.city.clone(),
            annual_purchase: forms::amount_input(r.annual_purchase_fen),
            owner: Some(owner_email.unwrap_or_default()),
            source: r.source.clone(),
            tags: joined(&r.tags),
            pain_points: joined(&r.pain_points),
            notes: Some(r.notes.clone()),
            version: r.version,
        }
    }

    /// The fields for ops, or the amount's own error. `keep_owner` is the
    /// current owner's email: sending it back unchanged keeps the owner even
    /// if that rep has since left.
    fn fields(&self, t: &Texts, actor: &Actor, keep_owner: Option<&str>) -> Result<CustomerFields, FieldErrors> {
        let fen = forms::amount(t, &self.annual_purchase).map_err(|m| FieldErrors::one("annual_purchase", m))?;
        let owner_email = match self.owner.as_deref().map(str::trim) {
            Some(email) if may_assign(actor) && Some(email) != keep_owner => {
                Some((!email.is_empty()).then(|| email.to_owned()))
            }
            _ => None,
        };
        Ok(CustomerFields {
            name: Some(self.name.clone()),
            credit_code: Some(Some(self.credit_code.clone())),
            industry: Some(self.industry.clone()),
            region: Some(self.region.clone()),
            city: Some(self.city.clone()),
            annual_purchase_fen: Some(fen.unwrap_or(0)),
            owner_email,
            source: Some(self.source.clone()),
            notes: self.notes.clone().filter(|_| can(actor, Permission::ReadCustomerNotes)),
            tags: Some(crate::io::values::split_list(&self.tags)),
            pain_points: Some(crate::io::values::split_list(&self.pain_points)),
        })
    }
}

/// Leads and admins give customers to reps; a rep's customers stay theirs
/// (ops::customer_edit refuses any other owner for a rep).
fn may_assign(actor: &Actor) -> bool {
    can(actor, Permission::WriteCustomers) && actor.role != Role::Rep
}

pub struct OwnerOption {
    pub email: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "customer_form.html")]
struct FormPage {
    shell: Shell,
    id: Option<i64>,
    form: CustomerForm,
    errors: FieldErrors,
    regions: Vec<String>,
    owners: Vec<OwnerOption>,
    may_assign: bool,
    show_notes: bool,
    can_delete: bool,
    stale: Option<Vec<StaleLine>>,
}

/// Active reps, plus the current owner if they are no longer one (so the
/// select shows who owns the customer rather than silently changing it).
async fn owner_options(
    state: &AppState,
    t: &Texts,
    actor: &Actor,
    team: &Directory,
    current: Option<i64>,
) -> Result<Vec<OwnerOption>, OpsError> {
    let reps = customer_edit::active_reps(&state.store, actor).await?;
    let mut options: Vec<OwnerOption> = reps
        .iter()
        .map(|u| OwnerOption {
            email: u.email.clone(),
            label: t.fill("customer.owner_option", &[("name", &u.name), ("email", &u.email)]),
        })
        .collect();
    if let Some(owner) = current.filter(|id| !reps.iter().any(|u| u.id == *id))
        && let Some(u) = team.get(Some(owner))
    {
        options.push(OwnerOption {
            email: u.email.clone(),
            label: t.fill("customer.owner_option", &[("name", &u.name), ("email", &u.email)]),
        });
    }
    Ok(options)
}

struct FormState {
    id: Option<i64>,
    form: CustomerForm,
    errors: FieldErrors,
    stale: Option<Vec<StaleLine>>,
    owner_id: Option<i64>,
}

async fn form_page(state: &AppState, page: &Page, view: FormState, status: StatusCode) -> PageResult {
    let actor = &page.actor;
    let team = ops::team::directory(&state.store, actor).await?;
    let owners = owner_options(state, page.t, actor, &team, view.owner_id).await?;
    let can_delete = match view.id {
        Some(id) => customer_edit::check(&state.store, actor, id, Permission::DeleteCustomers).await.is_ok(),
        None => false,
    };
    let title = if view.id.is_some() { "customer.edit" } else { "customer.new" };
    let body = FormPage {
        shell: page.shell(title, "/customers"),
        id: view.id,
        form: view.form,
        errors: view.errors,
        regions: ops::team::regions(&state.store, actor).await?,
        owners,
        may_assign: may_assign(actor),
        show_notes: page.can(Permission::ReadCustomerNotes),
        can_delete,
        stale: view.stale,
    };
    Ok(render(status, &body))
}

pub async fn new_form(State(state): State<AppState>, page: Page) -> PageResult {
    page.require(Permission::WriteCustomers)?;
    let form = CustomerForm {
        region: page.actor.region.clone().unwrap_or_default(),
        owner: Some(String::new()),
        notes: Some(String::new()),
        ..CustomerForm::default()
    };
    let view = FormState { id: None, form, errors: FieldErrors::none(), stale: None, owner_id: None };
    form_page(&state, &page, view, StatusCode::OK).await
}

pub async fn create(State(state): State<AppState>, page: Page, PageForm(form): PageForm<CustomerForm>) -> PageResult {
    page.require(Permission::WriteCustomers)?;
    let errors = match form.fields(page.t, &page.actor, None) {
        Err(errors) => errors,
        Ok(fields) => match customer_edit::create(&state.store, &page.actor, fields).await {
            Ok(id) => return Ok(Redirect::to(&format!("/customers/{id}?ok=customers.created")).into_response()),
            Err(e) => field_errors(page.t, e)?,
        },
    };
    let view = FormState { id: None, form, errors, stale: None, owner_id: None };
    form_page(&state, &page, view, StatusCode::UNPROCESSABLE_ENTITY).await
}

pub async fn edit_form(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&id)?;
    let record = customer_edit::for_edit(&state.store, &page.actor, id).await?;
    let team = ops::team::directory(&state.store, &page.actor).await?;
    let view = FormState {
        id: Some(id),
        form: CustomerForm::of(&record, team.email_of(record.owner_id)),
        errors: FieldErrors::none(),
        stale: None,
        owner_id: record.owner_id,
    };
    form_page(&state, &page, view, StatusCode::OK).await
}

/// The customer as it is now, from a version conflict's `current`.
fn stale_lines(team: &Directory, t: &Texts, show_notes: bool, current: &Value) -> Vec<StaleLine> {
    let text = |key: &str| current[key].as_str().unwrap_or_default().to_owned();
    let list = |key: &str| {
        current[key]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(t.get("punct.list")))
            .unwrap_or_default()
    };
    let owner = current["owner_id"]
        .as_i64()
        .map_or_else(|| t.get("customer.unassigned").to_owned(), |id| team.name_or(Some(id), ""));
    let mut lines = vec![
        ("customer.name", text("name")),
        ("customer.credit_code", text("credit_code")),
        ("customer.industry", text("industry")),
        ("customer.region", text("region")),
        ("customer.city", text("city")),
        ("customer.annual_purchase", current["annual_purchase_fen"].as_i64().map(format_cny).unwrap_or_default()),
        ("customer.owner", owner),
        ("customer.source", source_label(t, &text("source"))),
        ("customer.tags", list("tags")),
        ("customer.pain_points", list("pain_points")),
    ];
    if show_notes {
        lines.push(("customer.notes", text("notes")));
    }
    lines
}

pub async fn update(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    PageForm(form): PageForm<CustomerForm>,
) -> PageResult {
    let actor = &page.actor;
    let id = parse_id(&id)?;
    // Authorization and the current owner before anything is parsed.
    let record = customer_edit::for_edit(&state.store, actor, id).await?;
    let team = ops::team::directory(&state.store, actor).await?;
    let current_owner = team.email_of(record.owner_id);
    let mut form = form;
    let fields = match form.fields(page.t, actor, current_owner.as_deref()) {
        Ok(f) => f,
        Err(errors) => {
            let view = FormState { id: Some(id), form, errors, stale: None, owner_id: record.owner_id };
            return form_page(&state, &page, view, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let (status, errors, stale) = match customer_edit::update(&state.store, actor, id, Some(form.version), fields).await
    {
        Ok(()) => return Ok(Redirect::to(&format!("/customers/{id}?ok=customers.saved")).into_response()),
        Err(OpsError::Stale { current_version, current }) => {
            // Keep what was typed; the next save knowingly replaces what is shown.
            form.version = current_version;
            let lines = stale_lines(&team, page.t, page.can(Permission::ReadCustomerNotes), &current);
            (StatusCode::CONFLICT, FieldErrors::none(), Some(lines))
        }
        Err(e) => (StatusCode::UNPROCESSABLE_ENTITY, field_errors(page.t, e)?, None),
    };
    let view = FormState { id: Some(id), form, errors, stale, owner_id: record.owner_id };
    form_page(&state, &page, view, status).await
}

pub async fn delete(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&id)?;
    ops::customer_edit::delete(&state.store, &page.actor, id).await?;
    Ok(Redirect::to("/customers?ok=customers.deleted").into_response())
}
