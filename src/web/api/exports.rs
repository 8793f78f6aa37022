//! `GET /api/v1/customers/export`: the customer list (any filter) as a
//! file. CSV is streamed page by page, so a 100k-customer export never holds
//! more than a page in memory; XLSX is a zip of the whole sheet and is
//! assembled before it is sent.

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::imports::XLSX_MIME;
use crate::app::AppState;
use crate::io::export::{XlsxExport, csv_head, csv_rows, headings};
use crate::ops::export::{self, Export, ExportFormat, ExportQuery};
use crate::ops::{self as ops_root};
use crate::web::error::ApiError;
use crate::web::i18n::{Locale, texts};
use crate::web::session::ApiAuth;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `csv` (default; UTF-8 with BOM, opens in Excel) or `xlsx`.
    pub format: Option<String>,
    /// Part of the customer's name.
    pub q: Option<String>,
    /// Exact region, e.g. 华东.
    pub region: Option<String>,
    /// A segment in the filter language (see docs/segments.md).
    pub segment: Option<String>,
}

/// The column headings: the import's own (so the file imports again), and
/// the team's Chinese names for the derived columns.
fn export_headings() -> Vec<String> {
    let zh = texts(Locale::ZhCn);
    headings([zh.get("customer.tier"), zh.get("customer.last_interaction"), zh.get("customer.last_inquiry")])
}

fn attachment(name: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// Export the customers you may see, filtered like the list (`q`, `region`, `segment`), as CSV or XLSX
/// with the import's column headings (客户名称, 统一社会信用代码, 所属行业, 区域, 城市, 年采购额, 联系人,
/// 电话, 邮箱, 负责人, 分级, 最近跟进, 最近询盘, 来源): an exported file imports again.
#[utoipa::path(get, operation_id = "customers_export", path = "/api/v1/customers/export", tag = "customers", params(ExportParams),
    responses(
        (status = 200, description = "The file, as an attachment", content(("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 401, description = "No or invalid credentials", body = super::ErrorBody),
        (status = 422, description = "Invalid input; the error names the field", body = super::ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Query(params): Query<ExportParams>,
) -> Result<Response, ApiError> {
    let format: ExportFormat = params.format.as_deref().unwrap_or("csv").parse()?;
    let query = ExportQuery { search: params.q, region: params.region, segment: params.segment };
    let today = state.store.today();
    let mut cursor = export::start(&state.store, &actor, query, today).await?;
    let stem = format!("customers-{}", today.format("%Y%m%d"));
    match format {
        ExportFormat::Csv => {
            let body = Body::from_stream(csv_stream(cursor, csv_head(&export_headings())));
            let headers = [
                (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
                (header::CONTENT_DISPOSITION, attachment(&format!("{stem}.csv"))),
            ];
            Ok((headers, body).into_response())
        }
        ExportFormat::Xlsx => {
            let xlsx_error = |e: rust_xlsxwriter::XlsxError| ApiError::from(ops_root::OpsError::Other(e.into()));
            let sheet = texts(Locale::ZhCn).get("customers.title");
            let mut book = XlsxExport::new(&export_headings(), sheet).map_err(xlsx_error)?;
            while let Some(page) = cursor.next_page().await? {
                book.add(&page).map_err(xlsx_error)?;
            }
            let bytes = tokio::task::spawn_blocking(move || book.finish())
                .await
                .map_err(|e| ApiError::from(ops_root::OpsError::Other(e.into())))?
                .map_err(xlsx_error)?;
            let headers = [
                (header::CONTENT_TYPE, HeaderValue::from_static(XLSX_MIME)),
                (header::CONTENT_DISPOSITION, attachment(&format!("{stem}.xlsx"))),
            ];
            Ok((headers, bytes).into_response())
        }
    }
}

/// The header, then one chunk per page. A database error mid-way ends the
/// body with an error, so the client sees a broken download rather than a
/// silently short file.
fn csv_stream(
    cursor: Export,
    head: Vec<u8>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    futures_util::stream::unfold((Some(cursor), Some(head)), |(cursor, head)| async move {
        if let Some(head) = head {
            return Some((Ok(Bytes::from(head)), (cursor, None)));
        }
        let mut cursor = cursor?;
        match cursor.next_page().await {
            Ok(Some(page)) => Some((Ok(Bytes::from(csv_rows(&page))), (Some(cursor), None))),
            Ok(None) => None,
            Err(err) => {
                tracing::error!(error = %err, "customer export failed");
                Some((Err(std::io::Error::other("the export failed; it has been logged")), (None, None)))
            }
        }
    })
}
