//! The JSON API under `/api/v1`: the same `ops` calls as the pages, in the
//! public shapes (errors, lists) documented in the OpenAPI document that is
//! generated from these handlers.

use std::sync::OnceLock;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, header};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiError;
use crate::app::AppState;

mod audit;
mod calendar;
pub mod campaigns;
mod contacts;
mod customers;
mod exports;
pub mod imports;
mod interactions;
mod me;
mod segments;
mod settings;
mod tokens;
mod users;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Rally 快响 API",
        description = "Campaign rapid response: customers, campaigns, follow-ups. Authenticate with `Authorization: Bearer TOKEN` (create tokens in the UI or with `rally token create`). Errors are `{\"error\": {\"code\", \"message\", \"field\"?}}`; lists are `{\"items\", \"total\", \"next_cursor\"}` with `limit` (default 50, at most 200) and an opaque `cursor`."
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(ErrorBody, ErrorDetail))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("rly_…").build()),
        );
    }
}

fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(me::me, me::update_me))
        .routes(routes!(me::change_password))
        .routes(routes!(customers::list, customers::create))
        .routes(routes!(exports::export))
        .routes(routes!(imports::customers))
        .routes(routes!(imports::interactions))
        .routes(routes!(customers::get, customers::update, customers::delete))
        .routes(routes!(contacts::list, contacts::create))
        .routes(routes!(contacts::update, contacts::delete))
        .routes(routes!(interactions::list, interactions::create))
        .routes(routes!(interactions::update, interactions::delete))
        .routes(routes!(segments::list, segments::create))
        .routes(routes!(segments::update, segments::delete))
        .routes(routes!(segments::count))
        .routes(routes!(segments::tiers, segments::set_tiers))
        .routes(routes!(campaigns::list, campaigns::create))
        .routes(routes!(campaigns::get, campaigns::update))
        .routes(routes!(campaigns::members::generate))
        .routes(routes!(campaigns::members::import_partner_list))
        .routes(routes!(campaigns::export))
        .routes(routes!(campaigns::members::members))
        .routes(routes!(campaigns::breakdown::breakdown, campaigns::breakdown::set_breakdown))
        .routes(routes!(campaigns::set_milestone))
        .routes(routes!(calendar::working_days))
        .routes(routes!(calendar::import_calendar))
        .routes(routes!(settings::phases, settings::set_phases))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::get, users::update))
        .routes(routes!(users::reset_password))
        .routes(routes!(users::regions, users::set_regions))
        .routes(routes!(tokens::list, tokens::create))
        .routes(routes!(tokens::revoke))
        .routes(routes!(audit::history))
}

pub fn routes() -> Router<AppState> {
    let (router, _) = api_router().split_for_parts();
    router.route("/api/v1/openapi.json", axum::routing::get(openapi_json))
}

/// The OpenAPI 3.1 document, built once from the handlers' annotations.
pub fn openapi() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(|| api_router().split_for_parts().1)
}

async fn openapi_json() -> axum::Json<&'static utoipa::openapi::OpenApi> {
    axum::Json(openapi())
}

/// The error envelope of every non-2xx answer.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code: `unauthorized`, `invalid_token`, `forbidden`, `not_found`, `invalid`, `conflict`, `version_conflict`, `csrf`, `throttled`, `internal`; imports add `rejected_rows`, `file_*` (unreadable file) and `column_missing`.
    pub code: String,
    pub message: String,
    /// The offending field, for validation errors.
    pub field: Option<String>,
}

/// `limit` and `cursor` of every list endpoint.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Items per page: default 50; values above 200 are treated as 200.
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl Page {
    pub fn limit(&self) -> Result<i64, ApiError> {
        match self.limit.as_deref() {
            None | Some("") => Ok(50),
            Some(raw) => match raw.trim().parse::<i64>() {
                Ok(n) if n >= 1 => Ok(n.min(200)),
                _ => Err(ApiError::invalid("limit", "limit must be a whole number from 1 (values above 200 mean 200)")),
            },
        }
    }

    pub fn after_id(&self) -> Result<Option<i64>, ApiError> {
        self.cursor.as_deref().filter(|c| !c.is_empty()).map(super::cursor::decode).transpose()
    }
}

/// The list envelope.
#[derive(Serialize)]
pub struct List<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub next_cursor: Option<String>,
}

/// Parses a JSON body after authorization has been checked, naming the field
/// that is wrong.
pub fn parse_body<T: DeserializeOwned>(headers: &HeaderMap, body: &Bytes) -> Result<T, ApiError> {
    if let Some(ct) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok())
        && !ct.starts_with("application/json")
    {
        return Err(ApiError::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as application/json",
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        let text = e.to_string();
        // serde names fields in backticks: "missing field `email` at line 1 column 2".
        let field = text.split('`').nth(1).unwrap_or("body").to_owned();
        let field = if e.is_syntax() || e.is_eof() { "body".to_owned() } else { field };
        ApiError::invalid(field, text)
    })
}

/// Ids in paths: anything that is not a positive number cannot exist.
pub fn parse_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(ApiError::not_found)
}

/// The version an edit names: `If-Match` (`"3"`, `W/"3"` or `3`) or the body's.
pub fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else { return Ok(None) };
    let text = value.to_str().unwrap_or("").trim().trim_start_matches("W/").trim_matches('"');
    text.parse()
        .map(Some)
        .map_err(|_| ApiError::invalid("If-Match", "If-Match must carry the version number, e.g. \"3\""))
}

/// Tells "field absent" (keep) from "field null" (clear) for optional fields.
pub(crate) fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A yuan amount from JSON as fen: finite, not negative, below 10^13 yuan.
pub(crate) fn yuan_to_fen(field: &str, yuan: f64) -> Result<i64, ApiError> {
    if !yuan.is_finite() || !(0.0..1e13).contains(&yuan) {
        return Err(ApiError::invalid(field, format!("{field} must be an amount in CNY from 0")));
    }
    Ok((yuan * 100.0).round() as i64)
}

/// `{"count": N}`.
#[derive(Serialize, ToSchema)]
pub struct Count {
    pub count: i64,
}
