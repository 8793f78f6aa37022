//! Customers, their contacts and interaction history, and the activity
//! columns derived from that history (kept current on write, never on read).

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::segment::{self, DerivedColumns, Dialect, SqlContext, SqlParam, TierRules};

use super::{Store, StoreResult, Tx, Value, bind_values, on_db, on_tx};
use crate::domain::customer::{Channel, InteractionKind};

/// A customer's own fields; for a new customer also the contacts and
/// history it starts with (an edit writes the fields and leaves those lists).
#[derive(Clone, Debug, Default)]
pub struct NewCustomer {
    pub name: String,
    /// Normalised name used to find duplicates.
    pub name_key: String,
    pub credit_code: Option<String>,
    pub industry: String,
    pub region: String,
    pub city: String,
    pub annual_purchase_fen: i64,
    pub owner_id: Option<i64>,
    pub source: String,
    /// Private notes (not shown to marketing or support).
    pub notes: String,
    pub tags: Vec<String>,
    pub pain_points: Vec<String>,
    pub contacts: Vec<NewContact>,
    pub interactions: Vec<NewInteraction>,
}

#[derive(Clone, Debug, Default)]
pub struct NewContact {
    pub name: String,
    pub title: String,
    pub phone: String,
    pub email: String,
    pub im_id: String,
}

#[derive(Clone, Debug)]
pub struct NewInteraction {
    pub occurred_on: NaiveDate,
    /// Time of day as written (`14:00`), when known.
    pub occurred_at: Option<String>,
    pub channel: Channel,
    pub kind: InteractionKind,
    pub note: String,
    pub amount_fen: Option<i64>,
    pub created_by: Option<i64>,
}

/// How many interactions in the window make a customer tier S; the derived
/// `s_anchor_on` column is the date of the k-th most recent interaction.
pub const DEFAULT_S_MIN_INTERACTIONS: i64 = 3;

impl Store {
    pub async fn count_customers(&self) -> StoreResult<i64> {
        let sql = "SELECT COUNT(*) FROM customers";
        Ok(on_db!(self, pool => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await?))
    }

    pub async fn count_interactions(&self) -> StoreResult<i64> {
        let sql = "SELECT COUNT(*) FROM interactions";
        Ok(on_db!(self, pool => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await?))
    }
}

/// Inserts customers with their tags, pain points, contacts and interactions,
/// returning the new ids in input order. Derived activity columns are left for
/// [`refresh_activity`], which the caller runs once for the batch.
pub async fn insert_customers(tx: &mut Tx, customers: Vec<NewCustomer>) -> StoreResult<Vec<i64>> {
    let ids = super::bulk::allocate_ids(tx, "customers", customers.len()).await?;
    let mut rows = CustomerRows::default();
    for (c, &id) in customers.into_iter().zip(&ids) {
        rows.push(id, c, Utc::now());
    }
    rows.insert(tx).await?;
    Ok(ids)
}

/// Customers and what hangs off them as flat multi-row `INSERT` values: the
/// one path both a form's customer and an import's hundred thousand take.
/// Strings move into the statements rather than being copied.
#[derive(Default)]
pub(super) struct CustomerRows {
    customers: Vec<Value>,
    contacts: Vec<Value>,
    tags: Vec<Value>,
    pains: Vec<Value>,
    interactions: Vec<Value>,
}

impl CustomerRows {
    const CUSTOMER_COLUMNS: [&'static str; 17] = [
        "id",
        "name",
        "name_key",
        "credit_code",
        "industry",
        "region",
        "city",
        "annual_purchase_fen",
        "owner_id",
        "source",
        "notes",
        "last_interaction_on",
        "last_inquiry_on",
        "last_order_on",
        "s_anchor_on",
        "created_at",
        "updated_at",
    ];
    const CONTACT_COLUMNS: [&'static str; 8] =
        ["customer_id", "name", "title", "phone", "email", "im_id", "created_at", "updated_at"];
    const INTERACTION_COLUMNS: [&'static str; 9] = [
        "customer_id",
        "occurred_on",
        "occurred_at",
        "channel",
        "kind",
        "note",
        "amount_fen",
        "created_by",
        "created_at",
    ];

    /// A new customer with id `id` (allocated by the caller) and all its
    /// lists; its activity columns are left for [`refresh_activity`].
    pub(super) fn push(&mut self, id: i64, c: NewCustomer, now: DateTime<Utc>) {
        self.push_with_activity(id, c, DerivedColumns::default(), now);
    }

    /// A new customer whose activity columns the caller computed from the
    /// interactions it brings (a generated data set).
    pub(super) fn push_with_activity(&mut self, id: i64, c: NewCustomer, activity: DerivedColumns, now: DateTime<Utc>) {
        self.customers.extend([
            Value::from(id),
            Value::from(c.name),
            Value::from(c.name_key),
            Value::from(c.credit_code),
            Value::from(c.industry),
            Value::from(c.region),
            Value::from(c.city),
            Value::from(c.annual_purchase_fen),
            Value::from(c.owner_id),
            Value::from(c.source),
            Value::from(c.notes),
            Value::from(activity.last_interaction_on),
            Value::from(activity.last_inquiry_on),
            Value::from(activity.last_order_on),
            Value::from(activity.s_anchor_on),
            Value::from(now),
            Value::from(now),
        ]);
        self.push_lists(id, c.contacts, c.tags, c.pain_points, now);
        for i in c.interactions {
            self.interactions.extend([
                Value::from(id),
                Value::from(i.occurred_on),
                Value::from(i.occurred_at),
                Value::from(i.channel.as_str()),
                Value::from(i.kind.as_str()),
                Value::from(i.note),
                Value::from(i.amount_fen),
                Value::from(i.created_by),
                Value::from(now),
            ]);
        }
    }

    /// Contacts, tags and pain points added to customer `id` (new or stored);
    /// a tag or pain point named twice is stored once.
    pub(super) fn push_lists(
        &mut self,
        id: i64,
        contacts: Vec<NewContact>,
        tags: Vec<String>,
        pains: Vec<String>,
        now: DateTime<Utc>,
    ) {
        for k in contacts {
            self.contacts.extend([
                Value::from(id),
                Value::from(k.name),
                Value::from(k.title),
                Value::from(k.phone),
                Value::from(k.email),
                Value::from(k.im_id),
                Value::from(now),
                Value::from(now),
            ]);
        }
        let mut seen = std::collections::HashSet::new();
        for tag in tags {
            if seen.insert(tag.clone()) {
                self.tags.extend([Value::from(id), Value::from(tag)]);
            }
        }
        seen.clear();
        for pain in pains {
            if seen.insert(pain.clone()) {
                self.pains.extend([Value::from(id), Value::from(pain)]);
            }
        }
    }

    pub(super) async fn insert(self, tx: &mut Tx) -> StoreResult<()> {
        use super::bulk::bulk_insert;
        bulk_insert(tx, "customers", &Self::CUSTOMER_COLUMNS, self.customers).await?;
        bulk_insert(tx, "customer_tags", &["customer_id", "tag"], self.tags).await?;
        bulk_insert(tx, "customer_pain_points", &["customer_id", "pain_point"], self.pains).await?;
        bulk_insert(tx, "contacts", &Self::CONTACT_COLUMNS, self.contacts).await?;
        bulk_insert(tx, "interactions", &Self::INTERACTION_COLUMNS, self.interactions).await
    }
}

/// Recomputes last interaction / inquiry / order and the tier-S anchor for the
/// given customers (all customers when `ids` is `None`).
pub async fn refresh_activity(tx: &mut Tx, ids: Option<&[i64]>, s_min_interactions: i64) -> StoreResult<()> {
    // A customer whose columns come out the same is not written: the row
    // and its activity indexes would be rewritten for nothing. The guard
    // repeats the lookups for a customer that does change (index seeks on
    // pages just read), which costs less than the writes it saves.
    let set = format!(
        "UPDATE customers SET last_interaction_on = {LAST_INTERACTION}, last_inquiry_on = {LAST_INQUIRY}, \
         last_order_on = {LAST_ORDER}, s_anchor_on = {S_ANCHOR} WHERE (last_interaction_on IS DISTINCT FROM \
         {LAST_INTERACTION} OR last_inquiry_on IS DISTINCT FROM {LAST_INQUIRY} OR last_order_on IS DISTINCT FROM \
         {LAST_ORDER} OR s_anchor_on IS DISTINCT FROM {S_ANCHOR})"
    );
    let offset = (s_min_interactions - 1).max(0);
    lock_for_refresh(tx, ids).await?;
    match ids {
        None => {
            on_tx!(tx, conn => sqlx::query(&set).bind(offset).execute(&mut **conn).await?.rows_affected());
        }
        Some(ids) => {
            for chunk in ids.chunks(1000) {
                let placeholders: Vec<String> = (0..chunk.len()).map(|n| format!("${}", n + 2)).collect();
                let sql = format!("{set} AND id IN ({})", placeholders.join(", "));
                on_tx!(tx, conn => {
                    let mut q = sqlx::query(&sql).bind(offset);
                    for id in chunk {
                        q = q.bind(*id);
                    }
                    q.execute(&mut **conn).await?.rows_affected()
                });
            }
        }
    }
    Ok(())
}

/// The activity columns as a customer's interactions give them (correlated
/// with `customers.id`; `$1` is how many interactions a tier-S anchor has
/// after it).
const LAST_INTERACTION: &str = "(SELECT MAX(i.occurred_on) FROM interactions i WHERE i.customer_id = customers.id)";
const LAST_INQUIRY: &str =
    "(SELECT MAX(i.occurred_on) FROM interactions i WHERE i.customer_id = customers.id AND i.kind = 'inquiry')";
const LAST_ORDER: &str =
    "(SELECT MAX(i.occurred_on) FROM interactions i WHERE i.customer_id = customers.id AND i.kind = 'order')";
const S_ANCHOR: &str = "(SELECT i.occurred_on FROM interactions i WHERE i.customer_id = customers.id \
    ORDER BY i.occurred_on DESC LIMIT 1 OFFSET $1)";

/// PostgreSQL: locks the customers about to be refreshed, in id order (so
/// two refreshes cannot deadlock). In READ COMMITTED an `UPDATE` that waited
/// for another transaction's row lock re-reads the row but evaluates its
/// subqueries on the snapshot from before the wait, so two follow-ups logged
/// at once would each miss the other; after the lock, the `UPDATE` is a new
/// statement with a new snapshot and sees every committed interaction.
/// (SQLite has one writer at a time.) `NO KEY UPDATE` leaves the key-share
/// locks of concurrent interaction inserts alone.
async fn lock_for_refresh(tx: &mut Tx, ids: Option<&[i64]>) -> StoreResult<()> {
    let Tx::Postgres(conn) = tx else { return Ok(()) };
    match ids {
        None => {
            sqlx::query("SELECT id FROM customers ORDER BY id FOR NO KEY UPDATE").execute(&mut **conn).await?;
        }
        Some(ids) => {
            let mut sorted = ids.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            for chunk in sorted.chunks(10_000) {
                sqlx::query("SELECT id FROM customers WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE")
                    .bind(chunk)
                    .execute(&mut **conn)
                    .await?;
            }
        }
    }
    Ok(())
}

/// Which customers a reader may see; decided by `ops::authz`, applied here in SQL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CustomerScope {
    All,
    /// A rep: their own customers plus the unassigned pool.
    OwnAndUnassigned(i64),
}

/// What narrows a customer list: visibility, then the user's filters.
#[derive(Clone, Debug)]
pub struct CustomerFilter {
    pub scope: CustomerScope,
    /// Substring of the name (case-sensitive on both backends).
    pub search: Option<String>,
    pub region: Option<String>,
    pub segment: Option<segment::Expr>,
    /// Only these customers (a partner's list once matched to the base).
    pub ids: Option<Vec<i64>>,
}

impl CustomerFilter {
    pub fn scope(scope: CustomerScope) -> Self {
        CustomerFilter { scope, search: None, region: None, segment: None, ids: None }
    }

    /// Every customer the segment matches, nothing narrowing it further: what
    /// the kept counts (which count all customers) can answer.
    fn is_segment_only(&self) -> bool {
        self.sees_all_unsearched() && self.region.as_deref().is_none_or(str::is_empty)
    }

    /// Every customer, no search and no id list (a region or segment may narrow it).
    fn sees_all_unsearched(&self) -> bool {
        self.scope == CustomerScope::All && self.search.as_deref().is_none_or(str::is_empty) && self.ids.is_none()
    }
}

/// The day and rules tiers are computed for. `anchored` (today, no
/// interaction dated later) lets tiers use the maintained columns.
#[derive(Clone, Copy, Debug)]
pub struct TierBasis {
    pub as_of: NaiveDate,
    pub rules: TierRules,
    pub anchored: bool,
}

/// A customer as lists and the API show it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CustomerSummary {
    pub id: i64,
    pub name: String,
    pub credit_code: Option<String>,
    pub industry: String,
    pub region: String,
    pub city: String,
    pub annual_purchase_fen: i64,
    pub owner_id: Option<i64>,
    pub owner_email: Option<String>,
    pub owner_name: Option<String>,
    pub source: String,
    pub tier: String,
    pub last_interaction_on: Option<NaiveDate>,
    pub last_inquiry_on: Option<NaiveDate>,
    pub notes: String,
    pub version: i64,
}

type SummaryRow = (
    i64,
    String,
    Option<String>,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
    String,
    String,
    Option<NaiveDate>,
    Option<NaiveDate>,
    String,
    i64,
);

fn summary_from_row(r: SummaryRow) -> CustomerSummary {
    CustomerSummary {
        id: r.0,
        name: r.1,
        credit_code: r.2,
        industry: r.3,
        region: r.4,
        city: r.5,
        annual_purchase_fen: r.6,
        owner_id: r.7,
        owner_email: r.8,
        owner_name: r.9,
        source: r.10,
        tier: r.11,
        last_interaction_on: r.12,
        last_inquiry_on: r.13,
        notes: r.14,
        version: r.15,
    }
}

fn to_value(p: SqlParam) -> Value {
    match p {
        SqlParam::Text(t) => Value::Text(Some(t)),
        SqlParam::Int(i) => Value::Int(Some(i)),
        SqlParam::Date(d) => Value::Date(Some(d)),
    }
}

/// Appends `value` and returns its placeholder.
fn placeholder(values: &mut Vec<Value>, value: Value) -> String {
    values.push(value);
    format!("${}", values.len())
}

impl Store {
    pub fn dialect(&self) -> Dialect {
        match self.db {
            super::Db::Sqlite(_) => Dialect::Sqlite,
            super::Db::Postgres(_) => Dialect::Postgres,
        }
    }

    fn segment_context(&self, basis: &TierBasis, first_param: usize) -> SqlContext {
        SqlContext {
            dialect: self.dialect(),
            as_of: basis.as_of,
            rules: basis.rules,
            first_param,
            anchored: basis.anchored,
        }
    }

    /// The tier `CASE` expression, numbered from `$1`.
    pub(crate) fn tier_expression(&self, basis: &TierBasis, values: &mut Vec<Value>) -> String {
        let (sql, params) = segment::tier_sql(&self.segment_context(basis, values.len() + 1));
        values.extend(params.into_iter().map(to_value));
        sql
    }

    /// The WHERE condition of a filter, numbered after `values`.
    pub(crate) fn filter_condition(
        &self,
        filter: &CustomerFilter,
        basis: &TierBasis,
        values: &mut Vec<Value>,
    ) -> String {
        let mut conditions = vec!["1 = 1".to_owned()];
        if let CustomerScope::OwnAndUnassigned(owner) = filter.scope {
            let p = placeholder(values, owner.into());
            conditions.push(format!("(c.owner_id = {p} OR c.owner_id IS NULL)"));
        }
        if let Some(search) = filter.search.as_deref().filter(|s| !s.is_empty()) {
            let p = placeholder(values, search.into());
            conditions.push(match self.dialect() {
                Dialect::Sqlite => format!("instr(c.name, {p}) > 0"),
                Dialect::Postgres => format!("strpos(c.name, {p}) > 0"),
            });
        }
        if let Some(region) = filter.region.as_deref().filter(|s| !s.is_empty()) {
            let p = placeholder(values, region.into());
            conditions.push(format!("c.region = {p}"));
        }
        if let Some(ids) = &filter.ids {
            let mut placeholders: Vec<String> = ids.iter().map(|id| placeholder(values, (*id).into())).collect();
            if placeholders.is_empty() {
                placeholders.push("NULL".to_owned());
            }
            conditions.push(format!("c.id IN ({})", placeholders.join(", ")));
        }
        if let Some(expr) = &filter.segment {
            let compiled = segment::compile(expr, &self.segment_context(basis, values.len() + 1));
            values.extend(compiled.params.into_iter().map(to_value));
            conditions.push(compiled.sql);
        }
        conditions.join(" AND ")
    }

    /// One page of customers matching the filter, in id order.
    pub async fn list_customers(
        &self,
        filter: &CustomerFilter,
        basis: &TierBasis,
        after_id: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<CustomerSummary>> {
        let mut values = Vec::new();
        let tier = self.tier_expression(basis, &mut values);
        let condition = self.filter_condition(filter, basis, &mut values);
        let after = placeholder(&mut values, after_id.unwrap_or(0).into());
        let limit = placeholder(&mut values, limit.into());
        let sql = format!(
            "SELECT c.id, c.name, c.credit_code, c.industry, c.region, c.city, c.annual_purchase_fen, \
             c.owner_id, u.email, u.name, c.source, {tier}, c.last_interaction_on, c.last_inquiry_on, c.notes, c.version \
             FROM customers c LEFT JOIN users u ON u.id = c.owner_id \
             WHERE {condition} AND c.id > {after} ORDER BY c.id LIMIT {limit}"
        );
        let rows = on_db!(self, pool => {
            let rows = bind_values(sqlx::query(&sql), &values).fetch_all(pool).await?;
            rows.iter().map(<SummaryRow as sqlx::FromRow<_>>::from_row).collect::<Result<Vec<_>, _>>()?
        });
        Ok(rows.into_iter().map(summary_from_row).collect())
    }

    /// How many customers match (the segment builder's live count).
    pub async fn count_matching(&self, filter: &CustomerFilter, basis: &TierBasis) -> StoreResult<i64> {
        match self.count_kept(filter, basis).await? {
            Some(count) => Ok(count),
            None => self.count_where(filter, basis, None).await,
        }
    }

    /// How many customers match, from the kept counts alone, when they can
    /// answer: all customers, one region, or a segment that is one test on
    /// a kept column — for a reader who sees every customer.
    pub async fn count_kept(&self, filter: &CustomerFilter, basis: &TierBasis) -> StoreResult<Option<i64>> {
        if !filter.sees_all_unsearched() {
            return Ok(None);
        }
        let region = filter.region.as_deref().filter(|r| !r.is_empty());
        let kept = match (region, &filter.segment) {
            (None, None) => segment::kept_all(),
            (Some(region), None) => segment::KeptCount {
                dimension: segment::Dimension::Region,
                values: segment::KeptValues::AnyOf(vec![region.to_owned()]),
            },
            (None, Some(expr)) => match segment::kept_count(expr, &self.segment_context(basis, 1)) {
                Some(kept) => kept,
                None => return Ok(None),
            },
            (Some(_), Some(_)) => return Ok(None),
        };
        let mut values = Vec::new();
        let sql = format!("SELECT {}", super::counts::kept_count_sql(&kept, &mut values));
        Ok(Some(on_db!(self, pool => {
            use sqlx::Row;
            bind_values(sqlx::query(&sql), &values).fetch_one(pool).await?.try_get::<i64, _>(0)?
        })))
    }

    /// How many customers match, counting no further than `cap` + 1 (so
    /// `cap` + 1 means "more than `cap`"): a list page's total at a million
    /// customers without reading a million rows on every page.
    pub async fn count_matching_capped(
        &self,
        filter: &CustomerFilter,
        basis: &TierBasis,
        cap: i64,
    ) -> StoreResult<i64> {
        self.count_where(filter, basis, Some(cap.saturating_add(1))).await
    }

    async fn count_where(&self, filter: &CustomerFilter, basis: &TierBasis, limit: Option<i64>) -> StoreResult<i64> {
        let mut values = Vec::new();
        let sql = match (&filter.segment, limit) {
            // An exact count may add up the counts of disjoint parts, each an
            // index range or, for one test on a kept column, the kept counts.
            (Some(expr), None) => {
                let ctx = self.segment_context(basis, 1);
                let counts: Vec<String> = segment::count_parts(expr, &ctx)
                    .into_iter()
                    .map(|part| match segment::kept_count(&part, &ctx).filter(|_| filter.is_segment_only()) {
                        Some(kept) => super::counts::kept_count_sql(&kept, &mut values),
                        None => {
                            let filter = CustomerFilter { segment: Some(part), ..filter.clone() };
                            let condition = self.filter_condition(&filter, basis, &mut values);
                            format!("(SELECT COUNT(*) FROM customers c WHERE {condition})")
                        }
                    })
                    .collect();
                format!("SELECT {}", counts.join(" + "))
            }
            _ => {
                let condition = self.filter_condition(filter, basis, &mut values);
                match limit {
                    None => format!("SELECT COUNT(*) FROM customers c WHERE {condition}"),
                    Some(limit) => format!(
                        "SELECT COUNT(*) FROM (SELECT 1 FROM customers c WHERE {condition} LIMIT {limit}) matched"
                    ),
                }
            }
        };
        Ok(on_db!(self, pool => {
            use sqlx::Row;
            bind_values(sqlx::query(&sql), &values).fetch_one(pool).await?.try_get::<i64, _>(0)?
        }))
    }

    /// Customers per tier (S, B, C) among those matching the filter.
    pub async fn tier_counts(&self, filter: &CustomerFilter, basis: &TierBasis) -> StoreResult<(i64, i64, i64)> {
        // Three index-friendly counts (S, B, all) instead of reading every
        // matching row to classify it: tier conditions are ranges on the
        // maintained anchor and inquiry columns.
        let with_tier = |tier: segment::Tier| {
            let cond = segment::Expr::Cond(segment::Cond::Tier(segment::TierTest::Eq(tier)));
            CustomerFilter {
                segment: Some(match filter.segment.clone() {
                    Some(e) => e.and(cond),
                    None => cond,
                }),
                ..filter.clone()
            }
        };
        let s = self.count_matching(&with_tier(segment::Tier::S), basis).await?;
        let b = self.count_matching(&with_tier(segment::Tier::B), basis).await?;
        let all = self.count_matching(filter, basis).await?;
        Ok((s, b, all - s - b))
    }

    /// One customer if it is within the reader's scope (else `None`: callers
    /// answer 404 so that existence is not leaked).
    pub async fn customer(
        &self,
        scope: CustomerScope,
        id: i64,
        basis: &TierBasis,
    ) -> StoreResult<Option<CustomerSummary>> {
        let filter = CustomerFilter::scope(scope);
        let mut values = Vec::new();
        let tier = self.tier_expression(basis, &mut values);
        let condition = self.filter_condition(&filter, basis, &mut values);
        let id = placeholder(&mut values, id.into());
        let sql = format!(
            "SELECT c.id, c.name, c.credit_code, c.industry, c.region, c.city, c.annual_purchase_fen, \
             c.owner_id, u.email, u.name, c.source, {tier}, c.last_interaction_on, c.last_inquiry_on, c.notes, c.version \
             FROM customers c LEFT JOIN users u ON u.id = c.owner_id WHERE {condition} AND c.id = {id}"
        );
        let row = on_db!(self, pool => {
            match bind_values(sqlx::query(&sql), &values).fetch_optional(pool).await? {
                Some(row) => Some(<SummaryRow as sqlx::FromRow<_>>::from_row(&row)?),
                None => None,
            }
        });
        Ok(row.map(summary_from_row))
    }
}

/// A customer's own fields as stored, for edits and their audit records.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CustomerRecord {
    pub id: i64,
    pub name: String,
    pub credit_code: Option<String>,
    pub industry: String,
    pub region: String,
    pub city: String,
    pub annual_purchase_fen: i64,
    pub owner_id: Option<i64>,
    pub source: String,
    pub notes: String,
    pub tags: Vec<String>,
    pub pain_points: Vec<String>,
    pub version: i64,
}

type RecordRow = (i64, String, Option<String>, String, String, String, i64, Option<i64>, String, String, i64);

pub async fn customer_record(tx: &mut Tx, id: i64) -> StoreResult<Option<CustomerRecord>> {
    let sql = "SELECT id, name, credit_code, industry, region, city, annual_purchase_fen, owner_id, source, notes, version \
               FROM customers WHERE id = $1";
    let row = on_tx!(tx, conn => sqlx::query_as::<_, RecordRow>(sql).bind(id).fetch_optional(&mut **conn).await?);
    let Some((id, name, credit_code, industry, region, city, annual_purchase_fen, owner_id, source, notes, version)) =
        row
    else {
        return Ok(None);
    };
    let tags = on_tx!(tx, conn => sqlx::query_scalar::<_, String>("SELECT tag FROM customer_tags WHERE customer_id = $1 ORDER BY tag")
        .bind(id).fetch_all(&mut **conn).await?);
    let pain_points = on_tx!(tx, conn => sqlx::query_scalar::<_, String>(
        "SELECT pain_point FROM customer_pain_points WHERE customer_id = $1 ORDER BY pain_point")
        .bind(id).fetch_all(&mut **conn).await?);
    Ok(Some(CustomerRecord {
        id,
        name,
        credit_code,
        industry,
        region,
        city,
        annual_purchase_fen,
        owner_id,
        source,
        notes,
        tags,
        pain_points,
        version,
    }))
}

/// Writes the changes if `version` is still current; `false` if it is not.
pub async fn update_customer(tx: &mut Tx, id: i64, version: i64, c: &NewCustomer) -> StoreResult<bool> {
    let sql = "UPDATE customers SET name = $3, name_key = $4, credit_code = $5, industry = $6, region = $7, city = $8, \
               annual_purchase_fen = $9, owner_id = $10, source = $11, notes = $12, version = version + 1, updated_at = $13 \
               WHERE id = $1 AND version = $2";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(id)
        .bind(version)
        .bind(&c.name)
        .bind(&c.name_key)
        .bind(&c.credit_code)
        .bind(&c.industry)
        .bind(&c.region)
        .bind(&c.city)
        .bind(c.annual_purchase_fen)
        .bind(c.owner_id)
        .bind(&c.source)
        .bind(&c.notes)
        .bind(Utc::now())
        .execute(&mut **conn)
        .await?
        .rows_affected());
    if n != 1 {
        return Ok(false);
    }
    on_tx!(tx, conn => {
        sqlx::query("DELETE FROM customer_tags WHERE customer_id = $1").bind(id).execute(&mut **conn).await?;
        sqlx::query("DELETE FROM customer_pain_points WHERE customer_id = $1").bind(id).execute(&mut **conn).await?.rows_affected()
    });
    let mut tags = Vec::new();
    for tag in dedup(&c.tags) {
        tags.extend([Value::from(id), Value::from(tag)]);
    }
    let mut pains = Vec::new();
    for pain in dedup(&c.pain_points) {
        pains.extend([Value::from(id), Value::from(pain)]);
    }
    super::bulk::bulk_insert(tx, "customer_tags", &["customer_id", "tag"], tags).await?;
    super::bulk::bulk_insert(tx, "customer_pain_points", &["customer_id", "pain_point"], pains).await?;
    Ok(true)
}

fn dedup(items: &[String]) -> Vec<&str> {
    let mut seen = std::collections::HashSet::new();
    items.iter().map(String::as_str).filter(|s| seen.insert(*s)).collect()
}

pub async fn delete_customer(tx: &mut Tx, id: i64) -> StoreResult<bool> {
    let n = on_tx!(tx, conn => sqlx::query("DELETE FROM customers WHERE id = $1").bind(id).execute(&mut **conn).await?.rows_affected());
    Ok(n == 1)
}

/// The owner a rep may be given: an active rep's id by email.
impl Store {
    pub async fn active_rep_by_email(&self, email: &str) -> StoreResult<Option<(i64, Option<String>)>> {
        let sql = "SELECT id, region FROM users WHERE email = $1 AND role = 'rep' AND active";
        Ok(on_db!(self, pool => sqlx::query_as::<_, (i64, Option<String>)>(sql)
            .bind(email.trim().to_lowercase())
            .fetch_optional(pool)
            .await?))
    }

    /// Tags and pain points of a customer, for display.
    pub async fn customer_labels(&self, id: i64) -> StoreResult<(Vec<String>, Vec<String>)> {
        let (tags, pains) = on_db!(self, pool => {
            let tags = sqlx::query_scalar::<_, String>("SELECT tag FROM customer_tags WHERE customer_id = $1 ORDER BY tag")
                .bind(id).fetch_all(pool).await?;
            let pains = sqlx::query_scalar::<_, String>(
                "SELECT pain_point FROM customer_pain_points WHERE customer_id = $1 ORDER BY pain_point")
                .bind(id).fetch_all(pool).await?;
            (tags, pains)
        });
        Ok((tags, pains))
    }
}
