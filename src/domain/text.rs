//! Text as people type it into forms, spreadsheets and chat: full-width
//! characters from Chinese input methods, invisible spaces from copy-paste.
//! Every parser of a typed value starts here, so a form and an import read
//! `５００万` or ` ａ＠ｂ．ｃｏｍ ` the same way.

use std::borrow::Cow;

/// Converts full-width ASCII variants (U+FF01..=U+FF5E) and the ideographic
/// space (U+3000) to their ASCII counterparts. Chinese input methods produce
/// these easily (`５００万`, `ａ＠ｂ．ｃｏｍ`, `（`), and users cannot see the
/// difference. Borrows when there is nothing to convert, which is the common
/// case and keeps the hot path allocation-free.
pub fn to_half_width(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_full_width) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.chars().map(half_width_char).collect())
}

fn is_full_width(c: char) -> bool {
    matches!(c, '\u{FF01}'..='\u{FF5E}' | '\u{3000}')
}

/// The ASCII counterpart of a full-width character; other characters are
/// returned unchanged.
pub fn half_width_char(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// Whitespace as users produce it: Unicode white space (including U+3000 and
/// NBSP) plus the invisible zero-width space and BOM that copy-paste from web
/// pages and WeChat leaves behind.
pub fn is_blank_char(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{FEFF}')
}

/// Trims [`is_blank_char`] characters from both ends.
pub fn trim_blank(s: &str) -> &str {
    s.trim_matches(is_blank_char)
}

/// Trimmed and half-width: what a typed value means.
pub fn clean(s: &str) -> Cow<'_, str> {
    match to_half_width(trim_blank(s)) {
        Cow::Borrowed(b) => Cow::Borrowed(b),
        Cow::Owned(o) => Cow::Owned(trim_blank(&o).to_owned()),
    }
}

/// A value quoted for a message, cut to 40 characters so a pasted essay is
/// not echoed back whole.
pub fn quote(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    format!("'{out}'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_values_are_cleaned_alike() {
        assert_eq!(clean("\u{3000}５００万\u{200B} "), "500万");
        assert_eq!(clean("abc"), "abc");
        assert_eq!(quote(&"长".repeat(100)).chars().count(), 43);
    }
}
