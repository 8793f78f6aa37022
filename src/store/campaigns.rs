//! Campaigns, their milestones, target lists (members) and goal breakdowns.

use chrono::{NaiveDate, Utc};
use sqlx::Row;

use super::customers::{CustomerFilter, TierBasis};
use super::{Conn, Store, StoreResult, Tx, Value, bind_values, on_conn, on_db, on_tx};
use crate::domain::campaign::{CampaignKind, CampaignStatus, PhaseRules};
use crate::domain::segment::Dialect;

/// The plan (template 1) as stored. Money in fen.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Campaign {
    pub id: i64,
    pub name: String,
    pub kind: CampaignKind,
    pub status: CampaignStatus,
    pub theme: String,
    pub selling_points: String,
    pub segment: String,
    pub announced_on: NaiveDate,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub resource_support: String,
    pub goal_reached: i64,
    pub goal_intent: i64,
    pub goal_orders: i64,
    pub goal_sales_fen: i64,
    pub goal_roi: f64,
    pub lead_id: Option<i64>,
    pub marketing_id: Option<i64>,
    pub service_id: Option<i64>,
    pub collateral_needs: String,
    pub training_needs: String,
    pub resource_risks: String,
    pub budget_fen: i64,
    pub cost_items: String,
    pub notes: String,
    /// The marketing notice the plan was read from (may be empty).
    pub notice_text: String,
    /// The SOP template the campaign was started from.
    pub template_id: Option<i64>,
    /// The template's phase rules; `None` follows the team's.
    pub phase_rules: Option<PhaseRules>,
    pub version: i64,
}

const COLUMNS: &str = "id, name, kind, status, theme, selling_points, segment, announced_on, starts_on, ends_on, \
    resource_support, goal_reached, goal_intent, goal_orders, goal_sales_fen, goal_roi, lead_id, marketing_id, service_id, \
    collateral_needs, training_needs, resource_risks, budget_fen, cost_items, notes, notice_text, template_id, phase_rules, version";

/// The writable fields, in `COLUMNS` order after `id` (and before `version`).
const WRITABLE: [&str; 27] = [
    "name",
    "kind",
    "status",
    "theme",
    "selling_points",
    "segment",
    "announced_on",
    "starts_on",
    "ends_on",
    "resource_support",
    "goal_reached",
    "goal_intent",
    "goal_orders",
    "goal_sales_fen",
    "goal_roi",
    "lead_id",
    "marketing_id",
    "service_id",
    "collateral_needs",
    "training_needs",
    "resource_risks",
    "budget_fen",
    "cost_items",
    "notes",
    "notice_text",
    "template_id",
    "phase_rules",
];

macro_rules! campaign_from_row {
    ($row:expr) => {{
        let r = $row;
        Campaign {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            kind: super::decode(r.try_get("kind")?, "kind")?,
            status: super::decode(r.try_get("status")?, "status")?,
            theme: r.try_get("theme")?,
            selling_points: r.try_get("selling_points")?,
            segment: r.try_get("segment")?,
            announced_on: r.try_get("announced_on")?,
            starts_on: r.try_get("starts_on")?,
            ends_on: r.try_get("ends_on")?,
            resource_support: r.try_get("resource_support")?,
            goal_reached: r.try_get("goal_reached")?,
            goal_intent: r.try_get("goal_intent")?,
            goal_orders: r.try_get("goal_orders")?,
            goal_sales_fen: r.try_get("goal_sales_fen")?,
            goal_roi: r.try_get("goal_roi")?,
            lead_id: r.try_get("lead_id")?,
            marketing_id: r.try_get("marketing_id")?,
            service_id: r.try_get("service_id")?,
            collateral_needs: r.try_get("collateral_needs")?,
            training_needs: r.try_get("training_needs")?,
            resource_risks: r.try_get("resource_risks")?,
            budget_fen: r.try_get("budget_fen")?,
            cost_items: r.try_get("cost_items")?,
            notes: r.try_get("notes")?,
            notice_text: r.try_get("notice_text")?,
            template_id: r.try_get("template_id")?,
            phase_rules: r
                .try_get::<Option<String>, _>("phase_rules")?
                .map(|t| serde_json::from_str(&t))
                .transpose()
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            version: r.try_get("version")?,
        }
    }};
}

fn writable_values(c: &Campaign) -> Vec<Value> {
    vec![
        c.name.clone().into(),
        c.kind.as_str().into(),
        c.status.as_str().into(),
        c.theme.clone().into(),
        c.selling_points.clone().into(),
        c.segment.clone().into(),
        c.announced_on.into(),
        c.starts_on.into(),
        c.ends_on.into(),
        c.resource_support.clone().into(),
        c.goal_reached.into(),
        c.goal_intent.into(),
        c.goal_orders.into(),
        c.goal_sales_fen.into(),
        Value::Real(Some(c.goal_roi)),
        c.lead_id.into(),
        c.marketing_id.into(),
        c.service_id.into(),
        c.collateral_needs.clone().into(),
        c.training_needs.clone().into(),
        c.resource_risks.clone().into(),
        c.budget_fen.into(),
        c.cost_items.clone().into(),
        c.notes.clone().into(),
        c.notice_text.clone().into(),
        c.template_id.into(),
        c.phase_rules.map(|r| serde_json::to_string(&r).unwrap_or_default()).into(),
    ]
}

impl Store {
    pub async fn campaigns(&self) -> StoreResult<Vec<Campaign>> {
        let sql = format!("SELECT {COLUMNS} FROM campaigns ORDER BY starts_on DESC, id DESC");
        Ok(on_db!(self, pool => {
            let rows = sqlx::query(&sql).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                out.push(campaign_from_row!(row));
            }
            out
        }))
    }

    pub async fn campaign(&self, id: i64) -> StoreResult<Option<Campaign>> {
        campaign(self.acquire().await?.conn(), id).await
    }
}

/// One campaign, on the pool (`store.acquire()`) or inside a unit of work (`tx.conn()`).
pub async fn campaign(conn: Conn<'_>, id: i64) -> StoreResult<Option<Campaign>> {
    let sql = format!("SELECT {COLUMNS} FROM campaigns WHERE id = $1");
    Ok(on_conn!(conn, c => match sqlx::query(&sql).bind(id).fetch_optional(&mut *c).await? {
        Some(row) => Some(campaign_from_row!(&row)),
        None => None,
    }))
}

pub async fn insert_campaign(tx: &mut Tx, c: &Campaign, created_by: Option<i64>) -> StoreResult<i64> {
    let mut values = writable_values(c);
    let n = values.len();
    values.push(created_by.into());
    values.push(Utc::now().into());
    let placeholders: Vec<String> = (1..=n).map(|i| format!("${i}")).collect();
    let sql = format!(
        "INSERT INTO campaigns ({}, created_by, created_at, updated_at) VALUES ({}, ${}, ${}, ${}) RETURNING id",
        WRITABLE.join(", "),
        placeholders.join(", "),
        n + 1,
        n + 2,
        n + 2
    );
    Ok(on_tx!(tx, conn => bind_values(sqlx::query(&sql), &values).fetch_one(&mut **conn).await?.try_get::<i64, _>(0)?))
}

/// Writes every field if `version` is current; `false` otherwise.
pub async fn update_campaign(tx: &mut Tx, c: &Campaign, version: i64) -> StoreResult<bool> {
    let mut values = writable_values(c);
    let sets: Vec<String> = WRITABLE.iter().enumerate().map(|(i, col)| format!("{col} = ${}", i + 1)).collect();
    let n = values.len();
    values.push(Utc::now().into());
    values.push(c.id.into());
    values.push(version.into());
    let sql = format!(
        "UPDATE campaigns SET {}, version = version + 1, updated_at = ${} WHERE id = ${} AND version = ${}",
        sets.join(", "),
        n + 1,
        n + 2,
        n + 3
    );
    let changed =
        on_tx!(tx, conn => bind_values(sqlx::query(&sql), &values).execute(&mut **conn).await?.rows_affected());
    Ok(changed == 1)
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Milestone {
    pub key: String,
    pub planned_on: Option<NaiveDate>,
    pub done_on: Option<NaiveDate>,
}

impl Store {
    pub async fn milestones(&self, campaign_id: i64) -> StoreResult<Vec<Milestone>> {
        let sql = "SELECT key, planned_on, done_on FROM campaign_milestones WHERE campaign_id = $1";
        let rows: Vec<(String, Option<NaiveDate>, Option<NaiveDate>)> =
            on_db!(self, pool => sqlx::query_as(sql).bind(campaign_id).fetch_all(pool).await?);
        Ok(rows.into_iter().map(|(key, planned_on, done_on)| Milestone { key, planned_on, done_on }).collect())
    }

    /// The milestones of every campaign, by campaign (lists show all at once).
    pub async fn all_milestones(&self) -> StoreResult<std::collections::HashMap<i64, Vec<Milestone>>> {
        let sql = "SELECT campaign_id, key, planned_on, done_on FROM campaign_milestones";
        let rows: Vec<(i64, String, Option<NaiveDate>, Option<NaiveDate>)> =
            on_db!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?);
        let mut out: std::collections::HashMap<i64, Vec<Milestone>> = std::collections::HashMap::new();
        for (id, key, planned_on, done_on) in rows {
            out.entry(id).or_default().push(Milestone { key, planned_on, done_on });
        }
        Ok(out)
    }
}

pub async fn set_milestone(
    tx: &mut Tx,
    campaign_id: i64,
    key: &str,
    planned_on: Option<NaiveDate>,
    done_on: Option<NaiveDate>,
) -> StoreResult<()> {
    let sql = "INSERT INTO campaign_milestones (campaign_id, key, planned_on, done_on) VALUES ($1, $2, $3, $4) \
               ON CONFLICT (campaign_id, key) DO UPDATE SET planned_on = excluded.planned_on, done_on = excluded.done_on";
    on_tx!(tx, conn => sqlx::query(sql).bind(campaign_id).bind(key).bind(planned_on).bind(done_on).execute(&mut **conn).await?.rows_affected());
    Ok(())
}

/// A target-list entry as shown.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Member {
    pub customer_id: i64,
    pub customer_name: String,
    pub industry: String,
    pub region: String,
    pub annual_purchase_fen: i64,
    pub tier: String,
    pub outreach_rank: i32,
    pub assignee_id: Option<i64>,
    pub assignee_email: Option<String>,
    pub assignee_name: Option<String>,
    pub source: String,
    pub partner: Option<String>,
    /// The member's stage (targeted, contacted, intent, ordered, lost).
    pub stage: String,
    pub order_amount_fen: Option<i64>,
    pub lost_reason: Option<String>,
    pub next_action_on: Option<NaiveDate>,
    pub next_action: String,
    pub last_follow_up_at: Option<chrono::DateTime<Utc>>,
    /// The customer's first contact's phone and email, when the query asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<FirstContact>,
}

/// How to reach a member in one tap from the target list.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FirstContact {
    pub phone: String,
    pub email: String,
}

const FIRST_CONTACT_COLUMNS: &str = ", \
    COALESCE((SELECT k.phone FROM contacts k WHERE k.customer_id = c.id AND k.phone <> '' ORDER BY k.id LIMIT 1), '') AS contact_phone, \
    COALESCE((SELECT k.email FROM contacts k WHERE k.customer_id = c.id AND k.email <> '' ORDER BY k.id LIMIT 1), '') AS contact_email";

#[derive(Clone, Debug, Default)]
pub struct MemberQuery {
    /// Only this assignee's members (a rep sees their own part).
    pub assignee_id: Option<i64>,
    pub tier: Option<String>,
    /// Members with no assignee (the pool).
    pub unassigned: bool,
    /// Only members in this stage.
    pub stage: Option<String>,
    /// A rep's view: their own members plus the unassigned ones of their region.
    pub own_or_pool_of: Option<(i64, String)>,
    /// Keyset: members after this (rank, customer id).
    pub after: Option<(i32, i64)>,
    pub limit: i64,
    /// Also read each customer's first phone and email (the list page's 📞/✉).
    pub with_contact: bool,
}

/// The WHERE conditions of a member query's filters (not its page), on
/// `campaign_members m` alone: the list and its count share them, and the
/// count reads no customer (a condition on `c.` would break it).
fn member_conditions(campaign_id: i64, q: &MemberQuery, values: &mut Vec<Value>) -> Vec<String> {
    values.push(campaign_id.into());
    let mut conditions = vec![format!("m.campaign_id = ${}", values.len())];
    if let Some(a) = q.assignee_id {
        values.push(a.into());
        conditions.push(format!("m.assignee_id = ${}", values.len()));
    }
    if q.unassigned {
        conditions.push("m.assignee_id IS NULL".to_owned());
    }
    if let Some(t) = &q.tier {
        // A member's rank follows from its tier (both written once, when it
        // is added), so a tier is a range of the outreach-order index: the
        // page and its count read only that tier's index entries, not each
        // member's row for its tier.
        conditions.push(format!("m.outreach_rank IN ({})", ranks_of_tier(t)));
    }
    if let Some(st) = &q.stage {
        values.push(st.clone().into());
        conditions.push(format!("m.stage = ${}", values.len()));
        if st != "targeted" {
            // Spelled out so SQLite takes the partial stage index (migration 0028).
            conditions.push("m.stage <> 'targeted'".to_owned());
        }
    }
    if let Some((rep, region)) = &q.own_or_pool_of {
        values.push((*rep).into());
        let r = values.len();
        values.push(region.clone().into());
        let g = values.len();
        conditions.push(format!("(m.assignee_id = ${r} OR (m.assignee_id IS NULL AND m.region = ${g}))"));
    }
    conditions
}

/// The outreach ranks a tier's members have (see [`RANK_OF_TIER`]).
fn ranks_of_tier(tier: &str) -> &'static str {
    match tier {
        "S" => "0",
        "B" => "1, 2",
        "C" => "3",
        // No member has another tier.
        _ => "NULL",
    }
}

impl Store {
    /// Members in outreach order (rank, then customer).
    pub async fn members(&self, campaign_id: i64, q: &MemberQuery) -> StoreResult<Vec<Member>> {
        let mut values: Vec<Value> = Vec::new();
        let mut conditions = member_conditions(campaign_id, q, &mut values);
        if let Some((rank, customer)) = q.after {
            values.push(i64::from(rank).into());
            let r = values.len();
            values.push(customer.into());
            let c = values.len();
            conditions.push(format!("(m.outreach_rank > ${r} OR (m.outreach_rank = ${r} AND m.customer_id > ${c}))"));
        }
        values.push(q.limit.into());
        let sql = format!(
            "SELECT m.customer_id, c.name AS customer_name, c.industry, c.region, c.annual_purchase_fen, m.tier, \
             m.outreach_rank, m.assignee_id, u.email AS assignee_email, u.name AS assignee_name, m.source, m.partner, \
             m.stage, m.order_amount_fen, m.lost_reason, m.next_action_on, m.next_action, m.last_follow_up_at{} \
             FROM campaign_members m JOIN customers c ON c.id = m.customer_id LEFT JOIN users u ON u.id = m.assignee_id \
             WHERE {} ORDER BY m.outreach_rank, m.customer_id LIMIT ${}",
            if q.with_contact { FIRST_CONTACT_COLUMNS } else { "" },
            conditions.join(" AND "),
            values.len()
        );
        Ok(on_db!(self, pool => {
            let rows = bind_values(sqlx::query(&sql), &values).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(Member {
                    customer_id: r.try_get("customer_id")?,
                    customer_name: r.try_get("customer_name")?,
                    industry: r.try_get("industry")?,
                    region: r.try_get("region")?,
                    annual_purchase_fen: r.try_get("annual_purchase_fen")?,
                    tier: r.try_get("tier")?,
                    outreach_rank: r.try_get("outreach_rank")?,
                    assignee_id: r.try_get("assignee_id")?,
                    assignee_email: r.try_get("assignee_email")?,
                    assignee_name: r.try_get("assignee_name")?,
                    source: r.try_get("source")?,
                    partner: r.try_get("partner")?,
                    stage: r.try_get("stage")?,
                    order_amount_fen: r.try_get("order_amount_fen")?,
                    lost_reason: r.try_get("lost_reason")?,
                    next_action_on: r.try_get("next_action_on")?,
                    next_action: r.try_get("next_action")?,
                    last_follow_up_at: r.try_get("last_follow_up_at")?,
                    contact: if q.with_contact {
                        Some(FirstContact { phone: r.try_get("contact_phone")?, email: r.try_get("contact_email")? })
                    } else {
                        None
                    },
                });
            }
            out
        }))
    }

    /// How many members a query's filters match (its page aside), counting
    /// no further than `limit` when given: a list's total at 250,000 members
    /// without reading them all on every page.
    pub async fn count_members_matching(
        &self,
        campaign_id: i64,
        q: &MemberQuery,
        limit: Option<i64>,
    ) -> StoreResult<i64> {
        let mut values: Vec<Value> = Vec::new();
        let conditions = member_conditions(campaign_id, q, &mut values).join(" AND ");
        let sql = match limit {
            None => format!("SELECT COUNT(*) FROM campaign_members m WHERE {conditions}"),
            Some(limit) => format!(
                "SELECT COUNT(*) FROM (SELECT 1 FROM campaign_members m WHERE {conditions} LIMIT {limit}) matched"
            ),
        };
        Ok(on_db!(self, pool => bind_values(sqlx::query(&sql), &values).fetch_one(pool).await?.try_get::<i64, _>(0)?))
    }

    /// Members per (assignee, tier): the counts beside the target list.
    pub async fn member_counts(&self, campaign_id: i64) -> StoreResult<Vec<(Option<i64>, String, i64)>> {
        let sql = "SELECT assignee_id, tier, COUNT(*) FROM campaign_members WHERE campaign_id = $1 \
                   GROUP BY assignee_id, tier ORDER BY assignee_id, tier";
        Ok(on_db!(self, pool => sqlx::query_as(sql).bind(campaign_id).fetch_all(pool).await?))
    }
}

/// Adds the customers matching `filter` as members (each at most once), with
/// their tier as of `basis`, their outreach rank and an assignee: the owner,
/// else the first active rep of the customer's region, else none (the pool).
/// Members already on the list are left as they are. Returns how many were
/// added. One statement, so the list is built in the database.
pub async fn add_members_matching(
    tx: &mut Tx,
    store: &Store,
    campaign_id: i64,
    filter: &CustomerFilter,
    basis: &TierBasis,
    source: &str,
    partner: Option<&str>,
) -> StoreResult<u64> {
    let mut values: Vec<Value> = Vec::new();
    let tier = store.tier_expression(basis, &mut values);
    let condition = store.filter_condition(filter, basis, &mut values);
    values.push(campaign_id.into());
    let campaign = values.len();
    values.push(source.into());
    let source_p = values.len();
    values.push(store.now().into());
    let now = values.len();
    values.push(Value::Text(partner.map(str::to_owned)));
    let partner_p = values.len();
    // Anchored, the tier is two comparisons of the customer's columns, so the
    // rank repeats it and each member is written once (ranking after the
    // insert wrote all 250,000 members twice). The exact tier reads
    // interactions: it is computed once, and the new members, marked with
    // rank -1, are ranked after.
    let rank = if basis.anchored { format!("CASE {tier} {RANK_OF_TIER} END") } else { "-1".to_owned() };
    // In customer order the member indexes grow at their ends instead of
    // taking 250,000 inserts at random places (in the sqlite3 shell at a
    // million customers: 4.0 s of CPU → 2.2 s). PostgreSQL's buffers hold
    // them either way; a sort there would only cost.
    let order = match store.dialect() {
        Dialect::Sqlite => "ORDER BY c.id",
        Dialect::Postgres => "",
    };
    // The anti-join skips current members before anything is computed for
    // them, so a second run that adds nothing only reads; ON CONFLICT stays
    // for a concurrent run.
    let sql = format!(
        "INSERT INTO campaign_members (campaign_id, customer_id, tier, outreach_rank, assignee_id, source, partner, \
           added_at, assigned_at, region) \
         SELECT ${campaign}, c.id, {tier}, {rank}, \
           COALESCE(c.owner_id, (SELECT r.id FROM users r WHERE r.role = 'rep' AND r.active AND r.region = c.region ORDER BY r.id LIMIT 1)), \
           ${source_p}, ${partner_p}, ${now}, ${now}, c.region \
         FROM customers c WHERE {condition} \
           AND NOT EXISTS (SELECT 1 FROM campaign_members e WHERE e.campaign_id = ${campaign} AND e.customer_id = c.id) \
         {order} \
         ON CONFLICT (campaign_id, customer_id) DO NOTHING"
    );
    let added = on_tx!(tx, conn => bind_values(sqlx::query(&sql), &values).execute(&mut **conn).await?.rows_affected());
    if !basis.anchored && added > 0 {
        rank_new_members(tx, campaign_id).await?;
    }
    Ok(added)
}

/// Outreach order from a member's tier (the operand of a `CASE`): S, then B
/// with an inquiry newer than any order, then B, then C
/// (`domain::campaign::outreach_rank`, as SQL over `customers c`).
const RANK_OF_TIER: &str = "WHEN 'S' THEN 0 \
    WHEN 'B' THEN (CASE WHEN c.last_inquiry_on IS NOT NULL \
        AND (c.last_order_on IS NULL OR c.last_inquiry_on > c.last_order_on) THEN 1 ELSE 2 END) \
    ELSE 3";

/// Ranks the members just added with rank -1 (found through the order index).
async fn rank_new_members(tx: &mut Tx, campaign_id: i64) -> StoreResult<()> {
    let sql = format!(
        "UPDATE campaign_members SET outreach_rank = (SELECT CASE campaign_members.tier {RANK_OF_TIER} END \
           FROM customers c WHERE c.id = campaign_members.customer_id) \
         WHERE campaign_id = $1 AND outreach_rank = -1"
    );
    on_tx!(tx, conn => sqlx::query(&sql).bind(campaign_id).execute(&mut **conn).await?.rows_affected());
    Ok(())
}

pub async fn count_members(tx: &mut Tx, campaign_id: i64) -> StoreResult<i64> {
    let sql = "SELECT COUNT(*) FROM campaign_members WHERE campaign_id = $1";
    Ok(on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(sql).bind(campaign_id).fetch_one(&mut **conn).await?))
}

/// A breakdown row (template 2) as stored.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct BreakdownRow {
    pub assignee_id: Option<i64>,
    pub assignee_email: Option<String>,
    pub region: String,
    pub target_customers: i64,
    pub expected_conversion: f64,
    pub sales_target_fen: i64,
    pub key_customers: String,
    pub resource_needs: String,
}

impl Store {
    pub async fn breakdown(&self, campaign_id: i64) -> StoreResult<Vec<BreakdownRow>> {
        let sql = "SELECT b.assignee_id, u.email, b.region, b.target_customers, b.expected_conversion, b.sales_target_fen, \
                   b.key_customers, b.resource_needs FROM campaign_breakdown b LEFT JOIN users u ON u.id = b.assignee_id \
                   WHERE b.campaign_id = $1 ORDER BY b.position";
        type Row = (Option<i64>, Option<String>, String, i64, f64, i64, String, String);
        let rows: Vec<Row> = on_db!(self, pool => sqlx::query_as(sql).bind(campaign_id).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|r| BreakdownRow {
                assignee_id: r.0,
                assignee_email: r.1,
                region: r.2,
                target_customers: r.3,
                expected_conversion: r.4,
                sales_target_fen: r.5,
                key_customers: r.6,
                resource_needs: r.7,
            })
            .collect())
    }
}

pub async fn replace_breakdown(tx: &mut Tx, campaign_id: i64, rows: &[BreakdownRow]) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query("DELETE FROM campaign_breakdown WHERE campaign_id = $1").bind(campaign_id).execute(&mut **conn).await?.rows_affected());
    let sql = "INSERT INTO campaign_breakdown (campaign_id, position, assignee_id, region, target_customers, \
               expected_conversion, sales_target_fen, key_customers, resource_needs) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    for (position, r) in rows.iter().enumerate() {
        on_tx!(tx, conn => sqlx::query(sql)
            .bind(campaign_id)
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .bind(r.assignee_id)
            .bind(&r.region)
            .bind(r.target_customers)
            .bind(r.expected_conversion)
            .bind(r.sales_target_fen)
            .bind(&r.key_customers)
            .bind(&r.resource_needs)
            .execute(&mut **conn)
            .await?
            .rows_affected());
    }
    Ok(())
}

/// A campaign whose review is held, with the numbers frozen then.
#[derive(Clone, Debug)]
pub struct ReviewedCampaign {
    pub campaign: Campaign,
    /// JSON [`crate::domain::review::Snapshot`].
    pub snapshot: String,
    pub held_on: Option<NaiveDate>,
}

/// Which reviewed campaigns to read.
#[derive(Clone, Debug, Default)]
pub struct ReviewedQuery<'a> {
    pub kind: Option<&'a str>,
    pub exclude: Option<i64>,
    /// Ended on or after.
    pub ended_from: Option<NaiveDate>,
    /// Ended before.
    pub ended_before: Option<NaiveDate>,
}

impl Store {
    /// Reviewed campaigns with their frozen numbers, the latest end first.
    pub async fn reviewed_campaigns(&self, q: &ReviewedQuery<'_>) -> StoreResult<Vec<ReviewedCampaign>> {
        let mut conditions = vec!["k.status = 'reviewed'".to_owned(), "r.snapshot IS NOT NULL".to_owned()];
        let mut values: Vec<Value> = Vec::new();
        let mut add = |condition: &str, v: Value, values: &mut Vec<Value>| {
            values.push(v);
            conditions.push(condition.replace('?', &format!("${}", values.len())));
        };
        if let Some(k) = q.kind {
            add("k.kind = ?", k.into(), &mut values);
        }
        if let Some(id) = q.exclude {
            add("k.id <> ?", id.into(), &mut values);
        }
        if let Some(d) = q.ended_from {
            add("k.ends_on >= ?", d.into(), &mut values);
        }
        if let Some(d) = q.ended_before {
            add("k.ends_on < ?", d.into(), &mut values);
        }
        let columns: Vec<String> = COLUMNS.split(", ").map(|c| format!("k.{}", c.trim())).collect();
        let sql = format!(
            "SELECT {}, r.snapshot AS frozen, r.held_on AS held_on FROM campaigns k \
             JOIN campaign_reviews r ON r.campaign_id = k.id WHERE {} ORDER BY k.ends_on DESC, k.id DESC",
            columns.join(", "),
            conditions.join(" AND ")
        );
        Ok(on_db!(self, pool => {
            let rows = bind_values(sqlx::query(&sql), &values).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                out.push(ReviewedCampaign {
                    campaign: campaign_from_row!(row),
                    snapshot: row.try_get("frozen")?,
                    held_on: row.try_get("held_on")?,
                });
            }
            out
        }))
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::ranks_of_tier;
    use crate::domain::campaign::outreach_rank;
    use crate::domain::segment::Tier;

    /// A tier filter reads ranks (`ranks_of_tier`): every rank a member of
    /// a tier can get is among its tier's, and among no other tier's.
    #[test]
    fn a_tiers_ranks_are_the_ranks_its_members_get() {
        let (early, late) = (NaiveDate::from_ymd_opt(2026, 1, 5), NaiveDate::from_ymd_opt(2026, 3, 9));
        let histories = [(None, None), (early, None), (None, early), (early, late), (late, early)];
        for tier in Tier::ALL {
            for (inquiry, order) in histories {
                let rank = outreach_rank(tier, inquiry, order).to_string();
                for other in Tier::ALL {
                    let listed = ranks_of_tier(other.as_str()).split(", ").any(|r| r == rank);
                    assert_eq!(listed, other == tier, "rank {rank} of a {tier} member, filtered as {other}");
                }
            }
        }
        assert_eq!(ranks_of_tier("X"), "NULL", "no member has another tier");
    }
}
