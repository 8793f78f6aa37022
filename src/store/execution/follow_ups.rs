//! Follow-up records (template 3): each beside the interaction that puts it
//! on the customer's timeline.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;

use super::super::{Conn, StoreResult, Tx, Value, bind_values, on_conn, on_tx};
use crate::domain::customer::Channel;
use crate::domain::execution::FeedbackKind;
use crate::domain::execution::stage::Stage;

#[derive(Clone, Debug)]
pub struct NewFollowUp {
    pub campaign_id: i64,
    pub member_id: i64,
    pub customer_id: i64,
    pub interaction_id: i64,
    pub contact_id: Option<i64>,
    pub occurred_at: DateTime<Utc>,
    pub occurred_on: NaiveDate,
    pub logged_on: NaiveDate,
    pub channel: Channel,
    pub summary: String,
    pub feedback_kind: FeedbackKind,
    pub feedback: String,
    pub next_action_on: Option<NaiveDate>,
    pub next_action_at: Option<String>,
    pub next_action: String,
    pub stage_before: Stage,
    pub stage_after: Stage,
    pub order_amount_fen: Option<i64>,
    pub lost_reason: Option<String>,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_follow_up(tx: &mut Tx, f: &NewFollowUp) -> StoreResult<i64> {
    let sql = "INSERT INTO follow_ups (campaign_id, member_id, customer_id, interaction_id, contact_id, occurred_at, \
               occurred_on, logged_on, channel, summary, feedback_kind, feedback, next_action_on, next_action_at, \
               next_action, stage_before, stage_after, order_amount_fen, lost_reason, created_by, created_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) \
               RETURNING id";
    Ok(on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql)
        .bind(f.campaign_id)
        .bind(f.member_id)
        .bind(f.customer_id)
        .bind(f.interaction_id)
        .bind(f.contact_id)
        .bind(f.occurred_at)
        .bind(f.occurred_on)
        .bind(f.logged_on)
        .bind(f.channel.as_str())
        .bind(&f.summary)
        .bind(f.feedback_kind.as_str())
        .bind(&f.feedback)
        .bind(f.next_action_on)
        .bind(&f.next_action_at)
        .bind(&f.next_action)
        .bind(f.stage_before.as_str())
        .bind(f.stage_after.as_str())
        .bind(f.order_amount_fen)
        .bind(&f.lost_reason)
        .bind(f.created_by)
        .bind(f.created_at)
        .fetch_one(&mut **conn)
        .await?))
}

/// A follow-up as shown and exported.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FollowUp {
    pub id: i64,
    pub campaign_id: i64,
    pub member_id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub industry: String,
    pub interaction_id: i64,
    pub contact_id: Option<i64>,
    pub contact_name: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub occurred_on: NaiveDate,
    pub channel: Channel,
    pub summary: String,
    pub feedback_kind: FeedbackKind,
    pub feedback: String,
    pub next_action_on: Option<NaiveDate>,
    pub next_action_at: Option<String>,
    pub next_action: String,
    pub stage_before: Stage,
    pub stage_after: Stage,
    pub order_amount_fen: Option<i64>,
    pub lost_reason: Option<String>,
    pub created_by: Option<i64>,
    pub created_by_email: Option<String>,
    pub created_by_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub version: i64,
}

const SELECT: &str = "SELECT f.id, f.campaign_id, f.member_id, f.customer_id, c.name AS customer_name, c.industry, \
    f.interaction_id, f.contact_id, k.name AS contact_name, f.occurred_at, f.occurred_on, f.channel, f.summary, \
    f.feedback_kind, f.feedback, f.next_action_on, f.next_action_at, f.next_action, f.stage_before, f.stage_after, \
    f.order_amount_fen, f.lost_reason, f.created_by, u.email AS created_by_email, u.name AS created_by_name, \
    f.created_at, f.version \
    FROM follow_ups f JOIN customers c ON c.id = f.customer_id LEFT JOIN contacts k ON k.id = f.contact_id \
    LEFT JOIN users u ON u.id = f.created_by";

macro_rules! follow_up_from_row {
    ($row:expr) => {{
        let r = $row;
        FollowUp {
            id: r.try_get("id")?,
            campaign_id: r.try_get("campaign_id")?,
            member_id: r.try_get("member_id")?,
            customer_id: r.try_get("customer_id")?,
            customer_name: r.try_get("customer_name")?,
            industry: r.try_get("industry")?,
            interaction_id: r.try_get("interaction_id")?,
            contact_id: r.try_get("contact_id")?,
            contact_name: r.try_get("contact_name")?,
            occurred_at: r.try_get("occurred_at")?,
            occurred_on: r.try_get("occurred_on")?,
            channel: super::super::decode(r.try_get("channel")?, "channel")?,
            summary: r.try_get("summary")?,
            feedback_kind: super::super::decode(r.try_get("feedback_kind")?, "feedback_kind")?,
            feedback: r.try_get("feedback")?,
            next_action_on: r.try_get("next_action_on")?,
            next_action_at: r.try_get("next_action_at")?,
            next_action: r.try_get("next_action")?,
            stage_before: super::super::decode(r.try_get("stage_before")?, "stage_before")?,
            stage_after: super::super::decode(r.try_get("stage_after")?, "stage_after")?,
            order_amount_fen: r.try_get("order_amount_fen")?,
            lost_reason: r.try_get("lost_reason")?,
            created_by: r.try_get("created_by")?,
            created_by_email: r.try_get("created_by_email")?,
            created_by_name: r.try_get("created_by_name")?,
            created_at: r.try_get("created_at")?,
            version: r.try_get("version")?,
        }
    }};
}

pub async fn follow_up(conn: Conn<'_>, id: i64) -> StoreResult<Option<FollowUp>> {
    let sql = format!("{SELECT} WHERE f.id = $1");
    Ok(on_conn!(conn, c => match sqlx::query(&sql).bind(id).fetch_optional(&mut *c).await? {
        Some(row) => Some(follow_up_from_row!(&row)),
        None => None,
    }))
}

/// A member's follow-ups, newest first.
pub async fn of_member(conn: Conn<'_>, member_id: i64, limit: i64) -> StoreResult<Vec<FollowUp>> {
    let sql = format!("{SELECT} WHERE f.member_id = $1 ORDER BY f.occurred_at DESC, f.id DESC LIMIT $2");
    Ok(on_conn!(conn, c => {
        let mut out = Vec::new();
        for row in sqlx::query(&sql).bind(member_id).bind(limit).fetch_all(&mut *c).await? {
            out.push(follow_up_from_row!(&row));
        }
        out
    }))
}

/// What an export is narrowed to.
#[derive(Clone, Debug, Default)]
pub struct FollowUpQuery {
    pub campaign_id: i64,
    /// The member's assignee (a rep's own records).
    pub assignee_id: Option<i64>,
    /// Who logged it.
    pub created_by: Option<i64>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub after_id: Option<i64>,
    pub limit: i64,
}

/// A campaign's follow-ups in id order (export pages through it).
pub async fn of_campaign(conn: Conn<'_>, q: &FollowUpQuery) -> StoreResult<Vec<FollowUp>> {
    let mut values: Vec<Value> = vec![q.campaign_id.into()];
    let mut conditions = vec!["f.campaign_id = $1".to_owned()];
    let push = |values: &mut Vec<Value>, cond: &str, v: Value| {
        values.push(v);
        format!("{cond} ${}", values.len())
    };
    if let Some(a) = q.assignee_id {
        conditions.push(
            push(&mut values, "f.member_id IN (SELECT id FROM campaign_members WHERE assignee_id =", a.into()) + ")",
        );
    }
    if let Some(a) = q.created_by {
        conditions.push(push(&mut values, "f.created_by =", a.into()));
    }
    if let Some(d) = q.from {
        conditions.push(push(&mut values, "f.occurred_on >=", d.into()));
    }
    if let Some(d) = q.to {
        conditions.push(push(&mut values, "f.occurred_on <=", d.into()));
    }
    if let Some(id) = q.after_id {
        conditions.push(push(&mut values, "f.id >", id.into()));
    }
    values.push(q.limit.into());
    let sql = format!("{SELECT} WHERE {} ORDER BY f.id LIMIT ${}", conditions.join(" AND "), values.len());
    Ok(on_conn!(conn, c => {
        let mut out = Vec::new();
        for row in bind_values(sqlx::query(&sql), &values).fetch_all(&mut *c).await? {
            out.push(follow_up_from_row!(&row));
        }
        out
    }))
}

/// The editable fields of a follow-up.
#[derive(Clone, Debug)]
pub struct FollowUpEdit {
    pub contact_id: Option<i64>,
    pub occurred_at: DateTime<Utc>,
    pub occurred_on: NaiveDate,
    pub channel: Channel,
    pub summary: String,
    pub feedback_kind: FeedbackKind,
    pub feedback: String,
    pub next_action_on: Option<NaiveDate>,
    pub next_action_at: Option<String>,
    pub next_action: String,
}

pub async fn update_follow_up(tx: &mut Tx, id: i64, version: i64, e: &FollowUpEdit) -> StoreResult<bool> {
    let sql = "UPDATE follow_ups SET contact_id = $3, occurred_at = $4, occurred_on = $5, channel = $6, summary = $7, \
               feedback_kind = $8, feedback = $9, next_action_on = $10, next_action_at = $11, next_action = $12, \
               updated_at = $13, version = version + 1 WHERE id = $1 AND version = $2";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(id)
        .bind(version)
        .bind(e.contact_id)
        .bind(e.occurred_at)
        .bind(e.occurred_on)
        .bind(e.channel.as_str())
        .bind(&e.summary)
        .bind(e.feedback_kind.as_str())
        .bind(&e.feedback)
        .bind(e.next_action_on)
        .bind(&e.next_action_at)
        .bind(&e.next_action)
        .bind(Utc::now())
        .execute(&mut **conn)
        .await?
        .rows_affected());
    Ok(n == 1)
}

/// The member's latest follow-up (after an edit or a deletion, its next
/// action is the member's).
pub async fn latest_of_member(tx: &mut Tx, member_id: i64) -> StoreResult<Option<FollowUp>> {
    let sql = format!("{SELECT} WHERE f.member_id = $1 ORDER BY f.occurred_at DESC, f.id DESC LIMIT 1");
    Ok(on_tx!(tx, conn => match sqlx::query(&sql).bind(member_id).fetch_optional(&mut **conn).await? {
        Some(row) => Some(follow_up_from_row!(&row)),
        None => None,
    }))
}

/// The member whose follow-up an interaction is, if it is one.
pub async fn member_of_interaction(tx: &mut Tx, interaction_id: i64) -> StoreResult<Option<i64>> {
    let sql = "SELECT member_id FROM follow_ups WHERE interaction_id = $1";
    Ok(on_tx!(tx, conn => sqlx::query_scalar(sql).bind(interaction_id).fetch_optional(&mut **conn).await?))
}

/// What was logged for a customer recently, by anyone, in any campaign or
/// outside one: so nobody repeats a call or misses an objection.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RecentActivity {
    pub interaction_id: i64,
    pub occurred_on: NaiveDate,
    pub occurred_at: Option<String>,
    pub channel: Channel,
    pub kind: crate::domain::customer::InteractionKind,
    pub note: String,
    pub by_id: Option<i64>,
    pub by_name: Option<String>,
    pub by_role: Option<String>,
    pub campaign_id: Option<i64>,
    pub campaign_name: Option<String>,
    pub feedback_kind: Option<FeedbackKind>,
    pub feedback: Option<String>,
    pub next_action: Option<String>,
    /// The follow-up's summary (the interaction note also carries the feedback).
    pub summary: Option<String>,
}

pub async fn recent_for_customer(
    conn: Conn<'_>,
    customer_id: i64,
    since: NaiveDate,
    limit: i64,
) -> StoreResult<Vec<RecentActivity>> {
    let sql = "SELECT i.id, i.occurred_on, i.occurred_at, i.channel, i.kind, i.note, i.created_by, u.name, u.role, \
               f.campaign_id, k.name, f.feedback_kind, f.feedback, f.next_action, f.summary \
               FROM interactions i LEFT JOIN users u ON u.id = i.created_by \
               LEFT JOIN follow_ups f ON f.interaction_id = i.id LEFT JOIN campaigns k ON k.id = f.campaign_id \
               WHERE i.customer_id = $1 AND i.occurred_on >= $2 ORDER BY i.occurred_on DESC, i.id DESC LIMIT $3";
    type Row = (
        i64,
        NaiveDate,
        Option<String>,
        String,
        String,
        String,
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> =
        on_conn!(conn, c => sqlx::query_as(sql).bind(customer_id).bind(since).bind(limit).fetch_all(&mut *c).await?);
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let decode =
            |e: crate::domain::customer::UnknownCode| super::super::StoreError::Database(sqlx::Error::Decode(e.into()));
        out.push(RecentActivity {
            interaction_id: r.0,
            occurred_on: r.1,
            occurred_at: r.2,
            channel: r.3.parse().map_err(decode)?,
            kind: r.4.parse().map_err(decode)?,
            note: r.5,
            by_id: r.6,
            by_name: r.7,
            by_role: r.8,
            campaign_id: r.9,
            campaign_name: r.10,
            feedback_kind: r.11.and_then(|k| k.parse().ok()),
            feedback: r.12,
            next_action: r.13,
            summary: r.14,
        });
    }
    Ok(out)
}

/// Replaces a customer's pain points (edited on the follow-up form).
pub async fn replace_pain_points(tx: &mut Tx, customer_id: i64, pains: &[String]) -> StoreResult<()> {
    on_tx!(tx, conn => {
        sqlx::query("DELETE FROM customer_pain_points WHERE customer_id = $1").bind(customer_id).execute(&mut **conn).await?;
        for p in pains {
            sqlx::query("INSERT INTO customer_pain_points (customer_id, pain_point) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(customer_id)
                .bind(p)
                .execute(&mut **conn)
                .await?;
        }
        sqlx::query("UPDATE customers SET version = version + 1, updated_at = $2 WHERE id = $1")
            .bind(customer_id)
            .bind(Utc::now())
            .execute(&mut **conn)
            .await?
            .rows_affected()
    });
    Ok(())
}
