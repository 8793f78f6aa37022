//! CSV: decoding (UTF-8 with or without BOM, UTF-16 with BOM, GBK) and a
//! record reader (`csv_core`) with bounded buffers, so that a line of a
//! million empty fields or one field of sixty megabytes is refused after a
//! few megabytes rather than held.
//!
//! The file is read as a stream, from memory or from disk ([`CsvInput`]),
//! in a few passes: one settles the encoding, one counts the rows (for
//! progress and the row limit) and one hands them out. None keeps more than
//! a record and a read buffer, so a file of any size costs the same memory.

use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use csv_core::{ReadRecordResult, ReaderBuilder};
use encoding_rs::Encoding;

use super::{Cell, MAX_CELL_CHARS, MAX_COLUMNS, ReadError, Table, TableBuilder, check_cell_length, column_letters};

/// Bytes a cell of [`MAX_CELL_CHARS`] characters can take in UTF-8.
const MAX_FIELD_BYTES: usize = MAX_CELL_CHARS * 4;
/// Bytes one record may take: a customer row is a few hundred; this is
/// room for several cells at the limit.
const MAX_RECORD_BYTES: usize = 8 << 20;
/// Bytes read from the input at a time.
const CHUNK_BYTES: usize = 64 * 1024;

/// Where a CSV file's bytes are: an upload in memory, or a file on disk
/// (the command line's import of a file of any size). Each pass reads it
/// again from the start.
#[derive(Clone, Copy, Debug)]
pub enum CsvInput<'a> {
    Bytes(&'a [u8]),
    File(&'a Path),
}

impl<'a> CsvInput<'a> {
    fn open(self) -> Result<Box<dyn Read + Send + 'a>, ReadError> {
        match self {
            CsvInput::Bytes(bytes) => Ok(Box::new(bytes)),
            CsvInput::File(path) => {
                let file = std::fs::File::open(path).map_err(io_error)?;
                Ok(Box::new(file))
            }
        }
    }
}

fn io_error(e: std::io::Error) -> ReadError {
    ReadError::Csv(e.to_string())
}

pub(super) fn read(input: CsvInput<'_>) -> Result<Table, ReadError> {
    let mut records = Records::new(input)?;
    let mut builder = TableBuilder::new();
    while let Some((row, cells)) = records.next(builder.width())? {
        builder.push(row, cells)?;
    }
    builder.finish()
}

/// How the file's bytes become UTF-8.
#[derive(Clone, Copy, Debug)]
struct TextEncoding {
    /// BOM bytes skipped at the start.
    skip: usize,
    /// `None`: the bytes are UTF-8 already.
    decode: Option<&'static Encoding>,
}

/// The input's text, as UTF-8, a chunk at a time.
struct Decoded<'a> {
    input: Box<dyn Read + Send + 'a>,
    decoder: Option<encoding_rs::Decoder>,
    raw: Vec<u8>,
    ended: bool,
}

impl<'a> Decoded<'a> {
    fn open(input: CsvInput<'a>, encoding: TextEncoding) -> Result<Self, ReadError> {
        let mut reader = input.open()?;
        let mut skipped = [0u8; 4];
        reader.read_exact(&mut skipped[..encoding.skip]).map_err(io_error)?;
        Ok(Decoded {
            input: reader,
            decoder: encoding.decode.map(Encoding::new_decoder_without_bom_handling),
            raw: vec![0u8; CHUNK_BYTES],
            ended: false,
        })
    }

    /// Appends the next chunk of text to `out`; `false` once the input has
    /// ended (and nothing was added).
    fn fill(&mut self, out: &mut Vec<u8>) -> Result<bool, ReadError> {
        if self.ended {
            return Ok(false);
        }
        let n = loop {
            match self.input.read(&mut self.raw) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_error(e)),
            }
        };
        let last = n == 0;
        let before = out.len();
        match &mut self.decoder {
            None => out.extend_from_slice(&self.raw[..n]),
            Some(decoder) => {
                let room = decoder
                    .max_utf8_buffer_length(n)
                    .ok_or_else(|| ReadError::Csv("the file is too large to decode".to_owned()))?;
                let old = out.len();
                out.resize(old + room, 0);
                // With room for the worst case, the decoder takes all input at once.
                let (_, _, written, _) = decoder.decode_to_utf8(&self.raw[..n], &mut out[old..], last);
                out.truncate(old + written);
            }
        }
        self.ended = last;
        // At the end a decoder may still give what it held back.
        Ok(!last || out.len() > before)
    }
}

/// A CSV file's records, read one at a time (an import streams a file of a
/// million rows through this without holding its rows).
pub(super) struct Records<'a> {
    input: CsvInput<'a>,
    encoding: TextEncoding,
    text: Decoded<'a>,
    /// Decoded text not yet dropped: from a little before the current
    /// record (the line breaks before it, which give its row number).
    buf: Vec<u8>,
    /// Whether `buf` holds the rest of the file.
    at_end: bool,
    reader: csv_core::Reader,
    output: Vec<u8>,
    /// One slot more than a row may have fields, to tell "too many".
    ends: Vec<usize>,
    pos: usize,
    /// The previous record's row.
    previous: Option<usize>,
    done: bool,
    delimiter: u8,
}

impl<'a> Records<'a> {
    pub(super) fn new(input: CsvInput<'a>) -> Result<Self, ReadError> {
        let encoding = detect_encoding(input)?;
        let mut text = Decoded::open(input, encoding)?;
        let mut buf = Vec::with_capacity(CHUNK_BYTES * 2);
        // The first line decides the delimiter; read until it has ended.
        let mut at_end = false;
        while !at_end && !buf.iter().any(|&b| b == b'\n' || b == b'\r') && buf.len() < CHUNK_BYTES * 4 {
            at_end = !text.fill(&mut buf)?;
        }
        let delimiter = detect_delimiter(&buf);
        let reader = ReaderBuilder::new().delimiter(delimiter).build();
        Ok(Records {
            input,
            encoding,
            text,
            buf,
            at_end,
            reader,
            output: vec![0u8; 64 * 1024],
            ends: vec![0usize; MAX_COLUMNS + 1],
            pos: 0,
            previous: None,
            done: false,
            delimiter,
        })
    }

    /// Counts the records with any text in them (blank lines and rows of
    /// empty fields are not rows) without keeping anything: a fast pass that
    /// tells the rows to come, and refuses a file of too many before any is
    /// checked.
    pub(super) fn count_filled(&self) -> Result<usize, ReadError> {
        let mut text = Decoded::open(self.input, self.encoding)?;
        let mut reader = ReaderBuilder::new().delimiter(self.delimiter).build();
        // Fields are not kept: full buffers are simply written over.
        let mut output = [0u8; 4096];
        let mut ends = [0usize; 64];
        let mut chunk = Vec::with_capacity(CHUNK_BYTES * 2);
        let (mut pos, mut at_end, mut filled, mut count) = (0usize, false, false, 0usize);
        loop {
            if pos == chunk.len() && !at_end {
                chunk.clear();
                pos = 0;
                at_end = !text.fill(&mut chunk)?;
            }
            // An empty input tells the reader that the file has ended.
            let (result, read, out, _) = reader.read_record(&chunk[pos..], &mut output, &mut ends);
            pos += read;
            filled |= out > 0;
            match result {
                ReadRecordResult::InputEmpty | ReadRecordResult::OutputFull | ReadRecordResult::OutputEndsFull => {}
                ReadRecordResult::Record => {
                    count += usize::from(filled);
                    filled = false;
                }
                ReadRecordResult::End => return Ok(count),
            }
        }
    }

    /// Reads more text into the buffer, first dropping what the current
    /// record (starting at `*start`) no longer needs.
    fn refill(&mut self, start: &mut usize) -> Result<(), ReadError> {
        let is_break = |b: &u8| matches!(b, b'\r' | b'\n');
        let keep = *start - self.buf[..*start].iter().rev().take_while(|b| is_break(b)).count();
        if keep > 0 {
            self.buf.drain(..keep);
            self.pos -= keep;
            *start -= keep;
        }
        self.at_end = !self.text.fill(&mut self.buf)?;
        Ok(())
    }

    /// The next record's spreadsheet row and its first `width` cells.
    pub(super) fn next(&mut self, width: usize) -> Result<Option<(usize, Vec<Cell>)>, ReadError> {
        if self.done {
            return Ok(None);
        }
        // A record is one spreadsheet row even when a quoted field spans
        // lines, as when Excel opens the file.
        let mut start = self.pos;
        let (mut written, mut fields) = (0usize, 0usize);
        loop {
            if self.pos == self.buf.len() && !self.at_end {
                self.refill(&mut start)?;
            }
            // Empty only at the end of the file, which tells the reader so.
            let (result, read, out, found) =
                self.reader.read_record(&self.buf[self.pos..], &mut self.output[written..], &mut self.ends[fields..]);
            self.pos += read;
            written += out;
            fields += found;
            let data = &self.buf;
            match result {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => {
                    if self.output.len() >= MAX_RECORD_BYTES {
                        let row = row_number(data, start, self.previous);
                        // The field being read is the long one, unless every
                        // field so far was within bounds: then the row is.
                        let field_start = fields.checked_sub(1).map_or(0, |i| self.ends[i]);
                        return Err(if written - field_start > MAX_FIELD_BYTES {
                            ReadError::CellTooLong { row, column: column_letters(fields) }
                        } else {
                            ReadError::TooLarge
                        });
                    }
                    self.output.resize(self.output.len() * 2, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    return Err(ReadError::TooManyColumns { row: row_number(data, start, self.previous) });
                }
                ReadRecordResult::Record => {
                    let row = row_number(data, start, self.previous);
                    if fields > MAX_COLUMNS {
                        return Err(ReadError::TooManyColumns { row });
                    }
                    let output = &self.output[..written];
                    let ends = &self.ends;
                    // Fields split only at ASCII delimiters, so a decoded file
                    // gives UTF-8 records and fields: validate once per record.
                    let record = std::str::from_utf8(output).ok();
                    let range = |i: usize| (if i == 0 { 0 } else { ends[i - 1] }, ends[i]);
                    let width = fields.min(width);
                    let mut cells = Vec::with_capacity(width);
                    for column in 0..fields {
                        let (a, b) = range(column);
                        if column >= width {
                            // Not kept, but no longer than a kept one may be.
                            if b - a > MAX_FIELD_BYTES {
                                return Err(ReadError::CellTooLong { row, column: column_letters(column) });
                            }
                            continue;
                        }
                        let value = match record.and_then(|r| r.get(a..b)) {
                            Some(value) => Cow::Borrowed(value),
                            None => String::from_utf8_lossy(&output[a..b]),
                        };
                        check_cell_length(&value, row, column)?;
                        cells.push(Cell::text(&value));
                    }
                    self.previous = Some(row);
                    return Ok(Some((row, cells)));
                }
                ReadRecordResult::End => {
                    self.done = true;
                    return Ok(None);
                }
            }
        }
    }
}

/// The spreadsheet row of a record that starts at byte `start`: the first
/// follows the blank lines before it, a later one its predecessor's line
/// break plus the blank lines between them.
fn row_number(data: &[u8], start: usize, previous: Option<usize>) -> usize {
    let breaks = line_breaks_around(data, start);
    match previous {
        None => breaks + 1,
        Some(previous) => previous + breaks.max(1),
    }
}

/// Settles how the file's bytes become UTF-8: UTF-8 (with or without BOM)
/// if valid, UTF-16 with BOM (Excel's "Unicode text"), otherwise GB18030 —
/// a superset of GBK, which is what Excel and WPS write on Chinese Windows.
/// A file whose rows are in different encodings (a UTF-8 header pasted over
/// GBK rows) is refused with the first row that differs: decoding it either
/// way would garble half of it.
fn detect_encoding(input: CsvInput<'_>) -> Result<TextEncoding, ReadError> {
    let mut head = Vec::with_capacity(4);
    input.open()?.take(4).read_to_end(&mut head).map_err(io_error)?;
    let head = head.as_slice();
    if head.starts_with(&[0xFF, 0xFE, 0, 0]) || head.starts_with(&[0, 0, 0xFE, 0xFF]) {
        return Err(ReadError::Unsupported("utf-32"));
    }
    if let Some((encoding, skip)) = Encoding::for_bom(head) {
        if encoding != encoding_rs::UTF_8 {
            return Ok(TextEncoding { skip, decode: Some(encoding) });
        }
        // The BOM promises UTF-8; count the BOM's line as row 1.
        return match first_invalid_utf8(input, skip)? {
            None => Ok(TextEncoding { skip, decode: None }),
            Some(at) => Err(ReadError::MixedEncoding { row: line_of(input, skip, at)? }),
        };
    }
    if first_invalid_utf8(input, 0)?.is_none() {
        return Ok(TextEncoding { skip: 0, decode: None });
    }
    if let Some(row) = mixed_encoding_row(input)? {
        return Err(ReadError::MixedEncoding { row });
    }
    Ok(TextEncoding { skip: 0, decode: Some(encoding_rs::GB18030) })
}

/// The offset (past `skip` bytes) of the first byte that is not valid
/// UTF-8, or `None` when the whole input is.
fn first_invalid_utf8(input: CsvInput<'_>, skip: usize) -> Result<Option<usize>, ReadError> {
    if let CsvInput::Bytes(bytes) = input {
        let body = bytes.get(skip..).unwrap_or_default();
        return Ok(std::str::from_utf8(body).err().map(|e| e.valid_up_to()));
    }
    let mut reader = input.open()?;
    std::io::copy(&mut reader.by_ref().take(skip as u64), &mut std::io::sink()).map_err(io_error)?;
    // `chunk` starts with the bytes of a character cut at the previous read.
    let mut chunk = vec![0u8; CHUNK_BYTES + 4];
    let (mut carried, mut offset) = (0usize, 0usize);
    loop {
        let n = match reader.read(&mut chunk[carried..]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_error(e)),
        };
        let filled = carried + n;
        if n == 0 {
            return Ok((carried > 0).then_some(offset));
        }
        match std::str::from_utf8(&chunk[..filled]) {
            Ok(_) => carried = 0,
            // Cut at the end of the chunk: complete it with the next read.
            Err(e) if e.error_len().is_none() => {
                let valid = e.valid_up_to();
                chunk.copy_within(valid..filled, 0);
                carried = filled - valid;
            }
            Err(e) => return Ok(Some(offset + e.valid_up_to())),
        }
        offset += filled - carried;
    }
}

/// The 1-based line that byte `at` (past `skip` bytes) is on.
fn line_of(input: CsvInput<'_>, skip: usize, at: usize) -> Result<usize, ReadError> {
    let reader = input.open()?;
    let mut lines = 1;
    let mut reader = BufReader::with_capacity(CHUNK_BYTES, reader.take((skip + at) as u64));
    std::io::copy(&mut reader.by_ref().take(skip as u64), &mut std::io::sink()).map_err(io_error)?;
    loop {
        let buf = reader.fill_buf().map_err(io_error)?;
        if buf.is_empty() {
            return Ok(lines);
        }
        lines += memchr::memchr_iter(b'\n', buf).count();
        let n = buf.len();
        reader.consume(n);
    }
}

/// For a file that is not valid UTF-8: the first line whose encoding differs
/// from the first line that has non-ASCII text, if a line is plainly UTF-8
/// (valid, with at least two non-ASCII characters: GBK text is practically
/// never valid UTF-8 at that length) and another is not UTF-8 at all. GBK
/// never uses the byte `\n` inside a character, so lines split safely.
fn mixed_encoding_row(input: CsvInput<'_>) -> Result<Option<usize>, ReadError> {
    let mut reader = BufReader::with_capacity(CHUNK_BYTES, input.open()?);
    let mut first: Option<bool> = None;
    let mut line = Vec::new();
    let mut number = 0;
    loop {
        line.clear();
        // A line longer than a record may be is not read whole: its start tells.
        let read = reader.by_ref().take(MAX_RECORD_BYTES as u64).read_until(b'\n', &mut line).map_err(io_error)?;
        if read == 0 {
            return Ok(None);
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        number += 1;
        let non_ascii = line.iter().filter(|b| !b.is_ascii()).count();
        if non_ascii == 0 {
            continue;
        }
        let utf8 = match std::str::from_utf8(&line) {
            Ok(_) if non_ascii >= 6 => true,
            Ok(_) => continue,
            Err(_) => false,
        };
        match first {
            None => first = Some(utf8),
            Some(f) if f != utf8 => return Ok(Some(number)),
            Some(_) => {}
        }
    }
}

/// Picks the delimiter that occurs most often (outside quotes) in the first
/// line: comma, tab (Excel "Unicode text") or semicolon (European Excel).
fn detect_delimiter(text: &[u8]) -> u8 {
    let (mut commas, mut tabs, mut semicolons) = (0usize, 0usize, 0usize);
    let mut in_quotes = false;
    for &b in text {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' | b'\r' if !in_quotes => break,
            b',' if !in_quotes => commas += 1,
            b'\t' if !in_quotes => tabs += 1,
            b';' if !in_quotes => semicolons += 1,
            _ => {}
        }
    }
    if tabs > commas && tabs >= semicolons {
        b'\t'
    } else if semicolons > commas {
        b';'
    } else {
        b','
    }
}

/// The number of line breaks (`\n`, `\r\n` or a lone `\r`) in the run of
/// line-break bytes around `pos`. The reader skips blank lines silently and
/// a record may start *before* the previous terminator, so this is how we
/// keep row numbers true to what Excel shows.
fn line_breaks_around(bytes: &[u8], pos: usize) -> usize {
    let is_break = |b: &u8| matches!(b, b'\r' | b'\n');
    let pos = pos.min(bytes.len());
    let start = pos - bytes[..pos].iter().rev().take_while(|b| is_break(b)).count();
    let end = pos + bytes[pos..].iter().take_while(|b| is_break(b)).count();
    let run = &bytes[start..end];
    run.iter().enumerate().filter(|&(i, &b)| b == b'\n' || (b == b'\r' && run.get(i + 1) != Some(&b'\n'))).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(text: &str) -> Result<Table, ReadError> {
        read(CsvInput::Bytes(text.as_bytes()))
    }

    #[test]
    fn long_cells_and_wide_rows_are_refused_with_their_place() {
        let long = format!("名称,备注\r\nA,{}\r\n", "长".repeat(MAX_CELL_CHARS + 1));
        assert_eq!(read_str(&long), Err(ReadError::CellTooLong { row: 2, column: "B".into() }));
        let at_limit = format!("名称,备注\r\nA,{}\r\n", "长".repeat(MAX_CELL_CHARS));
        assert!(read_str(&at_limit).is_ok());
        // Longer than the field buffer: refused before it is all read.
        let huge = format!("名称\r\n\"{}\"\r\n", "x".repeat(MAX_FIELD_BYTES * 2));
        assert_eq!(read_str(&huge), Err(ReadError::CellTooLong { row: 2, column: "A".into() }));
        let wide = format!("名称{}\r\n", ",h".repeat(MAX_COLUMNS));
        assert_eq!(read_str(&wide), Err(ReadError::TooManyColumns { row: 1 }));
        let wide_row = format!("名称,城市\r\nA{}\r\n", ",".repeat(MAX_COLUMNS * 4));
        assert_eq!(read_str(&wide_row), Err(ReadError::TooManyColumns { row: 2 }));
    }

    #[test]
    fn mixed_encodings_name_the_row() {
        let (gbk, _, _) = encoding_rs::GBK.encode("甲公司,上海\r\n乙公司,北京\r\n");
        let mut utf8_then_gbk = "客户名称,城市\r\n".as_bytes().to_vec();
        utf8_then_gbk.extend_from_slice(&gbk);
        assert_eq!(read(CsvInput::Bytes(&utf8_then_gbk)), Err(ReadError::MixedEncoding { row: 2 }));

        let mut bytes = encoding_rs::GBK.encode("客户名称,城市\r\n甲公司,上海\r\n").0.into_owned();
        bytes.extend_from_slice("乙公司,北京\r\n".as_bytes());
        assert_eq!(read(CsvInput::Bytes(&bytes)), Err(ReadError::MixedEncoding { row: 3 }));

        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice("客户名称\r\nA\r\n".as_bytes());
        bom.extend_from_slice(&gbk);
        assert_eq!(read(CsvInput::Bytes(&bom)), Err(ReadError::MixedEncoding { row: 3 }));

        // A GBK file with ASCII rows is one encoding.
        let (gbk, _, _) = encoding_rs::GBK.encode("客户名称,城市\r\nABC,Shanghai\r\n甲公司,上海\r\n");
        assert_eq!(read(CsvInput::Bytes(&gbk)).unwrap().rows.len(), 2);
    }

    #[test]
    fn utf32_is_refused() {
        let mut bytes = vec![0xFF, 0xFE, 0, 0];
        bytes.extend(b"a\0\0\0");
        assert_eq!(read(CsvInput::Bytes(&bytes)), Err(ReadError::Unsupported("utf-32")));
    }

    #[test]
    fn formula_guards_are_dropped() {
        let t = read_str("名称\r\n'=1+1公司\r\n'@公式客户\r\n'-1+1\r\n'+1\r\n'普通\r\n\"'\t制表\"\r\n").unwrap();
        let names: Vec<String> = t.rows.iter().map(|r| r.get(0).display().into_owned()).collect();
        assert_eq!(names, ["=1+1公司", "@公式客户", "-1+1", "+1", "'普通", "制表"]);
    }

    /// A file on disk holding `bytes`, read as a stream.
    fn read_file(bytes: &[u8]) -> Result<Table, ReadError> {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), bytes).unwrap();
        read(CsvInput::File(file.path()))
    }

    #[test]
    fn files_larger_than_a_chunk_read_like_memory() {
        // Chinese text cut at every possible chunk offset, GBK and UTF-8.
        let mut text = String::from("客户名称,城市\r\n");
        for i in 0..20_000 {
            text.push_str(&format!("客户{i}有限公司,上海\r\n"));
        }
        let from_memory = read_str(&text).unwrap();
        assert_eq!(from_memory.rows.len(), 20_000);
        assert_eq!(read_file(text.as_bytes()).unwrap(), from_memory);
        let (gbk, _, _) = encoding_rs::GBK.encode(&text);
        assert_eq!(read_file(&gbk).unwrap(), from_memory);
        // A GBK row deep in a UTF-8 file is found where it is.
        let mut mixed = text.clone().into_bytes();
        mixed.extend_from_slice(&encoding_rs::GBK.encode("乙公司,北京\r\n").0);
        assert_eq!(read_file(&mixed), Err(ReadError::MixedEncoding { row: 20_002 }));
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(&mixed);
        assert_eq!(read_file(&bom), Err(ReadError::MixedEncoding { row: 20_002 }));
    }

    #[test]
    fn a_missing_file_is_a_read_error() {
        let missing = std::path::Path::new("/nonexistent/rally-customers.csv");
        assert!(matches!(read(CsvInput::File(missing)), Err(ReadError::Csv(_))));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

        /// Records cut anywhere by the reader's chunks keep their cells and
        /// the row numbers Excel shows: blank lines, CRLF, LF and lone CR,
        /// quoted fields with line breaks.
        #[test]
        fn row_numbers_survive_chunk_boundaries(
            terminator in 0usize..3,
            shapes in proptest::collection::vec((0usize..3, proptest::bool::ANY, 0usize..40), 3000..6000)
        ) {
            // One kind of line break per file: a CR before an LF is one break.
            let end = ["\r\n", "\n", "\r"][terminator];
            let mut text = format!("名称,备注{end}");
            let mut line = 2;
            let mut expected = Vec::new();
            for (i, &(blanks, quoted, pad)) in shapes.iter().enumerate() {
                for _ in 0..blanks {
                    text.push_str(end);
                    line += 1;
                }
                let note = "注".repeat(pad);
                let (cell, shown) = if quoted {
                    (format!("\"第{i}行{end}续{note}\""), format!("第{i}行{end}续{note}"))
                } else {
                    (format!("第{i}行{note}"), format!("第{i}行{note}"))
                };
                text.push_str(&format!("客户{i},{cell}{end}"));
                expected.push((line, format!("客户{i}"), shown));
                line += 1;
            }
            let from_memory = read_str(&text).unwrap();
            let got: Vec<(usize, String, String)> = from_memory
                .rows
                .iter()
                .map(|r| (r.number, r.get(0).display().into_owned(), r.get(1).display().into_owned()))
                .collect();
            proptest::prop_assert_eq!(&got, &expected);
            proptest::prop_assert_eq!(read_file(text.as_bytes()).unwrap(), from_memory);
        }
    }
}
