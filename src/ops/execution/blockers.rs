//! Blockers (卡点): anyone on the campaign raises one (on the campaign or a
//! member), the lead decides it or escalates it with a reply-by date, and
//! management answers in Rally.

use chrono::NaiveDate;
use serde_json::json;

use crate::domain::execution::blockers::{self as rules, BlockerAct, BlockerStatus};
use crate::domain::team::Role;
use crate::ops::authz::{self, Actor, Permission};
use crate::ops::{OpsError, OpsResult, audit_change, required_text};
use crate::store::Store;
use crate::store::audit::AuditAction;
use crate::store::execution::blockers::{self as blocker_store, Blocker, BlockerChange, BlockerQuery};

fn view(b: &Blocker) -> serde_json::Value {
    json!({
        "campaign_id": b.campaign_id, "member_id": b.member_id, "customer_id": b.customer_id, "text": b.text,
        "status": b.status, "decision": b.decision, "reply_by": b.reply_by, "answer": b.answer, "version": b.version,
    })
}

/// Raises a blocker on a campaign, or on one of its members (`customer_id`).
pub async fn raise(
    store: &Store,
    actor: &Actor,
    campaign_id: i64,
    customer_id: Option<i64>,
    text: &str,
) -> OpsResult<Blocker> {
    authz::require(actor, Permission::RaiseBlockers)?;
    crate::ops::campaigns::readable(store, actor, campaign_id).await?;
    let member_id = match customer_id {
        Some(c) => Some(super::visible_member(store, actor, campaign_id, c).await?.id),
        None => None,
    };
    let text = required_text("text", text, 1000)?;
    let mut tx = store.begin().await?;
    let id = blocker_store::insert_blocker(&mut tx, campaign_id, member_id, &text, actor.id).await?;
    let created = blocker_store::blocker(tx.conn(), id).await?.ok_or(OpsError::NotFound)?;
    audit_change(&mut tx, actor, AuditAction::Create, "blocker", id, None, Some(view(&created))).await?;
    tx.commit().await?;
    Ok(created)
}

/// Whether a rep sees a blocker: the campaign's own, those on their members,
/// and those they raised.
fn visible(actor: &Actor, b: &Blocker) -> bool {
    actor.role != Role::Rep || b.member_id.is_none() || b.assignee_id == Some(actor.id) || b.raised_by == Some(actor.id)
}

/// A campaign's blockers, newest first.
pub async fn of_campaign(store: &Store, actor: &Actor, campaign_id: i64, open_only: bool) -> OpsResult<Vec<Blocker>> {
    crate::ops::campaigns::readable(store, actor, campaign_id).await?;
    let q = BlockerQuery { campaign_id: Some(campaign_id), open_only, ..BlockerQuery::default() };
    let all = blocker_store::blockers(store.acquire().await?.conn(), &q).await?;
    Ok(all.into_iter().filter(|b| visible(actor, b)).collect())
}

/// Escalations waiting for management, across campaigns.
pub async fn escalated(store: &Store, actor: &Actor) -> OpsResult<Vec<Blocker>> {
    authz::require(actor, Permission::ReadCampaigns)?;
    let q = BlockerQuery { status: Some(BlockerStatus::Escalated), ..BlockerQuery::default() };
    let all = blocker_store::blockers(store.acquire().await?.conn(), &q).await?;
    Ok(all.into_iter().filter(|b| visible(actor, b)).collect())
}

pub async fn get(store: &Store, actor: &Actor, id: i64) -> OpsResult<Blocker> {
    authz::require(actor, Permission::ReadCampaigns)?;
    let b = blocker_store::blocker(store.acquire().await?.conn(), id).await?.ok_or(OpsError::NotFound)?;
    if visible(actor, &b) { Ok(b) } else { Err(OpsError::NotFound) }
}

/// What to do with a blocker, as given.
#[derive(Clone, Debug)]
pub enum Act {
    Decide { decision: String },
    Escalate { reply_by: Option<NaiveDate> },
    Answer { answer: String },
}

/// The lead decides or escalates; management answers an escalation.
pub async fn act(store: &Store, actor: &Actor, id: i64, act: Act, version: Option<i64>) -> OpsResult<Blocker> {
    let permission = match act {
        Act::Decide { .. } | Act::Escalate { .. } => Permission::RunCampaigns,
        Act::Answer { .. } => Permission::AnswerEscalations,
    };
    authz::require(actor, permission)?;
    let b = get(store, actor, id).await?;
    if let Some(v) = version
        && v != b.version
    {
        return Err(OpsError::Stale { current_version: b.version, current: view(&b) });
    }
    let kind = match act {
        Act::Decide { .. } => BlockerAct::Decide,
        Act::Escalate { .. } => BlockerAct::Escalate,
        Act::Answer { .. } => BlockerAct::Answer,
    };
    if !rules::can(kind, b.status) {
        return Err(OpsError::invalid("status", format!("a {} blocker cannot be handled that way", b.status)));
    }
    let text;
    let change = match &act {
        Act::Decide { decision } => {
            text = required_text("decision", decision, 1000)?;
            BlockerChange::Decide { text: &text, by: actor.id }
        }
        Act::Escalate { reply_by } => {
            let d = reply_by.ok_or_else(|| OpsError::invalid("reply_by", "give management a reply-by date"))?;
            if d < store.today() {
                return Err(OpsError::invalid("reply_by", format!("{d} has passed")));
            }
            BlockerChange::Escalate { reply_by: d }
        }
        Act::Answer { answer } => {
            text = required_text("answer", answer, 1000)?;
            BlockerChange::Answer { text: &text, by: actor.id }
        }
    };
    let mut tx = store.begin().await?;
    if !blocker_store::change_blocker(&mut tx, id, b.version, rules::after(kind), &change).await? {
        return Err(OpsError::Stale { current_version: b.version + 1, current: view(&b) });
    }
    let after = blocker_store::blocker(tx.conn(), id).await?.ok_or(OpsError::NotFound)?;
    audit_change(&mut tx, actor, AuditAction::Update, "blocker", id, Some(view(&b)), Some(view(&after))).await?;
    tx.commit().await?;
    Ok(after)
}
