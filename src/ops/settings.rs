//! Team-wide settings that are not about one campaign: the phase rules
//! (working days each phase allows) and the sales regions.

use serde_json::json;

use super::authz::{self, Actor, Permission};
use super::{OpsError, OpsResult, audit_change};
use crate::domain::campaign::PhaseRules;
use crate::store::Store;
use crate::store::audit::AuditAction;

pub const PHASE_RULES_KEY: &str = "phases";

pub async fn phase_rules(store: &Store) -> OpsResult<PhaseRules> {
    Ok(store.setting(PHASE_RULES_KEY).await?.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default())
}

/// Changes the working days each phase allows (lead, admin).
pub async fn set_phase_rules(store: &Store, actor: &Actor, rules: PhaseRules) -> OpsResult<PhaseRules> {
    authz::require(actor, Permission::ManageSettings)?;
    for (field, days) in [
        ("kickoff_after_notice", rules.kickoff_after_notice),
        ("breakdown_after_notice", rules.breakdown_after_notice),
        ("rollout_after_start", rules.rollout_after_start),
        ("review_after_end", rules.review_after_end),
    ] {
        if days > 60 {
            return Err(OpsError::invalid(field, "at most 60 working days"));
        }
    }
    // Read under the write turn, so the audit's "before" is what this change replaced.
    let mut tx = store.begin().await?;
    let before = phase_rules(store).await?;
    let text = serde_json::to_string(&rules).map_err(|e| OpsError::Other(e.into()))?;
    crate::store::settings::set_in_tx(&mut tx, PHASE_RULES_KEY, &text).await?;
    audit_change(
        &mut tx,
        actor,
        AuditAction::Update,
        "settings",
        0,
        Some(json!({ "phases": before })),
        Some(json!({ "phases": rules })),
    )
    .await?;
    tx.commit().await?;
    Ok(rules)
}
