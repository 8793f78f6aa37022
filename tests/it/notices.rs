//! 粘贴通知 end to end: the seed's notice through the API and the
//! new-campaign page, the notice kept on the campaign (plan, API, audit),
//! and the one step from creating to a proposed breakdown.

use chrono::{Datelike, Months, NaiveDate};
use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_test;
use crate::helpers::{TestApp, get_page, post_form};

const SEED: &str = "主题 新品A限时促销; 目标客群 华东区域年采购额超500万的制造业客户; 核心卖点 新品A首发享8折+3年质保; 活动时间 即日起至月底; 本月新增意向客户30家，促成订单15单";

fn month_end(d: NaiveDate) -> NaiveDate {
    let first = NaiveDate::from_ymd_opt(d.year(), d.month(), 1).unwrap();
    first.checked_add_months(Months::new(1)).unwrap().pred_opt().unwrap()
}

async fn customer(app: &TestApp, name: &str, region: &str, annual_purchase_fen: i64, owner: Option<i64>) {
    let mut tx = app.store.begin().await.unwrap();
    let customer = rally::store::customers::NewCustomer {
        name: name.to_owned(),
        name_key: rally::io::names::normalize_company_name(name),
        region: region.to_owned(),
        industry: "制造业".to_owned(),
        city: "上海".to_owned(),
        annual_purchase_fen,
        owner_id: owner,
        source: "manual".to_owned(),
        ..Default::default()
    };
    rally::store::customers::insert_customers(&mut tx, vec![customer]).await.unwrap();
    tx.commit().await.unwrap();
}

/// Five East China manufacturers buying over 5,000,000 a year (the seed's
/// segment), and three that miss it by region or by amount.
async fn customers(app: &TestApp, owner: i64) {
    for i in 0..5 {
        customer(app, &format!("华东精密制造{i}有限公司"), "华东", 800_000_000, Some(owner)).await;
    }
    customer(app, "华东小五金有限公司", "华东", 500_000_000, Some(owner)).await;
    customer(app, "华南贸易有限公司", "华南", 900_000_000, None).await;
}

backend_test!(the_notice_is_read_with_the_teams_industries_and_tags, |app| {
    assert_eq!(app.store.customer_vocabulary().await.unwrap(), (vec![], vec![]));
    let mut tx = app.store.begin().await.unwrap();
    let rows: Vec<rally::store::customers::NewCustomer> = [
        ("甲", "零售", vec!["竞品客户"]),
        ("乙", "制造业", vec!["竞品客户", "展会线索"]),
        ("丙", "", vec![]),
        ("丁", "制造业", vec![]),
        ("戊", "汽车零部件", vec!["老客户"]),
    ]
    .into_iter()
    .map(|(name, industry, tags)| rally::store::customers::NewCustomer {
        name: format!("{name}有限公司"),
        name_key: name.to_owned(),
        region: "华东".to_owned(),
        industry: industry.to_owned(),
        source: "manual".to_owned(),
        tags: tags.into_iter().map(str::to_owned).collect(),
        ..Default::default()
    })
    .collect();
    rally::store::customers::insert_customers(&mut tx, rows).await.unwrap();
    tx.commit().await.unwrap();
    let (mut industries, mut tags) = app.store.customer_vocabulary().await.unwrap();
    industries.sort();
    tags.sort();
    assert_eq!(industries, ["制造业", "汽车零部件", "零售"].map(str::to_owned).to_vec());
    assert_eq!(tags, ["展会线索", "竞品客户", "老客户"].map(str::to_owned).to_vec());

    // A team word the defaults lack: 汽配 reads as the team's 汽车零部件.
    let lead = app.user("lead@example.com", "lead", None).await;
    let body: Value = app
        .api(&lead, Method::POST, "/api/v1/campaigns/parse-notice")
        .json(&json!({ "text": "目标客群：江浙沪汽配厂商中的竞品客户" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["draft"]["segment"], "region = \"华东\" and industry = \"汽车零部件\" and tag = \"竞品客户\"",
        "{body}"
    );
});

backend_test!(the_seed_notice_through_the_api, |app| {
    let lead = app.user("lead@example.com", "lead", None).await;
    let today = app.store.today();
    let response = app
        .api(&lead, Method::POST, "/api/v1/campaigns/parse-notice")
        .json(&json!({ "text": SEED }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let d = &body["draft"];
    assert_eq!(d["kind"], "new_product");
    assert_eq!(d["segment"], "region = \"华东\" and industry = \"制造业\" and annual_purchase > 5000000");
    assert_eq!(d["name"], "新品A限时促销");
    assert_eq!(d["theme"], "新品A限时促销");
    assert_eq!(d["selling_points"], "新品A首发享8折+3年质保");
    assert_eq!(d["announced_on"], today.to_string());
    assert_eq!(d["starts_on"], today.to_string(), "start = the notice date");
    assert_eq!(d["ends_on"], month_end(today).to_string(), "end = the month's last day");
    assert_eq!(d["goals"]["intent_customers"], 30);
    assert_eq!(d["goals"]["orders"], 15);
    // What the notice does not say is null, never guessed.
    for field in ["resource_support", "collateral_needs", "training_needs"] {
        assert!(d[field].is_null(), "{field}: {}", d[field]);
    }
    for goal in ["reached", "sales_amount", "roi"] {
        assert!(d["goals"][goal].is_null(), "{goal}");
    }
    assert_eq!(body["sources"]["segment"], "华东区域年采购额超500万的制造业客户");
    assert_eq!(body["sources"]["goals.intent_customers"], "本月新增意向客户30家");
    assert_eq!(body["sources"]["ends_on"], "即日起至月底");
    assert_eq!(body["unparsed"], json!([]));

    // A notice date given moves the period with it.
    let body: Value = app
        .api(&lead, Method::POST, "/api/v1/campaigns/parse-notice")
        .json(&json!({ "text": SEED, "announced_on": "2026-02-10" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (body["draft"]["starts_on"].as_str(), body["draft"]["ends_on"].as_str()),
        (Some("2026-02-10"), Some("2026-02-28"))
    );

    // The draft creates the campaign, with the notice kept on it.
    let create = &body["draft"];
    let input = json!({
        "name": create["name"], "kind": create["kind"], "theme": create["theme"],
        "selling_points": create["selling_points"], "segment": create["segment"],
        "announced_on": create["announced_on"], "starts_on": create["starts_on"], "ends_on": create["ends_on"],
        "goals": { "intent_customers": 30, "orders": 15 }, "notice_text": SEED,
    });
    let response = app.api(&lead, Method::POST, "/api/v1/campaigns").json(&input).send().await.unwrap();
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["notice_text"], SEED);
    assert_eq!(created["segment"], "region = \"华东\" and industry = \"制造业\" and annual_purchase > 500万");
    let id = created["id"].as_i64().unwrap();
    let got: Value =
        app.api(&lead, Method::GET, &format!("/api/v1/campaigns/{id}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(got["notice_text"], SEED);
    let audit: Value = app
        .api(&lead, Method::GET, &format!("/api/v1/audit/campaign/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        audit.to_string().contains("目标客群 华东区域年采购额超500万的制造业客户"),
        "the notice is in the audit trail: {audit}"
    );

    // The notice stays what marketing sent: an edit may repeat it, not change it.
    let patch = |body: Value| app.api(&lead, Method::PATCH, &format!("/api/v1/campaigns/{id}")).json(&body).send();
    let response = patch(json!({ "notice_text": "主题 另一个活动", "version": 1 })).await.unwrap();
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["field"], "notice_text");
    let response = patch(json!({ "notice_text": SEED, "theme": "新品A首发", "version": 1 })).await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!((body["notice_text"].as_str(), body["theme"].as_str()), (Some(SEED), Some("新品A首发")));
});

async fn call(app: &TestApp, user: &crate::helpers::TestUser, body: Value) -> (u16, Value) {
    let r = app.api(user, Method::POST, "/api/v1/campaigns/parse-notice").json(&body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json::<Value>().await.unwrap())
}

backend_test!(parse_notice_refuses_what_it_cannot_read_and_roles_that_do_not_plan, |app| {
    let lead = app.user("lead@example.com", "lead", None).await;
    let rep = app.user("rep@example.com", "rep", Some("华南")).await;
    let (status, _) = call(&app, &rep, json!({ "text": SEED })).await;
    assert_eq!(status, 403);
    let (status, body) = call(&app, &lead, json!({ "text": "主".repeat(20_001) })).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("text")));
    let (status, body) = call(&app, &lead, json!({ "text": "主题\u{0}新品" })).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("text")));
    let (status, body) = call(&app, &lead, json!({ "text": SEED, "announced_on": "1800-01-01" })).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("announced_on")));
    // A misspelt field is named, not ignored; a missing text is named too.
    let (status, body) = call(&app, &lead, json!({ "text": SEED, "extra": 1 })).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("extra")), "{body}");
    let (status, body) = call(&app, &lead, json!({ "notice": SEED })).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("notice")), "{body}");
    let (status, body) = call(&app, &lead, json!({})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("text")), "{body}");
    // An empty notice is a draft with nothing in it.
    let (status, body) = call(&app, &lead, json!({ "text": "" })).await;
    assert_eq!(status, 200);
    assert!(body["draft"]["name"].is_null() && body["draft"]["segment"].is_null());
    assert_eq!(body["draft"]["kind"], "other");
});

backend_test!(the_new_campaign_page_fills_itself_from_the_notice, |app| {
    app.user("lead@example.com", "lead", None).await;
    let ming = app.user("ming@example.com", "rep", Some("华东")).await;
    customers(&app, ming.id).await;
    let client = app.browser_session("lead@example.com").await;
    let today = app.store.today();

    let (status, html) = get_page(&client, &app, "/campaigns/new").await;
    assert_eq!(status, 200);
    let box_at = html.find("id=\"notice-text\"").expect("the notice box");
    assert!(box_at < html.find("id=\"plan-form\"").unwrap(), "the box comes first");

    let (status, _, html) = post_form(&client, &app, "/campaigns/new/notice", &[("text", SEED)]).await;
    assert_eq!(status, 200);
    for filled in [
        "value=\"新品A限时促销\"",
        "value=\"新品A首发享8折+3年质保\"",
        "区域 = &#34;华东&#34; 且 行业 = &#34;制造业&#34; 且 年采购额 &#62; 500万",
        &format!("name=\"starts_on\" value=\"{today}\""),
        &format!("name=\"ends_on\" value=\"{}\"", month_end(today)),
        "name=\"goal_intent\" value=\"30\"",
        "name=\"goal_orders\" value=\"15\"",
        "<option value=\"new_product\" selected>",
    ] {
        assert!(html.contains(filled), "{filled} in the filled form");
    }
    // Each filled field shows where it came from; the segment its live count.
    for (field, words) in [
        ("segment", "华东区域年采购额超500万的制造业客户"),
        ("ends_on", "即日起至月底"),
        ("goals.orders", "促成订单15单"),
        ("name", "新品A限时促销"),
    ] {
        let mark = format!("data-source=\"{field}\">");
        let at = html.find(&mark).unwrap_or_else(|| panic!("no source for {field}"));
        assert!(html[at..].split("</small>").next().unwrap().contains(words), "{field} cites {words}");
    }
    assert!(html.contains("data-count=\"5\""), "the segment's live count");
    assert!(html.contains("id=\"segment-builder-box\" open"), "the builder opens on the segment");
    assert!(html.contains("name=\"prepare\" value=\"1\" checked"), "the list and breakdown come with creating");

    // The box's own notice date moves the period with it.
    let (status, _, html) =
        post_form(&client, &app, "/campaigns/new/notice", &[("text", SEED), ("notice_on", "2026-02-10")]).await;
    assert_eq!(status, 200);
    assert!(html.contains("name=\"announced_on\" value=\"2026-02-10\""), "the plan's notice date");
    assert!(html.contains("name=\"ends_on\" value=\"2026-02-28\""), "即日起至月底 from that date");

    // What was not understood is listed.
    let (_, _, html) =
        post_form(&client, &app, "/campaigns/new/notice", &[("text", "主题：新品I预热\n联系人：王经理 13800138000")])
            .await;
    assert!(html.contains("data-unparsed>联系人：王经理 13800138000<"), "listed as not understood");
    // The notice as read: what filled the form highlighted, what did not marked.
    assert!(html.contains("<mark>新品I预热</mark>"), "the source highlighted in the notice");
    assert!(html.contains("<span class=\"not-used\">联系人：王经理 13800138000</span>"), "the unused part marked");

    // Create from the filled form: the target list is generated and the
    // breakdown proposed in the same step; the notice is kept.
    let mut fields: Vec<(&str, String)> = vec![
        ("name", "新品A限时促销".into()),
        ("kind", "new_product".into()),
        ("theme", "新品A限时促销".into()),
        ("segment", "区域 = \"华东\" 且 行业 = \"制造业\" 且 年采购额 > 500万".into()),
        ("announced_on", today.to_string()),
        ("starts_on", today.to_string()),
        ("ends_on", month_end(today).to_string()),
        ("goal_intent", "4".into()),
        ("goal_orders", "2".into()),
        ("lead_email", "lead@example.com".into()),
        ("notice_text", SEED.into()),
        ("prepare", "1".into()),
    ];
    let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, location, _) = post_form(&client, &app, "/campaigns", &form).await;
    assert_eq!(status, 303);
    assert!(location.ends_with("/breakdown?ok=campaign.prepared"), "{location}");
    let id: i64 = location.split('/').nth(2).unwrap().parse().unwrap();
    let members: i64 = app.store.member_counts(id).await.unwrap().iter().map(|(_, _, n)| n).sum();
    assert_eq!(members, 5, "the target list from the segment");
    let (status, html) = get_page(&client, &app, &location).await;
    assert_eq!(status, 200);
    assert!(html.contains("data-total=\"4\""), "the proposal splits the intent goal");
    let (_, plan) = get_page(&client, &app, &format!("/campaigns/{id}")).await;
    assert!(plan.contains("id=\"notice-original\"") && plan.contains("促成订单15单"), "the notice on the plan");
    assert!(plan.contains(&format!("href=\"/audit/campaign/{id}\"")), "a lead finds the history");

    // Opting out: the campaign only.
    fields.retain(|(k, _)| *k != "prepare");
    fields[0].1 = "不生成名单".into();
    let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, location, _) = post_form(&client, &app, "/campaigns", &form).await;
    assert_eq!(status, 303);
    assert!(location.ends_with("/members?ok=campaign.created"), "{location}");
    let id: i64 = location.split('/').nth(2).unwrap().parse().unwrap();
    assert!(app.store.member_counts(id).await.unwrap().is_empty());

    // A refused create keeps the notice and its marks.
    let mut bad = fields.clone();
    bad.retain(|(k, _)| *k != "ends_on");
    bad.push(("ends_on", "2000-01-01".into()));
    let form: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, html) = post_form(&client, &app, "/campaigns", &form).await;
    assert_eq!(status, 422);
    assert!(html.contains("data-source=\"segment\""), "the marks survive a refused create");
    assert!(!html.contains("data-source=\"ends_on\""), "a changed field loses its mark");
});

/// The seed's notice as it reaches a lead in a chat: one line per part.
const SEED_CHAT: &str = "【市场部活动通知】\n主题：新品A限时促销\n目标客群：华东区域年采购额超500万的制造业客户\n\
核心卖点：新品A首发享8折+3年质保\n活动时间：即日起至月底\n目标：本月新增意向客户30家，促成订单15单";

/// Counts the UI actions a person makes (clicks, a paste), so the test can
/// hold the path from the dashboard to an active campaign to its budget.
struct Actions {
    done: Vec<&'static str>,
}

impl Actions {
    async fn click(&mut self, b: &crate::browser::Browser, what: &'static str, css: &str) {
        self.done.push(what);
        b.click(css).await;
    }

    /// A paste: the whole text lands in the box at once, as from the clipboard.
    async fn paste(&mut self, b: &crate::browser::Browser, what: &'static str, css: &str, text: &str) {
        self.done.push(what);
        b.js_with(
            "const box = document.querySelector(arguments[0]); box.focus(); box.value = arguments[1];
             box.dispatchEvent(new Event('input', { bubbles: true })); return true",
            json!([css, text]),
        )
        .await;
    }
}

/// The measure: on the demo data, a lead goes from the dashboard to
/// an active campaign with a target list and a saved breakdown by pasting
/// marketing's notice, in at most 8 counted actions and 2 minutes — on a
/// phone (SQLite) and at a desk (PostgreSQL); the filled form passes axe.
async fn from_the_notice_to_an_active_campaign(backend: crate::helpers::Backend, screen: crate::browser::Screen) {
    use crate::browser::{Screen, setup};
    use rally::domain::campaign::CampaignStatus;

    let Some((app, browser)) = setup(backend, screen).await else { return };
    let phone = matches!(screen, Screen::Phone);
    // On a phone no page of the walk scrolls sideways.
    let fits = |where_: &'static str| {
        let browser = &browser;
        async move {
            if phone {
                let widest = browser
                    .js("return Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
                    .await;
                assert!(widest.as_i64().unwrap() <= 376, "{where_} is {widest}px wide on a 375px phone");
            }
        }
    };
    rally::ops::demo::load(&app.store, app.store.today()).await.expect("the demo data");
    browser.sign_in_with(&app, "lead@rally.example", rally::demo::DEMO_PASSWORD).await;
    browser.wait_for("htmx", "return typeof htmx !== 'undefined'").await;
    let today = app.store.today();
    let started = std::time::Instant::now();
    let mut act = Actions { done: Vec::new() };

    act.click(&browser, "粘贴通知，新建活动 (dashboard)", "a[data-paste-notice]").await;
    browser.wait_for_page("/campaigns/new").await;
    browser.wait_for("htmx", "return typeof htmx !== 'undefined'").await;
    act.paste(&browser, "paste the notice", "#notice-text", SEED_CHAT).await;
    // The form fills itself: every field the notice states, with its source.
    let filled = "const v = n => document.querySelector(`#plan-form [name=${n}]`).value;
        return document.querySelector('#notice-summary') && v('goal_orders') === '15' && v('name')";
    assert_eq!(browser.wait_for("the form filled from the notice", filled).await, "新品A限时促销");
    let form = browser
        .js("const v = n => document.querySelector(`#plan-form [name=${n}]`).value;
             return [v('kind'), v('segment'), v('starts_on'), v('ends_on'), v('goal_intent'), v('selling_points')]")
        .await;
    assert_eq!(
        form,
        json!([
            "new_product",
            "区域 = \"华东\" 且 行业 = \"制造业\" 且 年采购额 > 500万",
            today.to_string(),
            month_end(today).to_string(),
            "30",
            "新品A首发享8折+3年质保"
        ])
    );
    let source = browser.text("[data-source=segment]").await;
    assert!(source.contains("华东区域年采购额超500万的制造业客户"), "the segment cites its words: {source}");
    assert!(browser.text("[data-source='goals.intent_customers']").await.contains("本月新增意向客户30家"));
    let count = browser
        .wait_for(
            "the segment's live count",
            "const c = document.querySelector('#segment-check [data-count]'); return c && Number(c.dataset.count)",
        )
        .await;
    let matching = count.as_i64().unwrap();
    assert!(matching > 0, "the demo has East China manufacturers over 500万");
    assert_eq!(browser.js("return document.querySelector('#plan-form [name=prepare]').checked").await, true);
    fits("the filled form").await;
    if phone {
        let shot = browser.screenshot("rally-phone-notice-filled.png").await;
        eprintln!("the form filled from the notice: {}", shot.display());
    }
    if !cfg!(rally_no_axe) {
        let axe = std::fs::read_to_string(crate::pages::AXE).expect("axe-core");
        browser.js(&axe).await;
        let result = browser.js(crate::pages::RUN_AXE).await;
        assert!(result["passes"].as_i64().unwrap_or(0) >= 10, "axe did not run: {result}");
        assert_eq!(result["violations"], json!([]), "the filled form passes axe (WCAG 2.1 AA)");
    }

    act.click(&browser, "创建活动", "#plan-form button[type=submit]").await;
    browser
        .wait_for(
            "the proposed breakdown",
            "return location.pathname.endsWith('/breakdown') && document.readyState === 'complete'",
        )
        .await;
    let campaign_path = browser.path().await.trim_end_matches("/breakdown").to_owned();
    let id: i64 = campaign_path.rsplit('/').next().unwrap().parse().unwrap();
    let proposed =
        browser.js("return document.querySelector('[data-total-of=\"breakdown.target\"]').dataset.total").await;
    assert_eq!(proposed, "30", "the proposal splits the intent goal");
    fits("the proposed breakdown").await;

    act.click(&browser, "保存任务分解", "main form button[data-save]").await;
    browser.wait_for("the saved breakdown", "return document.body.innerText.includes('任务分解已保存')").await;
    act.click(&browser, "计划 tab", &format!("nav.tabs a[href='{campaign_path}']")).await;
    browser.wait_for_page(&campaign_path).await;
    assert_eq!(
        browser.js("return document.querySelectorAll('[data-missing]').length").await,
        0,
        "nothing is missing before rollout"
    );
    fits("the plan").await;
    act.click(&browser, "启动活动", "button[data-activate]").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let c = app.store.campaign(id).await.unwrap().unwrap();
        if c.status == CampaignStatus::Active {
            assert_eq!(c.notice_text, SEED_CHAT, "the notice is kept with the campaign");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the campaign did not become active");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let elapsed = started.elapsed();

    let members: i64 = app.store.member_counts(id).await.unwrap().iter().map(|(_, _, n)| n).sum();
    assert_eq!(members, matching, "the target list is the segment's customers");
    let breakdown = app.store.breakdown(id).await.unwrap();
    assert_eq!(breakdown.iter().map(|r| r.target_customers).sum::<i64>(), 30, "{breakdown:?}");
    eprintln!("notice → active campaign: {} actions in {:.1} s: {:?}", act.done.len(), elapsed.as_secs_f64(), act.done);
    assert!(act.done.len() <= 8, "{} actions: {:?}", act.done.len(), act.done);
    assert!(elapsed < std::time::Duration::from_secs(120), "{elapsed:?}");
}

mod from_the_notice_to_an_active_campaign {
    use crate::browser::Screen;
    use crate::helpers::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(
        rally_no_browser,
        ignore = "Chromium is not installed (Debian: chromium chromium-driver fonts-wqy-microhei)"
    )]
    async fn sqlite_on_a_phone() {
        super::from_the_notice_to_an_active_campaign(Backend::Sqlite, Screen::Phone).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(
        rally_no_browser,
        ignore = "Chromium is not installed (Debian: chromium chromium-driver fonts-wqy-microhei)"
    )]
    #[cfg_attr(rally_no_postgres, ignore = "PostgreSQL is not installed (Debian: postgresql)")]
    async fn postgres_on_a_desk() {
        super::from_the_notice_to_an_active_campaign(Backend::Postgres, Screen::Desktop).await;
    }
}
