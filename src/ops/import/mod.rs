//! Importing customers and follow-up records (interactions) from CSV and
//! XLSX files: the one use case behind the CLI, the API and the import page.
//!
//! The flow: [`prepare`] reads the bytes into a table and a column mapping
//! (detected, or chosen in the UI) without touching the database; [`run`]
//! parses the rows (`crate::io`), checks them against the database (owners,
//! regions, customers, duplicates), and — unless it is a dry run or a bad
//! row rejects the file — writes everything in one transaction. Every row
//! ends as exactly one of created, updated, skipped or rejected, so the four
//! counts add up to the rows read.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::authz::{self, Actor, Permission};
use super::{OpsError, OpsResult};
use crate::io::{
    ColumnMapping, CsvInput, Field, FileFormat, ImportKind, MappingError, ReadError, Row, RowError, Table, TableStream,
    WorkbookInput, stream_csv, stream_xlsx,
};
use crate::store::{Store, StoreError};

mod customers;
pub mod gate;
mod interactions;
mod keys;

pub use gate::{Busy, ImportGate, ImportSlot, LiveProgress, LiveWatch};

/// What to do with a row that is a customer already stored (or already
/// given by an earlier row of the file).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnDuplicate {
    /// Leave the stored customer as it is.
    #[default]
    Skip,
    /// Fill the row's non-blank fields onto it (adding tags, pain points and
    /// a new contact) and bump its version.
    Update,
}

impl std::str::FromStr for OnDuplicate {
    type Err = OpsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "skip" => Ok(OnDuplicate::Skip),
            "update" => Ok(OnDuplicate::Update),
            other => Err(OpsError::invalid("on_duplicate", format!("{other:?} is not skip or update"))),
        }
    }
}

impl OnDuplicate {
    pub fn as_str(self) -> &'static str {
        match self {
            OnDuplicate::Skip => "skip",
            OnDuplicate::Update => "update",
        }
    }
}

/// How an import runs.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// Validate and report; write nothing.
    pub dry_run: bool,
    /// Import the good rows even if some are bad (default: any bad row
    /// rejects the whole file).
    pub partial: bool,
    pub on_duplicate: OnDuplicate,
    /// The channel partner who supplied the list: becomes the new
    /// customers' source.
    pub partner: Option<String>,
    /// Today in Asia/Shanghai: interactions dated later are bad rows.
    pub today: NaiveDate,
    /// Customer rows read, checked and written at a time: what an import
    /// holds in memory beyond its duplicate index. The outcome is the same
    /// for any size.
    pub batch_rows: usize,
}

impl ImportOptions {
    pub fn new(today: NaiveDate) -> Self {
        ImportOptions {
            dry_run: false,
            partial: false,
            on_duplicate: OnDuplicate::Skip,
            partner: None,
            today,
            batch_rows: BATCH_ROWS,
        }
    }
}

/// Customer rows per batch by default: 10,000 rows of 14 columns take about
/// 30 MB while checked and written.
pub const BATCH_ROWS: usize = 10_000;

/// Who imports: a signed-in user (their role's rules apply), or the
/// command line's operator (no user; audited as `cli`).
#[derive(Clone, Debug)]
pub struct Importer {
    pub actor: Option<Actor>,
    /// What the audit trail records as the actor.
    pub audit_email: String,
}

impl Importer {
    /// The server operator at the command line: may assign any rep.
    pub fn operator() -> Self {
        Importer { actor: None, audit_email: "cli".to_owned() }
    }

    pub fn user(actor: Actor) -> Self {
        let audit_email = actor.email.clone();
        Importer { actor: Some(actor), audit_email }
    }

    /// The operator acting for a user (`rally import --as EMAIL`): the
    /// user's rules apply, the trail shows both.
    pub fn cli_as(actor: Actor) -> Self {
        let audit_email = format!("cli as {}", actor.email);
        Importer { actor: Some(actor), audit_email }
    }

    fn actor_id(&self) -> Option<i64> {
        self.actor.as_ref().map(|a| a.id)
    }

    /// The rep whose own customers (and the unassigned pool) bound the
    /// import; `None` for roles that see everything.
    fn rep_id(&self) -> Option<i64> {
        self.actor.as_ref().filter(|a| a.role == crate::domain::team::Role::Rep).map(|a| a.id)
    }
}

/// Why a file could not be imported at all (as opposed to bad rows).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The bytes are not a readable CSV or XLSX file.
    #[error(transparent)]
    File(#[from] ReadError),
    /// The columns do not give what the import needs.
    #[error(transparent)]
    Mapping(#[from] MappingError),
    #[error(transparent)]
    Ops(#[from] OpsError),
    /// Too many imports are running (see [`gate`]).
    #[error(transparent)]
    Busy(#[from] Busy),
}

impl From<StoreError> for ImportError {
    fn from(err: StoreError) -> Self {
        ImportError::Ops(err.into())
    }
}

/// The uploaded file (shared, not copied: a customer list may be hundreds
/// of megabytes).
#[derive(Clone, Debug)]
pub struct Upload<'a> {
    pub bytes: bytes::Bytes,
    pub file_name: Option<&'a str>,
    pub content_type: Option<&'a str>,
}

/// A file with its header read and its columns mapped; the mapping may still
/// lack required columns (the preview shows that and lets the user fix it).
/// The rows are read when the import runs ([`Prepared::rows`]), a batch at a
/// time for a CSV file.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub kind: ImportKind,
    /// As uploaded (for the import's record); may be empty.
    pub file_name: String,
    pub format: FileFormat,
    /// Header texts as in the file.
    pub headers: Vec<String>,
    /// The first data rows (at most [`HEAD_ROWS`]), for previews.
    pub head: Vec<Row>,
    pub mapping: ColumnMapping,
    source: Source,
}

/// Where [`Prepared::rows`] reads from.
#[derive(Clone, Debug)]
enum Source {
    /// A CSV file, read again as the import consumes it.
    Csv(bytes::Bytes),
    /// A CSV file on disk (the command line's), likewise: never held in memory.
    CsvFile(std::path::PathBuf),
    /// A workbook, uploaded or on disk: its first sheet read again as the
    /// import consumes it.
    Xlsx(WorkbookInput),
}

/// Rows kept in [`Prepared::head`].
pub const HEAD_ROWS: usize = 100;

impl Prepared {
    /// The data rows from the first, a batch at a time.
    pub fn rows(&self) -> Result<TableStream<'_>, ReadError> {
        match &self.source {
            Source::Csv(bytes) => stream_csv(CsvInput::Bytes(bytes)),
            Source::CsvFile(path) => stream_csv(CsvInput::File(path)),
            Source::Xlsx(input) => stream_xlsx(input.clone()),
        }
    }

    /// Counts the data rows (reads the whole file).
    pub fn count_rows(&self) -> Result<usize, ReadError> {
        let mut rows = self.rows()?;
        let mut n = 0;
        loop {
            let batch = rows.next_rows(10_000)?;
            if batch.is_empty() {
                return Ok(n);
            }
            n += batch.len();
        }
    }
}

/// Reads the file's header and first rows (format sniffed from the bytes)
/// and maps its columns: `mapping` as chosen by the user, else detected
/// from the headers. The rest of the rows are read when the import runs.
pub fn prepare(
    kind: ImportKind,
    upload: Upload<'_>,
    mapping: Option<&[(usize, Field)]>,
) -> Result<Prepared, ImportError> {
    let format = FileFormat::sniff(&upload.bytes, upload.file_name, upload.content_type)?;
    let (headers, head, source) = match format {
        FileFormat::Csv => {
            let (headers, head) = csv_head(CsvInput::Bytes(&upload.bytes))?;
            (headers, head, Source::Csv(upload.bytes.clone()))
        }
        FileFormat::Xlsx => {
            let input = WorkbookInput::Bytes(upload.bytes.clone());
            let (headers, head) = xlsx_head(input.clone())?;
            (headers, head, Source::Xlsx(input))
        }
    };
    prepared(kind, upload.file_name, format, headers, head, source, mapping)
}

/// Like [`prepare`] for a file on disk: the file is read from disk as the
/// import goes (however large, it is never held in memory).
pub fn prepare_file(
    kind: ImportKind,
    path: &std::path::Path,
    mapping: Option<&[(usize, Field)]>,
) -> Result<Prepared, ImportError> {
    use std::io::Read;
    let io_error = |e: std::io::Error| ImportError::File(ReadError::Csv(e.to_string()));
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let mut sniffed = Vec::with_capacity(8192);
    std::fs::File::open(path).and_then(|f| f.take(8192).read_to_end(&mut sniffed)).map_err(io_error)?;
    match FileFormat::sniff(&sniffed, file_name.as_deref(), None)? {
        FileFormat::Csv => {
            let (headers, head) = csv_head(CsvInput::File(path))?;
            let source = Source::CsvFile(path.to_owned());
            prepared(kind, file_name.as_deref(), FileFormat::Csv, headers, head, source, mapping)
        }
        FileFormat::Xlsx => {
            let input = WorkbookInput::File(path.to_owned());
            let (headers, head) = xlsx_head(input.clone())?;
            let source = Source::Xlsx(input);
            prepared(kind, file_name.as_deref(), FileFormat::Xlsx, headers, head, source, mapping)
        }
    }
}

/// A workbook's headers and first rows.
fn xlsx_head(input: WorkbookInput) -> Result<(Vec<String>, Vec<Row>), ReadError> {
    let mut rows = stream_xlsx(input)?;
    let head = rows.next_rows(HEAD_ROWS)?;
    Ok((rows.headers().to_vec(), head))
}

/// A CSV file's headers and first rows.
fn csv_head(input: CsvInput<'_>) -> Result<(Vec<String>, Vec<Row>), ReadError> {
    let mut rows = stream_csv(input)?;
    let head = rows.next_rows(HEAD_ROWS)?;
    Ok((rows.headers().to_vec(), head))
}

fn prepared(
    kind: ImportKind,
    file_name: Option<&str>,
    format: FileFormat,
    headers: Vec<String>,
    head: Vec<Row>,
    source: Source,
    mapping: Option<&[(usize, Field)]>,
) -> Result<Prepared, ImportError> {
    let mapping = match mapping {
        Some(pairs) => ColumnMapping::explicit(&headers, pairs)?,
        None => ColumnMapping::detect(&headers, kind),
    };
    let file_name = file_name.unwrap_or_default().chars().filter(|c| !c.is_control()).take(200).collect();
    Ok(Prepared { kind, file_name, format, headers, head, mapping, source })
}

/// `customers` / `interactions`.
pub fn kind_code(kind: ImportKind) -> &'static str {
    match kind {
        ImportKind::Customers => "customers",
        ImportKind::Interactions => "interactions",
    }
}

pub fn parse_kind(code: &str) -> Option<ImportKind> {
    match code.trim() {
        "customers" => Some(ImportKind::Customers),
        "interactions" => Some(ImportKind::Interactions),
        _ => None,
    }
}

/// The field an import of `kind` reads under this code (`name`, `phone`, …).
pub fn field_from_code(kind: ImportKind, code: &str) -> Option<Field> {
    Field::for_kind(kind).iter().copied().find(|f| f.as_str() == code)
}

/// How an import ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Written (the good rows, if `partial`).
    Imported,
    /// A dry run: the counts say what an import with the same options would do.
    DryRun,
    /// Bad rows and not `partial`: nothing was written (all counts but
    /// `rejected` are zero).
    Rejected,
}

/// A bad row (an error) or a note on a good one (a warning), pointing at
/// the spreadsheet row and column.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RowProblem {
    /// The spreadsheet row number (the header is row 1).
    pub row: usize,
    /// The column header as in the file.
    pub column: String,
    /// The field code (`name`, `annual_purchase`, `owner`, …).
    pub field: String,
    /// Stable code: errors such as `required`, `amount_negative`, `control_char`, `owner_unknown`,
    /// `region_unknown`, `duplicate_not_yours`, `customer_not_found`, `date_in_future`; warnings
    /// `duplicate_credit_code`, `duplicate_name_phone`, `duplicate_name`, `duplicate_hidden` (another
    /// rep's customer, not named), `duplicate_record`.
    pub code: String,
    /// English explanation.
    pub message: String,
    /// What the cell holds, as the file shows it ("" if the column is absent).
    pub value: String,
}

impl From<&RowError> for RowProblem {
    fn from(e: &RowError) -> Self {
        RowProblem {
            row: e.row,
            column: e.column.clone(),
            field: e.field.as_str().to_owned(),
            code: e.code.to_owned(),
            message: e.message.clone(),
            value: String::new(),
        }
    }
}

/// At most this many warnings are listed (a re-imported 100k-row file would
/// otherwise answer with 100k "already there" notes); errors are all listed.
pub const MAX_WARNINGS: usize = 1000;

/// What an import did (or, for a dry run, would do).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// `customers` or `interactions`.
    pub kind: String,
    pub status: ImportStatus,
    pub dry_run: bool,
    pub partial: bool,
    pub on_duplicate: OnDuplicate,
    /// Data rows read (blank rows are not counted).
    pub rows: usize,
    pub created: usize,
    /// Rows whose fields changed a customer that exists (or that an earlier row created).
    pub updated: usize,
    /// Duplicates left alone, and duplicates that changed nothing.
    pub skipped: usize,
    /// Bad rows.
    pub rejected: usize,
    /// Every bad cell of every bad row, in row order.
    pub errors: Vec<RowProblem>,
    /// Notes on good rows: which were duplicates, and of what.
    pub warnings: Vec<RowProblem>,
    /// Warnings beyond [`MAX_WARNINGS`] that were not listed.
    pub warnings_omitted: usize,
    /// Headers of columns that were not imported.
    pub ignored_columns: Vec<String>,
    /// The customers the file's good rows name (created, or matched among
    /// those stored), one entry a row: filled for a partner's list only
    /// (`ImportOptions::partner`), which makes them campaign members.
    #[serde(skip)]
    pub named_customers: Vec<i64>,
}

impl ImportReport {
    fn new(kind: ImportKind, options: &ImportOptions, rows: usize, ignored_columns: Vec<String>) -> Self {
        ImportReport {
            kind: kind_code(kind).to_owned(),
            status: ImportStatus::Imported,
            dry_run: options.dry_run,
            partial: options.partial,
            on_duplicate: options.on_duplicate,
            rows,
            created: 0,
            updated: 0,
            skipped: 0,
            rejected: 0,
            errors: Vec::new(),
            warnings: Vec::new(),
            warnings_omitted: 0,
            ignored_columns,
            named_customers: Vec::new(),
        }
    }

    /// Whether another warning would still be listed (so callers skip
    /// formatting the 100,001st "already there" note).
    fn wants_warning(&self) -> bool {
        self.warnings.len() < MAX_WARNINGS
    }

    fn warn(&mut self, problem: RowProblem) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(problem);
        } else {
            self.warnings_omitted += 1;
        }
    }

    /// Sorts the errors into row order and counts the bad rows.
    fn finish_errors(&mut self) {
        self.errors.sort_by_key(|e| e.row);
        let mut rows: Vec<usize> = self.errors.iter().map(|e| e.row).collect();
        rows.dedup();
        self.rejected = rows.len();
    }

    /// Whether the file is refused as a whole (bad rows, not partial).
    fn refused(&self) -> bool {
        self.rejected > 0 && !self.partial
    }

    /// Turns a refused report into the rejected answer: nothing written.
    fn reject(&mut self) {
        self.status = ImportStatus::Rejected;
        self.created = 0;
        self.updated = 0;
        self.skipped = 0;
    }
}

/// Where a long import is, for progress bars.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Checking rows against the database.
    Checking,
    /// Writing rows.
    Writing,
}

/// Receives `(stage, rows done, rows in the stage)`.
pub type Progress<'a> = &'a (dyn Fn(Stage, u64, u64) + Send + Sync);

/// A progress receiver that ignores everything.
pub fn no_progress(_: Stage, _: u64, _: u64) {}

/// Rows written per batch (and per progress tick).
const WRITE_BATCH: usize = 5_000;

/// Runs an import of a prepared file. Refuses roles that may not write
/// customers; reps import into their own book (see ARCHITECTURE.md).
pub async fn run(
    store: &Store,
    importer: &Importer,
    prepared: Prepared,
    options: &ImportOptions,
    progress: Progress<'_>,
) -> Result<ImportReport, ImportError> {
    if let Some(actor) = &importer.actor {
        authz::require(actor, Permission::WriteCustomers)?;
    }
    let report = match prepared.kind {
        ImportKind::Customers => customers::run(store, importer, prepared, options, progress).await?,
        ImportKind::Interactions => interactions::run(store, importer, prepared, options, progress).await?,
    };
    // Like the demo loader: after a bulk load the query planner's statistics
    // are stale until the hourly refresh, and segment counts may pick a poor
    // index meanwhile. The import is committed; a failure here only waits
    // for that refresh.
    if report.status == ImportStatus::Imported
        && report.created + report.updated >= REFRESH_STATISTICS_AFTER
        && let Err(err) = store.optimize().await
    {
        tracing::warn!(error = %err, "could not refresh statistics after an import; the hourly job will");
    }
    Ok(report)
}

/// Rows written from which an import refreshes the planner's statistics.
const REFRESH_STATISTICS_AFTER: usize = 1_000;

/// A problem against `field`'s column (its header if mapped, else the
/// field's Chinese label).
fn problem(
    mapping: &ColumnMapping,
    row: usize,
    field: Field,
    code: &str,
    message: String,
    value: String,
) -> RowProblem {
    let column = mapping.index_of(field).map_or(field.label_zh(), |i| mapping.header(i)).to_owned();
    RowProblem { row, column, field: field.as_str().to_owned(), code: code.to_owned(), message, value }
}

/// The text of `field`'s cell in spreadsheet row `row` ("" if unmapped),
/// cut to 100 characters: enough to recognise it in a report.
fn cell_value(tables: &[Table], mapping: &ColumnMapping, row: usize, field: Field) -> String {
    let Some(index) = mapping.index_of(field) else { return String::new() };
    let found = tables.iter().find_map(|t| {
        let at = t.rows.binary_search_by_key(&row, |r| r.number).ok()?;
        Some(t.rows[at].get(index).display().into_owned())
    });
    let text = found.unwrap_or_default();
    if text.chars().count() > 100 { format!("{}…", text.chars().take(100).collect::<String>()) } else { text }
}

/// Splits a table into up to `parts` tables of consecutive rows (at least
/// `min_rows` each), moving the rows rather than copying them.
fn split_table(table: Table, parts: usize, min_rows: usize) -> Vec<Table> {
    let parts = parts.min(table.rows.len() / min_rows.max(1)).max(1);
    let Table { headers, header_row, mut rows } = table;
    let size = rows.len().div_ceil(parts);
    let mut out = Vec::with_capacity(parts);
    while rows.len() > size {
        let tail = rows.split_off(size);
        out.push(Table { headers: headers.clone(), header_row, rows });
        rows = tail;
    }
    out.push(Table { headers, header_row, rows });
    out
}

/// Records an applied import: its row in `imports` and one audit record
/// with the counts and the ids it created (as ranges).
async fn record(
    tx: &mut crate::store::Tx,
    importer: &Importer,
    kind: ImportKind,
    file_name: &str,
    report: &ImportReport,
    created_ids: &[i64],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<i64, ImportError> {
    use crate::store::import::{ImportRun, id_ranges, record_import};
    let run = ImportRun {
        kind: kind_code(kind),
        actor_id: importer.actor_id(),
        actor_email: &importer.audit_email,
        file_name,
        rows: report.rows,
        created: report.created,
        updated: report.updated,
        skipped: report.skipped,
        rejected: report.rejected,
    };
    let object = match kind {
        ImportKind::Customers => CUSTOMER_IDS,
        ImportKind::Interactions => INTERACTION_IDS,
    };
    let summary = serde_json::json!({
        "kind": run.kind, "file_name": run.file_name, "rows": run.rows, "created": run.created,
        "updated": run.updated, "skipped": run.skipped, "rejected": run.rejected, "partial": report.partial,
        "on_duplicate": report.on_duplicate, object: id_ranges(created_ids),
    });
    Ok(record_import(tx, &run, summary, now).await?)
}

/// Where an import's audit record lists the ids it created.
const CUSTOMER_IDS: &str = "customer_ids";
const INTERACTION_IDS: &str = "interaction_ids";

/// The key of an import record's created ids for an audited object type.
pub fn created_ids_key(object_type: &str) -> Option<&'static str> {
    match object_type {
        "customer" => Some(CUSTOMER_IDS),
        "interaction" => Some(INTERACTION_IDS),
        _ => None,
    }
}

/// Frees large working sets on another thread: dropping 100k rows of
/// strings takes tens of milliseconds that the caller need not wait for.
fn drop_later<T: Send + 'static>(value: T) {
    std::thread::spawn(move || drop(value));
}

/// Checks that the actor may import at all, before any file is read.
pub fn authorize(actor: &Actor) -> OpsResult<()> {
    authz::require(actor, Permission::WriteCustomers)
}
