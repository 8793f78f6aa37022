//! Bulk writes shared by imports and the demo loader: multi-row `INSERT`s,
//! ids allocated up front, and index suspension for large SQLite loads.

use super::{StoreError, StoreResult, Tx, Value, on_tx};

/// `n` parameters numbered from 1: `$1, $2, …` on PostgreSQL, anonymous
/// `?` on SQLite (see [`bulk_insert`] for why). Every statement using these
/// binds all its parameters in order.
pub(crate) fn placeholders(sqlite: bool, n: usize) -> String {
    let mut s = String::with_capacity(n * 6);
    for i in 0..n {
        if i > 0 {
            s.push_str(", ");
        }
        if sqlite {
            s.push('?');
        } else {
            s.push('$');
            s.push_str(&(i + 1).to_string());
        }
    }
    s
}

/// Multi-row `INSERT`s of a flat row-major list of values, consumed as they
/// are bound. SQLite gets anonymous `?` placeholders: for `$N` names sqlx
/// looks every parameter up by name, and SQLite's name lookup walks a list,
/// so a 12,000-parameter statement spent seconds binding (quadratic).
pub(crate) async fn bulk_insert(tx: &mut Tx, table: &str, columns: &[&str], values: Vec<Value>) -> StoreResult<()> {
    let width = columns.len();
    if width == 0 || values.is_empty() {
        return Ok(());
    }
    // Both backends take well over 30,000 parameters per statement.
    let per_statement = (30_000 / width).clamp(1, 5000);
    let sqlite = matches!(tx, Tx::Sqlite(_));
    let head = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut values = values.into_iter();
    let mut rows_left = values.len() / width;
    while rows_left > 0 {
        let rows = rows_left.min(per_statement);
        rows_left -= rows;
        let mut sql = String::with_capacity(head.len() + rows * width * 5);
        sql.push_str(&head);
        let mut n = 1;
        for row in 0..rows {
            sql.push_str(if row == 0 { "(" } else { ", (" });
            for col in 0..width {
                if col > 0 {
                    sql.push_str(", ");
                }
                if sqlite {
                    sql.push('?');
                } else {
                    sql.push('$');
                    sql.push_str(&n.to_string());
                }
                n += 1;
            }
            sql.push(')');
        }
        let chunk = values.by_ref().take(rows * width);
        on_tx!(tx, conn => {
            let mut q = sqlx::query(&sql);
            for value in chunk {
                q = match value {
                    Value::Int(v) => q.bind(v),
                    Value::Real(v) => q.bind(v),
                    Value::Text(v) => q.bind(v),
                    Value::Date(v) => q.bind(v),
                    Value::Time(v) => q.bind(v),
                    Value::Bool(v) => q.bind(v),
                };
            }
            q.execute(&mut **conn).await?.rows_affected()
        });
    }
    Ok(())
}

/// Tables whose secondary indexes a large SQLite import rebuilds.
pub const CUSTOMER_TABLES: &[&str] = &["customers", "contacts", "customer_tags"];
/// The same with the interactions, for a load that brings their history.
pub const CUSTOMER_TABLES_WITH_HISTORY: &[&str] = &["customers", "contacts", "customer_tags", "interactions"];

/// The indexes a bulk load dropped, to be created again before commit, and
/// the kept counts' triggers, made again after a recount.
pub struct SuspendedIndexes {
    indexes: Vec<String>,
    count_triggers: Vec<String>,
}

/// For a load of `new_rows` customers into SQLite, when that is at least as
/// many as are stored: drops the secondary indexes of `tables`
/// (those made by `CREATE INDEX`; the unique constraints' stay, they are
/// the checks) so they can be built once, sorted, after the rows are in —
/// for 100,000 rows that is about half the cost of maintaining them row by
/// row. Inside the import's transaction, so readers never see the tables
/// without them. Not on PostgreSQL, where `DROP INDEX` would lock readers out.
pub async fn suspend_indexes(tx: &mut Tx, new_rows: usize, tables: &[&str]) -> StoreResult<Option<SuspendedIndexes>> {
    let Tx::Sqlite(conn) = tx else { return Ok(None) };
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers").fetch_one(&mut **conn).await?;
    if new_rows < 10_000 || usize::try_from(stored).unwrap_or(usize::MAX) > new_rows {
        return Ok(None);
    }
    let mut definitions = Vec::new();
    for &table in tables {
        let sql = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL";
        let indexes: Vec<(String, String)> = sqlx::query_as(sql).bind(table).fetch_all(&mut **conn).await?;
        for (name, create) in indexes {
            sqlx::query(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\""))).execute(&mut **conn).await?;
            definitions.push(create);
        }
    }
    // Counting once at the end costs a few index scans; keeping the counts
    // row by row costs an upsert per counted column of every row.
    let sql = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'customers' \
               AND name LIKE 'customer\\_counts\\_%' ESCAPE '\\'";
    let triggers: Vec<(String, String)> = sqlx::query_as(sql).fetch_all(&mut **conn).await?;
    let mut count_triggers = Vec::new();
    for (name, create) in triggers {
        sqlx::query(&format!("DROP TRIGGER \"{}\"", name.replace('"', "\"\""))).execute(&mut **conn).await?;
        count_triggers.push(create);
    }
    Ok(Some(SuspendedIndexes { indexes: definitions, count_triggers }))
}

/// Builds the indexes [`suspend_indexes`] dropped, exactly as they were
/// defined, counts the customers afresh and makes the count triggers again.
pub async fn restore_indexes(tx: &mut Tx, suspended: SuspendedIndexes) -> StoreResult<()> {
    for create in suspended.indexes {
        on_tx!(tx, conn => sqlx::query(&create).execute(&mut **conn).await?.rows_affected());
    }
    if !suspended.count_triggers.is_empty() {
        super::counts::recount(tx).await?;
    }
    for create in suspended.count_triggers {
        on_tx!(tx, conn => sqlx::query(&create).execute(&mut **conn).await?.rows_affected());
    }
    Ok(())
}

/// The trigger that writes each new customer's name into the short-term
/// name index (migration 0021), spread one character at a time in SQL.
const SHORT_TERMS_TRIGGER: &str = "customers_short_fts_insert";

/// For a load that writes the short-term name index itself (see
/// [`insert_short_terms`]): on SQLite, drops the trigger that would write it
/// row by row and answers its definition, to make it again with
/// [`restore_short_terms`] before commit. Spreading a name in SQL (a
/// `group_concat` over a table of positions per row) is most of a generated
/// customer's insert. `None` on PostgreSQL, which has no such index.
pub async fn suspend_short_terms(tx: &mut Tx) -> StoreResult<Option<String>> {
    let Tx::Sqlite(conn) = tx else { return Ok(None) };
    let sql = "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = $1";
    let Some(create) =
        sqlx::query_scalar::<_, String>(sql).bind(SHORT_TERMS_TRIGGER).fetch_optional(&mut **conn).await?
    else {
        return Ok(None);
    };
    sqlx::query(&format!("DROP TRIGGER {SHORT_TERMS_TRIGGER}")).execute(&mut **conn).await?;
    Ok(Some(create))
}

/// Makes the trigger [`suspend_short_terms`] dropped again, as it was defined.
pub async fn restore_short_terms(tx: &mut Tx, create: &str) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(create).execute(&mut **conn).await?.rows_affected());
    Ok(())
}

/// Writes customers' names into the short-term name index as its trigger
/// would (`(id, name)` pairs), while that trigger is suspended.
pub async fn insert_short_terms(tx: &mut Tx, names: &[(i64, &str)]) -> StoreResult<()> {
    let mut values = Vec::with_capacity(names.len() * 2);
    for &(id, name) in names {
        values.push(id.into());
        values.push(spread_name(name).into());
    }
    bulk_insert(tx, "customers_short_fts", &["rowid", "name"], values).await
}

/// A name as the short-term index holds it: `q` before every character and
/// after the last (`价格` → `q价q格q`), so a two-character term is one
/// trigram (`价q格`). The same text migration 0021's trigger makes.
pub(crate) fn spread_name(name: &str) -> String {
    let mut spread = String::with_capacity(name.len() * 2 + 1);
    for c in name.chars() {
        spread.push('q');
        spread.push(c);
    }
    spread.push('q');
    spread
}

/// Reserves `n` ids of `table` (customers or interactions) for rows the
/// caller inserts with explicit ids in this transaction. On SQLite the
/// import holds the write lock, so `MAX(id)` stays ours; on PostgreSQL the
/// identity sequence hands them out.
pub async fn allocate_ids(tx: &mut Tx, table: &'static str, n: usize) -> StoreResult<Vec<i64>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let count = i64::try_from(n).map_err(|_| StoreError::Conflict("too many rows".into()))?;
    match tx {
        Tx::Sqlite(conn) => {
            let sql = format!("SELECT COALESCE(MAX(id), 0) FROM {table}");
            let max: i64 = sqlx::query_scalar(&sql).fetch_one(&mut **conn).await?;
            Ok((max + 1..=max + count).collect())
        }
        Tx::Postgres(conn) => {
            let sql = format!("SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, $1)");
            Ok(sqlx::query_scalar(&sql).bind(count).fetch_all(&mut **conn).await?)
        }
    }
}

#[cfg(test)]
mod tests {
    use sqlx::Connection;

    use super::spread_name;

    /// Names spread here as migration 0021's trigger spreads them in SQL:
    /// a search finds a generated customer as it finds an imported one.
    #[tokio::test]
    async fn names_spread_as_the_trigger_spreads_them() {
        let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:").await.unwrap();
        sqlx::query("CREATE TABLE search_positions (n INTEGER PRIMARY KEY)").execute(&mut conn).await.unwrap();
        sqlx::query(
            "WITH RECURSIVE p (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM p WHERE n < 64) \
             INSERT INTO search_positions (n) SELECT n FROM p",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        let trigger_spread = "SELECT group_concat('q' || substr($1, p.n, 1), '' ORDER BY p.n) || 'q' \
                              FROM search_positions p WHERE p.n <= length($1)";
        for name in ["价格", "苏州制造业0001234有限公司", "A&B (China) Co., Ltd.", "𠀀字号", "Cafe\u{301}", "q"]
        {
            let want: String = sqlx::query_scalar(trigger_spread).bind(name).fetch_one(&mut conn).await.unwrap();
            assert_eq!(spread_name(name), want, "{name}");
        }
    }
}
