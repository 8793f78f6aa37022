//! The knowledge base (知识库) and search. Marketing and leads curate
//! (publish, edit, merge, retire); reps and customer service propose and
//! read what is published; a follow-up's feedback becomes a draft entry in
//! one step. Search covers entries, customers' names and interaction notes
//! with each reader's visibility.

use serde_json::json;

use crate::domain::campaign::CampaignKind;
use crate::domain::knowledge::{EntryKind, EntryStatus, Piece, Query, snippet};
use crate::ops::authz::{self, Actor, Permission};
use crate::ops::{OpsError, OpsResult, audit_change, optional_multiline, required_text};
use crate::store::Store;
use crate::store::audit::AuditAction;
use crate::store::knowledge::{
    self as k_store, CustomerHit, Entry, EntryFields, EntryFilter, EntryScope, FollowUpSource, NoteHit,
};

pub const MAX_TITLE: usize = 100;
pub const MAX_BODY: usize = 4000;

/// An entry as given; `None` keeps the value on edit (or takes the default,
/// or the follow-up's draft, on create).
#[derive(Clone, Debug, Default)]
pub struct EntryInput {
    pub kind: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub pain_points: Option<Vec<String>>,
    pub industries: Option<Vec<String>>,
    pub campaign_kinds: Option<Vec<String>>,
    pub tiers: Option<Vec<String>>,
    pub campaign_id: Option<i64>,
    /// The follow-up the entry comes from; on create, missing fields are
    /// filled from it.
    pub follow_up_id: Option<i64>,
    /// On create, with `campaign_id`: the metric key of the campaign's
    /// review line the entry comes from; missing fields are filled from it.
    pub review_line: Option<String>,
    pub status: Option<String>,
}

fn is_curator(actor: &Actor) -> bool {
    authz::allows(actor.role, Permission::CurateKnowledge)
}

fn scope(actor: &Actor) -> EntryScope {
    if is_curator(actor) { EntryScope::All } else { EntryScope::PublishedAndOwn(actor.id) }
}

fn tags(field: &'static str, items: Vec<String>) -> OpsResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for t in items.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        if t.chars().count() > 50 {
            return Err(OpsError::invalid(field, format!("{t:?} is longer than 50 characters")));
        }
        if t.chars().any(|c| c.is_control() || c == '"' || c == '\\') {
            return Err(OpsError::invalid(field, "a tag may not hold quotes, backslashes or control characters"));
        }
        if !out.iter().any(|x| x == t) {
            out.push(t.to_owned());
        }
    }
    if out.len() > 20 {
        return Err(OpsError::invalid(field, format!("at most 20 {field}")));
    }
    Ok(out)
}

fn tag_filter(field: &'static str, raw: Option<String>) -> OpsResult<Option<String>> {
    match raw.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) {
        Some(t) => Ok(tags(field, vec![t])?.pop()),
        None => Ok(None),
    }
}

/// Applies `input` onto `base` and checks the result.
fn apply(base: EntryFields, input: EntryInput) -> OpsResult<EntryFields> {
    let mut f = base;
    if let Some(k) = input.kind {
        f.kind = k.parse::<EntryKind>().map_err(|e| OpsError::invalid("kind", e))?.as_str().to_owned();
    }
    if let Some(t) = input.title {
        f.title = required_text("title", &t, MAX_TITLE)?;
    }
    if let Some(b) = input.body {
        f.body = optional_multiline("body", &b, MAX_BODY)?;
        if f.body.is_empty() {
            return Err(OpsError::invalid("body", "body is empty"));
        }
    }
    if let Some(p) = input.pain_points {
        f.pain_points = tags("pain_points", p)?;
    }
    if let Some(i) = input.industries {
        f.industries = tags("industries", i)?;
    }
    if let Some(k) = input.campaign_kinds {
        let mut kinds = Vec::new();
        for kind in tags("campaign_kinds", k)? {
            let kind = kind.parse::<CampaignKind>().map_err(|e| OpsError::invalid("campaign_kinds", e.to_string()))?;
            kinds.push(kind.as_str().to_owned());
        }
        f.campaign_kinds = kinds;
    }
    if let Some(t) = input.tiers {
        let tiers = tags("tiers", t)?;
        if let Some(bad) = tiers.iter().find(|t| !matches!(t.as_str(), "S" | "B" | "C")) {
            return Err(OpsError::invalid("tiers", format!("{bad:?} is not a tier (S, B, C)")));
        }
        f.tiers = tiers;
    }
    if let Some(s) = input.status {
        f.status = s.parse::<EntryStatus>().map_err(|e| OpsError::invalid("status", e))?.as_str().to_owned();
    }
    if input.campaign_id.is_some() {
        f.campaign_id = input.campaign_id;
    }
    if f.title.is_empty() {
        return Err(OpsError::invalid("title", "title is empty"));
    }
    if f.body.is_empty() {
        return Err(OpsError::invalid("body", "body is empty"));
    }
    Ok(f)
}

fn view(e: &Entry) -> serde_json::Value {
    json!(e)
}

/// What a list or search of entries asks for.
#[derive(Clone, Debug, Default)]
pub struct EntryQuery {
    pub q: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub pain_point: Option<String>,
    pub industry: Option<String>,
    pub offset: i64,
    pub limit: i64,
}

pub struct EntryPage {
    pub items: Vec<Entry>,
    pub total: i64,
    /// The query's terms, for highlighting (empty without a query).
    pub terms: Vec<String>,
}

fn parse_query(raw: Option<&str>) -> OpsResult<Option<Query>> {
    Query::parse(raw.unwrap_or("")).map_err(|e| OpsError::invalid("q", e))
}

pub async fn list(store: &Store, actor: &Actor, q: EntryQuery) -> OpsResult<EntryPage> {
    authz::require(actor, Permission::ReadKnowledge)?;
    let query = parse_query(q.q.as_deref())?;
    let kind = match q.kind.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(k) => Some(k.parse::<EntryKind>().map_err(|e| OpsError::invalid("kind", e))?.as_str().to_owned()),
        None => None,
    };
    let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(s.parse::<EntryStatus>().map_err(|e| OpsError::invalid("status", e))?.as_str().to_owned()),
        None => None,
    };
    let filter = EntryFilter {
        scope: scope(actor),
        status,
        kind,
        pain_point: tag_filter("pain_point", q.pain_point)?,
        industry: tag_filter("industry", q.industry)?,
        query: query.clone(),
    };
    let (items, total) = k_store::entries(store.acquire().await?.conn(), &filter, q.offset.max(0), q.limit).await?;
    Ok(EntryPage { items, total, terms: query.map(|q| q.terms).unwrap_or_default() })
}

/// One entry: a curator sees any; others published and retired ones (an
/// old link to a merged entry leads on) and their own proposals.
pub async fn get(store: &Store, actor: &Actor, id: i64) -> OpsResult<Entry> {
    authz::require(actor, Permission::ReadKnowledge)?;
    let e = k_store::entry(store.acquire().await?.conn(), id).await?.ok_or(OpsError::NotFound)?;
    let visible = is_curator(actor) || e.status != "proposed" || e.author_id == Some(actor.id);
    if visible { Ok(e) } else { Err(OpsError::NotFound) }
}

/// The follow-up's feedback as a draft entry (not saved): an objection
/// becomes an objection answer, anything else a lesson, tagged with the
/// customer's pain points and industry, the campaign's kind and the tier.
pub async fn draft_from_follow_up(store: &Store, actor: &Actor, follow_up_id: i64) -> OpsResult<EntryFields> {
    authz::require(actor, Permission::ProposeKnowledge)?;
    crate::ops::execution::follow_ups::get(store, actor, follow_up_id).await?;
    let src =
        k_store::follow_up_source(store.acquire().await?.conn(), follow_up_id).await?.ok_or(OpsError::NotFound)?;
    let (_, pains) = store.customer_labels(src.customer_id).await?;
    Ok(draft(&src, pains))
}

fn draft(src: &FollowUpSource, pains: Vec<String>) -> EntryFields {
    let said = if src.feedback.trim().is_empty() { src.summary.trim() } else { src.feedback.trim() };
    let title: String = said.lines().next().unwrap_or("").chars().take(40).collect();
    let mut body = String::new();
    if !src.feedback.trim().is_empty() {
        body.push_str(&format!("客户反馈：{}\n", src.feedback.trim()));
    }
    body.push_str(&format!("跟进摘要：{}", src.summary.trim()));
    if !src.next_action.trim().is_empty() {
        body.push_str(&format!("\n下一步：{}", src.next_action.trim()));
    }
    let body: String = body.chars().take(MAX_BODY).collect();
    EntryFields {
        kind: if src.feedback_kind == "objection" { "objection" } else { "lesson" }.to_owned(),
        title: if title.is_empty() { format!("{}的跟进", src.customer_name) } else { title },
        body,
        pain_points: pains.into_iter().take(20).collect(),
        industries: if src.industry.is_empty() { vec![] } else { vec![src.industry.clone()] },
        campaign_kinds: vec![src.campaign_kind.clone()],
        tiers: vec![src.tier.clone()],
        campaign_id: Some(src.campaign_id),
        follow_up_id: Some(src.id),
        status: EntryStatus::Proposed.as_str().to_owned(),
    }
}

/// A review line (活动复盘, template 4) as a draft lesson (not saved):
/// titled with the campaign and the metric, its highlight, problem and
/// improvement as the body, tagged with the campaign's kind and, when the
/// line names tiers (S级…), those tiers; linked to the campaign.
pub async fn draft_from_review_line(
    store: &Store,
    actor: &Actor,
    campaign_id: i64,
    key: &str,
) -> OpsResult<EntryFields> {
    authz::require(actor, Permission::ProposeKnowledge)?;
    let view = crate::ops::review::get(store, actor, campaign_id).await?;
    let line = view.lines.iter().find(|l| l.key.as_str() == key.trim()).ok_or_else(|| {
        OpsError::invalid(
            "review_line",
            format!(
                "{key:?} is not a line of the review (expected one of {})",
                crate::domain::review::metrics::MetricKey::ALL.map(|k| k.as_str()).join(", ")
            ),
        )
    })?;
    let c = &view.metrics.campaign;
    review_draft(&c.name, c.kind.as_str(), c.id, line)
}

fn review_draft(
    campaign_name: &str,
    campaign_kind: &str,
    campaign_id: i64,
    line: &crate::ops::review::ReviewLine,
) -> OpsResult<EntryFields> {
    let parts = [("亮点", &line.highlight), ("问题", &line.problem), ("改进措施", &line.improvement)];
    if parts.iter().all(|(_, text)| text.trim().is_empty()) {
        return Err(OpsError::invalid("review_line", "this review line has no highlight, problem or improvement yet"));
    }
    let mut body = format!(
        "{}：目标 {}，实际 {}，达成率 {}",
        line.label,
        line.goal_text(),
        line.actual_text(),
        line.achievement_text()
    );
    for (label, text) in parts.iter().filter(|(_, t)| !t.trim().is_empty()) {
        body.push_str(&format!("\n{label}：{}", text.trim()));
    }
    let said: String = parts.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>().join(" ");
    let tiers = ["S", "B", "C"]
        .into_iter()
        .filter(|t| said.contains(&format!("{t}级")) || said.contains(&format!("{t} 级")))
        .map(str::to_owned)
        .collect();
    let title: String = format!("{campaign_name} · {}", line.label).chars().take(MAX_TITLE).collect();
    Ok(EntryFields {
        kind: EntryKind::Lesson.as_str().to_owned(),
        title,
        body: body.chars().take(MAX_BODY).collect(),
        pain_points: vec![],
        industries: vec![],
        campaign_kinds: vec![campaign_kind.to_owned()],
        tiers,
        campaign_id: Some(campaign_id),
        follow_up_id: None,
        status: EntryStatus::Proposed.as_str().to_owned(),
    })
}

/// Creates an entry. Curators publish at once unless they say otherwise (a
/// draft from a follow-up starts as proposed); others may only propose.
pub async fn create(store: &Store, actor: &Actor, input: EntryInput) -> OpsResult<Entry> {
    authz::require(actor, Permission::ProposeKnowledge)?;
    let curator = is_curator(actor);
    if !curator && input.status.as_deref().is_some_and(|s| s.trim() != EntryStatus::Proposed.as_str()) {
        return Err(OpsError::Forbidden);
    }
    let review_line = input.review_line.as_deref().map(str::trim).filter(|k| !k.is_empty());
    if review_line.is_some() && input.follow_up_id.is_some() {
        return Err(OpsError::invalid("review_line", "an entry comes from a follow-up or a review line, not both"));
    }
    let mut base = match (input.follow_up_id, review_line) {
        // A follow-up named in the body that one cannot see is a bad field,
        // like a missing campaign, not a missing resource.
        (Some(fu), _) => draft_from_follow_up(store, actor, fu).await.map_err(|e| match e {
            OpsError::NotFound => OpsError::invalid("follow_up_id", "no such follow-up"),
            other => other,
        })?,
        (None, Some(key)) => {
            let campaign =
                input.campaign_id.ok_or_else(|| OpsError::invalid("campaign_id", "name the review line's campaign"))?;
            draft_from_review_line(store, actor, campaign, key).await.map_err(|e| match e {
                OpsError::NotFound => OpsError::invalid("campaign_id", "no such campaign"),
                other => other,
            })?
        }
        (None, None) => EntryFields {
            kind: EntryKind::Script.as_str().to_owned(),
            status: if curator { EntryStatus::Published } else { EntryStatus::Proposed }.as_str().to_owned(),
            ..EntryFields::default()
        },
    };
    if !curator {
        base.status = EntryStatus::Proposed.as_str().to_owned();
    }
    if let Some(c) = input.campaign_id {
        store.campaign(c).await?.ok_or_else(|| OpsError::invalid("campaign_id", "no such campaign"))?;
    }
    let f = apply(base, input)?;
    let mut tx = store.begin().await?;
    let id = k_store::insert_entry(&mut tx, &f, Some(actor.id), store.now()).await?;
    let created = k_store::entry(tx.conn(), id).await?.ok_or(OpsError::NotFound)?;
    audit_change(&mut tx, actor, AuditAction::Create, "knowledge_entry", id, None, Some(view(&created))).await?;
    tx.commit().await?;
    Ok(created)
}

/// The entry if `actor` may edit it: curators any, an author their own
/// proposal (403 otherwise; 404 for what they cannot see). Adapters ask this
/// before reading a body, so a forbidden edit learns nothing from validation.
pub async fn editable(store: &Store, actor: &Actor, id: i64) -> OpsResult<Entry> {
    authz::require(actor, Permission::ProposeKnowledge)?;
    let e = get(store, actor, id).await?;
    let own_proposal = e.status == "proposed" && e.author_id == Some(actor.id);
    if is_curator(actor) || own_proposal { Ok(e) } else { Err(OpsError::Forbidden) }
}

/// Edits an entry: curators any, an author their own proposal (which stays
/// proposed). `version`, when given, must be the current one (409 otherwise).
pub async fn update(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: Option<i64>,
    input: EntryInput,
) -> OpsResult<Entry> {
    let before = editable(store, actor, id).await?;
    let curator = is_curator(actor);
    if !curator && input.status.as_deref().is_some_and(|s| s.trim() != EntryStatus::Proposed.as_str()) {
        return Err(OpsError::Forbidden);
    }
    if let Some(v) = version
        && v != before.version
    {
        return Err(OpsError::Stale { current_version: before.version, current: view(&before) });
    }
    if input.review_line.as_deref().is_some_and(|k| !k.trim().is_empty()) {
        return Err(OpsError::invalid("review_line", "a review line only fills a new entry"));
    }
    if input.follow_up_id.is_some_and(|f| Some(f) != before.follow_up_id) {
        return Err(OpsError::invalid("follow_up_id", "the follow-up an entry came from cannot be changed"));
    }
    if let Some(c) = input.campaign_id {
        store.campaign(c).await?.ok_or_else(|| OpsError::invalid("campaign_id", "no such campaign"))?;
    }
    let f = apply(EntryFields::from(&before), input)?;
    let mut tx = store.begin().await?;
    if !k_store::update_entry(&mut tx, id, before.version, &f, store.now()).await? {
        let now = k_store::entry(tx.conn(), id).await?.ok_or(OpsError::NotFound)?;
        return Err(OpsError::Stale { current_version: now.version, current: view(&now) });
    }
    let after = k_store::entry(tx.conn(), id).await?.ok_or(OpsError::NotFound)?;
    audit_change(&mut tx, actor, AuditAction::Update, "knowledge_entry", id, Some(view(&before)), Some(view(&after)))
        .await?;
    tx.commit().await?;
    Ok(after)
}

/// Retires an entry (curators). Entries are never deleted: merges point at
/// them and the audit trail names them.
pub async fn retire(store: &Store, actor: &Actor, id: i64, version: Option<i64>) -> OpsResult<Entry> {
    authz::require(actor, Permission::CurateKnowledge)?;
    update(store, actor, id, version, EntryInput { status: Some("retired".to_owned()), ..EntryInput::default() }).await
}

/// `id` absorbs `other`: it gains the other's tags (and its campaign and
/// follow-up when it has none), the other is retired and points at it.
pub async fn merge(store: &Store, actor: &Actor, id: i64, other: i64, version: Option<i64>) -> OpsResult<Entry> {
    authz::require(actor, Permission::CurateKnowledge)?;
    let target = get(store, actor, id).await?;
    if other == id {
        return Err(OpsError::invalid("other_id", "an entry cannot absorb itself"));
    }
    let absorbed = match get(store, actor, other).await {
        Err(OpsError::NotFound) => return Err(OpsError::invalid("other_id", "no such entry")),
        r => r?,
    };
    if target.status == "retired" {
        return Err(OpsError::Conflict("a retired entry cannot absorb another".to_owned()));
    }
    if absorbed.merged_into.is_some() {
        return Err(OpsError::invalid("other_id", "that entry was already merged"));
    }
    if let Some(v) = version
        && v != target.version
    {
        return Err(OpsError::Stale { current_version: target.version, current: view(&target) });
    }
    let mut f = EntryFields::from(&target);
    let union = |a: &mut Vec<String>, b: &[String]| {
        for t in b {
            if !a.contains(t) && a.len() < 20 {
                a.push(t.clone());
            }
        }
    };
    union(&mut f.pain_points, &absorbed.pain_points);
    union(&mut f.industries, &absorbed.industries);
    union(&mut f.campaign_kinds, &absorbed.campaign_kinds);
    union(&mut f.tiers, &absorbed.tiers);
    f.campaign_id = f.campaign_id.or(absorbed.campaign_id);
    f.follow_up_id = f.follow_up_id.or(absorbed.follow_up_id);
    let now = store.now();
    let mut tx = store.begin().await?;
    if !k_store::update_entry(&mut tx, id, target.version, &f, now).await?
        || !k_store::mark_merged(&mut tx, other, absorbed.version, id, now).await?
    {
        let current = k_store::entry(tx.conn(), id).await?.ok_or(OpsError::NotFound)?;
        return Err(OpsError::Stale { current_version: current.version, current: view(&current) });
    }
    k_store::copy_helped(&mut tx, other, id).await?;
    let after = k_store::entry(tx.conn(), id).await?.ok_or(OpsError::NotFound)?;
    let other_after = k_store::entry(tx.conn(), other).await?.ok_or(OpsError::NotFound)?;
    audit_change(&mut tx, actor, AuditAction::Update, "knowledge_entry", id, Some(view(&target)), Some(view(&after)))
        .await?;
    audit_change(
        &mut tx,
        actor,
        AuditAction::Update,
        "knowledge_entry",
        other,
        Some(view(&absorbed)),
        Some(view(&other_after)),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Marks (`on`) or unmarks that the actor found an entry helped (有帮助):
/// one mark per person per entry, so marking twice changes nothing and
/// unmarking takes one's own mark back. Those who log follow-ups may mark
/// (403 otherwise) any entry they can read (404 otherwise). Answers the
/// entry with its new count. Marks are not audited: they change no content.
pub async fn set_helped(store: &Store, actor: &Actor, id: i64, on: bool) -> OpsResult<Entry> {
    authz::require(actor, Permission::MarkKnowledgeHelped)?;
    get(store, actor, id).await?;
    let mut tx = store.begin().await?;
    k_store::set_helped(&mut tx, id, actor.id, on, store.now()).await?;
    let after = k_store::entry(tx.conn(), id).await?.ok_or(OpsError::NotFound)?;
    tx.commit().await?;
    Ok(after)
}

/// The entries the actor marked "helped" (for the buttons' state).
pub async fn helped_by_me(store: &Store, actor: &Actor) -> OpsResult<Vec<i64>> {
    authz::require(actor, Permission::ReadKnowledge)?;
    Ok(k_store::helped_by(store.acquire().await?.conn(), actor.id).await?)
}

/// What a search covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Entries,
    Customers,
    Notes,
}

impl std::str::FromStr for Section {
    type Err = OpsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "entries" => Ok(Section::Entries),
            "customers" => Ok(Section::Customers),
            "notes" => Ok(Section::Notes),
            _ => Err(OpsError::invalid("in", "in is one of entries, customers, notes")),
        }
    }
}

/// One section's page of hits and its count (at most `store::knowledge::MAX_COUNT`).
pub struct Hits<T> {
    pub items: Vec<T>,
    pub total: i64,
}

pub struct SearchResults {
    pub terms: Vec<String>,
    pub entries: Option<Hits<Entry>>,
    pub customers: Option<Hits<CustomerHit>>,
    pub notes: Option<Hits<NoteHit>>,
}

/// Searches entries, customers' names and interaction notes (all, or one
/// section), each paged by `offset`/`limit`, with the reader's visibility:
/// entries as in [`list`], customers and notes in the customer scope.
pub async fn search(
    store: &Store,
    actor: &Actor,
    q: &str,
    only: Option<Section>,
    offset: i64,
    limit: i64,
) -> OpsResult<SearchResults> {
    authz::require(actor, Permission::ReadKnowledge)?;
    let query = parse_query(Some(q))?.ok_or_else(|| OpsError::invalid("q", "type something to search for"))?;
    let wants = |s: Section| only.is_none_or(|o| o == s);
    let offset = offset.max(0);
    let customer_scope = authz::customer_scope(actor);
    let reads_customers = authz::allows(actor.role, Permission::ReadCustomers);
    // The sections read at once, each on a connection of its own taken only
    // for its reads (none waits for a second connection while holding one).
    let entries = async {
        if !wants(Section::Entries) {
            return Ok::<_, OpsError>(None);
        }
        let filter = EntryFilter {
            scope: scope(actor),
            status: None,
            kind: None,
            pain_point: None,
            industry: None,
            query: Some(query.clone()),
        };
        let (items, total) = k_store::entries(store.acquire().await?.conn(), &filter, offset, limit).await?;
        Ok(Some(Hits { items, total }))
    };
    let customers = async {
        if !(wants(Section::Customers) && reads_customers) {
            return Ok::<_, OpsError>(None);
        }
        let (items, total) =
            k_store::customers(store.acquire().await?.conn(), customer_scope, &query, offset, limit).await?;
        Ok(Some(Hits { items, total }))
    };
    let notes = async {
        if !(wants(Section::Notes) && reads_customers) {
            return Ok::<_, OpsError>(None);
        }
        let (items, total) =
            k_store::notes(store.acquire().await?.conn(), customer_scope, &query, offset, limit).await?;
        Ok(Some(Hits { items, total }))
    };
    let (entries, customers, notes) = tokio::try_join!(entries, customers, notes)?;
    Ok(SearchResults { terms: query.terms, entries, customers, notes })
}

/// The highlighted snippet of a hit's text.
pub fn highlight(text: &str, terms: &[String], width: usize) -> Vec<Piece> {
    snippet(text, terms, width)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(kind: &str, feedback: &str) -> FollowUpSource {
        FollowUpSource {
            id: 7,
            campaign_id: 3,
            campaign_kind: "new_product".into(),
            customer_id: 9,
            customer_name: "A公司".into(),
            industry: "制造业".into(),
            owner_id: None,
            tier: "S".into(),
            summary: "介绍新品A折扣与质保政策".into(),
            feedback_kind: kind.into(),
            feedback: feedback.into(),
            next_action: "发送竞品分析报告".into(),
        }
    }

    #[test]
    fn an_objection_becomes_a_proposed_objection_answer() {
        let d = draft(&src("objection", "客户对价格有异议，需提供竞品对比方案"), vec!["采购成本高".into()]);
        assert_eq!(d.kind, "objection");
        assert_eq!(d.status, "proposed");
        assert_eq!(d.title, "客户对价格有异议，需提供竞品对比方案");
        assert!(d.body.starts_with("客户反馈：客户对价格有异议"));
        assert!(d.body.contains("下一步：发送竞品分析报告"));
        assert_eq!(d.pain_points, vec!["采购成本高"]);
        assert_eq!(d.industries, vec!["制造业"]);
        assert_eq!(d.tiers, vec!["S"]);
        assert_eq!((d.campaign_id, d.follow_up_id), (Some(3), Some(7)));
    }

    #[test]
    fn without_feedback_the_summary_titles_a_lesson() {
        let d = draft(&src("neutral", ""), vec![]);
        assert_eq!(d.kind, "lesson");
        assert_eq!(d.title, "介绍新品A折扣与质保政策");
    }

    fn review_line(highlight: &str, problem: &str, improvement: &str) -> crate::ops::review::ReviewLine {
        use crate::domain::review::metrics::MetricKey;
        crate::ops::review::ReviewLine {
            key: MetricKey::Conversion,
            label: MetricKey::Conversion.label_zh(),
            unit: MetricKey::Conversion.unit(),
            goal: Some(0.5),
            actual: Some(0.5),
            achievement: Some(1.0),
            highlight: highlight.into(),
            problem: problem.into(),
            improvement: improvement.into(),
        }
    }

    #[test]
    fn a_review_line_becomes_a_proposed_lesson() {
        let line = review_line("S级客户转化率70%", "B级客户跟进不足", "B级客户邀约后48小时内电话回访");
        let d = review_draft("十月新品A限时促销", "new_product", 4, &line).unwrap();
        assert_eq!(d.kind, "lesson");
        assert_eq!(d.status, "proposed");
        assert!(d.title.starts_with("十月新品A限时促销 · "), "{}", d.title);
        assert!(d.body.contains("亮点：S级客户转化率70%"), "{}", d.body);
        assert!(d.body.contains("改进措施：B级客户邀约后48小时内电话回访"), "{}", d.body);
        assert_eq!(d.tiers, vec!["S", "B"]);
        assert_eq!(d.campaign_kinds, vec!["new_product"]);
        assert_eq!((d.campaign_id, d.follow_up_id), (Some(4), None));
        let plain = review_draft("促销", "other", 4, &review_line("", "", "提前5天确认物流")).unwrap();
        assert!(plain.tiers.is_empty());
        assert!(plain.body.contains("改进措施：提前5天确认物流") && !plain.body.contains("亮点"));
        assert!(matches!(
            review_draft("促销", "other", 4, &review_line(" ", "", "")),
            Err(OpsError::Invalid { field: "review_line", .. })
        ));
    }

    #[test]
    fn input_is_checked_field_by_field() {
        let base = EntryFields { kind: "script".into(), status: "published".into(), ..EntryFields::default() };
        let err = |input: EntryInput| match apply(base.clone(), input) {
            Err(OpsError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let ok = EntryInput { title: Some("t".into()), body: Some("b".into()), ..EntryInput::default() };
        assert!(apply(base.clone(), ok.clone()).is_ok());
        assert_eq!(err(EntryInput { kind: Some("faq".into()), ..ok.clone() }), "kind");
        assert_eq!(err(EntryInput { title: Some(" ".into()), ..ok.clone() }), "title");
        assert_eq!(err(EntryInput { body: None, ..ok.clone() }), "body");
        assert_eq!(err(EntryInput { tiers: Some(vec!["A".into()]), ..ok.clone() }), "tiers");
        assert_eq!(err(EntryInput { pain_points: Some(vec!["a\"b".into()]), ..ok.clone() }), "pain_points");
        assert_eq!(err(EntryInput { campaign_kinds: Some(vec!["party".into()]), ..ok.clone() }), "campaign_kinds");
        assert_eq!(err(EntryInput { status: Some("draft".into()), ..ok }), "status");
    }
}
