//! Reads behind the progress panel, the daily stand-up and a rep's day:
//! aggregates in the database, each answered from an index.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;

use super::super::{Conn, StoreResult, on_conn};
use crate::domain::execution::progress::Counts;

/// Funnel counts per (assignee, tier) of a campaign.
pub async fn funnel_counts(conn: Conn<'_>, campaign_id: i64) -> StoreResult<Vec<(Option<i64>, String, Counts)>> {
    // Sums are cast so both backends return BIGINT (PostgreSQL sums to NUMERIC).
    let sql = "SELECT assignee_id, tier, COUNT(*), \
        CAST(COALESCE(SUM(CASE WHEN contacted_on IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT), \
        CAST(COALESCE(SUM(CASE WHEN intent_on IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT), \
        CAST(COALESCE(SUM(CASE WHEN stage = 'ordered' THEN 1 ELSE 0 END), 0) AS BIGINT), \
        CAST(COALESCE(SUM(CASE WHEN stage = 'lost' THEN 1 ELSE 0 END), 0) AS BIGINT), \
        CAST(COALESCE(SUM(CASE WHEN stage = 'ordered' THEN order_amount_fen ELSE 0 END), 0) AS BIGINT) \
        FROM campaign_members WHERE campaign_id = $1 GROUP BY assignee_id, tier";
    type Row = (Option<i64>, String, i64, i64, i64, i64, i64, i64);
    let rows: Vec<Row> = on_conn!(conn, c => sqlx::query_as(sql).bind(campaign_id).fetch_all(&mut *c).await?);
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.0,
                r.1,
                Counts { members: r.2, reached: r.3, intent_customers: r.4, orders: r.5, lost: r.6, sales_fen: r.7 },
            )
        })
        .collect())
}

/// One rep's line of the stand-up before the flags are worked out.
#[derive(Clone, Debug, Default)]
pub struct StandupCounts {
    pub members: i64,
    pub contacted: i64,
    pub new_intents: i64,
    pub orders: i64,
    pub sales_fen: i64,
    pub overdue_tasks: i64,
    pub overdue_actions: i64,
    pub logged: i64,
}

/// Per assignee: members; members contacted on `date` (a follow-up that
/// day); members that became intent / ordered that day (with the amount);
/// open tasks and next actions due before `date`; and whether each person
/// logged a follow-up that day (1).
pub async fn standup_counts(
    conn: Conn<'_>,
    campaign_id: i64,
    date: NaiveDate,
) -> StoreResult<std::collections::HashMap<Option<i64>, StandupCounts>> {
    let mut out: std::collections::HashMap<Option<i64>, StandupCounts> = std::collections::HashMap::new();
    let members = "SELECT assignee_id, COUNT(*) FROM campaign_members WHERE campaign_id = $1 GROUP BY assignee_id";
    let contacted = "SELECT m.assignee_id, COUNT(DISTINCT f.member_id) FROM follow_ups f \
        JOIN campaign_members m ON m.id = f.member_id WHERE f.campaign_id = $1 AND f.occurred_on = $2 GROUP BY m.assignee_id";
    // `+assignee_id`: grouping by the bare column lets SQLite's planner walk
    // the (campaign, assignee) index to skip the sort, reading every member
    // of the campaign (0.6 s of 50,000) instead of the few of that day.
    let intents = "SELECT +assignee_id, COUNT(*) FROM campaign_members WHERE campaign_id = $1 AND intent_on = $2 \
        GROUP BY +assignee_id";
    let orders = "SELECT +assignee_id, COUNT(*), CAST(COALESCE(SUM(order_amount_fen), 0) AS BIGINT) FROM campaign_members \
        WHERE campaign_id = $1 AND ordered_on = $2 AND stage = 'ordered' GROUP BY +assignee_id";
    let tasks = "SELECT assignee_id, COUNT(*) FROM member_tasks WHERE campaign_id = $1 AND status = 'open' AND due_on < $2 \
        GROUP BY assignee_id";
    let actions = "SELECT +assignee_id, COUNT(*) FROM campaign_members WHERE campaign_id = $1 AND next_action_on < $2 \
        GROUP BY +assignee_id";
    // Whether each person logged anything, not how much: DISTINCT skips along
    // the (campaign, day, author) index instead of counting every follow-up.
    let logged = "SELECT DISTINCT created_by FROM follow_ups WHERE campaign_id = $1 AND logged_on = $2";
    on_conn!(conn, c => {
        for (a, n) in sqlx::query_as::<_, (Option<i64>, i64)>(members).bind(campaign_id).fetch_all(&mut *c).await? {
            out.entry(a).or_default().members = n;
        }
        for (a, n) in sqlx::query_as::<_, (Option<i64>, i64)>(contacted).bind(campaign_id).bind(date).fetch_all(&mut *c).await? {
            out.entry(a).or_default().contacted = n;
        }
        for (a, n) in sqlx::query_as::<_, (Option<i64>, i64)>(intents).bind(campaign_id).bind(date).fetch_all(&mut *c).await? {
            out.entry(a).or_default().new_intents = n;
        }
        for (a, n, fen) in sqlx::query_as::<_, (Option<i64>, i64, i64)>(orders).bind(campaign_id).bind(date).fetch_all(&mut *c).await? {
            let e = out.entry(a).or_default();
            e.orders = n;
            e.sales_fen = fen;
        }
        for (a, n) in sqlx::query_as::<_, (Option<i64>, i64)>(tasks).bind(campaign_id).bind(date).fetch_all(&mut *c).await? {
            out.entry(a).or_default().overdue_tasks = n;
        }
        for (a, n) in sqlx::query_as::<_, (Option<i64>, i64)>(actions).bind(campaign_id).bind(date).fetch_all(&mut *c).await? {
            out.entry(a).or_default().overdue_actions = n;
        }
        for a in sqlx::query_scalar::<_, Option<i64>>(logged).bind(campaign_id).bind(date).fetch_all(&mut *c).await? {
            out.entry(a).or_default().logged = 1;
        }
    });
    Ok(out)
}

/// Why a member is on a rep's day.
#[derive(Clone, Debug)]
pub enum DayReason {
    Task { id: i64, action: String, what: String, due_on: NaiveDate },
    NextAction { on: NaiveDate, at: Option<String>, what: String },
    NewMember { assigned_at: DateTime<Utc> },
}

/// One reason a member is on a rep's day.
pub struct DayItem {
    pub member_id: i64,
    pub reason: DayReason,
}

/// Members of active campaigns that need the rep today: open tasks due by
/// `today`, next actions due by `today`, members assigned since `new_since`
/// and not worked yet — the first `limit` in outreach order (tier rank,
/// earliest due day, campaign, customer; a new member is due today), and
/// how many there are in all. Only ids are read here: a rep early
/// in a large campaign has thousands of overdue tasks, and the page needs
/// the reasons of the members it shows ([`day_items`]).
pub async fn day_page(
    conn: Conn<'_>,
    assignee_id: i64,
    today: NaiveDate,
    new_since: DateTime<Utc>,
    limit: i64,
) -> StoreResult<(Vec<i64>, usize)> {
    let sql = "SELECT d.member_id, COUNT(*) OVER () FROM (\
            SELECT t.member_id AS member_id, t.due_on AS due_on FROM member_tasks t \
            JOIN campaigns k ON k.id = t.campaign_id \
            WHERE t.assignee_id = $1 AND t.status = 'open' AND t.due_on <= $2 AND k.status = 'active' \
            UNION ALL SELECT m.id, m.next_action_on FROM campaign_members m JOIN campaigns k ON k.id = m.campaign_id \
            WHERE m.assignee_id = $1 AND m.next_action_on <= $2 AND k.status = 'active' \
            UNION ALL SELECT m.id, NULL FROM campaign_members m JOIN campaigns k ON k.id = m.campaign_id \
            WHERE m.assignee_id = $1 AND m.assigned_at >= $3 AND m.stage = 'targeted' AND k.status = 'active'\
        ) d JOIN campaign_members m ON m.id = d.member_id \
        GROUP BY d.member_id, m.outreach_rank, m.campaign_id, m.customer_id \
        ORDER BY m.outreach_rank, COALESCE(MIN(d.due_on), $2), m.campaign_id, m.customer_id LIMIT $4";
    let rows: Vec<(i64, i64)> = on_conn!(conn, c => sqlx::query_as(sql)
        .bind(assignee_id)
        .bind(today)
        .bind(new_since)
        .bind(limit)
        .fetch_all(&mut *c)
        .await?);
    let total = rows.first().map_or(0, |r| usize::try_from(r.1).unwrap_or(0));
    Ok((rows.into_iter().map(|r| r.0).collect(), total))
}

/// The reasons [`day_page`]'s members are on the rep's day.
pub async fn day_items(
    conn: Conn<'_>,
    assignee_id: i64,
    today: NaiveDate,
    new_since: DateTime<Utc>,
    member_ids: &[i64],
) -> StoreResult<Vec<DayItem>> {
    if member_ids.is_empty() {
        return Ok(Vec::new());
    }
    // The page's ids (a few hundred at most, read from the database) as
    // literals: the same text on both backends; not kept as prepared
    // statements, since each page's list differs.
    let ids = member_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let tasks = format!(
        "SELECT t.member_id, t.id, t.action, t.what, t.due_on \
        FROM member_tasks t JOIN campaigns k ON k.id = t.campaign_id \
        WHERE t.member_id IN ({ids}) AND t.assignee_id = $1 AND t.status = 'open' AND t.due_on <= $2 \
        AND k.status = 'active'"
    );
    let actions = format!(
        "SELECT m.id, m.next_action_on, m.next_action_at, m.next_action \
        FROM campaign_members m JOIN campaigns k ON k.id = m.campaign_id \
        WHERE m.id IN ({ids}) AND m.assignee_id = $1 AND m.next_action_on <= $2 AND k.status = 'active'"
    );
    let fresh = format!(
        "SELECT m.id, m.assigned_at FROM campaign_members m JOIN campaigns k ON k.id = m.campaign_id \
        WHERE m.id IN ({ids}) AND m.assignee_id = $1 AND m.assigned_at >= $2 AND m.stage = 'targeted' \
        AND k.status = 'active'"
    );
    let mut out = Vec::new();
    on_conn!(conn, c => {
        let rows = sqlx::query(&tasks).persistent(false).bind(assignee_id).bind(today).fetch_all(&mut *c).await?;
        for row in rows {
            out.push(DayItem { member_id: row.try_get(0)?, reason: DayReason::Task {
                id: row.try_get(1)?,
                action: row.try_get(2)?,
                what: row.try_get(3)?,
                due_on: row.try_get(4)?,
            }});
        }
        let rows = sqlx::query(&actions).persistent(false).bind(assignee_id).bind(today).fetch_all(&mut *c).await?;
        for row in rows {
            out.push(DayItem { member_id: row.try_get(0)?, reason: DayReason::NextAction {
                on: row.try_get(1)?,
                at: row.try_get(2)?,
                what: row.try_get(3)?,
            }});
        }
        let rows = sqlx::query(&fresh).persistent(false).bind(assignee_id).bind(new_since).fetch_all(&mut *c).await?;
        for row in rows {
            out.push(DayItem { member_id: row.try_get(0)?, reason: DayReason::NewMember { assigned_at: row.try_get(1)? } });
        }
    });
    Ok(out)
}

/// One open task or next action due by a day, for its assignee's digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueItem {
    pub assignee_id: i64,
    pub campaign: String,
    pub customer: String,
    pub what: String,
    pub due_on: NaiveDate,
}

/// Every assignee's open tasks and next actions due by `day` in active
/// campaigns, by assignee, then soonest first.
pub async fn due_by_assignee(conn: Conn<'_>, day: NaiveDate) -> StoreResult<Vec<DueItem>> {
    let sql = "SELECT t.assignee_id, k.name, c.name, t.what, t.due_on FROM member_tasks t \
        JOIN campaign_members m ON m.id = t.member_id JOIN campaigns k ON k.id = t.campaign_id \
        JOIN customers c ON c.id = m.customer_id \
        WHERE t.assignee_id IS NOT NULL AND t.status = 'open' AND t.due_on <= $1 AND k.status = 'active' \
        UNION ALL \
        SELECT m.assignee_id, k.name, c.name, m.next_action, m.next_action_on FROM campaign_members m \
        JOIN campaigns k ON k.id = m.campaign_id JOIN customers c ON c.id = m.customer_id \
        WHERE m.assignee_id IS NOT NULL AND m.next_action_on <= $2 AND k.status = 'active' \
        ORDER BY 1, 5, 2, 3";
    type Row = (i64, String, String, String, NaiveDate);
    let rows: Vec<Row> = on_conn!(conn, c => sqlx::query_as(sql).bind(day).bind(day).fetch_all(&mut *c).await?);
    Ok(rows
        .into_iter()
        .map(|(assignee_id, campaign, customer, what, due_on)| DueItem {
            assignee_id,
            campaign,
            customer,
            what,
            due_on,
        })
        .collect())
}

/// What comes next when nothing is due: the rep's next open tasks, soonest
/// first, then members not reached yet in outreach order.
pub async fn upcoming(conn: Conn<'_>, assignee_id: i64, limit: i64) -> StoreResult<(Vec<(i64, DayReason)>, Vec<i64>)> {
    let tasks = "SELECT t.member_id, t.id, t.action, t.what, t.due_on FROM member_tasks t \
        JOIN campaigns k ON k.id = t.campaign_id WHERE t.assignee_id = $1 AND t.status = 'open' AND k.status = 'active' \
        ORDER BY t.due_on, t.id LIMIT $2";
    let untouched = "SELECT m.id FROM campaign_members m JOIN campaigns k ON k.id = m.campaign_id \
        WHERE m.assignee_id = $1 AND m.stage = 'targeted' AND k.status = 'active' \
        ORDER BY m.outreach_rank, m.campaign_id, m.customer_id LIMIT $2";
    let mut due = Vec::new();
    let mut fresh = Vec::new();
    on_conn!(conn, c => {
        for row in sqlx::query(tasks).bind(assignee_id).bind(limit).fetch_all(&mut *c).await? {
            due.push((row.try_get::<i64, _>(0)?, DayReason::Task {
                id: row.try_get(1)?,
                action: row.try_get(2)?,
                what: row.try_get(3)?,
                due_on: row.try_get(4)?,
            }));
        }
        for row in sqlx::query(untouched).bind(assignee_id).bind(limit).fetch_all(&mut *c).await? {
            fresh.push(row.try_get::<i64, _>(0)?);
        }
    });
    Ok((due, fresh))
}

/// Open blockers per campaign member / raiser, for the stand-up and plan.
pub async fn open_blocker_counts(conn: Conn<'_>, campaign_id: i64) -> StoreResult<Vec<(Option<i64>, i64)>> {
    let sql = "SELECT COALESCE(m.assignee_id, b.raised_by), COUNT(*) FROM blockers b \
        LEFT JOIN campaign_members m ON m.id = b.member_id \
        WHERE b.campaign_id = $1 AND b.status IN ('open', 'escalated') GROUP BY COALESCE(m.assignee_id, b.raised_by)";
    Ok(on_conn!(conn, c => sqlx::query_as(sql).bind(campaign_id).fetch_all(&mut *c).await?))
}

/// Who logged a follow-up in a campaign on `day`, each with 1 (the day
/// before's missing updates show on the morning stand-up).
pub async fn logged_on(conn: Conn<'_>, campaign_id: i64, day: NaiveDate) -> StoreResult<Vec<(Option<i64>, i64)>> {
    let sql = "SELECT DISTINCT created_by FROM follow_ups WHERE campaign_id = $1 AND logged_on = $2";
    let who: Vec<Option<i64>> =
        on_conn!(conn, c => sqlx::query_scalar(sql).bind(campaign_id).bind(day).fetch_all(&mut *c).await?);
    Ok(who.into_iter().map(|a| (a, 1)).collect())
}
