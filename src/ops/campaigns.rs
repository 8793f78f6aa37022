//! Campaign planning (phases 1 and 2): the plan, deadlines on the official
//! working-day calendar, milestones, the target list and the goal breakdown.

use chrono::{Days, NaiveDate};
use serde_json::json;

use super::authz::{self, Actor, Permission};
use super::{OpsError, OpsResult, audit_change, optional_text, required_text};
use crate::domain::breakdown::{self, History, RealismCheck, RepBasis};
use crate::domain::calendar::WorkCalendar;
use crate::domain::campaign::{
    self, CampaignDates, CampaignKind, CampaignStatus, MILESTONES, Phase, PhaseRules, Urgency,
};
use crate::domain::team::Role;
use crate::store::Store;
use crate::store::audit::AuditAction;
use crate::store::campaigns::{self as campaign_store, BreakdownRow, Campaign, Member, MemberQuery, Milestone};
use crate::store::customers::{CustomerFilter, CustomerScope, TierBasis};

/// How far back "similar campaigns" reach.
pub const HISTORY_DAYS: u64 = 90;

/// The official calendar plus the years an admin imported.
pub async fn calendar(store: &Store) -> OpsResult<WorkCalendar> {
    let mut cal = WorkCalendar::official();
    for (year, data) in store.calendar_years().await? {
        match WorkCalendar::from_json(&data) {
            Ok(imported) => cal.merge(imported),
            Err(e) => tracing::warn!(year, error = %e, "a stored calendar year does not parse; ignoring it"),
        }
    }
    Ok(cal)
}

/// Imports a year (or several) of the official schedule (admin).
pub async fn import_calendar(store: &Store, actor: Option<&Actor>, json_text: &str) -> OpsResult<Vec<i32>> {
    if let Some(a) = actor {
        authz::require(a, Permission::ManageCalendar)?;
    }
    let parsed = WorkCalendar::from_json(json_text).map_err(|e| OpsError::invalid("calendar", e.to_string()))?;
    let mut years = Vec::new();
    for year in parsed.years() {
        if !parsed.covers(year) {
            continue;
        }
        let Some(single) = parsed.only(year) else { continue };
        store.save_calendar_year(year, &single.to_json(), actor.map(|a| a.id)).await?;
        years.push(year);
    }
    if years.is_empty() {
        return Err(OpsError::invalid("calendar", "the file has no year with an announced schedule"));
    }
    Ok(years)
}

pub const PHASE_RULES_KEY: &str = "phases";

pub async fn phase_rules(store: &Store) -> OpsResult<PhaseRules> {
    Ok(store.setting(PHASE_RULES_KEY).await?.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default())
}

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

async fn merge(store: &Store, base: Campaign, f: CampaignFields, creating: bool) -> OpsResult<Campaign> {
    let mut c = base;
    if let Some(v) = f.name {
        c.name = required_text("name", &v, 200)?;
    }
    if let Some(v) = f.kind {
        c.kind = v.parse::<CampaignKind>().map_err(|e| OpsError::invalid("kind", e.to_string()))?.as_str().to_owned();
    }
    if let Some(v) = f.status {
        let next: CampaignStatus =
            v.parse().map_err(|e: campaign::UnknownValue| OpsError::invalid("status", e.to_string()))?;
        let current: CampaignStatus = c.status.parse().unwrap_or(CampaignStatus::Draft);
        if !creating && !current.can_become(next) {
            return Err(OpsError::invalid(
                "status",
                format!("a {} campaign cannot become {}", current.as_str(), next.as_str()),
            ));
        }
        c.status = next.as_str().to_owned();
    }
    for (field, value, slot, max) in [
        ("theme", f.theme, &mut c.theme, 500),
        ("selling_points", f.selling_points, &mut c.selling_points, 2000),
        ("resource_support", f.resource_support, &mut c.resource_support, 2000),
        ("collateral_needs", f.collateral_needs, &mut c.collateral_needs, 2000),
        ("training_needs", f.training_needs, &mut c.training_needs, 2000),
        ("resource_risks", f.resource_risks, &mut c.resource_risks, 2000),
        ("cost_items", f.cost_items, &mut c.cost_items, 5000),
        ("notes", f.notes, &mut c.notes, 5000),
    ] {
        if let Some(v) = value {
            *slot = optional_text(field, &v, max)?;
        }
    }
    if let Some(v) = f.segment {
        let parsed = super::customers::parse_segment(Some(&v))?;
        c.segment = parsed.map(|e| e.to_string()).unwrap_or_default();
    }
    if let Some(d) = f.announced_on {
        c.announced_on = d;
    }
    if let Some(d) = f.starts_on {
        c.starts_on = d;
    }
    if let Some(d) = f.ends_on {
        c.ends_on = d;
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
        kind: "other".to_owned(),
        status: "draft".to_owned(),
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
        version: 1,
    }
}

pub async fn create(store: &Store, actor: &Actor, fields: CampaignFields) -> OpsResult<i64> {
    authz::require(actor, Permission::ManageCampaigns)?;
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
    let mut base = blank(crate::clock::today());
    if actor.role == Role::Lead {
        base.lead_id = Some(actor.id);
    }
    if actor.role == Role::Marketing {
        base.marketing_id = Some(actor.id);
    }
    let c = merge(store, base, fields, true).await?;
    let mut tx = store.begin().await?;
    let id = campaign_store::insert_campaign(&mut tx, &c, Some(actor.id)).await?;
    let after = campaign_store::campaign_in_tx(&mut tx, id).await?;
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
    authz::require(actor, Permission::ManageCampaigns)?;
    let mut tx = store.begin().await?;
    let before = campaign_store::campaign_in_tx(&mut tx, id).await?.ok_or(OpsError::NotFound)?;
    if let Some(v) = version
        && v != before.version
    {
        return Err(OpsError::Stale { current_version: before.version, current: json!(before) });
    }
    let changed = merge(store, before.clone(), fields, false).await?;
    if !campaign_store::update_campaign(&mut tx, &changed, before.version).await? {
        return Err(OpsError::Stale { current_version: before.version + 1, current: json!(before) });
    }
    let after = campaign_store::campaign_in_tx(&mut tx, id).await?;
    audit_change(&mut tx, actor, AuditAction::Update, "campaign", id, Some(json!(before)), after.map(|c| json!(c)))
        .await?;
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

pub async fn phases_of(
    store: &Store,
    c: &Campaign,
    milestones: &[Milestone],
    today: NaiveDate,
) -> OpsResult<Vec<PhaseStatus>> {
    let cal = calendar(store).await?;
    let dates = CampaignDates { announced_on: c.announced_on, starts_on: c.starts_on, ends_on: c.ends_on };
    let phases = campaign::phases(&dates, &phase_rules(store).await?, &cal);
    Ok(phases
        .into_iter()
        .map(|phase| {
            let (key, _) = MILESTONES.iter().copied().find(|(_, n)| *n == phase.number).unwrap_or(("kickoff_held", 1));
            let m = milestones.iter().find(|m| m.key == key);
            let done_on = m.and_then(|m| m.done_on);
            let urgency = campaign::urgency(phase.due_on, done_on.is_some(), today, &cal);
            PhaseStatus { phase, milestone: key, planned_on: m.and_then(|m| m.planned_on), done_on, urgency }
        })
        .collect())
}

pub async fn get(store: &Store, actor: &Actor, id: i64) -> OpsResult<CampaignView> {
    let _ = actor;
    let campaign = store.campaign(id).await?.ok_or(OpsError::NotFound)?;
    let milestones = store.milestones(id).await?;
    let phases = phases_of(store, &campaign, &milestones, crate::clock::today()).await?;
    Ok(CampaignView { campaign, phases })
}

pub async fn list(store: &Store, _actor: &Actor) -> OpsResult<Vec<Campaign>> {
    Ok(store.campaigns().await?)
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
    if let Some(d) = done_on
        && d > crate::clock::today()
    {
        return Err(OpsError::invalid("done_on", "a milestone cannot be done in the future"));
    }
    let before = store.milestones(id).await?.into_iter().find(|m| m.key == key);
    let mut tx = store.begin().await?;
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

/// Tier basis for a campaign: as of its start. A start in the past uses the
/// exact (historical) computation; today or later, the maintained columns.
async fn start_basis(store: &Store, c: &Campaign) -> OpsResult<TierBasis> {
    let today = crate::clock::today();
    let rules = super::customers::tier_rules(store).await?;
    Ok(TierBasis { as_of: c.starts_on, rules, anchored: c.starts_on >= today })
}

/// Applies the campaign's segment: adds each matching customer once.
pub async fn generate_members(store: &Store, actor: &Actor, id: i64) -> OpsResult<(u64, i64)> {
    let c = check_manage(store, actor, id).await?;
    let segment = super::customers::parse_segment(Some(&c.segment))?
        .ok_or_else(|| OpsError::invalid("segment", "the campaign has no segment to apply"))?;
    let basis = start_basis(store, &c).await?;
    let filter = CustomerFilter { segment: Some(segment), ..CustomerFilter::scope(CustomerScope::All) };
    let mut tx = store.begin().await?;
    let added = campaign_store::add_members_matching(&mut tx, store, id, &filter, &basis, "segment", None).await?;
    let total = campaign_store::count_members(&mut tx, id).await?;
    if added > 0 {
        audit_change(
            &mut tx,
            actor,
            AuditAction::Update,
            "campaign",
            id,
            None,
            Some(json!({ "members_added": added })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok((added, total))
}

/// A rep sees their own part of the target list; everyone else all of it.
pub async fn members(store: &Store, actor: &Actor, id: i64, mut query: MemberQuery) -> OpsResult<Vec<Member>> {
    store.campaign(id).await?.ok_or(OpsError::NotFound)?;
    if actor.role == Role::Rep {
        query.assignee_id = Some(actor.id);
        query.unassigned = false;
    }
    Ok(store.members(id, &query).await?)
}

pub async fn member_counts(store: &Store, actor: &Actor, id: i64) -> OpsResult<Vec<(Option<i64>, String, i64)>> {
    store.campaign(id).await?.ok_or(OpsError::NotFound)?;
    let all = store.member_counts(id).await?;
    Ok(if actor.role == Role::Rep { all.into_iter().filter(|(a, _, _)| *a == Some(actor.id)).collect() } else { all })
}

/// The breakdown and how it compares with history.
#[derive(Clone, Debug)]
pub struct BreakdownView {
    pub rows: Vec<BreakdownRow>,
    /// True when nothing is saved yet and these rows are the proposal.
    pub proposed: bool,
    pub checks: Vec<RealismCheck>,
    pub team_history: Option<History>,
}

fn to_history(rows: &[crate::store::campaigns::HistoryRow]) -> Option<History> {
    if rows.is_empty() {
        return None;
    }
    Some(History {
        campaigns: rows.iter().map(|r| r.campaigns).max().unwrap_or(0),
        members: rows.iter().map(|r| r.members).sum(),
        intent: rows.iter().map(|r| r.intent).sum(),
        orders: rows.iter().map(|r| r.orders).sum(),
        order_amount_fen: rows.iter().map(|r| r.order_amount_fen).sum(),
    })
}

/// Proposes a split of the intent goal from list shares and history.
pub async fn propose(store: &Store, c: &Campaign) -> OpsResult<BreakdownView> {
    let from = c.announced_on.checked_sub_days(Days::new(HISTORY_DAYS)).unwrap_or(c.announced_on);
    let history = store.campaign_history(&c.kind, c.id, from, c.announced_on).await?;
    let team = to_history(&history);
    let counts = store.member_counts(c.id).await?;
    let users = store.users().await?;
    let mut assignees: Vec<(Option<i64>, i64)> = Vec::new();
    for (assignee, _, n) in &counts {
        match assignees.iter_mut().find(|(a, _)| a == assignee) {
            Some(entry) => entry.1 += n,
            None => assignees.push((*assignee, *n)),
        }
    }
    if assignees.is_empty() {
        // No list yet: every active rep, evenly.
        assignees = users.iter().filter(|u| u.role == Role::Rep && u.active).map(|u| (Some(u.id), 1)).collect();
    }
    let list_size: i64 = counts.iter().map(|(_, _, n)| n).sum();
    let reps: Vec<RepBasis> = assignees
        .iter()
        .map(|(a, n)| RepBasis {
            assignee_id: *a,
            members: *n,
            history: history.iter().find(|h| h.assignee_id == *a).and_then(|h| to_history(std::slice::from_ref(h))),
        })
        .collect();
    let sales_goal = (c.goal_sales_fen > 0).then_some(c.goal_sales_fen);
    let proposal = breakdown::propose(c.goal_intent, sales_goal, &reps, team.as_ref());
    let mut rows = Vec::with_capacity(proposal.len());
    for p in proposal {
        let user = users.iter().find(|u| Some(u.id) == p.assignee_id);
        let key = store
            .members(
                c.id,
                &MemberQuery {
                    assignee_id: p.assignee_id,
                    unassigned: p.assignee_id.is_none(),
                    limit: 2,
                    ..MemberQuery::default()
                },
            )
            .await?
            .into_iter()
            .map(|m| format!("{}({})", m.customer_name, m.industry))
            .collect::<Vec<_>>()
            .join(" ");
        rows.push(BreakdownRow {
            assignee_id: p.assignee_id,
            assignee_email: user.map(|u| u.email.clone()),
            region: user.and_then(|u| u.region.clone()).unwrap_or_default(),
            target_customers: p.target_customers,
            expected_conversion: p.expected_conversion,
            sales_target_fen: p.sales_target_fen,
            key_customers: key,
            resource_needs: String::new(),
        });
    }
    let checks = breakdown::realism(c.goal_intent, c.goal_orders, list_size, team.as_ref());
    Ok(BreakdownView { rows, proposed: true, checks, team_history: team })
}

pub async fn breakdown(store: &Store, actor: &Actor, id: i64) -> OpsResult<BreakdownView> {
    let c = store.campaign(id).await?.ok_or(OpsError::NotFound)?;
    let mut view = propose(store, &c).await?;
    let saved = store.breakdown(id).await?;
    if !saved.is_empty() {
        view.rows = saved;
        view.proposed = false;
    }
    if actor.role == Role::Rep {
        view.rows.retain(|r| r.assignee_id == Some(actor.id));
    }
    Ok(view)
}

/// A row as given (assignee by email).
#[derive(Clone, Debug)]
pub struct BreakdownInput {
    pub assignee_email: Option<String>,
    pub region: String,
    pub target_customers: i64,
    pub expected_conversion: f64,
    pub sales_target_fen: i64,
    pub key_customers: String,
    pub resource_needs: String,
}

/// Replaces the breakdown; the targets must sum to the intent-customer goal.
pub async fn save_breakdown(
    store: &Store,
    actor: &Actor,
    id: i64,
    rows: Vec<BreakdownInput>,
) -> OpsResult<Vec<BreakdownRow>> {
    let c = check_manage(store, actor, id).await?;
    let mut out = Vec::with_capacity(rows.len());
    for (i, r) in rows.into_iter().enumerate() {
        let at = |field: &str| format!("rows[{i}].{field}");
        if r.target_customers < 0 {
            return Err(OpsError::Invalid {
                field: "target_customers",
                message: format!("{}: cannot be negative", at("target_customers")),
            });
        }
        if !r.expected_conversion.is_finite() || !(0.0..=1.0).contains(&r.expected_conversion) {
            return Err(OpsError::Invalid {
                field: "expected_conversion",
                message: format!("{}: a rate from 0 to 1 (0.5 = 50%)", at("expected_conversion")),
            });
        }
        if r.sales_target_fen < 0 {
            return Err(OpsError::Invalid {
                field: "sales_target",
                message: format!("{}: cannot be negative", at("sales_target")),
            });
        }
        let assignee_id = match r.assignee_email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
            None => None,
            Some(email) => Some(
                store
                    .active_rep_by_email(email)
                    .await?
                    .ok_or_else(|| OpsError::Invalid {
                        field: "assignee_email",
                        message: format!("{}: {email:?} is not an active sales rep", at("assignee_email")),
                    })?
                    .0,
            ),
        };
        out.push(BreakdownRow {
            assignee_id,
            assignee_email: r.assignee_email.map(|e| e.trim().to_lowercase()),
            region: optional_text("region", &r.region, 50)?,
            target_customers: r.target_customers,
            expected_conversion: r.expected_conversion,
            sales_target_fen: r.sales_target_fen,
            key_customers: optional_text("key_customers", &r.key_customers, 500)?,
            resource_needs: optional_text("resource_needs", &r.resource_needs, 500)?,
        });
    }
    let sum: i64 = out.iter().map(|r| r.target_customers).sum();
    if sum != c.goal_intent {
        return Err(OpsError::invalid(
            "target_customers",
            format!("the rows add up to {sum} target customers, but the intent-customer goal is {}", c.goal_intent),
        ));
    }
    let before = store.breakdown(id).await?;
    let mut tx = store.begin().await?;
    campaign_store::replace_breakdown(&mut tx, id, &out).await?;
    audit_change(
        &mut tx,
        actor,
        AuditAction::Update,
        "campaign",
        id,
        Some(json!({ "breakdown": before })),
        Some(json!({ "breakdown": out })),
    )
    .await?;
    tx.commit().await?;
    Ok(store.breakdown(id).await?)
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
    let before = phase_rules(store).await?;
    let mut tx = store.begin().await?;
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

/// What a partner's list did: the import's report, and the members it added.
pub struct PartnerListOutcome {
    pub report: super::import::ImportReport,
    pub added: u64,
    pub total: i64,
}

/// Adds a channel partner's customer list (CSV/XLSX) to a campaign: the rows
/// are imported under the customer importer's rules (unknown customers are
/// created with the partner as their source; bad rows refuse the file unless
/// `partial`), then every customer the list names becomes a member tagged
/// with the partner, with its tier as of the start and the usual assignee.
pub async fn import_partner_list(
    store: &Store,
    actor: &Actor,
    id: i64,
    partner: &str,
    upload: super::import::Upload<'_>,
    partial: bool,
) -> Result<PartnerListOutcome, super::import::ImportError> {
    use super::import::{self, ImportOptions, ImportStatus, Importer};
    authz::require(actor, Permission::WriteCustomers)?;
    let c = check_manage(store, actor, id).await?;
    let partner = required_text("partner", partner, 100)?;
    let prepared = import::prepare(crate::io::ImportKind::Customers, upload, None)?;
    // The list's own rows, to find each customer after the import.
    let parsed = crate::io::parse_customers(&prepared.table, &prepared.mapping)?;
    let today = crate::clock::today();
    let options = ImportOptions { partial, partner: Some(partner.clone()), ..ImportOptions::new(today) };
    let report = import::run(store, &Importer::user(actor.clone()), prepared, &options, &import::no_progress).await?;
    if report.status != ImportStatus::Imported {
        return Ok(PartnerListOutcome {
            report,
            added: 0,
            total: store.member_counts(id).await?.iter().map(|(_, _, n)| n).sum(),
        });
    }
    let rejected: std::collections::HashSet<usize> = report.errors.iter().map(|e| e.row).collect();
    let good: Vec<_> = parsed.rows.iter().filter(|r| !rejected.contains(&r.row)).collect();
    let codes: Vec<String> = good.iter().filter_map(|r| r.credit_code.clone()).collect();
    let names: Vec<String> = good.iter().map(|r| crate::io::names::normalize_company_name(&r.name)).collect();
    let (by_code, by_name) = store.customer_ids_by_keys(&codes, &names).await?;
    let mut ids: Vec<i64> = Vec::with_capacity(good.len());
    for row in &good {
        let found = row
            .credit_code
            .as_ref()
            .and_then(|code| by_code.iter().find(|(c, _)| c == code).map(|(_, id)| *id))
            .or_else(|| {
                let key = crate::io::names::normalize_company_name(&row.name);
                by_name.iter().find(|(k, _)| *k == key).map(|(_, id)| *id)
            });
        ids.extend(found);
    }
    ids.sort_unstable();
    ids.dedup();
    let basis = start_basis(store, &c).await?;
    let filter = CustomerFilter { ids: Some(ids), ..CustomerFilter::scope(CustomerScope::All) };
    let mut tx = store.begin().await?;
    let added =
        campaign_store::add_members_matching(&mut tx, store, id, &filter, &basis, "partner", Some(&partner)).await?;
    let total = campaign_store::count_members(&mut tx, id).await?;
    audit_change(
        &mut tx,
        actor,
        AuditAction::Update,
        "campaign",
        id,
        None,
        Some(json!({ "partner_list": partner, "members_added": added })),
    )
    .await?;
    tx.commit().await?;
    Ok(PartnerListOutcome { report, added, total })
}
