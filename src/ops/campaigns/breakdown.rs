//! The goal breakdown (template 2): the proposal from list shares and
//! history, the realism check, and the rows a lead saves.

use chrono::Days;
use serde_json::json;

use super::check_manage;
use crate::domain::breakdown::{self, History, RealismCheck, RepBasis};
use crate::domain::review::Snapshot;
use crate::domain::team::Role;
use crate::ops::authz::Actor;
use crate::ops::{OpsError, OpsResult, audit_change, optional_text};
use crate::store::Store;
use crate::store::audit::AuditAction;
use crate::store::campaigns::{self as campaign_store, BreakdownRow, Campaign, MemberQuery, ReviewedQuery};

/// How far back "similar campaigns" reach: reviewed campaigns of the same
/// kind that ended in the 90 days before this one was announced.
pub const HISTORY_DAYS: u64 = 90;
/// The breakdown and how it compares with history.
#[derive(Clone, Debug)]
pub struct BreakdownView {
    pub rows: Vec<BreakdownRow>,
    /// True when nothing is saved yet and these rows are the proposal.
    pub proposed: bool,
    pub checks: Vec<RealismCheck>,
    pub team_history: Option<History>,
}

/// What similar campaigns achieved, from the numbers frozen when their
/// reviews were held: the team's totals and each rep's.
struct SimilarCampaigns {
    team: Option<History>,
    by_rep: Vec<(Option<i64>, History)>,
}

fn history_of(f: &crate::domain::review::metrics::Funnel, campaigns: i64) -> History {
    History {
        campaigns,
        members: f.members,
        intent: f.intent_customers,
        orders: f.orders,
        order_amount_fen: f.sales_fen,
    }
}

fn add(h: &mut History, other: &History) {
    h.campaigns += other.campaigns;
    h.members += other.members;
    h.intent += other.intent;
    h.orders += other.orders;
    h.order_amount_fen += other.order_amount_fen;
}

async fn similar_campaigns(store: &Store, c: &Campaign) -> OpsResult<SimilarCampaigns> {
    let from = c.announced_on.checked_sub_days(Days::new(HISTORY_DAYS)).unwrap_or(c.announced_on);
    let reviewed = store
        .reviewed_campaigns(&ReviewedQuery {
            kind: Some(c.kind.as_str()),
            exclude: Some(c.id),
            ended_from: Some(from),
            ended_before: Some(c.announced_on),
        })
        .await?;
    let mut team: Option<History> = None;
    let mut by_rep: Vec<(Option<i64>, History)> = Vec::new();
    for r in reviewed {
        // A snapshot this build cannot read is left out rather than guessed at.
        let Ok(snapshot) = serde_json::from_str::<Snapshot>(&r.snapshot) else {
            tracing::warn!(campaign = r.campaign.id, "a held review's numbers could not be read");
            continue;
        };
        let total = history_of(&snapshot.funnel, 1);
        match team.as_mut() {
            Some(t) => add(t, &total),
            None => team = Some(total),
        }
        for row in &snapshot.breakdowns.by_rep {
            let assignee = row.key.parse::<i64>().ok();
            let h = history_of(&row.funnel, 1);
            match by_rep.iter_mut().find(|(a, _)| *a == assignee) {
                Some((_, existing)) => add(existing, &h),
                None => by_rep.push((assignee, h)),
            }
        }
    }
    Ok(SimilarCampaigns { team, by_rep })
}

/// Proposes a split of the intent goal from list shares and history.
pub async fn propose(store: &Store, c: &Campaign) -> OpsResult<BreakdownView> {
    let similar = similar_campaigns(store, c).await?;
    let team = similar.team;
    let counts = store.member_counts(c.id).await?;
    let users = store.users().await?;
    let mut assignees: Vec<(Option<i64>, i64)> = Vec::new();
    for (assignee, _, n) in &counts {
        match assignees.iter_mut().find(|(a, _)| a == assignee) {
            Some(entry) => entry.1 += n,
            None => assignees.push((*assignee, *n)),
        }
    }
    if assignees.is_empty() {
        // No list yet: every active rep, evenly.
        assignees = users.iter().filter(|u| u.role == Role::Rep && u.active).map(|u| (Some(u.id), 1)).collect();
    }
    let list_size: i64 = counts.iter().map(|(_, _, n)| n).sum();
    let reps: Vec<RepBasis> = assignees
        .iter()
        .map(|(a, n)| RepBasis {
            assignee_id: *a,
            members: *n,
            history: similar.by_rep.iter().find(|(r, _)| r == a).map(|(_, h)| *h),
        })
        .collect();
    let sales_goal = (c.goal_sales_fen > 0).then_some(c.goal_sales_fen);
    let goals = breakdown::Goals {
        intent: c.goal_intent,
        orders: (c.goal_orders > 0).then_some(c.goal_orders),
        sales_fen: sales_goal,
    };
    let proposal = breakdown::propose(goals, &reps, team.as_ref());
    let mut rows = Vec::with_capacity(proposal.len());
    for p in proposal {
        let user = users.iter().find(|u| Some(u.id) == p.assignee_id);
        let key = store
            .members(
                c.id,
                &MemberQuery {
                    assignee_id: p.assignee_id,
                    unassigned: p.assignee_id.is_none(),
                    limit: 2,
                    ..MemberQuery::default()
                },
            )
            .await?
            .into_iter()
            .map(|m| format!("{}({})", m.customer_name, m.industry))
            .collect::<Vec<_>>()
            .join(" ");
        rows.push(BreakdownRow {
            assignee_id: p.assignee_id,
            assignee_email: user.map(|u| u.email.clone()),
            region: user.and_then(|u| u.region.clone()).unwrap_or_default(),
            target_customers: p.target_customers,
            expected_conversion: p.expected_conversion,
            sales_target_fen: p.sales_target_fen,
            key_customers: key,
            resource_needs: String::new(),
        });
    }
    let checks = breakdown::realism(c.goal_intent, c.goal_orders, list_size, team.as_ref());
    Ok(BreakdownView { rows, proposed: true, checks, team_history: team })
}

pub async fn breakdown(store: &Store, actor: &Actor, id: i64) -> OpsResult<BreakdownView> {
    let c = super::readable(store, actor, id).await?;
    let mut view = propose(store, &c).await?;
    let saved = store.breakdown(id).await?;
    if !saved.is_empty() {
        view.rows = saved;
        view.proposed = false;
    }
    if actor.role == Role::Rep {
        view.rows.retain(|r| r.assignee_id == Some(actor.id));
    }
    Ok(view)
}

/// A row as given (assignee by email).
#[derive(Clone, Debug)]
pub struct BreakdownInput {
    pub assignee_email: Option<String>,
    pub region: String,
    pub target_customers: i64,
    pub expected_conversion: f64,
    pub sales_target_fen: i64,
    pub key_customers: String,
    pub resource_needs: String,
}

/// Replaces the breakdown; the targets must sum to the intent-customer goal.
pub async fn save_breakdown(
    store: &Store,
    actor: &Actor,
    id: i64,
    rows: Vec<BreakdownInput>,
) -> OpsResult<Vec<BreakdownRow>> {
    let c = check_manage(store, actor, id).await?;
    let mut out = Vec::with_capacity(rows.len());
    for (i, r) in rows.into_iter().enumerate() {
        let at = |field: &str| format!("rows[{i}].{field}");
        if r.target_customers < 0 {
            return Err(OpsError::Invalid {
                field: "target_customers",
                message: format!("{}: cannot be negative", at("target_customers")),
            });
        }
        if !r.expected_conversion.is_finite() || !(0.0..=1.0).contains(&r.expected_conversion) {
            return Err(OpsError::Invalid {
                field: "expected_conversion",
                message: format!("{}: a rate from 0 to 1 (0.5 = 50%)", at("expected_conversion")),
            });
        }
        if r.sales_target_fen < 0 {
            return Err(OpsError::Invalid {
                field: "sales_target",
                message: format!("{}: cannot be negative", at("sales_target")),
            });
        }
        let assignee_id = match r.assignee_email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
            None => None,
            Some(email) => Some(
                store
                    .active_rep_by_email(email)
                    .await?
                    .ok_or_else(|| OpsError::Invalid {
                        field: "assignee_email",
                        message: format!("{}: {email:?} is not an active sales rep", at("assignee_email")),
                    })?
                    .0,
            ),
        };
        out.push(BreakdownRow {
            assignee_id,
            assignee_email: r.assignee_email.map(|e| e.trim().to_lowercase()),
            region: optional_text("region", &r.region, 50)?,
            target_customers: r.target_customers,
            expected_conversion: r.expected_conversion,
            sales_target_fen: r.sales_target_fen,
            key_customers: optional_text("key_customers", &r.key_customers, 500)?,
            resource_needs: optional_text("resource_needs", &r.resource_needs, 500)?,
        });
    }
    let sales: i64 = out.iter().map(|r| r.sales_target_fen).sum();
    if c.goal_sales_fen > 0 && sales != c.goal_sales_fen {
        return Err(OpsError::invalid(
            "sales_target",
            format!(
                "the rows add up to {} in sales, but the sales goal is {}",
                crate::domain::money::format_cny(sales),
                crate::domain::money::format_cny(c.goal_sales_fen)
            ),
        ));
    }
    let sum: i64 = out.iter().map(|r| r.target_customers).sum();
    if sum != c.goal_intent {
        return Err(OpsError::invalid(
            "target_customers",
            format!("the rows add up to {sum} target customers, but the intent-customer goal is {}", c.goal_intent),
        ));
    }
    // Read under the write turn, so the audit's "before" is what this change replaced.
    let mut tx = store.begin().await?;
    let before = store.breakdown(id).await?;
    campaign_store::replace_breakdown(&mut tx, id, &out).await?;
    audit_change(
        &mut tx,
        actor,
        AuditAction::Update,
        "campaign",
        id,
        Some(json!({ "breakdown": before })),
        Some(json!({ "breakdown": out })),
    )
    .await?;
    tx.commit().await?;
    Ok(store.breakdown(id).await?)
}
