//! What the benchmark examples share: their flags, timing and percentiles,
//! the machine's load printed beside the figures, and the empty database
//! with a bench team they start from. Each example uses a part of it.
#![allow(dead_code)]

use std::future::Future;
use std::str::FromStr;
use std::time::{Duration, Instant};

use rally::config::DatabaseUrl;
use rally::ops;
use rally::store::Store;

/// The regions bench reps are spread over.
pub const REGIONS: [&str; 7] = ["华东", "华南", "华北", "华中", "西南", "西北", "东北"];

/// The value after `--name` on the command line, if given.
pub fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

/// `--name VALUE` parsed, or `default`; a value that does not parse names the flag.
pub fn arg_or<T: FromStr>(name: &str, default: T) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    match arg(name) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|e| anyhow::anyhow!("{name} {v:?}: {e}")),
    }
}

/// The `p` quantile (0–1) of `samples` (sorted in place); zero when empty.
pub fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i.min(samples.len() - 1)]
}

pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// The machine's load (1, 5 and 15 minutes), printed beside the figures.
pub fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// Runs `call` three times to warm up, then `runs` times, and returns the
/// timings of the measured runs.
pub async fn timed<F, Fut>(runs: usize, mut call: F) -> Vec<Duration>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut samples = Vec::with_capacity(runs);
    for i in 0..runs + 3 {
        let started = Instant::now();
        call().await;
        if i >= 3 {
            samples.push(started.elapsed());
        }
    }
    samples
}

/// A GET that must succeed, body read: the unit the page and API figures time.
pub async fn get_ok(client: &reqwest::Client, url: &str, token: Option<&str>) {
    let mut request = client.get(url);
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let _ = response.bytes().await.expect("body");
    assert!(status.is_success(), "{url}: {status}");
}

/// The database of `--database-url` (default: a new SQLite file named after
/// `name`), migrated, which must hold no customers yet.
pub async fn empty_store(name: &str) -> anyhow::Result<Store> {
    let url = arg("--database-url").unwrap_or_else(|| {
        let path = std::env::temp_dir().join(format!("rally-bench-{name}-{}.db", std::process::id()));
        format!("sqlite://{}", path.display())
    });
    let store = Store::open_and_migrate(&DatabaseUrl::parse(&url)?).await?;
    anyhow::ensure!(store.count_customers().await? == 0, "the database must be empty");
    Ok(store)
}

/// Adds a bench user (password `bench password`) and returns its id.
pub async fn add_user(store: &Store, email: &str, role: &str, region: Option<&str>) -> anyhow::Result<i64> {
    let user = ops::users::AddUser {
        email: email.to_owned(),
        name: email.to_owned(),
        role: role.to_owned(),
        region: region.map(str::to_owned),
        password: "bench password".to_owned(),
    };
    Ok(ops::users::add_user(store, None, user).await?)
}

/// `lead@bench.example` and `reps` reps `rep{i}@bench.example` over the
/// regions in turn; returns the reps' ids and emails.
pub async fn bench_team(store: &Store, reps: usize) -> anyhow::Result<Vec<(i64, String)>> {
    add_user(store, "lead@bench.example", "lead", None).await?;
    let mut out = Vec::with_capacity(reps);
    for i in 0..reps {
        let email = format!("rep{i}@bench.example");
        out.push((add_user(store, &email, "rep", Some(REGIONS[i % REGIONS.len()])).await?, email));
    }
    Ok(out)
}

/// Inserts customers `0..n` as `make` builds them, 10,000 to a transaction,
/// then computes their activity columns and refreshes the planner's
/// statistics, as an import does.
pub async fn load_customers(
    store: &Store,
    n: usize,
    make: impl Fn(usize) -> rally::store::customers::NewCustomer,
) -> anyhow::Result<()> {
    use rally::store::customers::{insert_customers, refresh_activity};
    for start in (0..n).step_by(10_000) {
        let rows = (start..(start + 10_000).min(n)).map(&make).collect();
        let mut tx = store.begin().await?;
        insert_customers(&mut tx, rows).await?;
        tx.commit().await?;
    }
    let mut tx = store.begin().await?;
    refresh_activity(&mut tx, None, 3).await?;
    tx.commit().await?;
    store.optimize().await?;
    Ok(())
}

/// A follow-up's API body logged at `at`, its next action two days on;
/// `k` picks the channel (of four) and the feedback kind (of three).
pub fn follow_up_body(at: chrono::DateTime<chrono::Utc>, k: usize) -> serde_json::Value {
    let next = (at + chrono::Duration::days(2)).with_timezone(&rally::clock::china_offset()).date_naive();
    let channel = ["phone", "im", "email", "visit"][k % 4];
    let feedback_kind = ["objection", "interest", "neutral"][k % 3];
    serde_json::json!({
        "occurred_at": at.to_rfc3339(),
        "channel": channel,
        "summary": "电话介绍新品A折扣与质保政策",
        "feedback_kind": feedback_kind,
        "feedback": "客户对价格有异议，需提供竞品对比方案",
        "next_action_on": next.to_string(),
        "next_action": "发送竞品分析报告并预约二次沟通",
    })
}
