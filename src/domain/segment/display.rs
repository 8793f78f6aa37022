//! Canonical text of a filter: what the UI's form builder stores.
//!
//! Canonical form: lower-case keywords and field names, single spaces,
//! ASCII double quotes, `[a, b]` lists, amounts in yuan (`500万` when a whole
//! number of 万), bare `YYYY-MM-DD` dates, `90d`. Parentheses appear only
//! where the tree needs them, so `parse(&e.to_string()) == e` for every tree
//! whose dates lie in years 1–9999 (all that the parser can produce).

use std::fmt::{self, Display, Formatter, Write};

use chrono::NaiveDate;

use super::ast::{Cond, DateTest, Expr, Field, NumberField, NumberTest, TextTest, TierTest};

/// The words a filter is written with: the canonical English keywords, or
/// their Chinese twins (which the lexer reads as well).
struct Words {
    and: &'static str,
    or: &'static str,
    not: &'static str,
    contains: &'static str,
    within: &'static str,
    days: &'static str,
    field: fn(Field) -> &'static str,
    /// How amounts (fen) are written.
    amount: fn(i64) -> String,
}

const ENGLISH: Words = Words {
    and: "and",
    or: "or",
    not: "not",
    contains: "contains",
    within: "within",
    days: "d",
    field: Field::name,
    amount: yuan,
};

const CHINESE: Words = Words {
    and: "且",
    or: "或",
    not: "非",
    contains: "包含",
    within: "近",
    days: "天",
    field: Field::chinese_name,
    amount: yuan,
};

/// The standard words with amounts as plain yuan (`5000000`, not `500万`).
const PLAIN_AMOUNTS: Words = Words { amount: plain_yuan, ..ENGLISH };

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_expr(f, self, &ENGLISH)
    }
}

impl Expr {
    /// The filter with Chinese field names and keywords (`区域 = "华东" 且
    /// 年采购额 > 500万`), for reading; it parses back to the same filter.
    pub fn to_chinese(&self) -> String {
        struct Zh<'a>(&'a Expr);
        impl Display for Zh<'_> {
            fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
                write_expr(f, self.0, &CHINESE)
            }
        }
        Zh(self).to_string()
    }

    /// The standard form with amounts as plain yuan (`annual_purchase >
    /// 5000000`), as people outside Rally write them; it parses back to the
    /// same filter.
    pub fn to_plain_amounts(&self) -> String {
        struct Plain<'a>(&'a Expr);
        impl Display for Plain<'_> {
            fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
                write_expr(f, self.0, &PLAIN_AMOUNTS)
            }
        }
        Plain(self).to_string()
    }
}

fn write_expr(f: &mut Formatter<'_>, e: &Expr, w: &Words) -> fmt::Result {
    match e {
        Expr::Cond(c) => write_cond(f, c, w),
        Expr::Not(inner) => {
            write!(f, "{} ", w.not)?;
            operand(f, inner, matches!(**inner, Expr::And(..) | Expr::Or(..)), w)
        }
        // Left-associative parsing: a same-operator left child needs no
        // parentheses, a same-operator right child does.
        Expr::And(a, b) => {
            operand(f, a, matches!(**a, Expr::Or(..)), w)?;
            write!(f, " {} ", w.and)?;
            operand(f, b, matches!(**b, Expr::And(..) | Expr::Or(..)), w)
        }
        Expr::Or(a, b) => {
            write_expr(f, a, w)?;
            write!(f, " {} ", w.or)?;
            operand(f, b, matches!(**b, Expr::Or(..)), w)
        }
    }
}

fn operand(f: &mut Formatter<'_>, e: &Expr, parens: bool, w: &Words) -> fmt::Result {
    if parens {
        f.write_char('(')?;
        write_expr(f, e, w)?;
        f.write_char(')')
    } else {
        write_expr(f, e, w)
    }
}

impl Display for Cond {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_cond(f, self, &ENGLISH)
    }
}

fn write_cond(f: &mut Formatter<'_>, cond: &Cond, w: &Words) -> fmt::Result {
    write!(f, "{} ", (w.field)(cond.field()))?;
    match cond {
        Cond::Text { test, .. } => match test {
            TextTest::Eq(v) => write!(f, "= {}", Quoted(v)),
            TextTest::Ne(v) => write!(f, "!= {}", Quoted(v)),
            TextTest::Contains(v) => write!(f, "{} {}", w.contains, Quoted(v)),
            TextTest::In(vs) => list(f, vs.iter().map(|v| Quoted(v))),
        },
        Cond::Tier(test) => match test {
            TierTest::Eq(t) => write!(f, "= \"{t}\""),
            TierTest::Ne(t) => write!(f, "!= \"{t}\""),
            TierTest::In(ts) => list(f, ts.iter().map(|t| Quoted(t.as_str()))),
        },
        Cond::Number { field, test } => {
            let show = |v: i64| -> String {
                match field {
                    NumberField::AnnualPurchase => (w.amount)(v),
                    NumberField::Interactions30d => v.to_string(),
                }
            };
            match test {
                NumberTest::Cmp(op, v) => write!(f, "{} {}", op.as_str(), show(*v)),
                NumberTest::In(vs) => list(f, vs.iter().map(|v| show(*v))),
            }
        }
        Cond::Date { test, .. } => match test {
            DateTest::Cmp(op, d) => write!(f, "{} {}", op.as_str(), IsoDate(*d)),
            DateTest::In(ds) => list(f, ds.iter().map(|d| IsoDate(*d))),
            DateTest::Within(n) => write!(f, "{} {n}{}", w.within, w.days),
        },
    }
}

fn list<T: Display>(f: &mut Formatter<'_>, items: impl Iterator<Item = T>) -> fmt::Result {
    f.write_str("in [")?;
    for (i, item) in items.enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        item.fmt(f)?;
    }
    f.write_char(']')
}

/// A string literal with `\`, `"` and `＂` escaped (the lexer closes ASCII
/// strings on both quote forms).
struct Quoted<'a>(&'a str);

impl Display for Quoted<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        for c in self.0.chars() {
            if matches!(c, '\\' | '"' | '＂') {
                f.write_char('\\')?;
            }
            f.write_char(c)?;
        }
        f.write_char('"')
    }
}

/// `%Y-%m-%d` without chrono's formatting machinery (and without its `+`
/// sign for years past 9999, which the lexer would not read anyway).
struct IsoDate(NaiveDate);

impl Display for IsoDate {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        use chrono::Datelike;
        let d = self.0;
        write!(f, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
    }
}

/// Fen as yuan text: `500万` for whole multiples of 万元, else `1234.5`.
pub(crate) fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    if abs != 0 && abs.is_multiple_of(1_000_000) {
        return format!("{sign}{}万", abs / 1_000_000);
    }
    plain_yuan(fen)
}

/// Fen as yuan text without 万: `5000000`, `1234.5`.
fn plain_yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    let (whole, cents) = (abs / 100, abs % 100);
    match cents {
        0 => format!("{sign}{whole}"),
        c if c.is_multiple_of(10) => format!("{sign}{whole}.{}", c / 10),
        c => format!("{sign}{whole}.{c:02}"),
    }
}
