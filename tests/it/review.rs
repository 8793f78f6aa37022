//! Phase 4 on both backends: PRODUCT.md's review example (intent 30 → 36 =
//! 120%, orders 15 → 18 = 120%, ROI 1:3 → 1:3.5 = 117%) in the metrics API,
//! the review API, the page and the XLSX; the draft made when the campaign
//! ends; the lead's edits; holding the review freezes the numbers.

use chrono::NaiveDate;
use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_test;
use crate::helpers::{
    Backend, TestApp, TestUser, add_customer, get_page, post_form, rally_sql, scalar, spawn_app_with_clock,
};

/// Wednesday 2 December 2026: the campaign ended on Friday 27 November; its
/// review is due three working days later, today.
const TODAY: &str = "2026-12-02";

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

macro_rules! review_test {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some($app) = spawn_app_with_clock(Backend::Sqlite, rally::clock::Clock::fixed_on(d(TODAY))).await $body
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some($app) = spawn_app_with_clock(Backend::Postgres, rally::clock::Clock::fixed_on(d(TODAY))).await $body
            }
        }
    };
}

async fn send(app: &TestApp, user: &TestUser, method: Method, path: &str, body: Value) -> (u16, Value) {
    let response = app.api(user, method, path).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get(app: &TestApp, user: &TestUser, path: &str) -> Value {
    let response = app.api(user, Method::GET, path).send().await.unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 200, "{path}: {body}");
    body
}

pub(crate) struct World {
    pub lead: TestUser,
    pub ming: TestUser,
    pub marketing: TestUser,
    pub campaign: i64,
    pub customers: Vec<i64>,
}

/// PRODUCT.md's example: 60 members (40 of 明's, 20 of 芳's); 50 reached,
/// 36 intent customers, 18 orders for 210,000 yuan on a cost of 60,000.
pub(crate) async fn world(app: &TestApp) -> World {
    let lead = app.named_user("lead@example.com", "周强", "lead", None).await;
    let ming = app.named_user("ming@example.com", "明", "rep", Some("华南")).await;
    let fang = app.named_user("fang@example.com", "芳", "rep", Some("华北")).await;
    let marketing = app.named_user("mkt@example.com", "陈静", "marketing", None).await;
    let mut customers = Vec::new();
    for i in 0..60 {
        let owner = if i < 40 { ming.id } else { fang.id };
        customers.push(add_customer(app, &format!("复盘客户{i:02}"), "华南", Some(owner)).await);
    }
    let (status, created) = send(
        app,
        &lead,
        Method::POST,
        "/api/v1/campaigns",
        json!({
            "name": "新品A限时促销", "kind": "new_product", "segment": "region = \"华南\"",
            "announced_on": "2026-11-02", "starts_on": "2026-11-03", "ends_on": "2026-11-27",
            "goals": {"intent_customers": 30, "orders": 15, "sales_amount": 180000.0, "roi": 3.0},
            "cost_items": "物料印刷 2万；样品运输 1万；答谢礼品 3万"
        }),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let campaign = created["id"].as_i64().unwrap();
    let (status, generated) =
        send(app, &lead, Method::POST, &format!("/api/v1/campaigns/{campaign}/members/generate"), json!({})).await;
    assert_eq!((status, generated["added"].as_i64()), (200, Some(60)), "{generated}");
    let (status, body) =
        send(app, &lead, Method::PATCH, &format!("/api/v1/campaigns/{campaign}"), json!({"status": "active"})).await;
    assert_eq!(status, 200, "{body}");
    // Stages as the lead corrected them on days of the campaign.
    let actor: rally::ops::authz::Actor = app.store.user_by_email(&lead.email).await.unwrap().unwrap().into();
    for (i, customer) in customers.iter().enumerate() {
        let day = d("2026-11-04") + chrono::Duration::days((i % 20) as i64);
        let store = app.store.with_clock(rally::clock::Clock::fixed_on(day));
        let (stage, amount) = match i {
            // 18 orders: 11,666.67 yuan each on average, 210,000 in all.
            0..18 => ("ordered", Some(if i == 0 { 1_166_666 + 12 } else { 1_166_666 })),
            18..36 => ("intent", None),
            36..50 => ("contacted", None),
            _ => continue,
        };
        rally::ops::execution::members::correct_stage(&store, &actor, campaign, *customer, stage, amount, None)
            .await
            .unwrap();
    }
    World { lead, ming, marketing, campaign, customers }
}

/// The cost of 60,000 yuan entered by marketing (planned 60,000 too).
pub(crate) async fn enter_costs(app: &TestApp, w: &World) {
    let costs = format!("/api/v1/campaigns/{}/costs", w.campaign);
    let planned = get(app, &w.marketing, &costs).await;
    assert_eq!(planned["items"][0]["item"], "物料印刷", "read from the plan: {planned}");
    assert_eq!(planned["items"][0]["planned"], 20000.0);
    assert_eq!(planned["items"][0]["actual"], Value::Null);
    let (status, body) = send(
        app,
        &w.marketing,
        Method::PUT,
        &costs,
        json!({"items": [
            {"item": "物料印刷", "planned": 20000.0, "actual": 25000.0},
            {"item": "样品运输", "planned": 10000.0, "actual": 5000.0},
            {"item": "答谢礼品", "planned": 30000.0, "actual": 30000.0}
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = send(app, &w.ming, Method::PUT, &costs, json!({"items": []})).await;
    assert_eq!(status, 403, "a rep enters no costs");
    let (status, body) = send(app, &w.lead, Method::PUT, &costs, json!({"items": [{"item": "", "actual": 1.0}]})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("items[].item")), "{body}");
    let (status, body) =
        send(app, &w.lead, Method::PUT, &costs, json!({"items": [{"item": "x", "actual": -1.0}]})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("items[].actual")), "{body}");
}

/// The lead writes one line's improvement.
pub(crate) async fn put_line(app: &TestApp, w: &World, key: &str, improvement: &str) -> (u16, Value) {
    let path = format!("/api/v1/campaigns/{}/review", w.campaign);
    send(app, &w.lead, Method::PUT, &path, json!({"lines": [{"key": key, "improvement": improvement}]})).await
}

fn metric<'a>(body: &'a Value, key: &str) -> &'a Value {
    body["metrics"].as_array().unwrap().iter().find(|m| m["key"] == key).unwrap_or_else(|| panic!("{key}: {body}"))
}

fn line<'a>(body: &'a Value, key: &str) -> &'a Value {
    body["lines"].as_array().unwrap().iter().find(|m| m["key"] == key).unwrap_or_else(|| panic!("{key}: {body}"))
}

fn close(v: &Value, expected: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - expected).abs() < 1e-6)
}

review_test!(the_product_example_holds_in_the_api_the_page_and_the_xlsx, |app| {
    let w = world(&app).await;
    enter_costs(&app, &w).await;

    let m = get(&app, &w.ming, &format!("/api/v1/campaigns/{}/metrics", w.campaign)).await;
    let keys: Vec<&str> = m["metrics"].as_array().unwrap().iter().map(|m| m["key"].as_str().unwrap()).collect();
    assert_eq!(
        keys,
        ["reached", "intent_customers", "orders", "sales_amount", "average_order_value", "cost", "roi", "conversion"]
    );
    let intent = metric(&m, "intent_customers");
    assert!(
        close(&intent["goal"], 30.0) && close(&intent["actual"], 36.0) && close(&intent["achievement"], 1.2),
        "{intent}"
    );
    let orders = metric(&m, "orders");
    assert!(
        close(&orders["goal"], 15.0) && close(&orders["actual"], 18.0) && close(&orders["achievement"], 1.2),
        "{orders}"
    );
    let roi = metric(&m, "roi");
    assert!(close(&roi["goal"], 3.0) && close(&roi["actual"], 3.5), "{roi}");
    assert!(close(&roi["achievement"], 3.5 / 3.0), "{roi}");
    assert!(close(&metric(&m, "sales_amount")["actual"], 210_000.0));
    assert!(close(&metric(&m, "cost")["actual"], 60_000.0));
    assert!(close(&metric(&m, "conversion")["actual"], 0.5));
    assert!(close(&metric(&m, "average_order_value")["actual"], 11_666.67), "{m}");
    assert_eq!(metric(&m, "reached")["achievement"], Value::Null, "no goal, no rate");
    // Cumulative funnel: an order is also reached and intent.
    assert_eq!((m["funnel"]["members"].as_i64(), m["funnel"]["reached"].as_i64()), (Some(60), Some(50)));
    assert_eq!(m["funnel"]["intent_customers"], 36);
    let reps: Vec<(String, i64)> = m["by_rep"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["key"].as_str().unwrap().to_owned(), r["orders"].as_i64().unwrap()))
        .collect();
    assert_eq!(reps, [("明".to_owned(), 18), ("芳".to_owned(), 0)]);
    assert_eq!(m["by_tier"].as_array().unwrap().len(), 3);
    assert_eq!(m["by_region"][0]["key"], "华南");
    assert_eq!(m["by_source"][0]["members"], 60);
    assert_eq!(m["frozen"], false);
    // The burn-up: the campaign's 19 working days, intent climbing to 36.
    let burn = m["burn_up"].as_array().unwrap();
    assert_eq!(burn.len(), 19, "{m}");
    assert_eq!(burn.last().unwrap()["intent_customers"], 36);
    assert!(close(&burn.last().unwrap()["intent_goal"], 30.0));

    // The review: a draft now that the campaign is over, pre-filled.
    let review_path = format!("/api/v1/campaigns/{}/review", w.campaign);
    let r = get(&app, &w.ming, &review_path).await;
    assert_eq!((r["status"].as_str(), r["due_on"].as_str()), (Some("draft"), Some("2026-12-02")), "{r}");
    assert_eq!(r["overdue"], false);
    assert_eq!(line(&r, "intent_customers")["achievement_text"], "120%");
    assert_eq!(line(&r, "orders")["achievement_text"], "120%");
    let roi_line = line(&r, "roi");
    assert_eq!(
        (roi_line["goal_text"].as_str(), roi_line["actual_text"].as_str(), roi_line["achievement_text"].as_str()),
        (Some("1:3"), Some("1:3.5"), Some("117%"))
    );
    assert_eq!(line(&r, "intent_customers")["highlight"], "意向客户达成率120%");

    // The lead edits lines; others may not; bad lines name the field.
    let (status, _) = send(&app, &w.ming, Method::PUT, &review_path, json!({"lines": []})).await;
    assert_eq!(status, 403);
    let (status, body) = send(&app, &w.lead, Method::PUT, &review_path, json!({"lines": [{"key": "mood"}]})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("lines[].key")), "{body}");
    let (status, body) = send(
        &app,
        &w.lead,
        Method::PUT,
        &review_path,
        json!({"lines": [{"key": "roi", "highlight": "S级客户转化率70%", "problem": "部分物料延迟2天",
                          "improvement": "下次活动提前5天确认物流"}]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(line(&body, "roi")["improvement"], "下次活动提前5天确认物流");
    assert_eq!(line(&body, "intent_customers")["highlight"], "意向客户达成率120%", "untouched lines keep their text");
    let version = body["version"].as_i64().unwrap();
    let (status, _) = send(
        &app,
        &w.lead,
        Method::PUT,
        &review_path,
        json!({"version": version - 1, "lines": [{"key": "roi", "problem": "x"}]}),
    )
    .await;
    assert_eq!(status, 409, "a stale version");

    // The page shows the same numbers and the charts.
    let client = app.browser_session(&w.ming.email).await;
    let (status, html) = get_page(&client, &app, &format!("/campaigns/{}/review", w.campaign)).await;
    assert_eq!(status, 200);
    for text in [
        "活动复盘表",
        "意向客户",
        "120%",
        "1:3.5",
        "117%",
        "转化漏斗",
        "每日进度燃起图",
        "各级客户转化率",
        "各销售代表转化率",
        "下次活动提前5天确认物流",
    ] {
        assert!(html.contains(text), "{text} is not on the page");
    }

    // The XLSX: template 4's headings and the same figures.
    let response = app
        .api(&w.ming, Method::GET, &format!("/api/v1/campaigns/{}/review/export?format=xlsx", w.campaign))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap();
    let table = rally::io::read_table(&bytes, rally::io::FileFormat::Xlsx).unwrap();
    let mut rows: Vec<Vec<String>> = vec![table.headers.clone()];
    rows.extend(table.rows.iter().map(|r| r.cells.iter().map(cell_text).collect()));
    let headings = ["指标", "目标值", "实际值", "达成率", "亮点", "问题", "改进措施"];
    assert!(rows.iter().any(|r| r.iter().take(7).map(String::as_str).eq(headings)), "{rows:?}");
    let find = |label: &str| rows.iter().find(|r| r.first().map(String::as_str) == Some(label)).cloned().unwrap();
    assert_eq!(find("意向客户")[1..4], ["30", "36", "120%"]);
    assert_eq!(find("订单")[1..4], ["15", "18", "120%"]);
    assert_eq!(find("投入产出比")[1..4], ["1:3", "1:3.5", "117%"]);
    assert_eq!(find("投入产出比")[6], "下次活动提前5天确认物流");
    let (status, body) = send(
        &app,
        &w.ming,
        Method::GET,
        &format!("/api/v1/campaigns/{}/review/export?format=pdf", w.campaign),
        Value::Null,
    )
    .await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("format")));
});

fn cell_text(c: &rally::io::Cell) -> String {
    match c {
        rally::io::Cell::Text(s) => s.clone(),
        rally::io::Cell::Number(n) => n.to_string(),
        other => format!("{other:?}"),
    }
}

review_test!(ending_drafts_the_review_and_holding_freezes_the_numbers, |app| {
    let w = world(&app).await;
    let review_path = format!("/api/v1/campaigns/{}/review", w.campaign);
    let r = get(&app, &w.lead, &review_path).await;
    assert_eq!(r["version"], Value::Null, "nothing stored before the campaign is marked ended");
    let (status, body) =
        send(&app, &w.lead, Method::PATCH, &format!("/api/v1/campaigns/{}", w.campaign), json!({"status": "ended"}))
            .await;
    assert_eq!(status, 200, "{body}");
    let r = get(&app, &w.lead, &review_path).await;
    assert_eq!((r["status"].as_str(), r["version"].as_i64()), (Some("draft"), Some(1)), "{r}");

    // Only a lead or an admin holds the review.
    let held = format!("{review_path}/held");
    let (status, _) = send(&app, &w.marketing, Method::POST, &held, Value::Null).await;
    assert_eq!(status, 403);
    let (status, body) = send(&app, &w.lead, Method::POST, &held, Value::Null).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["status"].as_str(), body["held_on"].as_str(), body["frozen"].as_bool()),
        (Some("held"), Some(TODAY), Some(true))
    );
    let c = get(&app, &w.lead, &format!("/api/v1/campaigns/{}", w.campaign)).await;
    assert_eq!(c["status"], "reviewed", "{c}");
    let phase4 = c["phases"].as_array().unwrap().iter().find(|p| p["number"] == 4).unwrap().clone();
    assert_eq!(phase4["done_on"], TODAY, "{phase4}");
    let (status, _) = send(&app, &w.lead, Method::POST, &held, Value::Null).await;
    assert_eq!(status, 409, "held once");

    // Later records do not change a reviewed campaign's numbers.
    let actor: rally::ops::authz::Actor = app.store.user_by_email(&w.lead.email).await.unwrap().unwrap().into();
    rally::ops::execution::members::correct_stage(
        &app.store,
        &actor,
        w.campaign,
        w.customers[59],
        "ordered",
        Some(5_000_000),
        None,
    )
    .await
    .unwrap();
    let m = get(&app, &w.lead, &format!("/api/v1/campaigns/{}/metrics", w.campaign)).await;
    assert_eq!(m["frozen"], true);
    assert!(close(&metric(&m, "orders")["actual"], 18.0), "{m}");
    let (status, _) = send(
        &app,
        &w.lead,
        Method::PUT,
        &format!("/api/v1/campaigns/{}/costs", w.campaign),
        json!({"items": [{"item": "追加", "actual": 1.0}]}),
    )
    .await;
    assert_eq!(status, 409, "a reviewed campaign's costs are frozen");
    // The lines stay editable.
    let (status, _) =
        send(&app, &w.lead, Method::PUT, &review_path, json!({"lines": [{"key": "orders", "highlight": "好"}]})).await;
    assert_eq!(status, 200);
});

review_test!(the_region_breakdown_follows_an_edited_customer, |app| {
    let w = world(&app).await;
    let regions = |m: &Value| -> Vec<(String, i64, i64)> {
        m["by_region"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (r["key"].as_str().unwrap().to_owned(), r["members"].as_i64().unwrap(), r["orders"].as_i64().unwrap())
            })
            .collect()
    };
    let path = format!("/api/v1/campaigns/{}/metrics", w.campaign);
    assert_eq!(regions(&get(&app, &w.lead, &path).await), [("华南".to_owned(), 60, 18)]);
    // The first customer ordered; it moves to 华北, and so does its order.
    let customer = format!("/api/v1/customers/{}", w.customers[0]);
    let before = get(&app, &w.lead, &customer).await;
    let body = json!({"region": "华北", "version": before["version"]});
    let (status, after) = send(&app, &w.lead, Method::PATCH, &customer, body).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(
        regions(&get(&app, &w.lead, &path).await),
        [("华南".to_owned(), 59, 17), ("华北".to_owned(), 1, 1)],
        "the member's region is its customer's"
    );
    // A member added later comes with its customer's region.
    add_customer(&app, "复盘客户晚到", "华南", None).await;
    let (status, body) =
        send(&app, &w.lead, Method::POST, &format!("/api/v1/campaigns/{}/members/generate", w.campaign), json!({}))
            .await;
    assert_eq!((status, body["added"].as_i64()), (200, Some(1)), "{body}");
    assert_eq!(regions(&get(&app, &w.lead, &path).await), [("华南".to_owned(), 60, 17), ("华北".to_owned(), 1, 1)]);
});

review_test!(a_running_campaign_has_a_preview_and_no_review_yet, |app| {
    let lead = app.named_user("lead@example.com", "周强", "lead", None).await;
    let (status, created) = send(
        &app,
        &lead,
        Method::POST,
        "/api/v1/campaigns",
        json!({"name": "年末答谢会", "kind": "appreciation", "announced_on": "2026-11-30",
               "starts_on": "2026-12-01", "ends_on": "2026-12-31", "goals": {"intent_customers": 10}}),
    )
    .await;
    assert_eq!(status, 201);
    let id = created["id"].as_i64().unwrap();
    let r = get(&app, &lead, &format!("/api/v1/campaigns/{id}/review")).await;
    assert_eq!(r["status"], "pending", "{r}");
    let (status, body) =
        send(&app, &lead, Method::PUT, &format!("/api/v1/campaigns/{id}/review"), json!({"lines": []})).await;
    assert_eq!(status, 409, "{body}");
    let (status, _) =
        send(&app, &lead, Method::POST, &format!("/api/v1/campaigns/{id}/review/held"), Value::Null).await;
    assert_eq!(status, 409);
    // The page form path: a lead's costs saved, the page answers.
    let client = app.browser_session(&lead.email).await;
    let (status, location, _) = post_form(
        &client,
        &app,
        &format!("/campaigns/{id}/review/costs"),
        &[("item", "场地"), ("planned", "3万"), ("actual", "28000")],
    )
    .await;
    assert_eq!((status, location.as_str()), (303, format!("/campaigns/{id}/review?ok=review.costs_saved").as_str()));
    let costs = get(&app, &lead, &format!("/api/v1/campaigns/{id}/costs")).await;
    assert_eq!(costs["items"], json!([{"item": "场地", "planned": 30000.0, "actual": 28000.0}]));
});

backend_test!(the_demo_has_a_reviewed_campaign_and_an_overdue_review, |app| {
    rally::ops::demo::load(&app.store, rally::clock::today()).await.unwrap();
    let user = app.store.user_by_email("lead@rally.example").await.unwrap().unwrap();
    let lead = TestUser {
        id: user.id,
        email: user.email.clone(),
        role: "lead".to_owned(),
        token: rally::ops::users::create_token(&app.store, "lead@rally.example", "test").await.unwrap(),
    };
    let campaigns = get(&app, &lead, "/api/v1/campaigns").await;
    let find = |name: &str| {
        campaigns["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))
            .clone()
    };
    let reviewed = find("十月新品A限时促销");
    assert_eq!(reviewed["status"], "reviewed", "{reviewed}");
    let id = reviewed["id"].as_i64().unwrap();
    let r = get(&app, &lead, &format!("/api/v1/campaigns/{id}/review")).await;
    assert_eq!((r["status"].as_str(), r["frozen"].as_bool()), (Some("held"), Some(true)), "{r}");
    assert_eq!(line(&r, "intent_customers")["achievement_text"], "120%");
    assert_eq!(line(&r, "orders")["achievement_text"], "120%");
    assert_eq!(
        (line(&r, "roi")["actual_text"].as_str(), line(&r, "roi")["achievement_text"].as_str()),
        (Some("1:3.5"), Some("117%"))
    );
    assert_eq!(line(&r, "roi")["improvement"], "下次活动提前5天确认物流");
    let older = find("九月老客户答谢会");
    assert_eq!(older["status"], "ended");
    let r = get(&app, &lead, &format!("/api/v1/campaigns/{}/review", older["id"])).await;
    assert_eq!(
        (r["status"].as_str(), r["overdue"].as_bool(), r["version"].as_i64()),
        (Some("draft"), Some(true), Some(1)),
        "{r}"
    );
    // What the review left: its lessons in the knowledge base and an SOP template.
    let lessons = get(&app, &lead, "/api/v1/knowledge?kind=lesson").await;
    assert!(
        lessons["items"].as_array().unwrap().iter().any(|e| e["campaign_id"] == id && e["status"] == "published"),
        "{lessons}"
    );
    let templates = get(&app, &lead, "/api/v1/campaign-templates").await;
    assert_eq!(templates["items"][0]["source_campaign_id"], id, "{templates}");
    assert!(close(&templates["items"][0]["ratios"]["roi"], 3.5), "{templates}");
});

review_test!(a_campaign_becomes_reviewed_only_by_holding_its_review, |app| {
    let w = world(&app).await;
    let campaign = format!("/api/v1/campaigns/{}", w.campaign);
    let (status, body) = send(&app, &w.lead, Method::PATCH, &campaign, json!({"status": "ended"})).await;
    assert_eq!(status, 200, "{body}");
    // Setting the status would skip the review and leave the numbers live.
    let (status, body) = send(&app, &w.lead, Method::PATCH, &campaign, json!({"status": "reviewed"})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("status")), "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("review is held") && message.contains("/review/held"), "{message}");
    assert_eq!(get(&app, &w.lead, &campaign).await["status"], "ended");
    // Nor can a campaign be created reviewed.
    let (status, body) = send(
        &app,
        &w.lead,
        Method::POST,
        "/api/v1/campaigns",
        json!({"name": "旧活动", "kind": "other", "status": "reviewed",
            "announced_on": "2026-10-01", "starts_on": "2026-10-02", "ends_on": "2026-10-10"}),
    )
    .await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("status")), "{body}");
    // The plan form offers no `reviewed` and answers the same, in the reader's language.
    let client = app.browser_session(&w.lead.email).await;
    let (status, html) = get_page(&client, &app, &format!("/campaigns/{}/edit", w.campaign)).await;
    assert_eq!(status, 200);
    assert!(html.contains("value=\"ended\"") && !html.contains("value=\"reviewed\""), "no reviewed option");
    let version = get(&app, &w.lead, &campaign).await["version"].as_i64().unwrap().to_string();
    let (status, _, html) = post_form(
        &client,
        &app,
        &format!("/campaigns/{}", w.campaign),
        &[("name", "新品A限时促销"), ("kind", "new_product"), ("status", "reviewed"), ("version", &version)],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("召开复盘会") && html.contains("复盘"), "{html}");
    assert_eq!(get(&app, &w.lead, &campaign).await["status"], "ended");

    // Holding the review makes it reviewed; from there the status stays.
    let (status, body) = send(&app, &w.lead, Method::POST, &format!("{campaign}/review/held"), Value::Null).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(get(&app, &w.lead, &campaign).await["status"], "reviewed");
    let (status, body) = send(&app, &w.lead, Method::PATCH, &campaign, json!({"status": "ended"})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("status")), "{body}");
    let (status, body) =
        send(&app, &w.lead, Method::PATCH, &campaign, json!({"status": "reviewed", "notes": "复盘完"})).await;
    assert_eq!(status, 200, "keeping `reviewed` is no change: {body}");
    let (status, html) = get_page(&client, &app, &format!("/campaigns/{}/edit", w.campaign)).await;
    assert_eq!(status, 200);
    assert!(html.contains("value=\"reviewed\"") && !html.contains("value=\"ended\""), "only its own status");
});

review_test!(a_review_line_becomes_a_draft_knowledge_entry, |app| {
    let w = world(&app).await;
    let (status, body) =
        send(&app, &w.lead, Method::PATCH, &format!("/api/v1/campaigns/{}", w.campaign), json!({"status": "ended"}))
            .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = put_line(&app, &w, "conversion", "B级客户邀约后48小时内电话回访").await;
    assert_eq!(status, 200, "{body}");

    // The API: a rep proposes the line as a lesson, filled from the review.
    let (status, e) = send(
        &app,
        &w.ming,
        Method::POST,
        "/api/v1/knowledge",
        json!({"campaign_id": w.campaign, "review_line": "conversion"}),
    )
    .await;
    assert_eq!(status, 201, "{e}");
    assert_eq!((e["kind"].as_str(), e["status"].as_str()), (Some("lesson"), Some("proposed")), "{e}");
    assert_eq!(e["title"], "新品A限时促销 · 转化率", "{e}");
    assert!(e["body"].as_str().unwrap().contains("改进措施：B级客户邀约后48小时内电话回访"), "{e}");
    assert_eq!(e["campaign_id"], w.campaign);
    assert_eq!(e["campaign_kinds"], json!(["new_product"]));
    assert!(e["tiers"].as_array().unwrap().contains(&json!("B")), "the line names B级: {e}");
    // What the caller gives wins over the draft.
    let (status, e) = send(
        &app,
        &w.lead,
        Method::POST,
        "/api/v1/knowledge",
        json!({"campaign_id": w.campaign, "review_line": "conversion", "title": "B级客户48小时回访", "tiers": []}),
    )
    .await;
    assert_eq!(status, 201, "{e}");
    assert_eq!((e["title"].as_str(), e["status"].as_str()), (Some("B级客户48小时回访"), Some("proposed")));
    assert_eq!(e["tiers"], json!([]));
    // Bad references name their field; roles that may not propose are refused first.
    for (body, field) in [
        (json!({"campaign_id": w.campaign, "review_line": "mood"}), "review_line"),
        (json!({"review_line": "conversion"}), "campaign_id"),
        (json!({"campaign_id": 999999, "review_line": "conversion"}), "campaign_id"),
        (json!({"campaign_id": w.campaign, "review_line": "reached"}), "review_line"),
    ] {
        let (status, r) = send(&app, &w.ming, Method::POST, "/api/v1/knowledge", body.clone()).await;
        assert_eq!((status, r["error"]["field"].as_str()), (422, Some(field)), "{body}: {r}");
    }
    let support = app.user("support@example.com", "support", None).await;
    let (status, _) = send(
        &app,
        &support,
        Method::POST,
        "/api/v1/knowledge",
        json!({"campaign_id": w.campaign, "review_line": "conversion"}),
    )
    .await;
    assert_eq!(status, 403);

    // The page: each line that says something links to the filled form.
    let client = app.browser_session(&w.ming.email).await;
    let (status, html) = get_page(&client, &app, &format!("/campaigns/{}/review", w.campaign)).await;
    assert_eq!(status, 200);
    let link = format!("/knowledge/new?campaign={}&amp;line=conversion", w.campaign);
    assert!(html.contains(&link), "{html}");
    assert!(!html.contains("line=reached"), "a line without words has no link");
    let (status, form) =
        get_page(&client, &app, &format!("/knowledge/new?campaign={}&line=conversion", w.campaign)).await;
    assert_eq!(status, 200);
    assert!(
        form.contains("B级客户邀约后48小时内电话回访") && form.contains("name=\"review_line\" value=\"conversion\"")
    );
    assert!(form.contains("value=\"新品A限时促销 · 转化率\""), "the title is filled");
    let (status, _) = get_page(&client, &app, &format!("/knowledge/new?campaign={}&line=mood", w.campaign)).await;
    assert_eq!(status, 404);
    let (status, location, body) = post_form(
        &client,
        &app,
        "/knowledge",
        &[
            ("kind", "lesson"),
            ("title", "B级客户邀约后回访"),
            ("body", "B级客户邀约后48小时内电话回访"),
            // Ticked checkboxes repeat their name.
            ("tiers", "S"),
            ("tiers", "B"),
            ("campaign_kinds", "new_product"),
            ("campaign_kinds", "competitive"),
            ("campaign_id", &w.campaign.to_string()),
            ("review_line", "conversion"),
        ],
    )
    .await;
    let errors: Vec<&str> = body.split("role=\"alert\"").skip(1).map(|p| p.split("</").next().unwrap_or("")).collect();
    assert_eq!(status, 303, "{errors:?}");
    let id: i64 = location.trim_start_matches("/knowledge/").split('?').next().unwrap().parse().unwrap();
    let saved = get(&app, &w.ming, &format!("/api/v1/knowledge/{id}")).await;
    assert_eq!((saved["campaign_id"].as_i64(), saved["status"].as_str()), (Some(w.campaign), Some("proposed")));
    assert_eq!(
        (&saved["tiers"], &saved["campaign_kinds"]),
        (&json!(["S", "B"]), &json!(["new_product", "competitive"]))
    );
    // Support may read the review, not propose from it.
    let client = app.browser_session(&support.email).await;
    let (_, html) = get_page(&client, &app, &format!("/campaigns/{}/review", w.campaign)).await;
    assert!(!html.contains("/knowledge/new?campaign="));
});

review_test!(the_dashboard_lists_reviews_due_for_those_who_hold_them, |app| {
    let w = world(&app).await;
    let lead = app.browser_session(&w.lead.email).await;
    let ming = app.browser_session(&w.ming.email).await;
    let marker = format!("data-review=\"{}\"", w.campaign);
    let (_, html) = get_page(&lead, &app, "/").await;
    assert!(html.contains(&marker), "past its end date the review is due, marked ended or not");
    let (status, body) =
        send(&app, &w.lead, Method::PATCH, &format!("/api/v1/campaigns/{}", w.campaign), json!({"status": "ended"}))
            .await;
    assert_eq!(status, 200, "{body}");
    // Due today (three working days after Friday's end): due, not overdue.
    let (status, html) = get_page(&lead, &app, "/").await;
    assert_eq!(status, 200);
    let item = html[html.find(&marker).unwrap()..].split("</li>").next().unwrap().to_owned();
    assert!(!item.contains("data-overdue") && item.contains("待复盘"), "{item}");
    assert!(item.contains(&format!("href=\"/campaigns/{}/review\"", w.campaign)) && item.contains(TODAY), "{item}");
    // A rep holds no reviews: not on their dashboard.
    let (_, html) = get_page(&ming, &app, "/").await;
    assert!(!html.contains(&marker));
    // A day later it is overdue.
    let tomorrow = app.store.with_clock(rally::clock::Clock::fixed_on(d("2026-12-03")));
    let actor: rally::ops::authz::Actor = app.store.user_by_email(&w.lead.email).await.unwrap().unwrap().into();
    let open = rally::ops::review::open_reviews(&tomorrow, &actor).await.unwrap();
    assert_eq!(open.iter().map(|r| (r.campaign_id, r.overdue)).collect::<Vec<_>>(), vec![(w.campaign, true)]);
    // Held: gone.
    let (status, _) =
        send(&app, &w.lead, Method::POST, &format!("/api/v1/campaigns/{}/review/held", w.campaign), Value::Null).await;
    assert_eq!(status, 200);
    let (_, html) = get_page(&lead, &app, "/").await;
    assert!(!html.contains(&marker));
});

backend_test!(the_demo_dashboard_shows_the_overdue_review, |app| {
    rally::ops::demo::load(&app.store, rally::clock::today()).await.unwrap();
    let older = app.store.campaigns().await.unwrap().into_iter().find(|c| c.name == "九月老客户答谢会").unwrap();
    let marker = format!("data-review=\"{}\" data-overdue", older.id);
    for (email, shown) in [("lead@rally.example", true), ("admin@rally.example", true), ("ming@rally.example", false)] {
        let client = demo_session(&app, email).await;
        let (status, html) = get_page(&client, &app, "/").await;
        assert_eq!(status, 200);
        assert_eq!(html.contains(&marker), shown, "{email}");
        if shown {
            assert!(html.contains(&format!("href=\"/campaigns/{}/review\"", older.id)), "{email}");
        }
        // The ended campaign's kickoff, breakdown and rollout are behind it:
        // of its deadlines only the review's is chased (for those who hold
        // reviews, in the list above instead).
        let deadlines = html.split("id=\"deadlines-title\"").nth(1).unwrap().split("</section>").next().unwrap();
        let link = format!("href=\"/campaigns/{}\"", older.id);
        let listed: Vec<&str> = deadlines.split("<li>").filter(|item| item.contains(&link)).collect();
        assert!(listed.iter().all(|item| item.contains("复盘优化与经验沉淀")), "{email}: {deadlines}");
        assert_eq!(listed.len(), usize::from(!shown), "{email}: {deadlines}");
    }
    // Nor does the reminder scan remind its owners of them, on a working
    // day's noon: only of the review.
    let calendar = rally::ops::calendar::calendar(&app.store).await.unwrap();
    let mut day = rally::clock::today().succ_opt().unwrap();
    while !calendar.is_working_day(day) {
        day = day.succ_opt().unwrap();
    }
    let noon = app.store.with_clock(rally::clock::Clock::fixed_on(day));
    assert!(rally::ops::notify::reminders::scan(&noon).await.unwrap() > 0);
    let made = |phase: u8| {
        format!("SELECT COUNT(*) FROM notification_events WHERE dedupe_key LIKE 'phase_%:c{}:p{phase}:%'", older.id)
    };
    assert_eq!(scalar(&app, &made(4)).await, 1, "the overdue review");
    for phase in 1..=3 {
        assert_eq!(scalar(&app, &made(phase)).await, 0, "phase {phase}");
    }
});

/// A browser signed in through the sign-in form as the demo's `email`.
async fn demo_session(app: &TestApp, email: &str) -> reqwest::Client {
    let client =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let (_, page) = get_page(&client, app, "/login").await;
    let csrf = crate::helpers::hidden_csrf(&page);
    let form = [("csrf", csrf.as_str()), ("email", email), ("password", rally::demo::DEMO_PASSWORD), ("next", "/")];
    let response = client.post(app.url("/login")).form(&form).send().await.unwrap();
    assert_eq!(response.status(), 303);
    client
}

backend_test!(the_review_and_its_charts_speak_the_readers_language, |app| {
    rally::ops::demo::load(&app.store, rally::clock::today()).await.unwrap();
    let ended = app.store.campaigns().await.unwrap().into_iter().find(|c| c.name == "十月新品A限时促销").unwrap();
    let review = format!("/campaigns/{}/review", ended.id);
    let lead = demo_session(&app, "lead@rally.example").await;
    // In Chinese, template 4's own words.
    let (status, zh) = get_page(&lead, &app, &review).await;
    assert_eq!(status, 200);
    for word in [
        "<title>转化漏斗</title>",
        "各销售代表转化率",
        "每日进度燃起图（按工作日）",
        ">S级<",
        "<th scope=\"row\">意向客户</th>",
    ] {
        assert!(zh.contains(word), "{word} missing: {zh}");
    }
    let csrf = crate::helpers::hidden_csrf(&get_page(&lead, &app, "/settings").await.1);
    let form = [("csrf", csrf.as_str()), ("locale", "en"), ("next", "/")];
    assert_eq!(lead.post(app.url("/settings/language")).form(&form).send().await.unwrap().status(), 303);
    // In English, the same page and charts in English; what the team wrote stays as written.
    let (status, en) = get_page(&lead, &app, &review).await;
    assert_eq!(status, 200);
    for word in [
        "<title>Conversion funnel</title>",
        "Conversion by rep",
        "Daily burn-up (working days)",
        ">Tier S<",
        "<th scope=\"row\">Intent customers</th>",
        "<legend>Intent customers (30 → 36, 120%)</legend>",
    ] {
        assert!(en.contains(word), "{word} missing: {en}");
    }
    for word in ["转化漏斗", "各销售代表转化率", "燃起图", ">S级<", ">意向客户<", ">目标客户<", "意向目标"]
    {
        assert!(!en.contains(word), "{word} left in Chinese: {en}");
    }
    let (status, history) = get_page(&lead, &app, "/campaigns/history").await;
    assert_eq!(status, 200);
    assert!(history.contains("Intent achieved") && !history.contains("意向客户达成率"), "{history}");
});

/// The by-channel breakdown as (channel, members), largest first.
async fn by_channel(app: &TestApp, w: &World) -> Vec<(String, i64)> {
    let m = get(app, &w.lead, &format!("/api/v1/campaigns/{}/metrics", w.campaign)).await;
    let mut rows: Vec<(String, i64)> = m["by_channel"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["key"].as_str().unwrap().to_owned(), r["members"].as_i64().unwrap()))
        .collect();
    rows.sort();
    rows
}

review_test!(the_channel_breakdown_follows_the_first_follow_up_through_edits_and_deletes, |app| {
    let w = world(&app).await;
    let admin = app.user("admin@example.com", "admin", None).await;
    // Two members never reached (customers 50 and 51): the lead logs their follow-ups.
    let log = |customer: i64, channel: &'static str, at: &'static str| {
        let (app, lead, campaign) = (&app, &w.lead, w.campaign);
        async move {
            let path = format!("/api/v1/campaigns/{campaign}/members/{customer}/follow-ups");
            let (status, body) =
                send(app, lead, Method::POST, &path, json!({"channel": channel, "summary": "跟进", "occurred_at": at}))
                    .await;
            assert_eq!(status, 201, "{body}");
            (body["id"].as_i64().unwrap(), body["interaction_id"].as_i64().unwrap())
        }
    };
    let s = |v: &[(&str, i64)]| v.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect::<Vec<_>>();
    assert_eq!(by_channel(&app, &w).await, s(&[]), "no follow-ups, no channel");

    let (phone, _) = log(w.customers[50], "phone", "2026-11-05T09:00:00+08:00").await;
    let (_, visit_interaction) = log(w.customers[50], "visit", "2026-11-06T10:00:00+08:00").await;
    let (email, _) = log(w.customers[51], "email", "2026-11-07T09:00:00+08:00").await;
    assert_eq!(by_channel(&app, &w).await, s(&[("email", 1), ("phone", 1)]));
    // Logged later but dated earlier: it becomes the member's first.
    let (im, _) = log(w.customers[50], "im", "2026-11-04T08:00:00+08:00").await;
    assert_eq!(by_channel(&app, &w).await, s(&[("email", 1), ("im", 1)]));

    // Edited to a later time: the phone call is first again.
    let patch = |id: i64, body: Value| {
        let (app, lead) = (&app, &w.lead);
        async move {
            let (status, body) = send(app, lead, Method::PATCH, &format!("/api/v1/follow-ups/{id}"), body).await;
            assert_eq!(status, 200, "{body}");
        }
    };
    patch(im, json!({"occurred_at": "2026-11-08T09:00:00+08:00"})).await;
    assert_eq!(by_channel(&app, &w).await, s(&[("email", 1), ("phone", 1)]));
    // The first follow-up's channel corrected.
    patch(phone, json!({"channel": "event"})).await;
    assert_eq!(by_channel(&app, &w).await, s(&[("email", 1), ("event", 1)]));
    // Edited to the same time as the visit: still first (the earlier id wins a tie).
    patch(phone, json!({"occurred_at": "2026-11-06T10:00:00+08:00"})).await;
    assert_eq!(by_channel(&app, &w).await, s(&[("email", 1), ("event", 1)]));

    // Deleted: the visit is first; a member left without follow-ups has no channel.
    let delete = |path: String| {
        let (app, admin) = (&app, &admin);
        async move {
            let response = app.api(admin, Method::DELETE, &path).send().await.unwrap();
            assert_eq!(response.status(), 204, "{path}");
        }
    };
    delete(format!("/api/v1/follow-ups/{phone}")).await;
    assert_eq!(by_channel(&app, &w).await, s(&[("email", 1), ("visit", 1)]));
    delete(format!("/api/v1/follow-ups/{email}")).await;
    assert_eq!(by_channel(&app, &w).await, s(&[("visit", 1)]));
    // The visit's interaction deleted from the customer's timeline takes the
    // follow-up with it: the IM message (now 8 November) is all that is left.
    delete(format!("/api/v1/interactions/{visit_interaction}")).await;
    assert_eq!(by_channel(&app, &w).await, s(&[("im", 1)]));

    // The member's next action comes from its latest follow-up left, also
    // when the latest goes with its interaction from the timeline.
    let member_path = format!("/api/v1/campaigns/{}/members/{}", w.campaign, w.customers[50]);
    let member = || get(&app, &w.lead, &member_path);
    let path = format!("/api/v1/campaigns/{}/members/{}/follow-ups", w.campaign, w.customers[50]);
    let (status, body) = send(
        &app,
        &w.lead,
        Method::POST,
        &path,
        json!({"channel": "phone", "summary": "报价", "occurred_at": "2026-11-09T09:00:00+08:00",
               "next_action_on": "2026-11-12", "next_action": "寄送报价单"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let quote_interaction = body["interaction_id"].as_i64().unwrap();
    let m = member().await;
    assert_eq!((m["next_action"].as_str(), m["next_action_on"].as_str()), (Some("寄送报价单"), Some("2026-11-12")));
    delete(format!("/api/v1/interactions/{quote_interaction}")).await;
    let m = member().await;
    assert_eq!((m["next_action"].as_str(), m["next_action_on"].as_str()), (Some(""), None), "{m}");
    assert_eq!(m["last_follow_up"]["id"].as_i64(), Some(im), "{m}");
    assert_eq!(by_channel(&app, &w).await, s(&[("im", 1)]));

    // A member with follow-ups but no first one recorded (data older than
    // migration 0019 can have that): the next follow-up, even a later one,
    // is recorded as its first.
    let mut tx = app.store.begin().await.unwrap();
    let cleared = rally_sql(
        &mut tx,
        &format!(
            "UPDATE campaign_members SET first_channel = NULL, first_follow_up_at = NULL \
             WHERE campaign_id = {} AND customer_id = {}",
            w.campaign, w.customers[50]
        ),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(cleared, 1);
    log(w.customers[50], "visit", "2026-11-20T10:00:00+08:00").await;
    assert_eq!(by_channel(&app, &w).await, s(&[("visit", 1)]));
});
