//! The words a notice is read with (`domain::notice`): the industries and
//! tags the team's customers have, most common first.

use super::{Store, StoreResult, on_db};

/// At most this many of each: a notice names the common ones.
const LIMIT: i64 = 500;

impl Store {
    /// The industries and the tags of the team's customers, most common first.
    pub async fn customer_vocabulary(&self) -> StoreResult<(Vec<String>, Vec<String>)> {
        let industries = "SELECT industry FROM customers WHERE industry <> '' \
                          GROUP BY industry ORDER BY COUNT(*) DESC, industry LIMIT $1";
        let tags = "SELECT tag FROM customer_tags GROUP BY tag ORDER BY COUNT(*) DESC, tag LIMIT $1";
        Ok(on_db!(self, pool => {
            let i = sqlx::query_scalar::<_, String>(industries).bind(LIMIT).fetch_all(pool).await?;
            let t = sqlx::query_scalar::<_, String>(tags).bind(LIMIT).fetch_all(pool).await?;
            (i, t)
        }))
    }
}
