//! Sign-in sessions (stored hashed, so a leaked table cannot be replayed) and
//! the failure log that throttles sign-in attempts.

use chrono::{DateTime, Utc};

use super::users::{USER_COLUMNS_U, User, UserRow, user_from_row};
use super::{Store, StoreResult, on_db, on_write};

pub struct SessionRecord {
    pub user: User,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// Ends every session of a user except `keep`, inside a change's transaction.
pub async fn delete_sessions_in_tx(tx: &mut super::Tx, user_id: i64, keep: Option<&str>) -> StoreResult<u64> {
    let sql = "DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2";
    Ok(
        super::on_tx!(tx, conn => sqlx::query(sql).bind(user_id).bind(keep.unwrap_or("")).execute(&mut **conn).await?.rows_affected()),
    )
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

    /// When `key` may try again, if it is waiting now.
    pub async fn throttle_blocked_until(&self, key: &str, now: DateTime<Utc>) -> StoreResult<Option<DateTime<Utc>>> {
        let sql = "SELECT blocked_until FROM sign_in_throttle WHERE key = $1 AND blocked_until > $2";
        Ok(on_db!(self, pool => sqlx::query_scalar::<_, DateTime<Utc>>(sql)
            .bind(key)
            .bind(now)
            .fetch_optional(pool)
            .await?))
    }

    /// Counts one more failure of `key` (a count last touched before
    /// `forget_before` starts again at 1) and returns the new count. One
    /// statement, so concurrent attempts never lose a count.
    pub async fn throttle_count(
        &self,
        key: &str,
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> StoreResult<i64> {
        let sql = "INSERT INTO sign_in_throttle (key, failures, last_failure_at) VALUES ($1, 1, $2) \
                   ON CONFLICT (key) DO UPDATE SET \
                   failures = CASE WHEN sign_in_throttle.last_failure_at <= $3 THEN 1 \
                                   ELSE sign_in_throttle.failures + 1 END, \
                   last_failure_at = $2 \
                   RETURNING failures";
        Ok(on_write!(self, conn => sqlx::query_scalar::<_, i64>(sql)
            .bind(key)
            .bind(now)
            .bind(forget_before)
            .fetch_one(&mut **conn)
            .await?))
    }

    /// Makes `key` wait until `until`, unless a later failure has been
    /// counted meanwhile (its own, longer, wait wins).
    pub async fn throttle_block(&self, key: &str, failures: i64, until: DateTime<Utc>) -> StoreResult<()> {
        let sql = "UPDATE sign_in_throttle SET blocked_until = $3 WHERE key = $1 AND failures = $2";
        on_write!(self, conn => sqlx::query(sql).bind(key).bind(failures).bind(until).execute(&mut **conn).await?.rows_affected());
        Ok(())
    }

    /// Forgets the failures of `key` (after the right password).
    pub async fn throttle_clear(&self, key: &str) -> StoreResult<()> {
        let sql = "DELETE FROM sign_in_throttle WHERE key = $1";
        on_write!(self, conn => sqlx::query(sql).bind(key).execute(&mut **conn).await?.rows_affected());
        Ok(())
    }

    /// Takes back one counted attempt of `key` that turned out right; the
    /// wait goes when the count drops below `free`.
    pub async fn throttle_refund(&self, key: &str, free: i64) -> StoreResult<()> {
        let sql = "UPDATE sign_in_throttle SET failures = failures - 1, \
                   blocked_until = CASE WHEN failures - 1 < $2 THEN NULL ELSE blocked_until END \
                   WHERE key = $1 AND failures > 0";
        on_write!(self, conn => sqlx::query(sql).bind(key).bind(free).execute(&mut **conn).await?.rows_affected());
        Ok(())
    }

    /// Housekeeping: drops expired sessions and forgotten throttle counts.
    pub async fn prune_sessions(&self, now: DateTime<Utc>) -> StoreResult<()> {
        on_write!(self, conn => {
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(&mut **conn).await?;
            sqlx::query(
                "DELETE FROM sign_in_throttle WHERE last_failure_at <= $1 \
                 AND (blocked_until IS NULL OR blocked_until <= $2)",
            )
            .bind(now - crate::domain::throttle::FORGET_AFTER)
            .bind(now)
            .execute(&mut **conn)
                .await?
                .rows_affected()
        });
        Ok(())
    }
}
