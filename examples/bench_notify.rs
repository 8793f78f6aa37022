//! Rerunnable benchmark of the notification queue (issue 11, figures in
//! BENCHMARKS.md): how many jobs a second the queue moves to a fast local
//! webhook receiver (one worker, then two workers on one database), and how
//! long claiming one job takes with 100,000 queued.
//!
//! `cargo run --release --example bench_notify -- [--jobs 20000] [--queued 100000] [--database-url URL]`
//! The database must be new; `bench/notify.sh` makes a fresh SQLite file and
//! a throwaway PostgreSQL cluster.

use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use chrono::{NaiveDate, NaiveTime};
use rally::clock::Clock;
use rally::config::DatabaseUrl;
use rally::domain::notify::EventKind;
use rally::domain::notify::render::{EventData, Params};
use rally::domain::notify::schedule::at_local;
use rally::ops;
use rally::ops::notify::channels::ChannelInput;
use rally::ops::notify::queue::{Worker, run};
use rally::ops::notify::{Context, Event, emit};
use rally::store::Store;
use rally::store::notify::{DeliveryFilter, claim_jobs};

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
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// `count` due events, each one delivery (and job) to the webhook, made in
/// transactions of 500 on a working morning in the past.
async fn enqueue(store: &Store, prefix: &str, count: usize) -> anyhow::Result<Duration> {
    let ctx = Context::load(store).await?;
    let started = Instant::now();
    for chunk in (0..count).collect::<Vec<_>>().chunks(500) {
        let mut tx = store.begin().await?;
        for i in chunk {
            let mut params = Params::new();
            params.insert("campaign".into(), "双十一新品A限时促销".into());
            params.insert("phase".into(), "任务拆解".into());
            params.insert("due_on".into(), "2026-11-26".into());
            let event = Event {
                kind: EventKind::PhaseDueSoon,
                dedupe_key: format!("{prefix}-{i}"),
                occurred_at: store.now(),
                data: EventData { params, link: "/campaigns/1".into(), ..EventData::default() },
                recipients: Vec::new(),
                only_channel: None,
            };
            emit(store, &mut tx, &ctx, &event).await?;
        }
        tx.commit().await?;
    }
    Ok(started.elapsed())
}

async fn sent(store: &Store) -> anyhow::Result<usize> {
    let filter = DeliveryFilter { status: Some("sent".into()), ..DeliveryFilter::default() };
    Ok(store.deliveries(&filter, 1_000_000).await?.len())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let jobs: usize = arg("--jobs").map_or(Ok(20_000), |v| v.parse())?;
    let queued: usize = arg("--queued").map_or(Ok(100_000), |v| v.parse())?;
    let url = arg("--database-url").unwrap_or_else(|| {
        let path = std::env::temp_dir().join(format!("rally-bench-notify-{}.db", std::process::id()));
        format!("sqlite://{}", path.display())
    });
    let store = Store::open_and_migrate(&DatabaseUrl::parse(&url)?).await?;
    anyhow::ensure!(store.channels().await?.is_empty(), "the database must be new");
    // A working morning, so nothing is held for quiet hours or a day off.
    let morning = at_local(NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(), NaiveTime::from_hms_opt(10, 0, 0).unwrap());
    let past = store.with_clock(Clock::Fixed(morning));
    println!("backend: {} · jobs: {jobs} · queued for the claim: {queued}", store.backend_name());

    // A fast receiver: answers 204 at once.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = Router::new().route("/hook", post(|| async { StatusCode::NO_CONTENT }));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let add = ops::users::AddUser {
        email: "admin@bench.example".into(),
        name: "admin".into(),
        role: "admin".into(),
        region: None,
        password: "bench password".into(),
    };
    ops::users::add_user(&store, None, add).await?;
    let admin: ops::authz::Actor = store.user_by_email("admin@bench.example").await?.expect("admin").into();
    let hook = ChannelInput {
        kind: Some("webhook".into()),
        name: Some("bench".into()),
        url: Some(format!("http://{addr}/hook")),
        secret: Some("bench-secret".into()),
        ..ChannelInput::default()
    };
    ops::notify::channels::create(&store, &admin, hook).await?;

    // 1. One worker (32 sends in flight), the store's real clock: the jobs are due.
    let made = enqueue(&past, "one", jobs).await?;
    println!("enqueue {jobs} events (one delivery each): {:.1} s", made.as_secs_f64());
    let started = Instant::now();
    let report = run(&store, &Worker::new("bench"), None).await?;
    let took = started.elapsed();
    anyhow::ensure!(report.sent == jobs && sent(&store).await? == jobs, "not all sent: {report:?}");
    println!("one worker: {jobs} jobs in {:.2} s = {:.0} jobs/s", took.as_secs_f64(), jobs as f64 / took.as_secs_f64());

    // 2. Two workers on one database (a second store, as a second server opens it).
    enqueue(&past, "two", jobs).await?;
    let other = Store::open_and_migrate(&DatabaseUrl::parse(&url)?).await?;
    let started = Instant::now();
    let (wa, wb) = (Worker::new("a"), Worker::new("b"));
    let (a, b) = tokio::join!(run(&store, &wa, None), run(&other, &wb, None));
    let took = started.elapsed();
    let (a, b) = (a?, b?);
    anyhow::ensure!(a.sent + b.sent == jobs && sent(&store).await? == 2 * jobs, "not all sent: {a:?} {b:?}");
    println!(
        "two workers: {jobs} jobs in {:.2} s = {:.0} jobs/s ({} + {})",
        took.as_secs_f64(),
        jobs as f64 / took.as_secs_f64(),
        a.sent,
        b.sent
    );

    // 3. Claiming one job with `queued` due jobs waiting.
    let made = enqueue(&past, "queued", queued).await?;
    println!("enqueue {queued}: {:.1} s", made.as_secs_f64());
    let mut samples = Vec::new();
    for i in 0..203 {
        let now = store.now();
        let started = Instant::now();
        let claim = claim_jobs(&store, "bench-claim", now, now + chrono::Duration::seconds(60), 1, None).await?;
        let took = started.elapsed();
        anyhow::ensure!(claim.jobs.len() == 1, "nothing claimed");
        if i >= 3 {
            samples.push(took);
        }
    }
    println!(
        "claim one job with {queued} queued: p50 {} · p95 {} · max {}",
        ms(percentile(&mut samples, 0.5)),
        ms(percentile(&mut samples, 0.95)),
        ms(percentile(&mut samples, 1.0))
    );
    Ok(())
}
