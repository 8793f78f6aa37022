//! Rerunnable benchmark of the customer-base and planning targets (issue
//! figures in BENCHMARKS.md): segment counts through the API, the customer
//! list page, target-list generation and the breakdown proposal.
//!
//! `cargo run --release --example bench_planning -- [--customers 200000] [--database-url URL]`
//! The database must be new (a fresh SQLite path or an empty PostgreSQL
//! database); `bench/planning.sh` makes both.

use std::time::{Duration, Instant};

use chrono::Days;
use rally::app::{AppConfig, AppState};
use rally::domain::customer::{Channel, InteractionKind};
use rally::ops;
use rally::store::customers::{NewCustomer, NewInteraction};

mod common;

use common::{REGIONS, arg_or, bench_team, empty_store, get_ok, load_customers, ms, percentile, timed};

const INDUSTRIES: [&str; 8] = ["制造业", "零售", "建筑", "电子", "连锁", "医疗器械", "物流", "化工"];

async fn time_get(client: &reqwest::Client, url: &str, token: Option<&str>, runs: usize) -> (Duration, Duration) {
    let mut samples = timed(runs, || get_ok(client, url, token)).await;
    (percentile(&mut samples, 0.5), percentile(&mut samples, 0.95))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = arg_or("--customers", 200_000)?;
    let store = empty_store("planning").await?;
    println!("backend: {} · customers: {n}", store.backend_name());

    // The team: a lead and a rep per region.
    let reps: Vec<i64> = bench_team(&store, REGIONS.len()).await?.into_iter().map(|(id, _)| id).collect();
    let today = rally::clock::today();

    // Customers: exactly a quarter are 制造业 or 零售 (industry = i mod 8); one
    // to four interactions each across the last half year.
    let started = Instant::now();
    load_customers(&store, n, |i| {
        let region = i % 7;
        let interactions = (0..(i % 5))
            .map(|k| NewInteraction {
                occurred_on: today.checked_sub_days(Days::new(((i * 7 + k * 13) % 180) as u64)).unwrap_or(today),
                occurred_at: None,
                channel: Channel::Phone,
                kind: if (i + k) % 6 == 0 { InteractionKind::Inquiry } else { InteractionKind::Call },
                note: String::new(),
                amount_fen: None,
                created_by: None,
            })
            .collect();
        NewCustomer {
            name: format!("基准客户{i:07}有限公司"),
            name_key: format!("基准客户{i:07}"),
            industry: INDUSTRIES[i % 8].to_owned(),
            region: REGIONS[region].to_owned(),
            city: "城市".to_owned(),
            annual_purchase_fen: ((i % 1000) as i64 + 1) * 1_000_000,
            owner_id: (i % 7 != 0).then(|| reps[region]),
            source: "import".to_owned(),
            interactions,
            ..Default::default()
        }
    })
    .await?;
    println!("loaded in {:.1} s (setup, not a target)", started.elapsed().as_secs_f64());

    // The real server on a loopback port.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let state = AppState::new(store.clone(), AppConfig::default());
    tokio::spawn(rally::app::serve(listener, state, std::future::pending()));
    let token = ops::users::create_token(&store, "lead@bench.example", "bench").await?;
    let client = reqwest::Client::builder().cookie_store(true).build()?;
    let base = format!("http://{addr}");
    let enc = |s: &str| rally::web::session::urlencode(s);

    println!("\n| measurement | p50 | p95 |\n|---|---|---|");
    for (label, segment) in [
        ("segment count: region (indexed)", "region = \"华东\""),
        ("segment count: tier = S (as days pass)", "tier = \"S\""),
        (
            "segment count: the PRODUCT.md segment",
            "region = \"华东\" and industry = \"制造业\" and annual_purchase > 500万",
        ),
        ("segment count: 制造业 or 零售 (a quarter)", "industry in [\"制造业\", \"零售\"]"),
        ("segment count: tier in S,B and inquiry within 90d", "tier in [\"S\", \"B\"] and last_inquiry within 90d"),
    ] {
        let url = format!("{base}/api/v1/segments/count?segment={}", enc(segment));
        let (p50, p95) = time_get(&client, &url, Some(&token), 30).await;
        println!("| {label} (API) | {} | {} |", ms(p50), ms(p95));
    }

    // The list page, signed in through the form like a browser.
    let login = client.get(format!("{base}/login")).send().await?.text().await?;
    let csrf =
        login.split("name=\"csrf\" value=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or_default().to_owned();
    client
        .post(format!("{base}/login"))
        .form(&[("csrf", csrf.as_str()), ("email", "lead@bench.example"), ("password", "bench password")])
        .send()
        .await?;
    let (p50, p95) = time_get(&client, &format!("{base}/customers"), None, 50).await;
    println!("| customer list page (HTML, 50 rows + total) | {} | {} |", ms(p50), ms(p95));
    let (p50, p95) = time_get(&client, &format!("{base}/customers?region={}", enc("华东")), None, 50).await;
    println!("| customer list page filtered by region | {} | {} |", ms(p50), ms(p95));
    let (p50, p95) = time_get(&client, &format!("{base}/api/v1/customers?limit=50"), Some(&token), 50).await;
    println!("| customer list API (50 items + total) | {} | {} |", ms(p50), ms(p95));

    // Target-list generation: a quarter of the base, in one statement.
    let lead = store.user_by_email("lead@bench.example").await?.expect("lead");
    let actor: ops::authz::Actor = lead.into();
    let fields = ops::campaigns::CampaignFields {
        name: Some("基准活动".to_owned()),
        kind: Some("new_product".to_owned()),
        segment: Some("industry in [\"制造业\", \"零售\"]".to_owned()),
        announced_on: Some(today),
        starts_on: Some(today),
        ends_on: today.checked_add_days(Days::new(20)),
        goal_intent: Some(30),
        goal_orders: Some(15),
        ..Default::default()
    };
    let id = ops::campaigns::create(&store, &actor, fields).await?;
    let started = Instant::now();
    let (added, total) = ops::campaigns::members::generate_members(&store, &actor, id).await?;
    let took = started.elapsed();
    anyhow::ensure!(added as usize == n / 4 && total as usize == n / 4, "expected {} members, got {added}", n / 4);
    println!("| generate target list ({added} of {n} customers) | {} | (one run) |", ms(took));
    let started = Instant::now();
    let (again, _) = ops::campaigns::members::generate_members(&store, &actor, id).await?;
    println!("| generate again (adds {again}) | {} | (one run) |", ms(started.elapsed()));

    let url = format!("{base}/api/v1/campaigns/{id}/breakdown");
    let (p50, p95) = time_get(&client, &url, Some(&token), 20).await;
    println!("| breakdown proposal (API, {} members) | {} | {} |", total, ms(p50), ms(p95));
    Ok(())
}
