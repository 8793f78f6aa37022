//! The segment language: any text parses or is refused with a position,
//! and what parses prints back to text that parses to the same filter.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rally::domain::segment;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(expr) = segment::parse(text) {
        let printed = expr.to_string();
        let again = segment::parse(&printed).expect("the canonical text parses");
        assert_eq!(again, expr, "{printed}");
    }
});
