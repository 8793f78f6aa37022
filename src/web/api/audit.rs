//! The audit trail of one object (lead and admin).

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use utoipa::ToSchema;

use super::parse_id;
use crate::app::AppState;
use crate::ops;
use crate::store::audit::AuditRecord;
use crate::web::api::Forbidden;
use crate::web::error::ApiError;
use crate::web::session::ApiAuth;

#[derive(Serialize, ToSchema)]
pub struct AuditList {
    pub items: Vec<AuditRecord>,
    pub total: i64,
    pub next_cursor: Option<String>,
}

/// Every recorded change of an object, oldest first.
#[utoipa::path(get, operation_id = "audit_history", path = "/api/v1/audit/{object_type}/{id}", tag = "audit",
    params(("object_type" = String, Path, description = "user, customer, …"), ("id" = i64, Path, description = "object id")),
    responses((status = 200, description = "OK", body = AuditList), Forbidden))]
pub async fn history(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path((object_type, id)): Path<(String, String)>,
) -> Result<Json<super::List<AuditRecord>>, ApiError> {
    let id = parse_id(&id)?;
    let items = ops::audit::history(&state.store, &actor, &object_type, id).await?;
    let total = items.len() as i64;
    Ok(Json(super::List { items, total, next_cursor: None }))
}
