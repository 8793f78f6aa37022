//! Calendar years an admin imported (the official schedule as announced).

use chrono::Utc;

use super::{Store, StoreResult, on_db, on_write};

impl Store {
    /// Admin-imported calendar years (JSON in the calendar file format).
    pub async fn calendar_years(&self) -> StoreResult<Vec<(i32, String)>> {
        let sql = "SELECT CAST(year AS BIGINT), data FROM calendar_years ORDER BY year";
        let rows: Vec<(i64, String)> = on_db!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?);
        Ok(rows.into_iter().map(|(y, d)| (i32::try_from(y).unwrap_or_default(), d)).collect())
    }

    pub async fn save_calendar_year(&self, year: i32, data: &str, by: Option<i64>) -> StoreResult<()> {
        let sql = "INSERT INTO calendar_years (year, data, imported_by, imported_at) VALUES ($1, $2, $3, $4) \
                   ON CONFLICT (year) DO UPDATE SET data = excluded.data, imported_by = excluded.imported_by, imported_at = excluded.imported_at";
        on_write!(self, conn => sqlx::query(sql).bind(i64::from(year)).bind(data).bind(by).bind(Utc::now()).execute(&mut **conn).await?.rows_affected());
        Ok(())
    }
}
