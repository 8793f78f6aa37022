//! The customer list and detail pages.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;

use super::{Shell, can, error_page, render};
use crate::app::AppState;
use crate::domain::money::format_cny;
use crate::ops::authz::Permission;
use crate::ops::customers::ListQuery;
use crate::ops::{self};
use crate::store::customers::CustomerSummary;
use crate::web::cursor;
use crate::web::error::ApiError;
use crate::web::session::{PageAuth, urlencode};

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
    pub source: String,
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
            source: c.source,
            tier: c.tier,
            last_interaction_on: c.last_interaction_on,
            last_inquiry_on: c.last_inquiry_on,
            notes: c.notes,
        }
    }
}

#[derive(Template)]
#[template(path = "customers.html")]
struct ListPage {
    shell: Shell,
    rows: Vec<CustomerRow>,
    total: i64,
    count_text: String,
    q: String,
    region: String,
    regions: Vec<String>,
    next_href: Option<String>,
    first_href: String,
    has_prev: bool,
    can_import: bool,
    /// The current filter as export query parameters.
    export_query: String,
}

#[derive(Deserialize)]
pub struct ListParams {
    q: Option<String>,
    segment: Option<String>,
    region: Option<String>,
    cursor: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    PageAuth(session): PageAuth,
    headers: HeaderMap,
    Query(q): Query<ListParams>,
) -> Response {
    let fail = |e: ApiError| error_page(&headers, Some((&session.actor, &session.csrf)), e);
    let after_id = match q.cursor.as_deref().filter(|c| !c.is_empty()).map(cursor::decode).transpose() {
        Ok(after) => after,
        Err(e) => return fail(e),
    };
    let query = ListQuery {
        search: q.q.clone(),
        region: q.region.clone(),
        segment: q.segment.clone(),
        after_id,
        limit: PAGE_SIZE + 1,
    };
    let (mut rows, total) =
        match ops::customers::list(&state.store, &session.actor, &query, crate::clock::today()).await {
            Ok(found) => found,
            Err(e) => return fail(e.into()),
        };
    let regions = state.store.regions().await.unwrap_or_default();
    let search = q.q.unwrap_or_default();
    let region = q.region.unwrap_or_default();
    let base = format!("/customers?q={}&region={}", urlencode(&search), urlencode(&region));
    let segment = q.segment.unwrap_or_default();
    let export_query =
        format!("q={}&region={}&segment={}", urlencode(&search), urlencode(&region), urlencode(&segment));
    let next_href = (rows.len() as i64 > PAGE_SIZE).then(|| {
        rows.truncate(PAGE_SIZE as usize);
        let last = rows.last().map_or(0, |c| c.id);
        format!("{base}&cursor={}", cursor::encode(last))
    });
    let shell = Shell::new(&headers, Some(session.actor.clone()), &session.csrf, "customers.title", "/customers", None);
    let count_text = shell.t.fill("customers.count", &[("total", &total.to_string())]);
    let page = ListPage {
        shell,
        rows: rows.into_iter().map(CustomerRow::from).collect(),
        total,
        count_text,
        q: search,
        region,
        regions,
        next_href,
        first_href: base,
        has_prev: after_id.is_some(),
        can_import: can(&session.actor, Permission::WriteCustomers),
        export_query,
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "customer.html")]
struct DetailPage {
    shell: Shell,
    c: CustomerRow,
    show_notes: bool,
    show_audit: bool,
}

pub async fn detail(
    State(state): State<AppState>,
    PageAuth(session): PageAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return error_page(&headers, Some((&session.actor, &session.csrf)), ApiError::not_found());
    };
    match ops::customers::get(&state.store, &session.actor, id, crate::clock::today()).await {
        Ok(c) => {
            let mut shell =
                Shell::new(&headers, Some(session.actor.clone()), &session.csrf, "customers.title", "/customers", None);
            shell.title = c.name.clone();
            let page = DetailPage {
                show_notes: can(&session.actor, Permission::ReadCustomerNotes),
                show_audit: can(&session.actor, Permission::ReadAudit),
                shell,
                c: c.into(),
            };
            render(StatusCode::OK, &page)
        }
        Err(e) => error_page(&headers, Some((&session.actor, &session.csrf)), e.into()),
    }
}
