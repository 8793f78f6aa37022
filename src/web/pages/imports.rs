//! The import page: upload (multipart) → preview (detected column mapping,
//! first rows, every bad row; change the mapping, choose the options) →
//! confirm → result. The file waits in the database between the steps
//! (`ops::uploads`), so any server instance can serve the next one, and so
//! does its preview: the file is read when it is uploaded and when the
//! mapping or the options change, never just to show the preview again.
//! Reading steps take a place in the server's import gate, so a person (or
//! a crowd) cannot run more imports at once than the server can hold.
//! Confirming starts the import in the background and sends the browser to
//! its progress page (`/customers/import/{id}/progress`), which htmx polls
//! (a plain reload without JavaScript) until it shows the outcome.
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
use crate::domain::money::group_thousands;
use crate::io::{Field, ImportKind};
use crate::ops::import::{
    self as import, Busy, ImportError, ImportReport, RowProblem, Stage, field_from_code, kind_code, parse_kind,
};
use crate::ops::uploads::{
    self, Choices, FileProblem, FileStored, MappingProblem, OwnedUpload, PREVIEW_PROBLEMS, Pending, Preview,
    RunOutcome, RunProgress, RunState,
};
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
    let params = e.params();
    let args: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    unreadable_text(t, e.code(), &args, &e.to_string())
}

/// A file error by its code and parameters; its English text when the
/// code has no words of its own.
fn unreadable_text(t: &Texts, code: &str, params: &[(&str, &str)], message: &str) -> String {
    let key = format!("import.error.{code}");
    match t.get(&key) {
        text if text == key => t.fill("error.invalid", &[("message", message)]),
        _ => t.fill(&key, params),
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
    let slot = match state.imports.enter(session.actor.id) {
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
    let upload = Arc::new(OwnedUpload { bytes: bytes.into(), file_name: name, content_type });
    // The file itself is stored once checked: one that cannot be read never is.
    let (file_name, content_type) = (&upload.file_name, &upload.content_type);
    let saved = uploads::save(&state.store, &session.actor, kind, file_name, content_type, &[], Utc::now()).await;
    let pending = match saved {
        Ok(id) => Pending {
            id,
            kind,
            file_name: upload.file_name.clone(),
            content_type: upload.content_type.clone(),
            bytes: Vec::new(),
            mapping: None,
            preview: None,
            run: None,
        },
        Err(e) => return fail(&headers, &session, e),
    };
    let (mapping, choices) = (None, Choices::default());
    check(
        &state,
        &session,
        &headers,
        slot,
        &pending,
        upload,
        FileStored::AfterCheck,
        mapping,
        choices,
        Answer::Redirect,
    )
    .await
}

/// How a page that checked the file answers once the check is done.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// To the preview's address (after the upload).
    Redirect,
    /// With the preview itself (after a change of the mapping or options).
    Render,
}

/// Checks the upload with `mapping` and `choices` in the background
/// (`uploads::start_check`, holding `slot`) and answers with the outcome if
/// it comes soon enough (`AppState::check_wait`), or else with the check's
/// progress page. A file
/// that cannot be read is refused here, and the upload dropped.
#[allow(clippy::too_many_arguments)]
async fn check(
    state: &AppState,
    session: &ResolvedSession,
    headers: &HeaderMap,
    slot: import::ImportSlot,
    pending: &Pending,
    upload: Arc<OwnedUpload>,
    stored: FileStored,
    mapping: Option<Vec<(usize, Field)>>,
    choices: Choices,
    answer: Answer,
) -> Response {
    let wait = state.check_wait.for_file(upload.bytes.len());
    let started =
        uploads::start_check(&state.store, &session.actor, slot, pending, upload, stored, mapping, choices).await;
    let receiver = match started {
        Ok(Some(receiver)) => receiver,
        // Checked or imported from another click: its page says where it stands.
        Ok(None) => return to_progress(pending.id),
        Err(e) => return fail(headers, session, e),
    };
    let checked = match wait {
        None => receiver.await.ok(),
        // No wait at all: always the progress page, even for a check that
        // happens to have ended already, so the answer does not depend on timing.
        Some(wait) if wait.is_zero() => None,
        Some(wait) => tokio::time::timeout(wait, receiver).await.ok().and_then(Result::ok),
    };
    let Some(checked) = checked else { return to_progress(pending.id) };
    match checked {
        Ok(_) if answer == Answer::Redirect => {
            Redirect::to(&format!("/customers/import/{}", pending.id)).into_response()
        }
        Ok(preview) => {
            render_preview(session, headers, pending, &preview, preview.choices.clone(), StatusCode::OK, None)
        }
        Err(e @ ImportError::File(_)) => {
            // Nothing to come back to: the file cannot be read.
            if let Err(err) = uploads::discard(&state.store, &session.actor, pending.id).await {
                tracing::warn!(error = %err, upload = pending.id, "could not drop an unreadable upload");
            }
            let t = shell(headers, session, "import.title").t;
            let error = file_error_text(t, &e);
            upload_page(headers, session, StatusCode::UNPROCESSABLE_ENTITY, kind_code(pending.kind), Some(error))
        }
        Err(ImportError::Ops(e)) => fail(headers, session, e),
        Err(e) => fail(headers, session, ApiError::invalid("file", e.to_string())),
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
    if settled(&state, &pending) {
        return to_progress(pending.id);
    }
    if let Some(preview) = &pending.preview {
        return render_preview(&session, &headers, &pending, preview, preview.choices.clone(), StatusCode::OK, None);
    }
    // Its check found the file unreadable: say so (a failed check is tried again).
    if let Some(RunState::Ended(outcome @ RunOutcome::Refused { problem: FileProblem::Unreadable { .. } })) =
        pending.run_state(&state.imports, Utc::now())
    {
        return ended(&headers, &session, &pending, outcome);
    }
    // Not computed yet (its check was interrupted, or failed): once more.
    let slot = match state.imports.enter(session.actor.id) {
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
    let choices = Choices::default();
    check(&state, &session, &headers, slot, &pending, file, FileStored::Already, mapping, choices, Answer::Render).await
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

/// Whether the upload's import is running or applied: then its progress
/// page, not the preview, is where it stands (and nothing starts it again).
fn settled(state: &AppState, pending: &Pending) -> bool {
    matches!(
        pending.run_state(&state.imports, Utc::now()),
        Some(RunState::Running(_) | RunState::Ended(RunOutcome::Imported { .. }))
    )
}

fn progress_path(id: i64) -> String {
    format!("/customers/import/{id}/progress")
}

fn to_progress(id: i64) -> Response {
    Redirect::to(&progress_path(id)).into_response()
}

pub async fn submit(
    State(state): State<AppState>,
    PageAuth(session): PageAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let current = match load(&state, &session.actor, &id, false).await {
        Ok(p) => p,
        Err(OpsError::NotFound) => return expired(&headers, &session),
        Err(e) => return fail(&headers, &session, e),
    };
    // A second click, a reload of the confirm or a cancel while it runs:
    // the import already has its page.
    if settled(&state, &current) {
        return to_progress(current.id);
    }
    let action = pairs.iter().find(|(k, _)| k == "action").map(|(_, v)| v.as_str()).unwrap_or_default();
    if action == "cancel" {
        if let Err(e) = uploads::discard(&state.store, &session.actor, current.id).await {
            return fail(&headers, &session, e);
        }
        return Redirect::to("/customers/import").into_response();
    }
    // Both the re-check and the import read the file.
    let slot = match state.imports.enter(session.actor.id) {
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
        let stored = FileStored::Already;
        return check(&state, &session, &headers, slot, &pending, file, stored, mapping, choices, Answer::Render).await;
    }
    // The import runs on in the background, holding the slot; its page follows it.
    let id = pending.id;
    match uploads::start_import(&state.store, &session.actor, slot, pending, file, mapping, choices).await {
        Ok(_started_now_or_before) => to_progress(id),
        Err(e) => fail(&headers, &session, e),
    }
}

#[derive(Template)]
#[template(path = "import_progress_bar.html")]
struct ProgressBar {
    id: i64,
    stage: String,
    /// `None` while the total is not known (an indeterminate bar).
    percent: Option<u64>,
    rows_done: u64,
    rows_total: u64,
    counts: String,
    pace: String,
}

#[derive(Template)]
#[template(path = "import_progress.html")]
struct ProgressPage {
    shell: Shell,
    id: i64,
    file_summary: String,
    /// Reload without JavaScript while the import runs.
    running: bool,
    /// What happens if one leaves the page.
    hint: String,
    bar_html: String,
    /// Why the import stopped, instead of the bar.
    failure: Option<String>,
}

/// `0:42`, `12:05`, `1:02:03`.
fn clock_time(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 { format!("{h}:{m:02}:{s:02}") } else { format!("{m}:{s:02}") }
}

fn progress_bar(t: &Texts, id: i64, progress: &RunProgress) -> ProgressBar {
    let stage = match progress.stage {
        None => t.get("import.progress.reading"),
        Some(Stage::Checking) => t.get("import.progress.checking"),
        Some(Stage::Writing) => t.get("import.progress.writing"),
    };
    let (done, total) = (progress.rows_done, progress.rows_total);
    let percent = (total > 0).then(|| (done.saturating_mul(100) / total).min(100));
    let counts = if total > 0 {
        t.fill("import.progress.rows", &[("done", &group_thousands(done)), ("total", &group_thousands(total))])
    } else {
        t.fill("import.progress.rows_unknown", &[("done", &group_thousands(done))])
    };
    let elapsed = (Utc::now() - progress.started_at).num_milliseconds().max(0);
    // Rows per second over the whole run: steadier than between two polls.
    let rate = if elapsed >= 1000 { done.saturating_mul(1000) / elapsed.unsigned_abs() } else { 0 };
    let pace =
        t.fill("import.progress.pace", &[("rate", &group_thousands(rate)), ("elapsed", &clock_time(elapsed / 1000))]);
    ProgressBar { id, stage: stage.to_owned(), percent, rows_done: done, rows_total: total, counts, pace }
}

/// The progress of the upload's import while it runs, then its outcome:
/// the result, the preview with what refused the file, or why it stopped.
/// An htmx poll gets the bar alone, and a full reload once it has ended.
pub async fn progress(
    State(state): State<AppState>,
    PageAuth(session): PageAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    // A poll gets the bar while the import runs; anything else is a whole
    // page (the outcome, an error), which htmx is told to reload into.
    let polled = headers.contains_key("hx-request");
    let reload = || (StatusCode::OK, [("hx-refresh", "true")], "").into_response();
    let pending = match load(&state, &session.actor, &id, false).await {
        Ok(p) => p,
        Err(_) if polled => return reload(),
        Err(OpsError::NotFound) => return expired(&headers, &session),
        Err(e) => return fail(&headers, &session, e),
    };
    let Some(run) = pending.run_state(&state.imports, Utc::now()) else {
        // Nothing started, or the check is done: the preview is where it
        // stands (an open page reloads, and so gets there).
        if polled {
            return reload();
        }
        return Redirect::to(&format!("/customers/import/{}", pending.id)).into_response();
    };
    let running = match run {
        RunState::Running(progress) => progress,
        _ if polled => return reload(),
        // The preview checks the file again.
        RunState::Interrupted if pending.checking() => {
            return Redirect::to(&format!("/customers/import/{}", pending.id)).into_response();
        }
        RunState::Interrupted => {
            let t = shell(&headers, &session, "import.title").t;
            return stopped(&headers, &session, &pending, t.get("import.progress.interrupted").to_owned());
        }
        RunState::Ended(outcome) => return ended(&headers, &session, &pending, outcome),
    };
    let title = if running.checking { "import.progress.check_title" } else { "import.progress.title" };
    let t = shell(&headers, &session, title).t;
    let bar = progress_bar(t, pending.id, &running);
    if polled {
        return render(StatusCode::OK, &bar);
    }
    let bar_html = match bar.render() {
        Ok(html) => html,
        Err(e) => return fail(&headers, &session, OpsError::Other(anyhow::anyhow!("rendering the progress: {e}"))),
    };
    let shell = shell(&headers, &session, title);
    let file_summary = shell.t.fill("import.progress.file", &[("file", &pending.file_name)]);
    let hint = shell.t.get(if running.checking { "import.progress.check_hint" } else { "import.progress.leave_hint" });
    let page = ProgressPage {
        hint: hint.to_owned(),
        shell,
        id: pending.id,
        file_summary,
        running: true,
        bar_html,
        failure: None,
    };
    render(StatusCode::OK, &page)
}

/// An import that stopped without an outcome of its own: nothing was written.
fn stopped(headers: &HeaderMap, session: &ResolvedSession, pending: &Pending, failure: String) -> Response {
    let shell = shell(headers, session, "import.progress.failed_title");
    let file_summary = shell.t.fill("import.progress.file", &[("file", &pending.file_name)]);
    let page = ProgressPage {
        shell,
        id: pending.id,
        file_summary,
        running: false,
        hint: String::new(),
        bar_html: String::new(),
        failure: Some(failure),
    };
    render(StatusCode::OK, &page)
}

/// The page of an import that ended, as the confirm answered when it ran
/// inside the request.
fn ended(headers: &HeaderMap, session: &ResolvedSession, pending: &Pending, outcome: RunOutcome) -> Response {
    let t = shell(headers, session, "import.title").t;
    let refused = |notice: String| match &pending.preview {
        Some(preview) => render_preview(
            session,
            headers,
            pending,
            preview,
            preview.choices.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(notice),
        ),
        // The preview could not be stored again: say why, and lead back to it.
        None => stopped(headers, session, pending, notice),
    };
    match outcome {
        RunOutcome::Imported { report, errors_total } => {
            let shell = shell(headers, session, "import.result_title");
            let t = shell.t;
            let file_summary =
                t.fill("import.file_summary", &[("file", &pending.file_name), ("rows", &report.rows.to_string())]);
            let shown = report.errors.len().min(SHOWN_PROBLEMS);
            let more_problems = (errors_total > shown)
                .then(|| t.fill("import.more_errors", &[("n", &(errors_total - shown).to_string())]));
            let problems = problem_views(t, &report.errors);
            render(StatusCode::OK, &ResultPage { shell, file_summary, report, problems, more_problems })
        }
        RunOutcome::Rejected { report, .. } => refused(t.fill_count(
            "import.rejected_notice",
            report.rejected as i64,
            &[("n", &report.rejected.to_string())],
        )),
        RunOutcome::Refused { problem: FileProblem::Columns { problem } } => refused(problem_text(t, &problem)),
        RunOutcome::Refused { problem: FileProblem::Unreadable { code, params, message } } => {
            let args: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let error = unreadable_text(t, &code, &args, &message);
            upload_page(headers, session, StatusCode::UNPROCESSABLE_ENTITY, kind_code(pending.kind), Some(error))
        }
        RunOutcome::Failed { detail } => {
            let failure = match detail {
                Some(detail) => t.fill("import.progress.failed_because", &[("reason", &detail)]),
                None => t.get("import.progress.failed").to_owned(),
            };
            stopped(headers, session, pending, failure)
        }
    }
}
