//! Writing customer lists as CSV (UTF-8 with a BOM, so Excel on Chinese
//! Windows shows the text rather than mojibake) and XLSX. Pure: records in,
//! bytes out; paging through the database is the caller's.
//!
//! The columns carry the import's own headers (客户名称, 统一社会信用代码, …,
//! 负责人 as an e-mail), so an exported file imports again, and re-importing
//! it finds every customer as a duplicate.

use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};

use super::mapping::Field;

/// One customer as exported.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExportRecord {
    pub name: String,
    pub credit_code: Option<String>,
    pub industry: String,
    pub region: String,
    pub city: String,
    pub annual_purchase_fen: i64,
    pub contact: String,
    pub phone: String,
    pub email: String,
    pub owner_email: Option<String>,
    pub tier: String,
    pub last_interaction_on: Option<NaiveDate>,
    pub last_inquiry_on: Option<NaiveDate>,
    pub source: String,
}

/// The importable columns, in export order; the three derived columns
/// (tier, last interaction, last inquiry) follow [`Field::Owner`] and their
/// headings are the caller's (they are not import fields).
pub const IMPORT_COLUMNS: [Field; 10] = [
    Field::Name,
    Field::CreditCode,
    Field::Industry,
    Field::Region,
    Field::City,
    Field::AnnualPurchase,
    Field::Contact,
    Field::Phone,
    Field::Email,
    Field::Owner,
];

/// All 14 headings: the import headers, then `derived` (tier, last
/// interaction, last inquiry), then 来源 (source).
pub fn headings(derived: [&str; 3]) -> Vec<String> {
    let mut h: Vec<String> = IMPORT_COLUMNS.iter().map(|f| f.label_zh().to_owned()).collect();
    h.extend(derived.iter().map(|s| (*s).to_owned()));
    h.push(Field::Source.label_zh().to_owned());
    h
}

/// Yuan as a plain number: `5000000`, `1250.5`.
pub fn yuan_text(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    match fen % 100 {
        0 => format!("{sign}{}", fen / 100),
        f if f % 10 == 0 => format!("{sign}{}.{}", fen / 100, f / 10),
        f => format!("{sign}{}.{f:02}", fen / 100),
    }
}

/// Neutralises text a spreadsheet would run as a formula (`=HYPERLINK(…)`,
/// `@SUM(…)`, `-1+1`, `+1`, a leading tab or carriage return), while keeping
/// phone numbers such as `+86 138 0013 8000` as they are: the cell then
/// starts with an apostrophe, which Excel hides and the importer strips
/// again ([`crate::io::table::strip_formula_guard`]).
pub fn defuse(text: &str) -> std::borrow::Cow<'_, str> {
    let risky = match text.chars().next() {
        Some('=' | '@' | '-' | '\t' | '\r') => true,
        Some('+') => !is_phone_number(text),
        // A value that already looks guarded keeps its own apostrophe.
        Some('\'') => text.trim_start_matches('\'').starts_with(crate::io::table::FORMULA_LEADERS),
        _ => false,
    };
    if risky { format!("'{text}").into() } else { text.into() }
}

/// `+` followed by a phone number's characters and 7 to 20 digits, as
/// `parse_phone` accepts them: a spreadsheet reads it as a number, not as a
/// formula that could do anything.
fn is_phone_number(text: &str) -> bool {
    let rest = &text[1..];
    let digits = rest.chars().filter(char::is_ascii_digit).count();
    (7..=20).contains(&digits) && rest.chars().all(|c| c.is_ascii_digit() || " -()".contains(c))
}

fn cells(r: &ExportRecord) -> [String; 14] {
    let date = |d: Option<NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default();
    [
        defuse(&r.name).into_owned(),
        r.credit_code.clone().unwrap_or_default(),
        defuse(&r.industry).into_owned(),
        defuse(&r.region).into_owned(),
        defuse(&r.city).into_owned(),
        yuan_text(r.annual_purchase_fen),
        defuse(&r.contact).into_owned(),
        defuse(&r.phone).into_owned(),
        defuse(&r.email).into_owned(),
        r.owner_email.clone().unwrap_or_default(),
        r.tier.clone(),
        date(r.last_interaction_on),
        date(r.last_inquiry_on),
        defuse(&r.source).into_owned(),
    ]
}

/// The byte-order mark and the header line.
pub fn csv_head(headings: &[String]) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    out.extend(csv_line(headings.iter().map(String::as_str)));
    out
}

/// Data lines (CRLF, as Excel writes them).
pub fn csv_rows(records: &[ExportRecord]) -> Vec<u8> {
    let mut out = Vec::with_capacity(records.len() * 160);
    for r in records {
        let cells = cells(r);
        out.extend(csv_line(cells.iter().map(String::as_str)));
    }
    out
}

fn csv_line<'a>(cells: impl Iterator<Item = &'a str>) -> Vec<u8> {
    let mut line = Vec::new();
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            line.push(b',');
        }
        if cell.contains([',', '"', '\n', '\r']) {
            line.push(b'"');
            line.extend(cell.replace('"', "\"\"").as_bytes());
            line.push(b'"');
        } else {
            line.extend(cell.as_bytes());
        }
    }
    line.extend(b"\r\n");
    line
}

/// An XLSX workbook being filled page by page (the format is a zip of the
/// whole sheet, so it is assembled in memory and written at the end).
pub struct XlsxExport {
    workbook: Workbook,
    next_row: u32,
    date: Format,
    money: Format,
}

/// Excel's row limit; later rows are not written.
const XLSX_MAX_ROWS: u32 = 1_048_576;

impl XlsxExport {
    pub fn new(headings: &[String], sheet_name: &str) -> Result<XlsxExport, XlsxError> {
        let mut workbook = Workbook::new();
        let bold = Format::new().set_bold();
        let sheet = workbook.add_worksheet();
        sheet.set_name(sheet_name)?;
        for (col, h) in (0u16..).zip(headings) {
            sheet.write_string_with_format(0, col, h, &bold)?;
            let width = if col == 0 || col == 1 || col == 8 { 24.0 } else { 12.0 };
            sheet.set_column_width(col, width)?;
        }
        sheet.set_freeze_panes(1, 1)?;
        Ok(XlsxExport {
            workbook,
            next_row: 1,
            date: Format::new().set_num_format("yyyy-mm-dd"),
            money: Format::new().set_num_format("#,##0.##"),
        })
    }

    pub fn add(&mut self, records: &[ExportRecord]) -> Result<(), XlsxError> {
        let sheet = self.workbook.worksheet_from_index(0)?;
        for r in records {
            if self.next_row >= XLSX_MAX_ROWS {
                break;
            }
            let row = self.next_row;
            // Text cells are never formulas in XLSX: no defusing needed, and
            // credit codes and phones stay text.
            let texts = [
                (0, r.name.as_str()),
                (1, r.credit_code.as_deref().unwrap_or("")),
                (2, r.industry.as_str()),
                (3, r.region.as_str()),
                (4, r.city.as_str()),
                (6, r.contact.as_str()),
                (7, r.phone.as_str()),
                (8, r.email.as_str()),
                (9, r.owner_email.as_deref().unwrap_or("")),
                (10, r.tier.as_str()),
                (13, r.source.as_str()),
            ];
            for (col, text) in texts {
                if !text.is_empty() {
                    sheet.write_string(row, col, text)?;
                }
            }
            sheet.write_number_with_format(row, 5, r.annual_purchase_fen as f64 / 100.0, &self.money)?;
            for (col, date) in [(11, r.last_interaction_on), (12, r.last_inquiry_on)] {
                if let Some(d) = date
                    && let (Ok(y), Ok(m), Ok(day)) =
                        (u16::try_from(d.year()), u8::try_from(d.month()), u8::try_from(d.day()))
                {
                    sheet.write_datetime_with_format(row, col, ExcelDateTime::from_ymd(y, m, day)?, &self.date)?;
                }
            }
            self.next_row += 1;
        }
        Ok(())
    }

    pub fn finish(mut self) -> Result<Vec<u8>, XlsxError> {
        self.workbook.save_to_buffer()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{ColumnMapping, FileFormat, ImportKind, parse_customers, read_table};

    fn record() -> ExportRecord {
        ExportRecord {
            name: "A公司, \"总部\"".into(),
            credit_code: Some("91350100M000100Y43".into()),
            industry: "制造业".into(),
            region: "华南".into(),
            city: "广州".into(),
            annual_purchase_fen: 500_000_050,
            contact: "王总".into(),
            phone: "+86 138 0013 8000".into(),
            email: "wang@a-corp.example".into(),
            owner_email: Some("ming@rally.example".into()),
            tier: "S".into(),
            last_interaction_on: NaiveDate::from_ymd_opt(2025, 10, 10),
            last_inquiry_on: None,
            source: "展会".into(),
        }
    }

    fn headings_zh() -> Vec<String> {
        headings(["分级", "最近跟进", "最近询盘"])
    }

    #[test]
    fn yuan() {
        assert_eq!(yuan_text(500_000_000), "5000000");
        assert_eq!(yuan_text(125_050), "1250.5");
        assert_eq!(yuan_text(125_001), "1250.01");
        assert_eq!(yuan_text(-100), "-1");
    }

    #[test]
    fn formulas_are_defused_but_phones_are_not() {
        assert_eq!(defuse("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(defuse("-2+cmd"), "'-2+cmd");
        assert_eq!(defuse("-1+1"), "'-1+1");
        assert_eq!(defuse("+1"), "'+1");
        assert_eq!(defuse("+1-2"), "'+1-2");
        assert_eq!(defuse("+1234567+1"), "'+1234567+1");
        assert_eq!(defuse("\tA"), "'\tA");
        assert_eq!(defuse("\rA"), "'\rA");
        assert_eq!(defuse("+86 138 0013 8000"), "+86 138 0013 8000");
        assert_eq!(defuse("+86 (10) 8888-1234"), "+86 (10) 8888-1234");
        assert_eq!(defuse("A公司"), "A公司");
        assert_eq!(defuse(""), "");
    }

    #[test]
    fn defused_values_read_back_as_they_were() {
        for value in [
            "=1+1公司",
            "@公式客户",
            "-1+1",
            "+1",
            "=HYPERLINK(\"http://x\",\"y\")",
            "'已有引号",
            "'=引号",
            "''@两个引号",
            "'+86 138 0013 8000",
            "A公司",
        ] {
            let mut csv = csv_head(&headings_zh());
            csv.extend(csv_rows(&[ExportRecord { name: value.to_owned(), ..record() }]));
            let table = read_table(&csv, FileFormat::Csv).unwrap();
            assert_eq!(table.rows[0].get(0), &crate::io::Cell::Text(value.to_owned()), "{value}");
        }
    }

    #[test]
    fn csv_and_xlsx_exports_parse_back_as_the_same_customers() {
        let mut csv = csv_head(&headings_zh());
        csv.extend(csv_rows(&[record()]));
        assert!(csv.starts_with(b"\xEF\xBB\xBF\xE5\xAE\xA2"), "BOM, then 客");
        let mut xlsx = XlsxExport::new(&headings_zh(), "客户").unwrap();
        xlsx.add(&[record()]).unwrap();
        let xlsx = xlsx.finish().unwrap();
        for (bytes, name) in [(&csv, "x.csv"), (&xlsx, "x.xlsx")] {
            let table = read_table(bytes, FileFormat::sniff(bytes, Some(name), None).unwrap()).unwrap();
            let mapping = ColumnMapping::detect(&table.headers, ImportKind::Customers);
            let parse = parse_customers(&table, &mapping).unwrap();
            assert_eq!(parse.errors, [], "{name}");
            assert_eq!(parse.ignored_columns, ["分级", "最近跟进", "最近询盘"], "{name}");
            let row = &parse.rows[0];
            assert_eq!(row.name, "A公司, \"总部\"", "{name}");
            assert_eq!(row.annual_purchase_fen, 500_000_050, "{name}");
            assert_eq!(row.owner_email.as_deref(), Some("ming@rally.example"), "{name}");
            assert_eq!(row.contact.as_ref().and_then(|c| c.phone.as_deref()), Some("+86 138 0013 8000"), "{name}");
            assert_eq!(row.source.as_deref(), Some("展会"), "{name}");
        }
    }
}
