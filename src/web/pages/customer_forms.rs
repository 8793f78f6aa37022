//! Creating, editing and deleting a customer through forms.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::Value;

use super::customer_detail::{StaleLine, source_label};
use super::forms::{self, FieldErrors, invalid_or_page, parse_id};
use super::{Shell, can, error_page, render};
use crate::app::AppState;
use crate::domain::money::format_cny;
use crate::domain::team::Role;
use crate::ops::authz::{Actor, Permission};
use crate::ops::customer_edit::{self, CustomerFields};
use crate::ops::{self, OpsError};
use crate::store::customers::CustomerRecord;
use crate::web::error::ApiError;
use crate::web::i18n::{Texts, texts};
use crate::web::session::{PageAuth, ResolvedSession, request_locale};

/// The customer form's values as typed (so a failed save keeps them).
#[derive(Clone, Debug, Default, Deserialize)]
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
async fn owner_options(state: &AppState, actor: &Actor, current: Option<i64>) -> Result<Vec<OwnerOption>, OpsError> {
    let reps = customer_edit::active_reps(&state.store, actor).await?;
    let mut options: Vec<OwnerOption> = reps
        .iter()
        .map(|u| OwnerOption { email: u.email.clone(), label: format!("{}（{}）", u.name, u.email) })
        .collect();
    if let Some(owner) = current.filter(|id| !reps.iter().any(|u| u.id == *id))
        && let Some(u) = state.store.user_by_id(owner).await?
    {
        options.push(OwnerOption { email: u.email.clone(), label: format!("{}（{}）", u.name, u.email) });
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

async fn form_page(
    state: &AppState,
    session: &ResolvedSession,
    headers: &HeaderMap,
    view: FormState,
    status: StatusCode,
) -> Response {
    let actor = &session.actor;
    let fail = |e: ApiError| error_page(headers, Some((actor, &session.csrf)), e);
    let owners = match owner_options(state, actor, view.owner_id).await {
        Ok(o) => o,
        Err(e) => return fail(e.into()),
    };
    let can_delete = match view.id {
        Some(id) => customer_edit::check(&state.store, actor, id, Permission::DeleteCustomers).await.is_ok(),
        None => false,
    };
    let title = if view.id.is_some() { "customer.edit" } else { "customer.new" };
    let shell = Shell::new(headers, Some(actor.clone()), &session.csrf, title, "/customers", None);
    let page = FormPage {
        shell,
        id: view.id,
        form: view.form,
        errors: view.errors,
        regions: state.store.regions().await.unwrap_or_default(),
        owners,
        may_assign: may_assign(actor),
        show_notes: can(actor, Permission::ReadCustomerNotes),
        can_delete,
        stale: view.stale,
    };
    render(status, &page)
}

fn reader_texts(headers: &HeaderMap, session: &ResolvedSession) -> &'static Texts {
    texts(request_locale(headers, Some(&session.actor)))
}

pub async fn new_form(State(state): State<AppState>, PageAuth(session): PageAuth, headers: HeaderMap) -> Response {
    if let Err(e) = crate::ops::authz::require(&session.actor, Permission::WriteCustomers) {
        return error_page(&headers, Some((&session.actor, &session.csrf)), e.into());
    }
    let form = CustomerForm {
        region: session.actor.region.clone().unwrap_or_default(),
        owner: Some(String::new()),
        notes: Some(String::new()),
        ..CustomerForm::default()
    };
    let view = FormState { id: None, form, errors: FieldErrors::none(), stale: None, owner_id: None };
    form_page(&state, &session, &headers, view, StatusCode::OK).await
}

pub async fn create(
    State(state): State<AppState>,
    PageAuth(session): PageAuth,
    headers: HeaderMap,
    Form(form): Form<CustomerForm>,
) -> Response {
    if let Err(e) = crate::ops::authz::require(&session.actor, Permission::WriteCustomers) {
        return error_page(&headers, Some((&session.actor, &session.csrf)), e.into());
    }
    let t = reader_texts(&headers, &session);
    let errors = match form.fields(t, &session.actor, None) {
        Err(errors) => errors,
        Ok(fields) => match customer_edit::create(&state.store, &session.actor, fields).await {
            Ok(id) => return Redirect::to(&format!("/customers/{id}?ok=customers.created")).into_response(),
            Err(e) => match invalid_or_page(t, &headers, &session, e) {
                Ok(errors) => errors,
                Err(page) => return *page,
            },
        },
    };
    let view = FormState { id: None, form, errors, stale: None, owner_id: None };
    form_page(&state, &session, &headers, view, StatusCode::UNPROCESSABLE_ENTITY).await
}

async fn owner_email(state: &AppState, owner_id: Option<i64>) -> Result<Option<String>, OpsError> {
    Ok(match owner_id {
        Some(id) => state.store.user_by_id(id).await?.map(|u| u.email),
        None => None,
    })
}

pub async fn edit_form(
    State(state): State<AppState>,
    PageAuth(session): PageAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let fail = |e: ApiError| error_page(&headers, Some((&session.actor, &session.csrf)), e);
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return fail(e),
    };
    let record = match customer_edit::for_edit(&state.store, &session.actor, id).await {
        Ok(r) => r,
        Err(e) => return fail(e.into()),
    };
    let email = match owner_email(&state, record.owner_id).await {
        Ok(e) => e,
        Err(e) => return fail(e.into()),
    };
    let view = FormState {
        id: Some(id),
        form: CustomerForm::of(&record, email),
        errors: FieldErrors::none(),
        stale: None,
        owner_id: record.owner_id,
    };
    form_page(&state, &session, &headers, view, StatusCode::OK).await
}

/// The customer as it is now, from a version conflict's `current`.
async fn stale_lines(state: &AppState, t: &Texts, show_notes: bool, current: &Value) -> Vec<StaleLine> {
    let text = |key: &str| current[key].as_str().unwrap_or_default().to_owned();
    let list = |key: &str| {
        current[key]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("、"))
            .unwrap_or_default()
    };
    let names: HashMap<i64, String> =
        state.store.users().await.unwrap_or_default().into_iter().map(|u| (u.id, u.name)).collect();
    let owner = current["owner_id"]
        .as_i64()
        .map_or_else(|| t.get("customer.unassigned").to_owned(), |id| names.get(&id).cloned().unwrap_or_default());
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
    PageAuth(session): PageAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<CustomerForm>,
) -> Response {
    let actor = &session.actor;
    let fail = |e: ApiError| error_page(&headers, Some((actor, &session.csrf)), e);
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return fail(e),
    };
    // Authorization and the current owner before anything is parsed.
    let record = match customer_edit::for_edit(&state.store, actor, id).await {
        Ok(r) => r,
        Err(e) => return fail(e.into()),
    };
    let current_owner = match owner_email(&state, record.owner_id).await {
        Ok(e) => e,
        Err(e) => return fail(e.into()),
    };
    let t = reader_texts(&headers, &session);
    let mut form = form;
    let fields = match form.fields(t, actor, current_owner.as_deref()) {
        Ok(f) => f,
        Err(errors) => {
            let view = FormState { id: Some(id), form, errors, stale: None, owner_id: record.owner_id };
            return form_page(&state, &session, &headers, view, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let (status, errors, stale) = match customer_edit::update(&state.store, actor, id, Some(form.version), fields).await
    {
        Ok(()) => return Redirect::to(&format!("/customers/{id}?ok=customers.saved")).into_response(),
        Err(OpsError::Stale { current_version, current }) => {
            // Keep what was typed; the next save knowingly replaces what is shown.
            form.version = current_version;
            let lines = stale_lines(&state, t, can(actor, Permission::ReadCustomerNotes), &current).await;
            (StatusCode::CONFLICT, FieldErrors::none(), Some(lines))
        }
        Err(e) => match invalid_or_page(t, &headers, &session, e) {
            Ok(errors) => (StatusCode::UNPROCESSABLE_ENTITY, errors, None),
            Err(page) => return *page,
        },
    };
    let view = FormState { id: Some(id), form, errors, stale, owner_id: record.owner_id };
    form_page(&state, &session, &headers, view, status).await
}

pub async fn delete(
    State(state): State<AppState>,
    PageAuth(session): PageAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let fail = |e: ApiError| error_page(&headers, Some((&session.actor, &session.csrf)), e);
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return fail(e),
    };
    match ops::customer_edit::delete(&state.store, &session.actor, id).await {
        Ok(()) => Redirect::to("/customers?ok=customers.deleted").into_response(),
        Err(e) => fail(e.into()),
    }
}
