//! The kept customer counts (`customer_counts`, migration 0027): how many
//! customers have each region, industry and activity date. Triggers keep
//! them in the writing transaction; segment counts that are one test on one
//! of those columns add them up ([`crate::domain::segment::kept_count`]).
//!
//! On SQLite a value has one row, updated in place (one writer). On
//! PostgreSQL writers only add rows, so that concurrent follow-ups never wait
//! on one counter row; a value's count is the sum of its rows, and
//! [`Store::fold_customer_counts`] folds them into one now and then.

use crate::domain::segment::{Dialect, Dimension, KeptCount, KeptValues};

use super::{Db, Store, StoreResult, Tx, Value, on_tx};

/// `(SELECT …)` of the kept count, its parameters appended to `values`
/// (numbered `$N` after those already there).
pub(crate) fn kept_count_sql(kept: &KeptCount, values: &mut Vec<Value>) -> String {
    let mut param = |value: String| {
        values.push(Value::from(value));
        format!("${}", values.len())
    };
    let dimension = param(kept.dimension.column().to_owned());
    let test = match &kept.values {
        KeptValues::Every => "1 = 1".to_owned(),
        KeptValues::AnyOf(vs) => {
            let list: Vec<String> = vs.iter().map(|v| param(v.clone())).collect();
            format!("value IN ({})", list.join(", "))
        }
        KeptValues::Dates { from, to } => {
            let mut tests = vec!["1 = 1".to_owned()];
            if let Some(from) = from {
                tests.push(format!("value >= {}", param(from.format("%Y-%m-%d").to_string())));
            }
            if let Some(to) = to {
                tests.push(format!("value <= {}", param(to.format("%Y-%m-%d").to_string())));
            }
            tests.join(" AND ")
        }
    };
    // SUM of BIGINT is NUMERIC on PostgreSQL: back to BIGINT, to add to COUNT(*).
    format!(
        "(SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM customer_counts WHERE dimension = {dimension} AND {test})"
    )
}

/// `(dimension, value, n)` counted from `customers` itself.
fn recount_sql(dialect: Dialect) -> String {
    let parts: Vec<String> = Dimension::ALL
        .iter()
        .map(|d| {
            let column = d.column();
            let value = match dialect {
                Dialect::Postgres if d.is_date() => format!("to_char({column}, 'YYYY-MM-DD')"),
                _ => column.to_owned(),
            };
            let present = if d.is_date() { format!(" WHERE {column} IS NOT NULL") } else { String::new() };
            format!("SELECT '{column}' AS dimension, {value} AS value, COUNT(*) AS n FROM customers{present} GROUP BY {column}")
        })
        .collect();
    parts.join(" UNION ALL ")
}

/// Counts every value afresh from the customers, in `tx` (after a bulk load
/// that wrote without the count triggers).
pub(crate) async fn recount(tx: &mut Tx) -> StoreResult<()> {
    let dialect = match tx {
        Tx::Sqlite(_) => Dialect::Sqlite,
        Tx::Postgres(_) => Dialect::Postgres,
    };
    let insert = format!("INSERT INTO customer_counts (dimension, value, n) {}", recount_sql(dialect));
    on_tx!(tx, conn => sqlx::query("DELETE FROM customer_counts").execute(&mut **conn).await?.rows_affected());
    on_tx!(tx, conn => sqlx::query(&insert).execute(&mut **conn).await?.rows_affected());
    Ok(())
}

impl Store {
    /// Folds each value's rows into one (PostgreSQL; SQLite keeps one row per
    /// value already). Safe on several servers at once: rows another fold
    /// took are gone when this one gets to them, and rows written meanwhile
    /// wait for the next fold. Returns the rows folded away.
    pub async fn fold_customer_counts(&self) -> StoreResult<u64> {
        let Db::Postgres(pool) = &self.db else { return Ok(0) };
        let sql = "WITH several AS (SELECT dimension, value FROM customer_counts \
                                    GROUP BY dimension, value HAVING COUNT(*) > 1), \
                        folded AS (DELETE FROM customer_counts c USING several s \
                                   WHERE c.dimension = s.dimension AND c.value = s.value \
                                   RETURNING c.dimension, c.value, c.n), \
                        written AS (INSERT INTO customer_counts (dimension, value, n) \
                                    SELECT dimension, value, SUM(n) FROM folded \
                                    GROUP BY dimension, value HAVING SUM(n) <> 0 RETURNING 1) \
                   SELECT (SELECT COUNT(*) FROM folded) - (SELECT COUNT(*) FROM written)";
        let folded: i64 = sqlx::query_scalar(sql).fetch_one(pool).await?;
        Ok(u64::try_from(folded).unwrap_or(0))
    }

    /// Counts every value afresh (a restored copy, whatever its counts said).
    pub async fn recount_customer_counts(&self) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        recount(&mut tx).await?;
        tx.commit().await
    }

    /// Values whose kept count differs from the customers' (an integrity problem).
    pub async fn kept_count_problems(&self) -> StoreResult<Vec<String>> {
        let sql = format!(
            "SELECT dimension, value, CAST(SUM(kept) AS BIGINT), CAST(SUM(actual) AS BIGINT) FROM ( \
               SELECT dimension, value, n AS kept, 0 AS actual FROM customer_counts \
               UNION ALL SELECT dimension, value, 0, n FROM ({}) counted \
             ) both_counts GROUP BY dimension, value HAVING SUM(kept) <> SUM(actual) ORDER BY dimension, value",
            recount_sql(self.dialect())
        );
        let rows: Vec<(String, String, i64, i64)> =
            super::on_db!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(dimension, value, kept, actual)| {
                format!("kept count of {dimension} = {value:?} is {kept}, the customers say {actual}")
            })
            .collect())
    }
}
