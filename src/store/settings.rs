//! Small team-wide settings stored as JSON text under a key.

use super::{Store, StoreResult, on_db, on_write};

impl Store {
    pub async fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        let sql = "SELECT value FROM settings WHERE key = $1";
        Ok(on_db!(self, pool => sqlx::query_scalar::<_, String>(sql)
            .bind(key)
            .fetch_optional(pool)
            .await?))
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        let sql = "INSERT INTO settings (key, value) VALUES ($1, $2) \
                   ON CONFLICT (key) DO UPDATE SET value = excluded.value";
        on_write!(self, conn => sqlx::query(sql).bind(key).bind(value).execute(&mut **conn).await?.rows_affected());
        Ok(())
    }
}

/// Sets a value inside a larger unit of work.
pub async fn set_in_tx(tx: &mut super::Tx, key: &str, value: &str) -> StoreResult<()> {
    let sql =
        "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
    super::on_tx!(tx, conn => sqlx::query(sql).bind(key).bind(value).execute(&mut **conn).await?.rows_affected());
    Ok(())
}
