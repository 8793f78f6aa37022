//! Importing customers: owner and region checks, duplicates against stored
//! customers and earlier rows, then one bulk write.
//!
//! Duplicate rule (in this order): the same credit code; else the same
//! normalised name (`io::normalize_company_name`) and the same normalised
//! phone of any contact, provided the credit codes do not contradict each
//! other; else, for a row with neither credit code nor phone, the same
//! normalised name as a customer that has neither either — nothing could
//! tell such two apart, and an exported list must re-import as duplicates.

use std::collections::{HashMap, HashSet};

use chrono::{SubsecRound, Utc};

use super::{
    ImportError, ImportOptions, ImportReport, ImportStatus, Importer, OnDuplicate, Prepared, Progress, RowProblem,
    Stage, WRITE_BATCH, cell_value, problem, split_table,
};
use crate::domain::team::Role;
use crate::io::{
    ColumnMapping, ContactRow, CustomerRow, Field, ImportKind, MappingError, Table, normalize_company_name,
    normalize_phone, parse_customers,
};
use crate::store::Store;
use crate::store::import::{
    self as sql, AuditRow, ContactFields, CustomerFields, StoredCustomer, StoredKey, TeamMember,
};

/// A row that passed the parser and the database checks. It owns the row,
/// so a new customer takes its strings instead of copying them.
struct Checked {
    row: CustomerRow,
    /// Normalised company name.
    key: String,
    /// Normalised contact phone.
    phone: Option<String>,
    /// The owner named on the row, resolved.
    owner: Option<i64>,
    /// Whether the row has an annual purchase (blank means "keep" on update).
    amount_given: bool,
}

impl Checked {
    fn is_bare(&self) -> bool {
        self.row.credit_code.is_none() && self.phone.is_none()
    }
}

/// The customer a row is: a new one (index into the drafts) or a stored one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Target {
    New(usize),
    Stored(i64),
}

/// What matched a row to an existing target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MatchKey {
    CreditCode,
    NameAndPhone,
    Name,
}

impl MatchKey {
    /// The column a duplicate warning points at.
    fn field(self) -> Field {
        match self {
            MatchKey::CreditCode => Field::CreditCode,
            MatchKey::NameAndPhone | MatchKey::Name => Field::Name,
        }
    }

    /// The warning code of a duplicate the importer may see.
    fn code(self) -> &'static str {
        match self {
            MatchKey::CreditCode => "duplicate_credit_code",
            MatchKey::NameAndPhone => "duplicate_name_phone",
            MatchKey::Name => "duplicate_name",
        }
    }
}

/// Targets sharing a name key and phone (keyed `name\u{1f}phone`), with the
/// credit code each had when seen.
type NamePhoneTargets = HashMap<String, Vec<(Target, Option<String>)>>;

/// The `by_name_phone` key, built in a reused buffer (100k rows, no allocation per lookup).
fn name_phone_key<'b>(buf: &'b mut String, key: &str, phone: &str) -> &'b str {
    buf.clear();
    buf.push_str(key);
    buf.push('\u{1f}');
    buf.push_str(phone);
    buf.as_str()
}

/// Lookup of known customers (stored, and created by earlier rows) by each
/// duplicate key.
struct Index {
    by_code: HashMap<String, Target>,
    by_name_phone: NamePhoneTargets,
    /// Name key → a target with neither credit code nor phone.
    bare: HashMap<String, Target>,
    buf: String,
}

impl Index {
    fn with_capacity(n: usize) -> Self {
        Index {
            by_code: HashMap::with_capacity(n),
            by_name_phone: HashMap::with_capacity(n),
            bare: HashMap::new(),
            buf: String::new(),
        }
    }

    fn find(&mut self, c: &Checked) -> Option<(Target, MatchKey)> {
        let code = c.row.credit_code.as_deref();
        if let Some(t) = code.and_then(|code| self.by_code.get(code)) {
            return Some((*t, MatchKey::CreditCode));
        }
        if let Some(phone) = &c.phone {
            let compatible = |other: &Option<String>| other.is_none() || code.is_none() || other.as_deref() == code;
            let key = name_phone_key(&mut self.buf, &c.key, phone);
            if let Some((t, _)) =
                self.by_name_phone.get(key).and_then(|ts| ts.iter().find(|(_, other)| compatible(other)))
            {
                return Some((*t, MatchKey::NameAndPhone));
            }
        }
        if c.is_bare()
            && let Some(t) = self.bare.get(&c.key)
        {
            return Some((*t, MatchKey::Name));
        }
        None
    }

    /// Makes later rows with this row's keys find `target`.
    fn register(&mut self, c: &Checked, target: Target) {
        if let Some(code) = &c.row.credit_code
            && !self.by_code.contains_key(code)
        {
            self.by_code.insert(code.clone(), target);
        }
        if let Some(phone) = &c.phone {
            self.add_name_phone(&c.key, phone, target, &c.row.credit_code);
        }
        if c.is_bare() {
            self.bare.entry(c.key.clone()).or_insert(target);
        }
    }

    fn add_name_phone(&mut self, key: &str, phone: &str, target: Target, code: &Option<String>) {
        let k = name_phone_key(&mut self.buf, key, phone);
        match self.by_name_phone.get_mut(k) {
            Some(entry) => {
                if !entry.iter().any(|(t, _)| *t == target) {
                    entry.push((target, code.clone()));
                }
            }
            None => {
                self.by_name_phone.insert(k.to_owned(), vec![(target, code.clone())]);
            }
        }
    }

    /// Adds stored customers (one `StoredKey` per contact phone).
    fn add_stored(&mut self, keys: &[StoredKey]) {
        let mut phones: HashMap<i64, bool> = HashMap::new();
        for k in keys {
            let target = Target::Stored(k.id);
            if let Some(code) = &k.credit_code {
                self.by_code.entry(code.clone()).or_insert(target);
            }
            if let Some(phone) = k.phone.as_deref().map(normalize_phone).filter(|p| !p.is_empty()) {
                self.add_name_phone(&k.name_key, &phone, target, &k.credit_code);
                phones.insert(k.id, true);
            } else {
                phones.entry(k.id).or_insert(false);
            }
        }
        // Lowest id first, so the answer does not depend on row order.
        let mut bare: Vec<&StoredKey> =
            keys.iter().filter(|k| k.credit_code.is_none() && phones.get(&k.id) == Some(&false)).collect();
        bare.sort_by_key(|k| k.id);
        for k in bare {
            self.bare.entry(k.name_key.clone()).or_insert(Target::Stored(k.id));
        }
    }
}

/// Checks the owner named on a row.
fn check_owner(
    team: &HashMap<String, TeamMember>,
    email: &str,
    rep_id: Option<i64>,
) -> Result<i64, (&'static str, String)> {
    let member = team.get(email).ok_or(("owner_unknown", format!("no team member has the e-mail {email}")))?;
    if member.role != Role::Rep {
        return Err(("owner_not_rep", format!("{email} is a {}, not a sales rep", member.role)));
    }
    if !member.active {
        return Err(("owner_inactive", format!("{email} is disabled")));
    }
    if rep_id.is_some_and(|rep| rep != member.id) {
        return Err(("owner_not_self", "a rep can assign imported customers only to themselves".to_owned()));
    }
    Ok(member.id)
}

fn contact_fields(c: &ContactRow) -> ContactFields {
    ContactFields {
        name: c.name.clone().unwrap_or_default(),
        title: c.title.clone().unwrap_or_default(),
        phone: c.phone.clone().unwrap_or_default(),
        email: c.email.clone().unwrap_or_default(),
    }
}

/// Whether an imported contact is one the customer has already.
fn same_contact(stored: &ContactFields, new: &ContactFields) -> bool {
    let phone = normalize_phone(&new.phone);
    if !phone.is_empty() && normalize_phone(&stored.phone) == phone {
        return true;
    }
    if !new.email.is_empty() && stored.email.eq_ignore_ascii_case(&new.email) {
        return true;
    }
    new.phone.is_empty() && new.email.is_empty() && stored.name == new.name
}

fn push_unique(list: &mut Vec<String>, items: &[String]) -> bool {
    let mut changed = false;
    for item in items {
        if !list.contains(item) {
            list.push(item.clone());
            changed = true;
        }
    }
    changed
}

/// A new customer from its first row, which it takes the strings of (the
/// row is used once).
fn draft(c: &mut Checked, owner: Option<i64>, source: String) -> CustomerFields {
    let r = &mut c.row;
    let mut fields = CustomerFields {
        name: std::mem::take(&mut r.name),
        name_key: std::mem::take(&mut c.key),
        credit_code: r.credit_code.take(),
        industry: r.industry.take().unwrap_or_default(),
        region: r.region.take().unwrap_or_default(),
        city: r.city.take().unwrap_or_default(),
        annual_purchase_fen: r.annual_purchase_fen,
        owner_id: owner,
        source,
        ..CustomerFields::default()
    };
    // Lists on one row are short: a quadratic check beats hashing.
    let unique = |list: Vec<String>| {
        let mut out: Vec<String> = Vec::with_capacity(list.len());
        for item in list {
            if !out.contains(&item) {
                out.push(item);
            }
        }
        out
    };
    fields.tags = unique(std::mem::take(&mut r.tags));
    fields.pain_points = unique(std::mem::take(&mut r.pain_points));
    if let Some(k) = r.contact.take() {
        fields.contacts.push(ContactFields {
            name: k.name.unwrap_or_default(),
            title: k.title.unwrap_or_default(),
            phone: k.phone.unwrap_or_default(),
            email: k.email.unwrap_or_default(),
        });
    }
    fields
}

/// Fills a row's non-blank fields onto a customer; whether anything changed.
/// Lists (tags, pain points, contacts) only grow.
fn apply(fields: &mut CustomerFields, c: &Checked) -> bool {
    let r = &c.row;
    let mut changed = false;
    let mut set = |slot: &mut String, value: &Option<String>| {
        if let Some(v) = value
            && slot != v
        {
            slot.clone_from(v);
            changed = true;
        }
    };
    set(&mut fields.industry, &r.industry);
    set(&mut fields.region, &r.region);
    set(&mut fields.city, &r.city);
    if fields.name != r.name {
        fields.name.clone_from(&r.name);
        fields.name_key.clone_from(&c.key);
        changed = true;
    }
    if r.credit_code.is_some() && fields.credit_code != r.credit_code {
        fields.credit_code.clone_from(&r.credit_code);
        changed = true;
    }
    if c.amount_given && fields.annual_purchase_fen != r.annual_purchase_fen {
        fields.annual_purchase_fen = r.annual_purchase_fen;
        changed = true;
    }
    if c.owner.is_some() && fields.owner_id != c.owner {
        fields.owner_id = c.owner;
        changed = true;
    }
    changed |= push_unique(&mut fields.tags, &r.tags);
    changed |= push_unique(&mut fields.pain_points, &r.pain_points);
    if let Some(contact) = r.contact.as_ref().map(contact_fields)
        && !fields.contacts.iter().any(|k| same_contact(k, &contact))
    {
        fields.contacts.push(contact);
        changed = true;
    }
    changed
}

/// What every part of a parallel check needs.
struct CheckContext<'a> {
    mapping: &'a ColumnMapping,
    team: &'a HashMap<String, TeamMember>,
    regions: &'a HashSet<String>,
    rep_id: Option<i64>,
    update: bool,
}

/// One part's rows after parsing and the owner and region checks.
struct PartCheck {
    rows: Vec<Checked>,
    errors: Vec<RowProblem>,
}

/// Parses one part of the file and checks its rows against the team and
/// the regions. Parts are independent, so they run on all cores.
fn check_part(part: &Table, ctx: &CheckContext<'_>) -> Result<PartCheck, MappingError> {
    let mapping = ctx.mapping;
    let parse = parse_customers(part, mapping)?;
    let value = |row: usize, field: Field| cell_value(std::slice::from_ref(part), mapping, row, field);
    let mut errors: Vec<RowProblem> =
        parse.errors.iter().map(|e| RowProblem { value: value(e.row, e.field), ..RowProblem::from(e) }).collect();
    // Only an update cares whether the amount was blank (keep) or zero (set).
    let amount_rows: HashSet<usize> = match mapping.index_of(Field::AnnualPurchase) {
        Some(i) if ctx.update => part.rows.iter().filter(|r| !r.get(i).is_empty()).map(|r| r.number).collect(),
        _ => HashSet::new(),
    };
    let mut rows = Vec::with_capacity(parse.rows.len());
    for row in parse.rows {
        let mut ok = true;
        let mut owner = None;
        if let Some(email) = &row.owner_email {
            match check_owner(ctx.team, email, ctx.rep_id) {
                Ok(id) => owner = Some(id),
                Err((code, message)) => {
                    errors.push(problem(mapping, row.row, Field::Owner, code, message, value(row.row, Field::Owner)));
                    ok = false;
                }
            }
        }
        if let Some(region) = &row.region
            && !ctx.regions.contains(region)
        {
            let mut known: Vec<&str> = ctx.regions.iter().map(String::as_str).collect();
            known.sort_unstable();
            let message = format!("unknown region {region:?}: expected one of {}", known.join(", "));
            errors.push(problem(mapping, row.row, Field::Region, "region_unknown", message, region.clone()));
            ok = false;
        }
        if ok {
            let phone =
                row.contact.as_ref().and_then(|k| k.phone.as_deref()).map(normalize_phone).filter(|p| !p.is_empty());
            rows.push(Checked {
                key: normalize_company_name(&row.name),
                phone,
                owner,
                amount_given: amount_rows.contains(&row.row),
                row,
            });
        }
    }
    Ok(PartCheck { rows, errors })
}

/// Rows per part below which a second thread is not worth starting.
const PARALLEL_MIN_ROWS: usize = 10_000;

pub(super) async fn run(
    store: &Store,
    importer: &Importer,
    prepared: Prepared,
    options: &ImportOptions,
    progress: Progress<'_>,
) -> Result<ImportReport, ImportError> {
    let started = std::time::Instant::now();
    // Phase timings for `RUST_LOG=rally=debug` (how BENCHMARKS.md's figures were broken down).
    let phase = |name: &str| {
        tracing::debug!(phase = name, elapsed_ms = started.elapsed().as_millis() as u64, "customer import")
    };
    let Prepared { file_name, table, mapping, .. } = prepared;
    mapping.check(ImportKind::Customers)?;
    let rows_read = table.rows.len();
    let mut report =
        ImportReport::new(ImportKind::Customers, options, rows_read, mapping.ignored_columns(ImportKind::Customers));
    progress(Stage::Checking, 0, rows_read as u64);

    let mut tx = sql::begin_import(store, !options.dry_run).await?;
    let team: HashMap<String, TeamMember> =
        sql::team(&mut tx).await?.into_iter().map(|m| (m.email.clone(), m)).collect();
    let regions: HashSet<String> = sql::regions(&mut tx).await?.into_iter().collect();
    let rep_id = importer.rep_id();
    let update = options.on_duplicate == OnDuplicate::Update;

    // Parse and check the parts of a large file on all cores. Like any
    // inline parse, this occupies the calling thread until it is done.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
    let parts = split_table(table, threads, PARALLEL_MIN_ROWS);
    let ctx = CheckContext { mapping: &mapping, team: &team, regions: &regions, rep_id, update };
    let results: Vec<Result<PartCheck, MappingError>> = if parts.len() == 1 {
        parts.iter().map(|part| check_part(part, &ctx)).collect()
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = parts.iter().map(|part| s.spawn(|| check_part(part, &ctx))).collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
        })
    };
    let mut checked = Vec::with_capacity(rows_read);
    for part in results {
        let part = part?;
        report.errors.extend(part.errors);
        checked.extend(part.rows);
    }
    let parsed_rows = checked.len() as u64;
    phase("checked");
    // Stored customers that may be the same as a row.
    let mut codes: Vec<&str> = checked.iter().filter_map(|c| c.row.credit_code.as_deref()).collect();
    codes.sort_unstable();
    codes.dedup();
    let mut keys: Vec<&str> = checked.iter().map(|c| c.key.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    let stored = sql::customers_matching(&mut tx, &codes, &keys).await?;
    let stored_info: HashMap<i64, (String, Option<i64>)> =
        stored.iter().map(|k| (k.id, (k.name.clone(), k.owner_id))).collect();
    // Another rep's customer is still a duplicate (the team must not hold a
    // company twice), but a rep learns nothing about it beyond that.
    let hidden = |id: i64| {
        let owner = stored_info.get(&id).and_then(|(_, o)| *o);
        rep_id.is_some() && owner.is_some() && owner != rep_id
    };
    let mut index = Index::with_capacity(checked.len());
    index.add_stored(&stored);

    phase("looked up");
    // Pass 1: which customer each row is.
    let mut planned: Vec<(usize, Target, Option<MatchKey>)> = Vec::with_capacity(checked.len());
    let mut first_rows: Vec<usize> = Vec::new();
    for (i, c) in checked.iter().enumerate() {
        match index.find(c) {
            Some((Target::Stored(id), key)) => {
                if update && hidden(id) {
                    // Neither the id nor the name: the rep may not see the customer.
                    let field = key.field();
                    let message =
                        "matches a customer of another rep, which you cannot see or update; ask your lead".to_owned();
                    let value = cell_value(&parts, &mapping, c.row.row, field);
                    report.errors.push(problem(&mapping, c.row.row, field, "duplicate_not_yours", message, value));
                    continue;
                }
                index.register(c, Target::Stored(id));
                planned.push((i, Target::Stored(id), Some(key)));
            }
            Some((target, key)) => {
                index.register(c, target);
                planned.push((i, target, Some(key)));
            }
            None => {
                let target = Target::New(first_rows.len());
                first_rows.push(c.row.row);
                index.register(c, target);
                planned.push((i, target, None));
            }
        }
    }

    // Pass 2: what each row does to its customer.
    let mut updating: Vec<i64> =
        planned.iter().filter_map(|(_, t, _)| if let Target::Stored(id) = t { Some(*id) } else { None }).collect();
    updating.sort_unstable();
    updating.dedup();
    let before: HashMap<i64, StoredCustomer> =
        if update { sql::customers_for_update(&mut tx, &updating).await? } else { HashMap::new() };
    let mut drafts: Vec<CustomerFields> = Vec::new();
    let mut after: HashMap<i64, CustomerFields> = HashMap::new();
    let default_owner = rep_id;
    let default_source = options.partner.as_deref().map(str::trim).filter(|p| !p.is_empty());
    // A dry run that updates nothing needs only the counts: building every
    // new customer would double the memory a preview takes.
    let keep_drafts = !options.dry_run || update;
    if keep_drafts {
        drafts.reserve_exact(first_rows.len());
    }
    let mut firsts = 0;
    for (i, target, key) in &planned {
        let c = &mut checked[*i];
        if let Target::New(n) = target
            && *n == firsts
        {
            firsts += 1;
            report.created += 1;
            if keep_drafts {
                let source = match default_source {
                    Some(partner) => partner.to_owned(),
                    None => c.row.source.take().unwrap_or_else(|| "import".to_owned()),
                };
                let owner = c.owner.or(default_owner);
                drafts.push(draft(c, owner, source));
            }
            continue;
        }
        let c = &*c;
        let changed = match (update, target) {
            (false, _) => false,
            (true, Target::New(n)) => apply(&mut drafts[*n], c),
            (true, Target::Stored(id)) => match before.get(id) {
                Some(b) => apply(after.entry(*id).or_insert_with(|| b.fields.clone()), c),
                // Deleted between the lookups: nothing to update.
                None => false,
            },
        };
        if changed {
            report.updated += 1;
        } else {
            report.skipped += 1;
        }
        if !report.wants_warning() {
            report.warnings_omitted += 1;
            continue;
        }
        let key = key.unwrap_or(MatchKey::Name);
        let what = match key {
            MatchKey::CreditCode => "the same credit code as",
            MatchKey::NameAndPhone => "the same name and phone as",
            MatchKey::Name => "the same name (and no credit code or phone) as",
        };
        let outcome = if changed { "updated" } else { "skipped" };
        let field = key.field();
        let (code, message) = match target {
            Target::Stored(id) if hidden(*id) => {
                ("duplicate_hidden", format!("{outcome}: {what} a customer you cannot see; ask your lead"))
            }
            Target::Stored(id) => {
                let name = stored_info.get(id).map_or("", |(name, _)| name.as_str());
                (key.code(), format!("{outcome}: {what} customer #{id} {name}"))
            }
            Target::New(n) => (key.code(), format!("{outcome}: {what} row {}", first_rows[*n])),
        };
        let value = cell_value(&parts, &mapping, c.row.row, field);
        report.warn(problem(&mapping, c.row.row, field, code, message, value));
    }
    report.finish_errors();
    phase("planned");
    progress(Stage::Checking, parsed_rows, parsed_rows);

    if report.refused() {
        report.reject();
        return Ok(report);
    }
    if options.dry_run {
        report.status = ImportStatus::DryRun;
        return Ok(report);
    }

    // Write: new customers, then changed ones, each with its audit record.
    // Whole seconds: 100k rows' timestamps are a noticeable share of the bytes written.
    let now = Utc::now().trunc_subsecs(0);
    let changed: Vec<(&StoredCustomer, &CustomerFields)> = updating
        .iter()
        .filter_map(|id| Some((before.get(id)?, after.get(id)?)))
        .filter(|(b, a)| b.fields != **a)
        .collect();
    let total = (drafts.len() + changed.len()) as u64;
    let mut done = 0u64;
    progress(Stage::Writing, 0, total);
    let ids = crate::store::bulk::allocate_ids(&mut tx, "customers", drafts.len()).await?;
    let actor_id = importer.actor_id();
    // New customers are audited by the import's one record (their ids as
    // ranges): per-customer records would double the bytes written.
    super::record(&mut tx, importer, ImportKind::Customers, &file_name, &report, &ids, now).await?;
    let suspended =
        crate::store::bulk::suspend_indexes(&mut tx, drafts.len(), crate::store::bulk::CUSTOMER_TABLES).await?;
    let mut drafts = ids.into_iter().zip(drafts);
    loop {
        let batch: Vec<(i64, CustomerFields)> = drafts.by_ref().take(WRITE_BATCH).collect();
        if batch.is_empty() {
            break;
        }
        done += batch.len() as u64;
        sql::insert_customers(&mut tx, batch, now).await?;
        progress(Stage::Writing, done, total);
    }
    if let Some(indexes) = suspended {
        crate::store::bulk::restore_indexes(&mut tx, indexes).await?;
    }
    phase("inserted");

    for batch in changed.chunks(WRITE_BATCH) {
        sql::update_customers(&mut tx, batch, now).await?;
        let audit = batch
            .iter()
            .map(|(b, a)| {
                let mut before_json = serde_json::to_value(&b.fields).unwrap_or_default();
                before_json["version"] = b.version.into();
                let mut after_json = serde_json::to_value(a).unwrap_or_default();
                after_json["version"] = (b.version + 1).into();
                AuditRow {
                    action: "update",
                    object_type: "customer",
                    object_id: b.id,
                    before: Some(before_json.to_string()),
                    after: Some(after_json.to_string()),
                }
            })
            .collect();
        sql::insert_audit(&mut tx, actor_id, &importer.audit_email, audit, now).await?;
        done += batch.len() as u64;
        progress(Stage::Writing, done, total);
    }
    // Campaign members follow their customers' new owners (unless a lead assigned them).
    let owner_changed: Vec<i64> =
        changed.iter().filter(|(b, a)| b.fields.owner_id != a.owner_id).map(|(b, _)| b.id).collect();
    if !owner_changed.is_empty() {
        crate::ops::execution::members::follow_owner(&mut tx, &owner_changed, now).await?;
    }
    phase("updated");
    sql::commit_import(tx).await?;
    phase("committed");
    super::drop_later((checked, index, stored, planned, parts));
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, code: Option<&str>, phone: Option<&str>) -> CustomerRow {
        CustomerRow {
            row: 2,
            name: name.to_owned(),
            credit_code: code.map(str::to_owned),
            industry: None,
            region: None,
            city: None,
            annual_purchase_fen: 0,
            contact: phone.map(|p| ContactRow { phone: Some(p.to_owned()), ..ContactRow::default() }),
            owner_email: None,
            tags: vec![],
            pain_points: vec![],
            source: None,
            duplicate_of: None,
            same_name_as: None,
        }
    }

    fn checked(r: &CustomerRow) -> Checked {
        Checked {
            row: r.clone(),
            key: normalize_company_name(&r.name),
            phone: r.contact.as_ref().and_then(|k| k.phone.as_deref()).map(normalize_phone),
            owner: None,
            amount_given: false,
        }
    }

    #[test]
    fn matching_follows_code_then_name_and_phone_then_bare_name() {
        let mut index = Index::with_capacity(4);
        index.add_stored(&[
            StoredKey {
                id: 1,
                name: "A公司".into(),
                name_key: "a".into(),
                credit_code: Some("91350100M000100Y43".into()),
                owner_id: None,
                phone: Some("138-0013-8000".into()),
            },
            StoredKey {
                id: 2,
                name: "G精密机械".into(),
                name_key: "g精密机械".into(),
                credit_code: None,
                owner_id: None,
                phone: None,
            },
        ]);
        let by_code = row("别名", Some("91350100M000100Y43"), None);
        assert_eq!(index.find(&checked(&by_code)), Some((Target::Stored(1), MatchKey::CreditCode)));
        let by_phone = row("A有限公司", None, Some("+86 13800138000"));
        assert_eq!(index.find(&checked(&by_phone)), Some((Target::Stored(1), MatchKey::NameAndPhone)));
        // Another credit code is another company, whatever the name and phone.
        let other_code = row("A有限公司", Some("91440300MA5F0B0B02"), Some("13800138000"));
        assert_eq!(index.find(&checked(&other_code)), None);
        let bare = row("G精密机械有限公司", None, None);
        assert_eq!(index.find(&checked(&bare)), Some((Target::Stored(2), MatchKey::Name)));
        // A phone on either side makes the bare-name rule inapplicable.
        let phoned = row("G精密机械", None, Some("13900000000"));
        assert_eq!(index.find(&checked(&phoned)), None);
        let name_only = row("A公司", None, None);
        assert_eq!(index.find(&checked(&name_only)), None);
    }

    #[test]
    fn updates_fill_non_blank_fields_and_grow_lists() {
        let first = CustomerRow {
            industry: Some("制造业".into()),
            tags: vec!["S级".into()],
            ..row("A公司", None, Some("13800138000"))
        };
        let c = checked(&first);
        let mut fields = draft(&mut checked(&first), None, "import".to_owned());
        assert!(!apply(&mut fields, &c), "the same row again changes nothing");
        let second = CustomerRow {
            city: Some("广州".into()),
            tags: vec!["S级".into(), "重点".into()],
            contact: Some(ContactRow { phone: Some("+86 138 0013 8000".into()), ..ContactRow::default() }),
            ..row("A公司", None, None)
        };
        let mut c2 = checked(&second);
        c2.amount_given = false;
        assert!(apply(&mut fields, &c2));
        assert_eq!(fields.industry, "制造业", "blank keeps");
        assert_eq!(fields.city, "广州");
        assert_eq!(fields.tags, ["S级", "重点"]);
        assert_eq!(fields.contacts.len(), 1, "the same phone is the same contact");
    }
}
