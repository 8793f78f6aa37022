//! Template 3 (客户跟进记录表) and the target list as spreadsheets.

use chrono::NaiveDate;

use crate::domain::money::fen_to_yuan;
use crate::domain::team::Role;
use crate::io::execution as sheets;
use crate::ops::authz::Actor;
use crate::ops::{OpsError, OpsResult};
use crate::store::Store;
use crate::store::campaigns::MemberQuery;
use crate::store::execution::follow_ups::{self as fu_store, FollowUpQuery};

fn xlsx_failed(e: rust_xlsxwriter::XlsxError) -> OpsError {
    OpsError::Other(anyhow::anyhow!("cannot write the spreadsheet: {e}"))
}

/// What a follow-up export covers.
#[derive(Clone, Debug, Default)]
pub struct FollowUpFilter {
    /// The rep whose members' records (a rep: always themselves).
    pub rep_email: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// The campaign's follow-up records as template 3 (XLSX): file name and bytes.
pub async fn follow_ups_xlsx(
    store: &Store,
    actor: &Actor,
    campaign_id: i64,
    filter: FollowUpFilter,
) -> OpsResult<(String, Vec<u8>)> {
    let c = crate::ops::campaigns::readable(store, actor, campaign_id).await?;
    let assignee_id = if actor.role == Role::Rep {
        Some(actor.id)
    } else {
        match filter.rep_email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
            Some(e) => Some(
                store
                    .user_by_email(e)
                    .await?
                    .ok_or_else(|| OpsError::invalid("rep", format!("{e:?} is not on the team")))?
                    .id,
            ),
            None => None,
        }
    };
    if let (Some(a), Some(b)) = (filter.from, filter.to)
        && a > b
    {
        return Err(OpsError::invalid("to", "the range ends before it starts"));
    }
    let mut rows = Vec::new();
    let mut after = None;
    let mut pains: std::collections::HashMap<i64, String> = std::collections::HashMap::new();
    loop {
        let q = FollowUpQuery {
            campaign_id,
            assignee_id,
            from: filter.from,
            to: filter.to,
            after_id: after,
            limit: 2000,
            ..FollowUpQuery::default()
        };
        let page = fu_store::of_campaign(store.acquire().await?.conn(), &q).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        for f in &page {
            if let std::collections::hash_map::Entry::Vacant(slot) = pains.entry(f.customer_id) {
                let (_, p) = store.customer_labels(f.customer_id).await?;
                slot.insert(p.join("、"));
            }
            let when = super::in_china(f.occurred_at).format("%Y-%m-%d %H:%M").to_string();
            let feedback = match sheets::feedback_zh(f.feedback_kind.as_str()) {
                "" => f.feedback.clone(),
                kind if f.feedback.is_empty() => kind.to_owned(),
                kind => format!("{kind}：{}", f.feedback),
            };
            let next = match f.next_action_on {
                Some(d) => {
                    let at = f.next_action_at.as_deref().map(|t| format!(" {t}")).unwrap_or_default();
                    format!("{d}{at} {}", f.next_action)
                }
                None => f.next_action.clone(),
            };
            let who = match &f.contact_name {
                Some(n) => format!("{}/{n}", f.customer_name),
                None => f.customer_name.clone(),
            };
            rows.push(vec![
                who,
                f.industry.clone(),
                pains.get(&f.customer_id).cloned().unwrap_or_default(),
                when,
                sheets::channel_zh(f.channel.as_str()).to_owned(),
                f.summary.clone(),
                feedback,
                next,
                f.created_by_name.clone().unwrap_or_default(),
                sheets::stage_zh(f.stage_after.as_str()).to_owned(),
            ]);
        }
        if page.len() < 2000 {
            break;
        }
    }
    let bytes = sheets::follow_ups_xlsx(&format!("客户跟进记录表 · {}", c.name), &rows).map_err(xlsx_failed)?;
    Ok((format!("客户跟进记录表-{}.xlsx", c.id), bytes))
}

/// The target list with each member's stage, as `csv` or `xlsx`: file name,
/// content type and bytes. A rep exports their own part.
pub async fn members(
    store: &Store,
    actor: &Actor,
    campaign_id: i64,
    format: &str,
) -> OpsResult<(String, &'static str, Vec<u8>)> {
    let c = crate::ops::campaigns::readable(store, actor, campaign_id).await?;
    if !["csv", "xlsx"].contains(&format) {
        return Err(OpsError::invalid("format", "format is csv or xlsx"));
    }
    let mut rows = Vec::new();
    let mut after = None;
    loop {
        let q = MemberQuery { after, limit: 5000, ..MemberQuery::default() };
        let page = crate::ops::campaigns::members::members(store, actor, campaign_id, q).await?;
        let Some(last) = page.last() else { break };
        after = Some((last.outreach_rank, last.customer_id));
        for m in &page {
            rows.push(vec![
                m.customer_name.clone(),
                m.industry.clone(),
                m.region.clone(),
                m.tier.clone(),
                m.assignee_name.clone().unwrap_or_default(),
                sheets::stage_zh(&m.stage).to_owned(),
                m.order_amount_fen.map(|f| format!("{:.2}", fen_to_yuan(f))).unwrap_or_default(),
                m.lost_reason.as_deref().map(sheets::lost_reason_zh).unwrap_or_default(),
                m.last_follow_up_at
                    .map(|t| super::in_china(t).format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default(),
                m.next_action_on.map(|d| d.to_string()).unwrap_or_default(),
                m.next_action.clone(),
                m.partner.clone().unwrap_or_else(|| m.source.clone()),
            ]);
        }
        if page.len() < 5000 {
            break;
        }
    }
    let name = format!("目标客户名单-{}", c.id);
    Ok(if format == "csv" {
        (format!("{name}.csv"), "text/csv; charset=utf-8", sheets::members_csv(&rows))
    } else {
        let bytes = sheets::members_xlsx(&format!("目标客户名单 · {}", c.name), &rows).map_err(xlsx_failed)?;
        (format!("{name}.xlsx"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", bytes)
    })
}
