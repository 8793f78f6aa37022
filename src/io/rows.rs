//! What the row parsers share: the error type and a helper that reads one
//! mapped cell at a time, recording every bad cell rather than stopping at
//! the first.

use super::mapping::{ColumnMapping, Field};
use super::table::{Cell, Row};
use super::values::{ValueError, text_from_cell};

/// Longest accepted names and other short texts, in characters.
pub const SHORT_TEXT_MAX: usize = 200;
/// Longest accepted tag.
pub const TAG_MAX: usize = 50;
/// Longest accepted note, feedback or next action.
pub const LONG_TEXT_MAX: usize = 5_000;

/// A bad cell (or a missing required value) in one row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    /// The spreadsheet row number.
    pub row: usize,
    /// The header as it appears in the file; the field's Chinese label when
    /// the file has no such column.
    pub column: String,
    pub field: Field,
    /// Stable code for the UI (`required`, `amount_negative`, …).
    pub code: &'static str,
    /// English explanation, for logs and as a fallback.
    pub message: String,
}

/// Reads the mapped cells of one row.
pub(crate) struct RowReader<'a> {
    pub row: &'a Row,
    mapping: &'a ColumnMapping,
    errors: &'a mut Vec<RowError>,
    /// Whether any error was recorded for this row.
    pub failed: bool,
}

impl<'a> RowReader<'a> {
    pub fn new(row: &'a Row, mapping: &'a ColumnMapping, errors: &'a mut Vec<RowError>) -> Self {
        RowReader { row, mapping, errors, failed: false }
    }

    /// The header index and cell of `field`; `None` if the field is not
    /// mapped. The cell may be empty.
    pub fn cell(&self, field: Field) -> Option<(usize, &'a Cell)> {
        let index = self.mapping.index_of(field)?;
        Some((index, self.row.get(index)))
    }

    pub fn mapping(&self) -> &'a ColumnMapping {
        self.mapping
    }

    /// Records an error against `field`'s column.
    pub fn report(&mut self, field: Field, error: ValueError) {
        let column = match self.mapping.index_of(field) {
            Some(index) => self.mapping.header(index).to_owned(),
            None => field.label_zh().to_owned(),
        };
        self.errors.push(RowError { row: self.row.number, column, field, code: error.code, message: error.message });
        self.failed = true;
    }

    /// Parses `field`'s cell with `parse` (given the cell and its column
    /// index); errors are recorded and give `None`, as do unmapped fields.
    pub fn parse<T>(
        &mut self,
        field: Field,
        parse: impl FnOnce(&Cell, usize) -> Result<Option<T>, ValueError>,
    ) -> Option<T> {
        let (index, cell) = self.cell(field)?;
        match parse(cell, index) {
            Ok(value) => value,
            Err(e) => {
                self.report(field, e);
                None
            }
        }
    }

    /// Free text of at most `max` characters.
    pub fn text(&mut self, field: Field, max: usize) -> Option<String> {
        let text = self.parse(field, |cell, _| text_from_cell(cell))?;
        // The same character rule as forms and the API (`domain::text`).
        let multiline = matches!(field, Field::Note | Field::Feedback | Field::NextAction);
        if let Err(e) = check_controls(&text, multiline) {
            self.report(field, e);
            return None;
        }
        match check_length(&text, max) {
            Ok(()) => Some(text),
            Err(e) => {
                self.report(field, e);
                None
            }
        }
    }

    /// A required value is missing.
    pub fn required(&mut self, field: Field, what: &str) {
        self.report(field, ValueError::new("required", format!("{what} is required")));
    }
}

pub(crate) fn check_length(text: &str, max: usize) -> Result<(), ValueError> {
    // Byte length bounds character count from above: skip counting when short.
    if text.len() <= max || text.chars().count() <= max {
        Ok(())
    } else {
        Err(ValueError::new("too_long", format!("the text is longer than {max} characters")))
    }
}

/// Refuses control characters (NUL, BEL, ESC, …) as forms and the API do
/// (`domain::text`); `multiline` text (notes) keeps tabs and line breaks.
pub(crate) fn check_controls(text: &str, multiline: bool) -> Result<(), ValueError> {
    crate::domain::text::check_chars(text, multiline).map_err(|bad| {
        let message = format!("the text contains the control character {} at position {}", bad.code(), bad.position);
        ValueError::new("control_char", message)
    })
}

/// Splits `A公司/王总` (the team's 客户/联系人 column) into customer and
/// contact. Without a slash it is all customer.
pub(crate) fn split_name_and_contact(s: &str) -> (Option<String>, Option<String>) {
    let part = |p: &str| {
        let p = super::names::trim_blank(p);
        (!p.is_empty()).then(|| p.to_owned())
    };
    match s.split_once(['/', '／']) {
        Some((name, contact)) => (part(name), part(contact)),
        None => (part(s), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_and_contact() {
        assert_eq!(split_name_and_contact("A公司/总"), (Some("A公司".into()), Some("总".into())));
        assert_eq!(split_name_and_contact("A公司 ／ 王总"), (Some("A公司".into()), Some("王总".into())));
        assert_eq!(split_name_and_contact("A公司"), (Some("A公司".into()), None));
        assert_eq!(split_name_and_contact("/王总"), (None, Some("王总".into())));
    }

    #[test]
    fn control_characters() {
        assert!(check_controls("A公司", false).is_ok());
        assert_eq!(check_controls("A\0公司", false).unwrap_err().code, "control_char");
        assert!(check_controls("第一行\r\n第二行\t完", false).is_err());
        assert!(check_controls("第一行\r\n第二行\t完", true).is_ok());
        assert!(check_controls("响\u{7}铃", true).is_err());
        assert!(check_controls("\u{9b}", true).is_err(), "C1 controls too");
    }

    #[test]
    fn lengths() {
        assert!(check_length("短", 1).is_ok());
        assert!(check_length("长长", 1).is_err());
        assert!(check_length(&"字".repeat(200), 200).is_ok());
    }
}
