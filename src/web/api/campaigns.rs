//! Campaign planning: the plan with its phase deadlines, the target list,
//! the goal breakdown, milestones; and the working-day calendar.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{List, Page, if_match, parse_body, parse_id, yuan_to_fen};
use crate::app::AppState;
use crate::domain::money::fen_to_yuan;
use crate::ops;
use crate::ops::campaigns::{BreakdownInput, CampaignFields, CampaignView, PhaseStatus};
use crate::store::campaigns::{Campaign as Stored, MemberQuery};
use crate::web::cursor;
use crate::web::error::ApiError;
use crate::web::session::ApiAuth;

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Goals {
    /// Customers reached (触达客户数).
    pub reached: Option<i64>,
    /// Intent customers (意向客户).
    pub intent_customers: Option<i64>,
    pub orders: Option<i64>,
    /// CNY.
    pub sales_amount: Option<f64>,
    /// Return on investment as a ratio: 3 means 1:3.
    pub roi: Option<f64>,
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Owners {
    /// 销售负责人.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub lead_email: Option<Option<String>>,
    /// 市场部对接人.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub marketing_email: Option<Option<String>>,
    /// 客服负责人.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub service_email: Option<Option<String>>,
}

/// The plan (template 1). On edit, absent fields keep their value.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CampaignInput {
    pub name: Option<String>,
    /// new_product, trade_show, appreciation, competitive or other (or 新品促销 …).
    pub kind: Option<String>,
    /// draft, active, ended, reviewed (one step at a time).
    pub status: Option<String>,
    pub theme: Option<String>,
    pub selling_points: Option<String>,
    /// Target customers in the segment language.
    pub segment: Option<String>,
    /// The marketing notice's date (phase 1 and 2 deadlines count from it).
    pub announced_on: Option<NaiveDate>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub resource_support: Option<String>,
    pub goals: Option<Goals>,
    pub owners: Option<Owners>,
    pub collateral_needs: Option<String>,
    pub training_needs: Option<String>,
    pub resource_risks: Option<String>,
    /// CNY.
    pub budget: Option<f64>,
    pub cost_items: Option<String>,
    pub notes: Option<String>,
    pub version: Option<i64>,
}

impl CampaignInput {
    fn fields(self) -> Result<(CampaignFields, Option<i64>), ApiError> {
        let goals = self.goals.unwrap_or_default();
        let owners = self.owners.unwrap_or_default();
        Ok((
            CampaignFields {
                name: self.name,
                kind: self.kind,
                status: self.status,
                theme: self.theme,
                selling_points: self.selling_points,
                segment: self.segment,
                announced_on: self.announced_on,
                starts_on: self.starts_on,
                ends_on: self.ends_on,
                resource_support: self.resource_support,
                goal_reached: goals.reached,
                goal_intent: goals.intent_customers,
                goal_orders: goals.orders,
                goal_sales_fen: goals.sales_amount.map(|v| yuan_to_fen("goals.sales_amount", v)).transpose()?,
                goal_roi: goals.roi,
                lead_email: owners.lead_email,
                marketing_email: owners.marketing_email,
                service_email: owners.service_email,
                collateral_needs: self.collateral_needs,
                training_needs: self.training_needs,
                resource_risks: self.resource_risks,
                budget_fen: self.budget.map(|v| yuan_to_fen("budget", v)).transpose()?,
                cost_items: self.cost_items,
                notes: self.notes,
            },
            self.version,
        ))
    }
}

#[derive(Serialize, ToSchema)]
pub struct PhaseOut {
    pub number: u8,
    /// The phase's name (启动与目标锚定, 任务拆解与资源匹配, 执行落地与客户触达, 复盘优化与经验沉淀).
    pub name: String,
    /// kickoff, breakdown, rollout, review.
    pub key: String,
    pub due_on: NaiveDate,
    /// The milestone that completes it.
    pub milestone: String,
    pub planned_on: Option<NaiveDate>,
    pub done_on: Option<NaiveDate>,
    /// done, overdue, due_soon (today or the next working day), on_track.
    pub urgency: String,
    /// Years whose holiday schedule is not imported yet (Mon–Fri assumed).
    pub assumed_years: Vec<i32>,
}

#[derive(Serialize, ToSchema)]
pub struct Campaign {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub status: String,
    pub theme: String,
    pub selling_points: String,
    pub segment: String,
    pub announced_on: NaiveDate,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub resource_support: String,
    pub goals: Goals,
    pub collateral_needs: String,
    pub training_needs: String,
    pub resource_risks: String,
    pub budget: f64,
    pub cost_items: String,
    pub notes: String,
    pub phases: Vec<PhaseOut>,
    pub version: i64,
}

pub fn phase_name(key: &str) -> &'static str {
    match key {
        "kickoff" => "启动与目标锚定",
        "breakdown" => "任务拆解与资源匹配",
        "rollout" => "执行落地与客户触达",
        _ => "复盘优化与经验沉淀",
    }
}

fn phase_out(p: PhaseStatus) -> PhaseOut {
    PhaseOut {
        number: p.phase.number,
        name: phase_name(p.phase.key).to_owned(),
        key: p.phase.key.to_owned(),
        due_on: p.phase.due_on,
        milestone: p.milestone.to_owned(),
        planned_on: p.planned_on,
        done_on: p.done_on,
        urgency: serde_json::to_value(p.urgency).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
        assumed_years: p.phase.assumed_years,
    }
}

fn to_api(view: CampaignView) -> Campaign {
    let c: Stored = view.campaign;
    Campaign {
        id: c.id,
        name: c.name,
        kind: c.kind,
        status: c.status,
        theme: c.theme,
        selling_points: c.selling_points,
        segment: c.segment,
        announced_on: c.announced_on,
        starts_on: c.starts_on,
        ends_on: c.ends_on,
        resource_support: c.resource_support,
        goals: Goals {
            reached: Some(c.goal_reached),
            intent_customers: Some(c.goal_intent),
            orders: Some(c.goal_orders),
            sales_amount: Some(fen_to_yuan(c.goal_sales_fen)),
            roi: Some(c.goal_roi),
        },
        collateral_needs: c.collateral_needs,
        training_needs: c.training_needs,
        resource_risks: c.resource_risks,
        budget: fen_to_yuan(c.budget_fen),
        cost_items: c.cost_items,
        notes: c.notes,
        phases: view.phases.into_iter().map(phase_out).collect(),
        version: c.version,
    }
}

#[derive(Serialize, ToSchema)]
pub struct CampaignList {
    pub items: Vec<Campaign>,
    pub total: i64,
    pub next_cursor: Option<String>,
}

/// All campaigns, newest start first (every role may read them).
#[utoipa::path(get, operation_id = "campaigns_list", path = "/api/v1/campaigns", tag = "campaigns",
    responses((status = 200, description = "OK", body = CampaignList), (status = 401, description = "No or invalid credentials", body = super::ErrorBody)))]
pub async fn list(State(state): State<AppState>, ApiAuth(actor): ApiAuth) -> Result<Json<List<Campaign>>, ApiError> {
    let mut items = Vec::new();
    for c in ops::campaigns::list(&state.store, &actor).await? {
        items.push(to_api(ops::campaigns::get(&state.store, &actor, c.id).await?));
    }
    let total = items.len() as i64;
    Ok(Json(List { items, total, next_cursor: None }))
}

/// Create a campaign (marketing, lead, admin); answers with its phase deadlines.
#[utoipa::path(post, operation_id = "campaigns_create", path = "/api/v1/campaigns", tag = "campaigns", request_body = CampaignInput,
    responses((status = 201, description = "Created", body = Campaign), (status = 403, description = "Your role may not do this", body = super::ErrorBody),
        (status = 422, description = "Invalid input; the error names the field", body = super::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Campaign>), ApiError> {
    crate::ops::authz::require(&actor, crate::ops::authz::Permission::ManageCampaigns)?;
    let (fields, _) = parse_body::<CampaignInput>(&headers, &body)?.fields()?;
    let id = ops::campaigns::create(&state.store, &actor, fields).await?;
    Ok((StatusCode::CREATED, Json(to_api(ops::campaigns::get(&state.store, &actor, id).await?))))
}

/// One campaign with its phases and how each stands today.
#[utoipa::path(get, operation_id = "campaigns_get", path = "/api/v1/campaigns/{id}", tag = "campaigns",
    params(("id" = i64, Path, description = "campaign id")),
    responses((status = 200, description = "OK", body = Campaign), (status = 404, description = "Not found", body = super::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<Campaign>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(to_api(ops::campaigns::get(&state.store, &actor, id).await?)))
}

/// Edit the plan (marketing, lead, admin). Stale versions answer 409.
#[utoipa::path(patch, operation_id = "campaigns_update", path = "/api/v1/campaigns/{id}", tag = "campaigns", request_body = CampaignInput,
    params(("id" = i64, Path, description = "campaign id"), ("If-Match" = Option<String>, Header, description = "the version being edited")),
    responses((status = 200, description = "OK", body = Campaign), (status = 403, description = "Your role may not do this", body = super::ErrorBody),
        (status = 404, description = "Not found", body = super::ErrorBody), (status = 409, description = "Changed meanwhile", body = super::ErrorBody),
        (status = 422, description = "Invalid input; the error names the field", body = super::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Campaign>, ApiError> {
    let id = parse_id(&id)?;
    ops::campaigns::check_manage(&state.store, &actor, id).await?;
    let (fields, version) = parse_body::<CampaignInput>(&headers, &body)?.fields()?;
    let version = if_match(&headers)?.or(version);
    ops::campaigns::update(&state.store, &actor, id, version, fields).await?;
    Ok(Json(to_api(ops::campaigns::get(&state.store, &actor, id).await?)))
}

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
    responses((status = 200, description = "OK", body = Generated), (status = 403, description = "Your role may not do this", body = super::ErrorBody),
        (status = 404, description = "Not found", body = super::ErrorBody), (status = 422, description = "The campaign has no segment", body = super::ErrorBody)))]
pub async fn generate(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<Generated>, ApiError> {
    let id = parse_id(&id)?;
    let (added, total) = ops::campaigns::generate_members(&state.store, &actor, id).await?;
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
}

#[derive(Serialize, ToSchema)]
pub struct MemberList {
    pub items: Vec<MemberOut>,
    pub total: i64,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberFilter {
    /// S, B or C.
    pub tier: Option<String>,
}

/// Rank and customer id in one cursor key.
const RANK_SPAN: i64 = 1_000_000_000_000;

/// The target list in outreach order (S; B with open inquiries; B; C). A rep sees their own part.
#[utoipa::path(get, operation_id = "campaigns_members", path = "/api/v1/campaigns/{id}/members", tag = "campaigns",
    params(("id" = i64, Path, description = "campaign id"), Page, MemberFilter),
    responses((status = 200, description = "OK", body = MemberList), (status = 404, description = "Not found", body = super::ErrorBody)))]
pub async fn members(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    Query(page): Query<Page>,
    Query(filter): Query<MemberFilter>,
) -> Result<Json<List<MemberOut>>, ApiError> {
    let id = parse_id(&id)?;
    let limit = page.limit()?;
    let after = page.after_id()?.map(|k| (i32::try_from(k / RANK_SPAN).unwrap_or(0), k % RANK_SPAN));
    let tier = filter.tier.filter(|t| !t.is_empty());
    if let Some(t) = &tier
        && !["S", "B", "C"].contains(&t.as_str())
    {
        return Err(ApiError::invalid("tier", "tier is S, B or C"));
    }
    let query = MemberQuery { tier: tier.clone(), after, limit: limit + 1, ..MemberQuery::default() };
    let mut rows = ops::campaigns::members(&state.store, &actor, id, query).await?;
    let counts = ops::campaigns::member_counts(&state.store, &actor, id).await?;
    let total = counts.iter().filter(|(_, t, _)| tier.as_ref().is_none_or(|want| want == t)).map(|(_, _, n)| n).sum();
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
        })
        .collect();
    Ok(Json(List { items, total, next_cursor }))
}

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

fn breakdown_out(view: ops::campaigns::BreakdownView) -> Breakdown {
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
    responses((status = 200, description = "OK", body = Breakdown), (status = 404, description = "Not found", body = super::ErrorBody)))]
pub async fn breakdown(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<Breakdown>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(breakdown_out(ops::campaigns::breakdown(&state.store, &actor, id).await?)))
}

/// Replace the breakdown; 422 naming `target_customers` unless the rows sum to the goal.
#[utoipa::path(put, operation_id = "campaigns_set_breakdown", path = "/api/v1/campaigns/{id}/breakdown", tag = "campaigns", request_body = BreakdownInputIo,
    params(("id" = i64, Path, description = "campaign id")),
    responses((status = 200, description = "OK", body = Breakdown), (status = 403, description = "Your role may not do this", body = super::ErrorBody),
        (status = 404, description = "Not found", body = super::ErrorBody), (status = 422, description = "Invalid input; the error names the field", body = super::ErrorBody)))]
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
    ops::campaigns::save_breakdown(&state.store, &actor, id, rows).await?;
    Ok(Json(breakdown_out(ops::campaigns::breakdown(&state.store, &actor, id).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneInput {
    pub planned_on: Option<NaiveDate>,
    /// When it actually happened (not in the future).
    pub done_on: Option<NaiveDate>,
}

/// Record a milestone: kickoff_held, collateral_ready, full_rollout, review_held.
#[utoipa::path(put, operation_id = "campaigns_set_milestone", path = "/api/v1/campaigns/{id}/milestones/{key}", tag = "campaigns", request_body = MilestoneInput,
    params(("id" = i64, Path, description = "campaign id"), ("key" = String, Path, description = "milestone")),
    responses((status = 200, description = "OK", body = Campaign), (status = 403, description = "Your role may not do this", body = super::ErrorBody),
        (status = 404, description = "Not found", body = super::ErrorBody), (status = 422, description = "Invalid input; the error names the field", body = super::ErrorBody)))]
pub async fn set_milestone(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path((id, key)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Campaign>, ApiError> {
    let id = parse_id(&id)?;
    ops::campaigns::check_manage(&state.store, &actor, id).await?;
    let input: MilestoneInput = parse_body(&headers, &body)?;
    ops::campaigns::set_milestone(&state.store, &actor, id, &key, input.planned_on, input.done_on).await?;
    Ok(Json(to_api(ops::campaigns::get(&state.store, &actor, id).await?)))
}

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
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::invalid(field, format!("{raw:?} is not a date (YYYY-MM-DD)")))
}

/// Mainland China's working-day calendar (holidays and adjusted working weekends):
/// `from` + `add` → `{"date"}`, or `from` + `to` → `{"working_days"}`.
#[utoipa::path(get, operation_id = "calendar_working_days", path = "/api/v1/calendar/working-days", tag = "calendar", params(WorkingDaysQuery),
    responses((status = 200, description = "OK", body = WorkingDays), (status = 422, description = "Invalid input; the error names the field", body = super::ErrorBody)))]
pub async fn working_days(
    State(state): State<AppState>,
    ApiAuth(_actor): ApiAuth,
    Query(q): Query<WorkingDaysQuery>,
) -> Result<Json<WorkingDays>, ApiError> {
    let from = date_param("from", q.from.as_deref())?;
    let cal = ops::campaigns::calendar(&state.store).await?;
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
    responses((status = 200, description = "OK", body = ImportedYears), (status = 403, description = "Your role may not do this", body = super::ErrorBody),
        (status = 422, description = "The file is invalid; the message names where", body = super::ErrorBody)))]
pub async fn import_calendar(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    body: Bytes,
) -> Result<Json<ImportedYears>, ApiError> {
    crate::ops::authz::require(&actor, crate::ops::authz::Permission::ManageCalendar)?;
    let text = std::str::from_utf8(&body).map_err(|_| ApiError::invalid("calendar", "the file is not UTF-8 text"))?;
    let years = ops::campaigns::import_calendar(&state.store, Some(&actor), text).await?;
    Ok(Json(ImportedYears { years }))
}

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
    responses((status = 200, description = "OK", body = PhaseDays), (status = 401, description = "No or invalid credentials", body = super::ErrorBody)))]
pub async fn phases(State(state): State<AppState>, ApiAuth(_actor): ApiAuth) -> Result<Json<PhaseDays>, ApiError> {
    Ok(Json(ops::campaigns::phase_rules(&state.store).await?.into()))
}

/// Change the phase deadlines (lead, admin); every campaign's dates follow.
#[utoipa::path(put, operation_id = "settings_set_phases", path = "/api/v1/settings/phases", tag = "campaigns", request_body = PhaseDays,
    responses((status = 200, description = "OK", body = PhaseDays), (status = 403, description = "Your role may not do this", body = super::ErrorBody),
        (status = 422, description = "Invalid input; the error names the field", body = super::ErrorBody)))]
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
    Ok(Json(ops::campaigns::set_phase_rules(&state.store, &actor, rules).await?.into()))
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
    responses((status = 200, description = "OK", body = PartnerListResult), (status = 403, description = "Your role may not do this", body = super::ErrorBody),
        (status = 404, description = "Not found", body = super::ErrorBody),
        (status = 422, description = "The file is rejected (the report lists every bad row) or the partner is missing", body = super::imports::RejectedImport)))]
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
    let _slot = state.imports.enter(actor.id).map_err(super::imports::busy_error)?;
    let partial = matches!(params.partial.as_deref().map(str::trim), Some("true" | "1" | "yes"));
    let bytes = axum::body::to_bytes(body, crate::app::MAX_BODY_BYTES).await.map_err(|_| {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "the file is larger than 64 MB")
    })?;
    let upload = crate::ops::import::Upload { bytes: &bytes, file_name: None, content_type: None };
    let outcome = ops::campaigns::import_partner_list(
        &state.store,
        &actor,
        id,
        params.partner.as_deref().unwrap_or(""),
        upload,
        partial,
    )
    .await
    .map_err(super::imports::import_error)?;
    if outcome.report.status == crate::ops::import::ImportStatus::Rejected {
        let error = super::ErrorDetail {
            code: "rejected_rows".to_owned(),
            message: format!(
                "{} bad row(s); nothing was added (fix them, or send partial=true)",
                outcome.report.rejected
            ),
            field: None,
        };
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(super::imports::RejectedImport { error, report: outcome.report }),
        )
            .into_response());
    }
    Ok(Json(PartnerListResult { added: outcome.added, total: outcome.total, report: outcome.report }).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportTemplate {
    /// `plan` (市场活动快速响应计划表) or `breakdown` (销售任务分解表).
    pub template: Option<String>,
}

/// The campaign as the team's spreadsheet (XLSX with the template's Chinese headings).
#[utoipa::path(get, operation_id = "campaigns_export", path = "/api/v1/campaigns/{id}/export", tag = "campaigns",
    params(("id" = i64, Path, description = "campaign id"), ExportTemplate),
    responses((status = 200, description = "The XLSX file", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 404, description = "Not found", body = super::ErrorBody), (status = 422, description = "Unknown template", body = super::ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    Query(q): Query<ExportTemplate>,
) -> Result<axum::response::Response, ApiError> {
    let id = parse_id(&id)?;
    let (name, bytes) =
        ops::campaigns::export_template(&state.store, &actor, id, q.template.as_deref().unwrap_or("plan")).await?;
    Ok(xlsx_response(&name, bytes))
}

/// An XLSX download with a UTF-8 file name (RFC 6266).
pub fn xlsx_response(name: &str, bytes: Vec<u8>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let disposition =
        format!("attachment; filename=\"export.xlsx\"; filename*=UTF-8''{}", crate::web::session::urlencode(name));
    (
        [
            (axum::http::header::CONTENT_TYPE, super::imports::XLSX_MIME.to_owned()),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}
