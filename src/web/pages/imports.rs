//! The import page: upload (multipart) → preview (detected column mapping,
//! first rows, every bad row; change the mapping, choose the options) →
//! confirm → result. The file waits in the database between the steps
//! (`ops::uploads`), so any server instance can serve the next one, and so
//! does its preview: the file is read when it is uploaded and when the
//! mapping or the options change, never just to show the preview again.
//! Reading steps take a place in the server's import gate, so a person (or
//! a crowd) cannot run more imports at once than the server can hold.
//! Multipart forms carry their CSRF token as their first field (see `session::page_guard`).

use std::sync::Arc;

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
    self as import, Busy, ImportError, ImportOptions, ImportReport, ImportStatus, Importer, OnDuplicate, RowProblem,
    field_from_code, kind_code, parse_kind,
};
use crate::ops::uploads::{self, Choices, MappingProblem, OwnedUpload, PREVIEW_PROBLEMS, Pending, Preview};
use crate::ops::{OpsError, authz::Actor};
use crate::web::error::ApiError;
use crate::web::i18n::Texts;
use crate::web::session::{PageAuth, ResolvedSession};

/// Bad rows shown on the result page; the CLI and the API list them all.
const SHOWN_PROBLEMS: usize = PREVIEW_PROBLEMS;

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
        ImportError::File(e) => read_error_text(t, e),
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
        ImportError::Busy(busy) => busy_text(t, *busy),
    }
}

/// A file error in the user's language, with its row, column or part.
fn read_error_text(t: &Texts, e: &crate::io::ReadError) -> String {
    let key = format!("import.error.{}", e.code());
    match t.get(&key) {
        text if text == key => t.fill("error.invalid", &[("message", &e.to_string())]),
        _ => {
            let params = e.params();
            let args: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            t.fill(&key, &args)
        }
    }
}

fn busy_text(t: &Texts, busy: Busy) -> String {
    match busy {
        Busy::User => t.get("import.error.import_in_progress").to_owned(),
        Busy::Server => t.get("import.error.imports_busy").to_owned(),
    }
}

fn busy_status(busy: Busy) -> StatusCode {
    match busy {
        Busy::User => StatusCode::CONFLICT,
        Busy::Server => StatusCode::TOO_MANY_REQUESTS,
    }
}

/// Why a stored preview's mapping cannot be imported, in words.
fn problem_text(t: &Texts, problem: &MappingProblem) -> String {
    let label = |code: &str| t.get(&format!("import.field.{code}")).to_owned();
    match problem {
        MappingProblem::MissingColumns(missing) => {
            let columns = missing
                .iter()
                .map(|any_of| any_of.iter().map(|f| label(f)).collect::<Vec<_>>().join(" / "))
                .collect::<Vec<_>>()
                .join(t.get("import.list_separator"));
            t.fill("import.error.column_missing", &[("columns", &columns)])
        }
        MappingProblem::MappedTwice(code) => t.fill("import.error.column_mapped_twice", &[("field", &label(code))]),
        MappingProblem::Other(message) => t.fill("error.invalid", &[("message", message)]),
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
    // Before the body is read: a refused upload should not hold 64 MB.
    let _slot = match state.imports.enter(session.actor.id) {
        Ok(slot) => slot,
        Err(busy) => return busy_page(&headers, &session, busy),
    };
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
                        // Without a copy when the buffer is the field's own.
                        Ok(bytes) => file = Some((name, content_type, Vec::from(bytes))),
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
    // Read once, now: an unreadable file is refused before it is stored,
    // and the preview is stored with the file.
    let upload = Arc::new(OwnedUpload { bytes: bytes.into(), file_name: name, content_type });
    let preview =
        match uploads::compute_preview(&state.store, &session.actor, kind, upload.clone(), None, Choices::default())
            .await
        {
            Ok(preview) => preview,
            Err(e @ ImportError::File(_)) => {
                let error = file_error_text(t, &e);
                return upload_page(&headers, &session, StatusCode::UNPROCESSABLE_ENTITY, kind_code(kind), Some(error));
            }
            Err(ImportError::Ops(e)) => return fail(&headers, &session, e),
            Err(e) => return fail(&headers, &session, ApiError::invalid("file", e.to_string())),
        };
    let saved = uploads::save(
        &state.store,
        &session.actor,
        kind,
        &upload.file_name,
        &upload.content_type,
        &upload.bytes,
        Utc::now(),
    )
    .await;
    let id = match saved {
        Ok(id) => id,
        Err(e) => return fail(&headers, &session, e),
    };
    match uploads::set_preview(&state.store, &session.actor, id, None, &preview).await {
        Ok(()) => Redirect::to(&format!("/customers/import/{id}")).into_response(),
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

/// Renders a stored preview; `choices` are what the form shows (the
/// preview's own, or what the user just sent).
fn render_preview(
    session: &ResolvedSession,
    headers: &HeaderMap,
    pending: &Pending,
    preview: &Preview,
    choices: Choices,
    status: StatusCode,
    notice: Option<String>,
) -> Response {
    let shell = shell(headers, session, "import.preview_title");
    let t = shell.t;
    let columns = preview
        .headers
        .iter()
        .enumerate()
        .map(|(index, header)| ColumnView {
            index,
            header: if header.is_empty() {
                t.fill("import.unnamed_column", &[("n", &(index + 1).to_string())])
            } else {
                header.clone()
            },
            selected: preview.mapping.get(index).cloned().unwrap_or_default(),
            samples: preview.samples.get(index).cloned().unwrap_or_default(),
        })
        .collect();
    let fields = Field::for_kind(pending.kind).iter().map(|f| (f.as_str(), field_label(t, *f))).collect();
    let sample_rows = preview
        .sample_rows
        .iter()
        .map(|(number, cells)| std::iter::once(number.to_string()).chain(cells.iter().cloned()).collect())
        .collect();
    let file_summary =
        t.fill("import.file_summary", &[("file", &pending.file_name), ("rows", &preview.rows.to_string())]);
    let (summary, problems, more_problems, duplicates) = match &preview.report {
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
            let shown = r.errors.len().min(SHOWN_PROBLEMS);
            let more = (preview.errors_total > shown)
                .then(|| t.fill("import.more_errors", &[("n", &(preview.errors_total - shown).to_string())]));
            (Some(summary), problem_views(t, &r.errors), more, problem_views(t, &r.warnings))
        }
        None => (None, Vec::new(), None, Vec::new()),
    };
    let can_import = preview.report.as_ref().is_some_and(|r| r.created + r.updated > 0);
    let page = PreviewPage {
        id: pending.id,
        kind: kind_code(pending.kind),
        file_summary,
        columns,
        fields,
        headers: preview.headers.clone(),
        sample_rows,
        summary,
        problems,
        more_problems,
        duplicates,
        error: preview.problem.as_ref().map(|p| problem_text(t, p)),
        notice,
        choices,
        can_import,
        shell,
    };
    render(status, &page)
}

/// Reads the upload again with `mapping` and `choices`, stores the new
/// preview (and the mapping, for reloads) and renders it. The caller holds
/// an import slot.
#[allow(clippy::too_many_arguments)]
async fn recompute(
    state: &AppState,
    session: &ResolvedSession,
    headers: &HeaderMap,
    pending: &Pending,
    upload: Arc<OwnedUpload>,
    mapping: Option<Vec<(usize, Field)>>,
    choices: Choices,
    status: StatusCode,
    notice: Option<String>,
) -> Response {
    let kind = pending.kind;
    let preview =
        match uploads::compute_preview(&state.store, &session.actor, kind, upload, mapping.clone(), choices.clone())
            .await
        {
            Ok(preview) => preview,
            Err(e @ ImportError::File(_)) => {
                let t = shell(headers, session, "import.title").t;
                let error = file_error_text(t, &e);
                return upload_page(headers, session, StatusCode::UNPROCESSABLE_ENTITY, kind_code(kind), Some(error));
            }
            Err(ImportError::Ops(e)) => return fail(headers, session, e),
            Err(e) => return fail(headers, session, ApiError::invalid("file", e.to_string())),
        };
    // A mapping the file cannot take (the preview fell back to the detected
    // one) is not remembered; one that leaves a required column out is.
    let fell_back = matches!(preview.problem, Some(MappingProblem::MappedTwice(_) | MappingProblem::Other(_)));
    let remembered = if fell_back { pending.mapping.clone() } else { mapping };
    if let Err(e) =
        uploads::set_preview(&state.store, &session.actor, pending.id, remembered.as_deref(), &preview).await
    {
        return fail(headers, session, e);
    }
    render_preview(session, headers, pending, &preview, choices, status, notice)
}

/// The upload's file, taken out of it (the rest stays for the page).
fn take_file(pending: &mut Pending) -> Arc<OwnedUpload> {
    Arc::new(OwnedUpload {
        bytes: std::mem::take(&mut pending.bytes).into(),
        file_name: pending.file_name.clone(),
        content_type: pending.content_type.clone(),
    })
}

fn parse_id(raw: &str) -> Option<i64> {
    raw.parse::<i64>().ok().filter(|n| *n > 0)
}

/// The upload with its file (`with_file`), or only what showing its stored
/// preview needs.
async fn load(state: &AppState, actor: &Actor, raw_id: &str, with_file: bool) -> Result<Pending, OpsError> {
    let id = parse_id(raw_id).ok_or(OpsError::NotFound)?;
    if with_file {
        uploads::get(&state.store, actor, id, Utc::now()).await
    } else {
        uploads::get_preview(&state.store, actor, id, Utc::now()).await
    }
}

/// A missing or expired upload sends the user back to the upload form.
fn expired(headers: &HeaderMap, session: &ResolvedSession) -> Response {
    let t = shell(headers, session, "import.title").t;
    upload_page(headers, session, StatusCode::NOT_FOUND, "customers", Some(t.get("import.expired").to_owned()))
}

/// The upload page saying why no import can start now.
fn busy_page(headers: &HeaderMap, session: &ResolvedSession, busy: Busy) -> Response {
    let t = shell(headers, session, "import.title").t;
    upload_page(headers, session, busy_status(busy), "customers", Some(busy_text(t, busy)))
}

pub async fn preview(
    State(state): State<AppState>,
    PageAuth(session): PageAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let pending = match load(&state, &session.actor, &id, false).await {
        Ok(p) => p,
        Err(OpsError::NotFound) => return expired(&headers, &session),
        Err(e) => return fail(&headers, &session, e),
    };
    if let Some(preview) = &pending.preview {
        return render_preview(&session, &headers, &pending, preview, preview.choices.clone(), StatusCode::OK, None);
    }
    // Not computed yet (uploaded before previews were stored): once.
    let _slot = match state.imports.enter(session.actor.id) {
        Ok(slot) => slot,
        Err(busy) => return busy_page(&headers, &session, busy),
    };
    let mut pending = match load(&state, &session.actor, &id, true).await {
        Ok(p) => p,
        Err(OpsError::NotFound) => return expired(&headers, &session),
        Err(e) => return fail(&headers, &session, e),
    };
    let file = take_file(&mut pending);
    let mapping = pending.mapping.clone();
    recompute(&state, &session, &headers, &pending, file, mapping, Choices::default(), StatusCode::OK, None).await
}

/// The preview form: the mapping (`col<N>` = field code, "" to ignore;
/// `None` when the form has no mapping fields at all), the options, and
/// which button was pressed (`action`).
fn read_form(kind: ImportKind, pairs: &[(String, String)]) -> (Option<Vec<(usize, Field)>>, Choices, String) {
    let mut mapping = Vec::new();
    let mut has_mapping = false;
    let mut choices = Choices::default();
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
    let action = pairs.iter().find(|(k, _)| k == "action").map(|(_, v)| v.as_str()).unwrap_or_default();
    if action == "cancel" {
        let Some(upload_id) = parse_id(&id) else { return expired(&headers, &session) };
        if let Err(e) = uploads::discard(&state.store, &session.actor, upload_id).await {
            return fail(&headers, &session, e);
        }
        return Redirect::to("/customers/import").into_response();
    }
    // Both the re-check and the import read the file.
    let _slot = match state.imports.enter(session.actor.id) {
        Ok(slot) => slot,
        Err(busy) => return busy_page(&headers, &session, busy),
    };
    let mut pending = match load(&state, &session.actor, &id, true).await {
        Ok(p) => p,
        Err(OpsError::NotFound) => return expired(&headers, &session),
        Err(e) => return fail(&headers, &session, e),
    };
    let file = take_file(&mut pending);
    let (chosen, choices, action) = read_form(pending.kind, &pairs);
    // Without mapping fields (a scripted post), the remembered or detected mapping.
    let mapping: Option<Vec<(usize, Field)>> = chosen.or_else(|| pending.mapping.clone());
    if action != "import" {
        return recompute(&state, &session, &headers, &pending, file, mapping, choices, StatusCode::OK, None).await;
    }

    let mut options = ImportOptions::new(state.store.today());
    options.partial = choices.partial;
    options.on_duplicate = if choices.update { OnDuplicate::Update } else { OnDuplicate::Skip };
    options.partner = Some(choices.partner.clone()).filter(|p| !p.is_empty());
    let importer = Importer::user(session.actor.clone());
    let (kind, chosen, upload) = (pending.kind, mapping.clone(), file.clone());
    let prepared = tokio::task::spawn_blocking(move || import::prepare(kind, upload.as_upload(), chosen.as_deref()))
        .await
        .map_err(|e| ImportError::Ops(OpsError::Other(e.into())))
        .and_then(|prepared| prepared);
    let result = match prepared {
        Ok(prepared) => import::run(&state.store, &importer, prepared, &options, &import::no_progress).await,
        Err(e) => Err(e),
    };
    let report = match result {
        Ok(r) => r,
        Err(ImportError::Ops(e)) => return fail(&headers, &session, e),
        Err(e) => {
            let t = shell(&headers, &session, "import.title").t;
            let notice = Some(file_error_text(t, &e));
            return recompute(
                &state,
                &session,
                &headers,
                &pending,
                file,
                None,
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
        return recompute(
            &state,
            &session,
            &headers,
            &pending,
            file,
            mapping,
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
