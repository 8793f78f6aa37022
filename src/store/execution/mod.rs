//! Running a campaign: members' stages, next actions and assignment; the
//! follow-up records, tasks, requests, blockers and scripts are in the
//! submodules, the reports (progress, stand-up, a rep's day) in `reports`.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;

use super::{Conn, StoreResult, Tx, Value, bind_values, on_conn, on_tx};
use crate::domain::campaign::CampaignStatus;
use crate::domain::customer::Channel;
use crate::domain::execution::stage::{Funnel, Stage};

pub mod blockers;
pub mod follow_ups;
pub mod reports;
pub mod requests;
pub mod scripts;
pub mod tasks;

/// A campaign member with what execution needs about it, its customer and
/// its campaign.
#[derive(Clone, Debug, serde::Serialize)]
pub struct MemberRecord {
    pub id: i64,
    pub campaign_id: i64,
    pub campaign_name: String,
    pub campaign_status: CampaignStatus,
    pub campaign_starts_on: NaiveDate,
    pub customer_id: i64,
    pub customer_name: String,
    pub industry: String,
    pub region: String,
    pub customer_owner_id: Option<i64>,
    pub tier: String,
    pub outreach_rank: i32,
    pub assignee_id: Option<i64>,
    pub assignee_email: Option<String>,
    pub assignee_name: Option<String>,
    pub assigned_explicitly: bool,
    pub added_at: DateTime<Utc>,
    pub stage: Stage,
    pub contacted_on: Option<NaiveDate>,
    pub intent_on: Option<NaiveDate>,
    pub ordered_on: Option<NaiveDate>,
    pub order_amount_fen: Option<i64>,
    pub lost_reason: Option<String>,
    pub next_action_on: Option<NaiveDate>,
    pub next_action_at: Option<String>,
    pub next_action: String,
    pub last_follow_up_at: Option<DateTime<Utc>>,
    pub first_follow_up_at: Option<DateTime<Utc>>,
    pub version: i64,
}

impl MemberRecord {
    pub fn funnel(&self) -> Funnel {
        Funnel {
            stage: Some(self.stage),
            contacted_on: self.contacted_on,
            intent_on: self.intent_on,
            ordered_on: self.ordered_on,
        }
    }
}

pub(crate) const MEMBER_SELECT: &str = "SELECT m.id, m.campaign_id, k.name AS campaign_name, k.status AS campaign_status, \
    k.starts_on AS campaign_starts_on, m.customer_id, c.name AS customer_name, c.industry, m.region, \
    c.owner_id AS customer_owner_id, m.tier, m.outreach_rank, m.assignee_id, u.email AS assignee_email, \
    u.name AS assignee_name, m.assigned_explicitly, m.added_at, m.stage, m.contacted_on, m.intent_on, m.ordered_on, \
    m.order_amount_fen, m.lost_reason, m.next_action_on, m.next_action_at, m.next_action, m.last_follow_up_at, m.first_follow_up_at, m.version \
    FROM campaign_members m JOIN campaigns k ON k.id = m.campaign_id JOIN customers c ON c.id = m.customer_id \
    LEFT JOIN users u ON u.id = m.assignee_id";

macro_rules! member_from_row {
    ($row:expr) => {{
        let r = $row;
        MemberRecord {
            id: r.try_get("id")?,
            campaign_id: r.try_get("campaign_id")?,
            campaign_name: r.try_get("campaign_name")?,
            campaign_status: super::decode(r.try_get("campaign_status")?, "campaign_status")?,
            campaign_starts_on: r.try_get("campaign_starts_on")?,
            customer_id: r.try_get("customer_id")?,
            customer_name: r.try_get("customer_name")?,
            industry: r.try_get("industry")?,
            region: r.try_get("region")?,
            customer_owner_id: r.try_get("customer_owner_id")?,
            tier: r.try_get("tier")?,
            outreach_rank: r.try_get("outreach_rank")?,
            assignee_id: r.try_get("assignee_id")?,
            assignee_email: r.try_get("assignee_email")?,
            assignee_name: r.try_get("assignee_name")?,
            assigned_explicitly: r.try_get("assigned_explicitly")?,
            added_at: r.try_get("added_at")?,
            stage: super::decode(r.try_get("stage")?, "stage")?,
            contacted_on: r.try_get("contacted_on")?,
            intent_on: r.try_get("intent_on")?,
            ordered_on: r.try_get("ordered_on")?,
            order_amount_fen: r.try_get("order_amount_fen")?,
            lost_reason: r.try_get("lost_reason")?,
            next_action_on: r.try_get("next_action_on")?,
            next_action_at: r.try_get("next_action_at")?,
            next_action: r.try_get("next_action")?,
            last_follow_up_at: r.try_get("last_follow_up_at")?,
            first_follow_up_at: r.try_get("first_follow_up_at")?,
            version: r.try_get("version")?,
        }
    }};
}

/// One member by campaign and customer.
pub async fn member(conn: Conn<'_>, campaign_id: i64, customer_id: i64) -> StoreResult<Option<MemberRecord>> {
    let sql = format!("{MEMBER_SELECT} WHERE m.campaign_id = $1 AND m.customer_id = $2");
    Ok(on_conn!(conn, c => match sqlx::query(&sql).bind(campaign_id).bind(customer_id).fetch_optional(&mut *c).await? {
        Some(row) => Some(member_from_row!(&row)),
        None => None,
    }))
}

/// Members by id (at most a few thousand: a day's list), in the order of the ids given.
pub async fn members_by_id(conn: Conn<'_>, ids: &[i64]) -> StoreResult<Vec<MemberRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // One parameter whatever the count: binding thousands of `$N` names on
    // SQLite walks a list per name (see store::bulk).
    let mut out = Vec::with_capacity(ids.len());
    match conn {
        Conn::Sqlite(c) => {
            let sql = format!("{MEMBER_SELECT} WHERE m.id IN (SELECT value FROM json_each($1))");
            let list = serde_json::to_string(ids).unwrap_or_else(|_| "[]".to_owned());
            for row in sqlx::query(&sql).bind(list).fetch_all(&mut *c).await? {
                out.push(member_from_row!(&row));
            }
        }
        Conn::Postgres(c) => {
            let sql = format!("{MEMBER_SELECT} WHERE m.id = ANY($1)");
            for row in sqlx::query(&sql).bind(ids).fetch_all(&mut *c).await? {
                out.push(member_from_row!(&row));
            }
        }
    }
    let position: std::collections::HashMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    out.sort_by_key(|m| position.get(&m.id).copied().unwrap_or(usize::MAX));
    Ok(out)
}

/// The customer's memberships in draft and active campaigns (the customer
/// page links each to its follow-up form).
pub async fn memberships_of_customer(conn: Conn<'_>, customer_id: i64) -> StoreResult<Vec<MemberRecord>> {
    let sql = format!(
        "{MEMBER_SELECT} WHERE m.customer_id = $1 AND k.status IN ('draft', 'active') ORDER BY m.campaign_id DESC"
    );
    Ok(on_conn!(conn, c => {
        let mut out = Vec::new();
        for row in sqlx::query(&sql).bind(customer_id).fetch_all(&mut *c).await? {
            out.push(member_from_row!(&row));
        }
        out
    }))
}

/// The stage, funnel dates and next action a follow-up leaves on a member
/// ([`record_follow_up_on_member`]).
pub struct MemberAfterFollowUp {
    pub funnel: Funnel,
    pub order_amount_fen: Option<i64>,
    pub lost_reason: Option<String>,
    pub next_action_on: Option<NaiveDate>,
    pub next_action_at: Option<String>,
    pub next_action: String,
    pub last_follow_up_at: DateTime<Utc>,
    /// When and how the follow-up written with this update happened (the
    /// earliest, when one update stands for several): it becomes the
    /// member's first follow-up when earlier than the one stored, or when
    /// none is (a tie keeps the stored one, which has the smaller id).
    pub follow_up_at: DateTime<Utc>,
    pub follow_up_channel: Channel,
}

/// Writes a follow-up's effect on the member `m` (read before, at
/// `m.version`); `false` when the member has changed since. Only the columns
/// whose value changes are set: SQLite rewrites an entry in every index on a
/// column named in the `SET` list, changed or not, and on the one writer
/// each is another page written to the log (most follow-ups after the
/// first move neither the stage nor the first follow-up).
pub async fn record_follow_up_on_member(tx: &mut Tx, m: &MemberRecord, a: &MemberAfterFollowUp) -> StoreResult<bool> {
    let mut values: Vec<Value> = vec![m.id.into(), m.version.into(), a.last_follow_up_at.into()];
    let mut set = vec!["last_follow_up_at = $3".to_owned()];
    let mut assign = |set: &mut Vec<String>, column: &str, value: Value| {
        values.push(value);
        set.push(format!("{column} = ${}", values.len()));
    };
    let funnel_moves = a.funnel.stage() != m.stage
        || a.funnel.contacted_on != m.contacted_on
        || a.funnel.intent_on != m.intent_on
        || a.funnel.ordered_on != m.ordered_on
        || a.order_amount_fen != m.order_amount_fen
        || a.lost_reason != m.lost_reason;
    if funnel_moves {
        assign(&mut set, "stage", a.funnel.stage().as_str().into());
        assign(&mut set, "contacted_on", a.funnel.contacted_on.into());
        assign(&mut set, "intent_on", a.funnel.intent_on.into());
        assign(&mut set, "ordered_on", a.funnel.ordered_on.into());
        assign(&mut set, "order_amount_fen", a.order_amount_fen.into());
        assign(&mut set, "lost_reason", a.lost_reason.clone().into());
    }
    if a.next_action_on != m.next_action_on || a.next_action_at != m.next_action_at || a.next_action != m.next_action {
        assign(&mut set, "next_action_on", a.next_action_on.into());
        assign(&mut set, "next_action_at", a.next_action_at.clone().into());
        assign(&mut set, "next_action", a.next_action.clone().into());
    }
    // Only a follow-up earlier than the member's first (or its first) moves
    // it; `m` is the row as written, since the update holds its version.
    if m.first_follow_up_at.is_none_or(|first| a.follow_up_at < first) {
        assign(&mut set, "first_channel", a.follow_up_channel.as_str().into());
        assign(&mut set, "first_follow_up_at", a.follow_up_at.into());
    }
    let sql =
        format!("UPDATE campaign_members SET {}, version = version + 1 WHERE id = $1 AND version = $2", set.join(", "));
    let n = on_tx!(tx, conn => bind_values(sqlx::query(&sql), &values).execute(&mut **conn).await?.rows_affected());
    Ok(n == 1)
}

/// A lead's correction of the stage (funnel dates, amount, reason).
pub async fn set_stage(
    tx: &mut Tx,
    member_id: i64,
    version: i64,
    funnel: &Funnel,
    order_amount_fen: Option<i64>,
    lost_reason: Option<&str>,
) -> StoreResult<bool> {
    let sql = "UPDATE campaign_members SET stage = $3, contacted_on = $4, intent_on = $5, ordered_on = $6, \
               order_amount_fen = $7, lost_reason = $8, version = version + 1 WHERE id = $1 AND version = $2";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(member_id)
        .bind(version)
        .bind(funnel.stage().as_str())
        .bind(funnel.contacted_on)
        .bind(funnel.intent_on)
        .bind(funnel.ordered_on)
        .bind(order_amount_fen)
        .bind(lost_reason)
        .execute(&mut **conn)
        .await?
        .rows_affected());
    Ok(n == 1)
}

/// The member's first follow-up (earliest by time, then id), recomputed
/// from those it has: `(first_channel, first_follow_up_at) = (…)` in an
/// `UPDATE … WHERE id = $1` (NULLs when none is left).
const FIRST_FOLLOW_UP: &str = "(first_channel, first_follow_up_at) = (SELECT f.channel, f.occurred_at \
    FROM follow_ups f WHERE f.member_id = $1 ORDER BY f.occurred_at, f.id LIMIT 1)";

/// The member's next action as its latest follow-up states it, and its first
/// follow-up recomputed (after a follow-up is edited or deleted).
pub async fn set_next_action(
    tx: &mut Tx,
    member_id: i64,
    on: Option<NaiveDate>,
    at: Option<&str>,
    what: &str,
    last_follow_up_at: Option<DateTime<Utc>>,
) -> StoreResult<()> {
    let sql = format!(
        "UPDATE campaign_members SET next_action_on = $2, next_action_at = $3, next_action = $4, \
         last_follow_up_at = $5, {FIRST_FOLLOW_UP}, version = version + 1 WHERE id = $1"
    );
    on_tx!(tx, conn => sqlx::query(&sql)
        .bind(member_id)
        .bind(on)
        .bind(at)
        .bind(what)
        .bind(last_follow_up_at)
        .execute(&mut **conn)
        .await?
        .rows_affected());
    Ok(())
}

/// Gives an unassigned member to `rep`: `true` if this call won it. Two
/// claims cannot both win: the condition is checked by the write itself.
pub async fn claim(tx: &mut Tx, member_id: i64, rep_id: i64, explicit: bool, now: DateTime<Utc>) -> StoreResult<bool> {
    let sql = "UPDATE campaign_members SET assignee_id = $2, assigned_explicitly = $3, assigned_at = $4, \
               version = version + 1 WHERE id = $1 AND assignee_id IS NULL";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(member_id)
        .bind(rep_id)
        .bind(explicit)
        .bind(now)
        .execute(&mut **conn)
        .await?
        .rows_affected());
    if n == 1 {
        tasks::move_open_tasks(tx, &[member_id]).await?;
    }
    Ok(n == 1)
}

/// Which members a bulk reassignment touches (a lead's filter).
#[derive(Clone, Debug, Default)]
pub struct MemberFilter {
    pub tier: Option<String>,
    pub stage: Option<Stage>,
    pub region: Option<String>,
    /// `Some(None)`: the unassigned pool.
    pub assignee_id: Option<Option<i64>>,
    pub customer_ids: Option<Vec<i64>>,
}

/// Assigns the matching members of a campaign to `to` (explicitly: they stop
/// following their customer's owner), moving their open tasks. Returns the
/// member ids changed.
pub async fn assign(
    tx: &mut Tx,
    campaign_id: i64,
    filter: &MemberFilter,
    to: Option<i64>,
    now: DateTime<Utc>,
) -> StoreResult<Vec<i64>> {
    let mut values: Vec<Value> = vec![campaign_id.into()];
    let mut conditions = vec!["m.campaign_id = $1".to_owned()];
    let push = |values: &mut Vec<Value>, v: Value| {
        values.push(v);
        format!("${}", values.len())
    };
    if let Some(t) = &filter.tier {
        let p = push(&mut values, t.clone().into());
        conditions.push(format!("m.tier = {p}"));
    }
    if let Some(s) = filter.stage {
        let p = push(&mut values, s.as_str().into());
        conditions.push(format!("m.stage = {p}"));
    }
    if let Some(r) = &filter.region {
        let p = push(&mut values, r.clone().into());
        conditions.push(format!("c.region = {p}"));
    }
    match filter.assignee_id {
        Some(Some(a)) => {
            let p = push(&mut values, a.into());
            conditions.push(format!("m.assignee_id = {p}"));
        }
        Some(None) => conditions.push("m.assignee_id IS NULL".to_owned()),
        None => {}
    }
    if let Some(ids) = &filter.customer_ids {
        let mut list: Vec<String> = ids.iter().map(|id| push(&mut values, (*id).into())).collect();
        if list.is_empty() {
            list.push("NULL".to_owned());
        }
        conditions.push(format!("m.customer_id IN ({})", list.join(", ")));
    }
    let to_p = push(&mut values, to.into());
    conditions.push(format!("m.assignee_id IS DISTINCT FROM {to_p}"));
    let select = format!(
        "SELECT m.id FROM campaign_members m JOIN customers c ON c.id = m.customer_id WHERE {}",
        conditions.join(" AND ")
    );
    let ids: Vec<i64> = on_tx!(tx, conn => {
        let rows = bind_values(sqlx::query(&select), &values).fetch_all(&mut **conn).await?;
        rows.iter().map(|r| r.try_get::<i64, _>(0)).collect::<Result<Vec<_>, _>>()?
    });
    for chunk in ids.chunks(1000) {
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 4)).collect();
        let sql = format!(
            "UPDATE campaign_members SET assignee_id = $1, assigned_explicitly = $2, assigned_at = $3, \
             version = version + 1 WHERE id IN ({})",
            list.join(", ")
        );
        let mut vals: Vec<Value> = vec![to.into(), true.into(), now.into()];
        vals.extend(chunk.iter().map(|id| Value::from(*id)));
        on_tx!(tx, conn => bind_values(sqlx::query(&sql), &vals).execute(&mut **conn).await?.rows_affected());
        tasks::move_open_tasks(tx, chunk).await?;
    }
    Ok(ids)
}

/// The assignment rule for members of draft and active campaigns that no
/// lead assigned explicitly: the customer's owner, else the first active rep
/// of the customer's region (as when the list was generated), else none.
/// Applied to the given customers after their owner changed; returns the
/// members that moved (their open tasks move with them).
pub async fn follow_owner(tx: &mut Tx, customer_ids: &[i64], now: DateTime<Utc>) -> StoreResult<Vec<i64>> {
    const RULE: &str = "(SELECT COALESCE(c.owner_id, (SELECT r.id FROM users r WHERE r.role = 'rep' AND r.active \
        AND r.region = c.region ORDER BY r.id LIMIT 1)) FROM customers c WHERE c.id = m.customer_id)";
    let mut moved = Vec::new();
    for chunk in customer_ids.chunks(1000) {
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 1)).collect();
        let select = format!(
            "SELECT m.id FROM campaign_members m JOIN campaigns k ON k.id = m.campaign_id \
             WHERE m.customer_id IN ({}) AND NOT m.assigned_explicitly AND k.status IN ('draft', 'active') \
             AND m.assignee_id IS DISTINCT FROM {RULE}",
            list.join(", ")
        );
        let values: Vec<Value> = chunk.iter().map(|id| Value::from(*id)).collect();
        let ids: Vec<i64> = on_tx!(tx, conn => {
            let rows = bind_values(sqlx::query(&select), &values).fetch_all(&mut **conn).await?;
            rows.iter().map(|r| r.try_get::<i64, _>(0)).collect::<Result<Vec<_>, _>>()?
        });
        if ids.is_empty() {
            continue;
        }
        let list: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 2)).collect();
        let update = format!(
            "UPDATE campaign_members AS m SET assignee_id = {RULE}, assigned_at = $1, version = version + 1 \
             WHERE m.id IN ({})",
            list.join(", ")
        );
        let mut vals: Vec<Value> = vec![now.into()];
        vals.extend(ids.iter().map(|id| Value::from(*id)));
        on_tx!(tx, conn => bind_values(sqlx::query(&update), &vals).execute(&mut **conn).await?.rows_affected());
        tasks::move_open_tasks(tx, &ids).await?;
        moved.extend(ids);
    }
    Ok(moved)
}

/// The customer's owner to set when a rep claims a member whose customer
/// has none (the claim takes the customer from the pool too).
pub async fn take_customer_if_unowned(tx: &mut Tx, customer_id: i64, rep_id: i64) -> StoreResult<bool> {
    let sql = "UPDATE customers SET owner_id = $2, version = version + 1, updated_at = $3 \
               WHERE id = $1 AND owner_id IS NULL";
    let n = on_tx!(tx, conn => sqlx::query(sql).bind(customer_id).bind(rep_id).bind(Utc::now()).execute(&mut **conn).await?.rows_affected());
    Ok(n == 1)
}

/// Whether a member was added after the campaign started: its tasks count
/// from the day it joined.
pub fn added_on(added_at: DateTime<Utc>) -> NaiveDate {
    added_at.with_timezone(&crate::clock::china_offset()).date_naive()
}
