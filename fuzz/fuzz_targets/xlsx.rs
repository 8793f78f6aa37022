//! Any bytes read as XLSX (a zip) give a table or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rally::io::{ColumnMapping, FileFormat, ImportKind, parse_customers, read_table};

fuzz_target!(|data: &[u8]| {
    let _ = FileFormat::sniff(data, Some("upload.xlsx"), None);
    if let Ok(table) = read_table(data, FileFormat::Xlsx) {
        let mapping = ColumnMapping::detect(&table.headers, ImportKind::Customers);
        let _ = parse_customers(&table, &mapping);
    }
});
