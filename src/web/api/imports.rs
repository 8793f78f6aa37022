//! `POST /api/v1/imports/customers` and `/api/v1/imports/interactions`: the
//! file is the request body. Answers: 200 with the report when the import
//! ran (also for dry runs, and when every row was a skipped duplicate: the
//! report, not the status, says what was written); 422 when the file is
//! rejected, with the error envelope and the report side by side.

use axum::Json;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ErrorDetail;
use crate::app::AppState;
use crate::io::ImportKind;
use crate::ops::import::{
    self as import, Busy, ImportError, ImportOptions, ImportReport, ImportStatus, Importer, Upload,
};
use crate::web::api::Forbidden;
use crate::web::error::ApiError;
use crate::web::session::ApiAuth;

pub const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Content types a spreadsheet upload may carry. Browsers and Windows label
/// CSV files in several ways, and the bytes decide the format anyway.
const ACCEPTED: [&str; 7] = [
    "text/csv",
    "text/plain",
    "application/csv",
    "application/vnd.ms-excel",
    XLSX_MIME,
    "application/octet-stream",
    "application/zip",
];

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `true`: check the file against the database and report; write nothing.
    pub dry_run: Option<String>,
    /// `true`: import the good rows even when some rows are bad (default: any bad row rejects the file).
    pub partial: Option<String>,
    /// `skip` (default): leave customers that exist alone; `update`: fill the file's non-blank fields onto them.
    pub on_duplicate: Option<String>,
    /// The channel partner who supplied the list: the new customers' source (customers only).
    pub partner: Option<String>,
}

/// A rejected file: the error, and the report listing every bad row.
#[derive(Serialize, ToSchema)]
pub struct RejectedImport {
    /// `rejected_rows`.
    pub error: ErrorDetail,
    pub report: ImportReport,
}

fn flag(name: &'static str, value: Option<&str>) -> Result<bool, ApiError> {
    match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("false") | Some("0") | Some("no") => Ok(false),
        Some("true") | Some("1") | Some("yes") => Ok(true),
        Some(_) => Err(ApiError::invalid(name, format!("{name} must be true or false"))),
    }
}

/// Maps a file that cannot be imported to 422 with a specific code.
pub fn import_error(err: ImportError) -> ApiError {
    match err {
        ImportError::File(e) => ApiError {
            field: Some("file".into()),
            ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string())
        },
        ImportError::Mapping(e) => ApiError {
            field: Some("file".into()),
            ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string())
        },
        ImportError::Ops(e) => e.into(),
        ImportError::Busy(busy) => busy_error(busy),
    }
}

/// 409 when the caller's own import is still running, 429 (try again
/// shortly) when the server runs as many imports as it may.
pub fn busy_error(busy: Busy) -> ApiError {
    match busy {
        Busy::User => ApiError::new(StatusCode::CONFLICT, busy.code(), busy.to_string()),
        Busy::Server => ApiError {
            retry_after: Some(30),
            ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, busy.code(), busy.to_string())
        },
    }
}

async fn import(
    state: AppState,
    actor: crate::ops::authz::Actor,
    kind: ImportKind,
    params: ImportParams,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    // Permission first: a role that may not import learns nothing about its file.
    import::authorize(&actor)?;
    // Before the body is read: a refused import should not hold 64 MB.
    let _slot = state.imports.enter(actor.id).map_err(busy_error)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
    if let Some(ct) = &content_type
        && !ACCEPTED.contains(&ct.as_str())
    {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("send the file as text/csv or {XLSX_MIME}"),
        ));
    }
    let mut options = ImportOptions::new(state.store.today());
    options.dry_run = flag("dry_run", params.dry_run.as_deref())?;
    options.partial = flag("partial", params.partial.as_deref())?;
    if let Some(raw) = params.on_duplicate.as_deref().filter(|v| !v.trim().is_empty()) {
        options.on_duplicate = raw.parse()?;
    }
    options.partner = params.partner.filter(|p| !p.trim().is_empty());
    // Not axum's `Bytes` extractor: its 2 MB default would refuse real
    // customer lists; the app's request limit (64 MB) still applies.
    let bytes = axum::body::to_bytes(body, crate::app::MAX_BODY_BYTES).await.map_err(|_| {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "the file is larger than 64 MB")
    })?;
    // Reading a large workbook is CPU work: keep it off the async workers.
    let prepared = tokio::task::spawn_blocking(move || {
        let upload = Upload { bytes, file_name: None, content_type: content_type.as_deref() };
        import::prepare(kind, upload, None)
    })
    .await
    .map_err(|e| ApiError::from(crate::ops::OpsError::Other(e.into())))?
    .map_err(import_error)?;
    let importer = Importer::user(actor);
    let report =
        import::run(&state.store, &importer, prepared, &options, &import::no_progress).await.map_err(import_error)?;
    if report.status == ImportStatus::Rejected {
        let error = ErrorDetail {
            code: "rejected_rows".to_owned(),
            message: format!(
                "{} bad row(s); nothing was imported (fix them, or send partial=true to import the good rows)",
                report.rejected
            ),
            field: Some("file".to_owned()),
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(RejectedImport { error, report })).into_response());
    }
    Ok(Json(report).into_response())
}

/// Import customers from a CSV (UTF-8 or GBK) or XLSX file sent as the body.
/// Headers in Chinese or English (客户名称/name, 统一社会信用代码/credit_code, 所属行业/industry,
/// 区域/region, 城市/city, 年采购额/annual_purchase, 联系人/contact, 电话/phone, 邮箱/email,
/// 负责人/owner as a rep's e-mail, 标签/tags, 痛点/pain_points, 来源/source). Duplicates are found by
/// credit code, else normalised name plus phone. One transaction: a file is imported whole or not at all
/// (with `partial=true`: its good rows). A rep's new customers are theirs; reps cannot assign other reps.
#[utoipa::path(post, operation_id = "imports_customers", path = "/api/v1/imports/customers", tag = "imports", params(ImportParams),
    request_body(description = "The file: CSV (UTF-8 with or without BOM, or GBK/GB18030) or XLSX; the format is read from the bytes.",
        content((String = "text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses(
        (status = 200, description = "The import ran (or the dry run was checked); the report counts created, updated, skipped and rejected rows", body = ImportReport),
        (status = 401, description = "No or invalid credentials", body = super::ErrorBody),
        (status = 409, description = "`import_in_progress`: your previous import is still running", body = super::ErrorBody),
        (status = 413, description = "The file is larger than 64 MB", body = super::ErrorBody),
        (status = 415, description = "The body is not a CSV or XLSX file", body = super::ErrorBody),
        (status = 422, description = "The file is rejected: `rejected_rows` with the report of every bad row (nothing was written), or an unreadable, oversized or hostile file or a missing column (`file_*`, `column_missing`)", body = RejectedImport),
        (status = 429, description = "`imports_busy`: the server runs as many imports as it may; retry after the `Retry-After` seconds", body = super::ErrorBody), Forbidden))]
pub async fn customers(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Query(params): Query<ImportParams>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    import(state, actor, ImportKind::Customers, params, headers, body).await
}

/// Import follow-up records (interactions) from a CSV or XLSX file sent as the body. Each row names its
/// customer by 统一社会信用代码/credit_code, else by exact 客户名称/customer name; 日期/date (not after
/// today), 方式/channel and/or 类型/kind, 备注/note, 金额/amount. A record already stored is skipped.
/// The customers' last interaction, last inquiry and tier update with the import.
#[utoipa::path(post, operation_id = "imports_interactions", path = "/api/v1/imports/interactions", tag = "imports", params(ImportParams),
    request_body(description = "The file: CSV (UTF-8 with or without BOM, or GBK/GB18030) or XLSX; the format is read from the bytes.",
        content((String = "text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses(
        (status = 200, description = "The import ran (or the dry run was checked); the report counts created, skipped and rejected rows", body = ImportReport),
        (status = 401, description = "No or invalid credentials", body = super::ErrorBody),
        (status = 409, description = "`import_in_progress`: your previous import is still running", body = super::ErrorBody),
        (status = 413, description = "The file is larger than 64 MB", body = super::ErrorBody),
        (status = 415, description = "The body is not a CSV or XLSX file", body = super::ErrorBody),
        (status = 422, description = "The file is rejected: `rejected_rows` with the report of every bad row (nothing was written), or an unreadable, oversized or hostile file or a missing column (`file_*`, `column_missing`)", body = RejectedImport),
        (status = 429, description = "`imports_busy`: the server runs as many imports as it may; retry after the `Retry-After` seconds", body = super::ErrorBody), Forbidden))]
pub async fn interactions(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Query(params): Query<ImportParams>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    import(state, actor, ImportKind::Interactions, params, headers, body).await
}
