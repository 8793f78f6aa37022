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
use rally::config::DatabaseUrl;
use rally::domain::customer::{Channel, InteractionKind};
use rally::ops;
use rally::store::Store;
use rally::store::customers::{NewCustomer, NewInteraction, insert_customers, refresh_activity};

const REGIONS: [&str; 7] = ["华东", "华南", "华北", "华中", "西南", "西北", "东北"];
const INDUSTRIES: [&str; 8] = ["制造业", "零售", "建筑", "电子", "连锁", "医疗器械", "物流", "化工"];

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i.min(samples.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

async fn time_get(client: &reqwest::Client, url: &str, token: Option<&str>, runs: usize) -> (Duration, Duration) {
    let mut samples = Vec::with_capacity(runs);
    for i in 0..runs + 3 {
        let mut request = client.get(url);
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        let started = Instant::now();
        let response = request.send().await.expect("request");
        let status = response.status();
        let _ = response.bytes().await.expect("body");
        assert!(status.is_success(), "{url}: {status}");
        if i >= 3 {
            samples.push(started.elapsed());
        }
    }
    (percentile(&mut samples, 0.5), percentile(&mut samples, 0.95))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = arg("--customers").map_or(Ok(200_000), |v| v.parse())?;
    let url = arg("--database-url").unwrap_or_else(|| {
        let path = std::env::temp_dir().join(format!("rally-bench-{}.db", std::process::id()));
        format!("sqlite://{}", path.display())
    });
    let store = Store::open_and_migrate(&DatabaseUrl::parse(&url)?).await?;
    anyhow::ensure!(store.count_customers().await? == 0, "the database must be empty");
    println!("backend: {} · customers: {n}", store.backend_name());

    // The team: a lead and a rep per region.
    let add = |email: &str, role: &str, region: Option<&str>| ops::users::AddUser {
        email: email.to_owned(),
        name: email.to_owned(),
        role: role.to_owned(),
        region: region.map(str::to_owned),
        password: "bench password".to_owned(),
    };
    ops::users::add_user(&store, None, add("lead@bench.example", "lead", None)).await?;
    let mut reps = Vec::new();
    for (i, region) in REGIONS.iter().enumerate() {
        reps.push(
            ops::users::add_user(&store, None, add(&format!("rep{i}@bench.example"), "rep", Some(region))).await?,
        );
    }
    let today = rally::clock::today();

    // Customers: exactly a quarter are 制造业 or 零售 (industry = i mod 8); one
    // to four interactions each across the last half year.
    let started = Instant::now();
    let chunk = 10_000;
    for start in (0..n).step_by(chunk) {
        let rows: Vec<NewCustomer> = (start..(start + chunk).min(n))
            .map(|i| {
                let region = i % 7;
                let interactions = (0..(i % 5))
                    .map(|k| NewInteraction {
                        occurred_on: today
                            .checked_sub_days(Days::new(((i * 7 + k * 13) % 180) as u64))
                            .unwrap_or(today),
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
            .collect();
        let mut tx = store.begin().await?;
        insert_customers(&mut tx, rows).await?;
        tx.commit().await?;
    }
    let mut tx = store.begin().await?;
    refresh_activity(&mut tx, None, 3).await?;
    tx.commit().await?;
    // What housekeeping and every import do after bulk changes.
    store.optimize().await?;
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
