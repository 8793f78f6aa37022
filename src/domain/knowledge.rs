//! The team knowledge base (知识库) and the search over it, the customers'
//! names and the follow-up notes: entry kinds and statuses, how a typed
//! query becomes search terms, and how a hit's text is cut into a snippet
//! with the matched words marked. Pure: the store matches, this decides
//! what a query means and what a reader is shown.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use super::text::is_blank_char;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// 话术
    Script,
    /// 异议应对
    Objection,
    /// 解决方案
    Solution,
    /// 经验教训
    Lesson,
}

impl EntryKind {
    pub const ALL: [EntryKind; 4] = [EntryKind::Script, EntryKind::Objection, EntryKind::Solution, EntryKind::Lesson];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Script => "script",
            EntryKind::Objection => "objection",
            EntryKind::Solution => "solution",
            EntryKind::Lesson => "lesson",
        }
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EntryKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EntryKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| "kind is one of script, objection, solution, lesson".to_owned())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryStatus {
    /// Proposed by a rep (or drafted from a follow-up), not yet curated.
    Proposed,
    Published,
    /// Out of use, or merged into another entry.
    Retired,
}

impl EntryStatus {
    pub const ALL: [EntryStatus; 3] = [EntryStatus::Proposed, EntryStatus::Published, EntryStatus::Retired];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryStatus::Proposed => "proposed",
            EntryStatus::Published => "published",
            EntryStatus::Retired => "retired",
        }
    }
}

impl FromStr for EntryStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EntryStatus::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| "status is one of proposed, published, retired".to_owned())
    }
}

/// At most this many characters of a query are read, and this many terms.
pub const MAX_QUERY_CHARS: usize = 100;
pub const MAX_TERMS: usize = 8;

/// Terms this long or longer are matched through the trigram index; shorter
/// ones (价格, 质保) have no trigram and are matched by a bounded scan.
pub const TRIGRAM: usize = 3;

/// A query as the search runs it: terms split on white space (any kind,
/// including the ideographic space), duplicates dropped. Every term must
/// occur in a hit (AND), as a substring, case-insensitively for Latin text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub terms: Vec<String>,
}

impl Query {
    /// `None` when nothing is left to search for. Too long or too many
    /// terms is an error naming the limit.
    pub fn parse(raw: &str) -> Result<Option<Query>, String> {
        if raw.chars().count() > MAX_QUERY_CHARS {
            return Err(format!("a search is at most {MAX_QUERY_CHARS} characters"));
        }
        let mut terms: Vec<String> = Vec::new();
        for t in raw.split(is_blank_char).filter(|t| !t.is_empty()) {
            if t.chars().any(char::is_control) {
                return Err("a search may not hold control characters".to_owned());
            }
            if !terms.iter().any(|x| x.to_lowercase() == t.to_lowercase()) {
                terms.push(t.to_owned());
            }
        }
        if terms.len() > MAX_TERMS {
            return Err(format!("a search has at most {MAX_TERMS} words"));
        }
        Ok((!terms.is_empty()).then_some(Query { terms }))
    }

    /// Terms the trigram index can match.
    pub fn long_terms(&self) -> impl Iterator<Item = &str> {
        self.terms.iter().filter(|t| t.chars().count() >= TRIGRAM).map(String::as_str)
    }

    /// Terms too short for trigrams.
    pub fn short_terms(&self) -> impl Iterator<Item = &str> {
        self.terms.iter().filter(|t| t.chars().count() < TRIGRAM).map(String::as_str)
    }

    /// The FTS5 query for the long terms: each a quoted phrase (a trigram
    /// phrase is a substring match), all required; `None` without long terms.
    pub fn fts5(&self) -> Option<String> {
        let parts: Vec<String> = self.long_terms().map(fts5_phrase).collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

impl Query {
    /// Whether every term is without letter case (Chinese, digits,
    /// punctuation). For such terms a plain `LIKE` finds exactly what the
    /// case-insensitive matches find (SQLite's trigram table, PostgreSQL's
    /// `ILIKE`), so a search may read rows by `LIKE` without the index.
    pub fn caseless(&self) -> bool {
        self.terms.iter().all(|t| is_caseless(t))
    }
}

/// A term none of whose characters has an upper or lower case.
pub fn is_caseless(term: &str) -> bool {
    term.chars().all(|c| !c.is_lowercase() && !c.is_uppercase() && c.to_lowercase().eq([c]) && c.to_uppercase().eq([c]))
}

/// The letter put before every character of a text, and after the last,
/// for the short-term index of customers' names: there each character pair
/// `ab` is the trigram `aSb` and each character `a` the trigram `SaS`, so a
/// trigram index (SQLite's FTS5, PostgreSQL's `pg_trgm`) can look up one-
/// and two-character terms. A letter, because `pg_trgm` only takes letters
/// and digits into its trigrams; which one only matters for names holding
/// it, where the exact check after the lookup drops the extra candidates.
pub const SPREAD: char = 'q';

/// `term` spread as the short-term index holds text: `价格` → `q价q格q`.
pub fn spread(term: &str) -> String {
    let mut out = String::with_capacity(term.len() * 2 + 1);
    for c in term.chars() {
        out.push(SPREAD);
        out.push(c);
    }
    out.push(SPREAD);
    out
}

/// A term as an FTS5 phrase (a trigram phrase is a substring match).
pub fn fts5_phrase(term: &str) -> String {
    format!("\"{}\"", term.replace('"', "\"\""))
}

/// `%term%` for `LIKE … ESCAPE '\'`, the wildcards in the term taken literally.
pub fn like_pattern(term: &str) -> String {
    let mut out = String::with_capacity(term.len() + 2);
    out.push('%');
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// A piece of a snippet: text, and whether it is a matched term.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Piece {
    pub text: String,
    pub hit: bool,
}

/// Case-insensitive (per character) comparison of `text[at..]` with `term`.
fn matches_at(text: &[char], at: usize, term: &[char]) -> bool {
    at + term.len() <= text.len()
        && text[at..at + term.len()].iter().zip(term).all(|(a, b)| a == b || a.to_lowercase().eq(b.to_lowercase()))
}

/// Where the terms occur in `text`, as char ranges, left to right, longest
/// term first where two start together, never overlapping.
fn hit_ranges(text: &[char], terms: &[Vec<char>]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let best = terms.iter().filter(|t| !t.is_empty() && matches_at(text, at, t)).map(Vec::len).max();
        match best {
            Some(len) => {
                out.push((at, at + len));
                at += len;
            }
            None => at += 1,
        }
    }
    out
}

/// The part of `text` around the first hit, at most `width` characters
/// (ellipses where it was cut), split into pieces with the hits marked.
/// A text without a hit gives its beginning.
pub fn snippet(text: &str, terms: &[String], width: usize) -> Vec<Piece> {
    let chars: Vec<char> = text.chars().map(|c| if c == '\n' || c == '\r' { ' ' } else { c }).collect();
    let terms: Vec<Vec<char>> = terms.iter().map(|t| t.chars().collect()).collect();
    let hits = hit_ranges(&chars, &terms);
    let width = width.max(1);
    let (start, end) = if chars.len() <= width {
        (0, chars.len())
    } else {
        let first = hits.first().map_or(0, |h| h.0);
        // A little context before the first hit, the rest after it.
        let start = first.saturating_sub(width / 4).min(chars.len() - width);
        (start, start + width)
    };
    let mut pieces: Vec<Piece> = Vec::new();
    let mut push = |text: String, hit: bool| {
        if text.is_empty() {
            return;
        }
        match pieces.last_mut() {
            Some(last) if last.hit == hit => last.text.push_str(&text),
            _ => pieces.push(Piece { text, hit }),
        }
    };
    if start > 0 {
        push("…".to_owned(), false);
    }
    let mut at = start;
    for &(s, e) in hits.iter().filter(|h| h.1 > start && h.0 < end) {
        let (s, e) = (s.max(start), e.min(end));
        push(chars[at..s].iter().collect(), false);
        push(chars[s..e].iter().collect(), true);
        at = e;
    }
    push(chars[at..end].iter().collect(), false);
    if end < chars.len() {
        push("…".to_owned(), false);
    }
    pieces
}

/// The pieces as HTML: text escaped, hits in `<mark>`. Stored text is never
/// trusted as markup.
pub fn to_html(pieces: &[Piece]) -> String {
    let mut out = String::new();
    for p in pieces {
        if p.hit {
            out.push_str("<mark>");
        }
        for c in p.text.chars() {
            match c {
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '&' => out.push_str("&amp;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&#39;"),
                c => out.push(c),
            }
        }
        if p.hit {
            out.push_str("</mark>");
        }
    }
    out
}

/// Whether every term occurs in one of the texts (the store's rule, for checks).
pub fn all_terms_in(texts: &[&str], terms: &[String]) -> bool {
    terms.iter().all(|t| {
        let t: Vec<char> = t.chars().collect();
        texts.iter().any(|x| {
            let x: Vec<char> = x.chars().collect();
            (0..x.len()).any(|i| matches_at(&x, i, &t))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(raw: &str) -> Vec<String> {
        Query::parse(raw).unwrap().map(|q| q.terms).unwrap_or_default()
    }

    #[test]
    fn queries_split_on_any_space_and_drop_repeats() {
        assert_eq!(q("  价格\u{3000}质保 价格 "), vec!["价格", "质保"]);
        assert_eq!(q("ROI roi"), vec!["ROI"]);
        assert!(Query::parse(" \u{200B} ").unwrap().is_none());
        assert!(Query::parse(&"字".repeat(101)).is_err());
        assert!(Query::parse("a b c d e f g h i").is_err());
        assert!(Query::parse("价\u{7}格").is_err());
    }

    #[test]
    fn long_terms_go_to_fts_short_ones_to_the_scan() {
        let query = Query::parse("竞品对比 价格 \"x\"y").unwrap().unwrap();
        assert_eq!(query.long_terms().collect::<Vec<_>>(), vec!["竞品对比", "\"x\"y"]);
        assert_eq!(query.short_terms().collect::<Vec<_>>(), vec!["价格"]);
        assert_eq!(query.fts5().unwrap(), "\"竞品对比\" \"\"\"x\"\"y\"");
        assert_eq!(Query::parse("质保").unwrap().unwrap().fts5(), None);
    }

    #[test]
    fn short_terms_are_spread_for_their_index_and_case_is_noticed() {
        assert_eq!(spread("价格"), "q价q格q");
        assert_eq!(spread("价"), "q价q");
        assert_eq!(fts5_phrase(&spread("a\"")), "\"qaq\"\"q\"");
        assert!(Query::parse("价格 竞品对比 50% 1:3").unwrap().unwrap().caseless());
        assert!(!Query::parse("价格 ROI").unwrap().unwrap().caseless());
        assert!(!is_caseless("é") && !is_caseless("ß") && !is_caseless("Ǆ") && is_caseless("，、"));
    }

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(like_pattern("价格"), "%价格%");
        assert_eq!(like_pattern("5%_\\"), "%5\\%\\_\\\\%");
    }

    #[test]
    fn snippets_mark_every_hit_and_cut_around_the_first() {
        let p = snippet("客户对价格有异议，需提供竞品对比方案", &["价格".into(), "竞品对比".into()], 100);
        assert_eq!(
            p,
            vec![
                Piece { text: "客户对".into(), hit: false },
                Piece { text: "价格".into(), hit: true },
                Piece { text: "有异议，需提供".into(), hit: false },
                Piece { text: "竞品对比".into(), hit: true },
                Piece { text: "方案".into(), hit: false },
            ]
        );
        let long = format!("{}质保{}", "甲".repeat(50), "乙".repeat(50));
        let p = snippet(&long, &["质保".into()], 20);
        assert!(p[0].text.starts_with('…'));
        assert!(p.iter().any(|x| x.hit && x.text == "质保"));
        assert_eq!(p.last().unwrap().text.chars().last(), Some('…'));
        let shown: usize = p.iter().map(|x| x.text.chars().count()).sum();
        assert_eq!(shown, 22, "20 characters and two ellipses");
    }

    #[test]
    fn snippets_match_latin_case_insensitively_and_html_is_escaped() {
        let p = snippet("<script>alert(1)</script> ROI", &["roi".into(), "script".into()], 100);
        let html = to_html(&p);
        assert_eq!(html, "&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt; <mark>ROI</mark>");
        assert!(!to_html(&snippet("a\"b'c&d", &[], 10)).contains(['"', '\'']));
    }

    #[test]
    fn a_text_without_hits_shows_its_beginning() {
        let p = snippet("一二三四五六", &["七".into()], 3);
        assert_eq!(p, vec![Piece { text: "一二三…".into(), hit: false }]);
        assert!(all_terms_in(&["一二三", "abc"], &["二".into(), "B".into()]));
        assert!(!all_terms_in(&["一二三"], &["二".into(), "四".into()]));
    }

    #[test]
    fn kinds_and_statuses_read_their_names() {
        for k in EntryKind::ALL {
            assert_eq!(k.as_str().parse::<EntryKind>().unwrap(), k);
        }
        assert!("faq".parse::<EntryKind>().is_err());
        assert_eq!("retired".parse::<EntryStatus>().unwrap(), EntryStatus::Retired);
    }
}
