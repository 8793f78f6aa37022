//! Stored XSS in a real browser: a script payload is written into every
//! free-text field through the API, then each page that shows it is opened
//! in headless Chromium. No payload may run (a global flag it would set stays
//! unset, no `<img src=x>` or payload `<script>` reaches the DOM, no link
//! points at `javascript:`), and each payload must be visible on the page as
//! text — so the check fails if a page stops showing the field or shows it as
//! markup. The Content-Security-Policy would block inline scripts anyway;
//! the text check is what proves the escaping.

use reqwest::Method;
use serde_json::{Value, json};

use crate::browser::{Screen, setup};
use crate::helpers::{Backend, TestApp, TestUser};

/// A payload that is both a script and an attribute break-out, marked so
/// each field can be found: `<script>…</script>"><img …>` in at most `max`
/// characters (short fields get the tag without the script).
fn payload(mark: &str, max: usize) -> String {
    let long = format!("{mark}<script>window.__xss='{mark}'</script>\"><img src=x onerror=\"window.__xss='{mark}'\">");
    if long.chars().count() <= max {
        return long;
    }
    let short = format!("{mark}\"><img src=x onerror=__xss=1>");
    if short.chars().count() <= max {
        return short;
    }
    let tiny = format!("{mark}\"><svg onload=1>");
    assert!(tiny.chars().count() <= max, "{mark}: {max} characters is too short for a payload");
    tiny
}

async fn create(app: &TestApp, user: &TestUser, path: &str, body: Value) -> i64 {
    let response = app.api(user, Method::POST, path).json(&body).send().await.unwrap();
    let status = response.status();
    let created: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{path}: {created}");
    created["id"].as_i64().unwrap()
}

async fn put(app: &TestApp, user: &TestUser, path: &str, body: Value) {
    let response = app.api(user, Method::PUT, path).json(&body).send().await.unwrap();
    let status = response.status();
    assert_eq!(status, 200, "{path}: {}", response.text().await.unwrap());
}

/// What the payload check found on one page.
const INSPECT: &str = "
    const text = document.body.innerText;
    const values = [...document.querySelectorAll('input, textarea')].map(e => e.value).join('\\n');
    return {
        ran: typeof window.__xss !== 'undefined',
        images: document.querySelectorAll('img[src=\"x\"], svg[onload]').length,
        scripts: [...document.scripts].filter(s => s.textContent.includes('__xss')).length,
        javascript_links: [...document.querySelectorAll('[href], [action], [src], [formaction]')]
            .filter(e => ['href', 'action', 'src', 'formaction']
                .some(a => (e.getAttribute(a) || '').trim().toLowerCase().startsWith('javascript:'))).length,
        text: text + '\\n' + values,
    };";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    rally_no_browser,
    ignore = "Chromium is not installed (Debian: chromium chromium-driver fonts-wqy-microhei)"
)]
async fn stored_script_payloads_are_shown_as_text_and_never_run() {
    let Some((app, browser)) = setup(Backend::Sqlite, Screen::Desktop).await else { return };
    let admin = app.named_user("admin@rally.test", "王兰", "admin", None).await;
    let rep_name = payload("U1", 100);
    let rep = app.named_user("rep@rally.test", &rep_name, "rep", Some("华南")).await;

    // Settings: a region and a token name.
    let region = payload("R1", 20);
    let regions = json!({"regions": ["华东", "华南", "华北", region]});
    put(&app, &admin, "/api/v1/settings/regions", regions).await;
    let token = payload("T1", 100);
    create(&app, &admin, "/api/v1/tokens", json!({"name": token})).await;

    // A customer with every free-text field set.
    let c = [
        ("name", payload("C1", 200)),
        ("industry", payload("C2", 100)),
        ("city", payload("C3", 100)),
        ("source", format!("javascript:window.__xss='C4'//{}", payload("C4", 60))),
        ("notes", format!("第一行\n{}", payload("C5", 5000))),
    ];
    let mut body = json!({"region": region, "owner_email": "rep@rally.test",
        "tags": [payload("C6", 50)], "pain_points": [payload("C7", 50)]});
    for (field, value) in &c {
        body[*field] = json!(value);
    }
    let customer = create(&app, &admin, "/api/v1/customers", body).await;
    let contact = json!({"name": payload("K1", 100), "title": payload("K2", 100),
        "phone": "13800138000", "im_id": payload("K3", 100), "email": "wang@example.com"});
    create(&app, &admin, &format!("/api/v1/customers/{customer}/contacts"), contact).await;
    let note = json!({"channel": "visit", "kind": "inquiry", "note": format!("拜访\n{}", payload("I1", 5000))});
    create(&app, &admin, &format!("/api/v1/customers/{customer}/interactions"), note).await;
    let segment_name = payload("S1", 100);
    let expression = format!("city = \"{}\"", payload("S2", 60).replace('"', "'"));
    create(&app, &admin, "/api/v1/segments", json!({"name": segment_name, "expression": expression})).await;

    // A campaign with every plan field, a breakdown row and a partner list.
    let plan = [
        ("name", payload("P1", 200)),
        ("theme", payload("P2", 500)),
        ("selling_points", payload("P3", 2000)),
        ("resource_support", payload("P4", 2000)),
        ("collateral_needs", payload("P5", 2000)),
        ("training_needs", payload("P6", 2000)),
        ("resource_risks", payload("P7", 2000)),
        ("cost_items", payload("P8", 5000)),
        ("notes", payload("P9", 5000)),
    ];
    let mut body = json!({"kind": "new_product", "segment": "region = \"华南\"", "announced_on": "2026-11-02",
        "starts_on": "2026-11-03", "ends_on": "2026-11-30", "goals": {"intent_customers": 1}});
    for (field, value) in &plan {
        body[*field] = json!(value);
    }
    let campaign = create(&app, &admin, "/api/v1/campaigns", body).await;
    let row = json!({"rows": [{"assignee_email": null, "region": payload("B1", 50), "target_customers": 1,
        "expected_conversion": 0.5, "key_customers": payload("B2", 500), "resource_needs": payload("B3", 500)}]});
    put(&app, &admin, &format!("/api/v1/campaigns/{campaign}/breakdown"), row).await;
    let partner = payload("M1", 100);
    let response = app
        .api(
            &admin,
            Method::POST,
            &format!("/api/v1/campaigns/{campaign}/members/import?partner={}", urlencode(&partner)),
        )
        .header("content-type", "text/csv")
        .body("客户名称,区域\n渠道客户甲,华南\n")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());

    let text =
        |field: &str, list: &[(&str, String)]| list.iter().find(|(f, _)| *f == field).map(|(_, v)| v.clone()).unwrap();
    let all_c: Vec<String> = c.iter().map(|(_, v)| v.clone()).collect();
    let pages: Vec<(String, Vec<String>)> = vec![
        ("/team".into(), vec![rep_name.clone(), region.clone()]),
        (format!("/team/{}", rep.id), vec![rep_name.clone()]),
        ("/settings/tokens".into(), vec![token.clone()]),
        ("/customers".into(), vec![text("name", &c), text("industry", &c), text("city", &c), segment_name.clone()]),
        (
            format!("/customers/{customer}"),
            [
                all_c.clone(),
                vec![
                    payload("C6", 50),
                    payload("C7", 50),
                    payload("K1", 100),
                    payload("K2", 100),
                    payload("K3", 100),
                    payload("I1", 5000),
                ],
            ]
            .concat(),
        ),
        (format!("/customers/{customer}/edit"), all_c.clone()),
        // The audit page shows JSON, where `"` reads `\"`: look for the part before it.
        (format!("/audit/customer/{customer}"), vec![text("name", &c).split('"').next().unwrap().to_owned()]),
        ("/campaigns".into(), vec![text("name", &plan)]),
        (format!("/campaigns/{campaign}"), plan.iter().map(|(_, v)| v.clone()).collect()),
        (format!("/campaigns/{campaign}/edit"), plan.iter().map(|(_, v)| v.clone()).collect()),
        (format!("/campaigns/{campaign}/breakdown"), vec![payload("B1", 50), payload("B2", 500), payload("B3", 500)]),
        (format!("/campaigns/{campaign}/members"), vec![partner.clone()]),
        (format!("/customers?q={}", urlencode(&payload("Q1", 100))), vec![payload("Q1", 100)]),
    ];

    browser.sign_in(&app, &admin.email).await;
    for (path, expected) in &pages {
        browser.goto(&app.url(path)).await;
        browser.wait_for("the page", "return document.readyState === 'complete'").await;
        let found = browser.js(INSPECT).await;
        assert_eq!(found["ran"], false, "{path}: a payload ran (window.__xss = {})", found["ran"]);
        assert_eq!(found["images"], 0, "{path}: an <img src=x> reached the DOM");
        assert_eq!(found["scripts"], 0, "{path}: a payload <script> reached the DOM");
        assert_eq!(found["javascript_links"], 0, "{path}: a javascript: URL in a link or form");
        let shown = found["text"].as_str().unwrap();
        for value in expected {
            // innerText shows line breaks as they are; compare line by line.
            for line in value.lines() {
                assert!(shown.contains(line), "{path} does not show {line:?} as text; it shows:\n{shown}");
            }
        }
    }

    // The rep's own shell shows their name as text too.
    browser.goto(&app.url("/")).await;
    browser.js("document.querySelector(\"form[action='/logout'] button\").click()").await;
    browser.wait_for_page("/login").await;
    browser.sign_in(&app, &rep.email).await;
    let found = browser.js(INSPECT).await;
    assert_eq!(found["ran"], false);
    assert!(found["text"].as_str().unwrap().contains(&rep_name));
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
