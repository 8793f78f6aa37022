//! Text as people type it into forms, spreadsheets and chat: full-width
//! characters from Chinese input methods, invisible spaces from copy-paste.
//! Every parser of a typed value starts here, so a form and an import read
//! `５００万` or ` ａ＠ｂ．ｃｏｍ ` the same way.
//!
//! Also the rules for stored text: which characters it may hold, and how a
//! message quotes what someone typed without echoing all of it back.

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

/// How much of a quoted value a message keeps.
pub const QUOTE_KEEP: usize = 40;
/// The longest message, whatever it quotes.
pub const MESSAGE_MAX: usize = 500;

/// A character a text may not contain, and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadChar {
    pub ch: char,
    /// 1-based position in characters.
    pub position: usize,
}

impl BadChar {
    /// `U+0000` style, since the character itself would not show.
    pub fn code(&self) -> String {
        format!("U+{:04X}", u32::from(self.ch))
    }
}

/// NUL and the other control characters (C0, DEL, C1) are refused; so are
/// the invisible bidirectional overrides that can make a name read as
/// something else. A multi-line text may hold tabs and line breaks.
pub fn check_chars(text: &str, multiline: bool) -> Result<(), BadChar> {
    for (i, ch) in text.chars().enumerate() {
        let allowed_space = multiline && matches!(ch, '\t' | '\n' | '\r');
        let bidi_override = matches!(ch, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
        if (ch.is_control() && !allowed_space) || bidi_override {
            return Err(BadChar { ch, position: i + 1 });
        }
    }
    Ok(())
}

/// A multi-line text with `\r\n` and lone `\r` made `\n`, so what is stored
/// does not depend on the browser or the operating system that sent it.
pub fn normalize_newlines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// Shortens every quoted run (`"…"` or `` `…` ``) of a message to
/// [`QUOTE_KEEP`] characters and the whole message to [`MESSAGE_MAX`], so an
/// error about a 100 KB value does not send the 100 KB back.
pub fn shorten_quotes(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(MESSAGE_MAX + 8));
    let mut quote: Option<char> = None;
    let mut kept = 0usize;
    let mut escaped = false;
    let mut cut = false;
    for ch in message.chars() {
        match quote {
            None => {
                out.push(ch);
                if ch == '"' || ch == '`' {
                    quote = Some(ch);
                    kept = 0;
                    cut = false;
                }
            }
            Some(q) => {
                let closes = ch == q && !escaped;
                escaped = !escaped && ch == '\\' && q == '"';
                if closes {
                    quote = None;
                    out.push(ch);
                } else if kept < QUOTE_KEEP {
                    kept += 1;
                    out.push(ch);
                } else if !cut {
                    cut = true;
                    out.push('…');
                }
            }
        }
    }
    if out.chars().count() > MESSAGE_MAX {
        out = out.chars().take(MESSAGE_MAX).collect::<String>() + "…";
    }
    out
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

    #[test]
    fn control_characters_are_found_with_their_position() {
        assert_eq!(check_chars("华东精密", false), Ok(()));
        assert_eq!(check_chars("a\0b", false), Err(BadChar { ch: '\0', position: 2 }));
        assert_eq!(check_chars("a\nb", false).unwrap_err().code(), "U+000A");
        assert_eq!(check_chars("第一行\n第二行\t缩进\r\n", true), Ok(()));
        assert!(check_chars("x\u{7}", true).is_err(), "BEL");
        assert!(check_chars("x\u{85}", true).is_err(), "C1 next line");
        assert!(check_chars("abc\u{202E}fdp.exe", false).is_err(), "right-to-left override");
        assert_eq!(check_chars("emoji 😀 and 中文", false), Ok(()));
    }

    #[test]
    fn newlines_are_normalised() {
        assert_eq!(normalize_newlines("a\r\nb\rc\nd"), "a\nb\nc\nd");
    }

    #[test]
    fn quoted_values_are_shortened() {
        let huge = "x".repeat(100_000);
        let message = format!("invalid type: string \"{huge}\", expected i64 at line 1 column 100012");
        let short = shorten_quotes(&message);
        assert!(short.len() < 200, "{short}");
        assert!(short.starts_with("invalid type: string \"xxxx"));
        assert!(short.ends_with("…\", expected i64 at line 1 column 100012"), "{short}");
        let field = format!("unknown field `{huge}`, expected `name`");
        assert!(shorten_quotes(&field).ends_with("…`, expected `name`"));
        assert_eq!(shorten_quotes("name \"a\\\"b\" is taken"), "name \"a\\\"b\" is taken");
        let unclosed = format!("bad \"{huge}");
        assert!(shorten_quotes(&unclosed).chars().count() <= QUOTE_KEEP + 8);
        let long_plain = "y".repeat(10_000);
        assert_eq!(shorten_quotes(&long_plain).chars().count(), MESSAGE_MAX + 1);
    }
}
