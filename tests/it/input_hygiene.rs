//! Input hygiene: control characters are refused in text (line breaks only
//! where text may span lines), dates stay within 2000-01-01 ..= 2100-12-31
//! wherever they are accepted, and the CSRF token never travels in a URL.

use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_test;
use crate::helpers::{TestApp, TestUser, add_customer, hidden_csrf};

/// Sends `body` and expects a 422 naming `field` and saying what is wrong.
async fn refused(app: &TestApp, user: &TestUser, method: Method, path: &str, body: Value, field: &str) {
    let response = app.api(user, method.clone(), path).json(&body).send().await.unwrap();
    let status = response.status();
    let error: Value = response.json().await.unwrap();
    assert_eq!(status, 422, "{method} {path} {body}: {error}");
    assert_eq!(error["error"]["field"], field, "{method} {path} {body}: {error}");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("control character"), "{message}");
}

backend_test!(control_characters_are_refused_in_every_text_field, |app| {
    let admin = app.user("admin@example.com", "admin", None).await;
    let customer = add_customer(&app, "字符客户有限公司", "华东", None).await;
    let c = format!("/api/v1/customers/{customer}");
    let contacts = format!("{c}/contacts");
    let interactions = format!("{c}/interactions");
    for bad in ["\0", "\u{1b}[31m", "\u{7f}", "\u{85}", "\u{202e}"] {
        let text = format!("甲{bad}乙");
        let cases = [
            (Method::POST, "/api/v1/customers", json!({"name": text}), "name"),
            (Method::PATCH, c.as_str(), json!({"industry": text}), "industry"),
            (Method::PATCH, c.as_str(), json!({"city": text}), "city"),
            (Method::PATCH, c.as_str(), json!({"source": text}), "source"),
            (Method::PATCH, c.as_str(), json!({"notes": text}), "notes"),
            (Method::PATCH, c.as_str(), json!({"tags": ["ok", text]}), "tags"),
            (Method::PATCH, c.as_str(), json!({"pain_points": [text]}), "pain_points"),
            (Method::POST, contacts.as_str(), json!({"name": text}), "name"),
            (Method::POST, contacts.as_str(), json!({"name": "王总", "title": text}), "title"),
            (Method::POST, contacts.as_str(), json!({"name": "王总", "im_id": text}), "im_id"),
            (Method::POST, interactions.as_str(), json!({"channel": "phone", "kind": "call", "note": text}), "note"),
            (Method::POST, "/api/v1/segments", json!({"name": text, "expression": "tier = \"S\""}), "name"),
            (Method::POST, "/api/v1/tokens", json!({"name": text}), "name"),
            (Method::PUT, "/api/v1/settings/regions", json!({"regions": ["华东", text]}), "regions"),
        ];
        for (method, path, body, field) in cases {
            refused(&app, &admin, method, path, body, field).await;
        }
        // A person's name is checked by its own rule; the message is the same kind.
        let user = json!({"email": "x@example.com", "name": text, "role": "lead", "password": "long enough pw"});
        let response = app.api(&admin, Method::POST, "/api/v1/users").json(&user).send().await.unwrap();
        assert_eq!(response.status(), 422);
        assert_eq!(response.json::<Value>().await.unwrap()["error"]["field"], "name");
    }
    let user = json!({"email": "x\0@example.com", "name": "甲", "role": "lead", "password": "long enough pw"});
    let response = app.api(&admin, Method::POST, "/api/v1/users").json(&user).send().await.unwrap();
    assert_eq!(response.json::<Value>().await.unwrap()["error"]["field"], "email");

    // Multi-line text keeps its tabs and line breaks (CRLF stored as LF); one-line text takes none.
    let notes = "第一行\r\n第二行\t缩进\n第三行";
    let response = app.api(&admin, Method::PATCH, &c).json(&json!({"notes": notes})).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["notes"], "第一行\n第二行\t缩进\n第三行");
    let body = json!({"channel": "phone", "kind": "call", "note": "客户对价格有异议\n需提供竞品对比方案"});
    let response = app.api(&admin, Method::POST, &interactions).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 201);
    refused(&app, &admin, Method::PATCH, &c, json!({"city": "广州\n深圳"}), "city").await;
    refused(&app, &admin, Method::POST, &contacts, json!({"name": "王\r总"}), "name").await;

    // The pages go through the same rules.
    let browser = app.browser_session(&admin.email).await;
    let page = browser.get(app.url("/customers/new")).send().await.unwrap().text().await.unwrap();
    let response = browser
        .post(app.url("/customers"))
        .form(&[("csrf", hidden_csrf(&page).as_str()), ("name", "页面\0客户"), ("region", "华东")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert!(response.text().await.unwrap().contains("U+0000"), "the form says which character");

    // And so does an import: the row is rejected with its reason.
    let csv = "客户名称,区域\n导入\u{1}客户,华东\n";
    let response = app
        .api(&admin, Method::POST, "/api/v1/imports/customers")
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let text = response.text().await.unwrap();
    assert!(text.contains("control_char") && text.contains("U+0001"), "{text}");
    assert_eq!(app.store.count_customers().await.unwrap(), 1, "nothing was written");
});

backend_test!(dates_stay_within_2000_and_2100, |app| {
    let admin = app.user("admin@example.com", "admin", None).await;
    let customer = add_customer(&app, "日期客户有限公司", "华东", None).await;
    let path = format!("/api/v1/customers/{customer}/interactions");
    for date in ["0001-01-01", "1999-12-31", "2101-01-01"] {
        let body = json!({"channel": "phone", "kind": "call", "occurred_on": date});
        let response = app.api(&admin, Method::POST, &path).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 422, "{date}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["field"], "occurred_on", "{date}: {error}");
    }
    let body = json!({"channel": "phone", "kind": "call", "occurred_on": "2000-01-01"});
    assert_eq!(app.api(&admin, Method::POST, &path).json(&body).send().await.unwrap().status(), 201);

    // The follow-up form on the customer page.
    let browser = app.browser_session(&admin.email).await;
    let page = browser.get(app.url(&format!("/customers/{customer}"))).send().await.unwrap().text().await.unwrap();
    let form = [
        ("csrf", hidden_csrf(&page)),
        ("occurred_on", "0001-01-01".to_owned()),
        ("channel", "phone".to_owned()),
        ("kind", "call".to_owned()),
    ];
    let response =
        browser.post(app.url(&format!("/customers/{customer}/interactions"))).form(&form).send().await.unwrap();
    assert_eq!(response.status(), 422);

    // An import: the row is rejected.
    let csv = "客户名称,日期,类型,备注\n日期客户有限公司,1990-01-06,call,太早\n";
    let response = app
        .api(&admin, Method::POST, "/api/v1/imports/interactions")
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert!(response.text().await.unwrap().contains("date_out_of_range"));
    let history: Value = app.api(&admin, Method::GET, &path).send().await.unwrap().json().await.unwrap();
    assert_eq!(history["total"], 1, "{history}");
});

backend_test!(campaign_dates_stay_within_2000_and_2100, |app| {
    let admin = app.user("admin@example.com", "admin", None).await;
    let plan = |announced: &str| {
        json!({"name": "日期活动", "kind": "trade_show", "announced_on": announced,
               "starts_on": "2026-11-05", "ends_on": "2026-11-08"})
    };
    // 0001-01-01 used to be stored, with a kickoff deadline of +10000-01-04 shown back.
    let response = app.api(&admin, Method::POST, "/api/v1/campaigns").json(&plan("0001-01-01")).send().await;
    let error: Value = response.unwrap().json().await.unwrap();
    assert_eq!(error["error"]["field"], "announced_on", "{error}");
    let created: Value = app
        .api(&admin, Method::POST, "/api/v1/campaigns")
        .json(&plan("2026-11-02"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_i64().unwrap();
    let path = format!("/api/v1/campaigns/{id}");
    for (field, date) in [("ends_on", "2101-01-01"), ("starts_on", "1999-12-31")] {
        let response = app.api(&admin, Method::PATCH, &path).json(&json!({ field: date })).send().await.unwrap();
        assert_eq!(response.status(), 422, "{field} {date}");
        assert_eq!(response.json::<Value>().await.unwrap()["error"]["field"], field);
    }
    let milestone = format!("{path}/milestones/kickoff_held");
    let response = app.api(&admin, Method::PUT, &milestone).json(&json!({"planned_on": "0001-01-01"})).send().await;
    assert_eq!(response.unwrap().json::<Value>().await.unwrap()["error"]["field"], "planned_on");
    let response =
        app.api(&admin, Method::GET, "/api/v1/calendar/working-days?from=0001-01-01&add=2").send().await.unwrap();
    assert_eq!(response.status(), 422);
    assert_eq!(response.json::<Value>().await.unwrap()["error"]["field"], "from");
    let calendar = json!({"years": {"1990": {"status": "official", "source": {"title": "1990"},
        "blocks": [{"name": "元旦", "off_from": "1990-01-01", "off_to": "1990-01-01", "adjusted_workdays": []}]}}});
    let response = app.api(&admin, Method::POST, "/api/v1/calendar/years").json(&calendar).send().await.unwrap();
    assert_eq!(response.status(), 422);

    // The plan form.
    let browser = app.browser_session(&admin.email).await;
    let page = browser.get(app.url("/campaigns/new")).send().await.unwrap().text().await.unwrap();
    let form = [
        ("csrf", hidden_csrf(&page)),
        ("name", "表单活动".to_owned()),
        ("kind", "trade_show".to_owned()),
        ("announced_on", "0001-01-01".to_owned()),
        ("starts_on", "2026-11-05".to_owned()),
        ("ends_on", "2026-11-08".to_owned()),
    ];
    let response = browser.post(app.url("/campaigns")).form(&form).send().await.unwrap();
    assert_eq!(response.status(), 422);
    let listed: Value = app.api(&admin, Method::GET, "/api/v1/campaigns").send().await.unwrap().json().await.unwrap();
    assert_eq!(listed["total"], 1, "only the good campaign was stored: {listed}");

    // The plan's notes may span lines; its theme may not hold control characters.
    let notes = json!({"notes": "第一条\n第二条", "selling_points": "新品A首发享8折\n3年质保"});
    let response = app.api(&admin, Method::PATCH, &path).json(&notes).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["notes"], "第一条\n第二条");
    refused(&app, &admin, Method::PATCH, &path, json!({"theme": "新品\nA"}), "theme").await;
    refused(&app, &admin, Method::PATCH, &path, json!({"notes": "a\u{0}b"}), "notes").await;
});

fn multipart(boundary: &str, fields: &[(&str, &str)], file: &str) -> Vec<u8> {
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"list.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{file}\r\n--{boundary}--\r\n"
    ));
    body.into_bytes()
}

backend_test!(the_csrf_token_never_travels_in_a_url, |app| {
    let admin = app.user("admin@example.com", "admin", None).await;
    let campaign: Value = app
        .api(&admin, Method::POST, "/api/v1/campaigns")
        .json(&json!({"name": "令牌活动", "kind": "trade_show", "announced_on": "2026-11-02",
                      "starts_on": "2026-11-05", "ends_on": "2026-11-08"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let browser = app.browser_session(&admin.email).await;
    let members = format!("/campaigns/{}/members", campaign["id"]);
    let mut csrf = String::new();
    for path in ["/customers/import", "/settings/calendar", &members, "/settings", "/team", "/customers"] {
        let html = browser.get(app.url(path)).send().await.unwrap().text().await.unwrap();
        assert!(!html.contains("csrf="), "{path} puts the CSRF token into a URL");
        if path == "/customers/import" {
            csrf = hidden_csrf(&html);
        }
    }
    assert!(!csrf.is_empty());

    // The token in the query string is no longer accepted.
    let response = browser
        .post(app.url(&format!("/settings/language?csrf={csrf}")))
        .form(&[("locale", "en"), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403, "?csrf= must not pass the guard");
    assert_eq!(app.store.user_by_email(&admin.email).await.unwrap().unwrap().locale, "zh-CN");

    // A multipart upload carries it as its first field, as the page's form sends it.
    let boundary = "rally-hygiene-boundary";
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let file = "客户名称,区域\n表单客户,华东\n";
    let last = multipart(boundary, &[("kind", "customers"), ("csrf", &csrf)], file);
    let response =
        browser.post(app.url("/customers/import")).header("content-type", &content_type).body(last).send().await;
    assert_eq!(response.unwrap().status(), 403, "the token must come first");
    let first = multipart(boundary, &[("csrf", &csrf), ("kind", "customers")], file);
    let response =
        browser.post(app.url("/customers/import")).header("content-type", &content_type).body(first).send().await;
    let response = response.unwrap();
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
    let forged = multipart(boundary, &[("csrf", "forged"), ("kind", "customers")], file);
    let response =
        browser.post(app.url("/customers/import")).header("content-type", &content_type).body(forged).send().await;
    assert_eq!(response.unwrap().status(), 403);
});
