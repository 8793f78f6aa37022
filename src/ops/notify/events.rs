//! Events from running a campaign, made inside the transaction of the
//! change that caused them: blockers raised (the lead), escalated
//! (management, with the reply-by date) and decided or answered (whoever
//! raised it); collateral and support requested (the queues that take the
//! kind), delivered (whoever asked) and gone stale after a campaign change
//! (whoever asked and the queue). Nobody is told about their own act.

use super::super::OpsResult;
use super::{Context, Event, emit};
use crate::domain::execution::requests::RequestKind;
use crate::domain::notify::EventKind;
use crate::domain::notify::render::{EventData, Param, Params};
use crate::domain::team::Role;
use crate::ops::authz::Actor;
use crate::store::execution::blockers::Blocker;
use crate::store::execution::requests::Request;
use crate::store::{Store, Tx};

fn without(actor: &Actor, ids: impl IntoIterator<Item = i64>) -> Vec<i64> {
    let mut out: Vec<i64> = ids.into_iter().filter(|id| *id != actor.id).collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn blocker_params(b: &Blocker, actor: &Actor) -> Params {
    let mut params = Params::new();
    params.insert("campaign".into(), b.campaign_name.as_str().into());
    // On a member: the customer's name before the text.
    let text = match &b.customer_name {
        Some(c) => format!("{c} · {}", b.text),
        None => b.text.clone(),
    };
    params.insert("text".into(), text.into());
    params.insert("by".into(), actor.name.as_str().into());
    params
}

/// The event for a blocker that was just raised, escalated, decided or answered.
pub fn blocker_event(
    kind: EventKind,
    b: &Blocker,
    campaign_lead: Option<i64>,
    ctx: &Context,
    actor: &Actor,
    now: chrono::DateTime<chrono::Utc>,
) -> Event {
    let mut params = blocker_params(b, actor);
    let recipients = match kind {
        EventKind::BlockerRaised => without(actor, campaign_lead),
        EventKind::BlockerEscalated => {
            params.insert("reply_by".into(), b.reply_by.map(|d| d.to_string()).unwrap_or_default().into());
            // Management: those who answer escalations and are not admins; admins when there are none.
            let management: Vec<i64> =
                ctx.roles.iter().filter(|(_, r)| **r == Role::Viewer).map(|(id, _)| *id).collect();
            if management.is_empty() {
                without(actor, ctx.roles.iter().filter(|(_, r)| **r == Role::Admin).map(|(id, _)| *id))
            } else {
                without(actor, management)
            }
        }
        _ => {
            let outcome = if b.answer.is_empty() { b.decision.as_str() } else { b.answer.as_str() };
            params.insert("decision".into(), outcome.into());
            without(actor, b.raised_by)
        }
    };
    Event {
        kind,
        dedupe_key: format!("{}:b{}:v{}", kind.as_str(), b.id, b.version),
        occurred_at: now,
        data: EventData { params, link: format!("/campaigns/{}/blockers", b.campaign_id), ..EventData::default() },
        recipients,
        only_channel: None,
    }
}

fn kind_key(k: RequestKind) -> String {
    format!("request.kind_{}", k.as_str())
}

/// The event for a request that was just made or delivered.
pub fn request_event(
    kind: EventKind,
    r: &Request,
    ctx: &Context,
    actor: &Actor,
    now: chrono::DateTime<chrono::Utc>,
) -> Event {
    let mut params = Params::new();
    params.insert("campaign".into(), r.campaign_name.as_str().into());
    params.insert("item".into(), r.item.as_str().into());
    params.insert("kind".into(), Param::Key { key: kind_key(r.kind) });
    params.insert("by".into(), actor.name.as_str().into());
    params.insert("needed_by".into(), r.needed_by.map(|d| d.to_string()).unwrap_or_else(|| "—".into()).into());
    params.insert("note".into(), r.delivery_note.as_str().into());
    // The queue that takes the kind; admins only when nobody else does.
    let handlers = || -> Vec<i64> {
        let handlers: Vec<i64> = ctx
            .roles
            .iter()
            .filter(|(_, role)| **role != Role::Admin && r.kind.handled_by(**role))
            .map(|(id, _)| *id)
            .collect();
        if handlers.is_empty() {
            ctx.roles.iter().filter(|(_, role)| **role == Role::Admin).map(|(id, _)| *id).collect()
        } else {
            handlers
        }
    };
    let (recipients, link) = match kind {
        EventKind::RequestRequested => (without(actor, handlers()), "/requests".to_owned()),
        EventKind::RequestStale => (
            without(actor, handlers().into_iter().chain(r.requested_by)),
            format!("/campaigns/{}/requests", r.campaign_id),
        ),
        _ => (without(actor, r.requested_by), format!("/campaigns/{}/requests", r.campaign_id)),
    };
    // A stale item is told once per campaign revision; the others once per version.
    let stamp =
        if kind == EventKind::RequestStale { format!("rev{}", r.campaign_revision) } else { format!("v{}", r.version) };
    Event {
        kind,
        dedupe_key: format!("{}:r{}:{stamp}", kind.as_str(), r.id),
        occurred_at: now,
        data: EventData { params, link, ..EventData::default() },
        recipients,
        only_channel: None,
    }
}

/// Makes `event` in `tx` (nothing when the team switched its kind off).
pub async fn make(store: &Store, tx: &mut Tx, ctx: &Context, event: &Event) -> OpsResult<()> {
    emit(store, tx, ctx, event).await?;
    Ok(())
}
