//! Customer segments: the filter language reps use to pick campaign targets,
//! e.g. `region = "华东" and industry = "制造业" and annual_purchase > 500万`.
//!
//! * [`parse`] text → [`Expr`] (type-checked; errors carry a character
//!   position); `Expr`'s `Display` writes the canonical text back.
//! * [`evaluate`] / [`tier_of`]: the in-memory reference semantics.
//! * [`compile`] / [`tier_sql`]: the same semantics as SQL (SQLite and
//!   PostgreSQL) over `customers c`, with bound parameters only.
//! * [`kept_count`]: the filters the database's kept counts answer.
//! * [`testgen`]: deterministic random filters and customers for tests.
//!
//! The user documentation, including the grammar and the NULL rules, is
//! `docs/segments.md`.

mod ast;
mod display;
mod error;
mod eval;
mod kept;
mod lexer;
mod parser;
mod sql;
pub mod testgen;

#[cfg(test)]
mod tests;

pub use ast::{
    CmpOp, Cond, DateField, DateTest, Expr, Field, FieldKind, NumberField, NumberTest, TextField, TextTest, Tier,
    TierTest,
};
pub use error::{ParseError, ParseErrorKind};
pub use eval::{
    CustomerFacts, DerivedColumns, INTERACTIONS_WINDOW_DAYS, TierRules, derived_columns, evaluate, tier_of,
};
pub use kept::{Dimension, KeptCount, KeptValues, kept_all, kept_count};
pub use parser::{MAX_CONDITIONS, MAX_DEPTH, MAX_INPUT_CHARS, parse};
pub use sql::{Dialect, SqlContext, SqlFilter, SqlParam, compile, count_parts, tier_sql};
