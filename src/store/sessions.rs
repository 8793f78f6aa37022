//! Sign-in sessions (stored hashed, so a leaked table cannot be replayed) and
//! the failure log that throttles sign-in attempts.

use chrono::{DateTime, Duration, Utc};

use super::users::{USER_COLUMNS_U, User, UserRow, user_from_row};
use super::{Store, StoreResult, on_db, on_write};

pub struct SessionRecord {
    pub user: User,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

impl Store {
    pub async fn insert_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf_token: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let sql = "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at) \
                   VALUES ($1, $2, $3, $4, $4, $5)";
        on_write!(self, conn => sqlx::query(sql)
            .bind(id_hash)
            .bind(user_id)
            .bind(csrf_token)
            .bind(Utc::now())
            .bind(expires_at)
            .execute(&mut **conn)
            .await?
            .rows_affected());
        Ok(())
    }

    /// The live session and its (active) user.
    pub async fn session(&self, id_hash: &str, now: DateTime<Utc>) -> StoreResult<Option<SessionRecord>> {
        let sql = format!(
            "SELECT {USER_COLUMNS_U}, s.csrf_token, s.expires_at, s.last_seen_at FROM sessions s \
             JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.active"
        );
        type Row = (
            i64,
            String,
            String,
            String,
            Option<String>,
            String,
            bool,
            i64,
            String,
            String,
            DateTime<Utc>,
            DateTime<Utc>,
        );
        let row = on_db!(self, pool => sqlx::query_as::<_, Row>(&sql)
            .bind(id_hash)
            .bind(now)
            .fetch_optional(pool)
            .await?);
        let Some((id, email, name, role, region, locale, active, version, hash, csrf, expires_at, last_seen_at)) = row
        else {
            return Ok(None);
        };
        let user: UserRow = (id, email, name, role, region, locale, active, version, hash);
        Ok(Some(SessionRecord { user: user_from_row(user)?, csrf_token: csrf, expires_at, last_seen_at }))
    }

    /// Slides the expiry of an active session forward.
    pub async fn touch_session(&self, id_hash: &str, now: DateTime<Utc>, expires_at: DateTime<Utc>) -> StoreResult<()> {
        let sql = "UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE id_hash = $1";
        on_write!(self, conn => sqlx::query(sql).bind(id_hash).bind(now).bind(expires_at).execute(&mut **conn).await?.rows_affected());
        Ok(())
    }

    pub async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        let sql = "DELETE FROM sessions WHERE id_hash = $1";
        on_write!(self, conn => sqlx::query(sql).bind(id_hash).execute(&mut **conn).await?.rows_affected());
        Ok(())
    }

    /// Ends every session of a user except `keep` (after a password change).
    pub async fn delete_sessions_of(&self, user_id: i64, keep: Option<&str>) -> StoreResult<()> {
        let sql = "DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2";
        on_write!(self, conn => sqlx::query(sql).bind(user_id).bind(keep.unwrap_or("")).execute(&mut **conn).await?.rows_affected());
        Ok(())
    }

    pub async fn record_login_failure(&self, key: &str, at: DateTime<Utc>) -> StoreResult<()> {
        let sql = "INSERT INTO login_failures (key, failed_at) VALUES ($1, $2)";
        on_write!(self, conn => sqlx::query(sql).bind(key).bind(at).execute(&mut **conn).await?.rows_affected());
        Ok(())
    }

    pub async fn login_failures_since(&self, key: &str, since: DateTime<Utc>) -> StoreResult<i64> {
        let sql = "SELECT COUNT(*) FROM login_failures WHERE key = $1 AND failed_at > $2";
        Ok(on_db!(self, pool => sqlx::query_scalar::<_, i64>(sql).bind(key).bind(since).fetch_one(pool).await?))
    }

    pub async fn clear_login_failures(&self, key: &str) -> StoreResult<()> {
        let sql = "DELETE FROM login_failures WHERE key = $1";
        on_write!(self, conn => sqlx::query(sql).bind(key).execute(&mut **conn).await?.rows_affected());
        Ok(())
    }

    /// Housekeeping: drops expired sessions and old failure records.
    pub async fn prune_sessions(&self, now: DateTime<Utc>) -> StoreResult<()> {
        on_write!(self, conn => {
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(&mut **conn).await?;
            sqlx::query("DELETE FROM login_failures WHERE failed_at <= $1")
                .bind(now - Duration::days(1))
                .execute(&mut **conn)
                .await?
                .rows_affected()
        });
        Ok(())
    }
}
