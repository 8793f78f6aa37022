//! The knowledge base pages (知识库): the list with its search box and
//! filters, an entry, the new and edit forms (a follow-up's feedback opens
//! the new form filled in), and the search across entries, customers and
//! follow-up notes. Highlights are built as pieces and escaped by the
//! template: stored text is never markup.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::forms::{FieldErrors, field_errors};
use crate::app::AppState;
use crate::domain::campaign::CampaignKind;
use crate::domain::knowledge::{EntryKind, Piece};
use crate::ops::authz::Permission;
use crate::ops::knowledge::{EntryInput, EntryQuery, Section};
use crate::ops::{self, OpsError};
use crate::store::knowledge::{Entry, EntryFields};
use crate::web::pages::{Page, PageForm, PageResult, Shell, flash_from, parse_id, render};

/// Entries and hits per page.
const PER_PAGE: i64 = 20;

pub fn kind_key(kind: &str) -> &'static str {
    match kind {
        "objection" => "knowledge.kind_objection",
        "solution" => "knowledge.kind_solution",
        "lesson" => "knowledge.kind_lesson",
        _ => "knowledge.kind_script",
    }
}

pub fn status_key(status: &str) -> &'static str {
    match status {
        "proposed" => "knowledge.status_proposed",
        "retired" => "knowledge.status_retired",
        _ => "knowledge.status_published",
    }
}

fn kinds() -> Vec<(&'static str, &'static str)> {
    EntryKind::ALL.iter().map(|k| (k.as_str(), kind_key(k.as_str()))).collect()
}

/// An entry as a list line: title and a cut of the body, with highlights.
pub struct EntryLine {
    pub id: i64,
    pub kind_key: &'static str,
    pub status: String,
    pub status_key: &'static str,
    pub title: Vec<Piece>,
    pub snippet: Vec<Piece>,
    pub tags: String,
}

fn tag_line(e: &Entry) -> String {
    e.pain_points.iter().chain(&e.industries).cloned().collect::<Vec<_>>().join("、")
}

fn line(e: &Entry, terms: &[String]) -> EntryLine {
    EntryLine {
        id: e.id,
        kind_key: kind_key(&e.kind),
        status: e.status.clone(),
        status_key: status_key(&e.status),
        title: ops::knowledge::highlight(&e.title, terms, 200),
        snippet: ops::knowledge::highlight(&e.body, terms, 120),
        tags: tag_line(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    q: String,
    kind: String,
    pain_point: String,
    industry: String,
    status: String,
    page: String,
    ok: Option<String>,
}

fn page_number(raw: &str) -> i64 {
    raw.trim().parse::<i64>().ok().filter(|n| (1..=1000).contains(n)).unwrap_or(1)
}

#[derive(Template)]
#[template(path = "knowledge.html")]
struct ListPage {
    shell: Shell,
    q: String,
    kind: String,
    pain_point: String,
    industry: String,
    status: String,
    kinds: Vec<(&'static str, &'static str)>,
    rows: Vec<EntryLine>,
    total: i64,
    page: i64,
    prev: Option<String>,
    next: Option<String>,
    can_propose: bool,
    curator: bool,
    q_error: Option<String>,
    filtered: bool,
    /// The same words searched in customers and follow-up notes too.
    everywhere: Option<String>,
}

fn list_href(q: &ListQuery, page: i64) -> String {
    let enc = |s: &str| crate::web::session::urlencode(s);
    format!(
        "/knowledge?q={}&kind={}&pain_point={}&industry={}&status={}&page={page}",
        enc(&q.q),
        enc(&q.kind),
        enc(&q.pain_point),
        enc(&q.industry),
        enc(&q.status)
    )
}

pub async fn list(State(state): State<AppState>, page: Page, Query(q): Query<ListQuery>) -> PageResult {
    let n = page_number(&q.page);
    let query = EntryQuery {
        q: Some(q.q.clone()),
        kind: Some(q.kind.clone()),
        status: Some(q.status.clone()),
        pain_point: Some(q.pain_point.clone()),
        industry: Some(q.industry.clone()),
        offset: (n - 1) * PER_PAGE,
        limit: PER_PAGE,
    };
    let (rows, total, q_error) = match ops::knowledge::list(&state.store, &page.actor, query).await {
        Ok(p) => (p.items.iter().map(|e| line(e, &p.terms)).collect(), p.total, None),
        Err(OpsError::Invalid { field, message }) => {
            (Vec::new(), 0, Some(super::forms::invalid_text(page.t, field, &message)))
        }
        Err(e) => return Err(e.into()),
    };
    let shell = page.shell("knowledge.title", "/knowledge").with_flash(flash_from(page.t, q.ok.as_deref()));
    let filtered = [&q.q, &q.kind, &q.pain_point, &q.industry, &q.status].iter().any(|s| !s.trim().is_empty());
    let body = ListPage {
        shell,
        prev: (n > 1).then(|| list_href(&q, n - 1)),
        everywhere: (!q.q.trim().is_empty()).then(|| format!("/search?q={}", crate::web::session::urlencode(&q.q))),
        next: (n * PER_PAGE < total).then(|| list_href(&q, n + 1)),
        q: q.q,
        kind: q.kind,
        pain_point: q.pain_point,
        industry: q.industry,
        status: q.status,
        kinds: kinds(),
        rows,
        total,
        page: n,
        can_propose: page.can(Permission::ProposeKnowledge),
        curator: page.can(Permission::CurateKnowledge),
        q_error,
        filtered,
    };
    let status = if body.q_error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render(status, &body))
}

#[derive(Template)]
#[template(path = "knowledge_entry.html")]
struct EntryPage {
    shell: Shell,
    e: Entry,
    kind_key: &'static str,
    status_key: &'static str,
    campaign_kinds: String,
    curator: bool,
    can_edit: bool,
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let id = parse_id(&id)?;
    let e = ops::knowledge::get(&state.store, &page.actor, id).await?;
    let curator = page.can(Permission::CurateKnowledge);
    let can_edit = curator || (e.status == "proposed" && e.author_id == Some(page.actor.id));
    let campaign_kinds = e
        .campaign_kinds
        .iter()
        .map(|k| {
            k.parse::<CampaignKind>()
                .map(|k| page.t.get(crate::web::pages::campaigns::kind_key(k)).to_owned())
                .unwrap_or_else(|_| k.clone())
        })
        .collect::<Vec<_>>()
        .join("、");
    let shell = page.shell("knowledge.entry", "/knowledge").with_flash(flash_from(page.t, q.ok.as_deref()));
    let body = EntryPage {
        shell,
        kind_key: kind_key(&e.kind),
        status_key: status_key(&e.status),
        campaign_kinds,
        curator,
        can_edit,
        e,
    };
    Ok(render(StatusCode::OK, &body))
}

/// The form's fields as typed.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct EntryForm {
    kind: String,
    title: String,
    body: String,
    pain_points: String,
    industries: String,
    campaign_kinds: Vec<String>,
    tiers: Vec<String>,
    status: String,
    follow_up_id: String,
    version: String,
}

impl EntryForm {
    fn of(f: &EntryFields, version: i64) -> EntryForm {
        EntryForm {
            kind: f.kind.clone(),
            title: f.title.clone(),
            body: f.body.clone(),
            pain_points: f.pain_points.join("、"),
            industries: f.industries.join("、"),
            campaign_kinds: f.campaign_kinds.clone(),
            tiers: f.tiers.clone(),
            status: f.status.clone(),
            follow_up_id: f.follow_up_id.map(|i| i.to_string()).unwrap_or_default(),
            version: version.to_string(),
        }
    }

    fn input(&self, curator: bool) -> EntryInput {
        let list = |s: &str| crate::io::values::split_list(s);
        EntryInput {
            kind: Some(self.kind.clone()),
            title: Some(self.title.clone()),
            body: Some(self.body.clone()),
            pain_points: Some(list(&self.pain_points)),
            industries: Some(list(&self.industries)),
            campaign_kinds: Some(self.campaign_kinds.clone()),
            tiers: Some(self.tiers.clone()),
            campaign_id: None,
            follow_up_id: self.follow_up_id.trim().parse().ok(),
            status: (curator && !self.status.trim().is_empty()).then(|| self.status.clone()),
        }
    }

    fn has_kind(&self, k: &str) -> bool {
        self.campaign_kinds.iter().any(|x| x == k)
    }

    fn has_tier(&self, t: &str) -> bool {
        self.tiers.iter().any(|x| x == t)
    }
}

#[derive(Template)]
#[template(path = "knowledge_form.html")]
struct FormPage {
    shell: Shell,
    /// `None`: a new entry.
    id: Option<i64>,
    form: EntryForm,
    errors: FieldErrors,
    stale: bool,
    kinds: Vec<(&'static str, &'static str)>,
    campaign_kinds: Vec<(&'static str, &'static str)>,
    curator: bool,
}

fn form_page(
    page: &Page,
    id: Option<i64>,
    form: EntryForm,
    errors: FieldErrors,
    stale: bool,
    status: StatusCode,
) -> Response {
    let title = if id.is_some() { "knowledge.edit" } else { "knowledge.new" };
    let body = FormPage {
        shell: page.shell(title, "/knowledge"),
        id,
        form,
        errors,
        stale,
        kinds: kinds(),
        campaign_kinds: CampaignKind::ALL
            .iter()
            .map(|k| (k.as_str(), crate::web::pages::campaigns::kind_key(*k)))
            .collect(),
        curator: page.can(Permission::CurateKnowledge),
    };
    render(status, &body)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    follow_up: String,
}

/// The new-entry form; `?follow_up=ID` fills it from that follow-up.
pub async fn new(State(state): State<AppState>, page: Page, Query(q): Query<NewQuery>) -> PageResult {
    page.require(Permission::ProposeKnowledge)?;
    let form = match q.follow_up.trim() {
        "" => EntryForm {
            kind: "script".to_owned(),
            status: if page.can(Permission::CurateKnowledge) { "published" } else { "proposed" }.to_owned(),
            ..EntryForm::default()
        },
        raw => {
            let id = parse_id(raw)?;
            EntryForm::of(&ops::knowledge::draft_from_follow_up(&state.store, &page.actor, id).await?, 1)
        }
    };
    Ok(form_page(&page, None, form, FieldErrors::none(), false, StatusCode::OK))
}

pub async fn create(State(state): State<AppState>, page: Page, PageForm(f): PageForm<EntryForm>) -> PageResult {
    page.require(Permission::ProposeKnowledge)?;
    match ops::knowledge::create(&state.store, &page.actor, f.input(page.can(Permission::CurateKnowledge))).await {
        Ok(e) => Ok(Redirect::to(&format!("/knowledge/{}?ok=knowledge.saved", e.id)).into_response()),
        Err(e) => {
            let errors = field_errors(page.t, e)?;
            Ok(form_page(&page, None, f, errors, false, StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}

pub async fn edit(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&id)?;
    let e = ops::knowledge::editable(&state.store, &page.actor, id).await?;
    let form = EntryForm::of(&EntryFields::from(&e), e.version);
    Ok(form_page(&page, Some(id), form, FieldErrors::none(), false, StatusCode::OK))
}

pub async fn update(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    PageForm(mut f): PageForm<EntryForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    page.require(Permission::ProposeKnowledge)?;
    let version = f.version.trim().parse().ok();
    let mut input = f.input(page.can(Permission::CurateKnowledge));
    input.follow_up_id = None;
    match ops::knowledge::update(&state.store, &page.actor, id, version, input).await {
        Ok(_) => Ok(Redirect::to(&format!("/knowledge/{id}?ok=knowledge.saved")).into_response()),
        Err(OpsError::Stale { current_version, .. }) => {
            f.version = current_version.to_string();
            Ok(form_page(&page, Some(id), f, FieldErrors::none(), true, StatusCode::CONFLICT))
        }
        Err(e) => {
            let errors = field_errors(page.t, e)?;
            Ok(form_page(&page, Some(id), f, errors, false, StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ActForm {
    version: String,
    other_id: String,
}

pub async fn retire(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    PageForm(f): PageForm<ActForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    page.require(Permission::CurateKnowledge)?;
    ops::knowledge::retire(&state.store, &page.actor, id, f.version.trim().parse().ok()).await?;
    Ok(Redirect::to(&format!("/knowledge/{id}?ok=knowledge.retired")).into_response())
}

pub async fn merge(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    PageForm(f): PageForm<ActForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    page.require(Permission::CurateKnowledge)?;
    let other = f.other_id.trim().trim_start_matches('#').parse::<i64>().unwrap_or(0);
    ops::knowledge::merge(&state.store, &page.actor, id, other, f.version.trim().parse().ok()).await?;
    Ok(Redirect::to(&format!("/knowledge/{id}?ok=knowledge.merged")).into_response())
}

pub struct CustomerLine {
    pub id: i64,
    pub name: Vec<Piece>,
    pub industry: String,
    pub region: String,
}

pub struct NoteLine {
    pub customer_id: i64,
    pub customer_name: String,
    pub occurred_on: String,
    pub snippet: Vec<Piece>,
    pub member_href: Option<String>,
}

/// One section of the results, with its count and the link to its next page.
pub struct HitSection<T> {
    pub rows: Vec<T>,
    pub total: i64,
    pub more: Option<String>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    shell: Shell,
    q: String,
    error: Option<String>,
    searched: bool,
    entries: Option<HitSection<EntryLine>>,
    customers: Option<HitSection<CustomerLine>>,
    notes: Option<HitSection<NoteLine>>,
    prev: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SearchQuery {
    q: String,
    #[serde(rename = "in")]
    section: String,
    page: String,
}

fn search_href(q: &str, section: &str, page: i64) -> String {
    format!("/search?q={}&in={section}&page={page}", crate::web::session::urlencode(q))
}

pub async fn search(State(state): State<AppState>, page: Page, Query(s): Query<SearchQuery>) -> PageResult {
    let shell = page.shell("search.title", "/knowledge");
    let mut body = SearchPage {
        shell,
        q: s.q.clone(),
        error: None,
        searched: false,
        entries: None,
        customers: None,
        notes: None,
        prev: None,
    };
    if s.q.trim().is_empty() {
        return Ok(render(StatusCode::OK, &body));
    }
    let only = match s.section.trim() {
        "" => None,
        x => Some(x.parse::<Section>()?),
    };
    let n = if only.is_some() { page_number(&s.page) } else { 1 };
    let offset = (n - 1) * PER_PAGE;
    let r = match ops::knowledge::search(&state.store, &page.actor, &s.q, only, offset, PER_PAGE).await {
        Ok(r) => r,
        Err(OpsError::Invalid { field, message }) => {
            body.error = Some(super::forms::invalid_text(page.t, field, &message));
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &body));
        }
        Err(e) => return Err(e.into()),
    };
    body.searched = true;
    let terms = r.terms;
    let more = |name: &str, shown: usize, total: i64| {
        (offset + (shown as i64) < total).then(|| search_href(&s.q, name, n + 1))
    };
    if let Some(only) = only.filter(|_| n > 1) {
        let name = match only {
            Section::Entries => "entries",
            Section::Customers => "customers",
            Section::Notes => "notes",
        };
        body.prev = Some(search_href(&s.q, name, n - 1));
    }
    body.entries = r.entries.map(|h| HitSection {
        more: more("entries", h.items.len(), h.total),
        rows: h.items.iter().map(|e| line(e, &terms)).collect(),
        total: h.total,
    });
    body.customers = r.customers.map(|h| HitSection {
        more: more("customers", h.items.len(), h.total),
        rows: h
            .items
            .into_iter()
            .map(|c| CustomerLine {
                id: c.id,
                name: ops::knowledge::highlight(&c.name, &terms, 200),
                industry: c.industry,
                region: c.region,
            })
            .collect(),
        total: h.total,
    });
    body.notes = r.notes.map(|h| HitSection {
        more: more("notes", h.items.len(), h.total),
        rows: h
            .items
            .into_iter()
            .map(|x| NoteLine {
                member_href: x.campaign_id.map(|c| format!("/campaigns/{c}/members/{}", x.customer_id)),
                customer_id: x.customer_id,
                customer_name: x.customer_name,
                occurred_on: x.occurred_on.to_string(),
                snippet: ops::knowledge::highlight(&x.note, &terms, 120),
            })
            .collect(),
        total: h.total,
    });
    Ok(render(StatusCode::OK, &body))
}
