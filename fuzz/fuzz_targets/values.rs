//! Single values as users type them: amounts, dates, times, credit codes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rally::domain::credit_code::CreditCode;
use rally::io::values::{
    AmountUnit, parse_amount_fen, parse_amount_fen_in, parse_credit_code, parse_date, parse_date_time, parse_time,
};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(fen) = parse_amount_fen(text) {
        assert!(fen >= 0, "{text:?} gave {fen}");
    }
    for unit in [AmountUnit::Qian, AmountUnit::Wan, AmountUnit::Yi] {
        let _ = parse_amount_fen_in(text, unit);
    }
    let _ = parse_date(text);
    let _ = parse_date_time(text, chrono::NaiveDate::from_ymd_opt(2026, 11, 30));
    let _ = parse_time(text);
    if let Ok(code) = CreditCode::parse(text) {
        // A valid code is valid again as printed.
        let again = CreditCode::parse(code.as_str()).expect("a parsed code parses again");
        assert_eq!(again.as_str(), code.as_str());
    }
    let _ = parse_credit_code(text);
});
