//! The follow-up record (template 3): saved as an interaction of the
//! customer (so its activity, tier and timeline stay current) linked to the
//! campaign member, moving the member's stage forward, completing the
//! matching task and setting the member's next action, all in one unit of
//! work with its audit records.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde_json::json;

use super::{can_see, can_work, in_china};
use crate::domain::campaign::CampaignStatus;
use crate::domain::customer::{Channel, InteractionKind};
use crate::domain::execution::FeedbackKind;
use crate::domain::execution::playbook::Action;
use crate::domain::execution::stage::{self, Mover, Stage};
use crate::ops::authz::{self, Actor, Permission};
use crate::ops::{OpsError, OpsResult, audit_change, optional_text, required_text};
use crate::store::audit::{AuditAction, AuditEntry};
use crate::store::customers::{NewContact, NewInteraction, refresh_activity};
use crate::store::execution::follow_ups::{self as fu_store, FollowUp, FollowUpEdit, NewFollowUp, RecentActivity};
use crate::store::execution::{self as exec_store, MemberAfterFollowUp, MemberRecord, tasks as task_store};
use crate::store::{Store, Tx};

/// Clocks disagree by a little; a follow-up up to this far ahead is "now".
const CLOCK_SKEW: Duration = Duration::seconds(120);

/// A new contact given with a follow-up ("a new one" on the form).
#[derive(Clone, Debug, Default)]
pub struct NewContactInput {
    pub name: String,
    pub phone: String,
    pub title: String,
}

/// A follow-up as given (API or form); `None` means "default".
#[derive(Clone, Debug, Default)]
pub struct FollowUpInput {
    /// Default now; never in the future.
    pub occurred_at: Option<DateTime<Utc>>,
    pub channel: Option<String>,
    pub contact_id: Option<i64>,
    pub new_contact: Option<NewContactInput>,
    pub summary: Option<String>,
    /// `objection`, `interest` or `neutral` (default).
    pub feedback_kind: Option<String>,
    /// The customer's own words.
    pub feedback: Option<String>,
    pub next_action_on: Option<NaiveDate>,
    /// `HH:MM`.
    pub next_action_at: Option<String>,
    pub next_action: Option<String>,
    /// The resulting stage; default: at least `contacted`.
    pub stage: Option<String>,
    /// With `ordered`, fen.
    pub order_amount_fen: Option<i64>,
    /// With `lost`, from the team's list.
    pub lost_reason: Option<String>,
    /// The customer's pain points as edited on the form (replaces the list).
    pub pain_points: Option<Vec<String>>,
}

/// Checked input, ready to write.
struct Checked {
    occurred_at: DateTime<Utc>,
    occurred_on: NaiveDate,
    channel: Channel,
    contact_id: Option<i64>,
    contact_name: Option<String>,
    new_contact: Option<NewContact>,
    summary: String,
    feedback_kind: FeedbackKind,
    feedback: String,
    next_action_on: Option<NaiveDate>,
    next_action_at: Option<String>,
    next_action: String,
    to: Stage,
    order_amount_fen: Option<i64>,
    lost_reason: Option<String>,
    pain_points: Option<Vec<String>>,
}

fn parse_time(field: &'static str, raw: Option<&str>) -> OpsResult<Option<String>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(t) => NaiveTime::parse_from_str(t, "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M:%S"))
            .map(|t| Some(t.format("%H:%M").to_string()))
            .map_err(|_| OpsError::invalid(field, format!("{t:?} is not a time like 14:00"))),
    }
}

fn channel(raw: Option<&str>) -> OpsResult<Channel> {
    let raw = raw
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| OpsError::invalid("channel", "channel is required"))?;
    raw.parse().map_err(|e: crate::domain::customer::UnknownCode| OpsError::invalid("channel", e.to_string()))
}

fn feedback_kind(raw: Option<&str>) -> OpsResult<FeedbackKind> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(FeedbackKind::Neutral),
        Some(k) => k
            .parse()
            .map_err(|e: crate::domain::execution::UnknownCode| OpsError::invalid("feedback_kind", e.to_string())),
    }
}

/// The next action: a date and what, both or neither; not before the follow-up.
fn next_action(
    on: Option<NaiveDate>,
    at: Option<&str>,
    what: Option<&str>,
    occurred_on: NaiveDate,
) -> OpsResult<(Option<NaiveDate>, Option<String>, String)> {
    let what = optional_text("next_action", what.unwrap_or(""), 500)?;
    let at = parse_time("next_action_at", at)?;
    match (on, what.is_empty()) {
        (None, true) if at.is_none() => Ok((None, None, String::new())),
        (None, _) => Err(OpsError::invalid("next_action_on", "give the next action a date")),
        (Some(_), true) => Err(OpsError::invalid("next_action", "say what the next action is")),
        (Some(d), false) if d < occurred_on => Err(OpsError::invalid(
            "next_action_on",
            format!("the next action ({d}) cannot come before the follow-up ({occurred_on})"),
        )),
        (Some(d), false) => Ok((Some(d), at, what)),
    }
}

fn labels(field: &'static str, items: &[String]) -> OpsResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for t in items.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        if t.chars().count() > 50 {
            return Err(OpsError::invalid(field, format!("{t:?} is longer than 50 characters")));
        }
        if !out.iter().any(|x| x == t) {
            out.push(t.to_owned());
        }
    }
    if out.len() > 20 {
        return Err(OpsError::invalid(field, format!("at most 20 {field}")));
    }
    Ok(out)
}

/// The stage after the follow-up and its amount or reason.
fn stage_outcome(
    m: &MemberRecord,
    input: &FollowUpInput,
    lost_reasons: &[String],
) -> OpsResult<(Stage, Option<i64>, Option<String>)> {
    let requested = match input.stage.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(s.parse::<Stage>().map_err(|e| OpsError::invalid("stage", e.to_string()))?),
    };
    let to = stage::after_follow_up(m.stage, requested);
    stage::check_move(m.stage, to, Mover::FollowUp).map_err(|e| OpsError::invalid("stage", e.to_string()))?;
    let newly = to != m.stage;
    let amount = match input.order_amount_fen {
        Some(a) if a < 0 => return Err(OpsError::invalid("order_amount", "the order amount cannot be negative")),
        Some(_) if to != Stage::Ordered || !newly => {
            return Err(OpsError::invalid("order_amount", "an order amount goes with the stage ordered"));
        }
        Some(a) => Some(a),
        None if to == Stage::Ordered && newly => {
            return Err(OpsError::invalid("order_amount", "an order (ordered) needs its amount"));
        }
        None => m.order_amount_fen,
    };
    let reason = match input.lost_reason.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(_) if to != Stage::Lost || !newly => {
            return Err(OpsError::invalid("lost_reason", "a lost reason goes with the stage lost"));
        }
        Some(r) if !lost_reasons.iter().any(|x| x == r) => {
            return Err(OpsError::invalid(
                "lost_reason",
                format!("unknown reason {r:?}: expected one of {}", lost_reasons.join(", ")),
            ));
        }
        Some(r) => Some(r.to_owned()),
        None if to == Stage::Lost && newly => {
            return Err(OpsError::invalid("lost_reason", "say why the member is lost"));
        }
        None => m.lost_reason.clone(),
    };
    Ok((to, amount, reason))
}

async fn check(store: &Store, m: &MemberRecord, input: &FollowUpInput) -> OpsResult<Checked> {
    if m.campaign_status == CampaignStatus::Draft {
        return Err(OpsError::invalid("campaign", "the campaign has not started: make it active first"));
    }
    let now = store.now();
    let occurred_at = input.occurred_at.unwrap_or(now);
    if occurred_at > now + CLOCK_SKEW {
        return Err(OpsError::invalid(
            "occurred_at",
            format!("{} is in the future", in_china(occurred_at).format("%Y-%m-%d %H:%M")),
        ));
    }
    let occurred_on = in_china(occurred_at).date_naive();
    let channel = channel(input.channel.as_deref())?;
    let summary = required_text("summary", input.summary.as_deref().unwrap_or(""), 2000)?;
    let feedback_kind = feedback_kind(input.feedback_kind.as_deref())?;
    let feedback = optional_text("feedback", input.feedback.as_deref().unwrap_or(""), 2000)?;
    let (next_action_on, next_action_at, next_action) =
        next_action(input.next_action_on, input.next_action_at.as_deref(), input.next_action.as_deref(), occurred_on)?;
    // The team's lost reasons are read only when a reason is given.
    let lost_reasons = match input.lost_reason.as_deref().map(str::trim) {
        Some(r) if !r.is_empty() => super::settings(store).await?.lost_reasons,
        _ => Vec::new(),
    };
    let (to, order_amount_fen, lost_reason) = stage_outcome(m, input, &lost_reasons)?;
    let new_contact = match &input.new_contact {
        Some(c) if !c.name.trim().is_empty() => {
            let fields = crate::ops::contacts::ContactFields {
                name: Some(c.name.clone()),
                phone: Some(c.phone.clone()),
                title: Some(c.title.clone()),
                ..Default::default()
            };
            Some(crate::ops::contacts::checked(fields)?)
        }
        _ => None,
    };
    let (contact_id, contact_name) = match input.contact_id.filter(|_| new_contact.is_none()) {
        None => (None, new_contact.as_ref().map(|c| c.name.clone())),
        Some(id) => {
            let found = store.contacts_of(m.customer_id).await?.into_iter().find(|c| c.id == id);
            let Some(contact) = found else {
                return Err(OpsError::invalid("contact_id", "not a contact of this customer"));
            };
            (Some(id), Some(contact.name))
        }
    };
    let pain_points = input.pain_points.as_deref().map(|p| labels("pain_points", p)).transpose()?;
    Ok(Checked {
        occurred_at,
        occurred_on,
        channel,
        contact_id,
        contact_name,
        new_contact,
        summary,
        feedback_kind,
        feedback,
        next_action_on,
        next_action_at,
        next_action,
        to,
        order_amount_fen,
        lost_reason,
        pain_points,
    })
}

/// The interaction note: the summary, and the customer's words on their own line.
fn note(summary: &str, feedback: &str) -> String {
    if feedback.is_empty() { summary.to_owned() } else { format!("{summary}\n“{feedback}”") }
}

fn interaction_kind(channel: Channel, from: Stage, to: Stage) -> InteractionKind {
    if to == Stage::Ordered && from != Stage::Ordered {
        InteractionKind::Order
    } else {
        InteractionKind::implied_by(channel).unwrap_or(InteractionKind::Visit)
    }
}

fn view(f: &NewFollowUp, id: i64) -> serde_json::Value {
    json!({
        "id": id, "campaign_id": f.campaign_id, "customer_id": f.customer_id, "member_id": f.member_id,
        "interaction_id": f.interaction_id, "contact_id": f.contact_id, "occurred_at": f.occurred_at,
        "channel": f.channel, "summary": f.summary, "feedback_kind": f.feedback_kind, "feedback": f.feedback,
        "next_action_on": f.next_action_on, "next_action_at": f.next_action_at, "next_action": f.next_action,
        "stage_before": f.stage_before, "stage_after": f.stage_after, "order_amount_fen": f.order_amount_fen,
        "lost_reason": f.lost_reason, "version": 1,
    })
}

fn member_view(m: &MemberRecord) -> serde_json::Value {
    json!({
        "campaign_id": m.campaign_id, "customer_id": m.customer_id, "stage": m.stage,
        "contacted_on": m.contacted_on, "intent_on": m.intent_on, "ordered_on": m.ordered_on,
        "order_amount_fen": m.order_amount_fen, "lost_reason": m.lost_reason, "assignee_id": m.assignee_id,
    })
}

/// What saving a follow-up did.
#[derive(Clone, Debug)]
pub struct Saved {
    pub id: i64,
    pub stage: Stage,
    pub task_done: Option<i64>,
    /// The follow-up as written (no read back).
    pub follow_up: FollowUp,
}

/// Logs a follow-up on a campaign member (its assignee, or a lead).
pub async fn create(
    store: &Store,
    actor: &Actor,
    campaign_id: i64,
    customer_id: i64,
    input: FollowUpInput,
) -> OpsResult<Saved> {
    let m = loggable_member(store, actor, campaign_id, customer_id).await?;
    create_for(store, actor, m, input).await
}

/// [`create`] for a member just read by [`loggable_member`] (the API checks
/// who asks before it reads the body, and saves the second read).
pub async fn create_for(store: &Store, actor: &Actor, member: MemberRecord, input: FollowUpInput) -> OpsResult<Saved> {
    authz::require(actor, Permission::LogFollowUps)?;
    let rules = crate::ops::customers::tier_rules(store).await?;
    let (campaign_id, customer_id) = (member.campaign_id, member.customer_id);
    // The member is read and checked outside the write, which then applies
    // only if the member is unchanged (its version); a concurrent change
    // re-runs the checks on the new state.
    let mut first = Some(member);
    for _ in 0..3 {
        let m = match first.take() {
            Some(m) => m,
            None => loggable_member(store, actor, campaign_id, customer_id).await?,
        };
        let c = check(store, &m, &input).await?;
        if let Some(saved) = write(store, actor, &m, c, i64::from(rules.s_min_interactions)).await? {
            return Ok(saved);
        }
    }
    Err(OpsError::Conflict("the member changed while saving; try again".to_owned()))
}

/// Queues the save to the store's group writer (one transaction for many
/// concurrent saves on SQLite); `None` when the member changed meanwhile.
async fn write(store: &Store, actor: &Actor, m: &MemberRecord, c: Checked, s_min: i64) -> OpsResult<Option<Saved>> {
    let now = store.now();
    let (actor, m) = (actor.clone(), m.clone());
    store.write_grouped(move |tx| Box::pin(apply(tx, actor, m, c, s_min, now))).await
}

/// The save itself, inside the write transaction.
async fn apply(
    tx: &mut Tx,
    actor: Actor,
    m: MemberRecord,
    c: Checked,
    s_min: i64,
    now: DateTime<Utc>,
) -> OpsResult<Option<Saved>> {
    let (actor, m) = (&actor, &m);
    let from = m.stage;
    let funnel =
        m.funnel().moved(c.to, c.occurred_on, Mover::FollowUp, c.lost_reason.as_deref() != Some("no_response"));
    // A follow-up dated before the member's latest does not replace its next action.
    let latest = m.last_follow_up_at.is_none_or(|l| c.occurred_at >= l);
    let after = MemberAfterFollowUp {
        funnel,
        order_amount_fen: c.order_amount_fen,
        lost_reason: c.lost_reason.clone(),
        next_action_on: if latest { c.next_action_on } else { m.next_action_on },
        next_action_at: if latest { c.next_action_at.clone() } else { m.next_action_at.clone() },
        next_action: if latest { c.next_action.clone() } else { m.next_action.clone() },
        last_follow_up_at: m.last_follow_up_at.map_or(c.occurred_at, |l| l.max(c.occurred_at)),
        follow_up_at: c.occurred_at,
        follow_up_channel: c.channel,
    };
    if !exec_store::record_follow_up_on_member(tx, m, &after).await? {
        return Ok(None);
    }
    let contact_id = match &c.new_contact {
        Some(nc) => {
            let id = crate::store::contacts::insert_contact(tx, m.customer_id, nc).await?;
            audit_change(
                tx,
                actor,
                AuditAction::Create,
                "contact",
                id,
                None,
                Some(json!({ "customer_id": m.customer_id, "name": nc.name, "phone": nc.phone, "title": nc.title })),
            )
            .await?;
            Some(id)
        }
        None => c.contact_id,
    };
    let china = in_china(c.occurred_at);
    let kind = interaction_kind(c.channel, from, c.to);
    let interaction = NewInteraction {
        occurred_on: c.occurred_on,
        occurred_at: Some(china.format("%H:%M").to_string()),
        channel: c.channel,
        kind,
        note: note(&c.summary, &c.feedback),
        amount_fen: if kind == InteractionKind::Order { c.order_amount_fen } else { None },
        created_by: Some(actor.id),
    };
    let interaction_id = crate::store::interactions::insert_interaction(tx, m.customer_id, &interaction).await?;
    let record = NewFollowUp {
        campaign_id: m.campaign_id,
        member_id: m.id,
        customer_id: m.customer_id,
        interaction_id,
        contact_id,
        occurred_at: c.occurred_at,
        occurred_on: c.occurred_on,
        logged_on: in_china(now).date_naive(),
        channel: c.channel,
        summary: c.summary,
        feedback_kind: c.feedback_kind,
        feedback: c.feedback,
        next_action_on: c.next_action_on,
        next_action_at: c.next_action_at,
        next_action: c.next_action,
        stage_before: from,
        stage_after: c.to,
        order_amount_fen: if c.to != from { c.order_amount_fen.filter(|_| c.to == Stage::Ordered) } else { None },
        lost_reason: if c.to != from { c.lost_reason.filter(|_| c.to == Stage::Lost) } else { None },
        created_by: actor.id,
        created_at: now,
    };
    let id = fu_store::insert_follow_up(tx, &record).await?;
    let task_done = task_store::complete_matching(tx, m.id, &Action::completed_by(c.channel), id, now).await?;
    if c.to.is_closed() && !from.is_closed() {
        task_store::cancel_open(tx, m.id, now).await?;
    }
    if let Some(pains) = &c.pain_points {
        set_pain_points(tx, actor, m.customer_id, pains).await?;
    }
    refresh_activity(tx, Some(&[m.customer_id]), s_min).await?;
    // The follow-up and the stage change it made: one statement.
    type View = Option<serde_json::Value>;
    let entry =
        |action: AuditAction, object_type: &'static str, object_id: i64, before: View, after: View| AuditEntry {
            actor_id: Some(actor.id),
            actor_email: &actor.email,
            action,
            object_type,
            object_id,
            before,
            after,
        };
    let mut entries = vec![entry(AuditAction::Create, "follow_up", id, None, Some(view(&record, id)))];
    if c.to != from {
        let mut after_view = member_view(m);
        after_view["stage"] = json!(c.to);
        after_view["order_amount_fen"] = json!(after.order_amount_fen);
        after_view["lost_reason"] = json!(after.lost_reason);
        after_view["follow_up_id"] = json!(id);
        entries.push(entry(AuditAction::Update, "campaign_member", m.id, Some(member_view(m)), Some(after_view)));
    }
    crate::store::audit::record_all(tx, entries).await?;
    let follow_up = FollowUp {
        id,
        campaign_id: record.campaign_id,
        member_id: record.member_id,
        customer_id: record.customer_id,
        customer_name: m.customer_name.clone(),
        industry: m.industry.clone(),
        interaction_id,
        contact_id,
        contact_name: c.contact_name,
        occurred_at: record.occurred_at,
        occurred_on: record.occurred_on,
        channel: record.channel,
        summary: record.summary,
        feedback_kind: record.feedback_kind,
        feedback: record.feedback,
        next_action_on: record.next_action_on,
        next_action_at: record.next_action_at,
        next_action: record.next_action,
        stage_before: record.stage_before,
        stage_after: record.stage_after,
        order_amount_fen: record.order_amount_fen,
        lost_reason: record.lost_reason,
        created_by: Some(actor.id),
        created_by_email: Some(actor.email.clone()),
        created_by_name: Some(actor.name.clone()),
        created_at: now,
        version: 1,
    };
    Ok(Some(Saved { id, stage: c.to, task_done, follow_up }))
}

/// Replaces a customer's pain points from the follow-up form (audited as a
/// customer change) when they differ.
async fn set_pain_points(tx: &mut Tx, actor: &Actor, customer_id: i64, pains: &[String]) -> OpsResult<()> {
    let Some(before) = crate::store::customers::customer_record(tx, customer_id).await? else { return Ok(()) };
    let mut a = before.pain_points.clone();
    let mut b = pains.to_vec();
    a.sort();
    b.sort();
    if a == b {
        return Ok(());
    }
    fu_store::replace_pain_points(tx, customer_id, pains).await?;
    audit_change(
        tx,
        actor,
        AuditAction::Update,
        "customer",
        customer_id,
        Some(json!({ "pain_points": before.pain_points })),
        Some(json!({ "pain_points": pains })),
    )
    .await?;
    Ok(())
}

/// A member's follow-ups, newest first (whoever may see the member).
pub async fn list(store: &Store, actor: &Actor, campaign_id: i64, customer_id: i64) -> OpsResult<Vec<FollowUp>> {
    let m = super::visible_member(store, actor, campaign_id, customer_id).await?;
    Ok(fu_store::of_member(store.acquire().await?.conn(), m.id, 500).await?)
}

/// One follow-up, if its member is visible.
pub async fn get(store: &Store, actor: &Actor, id: i64) -> OpsResult<FollowUp> {
    authz::require(actor, Permission::ReadCampaigns)?;
    let f = fu_store::follow_up(store.acquire().await?.conn(), id).await?.ok_or(OpsError::NotFound)?;
    super::visible_member(store, actor, f.campaign_id, f.customer_id).await?;
    Ok(f)
}

/// What a follow-up edit may change; `None` keeps the value.
#[derive(Clone, Debug, Default)]
pub struct FollowUpChanges {
    pub occurred_at: Option<DateTime<Utc>>,
    pub channel: Option<String>,
    pub contact_id: Option<Option<i64>>,
    pub summary: Option<String>,
    pub feedback_kind: Option<String>,
    pub feedback: Option<String>,
    pub next_action_on: Option<Option<NaiveDate>>,
    pub next_action_at: Option<Option<String>>,
    pub next_action: Option<String>,
}

fn edit_view(f: &FollowUp) -> serde_json::Value {
    json!({
        "id": f.id, "campaign_id": f.campaign_id, "customer_id": f.customer_id, "contact_id": f.contact_id,
        "occurred_at": f.occurred_at, "channel": f.channel, "summary": f.summary, "feedback_kind": f.feedback_kind,
        "feedback": f.feedback, "next_action_on": f.next_action_on, "next_action_at": f.next_action_at,
        "next_action": f.next_action, "stage_before": f.stage_before, "stage_after": f.stage_after,
        "order_amount_fen": f.order_amount_fen, "lost_reason": f.lost_reason, "version": f.version,
    })
}

/// Who may correct a follow-up: its author while they still work the
/// member, or a lead or admin. The stage is not edited here (a lead corrects
/// stages on the member).
fn editable(actor: &Actor, f: &FollowUp, m: &MemberRecord) -> OpsResult<()> {
    authz::require(actor, Permission::LogFollowUps)?;
    if !can_see(actor, m) {
        return Err(OpsError::NotFound);
    }
    if authz::allows(actor.role, Permission::RunCampaigns) || (f.created_by == Some(actor.id) && can_work(actor, m)) {
        Ok(())
    } else {
        Err(OpsError::Forbidden)
    }
}

/// Corrects a follow-up; the audit trail keeps every version.
pub async fn update(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: Option<i64>,
    changes: FollowUpChanges,
) -> OpsResult<FollowUp> {
    authz::require(actor, Permission::LogFollowUps)?;
    let before = fu_store::follow_up(store.acquire().await?.conn(), id).await?.ok_or(OpsError::NotFound)?;
    let m = exec_store::member(store.acquire().await?.conn(), before.campaign_id, before.customer_id)
        .await?
        .ok_or(OpsError::NotFound)?;
    editable(actor, &before, &m)?;
    if let Some(v) = version
        && v != before.version
    {
        return Err(OpsError::Stale { current_version: before.version, current: edit_view(&before) });
    }
    let now = store.now();
    let occurred_at = changes.occurred_at.unwrap_or(before.occurred_at);
    if occurred_at > now + CLOCK_SKEW {
        return Err(OpsError::invalid("occurred_at", "a follow-up cannot be in the future"));
    }
    let occurred_on = in_china(occurred_at).date_naive();
    let channel = match changes.channel {
        Some(c) => channel(Some(&c))?,
        None => before.channel,
    };
    let summary = required_text("summary", changes.summary.as_deref().unwrap_or(&before.summary), 2000)?;
    let feedback_kind = match changes.feedback_kind {
        Some(k) => feedback_kind(Some(&k))?,
        None => before.feedback_kind,
    };
    let feedback = optional_text("feedback", changes.feedback.as_deref().unwrap_or(&before.feedback), 2000)?;
    let (next_action_on, next_action_at, next_action) = next_action(
        changes.next_action_on.unwrap_or(before.next_action_on),
        changes.next_action_at.unwrap_or(before.next_action_at.clone()).as_deref(),
        Some(changes.next_action.as_deref().unwrap_or(&before.next_action)),
        occurred_on,
    )?;
    let contact_id = match changes.contact_id {
        Some(Some(cid)) => {
            if !store.contacts_of(before.customer_id).await?.iter().any(|c| c.id == cid) {
                return Err(OpsError::invalid("contact_id", "not a contact of this customer"));
            }
            Some(cid)
        }
        Some(None) => None,
        None => before.contact_id,
    };
    let edit = FollowUpEdit {
        contact_id,
        occurred_at,
        occurred_on,
        channel,
        summary,
        feedback_kind,
        feedback,
        next_action_on,
        next_action_at,
        next_action,
    };
    let rules = crate::ops::customers::tier_rules(store).await?;
    let mut tx = store.begin().await?;
    if !fu_store::update_follow_up(&mut tx, id, before.version, &edit).await? {
        return Err(OpsError::Stale { current_version: before.version + 1, current: edit_view(&before) });
    }
    // The interaction on the timeline says the same.
    let kind = if before.stage_after == Stage::Ordered && before.stage_before != Stage::Ordered {
        InteractionKind::Order
    } else {
        InteractionKind::implied_by(channel).unwrap_or(InteractionKind::Visit)
    };
    let interaction = NewInteraction {
        occurred_on,
        occurred_at: Some(in_china(occurred_at).format("%H:%M").to_string()),
        channel,
        kind,
        note: note(&edit.summary, &edit.feedback),
        amount_fen: if kind == InteractionKind::Order { before.order_amount_fen } else { None },
        created_by: before.created_by,
    };
    crate::store::interactions::update_interaction(&mut tx, before.interaction_id, None, &interaction).await?;
    sync_next_action(&mut tx, m.id).await?;
    refresh_activity(&mut tx, Some(&[before.customer_id]), i64::from(rules.s_min_interactions)).await?;
    let after = fu_store::follow_up(tx.conn(), id).await?.ok_or(OpsError::NotFound)?;
    audit_change(
        &mut tx,
        actor,
        AuditAction::Update,
        "follow_up",
        id,
        Some(edit_view(&before)),
        Some(edit_view(&after)),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// The member's next action and last follow-up time from its latest
/// follow-up, and its first follow-up (time, channel) from those left.
pub(crate) async fn sync_next_action(tx: &mut Tx, member_id: i64) -> OpsResult<()> {
    let latest = fu_store::latest_of_member(tx, member_id).await?;
    match latest {
        Some(f) => {
            exec_store::set_next_action(
                tx,
                member_id,
                f.next_action_on,
                f.next_action_at.as_deref(),
                &f.next_action,
                Some(f.occurred_at),
            )
            .await?
        }
        None => exec_store::set_next_action(tx, member_id, None, None, "", None).await?,
    }
    Ok(())
}

/// Deletes a follow-up and its interaction (admin only; the audit trail
/// keeps it). The member's stage stays: a lead corrects it if needed.
pub async fn delete(store: &Store, actor: &Actor, id: i64) -> OpsResult<()> {
    authz::require(actor, Permission::DeleteFollowUps)?;
    let before = fu_store::follow_up(store.acquire().await?.conn(), id).await?.ok_or(OpsError::NotFound)?;
    let rules = crate::ops::customers::tier_rules(store).await?;
    let mut tx = store.begin().await?;
    crate::store::interactions::delete_interaction(&mut tx, before.interaction_id).await?;
    sync_next_action(&mut tx, before.member_id).await?;
    refresh_activity(&mut tx, Some(&[before.customer_id]), i64::from(rules.s_min_interactions)).await?;
    audit_change(&mut tx, actor, AuditAction::Delete, "follow_up", id, Some(edit_view(&before)), None).await?;
    tx.commit().await?;
    Ok(())
}

/// How far back the form shows what others logged for the customer.
pub const RECENT_DAYS: i64 = 30;

/// What others logged for the member's customer in the last 30 days, in any
/// campaign or outside one (shown before reaching the customer; one's own
/// records are in the member's history).
pub async fn recent(
    store: &Store,
    actor: &Actor,
    campaign_id: i64,
    customer_id: i64,
) -> OpsResult<Vec<RecentActivity>> {
    super::visible_member(store, actor, campaign_id, customer_id).await?;
    let since = store.today() - Duration::days(RECENT_DAYS);
    let all = fu_store::recent_for_customer(store.acquire().await?.conn(), customer_id, since, 50).await?;
    Ok(all.into_iter().filter(|r| r.by_id != Some(actor.id)).collect())
}

/// Authorization and visibility only, before a request body is read.
pub async fn check_loggable(store: &Store, actor: &Actor, campaign_id: i64, customer_id: i64) -> OpsResult<()> {
    loggable_member(store, actor, campaign_id, customer_id).await.map(|_| ())
}

/// The member if `actor` may log follow-ups on it: 403 without the
/// permission or when it is someone else's to work, 404 when invisible.
pub async fn loggable_member(
    store: &Store,
    actor: &Actor,
    campaign_id: i64,
    customer_id: i64,
) -> OpsResult<MemberRecord> {
    authz::require(actor, Permission::LogFollowUps)?;
    let m = super::visible_member(store, actor, campaign_id, customer_id).await?;
    if can_work(actor, &m) { Ok(m) } else { Err(OpsError::Forbidden) }
}

/// Authorization and visibility of an edit, before a request body is read.
pub async fn check_editable(store: &Store, actor: &Actor, id: i64) -> OpsResult<()> {
    authz::require(actor, Permission::LogFollowUps)?;
    let f = fu_store::follow_up(store.acquire().await?.conn(), id).await?.ok_or(OpsError::NotFound)?;
    let m = exec_store::member(store.acquire().await?.conn(), f.campaign_id, f.customer_id)
        .await?
        .ok_or(OpsError::NotFound)?;
    editable(actor, &f, &m)
}

/// The member's customer's pain points (shown, and editable, on the form).
pub async fn pain_points(store: &Store, actor: &Actor, campaign_id: i64, customer_id: i64) -> OpsResult<Vec<String>> {
    super::visible_member(store, actor, campaign_id, customer_id).await?;
    Ok(store.customer_labels(customer_id).await?.1)
}
