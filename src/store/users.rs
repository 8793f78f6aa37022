//! Team members, regions and API tokens.

use chrono::{DateTime, Utc};

use super::{Store, StoreError, StoreResult, on_db, on_write};

use crate::domain::team::{Email, Role};

#[derive(Clone, Debug)]
pub struct NewUser {
    pub email: Email,
    pub name: String,
    pub role: Role,
    pub region: Option<String>,
    pub password_hash: String,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub region: Option<String>,
    pub locale: String,
    pub active: bool,
    pub version: i64,
    #[serde(skip)]
    pub password_hash: String,
}

pub(crate) type UserRow = (i64, String, String, String, Option<String>, String, bool, i64, String);

const USER_COLUMNS: &str = "id, email, name, role, region, locale, active, version, password_hash";
pub(crate) const USER_COLUMNS_U: &str =
    "u.id, u.email, u.name, u.role, u.region, u.locale, u.active, u.version, u.password_hash";

pub(crate) fn user_from_row(row: UserRow) -> StoreResult<User> {
    let (id, email, name, role, region, locale, active, version, password_hash) = row;
    let role = role
        .parse()
        .map_err(|e: crate::domain::team::UnknownRole| StoreError::Database(sqlx::Error::Decode(e.into())))?;
    Ok(User { id, email, name, role, region, locale, active, version, password_hash })
}

impl Store {
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
        Ok(on_write!(self, conn => sqlx::query_scalar::<_, i64>(sql)
            .bind(user_id)
            .bind(name)
            .bind(token_hash)
            .bind(prefix)
            .bind(Utc::now())
            .fetch_one(&mut **conn)
            .await?))
    }

    /// The active user a live (unrevoked) token belongs to.
    pub async fn user_by_token_hash(&self, token_hash: &str) -> StoreResult<Option<User>> {
        Ok(self.token_user(token_hash).await?.map(|(user, _)| user))
    }

    /// The user of a live API token, and when the token was last noted as used.
    pub async fn token_user(&self, token_hash: &str) -> StoreResult<Option<(User, Option<DateTime<Utc>>)>> {
        let sql = format!(
            "SELECT {USER_COLUMNS_U}, t.last_used_at FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active"
        );
        type Row = (i64, String, String, String, Option<String>, String, bool, i64, String, Option<DateTime<Utc>>);
        let row = on_db!(self, pool => sqlx::query_as::<_, Row>(&sql)
            .bind(token_hash)
            .fetch_optional(pool)
            .await?);
        row.map(|(id, email, name, role, region, locale, active, version, password_hash, last_used_at)| {
            Ok((user_from_row((id, email, name, role, region, locale, active, version, password_hash))?, last_used_at))
        })
        .transpose()
    }
}

/// The fields an admin may change on a team member.
#[derive(Clone, Debug)]
pub struct UserChanges {
    pub name: String,
    pub role: Role,
    pub region: Option<String>,
    pub active: bool,
    pub locale: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    /// The first characters of the token, to recognise it by.
    pub prefix: String,
    pub created_at: chrono::DateTime<Utc>,
    pub last_used_at: Option<chrono::DateTime<Utc>>,
    pub revoked_at: Option<chrono::DateTime<Utc>>,
}

/// Adds a team member. A taken email answers [`StoreError::Conflict`].
pub async fn insert_user(tx: &mut super::Tx, user: &NewUser) -> StoreResult<i64> {
    let now = Utc::now();
    let sql = "INSERT INTO users (email, name, role, region, password_hash, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id";
    Ok(super::on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql)
        .bind(user.email.as_str())
        .bind(&user.name)
        .bind(user.role.as_str())
        .bind(&user.region)
        .bind(&user.password_hash)
        .bind(now)
        .fetch_one(&mut **conn)
        .await?))
}

/// Reads a user inside a transaction (for before/after audit records).
pub async fn user_in_tx(tx: &mut super::Tx, id: i64) -> StoreResult<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    let row = super::on_tx!(tx, conn => sqlx::query_as::<_, UserRow>(&sql).bind(id).fetch_optional(&mut **conn).await?);
    row.map(user_from_row).transpose()
}

/// Applies changes if `version` is still current; bumps the version.
pub async fn update_user(tx: &mut super::Tx, id: i64, version: i64, changes: &UserChanges) -> StoreResult<bool> {
    let sql = "UPDATE users SET name = $3, role = $4, region = $5, active = $6, locale = $7, \
               version = version + 1, updated_at = $8 WHERE id = $1 AND version = $2";
    let n = super::on_tx!(tx, conn => sqlx::query(sql)
        .bind(id)
        .bind(version)
        .bind(&changes.name)
        .bind(changes.role.as_str())
        .bind(&changes.region)
        .bind(changes.active)
        .bind(&changes.locale)
        .bind(Utc::now())
        .execute(&mut **conn)
        .await?
        .rows_affected());
    Ok(n == 1)
}

/// Sets a password hash (not audited by value: the audit notes only that it changed).
pub async fn set_password_hash(tx: &mut super::Tx, id: i64, hash: &str) -> StoreResult<()> {
    let sql = "UPDATE users SET password_hash = $2, version = version + 1, updated_at = $3 WHERE id = $1";
    super::on_tx!(tx, conn => sqlx::query(sql).bind(id).bind(hash).bind(Utc::now()).execute(&mut **conn).await?.rows_affected());
    Ok(())
}

/// Revokes every live API token of a user (after a password change or
/// reset); returns how many.
pub async fn revoke_tokens_of(tx: &mut super::Tx, user_id: i64) -> StoreResult<u64> {
    let sql = "UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL";
    Ok(
        super::on_tx!(tx, conn => sqlx::query(sql).bind(user_id).bind(Utc::now()).execute(&mut **conn).await?.rows_affected()),
    )
}

impl Store {
    pub async fn set_user_locale(&self, id: i64, locale: &str) -> StoreResult<()> {
        let sql = "UPDATE users SET locale = $2 WHERE id = $1";
        on_write!(self, conn => sqlx::query(sql).bind(id).bind(locale).execute(&mut **conn).await?.rows_affected());
        Ok(())
    }

    pub async fn tokens_of(&self, user_id: i64) -> StoreResult<Vec<TokenInfo>> {
        let sql = "SELECT id, name, prefix, created_at, last_used_at, revoked_at FROM api_tokens \
                   WHERE user_id = $1 ORDER BY id DESC";
        type Row =
            (i64, String, String, chrono::DateTime<Utc>, Option<chrono::DateTime<Utc>>, Option<chrono::DateTime<Utc>>);
        let rows = on_db!(self, pool => sqlx::query_as::<_, Row>(sql).bind(user_id).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(id, name, prefix, created_at, last_used_at, revoked_at)| TokenInfo {
                id,
                name,
                prefix,
                created_at,
                last_used_at,
                revoked_at,
            })
            .collect())
    }

    /// Revokes one of the user's own tokens; `false` if there is no such live token.
    pub async fn revoke_token(&self, user_id: i64, token_id: i64) -> StoreResult<bool> {
        let sql = "UPDATE api_tokens SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL";
        let n = on_write!(self, conn => sqlx::query(sql).bind(token_id).bind(user_id).bind(Utc::now()).execute(&mut **conn).await?.rows_affected());
        Ok(n == 1)
    }

    /// Notes token use, at most once a minute per token to spare the
    /// database. `last_used_at` is what the token's read found: most requests
    /// then write nothing. When the minute is up, many requests in flight
    /// with the same token would all see it: only the first of this process
    /// takes a writer's turn (the others would each queue for a write that
    /// changes nothing), and the update's own condition settles it between
    /// servers.
    pub async fn touch_token(&self, token_hash: &str, last_used_at: Option<DateTime<Utc>>) -> StoreResult<()> {
        let now = Utc::now();
        let stale = now - chrono::Duration::minutes(1);
        if last_used_at.is_some_and(|at| at >= stale) {
            return Ok(());
        }
        {
            let mut touched = self.token_touches.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let minute = std::time::Duration::from_secs(60);
            if touched.get(token_hash).is_some_and(|at| at.elapsed() < minute) {
                return Ok(());
            }
            touched.retain(|_, at| at.elapsed() < minute);
            touched.insert(token_hash.to_owned(), std::time::Instant::now());
        }
        let sql = "UPDATE api_tokens SET last_used_at = $2 WHERE token_hash = $1 \
                   AND (last_used_at IS NULL OR last_used_at < $3)";
        on_write!(self, conn => sqlx::query(sql)
            .bind(token_hash)
            .bind(now)
            .bind(stale)
            .execute(&mut **conn)
            .await?
            .rows_affected());
        Ok(())
    }
}

/// Replaces the list of sales regions (display order as given).
pub async fn replace_regions(tx: &mut super::Tx, regions: &[String]) -> StoreResult<()> {
    super::on_tx!(tx, conn => sqlx::query("DELETE FROM regions").execute(&mut **conn).await?.rows_affected());
    for (i, name) in regions.iter().enumerate() {
        let sql = "INSERT INTO regions (name, position) VALUES ($1, $2)";
        super::on_tx!(tx, conn => sqlx::query(sql).bind(name).bind(i64::try_from(i).unwrap_or(0) + 1).execute(&mut **conn).await?.rows_affected());
    }
    Ok(())
}
