//! A customer's page: its fields, contacts (联系人) and follow-up timeline
//! (跟进记录), with the forms that add, correct and delete them.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::Value;

use super::customers::CustomerRow;
use super::forms::{self, FieldErrors, field_errors};
use super::{Page, PageForm, PageResult, Shell, flash_from, parse_id, render};
use crate::app::AppState;
use crate::domain::customer::{Channel, InteractionKind};
use crate::domain::money::format_cny;
use crate::domain::team::Role;
use crate::ops::authz::{Actor, Permission};
use crate::ops::contacts::ContactFields;
use crate::ops::interactions::InteractionFields;
use crate::ops::{self, OpsError};
use crate::store::contacts::Contact;
use crate::store::interactions::Interaction;
use crate::web::i18n::Texts;

/// The newest interactions the timeline shows.
const TIMELINE_LIMIT: i64 = 200;

pub fn channel_key(c: Channel) -> &'static str {
    match c {
        Channel::Phone => "channel.phone",
        Channel::Im => "channel.im",
        Channel::Email => "channel.email",
        Channel::Visit => "channel.visit",
        Channel::Event => "channel.event",
    }
}

pub fn kind_key(k: InteractionKind) -> &'static str {
    match k {
        InteractionKind::Inquiry => "kind.inquiry",
        InteractionKind::Call => "kind.call",
        InteractionKind::Visit => "kind.visit",
        InteractionKind::Email => "kind.email",
        InteractionKind::Message => "kind.message",
        InteractionKind::Order => "kind.order",
    }
}

/// How a source reads: the two built-in codes translated, partners' names as written.
pub fn source_label(t: &Texts, source: &str) -> String {
    match source {
        "manual" => t.get("customer.source_manual").to_owned(),
        "import" => t.get("customer.source_import").to_owned(),
        other => other.to_owned(),
    }
}

fn channels() -> Vec<(&'static str, &'static str)> {
    Channel::ALL.iter().map(|c| (c.as_str(), channel_key(*c))).collect()
}

fn kinds() -> Vec<(&'static str, &'static str)> {
    InteractionKind::ALL.iter().map(|k| (k.as_str(), kind_key(*k))).collect()
}

/// A contact form's values (as typed, so a failed save keeps them).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ContactForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub im_id: String,
    #[serde(default)]
    pub version: i64,
}

impl ContactForm {
    fn of(c: &Contact) -> ContactForm {
        ContactForm {
            name: c.name.clone(),
            title: c.title.clone(),
            phone: c.phone.clone(),
            email: c.email.clone(),
            im_id: c.im_id.clone(),
            version: c.version,
        }
    }

    fn fields(&self) -> ContactFields {
        ContactFields {
            name: Some(self.name.clone()),
            title: Some(self.title.clone()),
            phone: Some(self.phone.clone()),
            email: Some(self.email.clone()),
            im_id: Some(self.im_id.clone()),
        }
    }
}

/// An interaction form's values (as typed).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct InteractionForm {
    #[serde(default)]
    pub occurred_on: String,
    #[serde(default)]
    pub occurred_at: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub version: i64,
}

impl InteractionForm {
    fn new_on(today: NaiveDate) -> InteractionForm {
        InteractionForm {
            occurred_on: today.to_string(),
            channel: Channel::Phone.as_str().to_owned(),
            kind: InteractionKind::Call.as_str().to_owned(),
            ..InteractionForm::default()
        }
    }

    fn of(i: &Interaction) -> InteractionForm {
        InteractionForm {
            occurred_on: i.occurred_on.to_string(),
            occurred_at: i.occurred_at.clone().unwrap_or_default(),
            channel: i.channel.as_str().to_owned(),
            kind: i.kind.as_str().to_owned(),
            note: i.note.clone(),
            amount: i.amount_fen.map(forms::amount_input).unwrap_or_default(),
            version: i.version,
        }
    }

    /// The fields for ops, or the form's own errors (date, amount). The
    /// amount box only shows for orders, so another kind ignores it.
    fn fields(&self, t: &Texts) -> Result<InteractionFields, FieldErrors> {
        let mut errors = FieldErrors::none();
        let date = NaiveDate::parse_from_str(self.occurred_on.trim(), "%Y-%m-%d")
            .or_else(|_| crate::io::values::parse_date(&self.occurred_on))
            .map_err(|_| errors.add("occurred_on", t.get("form.date").to_owned()))
            .ok();
        let is_order = self.kind == InteractionKind::Order.as_str();
        let amount = if is_order {
            forms::amount(t, &self.amount).map_err(|m| errors.add("amount", m)).ok().flatten()
        } else {
            None
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let time = self.occurred_at.trim();
        // Browsers may send seconds (14:00:00); the record keeps HH:MM.
        let time = if time.len() == 8 && time.ends_with(":00") { &time[..5] } else { time };
        Ok(InteractionFields {
            occurred_on: date,
            occurred_at: Some((!time.is_empty()).then(|| time.to_owned())),
            channel: Some(self.channel.clone()),
            kind: Some(self.kind.clone()),
            note: Some(self.note.clone()),
            amount_fen: Some(amount),
        })
    }
}

pub struct ContactRow {
    pub id: i64,
    pub name: String,
    pub title: String,
    pub phone: String,
    /// The phone for a `tel:` link: digits and a leading +.
    pub tel: String,
    pub email: String,
    pub im_id: String,
}

pub struct InteractionRow {
    pub id: i64,
    pub date: String,
    pub time: Option<String>,
    pub channel_key: &'static str,
    pub kind_key: &'static str,
    pub kind: &'static str,
    pub note: String,
    pub amount: Option<String>,
    pub by: Option<String>,
    pub can_edit: bool,
}

#[derive(Template)]
#[template(path = "customer.html")]
struct DetailPage {
    shell: Shell,
    c: CustomerRow,
    source: String,
    tags: Vec<String>,
    pains: Vec<String>,
    show_notes: bool,
    show_audit: bool,
    can_edit: bool,
    can_log: bool,
    contacts: Vec<ContactRow>,
    timeline: Vec<InteractionRow>,
    more: bool,
    contact: ContactForm,
    contact_errors: FieldErrors,
    interaction: InteractionForm,
    interaction_errors: FieldErrors,
    channels: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    today: String,
}

/// What the detail page shows besides the customer: a flash, or a form
/// that failed with its values and messages.
struct DetailState {
    ok: Option<String>,
    contact: ContactForm,
    contact_errors: FieldErrors,
    interaction: InteractionForm,
    interaction_errors: FieldErrors,
}

impl DetailState {
    fn fresh(ok: Option<String>, today: NaiveDate) -> DetailState {
        DetailState {
            ok,
            contact: ContactForm::default(),
            contact_errors: FieldErrors::none(),
            interaction: InteractionForm::new_on(today),
            interaction_errors: FieldErrors::none(),
        }
    }
}

/// Customer service corrects only what it logged itself; everyone else who
/// may log corrects any record (the same rule ops::interactions enforces).
fn may_correct(actor: &Actor, may_log: bool, i: &Interaction) -> bool {
    may_log && (actor.role != Role::Service || i.created_by == Some(actor.id))
}

async fn detail_page(state: &AppState, page: &Page, id: i64, view: DetailState, status: StatusCode) -> PageResult {
    let actor = &page.actor;
    let today = state.store.today();
    let c = ops::customers::get(&state.store, actor, id, today).await?;
    let (tags, pains) = ops::customers::labels(&state.store, actor, id).await?;
    let contacts = ops::contacts::list(&state.store, actor, id).await?;
    let mut history = ops::interactions::list(&state.store, actor, id, TIMELINE_LIMIT + 1).await?;
    let more = history.len() as i64 > TIMELINE_LIMIT;
    history.truncate(TIMELINE_LIMIT as usize);
    // The buttons follow what ops would allow; ops still decides on submit.
    let can_edit = ops::customer_edit::check(&state.store, actor, id, Permission::WriteCustomers).await.is_ok();
    let can_log = ops::interactions::check_customer(&state.store, actor, id).await.is_ok();

    let mut shell = page.shell("customers.title", "/customers").with_flash(flash_from(page.t, view.ok.as_deref()));
    shell.title = c.name.clone();
    let detail = DetailPage {
        source: source_label(shell.t, &c.source),
        tags,
        pains,
        show_notes: page.can(Permission::ReadCustomerNotes),
        show_audit: page.can(Permission::ReadAudit),
        can_edit,
        can_log,
        contacts: contacts
            .into_iter()
            .map(|k| ContactRow {
                id: k.id,
                tel: k.phone.chars().filter(|ch| ch.is_ascii_digit() || *ch == '+').collect(),
                name: k.name,
                title: k.title,
                phone: k.phone,
                email: k.email,
                im_id: k.im_id,
            })
            .collect(),
        timeline: history
            .into_iter()
            .map(|i| InteractionRow {
                can_edit: may_correct(actor, can_log, &i),
                id: i.id,
                date: i.occurred_on.to_string(),
                time: i.occurred_at,
                channel_key: channel_key(i.channel),
                kind_key: kind_key(i.kind),
                kind: i.kind.as_str(),
                note: i.note,
                amount: i.amount_fen.map(format_cny),
                by: i.created_by_name,
            })
            .collect(),
        more,
        contact: view.contact,
        contact_errors: view.contact_errors,
        interaction: view.interaction,
        interaction_errors: view.interaction_errors,
        channels: channels(),
        kinds: kinds(),
        today: today.to_string(),
        c: c.into(),
        shell,
    };
    Ok(render(status, &detail))
}

#[derive(Deserialize)]
pub struct OkQuery {
    ok: Option<String>,
}

pub async fn detail(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Query(q): Query<OkQuery>,
) -> PageResult {
    let id = parse_id(&id)?;
    detail_page(&state, &page, id, DetailState::fresh(q.ok, state.store.today()), StatusCode::OK).await
}

fn done(customer_id: i64, key: &str, anchor: &str) -> PageResult {
    Ok(Redirect::to(&format!("/customers/{customer_id}?ok={key}#{anchor}")).into_response())
}

// ------------------------------------------------------------ contacts

pub async fn add_contact(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    PageForm(form): PageForm<ContactForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    match ops::contacts::create(&state.store, &page.actor, id, form.fields()).await {
        Ok(_) => done(id, "contacts.added", "contacts"),
        Err(e) => {
            let errors = field_errors(page.t, e)?;
            let view =
                DetailState { contact: form, contact_errors: errors, ..DetailState::fresh(None, state.store.today()) };
            detail_page(&state, &page, id, view, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// One (label key, value) line of a record as it is now, after a version conflict.
pub type StaleLine = (&'static str, String);

#[derive(Template)]
#[template(path = "contact_edit.html")]
struct ContactEditPage {
    shell: Shell,
    customer_id: i64,
    customer_name: String,
    contact_id: i64,
    contact: ContactForm,
    contact_errors: FieldErrors,
    stale: Option<Vec<StaleLine>>,
}

/// Loads contact `cid` of customer `id` for editing (404 when it belongs elsewhere).
async fn editable_contact(state: &AppState, actor: &Actor, id: i64, cid: i64) -> Result<(Contact, String), OpsError> {
    let contact = ops::contacts::for_edit(&state.store, actor, cid).await?;
    if contact.customer_id != id {
        return Err(OpsError::NotFound);
    }
    let customer = ops::customers::get(&state.store, actor, id, state.store.today()).await?;
    Ok((contact, customer.name))
}

fn ids(id: &str, cid: &str) -> Result<(i64, i64), super::PageError> {
    Ok((parse_id(id)?, parse_id(cid)?))
}

pub async fn edit_contact(
    State(state): State<AppState>,
    page: Page,
    Path((id, cid)): Path<(String, String)>,
) -> PageResult {
    let (id, cid) = ids(&id, &cid)?;
    let (contact, customer_name) = editable_contact(&state, &page.actor, id, cid).await?;
    let edit = ContactEditPage {
        shell: page.shell("contact.edit", "/customers"),
        customer_id: id,
        customer_name,
        contact_id: cid,
        contact: ContactForm::of(&contact),
        contact_errors: FieldErrors::none(),
        stale: None,
    };
    Ok(render(StatusCode::OK, &edit))
}

fn text_of(v: &Value, key: &str) -> String {
    match &v[key] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

pub async fn update_contact(
    State(state): State<AppState>,
    page: Page,
    Path((id, cid)): Path<(String, String)>,
    PageForm(form): PageForm<ContactForm>,
) -> PageResult {
    let (id, cid) = ids(&id, &cid)?;
    let (_, customer_name) = editable_contact(&state, &page.actor, id, cid).await?;
    let mut form = form;
    let (status, errors, stale) =
        match ops::contacts::update(&state.store, &page.actor, cid, Some(form.version), form.fields()).await {
            Ok(saved) => return done(saved.customer_id, "contacts.saved", "contacts"),
            Err(OpsError::Stale { current_version, current }) => {
                // Keep what was typed; the next save knowingly replaces what is shown.
                form.version = current_version;
                let lines = vec![
                    ("contact.name", text_of(&current, "name")),
                    ("contact.title", text_of(&current, "title")),
                    ("contact.phone", text_of(&current, "phone")),
                    ("contact.email", text_of(&current, "email")),
                    ("contact.im_id", text_of(&current, "im_id")),
                ];
                (StatusCode::CONFLICT, FieldErrors::none(), Some(lines))
            }
            Err(e) => (StatusCode::UNPROCESSABLE_ENTITY, field_errors(page.t, e)?, None),
        };
    let edit = ContactEditPage {
        shell: page.shell("contact.edit", "/customers"),
        customer_id: id,
        customer_name,
        contact_id: cid,
        contact: form,
        contact_errors: errors,
        stale,
    };
    Ok(render(status, &edit))
}

pub async fn delete_contact(
    State(state): State<AppState>,
    page: Page,
    Path((id, cid)): Path<(String, String)>,
) -> PageResult {
    let (id, cid) = ids(&id, &cid)?;
    editable_contact(&state, &page.actor, id, cid).await?;
    ops::contacts::delete(&state.store, &page.actor, cid).await?;
    done(id, "contacts.deleted", "contacts")
}

// ------------------------------------------------------------ interactions

pub async fn add_interaction(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    PageForm(form): PageForm<InteractionForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    // Authorization first, so a form error is never shown to someone who may not log at all.
    ops::interactions::check_customer(&state.store, &page.actor, id).await?;
    let errors = match form.fields(page.t) {
        Err(errors) => errors,
        Ok(fields) => match ops::interactions::create(&state.store, &page.actor, id, fields).await {
            Ok(_) => return done(id, "interactions.added", "timeline"),
            Err(e) => field_errors(page.t, e)?,
        },
    };
    let view =
        DetailState { interaction: form, interaction_errors: errors, ..DetailState::fresh(None, state.store.today()) };
    detail_page(&state, &page, id, view, StatusCode::UNPROCESSABLE_ENTITY).await
}

#[derive(Template)]
#[template(path = "interaction_edit.html")]
struct InteractionEditPage {
    shell: Shell,
    customer_id: i64,
    customer_name: String,
    interaction_id: i64,
    interaction: InteractionForm,
    interaction_errors: FieldErrors,
    stale: Option<Vec<StaleLine>>,
    channels: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    today: String,
}

async fn editable_interaction(
    state: &AppState,
    actor: &Actor,
    id: i64,
    iid: i64,
) -> Result<(Interaction, String), OpsError> {
    let found = ops::interactions::for_edit(&state.store, actor, iid).await?;
    if found.customer_id != id {
        return Err(OpsError::NotFound);
    }
    let customer = ops::customers::get(&state.store, actor, id, state.store.today()).await?;
    Ok((found, customer.name))
}

/// The correction form of one follow-up record.
struct InteractionEdit {
    id: i64,
    iid: i64,
    customer_name: String,
    form: InteractionForm,
    errors: FieldErrors,
    stale: Option<Vec<StaleLine>>,
}

fn interaction_page(state: &AppState, page: &Page, edit: InteractionEdit, status: StatusCode) -> Response {
    let body = InteractionEditPage {
        shell: page.shell("interaction.edit", "/customers"),
        customer_id: edit.id,
        customer_name: edit.customer_name,
        interaction_id: edit.iid,
        interaction: edit.form,
        interaction_errors: edit.errors,
        stale: edit.stale,
        channels: channels(),
        kinds: kinds(),
        today: state.store.today().to_string(),
    };
    render(status, &body)
}

pub async fn edit_interaction(
    State(state): State<AppState>,
    page: Page,
    Path((id, iid)): Path<(String, String)>,
) -> PageResult {
    let (id, iid) = ids(&id, &iid)?;
    let (found, customer_name) = editable_interaction(&state, &page.actor, id, iid).await?;
    let edit = InteractionEdit {
        id,
        iid,
        customer_name,
        form: InteractionForm::of(&found),
        errors: FieldErrors::none(),
        stale: None,
    };
    Ok(interaction_page(&state, &page, edit, StatusCode::OK))
}

/// The interaction as it is now, from a version conflict's `current`.
fn stale_interaction(t: &Texts, current: &Value) -> Vec<StaleLine> {
    let label = |key: &str, f: fn(&str) -> Option<&'static str>| {
        let code = text_of(current, key);
        f(&code).map_or(code.clone(), |k| t.get(k).to_owned())
    };
    let time = text_of(current, "occurred_at");
    vec![
        ("interaction.date", format!("{} {time}", text_of(current, "occurred_on")).trim().to_owned()),
        ("interaction.channel", label("channel", |c| c.parse::<Channel>().ok().map(channel_key))),
        ("interaction.kind", label("kind", |k| k.parse::<InteractionKind>().ok().map(kind_key))),
        ("interaction.note", text_of(current, "note")),
        ("interaction.amount", current["amount_fen"].as_i64().map(format_cny).unwrap_or_default()),
    ]
}

pub async fn update_interaction(
    State(state): State<AppState>,
    page: Page,
    Path((id, iid)): Path<(String, String)>,
    PageForm(form): PageForm<InteractionForm>,
) -> PageResult {
    let (id, iid) = ids(&id, &iid)?;
    let (_, customer_name) = editable_interaction(&state, &page.actor, id, iid).await?;
    let mut edit = InteractionEdit { id, iid, customer_name, form, errors: FieldErrors::none(), stale: None };
    let fields = match edit.form.fields(page.t) {
        Ok(fields) => fields,
        Err(errors) => {
            edit.errors = errors;
            return Ok(interaction_page(&state, &page, edit, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    match ops::interactions::update(&state.store, &page.actor, iid, Some(edit.form.version), fields).await {
        Ok(saved) => done(saved.customer_id, "interactions.saved", "timeline"),
        Err(OpsError::Stale { current_version, current }) => {
            edit.form.version = current_version;
            edit.stale = Some(stale_interaction(page.t, &current));
            Ok(interaction_page(&state, &page, edit, StatusCode::CONFLICT))
        }
        Err(e) => {
            edit.errors = field_errors(page.t, e)?;
            Ok(interaction_page(&state, &page, edit, StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}

pub async fn delete_interaction(
    State(state): State<AppState>,
    page: Page,
    Path((id, iid)): Path<(String, String)>,
) -> PageResult {
    let (id, iid) = ids(&id, &iid)?;
    editable_interaction(&state, &page.actor, id, iid).await?;
    ops::interactions::delete(&state.store, &page.actor, iid).await?;
    done(id, "interactions.deleted", "timeline")
}
