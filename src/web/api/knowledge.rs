//! The knowledge base (知识库) and the search over entries, customers and
//! follow-up notes. `DELETE` retires an entry (for everyone, admins too):
//! entries are kept because merges point at them and the audit names them.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::AppState;
use crate::domain::knowledge::to_html;
use crate::ops;
use crate::ops::authz::{self, Permission};
use crate::ops::knowledge::{EntryInput, EntryQuery, Section};
use crate::store::knowledge::Entry;
use crate::web::api::{EditErrors, Forbidden};
use crate::web::api::{ErrorBody, List, Page, if_match, parse_body, parse_id};
use crate::web::cursor;
use crate::web::error::ApiError;
use crate::web::session::ApiAuth;

#[derive(Serialize, ToSchema)]
pub struct EntryOut {
    pub id: i64,
    /// script (话术), objection (异议应对), solution (解决方案), lesson (经验教训).
    pub kind: String,
    pub title: String,
    pub body: String,
    pub pain_points: Vec<String>,
    pub industries: Vec<String>,
    /// new_product, trade_show, appreciation, competitive, other.
    pub campaign_kinds: Vec<String>,
    /// S, B, C.
    pub tiers: Vec<String>,
    pub campaign_id: Option<i64>,
    pub follow_up_id: Option<i64>,
    /// proposed, published, retired.
    pub status: String,
    /// The entry this one was merged into.
    pub merged_into: Option<i64>,
    pub author_id: Option<i64>,
    pub author_name: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
    /// How many people marked the entry "helped" (有帮助); the follow-up
    /// form's suggestions rank by it.
    pub helped: i64,
    /// With a search: the title and a cut of the body around the first hit,
    /// HTML-escaped, the matched words in `<mark>`.
    pub title_html: Option<String>,
    pub snippet_html: Option<String>,
}

fn out(e: Entry, terms: &[String]) -> EntryOut {
    let (title_html, snippet_html) = if terms.is_empty() {
        (None, None)
    } else {
        (
            Some(to_html(&ops::knowledge::highlight(&e.title, terms, 200))),
            Some(to_html(&ops::knowledge::highlight(&e.body, terms, 120))),
        )
    };
    EntryOut {
        id: e.id,
        kind: e.kind,
        title: e.title,
        body: e.body,
        pain_points: e.pain_points,
        industries: e.industries,
        campaign_kinds: e.campaign_kinds,
        tiers: e.tiers,
        campaign_id: e.campaign_id,
        follow_up_id: e.follow_up_id,
        status: e.status,
        merged_into: e.merged_into,
        author_id: e.author_id,
        author_name: e.author_name,
        created_at: e.created_at.to_rfc3339(),
        updated_at: e.updated_at.to_rfc3339(),
        version: e.version,
        helped: e.helped,
        title_html,
        snippet_html,
    }
}

#[derive(Serialize, ToSchema)]
pub struct EntryList {
    pub items: Vec<EntryOut>,
    pub total: i64,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EntryFilterIo {
    /// Words that must all occur in the title or body (any length; 价格 works).
    pub q: Option<String>,
    /// script, objection, solution, lesson.
    pub kind: Option<String>,
    /// proposed, published, retired; default: proposed and published.
    pub status: Option<String>,
    /// Tagged with this pain point.
    pub pain_point: Option<String>,
    /// Tagged with this industry.
    pub industry: Option<String>,
}

fn offset_of(page: &Page) -> Result<i64, ApiError> {
    Ok(page.after_id()?.unwrap_or(0).max(0))
}

fn next(offset: i64, shown: usize, total: i64) -> Option<String> {
    let end = offset + shown as i64;
    (shown > 0 && end < total).then(|| cursor::encode(end))
}

/// Entries the caller may read (others' proposals only for curators), with
/// highlights when searching.
#[utoipa::path(get, operation_id = "knowledge_list", path = "/api/v1/knowledge", tag = "knowledge", params(Page, EntryFilterIo),
    responses((status = 200, description = "OK", body = EntryList)))]
pub async fn list(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Query(page): Query<Page>,
    Query(f): Query<EntryFilterIo>,
) -> Result<Json<List<EntryOut>>, ApiError> {
    let (limit, offset) = (page.limit()?, offset_of(&page)?);
    let q = EntryQuery {
        q: f.q,
        kind: f.kind,
        status: f.status,
        pain_point: f.pain_point,
        industry: f.industry,
        offset,
        limit,
    };
    let p = ops::knowledge::list(&state.store, &actor, q).await?;
    let next_cursor = next(offset, p.items.len(), p.total);
    Ok(Json(List { items: p.items.into_iter().map(|e| out(e, &p.terms)).collect(), total: p.total, next_cursor }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryInputIo {
    pub kind: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub pain_points: Option<Vec<String>>,
    pub industries: Option<Vec<String>>,
    pub campaign_kinds: Option<Vec<String>>,
    pub tiers: Option<Vec<String>>,
    pub campaign_id: Option<i64>,
    /// On create: the follow-up whose feedback becomes the draft; fields not
    /// given are filled from it, and the entry starts as proposed.
    pub follow_up_id: Option<i64>,
    /// On create, with `campaign_id`: the metric key of that campaign's
    /// review line (reached, intent_customers, orders, sales_amount,
    /// average_order_value, cost, roi, conversion) whose highlight, problem
    /// and improvement become a draft lesson; fields not given are filled
    /// from it, and the entry starts as proposed.
    pub review_line: Option<String>,
    /// Curators: proposed, published or retired; others: proposed only.
    pub status: Option<String>,
    /// The version being edited (or `If-Match`).
    pub version: Option<i64>,
}

impl EntryInputIo {
    fn input(self) -> (EntryInput, Option<i64>) {
        (
            EntryInput {
                kind: self.kind,
                title: self.title,
                body: self.body,
                pain_points: self.pain_points,
                industries: self.industries,
                campaign_kinds: self.campaign_kinds,
                tiers: self.tiers,
                campaign_id: self.campaign_id,
                follow_up_id: self.follow_up_id,
                review_line: self.review_line,
                status: self.status,
            },
            self.version,
        )
    }
}

/// Add an entry: curators (marketing, lead, admin) publish; reps and
/// customer service propose. With `follow_up_id` the follow-up's feedback
/// is the draft; with `campaign_id` and `review_line` that line of the
/// campaign's review (活动复盘) is.
#[utoipa::path(post, operation_id = "knowledge_create", path = "/api/v1/knowledge", tag = "knowledge", request_body = EntryInputIo,
    responses((status = 201, description = "Created", body = EntryOut), Forbidden))]
pub async fn create(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<EntryOut>), ApiError> {
    authz::require(&actor, Permission::ProposeKnowledge)?;
    let (input, _) = parse_body::<EntryInputIo>(&headers, &body)?.input();
    Ok((StatusCode::CREATED, Json(out(ops::knowledge::create(&state.store, &actor, input).await?, &[]))))
}

/// One entry.
#[utoipa::path(get, operation_id = "knowledge_get", path = "/api/v1/knowledge/{id}", tag = "knowledge",
    params(("id" = i64, Path, description = "entry id")),
    responses((status = 200, description = "OK", body = EntryOut)))]
pub async fn get(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<EntryOut>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(out(ops::knowledge::get(&state.store, &actor, id).await?, &[])))
}

/// Edit an entry (curators; an author their own proposal). 409 when the
/// version given is no longer current.
#[utoipa::path(patch, operation_id = "knowledge_update", path = "/api/v1/knowledge/{id}", tag = "knowledge", request_body = EntryInputIo,
    params(("id" = i64, Path, description = "entry id"), ("If-Match" = Option<String>, Header, description = "the version being edited")),
    responses((status = 200, description = "OK", body = EntryOut), EditErrors))]
pub async fn update(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<EntryOut>, ApiError> {
    let id = parse_id(&id)?;
    ops::knowledge::editable(&state.store, &actor, id).await?;
    let (input, version) = parse_body::<EntryInputIo>(&headers, &body)?.input();
    let version = if_match(&headers)?.or(version);
    Ok(Json(out(ops::knowledge::update(&state.store, &actor, id, version, input).await?, &[])))
}

/// Retire an entry (curators). Entries are not deleted.
#[utoipa::path(delete, operation_id = "knowledge_retire", path = "/api/v1/knowledge/{id}", tag = "knowledge",
    params(("id" = i64, Path, description = "entry id"), ("If-Match" = Option<String>, Header, description = "the version being retired")),
    responses((status = 200, description = "Retired", body = EntryOut), EditErrors))]
pub async fn retire(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<EntryOut>, ApiError> {
    let id = parse_id(&id)?;
    authz::require(&actor, Permission::CurateKnowledge)?;
    let version = if_match(&headers)?;
    Ok(Json(out(ops::knowledge::retire(&state.store, &actor, id, version).await?, &[])))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeIo {
    /// The entry absorbed: it is retired and points at this one.
    pub other_id: i64,
    /// This entry's version (or `If-Match`).
    pub version: Option<i64>,
}

/// This entry absorbs another (curators): the other's tags are added here,
/// the other is retired with `merged_into` set.
#[utoipa::path(post, operation_id = "knowledge_merge", path = "/api/v1/knowledge/{id}/merge", tag = "knowledge", request_body = MergeIo,
    params(("id" = i64, Path, description = "the entry that absorbs")),
    responses((status = 200, description = "OK", body = EntryOut), (status = 409, description = "Changed meanwhile, or retired", body = ErrorBody), Forbidden))]
pub async fn merge(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<EntryOut>, ApiError> {
    let id = parse_id(&id)?;
    authz::require(&actor, Permission::CurateKnowledge)?;
    let m = parse_body::<MergeIo>(&headers, &body)?;
    let version = if_match(&headers)?.or(m.version);
    Ok(Json(out(ops::knowledge::merge(&state.store, &actor, id, m.other_id, version).await?, &[])))
}

/// Mark that the entry helped you (有帮助): one mark per person, so marking
/// again changes nothing. Reps, leads and admins (who log follow-ups) may
/// mark any entry they can read. Answers the entry with its `helped` count.
#[utoipa::path(post, operation_id = "knowledge_helped", path = "/api/v1/knowledge/{id}/helped", tag = "knowledge",
    params(("id" = i64, Path, description = "entry id")),
    responses((status = 200, description = "Marked (or already marked)", body = EntryOut), Forbidden))]
pub async fn helped(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<EntryOut>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(out(ops::knowledge::set_helped(&state.store, &actor, id, true).await?, &[])))
}

/// Take back one's "helped" mark (nothing happens without one). Answers
/// the entry with its `helped` count.
#[utoipa::path(delete, operation_id = "knowledge_unhelped", path = "/api/v1/knowledge/{id}/helped", tag = "knowledge",
    params(("id" = i64, Path, description = "entry id")),
    responses((status = 200, description = "Unmarked (or was not marked)", body = EntryOut), Forbidden))]
pub async fn unhelped(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<EntryOut>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(out(ops::knowledge::set_helped(&state.store, &actor, id, false).await?, &[])))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchIo {
    /// Words that must all occur (substrings; one- and two-character words work too).
    pub q: Option<String>,
    /// Only one section: entries, customers or notes (to page it with its cursor).
    #[serde(rename = "in")]
    #[param(rename = "in")]
    pub section: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CustomerHitOut {
    pub id: i64,
    pub name: String,
    /// The name, HTML-escaped, the matched words in `<mark>`.
    pub name_html: String,
    pub industry: String,
    pub region: String,
}

#[derive(Serialize, ToSchema)]
pub struct NoteHitOut {
    pub interaction_id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub occurred_on: String,
    /// A cut of the note around the first hit, HTML-escaped, hits in `<mark>`.
    pub snippet_html: String,
    pub follow_up_id: Option<i64>,
    pub campaign_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct EntryHits {
    pub items: Vec<EntryOut>,
    /// Counted up to 1,000.
    pub total: i64,
    pub next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CustomerHits {
    pub items: Vec<CustomerHitOut>,
    /// Counted up to 1,000.
    pub total: i64,
    pub next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct NoteHits {
    pub items: Vec<NoteHitOut>,
    /// Counted up to 1,000.
    pub total: i64,
    pub next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchOut {
    /// The words searched for.
    pub terms: Vec<String>,
    pub entries: Option<EntryHits>,
    pub customers: Option<CustomerHits>,
    pub notes: Option<NoteHits>,
}

/// Search knowledge entries, customers' names and follow-up notes (each
/// section ranked and paged; a rep finds only the customers and notes they
/// may see). The cursor applies to each section returned; page one section
/// with `in` and its `next_cursor`.
#[utoipa::path(get, operation_id = "search", path = "/api/v1/search", tag = "knowledge", params(Page, SearchIo),
    responses((status = 200, description = "OK", body = SearchOut)))]
pub async fn search(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Query(page): Query<Page>,
    Query(s): Query<SearchIo>,
) -> Result<Json<SearchOut>, ApiError> {
    let (limit, offset) = (page.limit()?, offset_of(&page)?);
    let only = match s.section.as_deref().filter(|x| !x.trim().is_empty()) {
        Some(x) => Some(x.parse::<Section>()?),
        None => None,
    };
    let r = ops::knowledge::search(&state.store, &actor, s.q.as_deref().unwrap_or(""), only, offset, limit).await?;
    let terms = r.terms;
    let entries = r.entries.map(|h| EntryHits {
        next_cursor: next(offset, h.items.len(), h.total),
        items: h.items.into_iter().map(|e| out(e, &terms)).collect(),
        total: h.total,
    });
    let customers = r.customers.map(|h| CustomerHits {
        next_cursor: next(offset, h.items.len(), h.total),
        items: h
            .items
            .into_iter()
            .map(|c| CustomerHitOut {
                name_html: to_html(&ops::knowledge::highlight(&c.name, &terms, 200)),
                id: c.id,
                name: c.name,
                industry: c.industry,
                region: c.region,
            })
            .collect(),
        total: h.total,
    });
    let notes = r.notes.map(|h| NoteHits {
        next_cursor: next(offset, h.items.len(), h.total),
        items: h
            .items
            .into_iter()
            .map(|n| NoteHitOut {
                snippet_html: to_html(&ops::knowledge::highlight(&n.note, &terms, 120)),
                interaction_id: n.interaction_id,
                customer_id: n.customer_id,
                customer_name: n.customer_name,
                occurred_on: n.occurred_on.to_string(),
                follow_up_id: n.follow_up_id,
                campaign_id: n.campaign_id,
            })
            .collect(),
        total: h.total,
    });
    Ok(Json(SearchOut { terms, entries, customers, notes }))
}
