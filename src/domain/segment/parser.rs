//! Recursive-descent parser with inline type checking.
//!
//! Grammar (see docs/segments.md for the user-facing version):
//! ```text
//! expr      = and_expr { "or" and_expr }
//! and_expr  = not_expr { "and" not_expr }
//! not_expr  = "not" not_expr | "(" expr ")" | condition
//! condition = field ( cmp_op value | ["not"] "in" list
//!                   | ["not"] "contains" string | "within" days )
//! ```
//! Recursion only happens through `not` and `(`, which are bounded by
//! [`MAX_DEPTH`]; `and`/`or` chains are loops. Together with
//! [`MAX_CONDITIONS`] this bounds the depth of every tree the parser returns,
//! so the recursive evaluator, compiler and printer cannot overflow the stack.

use chrono::NaiveDate;

use super::ast::{
    CmpOp, Cond, DateField, DateTest, Expr, Field, FieldKind, NumberField, NumberTest, TextField, TextTest, Tier,
    TierTest,
};
use super::error::{ParseError, ParseErrorKind};
use super::lexer::{Lexer, ScaleError, Tok, Token, parse_date_text};

/// Longest accepted input, in characters. Long enough for a pasted list of a
/// few hundred customer names.
pub const MAX_INPUT_CHARS: usize = 20_000;
/// Deepest nesting of parentheses and `not`s.
pub const MAX_DEPTH: usize = 32;
/// Most conditions (atoms) in one filter.
pub const MAX_CONDITIONS: usize = 256;

const FIELD_LIST: &str = "a field name (name, industry, region, city, annual_purchase, owner, \
                          tier, tag, source, last_interaction, last_inquiry, last_order, interactions_30d)";

/// Parses a segment filter. Never panics; linear in the input length.
pub fn parse(input: &str) -> Result<Expr, ParseError> {
    // Cheap byte test first so huge inputs are not even counted.
    if input.len() > MAX_INPUT_CHARS && input.chars().nth(MAX_INPUT_CHARS).is_some() {
        return Err(ParseError::new(
            MAX_INPUT_CHARS + 1,
            ParseErrorKind::Limit,
            format!("a filter of at most {MAX_INPUT_CHARS} characters"),
            "more text",
        ));
    }
    let mut p = Parser { lx: Lexer::new(input), peeked: None, depth: 0, conditions: 0 };
    if p.peek()?.tok == Tok::Eof {
        return Err(p.unexpected(ParseErrorKind::Syntax, "a condition such as region = \"华东\""));
    }
    let e = p.or_expr()?;
    if p.peek()?.tok != Tok::Eof {
        return Err(p.unexpected(ParseErrorKind::Syntax, "'and', 'or' or end of input"));
    }
    Ok(e)
}

impl std::str::FromStr for Expr {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Expr, ParseError> {
        parse(s)
    }
}

struct Parser {
    lx: Lexer,
    peeked: Option<Token>,
    depth: usize,
    conditions: usize,
}

impl Parser {
    fn peek(&mut self) -> Result<&Token, ParseError> {
        let t = match self.peeked.take() {
            Some(t) => t,
            None => self.lx.next_token()?,
        };
        Ok(self.peeked.insert(t))
    }

    fn next(&mut self) -> Result<Token, ParseError> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lx.next_token(),
        }
    }

    fn describe(&self, t: &Token) -> String {
        if t.tok == Tok::Eof { "end of input".to_owned() } else { format!("'{}'", self.lx.snippet(t.start, t.end)) }
    }

    fn error_at(&self, t: &Token, kind: ParseErrorKind, expected: impl Into<String>) -> ParseError {
        ParseError::new(t.pos, kind, expected, self.describe(t))
    }

    /// Error at the next token (lexer errors take precedence).
    fn unexpected(&mut self, kind: ParseErrorKind, expected: impl Into<String>) -> ParseError {
        match self.next() {
            Ok(t) => self.error_at(&t, kind, expected),
            Err(e) => e,
        }
    }

    fn eat_word(&mut self, kw: &str) -> Result<bool, ParseError> {
        let hit = self.peek()?.is_word(kw);
        if hit {
            self.next()?;
        }
        Ok(hit)
    }

    fn enter(&mut self, at: &Token) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error_at(
                at,
                ParseErrorKind::Limit,
                format!("at most {MAX_DEPTH} levels of nested parentheses and 'not'"),
            ));
        }
        Ok(())
    }

    fn or_expr(&mut self) -> Result<Expr, ParseError> {
        let mut lhs = self.and_expr()?;
        while self.eat_word("or")? {
            lhs = lhs.or(self.and_expr()?);
        }
        Ok(lhs)
    }

    fn and_expr(&mut self) -> Result<Expr, ParseError> {
        let mut lhs = self.not_expr()?;
        while self.eat_word("and")? {
            lhs = lhs.and(self.not_expr()?);
        }
        Ok(lhs)
    }

    fn not_expr(&mut self) -> Result<Expr, ParseError> {
        let t = self.next()?;
        if t.is_word("not") {
            self.enter(&t)?;
            let e = self.not_expr()?;
            self.depth -= 1;
            return Ok(e.not());
        }
        match &t.tok {
            Tok::LParen => {
                self.enter(&t)?;
                let e = self.or_expr()?;
                if self.peek()?.tok != Tok::RParen {
                    return Err(self.unexpected(ParseErrorKind::Syntax, "')', 'and' or 'or'"));
                }
                self.next()?;
                self.depth -= 1;
                Ok(e)
            }
            Tok::Word(w) => match Field::from_name(w) {
                Some(field) => self.condition(field, &t),
                None => Err(self.error_at(&t, ParseErrorKind::Syntax, FIELD_LIST)),
            },
            _ => Err(self.error_at(&t, ParseErrorKind::Syntax, format!("{FIELD_LIST}, 'not' or '('"))),
        }
    }

    fn condition(&mut self, field: Field, field_tok: &Token) -> Result<Expr, ParseError> {
        self.conditions += 1;
        if self.conditions > MAX_CONDITIONS {
            return Err(self.error_at(
                field_tok,
                ParseErrorKind::Limit,
                format!("at most {MAX_CONDITIONS} conditions in one filter"),
            ));
        }
        let kind = field.kind();
        let op = self.next()?;
        let ops_expected = || operators_for(field);
        let negated = op.is_word("not");
        let op = if negated {
            let next = self.next()?;
            let ok = next.is_word("in") || (next.is_word("contains") && kind == FieldKind::Text);
            if !ok {
                let what = if kind == FieldKind::Text { "'in' or 'contains' after 'not'" } else { "'in' after 'not'" };
                return Err(self.error_at(&next, ParseErrorKind::Syntax, what));
            }
            next
        } else {
            op
        };
        let cond = if let Tok::Op(cmp) = op.tok {
            let ordering = !matches!(cmp, CmpOp::Eq | CmpOp::Ne);
            if ordering && matches!(kind, FieldKind::Text | FieldKind::Tier) {
                return Err(self.error_at(&op, ParseErrorKind::Type, ops_expected()));
            }
            self.compare(field, cmp)?
        } else if op.is_word("in") {
            self.list(field)?
        } else if op.is_word("contains") {
            let Slot::Text(tf) = Slot::of(field) else {
                return Err(self.error_at(&op, ParseErrorKind::Type, ops_expected()));
            };
            let needle = normalize_text(tf, self.text_value()?);
            Cond::Text { field: tf, test: TextTest::Contains(needle) }
        } else if op.is_word("within") {
            let Slot::Date(df) = Slot::of(field) else {
                return Err(self.error_at(&op, ParseErrorKind::Type, ops_expected()));
            };
            let t = self.next()?;
            let Tok::Days(n) = t.tok else {
                return Err(self.error_at(&t, ParseErrorKind::Syntax, "a number of days such as 90d"));
            };
            Cond::Date { field: df, test: DateTest::Within(n) }
        } else {
            let kind = if is_known_operator(&op) { ParseErrorKind::Type } else { ParseErrorKind::Syntax };
            return Err(self.error_at(&op, kind, ops_expected()));
        };
        let e = Expr::Cond(cond);
        Ok(if negated { e.not() } else { e })
    }

    fn compare(&mut self, field: Field, op: CmpOp) -> Result<Cond, ParseError> {
        Ok(match Slot::of(field) {
            Slot::Text(field) => {
                let v = normalize_text(field, self.text_value()?);
                let test = if op == CmpOp::Ne { TextTest::Ne(v) } else { TextTest::Eq(v) };
                Cond::Text { field, test }
            }
            Slot::Tier => {
                let v = self.tier_value()?;
                Cond::Tier(if op == CmpOp::Ne { TierTest::Ne(v) } else { TierTest::Eq(v) })
            }
            Slot::Number(field) => Cond::Number { field, test: NumberTest::Cmp(op, self.number_value(field)?) },
            Slot::Date(field) => Cond::Date { field, test: DateTest::Cmp(op, self.date_value()?) },
        })
    }

    /// `[v, …]` or `(v, …)`, possibly empty, trailing comma allowed.
    fn list(&mut self, field: Field) -> Result<Cond, ParseError> {
        let open = self.next()?;
        let close = match open.tok {
            Tok::LBracket => Tok::RBracket,
            Tok::LParen => Tok::RParen,
            _ => {
                return Err(self.error_at(&open, ParseErrorKind::Syntax, "a list in brackets such as [\"S\", \"B\"]"));
            }
        };
        let close_text = if close == Tok::RBracket { "']'" } else { "')'" };
        let slot = Slot::of(field);
        let mut texts = Vec::new();
        let mut tiers = Vec::new();
        let mut numbers = Vec::new();
        let mut dates = Vec::new();
        loop {
            if self.peek()?.tok == close {
                self.next()?;
                break;
            }
            match slot {
                Slot::Text(_) => texts.push(self.text_value()?),
                Slot::Tier => tiers.push(self.tier_value()?),
                Slot::Number(f) => numbers.push(self.number_value(f)?),
                Slot::Date(_) => dates.push(self.date_value()?),
            }
            let t = self.next()?;
            if t.tok == close {
                break;
            }
            if t.tok != Tok::Comma {
                return Err(self.error_at(&t, ParseErrorKind::Syntax, format!("',' or {close_text}")));
            }
        }
        Ok(match slot {
            Slot::Text(field) => {
                let texts = texts.into_iter().map(|t| normalize_text(field, t)).collect();
                Cond::Text { field, test: TextTest::In(texts) }
            }
            Slot::Tier => Cond::Tier(TierTest::In(tiers)),
            Slot::Number(field) => Cond::Number { field, test: NumberTest::In(numbers) },
            Slot::Date(field) => Cond::Date { field, test: DateTest::In(dates) },
        })
    }

    fn text_value(&mut self) -> Result<String, ParseError> {
        let t = self.next()?;
        match t.tok {
            Tok::Str(s) => Ok(s),
            _ => Err(self.error_at(&t, value_error_kind(&t), "a text value in double quotes, such as \"华东\"")),
        }
    }

    fn tier_value(&mut self) -> Result<Tier, ParseError> {
        let t = self.next()?;
        let tier = match &t.tok {
            // Quotes are optional for tiers: `tier = S` is unambiguous.
            Tok::Str(s) | Tok::Word(s) => s.trim().parse::<Tier>().ok(),
            _ => None,
        };
        tier.ok_or_else(|| self.error_at(&t, value_error_kind(&t), "a tier \"S\", \"B\" or \"C\""))
    }

    fn number_value(&mut self, field: NumberField) -> Result<i64, ParseError> {
        let t = self.next()?;
        let money = field == NumberField::AnnualPurchase;
        let expected = if money { "an amount in yuan, such as 5000000 or 500万" } else { "a whole number" };
        let Tok::Num(d) = t.tok else {
            return Err(self.error_at(&t, value_error_kind(&t), expected));
        };
        let scaled: Result<i64, ScaleError> = if money { d.to_scaled(2) } else { d.to_scaled(0) };
        scaled.map_err(|e| {
            let expected = match (e, money) {
                (ScaleError::Fraction, true) => "an amount with at most 2 decimal places (fen)",
                (ScaleError::Fraction, false) => "a whole number",
                (ScaleError::Overflow, _) => "a smaller number",
            };
            self.error_at(&t, ParseErrorKind::Type, expected)
        })
    }

    fn date_value(&mut self) -> Result<NaiveDate, ParseError> {
        let t = self.next()?;
        let d = match &t.tok {
            Tok::Date(d) => Some(*d),
            Tok::Str(s) => parse_date_text(s),
            _ => None,
        };
        d.ok_or_else(|| self.error_at(&t, value_error_kind(&t), "a date such as 2025-10-01"))
    }
}

/// A literal of the wrong type is a type error (`region = 5`); anything else
/// where a value belongs is a syntax error (`region = 华东`, missing quotes).
fn value_error_kind(t: &Token) -> ParseErrorKind {
    match t.tok {
        Tok::Str(_) | Tok::Num(_) | Tok::Date(_) | Tok::Days(_) => ParseErrorKind::Type,
        _ => ParseErrorKind::Syntax,
    }
}

fn is_known_operator(t: &Token) -> bool {
    matches!(t.tok, Tok::Op(_)) || ["in", "contains", "within"].iter().any(|kw| t.is_word(kw))
}

fn operators_for(field: Field) -> String {
    let ops = match field.kind() {
        FieldKind::Text => "=, !=, in, not in, contains or not contains",
        FieldKind::Tier => "=, !=, in or not in",
        FieldKind::Money | FieldKind::Count => "=, !=, <, <=, >, >=, in or not in",
        FieldKind::Date => "=, !=, <, <=, >, >=, in, not in or within",
    };
    format!("an operator for {}: {ops}", field.name())
}

/// A field together with the typed sub-enum its conditions use.
#[derive(Clone, Copy)]
enum Slot {
    Text(TextField),
    Tier,
    Number(NumberField),
    Date(DateField),
}

impl Slot {
    fn of(f: Field) -> Slot {
        match f {
            Field::Name => Slot::Text(TextField::Name),
            Field::Industry => Slot::Text(TextField::Industry),
            Field::Region => Slot::Text(TextField::Region),
            Field::City => Slot::Text(TextField::City),
            Field::Owner => Slot::Text(TextField::Owner),
            Field::Tag => Slot::Text(TextField::Tag),
            Field::Source => Slot::Text(TextField::Source),
            Field::Tier => Slot::Tier,
            Field::AnnualPurchase => Slot::Number(NumberField::AnnualPurchase),
            Field::Interactions30d => Slot::Number(NumberField::Interactions30d),
            Field::LastInteraction => Slot::Date(DateField::LastInteraction),
            Field::LastInquiry => Slot::Date(DateField::LastInquiry),
            Field::LastOrder => Slot::Date(DateField::LastOrder),
        }
    }
}

/// Owners are named by email, which Rally stores lowercased: match them so.
fn normalize_text(field: TextField, value: String) -> String {
    if field == TextField::Owner { value.to_lowercase() } else { value }
}
