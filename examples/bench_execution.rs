//! Rerunnable benchmark of the execution targets (issue 10, figures in
//! BENCHMARKS.md): saving follow-ups through the API with 32 concurrent
//! clients on a campaign of 50,000 members, then progress, the stand-up and
//! a rep's day on that campaign once it holds 200,000 follow-ups.
//!
//! `cargo run --release --example bench_execution -- [--members 50000] [--follow-ups 200000] [--clients 32] [--database-url URL]`
//! The database must be new; `bench/execution.sh` makes a fresh SQLite file
//! and a throwaway PostgreSQL cluster.

use std::time::{Duration, Instant};

use chrono::Days;
use rally::app::{AppConfig, AppState};
use rally::domain::customer::{Channel, InteractionKind};
use rally::ops;
use rally::store::customers::{NewCustomer, NewInteraction};

mod common;

use common::{
    REGIONS, arg_or, bench_team, empty_store, follow_up_body, get_ok, load, load_customers, ms, percentile, timed,
};

async fn time_get(client: &reqwest::Client, url: &str, token: &str, runs: usize) -> (Duration, Duration, Duration) {
    let mut samples = timed(runs, || get_ok(client, url, Some(token))).await;
    (percentile(&mut samples, 0.5), percentile(&mut samples, 0.95), percentile(&mut samples, 0.99))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let members: usize = arg_or("--members", 50_000)?;
    let follow_ups: usize = arg_or("--follow-ups", 200_000)?;
    let clients: usize = arg_or("--clients", 32)?;
    let store = empty_store("exec").await?;
    println!("backend: {} · members: {members} · follow-ups: {follow_ups} · clients: {clients}", store.backend_name());

    // The team: a lead and one rep per client, spread over the regions.
    let reps = bench_team(&store, clients).await?;
    let today = rally::clock::today();

    // Customers, all 制造业, each owned by one rep (in the rep's region), a
    // third with enough recent activity to be tier S.
    let started = Instant::now();
    load_customers(&store, members, |i| {
        let rep = i % clients;
        let interactions = (0..(i % 4))
            .map(|k| NewInteraction {
                occurred_on: today.checked_sub_days(Days::new(((i + k * 9) % 50) as u64 + 5)).unwrap_or(today),
                occurred_at: None,
                channel: Channel::Phone,
                kind: if (i + k) % 5 == 0 { InteractionKind::Inquiry } else { InteractionKind::Call },
                note: String::new(),
                amount_fen: None,
                created_by: None,
            })
            .collect();
        NewCustomer {
            name: format!("跟进基准客户{i:07}有限公司"),
            name_key: format!("跟进基准客户{i:07}"),
            industry: "制造业".to_owned(),
            region: REGIONS[rep % 7].to_owned(),
            city: "城市".to_owned(),
            annual_purchase_fen: 800_000_000,
            owner_id: Some(reps[rep].0),
            source: "import".to_owned(),
            interactions,
            ..Default::default()
        }
    })
    .await?;

    // The campaign: started 20 days ago, its list generated and active
    // (every member gets its playbook tasks).
    let lead: ops::authz::Actor = store.user_by_email("lead@bench.example").await?.expect("lead").into();
    let start_day = today.checked_sub_days(Days::new(20)).unwrap_or(today);
    let fields = ops::campaigns::CampaignFields {
        name: Some("跟进基准活动".to_owned()),
        kind: Some("new_product".to_owned()),
        segment: Some("industry = \"制造业\"".to_owned()),
        announced_on: start_day.checked_sub_days(Days::new(2)),
        starts_on: Some(start_day),
        ends_on: today.checked_add_days(Days::new(10)),
        goal_reached: Some(40_000),
        goal_intent: Some(10_000),
        goal_orders: Some(3_000),
        ..Default::default()
    };
    let id = ops::campaigns::create(&store, &lead, fields).await?;
    let (added, _) = ops::campaigns::members::generate_members(&store, &lead, id).await?;
    anyhow::ensure!(added as usize == members, "expected {members} members, got {added}");
    let active = ops::campaigns::CampaignFields { status: Some("active".to_owned()), ..Default::default() };
    ops::campaigns::update(&store, &lead, id, None, active).await?;
    store.optimize().await?;
    println!("set up in {:.1} s (not a target)", started.elapsed().as_secs_f64());

    // The real server on a loopback port.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let state = AppState::new(store.clone(), AppConfig::default());
    tokio::spawn(rally::app::serve(listener, state, std::future::pending()));
    let base = format!("http://{addr}");
    let lead_token = ops::users::create_token(&store, "lead@bench.example", "bench").await?;

    // Each client is a rep posting follow-ups on its own members in turn,
    // dated over the campaign's days so far.
    let client = reqwest::Client::builder().pool_max_idle_per_host(clients).build()?;
    let per_client = follow_ups / clients;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (c, (_, email)) in reps.iter().enumerate() {
        let token = ops::users::create_token(&store, email, "bench").await?;
        let mine: Vec<i64> = (0..members).filter(|i| i % clients == c).map(|i| i as i64 + 1).collect();
        let client = client.clone();
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_client);
            let mut failures = 0usize;
            for k in 0..per_client {
                let customer = mine[k % mine.len()];
                let days_back = ((k / mine.len()) * 5 + k % 5) % 20;
                let at = chrono::Utc::now() - chrono::Duration::days(days_back as i64) - chrono::Duration::minutes(5);
                let body = follow_up_body(at, k);
                let url = format!("{base}/api/v1/campaigns/{id}/members/{customer}/follow-ups");
                let sent = Instant::now();
                let response = client.post(&url).bearer_auth(&token).json(&body).send().await;
                match response {
                    Ok(r) if r.status().as_u16() == 201 => {
                        let _ = r.bytes().await;
                        latencies.push(sent.elapsed());
                    }
                    Ok(r) => {
                        failures += 1;
                        if failures <= 3 {
                            let status = r.status();
                            eprintln!("{status}: {}", r.text().await.unwrap_or_default());
                        }
                    }
                    Err(e) => {
                        failures += 1;
                        eprintln!("{e}");
                    }
                }
            }
            (latencies, failures)
        }));
    }
    let mut all = Vec::new();
    let mut failures = 0;
    for t in tasks {
        let (l, f) = t.await?;
        all.extend(l);
        failures += f;
    }
    let took = started.elapsed();
    let done = all.len();
    let rate = done as f64 / took.as_secs_f64();
    let p50 = percentile(&mut all, 0.5);
    let p95 = percentile(&mut all, 0.95);
    let p99 = percentile(&mut all, 0.99);
    println!("\nload average (1, 5, 15 min) after the saves: {}", load());
    println!("\n| measurement | result |\n|---|---|");
    println!(
        "| save a follow-up (API, {clients} clients): {done} in {:.1} s, {failures} failed | {rate:.0} per second; p50 {}, p95 {}, p99 {} |",
        took.as_secs_f64(),
        ms(p50),
        ms(p95),
        ms(p99)
    );
    store.optimize().await?;

    // Reads on the campaign as it is now (members × follow-ups).
    let client = reqwest::Client::new();
    let reads = [
        (
            format!("progress (API, {members} members, {done} follow-ups saved)"),
            format!("{base}/api/v1/campaigns/{id}/progress"),
        ),
        ("stand-up, today (API)".to_owned(), format!("{base}/api/v1/campaigns/{id}/standup")),
        (
            format!("a rep's day (API, {} members)", members / clients),
            format!("{base}/api/v1/me/day?rep={}", rally::web::session::urlencode(&reps[0].1)),
        ),
    ];
    for (what, url) in reads {
        let (p50, p95, p99) = time_get(&client, &url, &lead_token, 30).await;
        println!("| {what} | p50 {}, p95 {}, p99 {} |", ms(p50), ms(p95), ms(p99));
    }
    println!("\nload average (1, 5, 15 min) after the reads: {}", load());
    Ok(())
}
