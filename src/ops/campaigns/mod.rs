//! Campaign planning (phases 1 and 2): the plan, its deadlines on the
//! official working-day calendar and its milestones. The target list, the
//! breakdown and the spreadsheets are in the submodules.

use chrono::NaiveDate;
use serde_json::json;

use super::authz::{self, Actor, Permission};
use super::{OpsError, OpsResult, audit_change, check_date, optional_multiline, optional_text, required_text};
use crate::domain::calendar::WorkCalendar;
use crate::domain::campaign::{
    self, CampaignDates, CampaignKind, CampaignStatus, MILESTONES, Phase, PhaseRules, Urgency,
};
use crate::domain::team::Role;
use crate::store::Store;
use crate::store::audit::AuditAction;
use crate::store::campaigns::{self as campaign_store, Campaign, Milestone};

pub mod breakdown;
pub mod export;
pub mod members;
pub mod notice;

/// Fields of the plan; `None` keeps (on edit) or defaults (on create).
#[derive(Clone, Debug, Default)]
pub struct CampaignFields {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub theme: Option<String>,
    pub selling_points: Option<String>,
    pub segment: Option<String>,
    pub announced_on: Option<NaiveDate>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub resource_support: Option<String>,
    pub goal_reached: Option<i64>,
    pub goal_intent: Option<i64>,
    pub goal_orders: Option<i64>,
    pub goal_sales_fen: Option<i64>,
    pub goal_roi: Option<f64>,
    pub lead_email: Option<Option<String>>,
    pub marketing_email: Option<Option<String>>,
    pub service_email: Option<Option<String>>,
    pub collateral_needs: Option<String>,
    pub training_needs: Option<String>,
    pub resource_risks: Option<String>,
    pub budget_fen: Option<i64>,
    pub cost_items: Option<String>,
    pub notes: Option<String>,
    /// The marketing notice the plan was read from.
    pub notice_text: Option<String>,
    /// Start from this SOP template: its texts, playbook, phase rules,
    /// checklist, lessons and goal ratios fill what is not given.
    pub template_id: Option<i64>,
}

async fn user_of_role(
    store: &Store,
    field: &'static str,
    email: Option<String>,
    roles: &[Role],
) -> OpsResult<Option<i64>> {
    let Some(email) = email.map(|e| e.trim().to_owned()).filter(|e| !e.is_empty()) else {
        return Ok(None);
    };
    match store.user_by_email(&email).await? {
        Some(u) if u.active && roles.contains(&u.role) => Ok(Some(u.id)),
        _ => Err(OpsError::invalid(field, format!("{email:?} is not an active team member of the right role"))),
    }
}

fn count(field: &'static str, v: i64) -> OpsResult<i64> {
    if (0..=10_000_000).contains(&v) {
        Ok(v)
    } else {
        Err(OpsError::invalid(field, format!("{field} must be 0 or more")))
    }
}

/// Why `status` cannot be set to `reviewed` (the pages match on "review is held").
pub const REVIEWED_BY_HOLDING: &str =
    "a campaign becomes reviewed when its review is held: hold the review on the campaign's review page";
/// Why a reviewed campaign's status cannot change (the pages match on "reviewed campaign").
pub const REVIEWED_STAYS: &str = "a reviewed campaign's numbers are frozen: its status stays reviewed";

async fn merge(store: &Store, base: Campaign, f: CampaignFields, creating: bool) -> OpsResult<Campaign> {
    let mut c = base;
    if let Some(v) = f.name {
        c.name = required_text("name", &v, 200)?;
    }
    if let Some(v) = f.kind {
        c.kind = v.parse::<CampaignKind>().map_err(|e| OpsError::invalid("kind", e.to_string()))?;
    }
    if let Some(v) = f.status {
        let next: CampaignStatus =
            v.parse().map_err(|e: campaign::UnknownValue| OpsError::invalid("status", e.to_string()))?;
        let current = c.status;
        // `reviewed` means the review was held and the numbers frozen: only
        // `ops::review::hold` makes a campaign reviewed, and nothing undoes it.
        if next == CampaignStatus::Reviewed && (creating || current != CampaignStatus::Reviewed) {
            let how = if creating {
                String::new()
            } else {
                format!(" (/campaigns/{id}/review, or POST /api/v1/campaigns/{id}/review/held)", id = c.id)
            };
            return Err(OpsError::invalid("status", format!("{REVIEWED_BY_HOLDING}{how}")));
        }
        if !creating && current == CampaignStatus::Reviewed && next != CampaignStatus::Reviewed {
            return Err(OpsError::invalid("status", REVIEWED_STAYS));
        }
        if !creating && !current.can_become(next) {
            return Err(OpsError::invalid(
                "status",
                format!("a {} campaign cannot become {}", current.as_str(), next.as_str()),
            ));
        }
        c.status = next;
    }
    if let Some(v) = f.theme {
        c.theme = optional_text("theme", &v, 500)?;
    }
    // The notice is the record of what marketing sent: given when the
    // campaign is created from it, never rewritten afterwards.
    if !creating && f.notice_text.as_ref().is_some_and(|v| v.trim() != c.notice_text.trim()) {
        return Err(OpsError::invalid("notice_text", "the notice is kept as the campaign was created from it"));
    }
    // The plan's lists and notes may span lines.
    for (field, value, slot, max) in [
        ("selling_points", f.selling_points, &mut c.selling_points, 2000),
        ("resource_support", f.resource_support, &mut c.resource_support, 2000),
        ("collateral_needs", f.collateral_needs, &mut c.collateral_needs, 2000),
        ("training_needs", f.training_needs, &mut c.training_needs, 2000),
        ("resource_risks", f.resource_risks, &mut c.resource_risks, 2000),
        ("cost_items", f.cost_items, &mut c.cost_items, 5000),
        ("notes", f.notes, &mut c.notes, 5000),
        ("notice_text", f.notice_text, &mut c.notice_text, crate::domain::notice::MAX_NOTICE_CHARS),
    ] {
        if let Some(v) = value {
            *slot = optional_multiline(field, &v, max)?;
        }
    }
    if let Some(v) = f.segment {
        let parsed = super::customers::parse_segment(Some(&v))?;
        c.segment = parsed.map(|e| e.to_string()).unwrap_or_default();
    }
    if let Some(d) = f.announced_on {
        c.announced_on = check_date("announced_on", d)?;
    }
    if let Some(d) = f.starts_on {
        c.starts_on = check_date("starts_on", d)?;
    }
    if let Some(d) = f.ends_on {
        c.ends_on = check_date("ends_on", d)?;
    }
    let dates = CampaignDates { announced_on: c.announced_on, starts_on: c.starts_on, ends_on: c.ends_on };
    dates.check().map_err(|(field, message)| OpsError::invalid(field, message))?;
    if let Some(v) = f.goal_reached {
        c.goal_reached = count("goals.reached", v)?;
    }
    if let Some(v) = f.goal_intent {
        c.goal_intent = count("goals.intent_customers", v)?;
    }
    if let Some(v) = f.goal_orders {
        c.goal_orders = count("goals.orders", v)?;
    }
    if let Some(v) = f.goal_sales_fen {
        if v < 0 {
            return Err(OpsError::invalid("goals.sales_amount", "the sales goal cannot be negative"));
        }
        c.goal_sales_fen = v;
    }
    if let Some(v) = f.goal_roi {
        if !v.is_finite() || !(0.0..=1000.0).contains(&v) {
            return Err(OpsError::invalid("goals.roi", "ROI is a ratio such as 3 (for 1:3)"));
        }
        c.goal_roi = v;
    }
    if let Some(v) = f.budget_fen {
        if v < 0 {
            return Err(OpsError::invalid("budget", "the budget cannot be negative"));
        }
        c.budget_fen = v;
    }
    if let Some(e) = f.lead_email {
        c.lead_id = user_of_role(store, "owners.lead", e, &[Role::Lead, Role::Admin]).await?;
    }
    if let Some(e) = f.marketing_email {
        c.marketing_id =
            user_of_role(store, "owners.marketing", e, &[Role::Marketing, Role::Lead, Role::Admin]).await?;
    }
    if let Some(e) = f.service_email {
        c.service_id = user_of_role(store, "owners.service", e, &[Role::Service, Role::Lead, Role::Admin]).await?;
    }
    if c.goal_orders > c.goal_intent && c.goal_intent > 0 {
        return Err(OpsError::invalid("goals.orders", "more orders than intent customers"));
    }
    Ok(c)
}

fn blank(today: NaiveDate) -> Campaign {
    Campaign {
        id: 0,
        name: String::new(),
        kind: CampaignKind::Other,
        status: CampaignStatus::Draft,
        theme: String::new(),
        selling_points: String::new(),
        segment: String::new(),
        announced_on: today,
        starts_on: today,
        ends_on: today,
        resource_support: String::new(),
        goal_reached: 0,
        goal_intent: 0,
        goal_orders: 0,
        goal_sales_fen: 0,
        goal_roi: 0.0,
        lead_id: None,
        marketing_id: None,
        service_id: None,
        collateral_needs: String::new(),
        training_needs: String::new(),
        resource_risks: String::new(),
        budget_fen: 0,
        cost_items: String::new(),
        notes: String::new(),
        notice_text: String::new(),
        template_id: None,
        phase_rules: None,
        version: 1,
    }
}

/// Creates a campaign; with `template_id`, the template fills what is not
/// given and the new campaign gets its playbook, phase rules and checklist.
pub async fn create(store: &Store, actor: &Actor, mut fields: CampaignFields) -> OpsResult<i64> {
    authz::require(actor, Permission::ManageCampaigns)?;
    let template = match fields.template_id {
        Some(id) => Some(super::templates::usable(store, id).await?),
        None => None,
    };
    if let Some(t) = &template {
        super::templates::prefill(&mut fields, t);
    }
    for (field, given) in [
        ("name", fields.name.is_some()),
        ("kind", fields.kind.is_some()),
        ("announced_on", fields.announced_on.is_some()),
        ("starts_on", fields.starts_on.is_some()),
        ("ends_on", fields.ends_on.is_some()),
    ] {
        if !given {
            return Err(OpsError::invalid(field, format!("{field} is required")));
        }
    }
    let mut base = blank(store.today());
    if actor.role == Role::Lead {
        base.lead_id = Some(actor.id);
    }
    if actor.role == Role::Marketing {
        base.marketing_id = Some(actor.id);
    }
    let mut c = merge(store, base, fields, true).await?;
    let from_template = match &template {
        Some(t) => {
            c.template_id = Some(t.stored.id);
            c.phase_rules = t.body.phase_rules;
            Some((t, super::calendar::calendar(store).await?, super::notify::Context::load(store).await?))
        }
        None => None,
    };
    let mut tx = store.begin().await?;
    let id = campaign_store::insert_campaign(&mut tx, &c, Some(actor.id)).await?;
    if let Some((t, calendar, notify_ctx)) = &from_template {
        super::templates::start_from(store, &mut tx, actor, id, &c, t, calendar, notify_ctx).await?;
    }
    let after = campaign_store::campaign(tx.conn(), id).await?;
    audit_change(&mut tx, actor, AuditAction::Create, "campaign", id, None, after.map(|c| json!(c))).await?;
    tx.commit().await?;
    Ok(id)
}

/// Authorization and existence only, before a request body is read.
pub async fn check_manage(store: &Store, actor: &Actor, id: i64) -> OpsResult<Campaign> {
    authz::require(actor, Permission::ManageCampaigns)?;
    store.campaign(id).await?.ok_or(OpsError::NotFound)
}

pub async fn update(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: Option<i64>,
    fields: CampaignFields,
) -> OpsResult<()> {
    update_with(store, actor, id, version, fields, false).await
}

/// [`update`], saying whether to make the campaign active although items of
/// its pre-rollout checklist are not confirmed (the override is recorded).
/// Becoming active plans every member's playbook tasks; a change to what
/// collateral says makes delivered items stale.
pub async fn update_with(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: Option<i64>,
    fields: CampaignFields,
    confirm_unready: bool,
) -> OpsResult<()> {
    authz::require(actor, Permission::ManageCampaigns)?;
    if fields.template_id.is_some() {
        return Err(OpsError::invalid("template_id", "a campaign starts from a template only when it is created"));
    }
    let calendar = super::calendar::calendar(store).await?;
    let notify_ctx = super::notify::Context::load(store).await?;
    let mut tx = store.begin().await?;
    let before = campaign_store::campaign(tx.conn(), id).await?.ok_or(OpsError::NotFound)?;
    if let Some(v) = version
        && v != before.version
    {
        return Err(OpsError::Stale { current_version: before.version, current: json!(before) });
    }
    let changed = merge(store, before.clone(), fields, false).await?;
    let activating = before.status != CampaignStatus::Active && changed.status == CampaignStatus::Active;
    let mut overridden = Vec::new();
    if activating {
        let unready = super::execution::requests::unready(&mut tx, id).await?;
        if !unready.is_empty() && !confirm_unready {
            let items: Vec<String> = unready.iter().map(|r| r.item.clone()).collect();
            return Err(OpsError::invalid(
                "confirm_unready",
                format!(
                    "{} resource item(s) are not confirmed ({}); confirm to make the campaign active anyway",
                    items.len(),
                    items.join(", ")
                ),
            ));
        }
        overridden = unready.iter().map(|r| json!({ "id": r.id, "item": r.item, "status": r.status })).collect();
    }
    if !campaign_store::update_campaign(&mut tx, &changed, before.version).await? {
        return Err(OpsError::Stale { current_version: before.version + 1, current: json!(before) });
    }
    let stale_fields = super::execution::requests::after_campaign_edit(&mut tx, &before, &changed).await?;
    if stale_fields.is_some() {
        super::execution::requests::tell_stale(store, &mut tx, &notify_ctx, actor, id).await?;
    }
    // A campaign that ends gets its review draft (phase 4), pre-filled from its records.
    if before.status != CampaignStatus::Ended && changed.status == CampaignStatus::Ended {
        let users = store.users().await?;
        super::review::create_draft(&mut tx, &changed, &calendar, &users, store.today(), Some(actor.id)).await?;
    }
    let planned = if activating {
        super::execution::tasks::plan_new_members(&mut tx, &calendar, id, changed.starts_on).await?
    } else {
        0
    };
    let after = campaign_store::campaign(tx.conn(), id).await?;
    let mut after_json = after.map(|c| json!(c));
    if let Some(a) = after_json.as_mut() {
        if !overridden.is_empty() {
            a["activated_with_unconfirmed_resources"] = json!(overridden);
        }
        if let Some(fields) = stale_fields {
            a["collateral_stale_after"] = json!(fields);
        }
        if planned > 0 {
            a["tasks_planned"] = json!(planned);
        }
    }
    audit_change(&mut tx, actor, AuditAction::Update, "campaign", id, Some(json!(before)), after_json).await?;
    tx.commit().await?;
    Ok(())
}

/// A phase with how it stands today.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PhaseStatus {
    #[serde(flatten)]
    pub phase: Phase,
    pub milestone: &'static str,
    pub planned_on: Option<NaiveDate>,
    pub done_on: Option<NaiveDate>,
    pub urgency: Urgency,
}

/// Everyone on the team can open a campaign and its plan.
pub struct CampaignView {
    pub campaign: Campaign,
    pub phases: Vec<PhaseStatus>,
}

/// What every deadline of a request is computed with: the calendar, the
/// team's phase rules and today, loaded once per request (a list of fifty
/// campaigns does not parse the calendar fifty times).
pub struct Planning {
    pub calendar: WorkCalendar,
    pub rules: PhaseRules,
    pub today: NaiveDate,
}

impl Planning {
    pub async fn load(store: &Store) -> OpsResult<Planning> {
        Ok(Planning {
            calendar: super::calendar::calendar(store).await?,
            rules: super::settings::phase_rules(store).await?,
            today: store.today(),
        })
    }

    /// The phase rules `c` follows: its template's, or the team's.
    pub fn rules_of(&self, c: &Campaign) -> PhaseRules {
        c.phase_rules.unwrap_or(self.rules)
    }

    /// The four phases of `c` with their milestones and how each stands today.
    pub fn phases_of(&self, c: &Campaign, milestones: &[Milestone]) -> Vec<PhaseStatus> {
        let dates = CampaignDates { announced_on: c.announced_on, starts_on: c.starts_on, ends_on: c.ends_on };
        campaign::phases(&dates, &self.rules_of(c), &self.calendar)
            .into_iter()
            .map(|phase| {
                let (key, _) =
                    MILESTONES.iter().copied().find(|(_, n)| *n == phase.number).unwrap_or(("kickoff_held", 1));
                let m = milestones.iter().find(|m| m.key == key);
                let done_on = m.and_then(|m| m.done_on);
                let urgency = campaign::urgency(phase.due_on, done_on.is_some(), self.today, &self.calendar);
                PhaseStatus { phase, milestone: key, planned_on: m.and_then(|m| m.planned_on), done_on, urgency }
            })
            .collect()
    }
}

/// One campaign with its phases (everyone on the team may read campaigns).
pub async fn get(store: &Store, actor: &Actor, id: i64) -> OpsResult<CampaignView> {
    authz::require(actor, Permission::ReadCampaigns)?;
    let campaign = store.campaign(id).await?.ok_or(OpsError::NotFound)?;
    let milestones = store.milestones(id).await?;
    let phases = Planning::load(store).await?.phases_of(&campaign, &milestones);
    Ok(CampaignView { campaign, phases })
}

/// Every campaign with its phases, newest start first: one read of the
/// campaigns, one of the milestones, one of the calendar and rules.
pub async fn list(store: &Store, actor: &Actor) -> OpsResult<Vec<CampaignView>> {
    authz::require(actor, Permission::ReadCampaigns)?;
    let campaigns = store.campaigns().await?;
    let mut milestones = store.all_milestones().await?;
    let planning = Planning::load(store).await?;
    Ok(campaigns
        .into_iter()
        .map(|campaign| {
            let phases = planning.phases_of(&campaign, &milestones.remove(&campaign.id).unwrap_or_default());
            CampaignView { campaign, phases }
        })
        .collect())
}

/// What the campaign still lacks before rollout (empty once it is ready).
pub async fn missing(store: &Store, actor: &Actor, id: i64) -> OpsResult<Vec<campaign::Missing>> {
    let c = readable(store, actor, id).await?;
    let members = store.member_counts(id).await?.iter().map(|(_, _, n)| n).sum();
    let breakdown_saved = !store.breakdown(id).await?.is_empty();
    Ok(campaign::missing_before_rollout(campaign::RolloutFacts {
        has_segment: !c.segment.trim().is_empty(),
        members,
        intent_goal: c.goal_intent,
        has_lead: c.lead_id.is_some(),
        breakdown_saved,
    }))
}

/// Makes a draft campaign active (启动活动), as the edit form's status
/// would, naming the version the lead saw.
pub async fn activate(store: &Store, actor: &Actor, id: i64, version: Option<i64>) -> OpsResult<()> {
    let fields =
        CampaignFields { status: Some(CampaignStatus::Active.as_str().to_owned()), ..CampaignFields::default() };
    update(store, actor, id, version, fields).await
}

/// A campaign that exists and that `actor` may read; 404 otherwise.
pub async fn readable(store: &Store, actor: &Actor, id: i64) -> OpsResult<Campaign> {
    authz::require(actor, Permission::ReadCampaigns)?;
    store.campaign(id).await?.ok_or(OpsError::NotFound)
}

/// Records a milestone's planned and actual dates (those who plan the campaign).
pub async fn set_milestone(
    store: &Store,
    actor: &Actor,
    id: i64,
    key: &str,
    planned_on: Option<NaiveDate>,
    done_on: Option<NaiveDate>,
) -> OpsResult<()> {
    check_manage(store, actor, id).await?;
    if !MILESTONES.iter().any(|(k, _)| *k == key) {
        return Err(OpsError::NotFound);
    }
    let planned_on = planned_on.map(|d| check_date("planned_on", d)).transpose()?;
    let done_on = done_on.map(|d| check_date("done_on", d)).transpose()?;
    if let Some(d) = done_on
        && d > store.today()
    {
        return Err(OpsError::invalid("done_on", "a milestone cannot be done in the future"));
    }
    // Read under the write turn, so the audit's "before" is what this change replaced.
    let mut tx = store.begin().await?;
    let before = store.milestones(id).await?.into_iter().find(|m| m.key == key);
    campaign_store::set_milestone(&mut tx, id, key, planned_on, done_on).await?;
    audit_change(
        &mut tx,
        actor,
        AuditAction::Update,
        "campaign",
        id,
        before.map(|m| json!({ "milestone": m })),
        Some(json!({ "milestone": { "key": key, "planned_on": planned_on, "done_on": done_on } })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
