//! Campaign pages through HTTP as a browser sends them: forms with CSRF,
//! the breakdown table's repeated fields, what each role may see.

use crate::backend_test;
use crate::helpers::{TestApp, add_customer, hidden_csrf};

async fn page(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let response = client.get(app.url(path)).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn post(client: &reqwest::Client, app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, String, String) {
    let response = client.post(app.url(path)).form(form).send().await.unwrap();
    let status = response.status().as_u16();
    let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, location, response.text().await.unwrap())
}

backend_test!(a_lead_plans_a_campaign_in_the_browser, |app| {
    app.user("lead@example.com", "lead", None).await;
    let ming = app.user("ming@example.com", "rep", Some("华南")).await;
    let fang = app.user("fang@example.com", "rep", Some("华北")).await;
    for i in 0..6 {
        add_customer(&app, &format!("华南制造{i}"), "华南", Some(ming.id)).await;
        add_customer(&app, &format!("华北制造{i}"), "华北", Some(fang.id)).await;
    }
    let lead = app.browser_session("lead@example.com").await;
    let (status, form) = page(&lead, &app, "/campaigns/new").await;
    assert_eq!(status, 200);
    let csrf = hidden_csrf(&form);
    let fields = [
        ("csrf", csrf.as_str()),
        ("name", "新品A限时促销"),
        ("kind", "new_product"),
        ("segment", "industry = \"制造业\""),
        ("announced_on", "2025-09-25"),
        ("starts_on", "2025-09-29"),
        ("ends_on", "2025-10-31"),
        ("goal_intent", "10"),
        ("goal_orders", "5"),
        ("goal_sales", "47万"),
        ("goal_roi", "3"),
        ("lead_email", "lead@example.com"),
        ("collateral_needs", "宣传单页500份"),
    ];
    let (status, location, _) = post(&lead, &app, "/campaigns", &fields).await;
    assert_eq!(status, 303, "created");
    let id: i64 = location.split('/').nth(2).unwrap().parse().unwrap();

    // A bad date comes back with the form and a message naming it.
    let mut bad = fields.to_vec();
    bad[6] = ("ends_on", "2025-09-01");
    let (status, _, html) = post(&lead, &app, "/campaigns", &bad).await;
    assert_eq!(status, 422);
    assert!(html.contains("ends_on") && html.contains("新品A限时促销"), "the form keeps what was typed");

    let (status, plan) = page(&lead, &app, &format!("/campaigns/{id}")).await;
    assert_eq!(status, 200);
    for due in ["2025-09-28", "2025-09-29", "2025-10-10", "2025-11-05"] {
        assert!(plan.contains(due), "deadline {due} on the plan");
    }
    assert!(plan.contains("宣传单页500份") && plan.contains("47万"));

    let (status, location, _) =
        post(&lead, &app, &format!("/campaigns/{id}/members/generate"), &[("csrf", csrf.as_str())]).await;
    assert_eq!((status, location.as_str()), (303, format!("/campaigns/{id}/members?added=12&total=12").as_str()));
    let (_, members) = page(&lead, &app, &location).await;
    assert!(members.contains("新增 12 家，共 12 家"), "{members}");
    assert!(members.contains("华南制造0") && members.contains("华北制造0"));

    // The breakdown: a proposal summing to 10, then the team's own rows.
    let (_, breakdown) = page(&lead, &app, &format!("/campaigns/{id}/breakdown")).await;
    assert!(
        breakdown.contains("data-total-of=\"breakdown.target\" data-total=\"10\""),
        "the proposal sums to the goal"
    );
    assert!(!breakdown.contains("data-mismatch"), "targets, orders and sales of the proposal add up to the goals");
    let rows = |a: &'static str, b: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("assignee_email", "ming@example.com".to_owned()),
            ("region", "华南".to_owned()),
            ("target_customers", a.to_owned()),
            ("expected_conversion", "50%".to_owned()),
            ("sales_target", "12万".to_owned()),
            ("key_customers", "A公司(制造业)".to_owned()),
            ("resource_needs", "需延长活动期限至下月5日".to_owned()),
            ("assignee_email", "fang@example.com".to_owned()),
            ("region", "华北".to_owned()),
            ("target_customers", b.to_owned()),
            ("expected_conversion", "40".to_owned()),
            ("sales_target", "350000".to_owned()),
            ("key_customers", "C工程(建筑)".to_owned()),
            ("resource_needs", "需技术支持演示".to_owned()),
        ]
    };
    let form: Vec<(&str, String)> = rows("4", "5");
    let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, html) = post(&lead, &app, &format!("/campaigns/{id}/breakdown"), &refs).await;
    assert_eq!(status, 422);
    assert!(html.contains("target_customers") && html.contains("需技术支持演示"), "error shown, input kept");
    let form = rows("4", "6");
    let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, _) = post(&lead, &app, &format!("/campaigns/{id}/breakdown"), &refs).await;
    assert_eq!(status, 303);
    let saved = app.store.breakdown(id).await.unwrap();
    assert_eq!(saved.iter().map(|r| r.target_customers).collect::<Vec<_>>(), vec![4, 6]);
    assert_eq!(saved[0].sales_target_fen, 12_000_000);
    assert!((saved[1].expected_conversion - 0.4).abs() < 1e-9);

    // Editing with a stale version shows what the plan says now.
    let (_, edit) = page(&lead, &app, &format!("/campaigns/{id}/edit")).await;
    assert!(edit.contains("name=\"version\" value=\"1\""));
    let mut renamed = fields.to_vec();
    renamed[1] = ("name", "新品A限时促销（加急）");
    renamed.push(("version", "1"));
    let (status, _, _) = post(&lead, &app, &format!("/campaigns/{id}"), &renamed).await;
    assert_eq!(status, 303);
    let (status, _, html) = post(&lead, &app, &format!("/campaigns/{id}"), &renamed).await;
    assert_eq!(status, 409);
    assert!(html.contains("新品A限时促销（加急）"), "the current values are shown");

    // A rep sees their own part of the list, and may not plan.
    let rep = app.browser_session("ming@example.com").await;
    let (_, mine) = page(&rep, &app, &format!("/campaigns/{id}/members")).await;
    assert!(mine.contains("华南制造0") && !mine.contains("华北制造0"));
    let (status, _) = page(&rep, &app, &format!("/campaigns/{id}/edit")).await;
    assert_eq!(status, 403);
    let rep_csrf = hidden_csrf(&page(&rep, &app, "/settings").await.1);
    let (status, _, _) =
        post(&rep, &app, &format!("/campaigns/{id}/members/generate"), &[("csrf", rep_csrf.as_str())]).await;
    assert_eq!(status, 403);
    // Their breakdown row only, with nothing to edit and no team totals.
    let (_, theirs) = page(&rep, &app, &format!("/campaigns/{id}/breakdown")).await;
    assert_eq!(theirs.matches("data-row=").count(), 1, "one row: theirs");
    assert!(theirs.contains("需延长活动期限至下月5日") && !theirs.contains("需技术支持演示"));
    assert!(!theirs.contains("<input name=\"target_customers\"") && !theirs.contains("data-save"));
    assert!(!theirs.contains("data-total-of"), "no team totals for a rep");

    // The lead adds a row and removes one without saving; the page keeps what was typed.
    let mut form = rows("4", "6");
    form.push(("add", "1".to_owned()));
    let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, html) = post(&lead, &app, &format!("/campaigns/{id}/breakdown"), &refs).await;
    assert_eq!(status, 200);
    assert_eq!(html.matches("data-row=").count(), 3, "a blank third row");
    let mut form = rows("4", "6");
    form.push(("drop", "0".to_owned()));
    let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (_, _, html) = post(&lead, &app, &format!("/campaigns/{id}/breakdown"), &refs).await;
    assert_eq!(html.matches("data-row=").count(), 1);
    assert!(html.contains("需技术支持演示") && !html.contains("需延长活动期限至下月5日"), "the first row is gone");
    assert_eq!(app.store.breakdown(id).await.unwrap().len(), 2, "nothing saved yet");
});

backend_test!(campaign_pages_render_for_every_role, |app| {
    let lead = app.user("lead@example.com", "lead", None).await;
    let response = app
        .api(&lead, reqwest::Method::POST, "/api/v1/campaigns")
        .json(&serde_json::json!({"name": "<script>x</script>展会", "kind": "trade_show", "segment": "tier = \"S\"",
            "announced_on": "2026-11-02", "starts_on": "2026-11-05", "ends_on": "2026-11-08"}))
        .send()
        .await
        .unwrap();
    let id = response.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap();
    for role in ["admin", "lead", "rep", "marketing", "service", "support", "viewer"] {
        let email = format!("{role}-p@example.com");
        app.user(&email, role, (role == "rep").then_some("华南")).await;
        let browser = app.browser_session(&email).await;
        for path in [
            "/campaigns".to_owned(),
            format!("/campaigns/{id}"),
            format!("/campaigns/{id}/breakdown"),
            format!("/campaigns/{id}/members"),
            "/".to_owned(),
        ] {
            let (status, html) = page(&browser, &app, &path).await;
            assert_eq!(status, 200, "{role} {path}");
            assert!(!html.contains("<script>x</script>"), "{role} {path} escapes names");
            if path != "/" {
                assert!(
                    html.contains("&#60;script&#62;x&#60;/script&#62;展会"),
                    "{role} {path} shows the name as text"
                );
            }
        }
        let (status, html) = page(&browser, &app, "/settings/phases").await;
        assert_eq!(status, 200, "{role}");
        assert_eq!(
            html.contains("name=\"review_after_end\" value=\"3\" required>"),
            matches!(role, "admin" | "lead"),
            "{role}"
        );
        let (status, _) = page(&browser, &app, "/campaigns/new").await;
        assert_eq!(status, if matches!(role, "admin" | "lead" | "marketing") { 200 } else { 403 }, "{role}");
    }
    let (status, _) = page(&app.browser_session("lead@example.com").await, &app, "/campaigns/999999").await;
    assert_eq!(status, 404);
});

/// The partner-list form (multipart, CSRF token in the action URL).
fn partner_form(partner: &str, partial: bool, csv: &str) -> (String, Vec<u8>) {
    let boundary = "rally-partner-boundary-93fQ";
    let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"partner\"\r\n\r\n{partner}\r\n");
    if partial {
        body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"partial\"\r\n\r\ntrue\r\n"));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"list.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    ));
    (format!("multipart/form-data; boundary={boundary}"), body.into_bytes())
}

backend_test!(a_partners_list_is_uploaded_from_the_target_list_page, |app| {
    let lead = app.user("lead@example.com", "lead", None).await;
    app.user("ming@example.com", "rep", Some("华南")).await;
    let created: serde_json::Value = app
        .api(&lead, reqwest::Method::POST, "/api/v1/campaigns")
        .json(&serde_json::json!({"name": "渠道活动", "kind": "other", "announced_on": "2026-11-02", "starts_on": "2026-11-03", "ends_on": "2026-11-30"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_i64().unwrap();
    let browser = app.browser_session("lead@example.com").await;
    let (_, members) = page(&browser, &app, &format!("/campaigns/{id}/members")).await;
    assert!(members.contains("导入渠道商名单"));
    let csrf = hidden_csrf(&members);
    let url = app.url(&format!("/campaigns/{id}/members/import"));

    let (ct, body) = partner_form("华贸渠道", false, "客户名称,区域,年采购额\n甲公司,华南,100万\n乙公司,华南,abc\n");
    let rejected =
        browser.post(&url).header("x-csrf-token", &csrf).header("content-type", ct).body(body).send().await.unwrap();
    assert_eq!(rejected.status(), 422);
    let html = rejected.text().await.unwrap();
    assert!(html.contains("第 3 行"), "the bad row is listed");
    assert_eq!(app.store.count_customers().await.unwrap(), 0);

    let (ct, body) = partner_form("华贸渠道", true, "客户名称,区域,年采购额\n甲公司,华南,100万\n乙公司,华南,abc\n");
    let accepted =
        browser.post(&url).header("x-csrf-token", &csrf).header("content-type", ct).body(body).send().await.unwrap();
    assert_eq!(accepted.status(), 303);
    let location = accepted.headers()["location"].to_str().unwrap().to_owned();
    let (_, after) = page(&browser, &app, &location).await;
    assert!(after.contains("渠道商名单：新增 1 家，共 1 家。"), "{after}");
    assert!(after.contains("甲公司") && after.contains("华贸渠道"));
});

backend_test!(an_admin_imports_a_new_calendar_year_in_the_ui, |app| {
    app.user("admin@example.com", "admin", None).await;
    app.user("lead@example.com", "lead", None).await;
    let admin = app.browser_session("admin@example.com").await;
    let (status, html) = page(&admin, &app, "/settings/calendar").await;
    assert_eq!(status, 200);
    assert!(html.contains("国务院办公厅关于2026年部分节假日安排的通知") && html.contains("尚未公布"));
    let csrf = hidden_csrf(&page(&admin, &app, "/settings").await.1);
    let upload = |json: &str| {
        let boundary = "rally-calendar-boundary";
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"2027.json\"\r\nContent-Type: application/json\r\n\r\n{json}\r\n--{boundary}--\r\n"
        );
        admin
            .post(app.url("/settings/calendar"))
            .header("x-csrf-token", &csrf)
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body)
            .send()
    };
    let bad = upload("{\"years\": {\"2027\": {\"status\": \"official\"}}}").await.unwrap();
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("years.2027"), "the message says where");
    let good = upload(
        "{\"years\": {\"2027\": {\"status\": \"official\", \"source\": {\"title\": \"国务院办公厅关于2027年部分节假日安排的通知\"},
          \"blocks\": [{\"name\": \"元旦\", \"off_from\": \"2027-01-01\", \"off_to\": \"2027-01-03\", \"adjusted_workdays\": []}]}}}",
    )
    .await
    .unwrap();
    assert_eq!(good.status(), 200);
    assert!(good.text().await.unwrap().contains("已导入：2027 年"));
    let lead = app.browser_session("lead@example.com").await;
    let (_, html) = page(&lead, &app, "/settings/calendar").await;
    assert!(
        html.contains("国务院办公厅关于2027年部分节假日安排的通知")
            && !html.contains("enctype=\"multipart/form-data\"")
    );
});

/// Runs one statement on the test database directly (to break what the app
/// relies on, as a damaged row would).
async fn execute_sql(app: &TestApp, statements: &[&str]) {
    use sqlx::Connection;
    if app.database_url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(&app.database_url).await.unwrap();
        for sql in statements {
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
    } else {
        let mut conn = sqlx::SqliteConnection::connect(&app.database_url).await.unwrap();
        for sql in statements {
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
    }
}

backend_test!(a_team_directory_that_cannot_be_read_never_clears_the_owners, |app| {
    app.user("lead@example.com", "lead", None).await;
    app.user("mkt@example.com", "marketing", None).await;
    app.user("svc@example.com", "service", None).await;
    app.user("old@example.com", "viewer", None).await;
    let lead = app.browser_session("lead@example.com").await;
    let (_, form) = page(&lead, &app, "/campaigns/new").await;
    let csrf = hidden_csrf(&form);
    let (status, location, _) = post(
        &lead,
        &app,
        "/campaigns",
        &[
            ("csrf", csrf.as_str()),
            ("name", "答谢会"),
            ("kind", "appreciation"),
            ("announced_on", "2026-11-02"),
            ("starts_on", "2026-11-03"),
            ("ends_on", "2026-11-30"),
            ("lead_email", "lead@example.com"),
            ("marketing_email", "mkt@example.com"),
            ("service_email", "svc@example.com"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let id: i64 = location.split('/').nth(2).unwrap().parse().unwrap();
    let (_, edit) = page(&lead, &app, &format!("/campaigns/{id}/edit")).await;
    assert!(edit.contains("<option value=\"mkt@example.com\" selected"), "the owners are preselected");

    // One member's row no longer reads (an unknown role): the directory fails.
    let unchecked = if app.database_url.starts_with("postgres") {
        "ALTER TABLE users DROP CONSTRAINT users_role_check"
    } else {
        "PRAGMA ignore_check_constraints = ON"
    };
    execute_sql(&app, &[unchecked, "UPDATE users SET role = 'auditor' WHERE email = 'old@example.com'"]).await;
    let (status, html) = page(&lead, &app, &format!("/campaigns/{id}/edit")).await;
    assert_eq!(status, 500, "the form is not offered with empty owner choices");
    assert!(!html.contains("name=\"lead_email\""), "no owner select is rendered");
    let (status, _) = page(&lead, &app, &format!("/campaigns/{id}")).await;
    assert_eq!(status, 500, "the plan does not show blank owners either");

    let campaign = app.store.campaign(id).await.unwrap().unwrap();
    assert!(campaign.lead_id.is_some() && campaign.marketing_id.is_some() && campaign.service_id.is_some());
});

backend_test!(a_draft_says_what_is_missing_and_activates_with_its_button, |app| {
    app.user("lead@example.com", "lead", None).await;
    let lead = app.browser_session("lead@example.com").await;
    let today = app.store.today();
    let (_, form) = page(&lead, &app, "/campaigns/new").await;
    let csrf = hidden_csrf(&form);
    let fields = [
        ("csrf", csrf.as_str()),
        ("name", "答谢会"),
        ("kind", "appreciation"),
        ("announced_on", &today.to_string()),
        ("starts_on", &(today + chrono::Days::new(20)).to_string()),
        ("ends_on", &(today + chrono::Days::new(40)).to_string()),
    ];
    let (status, location, _) = post(&lead, &app, "/campaigns", &fields).await;
    assert_eq!(status, 303);
    let id: i64 = location.split('/').nth(2).unwrap().parse().unwrap();
    let (_, plan) = page(&lead, &app, &format!("/campaigns/{id}")).await;
    assert_eq!(plan.matches("data-missing").count(), 5, "segment, list, goals, lead, breakdown are missing");
    assert!(plan.contains("目标客群（筛选条件）") && plan.contains("销售任务分解"));
    assert!(plan.contains("未设定"), "unset goals say so instead of 0 · ¥0 · ROI 1:0");
    assert!(!plan.contains("ROI 1:0") && !plan.contains("1:0<"));
    assert!(plan.contains("未到期"), "phases not yet due say so, not 进行中");
    assert!(plan.contains("data-activate"), "an explicit activate button");

    // A milestone done in the future comes back on the plan, beside its dates.
    let tomorrow = (today + chrono::Days::new(1)).to_string();
    let (status, _, html) = post(
        &lead,
        &app,
        &format!("/campaigns/{id}/milestones/kickoff_held"),
        &[("csrf", csrf.as_str()), ("done_on", tomorrow.as_str())],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("完成日期不能晚于今天") && html.contains("data-missing"), "the plan, with the message");
    let (status, _, _) = post(
        &lead,
        &app,
        &format!("/campaigns/{id}/milestones/kickoff_held"),
        &[("csrf", csrf.as_str()), ("done_on", today.to_string().as_str())],
    )
    .await;
    assert_eq!(status, 303);
    let (_, plan) = page(&lead, &app, &format!("/campaigns/{id}")).await;
    assert!(plan.contains(&format!("已完成 {today}")), "a done milestone shows its date");

    let version = app.store.campaign(id).await.unwrap().unwrap().version.to_string();
    let (status, location, _) = post(
        &lead,
        &app,
        &format!("/campaigns/{id}/activate"),
        &[("csrf", csrf.as_str()), ("version", version.as_str())],
    )
    .await;
    assert_eq!(status, 303, "activated");
    assert!(location.ends_with("ok=campaign.activated"));
    let campaign = app.store.campaign(id).await.unwrap().unwrap();
    assert_eq!(campaign.status, rally::domain::campaign::CampaignStatus::Active);
    let (_, plan) = page(&lead, &app, &format!("/campaigns/{id}")).await;
    assert!(!plan.contains("data-activate") && !plan.contains("data-missing"));
});

backend_test!(segments_read_in_chinese_on_the_plan, |app| {
    let lead = app.user("lead@example.com", "lead", None).await;
    let response = app
        .api(&lead, reqwest::Method::POST, "/api/v1/campaigns")
        .json(&serde_json::json!({"name": "新品A", "kind": "new_product",
            "segment": "区域 = \"华东\" 且 行业 = \"制造业\" 且 年采购额 > 500万",
            "announced_on": "2026-11-02", "starts_on": "2026-11-05", "ends_on": "2026-11-30"}))
        .send()
        .await
        .unwrap();
    let created: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        created["segment"], "region = \"华东\" and industry = \"制造业\" and annual_purchase > 500万",
        "{created}"
    );
    let id = created["id"].as_i64().unwrap();
    let browser = app.browser_session("lead@example.com").await;
    let (_, plan) = page(&browser, &app, &format!("/campaigns/{id}")).await;
    assert!(plan.contains("区域 = &#34;华东&#34; 且 行业 = &#34;制造业&#34; 且 年采购额 &#62; 500万"), "{plan}");
});

backend_test!(the_campaign_form_counts_and_builds_the_segment_in_the_readers_language, |app| {
    app.user("lead@example.com", "lead", None).await;
    add_customer(&app, "华东精密", "华东", None).await;
    add_customer(&app, "华南贸易", "华南", None).await;
    let lead = app.browser_session("lead@example.com").await;
    let (_, form) = page(&lead, &app, "/campaigns/new").await;
    assert!(form.contains("id=\"segment-builder-box\"") && form.contains("name=\"ctx\" value=\"campaign\""));
    // The live count the segment field asks for, in Chinese field names.
    let (status, count) =
        page(&lead, &app, "/customers/segment-preview?segment=%E5%8C%BA%E5%9F%9F%20%3D%20%22%E5%8D%8E%E4%B8%9C%22")
            .await;
    assert_eq!(status, 200);
    assert!(count.contains("data-count=\"1\""), "{count}");
    // The builder, in the campaign's context, offers to fill the field.
    let (_, built) =
        page(&lead, &app, "/customers/segment-preview?b=1&ctx=campaign&f0=region&o0=eq&v0=%E5%8D%8E%E5%8D%97").await;
    assert!(built.contains("data-use-segment=\"区域 = &#34;华南&#34;\""), "{built}");
    assert!(!built.contains("data-apply"), "no link away to the customer list");

    // A segment that does not read comes back beside the field, in Chinese.
    let csrf = hidden_csrf(&form);
    let fields = [
        ("csrf", csrf.as_str()),
        ("name", "新品A"),
        ("kind", "new_product"),
        ("segment", "区域 = 华东"),
        ("announced_on", "2026-11-02"),
        ("starts_on", "2026-11-03"),
        ("ends_on", "2026-11-30"),
    ];
    let (status, _, html) = post(&lead, &app, "/campaigns", &fields).await;
    assert_eq!(status, 422);
    assert!(html.contains("保存失败，请修正下面标出的内容") && html.contains("aria-invalid=\"true\""), "{html}");
    assert!(!html.contains("expected"), "no English parser message");
    assert!(html.contains("value=\"区域 = 华东\""), "the text typed is kept");
    let mut good = fields.to_vec();
    good[3] = ("segment", "区域 = \"华东\"");
    let (status, location, html) = post(&lead, &app, "/campaigns", &good).await;
    assert_eq!(status, 303, "{html}");
    let id: i64 = location.split('/').nth(2).unwrap().parse().unwrap();
    assert_eq!(app.store.campaign(id).await.unwrap().unwrap().segment, "region = \"华东\"");
    let (_, edit) = page(&lead, &app, &format!("/campaigns/{id}/edit")).await;
    assert!(edit.contains("value=\"区域 = &#34;华东&#34;\""), "the edit form shows the segment in Chinese");
});

backend_test!(the_target_list_numbers_its_rows_counts_the_filter_and_reaches_in_one_tap, |app| {
    let lead = app.user("lead@example.com", "lead", None).await;
    let ming = app.user("ming@example.com", "rep", Some("华南")).await;
    let mut first = None;
    for i in 0..101 {
        let id = add_customer(&app, &format!("华南客户{i:03}"), "华南", Some(ming.id)).await;
        first.get_or_insert(id);
    }
    let mut tx = app.store.begin().await.unwrap();
    let contact = rally::store::customers::NewContact {
        name: "王经理".to_owned(),
        phone: "138 0013 8000".to_owned(),
        email: "wang@example.cn".to_owned(),
        ..Default::default()
    };
    rally::store::contacts::insert_contact(&mut tx, first.unwrap(), &contact).await.unwrap();
    tx.commit().await.unwrap();
    let created: serde_json::Value = app
        .api(&lead, reqwest::Method::POST, "/api/v1/campaigns")
        .json(&serde_json::json!({"name": "华南促销", "kind": "new_product", "segment": "region = \"华南\"",
            "announced_on": "2026-11-02", "starts_on": "2026-11-05", "ends_on": "2026-11-30"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_i64().unwrap();
    let browser = app.browser_session("lead@example.com").await;
    let (_, list) = page(&browser, &app, &format!("/campaigns/{id}/members")).await;
    let csrf = hidden_csrf(&list);
    let (status, _, _) = post(&browser, &app, &format!("/campaigns/{id}/members/generate"), &[("csrf", &csrf)]).await;
    assert_eq!(status, 303);

    let (_, list) = page(&browser, &app, &format!("/campaigns/{id}/members")).await;
    assert!(list.contains("第 1–100 家，共 101 家"), "the first page says which rows of how many");
    assert!(list.contains("href=\"tel:138 0013 8000\"") && list.contains("href=\"mailto:wang@example.cn\""));
    assert_eq!(list.matches("tel:").count(), 1, "only a customer with a phone gets 📞");
    assert_eq!(list.matches("#follow-up\"").count(), 100, "every row opens the follow-up form");
    let next =
        list.split("class=\"pager\"><a href=\"").nth(1).unwrap().split('"').next().unwrap().replace("&#38;", "&");
    let (_, second) = page(&browser, &app, &next).await;
    assert!(second.contains("第 101–101 家，共 101 家"), "{next}");
    assert!(second.contains(">101</td>"), "the row keeps its number on a later page");

    // A filter's total is the filter's, not the list's.
    let (_, filtered) = page(&browser, &app, &format!("/campaigns/{id}/members?stage=intent")).await;
    assert!(filtered.contains("共 0 家"), "no member has shown intent yet");
});
