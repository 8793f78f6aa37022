//! Tokeniser for the segment language.
//!
//! It works on a `Vec<char>` so that positions are character columns (what a
//! user counts), not byte offsets. Outside string literals, full-width forms
//! from Chinese keyboards are read as their ASCII twins (see [`normalize`]);
//! inside strings every character is kept as typed.
//!
//! Characters that cannot start a token become a [`Tok::Other`] token rather
//! than an immediate error, so the parser can say what it expected there
//! (e.g. an unquoted `华东` gets "expected a text value in double quotes").

use chrono::NaiveDate;

use super::ast::CmpOp;
use super::error::{ParseError, ParseErrorKind};

/// A number literal kept exact: `mantissa × 10^(−scale)`, multipliers
/// (万, 亿) already applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decimal {
    pub mantissa: i128,
    pub scale: u32,
}

/// Why a decimal did not convert to a fixed-point integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScaleError {
    /// More fractional digits than the target allows.
    Fraction,
    /// Outside `i64`.
    Overflow,
}

impl Decimal {
    /// The value times `10^places`, if that is a whole number that fits `i64`.
    pub fn to_scaled(self, places: u32) -> Result<i64, ScaleError> {
        let v = if self.scale <= places {
            let f = 10i128.checked_pow(places - self.scale).ok_or(ScaleError::Overflow)?;
            self.mantissa.checked_mul(f).ok_or(ScaleError::Overflow)?
        } else {
            let f = 10i128.checked_pow(self.scale - places).ok_or(ScaleError::Overflow)?;
            if self.mantissa % f != 0 {
                return Err(ScaleError::Fraction);
            }
            self.mantissa / f
        };
        i64::try_from(v).map_err(|_| ScaleError::Overflow)
    }
}

/// Longest digit run accepted in a number; keeps `Decimal` arithmetic in
/// `i128` without overflow (10^30 × 10^8 for 亿 < 2^127).
const MAX_NUMBER_DIGITS: usize = 30;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// ASCII identifier or keyword, full-width letters folded to ASCII.
    Word(String),
    Str(String),
    Num(Decimal),
    Date(NaiveDate),
    /// `90d` / `90天`
    Days(u32),
    Op(CmpOp),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    /// A run of characters that cannot start any token.
    Other,
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    /// 1-based character column of the first character.
    pub pos: usize,
    /// 0-based char range in the input, for error messages.
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn is_word(&self, kw: &str) -> bool {
        matches!(&self.tok, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }
}

/// Folds full-width ASCII variants (U+FF01–U+FF5E: `（）［］，＝＜＞！` and
/// full-width letters/digits), the ideographic space, `【】` and the
/// enumeration comma `、` to their ASCII counterparts.
pub(crate) fn normalize(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        '【' => '[',
        '】' => ']',
        '、' => ',',
        _ => c,
    }
}

/// What a Chinese spelling stands for.
enum Alias {
    Word(&'static str),
    Op(CmpOp),
}

/// Chinese spellings the language reads as its English words: field names,
/// `且 或 非 包含 属于 近`, and comparison words. Listed longest first, so
/// `近30天互动次数` is a field and `近 90天` is `within 90d`.
const ALIAS_TABLE: &[(&str, Alias)] = &[
    ("近30天互动次数", Alias::Word("interactions_30d")),
    ("近30天互动", Alias::Word("interactions_30d")),
    ("客户名称", Alias::Word("name")),
    ("所属行业", Alias::Word("industry")),
    ("年采购额", Alias::Word("annual_purchase")),
    ("客户分级", Alias::Word("tier")),
    ("最近互动", Alias::Word("last_interaction")),
    ("最近跟进", Alias::Word("last_interaction")),
    ("最近询盘", Alias::Word("last_inquiry")),
    ("最近下单", Alias::Word("last_order")),
    ("最近成交", Alias::Word("last_order")),
    ("最近订单", Alias::Word("last_order")),
    ("大于等于", Alias::Op(CmpOp::Ge)),
    ("小于等于", Alias::Op(CmpOp::Le)),
    ("不等于", Alias::Op(CmpOp::Ne)),
    ("不低于", Alias::Op(CmpOp::Ge)),
    ("不少于", Alias::Op(CmpOp::Ge)),
    ("不高于", Alias::Op(CmpOp::Le)),
    ("不多于", Alias::Op(CmpOp::Le)),
    ("名称", Alias::Word("name")),
    ("行业", Alias::Word("industry")),
    ("区域", Alias::Word("region")),
    ("城市", Alias::Word("city")),
    ("负责人", Alias::Word("owner")),
    ("分级", Alias::Word("tier")),
    ("标签", Alias::Word("tag")),
    ("来源", Alias::Word("source")),
    ("并且", Alias::Word("and")),
    ("或者", Alias::Word("or")),
    ("包含", Alias::Word("contains")),
    ("属于", Alias::Word("in")),
    ("等于", Alias::Op(CmpOp::Eq)),
    ("大于", Alias::Op(CmpOp::Gt)),
    ("超过", Alias::Op(CmpOp::Gt)),
    ("小于", Alias::Op(CmpOp::Lt)),
    ("低于", Alias::Op(CmpOp::Lt)),
    ("且", Alias::Word("and")),
    ("或", Alias::Word("or")),
    ("非", Alias::Word("not")),
    ("近", Alias::Word("within")),
];

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_continue(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Characters that end an [`Tok::Other`] run because they start a token.
fn is_token_start(c: char) -> bool {
    matches!(c, '"' | '“' | '(' | ')' | '[' | ']' | ',' | '=' | '!' | '<' | '>' | '≠' | '≤' | '≥')
        || c.is_ascii_alphanumeric()
        || c == '_'
        || c == '-'
}

pub(crate) struct Lexer {
    chars: Vec<char>,
    i: usize,
}

impl Lexer {
    pub fn new(input: &str) -> Lexer {
        Lexer { chars: input.chars().collect(), i: 0 }
    }

    /// Source text of a char range, shortened for error messages.
    pub fn snippet(&self, start: usize, end: usize) -> String {
        const MAX: usize = 24;
        let end = end.min(self.chars.len());
        let start = start.min(end);
        if end - start > MAX {
            let mut s: String = self.chars[start..start + MAX].iter().collect();
            s.push('…');
            s
        } else {
            self.chars[start..end].iter().collect()
        }
    }

    fn raw(&self, at: usize) -> Option<char> {
        self.chars.get(at).copied()
    }

    fn peek_n(&self, ahead: usize) -> Option<char> {
        self.raw(self.i + ahead).map(normalize)
    }

    fn error(&self, kind: ParseErrorKind, start: usize, end: usize, expected: &str) -> ParseError {
        let found = if start >= self.chars.len() {
            "end of input".to_owned()
        } else {
            format!("'{}'", self.snippet(start, end.max(start + 1)))
        };
        ParseError::new(start + 1, kind, expected, found)
    }

    pub fn next_token(&mut self) -> Result<Token, ParseError> {
        while self.peek_n(0).is_some_and(char::is_whitespace) {
            self.i += 1;
        }
        let start = self.i;
        let Some(c) = self.peek_n(0) else {
            return Ok(self.token(Tok::Eof, start));
        };
        let tok = match c {
            '"' => self.string(&['"', '＂'])?,
            // Chinese quotes; an ASCII quote also closes, since people switch
            // input methods halfway through a value.
            '“' => self.string(&['”', '"'])?,
            '(' => self.single(Tok::LParen),
            ')' => self.single(Tok::RParen),
            '[' => self.single(Tok::LBracket),
            ']' => self.single(Tok::RBracket),
            ',' => self.single(Tok::Comma),
            '≠' => self.single(Tok::Op(CmpOp::Ne)),
            '≤' => self.single(Tok::Op(CmpOp::Le)),
            '≥' => self.single(Tok::Op(CmpOp::Ge)),
            '=' => self.op(&[('=', CmpOp::Eq)], Some(CmpOp::Eq)),
            '!' => self.op(&[('=', CmpOp::Ne)], None),
            '<' => self.op(&[('=', CmpOp::Le), ('>', CmpOp::Ne)], Some(CmpOp::Lt)),
            '>' => self.op(&[('=', CmpOp::Ge)], Some(CmpOp::Gt)),
            c if c.is_ascii_digit() => self.number()?,
            '-' if self.peek_n(1).is_some_and(|d| d.is_ascii_digit()) => self.number()?,
            c if is_ident_start(c) => self.word(),
            _ => match self.alias() {
                Some((len, tok)) => {
                    self.i += len;
                    tok
                }
                None => {
                    self.i += 1;
                    while self.peek_n(0).is_some_and(|c| !c.is_whitespace() && !is_token_start(c))
                        && self.alias().is_none()
                    {
                        self.i += 1;
                    }
                    Tok::Other
                }
            },
        };
        Ok(self.token(tok, start))
    }

    /// A Chinese alias starting here: its length in characters and token.
    fn alias(&self) -> Option<(usize, Tok)> {
        ALIAS_TABLE.iter().find_map(|(spelling, meaning)| {
            let len = spelling.chars().count();
            let here = self.chars.get(self.i..self.i + len)?;
            here.iter().copied().eq(spelling.chars()).then(|| {
                let tok = match meaning {
                    Alias::Word(w) => Tok::Word((*w).to_owned()),
                    Alias::Op(op) => Tok::Op(*op),
                };
                (len, tok)
            })
        })
    }

    fn token(&self, tok: Tok, start: usize) -> Token {
        Token { tok, pos: start + 1, start, end: self.i }
    }

    fn single(&mut self, tok: Tok) -> Tok {
        self.i += 1;
        tok
    }

    /// An operator whose first char is current; `two` lists second chars.
    fn op(&mut self, two: &[(char, CmpOp)], one: Option<CmpOp>) -> Tok {
        self.i += 1;
        if let Some(next) = self.peek_n(0)
            && let Some(&(_, op)) = two.iter().find(|(c, _)| *c == next)
        {
            self.i += 1;
            return Tok::Op(op);
        }
        match one {
            Some(op) => Tok::Op(op),
            None => Tok::Other, // a lone '!'
        }
    }

    fn word(&mut self) -> Tok {
        let mut w = String::new();
        while let Some(c) = self.peek_n(0).filter(|&c| is_ident_continue(c)) {
            w.push(c);
            self.i += 1;
        }
        Tok::Word(w)
    }

    /// A string literal; the current char is the opening quote. Escapes:
    /// `\\`, `\"`, `\“`, `\”`, `\＂` (the last three so any quote can be
    /// written inside any string).
    fn string(&mut self, closers: &[char]) -> Result<Tok, ParseError> {
        let open = self.i;
        self.i += 1;
        let mut s = String::new();
        loop {
            let Some(c) = self.raw(self.i) else {
                // Point at the opening quote: that is where the fix goes.
                return Err(ParseError::new(
                    open + 1,
                    ParseErrorKind::Syntax,
                    "a closing quote for the text that starts here",
                    "end of input",
                ));
            };
            self.i += 1;
            if closers.contains(&c) {
                return Ok(Tok::Str(s));
            }
            if c == '\\' {
                match self.raw(self.i) {
                    Some(e @ ('\\' | '"' | '“' | '”' | '＂')) => {
                        s.push(e);
                        self.i += 1;
                    }
                    _ => {
                        return Err(self.error(
                            ParseErrorKind::Syntax,
                            self.i - 1,
                            self.i + 1,
                            "an escape sequence \\\\ or \\\" after a backslash",
                        ));
                    }
                }
            } else {
                s.push(c);
            }
        }
    }

    /// Reads up to `max` ASCII digits (after normalisation).
    fn digits(&mut self, max: usize) -> &[char] {
        let start = self.i;
        while self.i - start < max && self.peek_n(0).is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        &self.chars[start..self.i]
    }

    /// Number, date (`2025-10-01`, `2025/10/1`, `2025年10月1日`) or day count
    /// (`90d`, `90天`). The current char is a digit or a '-' before a digit.
    fn number(&mut self) -> Result<Tok, ParseError> {
        let start = self.i;
        let neg = self.peek_n(0) == Some('-');
        if neg {
            self.i += 1;
        }
        let int_start = self.i;
        let n_int = self.digits(usize::MAX).len();
        if !neg && n_int == 4 {
            let sep = self.peek_n(0);
            let next_is_digit = self.peek_n(1).is_some_and(|c| c.is_ascii_digit());
            if matches!(sep, Some('-' | '/')) && next_is_digit || sep == Some('年') {
                return self.date(start);
            }
        }
        let mut digits = n_int;
        let mut mantissa = self.fold_digits(int_start, self.i, 0, start)?;
        let mut scale = 0u32;
        let mut plain_integer = !neg;
        if self.peek_n(0) == Some('.') && self.peek_n(1).is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
            let frac_start = self.i;
            let n = self.digits(usize::MAX).len();
            digits += n;
            mantissa = self.fold_digits(frac_start, self.i, mantissa, start)?;
            scale = u32::try_from(n).unwrap_or(u32::MAX);
            plain_integer = false;
        }
        if digits > MAX_NUMBER_DIGITS {
            return Err(self.error(ParseErrorKind::Syntax, start, self.i, "a number with at most 30 digits"));
        }
        let multiplier = match self.peek_n(0) {
            Some('万') => Some(4),
            Some('亿') => Some(8),
            _ => None,
        };
        if let Some(exp) = multiplier {
            self.i += 1;
            plain_integer = false;
            if scale >= exp {
                scale -= exp;
            } else {
                // Cannot overflow: at most 30 digits times 10^8.
                mantissa *= 10i128.pow(exp - scale);
                scale = 0;
            }
        }
        if plain_integer {
            let day_suffix = match self.peek_n(0) {
                Some('天') => true,
                Some('d' | 'D') => !self.peek_n(1).is_some_and(is_ident_continue),
                _ => false,
            };
            if day_suffix {
                self.i += 1;
                return match u32::try_from(mantissa) {
                    Ok(n) => Ok(Tok::Days(n)),
                    Err(_) => {
                        Err(self.error(ParseErrorKind::Syntax, start, self.i, "a number of days below 4294967296"))
                    }
                };
            }
        }
        if neg {
            mantissa = -mantissa;
        }
        Ok(Tok::Num(Decimal { mantissa, scale }))
    }

    fn fold_digits(&self, from: usize, to: usize, init: i128, start: usize) -> Result<i128, ParseError> {
        self.chars[from..to].iter().try_fold(init, |acc, &c| {
            let d = i128::from(normalize(c) as u8 - b'0');
            acc.checked_mul(10)
                .and_then(|v| v.checked_add(d))
                .ok_or_else(|| self.error(ParseErrorKind::Syntax, start, to, "a number with at most 30 digits"))
        })
    }

    /// Rest of a date literal; the 4-digit year has been read.
    fn date(&mut self, start: usize) -> Result<Tok, ParseError> {
        let expected = "a date such as 2025-10-01";
        let sep = self.peek_n(0);
        let (sep1, sep2, end) = match sep {
            Some('年') => ('年', '月', Some('日')),
            Some(s) => (s, s, None),
            None => return Err(self.error(ParseErrorKind::Syntax, start, self.i, expected)),
        };
        let year = self.number_at(start, start + 4);
        let part = |lx: &mut Lexer, sep: char| -> Option<u32> {
            if lx.peek_n(0) != Some(sep) {
                return None;
            }
            lx.i += 1;
            let from = lx.i;
            let n = lx.digits(2).len();
            (n > 0).then(|| lx.number_at(from, from + n))
        };
        let month = part(self, sep1);
        let day = month.and_then(|_| part(self, sep2));
        let (Some(month), Some(day)) = (month, day) else {
            return Err(self.error(ParseErrorKind::Syntax, start, self.i + 1, expected));
        };
        if let Some(end) = end {
            // 日 or 号 closes a Chinese date; tolerate its absence.
            if matches!(self.peek_n(0), Some(c) if c == end || c == '号') {
                self.i += 1;
            }
        }
        let year = i32::try_from(year).unwrap_or(i32::MAX);
        NaiveDate::from_ymd_opt(year, month, day).filter(|_| year >= 1).map(Tok::Date).ok_or_else(|| {
            self.error(ParseErrorKind::Syntax, start, self.i, "a valid calendar date such as 2025-10-01")
        })
    }

    /// Value of a short digit run (at most 4 digits, so no overflow).
    fn number_at(&self, from: usize, to: usize) -> u32 {
        self.chars[from..to].iter().fold(0, |acc, &c| acc * 10 + u32::from(normalize(c) as u8 - b'0'))
    }
}

/// Parses a date written as text (`"2025-10-01"`), in any form the lexer
/// accepts bare.
pub(crate) fn parse_date_text(s: &str) -> Option<NaiveDate> {
    let mut lx = Lexer::new(s.trim());
    match lx.next_token() {
        Ok(Token { tok: Tok::Date(d), .. }) => match lx.next_token() {
            Ok(Token { tok: Tok::Eof, .. }) => Some(d),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        let mut lx = Lexer::new(s);
        let mut out = Vec::new();
        loop {
            let t = lx.next_token().expect("lexes");
            if t.tok == Tok::Eof {
                return out;
            }
            out.push(t.tok);
        }
    }

    fn num(mantissa: i128, scale: u32) -> Tok {
        Tok::Num(Decimal { mantissa, scale })
    }

    #[test]
    fn numbers_and_multipliers() {
        assert_eq!(toks("500万"), vec![num(5_000_000, 0)]);
        assert_eq!(toks("1.5万"), vec![num(15_000, 0)]);
        assert_eq!(toks("1.23456万"), vec![num(123_456, 1)]);
        assert_eq!(toks("2亿"), vec![num(200_000_000, 0)]);
        assert_eq!(toks("-3.25"), vec![num(-325, 2)]);
        assert_eq!(toks("５００万"), vec![num(5_000_000, 0)]);
        assert_eq!(toks("90d 7天 3D"), vec![Tok::Days(90), Tok::Days(7), Tok::Days(3)]);
        assert_eq!(
            toks("90dx"),
            vec![num(90, 0), Tok::Word("dx".into())],
            "a suffix glued to a word is not a day count"
        );
    }

    #[test]
    fn dates() {
        let d = NaiveDate::from_ymd_opt(2025, 10, 1).expect("valid");
        assert_eq!(toks("2025-10-01"), vec![Tok::Date(d)]);
        assert_eq!(toks("2025/10/1"), vec![Tok::Date(d)]);
        assert_eq!(toks("2025年10月1日"), vec![Tok::Date(d)]);
        assert_eq!(toks("2025年10月1号"), vec![Tok::Date(d)]);
        assert_eq!(parse_date_text(" 2025-10-01 "), Some(d));
        assert_eq!(parse_date_text("2025-10-01x"), None);
        assert!(Lexer::new("2025-02-30").next_token().is_err());
        assert!(Lexer::new("2025-10").next_token().is_err());
    }

    #[test]
    fn strings_and_punctuation() {
        assert_eq!(
            toks(r#"“华东” "a\"b\\c" ＂x＂ （ ） 【 】 ， 、"#),
            vec![
                Tok::Str("华东".into()),
                Tok::Str("a\"b\\c".into()),
                Tok::Str("x".into()),
                Tok::LParen,
                Tok::RParen,
                Tok::LBracket,
                Tok::RBracket,
                Tok::Comma,
                Tok::Comma,
            ]
        );
        assert_eq!(toks("“华东\""), vec![Tok::Str("华东".into())]);
        assert_eq!(
            toks("= == != <> < <= > >= ≠ ≤ ≥ ＝"),
            [
                CmpOp::Eq,
                CmpOp::Eq,
                CmpOp::Ne,
                CmpOp::Ne,
                CmpOp::Lt,
                CmpOp::Le,
                CmpOp::Gt,
                CmpOp::Ge,
                CmpOp::Ne,
                CmpOp::Le,
                CmpOp::Ge,
                CmpOp::Eq
            ]
            .map(Tok::Op)
        );
        assert_eq!(toks("华东 !"), vec![Tok::Other, Tok::Other]);
    }

    #[test]
    fn decimal_scaling() {
        let d = Decimal { mantissa: 12345, scale: 3 };
        assert_eq!(d.to_scaled(2), Err(ScaleError::Fraction));
        let d = Decimal { mantissa: 12340, scale: 3 };
        assert_eq!(d.to_scaled(2), Ok(1234));
        let d = Decimal { mantissa: i128::from(i64::MAX), scale: 0 };
        assert_eq!(d.to_scaled(2), Err(ScaleError::Overflow));
    }
}
