//! The notice as characters: folded for matching (full-width forms, dashes,
//! letter case), split into lines, clauses and pieces, with every range
//! mapped back to the bytes of the text as given, so that what the reader
//! cites is always a slice of the input.

use super::Span;

/// A half-open range of character positions in [`Norm::c`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct R {
    pub s: usize,
    pub e: usize,
}

impl R {
    pub fn new(s: usize, e: usize) -> R {
        R { s, e: e.max(s) }
    }

    pub fn is_empty(self) -> bool {
        self.e <= self.s
    }

    pub fn len(self) -> usize {
        self.e.saturating_sub(self.s)
    }

    pub fn contains(self, other: R) -> bool {
        self.s <= other.s && other.e <= self.e
    }

    pub fn cover(self, other: R) -> R {
        R::new(self.s.min(other.s), self.e.max(other.e))
    }
}

/// Folds a character to the form patterns are written in: full-width ASCII
/// to ASCII, ASCII letters to upper case, every dash to `-`, every tilde to
/// `~`, `【】` to `[]`, odd spaces to a space, `\r` to a line break.
pub(crate) fn fold(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' | '\u{00A0}' | '\t' | '\u{2002}'..='\u{200A}' => ' ',
        '\r' | '\u{2028}' | '\u{2029}' => '\n',
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' => '-',
        '\u{301C}' | '\u{223C}' => '~',
        '【' | '〔' | '〖' => '[',
        '】' | '〕' | '〗' => ']',
        '\u{FF64}' => '、',
        '\u{FF61}' => '。',
        _ => c,
    };
    c.to_ascii_uppercase()
}

/// The folded characters of a notice and where each starts in the input.
pub(crate) struct Norm {
    pub c: Vec<char>,
    /// Byte offset of each character in the input, plus the input's length.
    byte: Vec<usize>,
}

impl Norm {
    pub fn new(input: &str) -> Norm {
        let mut c = Vec::with_capacity(input.len());
        let mut byte = Vec::with_capacity(input.len() + 1);
        for (b, ch) in input.char_indices() {
            c.push(fold(ch));
            byte.push(b);
        }
        byte.push(input.len());
        Norm { c, byte }
    }

    pub fn len(&self) -> usize {
        self.c.len()
    }

    pub fn all(&self) -> R {
        R::new(0, self.len())
    }

    /// The input bytes of a character range.
    pub fn span(&self, r: R) -> Span {
        let at = |i: usize| self.byte.get(i.min(self.c.len())).copied().unwrap_or(0);
        Span { start: at(r.s), end: at(r.e).max(at(r.s)) }
    }

    pub fn at(&self, i: usize) -> Option<char> {
        self.c.get(i).copied()
    }

    /// The folded text of a range.
    pub fn text(&self, r: R) -> String {
        self.c.get(r.s..r.e.min(self.c.len())).map(|s| s.iter().collect()).unwrap_or_default()
    }

    /// Does `word` (folded on the fly) start at `i`, within `limit`?
    pub fn word_at(&self, i: usize, word: &str, limit: usize) -> bool {
        for (j, w) in (i..).zip(word.chars()) {
            if j >= limit.min(self.c.len()) || self.c[j] != fold(w) {
                return false;
            }
        }
        !word.is_empty()
    }

    /// The longest of `words` starting at `i` (within `limit`): its index and length.
    pub fn any_at(&self, i: usize, words: &[&str], limit: usize) -> Option<(usize, usize)> {
        words
            .iter()
            .enumerate()
            .filter(|(_, w)| self.word_at(i, w, limit))
            .map(|(k, w)| (k, w.chars().count()))
            .max_by_key(|&(_, len)| len)
    }

    /// First position in `r` where `word` starts.
    pub fn find(&self, r: R, word: &str) -> Option<usize> {
        (r.s..r.e).find(|&i| self.word_at(i, word, r.e))
    }

    /// First position in `r` where one of `words` starts: (position, index, length).
    pub fn find_any(&self, r: R, words: &[&str]) -> Option<(usize, usize, usize)> {
        (r.s..r.e).find_map(|i| self.any_at(i, words, r.e).map(|(k, len)| (i, k, len)))
    }

    pub fn contains_any(&self, r: R, words: &[&str]) -> bool {
        self.find_any(r, words).is_some()
    }

    /// `r` without surrounding spaces and the punctuation that separates
    /// clauses (never the quotes or brackets that belong to the text).
    pub fn trim(&self, r: R) -> R {
        let junk =
            |c: char| c.is_whitespace() || matches!(c, ',' | ';' | '、' | '。' | ':' | '.' | '!' | '?' | '…' | '|');
        let mut s = r.s.min(self.len());
        let mut e = r.e.min(self.len());
        while s < e && junk(self.c[s]) {
            s += 1;
        }
        while e > s && junk(self.c[e - 1]) {
            e -= 1;
        }
        R::new(s, e)
    }

    /// `r` without surrounding white space only.
    pub fn trim_ws(&self, r: R) -> R {
        let mut s = r.s.min(self.len());
        let mut e = r.e.min(self.len());
        while s < e && self.c[s].is_whitespace() {
            s += 1;
        }
        while e > s && self.c[e - 1].is_whitespace() {
            e -= 1;
        }
        R::new(s, e)
    }

    /// The lines of the text (without their line breaks), blank ones included.
    pub fn lines(&self) -> Vec<R> {
        let mut out = Vec::new();
        let mut start = 0;
        for (i, &c) in self.c.iter().enumerate() {
            if c == '\n' {
                out.push(R::new(start, i));
                start = i + 1;
            }
        }
        out.push(R::new(start, self.len()));
        out
    }

    /// Splits a range at the characters that end a sentence (`。；;！!？?`)
    /// and at the bars chat messages use between fields (`|`).
    pub fn clauses(&self, r: R) -> Vec<R> {
        self.split(r, |n, i| matches!(n.c[i], '。' | ';' | '!' | '?' | '…' | '|'))
    }

    /// Splits a clause at commas (not the thousands separators of `5,000,000`).
    pub fn pieces(&self, r: R) -> Vec<R> {
        self.split(r, |n, i| n.c[i] == ',' && !n.thousands_comma(i))
    }

    /// Splits at commas and enumeration commas (`、`): the items of a list.
    pub fn items(&self, r: R) -> Vec<R> {
        self.split(r, |n, i| (n.c[i] == ',' && !n.thousands_comma(i)) || n.c[i] == '、')
    }

    fn thousands_comma(&self, i: usize) -> bool {
        let digit = |j: usize| self.at(j).is_some_and(|c| c.is_ascii_digit());
        i > 0 && digit(i - 1) && digit(i + 1) && digit(i + 2) && digit(i + 3) && !digit(i + 4)
    }

    fn split(&self, r: R, at: impl Fn(&Norm, usize) -> bool) -> Vec<R> {
        let mut out = Vec::new();
        let mut start = r.s;
        let end = r.e.min(self.len());
        for i in r.s..end {
            if at(self, i) {
                out.push(R::new(start, i));
                start = i + 1;
            }
        }
        out.push(R::new(start, end));
        out.into_iter().map(|p| self.trim(p)).filter(|p| !p.is_empty()).collect()
    }

    /// `r` after a list marker: `一、` `(一)` `（1）` `1.` `1、` `1)` `①` `-` `•` `*`.
    /// The second value is true for a top-level marker (`一、`, `(一)`),
    /// which starts a new section of a formal notice.
    pub fn strip_marker(&self, r: R) -> (R, bool) {
        let r = self.trim_ws(r);
        let c = |i: usize| if i < r.e { self.at(i) } else { None };
        let cn = |ch: char| "一二三四五六七八九十".contains(ch);
        let mut i = r.s;
        // 一、 二、 十一、
        if c(i).is_some_and(cn) {
            let mut j = i;
            while c(j).is_some_and(cn) {
                j += 1;
            }
            if j - i <= 3 && matches!(c(j), Some('、' | '.' | ',')) {
                return (self.trim_ws(R::new(j + 1, r.e)), true);
            }
        }
        // (一) (1)
        if c(i) == Some('(') {
            let mut j = i + 1;
            while c(j).is_some_and(|ch| cn(ch) || ch.is_ascii_digit()) {
                j += 1;
            }
            if j > i + 1 && j - i <= 4 && c(j) == Some(')') {
                let top = c(i + 1).is_some_and(cn);
                return (self.trim_ws(R::new(j + 1, r.e)), top);
            }
        }
        // 1. 1、 1) — not 1.5万 or 12月
        if c(i).is_some_and(|ch| ch.is_ascii_digit()) {
            let mut j = i;
            while c(j).is_some_and(|ch| ch.is_ascii_digit()) {
                j += 1;
            }
            let after = c(j + 1);
            let marker = match c(j) {
                Some('、' | ')') => true,
                Some('.') => !after.is_some_and(|ch| ch.is_ascii_digit()),
                _ => false,
            };
            if j - i <= 2 && marker {
                return (self.trim_ws(R::new(j + 1, r.e)), false);
            }
        }
        // ① … ⑳
        if c(i).is_some_and(|ch| ('\u{2460}'..='\u{2473}').contains(&ch)) {
            return (self.trim_ws(R::new(i + 1, r.e)), false);
        }
        if c(i).is_some_and(|ch| matches!(ch, '-' | '*' | '•' | '·' | '●' | '○' | '■' | '□' | '▪' | '◆' | '>' | '√'))
            && !c(i + 1).is_some_and(|ch| ch.is_ascii_digit())
        {
            i += 1;
            return (self.trim_ws(R::new(i, r.e)), false);
        }
        (r, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_keeps_positions_and_bytes() {
        let input = "主题：新品Ａ，５００万—１２／１５";
        let n = Norm::new(input);
        assert_eq!(n.text(n.all()), "主题:新品A,500万-12/15");
        assert_eq!(n.span(R::new(3, 6)).text(input), "新品Ａ");
        assert_eq!(n.span(n.all()).text(input), input);
    }

    #[test]
    fn clauses_pieces_and_markers() {
        let n = Norm::new("一、活动时间：12月1日至15日；年采购额5,000,000元，华东");
        let (body, top) = n.strip_marker(n.all());
        assert!(top);
        let clauses = n.clauses(body);
        assert_eq!(clauses.len(), 2);
        let pieces: Vec<String> = n.pieces(clauses[1]).into_iter().map(|p| n.text(p)).collect();
        assert_eq!(pieces, ["年采购额5,000,000元", "华东"]);
        let n = Norm::new("1.5万以上");
        assert_eq!(n.strip_marker(n.all()).0, n.all());
        let n = Norm::new("（2）目标");
        assert_eq!(n.text(n.strip_marker(n.all()).0), "目标");
    }
}
