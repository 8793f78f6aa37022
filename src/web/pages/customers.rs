//! The customer list: search, region, the segment filter with its
//! form-based builder and live count, saved segments, tier counts.

use askama::Template;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use chrono::NaiveDate;
use serde::Deserialize;

use super::forms::{FieldErrors, field_errors};
use super::segment_builder::{self as sb, Builder, Op, Outcome};
use super::{Page, PageForm, PageResult, Shell, can, flash_from, parse_id, render};
use crate::app::AppState;
use crate::domain::money::format_cny;
use crate::domain::segment::{self, Field, FieldKind};
use crate::ops::authz::{Actor, Permission};
use crate::ops::customers::ListQuery;
use crate::ops::{self};
use crate::store::customers::CustomerSummary;
use crate::web::cursor;
use crate::web::i18n::Texts;
use crate::web::session::urlencode;

const PAGE_SIZE: i64 = 50;

pub struct CustomerRow {
    pub id: i64,
    pub name: String,
    pub credit_code: Option<String>,
    pub industry: String,
    pub region: String,
    pub city: String,
    pub money: String,
    pub owner_name: Option<String>,
    pub tier: String,
    pub last_interaction_on: Option<NaiveDate>,
    pub last_inquiry_on: Option<NaiveDate>,
    pub notes: String,
}

impl From<CustomerSummary> for CustomerRow {
    fn from(c: CustomerSummary) -> Self {
        CustomerRow {
            id: c.id,
            money: format_cny(c.annual_purchase_fen),
            name: c.name,
            credit_code: c.credit_code,
            industry: c.industry,
            region: c.region,
            city: c.city,
            owner_name: c.owner_name,
            tier: c.tier,
            last_interaction_on: c.last_interaction_on,
            last_inquiry_on: c.last_inquiry_on,
            notes: c.notes,
        }
    }
}

/// The URL of the list with these filters.
fn list_href(q: &str, region: &str, segment: &str) -> String {
    format!("/customers?q={}&region={}&segment={}", urlencode(q), urlencode(region), urlencode(segment))
}

// ------------------------------------------------------------ the builder

/// What the live count shows: the filter text, its count, or why it is not
/// a filter (with the error position marked in the text).
pub struct Preview {
    /// Shown inside the builder (with an "apply" link), else beside the text field.
    pub builder: bool,
    pub empty: bool,
    pub text: String,
    pub error: Option<String>,
    /// The text split around the error position.
    pub before: String,
    pub at: String,
    pub after: String,
    pub error_position: usize,
    pub count: Option<i64>,
    pub count_text: String,
    pub apply_href: Option<String>,
    /// On the campaign form: the filter to copy into the form's segment field.
    pub use_text: Option<String>,
}

impl Preview {
    pub(crate) fn empty(builder: bool) -> Preview {
        Preview {
            builder,
            empty: true,
            text: String::new(),
            error: None,
            before: String::new(),
            at: String::new(),
            after: String::new(),
            error_position: 0,
            count: None,
            count_text: String::new(),
            apply_href: None,
            use_text: None,
        }
    }

    fn message(builder: bool, text: String, error: String) -> Preview {
        Preview { empty: false, text, error: Some(error), ..Preview::empty(builder) }
    }

    fn parse_error(t: &Texts, builder: bool, text: String, e: &segment::ParseError, row: Option<usize>) -> Preview {
        let chars: Vec<char> = text.chars().collect();
        let at = e.position.saturating_sub(1).min(chars.len());
        let mut message = sb::error_text(t, e);
        if let Some(row) = row {
            message = format!("{}{message}", t.fill("segment.in_row", &[("row", &(row + 1).to_string())]));
        }
        Preview {
            before: chars[..at].iter().collect(),
            at: chars.get(at).map_or_else(|| " ".to_owned(), char::to_string),
            after: chars.get(at + 1..).map(|c| c.iter().collect()).unwrap_or_default(),
            error_position: e.position,
            ..Preview::message(builder, text, message)
        }
    }
}

/// The live count of a filter in standard form.
async fn counted(state: &AppState, actor: &Actor, t: &Texts, builder: bool, text: String) -> Preview {
    match ops::customers::count(&state.store, actor, &text, state.store.today()).await {
        Ok(n) => Preview {
            empty: false,
            count: Some(n),
            count_text: t.fill_count("segment.count", n, &[("count", &n.to_string())]),
            text,
            ..Preview::empty(builder)
        },
        Err(e) => {
            tracing::warn!(error = %e, "segment count failed");
            Preview::message(builder, text, t.get("error.internal").to_owned())
        }
    }
}

/// Where an "apply" link keeps the list's other filters; on the campaign
/// form (`for_campaign`) the builder fills the form's field instead.
pub(crate) struct Carry {
    pub q: String,
    pub region: String,
    pub for_campaign: bool,
}

pub(crate) async fn builder_preview(state: &AppState, actor: &Actor, t: &Texts, b: &Builder, carry: &Carry) -> Preview {
    match b.outcome() {
        Outcome::Empty => Preview::empty(true),
        Outcome::Unfit { row } => Preview::message(
            true,
            String::new(),
            format!("{}{}", t.fill("segment.in_row", &[("row", &(row + 1).to_string())]), t.get("segment.unfit")),
        ),
        Outcome::Invalid { text, error, row } => Preview::parse_error(t, true, text, &error, row),
        Outcome::Ready { text, .. } => {
            let mut p = counted(state, actor, t, true, text).await;
            if p.error.is_none() && carry.for_campaign {
                p.use_text = Some(expr_for(t, &p.text));
            } else if p.error.is_none() {
                p.apply_href = Some(list_href(&carry.q, &carry.region, &p.text));
            }
            p
        }
    }
}

pub(crate) async fn text_preview(state: &AppState, actor: &Actor, t: &Texts, text: &str) -> Preview {
    let text = text.trim();
    if text.is_empty() {
        return Preview::empty(false);
    }
    match segment::parse(text) {
        Ok(expr) => counted(state, actor, t, false, expr.to_string()).await,
        Err(e) => Preview::parse_error(t, false, text.to_owned(), &e, None),
    }
}

pub struct RowView {
    pub index: usize,
    pub field: String,
    pub op: String,
    pub value: String,
    /// The operators that fit the row's field: (code, label key).
    pub ops: Vec<(&'static str, &'static str)>,
    pub hint_key: &'static str,
    pub datalist: Option<&'static str>,
    pub error: Option<String>,
}

pub struct BuilderView {
    pub join_or: bool,
    pub rows: Vec<RowView>,
    pub can_add: bool,
    /// (field name, label key) for the field selects.
    pub fields: Vec<(&'static str, &'static str)>,
    /// The list's current filters, carried through the builder's own submits.
    pub q: String,
    pub region: String,
    pub segment: String,
    /// Set on the campaign form, so the builder's own requests keep that context.
    pub for_campaign: bool,
}

/// A filter in the reader's language (Chinese field names for Chinese).
fn expr_for(t: &Texts, text: &str) -> String {
    super::campaigns::plan::segment_for(t, text)
}

/// Rows as the form shows them: each operator select offers what fits the
/// row's field (an operator that does not fit falls back to `=`).
pub(crate) fn builder_view(b: &Builder, problem: Option<(usize, String)>, carry: (&str, &str, &str)) -> BuilderView {
    let rows = b
        .rows
        .iter()
        .enumerate()
        .map(|(index, row)| {
            let field = row.field().unwrap_or(Field::Region);
            let op = row.op().filter(|o| o.fits(field.kind())).unwrap_or(Op::Eq);
            RowView {
                index,
                field: field.name().to_owned(),
                op: op.code().to_owned(),
                value: row.value.clone(),
                ops: Op::ALL.iter().filter(|o| o.fits(field.kind())).map(|o| (o.code(), o.label_key())).collect(),
                hint_key: sb::value_hint_key(field, op),
                datalist: match (field, field.kind()) {
                    (Field::Region, _) => Some("seg-regions"),
                    (_, FieldKind::Tier) => Some("seg-tiers"),
                    _ => None,
                },
                error: problem.as_ref().filter(|(r, _)| *r == index).map(|(_, m)| m.clone()),
            }
        })
        .collect();
    BuilderView {
        join_or: b.join_or,
        rows,
        can_add: b.rows.len() < sb::MAX_ROWS,
        fields: Field::ALL.iter().map(|f| (f.name(), sb::field_label_key(*f))).collect(),
        q: carry.0.to_owned(),
        region: carry.1.to_owned(),
        segment: carry.2.to_owned(),
        for_campaign: false,
    }
}

/// The row a preview's error belongs to, to show it beside that row too.
pub(crate) fn row_problem(t: &Texts, b: &Builder) -> Option<(usize, String)> {
    match b.outcome() {
        Outcome::Unfit { row } => Some((row, t.get("segment.unfit").to_owned())),
        Outcome::Invalid { error, row: Some(row), .. } => Some((row, sb::error_text(t, &error))),
        _ => None,
    }
}

fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default()
}

fn param<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v.as_str())
}

#[derive(Template)]
#[template(path = "segment_preview_partial.html")]
struct PreviewPartial {
    shell: Shell,
    preview: Preview,
}

/// The live count: `b=1` with builder rows, else the `segment` text.
pub async fn segment_preview(State(state): State<AppState>, page: Page, RawQuery(raw): RawQuery) -> PageResult {
    let pairs = pairs(raw.as_deref());
    let shell = page.shell("customers.title", "/customers");
    let preview = if param(&pairs, "b").is_empty() {
        text_preview(&state, &page.actor, shell.t, param(&pairs, "segment")).await
    } else {
        let b = Builder::from_params(&pairs, false);
        let carry = Carry {
            q: param(&pairs, "q").to_owned(),
            region: param(&pairs, "region").to_owned(),
            for_campaign: param(&pairs, "ctx") == "campaign",
        };
        builder_preview(&state, &page.actor, shell.t, &b, &carry).await
    };
    Ok(render(StatusCode::OK, &PreviewPartial { shell, preview }))
}

#[derive(Template)]
#[template(path = "segment_builder_partial.html")]
struct BuilderPartial {
    shell: Shell,
    builder: BuilderView,
    preview: Preview,
    regions: Vec<String>,
}

/// The builder form again after a row was added or removed or a field
/// changed (its operator list follows the field).
pub async fn segment_builder(State(state): State<AppState>, page: Page, RawQuery(raw): RawQuery) -> PageResult {
    let pairs = pairs(raw.as_deref());
    let shell = page.shell("customers.title", "/customers");
    let mut b = Builder::from_params(&pairs, true);
    // A field change leaves the old operator behind; the form shows the
    // field's first operator instead, and so must the count.
    for row in &mut b.rows {
        let fits = row.field().zip(row.op()).is_some_and(|(f, o)| o.fits(f.kind()));
        if !fits {
            row.op = Op::Eq.code().to_owned();
        }
    }
    let (q, region, seg) = (param(&pairs, "q"), param(&pairs, "region"), param(&pairs, "segment"));
    let carry = Carry { q: q.to_owned(), region: region.to_owned(), for_campaign: param(&pairs, "ctx") == "campaign" };
    let preview = builder_preview(&state, &page.actor, shell.t, &b, &carry).await;
    let mut builder = builder_view(&b, row_problem(shell.t, &b), (q, region, seg));
    builder.for_campaign = carry.for_campaign;
    let regions = ops::team::regions(&state.store, &page.actor).await?;
    Ok(render(StatusCode::OK, &BuilderPartial { shell, builder, preview, regions }))
}

// ------------------------------------------------------------ the list

pub struct SavedRow {
    pub id: i64,
    pub name: String,
    pub expression: String,
    pub href: String,
    pub author: String,
    pub can_delete: bool,
}

pub struct TierLink {
    pub tier: &'static str,
    /// `None` until the counts have loaded.
    pub count: Option<i64>,
    pub href: String,
}

fn tier_links(
    q: &str,
    region: &str,
    current: Option<&segment::Expr>,
    counts: Option<(i64, i64, i64)>,
) -> Vec<TierLink> {
    [("S", counts.map(|c| c.0)), ("B", counts.map(|c| c.1)), ("C", counts.map(|c| c.2))]
        .into_iter()
        .map(|(tier, count)| TierLink { tier, count, href: list_href(q, region, &with_tier(current, tier)) })
        .collect()
}

#[derive(Template)]
#[template(path = "tier_counts_partial.html")]
struct TierCountsPartial {
    shell: Shell,
    tiers: Vec<TierLink>,
    tier_counts_href: String,
}

#[derive(Deserialize)]
pub struct TierCountsQuery {
    q: Option<String>,
    region: Option<String>,
    segment: Option<String>,
}

/// The S/B/C counts of a list filter, loaded after the list (htmx) or on
/// their own (the link without JavaScript).
pub async fn tier_counts(State(state): State<AppState>, page: Page, Query(q): Query<TierCountsQuery>) -> PageResult {
    let actor = &page.actor;
    let shell = page.shell("customers.title", "/customers");
    let (qq, region, text) = (q.q.unwrap_or_default(), q.region.unwrap_or_default(), q.segment.unwrap_or_default());
    let current = segment::parse(text.trim()).ok();
    let query = ListQuery {
        search: Some(qq.clone()),
        region: Some(region.clone()),
        segment: current.as_ref().map(ToString::to_string),
        after_id: None,
        limit: 0,
        exact_total: false,
    };
    let counts = if text.trim().is_empty() || current.is_some() {
        Some(ops::customers::tier_counts_matching(&state.store, actor, &query, state.store.today()).await?)
    } else {
        Some((0, 0, 0))
    };
    let tiers = tier_links(&qq, &region, current.as_ref(), counts);
    Ok(render(StatusCode::OK, &TierCountsPartial { shell, tiers, tier_counts_href: String::new() }))
}

#[derive(Template)]
#[template(path = "customers.html")]
struct ListPage {
    shell: Shell,
    rows: Vec<CustomerRow>,
    total: i64,
    count_text: String,
    exact_count_href: Option<String>,
    q: String,
    region: String,
    segment: String,
    segment_error: Option<String>,
    regions: Vec<String>,
    next_href: Option<String>,
    first_href: String,
    has_prev: bool,
    tiers: Vec<TierLink>,
    tier_counts_href: String,
    can_create: bool,
    can_save: bool,
    saved: Vec<SavedRow>,
    save_name: String,
    save_errors: FieldErrors,
    builder_open: bool,
    builder_note: Option<&'static str>,
    builder: BuilderView,
    preview: Preview,
    /// The current filter as export query parameters.
    export_query: String,
}

#[derive(Deserialize)]
pub struct ListParams {
    q: Option<String>,
    segment: Option<String>,
    region: Option<String>,
    cursor: Option<String>,
    ok: Option<String>,
    b: Option<String>,
    /// `exact`: count every match (the "more than 10,000" total's link).
    count: Option<String>,
}

/// What a list page shows besides the customers (a failed save, a flash).
struct ListState {
    q: String,
    region: String,
    segment: String,
    cursor: Option<String>,
    ok: Option<String>,
    exact_total: bool,
    /// The builder as submitted (no JavaScript), else taken from `segment`.
    builder: Option<Builder>,
    save_name: String,
    save_errors: FieldErrors,
}

pub async fn list(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<ListParams>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let builder = q.b.is_some().then(|| Builder::from_params(&pairs(raw.as_deref()), true));
    let view = ListState {
        q: q.q.unwrap_or_default(),
        region: q.region.unwrap_or_default(),
        segment: q.segment.unwrap_or_default(),
        cursor: q.cursor,
        ok: q.ok,
        exact_total: q.count.as_deref() == Some("exact"),
        builder,
        save_name: String::new(),
        save_errors: FieldErrors::none(),
    };
    list_page(&state, &page, view, StatusCode::OK).await
}

/// The filter with one more condition `tier = "X"` (the tier-count links).
fn with_tier(current: Option<&segment::Expr>, tier: &str) -> String {
    let tier_cond = format!("tier = \"{tier}\"");
    let text = match current {
        Some(expr) => format!("({expr}) and {tier_cond}"),
        None => tier_cond.clone(),
    };
    segment::parse(&text).map_or(tier_cond, |e| e.to_string())
}

async fn list_page(state: &AppState, page: &Page, view: ListState, status: StatusCode) -> PageResult {
    let actor = &page.actor;
    let after_id = view.cursor.as_deref().filter(|c| !c.is_empty()).map(cursor::decode).transpose()?;
    let shell = page.shell("customers.title", "/customers").with_flash(flash_from(page.t, view.ok.as_deref()));
    let t = shell.t;
    let today = state.store.today();

    let parsed = match view.segment.trim() {
        "" => Ok(None),
        text => segment::parse(text).map(Some),
    };
    let segment_error = parsed.as_ref().err().map(|e| sb::error_text(t, e));
    let current = parsed.ok().flatten();
    let query = ListQuery {
        search: Some(view.q.clone()),
        region: Some(view.region.clone()),
        segment: current.as_ref().map(ToString::to_string),
        after_id,
        limit: PAGE_SIZE + 1,
        exact_total: view.exact_total,
    };
    // An unreadable segment lists nothing; the message says why. The tier
    // counts load separately (`tier_counts`), so the list itself stays fast.
    let (mut rows, total) = if segment_error.is_some() {
        (Vec::new(), ops::customers::Total { count: 0, exact: true })
    } else {
        ops::customers::list(&state.store, actor, &query, today).await?
    };
    let base = list_href(&view.q, &view.region, &view.segment);
    let export_query =
        format!("q={}&region={}&segment={}", urlencode(&view.q), urlencode(&view.region), urlencode(&view.segment));
    let next_href = (rows.len() as i64 > PAGE_SIZE).then(|| {
        rows.truncate(PAGE_SIZE as usize);
        let last = rows.last().map_or(0, |c| c.id);
        format!("{base}&cursor={}", cursor::encode(last))
    });
    let tiers = tier_links(&view.q, &view.region, current.as_ref(), None);
    let tier_counts_href = format!("/customers/tier-counts{}", &base["/customers".len()..]);

    let saved = saved_rows(state, actor).await?;

    let carry = Carry { q: view.q.clone(), region: view.region.clone(), for_campaign: false };
    let from_segment = current.as_ref().map(Builder::from_expr);
    let builder_open = view.builder.is_some() || matches!(from_segment, Some(Some(_)));
    let builder_note = matches!(from_segment, Some(None)).then_some("segment.builder_unrepresentable");
    let b = view.builder.or(from_segment.flatten()).unwrap_or_else(Builder::blank);
    let preview = if builder_open { builder_preview(state, actor, t, &b, &carry).await } else { Preview::empty(true) };
    let builder = builder_view(&b, row_problem(t, &b), (&view.q, &view.region, &view.segment));

    let grouped_total = crate::domain::money::group_thousands(total.count.unsigned_abs());
    let count_key = if total.exact { "customers.count" } else { "customers.count_more_than" };
    let count_text = t.fill_count(count_key, total.count, &[("total", &grouped_total)]);
    // Past the cap the exact count is one click away: the same list counted
    // in full, its count line swapped in by htmx (a page load without it).
    let exact_count_href = (!total.exact).then(|| format!("{base}&count=exact"));
    let body = ListPage {
        rows: rows.into_iter().map(CustomerRow::from).collect(),
        total: total.count,
        count_text,
        exact_count_href,
        q: view.q,
        region: view.region,
        segment: view.segment,
        segment_error,
        regions: ops::team::regions(&state.store, actor).await?,
        next_href,
        first_href: base,
        has_prev: after_id.is_some(),
        tiers,
        tier_counts_href,
        can_create: can(actor, Permission::WriteCustomers),
        can_save: can(actor, Permission::SaveSegments),
        saved,
        save_name: view.save_name,
        save_errors: view.save_errors,
        builder_open,
        builder_note,
        builder,
        preview,
        export_query,
        shell,
    };
    Ok(render(status, &body))
}

async fn saved_rows(state: &AppState, actor: &Actor) -> Result<Vec<SavedRow>, ops::OpsError> {
    let saved = ops::segments::list(&state.store, actor).await?;
    let team = ops::team::directory(&state.store, actor).await?;
    // Mirrors ops::segments: the author, or whoever manages the team's settings.
    let manages = can(actor, Permission::ManageSettings);
    let may_save = can(actor, Permission::SaveSegments);
    Ok(saved
        .into_iter()
        .map(|s| SavedRow {
            href: list_href("", "", &s.expression),
            author: team.name_or(s.created_by, ""),
            can_delete: may_save && (manages || s.created_by == Some(actor.id)),
            id: s.id,
            name: s.name,
            expression: s.expression,
        })
        .collect())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SaveSegmentForm {
    name: String,
    expression: String,
    q: Option<String>,
    region: Option<String>,
}

/// Saves the list's current segment under a name for the whole team.
pub async fn save_segment(
    State(state): State<AppState>,
    page: Page,
    PageForm(form): PageForm<SaveSegmentForm>,
) -> PageResult {
    let q = form.q.unwrap_or_default();
    let region = form.region.unwrap_or_default();
    match ops::segments::create(&state.store, &page.actor, &form.name, &form.expression).await {
        Ok(saved) => {
            let href = list_href(&q, &region, &saved.expression);
            Ok(Redirect::to(&format!("{href}&ok=segments.saved")).into_response())
        }
        Err(e) => {
            let save_errors = field_errors(page.t, e)?;
            let view = ListState {
                q,
                region,
                segment: form.expression,
                cursor: None,
                ok: None,
                exact_total: false,
                builder: None,
                save_name: form.name,
                save_errors,
            };
            list_page(&state, &page, view, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub async fn delete_segment(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&id)?;
    ops::segments::delete(&state.store, &page.actor, id).await?;
    Ok(Redirect::to("/customers?ok=segments.deleted").into_response())
}
