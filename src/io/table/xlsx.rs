//! XLSX: a zip of XML parts, read as a stream.
//!
//! Only the parts a table needs are opened — the package and workbook
//! relationships, the workbook (which sheet, which date system), the styles
//! (which cells are dates), the shared strings and the first visible
//! worksheet — and each is inflated through a [`Guard`] that stops at the
//! entry's declared size and at a limit of its own, and that refuses any
//! single piece of markup or text longer than [`MAX_RUN`] before the XML
//! parser would buffer it. Declared sizes are checked first (an honest bomb
//! is refused before a byte is inflated); the guard catches the lying ones.
//! Cells go straight into the [`TableBuilder`], which enforces the table's
//! own limits, so the work done is bounded by the limits whatever the file.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, BufReader, Cursor, Read, Seek, SeekFrom};
use std::ops::ControlFlow;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use zip::ZipArchive;

use super::{
    Cell, MAX_CELL_CHARS, MAX_CELLS, MAX_COLUMNS, MAX_ROWS, ReadError, Row, Table, TableBuilder, check_cell_length,
    excel_serial_cell, parse_iso_cell,
};

/// Zip entries a workbook may have. Each costs a few hundred bytes of
/// directory in memory before anything is read; real workbooks have tens.
pub const MAX_ZIP_ENTRIES: usize = 10_000;
/// Inflated bytes of the small parts (relationships, workbook, styles).
pub const MAX_PART_BYTES: u64 = 32 << 20;
/// Inflated bytes of the worksheet: [`MAX_CELLS`] cells at about 50 bytes
/// of XML each (`<c r="AB123456" s="3" t="s"><v>1234567</v></c>`).
pub const MAX_SHEET_BYTES: u64 = 512 << 20;
/// Inflated bytes of a worksheet read as a [`stream`]: Excel's 1,048,576
/// rows of 14 columns are about 900 MB of XML. Memory does not follow it;
/// this bounds the time a forged sheet can take.
pub const MAX_STREAM_SHEET_BYTES: u64 = 4 << 30;
/// Inflated bytes of the shared strings.
pub const MAX_SHARED_STRINGS_BYTES: u64 = 512 << 20;
/// Decoded text of the shared strings kept in memory while the sheet is
/// read (any cell may refer to any of them): a sheet of 1,048,576 rows
/// with five columns of distinct text has about 120 MB.
const MAX_SHARED_TEXT: usize = 192 << 20;
/// Shared strings kept: 16 per row of a full sheet, 4 bytes each beside
/// their text.
const MAX_SHARED_STRINGS: usize = 16 * MAX_ROWS;
/// Longest single tag, text, comment or CDATA section: a cell of
/// [`MAX_CELL_CHARS`] characters, escaped, fits several times.
const MAX_RUN: usize = 1 << 20;
/// Deepest element nesting; spreadsheet XML nests less than ten deep.
const MAX_DEPTH: usize = 64;
/// Sheet events besides rows and cells allowed beyond four per row or cell;
/// also the events inside cells and shared strings that carry no text
/// allowed beyond [`FILLER_PER_VALUE`] per value or piece of text.
const MAX_FILLER: usize = 1_000_000;
/// Events a cell or shared string may spend per value or piece of text on
/// markup: a rich-text run with its formatting (`<r><rPr>…</rPr><t>…</t></r>`)
/// takes about twelve.
const FILLER_PER_VALUE: usize = 16;
/// Bytes of a cell's text (UTF-8) while it is collected.
const MAX_CELL_BYTES: usize = MAX_CELL_CHARS * 4;

pub(super) fn read(bytes: &[u8]) -> Result<Table, ReadError> {
    let (mut package, sheet_path, ctx) = open_sheet(Cursor::new(bytes))?;
    let mut builder = TableBuilder::new();
    package.sheet(&sheet_path, &ctx, &mut builder, MAX_SHEET_BYTES, &mut |_, _| Ok(ControlFlow::Continue(())))?;
    builder.finish()
}

/// The file's last bytes read for its end records: the end-of-directory
/// record with the longest comment, the ZIP64 locator and record before it.
const TAIL_BYTES: u64 = 22 + 65_535 + 20 + 56 + 1024;

/// A workbook to stream: uploaded, or a file on disk (never held in memory).
#[derive(Clone, Debug)]
pub enum WorkbookInput {
    Bytes(bytes::Bytes),
    File(std::path::PathBuf),
}

/// Rows handed to a [`stream`]'s reader at a time.
const STREAM_BATCH: usize = 1024;
/// Batches a [`stream`]'s reader may run ahead of the import.
const STREAM_AHEAD: usize = 4;

/// What a [`stream`]'s reader thread sends.
pub(super) enum Streamed {
    /// First: the header, and the data rows the sheet's `<dimension>` says
    /// it holds (0 if it does not say).
    Header {
        headers: Vec<String>,
        header_row: usize,
        rows: usize,
    },
    Rows(Vec<Row>),
    /// Last: the sheet has no more rows.
    End,
}

/// The reader thread ended without saying so (it cannot, short of a bug).
pub(super) fn reader_stopped() -> ReadError {
    ReadError::Xlsx("the workbook reader stopped before the end of the sheet".to_owned())
}

/// Reads the workbook's first sheet on a thread of its own, a batch of rows
/// at a time, as the receiver takes them: memory follows the batches (and
/// the shared strings, which any cell may refer to), not the sheet, and
/// the sheet is inflated and parsed while the import writes. The whole-table
/// cell and memory limits do not apply; [`MAX_ROWS`] and the per-part
/// limits do. The thread ends when the sheet does, at the first error
/// (sent), or when the receiver is dropped.
pub(super) fn stream(input: WorkbookInput) -> Result<Receiver<Result<Streamed, ReadError>>, ReadError> {
    let (tx, rx) = sync_channel(STREAM_AHEAD);
    std::thread::Builder::new()
        .name("xlsx-reader".to_owned())
        .spawn(move || {
            let read = match input {
                WorkbookInput::Bytes(bytes) => stream_rows(Cursor::new(bytes), &tx),
                WorkbookInput::File(path) => std::fs::File::open(&path)
                    .map_err(|e| ReadError::Xlsx(format!("{}: {e}", path.display())))
                    .and_then(|file| stream_rows(BufReader::with_capacity(64 * 1024, file), &tx)),
            };
            if let Err(e) = read {
                let _ = tx.send(Err(e));
            }
        })
        .map_err(|e| ReadError::Xlsx(format!("could not start reading the workbook: {e}")))?;
    Ok(rx)
}

/// What reading a sheet does after each row: given the builder and the
/// last row the sheet's `<dimension>` names, go on or stop.
type AfterRow<'f> = dyn FnMut(&mut TableBuilder, Option<usize>) -> Result<ControlFlow<()>, ReadError> + 'f;

/// The receiver went away: the stream was dropped before its end.
struct Gone;

fn stream_rows<R: Read + Seek>(reader: R, tx: &SyncSender<Result<Streamed, ReadError>>) -> Result<(), ReadError> {
    let (mut package, sheet_path, ctx) = open_sheet(reader)?;
    let mut builder = TableBuilder::new();
    builder.bounded = false;
    let mut header_sent = false;
    let mut send = |builder: &mut TableBuilder, last_row: Option<usize>, all: bool| -> Result<(), Gone> {
        let Some(headers) = &builder.headers else { return Ok(()) };
        if !header_sent {
            let rows = last_row.map_or(0, |last| last.saturating_sub(builder.header_row));
            let header = Streamed::Header { headers: headers.clone(), header_row: builder.header_row, rows };
            tx.send(Ok(header)).map_err(|_| Gone)?;
            header_sent = true;
        }
        if builder.rows.len() >= STREAM_BATCH || (all && !builder.rows.is_empty()) {
            tx.send(Ok(Streamed::Rows(std::mem::take(&mut builder.rows)))).map_err(|_| Gone)?;
        }
        Ok(())
    };
    let mut last_row = None;
    let mut gone = false;
    package.sheet(&sheet_path, &ctx, &mut builder, MAX_STREAM_SHEET_BYTES, &mut |builder, dimension| {
        last_row = dimension;
        if send(builder, dimension, false).is_err() {
            // Nobody takes the rows any more: stop reading.
            gone = true;
            return Ok(ControlFlow::Break(()));
        }
        Ok(ControlFlow::Continue(()))
    })?;
    if gone {
        return Ok(());
    }
    builder.settle_header()?;
    if send(&mut builder, last_row, true).is_ok() {
        let _ = tx.send(Ok(Streamed::End));
    }
    Ok(())
}

/// The workbook's first sheet: the package, the sheet's part and what its
/// cells refer to (shared strings, date styles, date system).
fn open_sheet<R: Read + Seek>(reader: R) -> Result<(Package<R>, String, Context), ReadError> {
    let mut package = Package::open(reader)?;
    let workbook_path = package.office_document()?;
    let base = parent(&workbook_path);
    let relationships = package.relationships(&format!("{base}_rels/{}.rels", file_name(&workbook_path)))?;
    let (sheet_path, is_1904) = package.first_sheet(&workbook_path, &base, &relationships)?;
    let related = |kind: &str, default: &str| {
        relationships
            .values()
            .find(|(t, _)| t.ends_with(kind))
            .map_or_else(|| format!("{base}{default}"), |(_, target)| resolve(&base, target))
    };
    let formats = package.formats(&related("/styles", "styles.xml"))?;
    let strings = package.shared_strings(&related("/sharedStrings", "sharedStrings.xml"))?;
    Ok((package, sheet_path, Context { strings, formats, is_1904 }))
}

// ---------------------------------------------------------------- the zip

/// The workbook's zip, with its entries by normalised name.
struct Package<R> {
    zip: ZipArchive<R>,
    /// Lowercase, `/`-separated names without a leading slash (OOXML part
    /// names are case-insensitive, and some tools write `\`).
    index: HashMap<String, usize>,
}

fn normalise(name: &str) -> String {
    name.replace('\\', "/").trim_start_matches('/').to_lowercase()
}

impl<R: Read + Seek> Package<R> {
    fn open(mut reader: R) -> Result<Package<R>, ReadError> {
        // The directory is read into memory whole, so count it first, from
        // the end records (within the last 64 KiB and a little).
        let damaged = |e: io::Error| ReadError::Xlsx(format!("not a complete .xlsx (zip) file: {e}"));
        let len = reader.seek(SeekFrom::End(0)).map_err(damaged)?;
        let tail_start = len.saturating_sub(TAIL_BYTES);
        let mut tail = Vec::new();
        reader.seek(SeekFrom::Start(tail_start)).map_err(damaged)?;
        reader.by_ref().take(TAIL_BYTES).read_to_end(&mut tail).map_err(damaged)?;
        if declared_entries(&tail, tail_start).is_some_and(|n| n > MAX_ZIP_ENTRIES as u64) {
            return Err(ReadError::TooManyParts);
        }
        reader.seek(SeekFrom::Start(0)).map_err(damaged)?;
        let zip = ZipArchive::new(reader).map_err(|e| damaged(e.into()))?;
        if zip.len() > MAX_ZIP_ENTRIES {
            return Err(ReadError::TooManyParts);
        }
        let index = zip.file_names().enumerate().filter_map(|(i, name)| Some((normalise(&name.ok()?), i))).collect();
        Ok(Package { zip, index })
    }

    fn has(&self, path: &str) -> bool {
        self.index.contains_key(&normalise(path))
    }

    /// A part as XML events, inflated through a [`Guard`]; `None` if absent.
    fn part(&mut self, path: &str, limit: u64) -> Result<Option<Part<'_, R>>, ReadError> {
        let Some(&i) = self.index.get(&normalise(path)) else { return Ok(None) };
        let file = self.zip.by_index(i).map_err(|e| ReadError::Xlsx(format!("{path}: {e}")))?;
        let declared = file.size();
        if declared > limit {
            return Err(unpacked(path, limit));
        }
        let guard = Guard { inner: file, read: 0, declared, limit, lexer: Lexer::default() };
        let mut xml = Reader::from_reader(BufReader::with_capacity(64 * 1024, guard));
        let config = xml.config_mut();
        config.trim_text(false);
        config.expand_empty_elements = true;
        config.check_end_names = false;
        config.check_comments = false;
        Ok(Some(Part {
            xml,
            buf: Vec::with_capacity(1024),
            depth: 0,
            path: path.to_owned(),
            limit,
            values: 0,
            value_filler: 0,
        }))
    }

    /// The workbook part, from the package relationships.
    fn office_document(&mut self) -> Result<String, ReadError> {
        if self.has("mimetype") && !self.has("_rels/.rels") {
            // OpenDocument spreadsheets are zips too, with a `mimetype` first.
            return Err(ReadError::Unsupported("ods"));
        }
        let rels = self.relationships("_rels/.rels")?;
        let path = rels
            .values()
            .find(|(kind, _)| kind.ends_with("/officeDocument"))
            .map_or_else(|| "xl/workbook.xml".to_owned(), |(_, target)| resolve("", target));
        if !self.has(&path) {
            // A zip, but not a workbook (or not one we read: `.xlsb`, `.numbers`).
            return Err(ReadError::Unsupported("zip"));
        }
        Ok(path)
    }

    /// A relationships part: id → (type, target). Absent parts have none.
    fn relationships(&mut self, path: &str) -> Result<HashMap<String, (String, String)>, ReadError> {
        let mut out = HashMap::new();
        let Some(mut part) = self.part(path, MAX_PART_BYTES)? else { return Ok(out) };
        loop {
            match part.next()? {
                Event::Start(e) if e.local_name().as_ref() == "Relationship" => {
                    let id = attr(path, &e, "Id")?;
                    let kind = attr(path, &e, "Type")?;
                    let target = attr(path, &e, "Target")?;
                    let external = attr(path, &e, "TargetMode")?.is_some_and(|m| m == "External");
                    if let (Some(id), Some(kind), Some(target), false) = (id, kind, target, external) {
                        if out.len() >= MAX_ZIP_ENTRIES {
                            return Err(ReadError::TooManyParts);
                        }
                        out.insert(id, (kind, target));
                    }
                }
                Event::Eof => return Ok(out),
                _ => {}
            }
        }
    }

    /// The first visible worksheet (the first hidden one if all are
    /// hidden: templates hide a configuration sheet in front) and whether
    /// the workbook counts dates from 1904.
    fn first_sheet(
        &mut self,
        workbook: &str,
        base: &str,
        relationships: &HashMap<String, (String, String)>,
    ) -> Result<(String, bool), ReadError> {
        let mut part = self.part(workbook, MAX_PART_BYTES)?.ok_or(ReadError::NoWorksheet)?;
        let mut is_1904 = false;
        let mut hidden: Option<String> = None;
        loop {
            match part.next()? {
                Event::Start(e) if e.local_name().as_ref() == "workbookPr" => {
                    is_1904 = attr(workbook, &e, "date1904")?.is_some_and(|v| v == "1" || v == "true");
                }
                Event::Start(e) if e.local_name().as_ref() == "sheet" => {
                    // The relationship id is `r:id` under whatever prefix the
                    // file gives the relationships namespace.
                    let mut id = None;
                    let mut state = None;
                    for a in e.attributes().with_checks(false) {
                        let a = a.map_err(|err| xml_error(workbook, err.into()))?;
                        let key = a.key;
                        if key.local_name().as_ref() == "id" && key.prefix().is_some() {
                            id = Some(a.value.into_owned());
                        } else if key.as_ref() == "state" {
                            state = Some(a.value.into_owned());
                        }
                    }
                    let Some((kind, target)) = id.and_then(|id| relationships.get(&id)) else { continue };
                    if !kind.ends_with("/worksheet") {
                        continue;
                    }
                    let path = resolve(base, target);
                    if state.as_deref().is_none_or(|s| s == "visible") {
                        return Ok((path, is_1904));
                    }
                    hidden.get_or_insert(path);
                }
                Event::Eof => return hidden.map(|path| (path, is_1904)).ok_or(ReadError::NoWorksheet),
                _ => {}
            }
        }
    }

    /// Which cell styles (`s` indexes) format numbers as dates or durations.
    fn formats(&mut self, path: &str) -> Result<Vec<NumberFormat>, ReadError> {
        let mut formats = Vec::new();
        let Some(mut part) = self.part(path, MAX_PART_BYTES)? else { return Ok(formats) };
        let mut custom: HashMap<String, NumberFormat> = HashMap::new();
        let mut in_cell_xfs = false;
        loop {
            match part.next()? {
                Event::Start(e) if e.local_name().as_ref() == "numFmt" => {
                    let id = attr(path, &e, "numFmtId")?;
                    let code = attr(path, &e, "formatCode")?;
                    if let (Some(id), Some(code)) = (id, code) {
                        custom.insert(id, classify_format(&code));
                    }
                }
                Event::Start(e) if e.local_name().as_ref() == "cellXfs" => in_cell_xfs = true,
                Event::End(e) if e.local_name().as_ref() == "cellXfs" => in_cell_xfs = false,
                Event::Start(e) if in_cell_xfs && e.local_name().as_ref() == "xf" => {
                    let format = match attr(path, &e, "numFmtId")? {
                        Some(id) => custom.get(&id).copied().unwrap_or_else(|| builtin_format(&id)),
                        None => NumberFormat::Other,
                    };
                    formats.push(format);
                }
                Event::Eof => return Ok(formats),
                _ => {}
            }
        }
    }

    fn shared_strings(&mut self, path: &str) -> Result<SharedStrings, ReadError> {
        let mut strings = SharedStrings::default();
        let Some(mut part) = self.part(path, MAX_SHARED_STRINGS_BYTES)? else { return Ok(strings) };
        let mut text = String::new();
        loop {
            match part.next()? {
                Event::Start(e) if e.local_name().as_ref() == "si" => {
                    text.clear();
                    part.rich_text("si", &mut text)?;
                    strings.push(&unescape_ooxml(&text))?;
                }
                Event::Eof => return Ok(strings),
                _ => part.value_filler()?,
            }
        }
    }

    /// Reads the sheet's rows into `builder`, calling `after_row` after
    /// each row with the last row number the sheet's `<dimension>` gives
    /// (a stream takes the rows from the builder there); stops early when
    /// it breaks.
    fn sheet(
        &mut self,
        path: &str,
        ctx: &Context,
        builder: &mut TableBuilder,
        limit: u64,
        after_row: &mut AfterRow<'_>,
    ) -> Result<(), ReadError> {
        let mut part =
            self.part(path, limit)?.ok_or_else(|| ReadError::Xlsx(format!("the worksheet {path} is missing")))?;
        let mut last_row: Option<usize> = None;
        let mut rows_seen = 0usize;
        let mut cells_seen = 0usize;
        // The current row (1-based, as Excel shows it) and its cells.
        let mut row = 0usize;
        let mut cells: Vec<Cell> = Vec::new();
        let mut next_column = 0usize;
        let mut value = String::new();
        // Events that are neither rows nor cells (white space between them,
        // unknown elements, comments). A real sheet has a few per cell; a
        // sheet padded with millions of them only costs time, so it is
        // refused once they outnumber the data by far.
        let mut filler = 0usize;
        loop {
            match part.next()? {
                Event::Start(e) if e.local_name().as_ref() == "row" => {
                    rows_seen += 1;
                    let number = match attr(path, &e, "r")? {
                        Some(r) => r.trim().parse::<usize>().map_err(|_| bad_reference(&r))?,
                        None => row + 1,
                    };
                    // Excel writes rows in order; out of order the row
                    // numbers in reports would not find their rows.
                    if number <= row || rows_seen > MAX_ROWS {
                        return Err(if number > MAX_ROWS || rows_seen > MAX_ROWS {
                            ReadError::TooLarge
                        } else {
                            ReadError::Xlsx(format!("row {number} comes after row {row}; rows must be in order"))
                        });
                    }
                    if number > MAX_ROWS {
                        return Err(ReadError::TooLarge);
                    }
                    row = number;
                    next_column = 0;
                }
                Event::End(e) if e.local_name().as_ref() == "row" => {
                    let mut row_cells = Vec::with_capacity(cells.len());
                    row_cells.append(&mut cells);
                    builder.push(row, row_cells)?;
                    if after_row(builder, last_row)?.is_break() {
                        return Ok(());
                    }
                }
                Event::Start(e) if e.local_name().as_ref() == "dimension" => {
                    // `A1:N1000001`: the last row, for a progress bar's end.
                    last_row = attr(path, &e, "ref")?
                        .and_then(|r| {
                            r.rsplit(':').next().map(|last| last.trim_start_matches(char::is_alphabetic).to_owned())
                        })
                        .and_then(|digits| digits.parse::<usize>().ok())
                        .map(|n| n.min(MAX_ROWS + 1));
                }
                Event::Start(e) if e.local_name().as_ref() == "c" => {
                    cells_seen += 1;
                    if builder.bounded && cells_seen > MAX_CELLS {
                        return Err(ReadError::TooLarge);
                    }
                    if row == 0 {
                        // A cell outside any row: the sheet is not what Excel writes.
                        return Err(ReadError::Xlsx("a cell outside a row".to_owned()));
                    }
                    let mut column = next_column;
                    let mut kind = None;
                    let mut style = None;
                    for a in e.attributes().with_checks(false) {
                        let a = a.map_err(|err| xml_error(path, err.into()))?;
                        match a.key.as_ref() {
                            "r" => column = column_of(&a.value)?,
                            "t" => kind = Some(a.value.into_owned()),
                            "s" => style = a.value.trim().parse::<usize>().ok(),
                            _ => {}
                        }
                    }
                    if column >= MAX_COLUMNS {
                        return Err(ReadError::TooManyColumns { row });
                    }
                    next_column = column + 1;
                    value.clear();
                    let inline = part.cell_value(&mut value)?;
                    check_cell_length(&value, row, column)?;
                    let cell = ctx.cell(kind.as_deref(), style, &value, inline)?;
                    if column < builder.width() && !cell.is_empty() {
                        if cells.len() <= column {
                            cells.resize(column + 1, Cell::Empty);
                        }
                        cells[column] = cell;
                    }
                }
                Event::End(e) if e.local_name().as_ref() == "sheetData" => break,
                Event::Eof => break,
                _ => {
                    filler += 1;
                    if filler > MAX_FILLER + 4 * (rows_seen + cells_seen) {
                        return Err(ReadError::Xlsx(format!(
                            "{path}: more than {MAX_FILLER} elements or comments that are neither rows nor cells"
                        )));
                    }
                }
            }
        }
        if !cells.is_empty() {
            builder.push(row, cells)?;
            let _ = after_row(builder, last_row)?;
        }
        Ok(())
    }
}

/// The number of entries the end-of-central-directory record declares
/// (ZIP64 included), without reading the directory, from the file's last
/// bytes (`bytes`, which start at `start` in the file). `None` if there is
/// no such record: the zip reader then says what is wrong.
fn declared_entries(bytes: &[u8], start: u64) -> Option<u64> {
    const EOCD: &[u8] = b"PK\x05\x06";
    let earliest = bytes.len().saturating_sub(22 + 65_535);
    let at = (earliest..=bytes.len().checked_sub(22)?).rev().find(|&i| &bytes[i..i + 4] == EOCD)?;
    let u16_at = |i: usize| Some(u16::from_le_bytes(bytes.get(i..i + 2)?.try_into().ok()?));
    let u64_at = |i: usize| Some(u64::from_le_bytes(bytes.get(i..i + 8)?.try_into().ok()?));
    let entries = u16_at(at + 10)?;
    if entries != 0xFFFF {
        return Some(u64::from(entries));
    }
    // ZIP64: the locator just before the record points at the ZIP64 record.
    let locator = at.checked_sub(20)?;
    if bytes.get(locator..locator + 4)? != b"PK\x06\x07" {
        return Some(u64::from(entries));
    }
    let record = usize::try_from(u64_at(locator + 8)?.checked_sub(start)?).ok()?;
    if bytes.get(record..record + 4)? != b"PK\x06\x06" {
        return Some(u64::from(entries));
    }
    u64_at(record + 32)
}

fn unpacked(path: &str, limit: u64) -> ReadError {
    ReadError::Unpacked { part: path.to_owned(), limit_mb: limit >> 20 }
}

/// The directory of a part path, with its trailing slash (`xl/`).
fn parent(path: &str) -> String {
    path.rfind('/').map_or_else(String::new, |i| path[..=i].to_owned())
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A relationship target against the directory of its source part.
fn resolve(base: &str, target: &str) -> String {
    let target = target.replace('\\', "/");
    let mut parts: Vec<&str> =
        if target.starts_with('/') { Vec::new() } else { base.split('/').filter(|s| !s.is_empty()).collect() };
    for segment in target.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

// ---------------------------------------------------------------- inflating

/// Why a [`Guard`] stopped reading.
#[derive(Debug)]
enum Stop {
    /// Past the part's own limit.
    Limit,
    /// Past the size the zip directory declared (or, at that size, not
    /// the data the directory's checksum describes).
    Declared,
    /// One tag, text or comment longer than [`MAX_RUN`].
    Run,
    /// A document type declaration: spreadsheets have none, and its
    /// internal subset is where entity tricks live.
    Doctype,
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stop::Limit => "the part is too large",
            Stop::Declared => "the part does not match what the zip directory says (the file is damaged or forged)",
            Stop::Run => "a single tag or text is longer than 1 MB",
            Stop::Doctype => "a document type declaration (DTD), which spreadsheets never have",
        })
    }
}

impl std::error::Error for Stop {}

/// Inflates a zip entry, counting bytes, and lexes what passes just enough
/// to know how long the current tag, text or comment is: the XML parser
/// buffers each of those whole, so this is what bounds its memory.
struct Guard<R> {
    inner: R,
    read: u64,
    declared: u64,
    limit: u64,
    lexer: Lexer,
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Never ask for more than one byte past the declared size: the zip
        // reader refuses that byte itself, and either way it is the same
        // finding (at the declared size, its checksum error is one too).
        let room = usize::try_from(self.declared.saturating_sub(self.read)).unwrap_or(usize::MAX).max(1);
        let want = buf.len().min(room);
        let n = match self.inner.read(&mut buf[..want]) {
            Ok(n) => n,
            Err(_) if self.read >= self.declared => return Err(io::Error::other(Stop::Declared)),
            Err(e) => return Err(e),
        };
        self.read += n as u64;
        let stop = if self.read > self.declared {
            Some(Stop::Declared)
        } else if self.read > self.limit {
            Some(Stop::Limit)
        } else {
            self.lexer.scan(&buf[..n]).err()
        };
        match stop {
            Some(stop) => Err(io::Error::other(stop)),
            None => Ok(n),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum LexState {
    #[default]
    Text,
    /// Just after `<`: deciding between a tag, a comment, CDATA and a
    /// processing instruction.
    Open,
    Tag,
    Quoted(u8),
    Comment,
    CData,
    Instruction,
}

#[derive(Default)]
struct Lexer {
    state: LexState,
    /// Bytes since the current run began.
    run: usize,
    /// What follows `<`, while deciding.
    opened: [u8; 8],
    opened_len: usize,
    /// The last three bytes (to find `-->`, `]]>`, `?>`).
    tail: [u8; 3],
}

impl Lexer {
    fn scan(&mut self, mut bytes: &[u8]) -> Result<(), Stop> {
        while !bytes.is_empty() {
            // Inside text, tags and quotes, jump to the next byte that can
            // change the state (most bytes are text).
            let skip = match self.state {
                LexState::Text => memchr::memchr(b'<', bytes),
                LexState::Tag => memchr::memchr3(b'>', b'"', b'\'', bytes),
                LexState::Quoted(q) => memchr::memchr(q, bytes),
                LexState::Comment | LexState::CData | LexState::Instruction => memchr::memchr(b'>', bytes),
                LexState::Open => Some(0),
            };
            let skip = skip.unwrap_or(bytes.len());
            if skip > 0 {
                self.run += skip;
                if self.run > MAX_RUN {
                    return Err(Stop::Run);
                }
                let tail_from = skip.saturating_sub(3);
                for &b in &bytes[tail_from..skip] {
                    self.tail = [self.tail[1], self.tail[2], b];
                }
                bytes = &bytes[skip..];
                continue;
            }
            let b = bytes[0];
            bytes = &bytes[1..];
            self.step(b)?;
        }
        Ok(())
    }

    fn step(&mut self, b: u8) -> Result<(), Stop> {
        self.run += 1;
        self.tail = [self.tail[1], self.tail[2], b];
        match self.state {
            LexState::Text => {
                if b == b'<' {
                    self.start(LexState::Open);
                    self.opened_len = 0;
                }
            }
            LexState::Open => self.open(b)?,
            LexState::Tag => self.tag(b),
            LexState::Quoted(q) => {
                if b == q {
                    self.state = LexState::Tag;
                }
            }
            LexState::Comment => {
                if self.tail == *b"-->" {
                    self.start(LexState::Text);
                }
            }
            LexState::CData => {
                if self.tail == *b"]]>" {
                    self.start(LexState::Text);
                }
            }
            LexState::Instruction => {
                if self.tail[1..] == *b"?>" {
                    self.start(LexState::Text);
                }
            }
        }
        if self.run > MAX_RUN {
            return Err(Stop::Run);
        }
        Ok(())
    }

    fn start(&mut self, state: LexState) {
        self.state = state;
        self.run = 0;
    }

    fn open(&mut self, b: u8) -> Result<(), Stop> {
        if self.opened_len < self.opened.len() {
            self.opened[self.opened_len] = b;
            self.opened_len += 1;
        }
        let opened = &self.opened[..self.opened_len];
        if opened == b"!--" {
            self.state = LexState::Comment;
            self.tail = [0; 3];
        } else if opened == b"![CDATA[" {
            self.state = LexState::CData;
            self.tail = [0; 3];
        } else if opened == b"?" {
            self.state = LexState::Instruction;
        } else if opened.len() >= 2 && opened[0] == b'!' && opened[1].eq_ignore_ascii_case(&b'D') {
            return Err(Stop::Doctype);
        } else if !(b"!--".starts_with(opened) || b"![CDATA[".starts_with(opened)) {
            self.state = LexState::Tag;
            self.tag(b);
        }
        Ok(())
    }

    fn tag(&mut self, b: u8) {
        match b {
            b'>' => self.start(LexState::Text),
            b'"' | b'\'' => self.state = LexState::Quoted(b),
            _ => {}
        }
    }
}

// ---------------------------------------------------------------- XML events

type XmlReader<'z, R> = Reader<BufReader<Guard<zip::read::ZipFile<'z, R>>>>;

/// One part being read: its events, with the nesting depth checked.
struct Part<'z, R: Read> {
    xml: XmlReader<'z, R>,
    buf: Vec<u8>,
    depth: usize,
    path: String,
    limit: u64,
    /// Cells, shared strings and pieces of their text read so far.
    values: usize,
    /// Events inside cells and shared strings that carried no text.
    value_filler: usize,
}

impl<R: Read> Part<'_, R> {
    /// Counts an event inside a cell or shared string that carries no text
    /// (markup, white space, comments, unknown elements). Real files have a
    /// few per value; one value padded with millions of them would only cost
    /// time, so it is refused once they outnumber the values by far.
    fn value_filler(&mut self) -> Result<(), ReadError> {
        self.value_filler += 1;
        if self.value_filler > MAX_FILLER + FILLER_PER_VALUE * self.values {
            return Err(ReadError::Xlsx(format!(
                "{}: more than {MAX_FILLER} elements or comments that are neither rows nor cells nor their text",
                self.path
            )));
        }
        Ok(())
    }

    fn next(&mut self) -> Result<Event<'_>, ReadError> {
        self.buf.clear();
        let event = match self.xml.read_event_into(&mut self.buf) {
            Ok(event) => event,
            Err(e) => return Err(part_error(&self.path, self.limit, e)),
        };
        match &event {
            Event::Start(_) => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(ReadError::Xlsx(format!("{}: elements nested more than {MAX_DEPTH} deep", self.path)));
                }
            }
            Event::End(_) => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
        Ok(event)
    }

    fn unknown_entity(&self, name: &str) -> ReadError {
        let shown: String = name.chars().take(20).collect();
        ReadError::Xlsx(format!("{}: unknown entity &{shown};", self.path))
    }

    /// Appends the text of the `<t>` elements inside the current element
    /// (`<si>` or `<is>`, plain or as rich-text runs), leaving out phonetic
    /// guides (`<rPh>`), up to the element's end.
    fn rich_text(&mut self, element: &str, out: &mut String) -> Result<(), ReadError> {
        let depth = self.depth;
        let mut in_text = false;
        let mut phonetic = false;
        self.values += 1;
        loop {
            match self.next()? {
                Event::Start(e) => {
                    match e.local_name().as_ref() {
                        "t" => in_text = !phonetic,
                        "rPh" => phonetic = true,
                        _ => {}
                    }
                    self.value_filler()?;
                }
                Event::End(e) => {
                    match e.local_name().as_ref() {
                        "t" => in_text = false,
                        "rPh" => phonetic = false,
                        _ => {}
                    }
                    if self.depth < depth {
                        return Ok(());
                    }
                    self.value_filler()?;
                }
                Event::Text(t) if in_text && !t.is_empty() => {
                    push_limited(out, &t.xml10_content())?;
                    self.values += 1;
                }
                Event::CData(t) if in_text && !t.is_empty() => {
                    push_limited(out, &t.xml10_content())?;
                    self.values += 1;
                }
                Event::GeneralRef(r) if in_text => match resolve_reference(&r) {
                    Some(c) => {
                        self.values += 1;
                        push_limited(out, &c)?;
                    }
                    None => {
                        let name = r.to_string();
                        return Err(self.unknown_entity(&name));
                    }
                },
                Event::Eof => return Err(ReadError::Xlsx(format!("{}: the file ends inside <{element}>", self.path))),
                _ => self.value_filler()?,
            }
        }
    }

    /// Reads a `<c>` element's content into `value`: the `<v>` text, or the
    /// inline string of `<is>` (then returns `true`). Formulas are skipped:
    /// their cached value is what the user saw.
    fn cell_value(&mut self, value: &mut String) -> Result<bool, ReadError> {
        let depth = self.depth;
        let mut inline = false;
        let mut in_value = false;
        self.values += 1;
        loop {
            match self.next()? {
                Event::Start(e) => match e.local_name().as_ref() {
                    "v" => {
                        in_value = true;
                        self.value_filler()?;
                    }
                    "is" => {
                        inline = true;
                        let mut text = String::new();
                        self.rich_text("is", &mut text)?;
                        value.push_str(&unescape_ooxml(&text));
                    }
                    _ => self.value_filler()?,
                },
                Event::End(e) => {
                    if e.local_name().as_ref() == "v" {
                        in_value = false;
                    }
                    if self.depth < depth {
                        return Ok(inline);
                    }
                    self.value_filler()?;
                }
                Event::Text(t) if in_value && !t.is_empty() => {
                    push_limited(value, &t.xml10_content())?;
                    self.values += 1;
                }
                Event::CData(t) if in_value && !t.is_empty() => {
                    push_limited(value, &t.xml10_content())?;
                    self.values += 1;
                }
                Event::GeneralRef(r) if in_value => match resolve_reference(&r) {
                    Some(c) => {
                        self.values += 1;
                        push_limited(value, &c)?;
                    }
                    None => {
                        let name = r.to_string();
                        return Err(self.unknown_entity(&name));
                    }
                },
                Event::Eof => return Err(ReadError::Xlsx(format!("{}: the file ends inside a cell", self.path))),
                _ => self.value_filler()?,
            }
        }
    }
}

/// Appends text, refusing to hold more than a cell's worth (the caller
/// reports the row and column).
fn push_limited(out: &mut String, text: &str) -> Result<(), ReadError> {
    if out.len() + text.len() > MAX_CELL_BYTES {
        return Err(ReadError::CellTooLong { row: 0, column: String::new() });
    }
    out.push_str(text);
    Ok(())
}

/// `&amp;`, `&#20013;`, …
fn resolve_reference(r: &quick_xml::events::BytesRef<'_>) -> Option<String> {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return Some(c.to_string());
    }
    quick_xml::escape::resolve_predefined_entity(r).map(str::to_owned)
}

fn attr(path: &str, e: &BytesStart<'_>, name: &str) -> Result<Option<String>, ReadError> {
    match e.try_get_attribute(name) {
        Ok(Some(a)) => match a.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
            Ok(v) => Ok(Some(v.into_owned())),
            Err(err) => Err(xml_error(path, err)),
        },
        Ok(None) => Ok(None),
        Err(err) => Err(xml_error(path, err.into())),
    }
}

fn xml_error(path: &str, e: quick_xml::Error) -> ReadError {
    ReadError::Xlsx(format!("{path}: {e}"))
}

/// An XML error, unless it is a [`Guard`] stopping the inflation.
fn part_error(path: &str, limit: u64, e: quick_xml::Error) -> ReadError {
    if let quick_xml::Error::Io(io) = &e
        && let Some(stop) = io.get_ref().and_then(|inner| inner.downcast_ref::<Stop>())
    {
        return match stop {
            Stop::Limit => unpacked(path, limit),
            other => ReadError::Xlsx(format!("{path}: {other}")),
        };
    }
    xml_error(path, e)
}

fn bad_reference(r: &str) -> ReadError {
    let shown: String = r.chars().take(20).collect();
    ReadError::Xlsx(format!("bad cell reference {shown:?}"))
}

/// The 0-based column of a cell reference such as `AB12`.
fn column_of(reference: &str) -> Result<usize, ReadError> {
    let letters = reference.bytes().take_while(u8::is_ascii_alphabetic);
    let mut column = 0usize;
    let mut count = 0;
    for b in letters {
        count += 1;
        column = column * 26 + usize::from(b.to_ascii_uppercase() - b'A') + 1;
        // XFD is the last column; more letters are not a spreadsheet's.
        if count > 3 {
            return Err(bad_reference(reference));
        }
    }
    let rest = &reference[count..];
    if count == 0 || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_reference(reference));
    }
    Ok(column - 1)
}

/// OOXML's escape for characters XML cannot carry: `_x000D_` is a carriage
/// return (`_x005F_` escapes the underscore itself).
fn unescape_ooxml(s: &str) -> Cow<'_, str> {
    if !s.contains("_x") {
        return Cow::Borrowed(s);
    }
    let hex = |h: &str| u32::from_str_radix(h, 16).ok();
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("_x") {
        out.push_str(&rest[..i]);
        let candidate = &rest[i..];
        let unit = candidate.get(2..6).filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit())).and_then(hex);
        match unit {
            Some(unit) if candidate.as_bytes().get(6) == Some(&b'_') => {
                let mut consumed = 7;
                let c = match unit {
                    0xD800..=0xDBFF => {
                        let low = candidate
                            .get(7..13)
                            .filter(|n| n.starts_with("_x") && candidate.as_bytes().get(13) == Some(&b'_'))
                            .and_then(|n| hex(&n[2..]))
                            .filter(|low| (0xDC00..=0xDFFF).contains(low));
                        match low {
                            Some(low) => {
                                consumed = 14;
                                char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                            }
                            None => None,
                        }
                    }
                    _ => char::from_u32(unit),
                };
                out.push(c.unwrap_or(char::REPLACEMENT_CHARACTER));
                rest = &candidate[consumed..];
            }
            _ => {
                out.push_str("_x");
                rest = &candidate[2..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

// ---------------------------------------------------------------- values

/// How a style formats a number: as a date (or time), a duration, or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NumberFormat {
    Other,
    DateTime,
    Duration,
}

/// Excel's built-in number formats that show dates and times (ECMA-376
/// 18.8.30; 27–36 and 50–58 are the East Asian date formats).
fn builtin_format(id: &str) -> NumberFormat {
    match id.trim().parse::<u32>() {
        Ok(14..=22 | 27..=36 | 45 | 47 | 50..=58) => NumberFormat::DateTime,
        Ok(46) => NumberFormat::Duration,
        _ => NumberFormat::Other,
    }
}

/// Whether a custom format code shows a date or a duration: date letters
/// outside quotes, escapes and brackets; `[h]`, `[m]`, `[s]` are elapsed
/// time. Only the first section counts. (After calamine's and openpyxl's
/// rule, both MIT-licensed.)
fn classify_format(code: &str) -> NumberFormat {
    let mut escaped = false;
    let mut quoted = false;
    let mut brackets = 0u8;
    let mut previous = ' ';
    let mut elapsed = false;
    let mut am_pm = false;
    for c in code.chars() {
        if escaped {
            escaped = false;
        } else if quoted {
            quoted = c != '"';
        } else {
            match c {
                '_' | '\\' | '*' => escaped = true,
                '"' => quoted = true,
                ';' => return NumberFormat::Other,
                '[' => brackets = brackets.saturating_add(1),
                ']' if brackets == 1 && elapsed => return NumberFormat::Duration,
                ']' => brackets = brackets.saturating_sub(1),
                'a' | 'A' if brackets == 0 && !am_pm => am_pm = true,
                'p' | 'm' | '/' | 'P' | 'M' if brackets == 0 && am_pm => return NumberFormat::DateTime,
                'd' | 'm' | 'h' | 'y' | 's' | 'D' | 'M' | 'H' | 'Y' | 'S' if brackets == 0 && !am_pm => {
                    return NumberFormat::DateTime;
                }
                _ => {
                    if !(elapsed && c.eq_ignore_ascii_case(&previous)) {
                        elapsed = previous == '[' && matches!(c, 'm' | 'h' | 's' | 'M' | 'H' | 'S');
                    }
                }
            }
        }
        previous = c;
    }
    NumberFormat::Other
}

/// The shared strings, in one buffer: a string costs its text and four
/// bytes, rather than a `String` each.
#[derive(Default)]
struct SharedStrings {
    text: String,
    ends: Vec<u32>,
}

impl SharedStrings {
    fn push(&mut self, s: &str) -> Result<(), ReadError> {
        if self.text.len() + s.len() > MAX_SHARED_TEXT || self.ends.len() >= MAX_SHARED_STRINGS {
            return Err(ReadError::TooLarge);
        }
        self.text.push_str(s);
        self.ends.push(u32::try_from(self.text.len()).map_err(|_| ReadError::TooLarge)?);
        Ok(())
    }

    fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        self.text.get(start..end)
    }
}

struct Context {
    strings: SharedStrings,
    formats: Vec<NumberFormat>,
    is_1904: bool,
}

impl Context {
    /// A cell as Excel typed it (`t`), in its style (`s`).
    fn cell(&self, kind: Option<&str>, style: Option<usize>, value: &str, inline: bool) -> Result<Cell, ReadError> {
        if inline {
            return Ok(Cell::text(value));
        }
        Ok(match kind {
            Some("s") => {
                let Ok(i) = value.trim().parse::<usize>() else { return Ok(Cell::Empty) };
                let s = self.strings.get(i).ok_or_else(|| {
                    ReadError::Xlsx(format!("a cell refers to shared string {i}, which does not exist"))
                })?;
                Cell::text(s)
            }
            Some("str" | "inlineStr") => Cell::text(&unescape_ooxml(value)),
            Some("b") => match value.trim() {
                "1" | "true" => Cell::Text("TRUE".to_owned()),
                "0" | "false" => Cell::Text("FALSE".to_owned()),
                _ => Cell::text(value),
            },
            Some("e") => match value.trim() {
                "" => Cell::Empty,
                e => Cell::Error(e.to_owned()),
            },
            Some("d") => parse_iso_cell(value).unwrap_or_else(|| Cell::text(value)),
            _ => {
                let v = value.trim();
                if v.is_empty() {
                    return Ok(Cell::Empty);
                }
                match v.parse::<f64>() {
                    Ok(n) => match style.and_then(|s| self.formats.get(s)) {
                        Some(NumberFormat::DateTime) => excel_serial_cell(n, self.is_1904).unwrap_or(Cell::Number(n)),
                        _ => Cell::Number(n),
                    },
                    Err(_) => Cell::text(value),
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_formats() {
        for code in [
            "yyyy-mm-dd",
            "DD/MM/YY",
            "H:MM:SS;@",
            "yyyy\"年\"m\"月\"d\"日\"",
            "[$-F800]dddd, mmmm dd, yyyy",
            "h:mm AM/PM",
        ] {
            assert_eq!(classify_format(code), NumberFormat::DateTime, "{code}");
        }
        for code in ["[h]:mm:ss", "[mm]:ss"] {
            assert_eq!(classify_format(code), NumberFormat::Duration, "{code}");
        }
        for code in ["0.00", "#,##0", "\"元\"0", "[Red]0.00", "0_);(0)", "General", "@", "#,##0 ;[Red](#,##0)"] {
            assert_eq!(classify_format(code), NumberFormat::Other, "{code}");
        }
        assert_eq!(builtin_format("14"), NumberFormat::DateTime);
        assert_eq!(builtin_format("58"), NumberFormat::DateTime);
        assert_eq!(builtin_format("46"), NumberFormat::Duration);
        assert_eq!(builtin_format("0"), NumberFormat::Other);
    }

    #[test]
    fn references_and_escapes() {
        assert_eq!(column_of("A1").unwrap(), 0);
        assert_eq!(column_of("AB12").unwrap(), 27);
        assert_eq!(column_of("XFD1048576").unwrap(), MAX_COLUMNS - 1);
        assert!(column_of("ABCD1").is_err());
        assert!(column_of("12").is_err());
        assert!(column_of("A1B").is_err());
        assert_eq!(unescape_ooxml("a_x000D_b"), "a\rb");
        assert_eq!(unescape_ooxml("_x005F_x000D_"), "_x000D_");
        assert_eq!(unescape_ooxml("_xD83D__xDE00_"), "😀");
        assert_eq!(unescape_ooxml("_xD83D_"), "\u{FFFD}");
        assert_eq!(unescape_ooxml("_x12"), "_x12");
        assert_eq!(resolve("xl/", "worksheets/sheet1.xml"), "xl/worksheets/sheet1.xml");
        assert_eq!(resolve("xl/", "/xl/worksheets/sheet1.xml"), "xl/worksheets/sheet1.xml");
        assert_eq!(resolve("xl/", "../xl/./sharedStrings.xml"), "xl/sharedStrings.xml");
        assert_eq!(resolve("", "xl\\workbook.xml"), "xl/workbook.xml");
    }

    #[test]
    fn the_lexer_bounds_every_run() {
        let mut lexer = Lexer::default();
        assert!(lexer.scan(b"<a b=\"x>y\">text<!-- <c> -->").is_ok());
        assert_eq!(lexer.state, LexState::Text);
        assert!(lexer.scan(b"<![CDATA[ <<>> ]]><?xml version=\"1.0\"?>").is_ok());
        assert_eq!(lexer.state, LexState::Text);
        let long = vec![b'x'; MAX_RUN + 1];
        assert!(matches!(Lexer::default().scan(&long), Err(Stop::Run)));
        let mut comment = b"<!--".to_vec();
        comment.extend(std::iter::repeat_n(b"<a>".as_slice(), MAX_RUN / 3 + 1).flatten());
        assert!(matches!(Lexer::default().scan(&comment), Err(Stop::Run)), "a comment is one run, whatever is in it");
        assert!(matches!(Lexer::default().scan(b"<!DOCTYPE x [<!ENTITY a \"b\">]>"), Err(Stop::Doctype)));
        // Runs end at markup, so long files of short runs are fine.
        let mut many = Lexer::default();
        for _ in 0..10_000 {
            assert!(many.scan(&[b'y'; 200]).is_ok());
            assert!(many.scan(b"<c/>").is_ok());
        }
    }

    #[test]
    fn shared_strings_are_compact() {
        let mut s = SharedStrings::default();
        s.push("甲").unwrap();
        s.push("").unwrap();
        s.push("乙公司").unwrap();
        assert_eq!((s.get(0), s.get(1), s.get(2), s.get(3)), (Some("甲"), Some(""), Some("乙公司"), None));
    }

    #[test]
    fn the_entry_count_is_read_from_the_end_record() {
        let mut zip = vec![0u8; 10];
        zip.extend(b"PK\x05\x06\0\0\0\0\x07\0\x07\0\0\0\0\0\0\0\0\0\0\0");
        assert_eq!(declared_entries(&zip, 0), Some(7));
        assert_eq!(declared_entries(b"PK\x03\x04 no end record", 0), None);

        // ZIP64: the locator gives the record's offset in the whole file,
        // which the tail read starts somewhere inside.
        let mut zip = vec![0u8; 100];
        zip.extend(b"PK\x06\x06");
        zip.extend([0u8; 28]);
        zip.extend(70_000u64.to_le_bytes());
        zip.extend([0u8; 16]);
        zip.extend(b"PK\x06\x07\0\0\0\0");
        zip.extend(100u64.to_le_bytes());
        zip.extend([1u8, 0, 0, 0]);
        zip.extend(b"PK\x05\x06\0\0\0\0\xff\xff\xff\xff\0\0\0\0\0\0\0\0\0\0");
        assert_eq!(declared_entries(&zip, 0), Some(70_000));
        assert_eq!(declared_entries(&zip[60..], 60), Some(70_000), "from a tail that starts before the record");
        assert_eq!(declared_entries(&zip[120..], 120), None, "a record before the tail is not guessed at");
    }
}
