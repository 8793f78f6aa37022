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
pub use table::{
    Cell, CsvInput, FileFormat, MAX_CELLS, MAX_ROWS, ReadError, Row, Table, TableStream, WorkbookInput, read_csv,
    read_table, stream_csv, stream_table, stream_xlsx,
};
pub use values::{AmountUnit, Channel, InteractionKind, ValueError};

/// A customer CSV of `rows` generated rows with ten mapped columns (name,
/// industry, region, city, amount with thousands separators, contact,
/// phone, e-mail, tags): the shape of a real list, for tests and benchmarks.
pub fn sample_customer_csv(rows: u32) -> String {
    use std::fmt::Write;
    let mut text = String::from("客户名称,统一社会信用代码,所属行业,区域,城市,年采购额,联系人,电话,邮箱,标签\r\n");
    for i in 0..rows {
        let _ = write!(
            text,
            "客户{i}有限公司,,制造业,华东,上海,\"{},000\",联系人{i},138{i:08},user{i}@example.com,\"S级,重点\"\r\n",
            i % 9000 + 1
        );
    }
    text
}
