//! The segment language against real databases: for random customers and
//! random expressions, SQLite and PostgreSQL return exactly what the
//! in-memory evaluator says, in both tier modes.

use std::collections::HashMap;

use rally::domain::customer::{Channel, InteractionKind};
use rally::domain::segment::testgen::{self, OWNER_EMAILS};
use rally::domain::segment::{self, Tier};
use rally::store::customers::{
    CustomerFilter, CustomerScope, NewCustomer, NewInteraction, TierBasis, insert_customers, refresh_activity,
};

use crate::backend_test;
use crate::helpers::TestApp;

const WORLDS: u64 = 8;
const CUSTOMERS: usize = 40;
const EXPRESSIONS: u64 = 60;

async fn load_world(app: &TestApp, world: &testgen::World, owners: &HashMap<String, i64>) -> Vec<i64> {
    let mut tx = app.store.begin().await.unwrap();
    match &mut tx {
        rally::store::Tx::Sqlite(t) => sqlx::query("DELETE FROM customers").execute(&mut **t).await.map(|_| ()),
        rally::store::Tx::Postgres(t) => sqlx::query("DELETE FROM customers").execute(&mut **t).await.map(|_| ()),
    }
    .unwrap();
    let rows: Vec<NewCustomer> = world
        .customers
        .iter()
        .map(|f| NewCustomer {
            name: f.name.clone(),
            name_key: f.name.clone(),
            industry: f.industry.clone(),
            region: f.region.clone(),
            city: f.city.clone(),
            annual_purchase_fen: f.annual_purchase_fen,
            owner_id: f.owner_email.as_ref().map(|e| owners[&e.to_lowercase()]),
            source: f.source.clone(),
            tags: f.tags.clone(),
            interactions: f
                .interactions
                .iter()
                .map(|(date, kind)| NewInteraction {
                    occurred_on: *date,
                    occurred_at: None,
                    channel: Channel::Phone,
                    kind: *kind,
                    note: String::new(),
                    amount_fen: (*kind == InteractionKind::Order).then_some(100_000),
                    created_by: None,
                })
                .collect(),
            ..Default::default()
        })
        .collect();
    let ids = insert_customers(&mut tx, rows).await.unwrap();
    refresh_activity(&mut tx, None, i64::from(world.rules.s_min_interactions)).await.unwrap();
    tx.commit().await.unwrap();
    ids
}

backend_test!(segments_agree_with_the_evaluator, |app| {
    let mut owners = HashMap::new();
    for email in OWNER_EMAILS {
        let user = app.user(email, "rep", Some("华南")).await;
        owners.insert(email.to_lowercase(), user.id);
    }
    // Expressions that select some customers but not all: if the generator
    // ever degenerates into "everything" or "nothing", the agreement above
    // would prove little, so too few of them fails the test.
    let mut selective = 0;
    for seed in 0..WORLDS {
        let world = testgen::random_world(seed, seed % 2 == 0, CUSTOMERS);
        let ids = load_world(&app, &world, &owners).await;
        let position: HashMap<i64, i64> = ids.iter().enumerate().map(|(i, id)| (*id, i as i64 + 1)).collect();
        let basis = TierBasis { as_of: world.as_of, rules: world.rules, anchored: world.anchored };

        let all =
            app.store.list_customers(&CustomerFilter::scope(CustomerScope::All), &basis, None, 10_000).await.unwrap();
        let tiers: Vec<Tier> = all
            .iter()
            .map(|c| match c.tier.as_str() {
                "S" => Tier::S,
                "B" => Tier::B,
                _ => Tier::C,
            })
            .collect();
        assert_eq!(tiers, world.expected_tiers(), "tiers of world {seed}");

        for n in 0..EXPRESSIONS {
            let expr = testgen::random_expr(seed * 1_000 + n, 4);
            // What the user would type round-trips to the same filter.
            let reparsed = segment::parse(&expr.to_string()).unwrap();
            let filter = CustomerFilter { segment: Some(reparsed), ..CustomerFilter::scope(CustomerScope::All) };
            let found = app.store.list_customers(&filter, &basis, None, 10_000).await.unwrap();
            let got: Vec<i64> = found.iter().map(|c| position[&c.id]).collect();
            assert_eq!(got, world.expected(&expr), "world {seed}, anchored {}: {expr}", world.anchored);
            assert_eq!(app.store.count_matching(&filter, &basis).await.unwrap(), got.len() as i64, "{expr}");
            if !got.is_empty() && got.len() < CUSTOMERS {
                selective += 1;
            }
        }
        // The shape an exact count adds up from parts (`segment::count_parts`).
        for days in [10, 60, 90, 400] {
            let text = format!("tier in [\"S\", \"B\"] and last_inquiry within {days}d");
            for expr in
                [segment::parse(&text).unwrap(), segment::parse(&text).unwrap().and(testgen::random_expr(seed, 2))]
            {
                let filter =
                    CustomerFilter { segment: Some(expr.clone()), ..CustomerFilter::scope(CustomerScope::All) };
                let count = app.store.count_matching(&filter, &basis).await.unwrap();
                assert_eq!(count, world.expected(&expr).len() as i64, "world {seed}: {expr}");
            }
        }
    }
    assert!(selective * 4 >= WORLDS * EXPRESSIONS, "only {selective} of the random segments selected a strict subset");
});

/// Counts one test on a kept column from the kept counts, and checks them
/// against the customers (`integrity_problems`) after every kind of write.
async fn assert_single_tests_counted(app: &TestApp, world: &testgen::World, seed: u64) -> usize {
    let basis = TierBasis { as_of: world.as_of, rules: world.rules, anchored: world.anchored };
    let ctx = segment::SqlContext {
        dialect: app.store.dialect(),
        as_of: world.as_of,
        rules: world.rules,
        first_param: 1,
        anchored: world.anchored,
    };
    let mut kept = 0;
    for n in 0..EXPRESSIONS {
        // One test, or two joined by `and` (a range when both are on one date).
        let expr = match n % 2 {
            0 => testgen::random_expr(seed * 1_000 + n, 0),
            _ => testgen::random_expr(seed * 1_000 + n, 0).and(testgen::random_expr(seed * 1_000 + n + 7, 0)),
        };
        kept += usize::from(segment::kept_count(&expr, &ctx).is_some());
        let filter = CustomerFilter { segment: Some(expr.clone()), ..CustomerFilter::scope(CustomerScope::All) };
        let listed = app.store.list_customers(&filter, &basis, None, 10_000).await.unwrap().len() as i64;
        assert_eq!(app.store.count_matching(&filter, &basis).await.unwrap(), listed, "world {seed}: {expr}");
    }
    assert_eq!(app.store.integrity_problems().await.unwrap(), Vec::<String>::new(), "world {seed}");
    kept
}

const ROWS_AND_VALUES: &str = "SELECT COUNT(*), COUNT(DISTINCT dimension || '/' || value) FROM customer_counts";

async fn execute(app: &TestApp, sql: &str) {
    let mut tx = app.store.begin().await.unwrap();
    match &mut tx {
        rally::store::Tx::Sqlite(t) => sqlx::query(sql).execute(&mut **t).await.map(|_| ()),
        rally::store::Tx::Postgres(t) => sqlx::query(sql).execute(&mut **t).await.map(|_| ()),
    }
    .unwrap();
    tx.commit().await.unwrap();
}

backend_test!(kept_counts_follow_every_write, |app| {
    let mut owners = HashMap::new();
    for email in OWNER_EMAILS {
        let user = app.user(email, "rep", Some("华南")).await;
        owners.insert(email.to_lowercase(), user.id);
    }
    let mut kept = 0;
    for seed in 0..4 {
        // A bulk insert, then the activity columns written for all (one UPDATE).
        let world = testgen::random_world(seed, true, CUSTOMERS);
        let ids = load_world(&app, &world, &owners).await;
        kept += assert_single_tests_counted(&app, &world, seed).await;
        // Edits of counted and uncounted columns, one customer and many.
        execute(&app, &format!("UPDATE customers SET region = '华北' WHERE id = {}", ids[0])).await;
        execute(&app, &format!("UPDATE customers SET industry = region, name = name || '!' WHERE id <= {}", ids[9]))
            .await;
        execute(&app, "UPDATE customers SET city = 'x'").await;
        // History added and taken away, and the activity columns refreshed.
        let mut tx = app.store.begin().await.unwrap();
        rally::store::customers::refresh_activity(&mut tx, Some(&ids[..5]), 0).await.unwrap();
        tx.commit().await.unwrap();
        execute(&app, &format!("DELETE FROM interactions WHERE customer_id IN ({}, {})", ids[1], ids[2])).await;
        let mut tx = app.store.begin().await.unwrap();
        let s_min = i64::from(world.rules.s_min_interactions);
        rally::store::customers::refresh_activity(&mut tx, Some(&ids), s_min).await.unwrap();
        tx.commit().await.unwrap();
        // Customers deleted.
        execute(&app, &format!("DELETE FROM customers WHERE id IN ({}, {})", ids[3], ids[4])).await;
        assert_eq!(app.store.integrity_problems().await.unwrap(), Vec::<String>::new(), "world {seed} after writes");
        // Folding changes no count (PostgreSQL; nothing to fold on SQLite).
        // The server's own fold may run beside the test's, so only the
        // outcome is asserted: one row per value, the same counts.
        app.store.fold_customer_counts().await.unwrap();
        assert_eq!(app.store.integrity_problems().await.unwrap(), Vec::<String>::new(), "world {seed} folded");
        let (rows, values) = match &mut app.store.begin_read().await.unwrap() {
            rally::store::Tx::Sqlite(t) => sqlx::query_as::<_, (i64, i64)>(ROWS_AND_VALUES).fetch_one(&mut **t).await,
            rally::store::Tx::Postgres(t) => sqlx::query_as::<_, (i64, i64)>(ROWS_AND_VALUES).fetch_one(&mut **t).await,
        }
        .unwrap();
        assert_eq!(rows, values, "world {seed}: a value's rows are folded into one");
    }
    assert!(kept >= 20, "only {kept} filters were kept counts");
});
