//! Importing follow-up records (interactions). A row names its customer by
//! credit code, else by exact name; the customer must exist and be visible
//! to the importer. Records describe what happened, so a date after today
//! is a bad row. A record already stored (same customer, date, time,
//! channel, type and text) is skipped, so a sheet can be imported twice.

use std::collections::{HashMap, HashSet};

use chrono::{SubsecRound, Utc};

use super::keys::{HashedSet, KeyHash, KeyHasher};
use super::{
    ImportError, ImportOptions, ImportReport, ImportStatus, Importer, Prepared, Progress, RowProblem, Stage,
    WRITE_BATCH, cell_value, problem,
};
use crate::io::table::Table;
use crate::io::{
    Field, ImportKind, InteractionOptions, InteractionRow, normalize_company_name, parse_interactions_with,
};
use crate::ops::customers::tier_rules;
use crate::store::Store;
use crate::store::customers::refresh_activity;
use crate::store::import::{self as sql, InteractionKey, NewImportedInteraction, StoredKey};

/// The stored note: the summary, then the contact, feedback and next action
/// under the team template's own headings (the interactions table keeps
/// one text).
fn note(row: &InteractionRow) -> String {
    let mut lines: Vec<String> = row.note.iter().cloned().collect();
    for (field, value) in
        [(Field::Contact, &row.contact_name), (Field::Feedback, &row.feedback), (Field::NextAction, &row.next_action)]
    {
        if let Some(v) = value {
            lines.push(format!("{}：{v}", field.label_zh()));
        }
    }
    lines.join("\n")
}

/// Resolves the row's customer among the visible stored ones.
fn resolve(
    row: &InteractionRow,
    by_code: &HashMap<&str, &StoredKey>,
    by_name: &HashMap<&str, Vec<&StoredKey>>,
) -> Result<i64, (Field, &'static str, String)> {
    if let Some(code) = row.credit_code.as_deref()
        && let Some(k) = by_code.get(code)
    {
        return Ok(k.id);
    }
    let Some(name) = row.customer_name.as_deref() else {
        let code = row.credit_code.as_deref().unwrap_or_default();
        return Err((Field::CreditCode, "customer_not_found", format!("no customer has the credit code {code}")));
    };
    let mut ids: Vec<i64> = by_name.get(name).map(|ks| ks.iter().map(|k| k.id).collect()).unwrap_or_default();
    ids.sort_unstable();
    ids.dedup();
    match ids.as_slice() {
        [id] => Ok(*id),
        [] => Err((Field::Name, "customer_not_found", format!("no customer is named {name:?}"))),
        many => Err((
            Field::Name,
            "customer_ambiguous",
            format!("{} customers are named {name:?}; give the credit code", many.len()),
        )),
    }
}

/// Reads the file a batch at a time (`options.batch_rows` rows): each batch
/// is parsed, its customers looked up, its records checked against the
/// stored ones and the rows before (as hashes), and written, all in one
/// transaction — a bad row anywhere (unless partial) rolls everything back.
pub(super) async fn run(
    store: &Store,
    importer: &Importer,
    mut prepared: Prepared,
    options: &ImportOptions,
    progress: Progress<'_>,
) -> Result<ImportReport, ImportError> {
    prepared.mapping.check(ImportKind::Interactions)?;
    let mapping = prepared.mapping.clone();
    let file_name = std::mem::take(&mut prepared.file_name);
    let parse_options = InteractionOptions { reference_date: Some(options.today) };
    let mut report =
        ImportReport::new(ImportKind::Interactions, options, 0, mapping.ignored_columns(ImportKind::Interactions));
    let mut rows = prepared.rows()?;
    let (headers, header_row) = (rows.headers().to_vec(), rows.header_row());
    let mut batch = rows.next_rows(options.batch_rows)?;
    let stage = if options.dry_run { Stage::Checking } else { Stage::Writing };
    progress(stage, 0, rows.estimated_rows(batch.len()) as u64);
    // Read before the write lock: the setting is the team's, not the file's.
    let s_min = i64::from(tier_rules(store).await?.s_min_interactions);

    let mut tx = sql::begin_import(store, !options.dry_run).await?;
    let rep_id = importer.rep_id();
    let visible = |k: &StoredKey| rep_id.is_none() || k.owner_id.is_none() || k.owner_id == rep_id;
    // The records of the rows before, so a sheet listing one twice logs it
    // once (in a dry run nothing is written for the next batch to find).
    let hasher = KeyHasher::new();
    let mut earlier_rows = HashedSet::default();
    let mut ids: Vec<i64> = Vec::new();
    let mut touched: HashSet<i64> = HashSet::new();
    // Whole seconds: 100k rows' timestamps are a noticeable share of the bytes written.
    let now = Utc::now().trunc_subsecs(0);
    while !batch.is_empty() {
        report.rows += batch.len();
        let table = Table { headers: headers.clone(), header_row, rows: batch };
        let parse = parse_interactions_with(&table, &mapping, &parse_options)?;
        let tables = std::slice::from_ref(&table);
        let value = |row: usize, field: Field| cell_value(tables, &mapping, row, field);
        report
            .errors
            .extend(parse.errors.iter().map(|e| RowProblem { value: value(e.row, e.field), ..RowProblem::from(e) }));

        let mut codes: Vec<&str> = parse.rows.iter().filter_map(|r| r.credit_code.as_deref()).collect();
        codes.sort_unstable();
        codes.dedup();
        let mut keys: Vec<String> =
            parse.rows.iter().filter_map(|r| r.customer_name.as_deref()).map(normalize_company_name).collect();
        keys.sort_unstable();
        keys.dedup();
        let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let stored: Vec<StoredKey> =
            sql::customers_matching(&mut tx, &codes, &key_refs).await?.into_iter().filter(|k| visible(k)).collect();
        let by_code: HashMap<&str, &StoredKey> =
            stored.iter().filter_map(|k| Some((k.credit_code.as_deref()?, k))).collect();
        let mut by_name: HashMap<&str, Vec<&StoredKey>> = HashMap::new();
        for k in &stored {
            by_name.entry(k.name.as_str()).or_default().push(k);
        }

        let mut resolved: Vec<(&InteractionRow, InteractionKey)> = Vec::with_capacity(parse.rows.len());
        for row in &parse.rows {
            let mut ok = true;
            if row.occurred_on > options.today {
                let message =
                    format!("{} is after today ({}): records describe what happened", row.occurred_on, options.today);
                let v = value(row.row, Field::Date);
                report.errors.push(problem(&mapping, row.row, Field::Date, "date_in_future", message, v));
                ok = false;
            }
            match resolve(row, &by_code, &by_name) {
                Ok(customer_id) if ok => resolved.push((
                    row,
                    InteractionKey {
                        customer_id,
                        occurred_on: row.occurred_on,
                        occurred_at: row.occurred_at_time.map(|t| t.format("%H:%M").to_string()),
                        channel: row.channel.as_str().to_owned(),
                        kind: row.kind.as_str().to_owned(),
                        note: note(row),
                    },
                )),
                Ok(_) => {}
                Err((field, code, message)) => {
                    // A row naming the customer through the combined 客户/联系人
                    // column reports there.
                    let field = if field == Field::Name
                        && mapping.index_of(Field::Name).is_none()
                        && mapping.index_of(Field::NameAndContact).is_some()
                    {
                        Field::NameAndContact
                    } else {
                        field
                    };
                    report.errors.push(problem(&mapping, row.row, field, code, message, value(row.row, field)));
                }
            }
        }

        let mut customers: Vec<i64> = resolved.iter().map(|(_, k)| k.customer_id).collect();
        customers.sort_unstable();
        customers.dedup();
        // The rows this import wrote are in `earlier_rows` already.
        let stored_records: HashSet<InteractionKey> =
            sql::interaction_keys(&mut tx, &customers, ids.first().copied()).await?.into_iter().collect();
        let mut new_rows: Vec<(&InteractionRow, InteractionKey)> = Vec::with_capacity(resolved.len());
        for (row, key) in resolved {
            let hash = record_hash(&hasher, &key);
            if stored_records.contains(&key) || !earlier_rows.insert(hash) {
                report.skipped += 1;
                if report.wants_warning() {
                    let message =
                        "skipped: the same record (customer, date, time, channel, type and text) exists".to_owned();
                    let v = value(row.row, Field::Date);
                    report.warn(problem(&mapping, row.row, Field::Date, "duplicate_record", message, v));
                } else {
                    report.warnings_omitted += 1;
                }
            } else {
                report.created += 1;
                new_rows.push((row, key));
            }
        }

        // Written as the file is read, until a bad row refuses the file (then
        // the rest is only checked, so that every bad row is listed, and the
        // batches before are rolled back).
        let refused = !options.partial && !report.errors.is_empty();
        if !options.dry_run && !refused && !new_rows.is_empty() {
            let batch_ids = crate::store::bulk::allocate_ids(&mut tx, "interactions", new_rows.len()).await?;
            let actor_id = importer.actor_id();
            for (chunk_ids, chunk) in batch_ids.chunks(WRITE_BATCH).zip(new_rows.chunks(WRITE_BATCH)) {
                let rows: Vec<NewImportedInteraction> = chunk_ids
                    .iter()
                    .zip(chunk)
                    .map(|(id, (row, key))| NewImportedInteraction {
                        id: *id,
                        key: key.clone(),
                        amount_fen: row.amount_fen,
                    })
                    .collect();
                sql::insert_interactions(&mut tx, &rows, actor_id, now).await?;
            }
            touched.extend(new_rows.iter().map(|(_, k)| k.customer_id));
            ids.extend(batch_ids);
        }
        let done = report.rows as u64;
        batch = rows.next_rows(options.batch_rows)?;
        progress(stage, done, (rows.estimated_rows(report.rows + batch.len()) as u64).max(done));
    }
    drop(rows);
    drop(prepared);
    report.finish_errors();
    progress(stage, report.rows as u64, report.rows as u64);

    if report.refused() || options.dry_run {
        if report.refused() {
            report.reject();
        } else {
            report.status = ImportStatus::DryRun;
        }
        if !options.dry_run {
            sql::roll_back_import(tx).await?;
        }
        return Ok(report);
    }
    let mut touched: Vec<i64> = touched.into_iter().collect();
    touched.sort_unstable();
    refresh_activity(&mut tx, Some(&touched), s_min).await?;
    // One audit record for the import, with the new records' ids as ranges.
    super::record(&mut tx, importer, ImportKind::Interactions, &file_name, &report, &ids, now).await?;
    sql::commit_import(tx).await?;
    Ok(report)
}

/// A record's duplicate key, hashed.
fn record_hash(hasher: &KeyHasher, key: &InteractionKey) -> KeyHash {
    let customer = key.customer_id.to_string();
    let day = key.occurred_on.to_string();
    let at = key.occurred_at.as_deref().unwrap_or("\u{0}");
    hasher.hash(&[&customer, &day, at, &key.channel, &key.kind, &key.note])
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::io::{Channel, InteractionKind};

    fn row() -> InteractionRow {
        InteractionRow {
            row: 2,
            customer_name: Some("A公司".into()),
            credit_code: None,
            contact_name: Some("王总".into()),
            occurred_on: NaiveDate::from_ymd_opt(2025, 10, 10).unwrap(),
            occurred_at_time: None,
            channel: Channel::Visit,
            kind: InteractionKind::Visit,
            note: Some("介绍新品A".into()),
            feedback: Some("价格比预期低5%".into()),
            next_action: None,
            amount_fen: None,
        }
    }

    #[test]
    fn note_keeps_the_template_columns() {
        assert_eq!(note(&row()), "介绍新品A\n联系人：王总\n反馈：价格比预期低5%");
    }

    #[test]
    fn customers_resolve_by_code_then_exact_name() {
        let key = |id, name: &str, code: Option<&str>| StoredKey {
            id,
            name: name.into(),
            name_key: normalize_company_name(name),
            credit_code: code.map(str::to_owned),
            owner_id: None,
            phone: None,
        };
        let a = key(1, "A公司", Some("91350100M000100Y43"));
        let twin1 = key(2, "同名公司", None);
        let twin2 = key(3, "同名公司", None);
        let by_code: HashMap<&str, &StoredKey> = [("91350100M000100Y43", &a)].into_iter().collect();
        let by_name: HashMap<&str, Vec<&StoredKey>> =
            [("A公司", vec![&a, &a]), ("同名公司", vec![&twin1, &twin2])].into_iter().collect();
        assert_eq!(resolve(&row(), &by_code, &by_name), Ok(1), "one customer, two contact rows");
        let r = InteractionRow { customer_name: Some("A有限公司".into()), ..row() };
        assert_eq!(resolve(&r, &by_code, &by_name).unwrap_err().1, "customer_not_found", "exact names only");
        let r = InteractionRow {
            customer_name: Some("别名".into()),
            credit_code: Some("91350100M000100Y43".into()),
            ..row()
        };
        assert_eq!(resolve(&r, &by_code, &by_name), Ok(1));
        let r = InteractionRow { customer_name: Some("同名公司".into()), ..row() };
        assert_eq!(resolve(&r, &by_code, &by_name).unwrap_err().1, "customer_ambiguous");
    }
}
