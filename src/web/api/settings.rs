//! Team-wide settings: the phase deadlines in working days.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::AppState;
use crate::ops;
use crate::web::api::parse_body;
use crate::web::error::ApiError;
use crate::web::session::ApiAuth;

/// Working days each phase allows (PRODUCT.md: 2 and 3 after the notice, 3 after the start, 3 after the end).
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhaseDays {
    pub kickoff_after_notice: u32,
    pub breakdown_after_notice: u32,
    pub rollout_after_start: u32,
    pub review_after_end: u32,
}

impl From<crate::domain::campaign::PhaseRules> for PhaseDays {
    fn from(r: crate::domain::campaign::PhaseRules) -> Self {
        PhaseDays {
            kickoff_after_notice: r.kickoff_after_notice,
            breakdown_after_notice: r.breakdown_after_notice,
            rollout_after_start: r.rollout_after_start,
            review_after_end: r.review_after_end,
        }
    }
}

/// The team's phase deadlines in working days.
#[utoipa::path(get, operation_id = "settings_phases", path = "/api/v1/settings/phases", tag = "campaigns",
    responses((status = 200, description = "OK", body = PhaseDays), (status = 401, description = "No or invalid credentials", body = crate::web::api::ErrorBody)))]
pub async fn phases(State(state): State<AppState>, ApiAuth(_actor): ApiAuth) -> Result<Json<PhaseDays>, ApiError> {
    Ok(Json(ops::settings::phase_rules(&state.store).await?.into()))
}

/// Change the phase deadlines (lead, admin); every campaign's dates follow.
#[utoipa::path(put, operation_id = "settings_set_phases", path = "/api/v1/settings/phases", tag = "campaigns", request_body = PhaseDays,
    responses((status = 200, description = "OK", body = PhaseDays), (status = 403, description = "Your role may not do this", body = crate::web::api::ErrorBody),
        (status = 422, description = "Invalid input; the error names the field", body = crate::web::api::ErrorBody)))]
pub async fn set_phases(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<PhaseDays>, ApiError> {
    crate::ops::authz::require(&actor, crate::ops::authz::Permission::ManageSettings)?;
    let input: PhaseDays = parse_body(&headers, &body)?;
    let rules = crate::domain::campaign::PhaseRules {
        kickoff_after_notice: input.kickoff_after_notice,
        breakdown_after_notice: input.breakdown_after_notice,
        rollout_after_start: input.rollout_after_start,
        review_after_end: input.review_after_end,
    };
    Ok(Json(ops::settings::set_phase_rules(&state.store, &actor, rules).await?.into()))
}
