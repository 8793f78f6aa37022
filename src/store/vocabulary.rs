//! The words a notice is read with (`domain::notice`): the industries and
//! tags the team's customers have.

use super::{Store, StoreResult, on_db};

/// At most this many of each: a notice names the common ones.
const LIMIT: i64 = 500;

/// The distinct values of an indexed column, one index seek per value (a
/// loose index scan), so the cost follows the number of distinct values,
/// not of customers: the reader runs on every pause in the lead's typing.
macro_rules! distinct_sql {
    ($column:literal, $table:literal) => {
        concat!(
            "WITH RECURSIVE v(x) AS (SELECT MIN(",
            $column,
            ") FROM ",
            $table,
            " WHERE ",
            $column,
            " > '' UNION ALL SELECT (SELECT MIN(",
            $column,
            ") FROM ",
            $table,
            " WHERE ",
            $column,
            " > v.x) FROM v WHERE v.x IS NOT NULL) SELECT x FROM v WHERE x IS NOT NULL LIMIT $1"
        )
    };
}

impl Store {
    /// The industries and the tags of the team's customers, each in order.
    pub async fn customer_vocabulary(&self) -> StoreResult<(Vec<String>, Vec<String>)> {
        let industries = distinct_sql!("industry", "customers");
        let tags = distinct_sql!("tag", "customer_tags");
        Ok(on_db!(self, pool => {
            let i = sqlx::query_scalar::<_, String>(industries).bind(LIMIT).fetch_all(pool).await?;
            let t = sqlx::query_scalar::<_, String>(tags).bind(LIMIT).fetch_all(pool).await?;
            (i, t)
        }))
    }
}
