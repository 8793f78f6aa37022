//! The playbook of a campaign and the tasks it gives each member.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;

use super::super::{Conn, StoreResult, Tx, Value, bind_values, on_conn, on_tx};
use crate::domain::execution::playbook::{Action, Step};

/// The playbook as stored; `None` when the campaign uses the default.
pub async fn playbook(conn: Conn<'_>, campaign_id: i64) -> StoreResult<Option<(Vec<Step>, i64)>> {
    let sql = "SELECT steps, version FROM campaign_playbooks WHERE campaign_id = $1";
    let row: Option<(String, i64)> =
        on_conn!(conn, c => sqlx::query_as(sql).bind(campaign_id).fetch_optional(&mut *c).await?);
    Ok(row.and_then(|(json, version)| serde_json::from_str(&json).ok().map(|steps| (steps, version))))
}

pub async fn save_playbook(tx: &mut Tx, campaign_id: i64, steps: &[Step], by: i64) -> StoreResult<()> {
    let json = serde_json::to_string(steps).unwrap_or_else(|_| "[]".to_owned());
    let sql = "INSERT INTO campaign_playbooks (campaign_id, steps, version, updated_by, updated_at) \
               VALUES ($1, $2, 1, $3, $4) ON CONFLICT (campaign_id) DO UPDATE SET steps = excluded.steps, \
               version = campaign_playbooks.version + 1, updated_by = excluded.updated_by, updated_at = excluded.updated_at";
    on_tx!(tx, conn => sqlx::query(sql).bind(campaign_id).bind(json).bind(by).bind(Utc::now()).execute(&mut **conn).await?.rows_affected());
    Ok(())
}

/// A task to insert.
#[derive(Clone, Debug)]
pub struct NewTask {
    pub campaign_id: i64,
    pub member_id: i64,
    pub assignee_id: Option<i64>,
    pub step: usize,
    pub action: Action,
    pub what: String,
    pub due_on: NaiveDate,
}

pub async fn insert_tasks(tx: &mut Tx, tasks: &[NewTask]) -> StoreResult<()> {
    let now = Utc::now();
    let mut values = Vec::with_capacity(tasks.len() * 8);
    for t in tasks {
        values.extend([
            Value::from(t.campaign_id),
            Value::from(t.member_id),
            Value::from(t.assignee_id),
            Value::from(i64::try_from(t.step).unwrap_or(0)),
            Value::from(t.action.as_str()),
            Value::from(t.what.as_str()),
            Value::from(t.due_on),
            Value::from(now),
        ]);
    }
    super::super::bulk::bulk_insert(
        tx,
        "member_tasks",
        &["campaign_id", "member_id", "assignee_id", "step", "action", "what", "due_on", "created_at"],
        values,
    )
    .await
}

/// A member that has no task yet, for planning.
#[derive(Clone, Debug)]
pub struct Unplanned {
    pub member_id: i64,
    pub tier: String,
    pub assignee_id: Option<i64>,
    pub added_at: DateTime<Utc>,
    pub stage: String,
    /// The day its tasks count from, once planned.
    pub plan_from: Option<NaiveDate>,
}

type UnplannedRow = (i64, String, Option<i64>, DateTime<Utc>, String, Option<NaiveDate>);

fn unplanned(rows: Vec<UnplannedRow>) -> Vec<Unplanned> {
    rows.into_iter()
        .map(|(member_id, tier, assignee_id, added_at, stage, plan_from)| Unplanned {
            member_id,
            tier,
            assignee_id,
            added_at,
            stage,
            plan_from,
        })
        .collect()
}

/// Records the day members' tasks count from.
pub async fn set_plan_from(tx: &mut Tx, day: NaiveDate, member_ids: &[i64]) -> StoreResult<()> {
    for chunk in member_ids.chunks(1000) {
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!("UPDATE campaign_members SET plan_from = $1 WHERE id IN ({})", list.join(", "));
        let mut values: Vec<Value> = vec![day.into()];
        values.extend(chunk.iter().map(|id| Value::from(*id)));
        on_tx!(tx, conn => bind_values(sqlx::query(&sql), &values).execute(&mut **conn).await?.rows_affected());
    }
    Ok(())
}

/// Members of a campaign without any task (new, or the campaign just became active).
pub async fn unplanned_members(tx: &mut Tx, campaign_id: i64) -> StoreResult<Vec<Unplanned>> {
    let sql = "SELECT m.id, m.tier, m.assignee_id, m.added_at, m.stage, m.plan_from FROM campaign_members m \
               WHERE m.campaign_id = $1 AND NOT EXISTS (SELECT 1 FROM member_tasks t WHERE t.member_id = m.id)";
    let rows: Vec<UnplannedRow> =
        on_tx!(tx, conn => sqlx::query_as(sql).bind(campaign_id).fetch_all(&mut **conn).await?);
    Ok(unplanned(rows))
}

/// Every (member, step) that has a task, whatever its status (re-planning
/// adds only the missing ones).
pub async fn planned_steps(tx: &mut Tx, campaign_id: i64) -> StoreResult<Vec<(i64, i64)>> {
    let sql = "SELECT member_id, CAST(step AS BIGINT) FROM member_tasks WHERE campaign_id = $1";
    Ok(on_tx!(tx, conn => sqlx::query_as(sql).bind(campaign_id).fetch_all(&mut **conn).await?))
}

/// The (tier, plan day) groups of a campaign's planned members: every open
/// task of a group and step gets the same new due date.
pub async fn plan_groups(tx: &mut Tx, campaign_id: i64) -> StoreResult<Vec<(String, NaiveDate)>> {
    let sql = "SELECT DISTINCT tier, plan_from FROM campaign_members WHERE campaign_id = $1 AND plan_from IS NOT NULL";
    Ok(on_tx!(tx, conn => sqlx::query_as(sql).bind(campaign_id).fetch_all(&mut **conn).await?))
}

/// Re-plans the open tasks of one step for the members of a (tier, plan
/// day) group, keeping the tasks (and their ids).
#[allow(clippy::too_many_arguments)]
pub async fn replan_open_step(
    tx: &mut Tx,
    campaign_id: i64,
    tier: &str,
    plan_from: NaiveDate,
    step: i64,
    action: Action,
    what: &str,
    due_on: NaiveDate,
) -> StoreResult<u64> {
    let sql = "UPDATE member_tasks SET action = $5, what = $6, due_on = $7 WHERE campaign_id = $1 AND status = 'open' \
               AND step = $4 AND member_id IN (SELECT id FROM campaign_members WHERE campaign_id = $1 AND tier = $2 \
               AND plan_from = $3)";
    Ok(on_tx!(tx, conn => sqlx::query(sql)
        .bind(campaign_id)
        .bind(tier)
        .bind(plan_from)
        .bind(i32::try_from(step).unwrap_or(i32::MAX))
        .bind(action.as_str())
        .bind(what)
        .bind(due_on)
        .execute(&mut **conn)
        .await?
        .rows_affected()))
}

/// Deletes the open tasks of a tier's members whose step the playbook no
/// longer has for that tier.
pub async fn delete_open_steps_except(tx: &mut Tx, campaign_id: i64, tier: &str, keep: &[i64]) -> StoreResult<u64> {
    let mut values: Vec<Value> = vec![campaign_id.into(), tier.into()];
    let mut list: Vec<String> = keep
        .iter()
        .map(|k| {
            values.push((*k).into());
            format!("${}", values.len())
        })
        .collect();
    if list.is_empty() {
        list.push("-1".to_owned());
    }
    let sql = format!(
        "DELETE FROM member_tasks WHERE campaign_id = $1 AND status = 'open' AND step NOT IN ({}) \
         AND member_id IN (SELECT id FROM campaign_members WHERE campaign_id = $1 AND tier = $2)",
        list.join(", ")
    );
    Ok(on_tx!(tx, conn => bind_values(sqlx::query(&sql), &values).execute(&mut **conn).await?.rows_affected()))
}

/// Members of a campaign with their tier, assignee, added time and stage (re-plan).
pub async fn all_members(tx: &mut Tx, campaign_id: i64) -> StoreResult<Vec<Unplanned>> {
    let sql = "SELECT id, tier, assignee_id, added_at, stage, plan_from FROM campaign_members WHERE campaign_id = $1";
    let rows: Vec<UnplannedRow> =
        on_tx!(tx, conn => sqlx::query_as(sql).bind(campaign_id).fetch_all(&mut **conn).await?);
    Ok(unplanned(rows))
}

/// Open tasks follow their member's assignee.
pub async fn move_open_tasks(tx: &mut Tx, member_ids: &[i64]) -> StoreResult<()> {
    for chunk in member_ids.chunks(1000) {
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 1)).collect();
        let sql = format!(
            "UPDATE member_tasks SET assignee_id = (SELECT m.assignee_id FROM campaign_members m \
             WHERE m.id = member_tasks.member_id) WHERE status = 'open' AND member_id IN ({})",
            list.join(", ")
        );
        let values: Vec<Value> = chunk.iter().map(|id| Value::from(*id)).collect();
        on_tx!(tx, conn => bind_values(sqlx::query(&sql), &values).execute(&mut **conn).await?.rows_affected());
    }
    Ok(())
}

/// Completes the member's earliest open task that a follow-up by one of
/// `actions`' kinds does; returns its id.
pub async fn complete_matching(
    tx: &mut Tx,
    member_id: i64,
    actions: &[Action],
    follow_up_id: i64,
    now: DateTime<Utc>,
) -> StoreResult<Option<i64>> {
    if actions.is_empty() {
        return Ok(None);
    }
    let list: Vec<String> = (0..actions.len()).map(|i| format!("${}", i + 4)).collect();
    let sql = format!(
        "UPDATE member_tasks SET status = 'done', done_at = $2, follow_up_id = $3 WHERE id = \
         (SELECT id FROM member_tasks WHERE member_id = $1 AND status = 'open' AND action IN ({}) \
          ORDER BY due_on, id LIMIT 1) RETURNING id",
        list.join(", ")
    );
    let mut values: Vec<Value> = vec![member_id.into(), now.into(), follow_up_id.into()];
    values.extend(actions.iter().map(|a| Value::from(a.as_str())));
    Ok(on_tx!(tx, conn => {
        match bind_values(sqlx::query(&sql), &values).fetch_optional(&mut **conn).await? {
            Some(row) => Some(row.try_get::<i64, _>(0)?),
            None => None,
        }
    }))
}

/// Cancels a member's open tasks (it ordered or was lost).
pub async fn cancel_open(tx: &mut Tx, member_id: i64, now: DateTime<Utc>) -> StoreResult<u64> {
    let sql = "UPDATE member_tasks SET status = 'cancelled', done_at = $2 WHERE member_id = $1 AND status = 'open'";
    Ok(on_tx!(tx, conn => sqlx::query(sql).bind(member_id).bind(now).execute(&mut **conn).await?.rows_affected()))
}

/// A task as shown.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Task {
    pub id: i64,
    pub campaign_id: i64,
    pub member_id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub tier: String,
    pub assignee_id: Option<i64>,
    pub assignee_email: Option<String>,
    pub step: i64,
    pub action: Action,
    pub what: String,
    pub due_on: NaiveDate,
    pub status: String,
    pub done_at: Option<DateTime<Utc>>,
    pub follow_up_id: Option<i64>,
}

const TASK_SELECT: &str = "SELECT t.id, t.campaign_id, t.member_id, m.customer_id, c.name AS customer_name, m.tier, \
    t.assignee_id, u.email AS assignee_email, t.step, t.action, t.what, t.due_on, t.status, t.done_at, t.follow_up_id \
    FROM member_tasks t JOIN campaign_members m ON m.id = t.member_id JOIN customers c ON c.id = m.customer_id \
    LEFT JOIN users u ON u.id = t.assignee_id";

macro_rules! task_from_row {
    ($row:expr) => {{
        let r = $row;
        Task {
            id: r.try_get("id")?,
            campaign_id: r.try_get("campaign_id")?,
            member_id: r.try_get("member_id")?,
            customer_id: r.try_get("customer_id")?,
            customer_name: r.try_get("customer_name")?,
            tier: r.try_get("tier")?,
            assignee_id: r.try_get("assignee_id")?,
            assignee_email: r.try_get("assignee_email")?,
            step: i64::from(r.try_get::<i32, _>("step")?),
            action: super::super::decode(r.try_get("action")?, "action")?,
            what: r.try_get("what")?,
            due_on: r.try_get("due_on")?,
            status: r.try_get("status")?,
            done_at: r.try_get("done_at")?,
            follow_up_id: r.try_get("follow_up_id")?,
        }
    }};
}

/// What a task list is narrowed to.
#[derive(Clone, Debug, Default)]
pub struct TaskQuery {
    pub campaign_id: Option<i64>,
    pub member_id: Option<i64>,
    pub assignee_id: Option<i64>,
    /// `open`, `done`, `cancelled`.
    pub status: Option<String>,
    pub due_through: Option<NaiveDate>,
    pub after_id: Option<i64>,
    pub limit: i64,
}

pub async fn tasks(conn: Conn<'_>, q: &TaskQuery) -> StoreResult<Vec<Task>> {
    let mut values: Vec<Value> = Vec::new();
    let mut conditions = vec!["1 = 1".to_owned()];
    let push = |values: &mut Vec<Value>, column: &str, v: Value| {
        values.push(v);
        format!("{column} ${}", values.len())
    };
    if let Some(id) = q.campaign_id {
        conditions.push(push(&mut values, "t.campaign_id =", id.into()));
    }
    if let Some(id) = q.member_id {
        conditions.push(push(&mut values, "t.member_id =", id.into()));
    }
    if let Some(id) = q.assignee_id {
        conditions.push(push(&mut values, "t.assignee_id =", id.into()));
    }
    if let Some(s) = &q.status {
        conditions.push(push(&mut values, "t.status =", s.clone().into()));
    }
    if let Some(d) = q.due_through {
        conditions.push(push(&mut values, "t.due_on <=", d.into()));
    }
    if let Some(id) = q.after_id {
        conditions.push(push(&mut values, "t.id >", id.into()));
    }
    values.push(q.limit.into());
    let sql = format!("{TASK_SELECT} WHERE {} ORDER BY t.id LIMIT ${}", conditions.join(" AND "), values.len());
    Ok(on_conn!(conn, c => {
        let mut out = Vec::new();
        for row in bind_values(sqlx::query(&sql), &values).fetch_all(&mut *c).await? {
            out.push(task_from_row!(&row));
        }
        out
    }))
}

pub async fn task(conn: Conn<'_>, id: i64) -> StoreResult<Option<Task>> {
    let sql = format!("{TASK_SELECT} WHERE t.id = $1");
    Ok(on_conn!(conn, c => match sqlx::query(&sql).bind(id).fetch_optional(&mut *c).await? {
        Some(row) => Some(task_from_row!(&row)),
        None => None,
    }))
}

/// Sets a task's status (and, for a lead, its due date).
pub async fn update_task(tx: &mut Tx, id: i64, status: &str, due_on: NaiveDate, now: DateTime<Utc>) -> StoreResult<()> {
    let sql = "UPDATE member_tasks SET status = $2, due_on = $3, \
               done_at = CASE WHEN $2 = 'open' THEN NULL ELSE COALESCE(done_at, $4) END WHERE id = $1";
    on_tx!(tx, conn => sqlx::query(sql).bind(id).bind(status).bind(due_on).bind(now).execute(&mut **conn).await?.rows_affected());
    Ok(())
}
