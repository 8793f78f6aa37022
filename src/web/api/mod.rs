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
mod execution;
pub use execution::members::download as execution_download;
mod exports;
pub mod imports;
mod interactions;
mod knowledge;
mod me;
mod notify;
mod review;
mod segments;
mod settings;
mod templates;
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
        .routes(routes!(campaigns::notice::parse_notice))
        .routes(routes!(templates::history))
        .routes(routes!(templates::list, templates::create))
        .routes(routes!(templates::get, templates::retire))
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
        .routes(routes!(notify::inbox))
        .routes(routes!(notify::unread))
        .routes(routes!(notify::read))
        .routes(routes!(notify::read_all))
        .routes(routes!(notify::my_prefs, notify::set_my_prefs))
        .routes(routes!(notify::settings, notify::set_settings))
        .routes(routes!(notify::channels, notify::create_channel))
        .routes(routes!(notify::channel, notify::update_channel, notify::delete_channel))
        .routes(routes!(notify::test_channel))
        .routes(routes!(notify::deliveries))
        .routes(routes!(notify::jobs))
        .routes(routes!(notify::retry_job))
        .routes(routes!(execution::members::get))
        .routes(routes!(execution::members::claim))
        .routes(routes!(execution::members::set_assignee))
        .routes(routes!(execution::members::set_stage))
        .routes(routes!(execution::members::reassign))
        .routes(routes!(execution::members::export))
        .routes(routes!(execution::follow_ups::list, execution::follow_ups::create))
        .routes(routes!(execution::follow_ups::get, execution::follow_ups::update, execution::follow_ups::delete))
        .routes(routes!(execution::follow_ups::recent))
        .routes(routes!(execution::follow_ups::export))
        .routes(routes!(execution::scripts::for_member))
        .routes(routes!(execution::reports::progress))
        .routes(routes!(execution::reports::standup))
        .routes(routes!(execution::reports::day))
        .routes(routes!(execution::work::playbook, execution::work::set_playbook))
        .routes(routes!(execution::work::tasks))
        .routes(routes!(execution::work::update_task))
        .routes(routes!(execution::work::settings, execution::work::set_settings))
        .routes(routes!(execution::requests::of_campaign, execution::requests::create))
        .routes(routes!(execution::requests::queue))
        .routes(routes!(execution::requests::get, execution::requests::update))
        .routes(routes!(execution::blockers::of_campaign, execution::blockers::raise))
        .routes(routes!(execution::blockers::escalated))
        .routes(routes!(execution::blockers::get))
        .routes(routes!(execution::blockers::decide))
        .routes(routes!(execution::blockers::escalate))
        .routes(routes!(execution::blockers::answer))
        .routes(routes!(execution::scripts::list, execution::scripts::create))
        .routes(routes!(execution::scripts::update, execution::scripts::delete))
        .routes(routes!(review::metrics))
        .routes(routes!(review::costs, review::set_costs))
        .routes(routes!(review::get, review::save))
        .routes(routes!(review::held))
        .routes(routes!(review::export))
        .routes(routes!(knowledge::list, knowledge::create))
        .routes(routes!(knowledge::get, knowledge::update, knowledge::retire))
        .routes(routes!(knowledge::merge))
        .routes(routes!(knowledge::helped, knowledge::unhelped))
        .routes(routes!(knowledge::search))
}

pub fn routes() -> Router<AppState> {
    let (router, _) = api_router().split_for_parts();
    router.route("/api/v1/openapi.json", axum::routing::get(openapi_json))
}

/// The OpenAPI 3.1 document, built once from the handlers' annotations.
pub fn openapi() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = api_router().split_for_parts().1;
        document_common_errors(&mut doc);
        doc
    })
}

/// Adds the error answers every operation of a kind can give to each
/// operation that does not list them yet, so the document says what the
/// server does (Schemathesis checks every status against it): 401 without
/// valid credentials; 404 for a path with an id; 400 and 422 for unreadable
/// or invalid query parameters or bodies; 413 and 415 for bodies too large
/// or of another content type.
fn document_common_errors(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{Operation, ParameterIn};
    use utoipa::openapi::{Content, RefOr, ResponseBuilder};

    let error = |description: &str| {
        let body = Content::new(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody")));
        RefOr::T(ResponseBuilder::new().description(description).content("application/json", body).build())
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let has_id = path.contains('{');
        let operations: [Option<&mut Operation>; 5] =
            [item.get.as_mut(), item.put.as_mut(), item.post.as_mut(), item.delete.as_mut(), item.patch.as_mut()];
        for op in operations.into_iter().flatten() {
            let has_query = op.parameters.iter().flatten().any(|p| match p {
                RefOr::T(p) => matches!(p.parameter_in, ParameterIn::Query),
                RefOr::Ref(_) => false,
            });
            let has_body = op.request_body.is_some();
            // A malformed header the operation reads (`If-Match`) is invalid input too.
            let has_header = op.parameters.iter().flatten().any(|p| match p {
                RefOr::T(p) => matches!(p.parameter_in, ParameterIn::Header),
                RefOr::Ref(_) => false,
            });
            // A 4xx documented with a richer body (an import's report) may
            // also be a plain validation error, e.g. an empty file.
            for (status, response) in op.responses.responses.iter_mut() {
                if let (true, RefOr::T(response)) = (status.starts_with('4'), response) {
                    widen_to_plain_error(response);
                }
            }
            let mut add = |status: &str, description: &str| {
                op.responses.responses.entry(status.to_owned()).or_insert_with(|| error(description));
            };
            add("401", "No or invalid credentials");
            if has_id {
                add("404", "Not found, or not visible to you");
            }
            if has_query || has_body || has_header {
                add("400", "The query string or body cannot be read (e.g. a parameter given twice)");
                add("422", "Invalid input; the error names the field");
            }
            if has_body {
                add("413", "The body is too large");
                add("415", "The body is not of an accepted content type");
            }
        }
    }
}

/// `X` becomes "X or ErrorBody" (anyOf: an `X` is often an `ErrorBody` too).
fn widen_to_plain_error(response: &mut utoipa::openapi::Response) {
    use utoipa::openapi::schema::{AnyOf, Schema};
    use utoipa::openapi::{Ref, RefOr};
    let plain = "#/components/schemas/ErrorBody";
    let Some(RefOr::T(content)) = response.content.get_mut("application/json") else { return };
    let Some(RefOr::Ref(reference)) = &content.schema else { return };
    if reference.ref_location == plain {
        return;
    }
    let mut any = AnyOf::new();
    any.items = vec![RefOr::Ref(reference.clone()), RefOr::Ref(Ref::new(plain))];
    content.schema = Some(RefOr::T(Schema::AnyOf(any)));
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
    /// Stable machine-readable code: `unauthorized`, `invalid_token`, `forbidden`, `not_found`, `invalid`, `conflict`, `version_conflict`, `csrf`, `throttled`, `busy` (503 with `Retry-After`: the database's write lock stayed taken too long), `bad_request`, `method_not_allowed`, `too_large`, `unsupported_media_type`, `internal`; imports add `rejected_rows`, `file_*` (unreadable file) and `column_missing`.
    pub code: String,
    /// For people; quoted values in it are shortened.
    pub message: String,
    /// The offending field, for validation errors: its path in the body
    /// (`name`, `rows[2].target_customers`) or the parameter's name. With
    /// `version_conflict` the error also carries `current`: the record as it
    /// is now, in the shape its GET returns.
    pub field: Option<String>,
}

/// The error answers an operation gives besides those every operation of
/// its kind gives (added by `document_common_errors`), named once and listed
/// in each path's `responses(…)`: the role may not do it.
#[derive(utoipa::IntoResponses)]
pub enum Forbidden {
    #[response(status = 403, description = "Your role may not do this")]
    Forbidden(ErrorBody),
}

/// An edit of a versioned object: the role may not, or it changed meanwhile.
#[derive(utoipa::IntoResponses)]
pub enum EditErrors {
    #[response(status = 403, description = "Your role may not do this")]
    Forbidden(ErrorBody),
    #[response(status = 409, description = "Changed meanwhile")]
    Stale(ErrorBody),
}

/// The object changed meanwhile.
#[derive(utoipa::IntoResponses)]
pub enum Stale {
    #[response(status = 409, description = "Changed meanwhile")]
    Stale(ErrorBody),
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

/// Parses a JSON body after authorization has been checked. Errors name the
/// field by its path in the body (`name`, `rows[2].target_customers`), never
/// by the value, and quote at most a little of the value.
pub fn parse_body<T: DeserializeOwned>(headers: &HeaderMap, body: &Bytes) -> Result<T, ApiError> {
    if let Some(ct) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok())
        && !is_json(ct)
    {
        return Err(ApiError::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as application/json",
        ));
    }
    // Every body is an object; serde would also read a struct from an array.
    if body.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|b| *b == b'[') {
        return Err(ApiError::invalid("body", "the body must be a JSON object"));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize::<_, T>(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        ApiError::invalid(body_field(&path, &inner), inner.to_string())
    })?;
    // Trailing text after the JSON value is as wrong as a syntax error.
    de.end().map_err(|e| ApiError::invalid("body", e.to_string()))?;
    Ok(value)
}

/// `application/json`, with or without parameters (`; charset=utf-8`).
fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
}

/// The field a serde error is about: the error's path in the body, except
/// for a missing field, which serde reports at its parent's path and names
/// only in the message.
fn body_field(path: &str, err: &serde_json::Error) -> String {
    if err.is_syntax() || err.is_eof() {
        return "body".to_owned();
    }
    let text = err.to_string();
    let missing = text.strip_prefix("missing field `").and_then(|rest| rest.split('`').next());
    let root = path.is_empty() || path == ".";
    let field = match (missing, root) {
        (Some(name), true) => name.to_owned(),
        (Some(name), false) => format!("{path}.{name}"),
        (None, true) => "body".to_owned(),
        (None, false) => path.to_owned(),
    };
    // An unknown field's name is the client's text: keep it short.
    if field.chars().count() > 100 { field.chars().take(100).collect::<String>() + "…" } else { field }
}

/// A JSON body as an extractor, for handlers with nothing to authorize
/// before reading it: the same rules and error shape as [`parse_body`].
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let headers = request.headers().clone();
        let body = <Bytes as axum::extract::FromRequest<S>>::from_request(request, state)
            .await
            .map_err(|rejection| ApiError::from_status(rejection.status(), &rejection.body_text()))?;
        parse_body(&headers, &body).map(ApiJson)
    }
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
