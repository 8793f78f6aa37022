//! Interactions (the customer timeline). Writing one keeps the customer's
//! activity columns, and so its tier, current in the same transaction.

use chrono::NaiveDate;
use serde_json::json;

use super::authz::{self, Actor, Permission};
use super::customer_edit::editable;
use super::{OpsError, OpsResult, audit_change, check_date, optional_multiline};
use crate::domain::customer::{Channel, InteractionKind};
use crate::domain::team::Role;
use crate::store::audit::AuditAction;
use crate::store::customers::{NewInteraction, refresh_activity};
use crate::store::interactions::{self as interaction_store, Interaction};
use crate::store::{Store, Tx};

pub async fn list(store: &Store, actor: &Actor, customer_id: i64, limit: i64) -> OpsResult<Vec<Interaction>> {
    super::customers::get(store, actor, customer_id, crate::clock::today()).await?;
    Ok(store.interactions_of(customer_id, limit).await?)
}

/// Interaction fields; `None` keeps the current value on edit.
#[derive(Clone, Debug, Default)]
pub struct InteractionFields {
    pub occurred_on: Option<NaiveDate>,
    /// `HH:MM`; `Some(None)` clears it.
    pub occurred_at: Option<Option<String>>,
    pub channel: Option<String>,
    pub kind: Option<String>,
    pub note: Option<String>,
    pub amount_fen: Option<Option<i64>>,
}

fn merge(base: NewInteraction, f: InteractionFields, today: NaiveDate) -> OpsResult<NewInteraction> {
    let mut i = base;
    if let Some(d) = f.occurred_on {
        i.occurred_on = check_date("occurred_on", d)?;
    }
    // Records say what happened; the future has not happened yet.
    if i.occurred_on > today {
        return Err(OpsError::invalid("occurred_on", format!("{} is in the future", i.occurred_on)));
    }
    if let Some(t) = f.occurred_at {
        i.occurred_at = match t.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(raw) => {
                let parsed = chrono::NaiveTime::parse_from_str(raw, "%H:%M")
                    .map_err(|_| OpsError::invalid("occurred_at", format!("{raw:?} is not a time like 14:00")))?;
                Some(parsed.format("%H:%M").to_string())
            }
        };
    }
    if let Some(c) = f.channel {
        i.channel =
            c.parse().map_err(|e: crate::domain::customer::UnknownCode| OpsError::invalid("channel", e.to_string()))?;
    }
    if let Some(k) = f.kind {
        i.kind =
            k.parse().map_err(|e: crate::domain::customer::UnknownCode| OpsError::invalid("kind", e.to_string()))?;
    }
    if let Some(n) = f.note {
        i.note = optional_multiline("note", &n, 5000)?;
    }
    if let Some(a) = f.amount_fen {
        i.amount_fen = a;
    }
    match i.amount_fen {
        Some(a) if a < 0 => return Err(OpsError::invalid("amount", "the amount cannot be negative")),
        Some(_) if i.kind != InteractionKind::Order => {
            return Err(OpsError::invalid("amount", "only orders carry an amount"));
        }
        _ => {}
    }
    Ok(i)
}

fn view(i: &Interaction) -> serde_json::Value {
    json!({
        "customer_id": i.customer_id, "occurred_on": i.occurred_on, "occurred_at": i.occurred_at,
        "channel": i.channel, "kind": i.kind, "note": i.note, "amount_fen": i.amount_fen, "version": i.version,
    })
}

/// Editors of the customer may log; so may customer service for any customer
/// it can see (it answers campaign inquiries).
async fn loggable(tx: &mut Tx, store: &Store, actor: &Actor, customer_id: i64) -> OpsResult<()> {
    if actor.role == Role::Service {
        super::authz::require(actor, Permission::LogInteractions)?;
        super::customers::get(store, actor, customer_id, crate::clock::today()).await?;
        return Ok(());
    }
    editable(tx, actor, customer_id, Permission::LogInteractions).await.map(|_| ())
}

async fn refresh(tx: &mut Tx, store: &Store, customer_id: i64) -> OpsResult<()> {
    let rules = super::customers::tier_rules(store).await?;
    refresh_activity(tx, Some(&[customer_id]), i64::from(rules.s_min_interactions)).await?;
    Ok(())
}

pub async fn create(store: &Store, actor: &Actor, customer_id: i64, fields: InteractionFields) -> OpsResult<i64> {
    let today = crate::clock::today();
    let mut tx = store.begin().await?;
    loggable(&mut tx, store, actor, customer_id).await?;
    let missing = |f: &'static str| OpsError::invalid(f, format!("{f} is required"));
    let kind = fields.kind.clone().ok_or_else(|| missing("kind"))?;
    let channel = fields.channel.clone().ok_or_else(|| missing("channel"))?;
    let base = NewInteraction {
        occurred_on: today,
        occurred_at: None,
        channel: channel
            .parse()
            .map_err(|e: crate::domain::customer::UnknownCode| OpsError::invalid("channel", e.to_string()))?,
        kind: kind
            .parse()
            .map_err(|e: crate::domain::customer::UnknownCode| OpsError::invalid("kind", e.to_string()))?,
        note: String::new(),
        amount_fen: None,
        created_by: Some(actor.id),
    };
    let interaction = merge(base, fields, today)?;
    let id = interaction_store::insert_interaction(&mut tx, customer_id, &interaction).await?;
    refresh(&mut tx, store, customer_id).await?;
    let after = interaction_store::interaction_in_tx(&mut tx, id).await?;
    audit_change(&mut tx, actor, AuditAction::Create, "interaction", id, None, after.as_ref().map(view)).await?;
    tx.commit().await?;
    Ok(id)
}

async fn load(tx: &mut Tx, store: &Store, actor: &Actor, id: i64) -> OpsResult<Interaction> {
    authz::require(actor, Permission::LogInteractions)?;
    let found = interaction_store::interaction_in_tx(tx, id).await?.ok_or(OpsError::NotFound)?;
    loggable(tx, store, actor, found.customer_id).await?;
    // Customer service corrects what it logged, not the reps' records.
    if actor.role == Role::Service && found.created_by != Some(actor.id) {
        return Err(OpsError::Forbidden);
    }
    Ok(found)
}

/// Corrects an interaction; the audit trail keeps what it said before.
pub async fn update(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: Option<i64>,
    fields: InteractionFields,
) -> OpsResult<Interaction> {
    let mut tx = store.begin().await?;
    let before = load(&mut tx, store, actor, id).await?;
    if let Some(v) = version
        && v != before.version
    {
        return Err(OpsError::Stale { current_version: before.version, current: view(&before) });
    }
    let base = NewInteraction {
        occurred_on: before.occurred_on,
        occurred_at: before.occurred_at.clone(),
        channel: before.channel,
        kind: before.kind,
        note: before.note.clone(),
        amount_fen: before.amount_fen,
        created_by: before.created_by,
    };
    let changed = merge(base, fields, crate::clock::today())?;
    if !interaction_store::update_interaction(&mut tx, id, Some(before.version), &changed).await? {
        return Err(OpsError::Stale { current_version: before.version + 1, current: view(&before) });
    }
    refresh(&mut tx, store, before.customer_id).await?;
    let after = interaction_store::interaction_in_tx(&mut tx, id).await?.ok_or(OpsError::NotFound)?;
    audit_change(&mut tx, actor, AuditAction::Update, "interaction", id, Some(view(&before)), Some(view(&after)))
        .await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn delete(store: &Store, actor: &Actor, id: i64) -> OpsResult<()> {
    let mut tx = store.begin().await?;
    let before = load(&mut tx, store, actor, id).await?;
    // A follow-up's interaction takes the follow-up with it (cascade): its
    // member's next action, last and first follow-up come from those left.
    let member = crate::store::execution::follow_ups::member_of_interaction(&mut tx, id).await?;
    interaction_store::delete_interaction(&mut tx, id).await?;
    if let Some(member_id) = member {
        crate::ops::execution::follow_ups::sync_next_action(&mut tx, member_id).await?;
    }
    refresh(&mut tx, store, before.customer_id).await?;
    audit_change(&mut tx, actor, AuditAction::Delete, "interaction", id, Some(view(&before)), None).await?;
    tx.commit().await?;
    Ok(())
}

/// Channels and kinds offered by forms.
pub fn choices() -> (Vec<Channel>, Vec<InteractionKind>) {
    (Channel::ALL.to_vec(), InteractionKind::ALL.to_vec())
}

/// Authorization and visibility only, before a request body is even read.
pub async fn check(store: &Store, actor: &Actor, id: i64) -> OpsResult<()> {
    let mut tx = store.begin_read().await?;
    load(&mut tx, store, actor, id).await.map(|_| ())
}

/// May `actor` log interactions on this customer?
pub async fn check_customer(store: &Store, actor: &Actor, customer_id: i64) -> OpsResult<()> {
    let mut tx = store.begin_read().await?;
    loggable(&mut tx, store, actor, customer_id).await
}

/// One interaction for its edit form, if `actor` may correct it.
pub async fn for_edit(store: &Store, actor: &Actor, id: i64) -> OpsResult<Interaction> {
    let mut tx = store.begin_read().await?;
    load(&mut tx, store, actor, id).await
}
