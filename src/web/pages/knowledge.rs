//! The knowledge base pages (知识库): the list with its search box and
//! filters, an entry, the new and edit forms (a follow-up's feedback opens
//! the new form filled in), and the search across entries, customers and
//! follow-up notes. Highlights are built as pieces and escaped by the
//! template: stored text is never markup.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
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

/// The "helped" (有帮助) mark of an entry as a page shows it
/// (`knowledge_helped.html`): pressing toggles one's own mark.
pub struct HelpedButton {
    pub id: i64,
    pub count: i64,
    /// The reader marked it.
    pub mine: bool,
    /// The reader may mark (reps, leads, admins); others see the count.
    pub can_mark: bool,
    /// Where the form goes back to without JavaScript.
    pub back: String,
}

impl HelpedButton {
    pub fn of(page: &Page, id: i64, count: i64, mine: &[i64], back: String) -> HelpedButton {
        HelpedButton { id, count, mine: mine.contains(&id), can_mark: page.can(Permission::MarkKnowledgeHelped), back }
    }
}

/// An entry as a list line: title and a cut of the body, with highlights.
pub struct EntryLine {
    pub id: i64,
    /// How many marked it "helped".
    pub helped: i64,
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
        helped: e.helped,
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
    h: HelpedButton,
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
    let mine = ops::knowledge::helped_by_me(&state.store, &page.actor).await?;
    let mut h = HelpedButton::of(&page, e.id, e.helped, &mine, format!("/knowledge/{}", e.id));
    // A retired entry keeps its count; it is no longer suggested or marked.
    h.can_mark &= e.status != "retired";
    let shell = page.shell("knowledge.entry", "/knowledge").with_flash(flash_from(page.t, q.ok.as_deref()));
    let body = EntryPage {
        shell,
        h,
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
#[derive(Default, Clone)]
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
    /// A draft from a review line: its campaign and metric key.
    campaign_id: String,
    review_line: String,
    version: String,
}

/// A form body as pairs: checkboxes (campaign kinds, tiers) repeat their name.
type Pairs = Vec<(String, String)>;

impl EntryForm {
    fn from_pairs(p: &Pairs) -> EntryForm {
        let one = |name: &str| p.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
        let all = |name: &str| p.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect::<Vec<_>>();
        EntryForm {
            kind: one("kind"),
            title: one("title"),
            body: one("body"),
            pain_points: one("pain_points"),
            industries: one("industries"),
            campaign_kinds: all("campaign_kinds"),
            tiers: all("tiers"),
            status: one("status"),
            follow_up_id: one("follow_up_id"),
            campaign_id: one("campaign_id"),
            review_line: one("review_line"),
            version: one("version"),
        }
    }

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
            campaign_id: f.campaign_id.map(|i| i.to_string()).unwrap_or_default(),
            review_line: String::new(),
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
            // The campaign comes with a review line's draft; otherwise the
            // form keeps the entry's campaign as it is.
            campaign_id: if self.review_line.trim().is_empty() { None } else { self.campaign_id.trim().parse().ok() },
            follow_up_id: self.follow_up_id.trim().parse().ok(),
            review_line: Some(self.review_line.clone()).filter(|k| !k.trim().is_empty()),
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
    campaign: String,
    line: String,
}

/// The new-entry form; `?follow_up=ID` fills it from that follow-up,
/// `?campaign=ID&line=KEY` from that line of the campaign's review.
pub async fn new(State(state): State<AppState>, page: Page, Query(q): Query<NewQuery>) -> PageResult {
    page.require(Permission::ProposeKnowledge)?;
    let form = match q.follow_up.trim() {
        "" if !q.line.trim().is_empty() => {
            let campaign = parse_id(&q.campaign)?;
            let key = q.line.trim();
            let draft = match ops::knowledge::draft_from_review_line(&state.store, &page.actor, campaign, key).await {
                Err(OpsError::Invalid { .. }) => return Err(OpsError::NotFound.into()),
                r => r?,
            };
            EntryForm { review_line: key.to_owned(), ..EntryForm::of(&draft, 1) }
        }
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

pub async fn create(State(state): State<AppState>, page: Page, PageForm(pairs): PageForm<Pairs>) -> PageResult {
    page.require(Permission::ProposeKnowledge)?;
    let f = EntryForm::from_pairs(&pairs);
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
    PageForm(pairs): PageForm<Pairs>,
) -> PageResult {
    let id = parse_id(&id)?;
    page.require(Permission::ProposeKnowledge)?;
    let mut f = EntryForm::from_pairs(&pairs);
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

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct HelpedForm {
    /// `1` marks, `0` takes one's mark back.
    on: String,
    back: String,
}

#[derive(Template)]
#[template(path = "knowledge_helped.html")]
struct HelpedPartial {
    shell: Shell,
    h: HelpedButton,
}

/// A local path to go back to (never another site).
fn local_back(raw: &str) -> Option<&str> {
    let ok = raw.starts_with('/')
        && !raw.starts_with("//")
        && !raw.contains('\\')
        && !raw.chars().any(char::is_control)
        && raw.len() <= 500;
    ok.then_some(raw)
}

/// Marks or unmarks that an entry helped (the reader's own mark; see
/// `ops::knowledge::set_helped`). htmx gets the button back, in place;
/// without JavaScript the page it came from.
pub async fn helped(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    Path(id): Path<String>,
    PageForm(f): PageForm<HelpedForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    page.require(Permission::MarkKnowledgeHelped)?;
    let on = f.on.trim() != "0";
    let e = ops::knowledge::set_helped(&state.store, &page.actor, id, on).await?;
    let back = local_back(f.back.trim()).map_or_else(|| format!("/knowledge/{id}"), str::to_owned);
    if headers.contains_key("hx-request") {
        let h = HelpedButton { id, count: e.helped, mine: on, can_mark: true, back };
        return Ok(render(StatusCode::OK, &HelpedPartial { shell: page.shell("knowledge.title", "/knowledge"), h }));
    }
    Ok(Redirect::to(&back).into_response())
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
