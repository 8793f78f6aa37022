//! Running a campaign through the API on both backends: one S member from
//! `targeted` to `ordered` (task, tier, last interaction, progress and
//! stand-up), claims racing for one member, stale collateral, members that
//! follow their customer's owner, blockers, the playbook and the exports.

use chrono::NaiveDate;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, TestUser, add_customer, spawn_app_with_clock};

/// Wednesday 4 November 2026: the campaign started on Tuesday.
const TODAY: &str = "2026-11-04";

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Like `backend_test!`, on an app whose clock stands at noon of [`TODAY`].
macro_rules! exec_test {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some($app) = on_today(Backend::Sqlite).await $body
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some($app) = on_today(Backend::Postgres).await $body
            }
        }
    };
}

async fn on_today(backend: Backend) -> Option<TestApp> {
    spawn_app_with_clock(backend, rally::clock::Clock::fixed_on(d(TODAY))).await
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

/// A customer with `recent` interactions in October (3 make it tier S).
async fn customer_with_history(app: &TestApp, name: &str, region: &str, owner: Option<i64>, recent: usize) -> i64 {
    customer_worked_from(app, name, region, owner, recent, d("2026-10-20")).await
}

/// A customer with `recent` interactions four days apart from `from`.
pub async fn customer_worked_from(
    app: &TestApp,
    name: &str,
    region: &str,
    owner: Option<i64>,
    recent: usize,
    from: NaiveDate,
) -> i64 {
    use rally::domain::customer::{Channel, InteractionKind};
    use rally::store::customers::{NewContact, NewCustomer, NewInteraction, insert_customers, refresh_activity};
    let interactions = (0..recent)
        .map(|i| NewInteraction {
            occurred_on: from + chrono::Duration::days(i as i64 * 4),
            occurred_at: Some("10:00".to_owned()),
            channel: Channel::Phone,
            kind: InteractionKind::Call,
            note: "电话回访".to_owned(),
            amount_fen: None,
            created_by: None,
        })
        .collect();
    let mut tx = app.store.begin().await.unwrap();
    let c = NewCustomer {
        name: name.to_owned(),
        name_key: rally::io::names::normalize_company_name(name),
        region: region.to_owned(),
        industry: "制造业".to_owned(),
        city: "广州".to_owned(),
        annual_purchase_fen: 800_000_000,
        owner_id: owner,
        source: "manual".to_owned(),
        pain_points: vec!["采购成本高".to_owned()],
        contacts: vec![NewContact { name: "王总".to_owned(), phone: "13800138000".to_owned(), ..Default::default() }],
        interactions,
        ..Default::default()
    };
    let ids = insert_customers(&mut tx, vec![c]).await.unwrap();
    refresh_activity(&mut tx, Some(&ids), 3).await.unwrap();
    tx.commit().await.unwrap();
    ids[0]
}

/// The customer's tier as of [`TODAY`] (the customer API reckons tiers by
/// the system clock, this test's clock stands still).
async fn tier_today(app: &TestApp, user: &TestUser, id: i64) -> String {
    let actor: rally::ops::authz::Actor = app.store.user_by_email(&user.email).await.unwrap().unwrap().into();
    rally::ops::customers::get(&app.store, &actor, id, d(TODAY)).await.unwrap().tier
}

struct World {
    lead: TestUser,
    ming: TestUser,
    hua: TestUser,
    marketing: TestUser,
    boss: TestUser,
    campaign: i64,
    s_customer: i64,
    b_customer: i64,
}

/// A lead, two reps of 华南, marketing and management; an active campaign
/// with one S and one B member of 明's.
async fn world(app: &TestApp) -> World {
    let lead = app.named_user("lead@example.com", "周强", "lead", None).await;
    let ming = app.named_user("ming@example.com", "明", "rep", Some("华南")).await;
    let hua = app.named_user("hua@example.com", "华", "rep", Some("华南")).await;
    let marketing = app.named_user("mkt@example.com", "陈静", "marketing", None).await;
    let boss = app.named_user("boss@example.com", "王总", "viewer", None).await;
    let s_customer = customer_with_history(app, "A公司", "华南", Some(ming.id), 3).await;
    let b_customer = customer_with_history(app, "B贸易", "华南", Some(ming.id), 0).await;
    let (status, created) = send(
        app,
        &lead,
        Method::POST,
        "/api/v1/campaigns",
        json!({
            "name": "新品A限时促销", "kind": "new_product", "theme": "新品A首发",
            "selling_points": "新品A首发享8折+3年质保", "segment": "region = \"华南\"",
            "announced_on": "2026-11-02", "starts_on": "2026-11-03", "ends_on": "2026-11-30",
            "goals": {"reached": 3, "intent_customers": 2, "orders": 1, "sales_amount": 100000.0}
        }),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let campaign = created["id"].as_i64().unwrap();
    let (status, generated) =
        send(app, &lead, Method::POST, &format!("/api/v1/campaigns/{campaign}/members/generate"), json!({})).await;
    assert_eq!((status, generated["added"].as_i64()), (200, Some(2)), "{generated}");
    World { lead, ming, hua, marketing, boss, campaign, s_customer, b_customer }
}

async fn activate(app: &TestApp, w: &World) {
    let (status, body) =
        send(app, &w.lead, Method::PATCH, &format!("/api/v1/campaigns/{}", w.campaign), json!({"status": "active"}))
            .await;
    assert_eq!(status, 200, "{body}");
}

exec_test!(an_s_member_goes_from_targeted_to_ordered, |app| {
    let w = world(&app).await;
    activate(&app, &w).await;
    let member = format!("/api/v1/campaigns/{}/members/{}", w.campaign, w.s_customer);
    let m = get(&app, &w.ming, &member).await;
    assert_eq!((m["stage"].as_str(), m["tier"].as_str()), (Some("targeted"), Some("S")), "{m}");
    assert_eq!(m["assignee_email"], "ming@example.com");
    assert_eq!(m["last_follow_up"], Value::Null);
    // The template's S playbook on the working-day calendar: phone within 1, visit within 3.
    let tasks: Vec<(String, String, String)> = m["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["action"].as_str().unwrap().to_owned(),
                t["due_on"].as_str().unwrap().to_owned(),
                t["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        tasks,
        vec![
            ("phone".to_owned(), "2026-11-04".to_owned(), "open".to_owned()),
            ("visit".to_owned(), "2026-11-06".to_owned(), "open".to_owned()),
        ]
    );

    // The rep's day: the S member first, its phone call due today.
    let day = get(&app, &w.ming, "/api/v1/me/day").await;
    assert_eq!(day["items"][0]["customer_id"], w.s_customer, "{day}");
    assert_eq!(day["items"][0]["reasons"][0]["action"], "phone");

    // Bad input names the field and writes nothing.
    let follow_ups = format!("{member}/follow-ups");
    let good = json!({
        "channel": "phone", "contact_id": null, "summary": "电话介绍新品A折扣与质保政策",
        "feedback_kind": "objection", "feedback": "客户对价格有异议，需提供竞品对比方案",
        "next_action_on": "2026-11-05", "next_action": "发送竞品分析报告并预约二次沟通", "stage": "intent"
    });
    let with = |key: &str, value: Value| {
        let mut body = good.clone();
        body[key] = value;
        body
    };
    for (body, field) in [
        (with("occurred_at", json!("2026-11-05T09:00:00+08:00")), "occurred_at"),
        (with("stage", json!("ordered")), "order_amount"),
        (json!({"channel": "phone", "summary": "x", "stage": "ordered", "order_amount": -5.0}), "order_amount"),
        (with("next_action_on", json!("2026-11-03")), "next_action_on"),
        (with("channel", json!("fax")), "channel"),
        (with("stage", json!("lost")), "lost_reason"),
        (with("contact_id", json!(999_999)), "contact_id"),
    ] {
        let (status, error) = send(&app, &w.ming, Method::POST, &follow_ups, body.clone()).await;
        assert_eq!((status, error["error"]["field"].as_str()), (422, Some(field)), "{body}: {error}");
    }
    assert_eq!(get(&app, &w.ming, &follow_ups).await["total"], 0, "nothing written");

    let (status, created) = send(&app, &w.ming, Method::POST, &follow_ups, good.clone()).await;
    assert_eq!(status, 201, "{created}");
    assert!(created["id"].as_i64().is_some());
    assert_eq!(created["stage_after"], "intent");
    let m = get(&app, &w.ming, &member).await;
    assert_eq!(m["stage"], "intent");
    assert_eq!(m["next_action_on"], "2026-11-05");
    assert_eq!(m["next_action"], "发送竞品分析报告并预约二次沟通");
    assert_eq!(m["last_follow_up"]["feedback_kind"], "objection");
    assert_eq!(m["tasks"][0]["status"], "done", "the phone follow-up completed the phone task: {m}");
    assert_eq!(m["tasks"][0]["follow_up_id"], created["id"]);
    assert_eq!(m["tasks"][1]["status"], "open");
    // A rep cannot move the stage back.
    let (status, error) = send(&app, &w.ming, Method::POST, &follow_ups, with("stage", json!("contacted"))).await;
    assert_eq!((status, error["error"]["field"].as_str()), (422, Some("stage")), "{error}");

    // The follow-up is on the customer's timeline; its activity is current.
    let timeline = get(&app, &w.ming, &format!("/api/v1/customers/{}/interactions", w.s_customer)).await;
    let first = &timeline["items"][0];
    assert_eq!((first["occurred_on"].as_str(), first["channel"].as_str()), (Some(TODAY), Some("phone")), "{timeline}");
    assert!(first["note"].as_str().unwrap().contains("客户对价格有异议"));
    let customer = get(&app, &w.ming, &format!("/api/v1/customers/{}", w.s_customer)).await;
    assert_eq!(customer["last_interaction_on"], TODAY);
    assert_eq!(tier_today(&app, &w.ming, w.s_customer).await, "S");

    // The visit ends in an order.
    let (status, ordered) = send(
        &app,
        &w.ming,
        Method::POST,
        &follow_ups,
        json!({
            "channel": "visit", "summary": "上门拜访，签订采购合同", "feedback_kind": "interest",
            "feedback": "价格比预期低5%，需确认交期", "stage": "ordered", "order_amount": 120000.0,
            "occurred_at": "2026-11-04T11:00:00+08:00"
        }),
    )
    .await;
    assert_eq!(status, 201, "{ordered}");
    let m = get(&app, &w.ming, &member).await;
    assert_eq!((m["stage"].as_str(), m["order_amount"].as_f64()), (Some("ordered"), Some(120000.0)));
    assert_eq!(m["tasks"][1]["status"], "done", "the visit completed the visit task");
    let customer = get(&app, &w.ming, &format!("/api/v1/customers/{}", w.s_customer)).await;
    assert_eq!(customer["last_interaction_on"], TODAY);
    let timeline = get(&app, &w.ming, &format!("/api/v1/customers/{}/interactions", w.s_customer)).await;
    assert!(
        timeline["items"].as_array().unwrap().iter().any(|i| i["kind"] == "order" && i["amount"] == 120000.0),
        "{timeline}"
    );

    // Progress: cumulative funnel, achievement, by rep and tier, projection.
    let p = get(&app, &w.lead, &format!("/api/v1/campaigns/{}/progress", w.campaign)).await;
    assert_eq!(p["actual"]["reached"], 1, "{p}");
    assert_eq!(p["actual"]["intent_customers"], 1);
    assert_eq!(p["actual"]["orders"], 1);
    assert_eq!(p["actual"]["sales_amount"], 120000.0);
    assert_eq!(p["goals"]["intent_customers"], 2);
    assert_eq!(p["achievement"]["intent_customers"], 0.5);
    assert_eq!(p["achievement"]["orders"], 1.0);
    assert_eq!(p["achievement"]["sales_amount"], 1.2);
    let ming_row = p["by_rep"].as_array().unwrap().iter().find(|r| r["email"] == "ming@example.com").unwrap();
    assert_eq!(ming_row["actual"]["orders"], 1);
    let s_row = p["by_tier"].as_array().unwrap().iter().find(|r| r["tier"] == "S").unwrap();
    assert_eq!(s_row["actual"]["conversion"], 1.0);
    // Two of November's 20 working days from the 3rd have passed.
    assert_eq!(p["projection"]["elapsed_working_days"], 2, "{p}");
    assert_eq!(p["projection"]["total_working_days"], 20);
    assert_eq!(p["projection"]["orders"], 10);
    assert_eq!(p["projection"]["warning"], false);

    // Stand-up: 明 contacted one member today, one new intent, one order.
    let s = get(&app, &w.lead, &format!("/api/v1/campaigns/{}/standup?date={TODAY}", w.campaign)).await;
    assert_eq!(s["date"], TODAY);
    let row = s["reps"].as_array().unwrap().iter().find(|r| r["email"] == "ming@example.com").unwrap();
    assert_eq!(
        (row["contacted"].as_i64(), row["new_intents"].as_i64(), row["orders"].as_i64(), row["sales_amount"].as_f64()),
        (Some(1), Some(1), Some(1), Some(120000.0)),
        "{s}"
    );
    assert_eq!(row["updated"], true);
    assert_eq!(row["overdue"], 0);
    // The audit trail has the stage changes, with who and when.
    let history: Value = app
        .api(&w.lead, Method::GET, &format!("/api/v1/audit/follow_up/{}", created["id"]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(history["items"][0]["actor_email"], "ming@example.com", "{history}");
});

exec_test!(two_reps_claiming_one_member_get_one_200_and_one_409, |app| {
    let w = world(&app).await;
    activate(&app, &w).await;
    let pool = add_customer(&app, "华南公海客户", "华南", None).await;
    let (_, generated) =
        send(&app, &w.lead, Method::POST, &format!("/api/v1/campaigns/{}/members/generate", w.campaign), json!({}))
            .await;
    assert_eq!(generated["added"], 1);
    let member = format!("/api/v1/campaigns/{}/members/{pool}", w.campaign);
    // Generated for the region's first rep; the lead puts it in the pool.
    let (status, body) =
        send(&app, &w.lead, Method::PUT, &format!("{member}/assignee"), json!({"assignee_email": null})).await;
    assert_eq!((status, body["assignee_email"].clone()), (200, Value::Null), "{body}");
    // Both reps of the region see it; they claim it at once.
    assert_eq!(get(&app, &w.hua, &member).await["assignee_email"], Value::Null);
    let claim = format!("{member}/claim");
    let (a, b) = tokio::join!(
        send(&app, &w.ming, Method::POST, &claim, json!({})),
        send(&app, &w.hua, Method::POST, &claim, json!({}))
    );
    let mut statuses = [a.0, b.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{a:?} {b:?}");
    let (winner, loser) = if a.0 == 200 { (&a.1, &b.1) } else { (&b.1, &a.1) };
    let holder = winner["assignee_email"].as_str().unwrap();
    assert_eq!(loser["error"]["code"], "conflict");
    assert!(loser["error"]["message"].as_str().unwrap().contains(holder), "{loser}");
    // The other rep no longer sees it; the winner does, with its tasks.
    let (other, mine) = if holder == "ming@example.com" { (&w.hua, &w.ming) } else { (&w.ming, &w.hua) };
    let hidden = app.api(other, Method::GET, &member).send().await.unwrap();
    assert_eq!(hidden.status(), 404);
    let m = get(&app, mine, &member).await;
    assert!(m["tasks"].as_array().unwrap().iter().all(|t| t["assignee_email"] == holder), "{m}");
    // The unowned customer came with it.
    assert_eq!(get(&app, mine, &format!("/api/v1/customers/{pool}")).await["owner_email"], holder);
    // Claiming it again still answers 409 naming the holder.
    let (status, again) = send(&app, other, Method::POST, &claim, json!({})).await;
    assert_eq!(status, 409, "{again}");
    assert!(again["error"]["message"].as_str().unwrap().contains(holder), "{again}");
});

exec_test!(delivered_collateral_goes_stale_when_the_selling_points_change, |app| {
    let w = world(&app).await;
    let requests = format!("/api/v1/campaigns/{}/requests", w.campaign);
    let (status, r) = send(
        &app,
        &w.ming,
        Method::POST,
        &requests,
        json!({
            "kind": "collateral", "item": "宣传单页", "quantity": 500, "needed_by": "2026-11-06"
        }),
    )
    .await;
    assert_eq!(status, 201, "{r}");
    let path = format!("/api/v1/requests/{}", r["id"]);
    // Not marketing's rep: a rep may not deliver; support handles other queues.
    let (status, _) = send(&app, &w.ming, Method::PATCH, &path, json!({"status": "delivered"})).await;
    assert_eq!(status, 403);
    let queue = get(&app, &w.marketing, "/api/v1/requests").await;
    assert_eq!(queue["total"], 1);
    // Activating with the item undelivered asks for confirmation.
    let (status, error) =
        send(&app, &w.lead, Method::PATCH, &format!("/api/v1/campaigns/{}", w.campaign), json!({"status": "active"}))
            .await;
    assert_eq!((status, error["error"]["field"].as_str()), (422, Some("confirm_unready")), "{error}");
    assert!(error["error"]["message"].as_str().unwrap().contains("宣传单页"));
    let (status, _) = send(&app, &w.marketing, Method::PATCH, &path, json!({"status": "accepted"})).await;
    assert_eq!(status, 200);
    let (status, delivered) =
        send(&app, &w.marketing, Method::PATCH, &path, json!({"status": "delivered", "delivery_note": "已送达各区"}))
            .await;
    assert_eq!((status, delivered["readiness"].as_str()), (200, Some("ready")), "{delivered}");
    activate(&app, &w).await;

    // The selling points change: the flyer is stale on the request, the checklist and the rep's day.
    let (status, _) = send(
        &app,
        &w.lead,
        Method::PATCH,
        &format!("/api/v1/campaigns/{}", w.campaign),
        json!({"selling_points": "新品A首发享7折+3年质保"}),
    )
    .await;
    assert_eq!(status, 200);
    let after = get(&app, &w.ming, &path).await;
    assert_eq!(after["readiness"], "stale", "{after}");
    assert!(after["delivered_revision"].as_i64() < after["campaign_revision"].as_i64());
    let list = get(&app, &w.lead, &requests).await;
    assert_eq!(list["items"][0]["readiness"], "stale");
    let day = get(&app, &w.ming, "/api/v1/me/day").await;
    assert_eq!(day["stale_collateral"][0]["item"], "宣传单页", "{day}");
    assert_eq!(get(&app, &w.marketing, "/api/v1/requests").await["total"], 1, "back in marketing's queue");
    // Notes do not make it stale; re-delivery brings it up to date.
    send(&app, &w.lead, Method::PATCH, &format!("/api/v1/campaigns/{}", w.campaign), json!({"notes": "备注"})).await;
    let (status, again) = send(&app, &w.marketing, Method::PATCH, &path, json!({"status": "delivered"})).await;
    assert_eq!((status, again["readiness"].as_str()), (200, Some("ready")), "{again}");
    assert!(get(&app, &w.ming, "/api/v1/me/day").await["stale_collateral"].as_array().unwrap().is_empty());
});

exec_test!(members_follow_their_customers_owner, |app| {
    // Issue 9, defect 5: after an admin moves a customer to another rep, the
    // member moves with it (the old rep no longer sees it, the new one does),
    // unless a lead assigned the member explicitly.
    let w = world(&app).await;
    let admin = app.user("admin@example.com", "admin", None).await;
    let fang = app.named_user("fang@example.com", "芳", "rep", Some("华北")).await;
    activate(&app, &w).await;
    let member = format!("/api/v1/campaigns/{}/members/{}", w.campaign, w.b_customer);
    let (status, body) = send(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/v1/customers/{}", w.b_customer),
        json!({"owner_email": "fang@example.com"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let list = get(&app, &w.ming, &format!("/api/v1/campaigns/{}/members?limit=200", w.campaign)).await;
    assert!(
        !list["items"].as_array().unwrap().iter().any(|m| m["customer_id"] == w.b_customer),
        "the old rep still sees the moved customer in the target list: {list}"
    );
    assert_eq!(app.api(&w.ming, Method::GET, &member).send().await.unwrap().status(), 404);
    let moved = get(&app, &fang, &member).await;
    assert_eq!(moved["assignee_email"], "fang@example.com");
    assert!(moved["tasks"].as_array().unwrap().iter().all(|t| t["assignee_email"] == "fang@example.com"), "{moved}");
    let fangs = get(&app, &fang, &format!("/api/v1/campaigns/{}/members", w.campaign)).await;
    assert!(fangs["items"].as_array().unwrap().iter().any(|m| m["customer_id"] == w.b_customer));

    // A lead's explicit assignment is kept when the owner changes again.
    let (status, _) =
        send(&app, &w.lead, Method::PUT, &format!("{member}/assignee"), json!({"assignee_email": "hua@example.com"}))
            .await;
    assert_eq!(status, 200);
    send(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/v1/customers/{}", w.b_customer),
        json!({"owner_email": "ming@example.com"}),
    )
    .await;
    assert_eq!(get(&app, &w.lead, &member).await["assignee_email"], "hua@example.com");

    // Imports that update owners move members too (the bulk path).
    let s_member = format!("/api/v1/campaigns/{}/members/{}", w.campaign, w.s_customer);
    let csv = "客户名称,电话,负责人\nA公司,13800138000,hua@example.com\n";
    let response = app
        .api(&admin, Method::POST, "/api/v1/imports/customers?on_duplicate=update")
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["updated"], 1, "{report}");
    assert_eq!(get(&app, &w.lead, &s_member).await["assignee_email"], "hua@example.com");
    assert_eq!(app.api(&w.ming, Method::GET, &s_member).send().await.unwrap().status(), 404);
});

exec_test!(blockers_are_raised_escalated_and_answered, |app| {
    let w = world(&app).await;
    activate(&app, &w).await;
    let blockers = format!("/api/v1/campaigns/{}/blockers", w.campaign);
    let (status, b) = send(
        &app,
        &w.ming,
        Method::POST,
        &blockers,
        json!({"text": "客户要求延长活动期限", "customer_id": w.s_customer}),
    )
    .await;
    assert_eq!(status, 201, "{b}");
    let m = get(&app, &w.ming, &format!("/api/v1/campaigns/{}/members/{}", w.campaign, w.s_customer)).await;
    assert_eq!(m["open_blockers"], 1);
    let s = get(&app, &w.lead, &format!("/api/v1/campaigns/{}/standup", w.campaign)).await;
    let row = s["reps"].as_array().unwrap().iter().find(|r| r["email"] == "ming@example.com").unwrap();
    assert_eq!(row["open_blockers"], 1, "{s}");
    let path = format!("/api/v1/blockers/{}", b["id"]);
    let (status, _) = send(&app, &w.ming, Method::POST, &format!("{path}/decision"), json!({"decision": "同意"})).await;
    assert_eq!(status, 403, "reps do not decide");
    let (status, error) = send(&app, &w.lead, Method::POST, &format!("{path}/escalation"), json!({})).await;
    assert_eq!((status, error["error"]["field"].as_str()), (422, Some("reply_by")));
    let (status, escalated) =
        send(&app, &w.lead, Method::POST, &format!("{path}/escalation"), json!({"reply_by": "2026-11-06"})).await;
    assert_eq!((status, escalated["status"].as_str()), (200, Some("escalated")), "{escalated}");
    assert_eq!(get(&app, &w.boss, "/api/v1/blockers/escalated").await["total"], 1);
    let (status, answered) =
        send(&app, &w.boss, Method::POST, &format!("{path}/answer"), json!({"answer": "同意延长至下月5日"})).await;
    assert_eq!((status, answered["status"].as_str()), (200, Some("answered")), "{answered}");
    assert_eq!(get(&app, &w.lead, &format!("{blockers}?open=true")).await["total"], 0);
});

exec_test!(a_playbook_change_replans_open_tasks_only, |app| {
    let w = world(&app).await;
    activate(&app, &w).await;
    let follow_ups = format!("/api/v1/campaigns/{}/members/{}/follow-ups", w.campaign, w.s_customer);
    let (status, _) =
        send(&app, &w.ming, Method::POST, &follow_ups, json!({"channel": "phone", "summary": "电话沟通"})).await;
    assert_eq!(status, 201);
    let playbook = format!("/api/v1/campaigns/{}/playbook", w.campaign);
    let mut p = get(&app, &w.ming, &playbook).await;
    assert_eq!(p["default"], true);
    p["steps"][1]["within_days"] = json!(5);
    let (status, _) = send(&app, &w.ming, Method::PUT, &playbook, json!({"steps": p["steps"]})).await;
    assert_eq!(status, 403);
    let (status, saved) = send(&app, &w.lead, Method::PUT, &playbook, json!({"steps": p["steps"]})).await;
    assert_eq!(status, 200, "{saved}");
    let m = get(&app, &w.ming, &format!("/api/v1/campaigns/{}/members/{}", w.campaign, w.s_customer)).await;
    let tasks = m["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 2, "{m}");
    let done = tasks.iter().find(|t| t["action"] == "phone").unwrap();
    assert_eq!((done["status"].as_str(), done["due_on"].as_str()), (Some("done"), Some("2026-11-04")));
    let visit = tasks.iter().find(|t| t["action"] == "visit").unwrap();
    assert_eq!((visit["status"].as_str(), visit["due_on"].as_str()), (Some("open"), Some("2026-11-10")));
    let (status, error) = send(
        &app,
        &w.lead,
        Method::PUT,
        &playbook,
        json!({"steps": [
            {"tier": "S", "action": "phone", "within_days": 1, "what": " "}
        ]}),
    )
    .await;
    assert_eq!((status, error["error"]["field"].as_str()), (422, Some("steps")), "{error}");
});

exec_test!(follow_ups_and_the_target_list_export_as_spreadsheets, |app| {
    let w = world(&app).await;
    activate(&app, &w).await;
    let follow_ups = format!("/api/v1/campaigns/{}/members/{}/follow-ups", w.campaign, w.s_customer);
    let (status, _) = send(
        &app,
        &w.ming,
        Method::POST,
        &follow_ups,
        json!({
            "channel": "visit", "summary": "介绍新品A折扣与质保政策", "feedback_kind": "objection",
            "feedback": "价格比预期低5%，需确认交期", "next_action_on": "2026-11-05", "next_action_at": "10:00",
            "next_action": "发送交期表并预约签约", "stage": "intent", "occurred_at": "2026-11-04T10:00:00+08:00"
        }),
    )
    .await;
    assert_eq!(status, 201);
    let response = app
        .api(
            &w.lead,
            Method::GET,
            &format!(
                "/api/v1/campaigns/{}/follow-ups/export?rep=ming@example.com&from=2026-11-01&to=2026-11-30",
                w.campaign
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap();
    let table = rally::io::read_table(&bytes, rally::io::FileFormat::Xlsx).unwrap();
    assert_eq!(
        table.headers[..8],
        ["客户名称/联系人", "所属行业", "客户痛点", "跟进时间", "跟进方式", "沟通内容摘要", "客户反馈", "下一步行动"]
    );
    let row: Vec<String> = table.rows[0].cells.iter().map(|c| format!("{c:?}")).collect();
    let text = row.join("|");
    assert!(text.contains("A公司") && text.contains("上门拜访") && text.contains("异议：价格比预期低5%"), "{text}");
    assert!(text.contains("2026-11-05 10:00 发送交期表并预约签约") && text.contains("采购成本高"), "{text}");
    let response = app
        .api(&w.ming, Method::GET, &format!("/api/v1/campaigns/{}/members/export?format=csv", w.campaign))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let csv = String::from_utf8(response.bytes().await.unwrap().to_vec()).unwrap();
    assert!(csv.lines().next().unwrap().contains("阶段"));
    assert!(csv.contains("A公司") && csv.contains("意向"), "{csv}");
    let response = app
        .api(&w.ming, Method::GET, &format!("/api/v1/campaigns/{}/members/export?format=xlsx", w.campaign))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
});

crate::backend_test!(the_demo_campaign_is_under_way, |app| {
    rally::ops::demo::load(&app.store, rally::clock::today()).await.unwrap();
    let lead = TestUser {
        id: 0,
        email: "lead@rally.example".to_owned(),
        role: "lead".to_owned(),
        token: rally::ops::users::create_token(&app.store, "lead@rally.example", "test").await.unwrap(),
    };
    let campaigns = get(&app, &lead, "/api/v1/campaigns").await;
    let running = campaigns["items"].as_array().unwrap().iter().find(|c| c["status"] == "active").unwrap();
    let id = running["id"].as_i64().unwrap();
    let p = get(&app, &lead, &format!("/api/v1/campaigns/{id}/progress")).await;
    assert!(p["actual"]["reached"].as_i64().unwrap() > 20, "real progress: {p}");
    assert!(p["actual"]["orders"].as_i64().unwrap() > 0, "{p}");
    let s = get(&app, &lead, &format!("/api/v1/campaigns/{id}/standup")).await;
    let reps = s["reps"].as_array().unwrap();
    assert!(
        reps.iter().any(|r| r["missed_previous_day"] == true || r["missing_update"] == true),
        "a missing update: {s}"
    );
    assert!(reps.iter().any(|r| r["overdue"].as_i64().unwrap() > 0), "overdue work: {s}");
    assert!(reps.iter().map(|r| r["open_blockers"].as_i64().unwrap()).sum::<i64>() > 0, "an open blocker: {s}");
    let ming = get(&app, &lead, "/api/v1/me/day?rep=ming@rally.example").await;
    let overdue_action =
        ming["items"].as_array().unwrap().iter().any(|i| {
            i["reasons"].as_array().unwrap().iter().any(|r| r["kind"] == "next_action" && r["overdue"] == true)
        });
    assert!(overdue_action, "an overdue next action: {ming}");
    assert_eq!(ming["stale_collateral"][0]["item"], "宣传单页", "a stale collateral item");
    assert!(get(&app, &lead, "/api/v1/scripts").await["total"].as_i64().unwrap() >= 3);
});

exec_test!(a_long_day_shows_its_first_rows_in_order_and_counts_the_rest, |app| {
    let w = world(&app).await;
    for i in 0..205 {
        customer_with_history(&app, &format!("华南门店{i:03}"), "华南", Some(w.ming.id), 0).await;
    }
    let (status, generated) =
        send(&app, &w.lead, Method::POST, &format!("/api/v1/campaigns/{}/members/generate", w.campaign), json!({}))
            .await;
    assert_eq!((status, generated["added"].as_i64()), (200, Some(205)), "{generated}");
    activate(&app, &w).await;
    // 207 members, all newly assigned: the day shows the first 200 in outreach order.
    let day = get(&app, &w.ming, "/api/v1/me/day").await;
    let items = day["items"].as_array().unwrap();
    assert_eq!(items.len(), rally::ops::execution::reports::DAY_ROWS, "{}", items.len());
    assert_eq!(day["more_items"], 7);
    assert_eq!(items[0]["customer_id"], w.s_customer, "the S member still comes first");
    let browser = app.browser_session("ming@example.com").await;
    let (status, page) = crate::helpers::get_page(&browser, &app, "/day").await;
    assert_eq!(status, 200);
    assert!(page.contains("data-day-more=\"7\"") && page.contains("还有 7 位客户待跟进"), "the rest is counted");
});

exec_test!(sixty_four_concurrent_follow_ups_each_get_their_own_answer, |app| {
    let w = world(&app).await;
    let mut customers = Vec::new();
    for i in 0..16 {
        customers.push(customer_with_history(&app, &format!("并发客户{i:02}"), "华南", Some(w.ming.id), 3).await);
    }
    let (_, generated) =
        send(&app, &w.lead, Method::POST, &format!("/api/v1/campaigns/{}/members/generate", w.campaign), json!({}))
            .await;
    assert_eq!(generated["added"], 16, "{generated}");
    activate(&app, &w).await;
    let path = |c: i64| format!("/api/v1/campaigns/{}/members/{c}/follow-ups", w.campaign);

    // 64 saves at once: four reps' orders racing on each of 8 members (one
    // wins, the others find it ordered: 422 on the amount), two phone calls
    // on each of 8 others (both saved), 8 next actions dated before the
    // call (422) and 8 saves by a rep who cannot see the member (404).
    let mut requests = Vec::new();
    for (i, &c) in customers[..8].iter().enumerate() {
        for k in 0..4 {
            let amount = 10_000.0 * (i as f64 + 1.0) + k as f64;
            let body = json!({"channel": "visit", "summary": "上门签约", "stage": "ordered", "order_amount": amount});
            requests.push(("order", c, &w.ming, body));
        }
    }
    for &c in &customers[8..] {
        for _ in 0..2 {
            requests.push(("call", c, &w.ming, json!({"channel": "phone", "summary": "电话介绍新品A"})));
        }
        let early =
            json!({"channel": "phone", "summary": "电话", "next_action_on": "2026-11-03", "next_action": "回访"});
        requests.push(("early", c, &w.ming, early));
        requests.push(("hidden", c, &w.hua, json!({"channel": "phone", "summary": "不是我的客户"})));
    }
    assert_eq!(requests.len(), 64);
    let mut racing = tokio::task::JoinSet::new();
    for (kind, c, user, body) in &requests {
        let request = app.api(user, Method::POST, &path(*c)).json(body);
        let (kind, c) = (*kind, *c);
        racing.spawn(async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (kind, c, (status, response.json::<Value>().await.unwrap_or(Value::Null)))
        });
    }
    let answers = racing.join_all().await;

    let mut saved: std::collections::HashMap<i64, Vec<Value>> = std::collections::HashMap::new();
    for (kind, c, (status, body)) in &answers {
        match *kind {
            "order" => match status {
                201 => saved.entry(*c).or_default().push(body.clone()),
                422 => assert_eq!(body["error"]["field"], "order_amount", "{body}"),
                _ => panic!("order on {c}: {status} {body}"),
            },
            "call" => {
                assert_eq!(*status, 201, "{body}");
                saved.entry(*c).or_default().push(body.clone());
            }
            "early" => assert_eq!((*status, body["error"]["field"].as_str()), (422, Some("next_action_on")), "{body}"),
            "hidden" => assert_eq!(*status, 404, "{body}"),
            _ => unreachable!(),
        }
    }

    let today = Value::from(TODAY);
    for (i, &c) in customers.iter().enumerate() {
        let mine = saved.get(&c).cloned().unwrap_or_default();
        let m = get(&app, &w.ming, &format!("/api/v1/campaigns/{}/members/{c}", w.campaign)).await;
        let statuses: Vec<&str> =
            m["tasks"].as_array().unwrap().iter().map(|t| t["status"].as_str().unwrap()).collect();
        if i < 8 {
            assert_eq!(mine.len(), 1, "exactly one order wins on {c}: {mine:?}");
            assert_eq!((m["stage"].as_str(), &m["order_amount"]), (Some("ordered"), &mine[0]["order_amount"]), "{m}");
            // The visit completed the visit task; the order cancelled the phone call.
            assert_eq!(statuses, ["cancelled", "done"], "{m}");
        } else {
            assert_eq!(mine.len(), 2, "both calls on {c} are saved");
            assert_eq!(m["stage"], "contacted", "{m}");
            // The first call completed the phone task; the visit is still open.
            assert_eq!(statuses, ["done", "open"], "{m}");
        }
        // Exactly the saved follow-ups, each also on the customer's timeline.
        let listed = get(&app, &w.ming, &path(c)).await;
        let mut listed_ids: Vec<i64> =
            listed["items"].as_array().unwrap().iter().map(|f| f["id"].as_i64().unwrap()).collect();
        let mut saved_ids: Vec<i64> = mine.iter().map(|f| f["id"].as_i64().unwrap()).collect();
        listed_ids.sort_unstable();
        saved_ids.sort_unstable();
        assert_eq!(listed_ids, saved_ids, "{listed}");
        let timeline = get(&app, &w.ming, &format!("/api/v1/customers/{c}/interactions")).await;
        assert_eq!(timeline["total"], 3 + mine.len() as i64, "{timeline}");
        let customer = get(&app, &w.ming, &format!("/api/v1/customers/{c}")).await;
        assert_eq!(customer["last_interaction_on"], today, "{customer}");
        if i < 8 {
            let orders: Vec<&Value> =
                timeline["items"].as_array().unwrap().iter().filter(|t| t["kind"] == "order").collect();
            assert_eq!(orders.len(), 1, "{timeline}");
            assert_eq!(orders[0]["amount"], mine[0]["order_amount"], "{timeline}");
        }
        // One audit record per saved follow-up, one stage change per member.
        for f in &mine {
            let history = app.store.audit_of("follow_up", f["id"].as_i64().unwrap()).await.unwrap();
            assert_eq!(history.len(), 1, "{history:?}");
            assert_eq!((history[0].action.as_str(), history[0].actor_email.as_str()), ("create", "ming@example.com"));
        }
        let member = {
            let mut conn = app.store.acquire().await.unwrap();
            rally::store::execution::member(conn.conn(), w.campaign, c).await.unwrap().unwrap()
        };
        let changes = app.store.audit_of("campaign_member", member.id).await.unwrap();
        let stage_changes: Vec<&Value> =
            changes.iter().filter_map(|r| r.after.as_ref()).filter(|a| a["follow_up_id"].is_i64()).collect();
        assert_eq!(stage_changes.len(), 1, "{changes:?}");
        assert_eq!(stage_changes[0]["stage"], if i < 8 { "ordered" } else { "contacted" });
    }

    // Progress counts exactly the saved ones.
    let p = get(&app, &w.lead, &format!("/api/v1/campaigns/{}/progress", w.campaign)).await;
    assert_eq!((p["actual"]["reached"].as_i64(), p["actual"]["orders"].as_i64()), (Some(16), Some(8)), "{p}");
    let sales: f64 = saved.values().flatten().filter_map(|f| f["order_amount"].as_f64()).sum();
    assert_eq!(p["actual"]["sales_amount"].as_f64(), Some(sales), "{p}");
});
