//! Campaign SOPs (SOP 模板): the list, saving a reviewed campaign as one, a
//! template with the campaigns that used it, and past campaigns (活动历史)
//! with their frozen results and a trend.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::campaigns::{kind_key, status_key};
use crate::app::AppState;
use crate::domain::campaign::CampaignKind;
use crate::domain::money::format_cny;
use crate::domain::review::charts;
use crate::domain::review::metrics::{Metric, MetricKey, percent, roi_text};
use crate::i18n::Texts;
use crate::ops::authz::Permission;
use crate::ops::{self, OpsError};
use crate::web::pages::{Flash, Page, PageForm, PageResult, Shell, flash_from, parse_id, render};

/// A campaign's row: its goals, results and achievement rates (blank while
/// its review is not held).
pub struct ResultRow {
    pub id: i64,
    pub name: String,
    pub kind_key: &'static str,
    pub status_key: &'static str,
    pub dates: String,
    pub held_on: String,
    /// (goal, actual, achievement) for intent customers, orders, sales, ROI.
    pub cells: Vec<(String, String, String)>,
    pub frozen: bool,
}

const SHOWN: [MetricKey; 4] = [MetricKey::IntentCustomers, MetricKey::Orders, MetricKey::SalesAmount, MetricKey::Roi];

fn cell(m: Option<&Metric>) -> (String, String, String) {
    let Some(m) = m else { return ("—".into(), "—".into(), "—".into()) };
    let show = |v: Option<f64>| match (m.key, v) {
        (_, None) => "—".to_owned(),
        (MetricKey::SalesAmount, Some(v)) => format_cny(v.round() as i64),
        (MetricKey::Roi, Some(v)) => roi_text(v),
        (_, Some(v)) => format!("{}", v.round() as i64),
    };
    (show(m.goal), show(m.actual), m.achievement.map_or_else(|| "—".to_owned(), percent))
}

fn row(
    c: &crate::store::campaigns::Campaign,
    metrics: Option<&[Metric]>,
    held_on: Option<chrono::NaiveDate>,
) -> ResultRow {
    let find = |k: MetricKey| metrics.and_then(|ms| ms.iter().find(|m| m.key == k));
    ResultRow {
        id: c.id,
        name: c.name.clone(),
        kind_key: kind_key(c.kind),
        status_key: status_key(c.status),
        dates: format!("{} ~ {}", c.starts_on, c.ends_on),
        held_on: held_on.map(|d| d.to_string()).unwrap_or_default(),
        cells: if metrics.is_some() { SHOWN.iter().map(|k| cell(find(*k))).collect() } else { Vec::new() },
        frozen: metrics.is_some(),
    }
}

#[derive(Template)]
#[template(path = "templates.html")]
struct ListPage {
    shell: Shell,
    rows: Vec<ListRow>,
    can_manage: bool,
    /// Reviewed campaigns that can be saved (id, name).
    reviewed: Vec<(i64, String)>,
    selected: i64,
    name: String,
}

pub struct ListRow {
    pub id: i64,
    pub name: String,
    pub kind_key: &'static str,
    pub source: String,
    pub lessons: usize,
    pub checklist: usize,
    pub retired: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    ok: Option<String>,
    /// Preselect this reviewed campaign in the save form.
    campaign: String,
}

async fn list_page(
    state: &AppState,
    page: &Page,
    selected: i64,
    name: String,
    flash: Option<Flash>,
    status: StatusCode,
) -> PageResult {
    let templates = ops::templates::list(&state.store, &page.actor).await?;
    let can_manage = page.can(Permission::ManageCampaigns);
    let reviewed = if can_manage {
        ops::history::history(&state.store, &page.actor, None)
            .await?
            .reviewed
            .into_iter()
            .map(|p| (p.campaign.id, p.campaign.name))
            .collect()
    } else {
        Vec::new()
    };
    let rows = templates
        .into_iter()
        .map(|t| ListRow {
            id: t.stored.id,
            kind_key: t.stored.kind.parse::<CampaignKind>().map_or("kind.other", kind_key),
            source: t.stored.source_campaign_name.clone().unwrap_or_default(),
            lessons: t.body.lessons.len(),
            checklist: t.body.checklist.len(),
            retired: t.stored.retired,
            name: t.stored.name,
        })
        .collect();
    let shell = page.shell("template.title", "/campaigns").with_flash(flash);
    Ok(render(status, &ListPage { shell, rows, can_manage, reviewed, selected, name }))
}

pub async fn list(State(state): State<AppState>, page: Page, Query(q): Query<ListQuery>) -> PageResult {
    let selected = q.campaign.trim().parse().unwrap_or(0);
    let flash = flash_from(page.t, q.ok.as_deref());
    list_page(&state, &page, selected, String::new(), flash, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SaveForm {
    campaign_id: String,
    name: String,
}

/// Saves a reviewed campaign as a template.
pub async fn create(State(state): State<AppState>, page: Page, PageForm(f): PageForm<SaveForm>) -> PageResult {
    page.require(Permission::ManageCampaigns)?;
    let campaign_id = f.campaign_id.trim().parse::<i64>().unwrap_or(0);
    match ops::templates::save_from_campaign(&state.store, &page.actor, campaign_id, Some(&f.name)).await {
        Ok(id) => Ok(Redirect::to(&format!("/templates/{id}?ok=template.saved")).into_response()),
        Err(OpsError::Invalid { field, message }) => {
            let flash = page.invalid_flash(field, &message);
            list_page(&state, &page, campaign_id, f.name, Some(flash), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "template.html")]
struct DetailPage {
    shell: Shell,
    t: ops::templates::Template,
    kind_key: &'static str,
    playbook: Vec<(String, &'static str, String, String)>,
    checklist: Vec<(String, String, String)>,
    phases: Vec<(&'static str, String)>,
    ratios: Vec<(&'static str, String)>,
    used_by: Vec<ResultRow>,
    /// The target customers in the reader's language.
    segment: String,
    can_manage: bool,
}

/// "within 3 working days", in the reader's language.
fn within(t: &Texts, days: u32) -> String {
    t.fill_count("template.within", i64::from(days), &[("days", &days.to_string())])
}

pub async fn detail(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Query(q): Query<super::campaigns::OkQuery>,
) -> PageResult {
    let id = parse_id(&id)?;
    let view = ops::templates::get(&state.store, &page.actor, id).await?;
    let t = page.t;
    let b = &view.template.body;
    let playbook = b
        .playbook
        .iter()
        .map(|s| {
            (
                t.fill("review.tier_label", &[("tier", s.tier.as_str())]),
                super::execution::action_key(s.action.as_str()),
                within(t, s.within_days),
                s.what.clone(),
            )
        })
        .collect();
    let checklist = b
        .checklist
        .iter()
        .map(|c| {
            let kind = t.get(&format!("request.kind_{}", c.kind.as_str())).to_owned();
            let when = c.working_days_before_start.map_or_else(
                || t.get("template.undated").to_owned(),
                |n| t.fill_count("template.days_before", i64::from(n), &[("days", &n.to_string())]),
            );
            (kind, c.item.clone(), when)
        })
        .collect();
    let phases = b
        .phase_rules
        .map(|r| {
            vec![
                ("phase.kickoff", within(t, r.kickoff_after_notice)),
                ("phase.breakdown", within(t, r.breakdown_after_notice)),
                ("phase.rollout", within(t, r.rollout_after_start)),
                ("phase.review", within(t, r.review_after_end)),
            ]
        })
        .unwrap_or_default();
    let r = &b.ratios;
    let ratios = vec![
        ("template.ratio_reached", r.reached.to_string()),
        ("template.ratio_intent", r.intent_per_reached.map_or_else(|| "—".to_owned(), percent)),
        ("template.ratio_orders", r.orders_per_intent.map_or_else(|| "—".to_owned(), percent)),
        ("template.ratio_aov", r.average_order_fen.map_or_else(|| "—".to_owned(), format_cny)),
        ("template.ratio_roi", r.roi.map_or_else(|| "—".to_owned(), roi_text)),
    ];
    let used_by = view.used_by.iter().map(|u| row(&u.campaign, u.metrics.as_deref(), None)).collect();
    let segment = super::campaigns::plan::segment_for(t, &b.plan.segment);
    let shell = page.shell("template.title", "/campaigns").with_flash(flash_from(t, q.ok.as_deref()));
    let detail = DetailPage {
        kind_key: view.template.stored.kind.parse::<CampaignKind>().map_or("kind.other", kind_key),
        shell,
        t: view.template,
        playbook,
        checklist,
        phases,
        ratios,
        used_by,
        segment,
        can_manage: page.can(Permission::ManageCampaigns),
    };
    Ok(render(StatusCode::OK, &detail))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RetireForm {
    version: String,
}

/// Retires a template (after the browser's confirmation).
pub async fn retire(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    PageForm(f): PageForm<RetireForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    page.require(Permission::ManageCampaigns)?;
    ops::templates::set_retired(&state.store, &page.actor, id, f.version.trim().parse().ok(), true).await?;
    Ok(Redirect::to(&format!("/templates/{id}?ok=template.retired_done")).into_response())
}

#[derive(Template)]
#[template(path = "campaign_history.html")]
struct HistoryPage {
    shell: Shell,
    kind: String,
    kinds: Vec<(&'static str, &'static str)>,
    reviewed: Vec<ResultRow>,
    unreviewed: Vec<ResultRow>,
    trends: Vec<(&'static str, String)>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct HistoryQuery {
    kind: String,
}

/// Past campaigns: reviewed ones with their frozen results, a trend of
/// achievement per kind, and those still waiting for their review.
pub async fn history(State(state): State<AppState>, page: Page, Query(q): Query<HistoryQuery>) -> PageResult {
    let view = ops::history::history(&state.store, &page.actor, Some(&q.kind)).await?;
    let reviewed: Vec<ResultRow> =
        view.reviewed.iter().map(|p| row(&p.campaign, Some(&p.metrics), p.held_on)).collect();
    let unreviewed = view.unreviewed.iter().map(|c| row(c, None, None)).collect();
    // One trend per kind, oldest first, so the line reads left to right.
    let mut trends = Vec::new();
    for kind in CampaignKind::ALL {
        let mut points: Vec<(String, Option<f64>, Option<f64>)> = view
            .reviewed
            .iter()
            .filter(|p| p.campaign.kind == kind)
            .map(|p| {
                (
                    p.campaign.ends_on.format("%y-%m").to_string(),
                    p.metric(MetricKey::IntentCustomers).and_then(|m| m.achievement),
                    p.metric(MetricKey::Orders).and_then(|m| m.achievement),
                )
            })
            .collect();
        if points.is_empty() {
            continue;
        }
        points.reverse();
        let title = format!("{} · {}", page.t.get(kind_key(kind)), page.t.get("history.trend"));
        trends.push((kind_key(kind), charts::trend(&title, &points, &super::review::chart_words(page.t))));
    }
    let shell = page.shell("history.title", "/campaigns");
    let kinds = CampaignKind::ALL.iter().map(|k| (k.as_str(), kind_key(*k))).collect();
    Ok(render(StatusCode::OK, &HistoryPage { shell, kind: q.kind, kinds, reviewed, unreviewed, trends }))
}
