//! Any bytes read as CSV give a table or an error, within the table limits;
//! the table then maps and parses into rows or row errors.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rally::io::{ColumnMapping, FileFormat, ImportKind, parse_customers, parse_interactions, read_table};

fuzz_target!(|data: &[u8]| {
    if let Ok(table) = read_table(data, FileFormat::Csv) {
        assert!(table.rows.len() <= rally::io::MAX_ROWS);
        for kind in [ImportKind::Customers, ImportKind::Interactions] {
            let mapping = ColumnMapping::detect(&table.headers, kind);
            let _ = parse_customers(&table, &mapping);
            let _ = parse_interactions(&table, &mapping);
        }
    }
});
