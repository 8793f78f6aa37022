//! The form-based segment builder: rows of (field, operator, value) joined by
//! one `and` / `or`, written out as the segment language (docs/segments.md).
//! The builder only writes text; the parser stays the one judge of what a
//! filter means, so a value the builder cannot read is passed on quoted and
//! the parser's positioned error points at it.

use chrono::NaiveDate;

use crate::domain::segment::{
    CmpOp, Cond, DateTest, Expr, Field, FieldKind, NumberField, NumberTest, ParseError, TextTest, TierTest,
};
use crate::io::values::{parse_amount_fen, parse_date, split_list};
use crate::web::i18n::Texts;

/// More rows than this do not fit a form; longer filters are typed as text.
pub const MAX_ROWS: usize = 20;

/// The operators a row offers; which fit a field depends on its kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Contains,
    NotContains,
    Within,
    NotWithin,
}

impl Op {
    pub const ALL: [Op; 12] = [
        Op::Eq,
        Op::Ne,
        Op::Lt,
        Op::Le,
        Op::Gt,
        Op::Ge,
        Op::In,
        Op::NotIn,
        Op::Contains,
        Op::NotContains,
        Op::Within,
        Op::NotWithin,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Lt => "lt",
            Op::Le => "le",
            Op::Gt => "gt",
            Op::Ge => "ge",
            Op::In => "in",
            Op::NotIn => "not_in",
            Op::Contains => "contains",
            Op::NotContains => "not_contains",
            Op::Within => "within",
            Op::NotWithin => "not_within",
        }
    }

    pub fn from_code(code: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|o| o.code() == code)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Op::Eq => "segment.op.eq",
            Op::Ne => "segment.op.ne",
            Op::Lt => "segment.op.lt",
            Op::Le => "segment.op.le",
            Op::Gt => "segment.op.gt",
            Op::Ge => "segment.op.ge",
            Op::In => "segment.op.in",
            Op::NotIn => "segment.op.not_in",
            Op::Contains => "segment.op.contains",
            Op::NotContains => "segment.op.not_contains",
            Op::Within => "segment.op.within",
            Op::NotWithin => "segment.op.not_within",
        }
    }

    /// The operator table of docs/segments.md.
    pub fn fits(self, kind: FieldKind) -> bool {
        match self {
            Op::Eq | Op::Ne | Op::In | Op::NotIn => true,
            Op::Lt | Op::Le | Op::Gt | Op::Ge => matches!(kind, FieldKind::Money | FieldKind::Count | FieldKind::Date),
            Op::Contains | Op::NotContains => kind == FieldKind::Text,
            Op::Within | Op::NotWithin => kind == FieldKind::Date,
        }
    }

    fn is_list(self) -> bool {
        matches!(self, Op::In | Op::NotIn)
    }

    fn cmp(self) -> Option<CmpOp> {
        Some(match self {
            Op::Eq => CmpOp::Eq,
            Op::Ne => CmpOp::Ne,
            Op::Lt => CmpOp::Lt,
            Op::Le => CmpOp::Le,
            Op::Gt => CmpOp::Gt,
            Op::Ge => CmpOp::Ge,
            _ => return None,
        })
    }

    fn from_cmp(op: CmpOp) -> Op {
        match op {
            CmpOp::Eq => Op::Eq,
            CmpOp::Ne => Op::Ne,
            CmpOp::Lt => Op::Lt,
            CmpOp::Le => Op::Le,
            CmpOp::Gt => Op::Gt,
            CmpOp::Ge => Op::Ge,
        }
    }
}

/// The label of a field in the builder's select.
pub fn field_label_key(field: Field) -> &'static str {
    match field {
        Field::Name => "segment.field.name",
        Field::Industry => "segment.field.industry",
        Field::Region => "segment.field.region",
        Field::City => "segment.field.city",
        Field::AnnualPurchase => "segment.field.annual_purchase",
        Field::Owner => "segment.field.owner",
        Field::Tier => "segment.field.tier",
        Field::Tag => "segment.field.tag",
        Field::Source => "segment.field.source",
        Field::LastInteraction => "segment.field.last_interaction",
        Field::LastInquiry => "segment.field.last_inquiry",
        Field::LastOrder => "segment.field.last_order",
        Field::Interactions30d => "segment.field.interactions_30d",
    }
}

/// What to type into the value box of a row (its placeholder and hint).
pub fn value_hint_key(field: Field, op: Op) -> &'static str {
    match (field.kind(), op) {
        (_, Op::Within | Op::NotWithin) => "segment.hint.days",
        (FieldKind::Tier, o) if o.is_list() => "segment.hint.tiers",
        (FieldKind::Tier, _) => "segment.hint.tier",
        (FieldKind::Money, o) if o.is_list() => "segment.hint.amounts",
        (FieldKind::Money, _) => "segment.hint.amount",
        (FieldKind::Count, _) => "segment.hint.count",
        (FieldKind::Date, o) if o.is_list() => "segment.hint.dates",
        (FieldKind::Date, _) => "segment.hint.date",
        (FieldKind::Text, o) if o.is_list() => "segment.hint.texts",
        (FieldKind::Text, _) if field == Field::Owner => "segment.hint.owner",
        (FieldKind::Text, _) if field == Field::Region => "segment.hint.region",
        (FieldKind::Text, _) => "segment.hint.text",
    }
}

/// One row as typed (codes as the form sends them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row {
    pub field: String,
    pub op: String,
    pub value: String,
}

impl Row {
    pub fn blank() -> Row {
        Row { field: Field::Region.name().to_owned(), op: Op::Eq.code().to_owned(), value: String::new() }
    }

    pub fn field(&self) -> Option<Field> {
        Field::from_name(&self.field)
    }

    pub fn op(&self) -> Option<Op> {
        Op::from_code(&self.op)
    }
}

/// The builder's state: rows and how they are joined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Builder {
    pub join_or: bool,
    pub rows: Vec<Row>,
}

/// Why the rows do not make a filter yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// No row has a value: nothing to filter by.
    Empty,
    /// A row whose operator does not fit its field (only without JavaScript,
    /// where the operator list cannot follow the field select).
    Unfit { row: usize },
    /// The text the rows make does not parse; `row` is the row the error is in.
    Invalid { text: String, error: ParseError, row: Option<usize> },
    /// The filter in standard form.
    Ready { text: String, expr: Expr },
}

impl Builder {
    pub fn blank() -> Builder {
        Builder { join_or: false, rows: vec![Row::blank()] }
    }

    /// Reads `join`, `f0`/`o0`/`v0`, `f1`…; with `edits`, also applies the
    /// `add` and `drop=N` buttons (not `remove`: a control of that name
    /// would hide `form.remove()`, which htmx calls to swap the form).
    pub fn from_params(params: &[(String, String)], edits: bool) -> Builder {
        let get = |key: &str| params.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        let mut rows = Vec::new();
        for i in 0..MAX_ROWS {
            let Some(field) = get(&format!("f{i}")) else { continue };
            rows.push(Row {
                field: field.to_owned(),
                op: get(&format!("o{i}")).unwrap_or(Op::Eq.code()).to_owned(),
                value: get(&format!("v{i}")).unwrap_or_default().to_owned(),
            });
        }
        if edits
            && let Some(n) = get("drop").and_then(|n| n.parse::<usize>().ok())
            && n < rows.len()
        {
            rows.remove(n);
        }
        if edits && get("add").is_some() && rows.len() < MAX_ROWS {
            rows.push(Row::blank());
        }
        if rows.is_empty() {
            rows.push(Row::blank());
        }
        Builder { join_or: get("join") == Some("or"), rows }
    }

    /// The rows of a filter that is one condition or a flat `and` / `or` of
    /// conditions (each possibly negated where the form has an operator for
    /// it); `None` when the form cannot show it.
    pub fn from_expr(expr: &Expr) -> Option<Builder> {
        let mut atoms = Vec::new();
        let join_or = matches!(expr, Expr::Or(..));
        flatten(expr, join_or, &mut atoms);
        if atoms.len() > MAX_ROWS {
            return None;
        }
        let rows = atoms.into_iter().map(row_of).collect::<Option<Vec<_>>>()?;
        Some(Builder { join_or, rows })
    }

    /// The filter text the rows make, and what the parser says about it.
    pub fn outcome(&self) -> Outcome {
        let mut text = String::new();
        let mut spans = Vec::new();
        for (i, row) in self.rows.iter().enumerate() {
            if row.value.trim().is_empty() {
                continue;
            }
            let (Some(field), Some(op)) = (row.field(), row.op()) else { return Outcome::Unfit { row: i } };
            if !op.fits(field.kind()) {
                return Outcome::Unfit { row: i };
            }
            if !text.is_empty() {
                text.push_str(if self.join_or { " or " } else { " and " });
            }
            let start = text.chars().count() + 1;
            text.push_str(&condition(field, op, row.value.trim()));
            spans.push((i, start, text.chars().count()));
        }
        if text.is_empty() {
            return Outcome::Empty;
        }
        match crate::domain::segment::parse(&text) {
            Ok(expr) => Outcome::Ready { text: expr.to_string(), expr },
            Err(error) => {
                let row = spans.iter().find(|(_, s, e)| (*s..=*e).contains(&error.position)).map(|(i, _, _)| *i);
                Outcome::Invalid { text, error, row }
            }
        }
    }
}

fn flatten<'a>(expr: &'a Expr, or: bool, out: &mut Vec<&'a Expr>) {
    match expr {
        Expr::And(a, b) if !or => {
            flatten(a, or, out);
            flatten(b, or, out);
        }
        Expr::Or(a, b) if or => {
            flatten(a, or, out);
            flatten(b, or, out);
        }
        other => out.push(other),
    }
}

fn row_of(atom: &Expr) -> Option<Row> {
    let (cond, negated) = match atom {
        Expr::Cond(c) => (c, false),
        Expr::Not(inner) => match inner.as_ref() {
            Expr::Cond(c) => (c, true),
            _ => return None,
        },
        _ => return None,
    };
    let (op, value) = match cond {
        Cond::Text { test, .. } => match test {
            TextTest::Eq(v) => (Op::Eq, v.clone()),
            TextTest::Ne(v) => (Op::Ne, v.clone()),
            TextTest::In(vs) => (Op::In, list_text(vs)?),
            TextTest::Contains(v) => (Op::Contains, v.clone()),
        },
        Cond::Tier(test) => match test {
            TierTest::Eq(t) => (Op::Eq, t.as_str().to_owned()),
            TierTest::Ne(t) => (Op::Ne, t.as_str().to_owned()),
            TierTest::In(ts) => (Op::In, list_text(&ts.iter().map(|t| t.as_str().to_owned()).collect::<Vec<_>>())?),
        },
        Cond::Number { field, test } => {
            let shown = |n: i64| if *field == NumberField::AnnualPurchase { yuan_text(n) } else { n.to_string() };
            match test {
                NumberTest::Cmp(op, n) => (Op::from_cmp(*op), shown(*n)),
                NumberTest::In(ns) => (Op::In, list_text(&ns.iter().map(|n| shown(*n)).collect::<Vec<_>>())?),
            }
        }
        Cond::Date { test, .. } => match test {
            DateTest::Cmp(op, d) => (Op::from_cmp(*op), d.to_string()),
            DateTest::In(ds) => (Op::In, list_text(&ds.iter().map(NaiveDate::to_string).collect::<Vec<_>>())?),
            DateTest::Within(n) => (Op::Within, n.to_string()),
        },
    };
    // `!=` is exactly `not =` in the language, so either way round is one row.
    let op = match (negated, op) {
        (false, op) => op,
        (true, Op::Eq) => Op::Ne,
        (true, Op::Ne) => Op::Eq,
        (true, Op::In) => Op::NotIn,
        (true, Op::Contains) => Op::NotContains,
        (true, Op::Within) => Op::NotWithin,
        // `not a < 5` is not `a >= 5` for dates that may be missing.
        (true, _) => return None,
    };
    Some(Row { field: cond.field().name().to_owned(), op: op.code().to_owned(), value })
}

/// A list as the value box shows it; `None` when an item holds a separator
/// (or is empty) and so would not split back into the same items.
fn list_text(items: &[String]) -> Option<String> {
    let joined = items.join("、");
    (!items.is_empty() && split_list(&joined) == items).then_some(joined)
}

/// Fen as yuan text: `500万` when a whole number of 万, else `1234.5`.
fn yuan_text(fen: i64) -> String {
    if fen != 0 && fen % 1_000_000 == 0 {
        return format!("{}万", fen / 1_000_000);
    }
    let (whole, cents) = (fen / 100, (fen % 100).abs());
    match cents {
        0 => whole.to_string(),
        c if c % 10 == 0 => format!("{whole}.{}", c / 10),
        c => format!("{whole}.{c:02}"),
    }
}

/// A text literal: quoted, with the escapes the lexer reads.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if matches!(c, '\\' | '"' | '＂') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// One value in the language, or the input quoted so that the parser
/// reports it at its position (raw text is never spliced into a filter).
fn value(kind: FieldKind, op: Op, raw: &str) -> String {
    let raw = raw.trim();
    match (kind, op) {
        (_, Op::Within | Op::NotWithin) => {
            let digits = raw.trim_end_matches(['d', 'D', '天']).trim();
            match digits.parse::<u32>() {
                Ok(n) => format!("{n}d"),
                Err(_) => quoted(raw),
            }
        }
        (FieldKind::Text, _) => quoted(raw),
        (FieldKind::Tier, _) => match raw {
            "S" | "s" | "B" | "b" | "C" | "c" => format!("\"{}\"", raw.to_ascii_uppercase()),
            _ => quoted(raw),
        },
        (FieldKind::Money, _) => parse_amount_fen(raw).map_or_else(|_| quoted(raw), yuan_text),
        (FieldKind::Count, _) => raw.parse::<u32>().map_or_else(|_| quoted(raw), |n| n.to_string()),
        (FieldKind::Date, _) => parse_date(raw).map_or_else(|_| quoted(raw), |d| d.to_string()),
    }
}

fn condition(field: Field, op: Op, raw: &str) -> String {
    let kind = field.kind();
    let name = field.name();
    if op.is_list() {
        let items: Vec<String> = split_list(raw).iter().map(|v| value(kind, op, v)).collect();
        let list = format!("[{}]", items.join(", "));
        return if op == Op::NotIn { format!("{name} not in {list}") } else { format!("{name} in {list}") };
    }
    let v = value(kind, op, raw);
    match op {
        Op::Contains => format!("{name} contains {v}"),
        Op::NotContains => format!("{name} not contains {v}"),
        Op::Within => format!("{name} within {v}"),
        Op::NotWithin => format!("not {name} within {v}"),
        other => format!("{name} {} {v}", other.cmp().map_or("=", CmpOp::as_str)),
    }
}

/// A parse error in the reader's language: "第 19 个字符处：应为字段名…".
pub fn error_text(t: &Texts, e: &ParseError) -> String {
    let expected = expected_text(t, &e.expected);
    let found = match e.found.as_str() {
        "end of input" => t.get("segerr.end").to_owned(),
        "more text" => t.get("segerr.more").to_owned(),
        other => other.to_owned(),
    };
    t.fill("segerr.at", &[("position", &e.position.to_string()), ("expected", &expected), ("found", &found)])
}

fn expected_text(t: &Texts, expected: &str) -> String {
    const KNOWN: [(&str, &str); 17] = [
        ("a condition such as region = \"华东\"", "segerr.condition"),
        ("'and', 'or' or end of input", "segerr.and_or_end"),
        ("')', 'and' or 'or'", "segerr.paren_and_or"),
        ("a text value in double quotes, such as \"华东\"", "segerr.text"),
        ("a tier \"S\", \"B\" or \"C\"", "segerr.tier"),
        ("an amount in yuan, such as 5000000 or 500万", "segerr.amount"),
        ("a whole number", "segerr.whole"),
        ("an amount with at most 2 decimal places (fen)", "segerr.fen"),
        ("a smaller number", "segerr.smaller"),
        ("a date such as 2025-10-01", "segerr.date"),
        ("a valid calendar date such as 2025-10-01", "segerr.valid_date"),
        ("a number of days such as 90d", "segerr.days"),
        ("a closing quote for the text that starts here", "segerr.closing_quote"),
        ("a list in brackets such as [\"S\", \"B\"]", "segerr.list"),
        ("',' or ']'", "segerr.comma_bracket"),
        ("'in' or 'contains' after 'not'", "segerr.not_in_contains"),
        ("'in' after 'not'", "segerr.not_in"),
    ];
    if let Some((_, key)) = KNOWN.iter().find(|(english, _)| *english == expected) {
        return t.get(key).to_owned();
    }
    if expected.starts_with("a field name") {
        return t.get("segerr.field").to_owned();
    }
    if let Some(rest) = expected.strip_prefix("an operator for ")
        && let Some((field, ops)) = rest.split_once(": ")
    {
        let ops = ops.replace(" or ", t.get("segerr.or_word"));
        return t.fill("segerr.operator", &[("field", field), ("ops", &ops)]);
    }
    expected.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::{Locale, texts};

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn ready(b: &Builder) -> String {
        match b.outcome() {
            Outcome::Ready { text, .. } => text,
            other => panic!("not ready: {other:?}"),
        }
    }

    #[test]
    fn rows_write_the_language_in_standard_form() {
        let b = Builder::from_params(
            &params(&[
                ("f0", "region"),
                ("o0", "eq"),
                ("v0", "华东"),
                ("f1", "industry"),
                ("o1", "eq"),
                ("v1", "制造业"),
                ("f2", "annual_purchase"),
                ("o2", "gt"),
                ("v2", "￥5,000,000.00"),
            ]),
            true,
        );
        assert_eq!(ready(&b), "region = \"华东\" and industry = \"制造业\" and annual_purchase > 500万");
        let b = Builder::from_params(
            &params(&[
                ("join", "or"),
                ("f0", "tier"),
                ("o0", "in"),
                ("v0", "s、b"),
                ("f1", "last_inquiry"),
                ("o1", "not_within"),
                ("v1", "90天"),
                ("f2", "tag"),
                ("o2", "not_contains"),
                ("v2", "竞品\"客户\""),
                ("f3", "name"),
                ("o3", "eq"),
                ("v3", "  "),
            ]),
            true,
        );
        assert_eq!(
            ready(&b),
            "tier in [\"S\", \"B\"] or not last_inquiry within 90d or not tag contains \"竞品\\\"客户\\\"\""
        );
    }

    #[test]
    fn blank_rows_are_empty_and_unfit_operators_are_reported() {
        assert_eq!(Builder::blank().outcome(), Outcome::Empty);
        let b = Builder::from_params(&params(&[("f0", "annual_purchase"), ("o0", "contains"), ("v0", "5")]), true);
        assert_eq!(b.outcome(), Outcome::Unfit { row: 0 });
    }

    #[test]
    fn values_the_builder_cannot_read_get_the_parsers_positioned_error() {
        let b = Builder::from_params(
            &params(&[
                ("f0", "region"),
                ("o0", "eq"),
                ("v0", "华南"),
                ("f1", "annual_purchase"),
                ("o1", "ge"),
                ("v1", "很多 or name = \"x\""),
            ]),
            true,
        );
        match b.outcome() {
            Outcome::Invalid { text, error, row } => {
                assert_eq!(text, "region = \"华南\" and annual_purchase >= \"很多 or name = \\\"x\\\"\"");
                assert_eq!(error.position, 38, "{error}");
                assert_eq!(row, Some(1));
                let zh = error_text(texts(Locale::ZhCn), &error);
                assert!(zh.starts_with("第 38 个字符处："), "{zh}");
                assert!(zh.contains("金额"), "{zh}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn add_and_remove_rows() {
        let b = Builder::from_params(&params(&[("f0", "city"), ("o0", "eq"), ("v0", "苏州"), ("add", "1")]), true);
        assert_eq!(b.rows.len(), 2);
        assert_eq!(b.rows[1], Row::blank());
        let b = Builder::from_params(&params(&[("f0", "city"), ("v0", "苏州"), ("f1", "name"), ("drop", "0")]), true);
        assert_eq!(b.rows.len(), 1);
        assert_eq!(b.rows[0].field, "name");
        assert_eq!(Builder::from_params(&params(&[("drop", "0"), ("f0", "city")]), true).rows, vec![Row::blank()]);
    }

    #[test]
    fn filters_in_standard_form_come_back_as_rows() {
        for (text, again) in [
            ("region = \"华东\" and industry = \"制造业\" and annual_purchase > 500万", None),
            // `not a = v` is exactly `a != v`, and that is the row the form shows.
            (
                "tier in [\"S\", \"B\"] and last_inquiry within 90d and not tag = \"竞品客户\"",
                Some("tier in [\"S\", \"B\"] and last_inquiry within 90d and tag != \"竞品客户\""),
            ),
            ("not last_interaction within 30d or annual_purchase <= 1234.5 or interactions_30d >= 3", None),
            (
                "owner != \"ming@example.cn\" and last_inquiry in [2025-10-01, 2025-10-02] and not city in [\"苏州\"]",
                None,
            ),
        ] {
            let expr = crate::domain::segment::parse(text).unwrap();
            let b = Builder::from_expr(&expr).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(ready(&b), again.unwrap_or(&expr.to_string()), "{text} → {b:?}");
        }
        // The seed's outreach priority: inquired in the last 3 months, not bought.
        let expr = crate::domain::segment::parse("last_inquiry within 90d and not last_order within 90d").unwrap();
        let b = Builder::from_expr(&expr).unwrap();
        assert_eq!(b.rows[1].field, "last_order");
        assert_eq!(b.rows[1].op(), Some(Op::NotWithin));
        assert_eq!(ready(&b), "last_inquiry within 90d and not last_order within 90d");
        for text in
            ["(region = \"华东\" or region = \"华南\") and tier = \"S\"", "not annual_purchase > 5", "tag in [\"a,b\"]"]
        {
            let expr = crate::domain::segment::parse(text).unwrap();
            assert_eq!(Builder::from_expr(&expr), None, "{text}");
        }
    }

    #[test]
    fn parse_errors_read_in_both_languages() {
        let e = crate::domain::segment::parse("region = \"华东\" and regoin = \"华南\"").unwrap_err();
        let zh = error_text(texts(Locale::ZhCn), &e);
        assert!(zh.starts_with("第 19 个字符处：应为字段名"), "{zh}");
        let en = error_text(texts(Locale::En), &e);
        assert_eq!(en, e.to_string());
        for text in ["tier > \"S\"", "(region = \"华东\"", "region = \"华东", "last_inquiry within 90", "tier = \"A\""]
        {
            let e = crate::domain::segment::parse(text).unwrap_err();
            assert_eq!(error_text(texts(Locale::En), &e), e.to_string(), "{text}");
            let zh = error_text(texts(Locale::ZhCn), &e);
            assert!(!zh.contains("expected"), "{text}: {zh}");
        }
    }

    #[test]
    fn every_label_key_exists() {
        let zh = texts(Locale::ZhCn);
        let mut keys: Vec<&str> = Op::ALL.iter().map(|o| o.label_key()).collect();
        keys.extend(Field::ALL.iter().map(|f| field_label_key(*f)));
        for f in Field::ALL {
            keys.extend(Op::ALL.iter().map(|o| value_hint_key(f, *o)));
        }
        for key in keys {
            assert_ne!(zh.get(key), key, "{key} missing");
        }
    }
}
