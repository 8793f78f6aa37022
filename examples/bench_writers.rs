//! Load generator for `bench/writers.sh`: many concurrent writers against a
//! running `rally serve` through the JSON API, then a check that every write
//! the server acknowledged is there (after the script restarts the server).
//!
//! ```text
//! bench_writers load   --url http://127.0.0.1:8080 --token TOKEN [--writers 64] [--seconds 30] --ledger FILE
//! bench_writers verify --url http://127.0.0.1:8080 --token TOKEN --ledger FILE
//! ```
//!
//! Each writer loops over a mix of the team's daily writes, on customers
//! picked at random: 40 % log a follow-up (which refreshes the customer's
//! activity and tier), 30 % edit a customer (read its version, then PATCH
//! with that version: 409 when someone else got there first), 30 % create a
//! customer with a contact. Latency is measured per write request.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::{Client, Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

mod common;

use common::{arg, arg_or, ms, percentile};

/// Every write the server acknowledged, for `verify`.
#[derive(Default, Serialize, Deserialize)]
struct Ledger {
    /// (customer id, name)
    created: Vec<(i64, String)>,
    /// (customer id, interaction id)
    logged: Vec<(i64, i64)>,
    /// (customer id, version after the edit, city written)
    edited: Vec<(i64, i64, String)>,
}

#[derive(Default)]
struct Tally {
    ledger: Ledger,
    /// Latency of acknowledged writes, per kind.
    latencies: HashMap<&'static str, Vec<Duration>>,
    conflicts: usize,
    other_4xx: Vec<String>,
    server_errors: Vec<String>,
    transport_errors: Vec<String>,
}

struct Api {
    client: Client,
    base: String,
    token: String,
}

impl Api {
    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Result<(StatusCode, Value), String> {
        let mut request = self.client.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| e.to_string())?;
        let status = response.status();
        let text = response.text().await.map_err(|e| e.to_string())?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::String(text))))
    }
}

/// Up to `max` customer ids the token's user can see, through the list's cursor.
async fn customer_ids(api: &Api, max: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    while ids.len() < max {
        let path = match &cursor {
            Some(c) => format!("/api/v1/customers?limit=200&cursor={c}"),
            None => "/api/v1/customers?limit=200".to_owned(),
        };
        let (status, page) = api.send(Method::GET, &path, None).await.expect("list customers");
        assert_eq!(status, StatusCode::OK, "{page}");
        ids.extend(page["items"].as_array().unwrap().iter().filter_map(|c| c["id"].as_i64()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    ids
}

async fn writer(api: Arc<Api>, ids: Arc<Vec<i64>>, w: usize, stop: Arc<AtomicBool>) -> Tally {
    let mut rng = StdRng::seed_from_u64(w as u64);
    let mut tally = Tally::default();
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        let id = ids[rng.random_range(0..ids.len())];
        let pick: f64 = rng.random();
        let (kind, method, path, body) = if pick < 0.4 {
            let kind = ["inquiry", "call", "message", "visit"][rng.random_range(0..4)];
            let body = json!({"channel": "phone", "kind": kind, "note": format!("压测跟进 {w}-{i}")});
            ("log", Method::POST, format!("/api/v1/customers/{id}/interactions"), body)
        } else if pick < 0.7 {
            let version = match api.send(Method::GET, &format!("/api/v1/customers/{id}"), None).await {
                Ok((StatusCode::OK, c)) => c["version"].as_i64().unwrap_or(1),
                Ok((status, body)) => {
                    tally.other_4xx.push(format!("read {id}: {status} {body}"));
                    continue;
                }
                Err(e) => {
                    tally.transport_errors.push(e);
                    continue;
                }
            };
            let body = json!({"city": format!("城市{w}-{i}"), "version": version});
            ("edit", Method::PATCH, format!("/api/v1/customers/{id}"), body)
        } else {
            let body = json!({
                "name": format!("压测新客户{w:02}-{i:06}"), "region": "华东", "industry": "制造业",
                "annual_purchase": 6_000_000.0, "tags": ["压测"], "pain_points": ["成本高"]
            });
            ("create", Method::POST, "/api/v1/customers".to_owned(), body)
        };
        let started = Instant::now();
        let answer = api.send(method, &path, Some(body.clone())).await;
        let elapsed = started.elapsed();
        match answer {
            Ok((status, reply)) if status.is_success() => {
                tally.latencies.entry(kind).or_default().push(elapsed);
                match kind {
                    "log" => tally.ledger.logged.push((id, reply["id"].as_i64().unwrap_or(0))),
                    "edit" => tally.ledger.edited.push((
                        id,
                        reply["version"].as_i64().unwrap_or(0),
                        body["city"].as_str().unwrap_or_default().to_owned(),
                    )),
                    _ => {
                        let new_id = reply["id"].as_i64().unwrap_or(0);
                        tally.ledger.created.push((new_id, body["name"].as_str().unwrap_or_default().to_owned()));
                        // A contact for the new customer: not timed, not counted.
                        let contact = json!({"name": "张总", "phone": format!("138{:08}", w * 1_000_000 + i)});
                        let _ = api
                            .send(Method::POST, &format!("/api/v1/customers/{new_id}/contacts"), Some(contact))
                            .await;
                    }
                }
            }
            Ok((StatusCode::CONFLICT, _)) => tally.conflicts += 1,
            Ok((status, reply)) if status.is_server_error() => {
                tally.server_errors.push(format!("{kind} {path}: {status} {reply}"))
            }
            Ok((status, reply)) => tally.other_4xx.push(format!("{kind} {path}: {status} {reply}")),
            Err(e) => tally.transport_errors.push(format!("{kind} {path}: {e}")),
        }
    }
    tally
}

async fn load(api: Api, writers: usize, seconds: u64, ledger_path: &str) -> anyhow::Result<bool> {
    let api = Arc::new(api);
    let ids = Arc::new(customer_ids(&api, 2000).await);
    anyhow::ensure!(!ids.is_empty(), "no customers to write to (load the demo data first)");
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let tasks: Vec<_> = (0..writers).map(|w| tokio::spawn(writer(api.clone(), ids.clone(), w, stop.clone()))).collect();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Tally::default();
    for task in tasks {
        let t = task.await?;
        all.ledger.created.extend(t.ledger.created);
        all.ledger.logged.extend(t.ledger.logged);
        all.ledger.edited.extend(t.ledger.edited);
        for (k, v) in t.latencies {
            all.latencies.entry(k).or_default().extend(v);
        }
        all.conflicts += t.conflicts;
        all.other_4xx.extend(t.other_4xx);
        all.server_errors.extend(t.server_errors);
        all.transport_errors.extend(t.transport_errors);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut every: Vec<Duration> = all.latencies.values().flatten().copied().collect();
    every.sort();
    println!(
        "{writers} writers, {elapsed:.1} s, {} customers to write to: {} writes acknowledged ({:.0}/s), \
         {} version conflicts (409), {} other 4xx, {} 5xx, {} transport errors",
        ids.len(),
        every.len(),
        every.len() as f64 / elapsed,
        all.conflicts,
        all.other_4xx.len(),
        all.server_errors.len(),
        all.transport_errors.len()
    );
    println!(
        "latency of acknowledged writes: p50 {}, p99 {}, max {}",
        ms(percentile(&mut every, 0.5)),
        ms(percentile(&mut every, 0.99)),
        ms(every.last().copied().unwrap_or_default())
    );
    for kind in ["log", "edit", "create"] {
        let mut v = all.latencies.remove(kind).unwrap_or_default();
        v.sort();
        let label = match kind {
            "log" => "log a follow-up  ",
            "edit" => "edit a customer  ",
            _ => "create a customer",
        };
        println!(
            "  {label} {:>6} writes, p50 {}, p99 {}",
            v.len(),
            ms(percentile(&mut v, 0.5)),
            ms(percentile(&mut v, 0.99))
        );
    }
    for e in all.server_errors.iter().chain(&all.other_4xx).chain(&all.transport_errors).take(10) {
        println!("  ! {e}");
    }
    std::fs::write(ledger_path, serde_json::to_vec(&all.ledger)?)?;
    Ok(all.server_errors.is_empty() && all.transport_errors.is_empty() && all.other_4xx.is_empty())
}

async fn verify(api: Api, ledger_path: &str) -> anyhow::Result<bool> {
    let ledger: Ledger = serde_json::from_slice(&std::fs::read(ledger_path)?)?;
    let mut missing = Vec::new();
    for (id, name) in &ledger.created {
        let (status, c) =
            api.send(Method::GET, &format!("/api/v1/customers/{id}"), None).await.map_err(anyhow::Error::msg)?;
        if status != StatusCode::OK || c["name"].as_str() != Some(name.as_str()) {
            missing.push(format!("customer {id} {name}: {status} {c}"));
        }
    }
    let mut logged: HashMap<i64, Vec<i64>> = HashMap::new();
    for (customer, interaction) in &ledger.logged {
        logged.entry(*customer).or_default().push(*interaction);
    }
    for (customer, interactions) in &logged {
        let path = format!("/api/v1/customers/{customer}/interactions?limit=200");
        let (_, list) = api.send(Method::GET, &path, None).await.map_err(anyhow::Error::msg)?;
        let stored: Vec<i64> =
            list["items"].as_array().into_iter().flatten().filter_map(|i| i["id"].as_i64()).collect();
        anyhow::ensure!(stored.len() < 200, "customer {customer} has 200+ follow-ups; the check would need paging");
        missing.extend(interactions.iter().filter(|i| !stored.contains(i)).map(|i| format!("follow-up {i}")));
    }
    // The last acknowledged edit of each customer is what it holds now.
    let mut last: HashMap<i64, (i64, &str)> = HashMap::new();
    for (id, version, city) in &ledger.edited {
        let entry = last.entry(*id).or_insert((*version, city));
        if *version > entry.0 {
            *entry = (*version, city);
        }
    }
    for (id, (version, city)) in &last {
        let (_, c) =
            api.send(Method::GET, &format!("/api/v1/customers/{id}"), None).await.map_err(anyhow::Error::msg)?;
        if c["version"].as_i64() != Some(*version) || c["city"].as_str() != Some(*city) {
            missing.push(format!("edit of customer {id} (version {version}, city {city}): now {c}"));
        }
    }
    println!(
        "verified: {} customers created, {} follow-ups logged, {} customers' last edits: {}",
        ledger.created.len(),
        ledger.logged.len(),
        last.len(),
        if missing.is_empty() { "all present".to_owned() } else { format!("{} MISSING", missing.len()) }
    );
    for m in missing.iter().take(10) {
        println!("  ! {m}");
    }
    Ok(missing.is_empty())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let url = arg("--url").ok_or_else(|| anyhow::anyhow!("--url is required"))?;
    let token = arg("--token").ok_or_else(|| anyhow::anyhow!("--token is required"))?;
    let ledger = arg("--ledger").ok_or_else(|| anyhow::anyhow!("--ledger is required"))?;
    let client = Client::builder().timeout(Duration::from_secs(120)).pool_max_idle_per_host(256).build()?;
    let api = Api { client, base: url.trim_end_matches('/').to_owned(), token };
    let ok = match mode.as_str() {
        "load" => {
            let writers = arg_or("--writers", 64)?;
            let seconds = arg_or("--seconds", 30)?;
            load(api, writers, seconds, &ledger).await?
        }
        "verify" => verify(api, &ledger).await?,
        other => anyhow::bail!("unknown mode {other:?}: expected load or verify"),
    };
    anyhow::ensure!(ok, "the run failed (see the lines marked !)");
    Ok(())
}
