//! Running a campaign (phase 3): follow-ups and member stages, assignment
//! and claims, the playbook's tasks, progress, the stand-up and a rep's day,
//! collateral and support requests, blockers and scripts. Every function
//! checks permission, then visibility (404 for what one cannot see), then
//! the input.

use serde_json::json;

use super::authz::{self, Actor, Permission};
use super::{OpsError, OpsResult, audit_change};
use crate::domain::execution::{DEFAULT_LOST_REASONS, TimeOfDay, check_lost_reasons, standup::default_cutoff};
use crate::domain::team::Role;
use crate::store::Store;
use crate::store::audit::AuditAction;
use crate::store::execution::{self as exec_store, MemberRecord};

pub mod blockers;
pub mod export;
pub mod follow_ups;
pub mod members;
pub mod reports;
pub mod requests;
pub mod scripts;
pub mod tasks;

/// Team settings for execution (lead, admin).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExecutionSettings {
    /// Reasons a member is lost (codes of the default list or the team's words).
    pub lost_reasons: Vec<String>,
    /// When the day's follow-up record is due (stand-up's 未更新), `HH:MM`.
    pub standup_cutoff: String,
}

impl Default for ExecutionSettings {
    fn default() -> Self {
        ExecutionSettings {
            lost_reasons: DEFAULT_LOST_REASONS.iter().map(|s| (*s).to_owned()).collect(),
            standup_cutoff: default_cutoff().to_string(),
        }
    }
}

impl ExecutionSettings {
    pub fn cutoff(&self) -> TimeOfDay {
        self.standup_cutoff.parse().unwrap_or_else(|()| default_cutoff())
    }
}

pub const SETTINGS_KEY: &str = "execution";

pub async fn settings(store: &Store) -> OpsResult<ExecutionSettings> {
    Ok(store.setting(SETTINGS_KEY).await?.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default())
}

pub async fn set_settings(store: &Store, actor: &Actor, new: ExecutionSettings) -> OpsResult<ExecutionSettings> {
    authz::require(actor, Permission::ManageSettings)?;
    let lost_reasons = check_lost_reasons(&new.lost_reasons).map_err(|m| OpsError::invalid("lost_reasons", m))?;
    let cutoff: TimeOfDay = new.standup_cutoff.parse().map_err(|()| {
        OpsError::invalid("standup_cutoff", format!("{:?} is not a time like 18:00", new.standup_cutoff))
    })?;
    let clean = ExecutionSettings { lost_reasons, standup_cutoff: cutoff.to_string() };
    let before = settings(store).await?;
    let text = serde_json::to_string(&clean).map_err(|e| OpsError::Other(e.into()))?;
    let mut tx = store.begin().await?;
    crate::store::settings::set_in_tx(&mut tx, SETTINGS_KEY, &text).await?;
    audit_change(
        &mut tx,
        actor,
        AuditAction::Update,
        "settings",
        0,
        Some(json!({ "execution": before })),
        Some(json!({ "execution": clean })),
    )
    .await?;
    tx.commit().await?;
    Ok(clean)
}

/// Everyone on the team reads the settings (forms offer the lost reasons).
pub async fn read_settings(store: &Store, actor: &Actor) -> OpsResult<ExecutionSettings> {
    authz::require(actor, Permission::ReadCampaigns)?;
    settings(store).await
}

/// Whether `actor` may see `m`: a rep sees their own members and the
/// unassigned members of their region (which they may claim); everyone else
/// who reads campaigns sees all.
pub fn can_see(actor: &Actor, m: &MemberRecord) -> bool {
    match actor.role {
        Role::Rep => match m.assignee_id {
            Some(a) => a == actor.id,
            None => actor.region.as_deref() == Some(m.region.as_str()),
        },
        _ => authz::allows(actor.role, Permission::ReadCampaigns),
    }
}

/// Whether `actor` may work `m` (log follow-ups, raise its blockers as its
/// rep): its assignee, or a lead or admin.
pub fn can_work(actor: &Actor, m: &MemberRecord) -> bool {
    match actor.role {
        Role::Rep => m.assignee_id == Some(actor.id),
        _ => authz::allows(actor.role, Permission::RunCampaigns),
    }
}

/// The member if it exists and `actor` may see it (404 otherwise).
pub async fn visible_member(
    store: &Store,
    actor: &Actor,
    campaign_id: i64,
    customer_id: i64,
) -> OpsResult<MemberRecord> {
    authz::require(actor, Permission::ReadCampaigns)?;
    let m =
        exec_store::member(store.acquire().await?.conn(), campaign_id, customer_id).await?.ok_or(OpsError::NotFound)?;
    if can_see(actor, &m) { Ok(m) } else { Err(OpsError::NotFound) }
}

/// China time of an instant (the team's day and clock).
pub fn in_china(at: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::FixedOffset> {
    at.with_timezone(&crate::clock::china_offset())
}

/// Authorization and existence for a lead's act on a campaign, before a
/// request body is read.
pub async fn check_run(store: &Store, actor: &Actor, campaign_id: i64) -> OpsResult<()> {
    authz::require(actor, Permission::RunCampaigns)?;
    store.campaign(campaign_id).await?.map(|_| ()).ok_or(OpsError::NotFound)
}

/// A team member's id by email, for filters (`field` names the input).
pub async fn member_of_team(store: &Store, actor: &Actor, field: &'static str, email: &str) -> OpsResult<i64> {
    authz::require(actor, Permission::ReadTeam)?;
    Ok(store
        .user_by_email(email.trim())
        .await?
        .ok_or_else(|| OpsError::invalid(field, format!("{email:?} is not on the team")))?
        .id)
}
