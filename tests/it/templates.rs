//! Campaign SOPs and history on both backends: a reviewed campaign saved as
//! a template (PRODUCT.md's review: 50 reached, 36 intent customers, 18
//! orders, ROI 1:3.5), a new campaign started from it with its playbook,
//! checklist, phase rules, lessons and goals from its ratios; the template
//! showing who used it; the history of past campaigns; the breakdown's
//! similar campaigns read from the frozen numbers.

use chrono::NaiveDate;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, TestUser, get_page, post_form, spawn_app_with_clock};
use crate::review::{World, enter_costs, put_line, world};

const TODAY: &str = "2026-12-02";

macro_rules! sop_test {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let day: NaiveDate = TODAY.parse().unwrap();
                if let Some($app) = spawn_app_with_clock(Backend::Sqlite, rally::clock::Clock::fixed_on(day)).await $body
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let day: NaiveDate = TODAY.parse().unwrap();
                if let Some($app) = spawn_app_with_clock(Backend::Postgres, rally::clock::Clock::fixed_on(day)).await $body
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

fn close(v: &Value, expected: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - expected).abs() < 1e-6)
}

/// PRODUCT.md's campaign with a collateral request, costs and a lesson, its
/// review held.
async fn reviewed(app: &TestApp) -> World {
    let w = world(app).await;
    let (status, body) = send(
        app,
        &w.lead,
        Method::POST,
        &format!("/api/v1/campaigns/{}/requests", w.campaign),
        json!({"kind": "collateral", "item": "宣传单页", "quantity": 500}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    enter_costs(app, &w).await;
    let (status, body) = put_line(app, &w, "roi", "下次活动提前5天确认物流").await;
    assert_eq!(status, 200, "{body}");
    w
}

async fn hold(app: &TestApp, w: &World) {
    let (status, body) =
        send(app, &w.lead, Method::POST, &format!("/api/v1/campaigns/{}/review/held", w.campaign), json!({})).await;
    assert!(status == 200 || status == 204, "{status} {body}");
}

sop_test!(a_reviewed_campaign_becomes_a_template_and_a_new_campaign_starts_from_it, |app| {
    let w = reviewed(&app).await;
    let templates = "/api/v1/campaign-templates";
    // Only a reviewed campaign: its numbers must be final.
    let (status, body) = send(&app, &w.lead, Method::POST, templates, json!({"campaign_id": w.campaign})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("campaign_id")), "{body}");
    hold(&app, &w).await;
    let (status, _) = send(&app, &w.ming, Method::POST, templates, json!({"campaign_id": w.campaign})).await;
    assert_eq!(status, 403, "a rep saves no template");
    let (status, body) = send(&app, &w.lead, Method::POST, templates, json!({"campaign_id": 999_999})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("campaign_id")), "{body}");
    let (status, t) = send(&app, &w.lead, Method::POST, templates, json!({"campaign_id": w.campaign})).await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(t["name"], "新品A限时促销 SOP");
    assert_eq!(t["kind"], "new_product");
    assert_eq!(t["source_campaign_id"], w.campaign);
    assert_eq!(t["segment"], "region = \"华南\"");
    assert_eq!(t["ratios"]["reached"], 50, "{t}");
    assert!(close(&t["ratios"]["intent_per_reached"], 36.0 / 50.0), "{t}");
    assert!(close(&t["ratios"]["orders_per_intent"], 0.5), "{t}");
    assert!(close(&t["ratios"]["roi"], 3.5), "{t}");
    let lessons = t["lessons"].as_array().unwrap();
    assert!(lessons.iter().any(|l| l.as_str() == Some("投入产出比：下次活动提前5天确认物流")), "{t}");
    assert_eq!(t["checklist"].as_array().map(Vec::len), Some(1), "{t}");
    assert_eq!(t["checklist"][0]["item"], "宣传单页");
    assert_eq!(t["playbook"].as_array().map(|p| !p.is_empty()), Some(true), "{t}");
    assert_eq!(t["phase_rules"]["review_after_end"], 3, "{t}");
    let template = t["id"].as_i64().unwrap();
    // Everyone on the team reads templates.
    let list = get(&app, &w.ming, templates).await;
    assert_eq!(list["total"], 1, "{list}");

    // A new campaign from it: only the name, dates and reach goal given.
    let (status, c) = send(
        &app,
        &w.lead,
        Method::POST,
        "/api/v1/campaigns",
        json!({"name": "十二月新品B促销", "template_id": template, "announced_on": "2026-12-02",
               "starts_on": "2026-12-07", "ends_on": "2026-12-25", "goals": {"reached": 100}}),
    )
    .await;
    assert_eq!(status, 201, "{c}");
    assert_eq!(c["template_id"], template);
    assert_eq!(c["kind"], "new_product");
    assert_eq!(c["segment"], "region = \"华南\"");
    assert_eq!(c["goals"]["reached"], 100);
    assert_eq!(c["goals"]["intent_customers"], 72, "100 reached at 72%: {c}");
    assert_eq!(c["goals"]["orders"], 36, "{c}");
    assert!(close(&c["goals"]["roi"], 3.5), "{c}");
    assert!(c["notes"].as_str().unwrap().contains("下次活动提前5天确认物流"), "{c}");
    let id = c["id"].as_i64().unwrap();
    let requests = get(&app, &w.lead, &format!("/api/v1/campaigns/{id}/requests")).await;
    assert_eq!(requests["items"].as_array().map(Vec::len), Some(1), "{requests}");
    assert_eq!(requests["items"][0]["item"], "宣传单页");
    let playbook = get(&app, &w.lead, &format!("/api/v1/campaigns/{id}/playbook")).await;
    assert_eq!(playbook["default"], false, "the template's playbook is the campaign's own: {playbook}");

    // Given goals win over the ratios.
    let (status, c2) = send(
        &app,
        &w.lead,
        Method::POST,
        "/api/v1/campaigns",
        json!({"name": "十二月新品C", "template_id": template, "announced_on": "2026-12-02",
               "starts_on": "2026-12-07", "ends_on": "2026-12-25", "goals": {"intent_customers": 10}}),
    )
    .await;
    assert_eq!(status, 201, "{c2}");
    let goals = &c2["goals"];
    assert_eq!(
        (goals["reached"].as_i64(), goals["intent_customers"].as_i64(), goals["orders"].as_i64()),
        (Some(50), Some(10), Some(5)),
        "the source's reach; the orders from the given intent goal: {c2}"
    );

    // The template shows who used it.
    let detail = get(&app, &w.ming, &format!("{templates}/{template}")).await;
    let used: Vec<&str> = detail["used_by"].as_array().unwrap().iter().map(|u| u["name"].as_str().unwrap()).collect();
    assert_eq!(used.len(), 2, "{detail}");
    assert!(used.contains(&"十二月新品B促销"), "{detail}");
    assert_eq!(detail["used_by"][0]["metrics"], Value::Null, "not reviewed yet");

    // A template is chosen only when creating.
    let (status, body) =
        send(&app, &w.lead, Method::PATCH, &format!("/api/v1/campaigns/{id}"), json!({"template_id": template})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("template_id")), "{body}");
    let (status, body) = send(
        &app,
        &w.lead,
        Method::POST,
        "/api/v1/campaigns",
        json!({"name": "x", "template_id": 424_242, "announced_on": "2026-12-02", "starts_on": "2026-12-07", "ends_on": "2026-12-25"}),
    )
    .await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("template_id")), "{body}");

    // Retired: kept, not offered.
    let (status, _) = send(&app, &w.ming, Method::DELETE, &format!("{templates}/{template}"), json!(null)).await;
    assert_eq!(status, 403);
    let (status, _) = send(&app, &w.lead, Method::DELETE, &format!("{templates}/{template}"), json!(null)).await;
    assert_eq!(status, 204);
    assert_eq!(get(&app, &w.lead, &format!("{templates}/{template}")).await["retired"], true);
    let (status, body) = send(
        &app,
        &w.lead,
        Method::POST,
        "/api/v1/campaigns",
        json!({"name": "y", "template_id": template, "announced_on": "2026-12-02", "starts_on": "2026-12-07", "ends_on": "2026-12-25"}),
    )
    .await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("template_id")), "{body}");
});

sop_test!(history_and_similar_campaigns_read_the_frozen_numbers, |app| {
    let w = reviewed(&app).await;
    let history = get(&app, &w.ming, "/api/v1/campaigns/history").await;
    assert_eq!(history["reviewed"].as_array().map(Vec::len), Some(0), "{history}");
    // A later campaign of the kind, before the review: no similar campaign yet.
    let (status, c) = send(
        &app,
        &w.lead,
        Method::POST,
        "/api/v1/campaigns",
        json!({"name": "十二月新品B促销", "kind": "new_product", "announced_on": "2026-12-02",
               "starts_on": "2026-12-07", "ends_on": "2026-12-25", "goals": {"intent_customers": 500}}),
    )
    .await;
    assert_eq!(status, 201, "{c}");
    let next = c["id"].as_i64().unwrap();
    let before = get(&app, &w.lead, &format!("/api/v1/campaigns/{next}/breakdown")).await;
    assert!(
        before["checks"].as_array().unwrap().iter().all(|c| c["history_campaigns"].is_null()),
        "an unreviewed campaign is no history: {before}"
    );
    hold(&app, &w).await;
    let history = get(&app, &w.ming, "/api/v1/campaigns/history").await;
    let row = &history["reviewed"][0];
    assert_eq!(row["campaign_id"], w.campaign, "{history}");
    let intent = row["metrics"].as_array().unwrap().iter().find(|m| m["key"] == "intent_customers").unwrap();
    assert!(close(&intent["achievement"], 1.2), "{intent}");
    assert_eq!(row["held_on"], TODAY);
    let other_kind = get(&app, &w.ming, "/api/v1/campaigns/history?kind=trade_show").await;
    assert_eq!(other_kind["reviewed"].as_array().map(Vec::len), Some(0));
    let (status, body) = send(&app, &w.ming, Method::GET, "/api/v1/campaigns/history?kind=nonsense", json!(null)).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("kind")), "{body}");
    // The breakdown now compares with the frozen campaign: 60 members, 36 intent.
    let after = get(&app, &w.lead, &format!("/api/v1/campaigns/{next}/breakdown")).await;
    let check = after["checks"].as_array().unwrap().iter().find(|c| !c["history_campaigns"].is_null());
    let check = check.unwrap_or_else(|| panic!("history after the review: {after}"));
    assert_eq!(
        (check["history_campaigns"].as_i64(), check["history_members"].as_i64()),
        (Some(1), Some(60)),
        "{after}"
    );
});

sop_test!(the_pages_save_show_and_use_a_template, |app| {
    let w = reviewed(&app).await;
    hold(&app, &w).await;
    let lead = app.browser_session(&w.lead.email).await;
    let (status, html) = get_page(&lead, &app, "/templates").await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"save-template\"") && html.contains("新品A限时促销"), "{html}");
    let (status, location, html) =
        post_form(&lead, &app, "/templates", &[("campaign_id", &w.campaign.to_string()), ("name", "")]).await;
    assert_eq!(status, 303, "{html}");
    assert!(location.starts_with("/templates/"), "{location}");
    let (status, html) = get_page(&lead, &app, &location).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("新品A限时促销 SOP") && html.contains("下次活动提前5天确认物流"),
        "the template page: {html}"
    );
    let list = get(&app, &w.lead, "/api/v1/campaign-templates").await;
    let id = list["items"][0]["id"].as_i64().unwrap();
    let (status, html) = get_page(&lead, &app, &format!("/campaigns/new?template={id}")).await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("name=\"template_id\" value=\"{id}\"")), "{html}");
    assert!(html.contains("id=\"from-template\""), "{html}");
    let (status, html) = get_page(&lead, &app, "/campaigns/history").await;
    assert_eq!(status, 200);
    assert!(html.contains("新品A限时促销") && html.contains("<svg") && html.contains("120%"), "{html}");
    // An unknown campaign in the save form is the form's error, not a crash.
    let (status, _, html) = post_form(&lead, &app, "/templates", &[("campaign_id", "999999"), ("name", "x")]).await;
    assert_eq!(status, 422, "{html}");
    let rep = app.browser_session(&w.ming.email).await;
    let (status, html) = get_page(&rep, &app, &format!("/templates/{id}")).await;
    assert_eq!(status, 200);
    assert!(!html.contains("/retire"), "a rep cannot retire: {html}");
});
