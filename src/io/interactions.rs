//! Interaction (follow-up record) rows from a mapped table.

use chrono::{NaiveDate, NaiveTime};

use super::mapping::{ColumnMapping, Field, ImportKind, MappingError};
use super::rows::{LONG_TEXT_MAX, RowError, RowReader, SHORT_TEXT_MAX, split_name_and_contact};
use super::table::{Cell, Table};
use super::values::{
    Channel, InteractionKind, ValueError, amount_from_cell, credit_code_from_cell, date_from_cell, parse_channel,
    parse_kind, text_from_cell_ref, time_from_cell,
};

/// Settings for reading interactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InteractionOptions {
    /// Resolves dates written without a year (`10月10日14:00`): the latest
    /// such date not after this one. Pass today (Asia/Shanghai). Without
    /// it, such dates are row errors (`date_missing_year`).
    pub reference_date: Option<NaiveDate>,
}

/// A valid interaction row. The customer is named by name, credit code or
/// both; resolving it against stored customers is the caller's job.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InteractionRow {
    /// The spreadsheet row number.
    pub row: usize,
    pub customer_name: Option<String>,
    pub credit_code: Option<String>,
    /// The contact person, from a 联系人 column or `A公司/王总`.
    pub contact_name: Option<String>,
    pub occurred_on: NaiveDate,
    pub occurred_at_time: Option<NaiveTime>,
    pub channel: Channel,
    pub kind: InteractionKind,
    pub note: Option<String>,
    pub feedback: Option<String>,
    pub next_action: Option<String>,
    /// In fen; only when the sheet gives one (typically for orders).
    pub amount_fen: Option<i64>,
}

/// The outcome of parsing an interaction table.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct InteractionParse {
    /// Rows without any error, in file order.
    pub rows: Vec<InteractionRow>,
    /// Every bad cell of every bad row.
    pub errors: Vec<RowError>,
    /// Headers of columns that were not imported.
    pub ignored_columns: Vec<String>,
}

/// Parses interaction rows with default options (dates must have a year).
pub fn parse_interactions(table: &Table, mapping: &ColumnMapping) -> Result<InteractionParse, MappingError> {
    parse_interactions_with(table, mapping, &InteractionOptions::default())
}

/// Parses interaction rows. Fails only if the mapping lacks the customer
/// (name or credit code), the date, or both channel and kind.
pub fn parse_interactions_with(
    table: &Table,
    mapping: &ColumnMapping,
    options: &InteractionOptions,
) -> Result<InteractionParse, MappingError> {
    mapping.check(ImportKind::Interactions)?;
    let mut out = InteractionParse {
        rows: Vec::with_capacity(table.rows.len()),
        errors: Vec::new(),
        ignored_columns: mapping.ignored_columns(ImportKind::Interactions),
    };
    for row in &table.rows {
        let mut r = RowReader::new(row, mapping, &mut out.errors);
        let interaction = parse_row(&mut r, options);
        if !r.failed {
            out.rows.extend(interaction);
        }
    }
    Ok(out)
}

fn parse_row(r: &mut RowReader<'_>, options: &InteractionOptions) -> Option<InteractionRow> {
    let (combined_name, combined_contact) =
        r.text(Field::NameAndContact, 2 * SHORT_TEXT_MAX).map(|s| split_name_and_contact(&s)).unwrap_or_default();
    let customer_name = r.text(Field::Name, SHORT_TEXT_MAX).or(combined_name);
    let credit_code = r.parse(Field::CreditCode, |c, _| credit_code_from_cell(c));
    // Only the customer cells have been read so far: if they failed, that
    // error says enough.
    if customer_name.is_none() && credit_code.is_none() && !r.failed {
        let field = [Field::Name, Field::NameAndContact, Field::CreditCode]
            .into_iter()
            .find(|f| r.cell(*f).is_some())
            .unwrap_or(Field::Name);
        r.required(field, "the customer (name or credit code)");
    }
    let contact_name = r.text(Field::Contact, SHORT_TEXT_MAX).or(combined_contact);

    let reference = options.reference_date;
    let date = r.parse(Field::Date, |c, _| date_from_cell(c, reference));
    if date.is_none() && r.cell(Field::Date).is_some_and(|(_, c)| c.is_empty()) {
        r.required(Field::Date, "the date");
    }
    let time = r.parse(Field::Time, |c, _| time_from_cell(c));

    let channel_read = r.parse(Field::Channel, |c, _| keyword_cell(c, parse_channel));
    let kind_read = r.parse(Field::Kind, |c, _| keyword_cell(c, parse_kind));
    // A given but unreadable value has been reported already; saying the
    // other one is missing as well would only confuse.
    let unreadable =
        (given(r, Field::Channel) && channel_read.is_none()) || (given(r, Field::Kind) && kind_read.is_none());
    // The team's follow-up template has a channel but no kind: a visit is a
    // visit, a call a call. Inquiries, orders and events need both given.
    let kind = kind_read.or_else(|| channel_read.and_then(InteractionKind::implied_by));
    let channel = channel_read.or_else(|| kind_read.and_then(InteractionKind::implied_channel));
    if kind.is_none() && !unreadable {
        r.report(
            Field::Kind,
            ValueError::new(
                "kind_missing",
                "the interaction type (类型: inquiry, call, visit, email, message or order) is required",
            ),
        );
    }
    if channel.is_none() && !unreadable {
        r.report(
            Field::Channel,
            ValueError::new("channel_missing", "the channel (方式: phone, im, email, visit or event) is required"),
        );
    }

    let note = r.text(Field::Note, LONG_TEXT_MAX);
    let feedback = r.text(Field::Feedback, LONG_TEXT_MAX);
    let next_action = r.text(Field::NextAction, LONG_TEXT_MAX);
    let mapping = r.mapping();
    let amount_fen = r.parse(Field::Amount, |c, i| amount_from_cell(c, mapping.amount_unit(i)));

    let (occurred_on, date_time) = date?;
    Some(InteractionRow {
        row: r.row.number,
        customer_name,
        credit_code,
        contact_name,
        occurred_on,
        occurred_at_time: time.or(date_time),
        channel: channel?,
        kind: kind?,
        note,
        feedback,
        next_action,
        amount_fen,
    })
}

/// Whether `field`'s cell has anything in it.
fn given(r: &RowReader<'_>, field: Field) -> bool {
    r.cell(field).is_some_and(|(_, c)| !c.is_empty())
}

/// A channel or kind cell: text only.
fn keyword_cell<T>(cell: &Cell, parse: impl FnOnce(&str) -> Result<T, ValueError>) -> Result<Option<T>, ValueError> {
    match text_from_cell_ref(cell)? {
        None => Ok(None),
        Some(text) => parse(&text).map(Some),
    }
}
