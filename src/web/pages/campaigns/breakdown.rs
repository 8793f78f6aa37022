//! The goal breakdown (template 2): the saved or proposed rows, editable by
//! those who plan the campaign, with the realism check against history.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};

use super::OkQuery;
use crate::app::AppState;
use crate::domain::team::Role;
use crate::io::values::parse_amount_fen;
use crate::ops::authz::Permission;
use crate::ops::campaigns::breakdown::BreakdownInput;
use crate::ops::{self, OpsError};
use crate::store::campaigns::Campaign;
use crate::web::pages::{Flash, Page, PageForm, PageResult, Shell, flash_from, parse_id, render};

pub struct BreakdownLine {
    pub assignee_email: String,
    pub assignee_name: String,
    pub region: String,
    pub target_customers: i64,
    pub conversion_percent: String,
    /// Orders the row stands for (targets × conversion), for the total.
    pub orders: i64,
    pub sales: String,
    pub key_customers: String,
    pub resource_needs: String,
}

impl BreakdownLine {
    fn blank() -> BreakdownLine {
        BreakdownLine {
            assignee_email: String::new(),
            assignee_name: String::new(),
            region: String::new(),
            target_customers: 0,
            conversion_percent: String::new(),
            orders: 0,
            sales: String::new(),
            key_customers: String::new(),
            resource_needs: String::new(),
        }
    }
}

/// A column's total against its goal.
pub struct TotalLine {
    pub label_key: &'static str,
    pub total: String,
    pub goal: Option<String>,
    pub matches: bool,
}

pub struct CheckLine {
    pub measure_key: &'static str,
    pub implied: String,
    pub historical: String,
    pub basis: Option<String>,
    pub verdict: &'static str,
    pub verdict_key: &'static str,
}

#[derive(Template)]
#[template(path = "campaign_breakdown.html")]
struct BreakdownPage {
    shell: Shell,
    c: Campaign,
    tab: &'static str,
    rows: Vec<BreakdownLine>,
    reps: Vec<(String, String)>,
    checks: Vec<CheckLine>,
    proposed: bool,
    totals: Vec<TotalLine>,
    can_plan: bool,
    is_rep: bool,
}

fn percent(v: f64) -> String {
    let p = (v * 1000.0).round() / 10.0;
    if p.fract() == 0.0 { format!("{p:.0}") } else { format!("{p:.1}") }
}

async fn breakdown_page(
    state: &AppState,
    page: &Page,
    id: i64,
    status: StatusCode,
    override_rows: Option<Vec<BreakdownLine>>,
    flash: Option<Flash>,
) -> PageResult {
    let c = ops::campaigns::readable(&state.store, &page.actor, id).await?;
    let view = ops::campaigns::breakdown::breakdown(&state.store, &page.actor, id).await?;
    let team = ops::team::directory(&state.store, &page.actor).await?;
    let reps: Vec<(String, String)> = team
        .active_with(&[Role::Rep])
        .map(|u| (u.email.clone(), format!("{} · {}", u.name, u.region.clone().unwrap_or_default())))
        .collect();
    let name_of = |email: &Option<String>| {
        email.as_deref().and_then(|e| team.by_email(e)).map(|u| u.name.clone()).unwrap_or_default()
    };
    let mut shell = page.shell("breakdown.title", "/campaigns").with_flash(flash);
    shell.title = format!("{} · {}", c.name, shell.t.get("breakdown.title"));
    let rows = override_rows.unwrap_or_else(|| {
        view.rows
            .iter()
            .map(|r| BreakdownLine {
                assignee_email: r.assignee_email.clone().unwrap_or_default(),
                assignee_name: name_of(&r.assignee_email),
                region: r.region.clone(),
                target_customers: r.target_customers,
                conversion_percent: percent(r.expected_conversion),
                orders: crate::domain::breakdown::orders_of(r.target_customers, r.expected_conversion),
                sales: (r.sales_target_fen / 100).to_string(),
                key_customers: r.key_customers.clone(),
                resource_needs: r.resource_needs.clone(),
            })
            .collect()
    });
    let checks = view
        .checks
        .iter()
        .map(|ch| {
            let verdict =
                serde_json::to_value(&ch.verdict).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
            let (verdict, verdict_key) = match verdict.as_str() {
                "too_high" => ("too_high", "verdict.too_high"),
                "too_low" => ("too_low", "verdict.too_low"),
                "realistic" => ("realistic", "verdict.realistic"),
                _ => ("no_history", "verdict.no_history"),
            };
            CheckLine {
                measure_key: if ch.measure == "intent_rate" { "realism.intent_rate" } else { "realism.conversion" },
                implied: ch.implied.map(|v| format!("{}%", percent(v))).unwrap_or_else(|| "—".to_owned()),
                historical: ch.historical.map(|v| format!("{}%", percent(v))).unwrap_or_else(|| "—".to_owned()),
                basis: ch.history.map(|h| {
                    shell.t.fill(
                        "realism.based_on",
                        &[("campaigns", &h.campaigns.to_string()), ("members", &h.members.to_string())],
                    )
                }),
                verdict,
                verdict_key,
            }
        })
        .collect();
    let is_rep = page.actor.role == Role::Rep;
    // A rep sees their own row: totals against the team's goals would mislead.
    let totals = if is_rep { Vec::new() } else { totals(&c, &rows) };
    let body = BreakdownPage {
        shell,
        tab: "breakdown",
        rows,
        reps,
        checks,
        proposed: view.proposed,
        totals,
        can_plan: page.can(Permission::ManageCampaigns),
        is_rep,
        c,
    };
    Ok(render(status, &body))
}

/// Targets, orders and sales added up, each beside its goal.
fn totals(c: &Campaign, rows: &[BreakdownLine]) -> Vec<TotalLine> {
    let targets: i64 = rows.iter().map(|r| r.target_customers).sum();
    let orders: i64 = rows.iter().map(|r| r.orders).sum();
    let sales: i64 = rows.iter().map(|r| parse_amount_fen(&r.sales).unwrap_or(0)).sum();
    let money = crate::domain::money::format_cny;
    vec![
        TotalLine {
            label_key: "breakdown.target",
            total: targets.to_string(),
            goal: Some(c.goal_intent.to_string()),
            matches: targets == c.goal_intent,
        },
        TotalLine {
            label_key: "breakdown.orders",
            total: orders.to_string(),
            goal: (c.goal_orders > 0).then(|| c.goal_orders.to_string()),
            matches: c.goal_orders == 0 || orders == c.goal_orders,
        },
        TotalLine {
            label_key: "breakdown.sales",
            total: money(sales),
            goal: (c.goal_sales_fen > 0).then(|| money(c.goal_sales_fen)),
            matches: c.goal_sales_fen == 0 || sales == c.goal_sales_fen,
        },
    ]
}

pub async fn breakdown(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Query(q): Query<OkQuery>,
) -> PageResult {
    let id = parse_id(&id)?;
    let flash = flash_from(page.t, q.ok.as_deref());
    breakdown_page(&state, &page, id, StatusCode::OK, None, flash).await
}

/// Repeated fields come in row order; gather them column by column.
fn column<'a>(pairs: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
}

pub async fn save_breakdown(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> PageResult {
    let id = parse_id(&id)?;
    ops::campaigns::check_manage(&state.store, &page.actor, id).await?;
    let emails = column(&pairs, "assignee_email");
    let regions = column(&pairs, "region");
    let targets = column(&pairs, "target_customers");
    let conversions = column(&pairs, "expected_conversion");
    let sales = column(&pairs, "sales_target");
    let keys = column(&pairs, "key_customers");
    let needs = column(&pairs, "resource_needs");
    let cell = |col: &[&str], i: usize| col.get(i).copied().unwrap_or("").to_owned();
    let mut lines = Vec::new();
    let mut inputs = Vec::new();
    let mut problem: Option<(&'static str, String)> = None;
    for i in 0..emails.len() {
        let target = cell(&targets, i).trim().parse::<i64>();
        let conversion_text = cell(&conversions, i);
        let conversion = conversion_text.trim().trim_end_matches(['%', '％']).trim().parse::<f64>().map(|v| v / 100.0);
        let sales_fen = if cell(&sales, i).trim().is_empty() {
            Ok(0)
        } else {
            parse_amount_fen(&cell(&sales, i)).map_err(|e| e.message)
        };
        if problem.is_none() {
            if target.is_err() {
                problem =
                    Some(("target_customers", format!("row {}: {:?} is not a whole number", i + 1, cell(&targets, i))));
            } else if conversion.is_err() {
                problem =
                    Some(("expected_conversion", format!("row {}: {conversion_text:?} is not a percentage", i + 1)));
            } else if let Err(m) = &sales_fen {
                problem = Some(("sales_target", format!("row {}: {m}", i + 1)));
            }
        }
        lines.push(BreakdownLine {
            assignee_email: cell(&emails, i),
            assignee_name: String::new(),
            region: cell(&regions, i),
            target_customers: target.clone().unwrap_or(0),
            orders: crate::domain::breakdown::orders_of(target.clone().unwrap_or(0), conversion.clone().unwrap_or(0.0)),
            conversion_percent: conversion_text.trim().trim_end_matches(['%', '％']).to_owned(),
            sales: cell(&sales, i),
            key_customers: cell(&keys, i),
            resource_needs: cell(&needs, i),
        });
        inputs.push(BreakdownInput {
            assignee_email: Some(cell(&emails, i)).filter(|e| !e.is_empty()),
            region: cell(&regions, i),
            target_customers: target.unwrap_or(0),
            expected_conversion: conversion.unwrap_or(0.0),
            sales_target_fen: sales_fen.unwrap_or(0),
            key_customers: cell(&keys, i),
            resource_needs: cell(&needs, i),
        });
    }
    // "Add a row" and "remove" re-show the table as typed, without saving.
    let add = pairs.iter().any(|(k, _)| k == "add");
    let drop = pairs.iter().find(|(k, _)| k == "drop").and_then(|(_, v)| v.parse::<usize>().ok());
    if add || drop.is_some() {
        if let Some(i) = drop.filter(|i| *i < lines.len()) {
            lines.remove(i);
        }
        if add {
            lines.push(BreakdownLine::blank());
        }
        return breakdown_page(&state, &page, id, StatusCode::OK, Some(lines), None).await;
    }
    if let Some((field, message)) = problem {
        let flash = Some(page.invalid_flash(field, &message));
        return breakdown_page(&state, &page, id, StatusCode::UNPROCESSABLE_ENTITY, Some(lines), flash).await;
    }
    match ops::campaigns::breakdown::save_breakdown(&state.store, &page.actor, id, inputs).await {
        Ok(_) => Ok(Redirect::to(&format!("/campaigns/{id}/breakdown?ok=breakdown.saved")).into_response()),
        Err(OpsError::Invalid { field, message }) => {
            let flash = Some(page.invalid_flash(field, &message));
            breakdown_page(&state, &page, id, StatusCode::UNPROCESSABLE_ENTITY, Some(lines), flash).await
        }
        Err(e) => Err(e.into()),
    }
}
