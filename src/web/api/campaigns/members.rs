//! The target list: generating it, reading it in outreach order, and
//! adding a channel partner's list.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::AppState;
use crate::ops;
use crate::store::campaigns::MemberQuery;
use crate::web::api::{Page, parse_id};
use crate::web::cursor;
use crate::web::error::ApiError;
use crate::web::session::ApiAuth;

#[derive(Serialize, ToSchema)]
pub struct Generated {
    /// Members added now.
    pub added: u64,
    /// Members in all.
    pub total: i64,
}

/// Apply the campaign's segment: each matching customer becomes a member once,
/// with its tier as of the start date and an assignee. Calling again adds only new matches.
#[utoipa::path(post, operation_id = "campaigns_generate_members", path = "/api/v1/campaigns/{id}/members/generate", tag = "campaigns",
    params(("id" = i64, Path, description = "campaign id")),
    responses((status = 200, description = "OK", body = Generated), (status = 403, description = "Your role may not do this", body = crate::web::api::ErrorBody),
        (status = 404, description = "Not found", body = crate::web::api::ErrorBody), (status = 422, description = "The campaign has no segment", body = crate::web::api::ErrorBody)))]
pub async fn generate(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<Generated>, ApiError> {
    let id = parse_id(&id)?;
    let (added, total) = ops::campaigns::members::generate_members(&state.store, &actor, id).await?;
    Ok(Json(Generated { added, total }))
}

#[derive(Serialize, ToSchema)]
pub struct MemberOut {
    pub customer_id: i64,
    pub customer_name: String,
    pub industry: String,
    pub region: String,
    /// S, B or C as of the campaign's start.
    pub tier: String,
    pub assignee_email: Option<String>,
    /// segment, partner or manual.
    pub source: String,
    /// The channel partner whose list brought the customer.
    pub partner: Option<String>,
    /// targeted, contacted, intent, ordered or lost.
    pub stage: String,
    pub next_action_on: Option<chrono::NaiveDate>,
}

#[derive(Serialize, ToSchema)]
pub struct MemberList {
    pub items: Vec<MemberOut>,
    /// How many members match: exact when `total_exact`, else the list
    /// matches more than this many (10,000) and `count=exact` counts them.
    pub total: i64,
    pub total_exact: bool,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberFilter {
    /// S, B or C.
    pub tier: Option<String>,
    /// targeted, contacted, intent, ordered or lost.
    pub stage: Option<String>,
    /// `exact` counts every match for `total`. By default the count stops past 10,000 (`total_exact: false`).
    pub count: Option<String>,
}

/// Rank and customer id in one cursor key.
const RANK_SPAN: i64 = 1_000_000_000_000;

/// The target list in outreach order (S; B with open inquiries; B; C). A rep sees their own part.
#[utoipa::path(get, operation_id = "campaigns_members", path = "/api/v1/campaigns/{id}/members", tag = "campaigns",
    params(("id" = i64, Path, description = "campaign id"), Page, MemberFilter),
    responses((status = 200, description = "OK", body = MemberList), (status = 404, description = "Not found", body = crate::web::api::ErrorBody)))]
pub async fn members(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    Query(page): Query<Page>,
    Query(filter): Query<MemberFilter>,
) -> Result<Json<MemberList>, ApiError> {
    let id = parse_id(&id)?;
    let limit = page.limit()?;
    let after = page.after_id()?.map(|k| (i32::try_from(k / RANK_SPAN).unwrap_or(0), k % RANK_SPAN));
    let tier = filter.tier.filter(|t| !t.is_empty());
    if let Some(t) = &tier
        && !["S", "B", "C"].contains(&t.as_str())
    {
        return Err(ApiError::invalid("tier", "tier is S, B or C"));
    }
    let stage = filter.stage.filter(|s| !s.is_empty());
    if let Some(s) = &stage
        && s.parse::<crate::domain::execution::stage::Stage>().is_err()
    {
        return Err(ApiError::invalid("stage", "stage is targeted, contacted, intent, ordered or lost"));
    }
    let exact = match filter.count.as_deref() {
        None | Some("") => false,
        Some("exact") => true,
        Some(_) => {
            return Err(ApiError::invalid("count", "count takes exact, or nothing for a total that stops past 10,000"));
        }
    };
    let query = MemberQuery { tier, stage, after, limit: limit + 1, ..MemberQuery::default() };
    let total = ops::campaigns::members::count_members(&state.store, &actor, id, query.clone(), exact).await?;
    let mut rows = ops::campaigns::members::members(&state.store, &actor, id, query).await?;
    let next_cursor = (rows.len() as i64 > limit).then(|| {
        rows.truncate(usize::try_from(limit).unwrap_or(50));
        let last = rows.last().map_or(0, |m| i64::from(m.outreach_rank) * RANK_SPAN + m.customer_id);
        cursor::encode(last)
    });
    let items = rows
        .into_iter()
        .map(|m| MemberOut {
            customer_id: m.customer_id,
            customer_name: m.customer_name,
            industry: m.industry,
            region: m.region,
            tier: m.tier,
            assignee_email: m.assignee_email,
            source: m.source,
            partner: m.partner,
            stage: m.stage,
            next_action_on: m.next_action_on,
        })
        .collect();
    Ok(Json(MemberList { items, total: total.count, total_exact: total.exact, next_cursor }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PartnerListParams {
    /// The channel partner (渠道商) who supplied the list; members are tagged with it.
    pub partner: Option<String>,
    /// `true`: add the good rows even when some rows are bad.
    pub partial: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PartnerListResult {
    /// Members added now.
    pub added: u64,
    /// Members in all.
    pub total: i64,
    /// The customer import's report (created, skipped as known, rejected rows).
    pub report: crate::ops::import::ImportReport,
}

/// Add a channel partner's customer list (CSV or XLSX body, the customer importer's rules): unknown
/// customers are created with the partner as their source, and every customer on the list becomes a
/// member tagged with the partner. A file with bad rows adds nothing unless `partial=true`.
#[utoipa::path(post, operation_id = "campaigns_import_partner_list", path = "/api/v1/campaigns/{id}/members/import", tag = "campaigns",
    params(("id" = i64, Path, description = "campaign id"), PartnerListParams),
    request_body(description = "The partner's list: CSV or XLSX.", content((String = "text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses((status = 200, description = "OK", body = PartnerListResult), (status = 403, description = "Your role may not do this", body = crate::web::api::ErrorBody),
        (status = 404, description = "Not found", body = crate::web::api::ErrorBody),
        (status = 409, description = "`import_in_progress`: your previous import is still running", body = crate::web::api::ErrorBody),
        (status = 422, description = "The file is rejected (the report lists every bad row) or the partner is missing", body = crate::web::api::imports::RejectedImport),
        (status = 429, description = "`imports_busy`: the server runs as many imports as it may; retry after `Retry-After` seconds", body = crate::web::api::ErrorBody)))]
pub async fn import_partner_list(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    Query(params): Query<PartnerListParams>,
    body: axum::body::Body,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let id = parse_id(&id)?;
    crate::ops::authz::require(&actor, crate::ops::authz::Permission::WriteCustomers)?;
    ops::campaigns::check_manage(&state.store, &actor, id).await?;
    let _slot = state.imports.enter(actor.id).map_err(super::super::imports::busy_error)?;
    let partial = matches!(params.partial.as_deref().map(str::trim), Some("true" | "1" | "yes"));
    let bytes = axum::body::to_bytes(body, crate::app::MAX_BODY_BYTES).await.map_err(|_| {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "the file is larger than 64 MB")
    })?;
    let upload = crate::ops::import::Upload { bytes, file_name: None, content_type: None };
    let outcome = ops::campaigns::members::import_partner_list(
        &state.store,
        &actor,
        id,
        params.partner.as_deref().unwrap_or(""),
        upload,
        partial,
    )
    .await
    .map_err(crate::web::api::imports::import_error)?;
    if outcome.report.status == crate::ops::import::ImportStatus::Rejected {
        let error = crate::web::api::ErrorDetail {
            code: "rejected_rows".to_owned(),
            message: format!(
                "{} bad row(s); nothing was added (fix them, or send partial=true)",
                outcome.report.rejected
            ),
            field: None,
        };
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(crate::web::api::imports::RejectedImport { error, report: outcome.report }),
        )
            .into_response());
    }
    Ok(Json(PartnerListResult { added: outcome.added, total: outcome.total, report: outcome.report }).into_response())
}
