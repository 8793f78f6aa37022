//! Every error under /api/v1 has the API's shape — also the ones no handler
//! writes (405, 413, extractor rejections) — names the field by its path,
//! never echoes a huge value, and a 409's `current` is what GET shows.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::backend_test;
use crate::helpers::{TestApp, TestUser, add_customer};

/// The error object of a response, after checking the envelope.
async fn error_of(response: reqwest::Response, status: u16, code: &str) -> Value {
    let got = response.status().as_u16();
    let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
    let text = response.text().await.unwrap();
    assert_eq!(got, status, "{text}");
    assert_eq!(content_type.as_deref(), Some("application/json"), "{status}: {text}");
    let body: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    let error = &body["error"];
    assert_eq!(error["code"], code, "{text}");
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "{text}");
    error.clone()
}

backend_test!(errors_no_handler_writes_have_the_api_shape, |app| {
    let admin = app.user("admin@example.com", "admin", None).await;

    let wrong_method = app.api(&admin, Method::PUT, "/api/v1/me").send().await.unwrap();
    let allow = wrong_method.headers().get("allow").map(|v| v.to_str().unwrap().to_owned());
    let error = error_of(wrong_method, 405, "method_not_allowed").await;
    let allow = allow.expect("405 keeps its Allow header");
    assert!(allow.contains("GET") && allow.contains("PATCH"), "{allow}");
    assert!(error["message"].as_str().unwrap().contains("PUT"), "{error}");

    // Over axum's 2 MB JSON body limit.
    let huge = json!({"name": "x".repeat(3 * 1024 * 1024)});
    // The server answers before reading the whole body and drops the connection:
    // it must not go back to the client's pool for the next request.
    let too_large = app
        .api(&admin, Method::POST, "/api/v1/segments")
        .header("connection", "close")
        .json(&huge)
        .send()
        .await
        .unwrap();
    error_of(too_large, 413, "too_large").await;

    // A query string the extractor cannot read (a parameter given twice).
    let duplicate = app.api(&admin, Method::GET, "/api/v1/customers?limit=1&limit=2").send().await.unwrap();
    error_of(duplicate, 400, "bad_request").await;

    let not_json = app
        .api(&admin, Method::POST, "/api/v1/tokens")
        .header("content-type", "text/plain")
        .body("name=x")
        .send()
        .await
        .unwrap();
    error_of(not_json, 415, "unsupported_media_type").await;
    let charset = app
        .api(&admin, Method::POST, "/api/v1/tokens")
        .header("content-type", "application/json; charset=utf-8")
        .body(r#"{"name": "带字符集"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(charset.status(), 201, "a charset parameter is still JSON");

    let trailing = app
        .api(&admin, Method::POST, "/api/v1/tokens")
        .header("content-type", "application/json")
        .body(r#"{"name": "a"} {"name": "b"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(trailing, 422, "invalid").await["field"], "body");
});

backend_test!(type_errors_name_the_field_and_never_echo_big_values, |app| {
    let admin = app.user("admin@example.com", "admin", None).await;
    let cases = [
        (Method::POST, "/api/v1/segments", json!({"name": 5, "expression": "tier = \"S\""}), "name"),
        (Method::POST, "/api/v1/customers", json!({"name": "标签客户", "tags": ["a", 5]}), "tags[1]"),
        (Method::POST, "/api/v1/customers", json!({"name": "金额客户", "annual_purchase": "很多"}), "annual_purchase"),
        (Method::PUT, "/api/v1/settings/tiers", json!({"s_min_interactions": 3, "s_window_days": 30}), "b_window_days"),
        (Method::PUT, "/api/v1/settings/tiers", json!([1, 2, 3]), "body"),
        (
            Method::PUT,
            "/api/v1/settings/tiers",
            json!({"s_min_interactions": 3, "s_window_days": 30, "b_window_days": 60, "c": 1}),
            "c",
        ),
    ];
    for (method, path, body, field) in cases {
        let response = app.api(&admin, method.clone(), path).json(&body).send().await.unwrap();
        let error = error_of(response, 422, "invalid").await;
        assert_eq!(error["field"], field, "{method} {path} {body}: {error}");
    }

    // A 100 KB value (or key) in the wrong place: the answer stays small and names the field.
    let big = "x".repeat(100_000);
    let cases = [
        (
            Method::PUT,
            "/api/v1/settings/tiers",
            json!({"s_min_interactions": big, "s_window_days": 30, "b_window_days": 60}),
            Some("s_min_interactions"),
        ),
        (Method::PATCH, "/api/v1/me", json!({"locale": big}), Some("locale")),
        (Method::POST, "/api/v1/tokens", json!({ big.clone(): 1 }), None),
        (Method::POST, "/api/v1/customers", json!({"name": "长标签", "tags": [big]}), Some("tags")),
        (Method::POST, "/api/v1/segments", json!({"name": "分群", "expression": big}), Some("expression")),
    ];
    for (method, path, body, field) in cases {
        let response = app.api(&admin, method.clone(), path).json(&body).send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, 422, "{method} {path}: {}", &text[..text.len().min(300)]);
        assert!(text.len() < 1_000, "{method} {path} echoes {} bytes: {}…", text.len(), &text[..300]);
        let error: Value = serde_json::from_str(&text).unwrap();
        if let Some(field) = field {
            assert_eq!(error["error"]["field"], field, "{text}");
        }
    }
});

/// The JSON of one item as its GET (or list) shows it.
async fn shown(app: &TestApp, user: &TestUser, path: &str, id: i64) -> Value {
    let body: Value = app.api(user, Method::GET, path).send().await.unwrap().json().await.unwrap();
    match body.get("items") {
        Some(items) => items.as_array().unwrap().iter().find(|i| i["id"] == id).cloned().expect("listed"),
        None => body,
    }
}

/// Edits `path` twice with the same version; the second is a 409 whose
/// `current` must equal what GET shows now.
async fn conflict_shows_get(app: &TestApp, user: &TestUser, path: &str, edit: Value, get: &str, id: i64) {
    let before = shown(app, user, get, id).await;
    let version = before["version"].as_i64().expect("a version");
    let first = app.api(user, Method::PATCH, path).header("If-Match", version.to_string()).json(&edit).send().await;
    assert_eq!(first.unwrap().status(), 200, "{path}");
    let second = app.api(user, Method::PATCH, path).header("If-Match", version.to_string()).json(&edit).send().await;
    let error = error_of(second.unwrap(), 409, "version_conflict").await;
    let now = shown(app, user, get, id).await;
    assert_eq!(error["current"], now, "{path}: a 409's `current` must be the record as GET shows it");
}

backend_test!(version_conflicts_show_the_record_as_get_does, |app| {
    let admin = app.user("admin@example.com", "admin", None).await;
    let rep = app.user("rep@example.com", "rep", Some("华南")).await;
    let customer = add_customer(&app, "冲突客户有限公司", "华南", Some(rep.id)).await;

    let path = format!("/api/v1/customers/{customer}");
    conflict_shows_get(&app, &admin, &path, json!({"city": "深圳"}), &path, customer).await;

    let created: Value = app
        .api(&admin, Method::POST, &format!("/api/v1/customers/{customer}/contacts"))
        .json(&json!({"name": "王总"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let contact = created["id"].as_i64().unwrap();
    let contacts = format!("/api/v1/customers/{customer}/contacts");
    let path = format!("/api/v1/contacts/{contact}");
    conflict_shows_get(&app, &admin, &path, json!({"title": "总经理"}), &contacts, contact).await;

    let created: Value = app
        .api(&admin, Method::POST, &format!("/api/v1/customers/{customer}/interactions"))
        .json(&json!({"channel": "visit", "kind": "order", "amount": 12000.5, "note": "下单"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let interaction = created["id"].as_i64().unwrap();
    let interactions = format!("/api/v1/customers/{customer}/interactions");
    let path = format!("/api/v1/interactions/{interaction}");
    conflict_shows_get(&app, &admin, &path, json!({"note": "已下单"}), &interactions, interaction).await;

    let created: Value = app
        .api(&admin, Method::POST, "/api/v1/segments")
        .json(&json!({"name": "华南S", "expression": "tier = \"S\""}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let segment = created["id"].as_i64().unwrap();
    let path = format!("/api/v1/segments/{segment}");
    conflict_shows_get(&app, &admin, &path, json!({"name": "华南S级"}), "/api/v1/segments", segment).await;

    let path = format!("/api/v1/users/{}", rep.id);
    conflict_shows_get(&app, &admin, &path, json!({"name": "明"}), &path, rep.id).await;

    let created: Value = app
        .api(&admin, Method::POST, "/api/v1/campaigns")
        .json(&json!({"name": "冲突活动", "kind": "trade_show", "announced_on": "2026-11-02",
                      "starts_on": "2026-11-05", "ends_on": "2026-11-08", "budget": 50000}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let campaign = created["id"].as_i64().unwrap();
    let path = format!("/api/v1/campaigns/{campaign}");
    conflict_shows_get(&app, &admin, &path, json!({"theme": "新品A首发"}), &path, campaign).await;

    // A rep's own customer: the conflict shows what the rep's GET shows.
    let path = format!("/api/v1/customers/{customer}");
    conflict_shows_get(&app, &rep, &path, json!({"city": "广州"}), &path, customer).await;
    assert_eq!(StatusCode::CONFLICT.as_u16(), 409);
});
