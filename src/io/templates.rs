//! The team's planning and review spreadsheets as XLSX: the rapid-response plan
//! (市场活动快速响应计划表), the sales task breakdown (销售任务分解表) and the
//! campaign review (活动复盘表),
//! with the template's Chinese headings, so the tool's output drops into the
//! team's existing files.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// One labelled line of the plan (label, value).
pub type PlanLine = (&'static str, String);

/// Template 1: two columns, 项目 / 内容.
pub fn plan_xlsx(title: &str, lines: &[PlanLine]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    let sheet = workbook.add_worksheet();
    sheet.set_name("活动计划表")?;
    sheet.write_string_with_format(0, 0, title, &bold)?;
    sheet.write_string_with_format(1, 0, "项目", &bold)?;
    sheet.write_string_with_format(1, 1, "内容", &bold)?;
    sheet.set_column_width(0, 18)?;
    sheet.set_column_width(1, 70)?;
    for (i, (label, value)) in lines.iter().enumerate() {
        let row = u32::try_from(i + 2).unwrap_or(u32::MAX);
        sheet.write_string(row, 0, *label)?;
        sheet.write_string_with_format(row, 1, value, &wrap)?;
    }
    workbook.save_to_buffer()
}

/// A row of template 2.
pub struct BreakdownLine {
    pub region_owner: String,
    pub target_customers: i64,
    pub expected_conversion: f64,
    /// CNY.
    pub sales_target: f64,
    pub key_customers: String,
    pub resource_needs: String,
}

pub const BREAKDOWN_HEADINGS: [&str; 6] =
    ["区域/负责人", "目标客户数", "预期转化率", "销售目标（元）", "重点客户（名称/行业）", "资源需求"];

/// Template 2: one row per rep, with a total line.
pub fn breakdown_xlsx(title: &str, rows: &[BreakdownLine]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let percent = Format::new().set_num_format("0%");
    let money = Format::new().set_num_format("#,##0");
    let sheet = workbook.add_worksheet();
    sheet.set_name("销售任务分解表")?;
    sheet.write_string_with_format(0, 0, title, &bold)?;
    for (col, heading) in BREAKDOWN_HEADINGS.iter().enumerate() {
        sheet.write_string_with_format(1, u16::try_from(col).unwrap_or(0), *heading, &bold)?;
    }
    for (col, width) in [16.0, 12.0, 12.0, 16.0, 36.0, 30.0].into_iter().enumerate() {
        sheet.set_column_width(u16::try_from(col).unwrap_or(0), width)?;
    }
    let mut row = 2u32;
    for line in rows {
        sheet.write_string(row, 0, &line.region_owner)?;
        sheet.write_number(row, 1, line.target_customers as f64)?;
        sheet.write_number_with_format(row, 2, line.expected_conversion, &percent)?;
        sheet.write_number_with_format(row, 3, line.sales_target, &money)?;
        sheet.write_string(row, 4, &line.key_customers)?;
        sheet.write_string(row, 5, &line.resource_needs)?;
        row += 1;
    }
    sheet.write_string_with_format(row, 0, "合计", &bold)?;
    sheet.write_number_with_format(row, 1, rows.iter().map(|r| r.target_customers).sum::<i64>() as f64, &bold)?;
    sheet.write_number_with_format(row, 3, rows.iter().map(|r| r.sales_target).sum::<f64>(), &money)?;
    workbook.save_to_buffer()
}

/// Template 4's headings (活动复盘表).
pub const REVIEW_HEADINGS: [&str; 7] = ["指标", "目标值", "实际值", "达成率", "亮点", "问题", "改进措施"];

/// Template 4: one row per metric, values as the review page shows them
/// (`1:3.5`, `120%`, `21万`), so the sheet and the page read the same.
pub fn review_xlsx(title: &str, rows: &[[String; 7]]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    let sheet = workbook.add_worksheet();
    sheet.set_name("活动复盘表")?;
    sheet.write_string_with_format(0, 0, title, &bold)?;
    for (col, heading) in REVIEW_HEADINGS.iter().enumerate() {
        sheet.write_string_with_format(1, u16::try_from(col).unwrap_or(0), *heading, &bold)?;
    }
    for (col, width) in [14.0, 12.0, 12.0, 10.0, 36.0, 36.0, 36.0].into_iter().enumerate() {
        sheet.set_column_width(u16::try_from(col).unwrap_or(0), width)?;
    }
    for (i, line) in rows.iter().enumerate() {
        let row = u32::try_from(i + 2).unwrap_or(u32::MAX);
        for (col, value) in line.iter().enumerate() {
            sheet.write_string_with_format(row, u16::try_from(col).unwrap_or(0), value, &wrap)?;
        }
    }
    workbook.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{Cell, FileFormat, read_table};

    #[test]
    fn the_breakdown_reads_back_with_the_templates_headings() {
        let rows = vec![
            BreakdownLine {
                region_owner: "华南/明".into(),
                target_customers: 8,
                expected_conversion: 0.5,
                sales_target: 120_000.0,
                key_customers: "A公司(制造业) B贸易(零售)".into(),
                resource_needs: "需延长活动期限至下月5日".into(),
            },
            BreakdownLine {
                region_owner: "华北/芳".into(),
                target_customers: 10,
                expected_conversion: 0.4,
                sales_target: 150_000.0,
                key_customers: "C工程(建筑) D科技(电子)".into(),
                resource_needs: "需技术支持演示".into(),
            },
        ];
        let bytes = breakdown_xlsx("新品A限时促销 · 销售任务分解表", &rows).unwrap();
        let table = read_table(&bytes, FileFormat::Xlsx).unwrap();
        assert_eq!(table.headers, BREAKDOWN_HEADINGS.map(str::to_owned).to_vec());
        assert_eq!(table.rows[0].cells[0], Cell::Text("华南/明".into()));
        assert_eq!(table.rows[1].cells[1], Cell::Number(10.0));
        assert_eq!(table.rows[2].cells[1], Cell::Number(18.0), "the total line");
    }

    #[test]
    fn the_plan_has_one_line_per_item() {
        let lines = vec![("活动名称", "新品A限时促销".to_owned()), ("核心卖点", "新品A首发享8折+3年质保".to_owned())];
        let bytes = plan_xlsx("市场活动快速响应计划表", &lines).unwrap();
        let table = read_table(&bytes, FileFormat::Xlsx).unwrap();
        assert_eq!(table.headers, vec!["项目".to_owned(), "内容".to_owned()]);
        assert_eq!(table.rows[1].cells[1], Cell::Text("新品A首发享8折+3年质保".into()));
    }
}
