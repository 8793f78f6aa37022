//! Rerunnable benchmark of reading marketing's notice (粘贴通知, figures in
//! BENCHMARKS.md): the domain reader alone on notices of several shapes up to
//! the longest accepted, `POST /api/v1/campaigns/parse-notice`, and the page
//! request the new-campaign form sends when the lead pastes (the reader plus
//! the form with the segment's live count), over a customer base of N.
//!
//! `cargo run --release --example bench_notice -- [--customers 200000] [--database-url URL]`
//! The database must be new; `bench/notice.sh` makes a SQLite file and a
//! throwaway PostgreSQL database.

use std::time::{Duration, Instant};

use rally::app::{AppConfig, AppState};
use rally::config::DatabaseUrl;
use rally::domain::notice::{self, MAX_NOTICE_CHARS, NoticeContext};
use rally::ops;
use rally::store::Store;
use rally::store::customers::{NewCustomer, insert_customers};

const REGIONS: [&str; 7] = ["华东", "华南", "华北", "华中", "西南", "西北", "东北"];
const INDUSTRIES: [&str; 8] = ["制造业", "零售", "建筑", "电子", "连锁", "医疗器械", "物流", "化工"];
const TAGS: [&str; 4] = ["竞品客户", "重点客户", "老客户", "展会线索"];

/// The seed's notice as a chat message.
const SEED: &str = "【市场部活动通知】\n主题：新品A限时促销\n目标客群：华东区域年采购额超500万的制造业客户\n\
核心卖点：新品A首发享8折+3年质保\n活动时间：即日起至月底\n目标：本月新增意向客户30家，促成订单15单";

/// A formal notice with numbered sections, full-width digits and support.
const FORMAL: &str = "关于开展“行业展会紧急参展”活动的通知\n各销售区域：\n\
一、活动主题：2026智能制造展紧急参展\n二、目标客群：江浙沪及广东地区年采购额不低于300万元的制造业、电子客户，近３个月有询盘但未成交的优先\n\
三、活动时间：１２月１日至１５日\n四、活动目标：触达２００家，新增意向客户三十家，促成订单１５单，销售额100万，投入产出比1:3\n\
五、资源支持：宣传单页500份、产品知识培训1小时、样品10台，技术部提供现场演示\n六、联系人：王经理 13800138000\n市场部\n2026年11月28日";

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

/// p50 and p95 of `runs` timed calls after 3 warm-up calls.
async fn time<F, Fut>(runs: usize, mut call: F) -> (Duration, Duration)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut samples = Vec::with_capacity(runs);
    for i in 0..runs + 3 {
        let started = Instant::now();
        call().await;
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
        let path = std::env::temp_dir().join(format!("rally-bench-notice-{}.db", std::process::id()));
        format!("sqlite://{}", path.display())
    });
    let store = Store::open_and_migrate(&DatabaseUrl::parse(&url)?).await?;
    anyhow::ensure!(store.count_customers().await? == 0, "the database must be empty");
    println!("backend: {} · customers: {n}", store.backend_name());

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

    // Customers over 8 industries and 7 regions; every tenth carries a tag
    // (the vocabulary the reader is given comes from these).
    let started = Instant::now();
    let chunk = 10_000;
    for start in (0..n).step_by(chunk) {
        let rows: Vec<NewCustomer> = (start..(start + chunk).min(n))
            .map(|i| NewCustomer {
                name: format!("基准客户{i:07}有限公司"),
                name_key: format!("基准客户{i:07}"),
                industry: INDUSTRIES[i % 8].to_owned(),
                region: REGIONS[i % 7].to_owned(),
                city: "城市".to_owned(),
                annual_purchase_fen: ((i % 1000) as i64 + 1) * 1_000_000,
                owner_id: (i % 7 != 0).then(|| reps[i % 7]),
                source: "import".to_owned(),
                tags: if i % 10 == 0 { vec![TAGS[(i / 10) % 4].to_owned()] } else { Vec::new() },
                ..Default::default()
            })
            .collect();
        let mut tx = store.begin().await?;
        insert_customers(&mut tx, rows).await?;
        tx.commit().await?;
    }
    store.optimize().await?;
    println!("loaded in {:.1} s (setup, not a target)", started.elapsed().as_secs_f64());

    // The reader alone, with the team's words loaded once.
    let calendar = ops::calendar::calendar(&store).await?;
    let regions = store.regions().await?;
    let (industries, tags) = store.customer_vocabulary().await?;
    let ctx = NoticeContext {
        today: store.today(),
        announced_on: None,
        calendar: &calendar,
        regions: &regions,
        industries: &industries,
        tags: &tags,
    };
    let longest: String = FORMAL.chars().cycle().take(MAX_NOTICE_CHARS).collect();
    println!("\n| measurement | p50 | p95 |\n|---|---|---|");
    for (label, text, runs) in [
        ("reader alone: the seed's notice (chat, 6 lines)", SEED, 200),
        ("reader alone: a formal notice (numbered, full-width, 9 lines)", FORMAL, 200),
        ("reader alone: the longest accepted notice (20,000 characters)", longest.as_str(), 20),
    ] {
        let (p50, p95) = time(runs, || async {
            std::hint::black_box(notice::read(text, &ctx));
        })
        .await;
        println!("| {label} | {} | {} |", ms(p50), ms(p95));
    }
    let (p50, p95) = time(30, || async {
        std::hint::black_box(store.customer_vocabulary().await.expect("vocabulary"));
    })
    .await;
    println!("| the team's industries and tags ({n} customers) | {} | {} |", ms(p50), ms(p95));

    // The real server on a loopback port.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let state = AppState::new(store.clone(), AppConfig::default());
    tokio::spawn(rally::app::serve(listener, state, std::future::pending()));
    let token = ops::users::create_token(&store, "lead@bench.example", "bench").await?;
    let client = reqwest::Client::builder().cookie_store(true).build()?;
    let base = format!("http://{addr}");

    for (label, text) in [("the seed's notice", SEED), ("the formal notice", FORMAL)] {
        let url = format!("{base}/api/v1/campaigns/parse-notice");
        let body = serde_json::json!({ "text": text });
        let (p50, p95) = time(30, || async {
            let r = client.post(&url).bearer_auth(&token).json(&body).send().await.expect("request");
            assert!(r.status().is_success(), "parse-notice: {}", r.status());
            let _ = r.bytes().await.expect("body");
        })
        .await;
        println!("| parse-notice API: {label} | {} | {} |", ms(p50), ms(p95));
    }

    // The paste on the page, signed in through the form like a browser.
    let login = client.get(format!("{base}/login")).send().await?.text().await?;
    let csrf = |html: &str| {
        html.split("name=\"csrf\" value=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or_default().to_owned()
    };
    let token_field = csrf(&login);
    client
        .post(format!("{base}/login"))
        .form(&[("csrf", token_field.as_str()), ("email", "lead@bench.example"), ("password", "bench password")])
        .send()
        .await?;
    let form = client.get(format!("{base}/campaigns/new")).send().await?.text().await?;
    let page_csrf = csrf(&form);
    for (label, text) in [("the seed's notice", SEED), ("the formal notice", FORMAL)] {
        let url = format!("{base}/campaigns/new/notice");
        let (p50, p95) = time(30, || async {
            let r = client
                .post(&url)
                .header("HX-Request", "true")
                .form(&[("csrf", page_csrf.as_str()), ("text", text)])
                .send()
                .await
                .expect("request");
            assert!(r.status().is_success(), "the paste: {}", r.status());
            let html = r.text().await.expect("body");
            assert!(html.contains("data-source=\"segment\""), "the form filled from the notice");
        })
        .await;
        println!("| the paste on the page (form filled, segment counted): {label} | {} | {} |", ms(p50), ms(p95));
    }
    Ok(())
}
