//! CSV: decoding (UTF-8 with or without BOM, UTF-16 with BOM, GBK) and a
//! record reader (`csv_core`) with bounded buffers, so that a line of a
//! million empty fields or one field of sixty megabytes is refused after a
//! few megabytes rather than held.

use std::borrow::Cow;

use csv_core::{ReadRecordResult, ReaderBuilder};

use super::{Cell, MAX_CELL_CHARS, MAX_COLUMNS, ReadError, Table, TableBuilder, check_cell_length, column_letters};

/// Bytes a cell of [`MAX_CELL_CHARS`] characters can take in UTF-8.
const MAX_FIELD_BYTES: usize = MAX_CELL_CHARS * 4;
/// Bytes one record may take: a customer row is a few hundred; this is
/// room for several cells at the limit.
const MAX_RECORD_BYTES: usize = 8 << 20;

pub(super) fn read(bytes: &[u8]) -> Result<Table, ReadError> {
    let mut records = Records::new(bytes)?;
    let mut builder = TableBuilder::new();
    while let Some((row, cells)) = records.next(builder.width())? {
        builder.push(row, cells)?;
    }
    builder.finish()
}

/// A CSV file's records, read one at a time (an import streams a file of a
/// million rows through this without holding its rows).
pub(super) struct Records<'a> {
    text: Cow<'a, str>,
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
    pub(super) fn new(bytes: &'a [u8]) -> Result<Self, ReadError> {
        let text = decode(bytes)?;
        let delimiter = detect_delimiter(&text);
        let reader = ReaderBuilder::new().delimiter(delimiter).build();
        Ok(Records {
            text,
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
    pub(super) fn count_filled(&self) -> usize {
        let data = self.text.as_bytes();
        let mut reader = ReaderBuilder::new().delimiter(self.delimiter).build();
        // Fields are not kept: full buffers are simply written over.
        let mut output = [0u8; 4096];
        let mut ends = [0usize; 64];
        let (mut pos, mut filled, mut count) = (0usize, false, 0usize);
        loop {
            let (result, read, out, _) = reader.read_record(&data[pos..], &mut output, &mut ends);
            pos += read;
            filled |= out > 0;
            match result {
                ReadRecordResult::InputEmpty | ReadRecordResult::OutputFull | ReadRecordResult::OutputEndsFull => {}
                ReadRecordResult::Record => {
                    count += usize::from(filled);
                    filled = false;
                }
                ReadRecordResult::End => return count,
            }
        }
    }

    /// The next record's spreadsheet row and its first `width` cells.
    pub(super) fn next(&mut self, width: usize) -> Result<Option<(usize, Vec<Cell>)>, ReadError> {
        if self.done {
            return Ok(None);
        }
        let data = self.text.as_bytes();
        // A record is one spreadsheet row even when a quoted field spans
        // lines, as when Excel opens the file.
        let start = self.pos;
        let (mut written, mut fields) = (0usize, 0usize);
        loop {
            let (result, read, out, found) =
                self.reader.read_record(&data[self.pos..], &mut self.output[written..], &mut self.ends[fields..]);
            self.pos += read;
            written += out;
            fields += found;
            match result {
                // The whole input is given at once: an empty input next tells
                // the reader that the file has ended.
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

/// Decodes CSV bytes to UTF-8: UTF-8 (with or without BOM) if valid, UTF-16
/// with BOM (Excel's "Unicode text"), otherwise GB18030 — a superset of GBK,
/// which is what Excel and WPS write on Chinese Windows. A file whose rows
/// are in different encodings (a UTF-8 header pasted over GBK rows) is
/// refused with the first row that differs: decoding it either way would
/// garble half of it.
fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, ReadError> {
    if bytes.starts_with(&[0xFF, 0xFE, 0, 0]) || bytes.starts_with(&[0, 0, 0xFE, 0xFF]) {
        return Err(ReadError::Unsupported("utf-32"));
    }
    if let Some((encoding, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let body = &bytes[bom_len..];
        if encoding == encoding_rs::UTF_8 {
            return match std::str::from_utf8(body) {
                Ok(text) => Ok(Cow::Borrowed(text)),
                // The BOM promises UTF-8; count the BOM's line as row 1.
                Err(e) => Err(ReadError::MixedEncoding { row: line_of(body, e.valid_up_to()) }),
            };
        }
        let (text, _) = encoding.decode_without_bom_handling(body);
        return Ok(text);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(Cow::Borrowed(text)),
        Err(_) => {
            if let Some(row) = mixed_encoding_row(bytes) {
                return Err(ReadError::MixedEncoding { row });
            }
            Ok(encoding_rs::GB18030.decode_without_bom_handling(bytes).0)
        }
    }
}

/// The 1-based line that byte `at` is on.
fn line_of(bytes: &[u8], at: usize) -> usize {
    bytes[..at.min(bytes.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

/// For a file that is not valid UTF-8: the first line whose encoding differs
/// from the first line that has non-ASCII text, if a line is plainly UTF-8
/// (valid, with at least two non-ASCII characters: GBK text is practically
/// never valid UTF-8 at that length) and another is not UTF-8 at all. GBK
/// never uses the byte `\n` inside a character, so lines split safely.
fn mixed_encoding_row(bytes: &[u8]) -> Option<usize> {
    let mut first: Option<bool> = None;
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let non_ascii = line.iter().filter(|b| !b.is_ascii()).count();
        if non_ascii == 0 {
            continue;
        }
        let utf8 = match std::str::from_utf8(line) {
            Ok(_) if non_ascii >= 6 => true,
            Ok(_) => continue,
            Err(_) => false,
        };
        match first {
            None => first = Some(utf8),
            Some(f) if f != utf8 => return Some(i + 1),
            Some(_) => {}
        }
    }
    None
}

/// Picks the delimiter that occurs most often (outside quotes) in the first
/// line: comma, tab (Excel "Unicode text") or semicolon (European Excel).
fn detect_delimiter(text: &str) -> u8 {
    let (mut commas, mut tabs, mut semicolons) = (0usize, 0usize, 0usize);
    let mut in_quotes = false;
    for b in text.bytes() {
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
        read(text.as_bytes())
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
        assert_eq!(read(&utf8_then_gbk), Err(ReadError::MixedEncoding { row: 2 }));

        let mut bytes = encoding_rs::GBK.encode("客户名称,城市\r\n甲公司,上海\r\n").0.into_owned();
        bytes.extend_from_slice("乙公司,北京\r\n".as_bytes());
        assert_eq!(read(&bytes), Err(ReadError::MixedEncoding { row: 3 }));

        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice("客户名称\r\nA\r\n".as_bytes());
        bom.extend_from_slice(&gbk);
        assert_eq!(read(&bom), Err(ReadError::MixedEncoding { row: 3 }));

        // A GBK file with ASCII rows is one encoding.
        let (gbk, _, _) = encoding_rs::GBK.encode("客户名称,城市\r\nABC,Shanghai\r\n甲公司,上海\r\n");
        assert_eq!(read(&gbk).unwrap().rows.len(), 2);
    }

    #[test]
    fn utf32_is_refused() {
        let mut bytes = vec![0xFF, 0xFE, 0, 0];
        bytes.extend(b"a\0\0\0");
        assert_eq!(read(&bytes), Err(ReadError::Unsupported("utf-32")));
    }

    #[test]
    fn formula_guards_are_dropped() {
        let t = read_str("名称\r\n'=1+1公司\r\n'@公式客户\r\n'-1+1\r\n'+1\r\n'普通\r\n\"'\t制表\"\r\n").unwrap();
        let names: Vec<String> = t.rows.iter().map(|r| r.get(0).display().into_owned()).collect();
        assert_eq!(names, ["=1+1公司", "@公式客户", "-1+1", "+1", "'普通", "制表"]);
    }
}
