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

use super::keys::{KeyHash, KeyHasher, PassThrough};
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

/// A [`Target`] in half the bytes, as the [`Index`] keeps a million of
/// them: a stored customer's id (positive), or `-(n + 1)` for `New(n)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PackedTarget(i64);

impl From<Target> for PackedTarget {
    fn from(target: Target) -> Self {
        match target {
            Target::Stored(id) => PackedTarget(id),
            Target::New(n) => PackedTarget(-(n as i64) - 1),
        }
    }
}

impl From<PackedTarget> for Target {
    fn from(packed: PackedTarget) -> Self {
        if packed.0 >= 0 { Target::Stored(packed.0) } else { Target::New((-(packed.0 + 1)) as usize) }
    }
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

type HashedMap<V> = HashMap<KeyHash, V, std::hash::BuildHasherDefault<PassThrough>>;

/// A target with the credit code it had when seen (hashed; `None`: none).
type WithCode = (PackedTarget, Option<std::num::NonZeroU64>);

/// Lookup of known customers (stored, and created by earlier rows) by each
/// duplicate key.
struct Index {
    hasher: KeyHasher,
    by_code: HashedMap<PackedTarget>,
    /// Name key and phone → the first target with them; almost always the only one.
    by_name_phone: HashedMap<WithCode>,
    /// Further targets with the same name and phone (their codes differ).
    more_by_name_phone: HashedMap<Vec<WithCode>>,
    /// Name key → a target with neither credit code nor phone.
    bare: HashedMap<PackedTarget>,
}

impl Index {
    /// Empty; the maps grow as rows come (sized up front, the code map
    /// would reserve for rows that have no code).
    fn new() -> Self {
        Index {
            hasher: KeyHasher::new(),
            by_code: HashedMap::default(),
            by_name_phone: HashedMap::default(),
            more_by_name_phone: HashedMap::default(),
            bare: HashedMap::default(),
        }
    }

    /// The code's hash as the name-and-phone entries keep it.
    fn code_hash(&self, code: &Option<String>) -> Option<std::num::NonZeroU64> {
        // A zero hash (one in 2^64) shares its slot with one: still a code.
        code.as_deref()
            .map(|c| std::num::NonZeroU64::new(self.hasher.hash(&[c]) as u64).unwrap_or(std::num::NonZeroU64::MIN))
    }

    fn find(&self, c: &Checked) -> Option<(Target, MatchKey)> {
        let code = c.row.credit_code.as_deref();
        if let Some(t) = code.and_then(|code| self.by_code.get(&self.hasher.hash(&[code]))) {
            return Some(((*t).into(), MatchKey::CreditCode));
        }
        if let Some(phone) = &c.phone {
            let own = self.code_hash(&c.row.credit_code);
            let compatible = |(_, other): &&WithCode| other.is_none() || own.is_none() || *other == own;
            let key = self.hasher.hash(&[&c.key, phone]);
            let first = self.by_name_phone.get(&key).filter(compatible);
            let found =
                first.or_else(|| self.more_by_name_phone.get(&key).and_then(|more| more.iter().find(compatible)));
            if let Some((t, _)) = found {
                return Some(((*t).into(), MatchKey::NameAndPhone));
            }
        }
        if c.is_bare()
            && let Some(t) = self.bare.get(&self.hasher.hash(&[&c.key]))
        {
            return Some(((*t).into(), MatchKey::Name));
        }
        None
    }

    /// Makes later rows with this row's keys find `target`.
    fn register(&mut self, c: &Checked, target: Target) {
        let packed = PackedTarget::from(target);
        if let Some(code) = &c.row.credit_code {
            self.by_code.entry(self.hasher.hash(&[code])).or_insert(packed);
        }
        if let Some(phone) = &c.phone {
            self.add_name_phone(&c.key, phone, target, &c.row.credit_code);
        }
        if c.is_bare() {
            self.bare.entry(self.hasher.hash(&[&c.key])).or_insert(packed);
        }
    }

    fn add_name_phone(&mut self, key: &str, phone: &str, target: Target, code: &Option<String>) {
        let k = self.hasher.hash(&[key, phone]);
        let target = PackedTarget::from(target);
        let entry = (target, self.code_hash(code));
        match self.by_name_phone.get(&k) {
            None => {
                self.by_name_phone.insert(k, entry);
            }
            Some((first, _)) if *first == target => {}
            Some(_) => {
                let more = self.more_by_name_phone.entry(k).or_default();
                if !more.iter().any(|(t, _)| *t == target) {
                    more.push(entry);
                }
            }
        }
    }

    /// Adds stored customers (one `StoredKey` per contact phone).
    fn add_stored(&mut self, keys: &[StoredKey]) {
        let mut phones: HashMap<i64, bool> = HashMap::new();
        for k in keys {
            let target = Target::Stored(k.id);
            if let Some(code) = &k.credit_code {
                self.by_code.entry(self.hasher.hash(&[code])).or_insert(target.into());
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
            self.bare.entry(self.hasher.hash(&[&k.name_key])).or_insert(PackedTarget(k.id));
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

/// Stored customers up to which an import reads all their keys at once
/// rather than looking up each batch's.
const LOAD_ALL_STORED_MAX: usize = 50_000;

/// Rows per part below which a second thread is not worth starting.
const PARALLEL_MIN_ROWS: usize = 5_000;

/// Parses and checks a batch's rows on up to four threads.
fn check_batch(parts: &[Table], ctx: &CheckContext<'_>) -> Result<(Vec<Checked>, Vec<RowProblem>), MappingError> {
    let results: Vec<Result<PartCheck, MappingError>> = if parts.len() == 1 {
        parts.iter().map(|part| check_part(part, ctx)).collect()
    } else {
        // Like any inline parse, this occupies the calling thread until done.
        std::thread::scope(|s| {
            let handles: Vec<_> = parts.iter().map(|part| s.spawn(|| check_part(part, ctx))).collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
        })
    };
    let mut checked = Vec::new();
    let mut errors = Vec::new();
    for part in results {
        let part = part?;
        errors.extend(part.errors);
        checked.extend(part.rows);
    }
    Ok((checked, errors))
}

/// Reads the file a batch at a time (`options.batch_rows` rows): each batch is
/// checked against the team, the stored customers and the rows before it
/// (the duplicate index spans the whole file), then written, all in one
/// transaction — a bad row anywhere (unless partial) rolls everything back.
pub(super) async fn run(
    store: &Store,
    importer: &Importer,
    mut prepared: Prepared,
    options: &ImportOptions,
    progress: Progress<'_>,
) -> Result<ImportReport, ImportError> {
    let started = std::time::Instant::now();
    // Phase timings for `RUST_LOG=rally=debug` (how BENCHMARKS.md's figures were broken down).
    let phase = |name: &str| {
        tracing::debug!(phase = name, elapsed_ms = started.elapsed().as_millis() as u64, "customer import")
    };
    prepared.mapping.check(ImportKind::Customers)?;
    let mapping = prepared.mapping.clone();
    let file_name = std::mem::take(&mut prepared.file_name);
    let mut report =
        ImportReport::new(ImportKind::Customers, options, 0, mapping.ignored_columns(ImportKind::Customers));
    let mut rows = prepared.rows()?;
    let (headers, header_row) = (rows.headers().to_vec(), rows.header_row());
    let mut batch = rows.next_rows(options.batch_rows)?;
    let estimated = rows.estimated_rows(batch.len());
    let update = options.on_duplicate == OnDuplicate::Update;
    // A dry run that updates must see what the batches before did to the
    // customers a row updates again: it writes, then rolls back.
    let writes = !options.dry_run || (update && estimated > batch.len());
    let stage = if options.dry_run { Stage::Checking } else { Stage::Writing };
    progress(stage, 0, estimated as u64);

    let mut tx = sql::begin_import(store, writes).await?;
    let team: HashMap<String, TeamMember> =
        sql::team(&mut tx).await?.into_iter().map(|m| (m.email.clone(), m)).collect();
    let regions: HashSet<String> = sql::regions(&mut tx).await?.into_iter().collect();
    let rep_id = importer.rep_id();
    let ctx = CheckContext { mapping: &mapping, team: &team, regions: &regions, rep_id, update };

    // Few stored customers beside a large file (a first import, say): read
    // them all once. Many: look up each batch's keys by index, so that
    // memory follows the batch, not the stored customers.
    let stored_before = sql::customer_count(&mut tx).await?;
    let lookup_each_batch = stored_before > estimated.min(LOAD_ALL_STORED_MAX);
    let mut index = Index::new();
    // Owners of the stored customers seen (visibility), and names of those
    // seen by this batch's lookup (warnings).
    let mut stored_owners: HashMap<i64, Option<i64>> = HashMap::new();
    let mut stored_names: HashMap<i64, String> = HashMap::new();
    if stored_before > 0 && !lookup_each_batch {
        let stored = sql::all_customer_keys(&mut tx).await?;
        stored_owners.extend(stored.iter().map(|k| (k.id, k.owner_id)));
        stored_names.extend(stored.iter().map(|k| (k.id, k.name.clone())));
        index.add_stored(&stored);
    }
    // Indexes are rebuilt once at the end, sorted, when nothing reads them
    // meanwhile: no per-batch lookups, no updates.
    let suspended = if writes && !options.dry_run && !update && !lookup_each_batch {
        crate::store::bulk::suspend_indexes(&mut tx, estimated, crate::store::bulk::CUSTOMER_TABLES).await?
    } else {
        None
    };
    phase("opened");

    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
    // Whole seconds: a million rows' timestamps are a noticeable share of the bytes written.
    let now = Utc::now().trunc_subsecs(0);
    let actor_id = importer.actor_id();
    let default_source = options.partner.as_deref().map(str::trim).filter(|p| !p.is_empty());
    // The ids of the customers written so far, in creation order (`Target::New(n)` is `ids[n]`); ascending.
    let mut ids: Vec<i64> = Vec::new();
    // The targets of this batch's good rows, for a partner's list.
    let mut named: Vec<Target> = Vec::new();
    // The row that created each new customer.
    let mut first_rows: Vec<usize> = Vec::new();
    let mut done = 0u64;
    while !batch.is_empty() {
        report.rows += batch.len();
        let parts = split_table(
            Table { headers: headers.clone(), header_row, rows: std::mem::take(&mut batch) },
            threads,
            PARALLEL_MIN_ROWS,
        );
        let (mut checked, mut errors) = check_batch(&parts, &ctx)?;

        if lookup_each_batch {
            let mut codes: Vec<&str> = checked.iter().filter_map(|c| c.row.credit_code.as_deref()).collect();
            codes.sort_unstable();
            codes.dedup();
            let mut keys: Vec<&str> = checked.iter().map(|c| c.key.as_str()).collect();
            keys.sort_unstable();
            keys.dedup();
            let mut found = sql::customers_by_credit_code(&mut tx, &codes).await?;
            found.extend(sql::customers_by_name_key(&mut tx, &keys).await?);
            // Customers this import wrote are in the index as its rows already.
            found.retain(|k| ids.binary_search(&k.id).is_err());
            stored_owners.extend(found.iter().map(|k| (k.id, k.owner_id)));
            stored_names.clear();
            stored_names.extend(found.iter().map(|k| (k.id, k.name.clone())));
            index.add_stored(&found);
        }
        // Another rep's customer is still a duplicate (the team must not hold a
        // company twice), but a rep learns nothing about it beyond that.
        let hidden = |id: i64| {
            let owner = stored_owners.get(&id).copied().flatten();
            rep_id.is_some() && owner.is_some() && owner != rep_id
        };

        // Pass 1: which customer each row is.
        let base = first_rows.len();
        let mut planned: Vec<(usize, Target, Option<MatchKey>)> = Vec::with_capacity(checked.len());
        for (i, c) in checked.iter().enumerate() {
            match index.find(c) {
                Some((Target::Stored(id), key)) => {
                    if update && hidden(id) {
                        // Neither the id nor the name: the rep may not see the customer.
                        let field = key.field();
                        let message =
                            "matches a customer of another rep, which you cannot see or update; ask your lead"
                                .to_owned();
                        let value = cell_value(&parts, &mapping, c.row.row, field);
                        errors.push(problem(&mapping, c.row.row, field, "duplicate_not_yours", message, value));
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

        // Pass 2: what each row does to its customer. A customer created by
        // an earlier batch is written already: it is updated like a stored one.
        let written = |n: usize| if n < base { ids.get(n).copied() } else { None };
        let mut updating: Vec<i64> = planned
            .iter()
            .filter_map(|(_, t, _)| match *t {
                Target::Stored(id) => Some(id),
                Target::New(n) => written(n),
            })
            .collect();
        updating.sort_unstable();
        updating.dedup();
        let before: HashMap<i64, StoredCustomer> =
            if update { sql::customers_for_update(&mut tx, &updating).await? } else { HashMap::new() };
        let mut after: HashMap<i64, CustomerFields> = HashMap::new();
        // A dry run that only counts need not build the new customers.
        let keep_drafts = writes || update;
        let mut drafts: Vec<CustomerFields> = Vec::new();
        let mut firsts = base;
        for (i, target, key) in &planned {
            if default_source.is_some() {
                named.push(*target);
            }
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
                    let owner = c.owner.or(rep_id);
                    drafts.push(draft(c, owner, source));
                }
                continue;
            }
            let c = &*c;
            let stored_id = match *target {
                Target::Stored(id) => Some(id),
                Target::New(n) => written(n),
            };
            let changed = match (update, target, stored_id) {
                (false, _, _) => false,
                (true, _, Some(id)) => match before.get(&id) {
                    Some(b) => apply(after.entry(id).or_insert_with(|| b.fields.clone()), c),
                    // Deleted between the lookups: nothing to update.
                    None => false,
                },
                (true, Target::New(n), None) => drafts.get_mut(n - base).is_some_and(|d| apply(d, c)),
                (true, Target::Stored(_), None) => false,
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
                    let name = stored_names.get(id).map_or("", String::as_str);
                    (key.code(), format!("{outcome}: {what} customer #{id} {name}"))
                }
                Target::New(n) => (key.code(), format!("{outcome}: {what} row {}", first_rows[*n])),
            };
            let value = cell_value(&parts, &mapping, c.row.row, field);
            report.warn(problem(&mapping, c.row.row, field, code, message, value));
        }
        errors.sort_by_key(|e| e.row);
        let mut bad_rows: Vec<usize> = errors.iter().map(|e| e.row).collect();
        bad_rows.dedup();
        report.rejected += bad_rows.len();
        report.errors.extend(errors);

        // Write the batch, unless the file is refused already (then the
        // rest is only checked, so that every bad row is listed).
        if writes && !report.refused() {
            let new_ids = crate::store::bulk::allocate_ids(&mut tx, "customers", drafts.len()).await?;
            ids.extend_from_slice(&new_ids);
            let mut drafts = new_ids.into_iter().zip(drafts);
            loop {
                let chunk: Vec<(i64, CustomerFields)> = drafts.by_ref().take(WRITE_BATCH).collect();
                if chunk.is_empty() {
                    break;
                }
                sql::insert_customers(&mut tx, chunk, now).await?;
            }
            let changed: Vec<(&StoredCustomer, &CustomerFields)> = updating
                .iter()
                .filter_map(|id| Some((before.get(id)?, after.get(id)?)))
                .filter(|(b, a)| b.fields != **a)
                .collect();
            // Customers this import created are audited by its one record.
            let created_here = |id: i64| ids.binary_search(&id).is_ok();
            for chunk in changed.chunks(WRITE_BATCH) {
                sql::update_customers(&mut tx, chunk, now).await?;
                let audit: Vec<AuditRow> = chunk
                    .iter()
                    .filter(|(b, _)| !created_here(b.id))
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
                if !audit.is_empty() {
                    sql::insert_audit(&mut tx, actor_id, &importer.audit_email, audit, now).await?;
                }
            }
            // Campaign members follow their customers' new owners (unless a lead assigned them).
            let owner_changed: Vec<i64> = changed
                .iter()
                .filter(|(b, a)| b.fields.owner_id != a.owner_id && !created_here(b.id))
                .map(|(b, _)| b.id)
                .collect();
            if !owner_changed.is_empty() {
                crate::ops::execution::members::follow_owner(&mut tx, &owner_changed, now).await?;
            }
        }
        // A new customer's id is known once its batch is written.
        report.named_customers.extend(named.drain(..).filter_map(|t| match t {
            Target::Stored(id) => Some(id),
            Target::New(n) => ids.get(n).copied(),
        }));
        done = report.rows as u64;
        // Freed here, so the next batch reuses the memory.
        drop((checked, planned, parts, before, after));
        batch = rows.next_rows(options.batch_rows)?;
        progress(stage, done, (rows.estimated_rows(report.rows + batch.len()) as u64).max(done));
    }
    // The file and the index are done with: free them before the indexes
    // are built (which takes memory of its own).
    drop(rows);
    drop(prepared);
    super::drop_later(index);
    report.finish_errors();
    phase("checked and written");
    progress(stage, done, done);

    if report.refused() || options.dry_run {
        if report.refused() {
            report.reject();
        } else {
            report.status = ImportStatus::DryRun;
        }
        if writes {
            sql::roll_back_import(tx).await?;
        }
        return Ok(report);
    }
    if let Some(indexes) = suspended {
        crate::store::bulk::restore_indexes(&mut tx, indexes).await?;
    }
    phase("indexed");
    // New customers are audited by the import's one record (their ids as
    // ranges): per-customer records would double the bytes written.
    super::record(&mut tx, importer, ImportKind::Customers, &file_name, &report, &ids, now).await?;
    sql::commit_import(tx).await?;
    phase("committed");
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn packed_targets_unpack_to_themselves(id in 1i64..i64::MAX, n in 0usize..(i64::MAX as usize)) {
            for target in [Target::Stored(id), Target::New(n)] {
                proptest::prop_assert_eq!(Target::from(PackedTarget::from(target)), target);
            }
        }
    }

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
        let mut index = Index::new();
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
