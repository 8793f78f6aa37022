//! The XML inside a workbook: the input is split at NUL bytes into a
//! worksheet, shared strings and styles, packed into a valid zip (stored
//! entries), and read. Mutating raw zips rarely reaches the XML; this does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rally::io::{FileFormat, read_table};

const ROOT_RELS: &str = r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

fn stored_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
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

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |&b| b == 0);
    let sheet = parts.next().unwrap_or_default();
    let strings = parts.next().unwrap_or_default();
    let styles = parts.next().unwrap_or_default();
    let zip = stored_zip(&[
        ("_rels/.rels", ROOT_RELS.as_bytes()),
        ("xl/workbook.xml", WORKBOOK.as_bytes()),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet),
        ("xl/sharedStrings.xml", strings),
        ("xl/styles.xml", styles),
    ]);
    let _ = read_table(&zip, FileFormat::Xlsx);
});
