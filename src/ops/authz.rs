//! Who may do what. Every page and API handler asks here (through the `ops`
//! functions), so the UI and the API cannot disagree.
//!
//! Answers: no credentials → 401 (web layer); an action the role may not take
//! → [`OpsError::Forbidden`] (403); an object outside one's visibility →
//! [`OpsError::NotFound`] (404, so its existence is not leaked).

use super::{OpsError, OpsResult};
use crate::domain::team::Role;
use crate::store::customers::CustomerScope;
use crate::store::users::User;

/// The signed-in person a request acts for.
#[derive(Clone, Debug)]
pub struct Actor {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub region: Option<String>,
    pub locale: String,
}

impl From<User> for Actor {
    fn from(u: User) -> Self {
        Actor { id: u.id, email: u.email, name: u.name, role: u.role, region: u.region, locale: u.locale }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    ReadCustomers,
    /// Customers' private notes (marketing and support do not see them).
    ReadCustomerNotes,
    WriteCustomers,
    /// Deleting a customer and its history (lead and admin).
    DeleteCustomers,
    /// Logging interactions: the customer's editors, and customer service,
    /// which answers campaign inquiries for any customer.
    LogInteractions,
    /// Changing team-wide settings such as the tier thresholds.
    ManageSettings,
    /// Saving shared segments.
    SaveSegments,
    /// Opening campaigns, their plans, target lists (a rep: their part) and breakdowns.
    ReadCampaigns,
    /// Creating and planning campaigns (marketing launches them, the lead runs them).
    ManageCampaigns,
    /// Importing a new year of the official holiday calendar.
    ManageCalendar,
    ReadTeam,
    ManageTeam,
    ReadAudit,
    /// Configuring notification channels and events, reading the delivery
    /// log and retrying dead jobs (robot URLs and keys are the admin's).
    ManageNotifications,
    /// Logging follow-ups (template 3) on one's members (a lead: any member).
    LogFollowUps,
    /// Running a campaign's execution: the playbook, reassigning members,
    /// correcting stages, deciding and escalating blockers, any rep's day.
    RunCampaigns,
    /// Asking marketing and support for collateral and support.
    RequestResources,
    /// Working a request queue (which kinds: `domain::execution::requests`).
    HandleRequests,
    /// Raising a blocker on a campaign or member (anyone on the campaign).
    RaiseBlockers,
    /// Answering escalated blockers (management).
    AnswerEscalations,
    /// Editing the script library (marketing and leads).
    EditScripts,
    /// Deleting a follow-up record: an admin act, recorded.
    DeleteFollowUps,
    /// Reading the knowledge base's published entries (everyone).
    ReadKnowledge,
    /// Proposing knowledge entries (reps and customer service; curators too).
    ProposeKnowledge,
    /// Curating the knowledge base: publishing, editing, merging, retiring
    /// (marketing and leads).
    CurateKnowledge,
    /// Marking a knowledge entry "helped" (有帮助): those who log follow-ups
    /// and use the suggestions on the follow-up form (reps, leads, admins).
    MarkKnowledgeHelped,
}

pub fn allows(role: Role, permission: Permission) -> bool {
    use Permission::*;
    use Role::*;
    match permission {
        ReadCustomers | ReadTeam | ReadCampaigns | ReadKnowledge => true,
        ReadCustomerNotes => matches!(role, Admin | Lead | Rep | Service | Viewer),
        WriteCustomers => matches!(role, Admin | Lead | Rep),
        DeleteCustomers | ManageSettings => matches!(role, Admin | Lead),
        LogInteractions => matches!(role, Admin | Lead | Rep | Service),
        SaveSegments => matches!(role, Admin | Lead | Rep | Marketing),
        ManageCampaigns => matches!(role, Admin | Lead | Marketing),
        ManageCalendar => role == Admin,
        ManageTeam => role == Admin,
        ReadAudit => matches!(role, Admin | Lead),
        ManageNotifications => role == Admin,
        LogFollowUps | RequestResources | MarkKnowledgeHelped => matches!(role, Admin | Lead | Rep),
        RunCampaigns => matches!(role, Admin | Lead),
        HandleRequests => matches!(role, Admin | Marketing | Support),
        RaiseBlockers => matches!(role, Admin | Lead | Rep | Marketing | Service | Support),
        AnswerEscalations => matches!(role, Admin | Viewer),
        EditScripts => matches!(role, Admin | Lead | Marketing),
        DeleteFollowUps => role == Admin,
        ProposeKnowledge => matches!(role, Admin | Lead | Marketing | Rep | Service),
        CurateKnowledge => matches!(role, Admin | Lead | Marketing),
    }
}

pub fn require(actor: &Actor, permission: Permission) -> OpsResult<()> {
    if allows(actor.role, permission) { Ok(()) } else { Err(OpsError::Forbidden) }
}

/// A rep sees their own customers and the unassigned pool; everyone else all.
pub fn customer_scope(actor: &Actor) -> CustomerScope {
    match actor.role {
        Role::Rep => CustomerScope::OwnAndUnassigned(actor.id),
        _ => CustomerScope::All,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewer_reads_everything_and_changes_nothing() {
        assert!(allows(Role::Viewer, Permission::ReadCustomers));
        assert!(allows(Role::Viewer, Permission::ReadCustomerNotes));
        assert!(!allows(Role::Viewer, Permission::WriteCustomers));
        assert!(!allows(Role::Viewer, Permission::ManageTeam));
    }

    #[test]
    fn marketing_does_not_see_private_notes() {
        assert!(allows(Role::Marketing, Permission::ReadCustomers));
        assert!(!allows(Role::Marketing, Permission::ReadCustomerNotes));
    }

    #[test]
    fn only_admins_manage_the_team_and_leads_read_the_audit() {
        for role in Role::ALL {
            assert_eq!(allows(role, Permission::ManageTeam), role == Role::Admin);
            assert_eq!(allows(role, Permission::ReadAudit), matches!(role, Role::Admin | Role::Lead));
        }
    }
}
