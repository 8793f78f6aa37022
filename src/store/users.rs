//! Team members, regions and API tokens.

use chrono::Utc;

use super::{Store, StoreError, StoreResult, on_db};
use crate::domain::team::{Email, Role};

#[derive(Clone, Debug)]
pub struct NewUser {
    pub email: Email,
    pub name: String,
    pub role: Role,
    pub region: Option<String>,
    pub password_hash: String,
}

#[derive(Clone, Debug)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub region: Option<String>,
    pub locale: String,
    pub active: bool,
    pub version: i64,
    pub password_hash: String,
}

type UserRow = (i64, String, String, String, Option<String>, String, bool, i64, String);

const USER_COLUMNS: &str = "id, email, name, role, region, locale, active, version, password_hash";

fn user_from_row(row: UserRow) -> StoreResult<User> {
    let (id, email, name, role, region, locale, active, version, password_hash) = row;
    let role = role
        .parse()
        .map_err(|e: crate::domain::team::UnknownRole| StoreError::Database(sqlx::Error::Decode(e.into())))?;
    Ok(User { id, email, name, role, region, locale, active, version, password_hash })
}

impl Store {
    /// Adds a team member. A taken email answers [`StoreError::Conflict`].
    pub async fn insert_user(&self, user: &NewUser) -> StoreResult<i64> {
        let now = Utc::now();
        let sql = "INSERT INTO users (email, name, role, region, password_hash, created_at, updated_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id";
        Ok(on_db!(self, pool => sqlx::query_scalar::<_, i64>(sql)
            .bind(user.email.as_str())
            .bind(&user.name)
            .bind(user.role.as_str())
            .bind(&user.region)
            .bind(&user.password_hash)
            .bind(now)
            .fetch_one(pool)
            .await?))
    }

    pub async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        let row = on_db!(self, pool => sqlx::query_as::<_, UserRow>(&sql)
            .bind(email.trim().to_lowercase())
            .fetch_optional(pool)
            .await?);
        row.map(user_from_row).transpose()
    }

    pub async fn user_by_id(&self, id: i64) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row = on_db!(self, pool => sqlx::query_as::<_, UserRow>(&sql)
            .bind(id)
            .fetch_optional(pool)
            .await?);
        row.map(user_from_row).transpose()
    }

    pub async fn users(&self) -> StoreResult<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY id");
        let rows = on_db!(self, pool => sqlx::query_as::<_, UserRow>(&sql).fetch_all(pool).await?);
        rows.into_iter().map(user_from_row).collect()
    }

    /// The configured sales regions, in display order.
    pub async fn regions(&self) -> StoreResult<Vec<String>> {
        let sql = "SELECT name FROM regions ORDER BY position, name";
        Ok(on_db!(self, pool => sqlx::query_scalar::<_, String>(sql).fetch_all(pool).await?))
    }

    /// Stores a token by its hash only; the plain token is shown once and never kept.
    pub async fn insert_api_token(&self, user_id: i64, name: &str, token_hash: &str, prefix: &str) -> StoreResult<i64> {
        let sql = "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) \
                   VALUES ($1, $2, $3, $4, $5) RETURNING id";
        Ok(on_db!(self, pool => sqlx::query_scalar::<_, i64>(sql)
            .bind(user_id)
            .bind(name)
            .bind(token_hash)
            .bind(prefix)
            .bind(Utc::now())
            .fetch_one(pool)
            .await?))
    }

    /// The active user a live (unrevoked) token belongs to.
    pub async fn user_by_token_hash(&self, token_hash: &str) -> StoreResult<Option<User>> {
        let sql = "SELECT u.id, u.email, u.name, u.role, u.region, u.locale, u.active, u.version, u.password_hash \
                   FROM api_tokens t JOIN users u ON u.id = t.user_id \
                   WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active";
        let row = on_db!(self, pool => sqlx::query_as::<_, UserRow>(sql)
            .bind(token_hash)
            .fetch_optional(pool)
            .await?);
        row.map(user_from_row).transpose()
    }
}
