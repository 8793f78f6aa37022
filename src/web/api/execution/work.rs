//! The playbook, its tasks, and the team's execution settings.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::members::{TaskOut, task_out};
use crate::app::AppState;
use crate::domain::execution::playbook::Step;
use crate::ops;
use crate::ops::authz::{self, Permission};
use crate::ops::execution::ExecutionSettings;
use crate::ops::execution::tasks::TaskEdit;
use crate::store::execution::tasks::TaskQuery;
use crate::web::api::Forbidden;
use crate::web::api::{List, Page, parse_body, parse_id};
use crate::web::error::ApiError;
use crate::web::session::ApiAuth;

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepIo {
    /// S, B or C.
    pub tier: String,
    /// phone, visit, invite, push or nurture.
    pub action: String,
    /// Working days after the start (or the day the member joined).
    pub within_days: u32,
    pub what: String,
}

#[derive(Serialize, ToSchema)]
pub struct PlaybookOut {
    pub steps: Vec<StepIo>,
    /// True while the campaign uses the template's playbook.
    pub default: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaybookInput {
    pub steps: Vec<StepIo>,
}

fn step_io(s: &Step) -> StepIo {
    StepIo {
        tier: s.tier.as_str().to_owned(),
        action: s.action.as_str().to_owned(),
        within_days: s.within_days,
        what: s.what.clone(),
    }
}

/// The campaign's tier playbook (the template's until a lead edits it).
#[utoipa::path(get, operation_id = "execution_playbook", path = "/api/v1/campaigns/{id}/playbook", tag = "execution",
    params(("id" = i64, Path, description = "campaign id")),
    responses((status = 200, description = "OK", body = PlaybookOut)))]
pub async fn playbook(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<PlaybookOut>, ApiError> {
    let id = parse_id(&id)?;
    let (steps, default) = ops::execution::tasks::playbook(&state.store, &actor, id).await?;
    Ok(Json(PlaybookOut { steps: steps.iter().map(step_io).collect(), default }))
}

/// Replace the playbook (lead, admin); open tasks are re-planned, done ones stay.
#[utoipa::path(put, operation_id = "execution_set_playbook", path = "/api/v1/campaigns/{id}/playbook", tag = "execution",
    request_body = PlaybookInput, params(("id" = i64, Path, description = "campaign id")),
    responses((status = 200, description = "OK", body = PlaybookOut), Forbidden))]
pub async fn set_playbook(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<PlaybookOut>, ApiError> {
    let id = parse_id(&id)?;
    ops::execution::check_run(&state.store, &actor, id).await?;
    let input: PlaybookInput = parse_body(&headers, &body)?;
    let mut steps = Vec::with_capacity(input.steps.len());
    for (i, s) in input.steps.into_iter().enumerate() {
        let tier = s.tier.parse().map_err(|()| ApiError::invalid("steps", format!("steps[{i}].tier: S, B or C")))?;
        let action = s.action.parse().map_err(|e: crate::domain::execution::UnknownCode| {
            ApiError::invalid("steps", format!("steps[{i}].action: {e}"))
        })?;
        steps.push(Step { tier, action, within_days: s.within_days, what: s.what });
    }
    let saved = ops::execution::tasks::set_playbook(&state.store, &actor, id, steps).await?;
    Ok(Json(PlaybookOut { steps: saved.iter().map(step_io).collect(), default: false }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskFilter {
    /// open, done or cancelled.
    pub status: Option<String>,
    /// Only tasks due on or before this day.
    pub due_through: Option<NaiveDate>,
    /// A lead: one rep's tasks.
    pub assignee: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TaskList {
    pub items: Vec<TaskOut>,
    pub total: i64,
    pub next_cursor: Option<String>,
}

/// The playbook's tasks of a campaign (a rep: their own), in id order.
#[utoipa::path(get, operation_id = "execution_tasks", path = "/api/v1/campaigns/{id}/tasks", tag = "execution",
    params(("id" = i64, Path, description = "campaign id"), Page, TaskFilter),
    responses((status = 200, description = "OK", body = TaskList)))]
pub async fn tasks(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    Query(page): Query<Page>,
    Query(f): Query<TaskFilter>,
) -> Result<Json<List<TaskOut>>, ApiError> {
    let id = parse_id(&id)?;
    let limit = page.limit()?;
    let assignee_id = match f.assignee.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => Some(ops::execution::member_of_team(&state.store, &actor, "assignee", e).await?),
        None => None,
    };
    let q = TaskQuery {
        assignee_id,
        status: f.status.filter(|s| !s.is_empty()),
        due_through: f.due_through,
        after_id: page.after_id()?,
        limit: limit + 1,
        ..TaskQuery::default()
    };
    let mut rows = ops::execution::tasks::list(&state.store, &actor, id, q).await?;
    let next_cursor = (rows.len() as i64 > limit).then(|| {
        rows.truncate(usize::try_from(limit).unwrap_or(50));
        crate::web::cursor::encode(rows.last().map_or(0, |t| t.id))
    });
    let items: Vec<TaskOut> = rows.into_iter().map(task_out).collect();
    let total = items.len() as i64;
    Ok(Json(List { items, total, next_cursor }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskInput {
    /// open or done (its assignee); cancelled (a lead).
    pub status: Option<String>,
    /// A lead moves the due date.
    pub due_on: Option<NaiveDate>,
}

/// Mark a task done or open again (its assignee), or cancel it / move its date (a lead).
#[utoipa::path(patch, operation_id = "execution_update_task", path = "/api/v1/tasks/{id}", tag = "execution",
    request_body = TaskInput, params(("id" = i64, Path, description = "task id")),
    responses((status = 200, description = "OK", body = TaskOut), Forbidden))]
pub async fn update_task(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<TaskOut>, ApiError> {
    let id = parse_id(&id)?;
    ops::execution::tasks::check(&state.store, &actor, id).await?;
    let input: TaskInput = parse_body(&headers, &body)?;
    let t = ops::execution::tasks::update(
        &state.store,
        &actor,
        id,
        TaskEdit { status: input.status, due_on: input.due_on },
    )
    .await?;
    Ok(Json(task_out(t)))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecutionSettingsIo {
    /// Reasons a member is lost: price, timing, competitor, no_budget, no_response, other, or the team's words.
    pub lost_reasons: Vec<String>,
    /// When the day's follow-up record is due (`HH:MM`, default 18:00).
    pub standup_cutoff: String,
}

/// The team's lost reasons and stand-up cutoff.
#[utoipa::path(get, operation_id = "execution_settings", path = "/api/v1/settings/execution", tag = "execution",
    responses((status = 200, description = "OK", body = ExecutionSettingsIo)))]
pub async fn settings(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
) -> Result<Json<ExecutionSettingsIo>, ApiError> {
    let s = ops::execution::read_settings(&state.store, &actor).await?;
    Ok(Json(ExecutionSettingsIo { lost_reasons: s.lost_reasons, standup_cutoff: s.standup_cutoff }))
}

/// Change the lost reasons and the stand-up cutoff (lead, admin).
#[utoipa::path(put, operation_id = "execution_set_settings", path = "/api/v1/settings/execution", tag = "execution",
    request_body = ExecutionSettingsIo,
    responses((status = 200, description = "OK", body = ExecutionSettingsIo), Forbidden))]
pub async fn set_settings(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ExecutionSettingsIo>, ApiError> {
    authz::require(&actor, Permission::ManageSettings)?;
    let input: ExecutionSettingsIo = parse_body(&headers, &body)?;
    let s = ops::execution::set_settings(
        &state.store,
        &actor,
        ExecutionSettings { lost_reasons: input.lost_reasons, standup_cutoff: input.standup_cutoff },
    )
    .await?;
    Ok(Json(ExecutionSettingsIo { lost_reasons: s.lost_reasons, standup_cutoff: s.standup_cutoff }))
}
