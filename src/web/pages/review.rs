//! The campaign review page (活动复盘): the metric table of template 4 with
//! the lead's lines, the charts (server-drawn SVG), the cost items, and a
//! print stylesheet that makes it the A4 review report.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use crate::app::AppState;
use crate::domain::money::format_cny;
use crate::domain::review::charts::ChartWords;
use crate::domain::review::metrics::{CostItem, MetricKey, percent};
use crate::domain::review::{LineText, ReviewStatus, charts};
use crate::i18n::Texts;
use crate::ops;
use crate::ops::authz::Permission;
use crate::ops::review::ReviewLine;
use crate::store::campaigns::Campaign;
use crate::web::pages::{Page, PageResult, Shell, flash_from, parse_id, render};

pub struct CostLine {
    pub item: String,
    pub planned: String,
    pub actual: String,
    /// Form values in yuan.
    pub planned_yuan: String,
    pub actual_yuan: String,
}

pub struct GroupLine {
    pub label: String,
    pub members: i64,
    pub reached: i64,
    pub intent: i64,
    pub orders: i64,
    pub conversion: String,
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage {
    shell: Shell,
    c: Campaign,
    tab: &'static str,
    status: &'static str,
    due_on: String,
    overdue: bool,
    held_on: String,
    frozen: bool,
    version: String,
    lines: Vec<ReviewLine>,
    /// Each line's form legend: its name, goal, actual and achievement.
    legends: Vec<String>,
    costs: Vec<CostLine>,
    funnel_svg: String,
    burn_svg: String,
    tier_svg: String,
    rep_svg: String,
    groups: Vec<(&'static str, Vec<GroupLine>)>,
    can_edit: bool,
    can_hold: bool,
    can_cost: bool,
    /// A held review's campaign can be saved as an SOP template.
    can_save_sop: bool,
    /// Lines can become draft knowledge entries (存入知识库).
    can_propose: bool,
    lessons: Vec<(String, String)>,
}

#[derive(Deserialize, Default)]
pub struct OkQuery {
    ok: Option<String>,
}

/// The charts' words in the reader's language.
pub(crate) fn chart_words(t: &'static Texts) -> ChartWords<'static> {
    ChartWords {
        no_data: t.get("review.chart.no_data"),
        funnel: t.get("review.chart.funnel"),
        members: t.get("review.chart.members"),
        reached: t.get("review.chart.reached"),
        intent: t.get("review.chart.intent"),
        orders: t.get("review.chart.orders"),
        share: t.get("review.chart.share"),
        burn_up: t.get("review.chart.burn_up"),
        burn_up_heading: t.get("review.chart.burn_up_heading"),
        intent_goal: t.get("review.chart.intent_goal"),
        orders_goal: t.get("review.chart.orders_goal"),
        intent_achievement: t.get("review.chart.intent_achievement"),
        orders_achievement: t.get("review.chart.orders_achievement"),
    }
}

/// A review line's name in the reader's language (template 4's in Chinese).
fn line_label(t: &'static Texts, key: MetricKey) -> &'static str {
    t.get(match key {
        MetricKey::Reached => "review.line.reached",
        MetricKey::IntentCustomers => "review.line.intent_customers",
        MetricKey::Orders => "review.line.orders",
        MetricKey::SalesAmount => "review.line.sales_amount",
        MetricKey::AverageOrderValue => "review.line.average_order_value",
        MetricKey::Cost => "review.line.cost",
        MetricKey::Roi => "review.line.roi",
        MetricKey::Conversion => "review.line.conversion",
    })
}

fn yuan(fen: Option<i64>) -> String {
    match fen {
        Some(f) if f % 100 == 0 => (f / 100).to_string(),
        Some(f) => format!("{:.2}", f as f64 / 100.0),
        None => String::new(),
    }
}

pub async fn page(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Query(q): Query<OkQuery>,
) -> PageResult {
    let id = parse_id(&id)?;
    let v = ops::review::get(&state.store, &page.actor, id).await?;
    let t = page.t;
    let s = &v.metrics.snapshot;
    let tier_label = |tier: &str| t.fill("review.tier_label", &[("tier", tier)]);
    let tier_rows: Vec<(String, Option<f64>)> =
        s.breakdowns.by_tier.iter().map(|r| (tier_label(&r.key), r.funnel.intent_to_order)).collect();
    // Members nobody holds are listed under the reader's word for it.
    let rep_name =
        |key: &str| if key.is_empty() { t.get("customer.unassigned").to_owned() } else { v.metrics.rep_name(key) };
    let rep_rows: Vec<(String, Option<f64>)> =
        s.breakdowns.by_rep.iter().map(|r| (rep_name(&r.key), r.funnel.intent_to_order)).collect();
    let total_days = {
        let calendar = ops::calendar::calendar(&state.store).await?;
        let c = &v.metrics.campaign;
        let n = calendar.working_days_between(c.starts_on.pred_opt().unwrap_or(c.starts_on), c.ends_on).value;
        usize::try_from(n).unwrap_or(0)
    };
    let group = |rows: &[crate::domain::review::metrics::BreakdownRow], rep: bool| -> Vec<GroupLine> {
        rows.iter()
            .map(|r| GroupLine {
                label: if rep { rep_name(&r.key) } else { r.key.clone() },
                members: r.funnel.members,
                reached: r.funnel.reached,
                intent: r.funnel.intent_customers,
                orders: r.funnel.orders,
                conversion: r.funnel.intent_to_order.map_or_else(|| "—".to_owned(), percent),
            })
            .collect()
    };
    let b = &s.breakdowns;
    let groups = vec![
        ("review.by_tier", group(&b.by_tier, false)),
        ("review.by_rep", group(&b.by_rep, true)),
        ("review.by_region", group(&b.by_region, false)),
        ("review.by_channel", group(&b.by_channel, false)),
        ("review.by_partner", group(&b.by_partner, false)),
        ("review.by_source", group(&b.by_source, false)),
    ]
    .into_iter()
    .filter(|(_, rows)| !rows.is_empty())
    .collect();
    let costs = s
        .cost_items
        .iter()
        .map(|i: &CostItem| CostLine {
            item: i.item.clone(),
            planned: i.planned_fen.map_or_else(|| "—".to_owned(), format_cny),
            actual: i.actual_fen.map_or_else(|| "—".to_owned(), format_cny),
            planned_yuan: yuan(i.planned_fen),
            actual_yuan: yuan(i.actual_fen),
        })
        .collect();
    let mut lines = v.lines;
    for line in &mut lines {
        line.label = line_label(t, line.key);
    }
    let legends = lines
        .iter()
        .map(|l| {
            t.fill(
                "review.line_legend",
                &[
                    ("label", l.label),
                    ("goal", &l.goal_text()),
                    ("actual", &l.actual_text()),
                    ("achievement", &l.achievement_text()),
                ],
            )
        })
        .collect();
    let lessons = lines
        .iter()
        .filter(|l| !l.improvement.trim().is_empty())
        .map(|l| (l.label.to_owned(), l.improvement.clone()))
        .collect();
    let ended = v.status != ReviewStatus::Pending;
    let held = v.status == ReviewStatus::Held;
    let c = v.metrics.campaign.clone();
    let mut shell = page.shell("review.title", "/campaigns").with_flash(flash_from(t, q.ok.as_deref()));
    shell.title = format!("{} · {}", c.name, t.get("review.title"));
    let status = match v.status {
        ReviewStatus::Pending => "review.status_pending",
        ReviewStatus::Draft => "review.status_draft",
        ReviewStatus::Held => "review.status_held",
    };
    let overdue = v.urgency == crate::domain::campaign::Urgency::Overdue && !held;
    let words = chart_words(t);
    Ok(render(
        StatusCode::OK,
        &ReviewPage {
            shell,
            tab: "review",
            status,
            due_on: v.due_on.to_string(),
            overdue,
            held_on: v.held_on.map(|d| d.to_string()).unwrap_or_default(),
            frozen: v.metrics.frozen,
            version: v.version.map(|n| n.to_string()).unwrap_or_default(),
            funnel_svg: charts::funnel(&s.funnel, &words),
            burn_svg: charts::burn_up(&s.burn_up, total_days, &words),
            tier_svg: charts::conversion("tier", t.get("review.chart.by_tier"), &tier_rows, &words),
            rep_svg: charts::conversion("rep", t.get("review.chart.by_rep"), &rep_rows, &words),
            lines,
            legends,
            costs,
            groups,
            can_edit: ended && page.can(Permission::RunCampaigns),
            can_hold: ended && !held && page.can(Permission::RunCampaigns),
            can_cost: !held && page.can(Permission::ManageCampaigns),
            can_save_sop: held && page.can(Permission::ManageCampaigns),
            can_propose: page.can(Permission::ProposeKnowledge),
            lessons,
            c,
        },
    ))
}

/// The lead's lines: parallel fields per metric key.
pub async fn save(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> PageResult {
    let id = parse_id(&id)?;
    page.require(Permission::RunCampaigns)?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let values = |name: &str| pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect::<Vec<_>>();
    let (keys, highlights, problems, improvements) =
        (values("key"), values("highlight"), values("problem"), values("improvement"));
    let lines = keys
        .iter()
        .enumerate()
        .map(|(i, key)| LineText {
            key: key.clone(),
            highlight: highlights.get(i).cloned().unwrap_or_default(),
            problem: problems.get(i).cloned().unwrap_or_default(),
            improvement: improvements.get(i).cloned().unwrap_or_default(),
        })
        .collect();
    let version = values("version").first().and_then(|v| v.trim().parse().ok());
    ops::review::save(&state.store, &page.actor, id, version, lines).await?;
    Ok(Redirect::to(&format!("/campaigns/{id}/review?ok=review.saved")).into_response())
}

pub async fn held(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&id)?;
    page.require(Permission::RunCampaigns)?;
    ops::review::hold(&state.store, &page.actor, id).await?;
    Ok(Redirect::to(&format!("/campaigns/{id}/review?ok=review.held_done")).into_response())
}

/// The cost items: parallel fields (item, planned, actual in yuan).
pub async fn costs(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> PageResult {
    let id = parse_id(&id)?;
    page.require(Permission::ManageCampaigns)?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let values = |name: &str| pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect::<Vec<_>>();
    let (items, planned, actual) = (values("item"), values("planned"), values("actual"));
    let amount = |field: &'static str, raw: Option<&String>| -> Result<Option<i64>, ops::OpsError> {
        match raw.map(|s| s.trim()).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => crate::io::values::parse_amount_fen(s)
                .map(Some)
                .map_err(|_| ops::OpsError::invalid(field, format!("{s:?} is not an amount in yuan"))),
        }
    };
    let mut list = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if item.trim().is_empty() {
            continue;
        }
        list.push(CostItem {
            item: item.clone(),
            planned_fen: amount("items[].planned_fen", planned.get(i))?,
            actual_fen: amount("items[].actual_fen", actual.get(i))?,
        });
    }
    ops::review::set_costs(&state.store, &page.actor, id, list).await?;
    Ok(Redirect::to(&format!("/campaigns/{id}/review?ok=review.costs_saved")).into_response())
}

/// Template 4 as XLSX.
pub async fn export(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&id)?;
    let (name, bytes) = ops::review::export_xlsx(&state.store, &page.actor, id).await?;
    Ok(crate::web::api::campaigns::xlsx_response(&name, bytes))
}
