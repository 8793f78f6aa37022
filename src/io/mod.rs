//! Customer and interaction files: the pure half of import (parsing) and
//! export (writing), with no database.
//!
//! The flow is bytes → [`Table`] → [`ColumnMapping`] → typed rows plus row
//! errors:
//!
//! ```ignore
//! let format = FileFormat::sniff(&bytes, Some(file_name), content_type)?;
//! let table = read_table(&bytes, format)?;
//! let mapping = ColumnMapping::detect(&table.headers, ImportKind::Customers);
//! let parsed = parse_customers(&table, &mapping)?; // Err: a required column is missing
//! // parsed.rows: valid rows; parsed.errors: every bad cell; duplicates
//! // inside the file are flagged on the rows (`duplicate_of`).
//! ```
//!
//! What is left to the caller, because it needs the database: whether owner
//! e-mails belong to users, duplicates against stored customers (use
//! [`normalize_company_name`] and [`normalize_phone`] for the keys),
//! resolving interaction customers, and the transaction. Every row and
//! error carries the spreadsheet row number the user sees, so the caller's
//! own errors can point at rows too.

pub mod customers;
pub mod execution;
pub mod export;
pub mod interactions;
pub mod mapping;
pub mod names;
mod rows;
pub mod table;
pub mod templates;
pub mod values;

#[cfg(test)]
mod tests;

pub use customers::{
    ContactRow, CustomerParse, CustomerRow, DUPLICATE_IN_FILE, DuplicateKey, DuplicateOf, parse_customers,
};
pub use interactions::{
    InteractionOptions, InteractionParse, InteractionRow, parse_interactions, parse_interactions_with,
};
pub use mapping::{ColumnMapping, Field, ImportKind, MappingError};
pub use names::{normalize_company_name, normalize_phone};
pub use rows::{LONG_TEXT_MAX, RowError, SHORT_TEXT_MAX, TAG_MAX};
pub use table::{Cell, FileFormat, MAX_CELLS, MAX_ROWS, ReadError, Row, Table, read_table};
pub use values::{AmountUnit, Channel, InteractionKind, ValueError};
