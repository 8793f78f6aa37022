//! Customers, within the caller's visibility.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Page, parse_id};
use crate::app::AppState;
use crate::domain::money::fen_to_yuan;
use crate::ops::authz::{self, Actor, Permission};
use crate::ops::customer_edit::{self, CustomerFields};
use crate::ops::customers::ListQuery;
use crate::ops::{self, OpsError};
use crate::store::customers::CustomerSummary;
use crate::web::api::{EditErrors, Forbidden};
use crate::web::cursor;
use crate::web::error::ApiError;
use crate::web::session::ApiAuth;

#[derive(Serialize, ToSchema)]
pub struct Customer {
    pub id: i64,
    pub name: String,
    /// 统一社会信用代码.
    pub credit_code: Option<String>,
    pub industry: String,
    pub region: String,
    pub city: String,
    /// Annual purchases in CNY.
    pub annual_purchase: f64,
    pub owner_email: Option<String>,
    /// S, B or C as of today.
    pub tier: String,
    pub last_interaction_on: Option<NaiveDate>,
    pub last_inquiry_on: Option<NaiveDate>,
    pub source: String,
    /// Private notes; absent for roles that may not read them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    pub version: i64,
}

#[derive(Serialize, ToSchema)]
pub struct CustomerList {
    pub items: Vec<Customer>,
    /// How many customers match: exact when `total_exact`, else the list
    /// matches more than this many (10,000) and `count=exact` counts them.
    pub total: i64,
    pub total_exact: bool,
    pub next_cursor: Option<String>,
}

fn to_api(actor: &Actor, c: CustomerSummary) -> Customer {
    Customer {
        id: c.id,
        annual_purchase: fen_to_yuan(c.annual_purchase_fen),
        name: c.name,
        credit_code: c.credit_code,
        industry: c.industry,
        region: c.region,
        city: c.city,
        owner_email: c.owner_email,
        tier: c.tier,
        last_interaction_on: c.last_interaction_on,
        last_inquiry_on: c.last_inquiry_on,
        source: c.source,
        notes: authz::allows(actor.role, Permission::ReadCustomerNotes).then_some(c.notes),
        version: c.version,
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomerFilter {
    /// Part of the customer's name.
    pub q: Option<String>,
    /// Exact region, e.g. 华东.
    pub region: Option<String>,
    /// A segment in the filter language, e.g. `region = "华东" and annual_purchase > 500万` (see docs/segments.md).
    pub segment: Option<String>,
    /// `exact` counts every match for `total`. By default a search or a combined filter stops counting past 10,000 (`total_exact: false`); all customers, one region or a segment of one test on region, industry, tier S or a `last_*` date is counted exactly at no cost.
    pub count: Option<String>,
}

/// Customers the caller may see (a rep: their own and the unassigned pool).
#[utoipa::path(get, operation_id = "customers_list", path = "/api/v1/customers", tag = "customers", params(Page, CustomerFilter),
    responses((status = 200, description = "OK", body = CustomerList), (status = 401, description = "No or invalid credentials", body = super::ErrorBody), (status = 422, description = "Invalid input; the error names the field", body = super::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Query(page): Query<Page>,
    Query(filter): Query<CustomerFilter>,
) -> Result<Json<CustomerList>, ApiError> {
    let limit = page.limit()?;
    let exact_total = match filter.count.as_deref() {
        None | Some("") => false,
        Some("exact") => true,
        Some(_) => {
            return Err(ApiError::invalid("count", "count takes exact, or nothing for a total that stops past 10,000"));
        }
    };
    let query = ListQuery {
        search: filter.q,
        region: filter.region,
        segment: filter.segment,
        after_id: page.after_id()?,
        limit: limit + 1,
        exact_total,
    };
    let (mut rows, total) = ops::customers::list(&state.store, &actor, &query, state.store.today()).await?;
    let next_cursor = (rows.len() as i64 > limit).then(|| {
        rows.truncate(usize::try_from(limit).unwrap_or(50));
        cursor::encode(rows.last().map_or(0, |c| c.id))
    });
    Ok(Json(CustomerList {
        items: rows.into_iter().map(|c| to_api(&actor, c)).collect(),
        total: total.count,
        total_exact: total.exact,
        next_cursor,
    }))
}

/// One customer; 404 when it does not exist or is not visible to the caller.
#[utoipa::path(get, operation_id = "customers_get", path = "/api/v1/customers/{id}", tag = "customers", params(("id" = i64, Path, description = "customer id")),
    responses((status = 200, description = "OK", body = Customer), (status = 401, description = "No or invalid credentials", body = super::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<Customer>, ApiError> {
    let id = parse_id(&id)?;
    let c = ops::customers::get(&state.store, &actor, id, state.store.today()).await?;
    Ok(Json(to_api(&actor, c)))
}

/// Customer fields; on edit, absent fields keep their value and `null`
/// clears `credit_code` / `owner_email`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub credit_code: Option<Option<String>>,
    pub industry: Option<String>,
    pub region: Option<String>,
    pub city: Option<String>,
    /// CNY.
    pub annual_purchase: Option<f64>,
    /// An active rep's email; `null` for the unassigned pool.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub owner_email: Option<Option<String>>,
    pub source: Option<String>,
    pub notes: Option<String>,
    pub tags: Option<Vec<String>>,
    pub pain_points: Option<Vec<String>>,
    /// The version being edited (or send `If-Match`).
    pub version: Option<i64>,
}

impl CustomerInput {
    fn fields(self) -> Result<(CustomerFields, Option<i64>), ApiError> {
        let annual_purchase_fen = self.annual_purchase.map(|v| super::yuan_to_fen("annual_purchase", v)).transpose()?;
        Ok((
            CustomerFields {
                name: self.name,
                credit_code: self.credit_code,
                industry: self.industry,
                region: self.region,
                city: self.city,
                annual_purchase_fen,
                owner_email: self.owner_email,
                source: self.source,
                notes: self.notes,
                tags: self.tags,
                pain_points: self.pain_points,
            },
            self.version,
        ))
    }
}

/// Add a customer (a rep's new customers are their own).
#[utoipa::path(post, operation_id = "customers_create", path = "/api/v1/customers", tag = "customers", request_body = CustomerInput,
    responses((status = 201, description = "Created", body = Customer), Forbidden))]
pub async fn create(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Customer>), ApiError> {
    authz::require(&actor, Permission::WriteCustomers)?;
    let (fields, _) = super::parse_body::<CustomerInput>(&headers, &body)?.fields()?;
    let id = customer_edit::create(&state.store, &actor, fields).await?;
    let c = ops::customers::get(&state.store, &actor, id, state.store.today()).await?;
    Ok((StatusCode::CREATED, Json(to_api(&actor, c))))
}

/// Edit a customer: a rep their own, a lead or admin any. Stale versions answer 409.
#[utoipa::path(patch, operation_id = "customers_update", path = "/api/v1/customers/{id}", tag = "customers", request_body = CustomerInput,
    params(("id" = i64, Path, description = "customer id"), ("If-Match" = Option<String>, Header, description = "the version being edited")),
    responses((status = 200, description = "OK", body = Customer), EditErrors))]
pub async fn update(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Customer>, ApiError> {
    let id = parse_id(&id)?;
    customer_edit::check(&state.store, &actor, id, Permission::WriteCustomers).await?;
    let (fields, version) = super::parse_body::<CustomerInput>(&headers, &body)?.fields()?;
    let version = super::if_match(&headers)?.or(version);
    let result = customer_edit::update(&state.store, &actor, id, version, fields).await;
    let c = ops::customers::get(&state.store, &actor, id, state.store.today()).await?;
    match result {
        Ok(()) => Ok(Json(to_api(&actor, c))),
        // `current` as GET shows it: API field names, notes only for those who may read them.
        Err(OpsError::Stale { current_version, .. }) => {
            Err(ApiError::stale(current_version, serde_json::json!(to_api(&actor, c))))
        }
        Err(e) => Err(e.into()),
    }
}

/// Delete a customer with its contacts and history (lead, admin).
#[utoipa::path(delete, operation_id = "customers_delete", path = "/api/v1/customers/{id}", tag = "customers",
    params(("id" = i64, Path, description = "customer id")),
    responses((status = 204, description = "Deleted"), Forbidden))]
pub async fn delete(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    customer_edit::delete(&state.store, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
