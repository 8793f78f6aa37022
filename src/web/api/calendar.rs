//! Mainland China's working-day calendar: counting working days, and
//! importing a newly announced year.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::AppState;
use crate::ops;
use crate::web::error::ApiError;
use crate::web::session::ApiAuth;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WorkingDaysQuery {
    /// YYYY-MM-DD.
    pub from: Option<String>,
    /// Working days to add (0 returns `from`).
    pub add: Option<String>,
    /// YYYY-MM-DD: count the working days d with from < d ≤ to.
    pub to: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct WorkingDays {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_days: Option<i64>,
    /// Years without an imported official schedule (Mon–Fri was assumed).
    pub assumed_years: Vec<i32>,
}

fn date_param(field: &str, raw: Option<&str>) -> Result<NaiveDate, ApiError> {
    let raw = raw.ok_or_else(|| ApiError::invalid(field, format!("{field} is required (YYYY-MM-DD)")))?;
    crate::domain::dates::parse(raw).map_err(|e| ApiError::invalid(field, e.to_string()))
}

/// Mainland China's working-day calendar (holidays and adjusted working weekends):
/// `from` + `add` → `{"date"}`, or `from` + `to` → `{"working_days"}`.
#[utoipa::path(get, operation_id = "calendar_working_days", path = "/api/v1/calendar/working-days", tag = "calendar", params(WorkingDaysQuery),
    responses((status = 200, description = "OK", body = WorkingDays), (status = 422, description = "Invalid input; the error names the field", body = crate::web::api::ErrorBody)))]
pub async fn working_days(
    State(state): State<AppState>,
    ApiAuth(_actor): ApiAuth,
    Query(q): Query<WorkingDaysQuery>,
) -> Result<Json<WorkingDays>, ApiError> {
    let from = date_param("from", q.from.as_deref())?;
    let cal = ops::calendar::calendar(&state.store).await?;
    match (q.add.as_deref(), q.to.as_deref()) {
        (Some(add), None) => {
            let n: u32 = add
                .trim()
                .parse()
                .map_err(|_| ApiError::invalid("add", "add is a whole number of working days from 0"))?;
            if n > 10_000 {
                return Err(ApiError::invalid("add", "add is at most 10000"));
            }
            let r = cal
                .checked_add_working_days(from, n)
                .ok_or_else(|| ApiError::invalid("add", "the date is out of range"))?;
            Ok(Json(WorkingDays { date: Some(r.value), working_days: None, assumed_years: r.assumed_years }))
        }
        (None, Some(to)) => {
            let to = date_param("to", Some(to))?;
            if (to - from).num_days().abs() > 36_600 {
                return Err(ApiError::invalid("to", "the range is at most 100 years"));
            }
            let r = cal.working_days_between(from, to);
            Ok(Json(WorkingDays { date: None, working_days: Some(r.value), assumed_years: r.assumed_years }))
        }
        _ => Err(ApiError::invalid("add", "give either add or to")),
    }
}

#[derive(Serialize, ToSchema)]
pub struct ImportedYears {
    pub years: Vec<i32>,
}

/// Import a newly announced year of the official schedule (admin); the body is
/// a calendar file (`{"years": {"2027": {...}}}`, the format of data/cn-workcalendar.json).
#[utoipa::path(post, operation_id = "calendar_import", path = "/api/v1/calendar/years", tag = "calendar", request_body = serde_json::Value,
    responses((status = 200, description = "OK", body = ImportedYears), (status = 403, description = "Your role may not do this", body = crate::web::api::ErrorBody),
        (status = 422, description = "The file is invalid; the message names where", body = crate::web::api::ErrorBody)))]
pub async fn import_calendar(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    body: Bytes,
) -> Result<Json<ImportedYears>, ApiError> {
    crate::ops::authz::require(&actor, crate::ops::authz::Permission::ManageCalendar)?;
    let text = std::str::from_utf8(&body).map_err(|_| ApiError::invalid("calendar", "the file is not UTF-8 text"))?;
    let years = ops::calendar::import_calendar(&state.store, Some(&actor), text).await?;
    Ok(Json(ImportedYears { years }))
}
