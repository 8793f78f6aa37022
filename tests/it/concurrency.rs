//! Many writers at once: writes queue and succeed (or answer 409 for a stale
//! version), never 500, and every acknowledged write is there afterwards.

use reqwest::Method;
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::backend_test;
use crate::helpers::{TestApp, TestUser, add_customer};

async fn send(app: &TestApp, user: &TestUser, method: Method, path: &str, body: Value) -> (u16, Value) {
    let response = app.api(user, method, path).json(&body).send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// Panics with every 5xx answer listed, so a failure shows what the server said.
fn assert_no_server_errors(what: &str, answers: &[(String, u16, Value)]) {
    let bad: Vec<_> = answers.iter().filter(|(_, s, _)| *s >= 500).collect();
    assert!(bad.is_empty(), "{what}: {} of {} requests answered 5xx: {bad:?}", bad.len(), answers.len());
}

backend_test!(twenty_writers_on_different_customers_and_one_customer_never_get_5xx, |app| {
    let lead = app.user("lead@example.com", "lead", None).await;
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(add_customer(&app, &format!("并发客户{i:02}"), "华南", None).await);
    }
    let busy = ids[0];
    let today = rally::clock::today();
    let app = std::sync::Arc::new(app);
    let mut tasks = JoinSet::new();
    for (i, &id) in ids.iter().enumerate() {
        let (app, lead) = (app.clone(), lead.clone());
        tasks.spawn(async move {
            let body = json!({"city": format!("城市{i:02}"), "version": 1});
            let (s, v) = send(&app, &lead, Method::PATCH, &format!("/api/v1/customers/{id}"), body).await;
            (format!("edit {id}"), s, v)
        });
    }
    for i in 0..20i64 {
        let (app, lead) = (app.clone(), lead.clone());
        tasks.spawn(async move {
            let day = today - chrono::Duration::days(i);
            let body =
                json!({"channel": "phone", "kind": "inquiry", "note": format!("第{i}次跟进"), "occurred_on": day});
            let (s, v) = send(&app, &lead, Method::POST, &format!("/api/v1/customers/{busy}/interactions"), body).await;
            (format!("log {i}"), s, v)
        });
    }
    let answers: Vec<_> = tasks.join_all().await;
    assert_no_server_errors("20 edits of different customers beside 20 logs on one", &answers);
    for (what, status, body) in &answers {
        assert!(matches!(status, 200 | 201), "{what}: {status} {body}");
    }

    // Every acknowledged write is there.
    for (i, &id) in ids.iter().enumerate() {
        let (s, c) = send(&app, &lead, Method::GET, &format!("/api/v1/customers/{id}"), Value::Null).await;
        assert_eq!(s, 200);
        assert_eq!(c["city"], format!("城市{i:02}"), "{c}");
        assert_eq!(c["version"], 2, "{c}");
    }
    let (_, list) =
        send(&app, &lead, Method::GET, &format!("/api/v1/customers/{busy}/interactions?limit=200"), Value::Null).await;
    let notes: Vec<_> =
        list["items"].as_array().unwrap().iter().map(|i| i["note"].as_str().unwrap().to_owned()).collect();
    assert_eq!(notes.len(), 20, "{notes:?}");
    // The activity columns saw every interaction, whichever committed last.
    let (_, c) = send(&app, &lead, Method::GET, &format!("/api/v1/customers/{busy}"), Value::Null).await;
    assert_eq!(c["last_interaction_on"], json!(today), "{c}");
    assert_eq!(c["last_inquiry_on"], json!(today), "{c}");
});
