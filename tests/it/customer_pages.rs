//! The customer pages through HTTP as a browser uses them (cookies, CSRF
//! fields, form posts, redirects): create and edit forms with stale
//! versions, contacts and the follow-up timeline moving tiers, the segment
//! builder's live count and positioned errors, saved segments, the tier
//! settings, every page for every role, escaping.

use crate::backend_test;
use crate::helpers::{TestApp, add_customer, hidden_csrf};

const ROLES: [&str; 7] = ["admin", "lead", "rep", "marketing", "service", "support", "viewer"];

/// A page as (status, body).
async fn page(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let response = client.get(app.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// A form post with the page's CSRF token: (status, Location, body).
async fn post(client: &reqwest::Client, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
    let (_, home) = page(client, app, "/settings").await;
    let csrf = hidden_csrf(&home);
    let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let response = client.post(app.url(path)).form(&form).send().await.unwrap();
    let status = response.status().as_u16();
    let location = response.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, location, response.text().await.unwrap())
}

/// The value of `attr="…"` on the first element that has `marker` (e.g. an id).
fn attr_near(html: &str, marker: &str, attr: &str) -> String {
    let at = html.find(marker).unwrap_or_else(|| panic!("{marker} not in page"));
    let tag_start = html[..at].rfind('<').unwrap();
    let tag = &html[tag_start..tag_start + html[tag_start..].find('>').unwrap()];
    tag.split(&format!("{attr}=\"")).nth(1).and_then(|v| v.split('"').next()).unwrap_or_default().to_owned()
}

/// The tier badge in the detail page's heading.
fn heading_tier(html: &str) -> String {
    let h1 = &html[html.find("<h1>").unwrap()..];
    h1.split("class=\"tier tier-").nth(1).unwrap()[..1].to_owned()
}

fn id_from_location(location: &str) -> i64 {
    location.trim_start_matches("/customers/").split(['?', '#', '/']).next().unwrap().parse().unwrap()
}

backend_test!(customer_form_creates_and_a_stale_edit_shows_what_it_says_now, |app| {
    app.named_user("lead@example.com", "王兰", "lead", None).await;
    app.named_user("ming@example.com", "明", "rep", Some("华南")).await;
    let lead = app.browser_session("lead@example.com").await;

    let (status, form) = page(&lead, &app, "/customers/new").await;
    assert_eq!(status, 200);
    assert!(form.contains("<option value=\"ming@example.com\""), "active reps are offered as owners");
    assert!(form.contains("for=\"c-name\"") && form.contains("id=\"c-name\""), "labelled inputs");

    let fields = [
        ("name", "华东精密制造有限公司"),
        ("credit_code", ""),
        ("industry", "制造业"),
        ("region", "华东"),
        ("city", "苏州"),
        ("annual_purchase", "￥5,000,000.00"),
        ("owner", "ming@example.com"),
        ("source", ""),
        ("tags", "老客户、VIP，老客户"),
        ("pain_points", "成本高,效率低"),
        ("notes", "价格敏感"),
    ];
    let (status, location, _) = post(&lead, &app, "/customers", &fields).await;
    assert_eq!(status, 303);
    assert!(location.ends_with("?ok=customers.created"), "{location}");
    let id = id_from_location(&location);
    let (_, detail) = page(&lead, &app, &location).await;
    for shown in [
        "客户已创建。",
        "华东精密制造有限公司",
        "500万",
        "明",
        "老客户",
        "VIP",
        "成本高",
        "效率低",
        "价格敏感",
        "手工录入",
    ] {
        assert!(detail.contains(shown), "{shown} missing from the detail page");
    }
    assert_eq!(detail.matches("<li class=\"chip\">老客户</li>").count(), 1, "tags are a set");

    // Bad input comes back with the typed values and the message beside the field.
    let mut bad = fields.to_vec();
    bad[1] = ("credit_code", "914403001922038217");
    bad[5] = ("annual_purchase", "很多");
    let (status, _, html) = post(&lead, &app, "/customers", &bad).await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"c-amount-err\""), "the amount's own error");
    assert_eq!(attr_near(&html, "id=\"c-amount\"", "aria-describedby"), "c-amount-hint c-amount-err");
    assert!(html.contains("value=\"很多\""), "what was typed is kept");
    bad[5] = ("annual_purchase", "500万");
    let (status, _, html) = post(&lead, &app, "/customers", &bad).await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"c-credit-err\""), "the credit code's error from ops");
    assert!(html.contains("统一社会信用代码应为 18 位"));
    assert_eq!(app.store.count_customers().await.unwrap(), 1);

    // Two people edit the same version: the second sees what the first saved.
    let (status, edit) = page(&lead, &app, &format!("/customers/{id}/edit")).await;
    assert_eq!(status, 200);
    let version = attr_near(&edit, "name=\"version\"", "value");
    assert!(edit.contains("value=\"VIP、老客户\""), "tags as one line");
    assert!(edit.contains("<option value=\"ming@example.com\" selected>"), "the owner is selected");
    let mut first = fields.to_vec();
    first.extend([("version", version.as_str())]);
    first[4] = ("city", "无锡");
    let (status, location, _) = post(&lead, &app, &format!("/customers/{id}"), &first).await;
    assert_eq!((status, location.as_str()), (303, format!("/customers/{id}?ok=customers.saved").as_str()));
    let mut second = fields.to_vec();
    second.extend([("version", version.as_str())]);
    second[4] = ("city", "常州");
    let (status, _, stale) = post(&lead, &app, &format!("/customers/{id}"), &second).await;
    assert_eq!(status, 409);
    let current = &stale[stale.find("data-current").unwrap()..];
    let current = &current[..current.find("</dl>").unwrap()];
    assert!(current.contains("无锡") && current.contains("500万") && current.contains("明"), "{current}");
    assert!(stale.contains("value=\"常州\""), "the second person's input is kept");
    let now = attr_near(&stale, "name=\"version\"", "value");
    assert_eq!(now.parse::<i64>().unwrap(), version.parse::<i64>().unwrap() + 1, "saving again replaces knowingly");
    second.pop();
    second.push(("version", now.as_str()));
    let (status, _, _) = post(&lead, &app, &format!("/customers/{id}"), &second).await;
    assert_eq!(status, 303);
    let (_, detail) = page(&lead, &app, &format!("/customers/{id}")).await;
    assert!(detail.contains("常州"));

    // Deleting asks first and goes back to the list.
    let (_, edit) = page(&lead, &app, &format!("/customers/{id}/edit")).await;
    assert!(edit.contains(&format!("action=\"/customers/{id}/delete\" data-confirm=")));
    let (status, location, _) = post(&lead, &app, &format!("/customers/{id}/delete"), &[]).await;
    assert_eq!((status, location.as_str()), (303, "/customers?ok=customers.deleted"));
    assert_eq!(page(&lead, &app, &format!("/customers/{id}")).await.0, 404);
});

backend_test!(reps_keep_their_customers_and_cannot_delete, |app| {
    app.named_user("ming@example.com", "明", "rep", Some("华南")).await;
    app.named_user("fang@example.com", "芳", "rep", Some("华北")).await;
    let ming = app.browser_session("ming@example.com").await;
    let (_, form) = page(&ming, &app, "/customers/new").await;
    assert!(!form.contains("name=\"owner\""), "a rep has no owner select");
    assert!(form.contains("<option value=\"华南\" selected>"), "the rep's region is the default");
    let (status, location, _) = post(&ming, &app, "/customers", &[("name", "明的新客户"), ("region", "华南")]).await;
    assert_eq!(status, 303, "{location}");
    let id = id_from_location(&location);
    let (_, edit) = page(&ming, &app, &format!("/customers/{id}/edit")).await;
    assert!(!edit.contains("/delete\""), "no delete for reps");
    assert_eq!(post(&ming, &app, &format!("/customers/{id}/delete"), &[]).await.0, 403);
    let fang = app.browser_session("fang@example.com").await;
    assert_eq!(page(&fang, &app, &format!("/customers/{id}")).await.0, 404, "another rep's customer");
    let pool = add_customer(&app, "公海客户", "华南", None).await;
    let (status, detail) = page(&ming, &app, &format!("/customers/{pool}")).await;
    assert_eq!(status, 200);
    assert!(!detail.contains("/edit\""), "the pool is read-only to reps");
    assert_eq!(page(&ming, &app, &format!("/customers/{pool}/edit")).await.0, 403);
});

backend_test!(contacts_and_follow_ups_through_forms_move_the_tier, |app| {
    let ming = app.named_user("ming@example.com", "明", "rep", Some("华南")).await;
    app.named_user("kefu@example.com", "客服小李", "service", None).await;
    app.named_user("mkt@example.com", "市场部小王", "marketing", None).await;
    let id = add_customer(&app, "A公司", "华南", Some(ming.id)).await;
    let rep = app.browser_session("ming@example.com").await;
    let detail_path = format!("/customers/{id}");

    let (_, detail) = page(&rep, &app, &detail_path).await;
    assert_eq!(heading_tier(&detail), "C");
    assert!(detail.contains(&format!("action=\"/customers/{id}/contacts\"")));
    assert!(detail.contains(&format!("value=\"{}\" max=\"{}\"", rally::clock::today(), rally::clock::today())));

    // Contacts: a bad phone is shown beside the field; a good one is listed.
    let contacts = format!("/customers/{id}/contacts");
    let (status, _, html) = post(&rep, &app, &contacts, &[("name", "张总"), ("phone", "12")]).await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"k-phone-err\"") && html.contains("value=\"张总\""));
    let fields = [("name", "张总"), ("title", "采购总监"), ("phone", "138 0013 8000"), ("email", "Zhang@A.cn")];
    let (status, location, _) = post(&rep, &app, &contacts, &fields).await;
    assert_eq!((status, location), (303, format!("{detail_path}?ok=contacts.added#contacts")));
    let (_, detail) = page(&rep, &app, &format!("{detail_path}?ok=contacts.added")).await;
    assert!(detail.contains("联系人已添加。") && detail.contains("张总") && detail.contains("tel:13800138000"));
    let contact_id = rally::ops::contacts::list(&app.store, &admin_actor(&app).await, id).await.unwrap()[0].id;
    let edit_path = format!("/customers/{id}/contacts/{contact_id}");
    let (status, edit) = page(&rep, &app, &edit_path).await;
    assert_eq!(status, 200);
    assert!(edit.contains("value=\"zhang@a.cn\""), "emails are stored normalised");
    let mut changed = fields.to_vec();
    changed.extend([("title", "总经理"), ("version", "1")]);
    changed.remove(1);
    let (status, location, _) = post(&rep, &app, &edit_path, &changed).await;
    assert_eq!((status, location), (303, format!("{detail_path}?ok=contacts.saved#contacts")));
    let (status, _, stale) = post(&rep, &app, &edit_path, &changed).await;
    assert_eq!(status, 409, "version 1 is gone");
    assert!(stale[stale.find("data-current").unwrap()..].contains("总经理"));

    // Follow-ups: an inquiry makes B, three interactions make S.
    let log = format!("/customers/{id}/interactions");
    let today = rally::clock::today().to_string();
    let inquiry = [
        ("occurred_on", today.as_str()),
        ("occurred_at", "14:00"),
        ("channel", "phone"),
        ("kind", "inquiry"),
        ("note", "询价，关注交期"),
        ("amount", ""),
    ];
    let (status, location, _) = post(&rep, &app, &log, &inquiry).await;
    assert_eq!((status, location), (303, format!("{detail_path}?ok=interactions.added#timeline")));
    let (_, detail) = page(&rep, &app, &detail_path).await;
    assert_eq!(heading_tier(&detail), "B");
    assert!(detail.contains("询盘") && detail.contains("14:00") && detail.contains("询价，关注交期"));
    assert!(detail.contains("明"), "who logged it");

    let tomorrow = rally::clock::today().succ_opt().unwrap().to_string();
    let future = [("occurred_on", tomorrow.as_str()), ("channel", "visit"), ("kind", "visit"), ("note", "未来")];
    let (status, _, html) = post(&rep, &app, &log, &future).await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"i-date-err\"") && html.contains("不能晚于今天"));
    let order = [
        ("occurred_on", today.as_str()),
        ("channel", "visit"),
        ("kind", "order"),
        ("note", "签约"),
        ("amount", "12万"),
    ];
    assert_eq!(post(&rep, &app, &log, &order).await.0, 303);
    let call = [("occurred_on", today.as_str()), ("channel", "phone"), ("kind", "call"), ("amount", "999")];
    assert_eq!(post(&rep, &app, &log, &call).await.0, 303, "a hidden amount on a call is ignored");
    let (_, detail) = page(&rep, &app, &detail_path).await;
    assert_eq!(heading_tier(&detail), "S", "three interactions in 30 days");
    assert!(detail.contains("<strong class=\"amount\">12万</strong>"));
    let timeline = &detail[detail.find("<ol class=\"timeline\">").unwrap()..];
    let order_at = timeline.find("badge-order").unwrap();
    assert!(timeline.find("badge-call").unwrap() < order_at, "newest first");

    // Customer service logs on any customer and corrects only its own records.
    let service = app.browser_session("kefu@example.com").await;
    let (_, detail) = page(&service, &app, &detail_path).await;
    assert!(detail.contains(&format!("action=\"{log}\"")), "service may log");
    assert!(!detail.contains("/interactions/"), "but not correct the rep's records");
    assert!(!detail.contains("/contacts\""), "nor add contacts");
    let answer =
        [("occurred_on", today.as_str()), ("channel", "im"), ("kind", "message"), ("note", "客服回复活动咨询")];
    assert_eq!(post(&service, &app, &log, &answer).await.0, 303);
    let (_, detail) = page(&service, &app, &detail_path).await;
    assert_eq!(detail.matches("/delete\" data-confirm").count(), 1, "its own record only");

    // Marketing reads, without private notes or forms.
    let marketing = app.browser_session("mkt@example.com").await;
    let (status, detail) = page(&marketing, &app, &detail_path).await;
    assert_eq!(status, 200);
    assert!(!detail.contains("内部备注") && !detail.contains("method=\"post\" action=\"/customers/"));
    assert_eq!(post(&marketing, &app, &log, &answer).await.0, 403);

    // Correct, then delete the order: the tier follows.
    let interactions = rally::ops::interactions::list(&app.store, &admin_actor(&app).await, id, 10).await.unwrap();
    let order_id = interactions.iter().find(|i| i.kind.as_str() == "order").unwrap().id;
    let order_path = format!("/customers/{id}/interactions/{order_id}");
    let (status, edit) = page(&rep, &app, &order_path).await;
    assert_eq!(status, 200);
    assert!(edit.contains("value=\"120000\""), "the amount as a plain number");
    let fixed = [
        ("occurred_on", today.as_str()),
        ("channel", "visit"),
        ("kind", "order"),
        ("note", "签约（修正）"),
        ("amount", "15万"),
        ("version", "1"),
    ];
    assert_eq!(post(&rep, &app, &order_path, &fixed).await.1, format!("{detail_path}?ok=interactions.saved#timeline"));
    let (_, detail) = page(&rep, &app, &detail_path).await;
    assert!(detail.contains("15万") && detail.contains("签约（修正）"));
    let (status, location, _) = post(&rep, &app, &format!("{order_path}/delete"), &[]).await;
    assert_eq!((status, location), (303, format!("{detail_path}?ok=interactions.deleted#timeline")));
    let message = rally::ops::interactions::list(&app.store, &admin_actor(&app).await, id, 10).await.unwrap();
    assert_eq!(message.len(), 3);
    assert_eq!(heading_tier(&page(&rep, &app, &detail_path).await.1), "S", "still three");
    let (status, _, _) = post(&rep, &app, &format!("{detail_path}/contacts/{contact_id}/delete"), &[]).await;
    assert_eq!(status, 303);
    assert!(page(&rep, &app, &detail_path).await.1.contains("还没有联系人。"));
});

async fn admin_actor(app: &TestApp) -> rally::ops::authz::Actor {
    match app.store.user_by_email("root@example.com").await.unwrap() {
        Some(u) => u.into(),
        None => {
            app.user("root@example.com", "admin", None).await;
            app.store.user_by_email("root@example.com").await.unwrap().unwrap().into()
        }
    }
}

backend_test!(the_builder_writes_the_language_with_a_live_count, |app| {
    let ming = app.named_user("ming@example.com", "明", "rep", Some("华南")).await;
    let lead_user = app.named_user("lead@example.com", "王兰", "lead", None).await;
    let customers = [
        ("南一", "华南", Some(ming.id)),
        ("南二", "华南", None),
        ("南三", "华南", Some(lead_user.id)),
        ("东一", "华东", None),
    ];
    for (name, region, owner) in customers {
        add_customer(&app, name, region, owner).await;
    }
    let lead = app.browser_session("lead@example.com").await;
    let builder = "/customers/segment-preview?b=1&join=and&f0=region&o0=eq&v0=%E5%8D%8E%E5%8D%97\
                   &f1=annual_purchase&o1=ge&v1=500%E4%B8%87&q=%E5%8D%97&region=";
    let (status, preview) = page(&lead, &app, builder).await;
    assert_eq!(status, 200);
    assert!(
        preview.contains("<code data-expression>region = &#34;华南&#34; and annual_purchase &#62;= 500万</code>"),
        "{preview}"
    );
    assert!(preview.contains("data-count=\"3\""), "{preview}");
    assert!(
        preview.contains("href=\"/customers?q=%E5%8D%97&#38;region=&#38;segment=region+%3D"),
        "apply keeps the search: {preview}"
    );
    let rep = app.browser_session("ming@example.com").await;
    assert!(page(&rep, &app, builder).await.1.contains("data-count=\"2\""), "a rep counts what the rep sees");

    // A value the builder cannot read: the parser's error, positioned, in Chinese.
    let (_, bad) =
        page(&lead, &app, "/customers/segment-preview?b=1&f0=region&o0=eq&v0=x&f1=annual_purchase&o1=gt&v1=lots").await;
    assert!(bad.contains("data-error-position=\"36\""), "{bad}");
    assert!(bad.contains("条件 2：第 36 个字符处：应为以元为单位的金额"), "{bad}");
    assert!(bad.contains("<mark>&#34;</mark>lots"), "the position is marked in the text");
    let typed =
        "/customers/segment-preview?segment=region%20%3D%20%22%E5%8D%8E%E4%B8%9C%22%20and%20regoin%20%3D%20%22x%22";
    let (_, typo) = page(&lead, &app, typed).await;
    assert!(typo.contains("data-error-position=\"19\"") && typo.contains("第 19 个字符处：应为字段名"), "{typo}");
    let (_, ok) = page(&lead, &app, "/customers/segment-preview?segment=tier%20%3D%20c").await;
    assert!(ok.contains("data-count=\"4\""), "{ok}");

    // Changing a field re-renders the rows with the operators that fit it.
    let (_, rows) = page(&lead, &app, "/customers/segment-builder?b=1&f0=annual_purchase&o0=contains&v0=5&add=1").await;
    assert!(rows.contains("<option value=\"gt\">") && !rows.contains("value=\"contains\" selected"));
    assert_eq!(rows.matches("class=\"seg-row\"").count(), 2, "one row added");
    let (_, rows) = page(&lead, &app, "/customers/segment-builder?b=1&f0=city&v0=a&f1=name&v1=b&drop=0").await;
    assert_eq!(rows.matches("class=\"seg-row\"").count(), 1);
    assert!(rows.contains("name=\"v0\" type=\"text\" value=\"b\""), "the rows renumber");

    // Without JavaScript the builder is a GET form on the list page.
    let (status, list) = page(&lead, &app, "/customers?b=1&join=or&f0=region&o0=eq&v0=%E5%8D%8E%E4%B8%9C&add=1").await;
    assert_eq!(status, 200);
    assert!(list.contains("<details class=\"card builder-box\" open>"));
    assert_eq!(list.matches("class=\"seg-row\"").count(), 2);
    assert!(list.contains("data-count=\"1\"") && list.contains("value=\"or\" checked"));

    // An applied segment fills the builder, works with q and region, and pages.
    for n in 0..55 {
        add_customer(&app, &format!("批量{n:02}"), "华东", None).await;
    }
    let applied = "/customers?q=%E6%89%B9%E9%87%8F&region=%E5%8D%8E%E4%B8%9C&segment=tier%20%3D%20%22C%22%20and%20city%20%3D%20%22%E5%B9%BF%E5%B7%9E%22";
    let (_, list) = page(&lead, &app, applied).await;
    assert!(list.contains("data-total=\"55\""), "q, region and segment together");
    assert!(list.contains("name=\"v1\" type=\"text\" value=\"广州\""), "the builder shows the applied filter");
    let next = attr_near(&list, ">下一页<", "href").replace("&#38;", "&");
    assert!(
        next.contains("segment=tier+%3D") && next.contains("region=%E5%8D%8E%E4%B8%9C") && next.contains("cursor=")
    );
    let (_, second) = page(&lead, &app, &next).await;
    assert_eq!(second.matches("<tr>").count(), 1 + 5, "header and the last five");
    // The tier counts load after the list, for the same filter.
    let tiers = &list[list.find("class=\"tier-counts\"").unwrap()..];
    let counts_url = tiers.split("hx-get=\"").nth(1).unwrap().split('"').next().unwrap().replace("&#38;", "&");
    let (_, counts) = page(&lead, &app, &counts_url).await;
    assert!(
        counts.contains("data-tier=\"C\"><span class=\"tier tier-C\">C</span> <span class=\"n\">55</span>"),
        "{counts}"
    );
    let (_, broken) = page(&lead, &app, "/customers?segment=tier%20%3E%20S").await;
    assert!(broken.contains("第 6 个字符处") && broken.contains("data-total=\"0\""));
});

backend_test!(segments_are_saved_and_deleted_by_their_authors_and_leads, |app| {
    app.named_user("ming@example.com", "明", "rep", Some("华南")).await;
    app.named_user("fang@example.com", "芳", "rep", Some("华北")).await;
    app.named_user("lead@example.com", "王兰", "lead", None).await;
    app.named_user("boss@example.com", "上级", "viewer", None).await;
    let ming = app.browser_session("ming@example.com").await;
    let (_, list) = page(&ming, &app, "/customers?segment=region%20%3D%20%22%E5%8D%8E%E5%8D%97%22").await;
    assert!(list.contains("action=\"/customers/segments\""), "a save form for the applied filter");
    let save = [("name", "华南客户"), ("expression", "REGION = “华南”"), ("q", ""), ("region", "")];
    let (status, location, _) = post(&ming, &app, "/customers/segments", &save).await;
    assert_eq!(status, 303);
    assert!(location.ends_with("&ok=segments.saved") && location.contains("segment=region+%3D+%22"), "{location}");
    let (_, list) = page(&ming, &app, &location).await;
    assert!(list.contains("筛选已保存。") && list.contains(">华南客户</a>"));
    assert!(list.contains("<code>region = &#34;华南&#34;</code>"), "stored in standard form");
    let (status, _, html) = post(&ming, &app, "/customers/segments", &save).await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"save-name-err\"") && html.contains("已有同名的筛选"));

    let segment_id = app.store.saved_segments().await.unwrap()[0].id;
    let delete = format!("/customers/segments/{segment_id}/delete");
    let fang = app.browser_session("fang@example.com").await;
    assert!(!page(&fang, &app, "/customers").await.1.contains(&delete), "not the author");
    assert_eq!(post(&fang, &app, &delete, &[]).await.0, 403);
    let boss = app.browser_session("boss@example.com").await;
    let (_, list) = page(&boss, &app, "/customers?segment=tier%20%3D%20%22S%22").await;
    assert!(!list.contains("action=\"/customers/segments\""), "viewers do not save");
    let lead = app.browser_session("lead@example.com").await;
    assert!(page(&lead, &app, "/customers").await.1.contains(&delete));
    let (status, location, _) = post(&lead, &app, &delete, &[]).await;
    assert_eq!((status, location.as_str()), (303, "/customers?ok=segments.deleted"));
    assert!(app.store.saved_segments().await.unwrap().is_empty());
});

backend_test!(tier_thresholds_are_set_on_their_settings_page, |app| {
    let ming = app.named_user("ming@example.com", "明", "rep", Some("华南")).await;
    app.named_user("lead@example.com", "王兰", "lead", None).await;
    let id = add_customer(&app, "A公司", "华南", Some(ming.id)).await;
    let rep = app.browser_session("ming@example.com").await;
    let log = format!("/customers/{id}/interactions");
    let today = rally::clock::today().to_string();
    for kind in ["call", "visit"] {
        let fields = [("occurred_on", today.as_str()), ("channel", "phone"), ("kind", kind)];
        assert_eq!(post(&rep, &app, &log, &fields).await.0, 303);
    }
    assert_eq!(heading_tier(&page(&rep, &app, &format!("/customers/{id}")).await.1), "C");

    let (status, settings) = page(&rep, &app, "/settings/tiers").await;
    assert_eq!(status, 200);
    assert!(
        settings.contains("S 级：近 30 天内至少 3 次互动") && settings.contains("B 级：不是 S 级，且近 60 天内有询盘")
    );
    assert!(!settings.contains("action=\"/settings/tiers\""), "read-only for reps");
    let rules = [("s_window_days", "30"), ("s_min_interactions", "2"), ("b_window_days", "90")];
    assert_eq!(post(&rep, &app, "/settings/tiers", &rules).await.0, 403);

    let lead = app.browser_session("lead@example.com").await;
    assert!(page(&lead, &app, "/settings/team").await.1.contains("href=\"/settings/tiers\""));
    let (_, settings) = page(&lead, &app, "/settings/tiers").await;
    assert!(settings.contains("action=\"/settings/tiers\"") && settings.contains("id=\"t-s-min\""));
    let (status, _, html) = post(
        &lead,
        &app,
        "/settings/tiers",
        &[("s_window_days", "30"), ("s_min_interactions", "0"), ("b_window_days", "abc")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"t-b-days-err\"") && html.contains("value=\"abc\""), "the form's own check");
    let (status, _, html) = post(
        &lead,
        &app,
        "/settings/tiers",
        &[("s_window_days", "30"), ("s_min_interactions", "0"), ("b_window_days", "60")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"t-s-min-err\"") && html.contains("请输入 1 到 100 之间的整数。"), "ops' range");
    let (status, location, _) = post(&lead, &app, "/settings/tiers", &rules).await;
    assert_eq!((status, location.as_str()), (303, "/settings/tiers?ok=tiers.saved"));
    let (_, settings) = page(&lead, &app, &location).await;
    assert!(settings.contains("分级规则已保存") && settings.contains("S 级：近 30 天内至少 2 次互动"));
    assert!(settings.contains("data-tier-count=\"S\">1<"));
    assert_eq!(heading_tier(&page(&rep, &app, &format!("/customers/{id}")).await.1), "S", "two now make S");
});

backend_test!(every_customer_page_renders_for_every_role, |app| {
    let lead = app.user("owner-lead@example.com", "lead", None).await;
    for role in ROLES {
        let email = format!("{role}@example.com");
        let user = app.user(&email, role, (role == "rep").then_some("华南")).await;
        let owner = if role == "rep" { user.id } else { lead.id };
        let id = add_customer(&app, &format!("{role}的客户"), "华南", Some(owner)).await;
        let mut tx = app.store.begin().await.unwrap();
        let contact = rally::store::contacts::insert_contact(
            &mut tx,
            id,
            &rally::store::customers::NewContact { name: "张总".into(), ..Default::default() },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let actor: rally::ops::authz::Actor = app.store.user_by_email(&email).await.unwrap().unwrap().into();
        let fields = rally::ops::interactions::InteractionFields {
            channel: Some("phone".into()),
            kind: Some("inquiry".into()),
            ..Default::default()
        };
        let logger = if matches!(role, "marketing" | "support" | "viewer") { admin_actor(&app).await } else { actor };
        let interaction = rally::ops::interactions::create(&app.store, &logger, id, fields).await.unwrap();
        let browser = app.browser_session(&email).await;
        let writes = matches!(role, "admin" | "lead" | "rep");
        let logs = writes || role == "service";
        let pages = [
            ("/customers".to_owned(), 200),
            (
                "/customers?segment=tier%20in%20%5B%22S%22%2C%22B%22%5D&q=%E7%9A%84&region=%E5%8D%8E%E5%8D%97"
                    .to_owned(),
                200,
            ),
            ("/customers?b=1&f0=tier&o0=in&v0=S%E3%80%81B&add=1".to_owned(), 200),
            (format!("/customers/{id}"), 200),
            ("/customers/new".to_owned(), if writes { 200 } else { 403 }),
            (format!("/customers/{id}/edit"), if writes { 200 } else { 403 }),
            (format!("/customers/{id}/contacts/{contact}"), if writes { 200 } else { 403 }),
            (format!("/customers/{id}/interactions/{interaction}"), if logs { 200 } else { 403 }),
            ("/settings/tiers".to_owned(), 200),
            ("/customers/segment-preview?b=1&f0=region&o0=eq&v0=%E5%8D%8E%E5%8D%97".to_owned(), 200),
            ("/customers/segment-builder?b=1&f0=last_inquiry&o0=within&v0=90".to_owned(), 200),
        ];
        for (path, expected) in pages {
            let (status, html) = page(&browser, &app, &path).await;
            assert_eq!(status, expected, "{role} {path}");
            if !path.contains("/segment-") {
                assert!(html.contains("<main"), "{role} {path}");
            }
            assert!(!html.contains(" style=\""), "{role} {path}: inline styles break the CSP");
            assert!(!html.contains("<script>") && !html.contains("t.get("), "{role} {path}");
            for key in ["segment.", "customer.", "interaction.", "contact.", "form.", "tiers."] {
                assert!(!html.contains(&format!(">{key}")), "{role} {path}: an untranslated key {key}…");
            }
        }
        let (_, detail) = page(&browser, &app, &format!("/customers/{id}")).await;
        assert_eq!(detail.contains("/audit/customer/"), matches!(role, "admin" | "lead"), "{role}: history link");
        assert_eq!(detail.contains("内部备注"), !matches!(role, "marketing" | "support"), "{role}: notes");
    }
    let browser = app.browser_session("lead@example.com").await;
    assert_eq!(page(&browser, &app, "/customers/999999").await.0, 404);
    assert_eq!(page(&browser, &app, "/customers/abc/edit").await.0, 404);
});

backend_test!(names_with_script_tags_are_shown_as_text, |app| {
    app.user("lead@example.com", "lead", None).await;
    let lead = app.browser_session("lead@example.com").await;
    const NAME: &str = "<script>alert(1)</script>公司";
    const ESCAPED: &str = "&#60;script&#62;alert(1)&#60;/script&#62;公司";
    let (status, location, _) =
        post(&lead, &app, "/customers", &[("name", NAME), ("tags", "<b>标签</b>"), ("notes", "<img src=x>")]).await;
    assert_eq!(status, 303);
    let id = id_from_location(&location);
    let log = format!("/customers/{id}/interactions");
    let today = rally::clock::today().to_string();
    let note =
        [("occurred_on", today.as_str()), ("channel", "phone"), ("kind", "call"), ("note", "<script>x()</script>")];
    assert_eq!(post(&lead, &app, &log, &note).await.0, 303);
    let save = [("name", "<i>筛选</i>"), ("expression", "name contains \"<script>\"")];
    assert_eq!(post(&lead, &app, "/customers/segments", &save).await.0, 303);
    for path in [
        "/customers".to_owned(),
        format!("/customers/{id}"),
        format!("/customers/{id}/edit"),
        "/customers?segment=name%20contains%20%22%3Cscript%3E%22".to_owned(),
        "/customers/segment-preview?b=1&f0=name&o0=contains&v0=%3Cscript%3E".to_owned(),
        "/customers/segment-preview?segment=%3Cscript%3E".to_owned(),
    ] {
        let (status, html) = page(&lead, &app, &path).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            !html.contains("<script>")
                && !html.contains("<img src")
                && !html.contains("<b>标签")
                && !html.contains("<i>筛选"),
            "{path}: raw markup"
        );
        if !path.contains("segment-preview") && !path.contains("segment=") {
            assert!(html.contains(ESCAPED), "{path}: the name as text");
        }
    }
    let (_, list) = page(&lead, &app, "/customers?segment=name%20contains%20%22%3Cscript%3E%22").await;
    assert!(list.contains("data-total=\"1\"") && list.contains("&#60;i&#62;筛选&#60;/i&#62;"));
});
