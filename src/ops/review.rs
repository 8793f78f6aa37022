//! Phase 4: the campaign's metrics (live while it runs, frozen once the
//! review is held), the cost items' actuals, and the review (template 4):
//! drafted when the campaign ends, pre-filled from the records, edited by
//! the lead, held.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde_json::json;

use super::authz::{self, Actor, Permission};
use super::campaigns::Planning;
use super::{OpsError, OpsResult, audit_change, optional_multiline};
use crate::domain::calendar::WorkCalendar;
use crate::domain::campaign::{CampaignStatus, Urgency};
use crate::domain::review::metrics::{self, CostItem, Metric, MetricKey, PlanGoals, Unit};
use crate::domain::review::{self, Facts, LineText, ReviewStatus, Snapshot};
use crate::domain::team::Role;
use crate::store::audit::AuditAction;
use crate::store::campaigns::{self as campaign_store, Campaign};
use crate::store::review::{self as review_store, StoredReview};
use crate::store::users::User;
use crate::store::{Conn, Store, Tx};

/// Longest highlight, problem or improvement.
pub const MAX_LINE_CHARS: usize = 2000;
/// Most cost items a campaign may list.
pub const MAX_COST_ITEMS: usize = 100;

/// A campaign's metrics and where they come from.
pub struct MetricsView {
    pub campaign: Campaign,
    pub snapshot: Snapshot,
    /// Held review: the numbers no longer change.
    pub frozen: bool,
    /// Rep user ids (as in `by_rep`) → names.
    pub rep_names: HashMap<String, String>,
}

impl MetricsView {
    pub fn rep_name(&self, key: &str) -> String {
        rep_label(&self.rep_names, key)
    }
}

fn rep_label(names: &HashMap<String, String>, key: &str) -> String {
    if key.is_empty() {
        return "未分配".to_owned();
    }
    names.get(key).cloned().unwrap_or_else(|| format!("#{key}"))
}

fn goals_of(c: &Campaign) -> PlanGoals {
    PlanGoals {
        reached: c.goal_reached,
        intent_customers: c.goal_intent,
        orders: c.goal_orders,
        sales_fen: c.goal_sales_fen,
        roi: c.goal_roi,
    }
}

/// Whether the campaign is over: marked ended (or reviewed), or past its end date.
pub fn has_ended(c: &Campaign, today: NaiveDate) -> bool {
    c.status >= CampaignStatus::Ended || c.ends_on < today
}

/// The cost items: those entered, else the plan's text read into items.
fn cost_items_of(c: &Campaign, stored: Vec<CostItem>) -> Vec<CostItem> {
    if stored.is_empty() { metrics::parse_cost_items(&c.cost_items) } else { stored }
}

/// The numbers as the records say now.
async fn live(conn: &mut Conn<'_>, c: &Campaign, calendar: &WorkCalendar, today: NaiveDate) -> OpsResult<Snapshot> {
    let groups = review_store::member_groups(conn.reborrow(), c.id).await?;
    let (intent_days, order_days) = review_store::daily_counts(conn.reborrow(), c.id).await?;
    let cost_items = cost_items_of(c, review_store::costs(conn.reborrow(), c.id).await?);
    let totals = metrics::total(&groups);
    let goals = goals_of(c);
    let cost = metrics::cost_totals(&cost_items, c.budget_fen);
    Ok(Snapshot {
        metrics: metrics::metrics(&totals, &goals, &cost),
        funnel: metrics::funnel(&totals),
        breakdowns: metrics::breakdowns(&groups),
        burn_up: metrics::burn_up(c.starts_on, c.ends_on, today, &intent_days, &order_days, &goals, calendar),
        cost_items,
    })
}

fn frozen_snapshot(r: &StoredReview) -> OpsResult<Option<Snapshot>> {
    match r.snapshot.as_deref() {
        Some(s) => Ok(Some(
            serde_json::from_str(s).map_err(|e| OpsError::Other(anyhow::anyhow!("stored review snapshot: {e}")))?,
        )),
        None => Ok(None),
    }
}

fn names(users: &[User]) -> HashMap<String, String> {
    users.iter().map(|u| (u.id.to_string(), u.name.clone())).collect()
}

/// The campaign's metrics: frozen when its review is held, live otherwise.
pub async fn metrics(store: &Store, actor: &Actor, campaign_id: i64) -> OpsResult<MetricsView> {
    let campaign = super::campaigns::readable(store, actor, campaign_id).await?;
    let calendar = super::calendar::calendar(store).await?;
    let users = store.users().await?;
    let mut pooled = store.acquire().await?;
    let mut conn = pooled.conn();
    let stored = review_store::review(conn.reborrow(), campaign_id).await?;
    let (snapshot, frozen) = match stored.as_ref().map(frozen_snapshot).transpose()?.flatten() {
        Some(s) => (s, true),
        None => (live(&mut conn, &campaign, &calendar, store.today()).await?, false),
    };
    Ok(MetricsView { campaign, snapshot, frozen, rep_names: names(&users) })
}

/// The cost items with their planned and actual amounts.
pub async fn costs(store: &Store, actor: &Actor, campaign_id: i64) -> OpsResult<Vec<CostItem>> {
    let c = super::campaigns::readable(store, actor, campaign_id).await?;
    Ok(cost_items_of(&c, review_store::costs(store.acquire().await?.conn(), campaign_id).await?))
}

/// Replaces the cost items (the lead or marketing enters what was spent).
/// A reviewed campaign's costs are part of its frozen numbers.
pub async fn set_costs(store: &Store, actor: &Actor, campaign_id: i64, items: Vec<CostItem>) -> OpsResult<()> {
    authz::require(actor, Permission::ManageCampaigns)?;
    store.campaign(campaign_id).await?.ok_or(OpsError::NotFound)?;
    if items.len() > MAX_COST_ITEMS {
        return Err(OpsError::invalid("items", format!("at most {MAX_COST_ITEMS} cost items")));
    }
    let mut clean = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let name = super::optional_text("item", &item.item, 200).map_err(|e| rename(e, "items[].item"))?;
        if name.is_empty() {
            return Err(OpsError::invalid("items[].item", format!("cost item {} has no name", i + 1)));
        }
        for (field, v) in [("items[].planned_fen", item.planned_fen), ("items[].actual_fen", item.actual_fen)] {
            if let Some(v) = v
                && !(0..=1_000_000_000_000).contains(&v)
            {
                return Err(OpsError::invalid(field, format!("cost item {} has an amount out of range", i + 1)));
            }
        }
        clean.push(CostItem { item: name, planned_fen: item.planned_fen, actual_fen: item.actual_fen });
    }
    let mut tx = store.begin().await?;
    let c = campaign_store::campaign(tx.conn(), campaign_id).await?.ok_or(OpsError::NotFound)?;
    if c.status == CampaignStatus::Reviewed {
        return Err(OpsError::Conflict("the campaign is reviewed: its numbers are frozen".to_owned()));
    }
    let before = review_store::costs(tx.conn(), campaign_id).await?;
    review_store::set_costs(&mut tx, campaign_id, &clean, actor.id).await?;
    audit_change(
        &mut tx,
        actor,
        AuditAction::Update,
        "campaign",
        campaign_id,
        Some(json!({ "cost_items": before })),
        Some(json!({ "cost_items": clean })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn rename(e: OpsError, field: &'static str) -> OpsError {
    match e {
        OpsError::Invalid { message, .. } => OpsError::Invalid { field, message },
        other => other,
    }
}

/// One line of the review: the metric's numbers and the lead's words.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ReviewLine {
    pub key: MetricKey,
    pub label: &'static str,
    pub unit: Unit,
    pub goal: Option<f64>,
    pub actual: Option<f64>,
    pub achievement: Option<f64>,
    pub highlight: String,
    pub problem: String,
    pub improvement: String,
}

impl ReviewLine {
    pub fn goal_text(&self) -> String {
        metrics::value_text(self.unit, self.goal)
    }
    pub fn actual_text(&self) -> String {
        metrics::value_text(self.unit, self.actual)
    }
    pub fn achievement_text(&self) -> String {
        self.achievement.map_or_else(|| "—".to_owned(), metrics::percent)
    }
    /// The lead wrote (or the draft holds) a highlight, problem or improvement.
    pub fn has_text(&self) -> bool {
        [&self.highlight, &self.problem, &self.improvement].iter().any(|t| !t.trim().is_empty())
    }
}

pub struct ReviewView {
    pub metrics: MetricsView,
    pub status: ReviewStatus,
    /// Phase 4's deadline: working days after the end (the team's phase rule).
    pub due_on: NaiveDate,
    pub urgency: Urgency,
    pub lines: Vec<ReviewLine>,
    /// The stored review's version (none before the draft exists).
    pub version: Option<i64>,
    pub held_on: Option<NaiveDate>,
}

fn join_lines(ms: &[Metric], texts: &[LineText]) -> Vec<ReviewLine> {
    MetricKey::ALL
        .into_iter()
        .map(|key| {
            let m = ms.iter().find(|m| m.key == key);
            let t = texts.iter().find(|t| t.key == key.as_str()).cloned().unwrap_or_default();
            ReviewLine {
                key,
                label: key.label_zh(),
                unit: key.unit(),
                goal: m.and_then(|m| m.goal),
                actual: m.and_then(|m| m.actual),
                achievement: m.and_then(|m| m.achievement),
                highlight: t.highlight,
                problem: t.problem,
                improvement: t.improvement,
            }
        })
        .collect()
}

/// What the records say beyond the numbers, up to `cutoff`.
async fn facts(
    conn: &mut Conn<'_>,
    c: &Campaign,
    calendar: &WorkCalendar,
    users: &[User],
    today: NaiveDate,
) -> OpsResult<Facts> {
    let cutoff = c.ends_on.min(today);
    let raw = review_store::raw_facts(conn.reborrow(), c.id, cutoff).await?;
    let day = |at: chrono::DateTime<chrono::Utc>| super::execution::in_china(at).date_naive();
    let late_collateral_days = raw
        .collateral
        .iter()
        .map(|(needed, delivered)| (day(*delivered) - *needed).num_days())
        .filter(|d| *d > 0)
        .collect();
    // Reps with members who logged nothing on some working day of the campaign.
    let last_day = c.ends_on.min(today.pred_opt().unwrap_or(today));
    let mut missed_updates = Vec::new();
    for id in &raw.assignees {
        let Some(u) = users.iter().find(|u| u.id == *id && u.role == Role::Rep) else { continue };
        let logged: Vec<NaiveDate> = raw.logged.iter().filter(|(by, _)| *by == Some(*id)).map(|(_, d)| *d).collect();
        let n = review::missed_days(calendar, c.starts_on, last_day, &logged);
        if n > 0 {
            missed_updates.push((u.name.clone(), n));
        }
    }
    missed_updates.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let late_blockers = raw
        .blockers
        .iter()
        .filter(|(raised, acted)| review::acted_late(calendar, day(*raised), acted.map(day), cutoff))
        .count() as i64;
    Ok(Facts {
        late_collateral_days,
        stale_collateral: raw.stale_collateral,
        overdue_actions: raw.overdue_actions,
        missed_updates,
        late_blockers,
        objections: review::top_objections(&raw.objections, 3),
    })
}

/// The pre-filled lines for `c` as the records stand.
async fn draft_lines(
    conn: &mut Conn<'_>,
    c: &Campaign,
    snapshot: &Snapshot,
    calendar: &WorkCalendar,
    users: &[User],
    today: NaiveDate,
) -> OpsResult<Vec<LineText>> {
    let f = facts(conn, c, calendar, users, today).await?;
    Ok(review::prefill(&snapshot.metrics, &snapshot.breakdowns.by_tier, &f))
}

fn parse_lines(r: &StoredReview) -> OpsResult<Vec<LineText>> {
    serde_json::from_str(&r.lines).map_err(|e| OpsError::Other(anyhow::anyhow!("stored review lines: {e}")))
}

/// Creates the review draft of a campaign that just ended, inside the
/// change that ended it (nothing when one exists).
pub(crate) async fn create_draft(
    tx: &mut Tx,
    c: &Campaign,
    calendar: &WorkCalendar,
    users: &[User],
    today: NaiveDate,
    by: Option<i64>,
) -> OpsResult<bool> {
    let snapshot = live(&mut tx.conn(), c, calendar, today).await?;
    let lines = draft_lines(&mut tx.conn(), c, &snapshot, calendar, users, today).await?;
    Ok(review_store::insert_draft(tx, c.id, &json!(lines).to_string(), by).await?)
}

/// The review of a campaign: the stored one, or the draft the records give
/// (a preview while the campaign runs).
pub async fn get(store: &Store, actor: &Actor, campaign_id: i64) -> OpsResult<ReviewView> {
    let campaign = super::campaigns::readable(store, actor, campaign_id).await?;
    let planning = Planning::load(store).await?;
    let users = store.users().await?;
    let milestones = store.milestones(campaign_id).await?;
    let phase = planning.phases_of(&campaign, &milestones).into_iter().find(|p| p.phase.number == 4);
    let mut pooled = store.acquire().await?;
    let mut conn = pooled.conn();
    let stored = review_store::review(conn.reborrow(), campaign_id).await?;
    let frozen = stored.as_ref().map(frozen_snapshot).transpose()?.flatten();
    let (snapshot, is_frozen) = match frozen {
        Some(s) => (s, true),
        None => (live(&mut conn, &campaign, &planning.calendar, planning.today).await?, false),
    };
    let texts = match &stored {
        Some(r) => parse_lines(r)?,
        None => draft_lines(&mut conn, &campaign, &snapshot, &planning.calendar, &users, planning.today).await?,
    };
    let status = match &stored {
        Some(r) if r.held_on.is_some() => ReviewStatus::Held,
        _ if has_ended(&campaign, planning.today) => ReviewStatus::Draft,
        _ => ReviewStatus::Pending,
    };
    let lines = join_lines(&snapshot.metrics, &texts);
    let due_on = phase.as_ref().map_or(campaign.ends_on, |p| p.phase.due_on);
    let urgency = phase.map_or(Urgency::OnTrack, |p| p.urgency);
    Ok(ReviewView {
        metrics: MetricsView { campaign, snapshot, frozen: is_frozen, rep_names: names(&users) },
        status,
        due_on,
        urgency,
        lines,
        version: stored.as_ref().map(|r| r.version),
        held_on: stored.and_then(|r| r.held_on),
    })
}

/// A campaign whose review is waiting to be held.
#[derive(Clone, Debug, serde::Serialize)]
pub struct OpenReview {
    pub campaign_id: i64,
    pub name: String,
    pub ends_on: NaiveDate,
    /// Phase 4's deadline: the team's rule (working days after the end).
    pub due_on: NaiveDate,
    /// The deadline passed without the review held.
    pub overdue: bool,
}

/// Campaigns that ended (marked so, or past their end date) and whose review
/// is not held yet, the most overdue first. For those who hold reviews (leads
/// and admins) every such campaign, for anyone else the campaigns they lead;
/// a draft campaign never ran and has nothing to review.
pub async fn open_reviews(store: &Store, actor: &Actor) -> OpsResult<Vec<OpenReview>> {
    let views = super::campaigns::list(store, actor).await?;
    let today = store.today();
    let holds = authz::allows(actor.role, Permission::RunCampaigns);
    let mut out: Vec<OpenReview> = views
        .into_iter()
        .filter(|v| !matches!(v.campaign.status, CampaignStatus::Draft | CampaignStatus::Reviewed))
        .filter(|v| has_ended(&v.campaign, today))
        .filter(|v| holds || v.campaign.lead_id == Some(actor.id))
        .filter_map(|v| {
            let p = v.phases.iter().find(|p| p.phase.number == 4)?;
            (p.urgency != Urgency::Done).then(|| OpenReview {
                campaign_id: v.campaign.id,
                name: v.campaign.name.clone(),
                ends_on: v.campaign.ends_on,
                due_on: p.phase.due_on,
                overdue: p.urgency == Urgency::Overdue,
            })
        })
        .collect();
    out.sort_by(|a, b| a.due_on.cmp(&b.due_on).then(a.campaign_id.cmp(&b.campaign_id)));
    Ok(out)
}

fn check_ended(c: &Campaign, today: NaiveDate) -> OpsResult<()> {
    if has_ended(c, today) {
        Ok(())
    } else {
        Err(OpsError::Conflict(format!("the campaign runs until {}: it is reviewed after it ends", c.ends_on)))
    }
}

/// Authorization and existence for editing a review, before a body is read.
pub async fn check_edit(store: &Store, actor: &Actor, campaign_id: i64) -> OpsResult<()> {
    authz::require(actor, Permission::RunCampaigns)?;
    store.campaign(campaign_id).await?.map(|_| ()).ok_or(OpsError::NotFound)
}

/// Saves the lead's lines (every metric's highlight, problem, improvement;
/// lines not given keep their text). `version` is the review's version the
/// lead saw, when there was one.
pub async fn save(
    store: &Store,
    actor: &Actor,
    campaign_id: i64,
    version: Option<i64>,
    lines: Vec<LineText>,
) -> OpsResult<()> {
    check_edit(store, actor, campaign_id).await?;
    let mut given: Vec<LineText> = Vec::with_capacity(lines.len());
    for (i, l) in lines.into_iter().enumerate() {
        if MetricKey::parse(&l.key).is_none() {
            return Err(OpsError::invalid(
                "lines[].key",
                format!(
                    "line {}: {:?} is not a metric (expected one of {})",
                    i + 1,
                    l.key,
                    MetricKey::ALL.map(|k| k.as_str()).join(", ")
                ),
            ));
        }
        if given.iter().any(|g| g.key == l.key.trim()) {
            return Err(OpsError::invalid("lines[].key", format!("line {}: {} is given twice", i + 1, l.key.trim())));
        }
        let text = |field: &'static str, v: &str| optional_multiline(field, v, MAX_LINE_CHARS);
        given.push(LineText {
            key: l.key.trim().to_owned(),
            highlight: text("lines[].highlight", &l.highlight)?,
            problem: text("lines[].problem", &l.problem)?,
            improvement: text("lines[].improvement", &l.improvement)?,
        });
    }
    let planning = Planning::load(store).await?;
    let users = store.users().await?;
    let mut tx = store.begin().await?;
    let c = campaign_store::campaign(tx.conn(), campaign_id).await?.ok_or(OpsError::NotFound)?;
    check_ended(&c, planning.today)?;
    create_draft(&mut tx, &c, &planning.calendar, &users, planning.today, Some(actor.id)).await?;
    let stored = review_store::review(tx.conn(), campaign_id).await?.ok_or(OpsError::NotFound)?;
    if let Some(v) = version
        && v != stored.version
    {
        return Err(OpsError::Stale { current_version: stored.version, current: json!(parse_lines(&stored)?) });
    }
    let before = parse_lines(&stored)?;
    let mut after = before.clone();
    for g in given {
        match after.iter_mut().find(|l| l.key == g.key) {
            Some(l) => *l = g,
            None => after.push(g),
        }
    }
    if !review_store::update_lines(&mut tx, campaign_id, stored.version, &json!(after).to_string(), actor.id).await? {
        return Err(OpsError::Stale { current_version: stored.version + 1, current: json!(before) });
    }
    audit_change(
        &mut tx,
        actor,
        AuditAction::Update,
        "campaign",
        campaign_id,
        Some(json!({ "review": before })),
        Some(json!({ "review": after })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The review meeting was held (phase 4's milestone): the numbers are
/// frozen as they are now and the campaign becomes `reviewed`.
pub async fn hold(store: &Store, actor: &Actor, campaign_id: i64) -> OpsResult<()> {
    check_edit(store, actor, campaign_id).await?;
    let planning = Planning::load(store).await?;
    let users = store.users().await?;
    let today = planning.today;
    let mut tx = store.begin().await?;
    let before = campaign_store::campaign(tx.conn(), campaign_id).await?.ok_or(OpsError::NotFound)?;
    check_ended(&before, today)?;
    if before.status == CampaignStatus::Draft {
        return Err(OpsError::Conflict("a draft campaign never ran: there is nothing to review".to_owned()));
    }
    create_draft(&mut tx, &before, &planning.calendar, &users, today, Some(actor.id)).await?;
    let snapshot = live(&mut tx.conn(), &before, &planning.calendar, today).await?;
    if !review_store::hold(&mut tx, campaign_id, &json!(snapshot).to_string(), today, actor.id).await? {
        return Err(OpsError::Conflict("the review was already held".to_owned()));
    }
    let planned =
        store.milestones(campaign_id).await?.into_iter().find(|m| m.key == "review_held").and_then(|m| m.planned_on);
    campaign_store::set_milestone(&mut tx, campaign_id, "review_held", planned, Some(today)).await?;
    let mut after = before.clone();
    after.status = CampaignStatus::Reviewed;
    if !campaign_store::update_campaign(&mut tx, &after, before.version).await? {
        return Err(OpsError::Stale { current_version: before.version + 1, current: json!(before) });
    }
    audit_change(
        &mut tx,
        actor,
        AuditAction::Update,
        "campaign",
        campaign_id,
        Some(json!({ "status": before.status })),
        Some(json!({ "status": CampaignStatus::Reviewed, "review_held_on": today, "metrics": snapshot.metrics })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Template 4 as XLSX: a file name and the bytes.
pub async fn export_xlsx(store: &Store, actor: &Actor, campaign_id: i64) -> OpsResult<(String, Vec<u8>)> {
    let view = get(store, actor, campaign_id).await?;
    let rows: Vec<[String; 7]> = view
        .lines
        .iter()
        .map(|l| {
            [
                l.label.to_owned(),
                l.goal_text(),
                l.actual_text(),
                l.achievement_text(),
                l.highlight.clone(),
                l.problem.clone(),
                l.improvement.clone(),
            ]
        })
        .collect();
    let c = &view.metrics.campaign;
    let title = format!("活动复盘表 — {}（{} 至 {}）", c.name, c.starts_on, c.ends_on);
    let bytes = crate::io::templates::review_xlsx(&title, &rows)
        .map_err(|e| OpsError::Other(anyhow::anyhow!("cannot write the spreadsheet: {e}")))?;
    Ok((format!("活动复盘表-{}.xlsx", c.id), bytes))
}
