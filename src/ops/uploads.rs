//! Files waiting on the import page between upload, preview and confirm,
//! and the import confirmed from there. They live in the database (any
//! server instance can continue the flow), belong to the person who
//! uploaded them, and expire a day after their last use. Each keeps its
//! [`Preview`], computed when the file is uploaded or its mapping changed:
//! viewing the preview shows that, without reading the file again.
//!
//! A confirmed import runs in the background ([`start_import`]) and the
//! page follows it ([`RunState`]): its counts and heartbeat are stored every
//! [`PROGRESS_EVERY`] while it runs, its outcome when it ends.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::authz::Actor;
use super::import::{
    self, ImportError, ImportGate, ImportOptions, ImportReport, ImportSlot, ImportStatus, Importer, LiveProgress,
    OnDuplicate, Progress, Stage, field_from_code, kind_code, parse_kind,
};
use super::{OpsError, OpsResult};
use crate::io::{Field, ImportKind, MappingError};
use crate::store::Store;
use crate::store::uploads::{PendingUpload, UploadRun};

/// How long an upload is kept after its last use (uploaded, or its
/// import's last heartbeat).
pub fn lifetime() -> Duration {
    Duration::days(1)
}

/// A running import's heartbeat older than this means its server stopped
/// before the import ended (an import beats every [`PROGRESS_EVERY`]).
pub fn stale_after() -> Duration {
    Duration::seconds(60)
}

/// How often a running import's counts and heartbeat are stored.
pub const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// An upload as the import page uses it.
#[derive(Clone, Debug)]
pub struct Pending {
    pub id: i64,
    pub kind: ImportKind,
    pub file_name: String,
    pub content_type: String,
    /// Empty when loaded by [`get_preview`].
    pub bytes: Vec<u8>,
    /// The mapping chosen in the preview; `None`: detect from the headers.
    pub mapping: Option<Vec<(usize, Field)>>,
    /// The stored preview, if computed (and readable).
    pub preview: Option<Preview>,
    /// The import started from the page, if any (see [`Pending::run_state`]).
    pub run: Option<UploadRun>,
}

impl Pending {
    /// Where its import stands (`None`: never started). `gate` knows the
    /// imports this process runs.
    pub fn run_state(&self, gate: &ImportGate, now: DateTime<Utc>) -> Option<RunState> {
        let run = self.run.as_ref()?;
        Some(run_state(run, gate.live(self.id).as_deref(), now))
    }

    /// Whether its last run is the preview's check, not an import.
    pub fn checking(&self) -> bool {
        self.run.as_ref().is_some_and(|run| run.status == CHECKING)
    }
}

/// Keeps an uploaded file for the preview; returns its id.
pub async fn save(
    store: &Store,
    actor: &Actor,
    kind: ImportKind,
    file_name: &str,
    content_type: &str,
    bytes: &[u8],
    now: DateTime<Utc>,
) -> OpsResult<i64> {
    import::authorize(actor)?;
    let name: String = file_name.trim().chars().filter(|c| !c.is_control()).take(200).collect();
    let content_type: String = content_type.chars().take(200).collect();
    Ok(store.save_upload(actor.id, kind_code(kind), &name, &content_type, bytes, now).await?)
}

/// The actor's own, unexpired upload with its file; anything else is not found.
pub async fn get(store: &Store, actor: &Actor, id: i64, now: DateTime<Utc>) -> OpsResult<Pending> {
    import::authorize(actor)?;
    let found = store.upload(id, actor.id).await?.filter(|u| alive(u, now));
    let upload = found.ok_or(OpsError::NotFound)?;
    pending(upload)
}

/// The actor's own, unexpired upload without its file (it may be tens of
/// megabytes): what showing the stored preview needs.
pub async fn get_preview(store: &Store, actor: &Actor, id: i64, now: DateTime<Utc>) -> OpsResult<Pending> {
    import::authorize(actor)?;
    let found = store.upload_preview(id, actor.id).await?.filter(|u| alive(u, now));
    let upload = found.ok_or(OpsError::NotFound)?;
    pending(upload)
}

/// Used within [`lifetime`]: uploaded, or its import heard from, since.
fn alive(upload: &PendingUpload, now: DateTime<Utc>) -> bool {
    let last_used =
        upload.run.as_ref().and_then(|r| r.heartbeat_at).map_or(upload.created_at, |at| at.max(upload.created_at));
    last_used > now - lifetime()
}

fn pending(u: PendingUpload) -> OpsResult<Pending> {
    let kind = parse_kind(&u.kind).ok_or(OpsError::NotFound)?;
    let mapping = u.mapping.as_deref().and_then(|json| decode_mapping(kind, json));
    // A preview stored by another version that no longer parses is
    // computed again, like a missing one.
    let preview = u.preview.as_deref().and_then(|json| serde_json::from_str(json).ok());
    Ok(Pending {
        id: u.id,
        kind,
        file_name: u.file_name,
        content_type: u.content_type,
        bytes: u.bytes,
        mapping,
        preview,
        run: u.run,
    })
}

fn encode_mapping(pairs: &[(usize, Field)]) -> OpsResult<String> {
    Ok(serde_json::to_string(&pairs.iter().map(|(i, f)| (*i, f.as_str())).collect::<Vec<_>>())
        .map_err(anyhow::Error::from)?)
}

/// Remembers the mapping chosen in the preview.
pub async fn set_mapping(store: &Store, actor: &Actor, id: i64, pairs: &[(usize, Field)]) -> OpsResult<()> {
    import::authorize(actor)?;
    let json = encode_mapping(pairs)?;
    if store.set_upload_mapping(id, actor.id, &json).await? { Ok(()) } else { Err(OpsError::NotFound) }
}

/// Stores a preview and the mapping it was made with (`None`: detected).
pub async fn set_preview(
    store: &Store,
    actor: &Actor,
    id: i64,
    mapping: Option<&[(usize, Field)]>,
    preview: &Preview,
) -> OpsResult<()> {
    import::authorize(actor)?;
    let mapping = mapping.map(encode_mapping).transpose()?;
    let json = serde_json::to_string(preview).map_err(anyhow::Error::from)?;
    if store.set_upload_preview(id, actor.id, mapping.as_deref(), &json).await? {
        Ok(())
    } else {
        Err(OpsError::NotFound)
    }
}

/// Bad rows and duplicates a preview keeps (the page shows this many; the
/// CLI and the API list them all).
pub const PREVIEW_PROBLEMS: usize = 500;
/// Data rows a preview keeps as a sample, and sample values per column.
pub const SAMPLE_ROWS: usize = 5;
const SAMPLE_VALUES: usize = 3;

/// The options the preview's dry run used, as the form shows them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choices {
    pub partial: bool,
    pub update: bool,
    pub partner: String,
}

impl Choices {
    /// The options of an import made with these choices.
    pub fn options(&self, today: chrono::NaiveDate) -> ImportOptions {
        let mut options = ImportOptions::new(today);
        options.partial = self.partial;
        options.on_duplicate = if self.update { OnDuplicate::Update } else { OnDuplicate::Skip };
        options.partner = Some(self.partner.trim().to_owned()).filter(|p| !p.is_empty());
        options
    }
}

/// Why the columns cannot be imported as mapped (for the page to word).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MappingProblem {
    /// Each entry lists field codes of which one must be mapped.
    MissingColumns(Vec<Vec<String>>),
    /// A field code mapped to two columns.
    MappedTwice(String),
    Other(String),
}

impl From<&MappingError> for MappingProblem {
    fn from(e: &MappingError) -> Self {
        match e {
            MappingError::MissingColumns(missing) => MappingProblem::MissingColumns(
                missing.iter().map(|any_of| any_of.iter().map(|f| f.as_str().to_owned()).collect()).collect(),
            ),
            MappingError::FieldMappedTwice(f) => MappingProblem::MappedTwice(f.as_str().to_owned()),
            other => MappingProblem::Other(other.to_string()),
        }
    }
}

/// What the preview page shows of an upload: the columns as read and mapped,
/// a sample, and what importing would do (a dry run of the good rows).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Preview {
    pub headers: Vec<String>,
    /// Per column, the field code it is mapped to ("" for none).
    pub mapping: Vec<String>,
    /// Per column, up to three values joined with ` · `.
    pub samples: Vec<String>,
    /// The first rows: (row number, cells under the headers).
    pub sample_rows: Vec<(usize, Vec<String>)>,
    /// Data rows read.
    pub rows: usize,
    /// Why the mapping cannot be imported; then there is no report.
    pub problem: Option<MappingProblem>,
    /// The dry run, with at most [`PREVIEW_PROBLEMS`] errors and warnings.
    pub report: Option<ImportReport>,
    /// Errors in the dry run, listed or not.
    pub errors_total: usize,
    pub choices: Choices,
}

/// Reads the upload with `mapping` (the detected one when `None`, or when
/// the chosen one no longer fits the file — then `problem` says why) and
/// dry-runs the good rows with `choices`. The file is read off the async
/// workers. Errors: the file cannot be read at all (`ImportError::File`),
/// or the database failed.
pub async fn compute_preview(
    store: &Store,
    actor: &Actor,
    kind: ImportKind,
    upload: Arc<OwnedUpload>,
    mapping: Option<Vec<(usize, Field)>>,
    choices: Choices,
    progress: Progress<'_>,
) -> Result<Preview, ImportError> {
    import::authorize(actor)?;
    let (prepared, fallback) = tokio::task::spawn_blocking(move || {
        let chosen = import::prepare(kind, upload.as_upload(), mapping.as_deref());
        match chosen {
            Err(ImportError::Mapping(e)) => {
                import::prepare(kind, upload.as_upload(), None).map(|p| (p, Some(MappingProblem::from(&e))))
            }
            other => other.map(|p| (p, None)),
        }
    })
    .await
    .map_err(|e| OpsError::Other(e.into()))??;
    let headers: Vec<String> = prepared.headers.iter().map(|h| shown(h)).collect();
    let width = headers.len();
    let preview_mapping =
        (0..width).map(|i| prepared.mapping.field_at(i).map_or("", |f| f.as_str()).to_owned()).collect();
    let samples = (0..width)
        .map(|i| {
            let values = prepared.head.iter().map(|r| r.get(i).display()).filter(|s| !s.is_empty()).take(SAMPLE_VALUES);
            values.map(|v| shown(&v)).collect::<Vec<_>>().join(" · ")
        })
        .collect();
    let sample_rows = prepared
        .head
        .iter()
        .take(SAMPLE_ROWS)
        .map(|r| (r.number, (0..width).map(|i| shown(&r.get(i).display())).collect()))
        .collect();
    let problem = fallback.or_else(|| prepared.mapping.check(kind).err().map(|e| MappingProblem::from(&e)));
    let mut preview = Preview {
        headers,
        mapping: preview_mapping,
        samples,
        sample_rows,
        // Counted by the dry run below, or else here.
        rows: 0,
        problem,
        report: None,
        errors_total: 0,
        choices,
    };
    if preview.problem.is_none() {
        let mut options = preview.choices.options(store.today());
        options.dry_run = true;
        options.partial = true;
        let importer = Importer::user(actor.clone());
        let report = import::run(store, &importer, prepared, &options, progress).await?;
        preview.rows = report.rows;
        let (report, errors_total) = cut(report);
        preview.errors_total = errors_total;
        preview.report = Some(report);
    } else {
        let count = tokio::task::spawn_blocking(move || prepared.count_rows());
        preview.rows = count.await.map_err(|e| OpsError::Other(e.into()))??;
    }
    Ok(preview)
}

/// The report with at most [`PREVIEW_PROBLEMS`] errors and warnings (what
/// the pages show; the CLI and the API list them all), and its errors in all.
fn cut(mut report: ImportReport) -> (ImportReport, usize) {
    let errors_total = report.errors.len();
    report.errors.truncate(PREVIEW_PROBLEMS);
    report.warnings_omitted += report.warnings.len().saturating_sub(PREVIEW_PROBLEMS);
    report.warnings.truncate(PREVIEW_PROBLEMS);
    (report, errors_total)
}

/// Reads the upload again with `mapping` and `choices` ([`compute_preview`])
/// and stores the preview, with the mapping for reloads (see [`remembered`]).
pub async fn refresh_preview(
    store: &Store,
    actor: &Actor,
    pending: &Pending,
    upload: Arc<OwnedUpload>,
    mapping: Option<Vec<(usize, Field)>>,
    choices: Choices,
    progress: Progress<'_>,
) -> Result<Preview, ImportError> {
    let preview = compute_preview(store, actor, pending.kind, upload, mapping.clone(), choices, progress).await?;
    let remembered = remembered(&preview, pending, mapping);
    set_preview(store, actor, pending.id, remembered.as_deref(), &preview).await?;
    Ok(preview)
}

/// The mapping to remember with a preview made with `mapping`: that one,
/// unless the file cannot take it (the preview fell back to the detected
/// one); one that only leaves a required column out is remembered.
fn remembered(
    preview: &Preview,
    pending: &Pending,
    mapping: Option<Vec<(usize, Field)>>,
) -> Option<Vec<(usize, Field)>> {
    let fell_back = matches!(preview.problem, Some(MappingProblem::MappedTwice(_) | MappingProblem::Other(_)));
    if fell_back { pending.mapping.clone() } else { mapping }
}

/// What a check ends with, once it is stored: the preview, or why there is none.
pub type Checked = Result<Preview, ImportError>;

/// Starts the preview's check of the upload in the background: the dry run
/// of [`compute_preview`] with `mapping` and `choices`, its counters shown
/// like an import's ([`RunState::Running`] with `checking`), and then the
/// preview stored, or why the file cannot be read. The task holds `slot`
/// until the check ends. The receiver gets the outcome once it is stored,
/// so a page may wait for a short check and answer with its result. With
/// [`FileStored::AfterCheck`] the upload was saved without its file, which
/// is stored with the preview: a file that cannot be read is never written.
/// `None`: nothing started, because a check or an import of the upload is
/// running (another click, another server) or it was imported.
#[allow(clippy::too_many_arguments)]
pub async fn start_check(
    store: &Store,
    actor: &Actor,
    slot: ImportSlot,
    pending: &Pending,
    upload: Arc<OwnedUpload>,
    file: FileStored,
    mapping: Option<Vec<(usize, Field)>>,
    choices: Choices,
) -> OpsResult<Option<tokio::sync::oneshot::Receiver<Checked>>> {
    import::authorize(actor)?;
    let now = Utc::now();
    if !store.claim_upload_run(pending.id, actor.id, CHECKING, now, now - stale_after()).await? {
        return Ok(None);
    }
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let watch = slot.watch(pending.id);
    let counters = watch.counters().clone();
    let (store, actor, pending) = (store.clone(), actor.clone(), pending.clone());
    tokio::spawn(async move {
        let id = pending.id;
        let reporter = Reporter::start(store.clone(), id, counters.clone());
        let unsaved = (file == FileStored::AfterCheck).then(|| upload.clone());
        let work = {
            let (store, kind, mapping) = (store.clone(), pending.kind, mapping.clone());
            tokio::spawn(async move {
                let progress = move |stage: Stage, done: u64, total: u64| counters.record(stage, done, total);
                compute_preview(&store, &actor, kind, upload, mapping, choices, &progress).await
            })
        };
        // A panic in the check ends it as failed, not "checking" until stale.
        let checked = work.await.unwrap_or_else(|err| Err(ImportError::Ops(OpsError::Other(err.into()))));
        reporter.stop().await;
        drop(slot);
        let stored = match &checked {
            Ok(preview) => {
                let file = unsaved.as_ref().map(|upload| &upload.bytes[..]);
                store_check(&store, &pending, mapping, preview, file).await
            }
            Err(err) => {
                finish(&store, id, &check_failure(err)).await;
                Ok(())
            }
        };
        drop(watch);
        let checked = match stored {
            Ok(()) => checked,
            Err(err) => Err(ImportError::Ops(err)),
        };
        // The page may have stopped waiting; the outcome is stored either way.
        let _ = sender.send(checked);
    });
    Ok(Some(receiver))
}

/// How long a page waits for a check it started before it sends the
/// browser to the check's progress page instead of a request that spins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckWait {
    /// Files up to this size are waited for however long they take: the
    /// answer is the preview, or why the file cannot be read.
    pub whole_up_to_bytes: usize,
    /// How long a larger file's check is waited for.
    pub larger: std::time::Duration,
}

impl Default for CheckWait {
    fn default() -> Self {
        CheckWait { whole_up_to_bytes: 1024 * 1024, larger: std::time::Duration::from_millis(1500) }
    }
}

impl CheckWait {
    /// How long to wait for the check of a file of `bytes`; `None`: until it ends.
    pub fn for_file(&self, bytes: usize) -> Option<std::time::Duration> {
        (bytes > self.whole_up_to_bytes).then_some(self.larger)
    }
}

/// The stored `run_status` of a running check.
const CHECKING: &str = "checking";
/// The stored `run_status` of a running import.
const RUNNING: &str = "running";

/// Where a checked upload's file is when the check starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileStored {
    /// Saved with the upload (a check with other columns or options).
    Already,
    /// Saved without it (just uploaded): stored once the check has read it.
    AfterCheck,
}

/// Stores a check's preview (and `file`, if not stored yet) and ends the check.
async fn store_check(
    store: &Store,
    pending: &Pending,
    mapping: Option<Vec<(usize, Field)>>,
    preview: &Preview,
    file: Option<&[u8]>,
) -> OpsResult<()> {
    let remembered = remembered(preview, pending, mapping);
    let mapping = remembered.as_deref().map(encode_mapping).transpose()?;
    let json = serde_json::to_string(preview).map_err(anyhow::Error::from)?;
    store.finish_upload_check(pending.id, mapping.as_deref(), &json, file, Utc::now()).await?;
    Ok(())
}

/// How a check that made no preview is stored: a file that cannot be read
/// is refused (its page says why); anything else failed.
fn check_failure(err: &ImportError) -> RunOutcome {
    match err {
        ImportError::File(e) => unreadable(e),
        ImportError::Ops(OpsError::Other(err)) => {
            tracing::error!(error = %err, "a preview's check failed");
            RunOutcome::Failed { detail: None }
        }
        other => RunOutcome::Failed { detail: Some(other.to_string()) },
    }
}

fn unreadable(e: &crate::io::ReadError) -> RunOutcome {
    let params = e.params().into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    RunOutcome::Refused {
        problem: FileProblem::Unreadable { code: e.code().to_owned(), params, message: e.to_string() },
    }
}

/// A cell or header as the preview shows it: cut to 100 characters, enough
/// to recognise it (the stored preview stays small whatever the file holds).
fn shown(text: &str) -> String {
    const SHOWN_CHARS: usize = 100;
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// An upload's bytes and labels, owned (to be read on another thread).
#[derive(Clone, Debug)]
pub struct OwnedUpload {
    pub bytes: bytes::Bytes,
    pub file_name: String,
    pub content_type: String,
}

impl OwnedUpload {
    pub fn as_upload(&self) -> import::Upload<'_> {
        import::Upload {
            bytes: self.bytes.clone(),
            file_name: Some(&self.file_name),
            content_type: Some(&self.content_type).filter(|c| !c.is_empty()).map(String::as_str),
        }
    }
}

/// Where an import started from the page stands, or the preview's check.
#[derive(Clone, Debug)]
pub enum RunState {
    Running(RunProgress),
    /// Its server stopped before the import (or check) ended (no heartbeat
    /// for [`stale_after`]). The import is one transaction, so nothing was written.
    Interrupted,
    Ended(RunOutcome),
}

/// A running import's counts, or a running check's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunProgress {
    /// The preview's check of the file ([`start_check`]), not the import.
    pub checking: bool,
    /// `None` while the file is read, before the first rows are checked.
    pub stage: Option<Stage>,
    pub rows_done: u64,
    /// Rows in the stage: an estimate until a CSV file is read to its end.
    pub rows_total: u64,
    pub started_at: DateTime<Utc>,
}

/// How an import started from the page ended (stored as JSON).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RunOutcome {
    /// Written (the good rows, with `partial`). The report lists at most
    /// [`PREVIEW_PROBLEMS`] bad cells of `errors_total`.
    Imported { report: ImportReport, errors_total: usize },
    /// Bad rows without `partial`: nothing written. The upload's preview was
    /// computed again with this import's mapping and choices.
    Rejected { report: ImportReport, errors_total: usize },
    /// The file could not be read, or not with the chosen columns: nothing written.
    Refused { problem: FileProblem },
    /// The import could not run: nothing written. `detail`: what was wrong
    /// with the request, if it was (a server error is logged, not shown).
    Failed { detail: Option<String> },
}

impl RunOutcome {
    /// Whether the upload's file is still of use: not once imported, nor
    /// when it cannot be read.
    fn keeps_file(&self) -> bool {
        !matches!(self, RunOutcome::Imported { .. } | RunOutcome::Refused { problem: FileProblem::Unreadable { .. } })
    }

    /// The stored `run_status`.
    fn status(&self) -> &'static str {
        match self {
            RunOutcome::Imported { .. } => "imported",
            RunOutcome::Rejected { .. } | RunOutcome::Refused { .. } => "rejected",
            RunOutcome::Failed { .. } => "failed",
        }
    }
}

/// Why a file was refused when the import ran, for the page to word.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FileProblem {
    /// An `io::ReadError`: its code, its parameters and its English text.
    Unreadable { code: String, params: Vec<(String, String)>, message: String },
    /// The columns as mapped; the preview shows the detected mapping again.
    Columns { problem: MappingProblem },
}

fn stage_code(stage: Stage) -> &'static str {
    match stage {
        Stage::Checking => "checking",
        Stage::Writing => "writing",
    }
}

fn stage_of(code: &str) -> Option<Stage> {
    match code {
        "checking" => Some(Stage::Checking),
        "writing" => Some(Stage::Writing),
        _ => None,
    }
}

/// The state of a stored run: `live` are the counters of this process, if
/// it runs the import (fresher than the stored ones, and on SQLite the only
/// ones until the import commits); otherwise a run not heard from for
/// [`stale_after`] was interrupted.
pub fn run_state(run: &UploadRun, live: Option<&LiveProgress>, now: DateTime<Utc>) -> RunState {
    let checking = run.status == CHECKING;
    if run.status != RUNNING && !checking {
        // An outcome another version wrote and this one cannot read still ended.
        let outcome = run.outcome.as_deref().and_then(|json| serde_json::from_str(json).ok());
        return RunState::Ended(outcome.unwrap_or(RunOutcome::Failed { detail: None }));
    }
    let started_at = run.started_at.unwrap_or(now);
    if let Some(live) = live {
        let (stage, rows_done, rows_total) = live.snapshot();
        return RunState::Running(RunProgress { checking, stage, rows_done, rows_total, started_at });
    }
    if run.heartbeat_at.is_none_or(|at| at < now - stale_after()) {
        return RunState::Interrupted;
    }
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    RunState::Running(RunProgress {
        checking,
        stage: run.stage.as_deref().and_then(stage_of),
        rows_done: count(run.rows_done),
        rows_total: count(run.rows_total).max(count(run.rows_done)),
        started_at,
    })
}

/// Starts importing the upload (`pending` with its file taken out as
/// `upload`) in the background with `mapping` and `choices`, and returns.
/// The task holds `slot` until the import ends, so the server's import
/// limits count it, and shows its counters to this process until its
/// outcome is stored. False: nothing started, because the upload's import
/// is running already (another click, another server) or was applied.
pub async fn start_import(
    store: &Store,
    actor: &Actor,
    slot: ImportSlot,
    pending: Pending,
    upload: Arc<OwnedUpload>,
    mapping: Option<Vec<(usize, Field)>>,
    choices: Choices,
) -> OpsResult<bool> {
    import::authorize(actor)?;
    let now = Utc::now();
    if !store.claim_upload_run(pending.id, actor.id, RUNNING, now, now - stale_after()).await? {
        return Ok(false);
    }
    let watch = slot.watch(pending.id);
    let counters = watch.counters().clone();
    let (store, actor) = (store.clone(), actor.clone());
    tokio::spawn(async move {
        let id = pending.id;
        let reporter = Reporter::start(store.clone(), id, counters.clone());
        // Its own task, so that a panic in the import ends the run as failed
        // instead of leaving it "running" until it looks stale.
        let work = tokio::spawn(import_upload(store.clone(), actor, pending, upload, mapping, choices, counters));
        let outcome = work.await.unwrap_or_else(|err| {
            tracing::error!(error = %err, upload = id, "a page import stopped");
            RunOutcome::Failed { detail: None }
        });
        reporter.stop().await;
        // The import's memory is freed: its place goes to the next one now,
        // and the person's next upload is not refused while this one's
        // outcome is stored. The counters stay shown until then, so the run
        // never looks stopped in between.
        drop(slot);
        finish(&store, id, &outcome).await;
        drop(watch);
    });
    Ok(true)
}

/// The task that stores a run's counters (and so its heartbeat) every
/// [`PROGRESS_EVERY`]. It is stopped between two writes, never inside one:
/// a transaction's `BEGIN` cut short can leave SQLite's write lock held by
/// a pooled connection, and every later write then fails as busy. Dropped
/// without [`Reporter::stop`] (its holder unwinds), it still ends after its
/// current write.
struct Reporter {
    stop: tokio::sync::watch::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Reporter {
    fn start(store: Store, id: i64, counters: Arc<LiveProgress>) -> Reporter {
        let (stop, stopped) = tokio::sync::watch::channel(());
        Reporter { stop, task: tokio::spawn(report_progress(store, id, counters, stopped)) }
    }

    /// Ends the task, once its write in progress (if any) is done.
    async fn stop(self) {
        let Reporter { stop, task } = self;
        drop(stop);
        if let Err(err) = task.await {
            tracing::warn!(error = %err, "an import's progress task failed");
        }
    }
}

/// Stores the counters every [`PROGRESS_EVERY`] until `stopped` says so. A
/// write that would wait for another writer is skipped: on SQLite the
/// import itself holds the write lock until it commits.
async fn report_progress(
    store: Store,
    id: i64,
    counters: Arc<LiveProgress>,
    mut stopped: tokio::sync::watch::Receiver<()>,
) {
    let mut tick = tokio::time::interval(PROGRESS_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            // The sender is dropped to stop.
            _ = stopped.changed() => return,
        }
        let (stage, done, total) = counters.snapshot();
        let (done, total) = (i64::try_from(done).unwrap_or(i64::MAX), i64::try_from(total).unwrap_or(i64::MAX));
        let stage = stage.map(stage_code);
        if let Err(err) = store.try_record_upload_progress(id, stage, done, total, Utc::now()).await {
            tracing::warn!(error = %err, upload = id, "could not store an import's progress");
        }
    }
}

/// Stores how the run ended. Retried for a while: a run left "running"
/// would read as interrupted, and an applied import must not.
async fn finish(store: &Store, id: i64, outcome: &RunOutcome) {
    let json = match serde_json::to_string(outcome) {
        Ok(json) => json,
        Err(err) => {
            tracing::error!(error = %err, upload = id, "could not encode an import's outcome");
            return;
        }
    };
    for attempt in 1..=10u64 {
        match store.finish_upload_run(id, outcome.status(), &json, outcome.keeps_file(), Utc::now()).await {
            Ok(()) => return,
            Err(err) => {
                tracing::warn!(error = %err, upload = id, attempt, "could not store an import's outcome");
                tokio::time::sleep(std::time::Duration::from_secs(attempt)).await;
            }
        }
    }
}

/// The import itself, as the page's confirm ran it before it ran in the
/// background: a refused file is previewed again with the choices made.
async fn import_upload(
    store: Store,
    actor: Actor,
    pending: Pending,
    upload: Arc<OwnedUpload>,
    mapping: Option<Vec<(usize, Field)>>,
    choices: Choices,
    counters: Arc<LiveProgress>,
) -> RunOutcome {
    let progress = move |stage: Stage, done: u64, total: u64| counters.record(stage, done, total);
    let options = choices.options(store.today());
    let importer = Importer::user(actor.clone());
    let (kind, file, chosen) = (pending.kind, upload.clone(), mapping.clone());
    let prepared = tokio::task::spawn_blocking(move || import::prepare(kind, file.as_upload(), chosen.as_deref()))
        .await
        .map_err(|e| ImportError::Ops(OpsError::Other(e.into())))
        .and_then(|prepared| prepared);
    let result = match prepared {
        Ok(prepared) => import::run(&store, &importer, prepared, &options, &progress).await,
        Err(e) => Err(e),
    };
    let again = |mapping: Option<Vec<(usize, Field)>>| {
        let (store, actor, pending, upload, choices) = (&store, &actor, &pending, upload.clone(), choices.clone());
        let progress = &progress;
        async move {
            if let Err(err) = refresh_preview(store, actor, pending, upload, mapping, choices, progress).await {
                tracing::warn!(error = %err, upload = pending.id, "could not preview a refused import again");
            }
        }
    };
    match result {
        Ok(report) if report.status == ImportStatus::Rejected => {
            again(mapping).await;
            let (report, errors_total) = cut(report);
            RunOutcome::Rejected { report, errors_total }
        }
        Ok(report) => {
            let (report, errors_total) = cut(report);
            RunOutcome::Imported { report, errors_total }
        }
        Err(ImportError::File(e)) => unreadable(&e),
        Err(ImportError::Mapping(e)) => {
            again(None).await;
            RunOutcome::Refused { problem: FileProblem::Columns { problem: MappingProblem::from(&e) } }
        }
        Err(ImportError::Ops(e)) => failed(e),
        Err(e @ ImportError::Busy(_)) => RunOutcome::Failed { detail: Some(e.to_string()) },
    }
}

/// A failure as the page may show it: what was wrong with the request, or
/// nothing for the server's own errors (logged instead).
fn failed(err: OpsError) -> RunOutcome {
    match err {
        OpsError::Invalid { .. } | OpsError::Conflict(_) | OpsError::Forbidden | OpsError::NotFound => {
            RunOutcome::Failed { detail: Some(err.to_string()) }
        }
        err => {
            tracing::error!(error = %err, "a page import failed");
            RunOutcome::Failed { detail: None }
        }
    }
}

/// Drops the upload (the user cancelled).
pub async fn discard(store: &Store, actor: &Actor, id: i64) -> OpsResult<()> {
    Ok(store.delete_upload(id, actor.id).await?)
}

fn decode_mapping(kind: ImportKind, json: &str) -> Option<Vec<(usize, Field)>> {
    let pairs: Vec<(usize, String)> = serde_json::from_str(json).ok()?;
    pairs.into_iter().map(|(i, code)| Some((i, field_from_code(kind, &code)?))).collect()
}

/// Housekeeping: uploads unused for [`lifetime`].
pub async fn prune(store: &Store, now: DateTime<Utc>) -> OpsResult<u64> {
    Ok(store.prune_uploads(now - lifetime()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mappings_round_trip_and_reject_foreign_fields() {
        let json = r#"[[0,"name"],[3,"phone"]]"#;
        assert_eq!(decode_mapping(ImportKind::Customers, json), Some(vec![(0, Field::Name), (3, Field::Phone)]));
        assert_eq!(decode_mapping(ImportKind::Interactions, json), None, "phone is not an interaction field");
        assert_eq!(decode_mapping(ImportKind::Customers, "garbage"), None);
    }

    fn running(heartbeat_secs_ago: i64, now: DateTime<Utc>) -> UploadRun {
        UploadRun {
            status: "running".to_owned(),
            stage: Some("writing".to_owned()),
            rows_done: 4_000,
            rows_total: 10_000,
            started_at: Some(now - Duration::seconds(90)),
            heartbeat_at: Some(now - Duration::seconds(heartbeat_secs_ago)),
            outcome: None,
        }
    }

    #[test]
    fn a_run_not_heard_from_for_a_minute_was_interrupted() {
        let now = Utc::now();
        let RunState::Running(progress) = run_state(&running(1, now), None, now) else { panic!("running") };
        assert_eq!((progress.stage, progress.rows_done, progress.rows_total), (Some(Stage::Writing), 4_000, 10_000));
        assert_eq!(progress.started_at, now - Duration::seconds(90));
        assert!(matches!(run_state(&running(59, now), None, now), RunState::Running(_)));
        assert!(matches!(run_state(&running(61, now), None, now), RunState::Interrupted));
        let never = UploadRun { heartbeat_at: None, ..running(0, now) };
        assert!(matches!(run_state(&never, None, now), RunState::Interrupted));
    }

    #[test]
    fn a_check_runs_and_stops_like_an_import() {
        let now = Utc::now();
        let check = UploadRun { status: CHECKING.to_owned(), stage: Some("checking".to_owned()), ..running(1, now) };
        let RunState::Running(progress) = run_state(&check, None, now) else { panic!("running") };
        assert!(progress.checking);
        assert_eq!((progress.stage, progress.rows_done), (Some(Stage::Checking), 4_000));
        let RunState::Running(import) = run_state(&running(1, now), None, now) else { panic!("running") };
        assert!(!import.checking);
        let stale = UploadRun { heartbeat_at: Some(now - Duration::seconds(61)), ..check };
        assert!(matches!(run_state(&stale, None, now), RunState::Interrupted));
    }

    #[test]
    fn small_files_are_waited_for_and_large_ones_briefly() {
        let wait = CheckWait::default();
        assert_eq!(wait.for_file(0), None);
        assert_eq!(wait.for_file(1024 * 1024), None);
        assert_eq!(wait.for_file(1024 * 1024 + 1), Some(std::time::Duration::from_millis(1500)));
    }

    #[test]
    fn a_file_is_kept_while_it_may_still_be_imported() {
        let unreadable = RunOutcome::Refused {
            problem: FileProblem::Unreadable {
                code: "file_empty".to_owned(),
                params: Vec::new(),
                message: String::new(),
            },
        };
        assert!(!unreadable.keeps_file());
        let columns =
            RunOutcome::Refused { problem: FileProblem::Columns { problem: MappingProblem::Other("x".into()) } };
        assert!(columns.keeps_file(), "another mapping may import it");
        assert!(RunOutcome::Failed { detail: None }.keeps_file());
    }

    #[test]
    fn this_process_counters_win_over_the_stored_ones() {
        // On SQLite nothing is stored while the import holds the write lock,
        // so the heartbeat ages; the process that runs it still knows.
        let now = Utc::now();
        let live = LiveProgress::default();
        live.record(Stage::Writing, 9_000, 10_000);
        let RunState::Running(progress) = run_state(&running(600, now), Some(&live), now) else { panic!("running") };
        assert_eq!((progress.rows_done, progress.rows_total), (9_000, 10_000));
    }

    #[test]
    fn an_ended_run_shows_its_stored_outcome() {
        let now = Utc::now();
        let outcome = RunOutcome::Failed { detail: Some("partner: too long".to_owned()) };
        let ended = UploadRun {
            status: outcome.status().to_owned(),
            outcome: Some(serde_json::to_string(&outcome).unwrap()),
            ..running(3_600, now)
        };
        let state = run_state(&ended, Some(&LiveProgress::default()), now);
        assert!(matches!(state, RunState::Ended(RunOutcome::Failed { detail: Some(d) }) if d == "partner: too long"));
        let unreadable = UploadRun { outcome: Some("{".to_owned()), ..ended };
        assert!(matches!(run_state(&unreadable, None, now), RunState::Ended(RunOutcome::Failed { detail: None })));
    }
}
