//! The script library (话术): the knowledge base's published entries of kind
//! script and objection (`store::knowledge` holds the rest of the entries).

use chrono::{DateTime, Utc};

use super::super::{Conn, StoreResult, Tx, on_tx};

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
    /// How many people marked it "helped" (有帮助).
    pub helped: i64,
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

fn json(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".to_owned())
}

impl From<crate::store::knowledge::Entry> for Script {
    fn from(e: crate::store::knowledge::Entry) -> Self {
        Script {
            id: e.id,
            kind: e.kind,
            title: e.title,
            body: e.body,
            pain_points: e.pain_points,
            industries: e.industries,
            campaign_kinds: e.campaign_kinds,
            version: e.version,
            updated_at: e.updated_at,
            helped: e.helped,
        }
    }
}

/// The whole library (it is small: tens of entries), by kind and title.
pub async fn scripts(conn: Conn<'_>) -> StoreResult<Vec<Script>> {
    let entries = crate::store::knowledge::published_scripts(conn, None).await?;
    Ok(entries.into_iter().map(Script::from).collect())
}

pub async fn script(conn: Conn<'_>, id: i64) -> StoreResult<Option<Script>> {
    let entries = crate::store::knowledge::published_scripts(conn, Some(id)).await?;
    Ok(entries.into_iter().next().map(Script::from))
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
