//! Customer rows from a mapped table.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};

use super::mapping::{ColumnMapping, Field, ImportKind, MappingError};
use super::names::{normalize_company_name_into, normalize_phone_into};
use super::rows::{RowError, RowReader, SHORT_TEXT_MAX, TAG_MAX, check_controls, check_length, split_name_and_contact};
use super::table::Table;
use super::values::{
    amount_from_cell, credit_code_from_cell, email_from_cell, phone_from_cell, split_list, text_from_cell_ref,
};

/// The code under which [`CustomerParse::duplicate_warnings`] reports rows
/// that repeat an earlier row of the same file.
pub const DUPLICATE_IN_FILE: &str = "duplicate_in_file";

/// The contact person given on a customer row. At least one field is set.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct ContactRow {
    pub name: Option<String>,
    pub title: Option<String>,
    pub phone: Option<String>,
    /// Lowercased.
    pub email: Option<String>,
}

/// Why a row repeats an earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateKey {
    /// Same unified social credit code.
    CreditCode,
    /// Same normalised company name and same normalised phone.
    NameAndPhone,
}

/// Points at the first row with the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct DuplicateOf {
    pub row: usize,
    pub key: DuplicateKey,
}

/// A valid customer row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CustomerRow {
    /// The spreadsheet row number.
    pub row: usize,
    pub name: String,
    /// Uppercased, check digit verified.
    pub credit_code: Option<String>,
    pub industry: Option<String>,
    pub region: Option<String>,
    pub city: Option<String>,
    /// In fen (0.01 CNY); 0 when blank.
    pub annual_purchase_fen: i64,
    pub contact: Option<ContactRow>,
    /// Lowercased; whether a user has it is for the caller to check.
    pub owner_email: Option<String>,
    pub tags: Vec<String>,
    pub pain_points: Vec<String>,
    pub source: Option<String>,
    /// Set when an earlier row of the file is the same customer (by credit
    /// code, or by normalised name and phone). The caller decides: skip,
    /// merge, or ask.
    pub duplicate_of: Option<DuplicateOf>,
    /// Set when an earlier row has the same normalised name but nothing
    /// stronger matched: often one company listed once per contact.
    pub same_name_as: Option<usize>,
}

/// The outcome of parsing a customer table.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct CustomerParse {
    /// Rows without any error, in file order.
    pub rows: Vec<CustomerRow>,
    /// Every bad cell of every bad row; a row with any error is not in
    /// `rows`.
    pub errors: Vec<RowError>,
    /// Headers of columns that were not imported.
    pub ignored_columns: Vec<String>,
}

impl CustomerParse {
    /// The rows that repeat an earlier row, as warnings the UI can list
    /// beside the errors (code [`DUPLICATE_IN_FILE`]).
    pub fn duplicate_warnings(&self, mapping: &ColumnMapping) -> Vec<RowError> {
        self.rows
            .iter()
            .filter_map(|r| {
                let dup = r.duplicate_of?;
                let (field, what) = match dup.key {
                    DuplicateKey::CreditCode => (Field::CreditCode, "credit code"),
                    DuplicateKey::NameAndPhone => (Field::Name, "name and phone"),
                };
                let column = mapping.index_of(field).map_or(field.label_zh(), |i| mapping.header(i)).to_owned();
                Some(RowError {
                    row: r.row,
                    column,
                    field,
                    code: DUPLICATE_IN_FILE,
                    message: format!("same {what} as row {}", dup.row),
                })
            })
            .collect()
    }
}

/// Parses customer rows. Fails only if the mapping lacks a name column;
/// everything else is reported per row.
pub fn parse_customers(table: &Table, mapping: &ColumnMapping) -> Result<CustomerParse, MappingError> {
    mapping.check(ImportKind::Customers)?;
    let mut out = CustomerParse {
        rows: Vec::with_capacity(table.rows.len()),
        errors: Vec::new(),
        ignored_columns: mapping.ignored_columns(ImportKind::Customers),
    };
    for row in &table.rows {
        let mut r = RowReader::new(row, mapping, &mut out.errors);
        let customer = parse_row(&mut r);
        if !r.failed {
            out.rows.extend(customer);
        }
    }
    mark_duplicates(&mut out.rows);
    Ok(out)
}

fn parse_row(r: &mut RowReader<'_>) -> Option<CustomerRow> {
    let (combined_name, combined_contact) =
        r.text(Field::NameAndContact, 2 * SHORT_TEXT_MAX).map(|s| split_name_and_contact(&s)).unwrap_or_default();
    let name = r.text(Field::Name, SHORT_TEXT_MAX).or(combined_name);
    // Only the name cells have been read so far: if they failed, that error
    // says enough.
    if name.is_none() && !r.failed {
        let field = if r.cell(Field::Name).is_some() { Field::Name } else { Field::NameAndContact };
        r.required(field, "the customer name");
    }
    let credit_code = r.parse(Field::CreditCode, |c, _| credit_code_from_cell(c));
    let industry = r.text(Field::Industry, SHORT_TEXT_MAX);
    let region = r.text(Field::Region, SHORT_TEXT_MAX);
    let city = r.text(Field::City, SHORT_TEXT_MAX);
    let mapping = r.mapping();
    let annual_purchase_fen =
        r.parse(Field::AnnualPurchase, |c, i| amount_from_cell(c, mapping.amount_unit(i))).unwrap_or(0);
    let contact = ContactRow {
        name: r.text(Field::Contact, SHORT_TEXT_MAX).or(combined_contact),
        title: r.text(Field::Title, SHORT_TEXT_MAX),
        phone: r.parse(Field::Phone, |c, _| phone_from_cell(c)),
        email: r.parse(Field::Email, |c, _| email_from_cell(c)),
    };
    let owner_email = r.parse(Field::Owner, |c, _| email_from_cell(c));
    let tags = list(r, Field::Tags, TAG_MAX);
    let pain_points = list(r, Field::PainPoints, SHORT_TEXT_MAX);
    let source = r.text(Field::Source, SHORT_TEXT_MAX);

    let has_contact = contact != ContactRow::default();
    Some(CustomerRow {
        row: r.row.number,
        name: name?,
        credit_code,
        industry,
        region,
        city,
        annual_purchase_fen,
        contact: has_contact.then_some(contact),
        owner_email,
        tags,
        pain_points,
        source,
        duplicate_of: None,
        same_name_as: None,
    })
}

/// A separated list (tags, pain points), each item at most `max` characters.
fn list(r: &mut RowReader<'_>, field: Field, max: usize) -> Vec<String> {
    let Some(items) = r.parse(field, |c, _| Ok(text_from_cell_ref(c)?.map(|t| split_list(&t)))) else {
        return Vec::new();
    };
    if let Some(error) =
        items.iter().find_map(|item| check_length(item, max).and_then(|()| check_controls(item, false)).err())
    {
        r.report(field, error);
    }
    items
}

/// Flags rows that repeat an earlier row: same credit code, or same
/// normalised name and phone; and, as a weaker hint, same normalised name.
///
/// This runs on every row of a 100k-row import, so keys are built in reused
/// buffers and only their hashes are kept (SipHash with a per-process
/// random key, so an upload cannot force collisions). A hash match is
/// confirmed by rebuilding the earlier row's keys, so a collision can only
/// hide a duplicate, never invent one.
fn mark_duplicates(rows: &mut [CustomerRow]) {
    let state = RandomState::new();
    let mut by_code = FirstSeen::with_capacity(rows.len());
    let mut by_name_phone = FirstSeen::with_capacity(rows.len());
    let mut by_name = FirstSeen::with_capacity(rows.len());
    let (mut name, mut phone) = (String::new(), String::new());
    let (mut other_name, mut other_phone) = (String::new(), String::new());
    let mut found: Vec<(usize, Option<DuplicateOf>, Option<usize>)> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let mut duplicate_of = None;
        if let Some(code) = row.credit_code.as_deref() {
            let same_code = |j: usize| rows[j].credit_code.as_deref() == Some(code);
            if let Some(first) = by_code.first(state.hash_one(code), i, same_code) {
                duplicate_of = Some(DuplicateOf { row: rows[first].row, key: DuplicateKey::CreditCode });
            }
        }
        normalize_company_name_into(&row.name, &mut name);
        if phone_key(row, &mut phone) {
            let hash = state.hash_one((name.as_str(), phone.as_str()));
            let same = |j: usize| {
                normalize_company_name_into(&rows[j].name, &mut other_name);
                phone_key(&rows[j], &mut other_phone) && other_name == name && other_phone == phone
            };
            if let Some(first) = by_name_phone.first(hash, i, same) {
                duplicate_of =
                    duplicate_of.or(Some(DuplicateOf { row: rows[first].row, key: DuplicateKey::NameAndPhone }));
            }
        }
        let same_name = |j: usize| {
            normalize_company_name_into(&rows[j].name, &mut other_name);
            other_name == name
        };
        let same_name_as = by_name
            .first(state.hash_one(name.as_str()), i, same_name)
            .filter(|_| duplicate_of.is_none())
            .map(|first| rows[first].row);
        if duplicate_of.is_some() || same_name_as.is_some() {
            found.push((i, duplicate_of, same_name_as));
        }
    }
    for (i, duplicate_of, same_name_as) in found {
        rows[i].duplicate_of = duplicate_of;
        rows[i].same_name_as = same_name_as;
    }
}

/// The row's normalised contact phone into `buf`; false if it has none.
fn phone_key(row: &CustomerRow, buf: &mut String) -> bool {
    buf.clear();
    if let Some(phone) = row.contact.as_ref().and_then(|c| c.phone.as_deref()) {
        normalize_phone_into(phone, buf);
    }
    !buf.is_empty()
}

/// Maps a key hash to the index of the first row that had it.
struct FirstSeen(HashMap<u64, usize, BuildHasherDefault<PassThroughHasher>>);

impl FirstSeen {
    fn with_capacity(capacity: usize) -> Self {
        FirstSeen(HashMap::with_capacity_and_hasher(capacity, BuildHasherDefault::default()))
    }

    /// The first earlier index with this key, or `None` (recording `index`
    /// as the first if the hash is new).
    fn first(&mut self, hash: u64, index: usize, same_key: impl FnOnce(usize) -> bool) -> Option<usize> {
        let first = *self.0.entry(hash).or_insert(index);
        (first != index && same_key(first)).then_some(first)
    }
}

/// The keys are SipHash outputs already; hashing them again is waste.
#[derive(Default)]
struct PassThroughHasher(u64);

impl Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}
