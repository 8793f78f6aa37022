//! A member as the follow-up form and the API show it; who holds it
//! (claims from the pool, a lead's reassignment, following the customer's
//! owner); and a lead's stage corrections.

use serde_json::json;

use super::{can_see, visible_member};
use crate::domain::execution::stage::{self, Mover, Stage};
use crate::domain::team::Role;
use crate::ops::authz::{self, Actor, Permission};
use crate::ops::{OpsError, OpsResult, audit_change};
use crate::store::audit::AuditAction;
use crate::store::execution::blockers::{self as blocker_store, Blocker, BlockerQuery};
use crate::store::execution::follow_ups::{self as fu_store, FollowUp};
use crate::store::execution::tasks::{self as task_store, Task, TaskQuery};
use crate::store::execution::{self as exec_store, MemberFilter, MemberRecord};
use crate::store::{Store, Tx};

/// A member with its latest follow-up, open tasks and open blockers.
pub struct MemberView {
    pub member: MemberRecord,
    pub last_follow_up: Option<FollowUp>,
    pub tasks: Vec<Task>,
    pub blockers: Vec<Blocker>,
}

pub async fn get(store: &Store, actor: &Actor, campaign_id: i64, customer_id: i64) -> OpsResult<MemberView> {
    let member = visible_member(store, actor, campaign_id, customer_id).await?;
    let mut conn = store.acquire().await?;
    let last_follow_up = fu_store::of_member(conn.conn(), member.id, 1).await?.into_iter().next();
    let tasks =
        task_store::tasks(conn.conn(), &TaskQuery { member_id: Some(member.id), limit: 50, ..TaskQuery::default() })
            .await?;
    let blockers =
        blocker_store::blockers(conn.conn(), &BlockerQuery { member_id: Some(member.id), ..BlockerQuery::default() })
            .await?;
    Ok(MemberView { member, last_follow_up, tasks, blockers })
}

/// The holder named in a 409: "held by 明 (ming@…)".
fn held_by(m: &MemberRecord) -> String {
    match (&m.assignee_name, &m.assignee_email) {
        (Some(n), Some(e)) => format!("{n} ({e}) already holds this member"),
        _ => "someone else already holds this member".to_owned(),
    }
}

/// A rep claims an unassigned member of their region. When two reps claim
/// the same member, one wins and the other gets a conflict naming the
/// holder. Claiming a member whose customer has no owner takes the customer
/// from the pool too.
pub async fn claim(store: &Store, actor: &Actor, campaign_id: i64, customer_id: i64) -> OpsResult<MemberRecord> {
    authz::require(actor, Permission::LogFollowUps)?;
    if actor.role != Role::Rep {
        // Leads assign rather than claim.
        return Err(OpsError::Forbidden);
    }
    // A claim may be on a member of the rep's region that someone else took
    // meanwhile: that answers 409 naming the holder. Other regions: 404.
    let m = exec_store::member(store.acquire().await?.conn(), campaign_id, customer_id)
        .await?
        .filter(|m| actor.region.as_deref() == Some(m.region.as_str()) || m.assignee_id == Some(actor.id))
        .ok_or(OpsError::NotFound)?;
    if m.assignee_id == Some(actor.id) {
        return Ok(m);
    }
    if m.assignee_id.is_some() {
        return Err(OpsError::Conflict(held_by(&m)));
    }
    let now = store.now();
    let mut tx = store.begin().await?;
    let takes_customer = m.customer_owner_id.is_none();
    if !exec_store::claim(&mut tx, m.id, actor.id, !takes_customer, now).await? {
        drop(tx);
        let now_held = exec_store::member(store.acquire().await?.conn(), campaign_id, customer_id)
            .await?
            .ok_or(OpsError::NotFound)?;
        return Err(OpsError::Conflict(held_by(&now_held)));
    }
    if takes_customer && exec_store::take_customer_if_unowned(&mut tx, m.customer_id, actor.id).await? {
        audit_change(
            &mut tx,
            actor,
            AuditAction::Update,
            "customer",
            m.customer_id,
            Some(json!({ "owner_id": null })),
            Some(json!({ "owner_id": actor.id, "claimed_in_campaign": campaign_id })),
        )
        .await?;
    }
    audit_change(
        &mut tx,
        actor,
        AuditAction::Update,
        "campaign_member",
        m.id,
        Some(json!({ "assignee_id": null })),
        Some(json!({ "assignee_id": actor.id, "claimed": true })),
    )
    .await?;
    tx.commit().await?;
    exec_store::member(store.acquire().await?.conn(), campaign_id, customer_id).await?.ok_or(OpsError::NotFound)
}

/// The rep a lead assigns to: an active rep by email; `None` for the pool.
async fn assignee(store: &Store, email: Option<&str>) -> OpsResult<Option<i64>> {
    match email.map(str::trim).filter(|e| !e.is_empty()) {
        None => Ok(None),
        Some(e) => Ok(Some(
            store
                .active_rep_by_email(e)
                .await?
                .ok_or_else(|| OpsError::invalid("assignee_email", format!("{e:?} is not an active sales rep")))?
                .0,
        )),
    }
}

/// A lead reassigns one member (to a rep, or to the pool); its open tasks
/// move with it. Explicit: the member stops following its customer's owner.
pub async fn reassign(
    store: &Store,
    actor: &Actor,
    campaign_id: i64,
    customer_id: i64,
    to_email: Option<&str>,
) -> OpsResult<MemberRecord> {
    authz::require(actor, Permission::RunCampaigns)?;
    let m = visible_member(store, actor, campaign_id, customer_id).await?;
    let to = assignee(store, to_email).await?;
    let filter = MemberFilter { customer_ids: Some(vec![customer_id]), ..MemberFilter::default() };
    let mut tx = store.begin().await?;
    let moved = exec_store::assign(&mut tx, campaign_id, &filter, to, store.now()).await?;
    if !moved.is_empty() {
        audit_change(
            &mut tx,
            actor,
            AuditAction::Update,
            "campaign_member",
            m.id,
            Some(json!({ "assignee_id": m.assignee_id })),
            Some(json!({ "assignee_id": to, "explicit": true })),
        )
        .await?;
    }
    tx.commit().await?;
    exec_store::member(store.acquire().await?.conn(), campaign_id, customer_id).await?.ok_or(OpsError::NotFound)
}

/// A bulk reassignment: every member matching `filter` goes to `to_email`.
pub async fn reassign_matching(
    store: &Store,
    actor: &Actor,
    campaign_id: i64,
    filter: MemberFilter,
    to_email: Option<&str>,
) -> OpsResult<usize> {
    authz::require(actor, Permission::RunCampaigns)?;
    store.campaign(campaign_id).await?.ok_or(OpsError::NotFound)?;
    let to = assignee(store, to_email).await?;
    let mut tx = store.begin().await?;
    let moved = exec_store::assign(&mut tx, campaign_id, &filter, to, store.now()).await?;
    if !moved.is_empty() {
        audit_change(
            &mut tx,
            actor,
            AuditAction::Update,
            "campaign",
            campaign_id,
            None,
            Some(json!({ "members_reassigned": moved.len(), "member_ids": moved, "assignee_id": to })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(moved.len())
}

/// A lead corrects a member's stage (any direction), with the amount for
/// `ordered` and the reason for `lost`.
pub async fn correct_stage(
    store: &Store,
    actor: &Actor,
    campaign_id: i64,
    customer_id: i64,
    to: &str,
    order_amount_fen: Option<i64>,
    lost_reason: Option<&str>,
) -> OpsResult<MemberRecord> {
    authz::require(actor, Permission::RunCampaigns)?;
    let m = visible_member(store, actor, campaign_id, customer_id).await?;
    let to: Stage =
        to.parse().map_err(|e: crate::domain::execution::UnknownCode| OpsError::invalid("stage", e.to_string()))?;
    stage::check_move(m.stage, to, Mover::Correction).map_err(|e| OpsError::invalid("stage", e.to_string()))?;
    let amount = match (to, order_amount_fen) {
        (_, Some(a)) if a < 0 => return Err(OpsError::invalid("order_amount", "the order amount cannot be negative")),
        (Stage::Ordered, Some(a)) => Some(a),
        (Stage::Ordered, None) => {
            m.order_amount_fen
                .ok_or_else(|| OpsError::invalid("order_amount", "an order (ordered) needs its amount"))?;
            m.order_amount_fen
        }
        (_, Some(_)) => return Err(OpsError::invalid("order_amount", "an order amount goes with the stage ordered")),
        (_, None) => None,
    };
    let reasons = super::settings(store).await?.lost_reasons;
    let reason = match (to, lost_reason.map(str::trim).filter(|s| !s.is_empty())) {
        (Stage::Lost, Some(r)) if reasons.iter().any(|x| x == r) => Some(r.to_owned()),
        (Stage::Lost, Some(r)) => {
            return Err(OpsError::invalid(
                "lost_reason",
                format!("unknown reason {r:?}: expected one of {}", reasons.join(", ")),
            ));
        }
        (Stage::Lost, None) => {
            Some(m.lost_reason.clone().ok_or_else(|| OpsError::invalid("lost_reason", "say why the member is lost"))?)
        }
        (_, Some(_)) => return Err(OpsError::invalid("lost_reason", "a lost reason goes with the stage lost")),
        (_, None) => None,
    };
    let funnel = m.funnel().moved(to, store.today(), Mover::Correction, false);
    let mut tx = store.begin().await?;
    if !exec_store::set_stage(&mut tx, m.id, m.version, &funnel, amount, reason.as_deref()).await? {
        return Err(OpsError::Conflict("the member changed meanwhile; reload and try again".to_owned()));
    }
    if to.is_closed() && !m.stage.is_closed() {
        task_store::cancel_open(&mut tx, m.id, store.now()).await?;
    }
    audit_change(
        &mut tx,
        actor,
        AuditAction::Update,
        "campaign_member",
        m.id,
        Some(json!({ "stage": m.stage, "order_amount_fen": m.order_amount_fen, "lost_reason": m.lost_reason })),
        Some(json!({ "stage": to, "order_amount_fen": amount, "lost_reason": reason, "correction": true })),
    )
    .await?;
    tx.commit().await?;
    exec_store::member(store.acquire().await?.conn(), campaign_id, customer_id).await?.ok_or(OpsError::NotFound)
}

/// After customers' owners changed (an edit, the API, an import): members of
/// draft and active campaigns that no lead assigned explicitly follow the
/// new owner, their open tasks with them. Inside the change's unit of work.
pub(crate) async fn follow_owner(
    tx: &mut Tx,
    customer_ids: &[i64],
    now: chrono::DateTime<chrono::Utc>,
) -> OpsResult<usize> {
    Ok(exec_store::follow_owner(tx, customer_ids, now).await?.len())
}

/// The customer's memberships in draft and active campaigns that `actor`
/// may see (the customer page links them to the follow-up form).
pub async fn of_customer(store: &Store, actor: &Actor, customer_id: i64) -> OpsResult<Vec<MemberRecord>> {
    authz::require(actor, Permission::ReadCampaigns)?;
    let all = exec_store::memberships_of_customer(store.acquire().await?.conn(), customer_id).await?;
    Ok(all.into_iter().filter(|m| can_see(actor, m)).collect())
}

/// The contacts of a member's customer, for whoever may see the member
/// (its assignee may not own the customer).
pub async fn contacts(
    store: &Store,
    actor: &Actor,
    campaign_id: i64,
    customer_id: i64,
) -> OpsResult<Vec<crate::store::contacts::Contact>> {
    visible_member(store, actor, campaign_id, customer_id).await?;
    Ok(store.contacts_of(customer_id).await?)
}
