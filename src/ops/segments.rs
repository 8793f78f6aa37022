//! Saved segments and the team's tier thresholds.

use serde_json::json;

use super::authz::{self, Actor, Permission};
use super::{OpsError, OpsResult, audit_change, required_text};
use crate::domain::segment::{self, TierRules};
use crate::store::audit::AuditAction;
use crate::store::customers::refresh_activity;
use crate::store::segments::{self as segment_store, SavedSegment};
use crate::store::{Store, StoreError};

pub async fn list(store: &Store, actor: &Actor) -> OpsResult<Vec<SavedSegment>> {
    authz::require(actor, Permission::ReadCustomers)?;
    Ok(store.saved_segments().await?)
}

/// Validates and canonicalises the expression (what is stored is what the
/// parser prints, so equal filters look equal).
fn canonical(expression: &str) -> OpsResult<String> {
    super::check_chars("expression", expression, false)?;
    let expr = segment::parse(expression).map_err(|e| OpsError::invalid("expression", e.to_string()))?;
    Ok(expr.to_string())
}

fn taken(err: StoreError) -> OpsError {
    match err {
        StoreError::Conflict(_) => OpsError::invalid("name", "a saved segment already has this name"),
        other => other.into(),
    }
}

pub async fn create(store: &Store, actor: &Actor, name: &str, expression: &str) -> OpsResult<SavedSegment> {
    authz::require(actor, Permission::SaveSegments)?;
    let name = required_text("name", name, 100)?;
    let expression = canonical(expression)?;
    let mut tx = store.begin().await?;
    let id = segment_store::insert_segment(&mut tx, &name, &expression, actor.id).await.map_err(taken)?;
    let saved = segment_store::segment_in_tx(&mut tx, id).await?.ok_or(OpsError::NotFound)?;
    audit_change(&mut tx, actor, AuditAction::Create, "segment", id, None, Some(json!(saved))).await?;
    tx.commit().await?;
    Ok(saved)
}

/// The author or a lead/admin may change or delete a saved segment.
async fn owned(tx: &mut crate::store::Tx, actor: &Actor, id: i64) -> OpsResult<SavedSegment> {
    authz::require(actor, Permission::SaveSegments)?;
    let saved = segment_store::segment_in_tx(tx, id).await?.ok_or(OpsError::NotFound)?;
    let may = saved.created_by == Some(actor.id) || authz::allows(actor.role, Permission::ManageSettings);
    if may { Ok(saved) } else { Err(OpsError::Forbidden) }
}

pub async fn update(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: Option<i64>,
    name: Option<&str>,
    expression: Option<&str>,
) -> OpsResult<SavedSegment> {
    let mut tx = store.begin().await?;
    let before = owned(&mut tx, actor, id).await?;
    if let Some(v) = version
        && v != before.version
    {
        return Err(OpsError::Stale { current_version: before.version, current: json!(before) });
    }
    let name = match name {
        Some(n) => required_text("name", n, 100)?,
        None => before.name.clone(),
    };
    let expression = match expression {
        Some(e) => canonical(e)?,
        None => before.expression.clone(),
    };
    if !segment_store::update_segment(&mut tx, id, before.version, &name, &expression).await.map_err(taken)? {
        return Err(OpsError::Stale { current_version: before.version + 1, current: json!(before) });
    }
    let after = segment_store::segment_in_tx(&mut tx, id).await?.ok_or(OpsError::NotFound)?;
    audit_change(&mut tx, actor, AuditAction::Update, "segment", id, Some(json!(before)), Some(json!(after))).await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn delete(store: &Store, actor: &Actor, id: i64) -> OpsResult<()> {
    let mut tx = store.begin().await?;
    let before = owned(&mut tx, actor, id).await?;
    segment_store::delete_segment(&mut tx, id).await?;
    audit_change(&mut tx, actor, AuditAction::Delete, "segment", id, Some(json!(before)), None).await?;
    tx.commit().await?;
    Ok(())
}

fn rules_json(r: &TierRules) -> serde_json::Value {
    json!({ "s_min_interactions": r.s_min_interactions, "s_window_days": r.s_window_days, "b_window_days": r.b_window_days })
}

/// Changes the tier thresholds (lead, admin). A new S threshold recomputes
/// every customer's anchor date once, here, so reads never recompute.
pub async fn set_tier_rules(store: &Store, actor: &Actor, rules: TierRules) -> OpsResult<TierRules> {
    authz::require(actor, Permission::ManageSettings)?;
    if !(1..=100).contains(&rules.s_min_interactions) {
        return Err(OpsError::invalid("s_min_interactions", "between 1 and 100 interactions"));
    }
    if !(1..=366).contains(&rules.s_window_days) {
        return Err(OpsError::invalid("s_window_days", "between 1 and 366 days"));
    }
    if !(1..=366).contains(&rules.b_window_days) {
        return Err(OpsError::invalid("b_window_days", "between 1 and 366 days"));
    }
    let before = super::customers::tier_rules(store).await?;
    let mut tx = store.begin().await?;
    crate::store::settings::set_in_tx(&mut tx, super::customers::TIER_RULES_KEY, &rules_json(&rules).to_string())
        .await?;
    if rules.s_min_interactions != before.s_min_interactions {
        refresh_activity(&mut tx, None, i64::from(rules.s_min_interactions)).await?;
    }
    audit_change(
        &mut tx,
        actor,
        AuditAction::Update,
        "settings",
        0,
        Some(rules_json(&before)),
        Some(rules_json(&rules)),
    )
    .await?;
    tx.commit().await?;
    Ok(rules)
}

/// Authorization and existence only, before a request body is even read.
pub async fn check(store: &Store, actor: &Actor, id: i64) -> OpsResult<()> {
    let mut tx = store.begin().await?;
    owned(&mut tx, actor, id).await.map(|_| ())
}
