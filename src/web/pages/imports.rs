//! The import page: upload (multipart) → preview (detected column mapping,
//! first rows, every bad row; change the mapping, choose the options) →
//! confirm → result. The file waits in the database between the steps
//! (`ops::uploads`), so any server instance can serve the next one.
//! Multipart forms carry their CSRF token as their first field (see `session::page_guard`).

use askama::Template;
use axum::Form;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;

use super::{Shell, error_page, render};
use crate::app::AppState;
use crate::io::{Field, ImportKind};
use crate::ops::import::{
    self as import, ImportError, ImportOptions, ImportReport, ImportStatus, Importer, OnDuplicate, Prepared,
    RowProblem, field_from_code, kind_code, parse_kind,
};
use crate::ops::uploads::{self, Pending};
use crate::ops::{OpsError, authz::Actor};
use crate::web::error::ApiError;
use crate::web::i18n::Texts;
use crate::web::session::{PageAuth, ResolvedSession};

/// Bad rows shown on the preview; the CLI and the API list them all.
const SHOWN_PROBLEMS: usize = 500;
/// Data rows shown as a sample, and sample values per column.
const SAMPLE_ROWS: usize = 5;

fn fail(headers: &HeaderMap, session: &ResolvedSession, err: impl Into<ApiError>) -> Response {
    error_page(headers, Some((&session.actor, &session.csrf)), err.into())
}

fn shell(headers: &HeaderMap, session: &ResolvedSession, title_key: &str) -> Shell {
    Shell::new(headers, Some(session.actor.clone()), &session.csrf, title_key, "/customers/import", None)
}

#[derive(Template)]
#[template(path = "import_upload.html")]
struct UploadPage {
    shell: Shell,
    error: Option<String>,
    kind: &'static str,
}

fn upload_page(
    headers: &HeaderMap,
    session: &ResolvedSession,
    status: StatusCode,
    kind: &'static str,
    error: Option<String>,
) -> Response {
    render(status, &UploadPage { shell: shell(headers, session, "import.title"), error, kind })
}

pub async fn form(PageAuth(session): PageAuth, headers: HeaderMap) -> Response {
    if let Err(e) = import::authorize(&session.actor) {
        return fail(&headers, &session, e);
    }
    upload_page(&headers, &session, StatusCode::OK, "customers", None)
}

/// The localised reason a file cannot be used.
fn file_error_text(t: &Texts, err: &ImportError) -> String {
    match err {
        ImportError::File(e) => {
            let key = format!("import.error.{}", e.code());
            let text = t.get(&key);
            if text == key { t.fill("error.invalid", &[("message", &e.to_string())]) } else { text.to_owned() }
        }
        ImportError::Mapping(crate::io::MappingError::MissingColumns(missing)) => {
            let columns = missing
                .iter()
                .map(|any_of| any_of.iter().map(|f| field_label(t, *f)).collect::<Vec<_>>().join(" / "))
                .collect::<Vec<_>>()
                .join(t.get("import.list_separator"));
            t.fill("import.error.column_missing", &[("columns", &columns)])
        }
        ImportError::Mapping(crate::io::MappingError::FieldMappedTwice(f)) => {
            t.fill("import.error.column_mapped_twice", &[("field", &field_label(t, *f))])
        }
        ImportError::Mapping(e) => t.fill("error.invalid", &[("message", &e.to_string())]),
        ImportError::Ops(e) => t.fill("error.invalid", &[("message", &e.to_string())]),
    }
}

fn field_label(t: &Texts, f: Field) -> String {
    t.get(&format!("import.field.{}", f.as_str())).to_owned()
}

pub async fn upload(
    State(state): State<AppState>,
    PageAuth(session): PageAuth,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    if let Err(e) = import::authorize(&session.actor) {
        return fail(&headers, &session, e);
    }
    let t = shell(&headers, &session, "import.title").t;
    let Ok(mut multipart) = multipart else {
        return upload_page(
            &headers,
            &session,
            StatusCode::BAD_REQUEST,
            "customers",
            Some(t.get("import.error.no_file").to_owned()),
        );
    };
    let mut kind = ImportKind::Customers;
    let mut file: Option<(String, String, Vec<u8>)> = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("kind") => {
                    let text = field.text().await.unwrap_or_default();
                    kind = parse_kind(&text).unwrap_or(ImportKind::Customers);
                }
                Some("file") => {
                    let name = field.file_name().unwrap_or("upload").to_owned();
                    let content_type = field.content_type().unwrap_or("").to_owned();
                    match field.bytes().await {
                        Ok(bytes) => file = Some((name, content_type, bytes.to_vec())),
                        Err(_) => {
                            let error = t.get("import.error.file_too_large").to_owned();
                            return upload_page(
                                &headers,
                                &session,
                                StatusCode::PAYLOAD_TOO_LARGE,
                                kind_code(kind),
                                Some(error),
                            );
                        }
                    }
                }
                _ => {}
            },
            Ok(None) => break,
            Err(_) => {
                let error = t.get("import.error.file_too_large").to_owned();
                return upload_page(&headers, &session, StatusCode::PAYLOAD_TOO_LARGE, kind_code(kind), Some(error));
            }
        }
    }
    let Some((name, content_type, bytes)) = file.filter(|(_, _, b)| !b.is_empty()) else {
        let error = t.get("import.error.no_file").to_owned();
        return upload_page(&headers, &session, StatusCode::UNPROCESSABLE_ENTITY, kind_code(kind), Some(error));
    };
    // An unreadable file is refused now, not after a redirect.
    let upload = import::Upload { bytes: &bytes, file_name: Some(&name), content_type: Some(&content_type) };
    if let Err(e @ ImportError::File(_)) = import::prepare(kind, upload, None) {
        let error = file_error_text(t, &e);
        return upload_page(&headers, &session, StatusCode::UNPROCESSABLE_ENTITY, kind_code(kind), Some(error));
    }
    match uploads::save(&state.store, &session.actor, kind, &name, &content_type, &bytes, Utc::now()).await {
        Ok(id) => Redirect::to(&format!("/customers/import/{id}")).into_response(),
        Err(e) => fail(&headers, &session, e),
    }
}

pub struct ColumnView {
    pub index: usize,
    pub header: String,
    /// The field code it is mapped to; "" for ignored.
    pub selected: String,
    pub samples: String,
}

pub struct ProblemView {
    pub row: usize,
    pub column: String,
    pub value: String,
    pub reason: String,
}

pub struct Choices {
    pub partial: bool,
    pub update: bool,
    pub partner: String,
}

#[derive(Template)]
#[template(path = "import_preview.html")]
struct PreviewPage {
    shell: Shell,
    id: i64,
    kind: &'static str,
    file_summary: String,
    columns: Vec<ColumnView>,
    fields: Vec<(&'static str, String)>,
    headers: Vec<String>,
    sample_rows: Vec<Vec<String>>,
    summary: Option<String>,
    problems: Vec<ProblemView>,
    more_problems: Option<String>,
    duplicates: Vec<ProblemView>,
    error: Option<String>,
    notice: Option<String>,
    choices: Choices,
    can_import: bool,
}

fn problem_views(t: &Texts, problems: &[RowProblem]) -> Vec<ProblemView> {
    problems
        .iter()
        .take(SHOWN_PROBLEMS)
        .map(|p| {
            let key = format!("import.code.{}", p.code);
            let reason = match t.get(&key) {
                text if text == key => p.message.clone(),
                text => text.to_owned(),
            };
            ProblemView { row: p.row, column: p.column.clone(), value: p.value.clone(), reason }
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
async fn preview_page(
    state: &AppState,
    session: &ResolvedSession,
    headers: &HeaderMap,
    pending: &Pending,
    mapping: Option<&[(usize, Field)]>,
    choices: Choices,
    status: StatusCode,
    notice: Option<String>,
) -> Response {
    let page_shell = shell(headers, session, "import.preview_title");
    let t = page_shell.t;
    let prepared = match import::prepare(pending.kind, pending.upload(), mapping) {
        Ok(p) => p,
        Err(e @ ImportError::Mapping(_)) => {
            // A mapping that no longer fits the file: fall back to detection.
            let error = Some(file_error_text(t, &e));
            match import::prepare(pending.kind, pending.upload(), None) {
                Ok(p) => {
                    return render_preview(
                        state, session, headers, page_shell, pending, p, choices, status, notice, error,
                    )
                    .await;
                }
                Err(e) => return fail(headers, session, ApiError::invalid("file", e.to_string())),
            }
        }
        Err(e) => {
            return upload_page(
                headers,
                session,
                StatusCode::UNPROCESSABLE_ENTITY,
                kind_code(pending.kind),
                Some(file_error_text(t, &e)),
            );
        }
    };
    let missing = prepared.mapping.check(pending.kind).err().map(|e| file_error_text(t, &ImportError::Mapping(e)));
    render_preview(state, session, headers, page_shell, pending, prepared, choices, status, notice, missing).await
}

#[allow(clippy::too_many_arguments)]
async fn render_preview(
    state: &AppState,
    session: &ResolvedSession,
    headers: &HeaderMap,
    shell: Shell,
    pending: &Pending,
    prepared: Prepared,
    choices: Choices,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let t = shell.t;
    let headers_row = prepared.table.headers.clone();
    let columns = headers_row
        .iter()
        .enumerate()
        .map(|(index, header)| ColumnView {
            index,
            header: if header.is_empty() {
                t.fill("import.unnamed_column", &[("n", &(index + 1).to_string())])
            } else {
                header.clone()
            },
            selected: prepared.mapping.field_at(index).map_or("", |f| f.as_str()).to_owned(),
            samples: prepared
                .table
                .rows
                .iter()
                .map(|r| r.get(index).display().into_owned())
                .filter(|s| !s.is_empty())
                .take(3)
                .collect::<Vec<_>>()
                .join(" · "),
        })
        .collect();
    let fields = Field::for_kind(pending.kind).iter().map(|f| (f.as_str(), field_label(t, *f))).collect();
    let sample_rows = prepared
        .table
        .rows
        .iter()
        .take(SAMPLE_ROWS)
        .map(|r| {
            let mut cells = vec![r.number.to_string()];
            cells.extend((0..headers_row.len()).map(|i| r.get(i).display().into_owned()));
            cells
        })
        .collect();

    let rows_read = prepared.table.rows.len();
    let mut report: Option<ImportReport> = None;
    if error.is_none() {
        // The preview is a dry run of the good rows, with the chosen options.
        let mut options = ImportOptions::new(state.store.today());
        options.dry_run = true;
        options.partial = true;
        options.on_duplicate = if choices.update { OnDuplicate::Update } else { OnDuplicate::Skip };
        options.partner = Some(choices.partner.clone()).filter(|p| !p.trim().is_empty());
        let importer = Importer::user(session.actor.clone());
        match import::run(&state.store, &importer, prepared, &options, &import::no_progress).await {
            Ok(r) => report = Some(r),
            Err(ImportError::Ops(e)) => return fail(headers, session, e),
            Err(e) => return fail(headers, session, ApiError::invalid("file", e.to_string())),
        }
    }
    let file_summary = t.fill("import.file_summary", &[("file", &pending.file_name), ("rows", &rows_read.to_string())]);
    let (summary, problems, more_problems, duplicates) = match &report {
        Some(r) => {
            let summary = t.fill(
                "import.summary",
                &[
                    ("created", &r.created.to_string()),
                    ("updated", &r.updated.to_string()),
                    ("skipped", &r.skipped.to_string()),
                    ("rejected", &r.rejected.to_string()),
                ],
            );
            let more = (r.errors.len() > SHOWN_PROBLEMS)
                .then(|| t.fill("import.more_errors", &[("n", &(r.errors.len() - SHOWN_PROBLEMS).to_string())]));
            (Some(summary), problem_views(t, &r.errors), more, problem_views(t, &r.warnings))
        }
        None => (None, Vec::new(), None, Vec::new()),
    };
    let can_import = report.as_ref().is_some_and(|r| r.created + r.updated > 0);
    let page = PreviewPage {
        shell,
        id: pending.id,
        kind: kind_code(pending.kind),
        file_summary,
        columns,
        fields,
        headers: headers_row,
        sample_rows,
        summary,
        problems,
        more_problems,
        duplicates,
        error,
        notice,
        choices,
        can_import,
    };
    render(status, &page)
}

fn parse_id(raw: &str) -> Option<i64> {
    raw.parse::<i64>().ok().filter(|n| *n > 0)
}

async fn load(state: &AppState, actor: &Actor, raw_id: &str) -> Result<Pending, OpsError> {
    let id = parse_id(raw_id).ok_or(OpsError::NotFound)?;
    uploads::get(&state.store, actor, id, Utc::now()).await
}

/// A missing or expired upload sends the user back to the upload form.
fn expired(headers: &HeaderMap, session: &ResolvedSession) -> Response {
    let t = shell(headers, session, "import.title").t;
    upload_page(headers, session, StatusCode::NOT_FOUND, "customers", Some(t.get("import.expired").to_owned()))
}

pub async fn preview(
    State(state): State<AppState>,
    PageAuth(session): PageAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let pending = match load(&state, &session.actor, &id).await {
        Ok(p) => p,
        Err(OpsError::NotFound) => return expired(&headers, &session),
        Err(e) => return fail(&headers, &session, e),
    };
    let choices = Choices { partial: false, update: false, partner: String::new() };
    preview_page(&state, &session, &headers, &pending, pending.mapping.as_deref(), choices, StatusCode::OK, None).await
}

/// The preview form: the mapping (`col<N>` = field code, "" to ignore;
/// `None` when the form has no mapping fields at all), the options, and
/// which button was pressed (`action`).
fn read_form(kind: ImportKind, pairs: &[(String, String)]) -> (Option<Vec<(usize, Field)>>, Choices, String) {
    let mut mapping = Vec::new();
    let mut has_mapping = false;
    let mut choices = Choices { partial: false, update: false, partner: String::new() };
    let mut action = String::new();
    for (key, value) in pairs {
        match key.as_str() {
            "partial" => choices.partial = value == "true",
            "on_duplicate" => choices.update = value == "update",
            "partner" => choices.partner = value.trim().chars().take(200).collect(),
            "action" => action.clone_from(value),
            k => {
                if let Some(index) = k.strip_prefix("col").and_then(|n| n.parse::<usize>().ok()) {
                    has_mapping = true;
                    if let Some(field) = field_from_code(kind, value) {
                        mapping.push((index, field));
                    }
                }
            }
        }
    }
    mapping.sort_by_key(|(i, _)| *i);
    (has_mapping.then_some(mapping), choices, action)
}

#[derive(Template)]
#[template(path = "import_result.html")]
struct ResultPage {
    shell: Shell,
    file_summary: String,
    report: ImportReport,
    problems: Vec<ProblemView>,
    more_problems: Option<String>,
}

pub async fn submit(
    State(state): State<AppState>,
    PageAuth(session): PageAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let pending = match load(&state, &session.actor, &id).await {
        Ok(p) => p,
        Err(OpsError::NotFound) => return expired(&headers, &session),
        Err(e) => return fail(&headers, &session, e),
    };
    let (chosen, choices, action) = read_form(pending.kind, &pairs);
    // Without mapping fields (a scripted post), the remembered or detected mapping.
    let mapping: Option<Vec<(usize, Field)>> = chosen.or_else(|| pending.mapping.clone());
    match action.as_str() {
        "cancel" => {
            if let Err(e) = uploads::discard(&state.store, &session.actor, pending.id).await {
                return fail(&headers, &session, e);
            }
            return Redirect::to("/customers/import").into_response();
        }
        "import" => {}
        _ => {
            // Re-check with the chosen mapping, and remember it for reloads.
            let pairs = mapping.clone().unwrap_or_default();
            if let Err(e) = uploads::set_mapping(&state.store, &session.actor, pending.id, &pairs).await {
                return fail(&headers, &session, e);
            }
            return preview_page(&state, &session, &headers, &pending, Some(&pairs), choices, StatusCode::OK, None)
                .await;
        }
    }

    let prepared = match import::prepare(pending.kind, pending.upload(), mapping.as_deref()) {
        Ok(p) => p,
        Err(e) => {
            let t = shell(&headers, &session, "import.title").t;
            let notice = Some(file_error_text(t, &e));
            return preview_page(
                &state,
                &session,
                &headers,
                &pending,
                None,
                choices,
                StatusCode::UNPROCESSABLE_ENTITY,
                notice,
            )
            .await;
        }
    };
    let mut options = ImportOptions::new(state.store.today());
    options.partial = choices.partial;
    options.on_duplicate = if choices.update { OnDuplicate::Update } else { OnDuplicate::Skip };
    options.partner = Some(choices.partner.clone()).filter(|p| !p.is_empty());
    let importer = Importer::user(session.actor.clone());
    let report = match import::run(&state.store, &importer, prepared, &options, &import::no_progress).await {
        Ok(r) => r,
        Err(ImportError::Ops(e)) => return fail(&headers, &session, e),
        Err(e) => {
            let t = shell(&headers, &session, "import.title").t;
            let notice = Some(file_error_text(t, &e));
            return preview_page(
                &state,
                &session,
                &headers,
                &pending,
                mapping.as_deref(),
                choices,
                StatusCode::UNPROCESSABLE_ENTITY,
                notice,
            )
            .await;
        }
    };
    if report.status == ImportStatus::Rejected {
        let t = shell(&headers, &session, "import.title").t;
        let notice = Some(t.fill("import.rejected_notice", &[("n", &report.rejected.to_string())]));
        return preview_page(
            &state,
            &session,
            &headers,
            &pending,
            mapping.as_deref(),
            choices,
            StatusCode::UNPROCESSABLE_ENTITY,
            notice,
        )
        .await;
    }
    // Written: the file has served its purpose.
    if let Err(e) = uploads::discard(&state.store, &session.actor, pending.id).await {
        tracing::warn!(error = %e, "could not drop an applied upload; housekeeping will");
    }
    let shell = shell(&headers, &session, "import.result_title");
    let t = shell.t;
    let file_summary =
        t.fill("import.file_summary", &[("file", &pending.file_name), ("rows", &report.rows.to_string())]);
    let more_problems = (report.errors.len() > SHOWN_PROBLEMS)
        .then(|| t.fill("import.more_errors", &[("n", &(report.errors.len() - SHOWN_PROBLEMS).to_string())]));
    let problems = problem_views(t, &report.errors);
    let page = ResultPage { shell, file_summary, report, problems, more_problems };
    render(StatusCode::OK, &page)
}
