//! The execution spreadsheets: template 3, the customer follow-up record
//! (客户跟进记录表), with the template's Chinese headings, and the target
//! list with each member's stage (CSV with BOM, or XLSX).

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::export::defuse;

/// Template 3's headings, then who logged it and the resulting stage.
pub const FOLLOW_UP_HEADINGS: [&str; 10] = [
    "客户名称/联系人",
    "所属行业",
    "客户痛点",
    "跟进时间",
    "跟进方式",
    "沟通内容摘要",
    "客户反馈",
    "下一步行动",
    "跟进人",
    "跟进后阶段",
];

/// The target list's columns.
pub const MEMBER_HEADINGS: [&str; 12] = [
    "客户名称",
    "所属行业",
    "区域",
    "级别",
    "负责人",
    "阶段",
    "成交金额（元）",
    "流失原因",
    "最近跟进",
    "下一步行动日期",
    "下一步行动",
    "来源",
];

/// Chinese words for the codes the sheets show.
pub fn channel_zh(code: &str) -> &'static str {
    match code {
        "phone" => "电话",
        "im" => "微信/即时通讯",
        "email" => "邮件",
        "visit" => "上门拜访",
        "event" => "活动",
        _ => "其他",
    }
}

pub fn stage_zh(code: &str) -> &'static str {
    match code {
        "targeted" => "待触达",
        "contacted" => "已触达",
        "intent" => "意向",
        "ordered" => "成交",
        "lost" => "流失",
        _ => "",
    }
}

pub fn feedback_zh(kind: &str) -> &'static str {
    match kind {
        "objection" => "异议",
        "interest" => "兴趣",
        _ => "",
    }
}

pub fn lost_reason_zh(code: &str) -> String {
    match code {
        "price" => "价格".to_owned(),
        "timing" => "时机".to_owned(),
        "competitor" => "竞品".to_owned(),
        "no_budget" => "无预算".to_owned(),
        "no_response" => "无回应".to_owned(),
        "other" => "其他".to_owned(),
        other => other.to_owned(),
    }
}

/// One sheet: a title line, the headings, then the rows as text.
fn sheet_xlsx(
    title: &str,
    sheet_name: &str,
    headings: &[&str],
    widths: &[f64],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name)?;
    sheet.write_string_with_format(0, 0, title, &bold)?;
    for (col, heading) in headings.iter().enumerate() {
        let col = u16::try_from(col).unwrap_or(0);
        sheet.write_string_with_format(1, col, *heading, &bold)?;
        sheet.set_column_width(col, widths.get(usize::from(col)).copied().unwrap_or(14.0))?;
    }
    for (i, row) in rows.iter().enumerate() {
        let r = u32::try_from(i + 2).unwrap_or(u32::MAX);
        if r >= 1_048_576 {
            break;
        }
        for (col, cell) in row.iter().enumerate() {
            sheet.write_string_with_format(r, u16::try_from(col).unwrap_or(0), defuse(cell).as_ref(), &wrap)?;
        }
    }
    workbook.save_to_buffer()
}

/// Template 3 as XLSX: `rows` in [`FOLLOW_UP_HEADINGS`] order.
pub fn follow_ups_xlsx(title: &str, rows: &[Vec<String>]) -> Result<Vec<u8>, XlsxError> {
    sheet_xlsx(
        title,
        "客户跟进记录表",
        &FOLLOW_UP_HEADINGS,
        &[24.0, 12.0, 16.0, 17.0, 10.0, 40.0, 36.0, 36.0, 10.0, 10.0],
        rows,
    )
}

/// The target list as XLSX: `rows` in [`MEMBER_HEADINGS`] order.
pub fn members_xlsx(title: &str, rows: &[Vec<String>]) -> Result<Vec<u8>, XlsxError> {
    sheet_xlsx(
        title,
        "目标客户名单",
        &MEMBER_HEADINGS,
        &[30.0, 12.0, 8.0, 6.0, 10.0, 8.0, 14.0, 10.0, 17.0, 14.0, 30.0, 12.0],
        rows,
    )
}

/// The target list as CSV (UTF-8 with BOM, CRLF, as Excel opens it).
pub fn members_csv(rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        for (i, cell) in cells.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let cell = defuse(cell);
            if cell.contains([',', '"', '\n', '\r']) {
                out.push(b'"');
                out.extend(cell.replace('"', "\"\"").as_bytes());
                out.push(b'"');
            } else {
                out.extend(cell.as_bytes());
            }
        }
        out.extend(b"\r\n");
    };
    line(&mut MEMBER_HEADINGS.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{Cell, FileFormat, read_table};

    #[test]
    fn template_three_reads_back_with_its_headings() {
        let row = vec![
            "A公司/总".to_owned(),
            "制造业".to_owned(),
            "采购成本高".to_owned(),
            "2025-10-10 14:00".to_owned(),
            "上门拜访".to_owned(),
            "介绍新品A折扣与质保政策".to_owned(),
            "异议：价格比预期低5%，需确认交期".to_owned(),
            "2025-10-11 发送交期表并预约签约".to_owned(),
            "明".to_owned(),
            "意向".to_owned(),
        ];
        let bytes = follow_ups_xlsx("新品A限时促销 · 客户跟进记录表", &[row]).unwrap();
        let table = read_table(&bytes, FileFormat::Xlsx).unwrap();
        assert_eq!(table.headers, FOLLOW_UP_HEADINGS.map(str::to_owned).to_vec());
        assert_eq!(table.rows[0].cells[4], Cell::Text("上门拜访".into()));
    }

    #[test]
    fn the_target_list_csv_has_a_bom_and_defused_cells() {
        let bytes = members_csv(&[vec!["=HYPERLINK(1)".to_owned(), "制造业".to_owned()]]);
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains("'=HYPERLINK(1)"), "{text}");
        assert!(text.lines().next().unwrap().contains("阶段"));
    }
}
