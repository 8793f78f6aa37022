//! Campaign planning through the API: the PRODUCT.md example, working-day
//! deadlines, the target list, the breakdown and its realism check, visibility.

use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_test;
use crate::helpers::{TestApp, TestUser, add_customer};

async fn send(app: &TestApp, user: &TestUser, method: Method, path: &str, body: Value) -> (u16, Value) {
    let response = app.api(user, method, path).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get(app: &TestApp, user: &TestUser, path: &str) -> Value {
    let response = app.api(user, Method::GET, path).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

/// The example of PRODUCT.md: East-China manufacturing over 5,000,000 CNY,
/// 30 intent customers and 15 orders.
fn example(segment: &str) -> Value {
    json!({
        "name": "新品A限时促销", "kind": "新品促销", "theme": "新品A首发",
        "selling_points": "新品A首发享8折+3年质保", "segment": segment,
        "announced_on": "2025-09-25", "starts_on": "2025-09-29", "ends_on": "2025-10-31",
        "goals": {"reached": 120, "intent_customers": 30, "orders": 15, "sales_amount": 470000.0, "roi": 3.0}
    })
}

struct Team {
    lead: TestUser,
    ming: TestUser,
    fang: TestUser,
    gang: TestUser,
}

async fn team(app: &TestApp) -> Team {
    Team {
        lead: app.user("lead@example.com", "lead", None).await,
        ming: app.user("ming@example.com", "rep", Some("华南")).await,
        fang: app.user("fang@example.com", "rep", Some("华北")).await,
        gang: app.user("gang@example.com", "rep", Some("华东")).await,
    }
}

backend_test!(the_product_example_gets_working_day_deadlines, |app| {
    let t = team(&app).await;
    let (status, created) =
        send(&app, &t.lead, Method::POST, "/api/v1/campaigns", example("industry = \"制造业\"")).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["kind"], "new_product");
    assert_eq!(created["status"], "draft");
    let due: Vec<(&str, &str)> = created["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["due_on"].as_str().unwrap()))
        .collect();
    // Notice Thu 09-25: Fri 26, then Sunday 28 is a worked day; start Mon 09-29:
    // Tue 30, the National Day / Mid-Autumn holiday 10-01..08, then 9 and 10.
    assert_eq!(
        due,
        vec![
            ("启动与目标锚定", "2025-09-28"),
            ("任务拆解与资源匹配", "2025-09-29"),
            ("执行落地与客户触达", "2025-10-10"),
            ("复盘优化与经验沉淀", "2025-11-05"),
        ]
    );
    let id = created["id"].as_i64().unwrap();
    let (status, _) = send(
        &app,
        &t.lead,
        Method::PUT,
        &format!("/api/v1/campaigns/{id}/milestones/kickoff_held"),
        json!({"done_on": "2025-09-26"}),
    )
    .await;
    assert_eq!(status, 200);
    let again = get(&app, &t.lead, &format!("/api/v1/campaigns/{id}")).await;
    assert_eq!(again["phases"][0]["urgency"], "done");
    assert_eq!(again["phases"][1]["urgency"], "overdue");

    // The team allows a week for the review instead of three days.
    let (status, _) = send(&app, &t.lead, Method::PUT, "/api/v1/settings/phases",
        json!({"kickoff_after_notice": 2, "breakdown_after_notice": 3, "rollout_after_start": 3, "review_after_end": 5})).await;
    assert_eq!(status, 200);
    let later = get(&app, &t.lead, &format!("/api/v1/campaigns/{id}")).await;
    assert_eq!(later["phases"][3]["due_on"], "2025-11-07");
    let (status, error) = send(&app, &t.lead, Method::PUT, "/api/v1/settings/phases",
        json!({"kickoff_after_notice": 99, "breakdown_after_notice": 3, "rollout_after_start": 3, "review_after_end": 5})).await;
    assert_eq!((status, error["error"]["field"].as_str()), (422, Some("kickoff_after_notice")));
});

backend_test!(plans_are_validated, |app| {
    let t = team(&app).await;
    let base = example("industry = \"制造业\"");
    let with = |key: &str, value: Value| {
        let mut body = base.clone();
        body[key] = value;
        body
    };
    let cases = [
        (with("ends_on", json!("2025-09-01")), "ends_on"),
        (with("starts_on", json!("2025-09-01")), "starts_on"),
        (with("kind", json!("party")), "kind"),
        (with("segment", json!("region = ")), "segment"),
        (with("name", json!("")), "name"),
        (with("goals", json!({"intent_customers": 10, "orders": 20})), "goals.orders"),
        (with("owners", json!({"lead_email": "ming@example.com"})), "owners.lead"),
        (json!({"name": "x", "kind": "other"}), "announced_on"),
    ];
    for (body, field) in cases {
        let (status, error) = send(&app, &t.lead, Method::POST, "/api/v1/campaigns", body.clone()).await;
        assert_eq!((status, error["error"]["field"].as_str()), (422, Some(field)), "{body}: {error}");
    }
    let (_, created) = send(&app, &t.lead, Method::POST, "/api/v1/campaigns", base).await;
    let path = format!("/api/v1/campaigns/{}", created["id"]);
    let (status, error) = send(&app, &t.lead, Method::PATCH, &path, json!({"status": "ended"})).await;
    assert_eq!((status, error["error"]["field"].as_str()), (422, Some("status")), "draft cannot jump to ended");
    let (status, active) = send(&app, &t.lead, Method::PATCH, &path, json!({"status": "active", "version": 1})).await;
    assert_eq!((status, active["status"].as_str()), (200, Some("active")));
    let (status, _) = send(&app, &t.lead, Method::PATCH, &path, json!({"theme": "改", "version": 1})).await;
    assert_eq!(status, 409);
});

/// Customers in three regions, owned by their reps, plus one in a region with no rep.
async fn customers(app: &TestApp, t: &Team) {
    for (rep, region, n) in [(&t.ming, "华南", 8), (&t.fang, "华北", 10), (&t.gang, "华东", 12)] {
        for i in 0..n {
            add_customer(app, &format!("{region}制造{i}"), region, Some(rep.id)).await;
        }
    }
    add_customer(app, "西北无主客户", "西北", None).await;
    add_customer(app, "华南无主客户", "华南", None).await;
}

backend_test!(target_list_is_generated_once_and_split_by_rep, |app| {
    let t = team(&app).await;
    customers(&app, &t).await;
    let (_, created) = send(&app, &t.lead, Method::POST, "/api/v1/campaigns", example("industry = \"制造业\"")).await;
    let id = created["id"].as_i64().unwrap();
    let (status, first) =
        send(&app, &t.lead, Method::POST, &format!("/api/v1/campaigns/{id}/members/generate"), json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(first, json!({"added": 32, "total": 32}));
    let (_, second) =
        send(&app, &t.lead, Method::POST, &format!("/api/v1/campaigns/{id}/members/generate"), json!({})).await;
    assert_eq!(second, json!({"added": 0, "total": 32}), "generating again adds nothing");

    let all = get(&app, &t.lead, &format!("/api/v1/campaigns/{id}/members?limit=200")).await;
    let items = all["items"].as_array().unwrap();
    assert_eq!(items.len(), 32);
    let assignee = |name: &str| items.iter().find(|m| m["customer_name"] == name).unwrap()["assignee_email"].clone();
    assert_eq!(assignee("华南无主客户"), "ming@example.com", "a rep of the customer's region");
    assert_eq!(assignee("西北无主客户"), Value::Null, "no rep there: the pool");
    for m in items {
        for key in ["customer_id", "customer_name", "tier", "assignee_email", "source"] {
            assert!(m.get(key).is_some(), "{key} missing: {m}");
        }
    }

    // A rep sees only their part of the list and of the breakdown.
    let mine = get(&app, &t.fang, &format!("/api/v1/campaigns/{id}/members?limit=200")).await;
    assert_eq!(mine["total"], 10);
    assert!(mine["items"].as_array().unwrap().iter().all(|m| m["assignee_email"] == "fang@example.com"));

    let proposal = get(&app, &t.lead, &format!("/api/v1/campaigns/{id}/breakdown")).await;
    assert_eq!(proposal["proposed"], true);
    let rows = proposal["rows"].as_array().unwrap();
    let sum: i64 = rows.iter().map(|r| r["target_customers"].as_i64().unwrap()).sum();
    assert_eq!(sum, 30, "the proposal always sums to the goal: {proposal}");
    let fang_rows = get(&app, &t.fang, &format!("/api/v1/campaigns/{id}/breakdown")).await;
    assert_eq!(fang_rows["rows"].as_array().unwrap().len(), 1);
    assert_eq!(fang_rows["rows"][0]["assignee_email"], "fang@example.com");

    // The team's template 2 rows; they must add up to 30.
    let product_rows = json!({"rows": [
        {"assignee_email": "ming@example.com", "region": "华南", "target_customers": 8, "expected_conversion": 0.5, "sales_target": 120000.0,
         "key_customers": "A公司(制造业) B贸易(零售)", "resource_needs": "需延长活动期限至下月5日"},
        {"assignee_email": "fang@example.com", "region": "华北", "target_customers": 10, "expected_conversion": 0.4, "sales_target": 150000.0,
         "key_customers": "C工程(建筑) D科技(电子)", "resource_needs": "需技术支持演示"},
        {"assignee_email": "gang@example.com", "region": "华东", "target_customers": 11, "expected_conversion": 0.6, "sales_target": 200000.0,
         "key_customers": "E集团(连锁) F医疗(器械)", "resource_needs": "物料已到位"}
    ]});
    let (status, error) =
        send(&app, &t.lead, Method::PUT, &format!("/api/v1/campaigns/{id}/breakdown"), product_rows.clone()).await;
    assert_eq!((status, error["error"]["field"].as_str()), (422, Some("target_customers")), "{error}");
    let mut fixed = product_rows;
    fixed["rows"][2]["target_customers"] = json!(12);
    let (status, saved) = send(&app, &t.lead, Method::PUT, &format!("/api/v1/campaigns/{id}/breakdown"), fixed).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["proposed"], false);
    assert_eq!(saved["rows"][1]["resource_needs"], "需技术支持演示");
    let (status, error) =
        send(&app, &t.fang, Method::PUT, &format!("/api/v1/campaigns/{id}/breakdown"), json!({"rows": []})).await;
    assert_eq!((status, error["error"]["code"].as_str()), (403, Some("forbidden")));
});

// A list written in bulk is settled: on PostgreSQL its pages become
// all-visible, so its counts read the members' index alone.
backend_test!(a_target_list_is_settled_after_a_bulk_write, |app| {
    let t = team(&app).await;
    customers(&app, &t).await;
    let (_, created) = send(&app, &t.lead, Method::POST, "/api/v1/campaigns", example("industry = \"制造业\"")).await;
    let id = created["id"].as_i64().unwrap();
    let (status, _) =
        send(&app, &t.lead, Method::POST, &format!("/api/v1/campaigns/{id}/members/generate"), json!({})).await;
    assert_eq!(status, 200);
    app.store.settle_members().await.unwrap();
    if app.backend == crate::helpers::Backend::Postgres {
        let mut tx = app.store.begin().await.unwrap();
        let rally::store::Tx::Postgres(conn) = &mut tx else { unreachable!() };
        let (pages, visible): (i64, i64) = sqlx::query_as(
            "SELECT relpages::bigint, relallvisible::bigint FROM pg_class WHERE relname = 'campaign_members'",
        )
        .fetch_one(&mut **conn)
        .await
        .unwrap();
        // A fresh table has neither until it is vacuumed; a page whose rows
        // an open transaction elsewhere may not see yet stays unmarked.
        assert!(pages > 0 && visible > 0, "{visible} of {pages} pages all-visible");
    }
    let (_, again) =
        send(&app, &t.lead, Method::POST, &format!("/api/v1/campaigns/{id}/members/generate"), json!({})).await;
    assert_eq!(again, json!({"added": 0, "total": 32}), "settling changes no member");
});

// A target list's total stops past 10,000 unless asked, as the customer
// list's; filters by tier and stage count what they show.
backend_test!(target_list_totals_stop_past_ten_thousand_and_count_exactly_on_demand, |app| {
    let t = team(&app).await;
    crate::helpers::insert_many_customers(&app, "名单客户", 10_002, &["华南", "西北"]).await;
    let (_, created) = send(&app, &t.lead, Method::POST, "/api/v1/campaigns", example("industry = \"制造业\"")).await;
    let id = created["id"].as_i64().unwrap();
    let (_, generated) =
        send(&app, &t.lead, Method::POST, &format!("/api/v1/campaigns/{id}/members/generate"), json!({})).await;
    assert_eq!(generated, json!({"added": 10_002, "total": 10_002}));

    let list = format!("/api/v1/campaigns/{id}/members?limit=5");
    let total = |v: &Value| (v["total"].as_i64(), v["total_exact"].as_bool());
    let capped = get(&app, &t.lead, &list).await;
    assert_eq!(total(&capped), (Some(10_000), Some(false)), "{capped}");
    assert_eq!(capped["items"].as_array().map(Vec::len), Some(5));
    let exact = get(&app, &t.lead, &format!("{list}&count=exact")).await;
    assert_eq!(total(&exact), (Some(10_002), Some(true)));
    assert_eq!(total(&get(&app, &t.lead, &format!("{list}&tier=C")).await), (Some(10_000), Some(false)));
    let none = get(&app, &t.lead, &format!("{list}&tier=S")).await;
    assert_eq!((total(&none), none["items"].as_array().map(Vec::len)), ((Some(0), Some(true)), Some(0)));
    // The rep of 华南 sees their 5,001 members, counted exactly under the cap.
    assert_eq!(total(&get(&app, &t.ming, &list).await), (Some(5_001), Some(true)));

    // Two members move on to 意向: the stage filter finds and counts just them.
    let mut tx = app.store.begin().await.unwrap();
    let moved = crate::helpers::rally_sql(
        &mut tx,
        &format!(
            "UPDATE campaign_members SET stage = 'intent', contacted_on = '2025-10-08', intent_on = '2025-10-08' \
             WHERE campaign_id = {id} AND customer_id IN (SELECT customer_id FROM campaign_members \
             WHERE campaign_id = {id} ORDER BY customer_id DESC LIMIT 2)"
        ),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(moved, 2);
    let intent = get(&app, &t.lead, &format!("{list}&stage=intent")).await;
    assert_eq!((total(&intent), intent["items"].as_array().map(Vec::len)), ((Some(2), Some(true)), Some(2)));
    assert!(intent["items"].as_array().unwrap().iter().all(|m| m["stage"] == "intent"), "{intent}");
    let targeted = get(&app, &t.lead, &format!("{list}&stage=targeted&count=exact")).await;
    assert_eq!(total(&targeted), (Some(10_000), Some(true)));
    let (status, bad) = send(&app, &t.lead, Method::GET, &format!("{list}&count=all"), json!(null)).await;
    assert_eq!((status, bad["error"]["field"].as_str()), (422, Some("count")), "{bad}");

    let web = app.browser_session("lead@example.com").await;
    let page = web.get(app.url(&format!("/campaigns/{id}/members"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("第 1–100 家，超过 10,000 家") && page.contains("count=exact"), "{page}");
    // The counts by rep and tier load after the list.
    let counts_href = format!("/campaigns/{id}/members/counts");
    assert!(page.contains(&format!("hx-get=\"{counts_href}\"")), "{page}");
    let counts = web.get(app.url(&counts_href)).send().await.unwrap().text().await.unwrap();
    assert_eq!(
        counts.matches("<td>0</td><td>0</td><td>5001</td><td>5001</td>").count(),
        2,
        "ming's and the pool's: {counts}"
    );
    let counted =
        web.get(app.url(&format!("/campaigns/{id}/members?count=exact"))).send().await.unwrap().text().await.unwrap();
    assert!(counted.contains("第 1–100 家，共 10,002 家"), "{counted}");
    // On a later page the exact count keeps that page, and the pages after it keep counting.
    let href_with = |html: &str, part: &str| -> String {
        let at = html.find(part).unwrap_or_else(|| panic!("no link with {part}: {html}"));
        let start = html[..at].rfind("href=\"").unwrap() + "href=\"".len();
        let end = at + html[at..].find('"').unwrap();
        html[start..end].replace("&#38;", "&").replace("&amp;", "&")
    };
    let second = web.get(app.url(&href_with(&page, "from=101"))).send().await.unwrap().text().await.unwrap();
    assert!(second.contains("第 101–200 家，超过 10,000 家"), "{second}");
    let exact_second = href_with(&second, "count=exact");
    assert!(exact_second.contains("from=101") && exact_second.contains("cursor="), "{exact_second}");
    let counted = web.get(app.url(&exact_second)).send().await.unwrap().text().await.unwrap();
    assert!(counted.contains("第 101–200 家，共 10,002 家"), "{counted}");
    assert!(href_with(&counted, "from=201").ends_with("count=exact"), "{counted}");
    let intents =
        web.get(app.url(&format!("/campaigns/{id}/members?stage=intent"))).send().await.unwrap().text().await.unwrap();
    assert!(intents.contains("第 1–2 家，共 2 家") && !intents.contains("count=exact"), "{intents}");
});

backend_test!(goals_are_checked_against_similar_campaigns, |app| {
    let t = team(&app).await;
    customers(&app, &t).await;
    // A reviewed campaign of the same kind: 10 of its 32 members became
    // intent customers, 5 of them ordered; its numbers frozen at the review.
    let mut past = example("industry = \"制造业\"");
    past["announced_on"] = json!("2025-07-01");
    past["starts_on"] = json!("2025-07-02");
    past["ends_on"] = json!("2025-07-31");
    let (_, created) = send(&app, &t.lead, Method::POST, "/api/v1/campaigns", past).await;
    let past_id = created["id"].as_i64().unwrap();
    send(&app, &t.lead, Method::POST, &format!("/api/v1/campaigns/{past_id}/members/generate"), json!({})).await;
    send(&app, &t.lead, Method::PATCH, &format!("/api/v1/campaigns/{past_id}"), json!({"status": "active"})).await;
    let members = get(&app, &t.lead, &format!("/api/v1/campaigns/{past_id}/members?limit=200")).await;
    let actor: rally::ops::authz::Actor = app.store.user_by_email(&t.lead.email).await.unwrap().unwrap().into();
    let during = app.store.with_clock(rally::clock::Clock::fixed_on("2025-07-15".parse().unwrap()));
    for (n, m) in members["items"].as_array().unwrap().iter().take(10).enumerate() {
        let (stage, amount) = if n < 5 { ("ordered", Some(10_000_000)) } else { ("intent", None) };
        let customer = m["customer_id"].as_i64().unwrap();
        rally::ops::execution::members::correct_stage(&during, &actor, past_id, customer, stage, amount, None)
            .await
            .unwrap();
    }
    send(&app, &t.lead, Method::PATCH, &format!("/api/v1/campaigns/{past_id}"), json!({"status": "ended"})).await;
    // Ended but not reviewed: its numbers are not history yet.
    let (_, draft) = send(&app, &t.lead, Method::POST, "/api/v1/campaigns", example("industry = \"制造业\"")).await;
    let draft_id = draft["id"].as_i64().unwrap();
    let view = get(&app, &t.lead, &format!("/api/v1/campaigns/{draft_id}/breakdown")).await;
    assert!(view["checks"][0]["history_campaigns"].is_null(), "{view}");
    let (status, held) =
        send(&app, &t.lead, Method::POST, &format!("/api/v1/campaigns/{past_id}/review/held"), json!({})).await;
    assert_eq!(status, 200, "{held}");

    // Now: 30 intent customers from a list of 32 is far above the 10/32 history.
    let (_, created) = send(&app, &t.lead, Method::POST, "/api/v1/campaigns", example("industry = \"制造业\"")).await;
    let id = created["id"].as_i64().unwrap();
    send(&app, &t.lead, Method::POST, &format!("/api/v1/campaigns/{id}/members/generate"), json!({})).await;
    let view = get(&app, &t.lead, &format!("/api/v1/campaigns/{id}/breakdown")).await;
    let intent = &view["checks"][0];
    assert_eq!(intent["measure"], "intent_rate");
    assert_eq!(intent["verdict"], "too_high", "{view}");
    assert_eq!(intent["history_campaigns"], 1);
    assert_eq!(intent["history_members"], 32);
    assert!((intent["historical"].as_f64().unwrap() - 10.0 / 32.0).abs() < 1e-9);
    let conversion = &view["checks"][1];
    assert_eq!(conversion["verdict"], "realistic", "15 of 30 against 5 of 10: {view}");

    // A modest goal is called realistic.
    send(
        &app,
        &t.lead,
        Method::PATCH,
        &format!("/api/v1/campaigns/{id}"),
        json!({"goals": {"intent_customers": 10, "orders": 5}}),
    )
    .await;
    let view = get(&app, &t.lead, &format!("/api/v1/campaigns/{id}/breakdown")).await;
    assert_eq!(view["checks"][0]["verdict"], "realistic", "{view}");
    let rows = view["rows"].as_array().unwrap();
    assert_eq!(rows.iter().map(|r| r["target_customers"].as_i64().unwrap()).sum::<i64>(), 10);
});

backend_test!(calendar_api_counts_official_working_days, |app| {
    let t = team(&app).await;
    let ask = |q: &str| format!("/api/v1/calendar/working-days?{q}");
    let date = |v: Value| v["date"].as_str().unwrap().to_owned();
    assert_eq!(date(get(&app, &t.ming, &ask("from=2025-12-31&add=1")).await), "2026-01-04", "Sunday 01-04 is worked");
    assert_eq!(date(get(&app, &t.ming, &ask("from=2025-12-31&add=2")).await), "2026-01-05");
    assert_eq!(
        date(get(&app, &t.ming, &ask("from=2024-02-08&add=1")).await),
        "2024-02-09",
        "除夕 2024 was a working day"
    );
    assert_eq!(
        date(get(&app, &t.ming, &ask("from=2024-02-09&add=1")).await),
        "2024-02-18",
        "Spring Festival, then a worked Sunday"
    );
    assert_eq!(date(get(&app, &t.ming, &ask("from=2025-06-06&add=0")).await), "2025-06-06");
    let count = get(&app, &t.ming, &ask("from=2025-09-30&to=2025-10-12")).await;
    assert_eq!(count["working_days"], 3, "10-09, 10-10 and the worked Saturday 10-11");
    assert_eq!(get(&app, &t.ming, &ask("from=2025-10-12&to=2025-09-30")).await["working_days"], 0);
    let unknown = get(&app, &t.ming, &ask("from=2027-03-01&add=1")).await;
    assert_eq!(unknown["assumed_years"], json!([2027]));
    for (q, field) in [
        ("from=2025-13-01&add=1", "from"),
        ("from=2025-10-01&add=-1", "add"),
        ("from=2025-10-01", "add"),
        ("add=1", "from"),
    ] {
        let response = app.api(&t.ming, Method::GET, &ask(q)).send().await.unwrap();
        assert_eq!(response.status(), 422, "{q}");
        assert_eq!(response.json::<Value>().await.unwrap()["error"]["field"], field, "{q}");
    }

    // An admin imports 2027 when it is announced; deadlines stop assuming Mon–Fri.
    let admin = app.user("admin@example.com", "admin", None).await;
    let year_2027 = json!({"years": {"2027": {"status": "official",
        "source": {"title": "国务院办公厅关于2027年部分节假日安排的通知", "urls": []}, "blocks": [
        {"name": "元旦", "off_from": "2027-01-01", "off_to": "2027-01-03", "adjusted_workdays": []}
    ]}}});
    let (status, imported) = send(&app, &admin, Method::POST, "/api/v1/calendar/years", year_2027).await;
    assert_eq!(status, 200, "{imported}");
    assert_eq!(imported["years"], json!([2027]));
    let known = get(&app, &t.ming, &ask("from=2026-12-31&add=1")).await;
    assert_eq!(known["date"], "2027-01-04");
    assert_eq!(known["assumed_years"], json!([]));
    let (status, error) = send(
        &app,
        &admin,
        Method::POST,
        "/api/v1/calendar/years",
        json!({"years": {"2027": {"status": "official", "source": {"title": "通知", "urls": []}, "blocks": [
        {"name": "x", "off_from": "2027-13-01", "off_to": "2027-01-03", "adjusted_workdays": []}]}}}),
    )
    .await;
    assert_eq!(status, 422);
    assert!(error["error"]["message"].as_str().unwrap().contains("2027-13-01"), "{error}");
});

backend_test!(a_partners_list_adds_tagged_members, |app| {
    let t = team(&app).await;
    add_customer(&app, "华北重工有限公司", "华北", Some(t.fang.id)).await;
    let (_, created) = send(&app, &t.lead, Method::POST, "/api/v1/campaigns", example("region = \"华东\"")).await;
    let id = created["id"].as_i64().unwrap();
    let csv =
        "客户名称,区域,年采购额\n华北重工有限公司,华北,500万\n深圳新客户科技有限公司,华南,120万\n坏行公司,华南,-5\n";
    let post = |partial: &str| {
        app.api(
            &t.lead,
            Method::POST,
            &format!("/api/v1/campaigns/{id}/members/import?partner=华贸渠道&partial={partial}"),
        )
        .header("content-type", "text/csv")
        .body(csv)
        .send()
    };
    let rejected = post("false").await.unwrap();
    assert_eq!(rejected.status(), 422);
    let body: Value = rejected.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rejected_rows");
    assert_eq!(body["report"]["errors"][0]["row"], 4);
    assert_eq!(app.store.count_customers().await.unwrap(), 1, "nothing created from a rejected list");

    let accepted = post("true").await.unwrap();
    assert_eq!(accepted.status(), 200);
    let body: Value = accepted.json().await.unwrap();
    assert_eq!((body["added"].as_i64(), body["total"].as_i64()), (Some(2), Some(2)), "{body}");
    assert_eq!(body["report"]["created"], 1);
    let members = get(&app, &t.lead, &format!("/api/v1/campaigns/{id}/members")).await;
    for m in members["items"].as_array().unwrap() {
        assert_eq!(m["source"], "partner");
        assert_eq!(m["partner"], "华贸渠道");
    }
    let new_one =
        members["items"].as_array().unwrap().iter().find(|m| m["customer_name"] == "深圳新客户科技有限公司").unwrap();
    assert_eq!(new_one["assignee_email"], "ming@example.com", "a rep of the new customer's region");
    let customer = get(&app, &t.lead, &format!("/api/v1/customers/{}", new_one["customer_id"])).await;
    assert_eq!(customer["source"], "华贸渠道");

    let again: Value = post("true").await.unwrap().json().await.unwrap();
    assert_eq!((again["added"].as_i64(), again["total"].as_i64()), (Some(0), Some(2)), "a customer is a member once");
});

backend_test!(plans_and_breakdowns_export_as_the_teams_spreadsheets, |app| {
    let t = team(&app).await;
    customers(&app, &t).await;
    let (_, created) = send(&app, &t.lead, Method::POST, "/api/v1/campaigns", example("industry = \"制造业\"")).await;
    let id = created["id"].as_i64().unwrap();
    send(&app, &t.lead, Method::POST, &format!("/api/v1/campaigns/{id}/members/generate"), json!({})).await;
    let download = |template: &'static str| {
        let request = app.api(&t.lead, Method::GET, &format!("/api/v1/campaigns/{id}/export?template={template}"));
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200, "{template}");
            assert!(response.headers()["content-disposition"].to_str().unwrap().contains("filename*=UTF-8''"));
            let bytes = response.bytes().await.unwrap();
            rally::io::read_table(&bytes, rally::io::FileFormat::Xlsx).unwrap()
        }
    };
    let plan = download("plan").await;
    assert_eq!(plan.headers, vec!["项目".to_owned(), "内容".to_owned()]);
    let value = |label: &str| {
        plan.rows.iter().find(|r| r.cells[0] == rally::io::Cell::Text(label.to_owned())).map(|r| r.cells[1].clone())
    };
    assert_eq!(value("活动名称"), Some(rally::io::Cell::Text("新品A限时促销".into())));
    assert_eq!(value("核心卖点"), Some(rally::io::Cell::Text("新品A首发享8折+3年质保".into())));
    assert_eq!(value("预期转化率"), Some(rally::io::Cell::Text("50%".into())));

    let breakdown = download("breakdown").await;
    assert_eq!(breakdown.headers[0], "区域/负责人");
    assert_eq!(breakdown.headers[1], "目标客户数");
    let total = breakdown.rows.last().unwrap();
    assert_eq!(total.cells[0], rally::io::Cell::Text("合计".into()));
    assert_eq!(total.cells[1], rally::io::Cell::Number(30.0), "the proposal sums to the goal");

    let bad =
        app.api(&t.lead, Method::GET, &format!("/api/v1/campaigns/{id}/export?template=pdf")).send().await.unwrap();
    assert_eq!(bad.status(), 422);
});
