//! Customers, contacts and interactions through the API: validation, owner
//! rules, tiers that follow new interactions, segments, versions, audit.

use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_test;
use crate::helpers::{TestApp, TestUser};

async fn send(app: &TestApp, user: &TestUser, method: Method, path: &str, body: Value) -> (u16, Value) {
    let response = app.api(user, method, path).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn get(app: &TestApp, user: &TestUser, path: &str) -> Value {
    let response = app.api(user, Method::GET, path).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

backend_test!(creating_customers_validates_every_field, |app| {
    let lead = app.user("lead@example.com", "lead", None).await;
    app.user("ming@example.com", "rep", Some("华南")).await;
    let (status, created) = send(&app, &lead, Method::POST, "/api/v1/customers", json!({
        "name": "A公司", "credit_code": "914403001922038216", "industry": "制造业", "region": "华南", "city": "广州",
        "annual_purchase": 5_000_000.0, "owner_email": "MING@example.com", "tags": ["老客户", "老客户"],
        "pain_points": ["采购成本高"], "notes": "价格敏感"
    })).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["owner_email"], "ming@example.com");
    assert_eq!(created["annual_purchase"], 5_000_000.0);
    assert_eq!(created["tier"], "C");
    assert_eq!(created["notes"], "价格敏感");
    assert_eq!(created["version"], 1, "a new customer is at version 1, notes and all");

    let cases = [
        (json!({"name": "  "}), "name"),
        (json!({"industry": "制造业"}), "name"),
        (json!({"name": "B", "credit_code": "914403001922038217"}), "credit_code"),
        (json!({"name": "B", "credit_code": "914403001922038216"}), "credit_code"),
        (json!({"name": "B", "annual_purchase": -1.0}), "annual_purchase"),
        (json!({"name": "B", "region": "火星"}), "region"),
        (json!({"name": "B", "owner_email": "lead@example.com"}), "owner_email"),
        (json!({"name": "B", "tags": ["x".repeat(51)]}), "tags"),
        (json!({"name": "B", "colour": "red"}), "colour"),
    ];
    for (body, field) in cases {
        let (status, error) = send(&app, &lead, Method::POST, "/api/v1/customers", body.clone()).await;
        assert_eq!(status, 422, "{body}: {error}");
        assert_eq!(error["error"]["field"], field, "{body}: {error}");
    }
    assert_eq!(app.store.count_customers().await.unwrap(), 1, "nothing half-written");
});

backend_test!(reps_own_what_they_create_and_edit_only_that, |app| {
    let ming = app.user("ming@example.com", "rep", Some("华南")).await;
    let fang = app.user("fang@example.com", "rep", Some("华北")).await;
    let (status, mine) = send(&app, &ming, Method::POST, "/api/v1/customers", json!({"name": "明的客户"})).await;
    assert_eq!(status, 201);
    assert_eq!(mine["owner_email"], "ming@example.com");
    assert_eq!(mine["region"], "华南", "a rep's region is the default");
    let id = mine["id"].as_i64().unwrap();

    let (status, error) =
        send(&app, &ming, Method::POST, "/api/v1/customers", json!({"name": "X", "owner_email": "fang@example.com"}))
            .await;
    assert_eq!((status, error["error"]["field"].as_str()), (422, Some("owner_email")));
    let (status, _) =
        send(&app, &ming, Method::PATCH, &format!("/api/v1/customers/{id}"), json!({"owner_email": null})).await;
    assert_eq!(status, 422, "a rep cannot release a customer to the pool");
    let (status, _) =
        send(&app, &fang, Method::PATCH, &format!("/api/v1/customers/{id}"), json!({"city": "北京"})).await;
    assert_eq!(status, 404, "invisible to another rep");

    let pool = crate::helpers::add_customer(&app, "公海客户", "华南", None).await;
    assert_eq!(get(&app, &ming, &format!("/api/v1/customers/{pool}")).await["name"], "公海客户");
    let (status, _) =
        send(&app, &ming, Method::PATCH, &format!("/api/v1/customers/{pool}"), json!({"city": "深圳"})).await;
    assert_eq!(status, 403, "the pool is read-only to reps");
});

backend_test!(edits_check_versions_and_are_audited, |app| {
    let lead = app.user("lead@example.com", "lead", None).await;
    let (_, created) =
        send(&app, &lead, Method::POST, "/api/v1/customers", json!({"name": "C公司", "city": "上海"})).await;
    let id = created["id"].as_i64().unwrap();
    let path = format!("/api/v1/customers/{id}");
    let (status, updated) = send(&app, &lead, Method::PATCH, &path, json!({"city": "杭州", "version": 1})).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["version"], 2);
    let (status, stale) = send(&app, &lead, Method::PATCH, &path, json!({"city": "南京", "version": 1})).await;
    assert_eq!(status, 409);
    assert_eq!(stale["error"]["current"]["city"], "杭州");
    let history = get(&app, &lead, &format!("/api/v1/audit/customer/{id}")).await;
    let items = history["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["before"]["city"], "上海");
    assert_eq!(items[1]["after"]["city"], "杭州");

    let (status, _) = send(&app, &lead, Method::DELETE, &path, json!({})).await;
    assert_eq!(status, 204);
    assert_eq!(app.api(&lead, Method::GET, &path).send().await.unwrap().status(), 404);
    let history = get(&app, &lead, &format!("/api/v1/audit/customer/{id}")).await;
    assert_eq!(history["items"][2]["action"], "delete");
    assert_eq!(history["items"][2]["before"]["city"], "杭州", "the trail keeps what the record said");
});

backend_test!(interactions_move_tiers_as_they_arrive, |app| {
    let ming = app.user("ming@example.com", "rep", Some("华南")).await;
    let (_, created) = send(&app, &ming, Method::POST, "/api/v1/customers", json!({"name": "D公司"})).await;
    let id = created["id"].as_i64().unwrap();
    let customer = format!("/api/v1/customers/{id}");
    let log = format!("/api/v1/customers/{id}/interactions");
    let today = rally::clock::today();

    let (status, inquiry) = send(
        &app,
        &ming,
        Method::POST,
        &log,
        json!({"channel": "电话", "kind": "询盘", "note": "询价", "occurred_at": "14:00"}),
    )
    .await;
    assert_eq!(status, 201, "{inquiry}");
    assert_eq!(inquiry["channel"], "phone");
    assert_eq!(inquiry["kind"], "inquiry");
    let after_inquiry = get(&app, &ming, &customer).await;
    assert_eq!(after_inquiry["tier"], "B");
    assert_eq!(after_inquiry["last_inquiry_on"], today.to_string());

    for note in ["拜访", "发报价"] {
        let (status, _) =
            send(&app, &ming, Method::POST, &log, json!({"channel": "visit", "kind": "visit", "note": note})).await;
        assert_eq!(status, 201);
    }
    assert_eq!(get(&app, &ming, &customer).await["tier"], "S", "three interactions in 30 days");

    let tomorrow = today.succ_opt().unwrap().to_string();
    let cases = [
        (json!({"channel": "phone", "kind": "call", "occurred_on": tomorrow}), "occurred_on"),
        (json!({"channel": "phone", "kind": "call", "amount": 100.0}), "amount"),
        (json!({"channel": "fax", "kind": "call"}), "channel"),
        (json!({"channel": "phone"}), "kind"),
        (json!({"channel": "phone", "kind": "call", "occurred_at": "25:00"}), "occurred_at"),
    ];
    for (body, field) in cases {
        let (status, error) = send(&app, &ming, Method::POST, &log, body.clone()).await;
        assert_eq!((status, error["error"]["field"].as_str()), (422, Some(field)), "{body}");
    }
    let (status, order) =
        send(&app, &ming, Method::POST, &log, json!({"channel": "visit", "kind": "order", "amount": 120000.0})).await;
    assert_eq!(status, 201);
    assert_eq!(order["amount"], 120000.0);

    // Deleting the history brings the tier back down.
    let timeline = get(&app, &ming, &log).await;
    assert_eq!(timeline["total"], 4);
    for item in timeline["items"].as_array().unwrap() {
        let (status, _) =
            send(&app, &ming, Method::DELETE, &format!("/api/v1/interactions/{}", item["id"]), json!({})).await;
        assert_eq!(status, 204);
    }
    let emptied = get(&app, &ming, &customer).await;
    assert_eq!(emptied["tier"], "C");
    assert_eq!(emptied["last_interaction_on"], Value::Null);
});

backend_test!(tier_thresholds_are_the_teams_to_set, |app| {
    let lead = app.user("lead@example.com", "lead", None).await;
    let (_, created) = send(&app, &lead, Method::POST, "/api/v1/customers", json!({"name": "E公司"})).await;
    let id = created["id"].as_i64().unwrap();
    send(
        &app,
        &lead,
        Method::POST,
        &format!("/api/v1/customers/{id}/interactions"),
        json!({"channel": "im", "kind": "message"}),
    )
    .await;
    assert_eq!(get(&app, &lead, &format!("/api/v1/customers/{id}")).await["tier"], "C");

    let (status, rules) = send(
        &app,
        &lead,
        Method::PUT,
        "/api/v1/settings/tiers",
        json!({"s_min_interactions": 1, "s_window_days": 7, "b_window_days": 60}),
    )
    .await;
    assert_eq!(status, 200, "{rules}");
    assert_eq!(get(&app, &lead, "/api/v1/settings/tiers").await["s_window_days"], 7);
    assert_eq!(get(&app, &lead, &format!("/api/v1/customers/{id}")).await["tier"], "S", "recomputed on change");
    let count = get(&app, &lead, "/api/v1/segments/count?segment=tier%20%3D%20%22S%22").await;
    assert_eq!(count["count"], 1);

    let (status, error) = send(
        &app,
        &lead,
        Method::PUT,
        "/api/v1/settings/tiers",
        json!({"s_min_interactions": 0, "s_window_days": 7, "b_window_days": 60}),
    )
    .await;
    assert_eq!((status, error["error"]["field"].as_str()), (422, Some("s_min_interactions")));
});

backend_test!(segments_filter_count_and_save, |app| {
    let lead = app.user("lead@example.com", "lead", None).await;
    for (name, region, purchase) in
        [("华东大厂", "华东", 8_000_000.0), ("华东小厂", "华东", 1_000_000.0), ("华南大厂", "华南", 9_000_000.0)]
    {
        let (status, _) = send(
            &app,
            &lead,
            Method::POST,
            "/api/v1/customers",
            json!({"name": name, "region": region, "industry": "制造业", "annual_purchase": purchase}),
        )
        .await;
        assert_eq!(status, 201);
    }
    let segment = "region = \"华东\" and industry = \"制造业\" and annual_purchase > 500万";
    let url = format!("/api/v1/customers?segment={}", rally::web::session::urlencode(segment));
    let page = get(&app, &lead, &url).await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["name"], "华东大厂");

    let bad =
        app.api(&lead, Method::GET, "/api/v1/segments/count?segment=regoin%20%3D%20%22x%22").send().await.unwrap();
    assert_eq!(bad.status(), 422);
    let error: Value = bad.json().await.unwrap();
    assert_eq!(error["error"]["field"], "segment");
    assert!(error["error"]["message"].as_str().unwrap().contains("character 1"), "{error}");

    let (status, saved) =
        send(&app, &lead, Method::POST, "/api/v1/segments", json!({"name": "华东制造大客户", "expression": segment}))
            .await;
    assert_eq!(status, 201, "{saved}");
    assert_eq!(saved["expression"], "region = \"华东\" and industry = \"制造业\" and annual_purchase > 500万");
    let (status, dup) = send(
        &app,
        &lead,
        Method::POST,
        "/api/v1/segments",
        json!({"name": "华东制造大客户", "expression": "tier = \"S\""}),
    )
    .await;
    assert_eq!((status, dup["error"]["field"].as_str()), (422, Some("name")));
    let (status, bad_expr) =
        send(&app, &lead, Method::POST, "/api/v1/segments", json!({"name": "坏的", "expression": "tier > \"S\""}))
            .await;
    assert_eq!((status, bad_expr["error"]["field"].as_str()), (422, Some("expression")));
    assert_eq!(get(&app, &lead, "/api/v1/segments").await["total"], 1);
});

backend_test!(contacts_belong_to_their_customer, |app| {
    let ming = app.user("ming@example.com", "rep", Some("华南")).await;
    let (_, created) = send(&app, &ming, Method::POST, "/api/v1/customers", json!({"name": "F公司"})).await;
    let id = created["id"].as_i64().unwrap();
    let (status, contact) = send(
        &app,
        &ming,
        Method::POST,
        &format!("/api/v1/customers/{id}/contacts"),
        json!({
            "name": "总", "title": "总经理", "phone": "138-0013-8000", "email": "Boss@F.example.cn", "im_id": "wx_boss"
        }),
    )
    .await;
    assert_eq!(status, 201, "{contact}");
    assert_eq!(contact["email"], "boss@f.example.cn");
    let (status, error) = send(
        &app,
        &ming,
        Method::POST,
        &format!("/api/v1/customers/{id}/contacts"),
        json!({"name": "X", "phone": "123"}),
    )
    .await;
    assert_eq!((status, error["error"]["field"].as_str()), (422, Some("phone")));
    let cid = contact["id"].as_i64().unwrap();
    let (status, _) =
        send(&app, &ming, Method::PATCH, &format!("/api/v1/contacts/{cid}"), json!({"title": "董事长", "version": 1}))
            .await;
    assert_eq!(status, 200);
    let (status, _) =
        send(&app, &ming, Method::PATCH, &format!("/api/v1/contacts/{cid}"), json!({"title": "总监", "version": 1}))
            .await;
    assert_eq!(status, 409);
    let list = get(&app, &ming, &format!("/api/v1/customers/{id}/contacts")).await;
    assert_eq!(list["items"][0]["title"], "董事长");
});

backend_test!(the_region_list_is_the_teams, |app| {
    let admin = app.user("admin@example.com", "admin", None).await;
    let (status, saved) = send(
        &app,
        &admin,
        Method::PUT,
        "/api/v1/settings/regions",
        json!({"regions": ["华东", " 华南 ", "港澳", "华东", ""]}),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["regions"], json!(["华东", "华南", "港澳"]));
    let (status, created) =
        send(&app, &admin, Method::POST, "/api/v1/customers", json!({"name": "澳门客户", "region": "港澳"})).await;
    assert_eq!(status, 201, "{created}");
    let (status, error) =
        send(&app, &admin, Method::POST, "/api/v1/customers", json!({"name": "西部客户", "region": "西南"})).await;
    assert_eq!((status, error["error"]["field"].as_str()), (422, Some("region")));
    let (status, error) = send(&app, &admin, Method::PUT, "/api/v1/settings/regions", json!({"regions": [" "]})).await;
    assert_eq!((status, error["error"]["field"].as_str()), (422, Some("regions")));

    let browser = app.browser_session("admin@example.com").await;
    let team = browser.get(app.url("/team")).send().await.unwrap().text().await.unwrap();
    let csrf = crate::helpers::hidden_csrf(&team);
    let saved = browser
        .post(app.url("/team/regions"))
        .form(&[("csrf", csrf.as_str()), ("regions", "华东\n西南")])
        .send()
        .await
        .unwrap();
    assert!(saved.status().is_success() || saved.status().is_redirection());
    assert_eq!(app.store.regions().await.unwrap(), vec!["华东".to_owned(), "西南".to_owned()]);
});

backend_test!(list_totals_stop_past_ten_thousand_and_count_exactly_on_demand, |app| {
    let lead = app.user("lead@example.com", "lead", None).await;
    crate::helpers::insert_many_customers(&app, "规模客户", 10_002, &["华南", "华东"]).await;

    // The kept counts answer all customers and one region exactly, at no cost.
    let all = get(&app, &lead, "/api/v1/customers?limit=5").await;
    assert_eq!((all["total"].as_i64(), all["total_exact"].as_bool()), (Some(10_002), Some(true)), "{all}");
    assert_eq!(all["items"].as_array().map(Vec::len), Some(5));
    let region = get(&app, &lead, "/api/v1/customers?limit=5&region=%E5%8D%8E%E5%8D%97").await;
    assert_eq!((region["total"].as_i64(), region["total_exact"].as_bool()), (Some(5_001), Some(true)), "{region}");
    // A search is counted, and not past the cap unless asked.
    let search = "/api/v1/customers?limit=5&q=%E8%A7%84%E6%A8%A1%E5%AE%A2%E6%88%B7";
    let capped = get(&app, &lead, search).await;
    assert_eq!((capped["total"].as_i64(), capped["total_exact"].as_bool()), (Some(10_000), Some(false)), "{capped}");
    assert_eq!(capped["items"].as_array().map(Vec::len), Some(5));
    let exact = get(&app, &lead, &format!("{search}&count=exact")).await;
    assert_eq!((exact["total"].as_i64(), exact["total_exact"].as_bool()), (Some(10_002), Some(true)));
    let few = get(&app, &lead, "/api/v1/customers?limit=5&q=%E8%A7%84%E6%A8%A1%E5%AE%A2%E6%88%B705").await;
    assert_eq!(
        (few["total"].as_i64(), few["total_exact"].as_bool()),
        (Some(1_000), Some(true)),
        "under the cap: exact"
    );
    let (status, bad) = send(&app, &lead, Method::GET, "/api/v1/customers?count=all", json!(null)).await;
    assert_eq!((status, bad["error"]["field"].as_str()), (422, Some("count")), "{bad}");

    let web = app.browser_session("lead@example.com").await;
    let whole = web.get(app.url("/customers")).send().await.unwrap().text().await.unwrap();
    assert!(whole.contains("共 10,002 家客户") && !whole.contains("count=exact"), "all customers are counted exactly");
    let page = web.get(app.url("/customers?q=%E8%A7%84%E6%A8%A1")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("超过 10,000 家客户") && page.contains("count=exact"), "the page says more than 10,000");
    let counted =
        web.get(app.url("/customers?q=%E8%A7%84%E6%A8%A1&count=exact")).send().await.unwrap().text().await.unwrap();
    assert!(counted.contains("共 10,002 家客户") && counted.contains("data-total=\"10002\""));
});
