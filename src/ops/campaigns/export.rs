//! The team's planning spreadsheets for a campaign: template 1 (the plan)
//! and template 2 (the breakdown) as XLSX.

use super::breakdown::breakdown;
use super::get;
use crate::ops::authz::Actor;
use crate::ops::{OpsError, OpsResult};
use crate::store::Store;

/// The team's spreadsheets for a campaign: `plan` (template 1) or
/// `breakdown` (template 2). Returns a file name and the XLSX bytes.
pub async fn export_template(store: &Store, actor: &Actor, id: i64, which: &str) -> OpsResult<(String, Vec<u8>)> {
    let view = get(store, actor, id).await?;
    let c = &view.campaign;
    let users = store.users().await?;
    let name = |uid: Option<i64>| users.iter().find(|u| Some(u.id) == uid).map(|u| u.name.clone()).unwrap_or_default();
    let xlsx_failed =
        |e: rust_xlsxwriter::XlsxError| OpsError::Other(anyhow::anyhow!("cannot write the spreadsheet: {e}"));
    let money = crate::domain::money::format_cny;
    match which {
        "plan" => {
            let conversion = if c.goal_intent > 0 {
                format!("{:.0}%", c.goal_orders as f64 * 100.0 / c.goal_intent as f64)
            } else {
                String::new()
            };
            let milestone = |key: &str| {
                view.phases.iter().find(|p| p.milestone == key).map_or(String::new(), |p| {
                    let done = p.done_on.map(|d| format!("，完成 {d}")).unwrap_or_default();
                    format!("截止 {}{done}", p.phase.due_on)
                })
            };
            let kind = c.kind.label_zh();
            let lines = vec![
                ("活动名称", c.name.clone()),
                ("活动类型", kind.to_owned()),
                ("活动主题", c.theme.clone()),
                ("核心卖点", c.selling_points.clone()),
                ("目标客群", c.segment.clone()),
                ("活动时间", format!("{} 至 {}（通知 {}）", c.starts_on, c.ends_on, c.announced_on)),
                ("核心目标", format!("意向客户 {} 家，促成订单 {} 单", c.goal_intent, c.goal_orders)),
                ("目标客户数", c.goal_reached.to_string()),
                ("预期转化率", conversion),
                ("销售额", money(c.goal_sales_fen)),
                ("投入产出比", if c.goal_roi > 0.0 { format!("1:{}", c.goal_roi) } else { String::new() }),
                ("销售负责人", name(c.lead_id)),
                ("市场部对接人", name(c.marketing_id)),
                ("客服负责人", name(c.service_id)),
                ("资源支持", c.resource_support.clone()),
                ("物料需求", c.collateral_needs.clone()),
                ("培训需求", c.training_needs.clone()),
                ("资源风险", c.resource_risks.clone()),
                ("预算", money(c.budget_fen)),
                ("费用明细", c.cost_items.clone()),
                ("启动会完成", milestone("kickoff_held")),
                ("物料到位", milestone("collateral_ready")),
                ("全面铺开", milestone("full_rollout")),
                ("备注", c.notes.clone()),
            ];
            let bytes = crate::io::templates::plan_xlsx(&format!("市场活动快速响应计划表 · {}", c.name), &lines)
                .map_err(xlsx_failed)?;
            Ok((format!("活动计划表-{}.xlsx", c.id), bytes))
        }
        "breakdown" => {
            let view = breakdown(store, actor, id).await?;
            let rows: Vec<crate::io::templates::BreakdownLine> = view
                .rows
                .iter()
                .map(|r| crate::io::templates::BreakdownLine {
                    region_owner: format!("{}/{}", r.region, name(r.assignee_id)),
                    target_customers: r.target_customers,
                    expected_conversion: r.expected_conversion,
                    sales_target: crate::domain::money::fen_to_yuan(r.sales_target_fen),
                    key_customers: r.key_customers.clone(),
                    resource_needs: r.resource_needs.clone(),
                })
                .collect();
            let bytes = crate::io::templates::breakdown_xlsx(&format!("销售任务分解表 · {}", c.name), &rows)
                .map_err(xlsx_failed)?;
            Ok((format!("任务分解表-{}.xlsx", c.id), bytes))
        }
        _ => Err(OpsError::invalid("template", "template is plan or breakdown")),
    }
}
