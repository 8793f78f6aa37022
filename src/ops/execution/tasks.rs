//! The tier playbook and the tasks it gives members: planned when a campaign
//! becomes active and for members added later, completed by follow-ups,
//! re-planned (open tasks only) when the lead edits the playbook.

use chrono::NaiveDate;
use serde_json::json;

use crate::domain::calendar::WorkCalendar;
use crate::domain::campaign::CampaignStatus;
use crate::domain::execution::playbook::{self, Step, default_playbook};
use crate::domain::execution::stage::Stage;
use crate::domain::segment::Tier;
use crate::domain::team::Role;
use crate::ops::authz::{self, Actor, Permission};
use crate::ops::{OpsError, OpsResult, audit_change};
use crate::store::audit::AuditAction;
use crate::store::execution::tasks::{self as task_store, NewTask, Task, TaskQuery, Unplanned};
use crate::store::{Store, StoreResult, Tx};

/// A campaign's playbook: the lead's, else the template's; and whether it is
/// the default.
pub async fn playbook(store: &Store, actor: &Actor, campaign_id: i64) -> OpsResult<(Vec<Step>, bool)> {
    crate::ops::campaigns::readable(store, actor, campaign_id).await?;
    Ok(match task_store::playbook(store.acquire().await?.conn(), campaign_id).await? {
        Some((steps, _)) => (steps, false),
        None => (default_playbook(), true),
    })
}

async fn playbook_in(tx: &mut Tx, campaign_id: i64) -> StoreResult<Vec<Step>> {
    Ok(task_store::playbook(tx.conn(), campaign_id).await?.map_or_else(default_playbook, |(s, _)| s))
}

/// When members' tasks count from: the day the campaign became active
/// counts as its start for the members on the list then; members added
/// later count from the day they joined.
#[derive(Clone, Copy)]
enum Base {
    Start,
    Joined,
}

/// The tasks of `members` under `steps`, skipping closed members and the
/// steps each member already did; with the base day of each member.
fn plan_for(
    campaign_id: i64,
    starts_on: NaiveDate,
    base: Base,
    steps: &[Step],
    members: &[Unplanned],
    done: &std::collections::HashSet<(i64, i64)>,
    calendar: &WorkCalendar,
) -> (Vec<NewTask>, std::collections::BTreeMap<NaiveDate, Vec<i64>>) {
    let mut out = Vec::new();
    let mut bases: std::collections::BTreeMap<NaiveDate, Vec<i64>> = Default::default();
    for m in members {
        if m.stage.parse::<Stage>().is_ok_and(Stage::is_closed) {
            continue;
        }
        let Ok(tier) = m.tier.parse::<Tier>() else { continue };
        let day = m.plan_from.unwrap_or(match base {
            Base::Start => starts_on,
            Base::Joined => playbook::base_day(starts_on, crate::store::execution::added_on(m.added_at)),
        });
        if m.plan_from.is_none() {
            bases.entry(day).or_default().push(m.member_id);
        }
        for t in playbook::plan(steps, tier, day, calendar) {
            if done.contains(&(m.member_id, i64::try_from(t.step).unwrap_or(-1))) {
                continue;
            }
            out.push(NewTask {
                campaign_id,
                member_id: m.member_id,
                assignee_id: m.assignee_id,
                step: t.step,
                action: t.action,
                what: t.what,
                due_on: t.due_on,
            });
        }
    }
    (out, bases)
}

async fn insert_planned(
    tx: &mut Tx,
    tasks: &[NewTask],
    bases: std::collections::BTreeMap<NaiveDate, Vec<i64>>,
) -> StoreResult<()> {
    task_store::insert_tasks(tx, tasks).await?;
    for (day, ids) in bases {
        task_store::set_plan_from(tx, day, &ids).await?;
    }
    Ok(())
}

/// Gives every member of a campaign that has no task yet its playbook
/// tasks (inside the caller's unit of work): at activation, counted from
/// the start. Returns how many.
pub(crate) async fn plan_new_members(
    tx: &mut Tx,
    calendar: &WorkCalendar,
    campaign_id: i64,
    starts_on: NaiveDate,
) -> StoreResult<usize> {
    plan_unplanned(tx, calendar, campaign_id, starts_on, Base::Start).await
}

async fn plan_unplanned(
    tx: &mut Tx,
    calendar: &WorkCalendar,
    campaign_id: i64,
    starts_on: NaiveDate,
    base: Base,
) -> StoreResult<usize> {
    let steps = playbook_in(tx, campaign_id).await?;
    let members = task_store::unplanned_members(tx, campaign_id).await?;
    let (tasks, bases) = plan_for(campaign_id, starts_on, base, &steps, &members, &Default::default(), calendar);
    insert_planned(tx, &tasks, bases).await?;
    Ok(tasks.len())
}

/// Plans tasks for members added to `campaign` if it is running (after a
/// target list is generated or a partner list added), counted from the day
/// they joined.
pub(crate) async fn plan_if_active(store: &Store, tx: &mut Tx, campaign_id: i64) -> OpsResult<usize> {
    let Some(c) = crate::store::campaigns::campaign(tx.conn(), campaign_id).await? else { return Ok(0) };
    if c.status != CampaignStatus::Active {
        return Ok(0);
    }
    let calendar = crate::ops::calendar::calendar(store).await?;
    Ok(plan_unplanned(tx, &calendar, campaign_id, c.starts_on, Base::Joined).await?)
}

/// Replaces the playbook (lead, admin) and re-plans the open tasks: done
/// and cancelled ones stay as they were.
pub async fn set_playbook(store: &Store, actor: &Actor, campaign_id: i64, steps: Vec<Step>) -> OpsResult<Vec<Step>> {
    authz::require(actor, Permission::RunCampaigns)?;
    let c = store.campaign(campaign_id).await?.ok_or(OpsError::NotFound)?;
    let steps: Vec<Step> = steps.into_iter().map(|s| Step { what: s.what.trim().to_owned(), ..s }).collect();
    playbook::check(&steps)
        .map_err(|(field, message)| OpsError::Invalid { field: "steps", message: format!("{field}: {message}") })?;
    let calendar = crate::ops::calendar::calendar(store).await?;
    let mut tx = store.begin().await?;
    let before = playbook_in(&mut tx, campaign_id).await?;
    task_store::save_playbook(&mut tx, campaign_id, &steps, actor.id).await?;
    let mut replanned = 0;
    if c.status == CampaignStatus::Active {
        replanned = replan(&mut tx, &calendar, campaign_id, c.starts_on, &steps).await?;
    }
    audit_change(
        &mut tx,
        actor,
        AuditAction::Update,
        "campaign",
        campaign_id,
        Some(json!({ "playbook": before })),
        Some(json!({ "playbook": steps, "open_tasks_replanned": replanned })),
    )
    .await?;
    tx.commit().await?;
    Ok(steps)
}

/// Re-plans open tasks under new `steps`: open tasks of steps that remain
/// get the step's new action, text and due date (keeping their ids); open
/// tasks of steps that are gone are deleted; steps new to a member are
/// added. Done and cancelled tasks stay as they were.
async fn replan(
    tx: &mut Tx,
    calendar: &WorkCalendar,
    campaign_id: i64,
    starts_on: NaiveDate,
    steps: &[Step],
) -> StoreResult<usize> {
    let mut changed = 0;
    for (tier_code, plan_from) in task_store::plan_groups(tx, campaign_id).await? {
        let Ok(tier) = tier_code.parse::<Tier>() else { continue };
        for t in playbook::plan(steps, tier, plan_from, calendar) {
            let step = i64::try_from(t.step).unwrap_or(-1);
            changed +=
                task_store::replan_open_step(tx, campaign_id, &tier_code, plan_from, step, t.action, &t.what, t.due_on)
                    .await? as usize;
        }
    }
    for tier in Tier::ALL {
        let keep: Vec<i64> = steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.tier == tier)
            .map(|(i, _)| i64::try_from(i).unwrap_or(-1))
            .collect();
        task_store::delete_open_steps_except(tx, campaign_id, tier.as_str(), &keep).await?;
    }
    let existing: std::collections::HashSet<(i64, i64)> =
        task_store::planned_steps(tx, campaign_id).await?.into_iter().collect();
    let members = task_store::all_members(tx, campaign_id).await?;
    let (tasks, bases) = plan_for(campaign_id, starts_on, Base::Start, steps, &members, &existing, calendar);
    changed += tasks.len();
    insert_planned(tx, &tasks, bases).await?;
    Ok(changed)
}

/// A campaign's tasks; a rep sees their own.
pub async fn list(store: &Store, actor: &Actor, campaign_id: i64, mut q: TaskQuery) -> OpsResult<Vec<Task>> {
    crate::ops::campaigns::readable(store, actor, campaign_id).await?;
    q.campaign_id = Some(campaign_id);
    if actor.role == Role::Rep {
        q.assignee_id = Some(actor.id);
    }
    Ok(task_store::tasks(store.acquire().await?.conn(), &q).await?)
}

/// What a task edit may change.
#[derive(Clone, Debug, Default)]
pub struct TaskEdit {
    /// `open`, `done` or `cancelled`.
    pub status: Option<String>,
    /// A lead moves a due date.
    pub due_on: Option<NaiveDate>,
}

/// Its assignee marks a task done (or open again); a lead also cancels it
/// or moves its date. Others: not theirs (404 for a rep, 403 otherwise).
pub async fn update(store: &Store, actor: &Actor, id: i64, edit: TaskEdit) -> OpsResult<Task> {
    let task = check(store, actor, id).await?;
    let lead = authz::allows(actor.role, Permission::RunCampaigns);
    let status = match edit.status.as_deref().map(str::trim) {
        None => task.status.clone(),
        Some(s @ ("open" | "done")) => s.to_owned(),
        Some("cancelled") if lead => "cancelled".to_owned(),
        Some("cancelled") => return Err(OpsError::invalid("status", "a lead cancels tasks")),
        Some(other) => {
            return Err(OpsError::invalid("status", format!("unknown status {other:?}: open, done, cancelled")));
        }
    };
    let due_on = match edit.due_on {
        Some(d) if d != task.due_on && !lead => return Err(OpsError::invalid("due_on", "a lead moves due dates")),
        Some(d) => d,
        None => task.due_on,
    };
    let mut tx = store.begin().await?;
    task_store::update_task(&mut tx, id, &status, due_on, store.now()).await?;
    audit_change(
        &mut tx,
        actor,
        AuditAction::Update,
        "task",
        id,
        Some(json!({ "status": task.status, "due_on": task.due_on })),
        Some(json!({ "status": status, "due_on": due_on })),
    )
    .await?;
    tx.commit().await?;
    task_store::task(store.acquire().await?.conn(), id).await?.ok_or(OpsError::NotFound)
}

/// A task `actor` may change (its assignee, or a lead), before a body is read.
pub async fn check(store: &Store, actor: &Actor, id: i64) -> OpsResult<Task> {
    authz::require(actor, Permission::LogFollowUps)?;
    let task = task_store::task(store.acquire().await?.conn(), id).await?.ok_or(OpsError::NotFound)?;
    if !authz::allows(actor.role, Permission::RunCampaigns) && task.assignee_id != Some(actor.id) {
        return Err(OpsError::NotFound);
    }
    Ok(task)
}
