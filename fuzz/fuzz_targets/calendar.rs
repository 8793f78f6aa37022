//! The holiday calendar file an admin uploads: any text is a calendar or
//! a list of problems; a calendar prints back to a file that reads the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rally::domain::calendar::WorkCalendar;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(calendar) = WorkCalendar::from_json(text) {
        let again = WorkCalendar::from_json(&calendar.to_json()).expect("a calendar's own file reads");
        assert_eq!(again.to_json(), calendar.to_json());
    }
});
