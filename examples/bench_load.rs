//! HTTP load benchmark (issue 13, item 6; figures in BENCHMARKS.md): many
//! keep-alive connections send a fixed mix of customer list pages, customer
//! details, segment counts and follow-up writes to a running `rally serve` for
//! a fixed time, and the answers are reported per request kind and overall.
//!
//! `cargo run --release --example bench_load -- --base-url http://127.0.0.1:8080 --token TOKEN
//!     [--connections 64] [--seconds 60] [--warmup 5] [--seed 13] [--campaign ID]
//!     [--email admin@rally.example] [--password rally-demo-2026] [--server-pid PID]
//!     [--mix first=20,next=10,page=10,detail=30,segment=15,follow_up=15]`
//!
//! The token's user must be allowed to log follow-ups on every member (a lead
//! or an admin). `bench/load.sh` generates the data set with `rally demo
//! --customers N`, serves it and runs this.
//!
//! Before the timed run it finds real ids: the highest customer id (a binary
//! search with one-row list pages), customers spread over the whole id range
//! (one-row pages started at random places), and the members of the campaign
//! the writes go to — `--campaign`, else an active campaign named
//! [`CAMPAIGN_NAME`], else one it creates through the API (segment
//! [`CAMPAIGN_SEGMENT`], target list generated, made active). The HTML list
//! page signs in as `--email` through `/login`, as a browser does.
//!
//! Each connection is a task with its own random sequence (`--seed` plus the
//! connection's number), so runs are repeatable in what they ask. A
//! connection writes follow-ups only on its own share of the members, so two
//! writes never race for one member. Every answer that is not 2xx, and every
//! transport error or timeout (10 s), counts as an error; the first few are
//! printed. With `--server-pid` it also reads the server's CPU time over the
//! measured seconds from `/proc`, and its own, as milliseconds of CPU per
//! request: what the requests cost, whatever else the machine is running.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

mod common;

use common::{REGIONS, arg, arg_or, follow_up_body, load, ms, percentile};

/// The campaign the writes go to when none is named and none is found.
const CAMPAIGN_NAME: &str = "负载基准活动";
/// Its target list: at 1,000,000 customers about 14,000 members.
const CAMPAIGN_SEGMENT: &str = "region = \"华东\" and tier = \"S\"";
/// The segment shapes of BENCHMARKS.md, counted in turn.
const SEGMENTS: [&str; 5] = [
    "region = \"华东\"",
    "tier = \"S\"",
    "region = \"华东\" and industry = \"制造业\" and annual_purchase > 500万",
    "industry in [\"制造业\",\"零售\"]",
    "tier in [\"S\",\"B\"] and last_inquiry within 90d",
];
/// Pages followed through `next_cursor` before a connection starts again at the first.
const MAX_DEPTH: u32 = 10;
/// Customers found before the run for the detail reads.
const SAMPLE_IDS: usize = 2_000;
/// Error answers printed.
const SHOWN_ERRORS: usize = 5;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Kind {
    First,
    Next,
    Page,
    Detail,
    Segment,
    FollowUp,
}

impl Kind {
    const ALL: [Kind; 6] = [Kind::First, Kind::Next, Kind::Page, Kind::Detail, Kind::Segment, Kind::FollowUp];

    fn key(self) -> &'static str {
        match self {
            Kind::First => "first",
            Kind::Next => "next",
            Kind::Page => "page",
            Kind::Detail => "detail",
            Kind::Segment => "segment",
            Kind::FollowUp => "follow_up",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Kind::First => "customer list API, first page (a third by region)",
            Kind::Next => "customer list API, next page (keyset cursor)",
            Kind::Page => "customer list page, HTML (a third by region)",
            Kind::Detail => "customer detail API",
            Kind::Segment => "segment count API (5 shapes in turn)",
            Kind::FollowUp => "follow-up write (POST)",
        }
    }
}

/// Percentages of the requests, by kind.
fn parse_mix(text: &str) -> anyhow::Result<Vec<(Kind, u32)>> {
    let mut mix = Vec::new();
    for part in text.split(',').filter(|p| !p.trim().is_empty()) {
        let (key, weight) = part.split_once('=').with_context(|| format!("--mix: {part:?} is not kind=weight"))?;
        let kind = Kind::ALL
            .into_iter()
            .find(|k| k.key() == key.trim())
            .with_context(|| format!("--mix: unknown kind {key:?} (first, next, page, detail, segment, follow_up)"))?;
        mix.push((kind, weight.trim().parse().with_context(|| format!("--mix: weight of {key}"))?));
    }
    anyhow::ensure!(mix.iter().map(|(_, w)| w).sum::<u32>() > 0, "--mix: the weights add up to nothing");
    Ok(mix)
}

/// One answered (or failed) request.
struct Sample {
    kind: Kind,
    /// Since the timed run started.
    at: Duration,
    took: Duration,
    ok: bool,
}

/// What every connection shares.
struct Plan {
    base: String,
    token: String,
    cookie: String,
    campaign: i64,
    customers: Vec<i64>,
    mix: Vec<(Kind, u32)>,
    errors: Mutex<Vec<String>>,
}

impl Plan {
    fn pick(&self, rng: &mut ChaCha8Rng) -> Kind {
        let total: u32 = self.mix.iter().map(|(_, w)| w).sum();
        let mut roll = rng.random_range(0..total);
        for &(kind, weight) in &self.mix {
            if roll < weight {
                return kind;
            }
            roll -= weight;
        }
        self.mix[0].0
    }

    fn client_get(&self, client: &reqwest::Client, url: String) -> reqwest::RequestBuilder {
        client.get(url).bearer_auth(&self.token)
    }

    fn note_error(&self, what: String) {
        let mut errors = self.errors.lock().unwrap_or_else(|e| e.into_inner());
        if errors.len() < SHOWN_ERRORS {
            errors.push(what);
        }
    }
}

fn q(text: &str) -> String {
    rally::web::session::urlencode(text)
}

/// The `next_cursor` of a list answer, read without parsing the whole body.
fn next_cursor(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.rfind("\"next_cursor\":\"")? + "\"next_cursor\":\"".len();
    let end = text[start..].find('"')?;
    Some(text[start..start + end].to_owned())
}

/// A connection's loop: requests of the mix one after another until `until`,
/// recorded from `measured_from` on.
async fn connection(
    plan: Arc<Plan>,
    client: reqwest::Client,
    number: usize,
    seed: u64,
    members: Vec<i64>,
    measured_from: Instant,
    until: Instant,
) -> Vec<Sample> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_mul(1_000_003).wrapping_add(number as u64));
    let mut samples = Vec::new();
    // The list this connection is paging through: its filter, cursor and depth.
    let mut paging: Option<(Option<&str>, String, u32)> = None;
    let mut turn = 0usize;
    let mut segment_turn = number;
    while Instant::now() < until {
        let mut kind = plan.pick(&mut rng);
        if kind == Kind::Next && paging.is_none() {
            kind = Kind::First;
        }
        if kind == Kind::FollowUp && members.is_empty() {
            kind = Kind::Detail;
        }
        let api = format!("{}/api/v1", plan.base);
        let region =
            |rng: &mut ChaCha8Rng| (rng.random_range(0..3) == 0).then(|| REGIONS[rng.random_range(0..REGIONS.len())]);
        let request = match kind {
            Kind::First => {
                let r = region(&mut rng);
                let filter = r.map(|r| format!("&region={}", q(r))).unwrap_or_default();
                paging = Some((r, String::new(), 0));
                plan.client_get(&client, format!("{api}/customers?limit=50{filter}"))
            }
            Kind::Next => {
                let (r, cursor, _) = paging.as_ref().expect("a list in hand");
                let filter = r.map(|r| format!("&region={}", q(r))).unwrap_or_default();
                plan.client_get(&client, format!("{api}/customers?limit=50&cursor={cursor}{filter}"))
            }
            Kind::Page => {
                let filter = region(&mut rng).map(|r| format!("?region={}", q(r))).unwrap_or_default();
                client.get(format!("{}/customers{filter}", plan.base)).header("cookie", &plan.cookie)
            }
            Kind::Detail => {
                let id = plan.customers[rng.random_range(0..plan.customers.len())];
                plan.client_get(&client, format!("{api}/customers/{id}"))
            }
            Kind::Segment => {
                segment_turn += 1;
                let segment = SEGMENTS[segment_turn % SEGMENTS.len()];
                plan.client_get(&client, format!("{api}/segments/count?segment={}", q(segment)))
            }
            Kind::FollowUp => {
                let customer = members[turn % members.len()];
                turn += 1;
                let at = chrono::Utc::now() - chrono::Duration::minutes(rng.random_range(1..240));
                let body = follow_up_body(at, rng.random_range(0..12));
                let url = format!("{api}/campaigns/{}/members/{customer}/follow-ups", plan.campaign);
                client.post(url).bearer_auth(&plan.token).json(&body)
            }
        };
        let started = Instant::now();
        let outcome = match request.send().await {
            Ok(response) => {
                let status = response.status();
                match response.bytes().await {
                    Ok(body) if status.is_success() => Ok(body),
                    Ok(body) => Err(format!("{status}: {}", String::from_utf8_lossy(&body[..body.len().min(300)]))),
                    Err(e) => Err(format!("{status}, body: {e}")),
                }
            }
            Err(e) => Err(e.to_string()),
        };
        let took = started.elapsed();
        let ok = match outcome {
            Ok(body) => {
                if matches!(kind, Kind::First | Kind::Next) {
                    let depth = paging.as_ref().map_or(0, |p| p.2) + 1;
                    paging = match (next_cursor(&body), paging.take()) {
                        (Some(cursor), Some((r, _, _))) if depth < MAX_DEPTH => Some((r, cursor, depth)),
                        _ => None,
                    };
                }
                true
            }
            Err(what) => {
                plan.note_error(format!("{}: {what}", kind.key()));
                if matches!(kind, Kind::First | Kind::Next) {
                    paging = None;
                }
                false
            }
        };
        if started >= measured_from {
            samples.push(Sample { kind, at: started - measured_from, took, ok });
        }
    }
    samples
}

/// A GET of the API as JSON; fails on anything but 2xx.
async fn get_json(client: &reqwest::Client, url: &str, token: &str) -> anyhow::Result<Value> {
    let response = client.get(url).bearer_auth(token).send().await?;
    let status = response.status();
    let body = response.text().await?;
    anyhow::ensure!(status.is_success(), "GET {url}: {status}: {body}");
    Ok(serde_json::from_str(&body)?)
}

async fn send_json(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    token: &str,
    body: Value,
) -> anyhow::Result<Value> {
    let response = client.request(method.clone(), url).bearer_auth(token).json(&body).send().await?;
    let status = response.status();
    let text = response.text().await?;
    anyhow::ensure!(status.is_success(), "{method} {url}: {status}: {text}");
    Ok(serde_json::from_str(&text)?)
}

/// The first customer id after `after` (a one-row page started there).
async fn id_after(client: &reqwest::Client, base: &str, token: &str, after: i64) -> anyhow::Result<Option<i64>> {
    let cursor = rally::web::cursor::encode(after);
    let page = get_json(client, &format!("{base}/api/v1/customers?limit=1&cursor={cursor}"), token).await?;
    Ok(page["items"].get(0).and_then(|c| c["id"].as_i64()))
}

/// Customers spread over the whole id range.
async fn sample_customers(client: &reqwest::Client, base: &str, token: &str, seed: u64) -> anyhow::Result<Vec<i64>> {
    let first = id_after(client, base, token, 0).await?.context("the database has no customers")?;
    // The highest id: the last `after` that still has a customer after it, plus that customer.
    let (mut low, mut high) = (first, first.max(1) * 2);
    while id_after(client, base, token, high).await?.is_some() {
        low = high;
        high *= 2;
    }
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        if id_after(client, base, token, mid).await?.is_some() { low = mid } else { high = mid }
    }
    let last = id_after(client, base, token, low).await?.unwrap_or(first);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut ids = Vec::with_capacity(SAMPLE_IDS);
    for _ in 0..SAMPLE_IDS {
        if last <= first {
            ids.push(first);
            break;
        }
        if let Some(id) = id_after(client, base, token, rng.random_range(first - 1..last)).await? {
            ids.push(id);
        }
    }
    println!("customer ids {first}–{last}; {} sampled for the detail reads", ids.len());
    Ok(ids)
}

/// The campaign the writes go to, created and made active when needed.
async fn campaign(client: &reqwest::Client, base: &str, token: &str) -> anyhow::Result<i64> {
    if let Some(id) = arg("--campaign") {
        return id.parse().context("--campaign");
    }
    let list = get_json(client, &format!("{base}/api/v1/campaigns"), token).await?;
    let found = list["items"].as_array().into_iter().flatten().find(|c| c["name"] == CAMPAIGN_NAME);
    if let Some(c) = found {
        let id = c["id"].as_i64().context("campaign id")?;
        anyhow::ensure!(c["status"] == "active", "campaign {id} ({CAMPAIGN_NAME}) is {}, not active", c["status"]);
        println!("campaign {id} ({CAMPAIGN_NAME}), found");
        return Ok(id);
    }
    let started = Instant::now();
    let today = rally::clock::today();
    let day = |d: i64| (today + chrono::Duration::days(d)).to_string();
    let created = send_json(
        client,
        reqwest::Method::POST,
        &format!("{base}/api/v1/campaigns"),
        token,
        serde_json::json!({
            "name": CAMPAIGN_NAME, "kind": "new_product", "theme": "新品A首发",
            "selling_points": "新品A首发享8折+3年质保", "segment": CAMPAIGN_SEGMENT,
            "announced_on": day(-12), "starts_on": day(-10), "ends_on": day(20),
            "goals": {"reached": 5000, "intent_customers": 1000, "orders": 300, "sales_amount": 3000000.0}
        }),
    )
    .await?;
    let id = created["id"].as_i64().context("campaign id")?;
    let url = format!("{base}/api/v1/campaigns/{id}/members/generate");
    let generated = send_json(client, reqwest::Method::POST, &url, token, serde_json::json!({})).await?;
    let url = format!("{base}/api/v1/campaigns/{id}");
    let body = serde_json::json!({"status": "active", "confirm_unready": true});
    send_json(client, reqwest::Method::PATCH, &url, token, body).await?;
    println!(
        "campaign {id} ({CAMPAIGN_NAME}, `{CAMPAIGN_SEGMENT}`) created with {} members and made active in {:.1} s",
        generated["total"],
        started.elapsed().as_secs_f64()
    );
    Ok(id)
}

/// Every member of the campaign (customer ids), in outreach order.
async fn members(client: &reqwest::Client, base: &str, token: &str, campaign: i64) -> anyhow::Result<Vec<i64>> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let url = format!("{base}/api/v1/campaigns/{campaign}/members?limit=200&cursor={cursor}");
        let page = get_json(client, &url, token).await?;
        out.extend(page["items"].as_array().into_iter().flatten().filter_map(|m| m["customer_id"].as_i64()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => return Ok(out),
        }
    }
}

/// A session cookie for the HTML pages, signed in through `/login`.
async fn sign_in(base: &str, email: &str, password: &str) -> anyhow::Result<String> {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let mut cookies: HashMap<String, String> = HashMap::new();
    let keep = |response: &reqwest::Response, cookies: &mut HashMap<String, String>| {
        for value in response.headers().get_all("set-cookie") {
            if let Some((name, value)) =
                value.to_str().ok().and_then(|v| v.split(';').next()).and_then(|v| v.split_once('='))
            {
                cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    };
    let header = |cookies: &HashMap<String, String>| {
        cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    };
    let response = client.get(format!("{base}/login")).send().await?;
    keep(&response, &mut cookies);
    let html = response.text().await?;
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).context("no CSRF field on /login")? + marker.len();
    let csrf = &html[start..start + html[start..].find('"').context("CSRF field")?];
    let response = client
        .post(format!("{base}/login"))
        .header("cookie", header(&cookies))
        .form(&[("email", email), ("password", password), ("csrf", csrf)])
        .send()
        .await?;
    keep(&response, &mut cookies);
    anyhow::ensure!(response.status().as_u16() == 303, "signing in as {email}: HTTP {}", response.status());
    Ok(header(&cookies))
}

/// User plus system CPU time of a process (`/proc/PID/stat`, in clock ticks of 10 ms).
fn cpu_time(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let base = arg("--base-url").context("--base-url is required (e.g. http://127.0.0.1:8080)")?;
    let base = base.trim_end_matches('/').to_owned();
    let token = arg("--token").context("--token is required (a lead's or an admin's API token)")?;
    let connections: usize = arg_or("--connections", 64)?;
    let seconds: u64 = arg_or("--seconds", 60)?;
    let warmup: u64 = arg_or("--warmup", 5)?;
    let seed: u64 = arg_or("--seed", 13)?;
    let email = arg("--email").unwrap_or_else(|| "admin@rally.example".to_owned());
    let password = arg("--password").unwrap_or_else(|| rally::demo::DEMO_PASSWORD.to_owned());
    let mix = parse_mix(
        &arg("--mix").unwrap_or_else(|| "first=20,next=10,page=10,detail=30,segment=15,follow_up=15".to_owned()),
    )?;
    anyhow::ensure!(connections > 0, "--connections must be at least 1");

    let setup = reqwest::Client::new();
    let started = Instant::now();
    let customers = sample_customers(&setup, &base, &token, seed).await?;
    anyhow::ensure!(!customers.is_empty(), "no customers found");
    let campaign = campaign(&setup, &base, &token).await?;
    let all_members = members(&setup, &base, &token, campaign).await?;
    anyhow::ensure!(!all_members.is_empty(), "campaign {campaign} has no members");
    let cookie = if mix.iter().any(|&(k, w)| k == Kind::Page && w > 0) {
        sign_in(&base, &email, &password).await?
    } else {
        String::new()
    };
    println!(
        "campaign {campaign}: {} members, {} per connection for the writes; set up in {:.1} s",
        all_members.len(),
        all_members.len() / connections,
        started.elapsed().as_secs_f64()
    );
    let total_weight: u32 = mix.iter().map(|(_, w)| w).sum();
    println!("\nmix ({connections} connections, {warmup} s warm-up, then {seconds} s measured, seed {seed}):");
    for (kind, weight) in &mix {
        println!("- {:.0}% {}", f64::from(*weight) * 100.0 / f64::from(total_weight), kind.label());
    }
    println!("segment shapes: {}", SEGMENTS.map(|s| format!("`{s}`")).join(", "));

    let plan = Arc::new(Plan { base, token, cookie, campaign, customers, mix, errors: Mutex::new(Vec::new()) });
    let client =
        reqwest::Client::builder().pool_max_idle_per_host(connections).timeout(Duration::from_secs(10)).build()?;
    println!("\nload average (1, 5, 15 min) before: {}", load());
    let measured_from = Instant::now() + Duration::from_secs(warmup);
    let until = measured_from + Duration::from_secs(seconds);
    let server_pid = arg("--server-pid");
    let cpu_at_start = tokio::spawn(async move {
        tokio::time::sleep_until(measured_from.into()).await;
        (server_pid.as_deref().and_then(cpu_time), cpu_time("self"))
    });
    let mut tasks = Vec::with_capacity(connections);
    for c in 0..connections {
        let mine: Vec<i64> = all_members.iter().skip(c).step_by(connections).copied().collect();
        tasks.push(tokio::spawn(connection(plan.clone(), client.clone(), c, seed, mine, measured_from, until)));
    }
    let mut samples = Vec::new();
    for t in tasks {
        samples.extend(t.await?);
    }
    let (server_cpu, client_cpu) = {
        let (server, client) = cpu_at_start.await?;
        let server_pid = arg("--server-pid");
        let server_now = server_pid.as_deref().and_then(cpu_time);
        (server.zip(server_now).map(|(a, b)| b.saturating_sub(a)), client.zip(cpu_time("self")).map(|(a, b)| b - a))
    };
    let elapsed = seconds as f64;
    println!("load average (1, 5, 15 min) after: {}", load());

    println!("\n| requests | count | per second | p50 | p95 | p99 | max | errors |\n|---|---|---|---|---|---|---|---|");
    let row = |label: &str, of: &mut dyn Iterator<Item = &Sample>| {
        let mut took = Vec::new();
        let mut errors = 0usize;
        for s in of {
            took.push(s.took);
            errors += usize::from(!s.ok);
        }
        let count = took.len();
        let max = took.iter().max().copied().unwrap_or_default();
        println!(
            "| {label} | {count} | {:.0} | {} | {} | {} | {} | {errors} |",
            count as f64 / elapsed,
            ms(percentile(&mut took, 0.5)),
            ms(percentile(&mut took, 0.95)),
            ms(percentile(&mut took, 0.99)),
            ms(max),
        );
    };
    for kind in Kind::ALL {
        if plan.mix.iter().any(|&(k, w)| k == kind && w > 0) || samples.iter().any(|s| s.kind == kind) {
            row(kind.label(), &mut samples.iter().filter(|s| s.kind == kind));
        }
    }
    row("**all**", &mut samples.iter());

    let per_request = |cpu: Duration| cpu.as_secs_f64() * 1000.0 / samples.len().max(1) as f64;
    if let Some(cpu) = server_cpu {
        println!(
            "\nserver CPU over the measured {seconds} s: {:.1} s ({:.2} ms per request, {:.2} cores)",
            cpu.as_secs_f64(),
            per_request(cpu),
            cpu.as_secs_f64() / elapsed
        );
    }
    if let Some(cpu) = client_cpu {
        println!(
            "load generator CPU (this process, both sides of the HTTP): {:.1} s ({:.2} ms per request)",
            cpu.as_secs_f64(),
            per_request(cpu)
        );
    }

    // The run in ten-second windows: a stall or a slow start shows here.
    println!("\n| seconds | requests/s | p99 | max | errors |\n|---|---|---|---|---|");
    let mut window = 0;
    while window < seconds {
        let span = window..(window + 10).min(seconds);
        let mut took: Vec<Duration> = Vec::new();
        let mut errors = 0;
        for s in samples.iter().filter(|s| span.contains(&s.at.as_secs())) {
            took.push(s.took);
            errors += usize::from(!s.ok);
        }
        let max = took.iter().max().copied().unwrap_or_default();
        println!(
            "| {}–{} | {:.0} | {} | {} | {errors} |",
            span.start,
            span.end,
            took.len() as f64 / (span.end - span.start) as f64,
            ms(percentile(&mut took, 0.99)),
            ms(max)
        );
        window += 10;
    }
    let errors = plan.errors.lock().unwrap_or_else(|e| e.into_inner());
    if !errors.is_empty() {
        println!("\nfirst errors:");
        for e in errors.iter() {
            println!("- {e}");
        }
    }
    Ok(())
}
