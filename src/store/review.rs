//! The campaign review (template 4), the cost items' actuals, and the reads
//! the metrics and the review's pre-fill are made of.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;

use super::{Conn, StoreResult, Tx, on_conn, on_tx};
use crate::domain::execution::progress::Counts;
use crate::domain::review::metrics::{CostItem, MemberGroup};

/// A stored review.
#[derive(Clone, Debug)]
pub struct StoredReview {
    pub campaign_id: i64,
    /// JSON lines ([`crate::domain::review::LineText`]).
    pub lines: String,
    /// JSON [`crate::domain::review::Snapshot`], once held.
    pub snapshot: Option<String>,
    pub held_on: Option<NaiveDate>,
    pub held_by: Option<i64>,
    pub updated_by: Option<i64>,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

pub async fn review(conn: Conn<'_>, campaign_id: i64) -> StoreResult<Option<StoredReview>> {
    let sql = "SELECT campaign_id, lines, snapshot, held_on, held_by, updated_by, version, updated_at \
               FROM campaign_reviews WHERE campaign_id = $1";
    Ok(on_conn!(conn, c => match sqlx::query(sql).bind(campaign_id).fetch_optional(&mut *c).await? {
        Some(r) => Some(StoredReview {
            campaign_id: r.try_get("campaign_id")?,
            lines: r.try_get("lines")?,
            snapshot: r.try_get("snapshot")?,
            held_on: r.try_get("held_on")?,
            held_by: r.try_get("held_by")?,
            updated_by: r.try_get("updated_by")?,
            version: r.try_get("version")?,
            updated_at: r.try_get("updated_at")?,
        }),
        None => None,
    }))
}

/// Creates the draft unless one exists; true when it was created.
pub async fn insert_draft(tx: &mut Tx, campaign_id: i64, lines: &str, by: Option<i64>) -> StoreResult<bool> {
    let sql = "INSERT INTO campaign_reviews (campaign_id, lines, updated_by, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $4) ON CONFLICT (campaign_id) DO NOTHING";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(campaign_id)
        .bind(lines)
        .bind(by)
        .bind(Utc::now())
        .execute(&mut **conn)
        .await?
        .rows_affected());
    Ok(n == 1)
}

/// Replaces the lines of the review at `version`; false when it changed meanwhile.
pub async fn update_lines(tx: &mut Tx, campaign_id: i64, version: i64, lines: &str, by: i64) -> StoreResult<bool> {
    let sql = "UPDATE campaign_reviews SET lines = $3, updated_by = $4, updated_at = $5, version = version + 1 \
               WHERE campaign_id = $1 AND version = $2";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(campaign_id)
        .bind(version)
        .bind(lines)
        .bind(by)
        .bind(Utc::now())
        .execute(&mut **conn)
        .await?
        .rows_affected());
    Ok(n == 1)
}

/// Marks the review held with the numbers frozen; false when it was held already.
pub async fn hold(tx: &mut Tx, campaign_id: i64, snapshot: &str, on: NaiveDate, by: i64) -> StoreResult<bool> {
    let sql = "UPDATE campaign_reviews SET snapshot = $2, held_on = $3, held_by = $4, updated_at = $5, \
               version = version + 1 WHERE campaign_id = $1 AND held_on IS NULL";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(campaign_id)
        .bind(snapshot)
        .bind(on)
        .bind(by)
        .bind(Utc::now())
        .execute(&mut **conn)
        .await?
        .rows_affected());
    Ok(n == 1)
}

/// The stored cost items, in order (empty: none entered yet).
pub async fn costs(conn: Conn<'_>, campaign_id: i64) -> StoreResult<Vec<CostItem>> {
    let sql = "SELECT item, planned_fen, actual_fen FROM campaign_costs WHERE campaign_id = $1 ORDER BY position";
    let rows: Vec<(String, Option<i64>, Option<i64>)> =
        on_conn!(conn, c => sqlx::query_as(sql).bind(campaign_id).fetch_all(&mut *c).await?);
    Ok(rows.into_iter().map(|(item, planned_fen, actual_fen)| CostItem { item, planned_fen, actual_fen }).collect())
}

pub async fn set_costs(tx: &mut Tx, campaign_id: i64, items: &[CostItem], by: i64) -> StoreResult<()> {
    let now = Utc::now();
    on_tx!(tx, conn => {
        sqlx::query("DELETE FROM campaign_costs WHERE campaign_id = $1").bind(campaign_id).execute(&mut **conn).await?;
        for (i, item) in items.iter().enumerate() {
            sqlx::query(
                "INSERT INTO campaign_costs (campaign_id, position, item, planned_fen, actual_fen, updated_by, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(campaign_id)
            .bind(i as i64)
            .bind(&item.item)
            .bind(item.planned_fen)
            .bind(item.actual_fen)
            .bind(by)
            .bind(now)
            .execute(&mut **conn)
            .await?;
        }
    });
    Ok(())
}

/// The members grouped by everything the metrics break down by, with
/// cumulative funnel counts (as `execution::reports::funnel_counts`); the
/// channel is that of each member's first follow-up.
pub async fn member_groups(conn: Conn<'_>, campaign_id: i64) -> StoreResult<Vec<MemberGroup>> {
    // The first follow-up's channel (migration 0019) and the customer's
    // region (0024) are kept on the member, so the groups come from one
    // index in its order: no pass over the follow-ups, no join, no sort.
    let sql = "SELECT assignee_id, tier, region, source, partner, first_channel, COUNT(*), \
        CAST(COALESCE(SUM(CASE WHEN contacted_on IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT), \
        CAST(COALESCE(SUM(CASE WHEN intent_on IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT), \
        CAST(COALESCE(SUM(CASE WHEN stage = 'ordered' THEN 1 ELSE 0 END), 0) AS BIGINT), \
        CAST(COALESCE(SUM(CASE WHEN stage = 'lost' THEN 1 ELSE 0 END), 0) AS BIGINT), \
        CAST(COALESCE(SUM(CASE WHEN stage = 'ordered' THEN order_amount_fen ELSE 0 END), 0) AS BIGINT) \
        FROM campaign_members WHERE campaign_id = $1 \
        GROUP BY assignee_id, tier, region, source, partner, first_channel";
    type Row = (Option<i64>, String, String, String, Option<String>, Option<String>, i64, i64, i64, i64, i64, i64);
    let rows: Vec<Row> = on_conn!(conn, c => sqlx::query_as(sql).bind(campaign_id).fetch_all(&mut *c).await?);
    Ok(rows
        .into_iter()
        .map(|r| MemberGroup {
            assignee_id: r.0,
            tier: r.1,
            region: r.2,
            source: r.3,
            partner: r.4,
            channel: r.5,
            counts: Counts {
                members: r.6,
                reached: r.7,
                intent_customers: r.8,
                orders: r.9,
                lost: r.10,
                sales_fen: r.11,
            },
        })
        .collect())
}

/// Per day: members who became intent customers, and who ordered.
pub async fn daily_counts(
    conn: Conn<'_>,
    campaign_id: i64,
) -> StoreResult<(Vec<(NaiveDate, i64)>, Vec<(NaiveDate, i64)>)> {
    let intent = "SELECT intent_on, COUNT(*) FROM campaign_members WHERE campaign_id = $1 AND intent_on IS NOT NULL \
                  GROUP BY intent_on";
    let orders = "SELECT ordered_on, COUNT(*) FROM campaign_members WHERE campaign_id = $1 AND stage = 'ordered' \
                  AND ordered_on IS NOT NULL GROUP BY ordered_on";
    Ok(on_conn!(conn, c => {
        let a: Vec<(NaiveDate, i64)> = sqlx::query_as(intent).bind(campaign_id).fetch_all(&mut *c).await?;
        let b: Vec<(NaiveDate, i64)> = sqlx::query_as(orders).bind(campaign_id).fetch_all(&mut *c).await?;
        (a, b)
    }))
}

/// What the pre-fill reads beyond the numbers, raw.
#[derive(Clone, Debug, Default)]
pub struct RawFacts {
    /// Collateral delivered against a needed-by date: (needed by, delivered at).
    pub collateral: Vec<(NaiveDate, DateTime<Utc>)>,
    pub stale_collateral: i64,
    pub overdue_actions: i64,
    /// (author, day) pairs with a follow-up logged.
    pub logged: Vec<(Option<i64>, NaiveDate)>,
    /// Assignees with open members (who had something to update).
    pub assignees: Vec<i64>,
    /// Blockers: raised at, first acted on (decided or escalated) at.
    pub blockers: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
    /// Objection texts with how often each was recorded (most first).
    pub objections: Vec<(String, i64)>,
}

/// The review's facts of one campaign; next actions count as overdue when
/// their day came before `cutoff` (the end, or today while it runs).
pub async fn raw_facts(conn: Conn<'_>, campaign_id: i64, cutoff: NaiveDate) -> StoreResult<RawFacts> {
    let collateral = "SELECT needed_by, delivered_at FROM resource_requests WHERE campaign_id = $1 \
        AND kind = 'collateral' AND needed_by IS NOT NULL AND delivered_at IS NOT NULL";
    let stale = "SELECT COUNT(*) FROM resource_requests r JOIN campaigns k ON k.id = r.campaign_id \
        WHERE r.campaign_id = $1 AND r.status = 'delivered' AND r.delivered_revision < k.content_revision";
    let overdue = "SELECT COUNT(*) FROM campaign_members WHERE campaign_id = $1 AND next_action_on < $2 \
        AND stage NOT IN ('ordered', 'lost')";
    let logged = "SELECT DISTINCT created_by, logged_on FROM follow_ups WHERE campaign_id = $1";
    let assignees =
        "SELECT DISTINCT assignee_id FROM campaign_members WHERE campaign_id = $1 AND assignee_id IS NOT NULL";
    let blockers = "SELECT created_at, COALESCE(decided_at, escalated_at) FROM blockers WHERE campaign_id = $1";
    let objections = "SELECT feedback, COUNT(*) FROM follow_ups WHERE campaign_id = $1 AND feedback_kind = 'objection' \
        GROUP BY feedback ORDER BY COUNT(*) DESC, feedback LIMIT 50";
    Ok(on_conn!(conn, c => RawFacts {
        collateral: sqlx::query_as(collateral).bind(campaign_id).fetch_all(&mut *c).await?,
        stale_collateral: sqlx::query_scalar(stale).bind(campaign_id).fetch_one(&mut *c).await?,
        overdue_actions: sqlx::query_scalar(overdue).bind(campaign_id).bind(cutoff).fetch_one(&mut *c).await?,
        logged: sqlx::query_as(logged).bind(campaign_id).fetch_all(&mut *c).await?,
        assignees: sqlx::query_scalar(assignees).bind(campaign_id).fetch_all(&mut *c).await?,
        blockers: sqlx::query_as(blockers).bind(campaign_id).fetch_all(&mut *c).await?,
        objections: sqlx::query_as(objections).bind(campaign_id).fetch_all(&mut *c).await?,
    }))
}
