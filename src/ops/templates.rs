//! Campaign SOPs (标准作业程序): a reviewed campaign saved as a template, and
//! a new campaign started from one (`campaigns::create` with `template_id`).
//! Reading templates is for everyone on the team; saving and retiring them
//! is for those who plan campaigns.

use serde_json::json;

use super::authz::{self, Actor, Permission};
use super::campaigns::CampaignFields;
use super::{OpsError, OpsResult, audit_change, required_text};
use crate::domain::calendar::WorkCalendar;
use crate::domain::campaign::CampaignStatus;
use crate::domain::review::metrics::Metric;
use crate::domain::review::{LineText, Snapshot};
use crate::domain::sop::{self, ChecklistItem, PlanTexts, TemplateBody};
use crate::store::audit::AuditAction;
use crate::store::campaigns::{Campaign, ReviewedQuery};
use crate::store::execution::requests::NewRequest;
use crate::store::templates::{self as template_store, StoredTemplate};
use crate::store::{Store, Tx};

/// A template as read.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Template {
    #[serde(flatten)]
    pub stored: StoredTemplate,
    #[serde(skip)]
    pub body: TemplateBody,
}

/// A campaign started from a template, and how it did (the frozen numbers
/// once its review is held).
#[derive(Clone, Debug)]
pub struct TemplateUse {
    pub campaign: Campaign,
    pub metrics: Option<Vec<Metric>>,
}

/// A template with the campaigns that used it.
#[derive(Clone, Debug)]
pub struct TemplateView {
    pub template: Template,
    pub used_by: Vec<TemplateUse>,
}

fn read(stored: StoredTemplate) -> OpsResult<Template> {
    let body = serde_json::from_str(&stored.body)
        .map_err(|e| OpsError::Other(anyhow::anyhow!("template {} cannot be read: {e}", stored.id)))?;
    Ok(Template { stored, body })
}

/// Every template, the active ones first.
pub async fn list(store: &Store, actor: &Actor) -> OpsResult<Vec<Template>> {
    authz::require(actor, Permission::ReadCampaigns)?;
    template_store::templates(store.acquire().await?.conn()).await?.into_iter().map(read).collect()
}

/// One template with the campaigns started from it.
pub async fn get(store: &Store, actor: &Actor, id: i64) -> OpsResult<TemplateView> {
    authz::require(actor, Permission::ReadCampaigns)?;
    let template = read(template_store::template(store.acquire().await?.conn(), id).await?.ok_or(OpsError::NotFound)?)?;
    let reviewed =
        store.reviewed_campaigns(&ReviewedQuery { kind: Some(&template.stored.kind), ..Default::default() }).await?;
    let mut used_by: Vec<TemplateUse> = store
        .campaigns()
        .await?
        .into_iter()
        .filter(|c| c.template_id == Some(id))
        .map(|campaign| {
            let metrics = reviewed
                .iter()
                .find(|r| r.campaign.id == campaign.id)
                .and_then(|r| serde_json::from_str::<Snapshot>(&r.snapshot).ok())
                .map(|s| s.metrics);
            TemplateUse { campaign, metrics }
        })
        .collect();
    used_by.sort_by_key(|u| std::cmp::Reverse(u.campaign.starts_on));
    Ok(TemplateView { template, used_by })
}

/// Saves a reviewed campaign as a template (marketing, lead, admin): its
/// plan texts, playbook, phase rules, checklist, goal ratios and lessons.
pub async fn save_from_campaign(store: &Store, actor: &Actor, campaign_id: i64, name: Option<&str>) -> OpsResult<i64> {
    authz::require(actor, Permission::ManageCampaigns)?;
    // The campaign is named in the body: one that does not exist is the field's error.
    let c = match super::campaigns::readable(store, actor, campaign_id).await {
        Err(OpsError::NotFound) => {
            return Err(OpsError::invalid("campaign_id", format!("there is no campaign {campaign_id}")));
        }
        other => other?,
    };
    let name = match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => required_text("name", n, 200)?,
        None => format!("{} SOP", c.name.chars().take(190).collect::<String>()),
    };
    let review = crate::store::review::review(store.acquire().await?.conn(), campaign_id).await?;
    let (Some(review), CampaignStatus::Reviewed) = (review, c.status) else {
        return Err(OpsError::invalid(
            "campaign_id",
            "only a reviewed campaign becomes a template: hold its review first (复盘会已召开)",
        ));
    };
    let snapshot: Snapshot = review
        .snapshot
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| {
            OpsError::Other(anyhow::anyhow!("the frozen numbers of campaign {campaign_id} cannot be read: {e}"))
        })?
        .ok_or_else(|| OpsError::invalid("campaign_id", "the campaign's review holds no frozen numbers"))?;
    let lines: Vec<LineText> = serde_json::from_str(&review.lines).unwrap_or_default();
    let planning = super::campaigns::Planning::load(store).await?;
    let (playbook, _) = super::execution::tasks::playbook(store, actor, campaign_id).await?;
    let checklist = super::execution::requests::of_campaign(store, actor, campaign_id)
        .await?
        .into_iter()
        .filter(|r| r.status != crate::domain::execution::requests::RequestStatus::Declined)
        .map(|r| ChecklistItem {
            kind: r.kind,
            item: r.item,
            quantity: r.quantity,
            person: r.person,
            slot: r.slot,
            lead_days: r.lead_days,
            details: r.details,
            working_days_before_start: sop::days_before_start(&planning.calendar, r.needed_by, c.starts_on),
        })
        .collect();
    let body = TemplateBody {
        plan: PlanTexts {
            theme: c.theme.clone(),
            selling_points: c.selling_points.clone(),
            segment: c.segment.clone(),
            resource_support: c.resource_support.clone(),
            collateral_needs: c.collateral_needs.clone(),
            training_needs: c.training_needs.clone(),
            resource_risks: c.resource_risks.clone(),
            cost_items: c.cost_items.clone(),
            budget_fen: c.budget_fen,
        },
        playbook,
        phase_rules: Some(planning.rules_of(&c)),
        checklist,
        ratios: sop::ratios_from(&snapshot),
        lessons: sop::lessons_from(&lines),
    };
    let text = serde_json::to_string(&body).map_err(|e| OpsError::Other(e.into()))?;
    let mut tx = store.begin().await?;
    let id = template_store::insert_template(&mut tx, &name, c.kind.as_str(), campaign_id, &text, actor.id).await?;
    let after = json!({ "name": name, "kind": c.kind.as_str(), "source_campaign_id": campaign_id, "body": body });
    audit_change(&mut tx, actor, AuditAction::Create, "campaign_template", id, None, Some(after)).await?;
    tx.commit().await?;
    Ok(id)
}

/// Retires a template (or restores it): retired ones are kept for the
/// campaigns that used them but are not offered for new campaigns.
pub async fn set_retired(store: &Store, actor: &Actor, id: i64, version: Option<i64>, retired: bool) -> OpsResult<()> {
    authz::require(actor, Permission::ManageCampaigns)?;
    let mut tx = store.begin().await?;
    let before = template_store::template(tx.conn(), id).await?.ok_or(OpsError::NotFound)?;
    let version = version.unwrap_or(before.version);
    if version != before.version || !template_store::set_retired(&mut tx, id, version, retired).await? {
        return Err(OpsError::Stale { current_version: before.version, current: json!(before) });
    }
    audit_change(
        &mut tx,
        actor,
        AuditAction::Update,
        "campaign_template",
        id,
        Some(json!({ "retired": before.retired })),
        Some(json!({ "retired": retired })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// An active template to start a campaign from; a missing or retired one
/// is the `template_id` field's error.
pub(crate) async fn usable(store: &Store, id: i64) -> OpsResult<Template> {
    match template_store::template(store.acquire().await?.conn(), id).await? {
        Some(t) if !t.retired => read(t),
        Some(_) => Err(OpsError::invalid("template_id", format!("template {id} is retired"))),
        None => Err(OpsError::invalid("template_id", format!("there is no template {id}"))),
    }
}

/// Fills what a new campaign's fields leave out from the template: kind,
/// plan texts, budget, the goals its ratios give down the funnel from what
/// is given (the source's reach by default) and its lessons as notes.
pub fn prefill(f: &mut CampaignFields, t: &Template) {
    let p = &t.body.plan;
    f.kind.get_or_insert_with(|| t.stored.kind.clone());
    for (slot, value) in [
        (&mut f.theme, &p.theme),
        (&mut f.selling_points, &p.selling_points),
        (&mut f.segment, &p.segment),
        (&mut f.resource_support, &p.resource_support),
        (&mut f.collateral_needs, &p.collateral_needs),
        (&mut f.training_needs, &p.training_needs),
        (&mut f.resource_risks, &p.resource_risks),
        (&mut f.cost_items, &p.cost_items),
    ] {
        slot.get_or_insert_with(|| value.clone());
    }
    if p.budget_fen > 0 {
        f.budget_fen.get_or_insert(p.budget_fen);
    }
    let given = sop::GivenGoals {
        reached: f.goal_reached,
        intent: f.goal_intent,
        orders: f.goal_orders,
        sales_fen: f.goal_sales_fen,
        roi: f.goal_roi,
    };
    let goals = sop::goals_for(&t.body.ratios, given);
    f.goal_reached = Some(goals.reached);
    f.goal_intent = Some(goals.intent);
    f.goal_orders = Some(goals.orders);
    f.goal_sales_fen = Some(goals.sales_fen);
    f.goal_roi = Some(goals.roi);
    f.notes.get_or_insert_with(|| sop::notes_from_lessons(&t.stored.name, &t.body.lessons));
}

/// Gives a campaign just created from `t` its playbook and its checklist
/// (requests timed in working days before the new start, never in the past).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn start_from(
    store: &Store,
    tx: &mut Tx,
    actor: &Actor,
    campaign_id: i64,
    c: &Campaign,
    t: &Template,
    calendar: &WorkCalendar,
    notify_ctx: &super::notify::Context,
) -> OpsResult<()> {
    if !t.body.playbook.is_empty() {
        crate::store::execution::tasks::save_playbook(tx, campaign_id, &t.body.playbook, actor.id).await?;
    }
    let today = store.today();
    for item in &t.body.checklist {
        let new = NewRequest {
            campaign_id,
            kind: item.kind,
            item: item.item.clone(),
            quantity: item.quantity,
            needed_by: sop::needed_by(calendar, c.starts_on, item.working_days_before_start, today),
            person: item.person.clone(),
            slot: item.slot.clone(),
            lead_days: item.lead_days,
            details: item.details.clone(),
            requested_by: actor.id,
        };
        super::execution::requests::insert(store, tx, notify_ctx, actor, &new).await?;
    }
    Ok(())
}
