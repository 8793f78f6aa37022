//! Campaign SOP templates: one JSON document each (`domain::sop::TemplateBody`).

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Conn, StoreResult, Tx, on_conn, on_tx};

#[derive(Clone, Debug, serde::Serialize)]
pub struct StoredTemplate {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub source_campaign_id: Option<i64>,
    pub source_campaign_name: Option<String>,
    /// JSON `TemplateBody`.
    pub body: String,
    pub retired: bool,
    pub created_by: Option<i64>,
    pub created_by_name: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const SELECT: &str = "SELECT t.id, t.name, t.kind, t.source_campaign_id, k.name AS source_campaign_name, t.body, \
    t.retired, t.created_by, u.name AS created_by_name, t.version, t.created_at, t.updated_at \
    FROM campaign_templates t LEFT JOIN campaigns k ON k.id = t.source_campaign_id \
    LEFT JOIN users u ON u.id = t.created_by";

macro_rules! template_from_row {
    ($r:expr) => {{
        let r = $r;
        StoredTemplate {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            kind: r.try_get("kind")?,
            source_campaign_id: r.try_get("source_campaign_id")?,
            source_campaign_name: r.try_get("source_campaign_name")?,
            body: r.try_get("body")?,
            retired: r.try_get("retired")?,
            created_by: r.try_get("created_by")?,
            created_by_name: r.try_get("created_by_name")?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        }
    }};
}

/// Every template, the active ones first, newest first.
pub async fn templates(conn: Conn<'_>) -> StoreResult<Vec<StoredTemplate>> {
    let sql = format!("{SELECT} ORDER BY t.retired, t.created_at DESC, t.id DESC");
    Ok(on_conn!(conn, c => {
        let rows = sqlx::query(&sql).fetch_all(&mut *c).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(template_from_row!(row));
        }
        out
    }))
}

pub async fn template(conn: Conn<'_>, id: i64) -> StoreResult<Option<StoredTemplate>> {
    let sql = format!("{SELECT} WHERE t.id = $1");
    Ok(on_conn!(conn, c => match sqlx::query(&sql).bind(id).fetch_optional(&mut *c).await? {
        Some(row) => Some(template_from_row!(&row)),
        None => None,
    }))
}

pub async fn insert_template(
    tx: &mut Tx,
    name: &str,
    kind: &str,
    source_campaign_id: i64,
    body: &str,
    by: i64,
) -> StoreResult<i64> {
    let sql = "INSERT INTO campaign_templates (name, kind, source_campaign_id, body, created_by, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id";
    Ok(on_tx!(tx, conn => sqlx::query(sql)
        .bind(name)
        .bind(kind)
        .bind(source_campaign_id)
        .bind(body)
        .bind(by)
        .bind(Utc::now())
        .fetch_one(&mut **conn)
        .await?
        .try_get::<i64, _>(0)?))
}

/// Retires (or restores) the template at `version`; false when it changed meanwhile.
pub async fn set_retired(tx: &mut Tx, id: i64, version: i64, retired: bool) -> StoreResult<bool> {
    let sql = "UPDATE campaign_templates SET retired = $1, version = version + 1, updated_at = $2 \
               WHERE id = $3 AND version = $4";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(retired)
        .bind(Utc::now())
        .bind(id)
        .bind(version)
        .execute(&mut **conn)
        .await?
        .rows_affected());
    Ok(n == 1)
}
