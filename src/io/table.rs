//! Reading an uploaded CSV or XLSX file into a [`Table`] of typed cells.
//!
//! The table keeps what the file says and nothing more: CSV cells are always
//! text (typing them is the value parsers' job, which keeps credit codes and
//! phone numbers intact), XLSX cells keep Excel's typing (number, date).
//! Row numbers are the ones the user sees in Excel, so errors can point at
//! them: skipped empty rows still count.
//!
//! Uploads are untrusted: a 1 MB workbook can unpack to gigabytes, a CSV
//! line can hold millions of empty fields. Both readers stream and stop at
//! the first limit they pass ([`MAX_CELL_CHARS`] per cell, [`MAX_COLUMNS`],
//! [`MAX_ROWS`], [`MAX_CELLS`] and [`MAX_TABLE_BYTES`] for what is kept, and
//! for XLSX the bytes each zip entry may inflate to), so what a file costs
//! is bounded by the limits rather than by what it claims or contains.

use std::borrow::Cow;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike};

use super::names::trim_blank;

mod csv;
mod xlsx;

pub use csv::CsvInput;
pub use xlsx::WorkbookInput;

pub use xlsx::{MAX_PART_BYTES, MAX_SHARED_STRINGS_BYTES, MAX_SHEET_BYTES, MAX_ZIP_ENTRIES};

/// At most this many data rows are read (Excel's own sheet limit). More is
/// not a customer list but an accident or an attack.
pub const MAX_ROWS: usize = 1_048_576;
/// At most this many cells (counting empty ones left of a filled cell) are
/// kept. 100k rows × 14 columns is 1.4M.
pub const MAX_CELLS: usize = 10_000_000;
/// At most this many bytes of memory for the rows kept: their cells' text
/// and slots, and [`ROW_COST`] each for what checking the row will take.
/// This, not [`MAX_CELLS`] or [`MAX_ROWS`], is what bounds an import's
/// memory (a table of short cells would otherwise grow to gigabytes): with
/// it, two imports at once keep a server under 1 GB. A 100,000-row customer
/// list of 14 columns counts about 140 MB.
pub const MAX_TABLE_BYTES: usize = 160 * 1024 * 1024;
/// What a row costs beyond its cells once it is parsed and checked (the
/// parsed row, its duplicate keys, its plan), counted up front so that a
/// narrow file of many rows is bounded too.
pub const ROW_COST: usize = 512;
/// Excel's column limit (XFD): a wider row did not come from a spreadsheet.
pub const MAX_COLUMNS: usize = 16_384;
/// Excel's limit on a cell's text: a longer cell did not come from Excel.
pub const MAX_CELL_CHARS: usize = 32_767;

/// The two formats an upload can be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    Csv,
    Xlsx,
}

impl FileFormat {
    /// Decides the format from the content; the file name and content type
    /// only sharpen the error for formats we do not read (an `.xls` and an
    /// encrypted `.xlsx` are both OLE files, an `.ods` is a ZIP like XLSX).
    /// Browsers and users label files unreliably, so magic bytes win.
    pub fn sniff(bytes: &[u8], file_name: Option<&str>, content_type: Option<&str>) -> Result<FileFormat, ReadError> {
        let ext =
            file_name.and_then(|n| n.rsplit_once('.')).map(|(_, ext)| ext.to_ascii_lowercase()).unwrap_or_default();
        let mime = content_type.unwrap_or_default().to_ascii_lowercase();

        if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
            if ext == "ods" || mime.contains("opendocument") {
                return Err(ReadError::Unsupported("ods"));
            }
            if ext == "numbers" {
                return Err(ReadError::Unsupported("numbers"));
            }
            return Ok(FileFormat::Xlsx);
        }
        if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            // Office wraps password-protected OOXML in an OLE container too.
            return Err(if ext == "xlsx" || ext == "xlsm" || mime.contains("openxmlformats") {
                ReadError::Encrypted
            } else {
                ReadError::LegacyXls
            });
        }
        let head = &bytes[..bytes.len().min(8192)];
        let utf16 = head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]);
        let text_start = head
            .iter()
            .position(|b| !b.is_ascii_whitespace() && !matches!(b, 0xEF | 0xBB | 0xBF))
            .map_or(&[][..], |i| &head[i..]);
        if text_start.first() == Some(&b'<') {
            // Many Chinese SaaS tools export HTML tables named `.xls`; old
            // Excel offers "XML Spreadsheet 2003". Neither is a CSV.
            let lower = text_start[..text_start.len().min(1024)].to_ascii_lowercase();
            let contains = |tag: &[u8]| lower.windows(tag.len()).any(|w| w == tag);
            if contains(b"<html") || contains(b"<table") || contains(b"<!doctype") {
                return Err(ReadError::Unsupported("html"));
            }
            if contains(b"<?xml") {
                return Err(ReadError::Unsupported("xml"));
            }
        }
        // Binary files are full of control bytes; a text file with a stray
        // NUL or BEL is text, and its bad cells are reported row by row.
        let control = head.iter().filter(|&&b| matches!(b, 0..=8 | 0x0E..=0x1A | 0x1C..=0x1F)).count();
        if !utf16 && control > (head.len() / 20).max(8) {
            return Err(ReadError::Unsupported("binary"));
        }
        Ok(FileFormat::Csv)
    }
}

/// Why a file could not be read at all (as opposed to a bad row).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("the file has no header row (it is empty or has only blank rows)")]
    Empty,
    #[error("legacy Excel 97-2003 (.xls) files are not supported; save the file as .xlsx or CSV")]
    LegacyXls,
    #[error("the workbook is password-protected; remove the password and upload it again")]
    Encrypted,
    #[error("unsupported file type ({0}); upload an .xlsx or .csv file")]
    Unsupported(&'static str),
    #[error("the workbook could not be read: {0}")]
    Xlsx(String),
    #[error("the CSV file could not be read: {0}")]
    Csv(String),
    #[error("the workbook has no worksheet")]
    NoWorksheet,
    #[error("the file is too large: at most {MAX_ROWS} rows (and from a workbook {MAX_CELLS} cells) can be imported")]
    TooLarge,
    /// A zip entry inflates beyond its limit (a "zip bomb", or a workbook far
    /// larger than any customer list).
    #[error("the workbook unpacks to more than {limit_mb} MB in {part}; it is not a customer list Rally can import")]
    Unpacked { part: String, limit_mb: u64 },
    #[error("the workbook has more than {MAX_ZIP_ENTRIES} parts; it is not a customer list Rally can import")]
    TooManyParts,
    #[error("row {row} has more than {MAX_COLUMNS} columns (Excel's limit)")]
    TooManyColumns { row: usize },
    #[error("the cell in row {row}, column {column} is longer than {MAX_CELL_CHARS} characters (Excel's limit)")]
    CellTooLong { row: usize, column: String },
    #[error("mixed encodings: row {row} is not in the encoding of the rows above it; save the whole file as UTF-8")]
    MixedEncoding { row: usize },
}

impl ReadError {
    /// A stable code for the UI to localise.
    pub fn code(&self) -> &'static str {
        match self {
            ReadError::Empty => "file_empty",
            ReadError::LegacyXls => "file_legacy_xls",
            ReadError::Encrypted => "file_encrypted",
            ReadError::Unsupported(_) => "file_unsupported",
            ReadError::Xlsx(_) => "file_xlsx_invalid",
            ReadError::Csv(_) => "file_csv_invalid",
            ReadError::NoWorksheet => "file_no_worksheet",
            ReadError::TooLarge => "file_too_large",
            ReadError::Unpacked { .. } => "file_unpacks_too_large",
            ReadError::TooManyParts => "file_too_many_parts",
            ReadError::TooManyColumns { .. } => "file_too_many_columns",
            ReadError::CellTooLong { .. } => "file_cell_too_long",
            ReadError::MixedEncoding { .. } => "file_mixed_encoding",
        }
    }

    /// Values the localised text fills in (`{row}`, `{column}`, …).
    pub fn params(&self) -> Vec<(&'static str, String)> {
        match self {
            ReadError::Unpacked { part, limit_mb } => vec![("part", part.clone()), ("limit_mb", limit_mb.to_string())],
            ReadError::TooManyColumns { row } | ReadError::MixedEncoding { row } => vec![("row", row.to_string())],
            ReadError::CellTooLong { row, column } => vec![("row", row.to_string()), ("column", column.clone())],
            _ => Vec::new(),
        }
    }
}

/// The column letters Excel shows for a 0-based column index (`A`, `Z`, `AA`).
pub fn column_letters(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// One cell as the file typed it. Text is trimmed; blank text is `Empty`.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Cell {
    #[default]
    Empty,
    Text(String),
    Number(f64),
    /// An Excel date cell with no time of day.
    Date(NaiveDate),
    /// An Excel date cell with a time of day (`2025-10-10 14:00`).
    DateTime(NaiveDateTime),
    /// An Excel time-only cell (`14:00`).
    Time(NaiveTime),
    /// An Excel error value such as `#N/A` or `#REF!` (a broken formula).
    Error(String),
}

static EMPTY_CELL: Cell = Cell::Empty;

impl Cell {
    pub fn is_empty(&self) -> bool {
        matches!(self, Cell::Empty)
    }

    /// A cell from CSV text or an XLSX string: trimmed, without the
    /// apostrophe that guards a formula-like value, blank → `Empty`.
    pub(crate) fn text(s: &str) -> Cell {
        let s = trim_blank(strip_formula_guard(trim_blank(s)));
        if s.is_empty() { Cell::Empty } else { Cell::Text(s.to_owned()) }
    }

    /// How the cell would read as text, for headers and free-text fields.
    pub fn display(&self) -> Cow<'_, str> {
        match self {
            Cell::Empty => Cow::Borrowed(""),
            Cell::Text(s) | Cell::Error(s) => Cow::Borrowed(s),
            Cell::Number(n) => Cow::Owned(format_number(*n)),
            Cell::Date(d) => Cow::Owned(d.format("%Y-%m-%d").to_string()),
            Cell::DateTime(dt) => Cow::Owned(dt.format("%Y-%m-%d %H:%M").to_string()),
            Cell::Time(t) => Cow::Owned(t.format("%H:%M").to_string()),
        }
    }
}

/// The characters that make a spreadsheet read a cell as a formula.
pub(crate) const FORMULA_LEADERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Drops the apostrophe that exports (ours included, see
/// [`super::export::defuse`]) put before a value a spreadsheet would run as
/// a formula (`'=…`, `'+…`, `'-…`, `'@…`, a tab or carriage return), so an
/// exported list imports back as the same customers. One apostrophe goes
/// when the rest, past any further apostrophes, starts with such a
/// character (so `''=x` gives `'=x`); any other leading apostrophe is part
/// of the value.
pub(crate) fn strip_formula_guard(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.trim_start_matches('\'').starts_with(FORMULA_LEADERS) => rest,
        _ => s,
    }
}

/// Formats a number the way Excel's General format would show it for the
/// values that matter here: integers without `.0`.
pub(crate) fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { format!("{n}") }
}

/// A data row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Row {
    /// The row number the user sees in the spreadsheet (the header is
    /// usually row 1; blank rows are skipped but still counted).
    pub number: usize,
    /// Cells by header index; may be shorter than the header.
    pub cells: Vec<Cell>,
}

impl Row {
    /// The cell under header `index`; missing trailing cells are empty.
    pub fn get(&self, index: usize) -> &Cell {
        self.cells.get(index).unwrap_or(&EMPTY_CELL)
    }
}

/// A sheet: the header row and the non-empty rows below it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// Header texts, trimmed, as they appear in the file ("" for a blank
    /// header cell). Cells right of the last header are dropped.
    pub headers: Vec<String>,
    /// The spreadsheet row number of the header row.
    pub header_row: usize,
    pub rows: Vec<Row>,
}

/// Reads an upload into a table. Never panics; garbage gives an error or a
/// table that the parsers reject row by row.
pub fn read_table(bytes: &[u8], format: FileFormat) -> Result<Table, ReadError> {
    match format {
        FileFormat::Csv => csv::read(CsvInput::Bytes(bytes)),
        FileFormat::Xlsx => xlsx::read(bytes),
    }
}

/// Reads a CSV file, from memory or from disk, into a table (within the
/// table's limits).
pub fn read_csv(input: CsvInput<'_>) -> Result<Table, ReadError> {
    csv::read(input)
}

/// A file's rows, a batch at a time: what an import of a large file reads,
/// so that its memory follows the batch rather than the file. A CSV file is
/// read as it is consumed, a workbook's first sheet by a thread of its own
/// a few batches ahead; neither has a cap on cells or memory ([`MAX_ROWS`]
/// and, for a workbook, the sizes its parts may inflate to still apply).
pub struct TableStream<'a> {
    source: StreamSource<'a>,
    builder: TableBuilder,
}

enum StreamSource<'a> {
    /// `total`: the data rows the file holds (as counted before reading).
    Csv { records: Box<csv::Records<'a>>, total: usize },
    /// `total`: the data rows the sheet's dimension gives (0 if none).
    Xlsx {
        batches: std::sync::mpsc::Receiver<Result<xlsx::Streamed, ReadError>>,
        pending: Vec<Row>,
        ended: bool,
        total: usize,
    },
}

/// Starts reading `bytes`: reads up to and including the header row.
pub fn stream_table(bytes: &bytes::Bytes, format: FileFormat) -> Result<TableStream<'_>, ReadError> {
    match format {
        FileFormat::Csv => stream_csv(CsvInput::Bytes(bytes)),
        FileFormat::Xlsx => stream_xlsx(WorkbookInput::Bytes(bytes.clone())),
    }
}

/// Starts reading a workbook's first sheet: waits for its header row.
pub fn stream_xlsx(input: WorkbookInput) -> Result<TableStream<'static>, ReadError> {
    let batches = xlsx::stream(input)?;
    match batches.recv().map_err(|_| xlsx::reader_stopped())?? {
        xlsx::Streamed::Header { headers, header_row, rows } => {
            let mut builder = TableBuilder::new();
            builder.headers = Some(headers);
            builder.header_row = header_row;
            let source = StreamSource::Xlsx { batches, pending: Vec::new(), ended: false, total: rows };
            Ok(TableStream { source, builder })
        }
        xlsx::Streamed::Rows(_) | xlsx::Streamed::End => Err(xlsx::reader_stopped()),
    }
}

/// Starts reading a CSV file from memory or from disk: reads up to and
/// including the header row.
pub fn stream_csv(input: CsvInput<'_>) -> Result<TableStream<'_>, ReadError> {
    let mut records = csv::Records::new(input)?;
    // The header and a title above it are the only filled rows that are not data.
    let filled = records.count_filled()?;
    if filled > MAX_ROWS + 2 {
        return Err(ReadError::TooLarge);
    }
    let mut builder = TableBuilder::new();
    builder.bounded = false;
    let mut above = 0;
    while builder.headers.is_none() {
        match records.next(builder.width())? {
            Some((row, cells)) => {
                above += usize::from(cells.iter().any(|c| !c.is_empty()));
                builder.push(row, cells)?;
            }
            None => break,
        }
    }
    if builder.headers.is_none() {
        let title = builder.title_candidate.take().ok_or(ReadError::Empty)?;
        builder.set_header(title);
    }
    let total = (filled + builder.rows.len()).saturating_sub(above);
    Ok(TableStream { source: StreamSource::Csv { records: Box::new(records), total }, builder })
}

impl TableStream<'_> {
    pub fn headers(&self) -> &[String] {
        self.builder.headers.as_deref().unwrap_or_default()
    }

    /// The spreadsheet row number of the header row.
    pub fn header_row(&self) -> usize {
        self.builder.header_row
    }

    /// The next rows, at most `max` of them (at least one unless the file
    /// has ended): blank rows dropped, cells right of the last header cut.
    pub fn next_rows(&mut self, max: usize) -> Result<Vec<Row>, ReadError> {
        let max = max.max(1);
        match &mut self.source {
            StreamSource::Csv { records, .. } => {
                while self.builder.rows.len() < max {
                    match records.next(self.builder.width())? {
                        Some((row, cells)) => self.builder.push(row, cells)?,
                        None => break,
                    }
                }
                let rest = if self.builder.rows.len() > max { self.builder.rows.split_off(max) } else { Vec::new() };
                Ok(std::mem::replace(&mut self.builder.rows, rest))
            }
            StreamSource::Xlsx { batches, pending, ended, .. } => {
                while pending.len() < max && !*ended {
                    match batches.recv() {
                        Ok(Ok(xlsx::Streamed::Rows(rows))) => pending.extend(rows),
                        Ok(Ok(xlsx::Streamed::Header { .. })) => {}
                        Ok(Ok(xlsx::Streamed::End)) => *ended = true,
                        Ok(Err(e)) => {
                            *ended = true;
                            pending.clear();
                            return Err(e);
                        }
                        // Gone without saying the sheet ended: never take
                        // what came so far for the whole file.
                        Err(_) => {
                            *ended = true;
                            pending.clear();
                            return Err(xlsx::reader_stopped());
                        }
                    }
                }
                let rest = if pending.len() > max { pending.split_off(max) } else { Vec::new() };
                Ok(std::mem::replace(pending, rest))
            }
        }
    }

    /// The data rows the whole file holds: counted before reading, so a
    /// progress bar knows its end. At least `read`, the rows handed out so
    /// far (a CSV row of blank-looking cells counts as filled until read).
    pub fn estimated_rows(&self, read: usize) -> usize {
        match &self.source {
            StreamSource::Csv { total, .. } | StreamSource::Xlsx { total, .. } => (*total).max(read),
        }
    }
}

/// Collects rows, finds the header and drops blank rows, within the limits.
///
/// The header is the first non-blank row, except that a lone title cell
/// above a wider row (`客户清单` over the real headers, a common template
/// layout) is skipped.
struct TableBuilder {
    headers: Option<Vec<String>>,
    header_row: usize,
    /// A one-cell first row that may be a title rather than the header.
    title_candidate: Option<Row>,
    rows: Vec<Row>,
    cells_seen: usize,
    /// Memory held by the kept cells, as counted by [`cell_bytes`].
    bytes: usize,
    /// Rows kept so far (a stream hands them out as it goes).
    rows_seen: usize,
    /// Whether the whole-table limits apply ([`MAX_CELLS`],
    /// [`MAX_TABLE_BYTES`]); a stream keeps only a batch at a time.
    bounded: bool,
}

/// What a cell costs in memory: its slot, and its text with the
/// allocator's overhead.
fn cell_bytes(cell: &Cell) -> usize {
    let text = match cell {
        Cell::Text(s) | Cell::Error(s) => s.capacity().max(8) + 16,
        _ => 0,
    };
    std::mem::size_of::<Cell>() + text
}

impl TableBuilder {
    fn new() -> Self {
        TableBuilder {
            headers: None,
            header_row: 0,
            title_candidate: None,
            rows: Vec::new(),
            cells_seen: 0,
            bytes: 0,
            rows_seen: 0,
            bounded: true,
        }
    }

    /// The number of cells worth keeping in a row.
    fn width(&self) -> usize {
        self.headers.as_ref().map_or(MAX_COLUMNS, Vec::len)
    }

    fn push(&mut self, number: usize, mut cells: Vec<Cell>) -> Result<(), ReadError> {
        while cells.last().is_some_and(Cell::is_empty) {
            cells.pop();
        }
        if cells.is_empty() {
            return Ok(());
        }
        cells.truncate(self.width());
        let filled = cells.iter().filter(|c| !c.is_empty()).count();
        if filled == 0 {
            return Ok(());
        }
        if number > MAX_ROWS {
            return Err(ReadError::TooLarge);
        }
        if self.bounded {
            self.cells_seen += cells.len();
            self.bytes += std::mem::size_of::<Row>() + ROW_COST + cells.iter().map(cell_bytes).sum::<usize>();
            if self.cells_seen > MAX_CELLS || self.bytes > MAX_TABLE_BYTES {
                return Err(ReadError::TooLarge);
            }
        }
        if self.rows_seen >= MAX_ROWS {
            return Err(ReadError::TooLarge);
        }
        if self.headers.is_some() {
            self.rows_seen += 1;
            self.rows.push(Row { number, cells });
            return Ok(());
        }
        let row = Row { number, cells };
        match self.title_candidate.take() {
            None if filled == 1 => self.title_candidate = Some(row),
            None => self.set_header(row),
            // The lone cell above was a title: drop it.
            Some(_title) if filled >= 2 => self.set_header(row),
            Some(title) => {
                // Two narrow rows: the first was the header of a one-column
                // sheet after all.
                self.set_header(title);
                let width = self.width();
                let mut row = row;
                row.cells.truncate(width);
                self.rows_seen += 1;
                self.rows.push(row);
            }
        }
        Ok(())
    }

    fn set_header(&mut self, row: Row) {
        let mut headers: Vec<String> = row.cells.iter().map(|c| trim_blank(&c.display()).to_owned()).collect();
        while headers.last().is_some_and(String::is_empty) {
            headers.pop();
        }
        self.header_row = row.number;
        self.headers = Some(headers);
    }

    /// At the end of the file: a lone title cell with nothing below was
    /// the header after all; no header at all is an empty file.
    fn settle_header(&mut self) -> Result<(), ReadError> {
        if let Some(title) = self.title_candidate.take() {
            self.set_header(title);
        }
        if self.headers.is_none() {
            return Err(ReadError::Empty);
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Table, ReadError> {
        self.settle_header()?;
        let headers = self.headers.ok_or(ReadError::Empty)?;
        Ok(Table { headers, header_row: self.header_row, rows: self.rows })
    }
}

/// Checks a cell's length against [`MAX_CELL_CHARS`].
fn check_cell_length(text: &str, row: usize, column: usize) -> Result<(), ReadError> {
    // Byte length bounds the character count from above: count only when long.
    if text.len() > MAX_CELL_CHARS && text.chars().count() > MAX_CELL_CHARS {
        return Err(ReadError::CellTooLong { row, column: column_letters(column) });
    }
    Ok(())
}

/// An Excel date-formatted serial as a typed cell: below 1 it is a time of
/// day, a whole number is a date, anything else a date and time.
fn excel_serial_cell(serial: f64, is_1904: bool) -> Option<Cell> {
    let dt = excel_serial_to_datetime(serial, is_1904)?;
    Some(if (0.0..1.0).contains(&serial) {
        Cell::Time(dt.time())
    } else if dt.num_seconds_from_midnight() == 0 {
        Cell::Date(dt.date())
    } else {
        Cell::DateTime(dt)
    })
}

/// Converts an Excel serial date to a date and time, rounded to the second.
///
/// 1900 system: serial 1 is 1900-01-01 and Excel pretends 1900 was a leap
/// year, so serial 60 (1900-02-29) does not exist and serials from 61 on are
/// one day ahead of a plain count. 1904 system (old Mac workbooks): serial 0
/// is 1904-01-01. Out-of-range, negative and non-finite serials give `None`.
pub fn excel_serial_to_datetime(serial: f64, is_1904: bool) -> Option<NaiveDateTime> {
    // 2_958_466 is 10000-01-01, one past Excel's last date.
    if !serial.is_finite() || !(0.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let total_seconds = (serial * 86_400.0).round() as i64;
    let (days, seconds) = (total_seconds / 86_400, total_seconds % 86_400);
    let epoch = if is_1904 {
        NaiveDate::from_ymd_opt(1904, 1, 1)?
    } else if days == 60 {
        return None;
    } else if days < 60 {
        NaiveDate::from_ymd_opt(1899, 12, 31)?
    } else {
        NaiveDate::from_ymd_opt(1899, 12, 30)?
    };
    let date = epoch.checked_add_signed(TimeDelta::try_days(days)?)?;
    let time = NaiveTime::from_num_seconds_from_midnight_opt(u32::try_from(seconds).ok()?, 0)?;
    Some(date.and_time(time))
}

/// Cells stored as ISO 8601 text (`t="d"`): `2025-10-10`,
/// `2025-10-10T14:00:00`, `14:00:00`.
fn parse_iso_cell(s: &str) -> Option<Cell> {
    let s = s.trim();
    if let Ok(dt) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(if dt.num_seconds_from_midnight() == 0 {
            Cell::Date(dt.date())
        } else {
            Cell::DateTime(dt.with_nanosecond(0).unwrap_or(dt))
        });
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(Cell::Date(d));
    }
    NaiveTime::parse_from_str(s, "%H:%M:%S%.f").ok().map(|t| Cell::Time(t.with_nanosecond(0).unwrap_or(t)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(text: &str) -> Table {
        read_table(text.as_bytes(), FileFormat::Csv).expect("readable")
    }

    fn numbers(table: &Table) -> Vec<usize> {
        table.rows.iter().map(|r| r.number).collect()
    }

    #[test]
    fn sniffs_formats() {
        assert_eq!(FileFormat::sniff(b"PK\x03\x04rest", None, None), Ok(FileFormat::Xlsx));
        assert_eq!(FileFormat::sniff("名称,城市\r\n".as_bytes(), None, None), Ok(FileFormat::Csv));
        assert_eq!(FileFormat::sniff(b"", Some("a.csv"), None), Ok(FileFormat::Csv));
        let ole = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0];
        assert_eq!(FileFormat::sniff(&ole, Some("a.xls"), None), Err(ReadError::LegacyXls));
        assert_eq!(FileFormat::sniff(&ole, Some("a.XLSX"), None), Err(ReadError::Encrypted));
        assert_eq!(FileFormat::sniff(b"<html><table>", Some("export.xls"), None), Err(ReadError::Unsupported("html")));
        assert_eq!(FileFormat::sniff(b"PK\x03\x04", Some("a.ods"), None), Err(ReadError::Unsupported("ods")));
        assert_eq!(FileFormat::sniff(&[0u8, 1, 2].repeat(4), None, None), Err(ReadError::Unsupported("binary")));
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0\0\0\x01\0\x08\x06\0\0\0";
        assert_eq!(FileFormat::sniff(png, Some("a.csv"), None), Err(ReadError::Unsupported("binary")));
        assert_eq!(FileFormat::sniff("客户名称\r\n甲\0公司\r\n".as_bytes(), None, None), Ok(FileFormat::Csv));
    }

    #[test]
    fn row_numbers_stay_true_to_the_sheet() {
        let t = csv("h1,h2\r\n\r\na,b\r\n\"x\r\ny\",c\r\n,\r\n\r\nz,w\r\n\r\n");
        assert_eq!(t.headers, ["h1", "h2"]);
        assert_eq!(t.header_row, 1);
        // a,b is row 3; the quoted newline keeps "x y" on row 4; ",", row 5,
        // is empty; z,w is row 7.
        assert_eq!(numbers(&t), [3, 4, 7]);
        assert_eq!(t.rows[1].cells[0], Cell::Text("x\r\ny".into()));

        let t = csv("\n\nh\na\n\n\nb");
        assert_eq!(t.header_row, 3);
        assert_eq!(numbers(&t), [4, 7]);

        let t = csv("h1,h2\r\"multi\nline\",1\r2,3\r");
        assert_eq!(numbers(&t), [2, 3]);
    }

    #[test]
    fn delimiters_and_trimming() {
        let t = csv("名称\t城市\n A公司 \t上海\n");
        assert_eq!(t.headers, ["名称", "城市"]);
        assert_eq!(t.rows[0].cells, [Cell::Text("A公司".into()), Cell::Text("上海".into())]);
        let t = csv("a;b;c\n1;2;3\n");
        assert_eq!(t.rows[0].cells.len(), 3);
        let t = csv("\"a;b\",c\n1,2\n");
        assert_eq!(t.headers, ["a;b", "c"]);
    }

    #[test]
    fn encodings() {
        let (gbk, _, _) = encoding_rs::GBK.encode("客户名称,城市\r\nA公司,上海\r\n");
        let t = read_table(&gbk, FileFormat::Csv).unwrap();
        assert_eq!(t.headers, ["客户名称", "城市"]);
        assert_eq!(t.rows[0].get(0), &Cell::Text("A公司".into()));

        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice("客户名称\r\nA公司\r\n".as_bytes());
        assert_eq!(read_table(&bom, FileFormat::Csv).unwrap().headers, ["客户名称"]);

        let mut utf16 = vec![0xFF, 0xFE];
        for unit in "客户名称\t城市\r\nA公司\t上海\r\n".encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        let t = read_table(&utf16, FileFormat::Csv).unwrap();
        assert_eq!(t.headers, ["客户名称", "城市"]);
        assert_eq!(t.rows[0].get(1), &Cell::Text("上海".into()));
    }

    #[test]
    fn title_row_is_skipped_and_ragged_rows_are_fine() {
        let t = csv("客户清单,,\n名称,城市,行业\nA,上海\nB,北京,制造业,extra\n");
        assert_eq!(t.header_row, 2);
        assert_eq!(t.headers, ["名称", "城市", "行业"]);
        assert_eq!(t.rows[0].get(2), &Cell::Empty);
        assert_eq!(t.rows[1].cells.len(), 3, "cells beyond the header are dropped");

        let t = csv("名称\nA\nB\n");
        assert_eq!(t.headers, ["名称"]);
        assert_eq!(numbers(&t), [2, 3]);
    }

    #[test]
    fn empty_inputs() {
        assert_eq!(read_table(b"", FileFormat::Csv), Err(ReadError::Empty));
        assert_eq!(read_table(b"\r\n , \r\n", FileFormat::Csv), Err(ReadError::Empty));
        assert!(read_table(b"PK\x03\x04garbage", FileFormat::Xlsx).is_err());
    }

    #[test]
    fn excel_serials() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let at = |s| excel_serial_to_datetime(s, false);
        assert_eq!(at(1.0).unwrap().date(), d(1900, 1, 1));
        assert_eq!(at(59.0).unwrap().date(), d(1900, 2, 28));
        assert_eq!(at(60.0), None);
        assert_eq!(at(61.0).unwrap().date(), d(1900, 3, 1));
        assert_eq!(at(45940.0).unwrap().date(), d(2025, 10, 10));
        let dt = at(45940.0 + 14.0 / 24.0).unwrap();
        assert_eq!(dt, d(2025, 10, 10).and_hms_opt(14, 0, 0).unwrap());
        assert_eq!(excel_serial_to_datetime(0.0, true).unwrap().date(), d(1904, 1, 1));
        assert_eq!(at(-1.0), None);
        assert_eq!(at(f64::NAN), None);
        assert_eq!(at(3e6), None);
        assert_eq!(excel_serial_cell(0.5, false), Some(Cell::Time(NaiveTime::from_hms_opt(12, 0, 0).unwrap())));
        // 23:59:59.9 rounds into the next day rather than to an invalid time.
        assert_eq!(at(45940.0 + 86_399.9 / 86_400.0).unwrap(), d(2025, 10, 11).and_hms_opt(0, 0, 0).unwrap());
    }

    #[test]
    fn iso_cells() {
        assert_eq!(parse_iso_cell("2025-10-10"), Some(Cell::Date(NaiveDate::from_ymd_opt(2025, 10, 10).unwrap())));
        assert!(matches!(parse_iso_cell("2025-10-10T14:00:00"), Some(Cell::DateTime(_))));
        assert!(matches!(parse_iso_cell("14:00:00"), Some(Cell::Time(_))));
        assert_eq!(parse_iso_cell("nope"), None);
    }
}
