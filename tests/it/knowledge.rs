//! The knowledge base (知识库) and the search, on both backends: who may do
//! what, stale edits, merging, the demo's searches, short queries, escaped
//! highlights and what a rep may find.

use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_test;
use crate::helpers::{TestApp, TestUser, add_customer, get_page, hidden_csrf, post_form};

async fn send(app: &TestApp, user: &TestUser, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = app.api(user, method, path);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn entry(app: &TestApp, user: &TestUser, body: Value) -> Value {
    let (status, created) = send(app, user, Method::POST, "/api/v1/knowledge", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    created
}

fn titles(list: &Value) -> Vec<String> {
    let mut out: Vec<String> =
        list["items"].as_array().unwrap().iter().map(|e| e["title"].as_str().unwrap().to_owned()).collect();
    out.sort();
    out
}

async fn get(app: &TestApp, user: &TestUser, path: &str) -> Value {
    let (status, body) = send(app, user, Method::GET, path, None).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

backend_test!(curators_publish_reps_propose_and_stale_edits_conflict, |app| {
    let marketing = app.user("mkt@example.com", "marketing", None).await;
    let lead = app.user("lead@example.com", "lead", None).await;
    let rep = app.user("rep@example.com", "rep", Some("华南")).await;
    let rep2 = app.user("rep2@example.com", "rep", Some("华北")).await;
    let support = app.user("support@example.com", "support", None).await;
    let viewer = app.user("viewer@example.com", "viewer", None).await;

    let published = entry(
        &app,
        &marketing,
        json!({"kind": "solution", "title": "竞品对比方案", "body": "总成本对比", "pain_points": ["成本高"], "industries": ["制造业"], "tiers": ["S"]}),
    )
    .await;
    assert_eq!(published["status"], "published");
    assert_eq!(published["author_id"], marketing.id);
    let id = published["id"].as_i64().unwrap();

    // A rep proposes; publishing is not theirs to do.
    let proposal = entry(&app, &rep, json!({"kind": "lesson", "title": "先问预算", "body": "……"})).await;
    assert_eq!(proposal["status"], "proposed");
    let pid = proposal["id"].as_i64().unwrap();
    let (status, _) = send(
        &app,
        &rep,
        Method::POST,
        "/api/v1/knowledge",
        Some(json!({"title": "直接发布", "body": "……", "status": "published"})),
    )
    .await;
    assert_eq!(status, 403);
    for who in [&support, &viewer] {
        let (status, _) =
            send(&app, who, Method::POST, "/api/v1/knowledge", Some(json!({"title": "x", "body": "y"}))).await;
        assert_eq!(status, 403, "{}", who.role);
    }
    // Bad input names the field and writes nothing.
    let (status, body) = send(
        &app,
        &marketing,
        Method::POST,
        "/api/v1/knowledge",
        Some(json!({"title": "x", "body": "y", "kind": "faq"})),
    )
    .await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("kind")));
    let (status, body) =
        send(&app, &marketing, Method::POST, "/api/v1/knowledge", Some(json!({"title": " ", "body": "y"}))).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("title")));

    // Visibility: the proposal is its author's and the curators'.
    assert_eq!(titles(&get(&app, &rep, "/api/v1/knowledge").await), vec!["先问预算", "竞品对比方案"]);
    assert_eq!(titles(&get(&app, &rep2, "/api/v1/knowledge").await), vec!["竞品对比方案"]);
    assert_eq!(send(&app, &rep2, Method::GET, &format!("/api/v1/knowledge/{pid}"), None).await.0, 404);
    assert_eq!(titles(&get(&app, &lead, "/api/v1/knowledge?status=proposed").await), vec!["先问预算"]);
    assert_eq!(titles(&get(&app, &viewer, "/api/v1/knowledge?kind=solution&pain_point=成本高").await).len(), 1);
    assert_eq!(titles(&get(&app, &viewer, "/api/v1/knowledge?industry=零售").await).len(), 0);

    // Edits: curators any, a rep only their own proposal.
    let path = format!("/api/v1/knowledge/{id}");
    assert_eq!(send(&app, &rep, Method::PATCH, &path, Some(json!({"title": "改"}))).await.0, 403);
    let (status, _) =
        send(&app, &rep, Method::PATCH, &format!("/api/v1/knowledge/{pid}"), Some(json!({"body": "先问预算再报价"})))
            .await;
    assert_eq!(status, 200);
    let (status, edited) =
        send(&app, &lead, Method::PATCH, &path, Some(json!({"title": "竞品对比方案（新版）", "version": 1}))).await;
    assert_eq!((status, edited["version"].as_i64()), (200, Some(2)), "{edited}");
    let (status, stale) =
        send(&app, &marketing, Method::PATCH, &path, Some(json!({"title": "旧版上的修改", "version": 1}))).await;
    assert_eq!(status, 409, "{stale}");
    assert_eq!(stale["error"]["code"], "version_conflict");
    assert_eq!(get(&app, &viewer, &path).await["title"], "竞品对比方案（新版）");

    // The lead publishes the proposal; DELETE retires (curators only).
    let (status, p) =
        send(&app, &lead, Method::PATCH, &format!("/api/v1/knowledge/{pid}"), Some(json!({"status": "published"})))
            .await;
    assert_eq!((status, p["status"].as_str()), (200, Some("published")));
    assert_eq!(send(&app, &rep, Method::DELETE, &path, None).await.0, 403);
    let (status, retired) = send(&app, &lead, Method::DELETE, &path, None).await;
    assert_eq!((status, retired["status"].as_str()), (200, Some("retired")));
    assert_eq!(titles(&get(&app, &rep2, "/api/v1/knowledge").await), vec!["先问预算"]);
    assert_eq!(titles(&get(&app, &lead, "/api/v1/knowledge?status=retired").await), vec!["竞品对比方案（新版）"]);
});

backend_test!(an_entry_absorbs_another, |app| {
    let lead = app.user("lead@example.com", "lead", None).await;
    let rep = app.user("rep@example.com", "rep", Some("华南")).await;
    let a = entry(&app, &lead, json!({"title": "质保三年", "body": "……", "pain_points": ["质量"]})).await;
    let b =
        entry(&app, &lead, json!({"title": "三年质保", "body": "……", "pain_points": ["售后"], "industries": ["零售"]}))
            .await;
    let (a, b) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());
    let merge = format!("/api/v1/knowledge/{a}/merge");
    assert_eq!(send(&app, &rep, Method::POST, &merge, Some(json!({"other_id": b}))).await.0, 403);
    assert_eq!(send(&app, &lead, Method::POST, &merge, Some(json!({"other_id": a}))).await.0, 422);
    assert_eq!(send(&app, &lead, Method::POST, &merge, Some(json!({"other_id": 999_999}))).await.0, 422);
    let (status, merged) = send(&app, &lead, Method::POST, &merge, Some(json!({"other_id": b}))).await;
    assert_eq!(status, 200, "{merged}");
    assert_eq!(merged["pain_points"], json!(["质量", "售后"]));
    assert_eq!(merged["industries"], json!(["零售"]));
    let other = get(&app, &rep, &format!("/api/v1/knowledge/{b}")).await;
    assert_eq!((other["status"].as_str(), other["merged_into"].as_i64()), (Some("retired"), Some(a)));
    assert_eq!(send(&app, &lead, Method::POST, &merge, Some(json!({"other_id": b}))).await.0, 422, "merged once");
    assert_eq!(titles(&get(&app, &rep, "/api/v1/knowledge?q=质保").await), vec!["质保三年"]);
});

backend_test!(the_demo_answers_the_three_searches_and_a_follow_up_becomes_a_draft, |app| {
    rally::ops::demo::load(&app.store, app.store.today()).await.expect("demo");
    let admin = app.user("k-admin@example.com", "admin", None).await;
    // The oracle: every visible entry, filtered in Rust by the same rule.
    let all = get(&app, &admin, "/api/v1/knowledge?limit=200").await;
    for q in ["质保", "价格", "竞品对比"] {
        let expected: Vec<String> = {
            let mut t: Vec<String> = all["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| {
                    let texts = [e["title"].as_str().unwrap(), e["body"].as_str().unwrap()];
                    rally::domain::knowledge::all_terms_in(&texts, &[q.to_owned()])
                })
                .map(|e| e["title"].as_str().unwrap().to_owned())
                .collect();
            t.sort();
            t
        };
        assert!(expected.len() >= 2, "{q}: the demo has entries for it");
        let found = get(&app, &admin, &format!("/api/v1/knowledge?q={q}")).await;
        assert_eq!(titles(&found), expected, "{q}");
        assert_eq!(found["total"].as_i64(), Some(expected.len() as i64));
        assert!(
            found["items"][0]["snippet_html"].as_str().unwrap().contains("<mark>")
                || found["items"][0]["title_html"].as_str().unwrap().contains(&format!("<mark>{q}</mark>"))
        );
        let everywhere = get(&app, &admin, &format!("/api/v1/search?q={q}")).await;
        let mut t: Vec<String> = everywhere["entries"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["title"].as_str().unwrap().to_owned())
            .collect();
        t.sort();
        assert_eq!(t, expected, "{q} across the search");
    }
    // The demo's follow-ups hold objections about price: one becomes a draft.
    let notes = get(&app, &admin, "/api/v1/search?q=价格&in=notes").await;
    assert!(notes["entries"].is_null() && notes["customers"].is_null());
    let hit = notes["notes"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["follow_up_id"].is_i64())
        .expect("a follow-up about price")
        .clone();
    assert!(hit["snippet_html"].as_str().unwrap().contains("<mark>价格</mark>"));
    let fu = hit["follow_up_id"].as_i64().unwrap();
    let client = app.browser_session("k-admin@example.com").await;
    let (status, form) = get_page(&client, &app, &format!("/knowledge/new?follow_up={fu}")).await;
    assert_eq!(status, 200);
    assert!(form.contains("跟进摘要："), "the form is filled from the follow-up");
    let draft = entry(&app, &admin, json!({"follow_up_id": fu})).await;
    assert_eq!(draft["status"], "proposed");
    assert_eq!(draft["follow_up_id"].as_i64(), Some(fu));
    assert!(draft["campaign_id"].is_i64());
    assert!(draft["body"].as_str().unwrap().contains("价格"), "{draft}");
    // A follow-up that does not exist is a bad field, not a missing resource.
    let (status, body) =
        send(&app, &admin, Method::POST, "/api/v1/knowledge", Some(json!({"follow_up_id": 999_999_999}))).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("follow_up_id")), "{body}");
    // The search pages its sections.
    let page1 = get(&app, &admin, "/api/v1/search?q=价格&in=notes&limit=2").await;
    if page1["notes"]["total"].as_i64().unwrap() > 2 {
        let cursor = page1["notes"]["next_cursor"].as_str().unwrap();
        let page2 = get(&app, &admin, &format!("/api/v1/search?q=价格&in=notes&limit=2&cursor={cursor}")).await;
        assert_ne!(page1["notes"]["items"][0], page2["notes"]["items"][0]);
    }
});

backend_test!(one_and_two_character_queries_and_wildcards_are_literal, |app| {
    let lead = app.user("lead@example.com", "lead", None).await;
    for (title, body) in
        [("价格异议", "客户嫌贵"), ("质保政策", "三年"), ("折扣 50%_off", "限时"), ("Price list", "ROI 1:3")]
    {
        entry(&app, &lead, json!({"title": title, "body": body})).await;
    }
    let q = |s: &str| format!("/api/v1/knowledge?q={}", rally::web::session::urlencode(s));
    assert_eq!(titles(&get(&app, &lead, &q("价格")).await), vec!["价格异议"]);
    assert_eq!(titles(&get(&app, &lead, &q("价")).await), vec!["价格异议"]);
    assert_eq!(titles(&get(&app, &lead, &q("质保 三年")).await), vec!["质保政策"]);
    assert_eq!(titles(&get(&app, &lead, &q("质保 两年")).await), Vec::<String>::new());
    assert_eq!(titles(&get(&app, &lead, &q("%")).await), vec!["折扣 50%_off"]);
    assert_eq!(titles(&get(&app, &lead, &q("0%_")).await), vec!["折扣 50%_off"]);
    assert_eq!(titles(&get(&app, &lead, &q("_")).await), vec!["折扣 50%_off"]);
    assert_eq!(titles(&get(&app, &lead, &q("price")).await), vec!["Price list"], "Latin case does not matter");
    assert_eq!(titles(&get(&app, &lead, &q("roi")).await), vec!["Price list"]);
    assert_eq!(titles(&get(&app, &lead, &q("\"")).await), Vec::<String>::new());
    let (status, body) = send(&app, &lead, Method::GET, &q(&"长".repeat(101)), None).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("q")));
    let (status, body) = send(&app, &lead, Method::GET, "/api/v1/search?q=", None).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("q")));
});

backend_test!(stored_markup_comes_back_escaped, |app| {
    let lead = app.user("lead@example.com", "lead", None).await;
    entry(&app, &lead, json!({"title": "<script>alert(1)</script>价格", "body": "<img src=x onerror=alert(2)> 价格"}))
        .await;
    let found = get(&app, &lead, "/api/v1/knowledge?q=价格").await;
    assert_eq!(found["items"][0]["title_html"], "&lt;script&gt;alert(1)&lt;/script&gt;<mark>价格</mark>");
    assert!(found["items"][0]["snippet_html"].as_str().unwrap().starts_with("&lt;img src=x"));
    let client = app.browser_session("lead@example.com").await;
    for path in ["/knowledge?q=%E4%BB%B7%E6%A0%BC", "/search?q=%E4%BB%B7%E6%A0%BC", "/knowledge"] {
        let (status, html) = get_page(&client, &app, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "{path}");
        assert!(!html.contains("<script>alert(1)") && !html.contains("<img src=x"), "{path}");
    }
    let (_, html) = get_page(&client, &app, "/knowledge?q=%E4%BB%B7%E6%A0%BC").await;
    assert!(html.contains("&#60;/script&#62;<mark>价格</mark>"), "the title's hit is marked, the rest escaped");
});

backend_test!(a_rep_finds_only_customers_and_notes_they_may_see, |app| {
    let ming = app.user("ming@example.com", "rep", Some("华南")).await;
    let fang = app.user("fang@example.com", "rep", Some("华北")).await;
    let admin = app.user("admin@example.com", "admin", None).await;
    let mine = add_customer(&app, "保密机械甲", "华南", Some(ming.id)).await;
    let theirs = add_customer(&app, "保密机械乙", "华北", Some(fang.id)).await;
    let pool = add_customer(&app, "保密机械丙", "华东", None).await;
    for (who, c) in [(&ming, mine), (&fang, theirs), (&admin, pool)] {
        let (status, body) = send(
            &app,
            who,
            Method::POST,
            &format!("/api/v1/customers/{c}/interactions"),
            Some(json!({"channel": "phone", "kind": "call", "note": "客户关心质保年限"})),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    let ids = |v: &Value, key: &str, id: &str| -> Vec<i64> {
        let mut out: Vec<i64> = v[key]["items"].as_array().unwrap().iter().map(|x| x[id].as_i64().unwrap()).collect();
        out.sort();
        out
    };
    for q in ["保密机械", "机械"] {
        let r = get(&app, &ming, &format!("/api/v1/search?q={q}")).await;
        assert_eq!(ids(&r, "customers", "id"), vec![mine, pool], "{q}");
        let r = get(&app, &admin, &format!("/api/v1/search?q={q}")).await;
        assert_eq!(ids(&r, "customers", "id"), vec![mine, theirs, pool], "{q}");
    }
    for q in ["质保年限", "质保"] {
        let r = get(&app, &ming, &format!("/api/v1/search?q={q}")).await;
        assert_eq!(ids(&r, "notes", "customer_id"), vec![mine, pool], "{q}");
        assert_eq!(r["notes"]["total"], 2);
        let r = get(&app, &fang, &format!("/api/v1/search?q={q}")).await;
        assert_eq!(ids(&r, "notes", "customer_id"), vec![theirs, pool], "{q}");
    }
    let client = app.browser_session("ming@example.com").await;
    let (status, html) = get_page(&client, &app, "/search?q=%E4%BF%9D%E5%AF%86").await;
    assert_eq!(status, 200);
    assert!(html.contains("<mark>保密</mark>机械甲") && !html.contains("机械乙"));
    // Renaming keeps the index in step (triggers on SQLite, the same column on PostgreSQL).
    let (status, _) =
        send(&app, &admin, Method::PATCH, &format!("/api/v1/customers/{pool}"), Some(json!({"name": "公开贸易丙"})))
            .await;
    assert_eq!(status, 200);
    let r = get(&app, &ming, "/api/v1/search?q=保密机械").await;
    assert_eq!(ids(&r, "customers", "id"), vec![mine]);
    let r = get(&app, &ming, "/api/v1/search?q=公开贸易").await;
    assert_eq!(ids(&r, "customers", "id"), vec![pool]);
    // One and two characters go through the names' short-term index, kept in step too.
    for (q, expected) in [("贸易", vec![pool]), ("保密", vec![mine, theirs]), ("丙", vec![pool]), ("甲", vec![mine])]
    {
        let r = get(&app, &admin, &format!("/api/v1/search?q={q}&in=customers")).await;
        assert_eq!(ids(&r, "customers", "id"), expected, "{q}");
        assert_eq!(r["customers"]["total"].as_i64(), Some(expected.len() as i64), "{q}");
    }
});

/// The titles of a member's suggestions in their order, of those named `建议…`.
fn suggested(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["title"].as_str())
        .filter(|t| t.starts_with("建议"))
        .map(str::to_owned)
        .collect()
}

backend_test!(helped_marks_count_once_per_person_and_rank_the_suggestions, |app| {
    let lead = app.user("lead@example.com", "lead", None).await;
    let ming = app.user("ming@example.com", "rep", Some("华南")).await;
    let marketing = app.user("mkt@example.com", "marketing", None).await;
    let service = app.user("svc@example.com", "service", None).await;
    let viewer = app.user("boss@example.com", "viewer", None).await;
    let customer = add_customer(&app, "A公司", "华南", Some(ming.id)).await;
    // Three suggestions of the same fit (untagged: they suit every customer).
    let mut ids = Vec::new();
    for title in ["建议甲", "建议乙", "建议丙"] {
        let e = entry(&app, &marketing, json!({"kind": "script", "title": title, "body": "……"})).await;
        assert_eq!(e["helped"], 0, "{e}");
        ids.push(e["id"].as_i64().unwrap());
    }
    let (status, created) = send(
        &app,
        &lead,
        Method::POST,
        "/api/v1/campaigns",
        Some(json!({"name": "新品A限时促销", "kind": "new_product", "segment": "region = \"华南\"",
            "announced_on": "2026-11-02", "starts_on": "2026-11-03", "ends_on": "2026-11-30"})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let campaign = created["id"].as_i64().unwrap();
    let (status, body) =
        send(&app, &lead, Method::POST, &format!("/api/v1/campaigns/{campaign}/members/generate"), Some(json!({})))
            .await;
    assert_eq!(status, 200, "{body}");
    let scripts = format!("/api/v1/campaigns/{campaign}/members/{customer}/scripts");
    assert_eq!(suggested(&get(&app, &ming, &scripts).await), ["建议甲", "建议乙", "建议丙"]);

    // Once per person: marking again changes nothing.
    let helped = |i: usize| format!("/api/v1/knowledge/{}/helped", ids[i]);
    for _ in 0..2 {
        let (status, body) = send(&app, &ming, Method::POST, &helped(1), None).await;
        assert_eq!((status, body["helped"].as_i64()), (200, Some(1)), "{body}");
    }
    let (status, body) = send(&app, &lead, Method::POST, &helped(1), None).await;
    assert_eq!((status, body["helped"].as_i64()), (200, Some(2)), "{body}");
    let (status, body) = send(&app, &lead, Method::POST, &helped(2), None).await;
    assert_eq!((status, body["helped"].as_i64()), (200, Some(1)), "{body}");
    // The count ranks suggestions of the same fit.
    let list = get(&app, &ming, &scripts).await;
    assert_eq!(suggested(&list), ["建议乙", "建议丙", "建议甲"]);
    assert_eq!(list["items"].as_array().unwrap().iter().find(|e| e["title"] == "建议乙").unwrap()["helped"], 2);
    assert_eq!(get(&app, &marketing, &format!("/api/v1/knowledge/{}", ids[1])).await["helped"], 2);
    let listed = get(&app, &viewer, "/api/v1/knowledge?kind=script").await;
    let count = |title: &str| {
        listed["items"].as_array().unwrap().iter().find(|e| e["title"] == title).unwrap()["helped"].clone()
    };
    assert_eq!((count("建议甲"), count("建议乙"), count("建议丙")), (json!(0), json!(2), json!(1)));

    // Those who log follow-ups mark; the others may read, not mark.
    for who in [&marketing, &service, &viewer] {
        let (status, body) = send(&app, who, Method::POST, &helped(0), None).await;
        assert_eq!((status, body["error"]["code"].as_str()), (403, Some("forbidden")), "{}", who.role);
        let (status, _) = send(&app, who, Method::DELETE, &helped(1), None).await;
        assert_eq!(status, 403, "{}", who.role);
    }
    let (status, _) = send(&app, &ming, Method::POST, "/api/v1/knowledge/999999/helped", None).await;
    assert_eq!(status, 404);
    // Another rep's proposal is invisible to ming: 404, not a mark.
    let hidden = entry(&app, &lead, json!({"title": "草稿", "body": "……", "status": "proposed"})).await;
    let (status, _) =
        send(&app, &ming, Method::POST, &format!("/api/v1/knowledge/{}/helped", hidden["id"]), None).await;
    assert_eq!(status, 404);

    // Unmarking takes one's own mark back, once.
    for _ in 0..2 {
        let (status, body) = send(&app, &ming, Method::DELETE, &helped(1), None).await;
        assert_eq!((status, body["helped"].as_i64()), (200, Some(1)), "{body}");
    }

    // The member page: a button per suggestion, pressed where the reader marked.
    let member = format!("/campaigns/{campaign}/members/{customer}");
    let client = app.browser_session("lead@example.com").await;
    let (status, html) = get_page(&client, &app, &member).await;
    assert_eq!(status, 200);
    let button = |html: &str, id: i64| -> String {
        let at = html.find(&format!("data-helped=\"{id}\"")).unwrap_or_else(|| panic!("no button for {id}"));
        html[at..].split("</form>").next().unwrap().to_owned()
    };
    assert!(button(&html, ids[1]).contains("aria-pressed=\"true\""), "{}", button(&html, ids[1]));
    assert!(button(&html, ids[0]).contains("aria-pressed=\"false\""));
    assert!(html.find("建议乙").unwrap() < html.find("建议甲").unwrap(), "ranked on the page too");
    // Without JavaScript the form goes back to the member; with htmx the button comes back pressed.
    let (status, location, _) =
        post_form(&client, &app, &format!("/knowledge/{}/helped", ids[0]), &[("on", "1"), ("back", &member)]).await;
    assert_eq!((status, location.as_str()), (303, member.as_str()));
    let (status, location, _) =
        post_form(&client, &app, &format!("/knowledge/{}/helped", ids[0]), &[("on", "1"), ("back", "//evil.example/")])
            .await;
    assert_eq!((status, location), (303, format!("/knowledge/{}", ids[0])), "only a local path to go back to");
    let csrf = hidden_csrf(&html);
    let response = client
        .post(app.url(&format!("/knowledge/{}/helped", ids[0])))
        .header("hx-request", "true")
        .form(&[("csrf", csrf.as_str()), ("on", "0"), ("back", member.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let partial = response.text().await.unwrap();
    assert!(partial.contains("aria-pressed=\"false\"") && partial.contains("data-helped-count=\"0\""), "{partial}");
    assert!(!partial.contains("<html"), "only the button: {partial}");
    // The knowledge list and the entry page show the count.
    let (_, html) = get_page(&client, &app, "/knowledge?kind=script").await;
    assert!(html.contains("data-helped-count=\"2\"") || html.contains("data-helped-count=\"1\""), "{html}");
    let (_, html) = get_page(&client, &app, &format!("/knowledge/{}", ids[2])).await;
    assert!(button(&html, ids[2]).contains("aria-pressed=\"true\"") && html.contains("data-helped-count=\"1\""));
    // Marketing sees the count, without a button.
    let client = app.browser_session("mkt@example.com").await;
    let (_, html) = get_page(&client, &app, &format!("/knowledge/{}", ids[2])).await;
    assert!(html.contains("data-helped-count=\"1\"") && !html.contains("data-helped="), "{html}");

    // A merge carries the absorbed entry's marks over (still one per person).
    let (status, body) = send(
        &app,
        &marketing,
        Method::POST,
        &format!("/api/v1/knowledge/{}/merge", ids[1]),
        Some(json!({"other_id": ids[2]})),
    )
    .await;
    assert_eq!((status, body["helped"].as_i64()), (200, Some(1)), "lead marked both: {body}");
});

backend_test!(notes_stay_searchable_as_they_are_written_emptied_and_deleted, |app| {
    let admin = app.user("admin@example.com", "admin", None).await;
    let c = add_customer(&app, "索引机械", "华南", None).await;
    let log = format!("/api/v1/customers/{c}/interactions");
    let mut ids = Vec::new();
    for note in ["", "客户要求竞品对比", "", "质保期三年"] {
        let (status, body) =
            send(&app, &admin, Method::POST, &log, Some(json!({"channel": "phone", "kind": "call", "note": note})))
                .await;
        assert_eq!(status, 201, "{body}");
        ids.push((body["id"].as_i64().unwrap(), body["version"].as_i64().unwrap()));
    }
    let found = |q: &'static str| {
        let (app, admin) = (&app, &admin);
        async move {
            let r = get(app, admin, &format!("/api/v1/search?q={q}&in=notes")).await;
            let mut out: Vec<i64> =
                r["notes"]["items"].as_array().unwrap().iter().map(|x| x["interaction_id"].as_i64().unwrap()).collect();
            out.sort();
            out
        }
    };
    assert_eq!(found("竞品对比").await, vec![ids[1].0]);
    // An empty note gains words, a note loses them, another is deleted.
    for (i, note) in [(0, "竞品对比已发送"), (3, "")] {
        let (id, version) = ids[i];
        let (status, body) = send(
            &app,
            &admin,
            Method::PATCH,
            &format!("/api/v1/interactions/{id}"),
            Some(json!({"note": note, "version": version})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(found("竞品对比").await, vec![ids[0].0, ids[1].0]);
    assert_eq!(found("质保期").await, Vec::<i64>::new());
    let (status, _) = send(&app, &admin, Method::DELETE, &format!("/api/v1/interactions/{}", ids[1].0), None).await;
    assert_eq!(status, 204);
    let (status, _) = send(&app, &admin, Method::DELETE, &format!("/api/v1/interactions/{}", ids[2].0), None).await;
    assert_eq!(status, 204);
    assert_eq!(found("竞品对比").await, vec![ids[0].0]);
    assert_eq!(app.store.integrity_problems().await.unwrap(), Vec::<String>::new(), "the index stays sound");
});

// The first page is read from the latest rows when they hold it; otherwise
// the full query runs. Either way the page is what the rule says: entries
// with every term in the title first, then the latest; notes the latest.
backend_test!(the_latest_rows_answer_the_same_page_as_the_full_query, |app| {
    use rally::store::knowledge::{EntryFields, EntryFilter, EntryScope};
    let lead = app.user("lead@example.com", "lead", None).await;
    let n: i64 = 4500;
    let base = chrono::Utc::now() - chrono::Duration::days(10);
    // 质保 in the title of every 1,000th entry (five, two of them among the
    // latest 2,000 the search reads first), in the body of every third.
    let rows: Vec<_> = (0..n)
        .map(|i| {
            let title = if i % 1000 == 7 { format!("质保说明{i}") } else { format!("条目{i}") };
            let body = if i % 3 == 0 { "包含质保条款".to_owned() } else { "无关内容".to_owned() };
            let f =
                EntryFields { kind: "lesson".into(), title, body, status: "published".into(), ..Default::default() };
            (f, Some(lead.id), base + chrono::Duration::minutes(i))
        })
        .collect();
    let mut tx = app.store.begin().await.unwrap();
    rally::store::knowledge::insert_entries(&mut tx, &rows).await.unwrap();
    tx.commit().await.unwrap();
    // The rule, in Rust: title hits newest first, then the other hits newest first.
    let expected: Vec<String> = {
        let hit = |i: &i64| *i % 3 == 0 || *i % 1000 == 7;
        let in_title = |i: &i64| *i % 1000 == 7;
        let mut order: Vec<i64> = (0..n).rev().filter(|i| hit(i) && in_title(i)).collect();
        order.extend((0..n).rev().filter(|i| hit(i) && !in_title(i)));
        order.iter().map(|&i| rows[i as usize].0.title.clone()).collect()
    };
    let query = rally::domain::knowledge::Query::parse("质保").unwrap();
    let filter = EntryFilter {
        scope: EntryScope::All,
        status: None,
        kind: None,
        pain_point: None,
        industry: None,
        query: query.clone(),
    };
    // Pages inside the window's title hits (two), across its edge, and past them.
    for (offset, limit) in [(0, 1), (1, 1), (0, 2), (1, 2), (0, 20), (3, 3), (6, 5)] {
        let mut conn = app.store.acquire().await.unwrap();
        let (items, total) = rally::store::knowledge::entries(conn.conn(), &filter, offset, limit).await.unwrap();
        let got: Vec<String> = items.into_iter().map(|e| e.title).collect();
        assert_eq!(got, expected[offset as usize..(offset + limit) as usize], "entries {offset}+{limit}");
        assert_eq!(total, rally::store::knowledge::MAX_COUNT, "entries {offset}+{limit}");
    }

    // Notes: 质保期 in every 500th of 2,500, one a day; the window holds the latest 2,000.
    let customer = crate::helpers::add_customer(&app, "窗口机械", "华南", None).await;
    let first_day = chrono::NaiveDate::from_ymd_opt(2019, 1, 1).unwrap();
    let mut tx = app.store.begin().await.unwrap();
    let ids = rally::store::bulk::allocate_ids(&mut tx, "interactions", 2500).await.unwrap();
    let notes: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| rally::store::import::NewImportedInteraction {
            id: *id,
            key: rally::store::import::InteractionKey {
                customer_id: customer,
                occurred_on: first_day + chrono::Duration::days(i as i64),
                occurred_at: None,
                channel: "phone".into(),
                kind: "call".into(),
                note: if i % 500 == 3 { format!("客户问质保期{i}") } else { format!("电话沟通{i}") },
            },
            amount_fen: None,
        })
        .collect();
    rally::store::import::insert_interactions(&mut tx, &notes, None, chrono::Utc::now()).await.unwrap();
    tx.commit().await.unwrap();
    let expected: Vec<i64> = (0..2500).rev().filter(|i| i % 500 == 3).map(|i| ids[i]).collect();
    let query = rally::domain::knowledge::Query::parse("质保期").unwrap().unwrap();
    for (offset, limit) in [(0, 2), (2, 2), (0, 20), (4, 1)] {
        let mut conn = app.store.acquire().await.unwrap();
        let scope = rally::store::customers::CustomerScope::All;
        let (items, total) = rally::store::knowledge::notes(conn.conn(), scope, &query, offset, limit).await.unwrap();
        let got: Vec<i64> = items.iter().map(|x| x.interaction_id).collect();
        let to = ((offset + limit) as usize).min(expected.len());
        assert_eq!(got, expected[(offset as usize).min(to)..to], "notes {offset}+{limit}");
        assert_eq!(total, 5, "notes {offset}+{limit}");
    }
});
