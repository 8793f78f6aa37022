//! Blockers (卡点) and their decisions.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;

use super::super::{Conn, StoreResult, Tx, Value, bind_values, on_conn, on_tx};
use crate::domain::execution::blockers::BlockerStatus;

#[derive(Clone, Debug, serde::Serialize)]
pub struct Blocker {
    pub id: i64,
    pub campaign_id: i64,
    pub campaign_name: String,
    pub member_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub customer_name: Option<String>,
    pub assignee_id: Option<i64>,
    pub text: String,
    pub status: BlockerStatus,
    pub raised_by: Option<i64>,
    pub raised_by_name: Option<String>,
    pub raised_by_email: Option<String>,
    pub decision: String,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub reply_by: Option<NaiveDate>,
    pub escalated_at: Option<DateTime<Utc>>,
    pub answer: String,
    pub answered_by_name: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

const SELECT: &str = "SELECT b.id, b.campaign_id, k.name AS campaign_name, b.member_id, m.customer_id, c.name AS customer_name, \
    m.assignee_id, b.text, b.status, b.raised_by, r.name AS raised_by_name, r.email AS raised_by_email, b.decision, \
    d.name AS decided_by_name, b.decided_at, b.reply_by, b.escalated_at, b.answer, a.name AS answered_by_name, \
    b.answered_at, b.version, b.created_at \
    FROM blockers b JOIN campaigns k ON k.id = b.campaign_id LEFT JOIN campaign_members m ON m.id = b.member_id \
    LEFT JOIN customers c ON c.id = m.customer_id LEFT JOIN users r ON r.id = b.raised_by \
    LEFT JOIN users d ON d.id = b.decided_by LEFT JOIN users a ON a.id = b.answered_by";

macro_rules! blocker_from_row {
    ($row:expr) => {{
        let r = $row;
        Blocker {
            id: r.try_get("id")?,
            campaign_id: r.try_get("campaign_id")?,
            campaign_name: r.try_get("campaign_name")?,
            member_id: r.try_get("member_id")?,
            customer_id: r.try_get("customer_id")?,
            customer_name: r.try_get("customer_name")?,
            assignee_id: r.try_get("assignee_id")?,
            text: r.try_get("text")?,
            status: super::super::decode(r.try_get("status")?, "status")?,
            raised_by: r.try_get("raised_by")?,
            raised_by_name: r.try_get("raised_by_name")?,
            raised_by_email: r.try_get("raised_by_email")?,
            decision: r.try_get("decision")?,
            decided_by_name: r.try_get("decided_by_name")?,
            decided_at: r.try_get("decided_at")?,
            reply_by: r.try_get("reply_by")?,
            escalated_at: r.try_get("escalated_at")?,
            answer: r.try_get("answer")?,
            answered_by_name: r.try_get("answered_by_name")?,
            answered_at: r.try_get("answered_at")?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
        }
    }};
}

pub async fn insert_blocker(
    tx: &mut Tx,
    campaign_id: i64,
    member_id: Option<i64>,
    text: &str,
    by: i64,
) -> StoreResult<i64> {
    let sql = "INSERT INTO blockers (campaign_id, member_id, text, raised_by, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $5) RETURNING id";
    Ok(on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql)
        .bind(campaign_id)
        .bind(member_id)
        .bind(text)
        .bind(by)
        .bind(Utc::now())
        .fetch_one(&mut **conn)
        .await?))
}

pub async fn blocker(conn: Conn<'_>, id: i64) -> StoreResult<Option<Blocker>> {
    let sql = format!("{SELECT} WHERE b.id = $1");
    Ok(on_conn!(conn, c => match sqlx::query(&sql).bind(id).fetch_optional(&mut *c).await? {
        Some(row) => Some(blocker_from_row!(&row)),
        None => None,
    }))
}

#[derive(Clone, Debug, Default)]
pub struct BlockerQuery {
    pub campaign_id: Option<i64>,
    pub member_id: Option<i64>,
    pub open_only: bool,
    pub status: Option<BlockerStatus>,
}

pub async fn blockers(conn: Conn<'_>, q: &BlockerQuery) -> StoreResult<Vec<Blocker>> {
    let mut values: Vec<Value> = Vec::new();
    let mut conditions = vec!["1 = 1".to_owned()];
    if let Some(id) = q.campaign_id {
        values.push(id.into());
        conditions.push(format!("b.campaign_id = ${}", values.len()));
    }
    if let Some(id) = q.member_id {
        values.push(id.into());
        conditions.push(format!("b.member_id = ${}", values.len()));
    }
    if let Some(s) = q.status {
        values.push(s.as_str().into());
        conditions.push(format!("b.status = ${}", values.len()));
    }
    if q.open_only {
        conditions.push("b.status IN ('open', 'escalated')".to_owned());
    }
    let sql = format!("{SELECT} WHERE {} ORDER BY b.id DESC LIMIT 500", conditions.join(" AND "));
    Ok(on_conn!(conn, c => {
        let mut out = Vec::new();
        for row in bind_values(sqlx::query(&sql), &values).fetch_all(&mut *c).await? {
            out.push(blocker_from_row!(&row));
        }
        out
    }))
}

/// A decision, an escalation or an answer.
pub enum BlockerChange<'a> {
    Decide { text: &'a str, by: i64 },
    Escalate { reply_by: NaiveDate },
    Answer { text: &'a str, by: i64 },
}

pub async fn change_blocker(
    tx: &mut Tx,
    id: i64,
    version: i64,
    status: BlockerStatus,
    change: &BlockerChange<'_>,
) -> StoreResult<bool> {
    let now = Utc::now();
    let n = match change {
        BlockerChange::Decide { text, by } => {
            let sql = "UPDATE blockers SET status = $3, decision = $4, decided_by = $5, decided_at = $6, updated_at = $6, \
                       version = version + 1 WHERE id = $1 AND version = $2";
            on_tx!(tx, conn => sqlx::query(sql).bind(id).bind(version).bind(status.as_str()).bind(*text).bind(*by).bind(now)
                .execute(&mut **conn).await?.rows_affected())
        }
        BlockerChange::Escalate { reply_by } => {
            let sql = "UPDATE blockers SET status = $3, reply_by = $4, escalated_at = $5, updated_at = $5, \
                       version = version + 1 WHERE id = $1 AND version = $2";
            on_tx!(tx, conn => sqlx::query(sql).bind(id).bind(version).bind(status.as_str()).bind(*reply_by).bind(now)
                .execute(&mut **conn).await?.rows_affected())
        }
        BlockerChange::Answer { text, by } => {
            let sql = "UPDATE blockers SET status = $3, answer = $4, answered_by = $5, answered_at = $6, updated_at = $6, \
                       version = version + 1 WHERE id = $1 AND version = $2";
            on_tx!(tx, conn => sqlx::query(sql).bind(id).bind(version).bind(status.as_str()).bind(*text).bind(*by).bind(now)
                .execute(&mut **conn).await?.rows_affected())
        }
    };
    Ok(n == 1)
}
