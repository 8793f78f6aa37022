//! Reading, mapping and parsing a 100,000-row customer CSV in memory (no
//! database): the first stage of every import. Run it in release mode:
//!
//!     cargo run --release --example bench_parse [ROWS]
//!
//! Prints a cold and a warm run (the first also pays for fresh pages from
//! the kernel; a server that has imported before reuses its heap).

use rally::io::{ColumnMapping, FileFormat, ImportKind, parse_customers, read_table, sample_customer_csv};

fn main() {
    let rows: u32 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let text = sample_customer_csv(rows);
    for run in ["cold", "warm"] {
        let start = std::time::Instant::now();
        let table = read_table(text.as_bytes(), FileFormat::Csv).expect("the generated CSV reads");
        let read = start.elapsed();
        let mapping = ColumnMapping::detect(&table.headers, ImportKind::Customers);
        let parse = parse_customers(&table, &mapping).expect("the generated CSV parses");
        let total = start.elapsed();
        assert_eq!(parse.rows.len(), rows as usize);
        println!(
            "{rows} rows × 10 columns ({} KiB), {run}: read {read:?}, read + map + parse {total:?}",
            text.len() / 1024
        );
    }
}
