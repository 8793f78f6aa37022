//! Parsing single values: amounts, dates, times, channels, kinds, credit
//! codes, e-mails and phones.
//!
//! Every parser returns a [`ValueError`] with an English message and a
//! stable `code` the UI can localise. The `*_from_cell` variants take a
//! [`Cell`] and return `Ok(None)` for an empty cell, so that "missing" and
//! "wrong" stay distinct.

use std::borrow::Cow;

use chrono::{Datelike, NaiveDate, NaiveTime};

use super::names::{half_width_char, is_blank_char, trim_blank};
use super::table::{Cell, excel_serial_to_datetime, format_number};

/// Why a value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("{message}")]
pub struct ValueError {
    /// Stable, for the UI to localise (`amount_negative`, `date_invalid`, …).
    pub code: &'static str,
    /// English, for logs and as a fallback.
    pub message: String,
}

impl ValueError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        ValueError { code, message: message.into() }
    }
}

/// Shortens user input quoted in messages so a pasted essay stays readable.
use crate::domain::text::quote;

use crate::domain::text::clean;

// ---------------------------------------------------------------- amounts

/// The unit a bare number is in. Headers like `年采购额（万元）` say that
/// `500` means 5,000,000 yuan; an explicit unit in the value (`500万`,
/// `5000000元`) always wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AmountUnit {
    #[default]
    Yuan,
    /// 千 (thousand yuan).
    Qian,
    /// 万 (ten thousand yuan).
    Wan,
    /// 亿 (one hundred million yuan).
    Yi,
}

impl AmountUnit {
    fn exponent(self) -> i64 {
        match self {
            AmountUnit::Yuan => 0,
            AmountUnit::Qian => 3,
            AmountUnit::Wan => 4,
            AmountUnit::Yi => 8,
        }
    }
}

/// Unit suffixes, longest first. `w` is the informal 万 (`500w`).
const AMOUNT_SUFFIXES: &[(&str, AmountUnit)] = &[
    ("万元整", AmountUnit::Wan),
    ("亿元整", AmountUnit::Yi),
    ("千元整", AmountUnit::Qian),
    ("万元", AmountUnit::Wan),
    ("亿元", AmountUnit::Yi),
    ("千元", AmountUnit::Qian),
    ("元整", AmountUnit::Yuan),
    ("万", AmountUnit::Wan),
    ("亿", AmountUnit::Yi),
    ("千", AmountUnit::Qian),
    ("元", AmountUnit::Yuan),
    ("w", AmountUnit::Wan),
    ("W", AmountUnit::Wan),
];

const CURRENCY_PREFIXES: &[&str] = &["¥", "￥", "RMB", "rmb", "CNY", "cny", "人民币"];

/// Parses an amount of CNY into fen (1 yuan = 100 fen); bare numbers are
/// yuan. See [`parse_amount_fen_in`].
pub fn parse_amount_fen(s: &str) -> Result<i64, ValueError> {
    parse_amount_fen_in(s, AmountUnit::Yuan)
}

/// Parses an amount into fen, reading bare numbers in `unit`.
///
/// Accepts `5000000`, `5,000,000`, `500万`, `500万元`, `1.5亿`, `500w`,
/// `￥5,000,000.00`, `¥5000000`, `RMB 5000`, `5000000元`, full-width digits,
/// scientific notation as Excel writes it into CSV (`5.00E+06`), and the
/// lone `-` of Excel's accounting format for zero. Decimal arithmetic is
/// exact (no `f64`); sub-fen digits are rounded half up (四舍五入).
/// Negative amounts (`-5`, `(5)`), text and values beyond `i64` fen are
/// rejected.
pub fn parse_amount_fen_in(s: &str, unit: AmountUnit) -> Result<i64, ValueError> {
    let original = s;
    let s = clean(s);
    let invalid = || {
        ValueError::new(
            "amount_invalid",
            format!("{} is not an amount (expected e.g. 5000000, 5,000,000 or 500万)", quote(original)),
        )
    };
    let mut rest: &str = &s;
    let mut negative = false;
    // Accounting format: (1,000) is negative.
    if let Some(inner) = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        negative = true;
        rest = inner.trim();
    }
    // The sign may sit before or after the currency symbol: -¥5 or ¥-5.
    for _ in 0..2 {
        if let Some(r) = rest.strip_prefix(['-', '−', '－']) {
            if negative {
                return Err(invalid());
            }
            negative = true;
            rest = r.trim_start();
        } else if let Some(r) = rest.strip_prefix('+') {
            rest = r.trim_start();
        }
        if let Some(r) = CURRENCY_PREFIXES.iter().find_map(|p| rest.strip_prefix(p)) {
            rest = r.trim_start();
        }
    }
    let mut unit = unit;
    if let Some((r, u)) = AMOUNT_SUFFIXES.iter().find_map(|(suffix, u)| rest.strip_suffix(suffix).map(|r| (r, *u))) {
        rest = r.trim_end();
        unit = u;
    }
    if rest.is_empty() {
        // Excel's accounting format writes zero as a lone dash.
        return if negative && s.chars().filter(|c| c.is_ascii_digit()).count() == 0 { Ok(0) } else { Err(invalid()) };
    }
    let decimal = parse_decimal(rest).ok_or_else(invalid)?;
    let fen = decimal
        .to_scaled_integer(unit.exponent() + 2)
        .ok_or_else(|| ValueError::new("amount_too_large", format!("{} is too large an amount", quote(original))))?;
    if negative && fen != 0 {
        return Err(ValueError::new(
            "amount_negative",
            format!("{} is negative; amounts must be zero or more", quote(original)),
        ));
    }
    Ok(fen)
}

/// A non-negative decimal as significant digits × 10^exponent.
struct Decimal<'a> {
    /// Integer and fraction digits, ASCII, possibly with leading zeros.
    int: &'a str,
    frac: &'a str,
    exponent: i64,
}

/// `1,234.5`, `1234`, `.5`, `5.00E+06`. Thousands separators must sit
/// between digits in the integer part.
fn parse_decimal(s: &str) -> Option<Decimal<'_>> {
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => {
            let exp = &s[i + 1..];
            let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (&s[..i], exp.parse::<i64>().ok()?)
        }
        None => (s, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if int.starts_with(',') || int.ends_with(',') || int.contains(",,") {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit() || b == b',') {
        return None;
    }
    Some(Decimal { int, frac, exponent })
}

impl Decimal<'_> {
    /// The value × 10^`scale` as an integer, rounded half up; `None` if it
    /// does not fit in `i64`.
    fn to_scaled_integer(&self, scale: i64) -> Option<i64> {
        // Significant digits, without leading zeros (no allocation: this runs
        // for every amount cell).
        let digits = || self.int.bytes().filter(u8::is_ascii_digit).chain(self.frac.bytes()).skip_while(|&b| b == b'0');
        let len = digits().count() as i64;
        if len == 0 {
            return Some(0);
        }
        // The value is digits × 10^shift; `keep` digits are above the point.
        let shift = scale + self.exponent - self.frac.len() as i64;
        let keep = len + shift;
        if keep > 19 {
            return None;
        }
        let mut value: i128 = 0;
        let mut rest = digits();
        for d in rest.by_ref().take(keep.max(0) as usize) {
            value = value * 10 + i128::from(d - b'0');
        }
        for _ in 0..shift.max(0) {
            value *= 10;
        }
        // Half up: look at the first dropped digit only.
        if keep >= 0 && rest.next().is_some_and(|d| d >= b'5') {
            value += 1;
        }
        i64::try_from(value).ok()
    }
}

/// An amount cell in fen; `Ok(None)` if empty. Number cells are converted
/// through their shortest decimal representation, so `0.1` stays 10 fen.
pub fn amount_from_cell(cell: &Cell, unit: AmountUnit) -> Result<Option<i64>, ValueError> {
    match cell {
        Cell::Empty => Ok(None),
        Cell::Text(s) => parse_amount_fen_in(s, unit).map(Some),
        Cell::Number(n) => {
            if !n.is_finite() {
                return Err(ValueError::new("amount_invalid", "the amount is not a number"));
            }
            if *n < 0.0 {
                return Err(ValueError::new(
                    "amount_negative",
                    format!("'{}' is negative; amounts must be zero or more", format_number(*n)),
                ));
            }
            if *n >= 1e19 {
                return Err(ValueError::new("amount_too_large", "the amount is too large"));
            }
            parse_amount_fen_in(&format!("{n}"), unit).map(Some)
        }
        other => Err(not_expected(other, "amount_invalid", "an amount")),
    }
}

fn not_expected(cell: &Cell, code: &'static str, what: &str) -> ValueError {
    match cell {
        Cell::Error(e) => excel_error(e),
        other => ValueError::new(code, format!("{} is not {what}", quote(&other.display()))),
    }
}

fn excel_error(e: &str) -> ValueError {
    ValueError::new("excel_error", format!("the cell shows the Excel error {e}; fix the formula or type the value"))
}

// ---------------------------------------------------------------- dates

/// Dates outside this range are typos (`2205`, `0025`) or small numbers in a
/// date column, not follow-ups of a sales team. The years of
/// `domain::dates::{EARLIEST, LATEST}`, the range every entry point accepts.
const MIN_YEAR: i32 = 2000;
const MAX_YEAR: i32 = 2100;

/// Parses a date, ignoring any time of day. See [`parse_date_time`].
pub fn parse_date(s: &str) -> Result<NaiveDate, ValueError> {
    parse_date_time(s, None).map(|(date, _)| date)
}

/// Parses a date with an optional time of day.
///
/// Accepts `2025-10-10`, `2025/10/10`, `2025.10.10`, `2025年10月10日`,
/// `20251010`, each optionally followed by a time (`14:00`, `14:00:00`,
/// `14点30分`, `下午2:00`, with or without a space or `T`), and a weekday
/// as Chinese Excel's long date format adds it (`星期五`, `(周五)`).
///
/// A date without a year (`10月10日14:00`, as reps write in follow-up
/// sheets) needs `reference`, usually today: it resolves to the latest such
/// date not after the reference. Without one it is rejected
/// (`date_missing_year`). Years outside 2000–2100 and impossible dates
/// (2025-02-30) are rejected.
pub fn parse_date_time(s: &str, reference: Option<NaiveDate>) -> Result<(NaiveDate, Option<NaiveTime>), ValueError> {
    let original = s;
    let s = clean(s);
    let invalid = || {
        ValueError::new(
            "date_invalid",
            format!("{} is not a date (expected e.g. 2025-10-10 or 2025年10月10日)", quote(original)),
        )
    };
    let s = strip_weekday(&s);
    let mut p = Scanner::new(&s);

    let first = p.digits(1, 8).ok_or_else(invalid)?;
    let (year, month, day): (Option<i32>, u32, u32) = if first.len() == 8 && !p.peek_is(|c| c == '月') {
        // 20251010
        let n: u32 = first.parse().map_err(|_| invalid())?;
        (Some((n / 10_000) as i32), n / 100 % 100, n % 100)
    } else if first.len() == 4 {
        let sep = p.next().ok_or_else(invalid)?;
        let (month_sep, day_sep) = match sep {
            '-' | '/' | '.' => (sep, None),
            '年' => ('月', Some('日')),
            _ => return Err(invalid()),
        };
        let month = p.number(1, 2).ok_or_else(invalid)?;
        if !p.eat(month_sep) {
            return Err(invalid());
        }
        let day = p.number(1, 2).ok_or_else(invalid)?;
        if let Some(day_sep) = day_sep {
            p.eat(day_sep);
            p.eat('号');
        }
        (Some(first.parse().map_err(|_| invalid())?), month, day)
    } else if first.len() <= 2 && p.eat('月') {
        let day = p.number(1, 2).ok_or_else(invalid)?;
        if !(p.eat('日') || p.eat('号')) {
            return Err(invalid());
        }
        (None, first.parse().map_err(|_| invalid())?, day)
    } else {
        return Err(invalid());
    };

    let rest = p.rest().trim_start_matches([' ', 'T', ',']);
    let time = if rest.is_empty() { None } else { Some(parse_time(rest).map_err(|_| invalid())?) };

    let year = match (year, reference) {
        (Some(year), _) => year,
        (None, Some(reference)) => {
            // The latest such date not after the reference: in January, a
            // "12月28日" follow-up happened last year.
            let this_year = NaiveDate::from_ymd_opt(reference.year(), month, day);
            match this_year {
                Some(d) if d <= reference => reference.year(),
                _ => reference.year() - 1,
            }
        }
        (None, None) => {
            return Err(ValueError::new(
                "date_missing_year",
                format!("{} has no year; write it as e.g. 2025年10月10日", quote(original)),
            ));
        }
    };
    if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
        return Err(ValueError::new(
            "date_out_of_range",
            format!("{} is outside the years {MIN_YEAR}–{MAX_YEAR}", quote(original)),
        ));
    }
    let date = NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| ValueError::new("date_invalid", format!("{} is not a calendar date", quote(original))))?;
    Ok((date, time))
}

/// Removes a weekday (`星期五`, `周五`, `礼拜五`, optionally in brackets).
fn strip_weekday(s: &str) -> Cow<'_, str> {
    const MARKERS: [&str; 3] = ["星期", "礼拜", "周"];
    const DAYS: &str = "一二三四五六日天";
    for marker in MARKERS {
        if let Some(i) = s.find(marker) {
            let after = &s[i + marker.len()..];
            if let Some(day) = after.chars().next().filter(|c| DAYS.contains(*c)) {
                let mut end = i + marker.len() + day.len_utf8();
                let mut start = i;
                if s[..start].ends_with('(') && s[end..].starts_with(')') {
                    start -= 1;
                    end += 1;
                }
                return Cow::Owned(format!("{} {}", s[..start].trim_end(), s[end..].trim_start()).trim().to_owned());
            }
        }
    }
    Cow::Borrowed(s)
}

/// Parses a time of day: `14:00`, `14:00:00`, `14:00:00.000`, `14点`,
/// `14点30分`, `14时30分`, `2点半`, with `上午`/`下午`/`中午`/`晚上` or
/// `AM`/`PM`. Seconds are kept; fractions of a second dropped.
pub fn parse_time(s: &str) -> Result<NaiveTime, ValueError> {
    let original = s;
    let s = clean(s);
    let invalid =
        || ValueError::new("time_invalid", format!("{} is not a time (expected e.g. 14:00)", quote(original)));
    let mut rest = s.to_ascii_lowercase();
    let mut pm: Option<bool> = None;
    const MARKERS: [(&str, bool); 8] = [
        ("上午", false),
        ("早上", false),
        ("凌晨", false),
        ("中午", true),
        ("下午", true),
        ("晚上", true),
        ("am", false),
        ("pm", true),
    ];
    for (marker, is_pm) in MARKERS {
        if let Some(r) = rest.strip_prefix(marker).or_else(|| rest.strip_suffix(marker)) {
            pm = Some(is_pm);
            rest = r.trim().to_owned();
            break;
        }
    }
    finish_time(&rest, pm).ok_or_else(invalid)
}

fn finish_time(s: &str, pm: Option<bool>) -> Option<NaiveTime> {
    let mut p = Scanner::new(s);
    let mut hour = p.number(1, 2)?;
    let mut minute = 0;
    let mut second = 0;
    if p.eat(':') {
        minute = p.number(2, 2)?;
        if p.eat(':') {
            second = p.number(2, 2)?;
            if p.eat('.') {
                p.digits(1, 9)?;
            }
        }
    } else if p.eat('点') || p.eat('时') {
        if p.eat('半') {
            minute = 30;
        } else if let Some(m) = p.number(1, 2) {
            minute = m;
            p.eat('分');
        }
    } else {
        return None;
    }
    if !p.rest().trim().is_empty() {
        return None;
    }
    match pm {
        Some(true) if (1..12).contains(&hour) => hour += 12,
        Some(false) if hour == 12 => hour = 0,
        _ => {}
    }
    NaiveTime::from_hms_opt(hour, minute, second)
}

/// A date cell: Excel date cells, Excel serial numbers in number cells
/// (1900 date system), `20251010` typed as a number, and text.
pub fn date_from_cell(
    cell: &Cell,
    reference: Option<NaiveDate>,
) -> Result<Option<(NaiveDate, Option<NaiveTime>)>, ValueError> {
    let out_of_range = |d: NaiveDate| {
        if (MIN_YEAR..=MAX_YEAR).contains(&d.year()) {
            Ok(d)
        } else {
            Err(ValueError::new("date_out_of_range", format!("{d} is outside the years {MIN_YEAR}–{MAX_YEAR}")))
        }
    };
    match cell {
        Cell::Empty => Ok(None),
        Cell::Text(s) => parse_date_time(s, reference).map(Some),
        Cell::Date(d) => Ok(Some((out_of_range(*d)?, None))),
        Cell::DateTime(dt) => Ok(Some((out_of_range(dt.date())?, Some(dt.time())))),
        Cell::Number(n) => {
            let n = *n;
            if n.fract() == 0.0 && (19_000_101.0..=21_001_231.0).contains(&n) {
                return parse_date_time(&format_number(n), reference).map(Some);
            }
            let dt = (n >= 1.0)
                .then(|| excel_serial_to_datetime(n, false))
                .flatten()
                .ok_or_else(|| not_expected(cell, "date_invalid", "a date"))?;
            let time = (n.fract() != 0.0).then(|| dt.time());
            Ok(Some((out_of_range(dt.date())?, time)))
        }
        other => Err(not_expected(other, "date_invalid", "a date")),
    }
}

/// A time-of-day cell: Excel time cells, day fractions in number cells, the
/// time part of a date-time cell, and text.
pub fn time_from_cell(cell: &Cell) -> Result<Option<NaiveTime>, ValueError> {
    match cell {
        Cell::Empty => Ok(None),
        Cell::Text(s) => parse_time(s).map(Some),
        Cell::Time(t) => Ok(Some(*t)),
        Cell::DateTime(dt) => Ok(Some(dt.time())),
        Cell::Number(n) if (0.0..1.0).contains(n) => Ok(excel_serial_to_datetime(*n, false).map(|dt| dt.time())),
        other => Err(not_expected(other, "time_invalid", "a time")),
    }
}

/// A tiny cursor over a string, for the hand-written date grammar.
struct Scanner<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn new(s: &'a str) -> Self {
        Scanner { s, pos: 0 }
    }

    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    fn next(&mut self) -> Option<char> {
        let c = self.rest().chars().next()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn peek_is(&self, f: impl Fn(char) -> bool) -> bool {
        self.rest().chars().next().is_some_and(f)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek_is(|n| n == c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    /// Between `min` and `max` ASCII digits (greedy); `None` otherwise.
    fn digits(&mut self, min: usize, max: usize) -> Option<&'a str> {
        let rest = self.rest();
        let len = rest.bytes().take_while(u8::is_ascii_digit).count();
        if len < min || len > max {
            return None;
        }
        self.pos += len;
        Some(&rest[..len])
    }

    fn number(&mut self, min: usize, max: usize) -> Option<u32> {
        self.digits(min, max)?.parse().ok()
    }
}

// ---------------------------------------------------------------- channel, kind

/// Lowercased, half-width, without spaces, `-` and `_`: the form channel and
/// kind synonyms are matched in.
fn keyword(s: &str) -> String {
    s.chars()
        .map(half_width_char)
        .filter(|c| !is_blank_char(*c) && !matches!(c, '-' | '_'))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

pub use crate::domain::customer::{Channel, InteractionKind};

/// A channel as written in a sheet (English codes or the team's Chinese words).
pub fn parse_channel(s: &str) -> Result<Channel, ValueError> {
    Channel::from_keyword(&keyword(s)).ok_or_else(|| {
        ValueError::new(
            "channel_unknown",
            format!(
                "{} is not a channel (expected phone/电话, im/微信, email/邮件, visit/拜访 or event/活动)",
                quote(s)
            ),
        )
    })
}

/// An interaction type as written in a sheet.
pub fn parse_kind(s: &str) -> Result<InteractionKind, ValueError> {
    InteractionKind::from_keyword(&keyword(s)).ok_or_else(|| {
        ValueError::new(
            "kind_unknown",
            format!(
                "{} is not an interaction type (expected inquiry/询盘, call/电话, visit/拜访, email/邮件, message/消息 or order/订单)",
                quote(s)
            ),
        )
    })
}

// ---------------------------------------------------------------- identifiers

/// Validates a unified social credit code (统一社会信用代码, GB 32100-2015)
/// by the one rule in [`crate::domain::credit_code::CreditCode`].
pub fn parse_credit_code(s: &str) -> Result<String, ValueError> {
    crate::domain::credit_code::CreditCode::parse(s)
        .map(|c| c.into_string())
        .map_err(|e| ValueError::new(e.code(), format!("{}: {e}", quote(s))))
}

/// A credit-code cell. Number cells are rejected: Excel keeps only 15
/// significant digits, so an all-digit code typed into a General cell has
/// already lost its tail.
pub fn credit_code_from_cell(cell: &Cell) -> Result<Option<String>, ValueError> {
    match cell {
        Cell::Empty => Ok(None),
        Cell::Text(s) => parse_credit_code(s).map(Some),
        Cell::Number(_) => Err(ValueError::new(
            "credit_code_number",
            "the credit code is stored as a number, which loses digits; format the column as text and type it again",
        )),
        other => Err(not_expected(other, "credit_code_length", "a credit code")),
    }
}

/// An e-mail address by the one rule in [`crate::domain::contact::Email`].
pub fn parse_email(s: &str) -> Result<String, ValueError> {
    crate::domain::contact::Email::parse(s)
        .map(|e| e.into_string())
        .map_err(|e| ValueError::new("email_invalid", e.to_string()))
}

/// An e-mail cell; `Ok(None)` if empty.
pub fn email_from_cell(cell: &Cell) -> Result<Option<String>, ValueError> {
    match cell {
        Cell::Empty => Ok(None),
        Cell::Text(s) => parse_email(s).map(Some),
        other => Err(not_expected(other, "email_invalid", "an e-mail address")),
    }
}

/// A phone number by the one rule in [`crate::domain::contact::Phone`];
/// [`super::names::normalize_phone`] gives the comparison key.
pub fn parse_phone(s: &str) -> Result<String, ValueError> {
    crate::domain::contact::Phone::parse(s)
        .map(|p| p.into_string())
        .map_err(|e| ValueError::new("phone_invalid", e.to_string()))
}

/// A phone cell; whole-number cells (Excel's default for a typed mobile
/// number) are accepted.
pub fn phone_from_cell(cell: &Cell) -> Result<Option<String>, ValueError> {
    match cell {
        Cell::Empty => Ok(None),
        Cell::Text(s) => parse_phone(s).map(Some),
        Cell::Number(n) if n.fract() == 0.0 && *n > 0.0 && *n < 1e15 => parse_phone(&format_number(*n)).map(Some),
        other => Err(not_expected(other, "phone_invalid", "a phone number")),
    }
}

/// Splits a tag or pain-point list on `，,、;；|` and line breaks; trims,
/// drops empties and repeats (keeping the first spelling's order).
pub fn split_list(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in s.split([',', '，', '、', ';', '；', '|', '｜', '\n', '\r']) {
        let part = trim_blank(part);
        if !part.is_empty() && !out.iter().any(|p| p == part) {
            out.push(part.to_owned());
        }
    }
    out
}

/// Free text from any non-error cell (numbers as Excel would show them).
pub fn text_from_cell(cell: &Cell) -> Result<Option<String>, ValueError> {
    text_from_cell_ref(cell).map(|t| t.map(Cow::into_owned))
}

/// [`text_from_cell`] without copying text cells.
pub fn text_from_cell_ref(cell: &Cell) -> Result<Option<Cow<'_, str>>, ValueError> {
    match cell {
        Cell::Empty => Ok(None),
        Cell::Error(e) => Err(excel_error(e)),
        other => Ok(Some(other.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fen(s: &str) -> i64 {
        parse_amount_fen(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn code(r: Result<impl std::fmt::Debug, ValueError>) -> &'static str {
        r.expect_err("should fail").code
    }

    #[test]
    fn amounts() {
        for s in [
            "5000000",
            "5,000,000",
            "500万",
            "500万元",
            "￥5,000,000.00",
            "¥5000000",
            "5000000元",
            "500w",
            "RMB 5,000,000",
            "5.00E+06",
            "5e6",
            "0.05亿",
            "５００００００",
            "５,０００,０００",
            " 500 万 ",
            "+5000000",
            "5000千元",
        ] {
            assert_eq!(fen(s), 500_000_000, "{s}");
        }
        assert_eq!(fen("1.5亿"), 15_000_000_000);
        assert_eq!(fen("0.1"), 10);
        assert_eq!(fen("0.005"), 1, "half up");
        assert_eq!(fen("0.0049"), 0);
        assert_eq!(fen("1.234567万"), 1_234_567);
        assert_eq!(fen("1.2345675万"), 1_234_568);
        assert_eq!(fen(".5"), 50);
        assert_eq!(fen("0"), 0);
        assert_eq!(fen("-"), 0, "accounting zero");
        assert_eq!(fen("¥ -"), 0);
        assert_eq!(fen("-0"), 0);
        assert_eq!(fen("92233720368547758.07"), i64::MAX);
        assert_eq!(parse_amount_fen_in("500", AmountUnit::Wan), Ok(500_000_000));
        assert_eq!(parse_amount_fen_in("500元", AmountUnit::Wan), Ok(50_000));
    }

    #[test]
    fn bad_amounts() {
        assert_eq!(code(parse_amount_fen("-5")), "amount_negative");
        assert_eq!(code(parse_amount_fen("(1,000)")), "amount_negative");
        assert_eq!(code(parse_amount_fen("-¥5")), "amount_negative");
        assert_eq!(code(parse_amount_fen("¥-5")), "amount_negative");
        assert_eq!(code(parse_amount_fen("92233720368547758.08")), "amount_too_large");
        assert_eq!(code(parse_amount_fen("1e300")), "amount_too_large");
        for s in [
            "abc",
            "",
            "NaN",
            "inf",
            "1,,000",
            ",100",
            "100,",
            "1.2.3",
            "5万万",
            "1e",
            "1e99999",
            "12 34",
            "五百万",
            "--5",
            "¥",
            "万",
        ] {
            assert_eq!(code(parse_amount_fen(s)), "amount_invalid", "{s}");
        }
        assert_eq!(parse_amount_fen("1e-400"), Ok(0));
    }

    #[test]
    fn amount_cells() {
        assert_eq!(amount_from_cell(&Cell::Empty, AmountUnit::Yuan), Ok(None));
        assert_eq!(amount_from_cell(&Cell::Number(5_000_000.0), AmountUnit::Yuan), Ok(Some(500_000_000)));
        assert_eq!(amount_from_cell(&Cell::Number(0.1 + 0.2), AmountUnit::Yuan), Ok(Some(30)));
        assert_eq!(amount_from_cell(&Cell::Number(500.0), AmountUnit::Wan), Ok(Some(500_000_000)));
        assert_eq!(code(amount_from_cell(&Cell::Number(-1.0), AmountUnit::Yuan)), "amount_negative");
        assert_eq!(code(amount_from_cell(&Cell::Number(f64::NAN), AmountUnit::Yuan)), "amount_invalid");
        assert_eq!(code(amount_from_cell(&Cell::Number(1e300), AmountUnit::Yuan)), "amount_too_large");
        assert_eq!(code(amount_from_cell(&Cell::Number(9.3e16), AmountUnit::Yuan)), "amount_too_large");
        assert_eq!(code(amount_from_cell(&Cell::Error("#N/A".into()), AmountUnit::Yuan)), "excel_error");
    }

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn dates() {
        for s in [
            "2025-10-10",
            "2025/10/10",
            "2025.10.10",
            "2025年10月10日",
            "2025年10月10号",
            "20251010",
            "2025-10-10 00:00",
            "２０２５－１０－１０",
            "2025/10/10 星期五",
            "2025年10月10日星期五",
            "2025-10-10(周五)",
        ] {
            assert_eq!(parse_date(s), Ok(ymd(2025, 10, 10)), "{s}");
        }
        assert_eq!(parse_date("2025-1-5"), Ok(ymd(2025, 1, 5)));
        assert_eq!(parse_date_time("2025-10-10 14:00", None), Ok((ymd(2025, 10, 10), Some(hm(14, 0)))));
        assert_eq!(parse_date_time("2025-10-10T14:00:30", None).unwrap().1, NaiveTime::from_hms_opt(14, 0, 30));
        assert_eq!(parse_date_time("2025年10月10日14:00", None).unwrap().1, Some(hm(14, 0)));
        assert_eq!(parse_date_time("2025年10月10日 下午2点半", None).unwrap().1, Some(hm(14, 30)));
        assert_eq!(parse_date_time("2025/10/10 2:05 PM", None).unwrap().1, Some(hm(14, 5)));
        assert_eq!(parse_date_time("2025/10/10 14：00", None).unwrap().1, Some(hm(14, 0)));
    }

    #[test]
    fn dates_without_year() {
        let today = ymd(2025, 10, 12);
        assert_eq!(parse_date_time("10月10日14:00", Some(today)), Ok((ymd(2025, 10, 10), Some(hm(14, 0)))));
        assert_eq!(parse_date_time("12月28日", Some(ymd(2026, 1, 5))).unwrap().0, ymd(2025, 12, 28));
        assert_eq!(parse_date_time("2月29日", Some(ymd(2025, 3, 1))).unwrap().0, ymd(2024, 2, 29));
        assert_eq!(code(parse_date_time("2月29日", Some(ymd(2026, 3, 1)))), "date_invalid");
        assert_eq!(code(parse_date_time("10月10日14:00", None)), "date_missing_year");
    }

    #[test]
    fn bad_dates() {
        for s in ["2025-02-30", "2025-13-01", "2025-10-32", "20250230"] {
            assert_eq!(code(parse_date(s)), "date_invalid", "{s}");
        }
        for s in [
            "",
            "abc",
            "10/10/2025",
            "25-10-10",
            "2025-10",
            "2025-10/10",
            "2025-10-10 25:00",
            "2025-10-10 abc",
            "45940",
            "2025年10月",
            "2025-10-10 14",
        ] {
            assert_eq!(code(parse_date(s)), "date_invalid", "{s}");
        }
        assert_eq!(code(parse_date("2205-10-10")), "date_out_of_range");
        assert_eq!(code(parse_date("1800-10-10")), "date_out_of_range");
    }

    #[test]
    fn date_cells() {
        let d = ymd(2025, 10, 10);
        assert_eq!(date_from_cell(&Cell::Date(d), None), Ok(Some((d, None))));
        assert_eq!(date_from_cell(&Cell::DateTime(d.and_time(hm(14, 0))), None), Ok(Some((d, Some(hm(14, 0))))));
        assert_eq!(date_from_cell(&Cell::Number(45940.0), None), Ok(Some((d, None))));
        assert_eq!(date_from_cell(&Cell::Number(45940.0 + 14.0 / 24.0), None), Ok(Some((d, Some(hm(14, 0))))));
        assert_eq!(date_from_cell(&Cell::Number(20251010.0), None), Ok(Some((d, None))));
        assert_eq!(date_from_cell(&Cell::Empty, None), Ok(None));
        assert_eq!(code(date_from_cell(&Cell::Number(-3.0), None)), "date_invalid");
        assert_eq!(code(date_from_cell(&Cell::Number(5.0), None)), "date_out_of_range");
        assert_eq!(code(date_from_cell(&Cell::Time(hm(1, 0)), None)), "date_invalid");
        assert_eq!(time_from_cell(&Cell::Number(0.5)), Ok(Some(hm(12, 0))));
        assert_eq!(time_from_cell(&Cell::Text("9:30".into())), Ok(Some(hm(9, 30))));
        assert_eq!(code(time_from_cell(&Cell::Text("9".into()))), "time_invalid");
    }

    #[test]
    fn channels_and_kinds() {
        for (s, c) in [
            ("phone", Channel::Phone),
            ("电话", Channel::Phone),
            ("微信", Channel::Im),
            ("企业微信", Channel::Im),
            ("钉钉", Channel::Im),
            ("IM", Channel::Im),
            ("Email", Channel::Email),
            ("邮件", Channel::Email),
            ("上门拜访", Channel::Visit),
            ("拜访", Channel::Visit),
            ("活动", Channel::Event),
            (" Ｖｉｓｉｔ ", Channel::Visit),
        ] {
            assert_eq!(parse_channel(s).ok(), Some(c), "{s}");
        }
        for c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>(), Ok(c));
        }
        for (s, k) in [
            ("询盘", InteractionKind::Inquiry),
            ("咨询", InteractionKind::Inquiry),
            ("call", InteractionKind::Call),
            ("电话", InteractionKind::Call),
            ("拜访", InteractionKind::Visit),
            ("邮件", InteractionKind::Email),
            ("消息", InteractionKind::Message),
            ("订单", InteractionKind::Order),
            ("成交", InteractionKind::Order),
        ] {
            assert_eq!(parse_kind(s).ok(), Some(k), "{s}");
        }
        for k in InteractionKind::ALL {
            assert_eq!(k.as_str().parse::<InteractionKind>(), Ok(k));
        }
        assert_eq!(code(parse_channel("飞鸽传书")), "channel_unknown");
        assert_eq!(code(parse_kind("")), "kind_unknown");
    }

    #[test]
    fn credit_codes() {
        // The worked example of GB 32100-2015.
        assert_eq!(parse_credit_code("91350100M000100Y43").as_deref(), Ok("91350100M000100Y43"));
        assert_eq!(parse_credit_code(" 91350100m000100y43 ").as_deref(), Ok("91350100M000100Y43"));
        assert_eq!(parse_credit_code("９１３５０１００Ｍ０００１００Ｙ４３").as_deref(), Ok("91350100M000100Y43"));
        assert_eq!(code(parse_credit_code("91350100M000100Y44")), "credit_code_check");
        assert_eq!(code(parse_credit_code("91350100M000100Y4")), "credit_code_length");
        assert_eq!(code(parse_credit_code("91350100M000100I43")), "credit_code_character");
        assert_eq!(code(parse_credit_code("统一社会信用代码统一社会信用代码统一")), "credit_code_character");
        assert_eq!(code(credit_code_from_cell(&Cell::Number(9.1e17))), "credit_code_number");
        // Every check value, including 0 (sum ≡ 0 mod 31), round-trips.
        for prefix in ["91350100M000100Y4", "00000000000000000", "YYYYYYYYYYYYYYYYY", "12345678901234567"] {
            let check = crate::domain::credit_code::check_char(prefix).unwrap();
            assert_eq!(parse_credit_code(&format!("{prefix}{check}")).map(|_| ()), Ok(()), "{prefix}");
        }
    }

    #[test]
    fn emails_and_phones() {
        assert_eq!(parse_email(" Ming@Example.COM "), Ok("ming@example.com".to_owned()));
        assert_eq!(parse_email("ｍｉｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ"), Ok("ming@example.com".to_owned()));
        for s in [
            "ming",
            "ming@",
            "@example.com",
            "ming@example",
            "mi ng@example.com",
            "a@b@c.com",
            "a@.com",
            "a@b..com",
            "a@b.com,c@d.com",
        ] {
            assert_eq!(code(parse_email(s)), "email_invalid", "{s}");
        }
        assert_eq!(parse_phone("138 0013  8000"), Ok("138 0013 8000".to_owned()));
        assert_eq!(parse_phone("+86-138-0013-8000"), Ok("+86-138-0013-8000".to_owned()));
        assert_eq!(parse_phone("(010) 1234-5678"), Ok("(010) 1234-5678".to_owned()));
        assert_eq!(phone_from_cell(&Cell::Number(13800138000.0)), Ok(Some("13800138000".to_owned())));
        for s in ["123456", "138abc00138000", "138-0013-8000/139-0013-9000", "1+3800138000", "12345678901234567890123"]
        {
            assert_eq!(code(parse_phone(s)), "phone_invalid", "{s}");
        }
    }

    #[test]
    fn lists() {
        assert_eq!(
            split_list("重点，制造业、华东;VIP；VIP|新客\n老客"),
            ["重点", "制造业", "华东", "VIP", "新客", "老客"]
        );
        assert_eq!(split_list(" , 、"), Vec::<String>::new());
    }

    /// The `cargo fuzz` target `values` (fuzz/) in the normal test run:
    /// amounts, dates and times as typed, or anything at all, give a value
    /// or a refusal, quickly; amounts are never negative.
    mod properties {
        use std::time::{Duration, Instant};

        use proptest::prelude::*;

        use super::super::*;

        fn typed() -> impl Strategy<Value = String> {
            let piece = prop::sample::select(vec![
                "0",
                "1",
                "5",
                "9",
                "00",
                "500",
                "5,000",
                ".",
                ",",
                "，",
                "万",
                "亿",
                "千",
                "元",
                "整",
                "w",
                "￥",
                "¥",
                "RMB",
                "人民币",
                "-",
                "(",
                ")",
                "E+",
                "e-",
                "06",
                "%",
                "年",
                "月",
                "日",
                "号",
                "/",
                ":",
                "：",
                "点",
                "半",
                "上午",
                "下午",
                "晚上",
                "周一",
                "星期日",
                "T",
                " ",
                "\u{3000}",
                "２",
                "０",
                "2025",
                "10",
                "31",
                "24",
                "60",
                "99999999999999999999",
            ]);
            prop::collection::vec(piece, 0..16).prop_map(|pieces| pieces.concat())
        }

        proptest! {
            #[test]
            fn values_parse_or_are_refused_quickly(text in prop_oneof![any::<String>(), typed()]) {
                let started = Instant::now();
                if let Ok(fen) = parse_amount_fen(&text) {
                    prop_assert!(fen >= 0, "{:?} gave {}", text, fen);
                }
                for unit in [AmountUnit::Qian, AmountUnit::Wan, AmountUnit::Yi] {
                    let _ = parse_amount_fen_in(&text, unit);
                }
                let _ = parse_date(&text);
                let _ = parse_date_time(&text, NaiveDate::from_ymd_opt(2026, 11, 30));
                let _ = parse_time(&text);
                let _ = parse_credit_code(&text);
                prop_assert!(started.elapsed() < Duration::from_millis(500), "{:?} took {:?}", text, started.elapsed());
            }
        }
    }
}
