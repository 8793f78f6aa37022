//! Progress against the goal, the daily stand-up and a rep's day.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};

use crate::domain::campaign::CampaignStatus;
use crate::domain::execution::progress::{self, Achievement, Counts, Goals, Projection};
use crate::domain::execution::standup;
use crate::domain::team::Role;
use crate::ops::authz::{self, Actor, Permission};
use crate::ops::{OpsError, OpsResult};
use crate::store::Store;
use crate::store::campaigns::{BreakdownRow, Campaign};
use crate::store::execution::reports::{self as report_store, DayReason};
use crate::store::execution::{self as exec_store, MemberRecord};
use crate::store::users::User;

/// One rep's (or the pool's) line of the progress panel, against their
/// breakdown row when there is one.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RepProgress {
    pub assignee_id: Option<i64>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub actual: Counts,
    /// The breakdown row's target customers (intent goal) and sales target.
    pub target_customers: Option<i64>,
    pub sales_target_fen: Option<i64>,
    pub intent_achievement: Option<f64>,
    pub sales_achievement: Option<f64>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct TierProgress {
    pub tier: String,
    pub actual: Counts,
    pub conversion: Option<f64>,
}

pub struct Progress {
    pub campaign: Campaign,
    pub goals: Goals,
    pub actual: Counts,
    pub achievement: Achievement,
    pub by_rep: Vec<RepProgress>,
    pub by_tier: Vec<TierProgress>,
    pub projection: Option<Projection>,
}

fn goals_of(c: &Campaign) -> Goals {
    Goals {
        reached: c.goal_reached,
        intent_customers: c.goal_intent,
        orders: c.goal_orders,
        sales_fen: c.goal_sales_fen,
    }
}

fn ratio(a: i64, b: Option<i64>) -> Option<f64> {
    b.filter(|b| *b > 0).map(|b| a as f64 / b as f64)
}

/// Progress of one campaign: totals against the goals, by rep against the
/// breakdown, by tier, and the run-rate projection (working days).
pub async fn progress(store: &Store, actor: &Actor, campaign_id: i64) -> OpsResult<Progress> {
    let c = crate::ops::campaigns::readable(store, actor, campaign_id).await?;
    let rows = report_store::funnel_counts(store.acquire().await?.conn(), campaign_id).await?;
    let breakdown = store.breakdown(campaign_id).await?;
    let users = store.users().await?;
    let calendar = crate::ops::calendar::calendar(store).await?;
    Ok(assemble(c, &rows, &breakdown, &users, &calendar, store.today()))
}

fn assemble(
    c: Campaign,
    rows: &[(Option<i64>, String, Counts)],
    breakdown: &[BreakdownRow],
    users: &[User],
    calendar: &crate::domain::calendar::WorkCalendar,
    today: NaiveDate,
) -> Progress {
    let mut actual = Counts::default();
    let mut by_rep: Vec<RepProgress> = Vec::new();
    let mut by_tier: Vec<TierProgress> = ["S", "B", "C"]
        .iter()
        .map(|t| TierProgress { tier: (*t).to_owned(), actual: Counts::default(), conversion: None })
        .collect();
    for (assignee, tier, counts) in rows {
        actual.add(counts);
        if let Some(t) = by_tier.iter_mut().find(|t| &t.tier == tier) {
            t.actual.add(counts);
        }
        match by_rep.iter_mut().find(|r| r.assignee_id == *assignee) {
            Some(r) => r.actual.add(counts),
            None => {
                let user = users.iter().find(|u| Some(u.id) == *assignee);
                by_rep.push(RepProgress {
                    assignee_id: *assignee,
                    email: user.map(|u| u.email.clone()),
                    name: user.map(|u| u.name.clone()),
                    actual: *counts,
                    target_customers: None,
                    sales_target_fen: None,
                    intent_achievement: None,
                    sales_achievement: None,
                });
            }
        }
    }
    // Breakdown rows without members still show (their goal is real).
    for b in breakdown {
        if !by_rep.iter().any(|r| r.assignee_id == b.assignee_id) {
            let user = users.iter().find(|u| Some(u.id) == b.assignee_id);
            by_rep.push(RepProgress {
                assignee_id: b.assignee_id,
                email: user.map(|u| u.email.clone()),
                name: user.map(|u| u.name.clone()),
                actual: Counts::default(),
                target_customers: None,
                sales_target_fen: None,
                intent_achievement: None,
                sales_achievement: None,
            });
        }
    }
    for r in &mut by_rep {
        let rows: Vec<&BreakdownRow> = breakdown.iter().filter(|b| b.assignee_id == r.assignee_id).collect();
        if !rows.is_empty() {
            r.target_customers = Some(rows.iter().map(|b| b.target_customers).sum());
            r.sales_target_fen = Some(rows.iter().map(|b| b.sales_target_fen).sum());
        }
        r.intent_achievement = ratio(r.actual.intent_customers, r.target_customers);
        r.sales_achievement = ratio(r.actual.sales_fen, r.sales_target_fen);
    }
    by_rep.sort_by(|a, b| a.assignee_id.is_none().cmp(&b.assignee_id.is_none()).then(a.name.cmp(&b.name)));
    for t in &mut by_tier {
        t.conversion = t.actual.conversion();
    }
    let goals = goals_of(&c);
    let achievement = progress::achievement(&actual, &goals);
    let projection = progress::project(&actual, &goals, c.starts_on, c.ends_on, today, calendar);
    Progress { campaign: c, goals, actual, achievement, by_rep, by_tier, projection }
}

/// Progress of every active campaign (the lead's dashboard).
pub async fn active_progress(store: &Store, actor: &Actor) -> OpsResult<Vec<Progress>> {
    authz::require(actor, Permission::ReadCampaigns)?;
    let campaigns: Vec<Campaign> =
        store.campaigns().await?.into_iter().filter(|c| c.status == CampaignStatus::Active).collect();
    let users = store.users().await?;
    let calendar = crate::ops::calendar::calendar(store).await?;
    let mut out = Vec::with_capacity(campaigns.len());
    for c in campaigns {
        let rows = report_store::funnel_counts(store.acquire().await?.conn(), c.id).await?;
        let breakdown = store.breakdown(c.id).await?;
        out.push(assemble(c, &rows, &breakdown, &users, &calendar, store.today()));
    }
    Ok(out)
}

/// One rep's line of the stand-up.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StandupRow {
    pub assignee_id: Option<i64>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub members: i64,
    pub contacted: i64,
    pub new_intents: i64,
    pub orders: i64,
    pub sales_fen: i64,
    pub overdue_tasks: i64,
    pub overdue_actions: i64,
    pub open_blockers: i64,
    /// Logged at least one follow-up that day.
    pub updated: bool,
    /// 未更新: members to work, nothing logged, the day's cutoff passed.
    pub missing_update: bool,
    /// Also 未更新 on the previous working day (the morning stand-up reviews it).
    pub missed_previous_day: bool,
}

pub struct Standup {
    pub campaign: Campaign,
    pub date: NaiveDate,
    /// The working day before `date` (its missing updates are flagged too).
    pub previous_day: NaiveDate,
    pub cutoff: String,
    pub rows: Vec<StandupRow>,
    pub blockers: Vec<crate::store::execution::blockers::Blocker>,
}

/// The stand-up of a campaign on `date` (default today): per rep.
pub async fn standup(store: &Store, actor: &Actor, campaign_id: i64, date: Option<NaiveDate>) -> OpsResult<Standup> {
    let c = crate::ops::campaigns::readable(store, actor, campaign_id).await?;
    let today = store.today();
    let date = date.unwrap_or(today);
    if date > today + Duration::days(366) {
        return Err(OpsError::invalid("date", "too far in the future"));
    }
    standup_of(store, c, date).await
}

/// The stand-up of `c` on `date`, for whoever may already see it (the
/// notification scan, which speaks for the team, reuses it for its digests).
pub(crate) async fn standup_of(store: &Store, c: Campaign, date: NaiveDate) -> OpsResult<Standup> {
    let campaign_id = c.id;
    let settings = super::settings(store).await?;
    let calendar = crate::ops::calendar::calendar(store).await?;
    let mut conn = store.acquire().await?;
    let counts = report_store::standup_counts(conn.conn(), campaign_id, date).await?;
    let blockers_by = report_store::open_blocker_counts(conn.conn(), campaign_id).await?;
    let previous_day = calendar.previous_working_day(date);
    let logged_before = report_store::logged_on(conn.conn(), campaign_id, previous_day).await?;
    let blockers = crate::store::execution::blockers::blockers(
        conn.conn(),
        &crate::store::execution::blockers::BlockerQuery {
            campaign_id: Some(campaign_id),
            open_only: true,
            ..Default::default()
        },
    )
    .await?;
    drop(conn);
    let users = store.users().await?;
    let now = super::in_china(store.now());
    let now = (now.date_naive(), now.time());
    // Only the campaign's own days can miss an update.
    let running = |d: NaiveDate| c.starts_on <= d && d <= c.ends_on;
    // Every active rep with members, plus anyone with something to report.
    let mut ids: Vec<Option<i64>> = counts.keys().copied().collect();
    for (a, _) in &blockers_by {
        if !ids.contains(a) {
            ids.push(*a);
        }
    }
    let mut rows: Vec<StandupRow> = ids
        .into_iter()
        .map(|a| {
            let k = counts.get(&a).cloned().unwrap_or_default();
            let user = users.iter().find(|u| Some(u.id) == a);
            let logged = a.and_then(|id| counts.get(&Some(id))).map_or(0, |c| c.logged) > 0;
            let is_rep = user.is_some_and(|u| u.role == Role::Rep);
            StandupRow {
                assignee_id: a,
                email: user.map(|u| u.email.clone()),
                name: user.map(|u| u.name.clone()),
                members: k.members,
                contacted: k.contacted,
                new_intents: k.new_intents,
                orders: k.orders,
                sales_fen: k.sales_fen,
                overdue_tasks: k.overdue_tasks,
                overdue_actions: k.overdue_actions,
                open_blockers: blockers_by.iter().find(|(b, _)| *b == a).map_or(0, |(_, n)| *n),
                updated: logged,
                missing_update: is_rep
                    && running(date)
                    && standup::missing_update(k.members > 0, logged, date, now, settings.cutoff(), &calendar),
                missed_previous_day: is_rep
                    && running(previous_day)
                    && standup::missing_update(
                        k.members > 0,
                        logged_before.iter().any(|(by, n)| *by == a && *n > 0),
                        previous_day,
                        now,
                        settings.cutoff(),
                        &calendar,
                    ),
            }
        })
        .filter(|r| r.members > 0 || r.open_blockers > 0 || r.updated)
        .collect();
    rows.sort_by(|a, b| a.assignee_id.is_none().cmp(&b.assignee_id.is_none()).then(a.name.cmp(&b.name)));
    Ok(Standup { campaign: c, date, previous_day, cutoff: settings.standup_cutoff, rows, blockers })
}

/// Why a member is on the day, for display.
#[derive(Clone, Debug)]
pub enum Why {
    Task { id: i64, action: String, what: String, due_on: NaiveDate, overdue: bool },
    NextAction { on: NaiveDate, at: Option<String>, what: String, overdue: bool },
    New,
}

#[derive(Clone, Debug)]
pub struct DayRow {
    pub member: MemberRecord,
    pub why: Vec<Why>,
    /// The earliest due date among the reasons (new members: today).
    pub due_on: NaiveDate,
}

impl DayRow {
    pub fn overdue(&self) -> bool {
        self.why.iter().any(|w| matches!(w, Why::Task { overdue: true, .. } | Why::NextAction { overdue: true, .. }))
    }
}

pub struct Day {
    pub rep: User,
    pub today: NaiveDate,
    /// Due today or overdue, and new members, in outreach order: the first
    /// [`DAY_ROWS`].
    pub rows: Vec<DayRow>,
    /// How many more members are due beyond `rows`.
    pub more: usize,
    /// When nothing is due: what comes next (upcoming tasks, then members
    /// not reached yet). Read only when the day has fewer than two rows.
    pub upcoming: Vec<DayRow>,
    /// Delivered collateral of the rep's requests that went stale.
    pub stale_requests: Vec<crate::store::execution::requests::Request>,
}

/// The most rows a rep's day shows at once.
pub const DAY_ROWS: usize = 200;

fn why(reason: DayReason, today: NaiveDate) -> (Why, NaiveDate) {
    match reason {
        DayReason::Task { id, action, what, due_on } => {
            (Why::Task { id, action, what, due_on, overdue: due_on < today }, due_on)
        }
        DayReason::NextAction { on, at, what } => (Why::NextAction { on, at, what, overdue: on < today }, on),
        DayReason::NewMember { .. } => (Why::New, today),
    }
}

/// Members in first-seen order, and each one's reasons with its earliest due day.
type Grouped = (Vec<i64>, HashMap<i64, (Vec<Why>, NaiveDate)>);

fn group(items: Vec<(i64, DayReason)>, today: NaiveDate) -> Grouped {
    let mut order = Vec::new();
    let mut by: HashMap<i64, (Vec<Why>, NaiveDate)> = HashMap::new();
    for (member, reason) in items {
        let (w, due) = why(reason, today);
        let entry = by.entry(member).or_insert_with(|| {
            order.push(member);
            (Vec::new(), due)
        });
        entry.1 = entry.1.min(due);
        entry.0.push(w);
    }
    (order, by)
}

/// A rep's day (今日跟进) across every active campaign. A rep sees their own;
/// a lead or admin any rep's (`rep_email`).
pub async fn day(store: &Store, actor: &Actor, rep_email: Option<&str>) -> OpsResult<Day> {
    authz::require(actor, Permission::ReadCampaigns)?;
    let users = store.users().await?;
    let rep = match rep_email.map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) if !e.eq_ignore_ascii_case(&actor.email) => {
            authz::require(actor, Permission::RunCampaigns)?;
            users
                .iter()
                .find(|u| u.email.eq_ignore_ascii_case(e) && u.role == Role::Rep)
                .cloned()
                .ok_or(OpsError::NotFound)?
        }
        _ => {
            if actor.role != Role::Rep {
                authz::require(actor, Permission::RunCampaigns)?;
                return Err(OpsError::invalid("rep", "name the rep whose day to show"));
            }
            users.iter().find(|u| u.id == actor.id).cloned().ok_or(OpsError::NotFound)?
        }
    };
    let today = store.today();
    let calendar = crate::ops::calendar::calendar(store).await?;
    // New members: assigned since the start of the previous working day.
    let since_day = calendar.previous_working_day(today);
    let since = since_day
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(crate::clock::china_offset()).single())
        .map(|t| t.to_utc())
        .unwrap_or_else(|| store.now());
    let mut conn = store.acquire().await?;
    // The day in outreach order, cut to what a person can work through; the
    // rest is counted, and comes up as the first rows get done.
    let (page, total) = report_store::day_page(conn.conn(), rep.id, today, since, DAY_ROWS as i64).await?;
    let more = total.saturating_sub(page.len());
    let items = report_store::day_items(conn.conn(), rep.id, today, since, &page).await?;
    let (_, mut by) = group(items.into_iter().map(|i| (i.member_id, i.reason)).collect(), today);
    let order = page;
    let members = exec_store::members_by_id(conn.conn(), &order).await?;
    let mut rows: Vec<DayRow> = members
        .into_iter()
        .filter_map(|m| {
            let (why, due_on) = by.remove(&m.id)?;
            Some(DayRow { member: m, why, due_on })
        })
        .collect();
    rows.sort_by(|a, b| {
        (a.member.outreach_rank, a.due_on, a.member.campaign_id, a.member.customer_id).cmp(&(
            b.member.outreach_rank,
            b.due_on,
            b.member.campaign_id,
            b.member.customer_id,
        ))
    });
    // What comes next: shown when nothing is due, and where "next member"
    // looks when the day has no other row; not read for a full day.
    let mut upcoming = Vec::new();
    if rows.len() < 2 {
        let (tasks, fresh) = report_store::upcoming(conn.conn(), rep.id, 6).await?;
        let (order, mut by) = group(tasks, today);
        let mut ids = order;
        ids.extend(fresh.iter().filter(|id| !by.contains_key(id)));
        for m in exec_store::members_by_id(conn.conn(), &ids).await? {
            let (why, due_on) = by.remove(&m.id).unwrap_or((vec![Why::New], today));
            upcoming.push(DayRow { member: m, why, due_on });
        }
    }
    drop(conn);
    let stale_requests = super::requests::stale_for(store, rep.id).await?;
    Ok(Day { rep, today, rows, more, upcoming, stale_requests })
}

/// The member to open after `current` in the rep's order: the next on their
/// day, else the next not reached yet.
pub async fn next_member(store: &Store, actor: &Actor, current: (i64, i64)) -> OpsResult<Option<MemberRecord>> {
    if actor.role != Role::Rep {
        return Ok(None);
    }
    let d = day(store, actor, None).await?;
    let pick =
        |rows: Vec<DayRow>| rows.into_iter().map(|r| r.member).find(|m| (m.campaign_id, m.customer_id) != current);
    Ok(pick(d.rows).or_else(|| pick(d.upcoming)))
}
