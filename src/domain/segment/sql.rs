//! Compiles a filter to a boolean SQL expression over `customers c`.
//!
//! Every compiled condition is two-valued (never SQL NULL): nullable columns
//! are guarded with `IS NOT NULL AND …`, scalar subqueries with
//! `COALESCE(…, 1 = 0)`, and owner/tag tests are `EXISTS`. That is what makes
//! `NOT` in SQL agree with `not` in [`evaluate`](super::evaluate).
//!
//! All user-supplied values are bound parameters (`$N`); the only literals
//! spliced into the text are constants of this module.

use std::collections::HashMap;
use std::fmt::Write;

use chrono::NaiveDate;

use super::ast::{
    CmpOp, Cond, DateField, DateTest, Expr, NumberField, NumberTest, TextField, TextTest, Tier, TierTest,
};
use super::eval::{INTERACTIONS_WINDOW_DAYS, TierRules, window};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A bound parameter. Bind `Date` as a date (sqlx encodes `NaiveDate` as a
/// `DATE` on PostgreSQL and as `'YYYY-MM-DD'` text on SQLite, matching how
/// the columns store dates); `Int` as `i64`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SqlParam {
    Text(String),
    Int(i64),
    Date(NaiveDate),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqlContext {
    pub dialect: Dialect,
    pub as_of: NaiveDate,
    pub rules: TierRules,
    /// Number of the first placeholder this compiler emits (`$first_param`),
    /// so the caller can bind its own parameters before ours. Values below 1
    /// are treated as 1.
    pub first_param: usize,
    /// True only if `as_of` is today *and* no interaction is dated after it:
    /// then tier and `last_*` use the derived columns `c.s_anchor_on`,
    /// `c.last_inquiry_on`, `c.last_interaction_on`. Otherwise everything is
    /// computed from `interactions` (exact for any as-of date, slower).
    pub anchored: bool,
}

/// A compiled filter: `sql` is a parenthesised boolean expression; `params[i]`
/// binds placeholder `$(first_param + i)`. Each placeholder may occur several
/// times in `sql` (equal values share one); every one occurs at least once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlFilter {
    pub sql: String,
    pub params: Vec<SqlParam>,
}

/// Compiles `expr` to a WHERE-clause expression over `customers c`.
pub fn compile(expr: &Expr, ctx: &SqlContext) -> SqlFilter {
    let mut c = Compiler::new(ctx);
    let mut sql = String::new();
    c.expr(&mut sql, expr);
    SqlFilter { sql, params: c.params }
}

/// `CASE … END` yielding `'S'`, `'B'` or `'C'` for the row `c`, with the same
/// definition (and the same anchored/exact choice) as conditions on `tier`.
pub fn tier_sql(ctx: &SqlContext) -> (String, Vec<SqlParam>) {
    let mut c = Compiler::new(ctx);
    let mut sql = String::from("(CASE WHEN ");
    c.is_s(&mut sql);
    sql.push_str(" THEN 'S' WHEN ");
    c.has_b_inquiry(&mut sql);
    sql.push_str(" THEN 'B' ELSE 'C' END)");
    (sql, c.params)
}

/// Parts of `expr` that no customer matches twice and whose counts add up to
/// `expr`'s count, each of which the database counts from an index range
/// where it would test every row of a range against `expr` as a whole.
///
/// One shape is split: anchored, a conjunction holding `tier in ["S", "B"]`
/// (or `tier != "C"`) and `last_inquiry within N`. S or B is "S, or an
/// inquiry within the B window", so the count is the customers whose inquiry
/// is within both windows (a plain range of an inquiry index) plus the S
/// customers whose inquiry is in the rest of the N-day window. Counted
/// whole, each of the 316,047 matches at a million customers was tested
/// against the tier (48 ms on SQLite). Any other filter is one part, itself.
pub fn count_parts(expr: &Expr, ctx: &SqlContext) -> Vec<Expr> {
    let whole = || vec![expr.clone()];
    if !ctx.anchored {
        return whole();
    }
    let mut conjuncts = Vec::new();
    flatten_and(expr, &mut conjuncts);
    let Some(tier_at) = conjuncts.iter().position(|e| matches!(e, Expr::Cond(Cond::Tier(t)) if is_s_or_b(t))) else {
        return whole();
    };
    let Some((within_at, days)) = conjuncts.iter().enumerate().find_map(|(i, e)| match e {
        Expr::Cond(Cond::Date { field: DateField::LastInquiry, test: DateTest::Within(n) }) => Some((i, *n)),
        _ => None,
    }) else {
        return whole();
    };
    let Some((from, to)) = window(ctx.as_of, days) else { return whole() };
    let rest: Vec<Expr> = conjuncts
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != tier_at && *i != within_at)
        .map(|(_, e)| (*e).clone())
        .collect();
    let inquiry = |op, d| Expr::Cond(Cond::Date { field: DateField::LastInquiry, test: DateTest::Cmp(op, d) });
    let with_rest =
        |extra: Vec<Expr>| rest.iter().cloned().chain(extra).reduce(Expr::and).expect("at least one condition");
    let mut parts = Vec::new();
    // Windows end on as_of; before the B window's start, only S qualifies.
    let s_only_to = match window(ctx.as_of, ctx.rules.b_window_days) {
        Some((b_from, _)) => {
            parts.push(with_rest(vec![inquiry(CmpOp::Ge, b_from.max(from)), inquiry(CmpOp::Le, to)]));
            b_from.pred_opt().filter(|d| *d >= from)
        }
        None => Some(to),
    };
    if let Some(s_to) = s_only_to {
        parts.push(with_rest(vec![
            Expr::Cond(Cond::Tier(TierTest::Eq(Tier::S))),
            inquiry(CmpOp::Ge, from),
            inquiry(CmpOp::Le, s_to),
        ]));
    }
    parts
}

fn flatten_and<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::And(a, b) => {
            flatten_and(a, out);
            flatten_and(b, out);
        }
        other => out.push(other),
    }
}

/// The test holds for S and B and not for C.
fn is_s_or_b(test: &TierTest) -> bool {
    let holds = |t: Tier| match test {
        TierTest::Eq(x) => *x == t,
        TierTest::Ne(x) => *x != t,
        TierTest::In(ts) => ts.contains(&t),
    };
    holds(Tier::S) && holds(Tier::B) && !holds(Tier::C)
}

const FALSE: &str = "(1 = 0)";
const TRUE: &str = "(1 = 1)";

struct Compiler<'a> {
    ctx: &'a SqlContext,
    params: Vec<SqlParam>,
    /// Dedupes parameters: the as-of date and window starts recur a lot.
    index: HashMap<SqlParam, usize>,
}

impl<'a> Compiler<'a> {
    fn new(ctx: &'a SqlContext) -> Compiler<'a> {
        Compiler { ctx, params: Vec::new(), index: HashMap::new() }
    }

    /// Placeholder for a value, reusing an earlier one for an equal value.
    fn param(&mut self, p: SqlParam) -> String {
        let first = self.ctx.first_param.max(1);
        let n = match self.index.get(&p) {
            Some(&n) => n,
            None => {
                let n = first + self.params.len();
                self.index.insert(p.clone(), n);
                self.params.push(p);
                n
            }
        };
        format!("${n}")
    }

    fn text(&mut self, s: &str) -> String {
        self.param(SqlParam::Text(s.to_owned()))
    }

    fn date(&mut self, d: NaiveDate) -> String {
        self.param(SqlParam::Date(d))
    }

    fn int(&mut self, i: i64) -> String {
        self.param(SqlParam::Int(i))
    }

    /// Comma-separated placeholders for `IN (…)`; caller handles empty lists.
    fn list<T>(&mut self, items: &[T], mut p: impl FnMut(&mut Self, &T) -> String) -> String {
        let v: Vec<String> = items.iter().map(|x| p(self, x)).collect();
        v.join(", ")
    }

    fn substring(&self, haystack: &str, needle: &str) -> String {
        match self.ctx.dialect {
            Dialect::Sqlite => format!("instr({haystack}, {needle}) > 0"),
            Dialect::Postgres => format!("strpos({haystack}, {needle}) > 0"),
        }
    }

    fn expr(&mut self, out: &mut String, e: &Expr) {
        match e {
            Expr::Cond(c) => self.cond(out, c),
            Expr::Not(e) => {
                out.push_str("(NOT ");
                self.expr(out, e);
                out.push(')');
            }
            Expr::And(a, b) | Expr::Or(a, b) => {
                let op = if matches!(e, Expr::And(..)) { " AND " } else { " OR " };
                out.push('(');
                self.expr(out, a);
                out.push_str(op);
                self.expr(out, b);
                out.push(')');
            }
        }
    }

    fn cond(&mut self, out: &mut String, c: &Cond) {
        match c {
            Cond::Text { field, test } => self.text_cond(out, *field, test),
            Cond::Tier(test) => self.tier_cond(out, test),
            Cond::Number { field, test } => self.number_cond(out, *field, test),
            Cond::Date { field, test } => self.date_cond(out, *field, test),
        }
    }

    fn text_cond(&mut self, out: &mut String, field: TextField, test: &TextTest) {
        let column = match field {
            TextField::Name => "c.name",
            TextField::Industry => "c.industry",
            TextField::Region => "c.region",
            TextField::City => "c.city",
            TextField::Source => "c.source",
            TextField::Owner => "u.email",
            TextField::Tag => "t.tag",
        };
        // The predicate on one value; `None` = always false (empty `in`).
        let (negate, pred) = match test {
            TextTest::Eq(v) => (false, Some(format!("{column} = {}", self.text(v)))),
            TextTest::Ne(v) => (true, Some(format!("{column} = {}", self.text(v)))),
            TextTest::In(vs) if vs.is_empty() => (false, None),
            TextTest::In(vs) => {
                let l = self.list(vs, |c, v| c.text(v));
                (false, Some(format!("{column} IN ({l})")))
            }
            TextTest::Contains(v) => {
                let p = self.text(v);
                (false, Some(self.substring(column, &p)))
            }
        };
        let Some(pred) = pred else {
            out.push_str(FALSE);
            return;
        };
        let not = if negate { "NOT " } else { "" };
        // Text columns are NOT NULL, so plain predicates are two-valued.
        // Owner and tag are sets (0..1 and 0..n values): EXISTS.
        let _ = match field {
            TextField::Owner => write!(out, "({not}EXISTS (SELECT 1 FROM users u WHERE u.id = c.owner_id AND {pred}))"),
            TextField::Tag => {
                write!(out, "({not}EXISTS (SELECT 1 FROM customer_tags t WHERE t.customer_id = c.id AND {pred}))")
            }
            _ => write!(out, "({not}{pred})"),
        };
    }

    fn tier_cond(&mut self, out: &mut String, test: &TierTest) {
        match test {
            TierTest::Eq(t) => self.tier_is(out, *t),
            TierTest::Ne(t) => {
                out.push_str("(NOT ");
                self.tier_is(out, *t);
                out.push(')');
            }
            TierTest::In(ts) if ts.is_empty() => out.push_str(FALSE),
            TierTest::In(ts) => {
                out.push('(');
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        out.push_str(" OR ");
                    }
                    self.tier_is(out, *t);
                }
                out.push(')');
            }
        }
    }

    fn tier_is(&mut self, out: &mut String, t: Tier) {
        match t {
            Tier::S => self.is_s(out),
            Tier::B | Tier::C => {
                out.push_str("((NOT ");
                self.is_s(out);
                out.push_str(if t == Tier::B { ") AND " } else { ") AND (NOT " });
                self.has_b_inquiry(out);
                out.push_str(if t == Tier::B { ")" } else { "))" });
            }
        }
    }

    /// Tier S condition.
    fn is_s(&mut self, out: &mut String) {
        let rules = self.ctx.rules;
        if rules.s_min_interactions == 0 {
            out.push_str(TRUE);
            return;
        }
        let Some((start, end)) = window(self.ctx.as_of, rules.s_window_days) else {
            out.push_str(FALSE);
            return;
        };
        if self.ctx.anchored {
            // With nothing dated after as_of, "k-th most recent interaction is
            // in the window" ⇔ "at least k interactions in the window".
            let s = self.date(start);
            let _ = write!(out, "(c.s_anchor_on IS NOT NULL AND c.s_anchor_on >= {s})");
        } else {
            let count = self.count_between(start, end);
            let k = self.int(i64::from(rules.s_min_interactions));
            let _ = write!(out, "({count} >= {k})");
        }
    }

    /// Inquiry within the B window (tier B = this and not S).
    fn has_b_inquiry(&mut self, out: &mut String) {
        let Some((start, end)) = window(self.ctx.as_of, self.ctx.rules.b_window_days) else {
            out.push_str(FALSE);
            return;
        };
        self.dated_within(out, DateField::LastInquiry, start, end);
    }

    /// `(SELECT COUNT(*) …)` of interactions dated in `[start, end]`.
    fn count_between(&mut self, start: NaiveDate, end: NaiveDate) -> String {
        let (s, e) = (self.date(start), self.date(end));
        format!(
            "(SELECT COUNT(*) FROM interactions i WHERE i.customer_id = c.id \
             AND i.occurred_on >= {s} AND i.occurred_on <= {e})"
        )
    }

    fn number_cond(&mut self, out: &mut String, field: NumberField, test: &NumberTest) {
        if matches!(test, NumberTest::In(vs) if vs.is_empty()) {
            out.push_str(FALSE);
            return;
        }
        let value = match field {
            NumberField::AnnualPurchase => "c.annual_purchase_fen".to_owned(),
            NumberField::Interactions30d => {
                match window(self.ctx.as_of, INTERACTIONS_WINDOW_DAYS) {
                    Some((start, end)) => self.count_between(start, end),
                    None => "0".to_owned(), // unreachable for a 30-day window
                }
            }
        };
        let _ = match test {
            NumberTest::Cmp(op, v) => {
                let p = self.int(*v);
                write!(out, "({value} {} {p})", sql_op(*op))
            }
            NumberTest::In(vs) => {
                let l = self.list(vs, |c, v| c.int(*v));
                write!(out, "({value} IN ({l}))")
            }
        };
    }

    fn date_cond(&mut self, out: &mut String, field: DateField, test: &DateTest) {
        if let DateTest::Within(n) = test {
            match window(self.ctx.as_of, *n) {
                Some((start, end)) => self.dated_within(out, field, start, end),
                None => out.push_str(FALSE),
            }
            return;
        }
        if matches!(test, DateTest::In(ds) if ds.is_empty()) {
            out.push_str(FALSE);
            return;
        }
        // `!=` is `not =`, which is true for a missing date.
        let (negate, test) = match test {
            DateTest::Cmp(CmpOp::Ne, d) => (true, DateTest::Cmp(CmpOp::Eq, *d)),
            t => (false, t.clone()),
        };
        let pred = |c: &mut Self, value: &str| match &test {
            DateTest::Cmp(op, d) => format!("{value} {} {}", sql_op(*op), c.date(*d)),
            DateTest::In(ds) => {
                let l = c.list(ds, |c, d| c.date(*d));
                format!("{value} IN ({l})")
            }
            DateTest::Within(_) => FALSE.to_owned(), // handled above
        };
        if negate {
            out.push_str("(NOT ");
        }
        if self.ctx.anchored {
            let column = date_column(field);
            let p = pred(self, column);
            let _ = write!(out, "({column} IS NOT NULL AND {p})");
        } else {
            let latest = self.latest_as_of(field);
            let p = pred(self, &latest);
            let _ = write!(out, "COALESCE({p}, {FALSE})");
        }
        if negate {
            out.push(')');
        }
    }

    /// The field's date is present and in `[start, end]`.
    fn dated_within(&mut self, out: &mut String, field: DateField, start: NaiveDate, end: NaiveDate) {
        let (s, e) = (self.date(start), self.date(end));
        if self.ctx.anchored {
            let col = date_column(field);
            let _ = write!(out, "({col} IS NOT NULL AND {col} >= {s} AND {col} <= {e})");
        } else {
            // The latest date ≤ as_of is in the window iff some date is.
            let _ = write!(
                out,
                "(EXISTS (SELECT 1 FROM interactions i WHERE i.customer_id = c.id{} \
                 AND i.occurred_on >= {s} AND i.occurred_on <= {e}))",
                kind_filter(field)
            );
        }
    }

    /// Scalar subquery: latest date ≤ as_of (NULL if none).
    fn latest_as_of(&mut self, field: DateField) -> String {
        let t = self.date(self.ctx.as_of);
        format!(
            "(SELECT MAX(i.occurred_on) FROM interactions i WHERE i.customer_id = c.id{} \
             AND i.occurred_on <= {t})",
            kind_filter(field)
        )
    }
}

fn date_column(field: DateField) -> &'static str {
    match field {
        DateField::LastInteraction => "c.last_interaction_on",
        DateField::LastInquiry => "c.last_inquiry_on",
        DateField::LastOrder => "c.last_order_on",
    }
}

fn kind_filter(field: DateField) -> &'static str {
    match field {
        DateField::LastInteraction => "",
        DateField::LastInquiry => " AND i.kind = 'inquiry'",
        DateField::LastOrder => " AND i.kind = 'order'",
    }
}

fn sql_op(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Ne => "<>",
        other => other.as_str(),
    }
}
