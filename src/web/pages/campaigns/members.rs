//! The target list: members in outreach order with counts by rep and tier,
//! generating it from the segment, and adding a channel partner's list.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use crate::app::AppState;
use crate::domain::team::Role;
use crate::ops::authz::Permission;
use crate::ops::{self, OpsError};
use crate::store::campaigns::{Campaign, Member, MemberQuery};
use crate::web::cursor;
use crate::web::pages::{Flash, Page, PageResult, Shell, flash_from, parse_id, render};

pub struct CountRow {
    pub name: String,
    pub s: i64,
    pub b: i64,
    pub c: i64,
    pub total: i64,
}

#[derive(Template)]
#[template(path = "campaign_members.html")]
struct MembersPage {
    shell: Shell,
    c: Campaign,
    tab: &'static str,
    counts: Vec<CountRow>,
    /// Where the counts by rep and tier load from, after the list (htmx).
    counts_href: String,
    members: Vec<Member>,
    tier: String,
    rep: String,
    reps: Vec<(String, String)>,
    count_text: String,
    /// Counts the matching members in full when the total stopped at 10,000.
    exact_count_href: Option<String>,
    /// The number of this page's first row (1 on the first page).
    first_number: i64,
    next_href: Option<String>,
    can_plan: bool,
    can_import: bool,
    partner_errors: Option<Vec<String>>,
    /// Execution: the stage filter, and the lead's bulk reassignment.
    stage: String,
    stages: Vec<(String, &'static str)>,
    can_run: bool,
}

#[derive(Deserialize, Default)]
pub struct MembersQuery {
    tier: Option<String>,
    stage: Option<String>,
    /// Set after a bulk reassignment: how many moved.
    moved: Option<usize>,
    rep: Option<String>,
    cursor: Option<String>,
    /// The number of the first row on a later page (carried by the pager).
    from: Option<i64>,
    ok: Option<String>,
    /// `exact`: the total counted in full (past 10,000 it stops otherwise).
    count: Option<String>,
    added: Option<u64>,
    total: Option<i64>,
    /// Set after a partner list: the flash names it.
    partner: Option<String>,
}

const RANK_SPAN: i64 = 1_000_000_000_000;
const MEMBERS_PAGE: i64 = 100;

pub async fn list_members(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Query(q): Query<MembersQuery>,
) -> PageResult {
    let id = parse_id(&id)?;
    members_page(&state, &page, id, q, None, StatusCode::OK).await
}

#[derive(Template)]
#[template(path = "member_counts_partial.html")]
struct MemberCountsPartial {
    shell: Shell,
    counts: Vec<CountRow>,
    counts_href: String,
}

/// The members by rep and tier: loaded after the list (htmx), since counting
/// 250,000 members takes longer than the list's page itself (15 ms against
/// 2 ms), or on their own (the link without JavaScript).
pub async fn member_counts(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&id)?;
    let team = ops::team::directory(&state.store, &page.actor).await?;
    let raw = ops::campaigns::members::member_counts(&state.store, &page.actor, id).await?;
    let mut counts: Vec<CountRow> = Vec::new();
    for (assignee, t, n) in &raw {
        let name = team.name_or(*assignee, "—");
        let row = match counts.iter().position(|r| r.name == name) {
            Some(i) => &mut counts[i],
            None => {
                counts.push(CountRow { name, s: 0, b: 0, c: 0, total: 0 });
                let last = counts.len() - 1;
                &mut counts[last]
            }
        };
        match t.as_str() {
            "S" => row.s += n,
            "B" => row.b += n,
            _ => row.c += n,
        }
        row.total += n;
    }
    let shell = page.shell("members.title", "/campaigns");
    Ok(render(StatusCode::OK, &MemberCountsPartial { shell, counts, counts_href: String::new() }))
}

async fn members_page(
    state: &AppState,
    page: &Page,
    id: i64,
    q: MembersQuery,
    partner_errors: Option<Vec<String>>,
    status: StatusCode,
) -> PageResult {
    let c = ops::campaigns::readable(&state.store, &page.actor, id).await?;
    let team = ops::team::directory(&state.store, &page.actor).await?;
    let tier = q.tier.clone().filter(|t| ["S", "B", "C"].contains(&t.as_str()));
    let rep_email = q.rep.clone().unwrap_or_default();
    let rep_id = team.by_email(&rep_email).map(|u| u.id);
    let after = q
        .cursor
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(cursor::decode)
        .transpose()?
        .map(|k| (i32::try_from(k / RANK_SPAN).unwrap_or(0), k % RANK_SPAN));
    let stage = q.stage.clone().filter(|s| s.parse::<crate::domain::execution::stage::Stage>().is_ok());
    let query = MemberQuery {
        assignee_id: rep_id,
        tier: tier.clone(),
        stage: stage.clone(),
        after,
        limit: MEMBERS_PAGE + 1,
        with_contact: true,
        ..MemberQuery::default()
    };
    let exact = q.count.as_deref() == Some("exact");
    let matching = ops::campaigns::members::count_members(&state.store, &page.actor, id, query.clone(), exact).await?;
    let mut members = ops::campaigns::members::members(&state.store, &page.actor, id, query).await?;
    let base = format!(
        "/campaigns/{id}/members?tier={}&rep={}&stage={}",
        tier.clone().unwrap_or_default(),
        crate::web::session::urlencode(&rep_email),
        stage.clone().unwrap_or_default()
    );
    // Keyset pages carry their first row's number; a page opened without one starts at 1.
    let first_number = if after.is_some() { q.from.filter(|n| *n > 0).unwrap_or(1) } else { 1 };
    // An exact count asked for stays asked for on the following pages.
    let exact_query = if exact { "&count=exact" } else { "" };
    let next_href = (members.len() as i64 > MEMBERS_PAGE).then(|| {
        members.truncate(usize::try_from(MEMBERS_PAGE).unwrap_or(100));
        let last = members.last().map_or(0, |m| i64::from(m.outreach_rank) * RANK_SPAN + m.customer_id);
        format!("{base}&cursor={}&from={}{exact_query}", cursor::encode(last), first_number + MEMBERS_PAGE)
    });
    let mut shell = page.shell("members.title", "/campaigns");
    shell.title = format!("{} · {}", c.name, shell.t.get("members.title"));
    shell.flash = match (q.added, q.total) {
        (Some(added), Some(total)) => Some(Flash {
            kind: "ok",
            text: shell.t.fill(
                if q.partner.is_some() { "members.partner_added" } else { "members.generated" },
                &[("added", &added.to_string()), ("total", &total.to_string())],
            ),
        }),
        _ => match q.moved {
            Some(n) => Some(Flash {
                kind: "ok",
                text: shell.t.fill_count("members.moved", n as i64, &[("n", &n.to_string())]),
            }),
            None => flash_from(shell.t, q.ok.as_deref()),
        },
    };
    let reps = if page.actor.role == Role::Rep {
        Vec::new()
    } else {
        team.all().iter().filter(|u| u.role == Role::Rep).map(|u| (u.email.clone(), u.name.clone())).collect()
    };
    // Counts are grouped as the money is ("10,002"), exact or capped alike.
    let grouped = |n: i64| crate::domain::money::group_thousands(n.unsigned_abs());
    let total = grouped(matching.count);
    let count_text = match (members.is_empty(), matching.exact) {
        (true, true) => shell.t.fill_count("members.count", matching.count, &[("total", &total)]),
        (true, false) => shell.t.fill("members.count_more_than", &[("total", &total)]),
        (false, exact) => {
            let last = first_number + members.len() as i64 - 1;
            shell.t.fill_count(
                if exact { "members.count_range" } else { "members.count_range_more_than" },
                matching.count,
                &[("first", &grouped(first_number)), ("last", &grouped(last)), ("total", &total)],
            )
        }
    };
    // Past the cap the exact count is one click away, as on the customer
    // list: this page counted in full (its rows and numbering kept).
    let this_page = match (&q.cursor, after) {
        (Some(c), Some(_)) => format!("{base}&cursor={c}&from={first_number}"),
        _ => base.clone(),
    };
    let exact_count_href = (!matching.exact).then(|| format!("{this_page}&count=exact"));
    let body = MembersPage {
        shell,
        tab: "members",
        counts: Vec::new(),
        counts_href: format!("/campaigns/{id}/members/counts"),
        members,
        tier: tier.unwrap_or_default(),
        rep: rep_email,
        reps,
        count_text,
        exact_count_href,
        first_number,
        next_href,
        can_plan: page.can(Permission::ManageCampaigns),
        can_import: page.can(Permission::ManageCampaigns) && page.can(Permission::WriteCustomers),
        partner_errors,
        stage: stage.unwrap_or_default(),
        stages: crate::domain::execution::stage::Stage::ALL
            .iter()
            .map(|s| (s.as_str().to_owned(), crate::web::pages::execution::stage_key(*s)))
            .collect(),
        can_run: page.can(Permission::RunCampaigns),
        c,
    };
    Ok(render(status, &body))
}

pub async fn generate(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&id)?;
    let (added, total) = ops::campaigns::members::generate_members(&state.store, &page.actor, id).await?;
    Ok(Redirect::to(&format!("/campaigns/{id}/members?added={added}&total={total}")).into_response())
}

/// The partner-list upload (multipart).
pub async fn import_partner_list(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> PageResult {
    let id = parse_id(&id)?;
    // Who may add a list is decided before the upload is read.
    ops::campaigns::check_manage(&state.store, &page.actor, id).await?;
    page.require(Permission::WriteCustomers)?;
    let _slot = state.imports.enter(page.actor.id).map_err(crate::web::api::imports::busy_error)?;
    let Ok(mut multipart) = multipart else {
        return Err(OpsError::invalid("file", "send the form with its file").into());
    };
    let (mut partner, mut partial, mut file, mut name) = (String::new(), false, Vec::new(), None);
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => match field.name().unwrap_or_default() {
                "partner" => partner = field.text().await.unwrap_or_default(),
                "partial" => partial = field.text().await.unwrap_or_default() == "true",
                "file" => {
                    name = field.file_name().map(str::to_owned);
                    file = field.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
                }
                _ => {}
            },
            Ok(None) => break,
            Err(_) => return Err(OpsError::invalid("file", "the upload was cut short; send it again").into()),
        }
    }
    let upload = crate::ops::import::Upload { bytes: file.into(), file_name: name.as_deref(), content_type: None };
    match ops::campaigns::members::import_partner_list(&state.store, &page.actor, id, &partner, upload, partial).await {
        Ok(outcome) if outcome.report.status == crate::ops::import::ImportStatus::Rejected => {
            let problems: Vec<String> = outcome
                .report
                .errors
                .iter()
                .take(50)
                .map(|e| {
                    page.t.fill(
                        "import.row_error",
                        &[("row", &e.row.to_string()), ("column", &e.column), ("message", &e.message)],
                    )
                })
                .collect();
            members_page(&state, &page, id, MembersQuery::default(), Some(problems), StatusCode::UNPROCESSABLE_ENTITY)
                .await
        }
        Ok(outcome) => Ok(Redirect::to(&format!(
            "/campaigns/{id}/members?added={}&total={}&partner=1",
            outcome.added, outcome.total
        ))
        .into_response()),
        Err(crate::ops::import::ImportError::Ops(e)) => Err(e.into()),
        Err(e) => Err(crate::web::api::imports::import_error(e).into()),
    }
}
