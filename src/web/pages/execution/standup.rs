//! The daily stand-up (站会) of a campaign for a date: per rep, what
//! happened that day, what is overdue, open blockers, and who has not
//! updated their record (未更新). The board refreshes itself while open.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::app::AppState;
use crate::domain::money::format_cny;
use crate::ops;
use crate::store::campaigns::Campaign;
use crate::web::i18n::Texts;
use crate::web::pages::{Page, PageResult, Shell, parse_id, render};

pub struct StandupLine {
    pub name: String,
    pub members: i64,
    pub contacted: i64,
    pub new_intents: i64,
    pub orders: i64,
    pub sales: String,
    pub overdue: i64,
    pub blockers: i64,
    pub missing: bool,
    pub missed_previous: bool,
    pub updated: bool,
}

pub struct BlockerLine {
    pub text: String,
    pub who: String,
    pub customer: Option<String>,
    pub status_key: &'static str,
}

#[derive(Template)]
#[template(path = "standup_board.html")]
struct Board {
    t: &'static Texts,
    c: Campaign,
    date: NaiveDate,
    previous_day: NaiveDate,
    cutoff: String,
    rows: Vec<StandupLine>,
    blockers: Vec<BlockerLine>,
    updated_at: String,
    totals: (i64, i64, i64, String, i64),
}

#[derive(Template)]
#[template(path = "standup.html")]
struct StandupPage {
    shell: Shell,
    c: Campaign,
    tab: &'static str,
    date: String,
    board_html: String,
}

#[derive(Deserialize, Default)]
pub struct DateQuery {
    date: Option<String>,
}

async fn board(
    state: &AppState,
    page: &Page,
    id: i64,
    date: Option<&str>,
) -> Result<Board, crate::web::pages::PageError> {
    let date = match date.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => Some(
            d.parse::<NaiveDate>()
                .map_err(|_| ops::OpsError::invalid("date", format!("{d:?} is not a date like 2026-11-06")))?,
        ),
        None => None,
    };
    let t = page.t;
    let s = ops::execution::reports::standup(&state.store, &page.actor, id, date).await?;
    let rows: Vec<StandupLine> = s
        .rows
        .iter()
        .map(|r| StandupLine {
            name: r.name.clone().unwrap_or_else(|| t.get("members.pool").to_owned()),
            members: r.members,
            contacted: r.contacted,
            new_intents: r.new_intents,
            orders: r.orders,
            sales: format_cny(r.sales_fen),
            overdue: r.overdue_tasks + r.overdue_actions,
            blockers: r.open_blockers,
            missing: r.missing_update,
            missed_previous: r.missed_previous_day,
            updated: r.updated,
        })
        .collect();
    let totals = (
        rows.iter().map(|r| r.contacted).sum(),
        rows.iter().map(|r| r.new_intents).sum(),
        rows.iter().map(|r| r.orders).sum(),
        format_cny(s.rows.iter().map(|r| r.sales_fen).sum()),
        rows.iter().map(|r| r.overdue).sum(),
    );
    let blockers = s
        .blockers
        .iter()
        .map(|b| BlockerLine {
            text: b.text.clone(),
            who: b.raised_by_name.clone().unwrap_or_default(),
            customer: b.customer_name.clone(),
            status_key: super::blocker_status_key(b.status),
        })
        .collect();
    let updated_at = ops::execution::in_china(state.store.now()).format("%H:%M:%S").to_string();
    Ok(Board {
        t,
        c: s.campaign,
        date: s.date,
        previous_day: s.previous_day,
        cutoff: s.cutoff,
        rows,
        blockers,
        updated_at,
        totals,
    })
}

pub async fn page(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Query(q): Query<DateQuery>,
) -> PageResult {
    let id = parse_id(&id)?;
    let b = board(&state, &page, id, q.date.as_deref()).await?;
    let mut shell = page.shell("standup.title", "/campaigns");
    shell.title = format!("{} · {}", b.c.name, shell.t.get("standup.title"));
    let board_html = b.render().map_err(|e| ops::OpsError::Other(anyhow::anyhow!("rendering the stand-up: {e}")))?;
    let body = StandupPage { shell, c: b.c.clone(), tab: "standup", date: b.date.to_string(), board_html };
    Ok(render(StatusCode::OK, &body))
}

/// The board alone, for htmx polling.
pub async fn board_only(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Query(q): Query<DateQuery>,
) -> PageResult {
    let id = parse_id(&id)?;
    let b = board(&state, &page, id, q.date.as_deref()).await?;
    Ok(render(StatusCode::OK, &b))
}
