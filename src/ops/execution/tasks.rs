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

/// The tasks of `members` under `steps`, skipping closed members and the
/// steps each member already did.
fn plan_for(
    campaign_id: i64,
    starts_on: NaiveDate,
    steps: &[Step],
    members: &[Unplanned],
    done: &std::collections::HashSet<(i64, i64)>,
    calendar: &WorkCalendar,
) -> Vec<NewTask> {
    let mut out = Vec::new();
    for m in members {
        if m.stage.parse::<Stage>().is_ok_and(Stage::is_closed) {
            continue;
        }
        let Ok(tier) = m.tier.parse::<Tier>() else { continue };
        let base = playbook::base_day(starts_on, crate::store::execution::added_on(m.added_at));
        for t in playbook::plan(steps, tier, base, calendar) {
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
    out
}

/// Gives every member of an active campaign that has no task yet its
/// playbook tasks (inside the caller's unit of work). Returns how many.
pub(crate) async fn plan_new_members(
    tx: &mut Tx,
    calendar: &WorkCalendar,
    campaign_id: i64,
    starts_on: NaiveDate,
) -> StoreResult<usize> {
    let steps = playbook_in(tx, campaign_id).await?;
    let members = task_store::unplanned_members(tx, campaign_id).await?;
    let tasks = plan_for(campaign_id, starts_on, &steps, &members, &Default::default(), calendar);
    task_store::insert_tasks(tx, &tasks).await?;
    Ok(tasks.len())
}

/// Plans tasks for members added to `campaign` if it is running (after a
/// target list is generated or a partner list added).
pub(crate) async fn plan_if_active(store: &Store, tx: &mut Tx, campaign_id: i64) -> OpsResult<usize> {
    let Some(c) = crate::store::campaigns::campaign(tx.conn(), campaign_id).await? else { return Ok(0) };
    if c.status != CampaignStatus::Active {
        return Ok(0);
    }
    let calendar = crate::ops::calendar::calendar(store).await?;
    Ok(plan_new_members(tx, &calendar, campaign_id, c.starts_on).await?)
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
        task_store::delete_open_tasks(&mut tx, campaign_id).await?;
        let done: std::collections::HashSet<(i64, i64)> =
            task_store::done_steps(&mut tx, campaign_id).await?.into_iter().map(|(m, s, _)| (m, s)).collect();
        let members = task_store::all_members(&mut tx, campaign_id).await?;
        let tasks = plan_for(campaign_id, c.starts_on, &steps, &members, &done, &calendar);
        replanned = tasks.len();
        task_store::insert_tasks(&mut tx, &tasks).await?;
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
    authz::require(actor, Permission::LogFollowUps)?;
    let task = task_store::task(store.acquire().await?.conn(), id).await?.ok_or(OpsError::NotFound)?;
    let lead = authz::allows(actor.role, Permission::RunCampaigns);
    if !lead && task.assignee_id != Some(actor.id) {
        return Err(OpsError::NotFound);
    }
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
    Ok(task_store::task(store.acquire().await?.conn(), id).await?.ok_or(OpsError::NotFound)?)
}
