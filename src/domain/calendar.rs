//! Mainland China's official working-day calendar: public holidays and the
//! weekend days that are worked in exchange (调休).
//!
//! Campaign deadlines are counted in working days, and around every major
//! holiday a plain Monday–Friday rule is wrong: a Wednesday can be off and a
//! Saturday can be a working day. The State Council publishes each year's
//! schedule late in the previous year, so the schedule is data
//! (`data/cn-workcalendar.json`) that an admin extends by importing the new
//! year, not code. A year without data falls back to Monday–Friday, and every
//! computation reports the years it had to assume so the UI can warn.
//!
//! The file format, which an admin can write by hand (one year or many):
//!
//! ```json
//! {"years": {"2027": {
//!   "status": "official",
//!   "source": {"title": "…", "doc_no": "…", "issued": "2026-11-01", "urls": ["https://www.gov.cn/…"]},
//!   "blocks": [
//!     {"name": "元旦", "name_en": "New Year's Day",
//!      "off_from": "2027-01-01", "off_to": "2027-01-03", "adjusted_workdays": []}
//!   ]}}}
//! ```
//!
//! `status` is `"official"` or `"not_announced"` (recorded so the UI can say
//! so; such a year is not covered). Blocks may also carry `off_days` and
//! `notice_text`; a year may also carry the day-by-day `holidays` and
//! `adjusted_workdays` lists of the shared data set, which are then checked
//! against the blocks. Unknown fields are rejected so that typos surface.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Bound::{Excluded, Included, Unbounded};
use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

/// Parsed once: the embedded file is checked by the tests, so failing here is
/// a build defect, not a runtime condition.
static OFFICIAL: LazyLock<WorkCalendar> = LazyLock::new(|| {
    WorkCalendar::from_json(include_str!("../../data/cn-workcalendar.json"))
        .unwrap_or_else(|e| panic!("data/cn-workcalendar.json is invalid: {e}"))
});

/// Longest holiday block accepted. The longest so far is 9 days (2026 Spring
/// Festival); the limit only catches typos such as a wrong month.
const MAX_BLOCK_DAYS: i64 = 31;

/// Whether a year's schedule is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum YearStatus {
    /// Published by the State Council: the year is covered.
    Official,
    /// Known to be unpublished; kept so the UI can say so. Not covered.
    NotAnnounced,
}

/// The notice a year's schedule comes from, so users can check it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Source {
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc_no: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
}

/// One holiday as the notice states it: a run of days off plus the weekend
/// days worked in exchange.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HolidayBlock {
    /// Chinese name as in the notice, e.g. "春节".
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    /// First day off (inclusive).
    pub off_from: NaiveDate,
    /// Last day off (inclusive).
    pub off_to: NaiveDate,
    /// Saturdays/Sundays that are working days because of this holiday.
    pub adjusted_workdays: Vec<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice_text: Option<String>,
}

impl HolidayBlock {
    /// The English name where the file gives one, else the Chinese one, so an
    /// English UI always has something to show.
    pub fn name_en_or_name(&self) -> &str {
        self.name_en.as_deref().unwrap_or(&self.name)
    }

    /// Calendar days off, weekends included, as the notice counts them.
    pub fn off_days(&self) -> i64 {
        (self.off_to - self.off_from).num_days() + 1
    }

    fn contains(&self, date: NaiveDate) -> bool {
        self.off_from <= date && date <= self.off_to
    }
}

/// What is known about one year, for the admin screen. Serializes in the
/// file format (its `year` field is optional there and must match the key).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct YearSchedule {
    pub year: i32,
    pub status: YearStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub blocks: Vec<HolidayBlock>,
}

/// A computed value plus the years it touched that had no data and were
/// taken as plain Monday–Friday, so the UI can say the result may move once
/// that year is imported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reckoned<T> {
    pub value: T,
    /// Ascending; empty when every touched year is covered.
    pub assumed_years: Vec<i32>,
}

impl<T> Reckoned<T> {
    /// True when no year had to be assumed.
    pub fn is_exact(&self) -> bool {
        self.assumed_years.is_empty()
    }
}

/// One thing wrong in a calendar file, located by a path such as
/// `years.2027.blocks[1].off_from`, so an admin can find it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Why a calendar file was refused.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    /// Not JSON, or JSON of the wrong shape; the message carries line and column.
    #[error("calendar file: {0}")]
    Syntax(#[from] serde_json::Error),
    /// Well-formed but wrong facts; every problem found is listed, not just the first.
    #[error("{}", list_problems(.0))]
    Invalid(Vec<Problem>),
}

fn list_problems(problems: &[Problem]) -> String {
    match problems {
        [one] => one.to_string(),
        many => {
            let all: Vec<String> = many.iter().map(Problem::to_string).collect();
            format!("{} problems: {}", many.len(), all.join("; "))
        }
    }
}

/// The known years of the official calendar and the lookups built from them.
///
/// The default value knows no year, i.e. plain Monday–Friday everywhere.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    years: BTreeMap<i32, YearSchedule>,
    /// Every day off and every adjusted working day of all known years.
    days: BTreeMap<NaiveDate, Mark>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Mark {
    kind: Kind,
    year: i32,
    block: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Off,
    Work,
}

impl WorkCalendar {
    /// The calendar shipped with Rally (`data/cn-workcalendar.json`). Cheap:
    /// the file is parsed once per process.
    pub fn official() -> WorkCalendar {
        OFFICIAL.clone()
    }

    /// Parses and checks a calendar file (see the module docs for the format).
    pub fn from_json(json: &str) -> Result<WorkCalendar, CalendarError> {
        // Editors on Windows often save with a byte-order mark; JSON forbids it.
        let json = json.strip_prefix('\u{feff}').unwrap_or(json);
        // serde would also take a struct as an array, with a baffling message.
        if json.trim_start().chars().next().is_some_and(|c| c != '{') {
            let problem = Problem::new("file", "expected a JSON object like {\"years\": {\"2027\": {...}}}");
            return Err(CalendarError::Invalid(vec![problem]));
        }
        let raw: RawFile = serde_json::from_str(json)?;
        let mut problems = Vec::new();
        if raw.years.0.is_empty() {
            problems.push(Problem::new("years", "no years given; expected e.g. {\"2027\": {...}}"));
        }
        let mut years = BTreeMap::new();
        for (key, raw_year) in raw.years.0 {
            if let Some(schedule) = validate_year(&key, raw_year, &mut problems) {
                years.insert(schedule.year, schedule);
            }
        }
        let (days, clashes) = index(&years);
        problems.extend(clashes);
        if problems.is_empty() { Ok(WorkCalendar { years, days }) } else { Err(CalendarError::Invalid(problems)) }
    }

    /// The calendar in the file format, e.g. to store what was imported.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct File<'a> {
            years: &'a BTreeMap<i32, YearSchedule>,
        }
        serde_json::to_string_pretty(&File { years: &self.years })
            .expect("plain structs with string keys always serialize")
    }

    /// Adds the years of an imported file. A year present in both is replaced
    /// by the imported one (an amended notice supersedes the old one), except
    /// that a "not announced" entry never erases a covered year.
    pub fn merge(&mut self, other: WorkCalendar) {
        for (year, schedule) in other.years {
            if schedule.status == YearStatus::NotAnnounced && self.covers(year) {
                continue;
            }
            self.years.insert(year, schedule);
        }
        // Only December spill-over days can clash across years; the newer
        // year's notice wins, which `index` does by inserting in year order.
        self.days = index(&self.years).0;
    }

    /// A calendar of just one of this calendar's years (to store imports per year).
    pub fn only(&self, year: i32) -> Option<WorkCalendar> {
        let schedule = self.years.get(&year)?.clone();
        let years = BTreeMap::from([(year, schedule)]);
        let days = index(&years).0;
        Some(WorkCalendar { years, days })
    }

    /// Every year the calendar records, covered or not, ascending.
    pub fn years(&self) -> Vec<i32> {
        self.years.keys().copied().collect()
    }

    /// Status, source and blocks of one year, for display.
    pub fn year(&self, year: i32) -> Option<&YearSchedule> {
        self.years.get(&year)
    }

    /// Whether the official schedule of `year` is known; otherwise that year
    /// is reckoned as Monday–Friday.
    pub fn covers(&self, year: i32) -> bool {
        self.years.get(&year).is_some_and(|s| s.status == YearStatus::Official)
    }

    /// Working day iff (Monday–Friday and not a day off) or an adjusted
    /// working day. Uncovered years are plain Monday–Friday; use `covers` to
    /// know whether that was assumed.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.days.get(&date) {
            Some(mark) => mark.kind == Kind::Work,
            None => is_weekday(date),
        }
    }

    /// The last working day before `date` (the day a morning stand-up
    /// reviews); `date` itself when none is found within a month.
    pub fn previous_working_day(&self, date: NaiveDate) -> NaiveDate {
        let mut d = date;
        for _ in 0..31 {
            d = d.pred_opt().unwrap_or(d);
            if self.is_working_day(d) {
                return d;
            }
        }
        date
    }

    /// The holiday `date` is a day off for (weekend days inside the block
    /// included), for UI hints in either language.
    pub fn holiday(&self, date: NaiveDate) -> Option<&HolidayBlock> {
        self.block_marked(date, Kind::Off)
    }

    /// Chinese name of the holiday `date` is off for, e.g. "春节".
    pub fn holiday_name(&self, date: NaiveDate) -> Option<&str> {
        self.holiday(date).map(|b| b.name.as_str())
    }

    /// The holiday whose exchange makes this weekend day a working day, so
    /// the UI can explain why a Saturday counts.
    pub fn adjusted_workday_for(&self, date: NaiveDate) -> Option<&HolidayBlock> {
        self.block_marked(date, Kind::Work)
    }

    /// The `n`-th working day strictly after `from`; `n = 0` gives `from`
    /// itself, working day or not.
    ///
    /// # Panics
    /// If the result lies beyond the last date chrono can represent (only
    /// for absurd `n`); use [`Self::checked_add_working_days`] for untrusted `n`.
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> Reckoned<NaiveDate> {
        self.checked_add_working_days(from, n)
            .unwrap_or_else(|| panic!("{n} working days after {from} is beyond the supported dates"))
    }

    /// As [`Self::add_working_days`], but `None` past the representable dates.
    ///
    /// Runs in time proportional to the holidays passed, not to `n`: plain
    /// weeks are skipped arithmetically.
    pub fn checked_add_working_days(&self, from: NaiveDate, n: u32) -> Option<Reckoned<NaiveDate>> {
        if n == 0 {
            return Some(Reckoned { value: from, assumed_years: Vec::new() });
        }
        let first = from.succ_opt()?;
        let mut cur = from;
        let mut remaining = i64::from(n);
        for (&day, mark) in self.days.range((Excluded(from), Unbounded)) {
            if mark.kind == Kind::Off && !is_weekday(day) {
                continue; // a weekend day off changes nothing
            }
            let plain_before = weekdays_through(day_number(day) - 1) - weekdays_through(day_number(cur));
            if plain_before >= remaining {
                break; // the answer lies before `day`
            }
            remaining -= plain_before;
            cur = day;
            if mark.kind == Kind::Work {
                remaining -= 1;
                if remaining == 0 {
                    return Some(self.reckoned(day, first, day));
                }
            }
        }
        let value = add_weekdays(cur, remaining)?;
        Some(self.reckoned(value, first, value))
    }

    /// The number of working days `d` with `a < d ≤ b`: 0 when `b ≤ a`, so a
    /// deadline already passed never yields a negative count.
    pub fn working_days_between(&self, a: NaiveDate, b: NaiveDate) -> Reckoned<i64> {
        if b <= a {
            return Reckoned { value: 0, assumed_years: Vec::new() };
        }
        let mut count = weekdays_through(day_number(b)) - weekdays_through(day_number(a));
        for (&day, mark) in self.days.range((Excluded(a), Included(b))) {
            match (mark.kind, is_weekday(day)) {
                (Kind::Work, false) => count += 1,
                (Kind::Off, true) => count -= 1,
                _ => {}
            }
        }
        self.reckoned(count, a.succ_opt().unwrap_or(b), b)
    }

    fn reckoned<T>(&self, value: T, first: NaiveDate, last: NaiveDate) -> Reckoned<T> {
        let assumed_years = (first.year()..=last.year()).filter(|&y| !self.covers(y)).collect();
        Reckoned { value, assumed_years }
    }

    fn block_marked(&self, date: NaiveDate, kind: Kind) -> Option<&HolidayBlock> {
        let mark = self.days.get(&date).filter(|m| m.kind == kind)?;
        self.years.get(&mark.year)?.blocks.get(mark.block)
    }
}

/// Builds the day lookup in year order, so a later year's notice wins on the
/// December days it may reach back into; clashes are reported for `from_json`.
fn index(years: &BTreeMap<i32, YearSchedule>) -> (BTreeMap<NaiveDate, Mark>, Vec<Problem>) {
    let mut days: BTreeMap<NaiveDate, Mark> = BTreeMap::new();
    let mut clashes = Vec::new();
    let mut put = |date: NaiveDate, mark: Mark, path: String| {
        if let Some(prev) = days.insert(date, mark)
            && prev.year != mark.year
        {
            clashes.push(Problem::new(
                path,
                format!("{date} is also listed in years.{}.blocks[{}]", prev.year, prev.block),
            ));
        }
    };
    for (&year, schedule) in years {
        for (block, b) in schedule.blocks.iter().enumerate() {
            let path = format!("years.{year}.blocks[{block}]");
            for date in b.off_from.iter_days().take_while(|d| *d <= b.off_to) {
                let mark = Mark { kind: Kind::Off, year, block };
                put(date, mark, path.clone());
            }
            for (j, &date) in b.adjusted_workdays.iter().enumerate() {
                let mark = Mark { kind: Kind::Work, year, block };
                put(date, mark, format!("{path}.adjusted_workdays[{j}]"));
            }
        }
    }
    (days, clashes)
}

// ---- weekday arithmetic -------------------------------------------------

/// Days since 0001-01-01, which was a Monday, so `rem_euclid(7)` is the
/// weekday with Monday = 0.
fn day_number(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) - 1
}

fn is_weekday(date: NaiveDate) -> bool {
    date.weekday().num_days_from_monday() < 5
}

/// Count of Monday–Friday day numbers in `0..=x` (negative below 0), so the
/// count in `(a, b]` is `weekdays_through(b) - weekdays_through(a)`.
fn weekdays_through(x: i64) -> i64 {
    5 * x.div_euclid(7) + (x.rem_euclid(7) + 1).min(5)
}

/// The `k`-th Monday–Friday date strictly after `from` (`k ≥ 1`).
fn add_weekdays(from: NaiveDate, k: i64) -> Option<NaiveDate> {
    let x = day_number(from);
    let monday = x - x.rem_euclid(7);
    // A Saturday or Sunday counts on from the Friday before it.
    let total = x.rem_euclid(7).min(4) + k;
    let target = monday + total / 5 * 7 + total % 5;
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(target + 1).ok()?)
}

// ---- file format and validation ----------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a calendar object {\"years\": {...}}")]
struct RawFile {
    #[serde(default, rename = "meta")]
    _meta: Option<IgnoredAny>,
    years: RawYears,
}

/// Years in file order; a hand-made map type so a repeated year is an error
/// rather than silently overwriting the first.
struct RawYears(Vec<(String, RawYear)>);

impl<'de> Deserialize<'de> for RawYears {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct YearsVisitor;
        impl<'de> Visitor<'de> for YearsVisitor {
            type Value = RawYears;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object keyed by year, e.g. {\"2027\": {...}}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawYears, A::Error> {
                let mut years: Vec<(String, RawYear)> = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    if years.iter().any(|(k, _)| *k == key) {
                        return Err(de::Error::custom(format_args!("year \"{key}\" appears twice")));
                    }
                    let year = map.next_value()?;
                    years.push((key, year));
                }
                Ok(RawYears(years))
            }
        }
        deserializer.deserialize_map(YearsVisitor)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a year object with status, source and blocks")]
struct RawYear {
    #[serde(default)]
    year: Option<i64>,
    status: YearStatus,
    #[serde(default)]
    source: Option<RawSource>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    blocks: Vec<RawBlock>,
    #[serde(default)]
    holidays: Option<Vec<RawHoliday>>,
    #[serde(default)]
    adjusted_workdays: Option<Vec<RawWorkday>>,
    #[serde(default, rename = "cross_check")]
    _cross_check: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    title: String,
    #[serde(default)]
    doc_no: Option<String>,
    #[serde(default)]
    issued: Option<String>,
    #[serde(default)]
    urls: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a holiday block with name, off_from, off_to")]
struct RawBlock {
    name: String,
    #[serde(default)]
    name_en: Option<String>,
    off_from: String,
    off_to: String,
    #[serde(default)]
    off_days: Option<i64>,
    #[serde(default)]
    adjusted_workdays: Vec<String>,
    #[serde(default)]
    notice_text: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHoliday {
    date: String,
    #[serde(default)]
    weekday: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    name_en: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkday {
    date: String,
    #[serde(default)]
    weekday: Option<String>,
    #[serde(default)]
    holiday: Option<String>,
    #[serde(default)]
    holiday_en: Option<String>,
}

impl Problem {
    fn new(path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem { path: path.into(), message: message.into() }
    }
}

fn validate_year(key: &str, raw: RawYear, problems: &mut Vec<Problem>) -> Option<YearSchedule> {
    let here = format!("years.{key}");
    let Some(year) = parse_year(key) else {
        problems.push(Problem::new(here, format!("{key:?} is not a year (expected four digits, e.g. \"2027\")")));
        return None;
    };
    let before = problems.len();
    if let Some(stated) = raw.year
        && stated != i64::from(year)
    {
        problems.push(Problem::new(format!("{here}.year"), format!("{stated}, but the key says {year}")));
    }
    let source = raw.source.map(|s| validate_source(&format!("{here}.source"), s, problems));
    let holidays = raw.holidays.unwrap_or_default();
    let workday_list = raw.adjusted_workdays.unwrap_or_default();
    match raw.status {
        YearStatus::Official => {
            if source.is_none() {
                problems.push(Problem::new(
                    format!("{here}.source"),
                    "missing; an official year must name the notice it comes from (title, doc_no, issued, urls)",
                ));
            }
            if raw.blocks.is_empty() {
                problems.push(Problem::new(
                    format!("{here}.blocks"),
                    "no holiday blocks; an official year lists at least New Year's Day",
                ));
            }
        }
        YearStatus::NotAnnounced => {
            let extra = [
                ("blocks", raw.blocks.is_empty()),
                ("holidays", holidays.is_empty()),
                ("adjusted_workdays", workday_list.is_empty()),
            ];
            for (field, empty) in extra {
                if !empty {
                    problems.push(Problem::new(
                        format!("{here}.{field}"),
                        "must be empty while status is \"not_announced\"; set status to \"official\"",
                    ));
                }
            }
        }
    }

    let blocks: Vec<Option<HolidayBlock>> = raw
        .blocks
        .into_iter()
        .enumerate()
        .map(|(i, b)| validate_block(year, &format!("{here}.blocks[{i}]"), b, problems))
        .collect();
    let valid: Vec<(usize, &HolidayBlock)> =
        blocks.iter().enumerate().filter_map(|(i, b)| b.as_ref().map(|b| (i, b))).collect();
    check_blocks_apart(&here, &valid, problems);
    if valid.len() == blocks.len() {
        check_holiday_list(&here, &holidays, &valid, problems);
        check_workday_list(&here, &workday_list, &valid, problems);
    }

    if problems.len() > before {
        return None;
    }
    Some(YearSchedule {
        year,
        status: raw.status,
        source,
        note: raw.note,
        blocks: blocks.into_iter().flatten().collect(),
    })
}

fn validate_source(path: &str, raw: RawSource, problems: &mut Vec<Problem>) -> Source {
    if raw.title.trim().is_empty() {
        problems.push(Problem::new(format!("{path}.title"), "empty; give the notice's title"));
    }
    let issued = raw.issued.and_then(|s| {
        let date = parse_date(&s);
        if date.is_none() {
            problems.push(Problem::new(format!("{path}.issued"), format!("{s:?} is not a date (YYYY-MM-DD)")));
        }
        date
    });
    Source { title: raw.title, doc_no: raw.doc_no, issued, urls: raw.urls }
}

fn validate_block(year: i32, path: &str, raw: RawBlock, problems: &mut Vec<Problem>) -> Option<HolidayBlock> {
    let before = problems.len();
    if raw.name.trim().is_empty() {
        problems.push(Problem::new(format!("{path}.name"), "empty; give the holiday's name as in the notice"));
    }
    let from = date_in_year(year, format!("{path}.off_from"), &raw.off_from, problems);
    let to = date_in_year(year, format!("{path}.off_to"), &raw.off_to, problems);
    if let (Some(from), Some(to)) = (from, to) {
        let days = (to - from).num_days() + 1;
        if to < from {
            problems.push(Problem::new(format!("{path}.off_to"), format!("{to} is before off_from {from}")));
        } else if days > MAX_BLOCK_DAYS {
            problems.push(Problem::new(
                path,
                format!(
                    "{from} to {to} is {days} days; a holiday block is at most {MAX_BLOCK_DAYS} days, check the dates"
                ),
            ));
        } else if let Some(stated) = raw.off_days
            && stated != days
        {
            problems
                .push(Problem::new(format!("{path}.off_days"), format!("{stated}, but {from} to {to} is {days} days")));
        }
    }
    let mut workdays = Vec::with_capacity(raw.adjusted_workdays.len());
    for (j, s) in raw.adjusted_workdays.iter().enumerate() {
        let here = format!("{path}.adjusted_workdays[{j}]");
        let Some(date) = date_in_year(year, here.clone(), s, problems) else {
            continue;
        };
        if is_weekday(date) {
            problems.push(Problem::new(
                here,
                format!(
                    "{date} is a {}; an adjusted working day must be a Saturday or Sunday",
                    weekday_name(date.weekday())
                ),
            ));
        }
        workdays.push(date);
    }
    if problems.len() > before {
        return None;
    }
    Some(HolidayBlock {
        name: raw.name,
        name_en: raw.name_en,
        off_from: from?,
        off_to: to?,
        adjusted_workdays: workdays,
        notice_text: raw.notice_text,
    })
}

/// Blocks must not overlap, and no adjusted working day may be a day off or
/// be listed twice.
fn check_blocks_apart(here: &str, valid: &[(usize, &HolidayBlock)], problems: &mut Vec<Problem>) {
    for (k, &(i, b)) in valid.iter().enumerate() {
        for &(h, a) in &valid[..k] {
            if b.off_from <= a.off_to && a.off_from <= b.off_to {
                problems.push(Problem::new(
                    format!("{here}.blocks[{i}]"),
                    format!("overlaps blocks[{h}] ({}) on {}", a.name, b.off_from.max(a.off_from)),
                ));
            }
        }
    }
    let mut seen: BTreeMap<NaiveDate, (usize, usize)> = BTreeMap::new();
    for &(i, b) in valid {
        for (j, &date) in b.adjusted_workdays.iter().enumerate() {
            let path = format!("{here}.blocks[{i}].adjusted_workdays[{j}]");
            if let Some(&(h, a)) = valid.iter().find(|(_, a)| a.contains(date)) {
                problems.push(Problem::new(
                    path.clone(),
                    format!(
                        "{date} is a day off in blocks[{h}] ({}); a day cannot be both off and an adjusted working day",
                        a.name
                    ),
                ));
            }
            if let Some((pi, pj)) = seen.insert(date, (i, j)) {
                problems.push(Problem::new(
                    path,
                    format!("{date} is already listed at blocks[{pi}].adjusted_workdays[{pj}]"),
                ));
            }
        }
    }
}

/// The optional day-by-day `holidays` list must be exactly the blocks' days.
fn check_holiday_list(here: &str, list: &[RawHoliday], valid: &[(usize, &HolidayBlock)], problems: &mut Vec<Problem>) {
    let expected = valid
        .iter()
        .flat_map(|&(i, b)| b.off_from.iter_days().take_while(move |d| *d <= b.off_to).map(move |d| (d, (i, b))))
        .collect();
    let days =
        list.iter().map(|e| ListedDay { date: &e.date, name: &e.name, name_en: &e.name_en, weekday: &e.weekday });
    let list = DayList {
        field: "holidays",
        names: ("name", "name_en"),
        outside: "is not inside any block's off_from..off_to",
    };
    check_day_list(here, &list, days, expected, problems);
}

/// The optional day-by-day `adjusted_workdays` list must be exactly the
/// blocks' adjusted working days.
fn check_workday_list(here: &str, list: &[RawWorkday], valid: &[(usize, &HolidayBlock)], problems: &mut Vec<Problem>) {
    let expected = valid.iter().flat_map(|&(i, b)| b.adjusted_workdays.iter().map(move |&d| (d, (i, b)))).collect();
    let days =
        list.iter().map(|e| ListedDay { date: &e.date, name: &e.holiday, name_en: &e.holiday_en, weekday: &e.weekday });
    let list = DayList {
        field: "adjusted_workdays",
        names: ("holiday", "holiday_en"),
        outside: "is not an adjusted working day of any block",
    };
    check_day_list(here, &list, days, expected, problems);
}

/// One day of a day-by-day list as the file gives it.
struct ListedDay<'a> {
    date: &'a str,
    name: &'a Option<String>,
    name_en: &'a Option<String>,
    weekday: &'a Option<String>,
}

/// How a day-by-day list is named in the file and in its problems.
struct DayList {
    field: &'static str,
    /// The fields holding the block's Chinese and English names.
    names: (&'static str, &'static str),
    /// What a listed date outside the blocks is told.
    outside: &'static str,
}

/// A day-by-day list, when given, must name each `expected` day once, with
/// its block's names and its weekday, and nothing else.
fn check_day_list<'a>(
    here: &str,
    list: &DayList,
    days: impl ExactSizeIterator<Item = ListedDay<'a>>,
    expected: BTreeMap<NaiveDate, (usize, &HolidayBlock)>,
    problems: &mut Vec<Problem>,
) {
    if days.len() == 0 {
        return;
    }
    let mut listed = BTreeSet::new();
    for (j, entry) in days.enumerate() {
        let path = format!("{here}.{}[{j}]", list.field);
        let Some(date) = parse_date(entry.date) else {
            problems.push(Problem::new(format!("{path}.date"), format!("{:?} is not a date (YYYY-MM-DD)", entry.date)));
            continue;
        };
        if !listed.insert(date) {
            problems.push(Problem::new(format!("{path}.date"), format!("{date} is listed twice")));
            continue;
        }
        let Some(&(i, block)) = expected.get(&date) else {
            problems.push(Problem::new(format!("{path}.date"), format!("{date} {}", list.outside)));
            continue;
        };
        let (name, name_en) = list.names;
        check_name(&format!("{path}.{name}"), entry.name.as_deref(), Some(&block.name), i, problems);
        check_name(&format!("{path}.{name_en}"), entry.name_en.as_deref(), block.name_en.as_deref(), i, problems);
        check_weekday(&format!("{path}.weekday"), entry.weekday.as_deref(), date, problems);
    }
    for (date, (i, block)) in &expected {
        if !listed.contains(date) {
            problems.push(Problem::new(
                format!("{here}.{}", list.field),
                format!("{date} ({}, blocks[{i}]) is missing", block.name),
            ));
        }
    }
}

fn check_name(path: &str, given: Option<&str>, expected: Option<&str>, block: usize, problems: &mut Vec<Problem>) {
    if let (Some(given), Some(expected)) = (given, expected)
        && given != expected
    {
        problems.push(Problem::new(path, format!("{given:?}, but blocks[{block}] is {expected:?}")));
    }
}

fn check_weekday(path: &str, given: Option<&str>, date: NaiveDate, problems: &mut Vec<Problem>) {
    let Some(given) = given else { return };
    match given.parse::<Weekday>() {
        Ok(w) if w == date.weekday() => {}
        Ok(_) => {
            problems.push(Problem::new(path, format!("{given:?}, but {date} is a {}", weekday_name(date.weekday()))))
        }
        Err(_) => problems.push(Problem::new(path, format!("{given:?} is not a weekday (Mon, Tue, … Sun)"))),
    }
}

/// A date in `year`, or in December of the year before: a notice may move
/// days around New Year into the preceding December (the 2019 notice made
/// 2018-12-29 a working day and 2018-12-30/31 days off).
fn date_in_year(year: i32, path: String, text: &str, problems: &mut Vec<Problem>) -> Option<NaiveDate> {
    let Some(date) = parse_date(text) else {
        problems.push(Problem::new(path, format!("{text:?} is not a date (YYYY-MM-DD)")));
        return None;
    };
    let earliest = NaiveDate::from_ymd_opt(year - 1, 12, 1)?;
    let latest = NaiveDate::from_ymd_opt(year, 12, 31)?;
    if date < earliest || date > latest {
        problems.push(Problem::new(
            path,
            format!(
                "{date} is not in {year}; a year's notice covers only that year (and at most December {})",
                year - 1
            ),
        ));
        return None;
    }
    Some(date)
}

/// Strict `YYYY-MM-DD`: chrono's parser also takes "2027-1-5", which a
/// hand-written file should not silently rely on.
fn parse_date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shape_ok {
        return None;
    }
    let year = text[0..4].parse().ok()?;
    let month = text[5..7].parse().ok()?;
    let day = text[8..10].parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

fn parse_year(key: &str) -> Option<i32> {
    let ok = key.len() == 4 && key.bytes().all(|b| b.is_ascii_digit()) && !key.starts_with('0');
    if ok { key.parse().ok() } else { None }
}

fn weekday_name(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn cal() -> WorkCalendar {
        WorkCalendar::official()
    }

    /// The n-th working day after `from`, one day at a time.
    fn slow_add(cal: &WorkCalendar, from: NaiveDate, n: u32) -> NaiveDate {
        let mut day = from;
        let mut left = n;
        while left > 0 {
            day = day.succ_opt().unwrap();
            if cal.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    fn slow_between(cal: &WorkCalendar, a: NaiveDate, b: NaiveDate) -> i64 {
        a.iter_days().skip(1).take_while(|x| *x <= b).filter(|x| cal.is_working_day(*x)).count() as i64
    }

    fn add(from: &str, n: u32) -> NaiveDate {
        let r = cal().add_working_days(d(from), n);
        assert!(r.is_exact(), "{from} + {n}: assumed {:?}", r.assumed_years);
        r.value
    }

    fn between(a: &str, b: &str) -> i64 {
        let r = cal().working_days_between(d(a), d(b));
        assert!(r.is_exact(), "{a}..{b}: assumed {:?}", r.assumed_years);
        r.value
    }

    fn err(json: &str) -> String {
        WorkCalendar::from_json(json).unwrap_err().to_string()
    }

    /// A fictitious 2027 file for format tests; not real data.
    fn year_2027(blocks: &str) -> String {
        format!(
            r#"{{"years": {{"2027": {{"status": "official",
                 "source": {{"title": "test notice, not real"}},
                 "blocks": [{blocks}]}}}}}}"#
        )
    }

    const NEW_YEAR_2027: &str = r#"{"name": "元旦", "name_en": "New Year's Day",
        "off_from": "2027-01-01", "off_to": "2027-01-03", "adjusted_workdays": []}"#;

    #[test]
    fn day_numbers_follow_chrono_weekdays() {
        for date in d("1999-12-20").iter_days().take(30) {
            assert_eq!(day_number(date).rem_euclid(7), i64::from(date.weekday().num_days_from_monday()));
        }
        assert_eq!(d("0001-01-01").weekday(), Weekday::Mon);
    }

    #[test]
    fn official_file_loads_with_its_years() {
        let c = cal();
        assert_eq!(c.years(), vec![2024, 2025, 2026, 2027]);
        assert!(c.covers(2024) && c.covers(2025) && c.covers(2026));
        assert!(!c.covers(2027) && !c.covers(2023));
        assert_eq!(c.year(2027).unwrap().status, YearStatus::NotAnnounced);
        let y2025 = c.year(2025).unwrap();
        assert_eq!(y2025.status, YearStatus::Official);
        let source = y2025.source.as_ref().unwrap();
        assert_eq!(source.doc_no.as_deref(), Some("国办发明电〔2024〕12号"));
        assert_eq!(source.issued, Some(d("2024-11-12")));
        assert_eq!(y2025.blocks.len(), 6);
        assert_eq!(c.year(2026).unwrap().blocks[1].off_days(), 9);
    }

    /// Checks `is_working_day` against the file's day-by-day lists, which are
    /// kept independently of the blocks.
    #[test]
    fn working_days_match_the_day_by_day_lists() {
        let file: serde_json::Value = serde_json::from_str(include_str!("../../data/cn-workcalendar.json")).unwrap();
        let mut off = BTreeSet::new();
        let mut work = BTreeSet::new();
        for year in ["2024", "2025", "2026"] {
            for h in file["years"][year]["holidays"].as_array().unwrap() {
                off.insert(d(h["date"].as_str().unwrap()));
            }
            for w in file["years"][year]["adjusted_workdays"].as_array().unwrap() {
                work.insert(d(w["date"].as_str().unwrap()));
            }
        }
        let c = cal();
        for date in d("2024-01-01").iter_days().take_while(|x| *x <= d("2026-12-31")) {
            let expected = (is_weekday(date) && !off.contains(&date)) || work.contains(&date);
            assert_eq!(c.is_working_day(date), expected, "{date}");
        }
    }

    #[test]
    fn yearly_totals_match_the_statutory_count() {
        // 366 days - 104 weekend days - 11 statutory holidays (2024);
        // 365 - 104 - 13 for 2025 and 2026 (two holidays were added in 2025).
        assert_eq!(between("2023-12-31", "2024-12-31"), 251);
        assert_eq!(between("2024-12-31", "2025-12-31"), 248);
        assert_eq!(between("2025-12-31", "2026-12-31"), 248);
    }

    #[test]
    fn spring_festival_2024() {
        // Feb 10-17 off; Sundays Feb 4 and Feb 18 worked; 除夕 (Feb 9, Fri) is a working day.
        let c = cal();
        assert!(c.is_working_day(d("2024-02-04")));
        assert!(c.is_working_day(d("2024-02-09")));
        assert_eq!(c.holiday_name(d("2024-02-09")), None);
        for day in 10..=17 {
            let date = NaiveDate::from_ymd_opt(2024, 2, day).unwrap();
            assert!(!c.is_working_day(date), "{date}");
            assert_eq!(c.holiday_name(date), Some("春节"));
        }
        assert!(c.is_working_day(d("2024-02-18")));
        assert_eq!(c.adjusted_workday_for(d("2024-02-18")).unwrap().name, "春节");
        assert!(!c.is_working_day(d("2024-02-03")), "ordinary Saturday");
        assert_eq!(add("2024-02-02", 1), d("2024-02-04"));
        assert_eq!(add("2024-02-02", 2), d("2024-02-05"));
        assert_eq!(add("2024-02-08", 1), d("2024-02-09"));
        assert_eq!(add("2024-02-08", 2), d("2024-02-18"));
        assert_eq!(add("2024-02-08", 3), d("2024-02-19"));
        assert_eq!(add("2024-02-10", 1), d("2024-02-18"));
        assert_eq!(between("2024-02-08", "2024-02-19"), 3);
    }

    #[test]
    fn other_2024_blocks() {
        // New Year and Dragon Boat: single Mondays joined to a normal weekend.
        assert_eq!(add("2023-12-31", 1), d("2024-01-02"));
        assert_eq!(add("2024-06-07", 1), d("2024-06-11"));
        // Labour Day: May 1-5 off; Sun Apr 28 and Sat May 11 worked.
        assert_eq!(add("2024-04-26", 1), d("2024-04-28"));
        assert_eq!(add("2024-04-26", 3), d("2024-04-30"));
        assert_eq!(add("2024-04-26", 4), d("2024-05-06"));
        assert_eq!(between("2024-04-30", "2024-05-11"), 6);
        assert_eq!(add("2024-05-10", 1), d("2024-05-11"));
        // Mid-Autumn Sep 15-17 off, Sat Sep 14 worked; National Day Oct 1-7
        // off, Sun Sep 29 and Sat Oct 12 worked.
        assert_eq!(between("2024-09-13", "2024-09-18"), 2);
        assert_eq!(between("2024-09-27", "2024-10-12"), 7);
        assert_eq!(add("2024-09-30", 1), d("2024-10-08"));
        assert_eq!(cal().holiday_name(d("2024-10-05")), Some("国庆节"));
    }

    #[test]
    fn blocks_2025() {
        let c = cal();
        // Spring Festival Jan 28 - Feb 4 off; Sun Jan 26 and Sat Feb 8 worked.
        assert_eq!(add("2025-01-24", 1), d("2025-01-26"));
        assert_eq!(add("2025-01-24", 2), d("2025-01-27"));
        assert_eq!(add("2025-01-24", 3), d("2025-02-05"));
        assert_eq!(between("2025-01-24", "2025-02-08"), 6);
        // Labour Day May 1-5 off; only Sun Apr 27 worked.
        assert_eq!(add("2025-04-25", 1), d("2025-04-27"));
        assert_eq!(add("2025-04-30", 1), d("2025-05-06"));
        assert!(!c.is_working_day(d("2025-05-10")), "no Saturday worked in 2025");
        // National Day and Mid-Autumn together: Oct 1-8 off; Sun Sep 28 and Sat Oct 11 worked.
        assert_eq!(add("2025-09-26", 1), d("2025-09-28"));
        assert_eq!(add("2025-09-30", 1), d("2025-10-09"));
        assert_eq!(add("2025-09-30", 3), d("2025-10-11"));
        assert_eq!(add("2025-09-30", 4), d("2025-10-13"));
        assert_eq!(between("2025-09-26", "2025-10-12"), 6);
        assert_eq!(c.holiday_name(d("2025-10-08")), Some("国庆节、中秋节"));
        assert_eq!(c.holiday(d("2025-10-08")).unwrap().name_en_or_name(), "National Day & Mid-Autumn Festival");
    }

    #[test]
    fn across_the_2025_2026_year_end() {
        // 2026 New Year Jan 1-3 off and Sunday Jan 4 worked.
        assert_eq!(add("2025-12-31", 1), d("2026-01-04"));
        assert_eq!(add("2025-12-31", 2), d("2026-01-05"));
        assert_eq!(add("2025-12-30", 1), d("2025-12-31"));
        assert_eq!(between("2025-12-31", "2026-01-05"), 2);
        // Dec 29, 30, 31 and Sunday Jan 4.
        assert_eq!(between("2025-12-26", "2026-01-04"), 4);
    }

    #[test]
    fn blocks_2026() {
        let c = cal();
        // Spring Festival Feb 15-23 off; Saturdays Feb 14 and Feb 28 worked.
        assert_eq!(add("2026-02-13", 1), d("2026-02-14"));
        assert_eq!(add("2026-02-13", 2), d("2026-02-24"));
        assert_eq!(between("2026-02-13", "2026-02-28"), 6);
        // Labour Day May 1-5 off; Saturday May 9 worked.
        assert_eq!(add("2026-04-30", 1), d("2026-05-06"));
        assert_eq!(between("2026-04-30", "2026-05-10"), 4);
        // Mid-Autumn Sep 25-27 off (no exchange); National Day Oct 1-7 off,
        // Sun Sep 20 and Sat Oct 10 worked.
        assert!(c.is_working_day(d("2026-09-20")));
        assert_eq!(add("2026-09-24", 1), d("2026-09-28"));
        assert_eq!(add("2026-09-30", 1), d("2026-10-08"));
        assert_eq!(add("2026-09-30", 3), d("2026-10-10"));
        assert_eq!(between("2026-09-18", "2026-10-10"), 11);
        assert_eq!(c.holiday_name(d("2026-09-26")), Some("中秋节"));
    }

    #[test]
    fn zero_and_empty_ranges() {
        let c = cal();
        // n = 0 is `from` itself, even on a day off.
        assert_eq!(c.add_working_days(d("2024-02-12"), 0).value, d("2024-02-12"));
        assert_eq!(between("2024-05-06", "2024-05-06"), 0);
        assert_eq!(between("2024-05-10", "2024-05-06"), 0);
        assert_eq!(between("2024-05-10", "2024-05-11"), 1);
        // From a day off, the first working day after it.
        assert_eq!(add("2024-10-03", 1), d("2024-10-08"));
        assert_eq!(add("2024-10-05", 1), d("2024-10-08"));
    }

    #[test]
    fn uncovered_years_fall_back_to_monday_to_friday() {
        let c = cal();
        // 2027 is recorded as not announced: Jan 1 2027 (Fri) counts as working.
        let r = c.add_working_days(d("2026-12-31"), 1);
        assert_eq!(r.value, d("2027-01-01"));
        assert_eq!(r.assumed_years, vec![2027]);
        let r = c.working_days_between(d("2026-12-30"), d("2027-01-04"));
        assert_eq!((r.value, r.assumed_years), (3, vec![2027]));
        // A range inside 2026 assumes nothing, even on Dec 31.
        assert!(c.working_days_between(d("2026-12-01"), d("2026-12-31")).is_exact());
        // Before the data too.
        let r = c.add_working_days(d("2023-12-29"), 1);
        assert_eq!((r.value, r.assumed_years), (d("2024-01-02"), vec![2023]));
        // A long span lists every assumed year.
        let r = c.add_working_days(d("2026-12-25"), 1000);
        assert_eq!(r.value, slow_add(&c, d("2026-12-25"), 1000));
        assert_eq!(r.assumed_years, vec![2027, 2028, 2029, 2030]);
        // An empty calendar is plain Monday-Friday.
        let empty = WorkCalendar::default();
        assert!(empty.is_working_day(d("2024-02-12")));
        assert_eq!(empty.years(), Vec::<i32>::new());
    }

    #[test]
    fn huge_counts_are_fast_and_checked() {
        let c = cal();
        // 5 working days a week once past the data: 5,000,000 = 1,000,000 weeks.
        let r = c.add_working_days(d("2027-01-01"), 5_000_000);
        assert_eq!(r.value, d("2027-01-01") + chrono::Days::new(7_000_000));
        assert_eq!(r.assumed_years.len(), usize::try_from(r.value.year() - 2026).unwrap());
        assert!(c.checked_add_working_days(d("2024-01-01"), u32::MAX).is_none());
        assert!(c.checked_add_working_days(NaiveDate::MAX, 1).is_none());
        assert_eq!(c.add_working_days(NaiveDate::MAX, 0).value, NaiveDate::MAX);
    }

    /// add/between agree with each other and with a day-by-day walk, for
    /// every start date from mid-2023 to mid-2027.
    #[test]
    fn add_then_count_round_trips_exhaustively() {
        let c = cal();
        for from in d("2023-06-01").iter_days().take_while(|x| *x <= d("2027-06-30")) {
            let mut walked = from;
            for n in 0..=30u32 {
                if n > 0 {
                    walked = slow_add(&c, walked, 1);
                }
                let r = c.add_working_days(from, n);
                assert_eq!(r.value, walked, "{from} + {n}");
                assert_eq!(c.working_days_between(from, r.value).value, i64::from(n));
                if n >= 1 {
                    assert!(c.is_working_day(r.value), "{from} + {n}");
                }
            }
        }
    }

    /// Pseudo-random starts and lengths over a wide range, including
    /// uncovered years on both sides of the data.
    #[test]
    fn add_and_count_agree_with_a_day_by_day_walk() {
        let c = cal();
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let base = d("2020-01-01");
        for _ in 0..400 {
            let from = base + chrono::Days::new(next() % 4000);
            let n = u32::try_from(next() % 1200).unwrap();
            let r = c.add_working_days(from, n);
            assert_eq!(r.value, slow_add(&c, from, n), "{from} + {n}");
            assert_eq!(c.working_days_between(from, r.value).value, i64::from(n));
            if n >= 1 {
                assert!(c.is_working_day(r.value));
            }
            let to = from + chrono::Days::new(next() % 1500);
            assert_eq!(c.working_days_between(from, to).value, slow_between(&c, from, to));
            // The years of the days counted, (from, to], minus the covered ones.
            let expected_assumed: Vec<i32> = if to > from {
                (from.succ_opt().unwrap().year()..=to.year()).filter(|y| !(2024..=2026).contains(y)).collect()
            } else {
                Vec::new()
            };
            assert_eq!(c.working_days_between(from, to).assumed_years, expected_assumed);
        }
    }

    #[test]
    fn a_single_year_file_merges_and_replaces() {
        let json = year_2027(&format!(
            r#"{NEW_YEAR_2027}, {{"name": "春节", "name_en": "Spring Festival",
                 "off_from": "2027-02-06", "off_to": "2027-02-13",
                 "adjusted_workdays": ["2027-01-31", "2027-02-20"]}}"#
        ));
        let imported = WorkCalendar::from_json(&json).unwrap();
        assert_eq!(imported.years(), vec![2027]);
        let mut c = cal();
        c.merge(imported);
        assert!(c.covers(2027));
        assert_eq!(c.years(), vec![2024, 2025, 2026, 2027]);
        let r = c.add_working_days(d("2026-12-31"), 1);
        assert_eq!(r.value, d("2027-01-04"));
        assert!(r.is_exact());
        assert!(c.is_working_day(d("2027-01-31")));
        assert_eq!(c.holiday_name(d("2027-02-08")), Some("春节"));

        // A "not announced" entry never erases a covered year...
        c.merge(WorkCalendar::official());
        assert!(c.covers(2027));
        assert!(c.is_working_day(d("2027-01-31")));
        // ...but an amended notice replaces the year it is for.
        let amended = r#"{"years": {"2027": {"status": "official",
            "source": {"title": "amended test notice"},
            "blocks": [{"name": "元旦", "off_from": "2027-01-01", "off_to": "2027-01-01"}]}}}"#;
        c.merge(WorkCalendar::from_json(amended).unwrap());
        assert!(!c.is_working_day(d("2027-01-01")));
        assert!(c.is_working_day(d("2027-02-08")), "old Spring Festival block gone");
        assert!(!c.is_working_day(d("2027-01-31")), "old exchange gone");
        assert_eq!(c.year(2027).unwrap().source.as_ref().unwrap().title, "amended test notice");
    }

    #[test]
    fn december_of_the_previous_year_may_belong_to_a_notice() {
        // Shaped like the 2019 notice: Dec 30 - Jan 1 off, Sat Dec 29 worked.
        let json = r#"{"years": {"2019": {"status": "official",
            "source": {"title": "test"},
            "blocks": [{"name": "元旦", "off_from": "2018-12-30", "off_to": "2019-01-01",
                        "adjusted_workdays": ["2018-12-29"]}]}}}"#;
        let c = WorkCalendar::from_json(json).unwrap();
        assert!(c.is_working_day(d("2018-12-29")));
        assert!(!c.is_working_day(d("2018-12-31")));
        let r = c.add_working_days(d("2018-12-28"), 2);
        assert_eq!((r.value, r.assumed_years), (d("2019-01-02"), vec![2018]));
    }

    #[test]
    fn to_json_round_trips() {
        let c = cal();
        let json = c.to_json();
        assert!(json.contains(r#""off_from": "2024-02-10""#), "{json}");
        let again = WorkCalendar::from_json(&json).unwrap();
        assert_eq!(again, c);
    }

    #[test]
    fn bad_dates_name_their_place() {
        let json = year_2027(&format!(
            r#"{NEW_YEAR_2027}, {{"name": "春节", "off_from": "2027-13-01", "off_to": "2027-02-12"}}"#
        ));
        assert_eq!(err(&json), r#"years.2027.blocks[1].off_from: "2027-13-01" is not a date (YYYY-MM-DD)"#);
        let json = year_2027(r#"{"name": "元旦", "off_from": "2027-1-1", "off_to": "2027-01-01"}"#);
        assert_eq!(err(&json), r#"years.2027.blocks[0].off_from: "2027-1-1" is not a date (YYYY-MM-DD)"#);
    }

    #[test]
    fn dates_in_another_year_are_refused() {
        let json = year_2027(&format!(
            r#"{NEW_YEAR_2027}, {{"name": "劳动节", "off_from": "2026-05-01", "off_to": "2026-05-05"}}"#
        ));
        let message = err(&json);
        assert!(message.contains("years.2027.blocks[1].off_from: 2026-05-01 is not in 2027"), "{message}");
        assert!(message.contains("years.2027.blocks[1].off_to: 2026-05-05 is not in 2027"));
        let json = year_2027(
            r#"{"name": "元旦", "off_from": "2027-01-01", "off_to": "2027-01-01",
                "adjusted_workdays": ["2028-01-08"]}"#,
        );
        assert!(err(&json).starts_with("years.2027.blocks[0].adjusted_workdays[0]: 2028-01-08 is not in 2027"));
    }

    #[test]
    fn adjusted_workdays_must_be_weekend_days_off_no_block() {
        let json = year_2027(
            r#"{"name": "春节", "off_from": "2027-02-06", "off_to": "2027-02-13",
                "adjusted_workdays": ["2027-02-15"]}"#,
        );
        assert_eq!(
            err(&json),
            "years.2027.blocks[0].adjusted_workdays[0]: 2027-02-15 is a Monday; an adjusted working day must be a Saturday or Sunday"
        );
        let json = year_2027(&format!(
            r#"{NEW_YEAR_2027}, {{"name": "春节", "off_from": "2027-02-06", "off_to": "2027-02-13",
                "adjusted_workdays": ["2027-01-02"]}}"#
        ));
        assert_eq!(
            err(&json),
            "years.2027.blocks[1].adjusted_workdays[0]: 2027-01-02 is a day off in blocks[0] (元旦); a day cannot be both off and an adjusted working day"
        );
    }

    #[test]
    fn block_shape_errors() {
        let json = year_2027(r#"{"name": "春节", "off_from": "2027-02-13", "off_to": "2027-02-06"}"#);
        assert_eq!(err(&json), "years.2027.blocks[0].off_to: 2027-02-06 is before off_from 2027-02-13");
        let json = year_2027(&format!(
            r#"{NEW_YEAR_2027}, {{"name": "x", "off_from": "2027-01-03", "off_to": "2027-01-04"}}"#
        ));
        assert_eq!(err(&json), "years.2027.blocks[1]: overlaps blocks[0] (元旦) on 2027-01-03");
        let json = year_2027(r#"{"name": "国庆节", "off_from": "2027-01-01", "off_to": "2027-10-07"}"#);
        assert!(err(&json).contains("is 280 days; a holiday block is at most 31 days"));
        let json = year_2027(r#"{"name": "国庆节", "off_from": "2027-10-01", "off_to": "2027-10-07", "off_days": 8}"#);
        assert_eq!(err(&json), "years.2027.blocks[0].off_days: 8, but 2027-10-01 to 2027-10-07 is 7 days");
    }

    #[test]
    fn several_problems_are_reported_together() {
        let json = year_2027(
            r#"{"name": "", "off_from": "2027-02-30", "off_to": "2027-02-12",
                "adjusted_workdays": ["2027-02-15"]}"#,
        );
        let message = err(&json);
        assert!(message.starts_with("3 problems: years.2027.blocks[0].name: empty"), "{message}");
        assert!(message.contains(r#"off_from: "2027-02-30" is not a date"#));
        assert!(message.contains("2027-02-15 is a Monday"));
    }

    #[test]
    fn year_level_errors() {
        assert_eq!(
            err(r#"{"years": {"2027": {"year": 2026, "status": "not_announced"}}}"#),
            "years.2027.year: 2026, but the key says 2027"
        );
        assert_eq!(
            err(r#"{"years": {"27": {"status": "official"}}}"#),
            r#"years.27: "27" is not a year (expected four digits, e.g. "2027")"#
        );
        assert_eq!(err(r#"{"years": {}}"#), r#"years: no years given; expected e.g. {"2027": {...}}"#);
        let message = err(r#"{"years": {"2027": {"status": "official"}}}"#);
        assert!(message.contains("years.2027.source: missing"), "{message}");
        assert!(message.contains("years.2027.blocks: no holiday blocks"));
        let json = format!(r#"{{"years": {{"2027": {{"status": "not_announced", "blocks": [{NEW_YEAR_2027}]}}}}}}"#);
        assert_eq!(
            err(&json),
            r#"years.2027.blocks: must be empty while status is "not_announced"; set status to "official""#
        );
        let json = r#"{"years": {"2019": {"status": "official", "source": {"title": "t"},
              "blocks": [{"name": "元旦", "off_from": "2018-12-30", "off_to": "2019-01-01"}]},
            "2018": {"status": "official", "source": {"title": "t"},
              "blocks": [{"name": "x", "off_from": "2018-12-31", "off_to": "2018-12-31"}]}}}"#;
        assert_eq!(err(json), "years.2019.blocks[0]: 2018-12-31 is also listed in years.2018.blocks[0]");
    }

    #[test]
    fn day_lists_must_match_the_blocks() {
        let json = r#"{"years": {"2027": {"status": "official", "source": {"title": "t"},
            "blocks": [{"name": "元旦", "off_from": "2027-01-01", "off_to": "2027-01-02",
                        "adjusted_workdays": ["2027-01-09"]}],
            "holidays": [{"date": "2027-01-01", "weekday": "Thu", "name": "元旦"},
                         {"date": "2027-01-03", "name": "元旦"}],
            "adjusted_workdays": [{"date": "2027-01-09", "weekday": "Sat", "holiday": "春节"}]}}}"#;
        let message = err(json);
        for part in [
            r#"years.2027.holidays[0].weekday: "Thu", but 2027-01-01 is a Friday"#,
            "years.2027.holidays[1].date: 2027-01-03 is not inside any block's off_from..off_to",
            "years.2027.holidays: 2027-01-02 (元旦, blocks[0]) is missing",
            r#"years.2027.adjusted_workdays[0].holiday: "春节", but blocks[0] is "元旦""#,
        ] {
            assert!(message.contains(part), "{part} not in {message}");
        }
    }

    #[test]
    fn syntax_errors_keep_line_and_column() {
        let message = err("{\"years\": {\n  \"2027\": {\"status\": \"official\",,}\n}}");
        assert!(message.contains("line 2 column"), "{message}");
        let message = err("{\"years\": {\"2027\": {\"status\": \"offical\"}}}");
        assert!(message.contains("unknown variant `offical`"), "{message}");
        assert!(message.contains("line 1 column"), "{message}");
        let message = err(
            "{\"years\": {\"2027\": {\"status\": \"official\",\n \"blocks\": [{\"name\": \"元旦\", \"from\": \"2027-01-01\"}]}}}",
        );
        assert!(message.contains("unknown field `from`"), "{message}");
        assert!(message.contains("line 2"), "{message}");
        let message = err(
            "{\"years\": {\"2027\": {\"status\": \"not_announced\"},\n \"2027\": {\"status\": \"not_announced\"}}}",
        );
        assert!(message.contains("year \"2027\" appears twice at line 2"), "{message}");
        assert_eq!(err("[1, 2]"), r#"file: expected a JSON object like {"years": {"2027": {...}}}"#);
        assert!(err("").contains("EOF while parsing"));
        let with_bom = format!("\u{feff}{}", year_2027(NEW_YEAR_2027));
        assert!(WorkCalendar::from_json(&with_bom).unwrap().covers(2027));
        let message = err(r#"{"year": 2027, "days": []}"#);
        assert!(message.contains("unknown field `year`"), "{message}");
    }

    /// The `cargo fuzz` target `calendar` (fuzz/) in the normal test run: a
    /// calendar file, hand-written or garbage, reads or lists its problems,
    /// quickly; what reads writes back to a file that reads the same.
    mod properties {
        use std::time::{Duration, Instant};

        use proptest::prelude::*;

        use super::super::*;

        fn date() -> impl Strategy<Value = String> {
            (2020..2032i32, 0..14u32, 0..33u32).prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}"))
        }

        fn file() -> impl Strategy<Value = String> {
            let block = (date(), date(), 0..12u32, prop::collection::vec(date(), 0..3)).prop_map(
                |(from, to, days, work)| {
                    serde_json::json!({"name": "节", "off_from": from, "off_to": to, "off_days": days, "adjusted_workdays": work})
                },
            );
            let year =
                (prop::sample::select(vec!["official", "not_announced", "draft"]), prop::collection::vec(block, 0..4))
                    .prop_map(|(status, blocks)| serde_json::json!({"status": status, "blocks": blocks}));
            prop::collection::btree_map(prop::sample::select(vec!["2025", "2026", "2027", "1999", "x"]), year, 0..3)
                .prop_map(|years| serde_json::json!({"years": years}).to_string())
        }

        proptest! {
            #[test]
            fn calendar_files_read_or_list_their_problems(text in prop_oneof![any::<String>(), file()]) {
                let started = Instant::now();
                if let Ok(calendar) = WorkCalendar::from_json(&text) {
                    let again = WorkCalendar::from_json(&calendar.to_json());
                    prop_assert!(again.is_ok(), "{}", calendar.to_json());
                    prop_assert_eq!(again.map(|c| c.to_json()).ok(), Some(calendar.to_json()));
                }
                prop_assert!(started.elapsed() < Duration::from_secs(1));
            }
        }
    }
}
