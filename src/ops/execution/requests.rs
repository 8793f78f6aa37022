//! Collateral and support requests (物料 / 支持): a rep or the lead asks,
//! marketing / tech / logistics work their queues, and every delivered item
//! records the campaign revision it was made for, so it shows as stale
//! (版本过期) once the campaign's message or dates change. The pre-rollout
//! checklist (资源前置确认) is the campaign's requests and how each stands.

use chrono::NaiveDate;
use serde_json::json;

use crate::domain::execution::requests::{self as rules, Readiness, RequestKind, RequestStatus};
use crate::domain::notify::EventKind;
use crate::ops::authz::{self, Actor, Permission};
use crate::ops::notify;
use crate::ops::{OpsError, OpsResult, audit_change, optional_text, required_text};
use crate::store::audit::AuditAction;
use crate::store::campaigns::Campaign;
use crate::store::execution::requests::{self as req_store, NewRequest, Request, RequestMove, RequestQuery};
use crate::store::{Store, Tx};

/// A request as given.
#[derive(Clone, Debug, Default)]
pub struct RequestInput {
    pub kind: Option<String>,
    pub item: Option<String>,
    pub quantity: Option<i64>,
    pub needed_by: Option<NaiveDate>,
    /// Demo: the person; training: the trainer.
    pub person: Option<String>,
    /// Demo or training: the time slot as agreed.
    pub slot: Option<String>,
    /// Logistics: shipping lead time in days.
    pub lead_days: Option<i64>,
    pub details: Option<String>,
}

fn view(r: &Request) -> serde_json::Value {
    json!({
        "campaign_id": r.campaign_id, "kind": r.kind, "item": r.item, "quantity": r.quantity, "needed_by": r.needed_by,
        "person": r.person, "slot": r.slot, "lead_days": r.lead_days, "details": r.details, "status": r.status,
        "decline_reason": r.decline_reason, "delivery_note": r.delivery_note, "delivered_revision": r.delivered_revision,
        "version": r.version,
    })
}

/// A rep or the lead requests collateral or support for a campaign.
pub async fn create(store: &Store, actor: &Actor, campaign_id: i64, input: RequestInput) -> OpsResult<Request> {
    authz::require(actor, Permission::RequestResources)?;
    crate::ops::campaigns::readable(store, actor, campaign_id).await?;
    let kind: RequestKind = input
        .kind
        .as_deref()
        .unwrap_or("")
        .parse()
        .map_err(|e: crate::domain::execution::UnknownCode| OpsError::invalid("kind", e.to_string()))?;
    let item = required_text("item", input.item.as_deref().unwrap_or(""), 200)?;
    if let Some(q) = input.quantity
        && !(1..=10_000_000).contains(&q)
    {
        return Err(OpsError::invalid("quantity", "the quantity is a whole number from 1"));
    }
    if let Some(d) = input.lead_days
        && !(0..=365).contains(&d)
    {
        return Err(OpsError::invalid("lead_days", "the shipping lead time is 0 to 365 days"));
    }
    if let Some(d) = input.needed_by
        && d < store.today()
    {
        return Err(OpsError::invalid("needed_by", format!("{d} has passed")));
    }
    let new = NewRequest {
        campaign_id,
        kind,
        item,
        quantity: input.quantity,
        needed_by: input.needed_by,
        person: optional_text("person", input.person.as_deref().unwrap_or(""), 100)?,
        slot: optional_text("slot", input.slot.as_deref().unwrap_or(""), 100)?,
        lead_days: input.lead_days,
        details: optional_text("details", input.details.as_deref().unwrap_or(""), 2000)?,
        requested_by: actor.id,
    };
    let ctx = notify::Context::load(store).await?;
    let mut tx = store.begin().await?;
    let created = insert(store, &mut tx, &ctx, actor, &new).await?;
    tx.commit().await?;
    Ok(created)
}

/// Stores a checked request, records it and tells the queue that handles it.
pub(crate) async fn insert(
    store: &Store,
    tx: &mut Tx,
    ctx: &notify::Context,
    actor: &Actor,
    new: &NewRequest,
) -> OpsResult<Request> {
    let id = req_store::insert_request(tx, new).await?;
    let created = req_store::request(tx.conn(), id).await?.ok_or(OpsError::NotFound)?;
    audit_change(tx, actor, AuditAction::Create, "request", id, None, Some(view(&created))).await?;
    let event = notify::events::request_event(EventKind::RequestRequested, &created, ctx, actor, store.now());
    notify::events::make(store, tx, ctx, &event).await?;
    Ok(created)
}

/// A campaign's requests (everyone who reads the campaign: the checklist).
pub async fn of_campaign(store: &Store, actor: &Actor, campaign_id: i64) -> OpsResult<Vec<Request>> {
    crate::ops::campaigns::readable(store, actor, campaign_id).await?;
    let q = RequestQuery { campaign_id: Some(campaign_id), ..RequestQuery::default() };
    Ok(req_store::requests(store.acquire().await?.conn(), &q).await?)
}

/// The kinds `actor`'s queue holds.
pub fn queue_kinds(actor: &Actor) -> Vec<RequestKind> {
    RequestKind::ALL.iter().copied().filter(|k| k.handled_by(actor.role)).collect()
}

/// A handler's queue: open requests of their kinds in draft and active
/// campaigns, and delivered ones that went stale (to re-deliver).
pub async fn queue(store: &Store, actor: &Actor) -> OpsResult<Vec<Request>> {
    authz::require(actor, Permission::HandleRequests)?;
    let q = RequestQuery { kinds: Some(queue_kinds(actor)), live_campaigns: true, ..RequestQuery::default() };
    let all = req_store::requests(store.acquire().await?.conn(), &q).await?;
    Ok(all.into_iter().filter(|r| matches!(readiness(r), Readiness::Pending | Readiness::Stale)).collect())
}

pub fn readiness(r: &Request) -> Readiness {
    rules::readiness(r.status, r.delivered_revision, r.campaign_revision)
}

/// The requester's delivered items that went stale (their day shows them).
pub async fn stale_for(store: &Store, requester: i64) -> OpsResult<Vec<Request>> {
    let q = RequestQuery {
        requested_by: Some(requester),
        statuses: Some(vec![RequestStatus::Delivered]),
        live_campaigns: true,
        ..RequestQuery::default()
    };
    let all = req_store::requests(store.acquire().await?.conn(), &q).await?;
    Ok(all.into_iter().filter(|r| readiness(r) == Readiness::Stale).collect())
}

/// A handler moves a request: `accepted`, `delivered` (records the campaign's
/// current revision; delivering again brings a stale item up to date), or
/// `declined` with a reason.
pub async fn move_request(
    store: &Store,
    actor: &Actor,
    id: i64,
    to: &str,
    reason: Option<&str>,
    note: Option<&str>,
    version: Option<i64>,
) -> OpsResult<Request> {
    authz::require(actor, Permission::HandleRequests)?;
    let r = req_store::request(store.acquire().await?.conn(), id).await?.ok_or(OpsError::NotFound)?;
    if !r.kind.handled_by(actor.role) {
        return Err(OpsError::Forbidden);
    }
    if let Some(v) = version
        && v != r.version
    {
        return Err(OpsError::Stale { current_version: r.version, current: view(&r) });
    }
    let to: RequestStatus =
        to.parse().map_err(|e: crate::domain::execution::UnknownCode| OpsError::invalid("status", e.to_string()))?;
    if !rules::can_move(r.status, to) {
        return Err(OpsError::invalid("status", format!("a {} request cannot become {}", r.status, to)));
    }
    let reason = optional_text("decline_reason", reason.unwrap_or(""), 500)?;
    if to == RequestStatus::Declined && reason.is_empty() {
        return Err(OpsError::invalid("decline_reason", "say why the request is declined"));
    }
    let note = optional_text("delivery_note", note.unwrap_or(&r.delivery_note), 500)?;
    let ctx = notify::Context::load(store).await?;
    let mut tx = store.begin().await?;
    let revision = req_store::revision(tx.conn(), r.campaign_id).await?;
    let m = RequestMove {
        status: to,
        handled_by: actor.id,
        decline_reason: &reason,
        delivery_note: &note,
        delivered: (to == RequestStatus::Delivered).then(|| (store.now(), revision)),
    };
    if !req_store::move_request(&mut tx, id, r.version, &m).await? {
        return Err(OpsError::Stale { current_version: r.version + 1, current: view(&r) });
    }
    let after = req_store::request(tx.conn(), id).await?.ok_or(OpsError::NotFound)?;
    audit_change(&mut tx, actor, AuditAction::Update, "request", id, Some(view(&r)), Some(view(&after))).await?;
    if to == RequestStatus::Delivered {
        let event = notify::events::request_event(EventKind::RequestDelivered, &after, &ctx, actor, store.now());
        notify::events::make(store, &mut tx, &ctx, &event).await?;
    }
    tx.commit().await?;
    Ok(after)
}

/// One request (who may read campaigns).
pub async fn get(store: &Store, actor: &Actor, id: i64) -> OpsResult<Request> {
    authz::require(actor, Permission::ReadCampaigns)?;
    req_store::request(store.acquire().await?.conn(), id).await?.ok_or(OpsError::NotFound)
}

/// Whether an edit changed what delivered items say (theme, selling
/// points, dates, segment): then the campaign's revision moves on and those
/// items are stale. Called inside the campaign edit's unit of work.
pub(crate) async fn after_campaign_edit(
    tx: &mut Tx,
    before: &Campaign,
    after: &Campaign,
) -> OpsResult<Option<Vec<&'static str>>> {
    let mut changed = Vec::new();
    for field in rules::REVISION_FIELDS {
        let differs = match field {
            "theme" => before.theme != after.theme,
            "selling_points" => before.selling_points != after.selling_points,
            "announced_on" => before.announced_on != after.announced_on,
            "starts_on" => before.starts_on != after.starts_on,
            "ends_on" => before.ends_on != after.ends_on,
            _ => before.segment != after.segment,
        };
        if differs {
            changed.push(field);
        }
    }
    if changed.is_empty() {
        return Ok(None);
    }
    req_store::bump_revision(tx, after.id).await?;
    Ok(Some(changed))
}

/// After a change that made the campaign's delivered items stale: tells
/// whoever asked for each, and the queue that makes it again.
pub(crate) async fn tell_stale(
    store: &Store,
    tx: &mut Tx,
    ctx: &notify::Context,
    actor: &Actor,
    campaign_id: i64,
) -> OpsResult<()> {
    let q = RequestQuery {
        campaign_id: Some(campaign_id),
        statuses: Some(vec![RequestStatus::Delivered]),
        ..RequestQuery::default()
    };
    let delivered = req_store::requests(tx.conn(), &q).await?;
    for r in delivered.iter().filter(|r| readiness(r) == Readiness::Stale) {
        let event = notify::events::request_event(EventKind::RequestStale, r, ctx, actor, store.now());
        notify::events::make(store, tx, ctx, &event).await?;
    }
    Ok(())
}

/// The pre-rollout checklist: every request of the campaign with how it stands.
pub async fn checklist(store: &Store, actor: &Actor, campaign_id: i64) -> OpsResult<Vec<(Request, Readiness)>> {
    Ok(of_campaign(store, actor, campaign_id)
        .await?
        .into_iter()
        .map(|r| {
            let s = readiness(&r);
            (r, s)
        })
        .collect())
}

/// The requests not ready for rollout (inside a unit of work: activation).
pub(crate) async fn unready(tx: &mut Tx, campaign_id: i64) -> OpsResult<Vec<Request>> {
    let q = RequestQuery { campaign_id: Some(campaign_id), ..RequestQuery::default() };
    Ok(req_store::requests(tx.conn(), &q).await?.into_iter().filter(|r| readiness(r) != Readiness::Ready).collect())
}
