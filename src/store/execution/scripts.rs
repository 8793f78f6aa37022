//! The script library (话术): the knowledge base's published entries of kind
//! script and objection (`store::knowledge` holds the rest of the entries).

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::super::{Conn, StoreResult, Tx, on_conn, on_tx};

#[derive(Clone, Debug, serde::Serialize)]
pub struct Script {
    pub id: i64,
    /// `script` or `objection`.
    pub kind: String,
    pub title: String,
    pub body: String,
    pub pain_points: Vec<String>,
    pub industries: Vec<String>,
    pub campaign_kinds: Vec<String>,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

/// A script's fields as written.
#[derive(Clone, Debug, Default)]
pub struct ScriptFields {
    pub kind: String,
    pub title: String,
    pub body: String,
    pub pain_points: Vec<String>,
    pub industries: Vec<String>,
    pub campaign_kinds: Vec<String>,
}

fn tags(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

fn json(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".to_owned())
}

const SELECT: &str = "SELECT id, kind, title, body, pain_points, industries, campaign_kinds, version, updated_at \
                      FROM knowledge_entries WHERE kind IN ('script', 'objection') AND status = 'published'";

macro_rules! script_from_row {
    ($row:expr) => {{
        let r = $row;
        Script {
            id: r.try_get("id")?,
            kind: r.try_get("kind")?,
            title: r.try_get("title")?,
            body: r.try_get("body")?,
            pain_points: tags(&r.try_get::<String, _>("pain_points")?),
            industries: tags(&r.try_get::<String, _>("industries")?),
            campaign_kinds: tags(&r.try_get::<String, _>("campaign_kinds")?),
            version: r.try_get("version")?,
            updated_at: r.try_get("updated_at")?,
        }
    }};
}

/// The whole library (it is small: tens of entries), by kind and title.
pub async fn scripts(conn: Conn<'_>) -> StoreResult<Vec<Script>> {
    let sql = format!("{SELECT} ORDER BY kind DESC, title, id");
    Ok(on_conn!(conn, c => {
        let mut out = Vec::new();
        for row in sqlx::query(&sql).fetch_all(&mut *c).await? {
            out.push(script_from_row!(&row));
        }
        out
    }))
}

pub async fn script(conn: Conn<'_>, id: i64) -> StoreResult<Option<Script>> {
    let sql = format!("{SELECT} AND id = $1");
    Ok(on_conn!(conn, c => match sqlx::query(&sql).bind(id).fetch_optional(&mut *c).await? {
        Some(row) => Some(script_from_row!(&row)),
        None => None,
    }))
}

pub async fn insert_script(tx: &mut Tx, f: &ScriptFields, by: Option<i64>) -> StoreResult<i64> {
    let sql = "INSERT INTO knowledge_entries (kind, title, body, pain_points, industries, campaign_kinds, author_id, \
               status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'published', $8, $8) RETURNING id";
    Ok(on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql)
        .bind(&f.kind)
        .bind(&f.title)
        .bind(&f.body)
        .bind(json(&f.pain_points))
        .bind(json(&f.industries))
        .bind(json(&f.campaign_kinds))
        .bind(by)
        .bind(Utc::now())
        .fetch_one(&mut **conn)
        .await?))
}

pub async fn update_script(tx: &mut Tx, id: i64, version: i64, f: &ScriptFields) -> StoreResult<bool> {
    let sql = "UPDATE knowledge_entries SET kind = $3, title = $4, body = $5, pain_points = $6, industries = $7, \
               campaign_kinds = $8, updated_at = $9, version = version + 1 WHERE id = $1 AND version = $2 \
               AND kind IN ('script', 'objection') AND status = 'published'";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(id)
        .bind(version)
        .bind(&f.kind)
        .bind(&f.title)
        .bind(&f.body)
        .bind(json(&f.pain_points))
        .bind(json(&f.industries))
        .bind(json(&f.campaign_kinds))
        .bind(Utc::now())
        .execute(&mut **conn)
        .await?
        .rows_affected());
    Ok(n == 1)
}

pub async fn delete_script(tx: &mut Tx, id: i64) -> StoreResult<bool> {
    let n = on_tx!(tx, conn => sqlx::query("DELETE FROM knowledge_entries WHERE id = $1 AND kind IN ('script', 'objection')").bind(id).execute(&mut **conn).await?.rows_affected());
    Ok(n == 1)
}
