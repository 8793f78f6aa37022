//! Importing follow-up records (interactions). A row names its customer by
//! credit code, else by exact name; the customer must exist and be visible
//! to the importer. Records describe what happened, so a date after today
//! is a bad row. A record already stored (same customer, date, time,
//! channel, type and text) is skipped, so a sheet can be imported twice.

use std::collections::{HashMap, HashSet};

use chrono::{SubsecRound, Utc};

use super::{
    ImportError, ImportOptions, ImportReport, ImportStatus, Importer, Prepared, Progress, RowProblem, Stage,
    WRITE_BATCH, cell_value, problem,
};
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

pub(super) async fn run(
    store: &Store,
    importer: &Importer,
    prepared: Prepared,
    options: &ImportOptions,
    progress: Progress<'_>,
) -> Result<ImportReport, ImportError> {
    let mapping = &prepared.mapping;
    let parse_options = InteractionOptions { reference_date: Some(options.today) };
    // Follow-up records are read whole, within the table's limits.
    let table = prepared.table()?;
    let parse = parse_interactions_with(&table, mapping, &parse_options)?;
    let tables = std::slice::from_ref(table.as_ref());
    let value = |row: usize, field: Field| cell_value(tables, mapping, row, field);
    let mut report = ImportReport::new(ImportKind::Interactions, options, table.rows.len(), parse.ignored_columns);
    report
        .errors
        .extend(parse.errors.iter().map(|e| RowProblem { value: value(e.row, e.field), ..RowProblem::from(e) }));
    progress(Stage::Checking, 0, parse.rows.len() as u64);
    // Read before the write lock: the setting is the team's, not the file's.
    let s_min = i64::from(tier_rules(store).await?.s_min_interactions);

    let mut tx = sql::begin_import(store, !options.dry_run).await?;
    let mut codes: Vec<&str> = parse.rows.iter().filter_map(|r| r.credit_code.as_deref()).collect();
    codes.sort_unstable();
    codes.dedup();
    let keys: Vec<String> = {
        let mut keys: Vec<String> =
            parse.rows.iter().filter_map(|r| r.customer_name.as_deref()).map(normalize_company_name).collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    };
    let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let rep_id = importer.rep_id();
    let visible = |k: &StoredKey| rep_id.is_none() || k.owner_id.is_none() || k.owner_id == rep_id;
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
            report.errors.push(problem(mapping, row.row, Field::Date, "date_in_future", message, v));
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
                report.errors.push(problem(mapping, row.row, field, code, message, value(row.row, field)));
            }
        }
    }

    let mut customers: Vec<i64> = resolved.iter().map(|(_, k)| k.customer_id).collect();
    customers.sort_unstable();
    customers.dedup();
    let mut seen: HashSet<InteractionKey> = sql::interaction_keys(&mut tx, &customers).await?.into_iter().collect();
    let mut new_rows: Vec<(&InteractionRow, InteractionKey)> = Vec::with_capacity(resolved.len());
    for (row, key) in resolved {
        if seen.contains(&key) {
            report.skipped += 1;
            let message = "skipped: the same record (customer, date, time, channel, type and text) exists".to_owned();
            let v = value(row.row, Field::Date);
            report.warn(problem(mapping, row.row, Field::Date, "duplicate_record", message, v));
        } else {
            seen.insert(key.clone());
            report.created += 1;
            new_rows.push((row, key));
        }
    }
    report.finish_errors();
    progress(Stage::Checking, parse.rows.len() as u64, parse.rows.len() as u64);

    if report.refused() {
        report.reject();
        return Ok(report);
    }
    if options.dry_run {
        report.status = ImportStatus::DryRun;
        return Ok(report);
    }

    // Whole seconds: 100k rows' timestamps are a noticeable share of the bytes written.
    let now = Utc::now().trunc_subsecs(0);
    let total = new_rows.len() as u64;
    progress(Stage::Writing, 0, total);
    let ids = crate::store::bulk::allocate_ids(&mut tx, "interactions", new_rows.len()).await?;
    let actor_id = importer.actor_id();
    // One audit record for the import, with the new records' ids as ranges.
    super::record(&mut tx, importer, ImportKind::Interactions, &prepared.file_name, &report, &ids, now).await?;
    let mut done = 0u64;
    for (batch_ids, batch) in ids.chunks(WRITE_BATCH).zip(new_rows.chunks(WRITE_BATCH)) {
        let rows: Vec<NewImportedInteraction> = batch_ids
            .iter()
            .zip(batch)
            .map(|(id, (row, key))| NewImportedInteraction { id: *id, key: key.clone(), amount_fen: row.amount_fen })
            .collect();
        sql::insert_interactions(&mut tx, &rows, actor_id, now).await?;
        done += batch.len() as u64;
        progress(Stage::Writing, done, total);
    }
    let touched: Vec<i64> = {
        let mut ids: Vec<i64> = new_rows.iter().map(|(_, k)| k.customer_id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    refresh_activity(&mut tx, Some(&touched), s_min).await?;
    sql::commit_import(tx).await?;
    Ok(report)
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
