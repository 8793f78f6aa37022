//! Parse errors, structured so the UI can localise them.

/// Broad class of a [`ParseError`], for choosing a UI message template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParseErrorKind {
    /// The text does not follow the grammar.
    Syntax,
    /// Well-formed, but the operator or value does not suit the field
    /// (`tier > "S"`, `annual_purchase = "x"`, `tier = "A"`).
    Type,
    /// Input too long, nested too deeply, or too many conditions.
    Limit,
}

/// Where parsing stopped and why.
///
/// `position` is the 1-based column in *characters* (a Chinese character
/// counts one; a newline counts one), pointing at the first character of the
/// offending token, or one past the end for "end of input".
/// `expected` is an English phrase ("a field name (name, industry, …)"),
/// `found` is the offending source text in single quotes or `end of input`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at character {position}: expected {expected}, found {found}")]
pub struct ParseError {
    pub position: usize,
    pub kind: ParseErrorKind,
    pub expected: String,
    pub found: String,
}

impl ParseError {
    pub(crate) fn new(
        position: usize,
        kind: ParseErrorKind,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> ParseError {
        ParseError { position, kind, expected: expected.into(), found: found.into() }
    }
}
