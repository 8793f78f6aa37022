//! The goal breakdown (template 2) with its realism checks.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::AppState;
use crate::domain::money::fen_to_yuan;
use crate::ops;
use crate::ops::campaigns::breakdown::BreakdownInput;
use crate::web::api::{parse_body, parse_id, yuan_to_fen};
use crate::web::error::ApiError;
use crate::web::session::ApiAuth;

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakdownRowIo {
    /// The rep; null for the unassigned pool.
    pub assignee_email: Option<String>,
    #[serde(default)]
    pub region: String,
    /// Intent customers this row is to win; the rows sum to the campaign's goal.
    pub target_customers: i64,
    /// 0 to 1 (0.5 = 50%).
    pub expected_conversion: f64,
    /// CNY.
    #[serde(default)]
    pub sales_target: f64,
    /// e.g. "A公司(制造业) B贸易(零售)".
    #[serde(default)]
    pub key_customers: String,
    #[serde(default)]
    pub resource_needs: String,
}

#[derive(Serialize, ToSchema)]
pub struct Check {
    /// intent_rate (intent goal ÷ target list) or conversion (orders goal ÷ intent goal).
    pub measure: String,
    pub implied: Option<f64>,
    pub historical: Option<f64>,
    /// too_high (拍脑袋), too_low, realistic, no_history.
    pub verdict: String,
    pub history_campaigns: Option<i64>,
    pub history_members: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct Breakdown {
    pub rows: Vec<BreakdownRowIo>,
    /// True while nothing is saved: the rows are the proposal.
    pub proposed: bool,
    pub checks: Vec<Check>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakdownInputIo {
    pub rows: Vec<BreakdownRowIo>,
}

fn breakdown_out(view: ops::campaigns::breakdown::BreakdownView) -> Breakdown {
    Breakdown {
        rows: view
            .rows
            .into_iter()
            .map(|r| BreakdownRowIo {
                assignee_email: r.assignee_email,
                region: r.region,
                target_customers: r.target_customers,
                expected_conversion: r.expected_conversion,
                sales_target: fen_to_yuan(r.sales_target_fen),
                key_customers: r.key_customers,
                resource_needs: r.resource_needs,
            })
            .collect(),
        proposed: view.proposed,
        checks: view
            .checks
            .into_iter()
            .map(|c| Check {
                measure: c.measure.to_owned(),
                implied: c.implied,
                historical: c.historical,
                verdict: serde_json::to_value(&c.verdict)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                history_campaigns: c.history.map(|h| h.campaigns),
                history_members: c.history.map(|h| h.members),
            })
            .collect(),
    }
}

/// The goal breakdown (template 2): the saved rows, or the proposal from list
/// shares and similar campaigns; with the realism checks. A rep sees their row.
#[utoipa::path(get, operation_id = "campaigns_breakdown", path = "/api/v1/campaigns/{id}/breakdown", tag = "campaigns",
    params(("id" = i64, Path, description = "campaign id")),
    responses((status = 200, description = "OK", body = Breakdown), (status = 404, description = "Not found", body = crate::web::api::ErrorBody)))]
pub async fn breakdown(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<Breakdown>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(breakdown_out(ops::campaigns::breakdown::breakdown(&state.store, &actor, id).await?)))
}

/// Replace the breakdown; 422 naming `target_customers` unless the rows sum to the goal.
#[utoipa::path(put, operation_id = "campaigns_set_breakdown", path = "/api/v1/campaigns/{id}/breakdown", tag = "campaigns", request_body = BreakdownInputIo,
    params(("id" = i64, Path, description = "campaign id")),
    responses((status = 200, description = "OK", body = Breakdown), (status = 403, description = "Your role may not do this", body = crate::web::api::ErrorBody),
        (status = 404, description = "Not found", body = crate::web::api::ErrorBody), (status = 422, description = "Invalid input; the error names the field", body = crate::web::api::ErrorBody)))]
pub async fn set_breakdown(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Breakdown>, ApiError> {
    let id = parse_id(&id)?;
    ops::campaigns::check_manage(&state.store, &actor, id).await?;
    let input: BreakdownInputIo = parse_body(&headers, &body)?;
    let mut rows = Vec::with_capacity(input.rows.len());
    for r in input.rows {
        rows.push(BreakdownInput {
            assignee_email: r.assignee_email,
            region: r.region,
            target_customers: r.target_customers,
            expected_conversion: r.expected_conversion,
            sales_target_fen: yuan_to_fen("sales_target", r.sales_target)?,
            key_customers: r.key_customers,
            resource_needs: r.resource_needs,
        });
    }
    ops::campaigns::breakdown::save_breakdown(&state.store, &actor, id, rows).await?;
    Ok(Json(breakdown_out(ops::campaigns::breakdown::breakdown(&state.store, &actor, id).await?)))
}
