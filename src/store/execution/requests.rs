//! Collateral and support requests.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;

use super::super::{Conn, StoreResult, Tx, Value, bind_values, on_conn, on_tx};
use crate::domain::execution::requests::{RequestKind, RequestStatus};

#[derive(Clone, Debug, serde::Serialize)]
pub struct Request {
    pub id: i64,
    pub campaign_id: i64,
    pub campaign_name: String,
    pub campaign_revision: i64,
    pub kind: RequestKind,
    pub item: String,
    pub quantity: Option<i64>,
    pub needed_by: Option<NaiveDate>,
    pub person: String,
    pub slot: String,
    pub lead_days: Option<i64>,
    pub details: String,
    pub status: RequestStatus,
    pub decline_reason: String,
    pub delivery_note: String,
    pub requested_by: Option<i64>,
    pub requested_by_name: Option<String>,
    pub requested_by_email: Option<String>,
    pub handled_by: Option<i64>,
    pub handled_by_name: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub delivered_revision: Option<i64>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

/// The fields a requester writes.
#[derive(Clone, Debug)]
pub struct NewRequest {
    pub campaign_id: i64,
    pub kind: RequestKind,
    pub item: String,
    pub quantity: Option<i64>,
    pub needed_by: Option<NaiveDate>,
    pub person: String,
    pub slot: String,
    pub lead_days: Option<i64>,
    pub details: String,
    pub requested_by: i64,
}

const SELECT: &str = "SELECT r.id, r.campaign_id, k.name AS campaign_name, k.content_revision, r.kind, r.item, r.quantity, \
    r.needed_by, r.person, r.slot, r.lead_days, r.details, r.status, r.decline_reason, r.delivery_note, r.requested_by, \
    q.name AS requested_by_name, q.email AS requested_by_email, r.handled_by, h.name AS handled_by_name, r.delivered_at, \
    r.delivered_revision, r.version, r.created_at \
    FROM resource_requests r JOIN campaigns k ON k.id = r.campaign_id LEFT JOIN users q ON q.id = r.requested_by \
    LEFT JOIN users h ON h.id = r.handled_by";

macro_rules! request_from_row {
    ($row:expr) => {{
        let r = $row;
        Request {
            id: r.try_get("id")?,
            campaign_id: r.try_get("campaign_id")?,
            campaign_name: r.try_get("campaign_name")?,
            campaign_revision: r.try_get("content_revision")?,
            kind: super::super::decode(r.try_get("kind")?, "kind")?,
            item: r.try_get("item")?,
            quantity: r.try_get("quantity")?,
            needed_by: r.try_get("needed_by")?,
            person: r.try_get("person")?,
            slot: r.try_get("slot")?,
            lead_days: r.try_get::<Option<i32>, _>("lead_days")?.map(i64::from),
            details: r.try_get("details")?,
            status: super::super::decode(r.try_get("status")?, "status")?,
            decline_reason: r.try_get("decline_reason")?,
            delivery_note: r.try_get("delivery_note")?,
            requested_by: r.try_get("requested_by")?,
            requested_by_name: r.try_get("requested_by_name")?,
            requested_by_email: r.try_get("requested_by_email")?,
            handled_by: r.try_get("handled_by")?,
            handled_by_name: r.try_get("handled_by_name")?,
            delivered_at: r.try_get("delivered_at")?,
            delivered_revision: r.try_get("delivered_revision")?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
        }
    }};
}

pub async fn insert_request(tx: &mut Tx, r: &NewRequest) -> StoreResult<i64> {
    let sql = "INSERT INTO resource_requests (campaign_id, kind, item, quantity, needed_by, person, slot, lead_days, \
               details, requested_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) \
               RETURNING id";
    Ok(on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql)
        .bind(r.campaign_id)
        .bind(r.kind.as_str())
        .bind(&r.item)
        .bind(r.quantity)
        .bind(r.needed_by)
        .bind(&r.person)
        .bind(&r.slot)
        .bind(r.lead_days.map(|d| i32::try_from(d).unwrap_or(i32::MAX)))
        .bind(&r.details)
        .bind(r.requested_by)
        .bind(Utc::now())
        .fetch_one(&mut **conn)
        .await?))
}

pub async fn request(conn: Conn<'_>, id: i64) -> StoreResult<Option<Request>> {
    let sql = format!("{SELECT} WHERE r.id = $1");
    Ok(on_conn!(conn, c => match sqlx::query(&sql).bind(id).fetch_optional(&mut *c).await? {
        Some(row) => Some(request_from_row!(&row)),
        None => None,
    }))
}

/// What a request list is narrowed to.
#[derive(Clone, Debug, Default)]
pub struct RequestQuery {
    pub campaign_id: Option<i64>,
    pub kinds: Option<Vec<RequestKind>>,
    pub requested_by: Option<i64>,
    pub statuses: Option<Vec<RequestStatus>>,
    /// Only campaigns that are draft or active.
    pub live_campaigns: bool,
}

pub async fn requests(conn: Conn<'_>, q: &RequestQuery) -> StoreResult<Vec<Request>> {
    let mut values: Vec<Value> = Vec::new();
    let mut conditions = vec!["1 = 1".to_owned()];
    if let Some(id) = q.campaign_id {
        values.push(id.into());
        conditions.push(format!("r.campaign_id = ${}", values.len()));
    }
    if let Some(id) = q.requested_by {
        values.push(id.into());
        conditions.push(format!("r.requested_by = ${}", values.len()));
    }
    if let Some(kinds) = &q.kinds {
        let mut list = Vec::new();
        for k in kinds {
            values.push(k.as_str().into());
            list.push(format!("${}", values.len()));
        }
        list.push("NULL".to_owned());
        conditions.push(format!("r.kind IN ({})", list.join(", ")));
    }
    if let Some(statuses) = &q.statuses {
        let mut list = Vec::new();
        for s in statuses {
            values.push(s.as_str().into());
            list.push(format!("${}", values.len()));
        }
        list.push("NULL".to_owned());
        conditions.push(format!("r.status IN ({})", list.join(", ")));
    }
    if q.live_campaigns {
        conditions.push("k.status IN ('draft', 'active')".to_owned());
    }
    let sql = format!(
        "{SELECT} WHERE {} ORDER BY COALESCE(r.needed_by, '9999-12-31'), r.id LIMIT 1000",
        conditions.join(" AND ")
    );
    Ok(on_conn!(conn, c => {
        let mut out = Vec::new();
        for row in bind_values(sqlx::query(&sql), &values).fetch_all(&mut *c).await? {
            out.push(request_from_row!(&row));
        }
        out
    }))
}

/// A status change by a handler; written only if `version` is current.
pub struct RequestMove<'a> {
    pub status: RequestStatus,
    pub handled_by: i64,
    pub decline_reason: &'a str,
    pub delivery_note: &'a str,
    /// Set on delivery: the campaign revision the item was made for.
    pub delivered: Option<(DateTime<Utc>, i64)>,
}

pub async fn move_request(tx: &mut Tx, id: i64, version: i64, m: &RequestMove<'_>) -> StoreResult<bool> {
    let sql = "UPDATE resource_requests SET status = $3, handled_by = $4, decline_reason = $5, delivery_note = $6, \
               delivered_at = COALESCE($7, delivered_at), delivered_revision = COALESCE($8, delivered_revision), \
               updated_at = $9, version = version + 1 WHERE id = $1 AND version = $2";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(id)
        .bind(version)
        .bind(m.status.as_str())
        .bind(m.handled_by)
        .bind(m.decline_reason)
        .bind(m.delivery_note)
        .bind(m.delivered.map(|d| d.0))
        .bind(m.delivered.map(|d| d.1))
        .bind(Utc::now())
        .execute(&mut **conn)
        .await?
        .rows_affected());
    Ok(n == 1)
}

/// Bumps a campaign's content revision (its message changed): every item
/// delivered before is stale from now on.
pub async fn bump_revision(tx: &mut Tx, campaign_id: i64) -> StoreResult<i64> {
    let sql = "UPDATE campaigns SET content_revision = content_revision + 1 WHERE id = $1 RETURNING content_revision";
    Ok(on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql).bind(campaign_id).fetch_one(&mut **conn).await?))
}

pub async fn revision(conn: Conn<'_>, campaign_id: i64) -> StoreResult<i64> {
    let sql = "SELECT content_revision FROM campaigns WHERE id = $1";
    Ok(
        on_conn!(conn, c => sqlx::query_scalar::<_, i64>(sql).bind(campaign_id).fetch_optional(&mut *c).await?.unwrap_or(1)),
    )
}
