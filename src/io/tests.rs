//! End-to-end tests on the committed fixtures (made by
//! `tests/fixtures/import/make_fixtures.py`), a never-panics property test,
//! and a timing check for 100k rows.

use chrono::{NaiveDate, NaiveTime};
use proptest::prelude::*;

use super::*;

const CUSTOMERS_GBK: &[u8] = include_bytes!("../../tests/fixtures/import/customers_gbk.csv");
const CUSTOMERS_UTF8_BOM: &[u8] = include_bytes!("../../tests/fixtures/import/customers_utf8_bom.csv");
const CUSTOMERS_XLSX: &[u8] = include_bytes!("../../tests/fixtures/import/customers.xlsx");
const CUSTOMERS_BAD: &[u8] = include_bytes!("../../tests/fixtures/import/customers_bad_rows.csv");
const INTERACTIONS_CSV: &[u8] = include_bytes!("../../tests/fixtures/import/interactions.csv");
const INTERACTIONS_XLSX: &[u8] = include_bytes!("../../tests/fixtures/import/interactions.xlsx");
const MALFORMED_XLSX: &[u8] = include_bytes!("../../tests/fixtures/import/malformed_cell_ref.xlsx");

fn table(bytes: &[u8], name: &str) -> Table {
    let format = FileFormat::sniff(bytes, Some(name), None).expect("supported format");
    read_table(bytes, format).expect("readable")
}

fn customers(bytes: &[u8], name: &str) -> CustomerParse {
    let table = table(bytes, name);
    let mapping = ColumnMapping::detect(&table.headers, ImportKind::Customers);
    parse_customers(&table, &mapping).expect("mapping complete")
}

fn interactions(bytes: &[u8], name: &str) -> InteractionParse {
    let table = table(bytes, name);
    let mapping = ColumnMapping::detect(&table.headers, ImportKind::Interactions);
    parse_interactions(&table, &mapping).expect("mapping complete")
}

#[test]
fn three_customer_files_give_identical_rows() {
    let gbk = customers(CUSTOMERS_GBK, "customers_gbk.csv");
    let utf8 = customers(CUSTOMERS_UTF8_BOM, "customers_utf8_bom.csv");
    let xlsx = customers(CUSTOMERS_XLSX, "customers.xlsx");
    assert_eq!(gbk.errors, [], "gbk errors");
    assert_eq!(utf8.errors, [], "utf8 errors");
    assert_eq!(xlsx.errors, [], "xlsx errors");
    assert_eq!(gbk.rows.len(), 10);
    assert_eq!(gbk.rows, utf8.rows);
    assert_eq!(gbk.rows, xlsx.rows);
    for parse in [&gbk, &utf8, &xlsx] {
        assert_eq!(parse.ignored_columns, ["建档日期"]);
    }

    let a = &gbk.rows[0];
    assert_eq!(a.row, 2);
    assert_eq!(a.name, "A公司");
    assert_eq!(a.credit_code.as_deref(), Some("91350100M000100Y43"));
    assert_eq!(a.annual_purchase_fen, 500_000_000, "5,000,000 / ￥5,000,000.00 / 500万");
    assert_eq!(
        a.contact,
        Some(ContactRow {
            name: Some("王总".into()),
            title: Some("总经理".into()),
            phone: Some("13800138000".into()),
            email: Some("wang@a-corp.example".into()),
        })
    );
    assert_eq!(a.owner_email.as_deref(), Some("ming@rally.example"));
    assert_eq!(a.tags, ["S级", "制造业"]);
    assert_eq!(a.pain_points, ["采购成本高"]);
    assert_eq!(a.source.as_deref(), Some("展会"));

    // The blank row after the fifth customer still counts.
    let numbers: Vec<usize> = gbk.rows.iter().map(|r| r.row).collect();
    assert_eq!(numbers, [2, 3, 4, 5, 6, 8, 9, 10, 11, 12]);

    let b = &gbk.rows[1];
    assert_eq!(b.credit_code.as_deref(), Some("91440300MA5F0B0B02"), "lower case in the UTF-8 file");
    let g = &gbk.rows[6];
    assert_eq!((g.name.as_str(), g.annual_purchase_fen, &g.contact), ("G精密机械", 0, &None));
    let c = &gbk.rows[2];
    assert_eq!(c.pain_points, ["工期紧", "成本高"]);
    assert!(gbk.rows.iter().all(|r| r.duplicate_of.is_none() && r.same_name_as.is_none()));
}

#[test]
fn xlsx_keeps_excel_typing() {
    let t = table(CUSTOMERS_XLSX, "customers.xlsx");
    assert_eq!(t.header_row, 1);
    let created = t.headers.iter().position(|h| h == "建档日期").unwrap();
    assert_eq!(t.rows[0].get(created), &Cell::Date(NaiveDate::from_ymd_opt(2025, 3, 15).unwrap()));
    assert_eq!(t.rows[0].get(5), &Cell::Text("500万".into()));
    assert_eq!(t.rows[1].get(5), &Cell::Number(1_200_000.0));
    assert_eq!(t.rows[0].get(8), &Cell::Number(13_800_138_000.0));
}

#[test]
fn malformed_xlsx_is_an_error_or_a_table_never_a_panic() {
    // calamine overflows on the absurd reference: a panic in debug builds
    // (caught and turned into an error), wrapping arithmetic in release.
    match read_table(MALFORMED_XLSX, FileFormat::Xlsx) {
        Err(e) => assert_eq!(e.code(), "file_xlsx_invalid"),
        Ok(t) => assert_eq!(t.headers.len(), 15),
    }
}

#[test]
fn bad_rows_are_all_reported() {
    let parse = customers(CUSTOMERS_BAD, "customers_bad_rows.csv");
    let errors: Vec<(usize, &str, &str)> = parse.errors.iter().map(|e| (e.row, e.column.as_str(), e.code)).collect();
    assert_eq!(
        errors,
        [
            (3, "客户名称", "required"),
            (4, "年采购额", "amount_negative"),
            (5, "年采购额", "amount_invalid"),
            (6, "统一社会信用代码", "credit_code_check"),
            (7, "邮箱", "email_invalid"),
            (8, "电话", "phone_invalid"),
            (8, "负责人", "email_invalid"),
            (10, "统一社会信用代码", "credit_code_length"),
        ]
    );
    let rows: Vec<(usize, Option<DuplicateOf>)> = parse.rows.iter().map(|r| (r.row, r.duplicate_of)).collect();
    let dup = |row, key| Some(DuplicateOf { row, key });
    assert_eq!(
        rows,
        [(2, None), (9, dup(2, DuplicateKey::CreditCode)), (11, dup(2, DuplicateKey::NameAndPhone)), (12, None),]
    );
    assert_eq!(parse.rows[3].annual_purchase_fen, 15_000_000_000);
    let table = table(CUSTOMERS_BAD, "customers_bad_rows.csv");
    let mapping = ColumnMapping::detect(&table.headers, ImportKind::Customers);
    let warnings = parse.duplicate_warnings(&mapping);
    assert_eq!(warnings.len(), 2);
    assert_eq!(warnings[0].code, DUPLICATE_IN_FILE);
    assert_eq!(warnings[0].message, "same credit code as row 2");
    assert_eq!(warnings[1].column, "客户名称");
}

#[test]
fn interaction_files_follow_the_team_template() {
    let csv = interactions(INTERACTIONS_CSV, "interactions.csv");
    let xlsx = interactions(INTERACTIONS_XLSX, "interactions.xlsx");
    assert_eq!(csv.errors, []);
    assert_eq!(xlsx.errors, []);
    assert_eq!(csv.rows, xlsx.rows);
    assert_eq!(csv.ignored_columns, ["行业", "痛点"]);
    assert_eq!(csv.rows.len(), 5);

    let a = &csv.rows[0];
    assert_eq!(
        a,
        &InteractionRow {
            row: 2,
            customer_name: Some("A公司".into()),
            credit_code: None,
            contact_name: Some("总".into()),
            occurred_on: NaiveDate::from_ymd_opt(2025, 10, 10).unwrap(),
            occurred_at_time: NaiveTime::from_hms_opt(14, 0, 0),
            channel: Channel::Visit,
            kind: InteractionKind::Visit,
            note: Some("介绍新品A折扣与质保政策".into()),
            feedback: Some("价格比预期低5%，需确认交期".into()),
            next_action: Some("10月11日发送交期表并预约签约".into()),
            amount_fen: None,
        }
    );
    let kinds: Vec<(Channel, InteractionKind)> = csv.rows.iter().map(|r| (r.channel, r.kind)).collect();
    assert_eq!(
        kinds,
        [
            (Channel::Visit, InteractionKind::Visit),
            (Channel::Phone, InteractionKind::Call),
            (Channel::Email, InteractionKind::Inquiry),
            (Channel::Im, InteractionKind::Order),
            (Channel::Event, InteractionKind::Inquiry),
        ]
    );
    assert_eq!(csv.rows[2].occurred_at_time, None);
    assert_eq!(csv.rows[3].amount_fen, Some(125_000_000));
    assert_eq!(csv.rows[3].credit_code.as_deref(), Some("91310000MA1E0E0E0W"));
}

fn csv_table(text: &str) -> Table {
    read_table(text.as_bytes(), FileFormat::Csv).unwrap()
}

#[test]
fn interaction_row_errors() {
    let t = csv_table(
        "客户名称,日期,方式,类型,金额\n\
         A公司,2025-10-10,活动,,\n\
         ,2025-10-10,电话,,\n\
         B公司,,电话,,\n\
         C公司,2025-02-30,飞鸽,,-5\n\
         D公司,10月10日,微信,,\n\
         E公司,2025-10-10,,,\n",
    );
    let mapping = ColumnMapping::detect(&t.headers, ImportKind::Interactions);
    let parse = parse_interactions(&t, &mapping).unwrap();
    let errors: Vec<(usize, &str, &str)> = parse.errors.iter().map(|e| (e.row, e.column.as_str(), e.code)).collect();
    assert_eq!(
        errors,
        [
            (2, "类型", "kind_missing"),
            (3, "客户名称", "required"),
            (4, "日期", "required"),
            (5, "日期", "date_invalid"),
            (5, "方式", "channel_unknown"),
            (5, "金额", "amount_negative"),
            (6, "日期", "date_missing_year"),
            (7, "类型", "kind_missing"),
            (7, "方式", "channel_missing"),
        ]
    );
    assert!(parse.rows.is_empty());

    let options = InteractionOptions { reference_date: NaiveDate::from_ymd_opt(2025, 10, 12) };
    let parse = parse_interactions_with(&t, &mapping, &options).unwrap();
    assert_eq!(parse.rows.len(), 1);
    assert_eq!(parse.rows[0].occurred_on, NaiveDate::from_ymd_opt(2025, 10, 10).unwrap());
}

#[test]
fn contact_without_customer_is_reported() {
    let t = csv_table("客户/联系人,时间,方式\n/王总,2025-10-10,电话\n");
    let mapping = ColumnMapping::detect(&t.headers, ImportKind::Interactions);
    let parse = parse_interactions(&t, &mapping).unwrap();
    assert_eq!(parse.rows, []);
    assert_eq!((parse.errors[0].column.as_str(), parse.errors[0].code), ("客户/联系人", "required"));

    let mapping = ColumnMapping::detect(&t.headers, ImportKind::Customers);
    let parse = parse_customers(&t, &mapping).unwrap();
    assert_eq!(parse.rows, []);
    assert_eq!((parse.errors[0].column.as_str(), parse.errors[0].code), ("客户/联系人", "required"));
}

#[test]
fn separate_date_and_time_columns_and_credit_code_only() {
    let t = csv_table("统一社会信用代码,日期,时间,方式,类型\n91350100M000100Y43,2025-10-10,下午2:30,微信,订单\n");
    let mapping = ColumnMapping::detect(&t.headers, ImportKind::Interactions);
    let parse = parse_interactions(&t, &mapping).unwrap();
    assert_eq!(parse.errors, []);
    let row = &parse.rows[0];
    assert_eq!(row.customer_name, None);
    assert_eq!(row.occurred_at_time, NaiveTime::from_hms_opt(14, 30, 0));
    assert_eq!((row.channel, row.kind), (Channel::Im, InteractionKind::Order));
    // An order says nothing about how it came in.
    let t = csv_table("统一社会信用代码,日期,类型\n91350100M000100Y43,2025-10-10,订单\n");
    let mapping = ColumnMapping::detect(&t.headers, ImportKind::Interactions);
    let parse = parse_interactions(&t, &mapping).unwrap();
    assert_eq!(parse.errors[0].code, "channel_missing");
}

#[test]
fn missing_columns_are_file_errors() {
    let t = csv_table("城市,行业\n上海,制造业\n");
    let mapping = ColumnMapping::detect(&t.headers, ImportKind::Customers);
    let err = parse_customers(&t, &mapping).unwrap_err();
    assert_eq!(err.code(), "column_missing");
    assert!(err.to_string().contains("客户名称"));
    let mapping = ColumnMapping::detect(&t.headers, ImportKind::Interactions);
    assert!(parse_interactions(&t, &mapping).is_err());
}

#[test]
fn explicit_mapping_and_unit_headers() {
    let t = csv_table("公司,年采购（万元）,随便\nA公司,500,x\nB公司,500元,y\n");
    let mapping = ColumnMapping::explicit(&t.headers, &[(0, Field::Name), (1, Field::AnnualPurchase)]).unwrap();
    let parse = parse_customers(&t, &mapping).unwrap();
    assert_eq!(parse.errors, []);
    assert_eq!(parse.ignored_columns, ["随便"]);
    let fen: Vec<i64> = parse.rows.iter().map(|r| r.annual_purchase_fen).collect();
    assert_eq!(fen, [500_000_000, 50_000]);
}

#[test]
fn excel_errors_and_long_text_are_row_errors() {
    let mut t = csv_table("客户名称,城市\nA,上海\nB,北京\n");
    t.rows[0].cells[0] = Cell::Error("#REF!".into());
    t.rows[1].cells[1] = Cell::Text("长".repeat(SHORT_TEXT_MAX + 1));
    let mapping = ColumnMapping::detect(&t.headers, ImportKind::Customers);
    let parse = parse_customers(&t, &mapping).unwrap();
    let codes: Vec<&str> = parse.errors.iter().map(|e| e.code).collect();
    assert_eq!(codes, ["excel_error", "too_long"]);
}

#[test]
fn rows_and_errors_serialise_for_the_ui() {
    fn assert_serialize<T: serde::Serialize>(_: &T) {}
    let parse = customers(CUSTOMERS_BAD, "customers_bad_rows.csv");
    assert_serialize(&parse);
    assert_serialize(&interactions(INTERACTIONS_CSV, "interactions.csv"));
}

/// Bytes that look enough like the real thing to reach deep paths: CSV
/// text with the headers, and ZIP-prefixed garbage sniffed as XLSX.
fn arbitrary_upload() -> impl Strategy<Value = Vec<u8>> {
    let cell = prop_oneof![
        Just(String::new()),
        "[0-9,.万亿元￥¥-]{0,12}",
        "[0-9]{4}[-/.年][0-9]{1,2}[-/.月][0-9]{1,2}日?( [0-9]{1,2}:[0-9]{2})?",
        "[0-9A-Z]{18}",
        "\\PC{0,8}",
        Just("\"a\r\nb\"".to_owned()),
    ];
    let header = "客户名称,统一社会信用代码,年采购额,电话,邮箱,日期,方式,类型,金额,标签\r\n";
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..512),
        proptest::collection::vec(proptest::collection::vec(cell, 0..12), 0..8).prop_map(move |rows| {
            let mut text = header.to_owned();
            for row in rows {
                text.push_str(&row.join(","));
                text.push_str("\r\n");
            }
            text.into_bytes()
        }),
        proptest::collection::vec(any::<u8>(), 0..512).prop_map(|bytes| {
            let mut zip = b"PK\x03\x04".to_vec();
            zip.extend(bytes);
            zip
        }),
    ]
}

fn parse_everything(bytes: &[u8], format: FileFormat) {
    if let Ok(table) = read_table(bytes, format) {
        for kind in [ImportKind::Customers, ImportKind::Interactions] {
            let mapping = ColumnMapping::detect(&table.headers, kind);
            let _ = parse_customers(&table, &mapping);
            let _ = parse_interactions(&table, &mapping);
            let pairs: Vec<(usize, Field)> = Field::for_kind(kind).iter().copied().enumerate().collect();
            if let Ok(mapping) = ColumnMapping::explicit(&table.headers, &pairs) {
                let _ = parse_customers(&table, &mapping);
                let _ = parse_interactions(&table, &mapping);
            }
        }
    }
}

// 256 cases each by default; set PROPTEST_CASES for a longer run.
proptest! {
    #[test]
    fn never_panics(bytes in arbitrary_upload()) {
        let _ = FileFormat::sniff(&bytes, Some("upload.xlsx"), None);
        parse_everything(&bytes, FileFormat::Csv);
        parse_everything(&bytes, FileFormat::Xlsx);
    }

    #[test]
    fn mutated_fixtures_never_panic(index in 0usize..6000, byte in any::<u8>(), which in 0usize..2) {
        let original = [CUSTOMERS_XLSX, INTERACTIONS_XLSX][which];
        let mut bytes = original.to_vec();
        let i = index % bytes.len();
        bytes[i] = byte;
        parse_everything(&bytes, FileFormat::Xlsx);
    }

    #[test]
    fn value_parsers_never_panic(s in "\\PC{0,24}") {
        let _ = values::parse_amount_fen(&s);
        let _ = values::parse_date_time(&s, NaiveDate::from_ymd_opt(2025, 1, 1));
        let _ = values::parse_time(&s);
        let _ = values::parse_credit_code(&s);
        let _ = values::parse_email(&s);
        let _ = values::parse_phone(&s);
        let _ = values::parse_channel(&s);
        let _ = values::parse_kind(&s);
        let _ = normalize_company_name(&s);
        let _ = normalize_phone(&s);
    }

    #[test]
    fn amounts_round_trip(yuan in 0u64..10_000_000_000, fen in 0u64..100) {
        let text = format!("{yuan}.{fen:02}");
        prop_assert_eq!(values::parse_amount_fen(&text), Ok((yuan * 100 + fen) as i64));
        let grouped = format!("￥{}.{fen:02}", group_thousands(yuan));
        prop_assert_eq!(values::parse_amount_fen(&grouped), Ok((yuan * 100 + fen) as i64));
    }
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A few thousand generated rows go through read + map + parse whole; the
/// timing of the same path at 100,000 rows is `examples/bench_parse.rs`.
#[test]
fn generated_rows_parse_whole() {
    let text = crate::io::sample_customer_csv(3_000);
    let table = read_table(text.as_bytes(), FileFormat::Csv).unwrap();
    let mapping = ColumnMapping::detect(&table.headers, ImportKind::Customers);
    let parse = parse_customers(&table, &mapping).unwrap();
    assert_eq!(parse.rows.len(), 3_000);
    assert_eq!(parse.errors, []);
    assert_eq!(parse.rows[2_999].name, "客户2999有限公司");
}

/// A zip of stored (uncompressed) entries, as the `xlsx_parts` fuzz target
/// builds it: the XML inside reaches the reader whatever it is.
pub(crate) fn stored_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let (mut out, mut central) = (Vec::new(), Vec::new());
    for (name, data) in entries {
        let (offset, crc, len) = (out.len() as u32, crc32fast::hash(data), data.len() as u32);
        out.extend(0x0403_4B50u32.to_le_bytes());
        out.extend([20u16, 0, 0, 0, 0].iter().flat_map(|v| v.to_le_bytes()));
        out.extend([crc, len, len].iter().flat_map(|v| v.to_le_bytes()));
        out.extend([name.len() as u16, 0].iter().flat_map(|v| v.to_le_bytes()));
        out.extend(name.as_bytes());
        out.extend(*data);
        central.extend(0x0201_4B50u32.to_le_bytes());
        central.extend([20u16, 20, 0, 0, 0, 0].iter().flat_map(|v| v.to_le_bytes()));
        central.extend([crc, len, len].iter().flat_map(|v| v.to_le_bytes()));
        central.extend([name.len() as u16, 0, 0, 0, 0].iter().flat_map(|v| v.to_le_bytes()));
        central.extend([0u32, offset].iter().flat_map(|v| v.to_le_bytes()));
        central.extend(name.as_bytes());
    }
    let (cd_offset, n, cd_len) = (out.len() as u32, entries.len() as u16, central.len() as u32);
    out.extend(central);
    out.extend(0x0605_4B50u32.to_le_bytes());
    out.extend([0u16, 0, n, n].iter().flat_map(|v| v.to_le_bytes()));
    out.extend([cd_len, cd_offset].iter().flat_map(|v| v.to_le_bytes()));
    out.extend(0u16.to_le_bytes());
    out
}

/// A workbook of the given worksheet, shared strings and styles XML.
pub(crate) fn workbook_of(sheet: &[u8], strings: &[u8], styles: &[u8]) -> Vec<u8> {
    const NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let root = format!(
        r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="r" Type="{NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
    );
    let workbook = format!(
        r#"<workbook xmlns:r="{NS}"><workbookPr date1904="false"/><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#
    );
    let rels = format!(
        r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{NS}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{NS}/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="{NS}/styles" Target="/xl/styles.xml"/></Relationships>"#
    );
    stored_zip(&[
        ("_rels/.rels", root.as_bytes()),
        ("xl/workbook.xml", workbook.as_bytes()),
        ("xl/_rels/workbook.xml.rels", rels.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet),
        ("xl/sharedStrings.xml", strings),
        ("xl/styles.xml", styles),
    ])
}

/// Worksheet, shared-strings and styles XML made of the pieces real files
/// have, in any order and nesting: what the `xlsx_parts` fuzz target
/// explores, in the normal test run.
fn xml_parts() -> impl Strategy<Value = (String, String, String)> {
    let text = prop_oneof![
        Just(String::new()),
        "\\PC{0,6}",
        Just("&amp;&lt;&#20013;&#x4E2D;&bogus;".to_owned()),
        Just("_x000D__xD83D__xDE00__x0000_".to_owned()),
        Just("<![CDATA[<c>]]>".to_owned()),
        Just("<!-- <row> -->".to_owned()),
        Just("<?pi x?>".to_owned()),
    ];
    let attr = prop_oneof![
        Just(String::new()),
        "r=\"[A-Z]{0,4}[0-9]{0,8}\"",
        prop::sample::select(vec![
            "t=\"s\"",
            "t=\"str\"",
            "t=\"inlineStr\"",
            "t=\"b\"",
            "t=\"e\"",
            "t=\"d\"",
            "t=\"n\"",
            "t=\"x\""
        ])
        .prop_map(str::to_owned),
        "s=\"[0-9]{1,3}\"",
        Just("r=\"XFD1048576\"".to_owned()),
        Just("r='A1' bogus".to_owned()),
    ];
    let open = prop::sample::select(vec![
        "<row>",
        "<row r=\"2\">",
        "<row r=\"1048577\">",
        "<c>",
        "<v>",
        "<is>",
        "<t>",
        "<r>",
        "<rPh>",
        "<f>",
        "<si>",
        "<x:c>",
        "<sheetData>",
        "<numFmt numFmtId=\"164\" formatCode=\"yyyy-mm-dd\"/>",
        "<cellXfs>",
        "<xf numFmtId=\"164\"/>",
        "<xf numFmtId=\"14\"/>",
    ]);
    let close = prop::sample::select(vec![
        "</row>",
        "</c>",
        "</v>",
        "</is>",
        "</t>",
        "</r>",
        "</rPh>",
        "</f>",
        "</si>",
        "</sheetData>",
        "</cellXfs>",
    ]);
    let piece = prop_oneof![
        text,
        (attr.clone(), attr).prop_map(|(a, b)| format!("<c {a} {b}>")),
        open.prop_map(str::to_owned),
        close.prop_map(str::to_owned),
        "[0-9.E+-]{1,8}",
    ];
    let xml = prop::collection::vec(piece, 0..40).prop_map(|p| p.concat());
    (xml.clone(), xml.clone(), xml)
}

proptest! {
    #[test]
    fn workbook_xml_reads_or_is_refused_quickly((sheet, strings, styles) in xml_parts()) {
        let bytes = workbook_of(sheet.as_bytes(), strings.as_bytes(), styles.as_bytes());
        let started = std::time::Instant::now();
        parse_everything(&bytes, FileFormat::Xlsx);
        prop_assert!(started.elapsed() < std::time::Duration::from_secs(1));
        // Streamed, the sheet gives what reading it whole gives, or fails too.
        match (read_table(&bytes, FileFormat::Xlsx), streamed(&bytes, 3)) {
            (Ok(whole), Ok(stream)) => prop_assert_eq!(whole, stream),
            (Err(_), Err(_)) => {}
            (whole, stream) => prop_assert!(false, "whole: {:?}, streamed: {:?}", whole, stream),
        }
    }

    #[test]
    fn csv_bytes_read_or_are_refused_quickly(bytes in arbitrary_upload()) {
        let started = std::time::Instant::now();
        parse_everything(&bytes, FileFormat::Csv);
        prop_assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }
}

/// The structured workbook above reads real cells: typed, shared, inline,
/// rich, escaped and dated.
#[test]
fn a_hand_built_workbook_reads_as_excel_would() {
    let sheet = r#"<worksheet><sheetData>
        <row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>日期</t></is></c><c r="C1" t="str"><v>金额</v></c></row>
        <row r="3"><c r="A3" t="s"><v>1</v></c><c r="B3" s="1"><v>45940.5</v></c><c r="C3"><v>5000000</v></c><c r="D3" t="b"><v>1</v></c><c r="E3" t="e"><v>#N/A</v></c></row>
        <row><c t="inlineStr"><is><r><t xml:space="preserve">A </t></r><r><t>&amp;B</t></r><rPh><t>ピ</t></rPh></is></c><c s="2"><v>45940</v></c></row>
        </sheetData></worksheet>"#;
    let strings = r#"<sst><si><t>客户名称</t></si><si><t>A公司_x000D_</t></si></sst>"#;
    let styles = r#"<styleSheet><numFmts><numFmt numFmtId="164" formatCode="yyyy-mm-dd h:mm"/></numFmts><cellXfs><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="14"/></cellXfs></styleSheet>"#;
    let table =
        read_table(&workbook_of(sheet.as_bytes(), strings.as_bytes(), styles.as_bytes()), FileFormat::Xlsx).unwrap();
    assert_eq!(table.headers, ["客户名称", "日期", "金额"]);
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    assert_eq!(table.rows[0].number, 3);
    assert_eq!(table.rows[0].cells[0], Cell::Text("A公司".into()), "the escaped CR is trimmed like any blank");
    assert_eq!(table.rows[0].cells[1], Cell::DateTime(d(2025, 10, 10).and_hms_opt(12, 0, 0).unwrap()));
    assert_eq!(table.rows[0].cells[2], Cell::Number(5_000_000.0));
    assert_eq!(table.rows[1].number, 4, "a row without a number follows the one before");
    assert_eq!(table.rows[1].cells[0], Cell::Text("A &B".into()), "rich text runs, without the phonetic guide");
    assert_eq!(table.rows[1].cells[1], Cell::Date(d(2025, 10, 10)));
}

/// Markup inside values is allowed in proportion to the values: 100,000
/// shared strings of three formatted runs each (about four million events)
/// read, while one string padded with two million comments is refused.
#[test]
fn formatted_runs_read_but_padding_inside_a_value_is_refused() {
    let sheet = r#"<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>99999</v></c></row></sheetData></worksheet>"#;
    let run = r#"<r><rPr><b/><sz val="11"/><color theme="1"/><rFont val="等线"/><family val="2"/><charset val="134"/><scheme val="minor"/></rPr><t>甲</t></r>"#;
    let mut strings = String::from("<sst>");
    for _ in 0..100_000 {
        strings.push_str("<si>");
        for _ in 0..3 {
            strings.push_str(run);
        }
        strings.push_str("</si>");
    }
    strings.push_str("</sst>");
    let table =
        read_table(&workbook_of(sheet.as_bytes(), strings.as_bytes(), b"<styleSheet/>"), FileFormat::Xlsx).unwrap();
    assert_eq!(table.headers, ["甲甲甲"]);
    assert_eq!(table.rows[0].cells[0], Cell::Text("甲甲甲".into()));

    let padded = format!("<sst><si><t>甲</t>{}</si></sst>", "<!--x-->".repeat(2_000_000));
    let error = read_table(&workbook_of(sheet.as_bytes(), padded.as_bytes(), b"<styleSheet/>"), FileFormat::Xlsx)
        .unwrap_err()
        .to_string();
    assert!(error.contains("neither rows nor cells"), "{error}");
}

/// A workbook read through [`stream_xlsx`], `batch` rows at a time, as a table.
fn streamed(bytes: &[u8], batch: usize) -> Result<Table, ReadError> {
    let mut stream = stream_xlsx(WorkbookInput::Bytes(bytes::Bytes::copy_from_slice(bytes)))?;
    let mut table = Table { headers: stream.headers().to_vec(), header_row: stream.header_row(), rows: Vec::new() };
    loop {
        let rows = stream.next_rows(batch)?;
        if rows.is_empty() {
            return Ok(table);
        }
        assert!(rows.len() <= batch);
        table.rows.extend(rows);
    }
}

/// A sheet of 5,000 rows under a title, with gaps, shared strings, numbers
/// and dates, one more row than the reader's batches hold many times over.
fn long_sheet(rows: usize, out_of_order_at: Option<usize>) -> Vec<u8> {
    let mut sheet = format!(r#"<worksheet><dimension ref="A1:C{}"/><sheetData>"#, rows + 2);
    sheet.push_str(r#"<row r="1"><c r="A1" t="inlineStr"><is><t>客户清单</t></is></c></row>"#);
    sheet.push_str(
        r#"<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>1</v></c><c r="C2" t="s"><v>2</v></c></row>"#,
    );
    for i in 0..rows {
        let r = if out_of_order_at == Some(i) { 5 } else { i + 3 };
        if i % 97 == 0 {
            // A blank row: counted in the numbers, not handed out.
            sheet.push_str(&format!(r#"<row r="{r}"><c r="A{r}" t="inlineStr"><is><t> </t></is></c></row>"#));
            continue;
        }
        sheet.push_str(&format!(
            r#"<row r="{r}"><c r="A{r}" t="s"><v>{}</v></c><c r="B{r}"><v>{i}</v></c><c r="C{r}" s="1"><v>{}</v></c></row>"#,
            3 + i % 50,
            45_000 + i % 400
        ));
    }
    sheet.push_str("</sheetData></worksheet>");
    let mut strings = String::from("<sst><si><t>客户名称</t></si><si><t>年采购额</t></si><si><t>签约日期</t></si>");
    for i in 0..50 {
        strings.push_str(&format!("<si><t>客户{i}有限公司</t></si>"));
    }
    strings.push_str("</sst>");
    let styles = r#"<styleSheet><cellXfs><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs></styleSheet>"#;
    workbook_of(sheet.as_bytes(), strings.as_bytes(), styles.as_bytes())
}

/// A long workbook read as a stream gives the rows, numbers and header a
/// whole read gives, and the row count its dimension declares up front.
#[test]
fn a_streamed_workbook_gives_what_a_whole_read_gives() {
    let bytes = long_sheet(5_000, None);
    let whole = read_table(&bytes, FileFormat::Xlsx).unwrap();
    assert_eq!(whole.headers, ["客户名称", "年采购额", "签约日期"]);
    assert_eq!(whole.header_row, 2, "the title above is skipped");
    assert_eq!(whole.rows.len(), 5_000 - 5_000_usize.div_ceil(97));
    assert_eq!(whole.rows[0].cells[2], Cell::Date(NaiveDate::from_ymd_opt(2023, 3, 16).unwrap()));
    for batch in [1, 777, 10_000] {
        assert_eq!(streamed(&bytes, batch).unwrap(), whole, "batches of {batch}");
    }
    let stream = stream_xlsx(WorkbookInput::Bytes(bytes::Bytes::from(bytes))).unwrap();
    assert_eq!(stream.estimated_rows(0), 5_000, "from <dimension>, before a row is read");
}

/// A fault far down the sheet reaches the import as an error after the
/// rows before it, never as a quietly shorter file; a stream dropped half
/// way does not keep its reader waiting.
#[test]
fn a_late_fault_in_a_streamed_workbook_is_an_error() {
    let bytes = long_sheet(6_000, Some(4_000));
    let mut stream = stream_xlsx(WorkbookInput::Bytes(bytes::Bytes::from(bytes))).unwrap();
    let mut read = 0;
    let error = loop {
        match stream.next_rows(500) {
            Ok(rows) if rows.is_empty() => panic!("the sheet ended without its fault, after {read} rows"),
            Ok(rows) => read += rows.len(),
            Err(e) => break e,
        }
    };
    assert!(error.to_string().contains("row 5 comes after row 4002"), "{error}");
    assert!(read < 4_000, "{read} rows before the fault");

    let mut stream = stream_xlsx(WorkbookInput::Bytes(bytes::Bytes::from(long_sheet(50_000, None)))).unwrap();
    assert_eq!(stream.next_rows(10).unwrap().len(), 10);
    drop(stream);
}
