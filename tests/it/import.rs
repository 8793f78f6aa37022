//! Customer and interaction import (API, CLI, the upload → preview →
//! confirm pages) and customer export, on both backends, with the committed
//! fixtures made by openpyxl and Python's csv module.

use std::process::Output;

use reqwest::Method;
use serde_json::Value;

use crate::backend_test;
use crate::helpers::{
    Backend, TestApp, TestUser, add_customer, follow_import, fresh_database, get_page, hidden_csrf, rally, scalar,
    spawn_app, spawn_app_tuned, spawn_on,
};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const EXPORT_HEADER: &str =
    "客户名称,统一社会信用代码,所属行业,区域,城市,年采购额,联系人,电话,邮箱,负责人,分级,最近跟进,最近询盘,来源";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap()
}

fn fixture_path(name: &str) -> String {
    format!("{}/tests/fixtures/import/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The people the fixtures name as owners, plus an admin and a lead.
struct Team {
    admin: TestUser,
    lead: TestUser,
    ming: TestUser,
    fang: TestUser,
}

async fn team(app: &TestApp) -> Team {
    let admin = app.user("admin@example.com", "admin", None).await;
    let lead = app.user("lead@example.com", "lead", None).await;
    let ming = app.user("ming@rally.example", "rep", Some("华南")).await;
    let fang = app.user("fang@rally.example", "rep", Some("华北")).await;
    app.user("gang@rally.example", "rep", Some("华东")).await;
    Team { admin, lead, ming, fang }
}

/// `POST /api/v1/imports/{kind}?{query}` with a file body.
async fn import(
    app: &TestApp,
    user: &TestUser,
    kind: &str,
    query: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let response = app
        .api(user, Method::POST, &format!("/api/v1/imports/{kind}?{query}"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}")))
}

fn counts(report: &Value) -> [u64; 4] {
    ["created", "updated", "skipped", "rejected"].map(|k| report[k].as_u64().unwrap_or_else(|| panic!("{report}")))
}

/// Every visible customer, keyed by name.
async fn customers(app: &TestApp, user: &TestUser) -> Vec<Value> {
    let page: Value =
        app.api(user, Method::GET, "/api/v1/customers?limit=200").send().await.unwrap().json().await.unwrap();
    page["items"].as_array().unwrap().clone()
}

fn named<'a>(list: &'a [Value], name: &str) -> &'a Value {
    list.iter().find(|c| c["name"] == name).unwrap_or_else(|| panic!("no {name} in {list:?}"))
}

async fn export(app: &TestApp, user: &TestUser, query: &str) -> (String, Vec<u8>) {
    let response = app.api(user, Method::GET, &format!("/api/v1/customers/export?{query}")).send().await.unwrap();
    assert_eq!(response.status(), 200, "export {query}");
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    (content_type, response.bytes().await.unwrap().to_vec())
}

backend_test!(the_three_fixture_files_import_the_same_customers, |app| {
    let files = [("customers_gbk.csv", "text/csv"), ("customers_utf8_bom.csv", "text/csv"), ("customers.xlsx", XLSX)];
    let mut exports = Vec::new();
    let mut others = Vec::new();
    for (i, (file, content_type)) in files.iter().enumerate() {
        if i > 0 {
            others.push(spawn_app(app.backend).await.unwrap());
        }
        let target = if i == 0 { &app } else { others.last().unwrap() };
        let t = team(target).await;
        let (status, report) = import(target, &t.admin, "customers", "", content_type, fixture(file)).await;
        assert_eq!(status, 200, "{file}: {report}");
        assert_eq!(counts(&report), [10, 0, 0, 0], "{file}: {report}");
        assert_eq!(report["ignored_columns"], serde_json::json!(["建档日期"]), "{file}");
        exports.push(export(target, &t.lead, "format=csv").await.1);

        let list = customers(target, &t.lead).await;
        assert_eq!(list.len(), 10, "{file}");
        let a = named(&list, "A公司");
        assert_eq!(a["credit_code"], "91350100M000100Y43");
        assert_eq!(a["annual_purchase"], 5_000_000.0);
        assert_eq!(a["owner_email"], "ming@rally.example");
        assert_eq!(a["region"], "华南");
        assert_eq!(a["source"], "展会", "the file's 来源 column");
        assert_eq!(named(&list, "B贸易")["credit_code"], "91440300MA5F0B0B02", "upper-cased");
        assert_eq!(named(&list, "H物流")["owner_email"], Value::Null, "no owner: unassigned");
        assert_eq!(named(&list, "G精密机械")["annual_purchase"], 0.0);
    }
    assert_eq!(exports[0], exports[1], "GBK CSV and UTF-8 CSV give the same customers");
    assert_eq!(exports[0], exports[2], "CSV and XLSX give the same customers");

    // A second import of the same file creates nothing.
    let admin = team_user(&app, "admin@example.com").await;
    let (status, report) = import(&app, &admin, "customers", "", "text/csv", fixture("customers_gbk.csv")).await;
    assert_eq!(status, 200);
    assert_eq!(counts(&report), [0, 0, 10, 0], "{report}");
    assert_eq!(app.store.count_customers().await.unwrap(), 10);
});

/// A token for an existing user.
async fn team_user(app: &TestApp, email: &str) -> TestUser {
    let user = app.store.user_by_email(email).await.unwrap().unwrap();
    let token = rally::ops::users::create_token(&app.store, email, "again").await.unwrap();
    TestUser { id: user.id, email: email.to_owned(), role: user.role.as_str().to_owned(), token }
}

backend_test!(bad_rows_import_nothing_unless_partial, |app| {
    let t = team(&app).await;
    let bad = fixture("customers_bad_rows.csv");
    let (status, body) = import(&app, &t.admin, "customers", "", "text/csv", bad.clone()).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "rejected_rows");
    assert!(body["error"]["message"].is_string());
    let report = &body["report"];
    assert_eq!(report["status"], "rejected");
    assert_eq!(counts(report), [0, 0, 0, 7]);
    let errors: Vec<(u64, &str, &str)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_u64().unwrap(), e["column"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        errors,
        [
            (3, "客户名称", "required"),
            (4, "年采购额", "amount_negative"),
            (5, "年采购额", "amount_invalid"),
            (6, "统一社会信用代码", "credit_code_check"),
            (7, "邮箱", "email_invalid"),
            (8, "电话", "phone_invalid"),
            (8, "负责人", "email_invalid"),
            (10, "统一社会信用代码", "credit_code_length"),
        ]
    );
    assert_eq!(report["errors"][2]["value"], "abc", "the report shows the bad cell");
    assert_eq!(app.store.count_customers().await.unwrap(), 0, "nothing imported");

    let (status, report) =
        import(&app, &t.admin, "customers", "partial=true&dry_run=true", "text/csv", bad.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(report["status"], "dry_run");
    assert_eq!(counts(&report), [2, 0, 2, 7], "{report}");
    assert_eq!(app.store.count_customers().await.unwrap(), 0, "a dry run writes nothing");

    let (status, report) = import(&app, &t.admin, "customers", "partial=true", "text/csv", bad).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["status"], "imported");
    // Row 9 repeats row 2's credit code; row 11 is row 2 by name and phone.
    assert_eq!(counts(&report), [2, 0, 2, 7], "{report}");
    let codes: Vec<&str> = report["warnings"].as_array().unwrap().iter().map(|w| w["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["duplicate_credit_code", "duplicate_name_phone"]);
    let list = customers(&app, &t.admin).await;
    let mut names: Vec<&str> = list.iter().map(|c| c["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    assert_eq!(names, ["A公司", "L公司"], "exactly the good rows");
    assert_eq!(named(&list, "L公司")["annual_purchase"], 150_000_000.0, "1.5亿");
});

backend_test!(duplicates_are_skipped_or_updated, |app| {
    let t = team(&app).await;
    let first = "客户名称,统一社会信用代码,所属行业,区域,城市,年采购额,联系人,电话,负责人,标签\n\
                 A公司,91350100M000100Y43,制造业,华南,广州,500万,王总,13800138000,ming@rally.example,S级\n\
                 G精密机械,,制造业,华东,苏州,,,,,C级\n";
    let (status, report) = import(&app, &t.admin, "customers", "", "text/csv", first.into()).await;
    assert_eq!((status, counts(&report)), (200, [2, 0, 0, 0]), "{report}");

    // The same companies written differently, and one new company.
    let second = "客户名称,统一社会信用代码,所属行业,区域,城市,年采购额,联系人,电话,负责人,标签\n\
                  A有限公司,91350100M000100Y43,,华南,深圳,600万,李工,13900139000,,重点\n\
                  G精密机械有限公司,,电子,,,,,,,\n\
                  H新客户,,,华东,,,,,,\n";
    let (status, report) = import(&app, &t.admin, "customers", "", "text/csv", second.into()).await;
    assert_eq!((status, counts(&report)), (200, [1, 0, 2, 0]), "skip is the default: {report}");
    let a = named(&customers(&app, &t.admin).await, "A公司").clone();
    assert_eq!((a["city"].as_str(), a["version"].as_i64()), (Some("广州"), Some(1)), "skipped: unchanged");

    let (status, report) = import(&app, &t.admin, "customers", "on_duplicate=update", "text/csv", second.into()).await;
    assert_eq!((status, counts(&report)), (200, [0, 2, 1, 0]), "H新客户 changes nothing: {report}");
    let list = customers(&app, &t.admin).await;
    let a = named(&list, "A有限公司");
    assert_eq!(a["city"], "深圳");
    assert_eq!(a["industry"], "制造业", "a blank cell keeps the stored value");
    assert_eq!(a["annual_purchase"], 6_000_000.0);
    assert_eq!(a["owner_email"], "ming@rally.example", "no owner on the row: kept");
    assert_eq!(a["version"], 2, "the version is bumped");
    let g = named(&list, "G精密机械有限公司");
    assert_eq!(g["industry"], "电子", "found by name alone: neither side has a code or phone");
    assert_eq!(g["city"], "苏州");
    let id = a["id"].as_i64().unwrap();
    assert_eq!(scalar(&app, &format!("SELECT COUNT(*) FROM contacts WHERE customer_id = {id}")).await, 2);
    assert_eq!(scalar(&app, &format!("SELECT COUNT(*) FROM customer_tags WHERE customer_id = {id}")).await, 2);
    let history = app.store.audit_of("customer", id).await.unwrap();
    let update = history.iter().find(|h| h.action == "update").expect("an update record");
    assert_eq!(update.actor_email, "admin@example.com");
    assert_eq!(update.before.as_ref().unwrap()["city"], "广州");
    assert_eq!(update.after.as_ref().unwrap()["city"], "深圳");
    assert_eq!(update.after.as_ref().unwrap()["version"], 2);

    // Each applied import leaves one audit record listing what it created,
    // and that record is part of each created customer's history.
    let imports = scalar(&app, "SELECT COUNT(*) FROM imports").await;
    assert_eq!(imports, 3);
    let created = app.store.audit_of("import", 1).await.unwrap();
    assert_eq!(created[0].after.as_ref().unwrap()["customer_ids"], serde_json::json!([[1, 2]]));
    let history: Value = app
        .api(&t.lead, Method::GET, &format!("/api/v1/audit/customer/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries: Vec<(&str, &str)> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["object_type"].as_str().unwrap(), h["action"].as_str().unwrap()))
        .collect();
    assert_eq!(entries, [("import", "create"), ("customer", "update")], "{history}");
    assert_eq!(history["items"][0]["after"]["file_name"], "");

    // Name and phone find the customer when the credit code is not given.
    let third = "客户名称,电话\nA有限公司,+86 139-0013-9000\n";
    let (_, report) = import(&app, &t.admin, "customers", "", "text/csv", third.into()).await;
    assert_eq!(counts(&report), [0, 0, 1, 0], "{report}");
    assert_eq!(report["warnings"][0]["code"], "duplicate_name_phone");
});

backend_test!(owners_regions_and_reps_are_checked, |app| {
    let t = team(&app).await;
    let marketing = app.user("mkt@example.com", "marketing", None).await;
    let file = "客户名称,区域,负责人\n\
                甲公司,华南,nobody@example.com\n\
                乙公司,华南,lead@example.com\n\
                丙公司,火星,\n\
                丁公司,华北,fang@rally.example\n";
    let (status, body) = import(&app, &t.admin, "customers", "", "text/csv", file.into()).await;
    assert_eq!(status, 422);
    let errors: Vec<(u64, &str)> = body["report"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_u64().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(errors, [(2, "owner_unknown"), (3, "owner_not_rep"), (4, "region_unknown")]);
    assert_eq!(body["report"]["errors"][0]["column"], "负责人");
    assert_eq!(body["report"]["errors"][0]["value"], "nobody@example.com");

    // A rep's new customers are theirs; they cannot hand customers to another rep.
    let (status, report) = import(&app, &t.ming, "customers", "", "text/csv", "客户名称\n明的新客户\n".into()).await;
    assert_eq!((status, counts(&report)), (200, [1, 0, 0, 0]), "{report}");
    assert_eq!(named(&customers(&app, &t.admin).await, "明的新客户")["owner_email"], "ming@rally.example");
    let file = "客户名称,负责人\n给芳的客户,fang@rally.example\n自己的客户,MING@rally.example\n";
    let (status, body) = import(&app, &t.ming, "customers", "partial=true", "text/csv", file.into()).await;
    assert_eq!((status, counts(&body)), (200, [1, 0, 0, 1]), "{body}");
    assert_eq!(body["errors"][0]["code"], "owner_not_self");

    // A rep may not update another rep's customer, nor see it from an import.
    add_customer(&app, "芳的老客户", "华北", Some(t.fang.id)).await;
    let (status, body) =
        import(&app, &t.ming, "customers", "on_duplicate=update", "text/csv", "客户名称\n芳的老客户\n".into()).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["report"]["errors"][0]["code"], "duplicate_not_yours");

    let (status, body) = import(&app, &marketing, "customers", "", "text/csv", "客户名称\nX\n".into()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("forbidden")));
});

backend_test!(interaction_imports_keep_activity_and_tiers_current, |app| {
    let t = team(&app).await;
    let today = rally::clock::today();
    let day = |n: i64| (today - chrono::Duration::days(n)).format("%Y-%m-%d").to_string();
    let customers_file = "客户名称,统一社会信用代码,负责人\n\
                          A公司,91350100M000100Y43,ming@rally.example\n\
                          B贸易,91440300MA5F0B0B02,\n\
                          同名公司,91330200MA2X0X0X08,\n\
                          同名公司,91330300MA2Y0Y0Y08,\n\
                          芳的客户,,fang@rally.example\n";
    let (status, report) = import(&app, &t.admin, "customers", "", "text/csv", customers_file.into()).await;
    assert_eq!((status, counts(&report)), (200, [5, 0, 0, 0]), "{report}");

    let file = format!(
        "客户名称,统一社会信用代码,日期,方式,类型,备注,金额\n\
         A公司,,{},电话,,回访,\n\
         A公司,,{} 14:00,上门拜访,,介绍新品A,\n\
         ,91350100M000100Y43,{},邮件,询盘,询价,\n\
         别名,91440300MA5F0B0B02,{},微信,询盘,,\n\
         不存在公司,,{},电话,,,\n\
         同名公司,,{},电话,,,\n\
         A公司,,{},电话,,明天的事,\n",
        day(1),
        day(2),
        day(3),
        day(40),
        day(1),
        day(1),
        day(-1)
    );
    let (status, body) = import(&app, &t.lead, "interactions", "", "text/csv", file.clone().into()).await;
    assert_eq!(status, 422, "{body}");
    let errors: Vec<(u64, &str)> = body["report"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_u64().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(errors, [(6, "customer_not_found"), (7, "customer_ambiguous"), (8, "date_in_future")]);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM interactions").await, 0);

    let (status, report) = import(&app, &t.lead, "interactions", "partial=true", "text/csv", file.clone().into()).await;
    assert_eq!((status, counts(&report)), (200, [4, 0, 0, 3]), "{report}");
    let list = customers(&app, &t.lead).await;
    let a = named(&list, "A公司");
    assert_eq!(a["tier"], "S", "three interactions in the last 30 days");
    assert_eq!(a["last_interaction_on"], day(1));
    assert_eq!(a["last_inquiry_on"], day(3));
    let b = named(&list, "B贸易");
    assert_eq!(b["tier"], "B", "an inquiry in the last 60 days, found by credit code");
    assert_eq!(b["last_inquiry_on"], day(40));

    // The same sheet again logs nothing twice.
    let (_, report) = import(&app, &t.lead, "interactions", "partial=true", "text/csv", file.into()).await;
    assert_eq!(counts(&report), [0, 0, 4, 3], "{report}");

    // A rep cannot log follow-ups on another rep's customer: it is not there for them.
    let file = format!("客户名称,日期,类型\n芳的客户,{},call\n", day(1));
    let (status, body) = import(&app, &t.ming, "interactions", "", "text/csv", file.into()).await;
    assert_eq!(status, 422);
    assert_eq!(body["report"]["errors"][0]["code"], "customer_not_found");

    // The team's own follow-up sheet (客户/联系人, 时间, 方式, 摘要, 反馈, 下一步).
    let (status, report) = import(&app, &t.admin, "customers", "", "text/csv", fixture("customers_utf8_bom.csv")).await;
    assert_eq!(status, 200, "{report}");
    let (status, report) = import(&app, &t.admin, "interactions", "", XLSX, fixture("interactions.xlsx")).await;
    assert_eq!((status, counts(&report)), (200, [5, 0, 0, 0]), "{report}");
    let note: String = {
        let mut tx = app.store.begin().await.unwrap();
        let sql = "SELECT note FROM interactions WHERE kind = 'order'";
        match &mut tx {
            rally::store::Tx::Sqlite(t) => sqlx::query_scalar(sql).fetch_one(&mut **t).await.unwrap(),
            rally::store::Tx::Postgres(t) => sqlx::query_scalar(sql).fetch_one(&mut **t).await.unwrap(),
        }
    };
    assert_eq!(note, "确认首批订单\n联系人：孙总\n反馈：签约\n下一步：安排物流发货");
});

backend_test!(the_api_refuses_what_it_cannot_read, |app| {
    let t = team(&app).await;
    let cases: [(&str, &str, &[u8], u16, &str); 6] = [
        ("", "application/json", b"{}", 415, "unsupported_media_type"),
        ("on_duplicate=maybe", "text/csv", "客户名称\nA\n".as_bytes(), 422, "invalid"),
        ("dry_run=perhaps", "text/csv", "客户名称\nA\n".as_bytes(), 422, "invalid"),
        ("", "text/csv", b"", 422, "file_empty"),
        (
            "",
            "application/vnd.ms-excel",
            &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0],
            422,
            "file_legacy_xls",
        ),
        ("", "text/csv", "城市,行业\n广州,制造业\n".as_bytes(), 422, "column_missing"),
    ];
    for (query, content_type, body, status, code) in cases {
        let (got, answer) = import(&app, &t.admin, "customers", query, content_type, body.to_vec()).await;
        assert_eq!((got, answer["error"]["code"].as_str()), (status, Some(code)), "{query} {content_type}: {answer}");
    }
    assert_eq!(app.store.count_customers().await.unwrap(), 0);
});

backend_test!(two_imports_at_once_create_each_customer_once, |app| {
    let t = team(&app).await;
    let other = spawn_on(&app.database_url).await;
    let (first, second) = tokio::join!(
        import(&app, &t.admin, "customers", "", "text/csv", fixture("customers_gbk.csv")),
        import(&other, &t.admin, "customers", "", "text/csv", fixture("customers_gbk.csv")),
    );
    assert_eq!((first.0, second.0), (200, 200));
    assert_eq!(counts(&first.1)[0] + counts(&second.1)[0], 10, "{} {}", first.1, second.1);
    assert_eq!(app.store.count_customers().await.unwrap(), 10);
});

backend_test!(exports_reimport_as_duplicates_and_respect_visibility, |app| {
    let t = team(&app).await;
    let (status, _) = import(&app, &t.admin, "customers", "", "text/csv", fixture("customers_gbk.csv")).await;
    assert_eq!(status, 200);

    let (content_type, csv) = export(&app, &t.admin, "format=csv").await;
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM for Excel");
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], EXPORT_HEADER);
    assert_eq!(lines.len(), 11);
    assert!(
        lines[1].starts_with("A公司,91350100M000100Y43,制造业,华南,广州,5000000,王总,13800138000,"),
        "{}",
        lines[1]
    );

    // An exported file imports again as ten duplicates, in either format.
    let (status, report) = import(&app, &t.admin, "customers", "", "text/csv", csv.clone()).await;
    assert_eq!((status, counts(&report)), (200, [0, 0, 10, 0]), "{report}");
    assert_eq!(report["ignored_columns"], serde_json::json!(["分级", "最近跟进", "最近询盘"]));
    let (status, report) = import(&app, &t.admin, "customers", "on_duplicate=update", "text/csv", csv).await;
    assert_eq!(
        (status, counts(&report)),
        (200, [0, 0, 10, 0]),
        "updating with the same values changes nothing: {report}"
    );
    let (content_type, xlsx) = export(&app, &t.admin, "format=xlsx").await;
    assert_eq!(content_type, XLSX);
    let (status, report) = import(&app, &t.admin, "customers", "", XLSX, xlsx).await;
    assert_eq!((status, counts(&report)), (200, [0, 0, 10, 0]), "{report}");

    // A rep exports what their list shows: their own and the unassigned.
    let (_, mine) = export(&app, &t.ming, "").await;
    let mine = String::from_utf8(mine[3..].to_vec()).unwrap();
    let names: Vec<&str> = mine.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(names, ["A公司", "B贸易", "H物流", "I食品"]);
    assert!(mine.lines().skip(1).all(|l| l.contains(",ming@rally.example,") || l.contains(",,C,")), "{mine}");

    // Filters apply as on the list.
    let (_, east) = export(&app, &t.lead, "region=%E5%8D%8E%E4%B8%9C").await;
    assert_eq!(String::from_utf8(east).unwrap().lines().count(), 1 + 5, "华东 only");
    let bad = app.api(&t.lead, Method::GET, "/api/v1/customers/export?segment=region%20%3D").send().await.unwrap();
    assert_eq!(bad.status(), 422);
    let bad = app.api(&t.lead, Method::GET, "/api/v1/customers/export?format=pdf").send().await.unwrap();
    assert_eq!(bad.status(), 422);
});

/// A multipart body with the import form's two fields.
fn multipart(kind: &str, file_name: &str, content_type: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "rally-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

backend_test!(the_import_pages_upload_preview_and_confirm_across_servers, |app| {
    team(&app).await;
    let browser = app.browser_session("lead@example.com").await;
    let list = browser.get(app.url("/customers")).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("href=\"/customers/import\""), "the customers page links the import");
    assert!(list.contains("/api/v1/customers/export?format=csv"), "and the export");
    let page = browser.get(app.url("/customers/import")).send().await.unwrap().text().await.unwrap();
    let csrf = hidden_csrf(&page);
    assert!(
        page.contains("action=\"/customers/import\"") && !page.contains("csrf="),
        "multipart forms carry the token in a field, never in the URL"
    );

    let (content_type, body) = multipart("customers", "bad.csv", "text/csv", &fixture("customers_bad_rows.csv"));
    let forged = browser
        .post(app.url("/customers/import"))
        .header("content-type", &content_type)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403, "no CSRF token, no upload");
    let uploaded = browser
        .post(app.url("/customers/import"))
        .header("x-csrf-token", &csrf)
        .header("content-type", &content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), 303);
    let preview_path = uploaded.headers()["location"].to_str().unwrap().to_owned();
    assert!(preview_path.starts_with("/customers/import/"), "{preview_path}");

    // Another server instance continues the flow: the file is in the database.
    let second = spawn_on(&app.database_url).await;
    let preview = browser.get(second.url(&preview_path)).send().await.unwrap();
    assert_eq!(preview.status(), 200);
    let html = preview.text().await.unwrap();
    assert!(html.contains("id=\"bad-rows\""), "the bad rows are listed");
    for row in [3, 4, 5, 6, 7, 8, 10] {
        assert!(html.contains(&format!("<td class=\"num-col\">{row}</td>")), "row {row} listed");
    }
    assert!(html.contains("金额不能为负数"), "reasons in the team's language");
    assert!(html.contains("name=\"col4\""), "a mapping select per column");
    assert!(html.contains("value=\"city\" selected"), "the detected mapping");

    // The mapping can change: leave the city out.
    let mut form: Vec<(String, String)> = vec![("csrf".into(), csrf.clone()), ("action".into(), "recheck".into())];
    let detected = [
        "name",
        "credit_code",
        "industry",
        "region",
        "",
        "annual_purchase",
        "contact",
        "title",
        "phone",
        "email",
        "owner",
        "tags",
        "pain_points",
        "source",
        "",
    ];
    for (i, field) in detected.iter().enumerate() {
        form.push((format!("col{i}"), (*field).to_owned()));
    }
    let rechecked = browser.post(second.url(&preview_path)).form(&form).send().await.unwrap();
    assert_eq!(rechecked.status(), 200);
    let again = browser.get(app.url(&preview_path)).send().await.unwrap().text().await.unwrap();
    assert!(!again.contains("value=\"city\" selected"), "the chosen mapping is remembered");

    // Confirm without "partial": the import runs in the background and the
    // confirm answers at once with its progress page, which ends on the
    // preview with the notice: rejected, nothing written, the upload kept.
    form[1].1 = "import".into();
    let started = browser.post(app.url(&preview_path)).form(&form).send().await.unwrap();
    assert_eq!(started.status(), 303, "the confirm does not wait for the import");
    let progress_path = started.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(progress_path, format!("{preview_path}/progress"));
    let (status, html) = follow_import(&browser, &app, &progress_path).await;
    assert_eq!(status, 422);
    assert!(html.contains("什么也没有导入"), "{html}");
    assert!(!html.contains("value=\"city\" selected"), "the preview with the mapping the import used");
    assert_eq!(app.store.count_customers().await.unwrap(), 0);
    assert_eq!(browser.get(app.url(&preview_path)).send().await.unwrap().status(), 200, "the upload is kept");

    form.push(("partial".into(), "true".into()));
    let started = browser.post(app.url(&preview_path)).form(&form).send().await.unwrap();
    assert_eq!(started.status(), 303);
    assert_eq!(started.headers()["location"].to_str().unwrap(), progress_path);
    // Another server instance shows how it went: the run is in the database.
    let (status, html) = follow_import(&browser, &second, &progress_path).await;
    assert_eq!(status, 200);
    assert!(html.contains("data-count=\"created\">2<"), "{html}");
    assert!(html.contains("data-count=\"rejected\">7<"));
    let customers = app.store.count_customers().await.unwrap();
    assert_eq!(customers, 2);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM customers WHERE city <> ''").await, 0, "城市 was ignored");
    // The result stays for the page (its file is dropped); the preview now
    // leads to it, and confirming again imports nothing more.
    assert_eq!(get_page(&browser, &app, &progress_path).await.0, 200, "the result can be shown again");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM import_uploads WHERE length(bytes) > 0").await, 0);
    let preview = browser.get(app.url(&preview_path)).send().await.unwrap();
    assert_eq!((preview.status().as_u16(), preview.headers()["location"].to_str().unwrap()), (303, &*progress_path));
    let again = browser.post(app.url(&preview_path)).form(&form).send().await.unwrap();
    assert_eq!((again.status().as_u16(), again.headers()["location"].to_str().unwrap()), (303, &*progress_path));
    assert_eq!(app.store.count_customers().await.unwrap(), customers, "applied once");

    // Follow-up records through the same pages.
    let (content_type, body) = multipart("interactions", "follow-ups.csv", "text/csv", &fixture("interactions.csv"));
    let uploaded = browser
        .post(app.url("/customers/import"))
        .header("x-csrf-token", &csrf)
        .header("content-type", &content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let path = uploaded.headers()["location"].to_str().unwrap().to_owned();
    let preview = browser.get(app.url(&path)).send().await.unwrap().text().await.unwrap();
    assert!(preview.contains("找不到这个客户"), "only A公司 exists");
    let form = [("csrf", csrf.as_str()), ("action", "import"), ("partial", "true")];
    let started = browser.post(app.url(&path)).form(&form).send().await.unwrap();
    assert_eq!(started.status(), 303);
    let (_, done) = follow_import(&browser, &app, &format!("{path}/progress")).await;
    assert!(done.contains("data-count=\"created\">1<"), "{done}");

    // Roles that may not write customers do not get the page.
    app.user("viewer@example.com", "viewer", None).await;
    let viewer = app.browser_session("viewer@example.com").await;
    assert_eq!(viewer.get(app.url("/customers/import")).send().await.unwrap().status(), 403);
    let list = viewer.get(app.url("/customers")).send().await.unwrap().text().await.unwrap();
    assert!(!list.contains("href=\"/customers/import\""));
});

backend_test!(a_page_import_shows_its_progress_and_a_server_that_stopped, |app| {
    team(&app).await;
    let lead = app.store.user_by_email("lead@example.com").await.unwrap().unwrap();
    let browser = app.browser_session("lead@example.com").await;
    let file = "客户名称,区域\n进度客户甲,华东\n进度客户乙,华南\n";
    let (status, preview_path, _) = upload_page(&app, &browser, "progress.csv", file.as_bytes()).await;
    assert_eq!(status, 303);
    let id: i64 = preview_path.rsplit('/').next().unwrap().parse().unwrap();
    let progress_path = format!("{preview_path}/progress");
    assert_eq!(get_page(&browser, &app, &progress_path).await.0, 303, "to the preview, before any import");

    // A run as another server stores it while it writes: 4,000 of 10,000 rows, 90 s in.
    let now = chrono::Utc::now();
    let started = now - chrono::Duration::seconds(90);
    assert!(app.store.claim_upload_run(id, lead.id, "running", started, started).await.unwrap());
    record_progress(&app, id, Some("writing"), 4_000, 10_000, now).await;
    let (status, html) = get_page(&browser, &app, &progress_path).await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"import-progress\""), "{html}");
    assert!(html.contains(&format!("hx-get=\"{progress_path}\"")) && html.contains("hx-trigger=\"every 1s\""));
    assert!(html.contains("<noscript><meta http-equiv=\"refresh\""), "reloads without JavaScript");
    assert!(html.contains("写入中") && html.contains("40%"), "{html}");
    assert!(html.contains("max=\"10000\" value=\"4000\""), "{html}");
    assert!(html.contains("已处理 4,000 / 10,000 行"), "{html}");
    assert!(html.contains("每秒 4") && html.contains("已用时 1:3"), "about 44 rows a second, 1:30 in: {html}");
    // htmx polls the bar alone.
    let polled = browser.get(app.url(&progress_path)).header("hx-request", "true").send().await.unwrap();
    assert_eq!(polled.status(), 200);
    assert!(polled.headers().get("hx-refresh").is_none());
    let bar = polled.text().await.unwrap();
    assert!(bar.trim_start().starts_with("<div id=\"import-progress\"") && !bar.contains("<html"), "{bar}");

    // While it runs, the preview and the confirm lead to it; nothing starts twice.
    let preview = browser.get(app.url(&preview_path)).send().await.unwrap();
    assert_eq!((preview.status().as_u16(), preview.headers()["location"].to_str().unwrap()), (303, &*progress_path));
    let csrf = hidden_csrf(&get_page(&browser, &app, "/settings").await.1);
    let form = [("csrf", csrf.as_str()), ("action", "import")];
    let confirm = browser.post(app.url(&preview_path)).form(&form).send().await.unwrap();
    assert_eq!(confirm.status(), 303);
    let cancel = browser.post(app.url(&preview_path)).form(&[("csrf", csrf.as_str()), ("action", "cancel")]);
    assert_eq!(cancel.send().await.unwrap().headers()["location"].to_str().unwrap(), progress_path);
    assert_eq!(app.store.count_customers().await.unwrap(), 0);

    // Only the uploader sees it.
    app.user("other-lead@example.com", "lead", None).await;
    let other = app.browser_session("other-lead@example.com").await;
    assert_eq!(get_page(&other, &app, &progress_path).await.0, 404);
    assert_eq!(get_page(&other, &app, &preview_path).await.0, 404);

    // No heartbeat for a minute: its server stopped, and the page says so.
    let silent = now - chrono::Duration::seconds(61);
    record_progress(&app, id, Some("writing"), 5_000, 10_000, silent).await;
    let (status, html) = get_page(&browser, &app, &progress_path).await;
    assert_eq!(status, 200);
    assert!(html.contains("服务器在导入过程中停止，未写入任何数据，请重新导入"), "{html}");
    assert!(!html.contains("id=\"import-progress\"") && !html.contains("http-equiv"), "no longer polled");
    let polled = browser.get(app.url(&progress_path)).header("hx-request", "true").send().await.unwrap();
    assert_eq!(polled.headers()["hx-refresh"], "true", "an open page reloads to show it");

    // The upload can be imported again.
    assert_eq!(get_page(&browser, &app, &preview_path).await.0, 200);
    let confirm = browser.post(app.url(&preview_path)).form(&form).send().await.unwrap();
    assert_eq!(confirm.headers()["location"].to_str().unwrap(), progress_path);
    let (status, html) = follow_import(&browser, &app, &progress_path).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("data-count=\"created\">2<"), "{html}");
    assert_eq!(app.store.count_customers().await.unwrap(), 2);
});

/// A check that is not done in time: the upload answers with its progress
/// page, which leads to the preview once the file is checked, or says why
/// the file cannot be read; a check interrupted with its server runs again.
async fn uploads_are_checked_in_the_background(backend: Backend) {
    let wait_for_nothing = rally::ops::uploads::CheckWait { whole_up_to_bytes: 0, larger: std::time::Duration::ZERO };
    let tuned = spawn_app_tuned(backend, rally::clock::Clock::System, Default::default(), |state| {
        state.check_wait = wait_for_nothing;
    });
    let Some(app) = tuned.await else { return };
    team(&app).await;
    let lead = app.store.user_by_email("lead@example.com").await.unwrap().unwrap();
    let browser = app.browser_session("lead@example.com").await;

    let mut file = String::from("客户名称,区域,年采购额\n");
    for i in 0..2_000 {
        file.push_str(&format!(
            "后台检查客户{i:04},华东,{}\n",
            if i == 1_500 { "-5".to_owned() } else { i.to_string() }
        ));
    }
    let (status, progress_path, body) = upload_page(&app, &browser, "big.csv", file.as_bytes()).await;
    assert_eq!(status, 303, "{body}");
    assert!(progress_path.ends_with("/progress"), "to the check's progress: {progress_path}");
    let preview_path = progress_path.trim_end_matches("/progress").to_owned();
    let (status, _) = follow_import(&browser, &app, &progress_path).await;
    assert_eq!(status, 303, "once checked, to the preview");
    let polled = browser.get(app.url(&progress_path)).header("hx-request", "true").send().await.unwrap();
    assert_eq!(polled.headers()["hx-refresh"], "true", "an open page reloads to get there");
    let (status, html) = get_page(&browser, &app, &preview_path).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"bad-rows\"") && html.contains("<td class=\"num-col\">1502</td>"), "{html}");
    assert!(html.contains("2000"), "every row read: {html}");
    assert_eq!(app.store.count_customers().await.unwrap(), 0, "a check writes nothing");

    // A check as another server runs it: its page says it checks, not imports.
    let id: i64 = preview_path.rsplit('/').next().unwrap().parse().unwrap();
    let now = chrono::Utc::now();
    assert!(app.store.claim_upload_run(id, lead.id, "checking", now, now).await.unwrap());
    record_progress(&app, id, Some("checking"), 500, 2_000, now).await;
    let (status, html) = get_page(&browser, &app, &progress_path).await;
    assert_eq!(status, 200);
    assert!(html.contains("正在检查文件") && html.contains("尚未写入任何数据"), "{html}");
    assert!(html.contains("检查中") && html.contains("25%") && html.contains("hx-trigger=\"every 1s\""), "{html}");
    let preview = browser.get(app.url(&preview_path)).send().await.unwrap();
    assert_eq!(preview.headers()["location"].to_str().unwrap(), progress_path, "the preview waits for it");
    let csrf = hidden_csrf(&get_page(&browser, &app, "/settings").await.1);
    let confirm = browser.post(app.url(&preview_path)).form(&[("csrf", csrf.as_str()), ("action", "import")]);
    assert_eq!(confirm.send().await.unwrap().headers()["location"].to_str().unwrap(), progress_path);
    assert_eq!(app.store.count_customers().await.unwrap(), 0, "no import starts while the file is checked");

    // Its server stopped: the progress page leads back to the preview, as
    // it was before that check.
    let silent = now - chrono::Duration::seconds(61);
    record_progress(&app, id, Some("checking"), 600, 2_000, silent).await;
    let (status, _) = get_page(&browser, &app, &progress_path).await;
    assert_eq!(status, 303);
    let (status, html) = get_page(&browser, &app, &preview_path).await;
    assert_eq!(status, 200);
    assert!(html.contains("<td class=\"num-col\">1502</td>"), "{html}");

    // The rows import from the preview as ever.
    let form = [("csrf", csrf.as_str()), ("action", "import"), ("partial", "true")];
    let started = browser.post(app.url(&preview_path)).form(&form).send().await.unwrap();
    assert_eq!(started.headers()["location"].to_str().unwrap(), progress_path);
    let (status, html) = follow_import(&browser, &app, &progress_path).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("data-count=\"created\">1999<"), "{html}");

    // A file that cannot be read is refused on its progress page, and its bytes dropped.
    let (status, progress_path, _) = upload_page(&app, &browser, "broken.xlsx", b"PK\x03\x04 not a workbook").await;
    assert_eq!(status, 303);
    let (status, html) = follow_import(&browser, &app, &progress_path).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("notice bad") && html.contains("name=\"file\""), "the upload form says why: {html}");
    let preview_path = progress_path.trim_end_matches("/progress");
    assert_eq!(get_page(&browser, &app, preview_path).await.0, 422, "the preview says it too");
    let kept = "SELECT COUNT(*) FROM import_uploads WHERE file_name = 'broken.xlsx' AND length(bytes) > 0";
    assert_eq!(scalar(&app, kept).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_are_checked_in_the_background_sqlite() {
    uploads_are_checked_in_the_background(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(rally_no_postgres, ignore = "PostgreSQL is not installed (Debian: postgresql)")]
async fn uploads_are_checked_in_the_background_postgres() {
    uploads_are_checked_in_the_background(Backend::Postgres).await;
}

backend_test!(housekeeping_drops_uploads_nobody_confirmed, |app| {
    let lead = app.user("lead@example.com", "lead", None).await;
    let actor: rally::ops::authz::Actor = app.store.user_by_id(lead.id).await.unwrap().unwrap().into();
    let now = chrono::Utc::now();
    let kind = rally::io::ImportKind::Customers;
    let old = rally::ops::uploads::save(
        &app.store,
        &actor,
        kind,
        "old.csv",
        "text/csv",
        b"a",
        now - chrono::Duration::hours(25),
    )
    .await
    .unwrap();
    let fresh = rally::ops::uploads::save(&app.store, &actor, kind, "new.csv", "text/csv", b"b", now).await.unwrap();
    // Uploaded a day ago, imported an hour ago: its result is kept a day from then.
    let used = rally::ops::uploads::save(
        &app.store,
        &actor,
        kind,
        "used.csv",
        "text/csv",
        b"c",
        now - chrono::Duration::hours(25),
    )
    .await
    .unwrap();
    let hour_ago = now - chrono::Duration::hours(1);
    assert!(app.store.claim_upload_run(used, lead.id, "running", hour_ago, hour_ago).await.unwrap());
    app.store.finish_upload_run(used, "imported", "{}", false, hour_ago).await.unwrap();
    rally::jobs::housekeeping::run_once(&app.store, now).await.unwrap();
    assert!(app.store.upload(old, lead.id).await.unwrap().is_none());
    assert!(app.store.upload(fresh, lead.id).await.unwrap().is_some());
    let kept = app.store.upload(used, lead.id).await.unwrap().expect("a recent result is kept");
    assert!(kept.bytes.is_empty(), "an applied upload keeps its result, not its file");
    rally::jobs::housekeeping::run_once(&app.store, now + chrono::Duration::hours(24)).await.unwrap();
    assert!(app.store.upload(used, lead.id).await.unwrap().is_none());
    let stranger = app.user("other@example.com", "lead", None).await;
    assert!(app.store.upload(fresh, stranger.id).await.unwrap().is_none(), "uploads are their owner's");
});

// An upload's id is in its pages' addresses: a tab left open on an upload
// that housekeeping deleted must not show the next file someone uploads.
backend_test!(upload_ids_are_never_handed_out_again, |app| {
    let lead = app.user("lead@example.com", "lead", None).await;
    let actor: rally::ops::authz::Actor = app.store.user_by_id(lead.id).await.unwrap().unwrap().into();
    let now = chrono::Utc::now();
    let kind = rally::io::ImportKind::Customers;
    let gone = rally::ops::uploads::save(&app.store, &actor, kind, "a.csv", "text/csv", b"a", now).await.unwrap();
    rally::jobs::housekeeping::run_once(&app.store, now + chrono::Duration::days(2)).await.unwrap();
    assert!(app.store.upload(gone, lead.id).await.unwrap().is_none());
    let next = rally::ops::uploads::save(&app.store, &actor, kind, "b.csv", "text/csv", b"b", now).await.unwrap();
    assert!(next > gone, "the newest upload's id {gone} was handed out again ({next})");
    assert!(app.store.upload(gone, lead.id).await.unwrap().is_none());
});

/// Records a run's progress as its server would. A server skips a beat
/// while another writer holds the database (the beat is only a heartbeat);
/// a test that needs this beat written waits for its turn.
async fn record_progress(
    app: &TestApp,
    id: i64,
    stage: Option<&str>,
    rows_done: i64,
    rows_total: i64,
    at: chrono::DateTime<chrono::Utc>,
) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !app.store.try_record_upload_progress(id, stage, rows_done, rows_total, at).await.unwrap() {
        assert!(std::time::Instant::now() < deadline, "the database stayed busy for 30 s");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Non-zero, exactly one `error:` line on stderr mentioning `mentions`.
fn assert_clean_failure(out: &Output, mentions: &str) {
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "should fail: {stderr}");
    let lines: Vec<_> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected: {stderr}");
    assert!(
        lines[0].starts_with("error:") && lines[0].contains(mentions),
        "{:?} should mention {mentions:?}",
        lines[0]
    );
}

fn cli_imports(url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    for (email, region) in [("ming", "华南"), ("fang", "华北"), ("gang", "华东")] {
        let email = format!("{email}@rally.example");
        let args = [
            "user",
            "add",
            "--database-url",
            url,
            "--email",
            &email,
            "--name",
            "代表",
            "--role",
            "rep",
            "--region",
            region,
        ];
        assert!(rally(&args, Some("correct horse battery\n"), cwd).status.success());
    }
    let import = |kind: &str, file: &str, extra: &[&str]| {
        let path = fixture_path(file);
        let mut args = vec!["import", kind, path.as_str(), "--database-url", url];
        args.extend_from_slice(extra);
        rally(&args, None, cwd)
    };

    let rejected = import("customers", "customers_bad_rows.csv", &[]);
    assert!(!rejected.status.success());
    let out = text(&rejected.stdout);
    assert!(out.contains("row 5, column 年采购额: 'abc' is not an amount"), "{out}");
    assert!(out.contains("(amount_invalid)\n"), "{out}");
    assert!(out.contains("row 8, column 负责人: "), "{out}");
    assert!(out.contains("created 0, updated 0, skipped 0, rejected 7\n"), "{out}");
    assert_clean_failure(&rejected, "7 bad row(s); nothing was imported");

    let partial = import("customers", "customers_bad_rows.csv", &["--partial"]);
    assert!(partial.status.success(), "{}", text(&partial.stderr));
    assert!(text(&partial.stdout).contains("created 2, updated 0, skipped 2, rejected 7\n"));

    let dry = import("customers", "customers_gbk.csv", &["--dry-run"]);
    assert!(dry.status.success());
    assert!(
        text(&dry.stdout).contains("dry run, nothing written: created 9, updated 0, skipped 1, rejected 0\n"),
        "{}",
        text(&dry.stdout)
    );
    let real = import("customers", "customers_gbk.csv", &[]);
    assert!(text(&real.stdout).contains("created 9, updated 0, skipped 1, rejected 0\n"), "{}", text(&real.stdout));
    assert!(text(&real.stdout).contains("ignored columns: 建档日期\n"));
    assert!(text(&real.stderr).is_empty(), "no progress bar when stderr is not a terminal: {}", text(&real.stderr));
    let again = import("customers", "customers.xlsx", &["--on-duplicate", "update"]);
    assert!(text(&again.stdout).contains("created 0, updated 0, skipped 10, rejected 0\n"), "{}", text(&again.stdout));
    // As a rep, the rows that name other reps as owners are bad rows.
    let as_rep = import("customers", "customers_utf8_bom.csv", &["--as", "ming@rally.example"]);
    assert!(text(&as_rep.stdout).contains("(owner_not_self)\n"), "{}", text(&as_rep.stdout));
    assert_clean_failure(&as_rep, "nothing was imported");
    let follow_ups = import("interactions", "interactions.csv", &[]);
    assert!(
        text(&follow_ups.stdout).contains("created 5, updated 0, skipped 0, rejected 0\n"),
        "{}",
        text(&follow_ups.stdout)
    );

    assert_clean_failure(
        &rally(&["import", "customers", "nope.csv", "--database-url", url], None, cwd),
        "cannot read nope.csv",
    );
    assert_clean_failure(&import("customers", "customers.xlsx", &["--on-duplicate", "maybe"]), "--on-duplicate");
    assert_clean_failure(&import("customers", "customers.xlsx", &["--as", "nobody@example.com"]), "--as");
    assert_clean_failure(&import("customers", "make_fixtures.py", &[]), "required column missing");
    assert_clean_failure(&rally(&["import", "orders", "x.csv"], None, cwd), "orders");
}

#[test]
fn the_cli_imports_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    cli_imports(&format!("sqlite://{}", dir.path().join("cli.db").display()));
    // Bad files touch nothing: no database is created for them.
    let empty = tempfile::tempdir().unwrap();
    let broken = empty.path().join("broken.xlsx");
    std::fs::write(&broken, b"PK\x03\x04 not really a workbook").unwrap();
    let out = rally(&["import", "customers", broken.to_str().unwrap()], None, empty.path());
    assert_clean_failure(&out, "broken.xlsx");
    assert!(!empty.path().join("rally.db").exists());
}

#[tokio::test]
#[cfg_attr(rally_no_postgres, ignore = "PostgreSQL is not installed (Debian: postgresql)")]
async fn the_cli_imports_on_postgres() {
    let Some((url, _)) = fresh_database(Backend::Postgres).await else { return };
    tokio::task::spawn_blocking(move || cli_imports(&url)).await.unwrap();
}

/// Every index's definition, in name order.
async fn index_definitions(app: &TestApp) -> Vec<String> {
    let mut tx = app.store.begin().await.unwrap();
    match &mut tx {
        rally::store::Tx::Sqlite(t) => sqlx::query_scalar(
            "SELECT name || ': ' || COALESCE(sql, '') FROM sqlite_master WHERE type = 'index' ORDER BY name",
        )
        .fetch_all(&mut **t)
        .await
        .unwrap(),
        rally::store::Tx::Postgres(t) => sqlx::query_scalar(
            "SELECT indexname || ': ' || indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname",
        )
        .fetch_all(&mut **t)
        .await
        .unwrap(),
    }
}

backend_test!(large_files_import_in_parts_and_batches, |app| {
    // Large enough to be parsed on several threads, written in several
    // batches of multi-row statements, and looked up both ways (one scan
    // of a small table; index lookups in a large one).
    let t = team(&app).await;
    let mut csv = String::from("客户名称,统一社会信用代码,区域,电话,标签\n");
    let code = |i: usize| {
        let first17 = format!("91440300MA{i:07}");
        let check = rally::domain::credit_code::check_char(&first17).unwrap();
        format!("{first17}{check}")
    };
    for i in 0..25_000 {
        let credit = if i % 3 == 0 { code(i) } else { String::new() };
        csv.push_str(&format!("大批量客户{i:05}有限公司,{credit},华东,139{i:08},\"重点,批量\"\n"));
    }
    let indexes_before = index_definitions(&app).await;
    let (status, report) = import(&app, &t.admin, "customers", "", "text/csv", csv.clone().into_bytes()).await;
    assert_eq!((status, counts(&report)), (200, [25_000, 0, 0, 0]), "{}", report["errors"]);
    // On SQLite a load this size into a small table rebuilds the indexes
    // once at the end; they must come back exactly as they were.
    assert_eq!(index_definitions(&app).await, indexes_before);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM customer_tags").await, 50_000);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM contacts").await, 25_000);
    let (_, report) = import(&app, &t.admin, "customers", "", "text/csv", csv.into_bytes()).await;
    assert_eq!(counts(&report), [0, 0, 25_000, 0]);
    assert_eq!(report["warnings"].as_array().unwrap().len(), 1000, "warnings are capped");
    assert_eq!(report["warnings_omitted"], 24_000);

    let small = format!(
        "客户名称,统一社会信用代码,电话\n改名了,{},\n大批量客户00001,,+86 139 0000 0001\n全新客户,,13000000000\n",
        code(3)
    );
    let (_, report) = import(&app, &t.admin, "customers", "", "text/csv", small.into_bytes()).await;
    assert_eq!(counts(&report), [1, 0, 2, 0], "{report}");
    assert_eq!(app.store.count_customers().await.unwrap(), 25_001);
});

// One rule per field: a customer typed into the form and one sent through
// the API, with values written the way people write them (spaced and
// full-width credit codes, a full-width phone, a mixed-case e-mail, 万),
// export and import again as duplicates with no rejected row.
backend_test!(form_and_api_customers_export_and_reimport_as_duplicates, |app| {
    let lead = app.user("lead@example.com", "lead", None).await;
    let browser = app.browser_session("lead@example.com").await;
    let (status, location, _) = crate::helpers::post_form(
        &browser,
        &app,
        "/customers",
        &[
            ("name", "华东精密制造有限公司"),
            ("credit_code", "9144 0300 1922 0382 16"),
            ("industry", "制造业"),
            ("region", "华东"),
            ("city", "苏州"),
            ("annual_purchase", "５００万"),
        ],
    )
    .await;
    assert_eq!(status, 303, "the form creates the customer");
    let form_id: i64 = location.trim_start_matches("/customers/").split(['?', '#']).next().unwrap().parse().unwrap();
    let (status, _, body) = crate::helpers::post_form(
        &browser,
        &app,
        &format!("/customers/{form_id}/contacts"),
        &[("name", "王总"), ("phone", "＋86 138-0013-8000"), ("email", " Wang@Example.COM ")],
    )
    .await;
    assert_eq!(status, 303, "the contact form accepts it: {body}");
    // The contact form refuses what the importer refuses.
    for (field, value) in [("email", "a,b@x.cn"), ("phone", "138abc00138")] {
        let (status, _, _) = crate::helpers::post_form(
            &browser,
            &app,
            &format!("/customers/{form_id}/contacts"),
            &[("name", "李四"), (field, value)],
        )
        .await;
        assert_eq!(status, 422, "{field} {value:?} is refused by the form");
    }

    let created: Value = app
        .api(&lead, Method::POST, "/api/v1/customers")
        .json(&serde_json::json!({"name": "ｅ集团（连锁）", "credit_code": "91310000ma1fl0000".to_owned()
            + &rally::domain::credit_code::check_char("91310000MA1FL0000").unwrap().to_string(),
            "industry": "连锁", "region": "华南", "annual_purchase": 1234567.5}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let api_id = created["id"].as_i64().unwrap_or_else(|| panic!("{created}"));
    let contact = app
        .api(&lead, Method::POST, &format!("/api/v1/customers/{api_id}/contacts"))
        .json(&serde_json::json!({"name": "赵经理", "phone": "(020) 8888-6666", "email": "ZHAO@e-group.cn"}))
        .send()
        .await
        .unwrap();
    assert_eq!(contact.status(), 201);

    for format in ["csv", "xlsx"] {
        let file = app
            .api(&lead, Method::GET, &format!("/api/v1/customers/export?format={format}"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let report: Value = app
            .api(&lead, Method::POST, "/api/v1/imports/customers?dry_run=true")
            .body(file.to_vec())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(counts(&report), [0, 0, 2, 0], "{format}: both are duplicates, none rejected: {report}");
    }
});

/// Uploads a file through the import page; (status, Location, body).
async fn upload_page(app: &TestApp, browser: &reqwest::Client, name: &str, bytes: &[u8]) -> (u16, String, String) {
    let page = browser.get(app.url("/customers/import")).send().await.unwrap().text().await.unwrap();
    let csrf = hidden_csrf(&page);
    let (content_type, body) = multipart("customers", name, "text/csv", bytes);
    let response = browser
        .post(app.url("/customers/import"))
        .header("x-csrf-token", &csrf)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let location = response.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, location, response.text().await.unwrap())
}

backend_test!(a_rep_learns_nothing_of_customers_they_cannot_see, |app| {
    let t = team(&app).await;
    let hidden = "石家庄立信汽车部件有限公司";
    let first17 = "91130100MA0CK0000";
    let code = format!("{first17}{}", rally::domain::credit_code::check_char(first17).unwrap());
    let file = format!(
        "客户名称,统一社会信用代码,联系人,电话,负责人\n{hidden},{code},赵经理,13911112222,fang@rally.example\n"
    );
    let (status, report) = import(&app, &t.admin, "customers", "", "text/csv", file.into_bytes()).await;
    assert_eq!((status, counts(&report)), (200, [1, 0, 0, 0]), "{report}");
    let id = named(&customers(&app, &t.admin).await, hidden)["id"].as_i64().unwrap();

    // Ming's list names Fang's customer by credit code, and by name and phone.
    let mine = format!("客户名称,统一社会信用代码,电话\n别的名字,{code},\n石家庄立信汽车部件,,+86 139-1111-2222\n");
    let (status, report) =
        import(&app, &t.ming, "customers", "dry_run=true", "text/csv", mine.clone().into_bytes()).await;
    assert_eq!((status, counts(&report)), (200, [0, 0, 2, 0]), "still duplicates: {report}");
    let warnings = report["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 2);
    for w in warnings {
        assert_eq!(w["code"], "duplicate_hidden", "{w}");
        let message = w["message"].as_str().unwrap();
        assert!(!message.contains(hidden) && !message.contains(&format!("#{id}")), "{message}");
        assert!(message.contains("cannot see"), "{message}");
    }
    let (status, body) =
        import(&app, &t.ming, "customers", "on_duplicate=update", "text/csv", mine.clone().into_bytes()).await;
    assert_eq!(status, 422, "{body}");
    for e in body["report"]["errors"].as_array().unwrap() {
        assert_eq!(e["code"], "duplicate_not_yours");
        let message = e["message"].as_str().unwrap();
        assert!(!message.contains(hidden) && !message.contains(&format!("#{id}")), "{message}");
    }
    // The lead sees everyone's customers, so the warning names it.
    let (_, report) = import(&app, &t.lead, "customers", "dry_run=true", "text/csv", mine.clone().into_bytes()).await;
    assert!(report["warnings"][0]["message"].as_str().unwrap().contains(hidden), "{report}");

    // The import page says it in the rep's language, and not the name either.
    let browser = app.browser_session("ming@rally.example").await;
    let (status, location, _) = upload_page(&app, &browser, "mine.csv", mine.as_bytes()).await;
    assert_eq!(status, 303);
    let html = browser.get(app.url(&location)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("你无权查看的客户"), "{html}");
    assert!(!html.contains(hidden), "the hidden customer's name is not on the page");
    assert_eq!(app.store.count_customers().await.unwrap(), 1);
});

backend_test!(exported_formula_like_values_import_back_as_the_same_customers, |app| {
    let t = team(&app).await;
    let names = ["=1+1公司", "@公式客户", "-1+1", "+1", "'=引号公司"];
    let mut file = String::from("客户名称,城市\n");
    for name in names {
        // As a spreadsheet saves them: quoted, inner quotes doubled.
        file.push_str(&format!("\"{}\",上海\n", name.replace('"', "\"\"")));
    }
    // The file as typed has no guards: `'=引号公司` keeps its apostrophe.
    let (status, report) = import(&app, &t.admin, "customers", "", "text/csv", file.into_bytes()).await;
    assert_eq!((status, counts(&report)), (200, [5, 0, 0, 0]), "{report}");
    let stored: Vec<String> =
        customers(&app, &t.admin).await.iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect();
    let mut expected: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    expected[4] = "=引号公司".to_owned();
    let mut sorted = stored.clone();
    sorted.sort();
    expected.sort();
    assert_eq!(sorted, expected, "a leading apostrophe before = is a guard, also in a typed file");

    let (_, csv) = export(&app, &t.admin, "format=csv").await;
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    for guarded in ["'=1+1公司", "'@公式客户", "'-1+1", "'+1", "'=引号公司"] {
        assert!(text.lines().any(|l| l.starts_with(guarded)), "{guarded} in\n{text}");
    }
    let (status, report) = import(&app, &t.admin, "customers", "", "text/csv", csv).await;
    assert_eq!((status, counts(&report)), (200, [0, 0, 5, 0]), "the export is the same customers: {report}");
    assert_eq!(app.store.count_customers().await.unwrap(), 5);
});

backend_test!(mixed_encodings_and_control_characters_are_named, |app| {
    let t = team(&app).await;
    let mut mixed = "客户名称,城市\r\n".as_bytes().to_vec();
    mixed.extend_from_slice(&encoding_rs::GBK.encode("甲公司,上海\r\n乙公司,北京\r\n").0);
    let (status, body) = import(&app, &t.admin, "customers", "dry_run=true", "text/csv", mixed).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("file_mixed_encoding")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("row 2"), "{body}");

    let file = "客户名称,城市,备注\r\n甲\0公司,上海,\r\n乙公司,北\u{7}京,\r\n丙公司,广州,\"第一行\r\n第二行\t完\"\r\n";
    let (status, body) = import(&app, &t.admin, "customers", "", "text/csv", file.into()).await;
    assert_eq!(status, 422, "{body}");
    let errors: Vec<(u64, &str, &str)> = body["report"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_u64().unwrap(), e["column"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(errors, [(2, "客户名称", "control_char"), (3, "城市", "control_char")]);
    let notes = format!(
        "客户名称,日期,类型,备注\r\nA公司,{},电话,\"第一行\r\n第二行\t完\"\r\nA公司,{},电话,\"响\u{7}铃\"\r\n",
        app.store.today(),
        app.store.today()
    );
    import(&app, &t.admin, "customers", "", "text/csv", "客户名称\nA公司\n".into()).await;
    let (status, body) = import(&app, &t.admin, "interactions", "partial=true", "text/csv", notes.into()).await;
    assert_eq!((status, counts(&body)), (200, [1, 0, 0, 1]), "a note keeps line breaks and tabs: {body}");
    assert_eq!(body["errors"][0]["code"], "control_char");
    assert_eq!(app.store.count_customers().await.unwrap(), 1);
});

backend_test!(imports_wait_for_nobody_they_are_refused_when_busy, |app| {
    let t = team(&app).await;
    let file = || "客户名称\nA公司\n".as_bytes().to_vec();
    // Ming's own import is running: another one of his is refused (409).
    let running = app.imports.enter(t.ming.id).unwrap();
    let (status, body) = import(&app, &t.ming, "customers", "", "text/csv", file()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("import_in_progress")), "{body}");
    let browser = app.browser_session("ming@rally.example").await;
    let (status, _, html) = upload_page(&app, &browser, "a.csv", &file()).await;
    assert_eq!(status, 409);
    assert!(html.contains("你的上一次导入还在进行中"), "{html}");
    // Someone else may import meanwhile, until the server is full (429).
    let (status, _) = import(&app, &t.fang, "customers", "dry_run=true", "text/csv", file()).await;
    assert_eq!(status, 200);
    let other = app.imports.enter(t.lead.id).unwrap();
    let response = app
        .api(&t.fang, Method::POST, "/api/v1/imports/customers")
        .header("content-type", "text/csv")
        .body(file())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "30");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "imports_busy");
    let browser = app.browser_session("fang@rally.example").await;
    let (status, _, html) = upload_page(&app, &browser, "a.csv", &file()).await;
    assert_eq!(status, 429);
    assert!(html.contains("服务器正在处理其他导入"), "{html}");
    drop((running, other));
    let (status, report) = import(&app, &t.ming, "customers", "", "text/csv", file()).await;
    assert_eq!((status, counts(&report)), (200, [1, 0, 0, 0]), "free again: {report}");
    assert_eq!(app.imports.running(), 0, "every import gave its place back");
});

backend_test!(the_preview_is_shown_without_reading_the_file_again, |app| {
    team(&app).await;
    let browser = app.browser_session("lead@example.com").await;
    let (status, location, _) = upload_page(&app, &browser, "bad.csv", &fixture("customers_bad_rows.csv")).await;
    assert_eq!(status, 303);
    let first = browser.get(app.url(&location)).send().await.unwrap().text().await.unwrap();
    assert!(first.contains("金额不能为负数"));
    // Spoil the stored file: the preview does not read it, so it is unchanged.
    let id: i64 = location.rsplit('/').next().unwrap().parse().unwrap();
    let mut tx = app.store.begin().await.unwrap();
    let sql = "UPDATE import_uploads SET bytes = $1 WHERE id = $2";
    match &mut tx {
        rally::store::Tx::Sqlite(t) => {
            sqlx::query(sql).bind(b"PK\x03\x04 spoilt".as_slice()).bind(id).execute(&mut **t).await.unwrap();
        }
        rally::store::Tx::Postgres(t) => {
            sqlx::query(sql).bind(b"PK\x03\x04 spoilt".as_slice()).bind(id).execute(&mut **t).await.unwrap();
        }
    }
    tx.commit().await.unwrap();
    for _ in 0..3 {
        let again = browser.get(app.url(&location)).send().await.unwrap();
        assert_eq!(again.status(), 200);
        let html = again.text().await.unwrap();
        let table =
            |h: &str| h.split("id=\"bad-rows\"").nth(1).map(|rest| rest.split("</table>").next().unwrap().to_owned());
        assert_eq!(table(&html), table(&first), "the same bad rows, from the stored preview");
    }
    // Changing the mapping reads the file: now it is refused.
    let page = browser.get(app.url(&location)).send().await.unwrap().text().await.unwrap();
    let csrf = hidden_csrf(&page);
    let recheck =
        browser.post(app.url(&location)).form(&[("csrf", csrf.as_str()), ("action", "recheck")]).send().await.unwrap();
    assert_eq!(recheck.status(), 422);
});

/// Runs a customer import of `csv` through the use case with `batch_rows`
/// rows per batch, as the command line's operator.
async fn import_in_batches(
    app: &TestApp,
    csv: &str,
    batch_rows: usize,
    configure: impl Fn(&mut rally::ops::import::ImportOptions),
) -> rally::ops::import::ImportReport {
    import_kind_in_batches(app, rally::io::ImportKind::Customers, csv, batch_rows, configure).await
}

/// [`import_in_batches`] for any kind of import.
async fn import_kind_in_batches(
    app: &TestApp,
    kind: rally::io::ImportKind,
    csv: &str,
    batch_rows: usize,
    configure: impl Fn(&mut rally::ops::import::ImportOptions),
) -> rally::ops::import::ImportReport {
    use rally::ops::import::{self, ImportOptions, Importer, Upload};
    let upload = Upload { bytes: bytes::Bytes::from(csv.as_bytes().to_vec()), file_name: None, content_type: None };
    let prepared = import::prepare(kind, upload, None).unwrap();
    let mut options = ImportOptions::new(app.store.today());
    options.batch_rows = batch_rows;
    configure(&mut options);
    import::run(&app.store, &Importer::operator(), prepared, &options, &import::no_progress).await.unwrap()
}

/// What a report says, without its status (a dry run's and an import's differ there only).
fn outcome(r: &rally::ops::import::ImportReport) -> Value {
    let mut v = serde_json::to_value(r).unwrap();
    for key in ["status", "dry_run"] {
        v.as_object_mut().unwrap().remove(key);
    }
    v
}

// Follow-up records are read, checked and written a batch at a time too: a
// record repeated in a later batch is skipped, customers are looked up batch
// by batch, and the report is the same for any batch size; a refused file
// writes nothing though the batches before the bad row were written.
backend_test!(follow_up_records_import_the_same_in_batches_of_any_size, |app| {
    use rally::io::ImportKind;
    use rally::ops::import::ImportStatus;
    let seeded = import_in_batches(
        &app,
        "客户名称,统一社会信用代码\nA公司,91350100M000100Y43\nB贸易,91440300MA5F0B0B02\n",
        1000,
        |_| {},
    )
    .await;
    assert_eq!(seeded.created, 2, "{seeded:?}");
    let today = rally::clock::today();
    let day = |n: i64| (today - chrono::Duration::days(n)).format("%Y-%m-%d").to_string();
    let file = format!(
        "客户名称,统一社会信用代码,日期,方式,类型,备注\n\
         A公司,,{d1},电话,,回访\n\
         A公司,,{d2},上门拜访,,介绍新品A\n\
         不存在公司,,{d1},电话,,\n\
         A公司,,{d1},电话,,回访\n\
         ,91440300MA5F0B0B02,{d3},邮件,询盘,询价\n",
        d1 = day(1),
        d2 = day(2),
        d3 = day(3)
    );
    let run = |batch: usize, dry_run: bool, partial: bool| {
        let (app, file) = (&app, &file);
        async move {
            import_kind_in_batches(app, ImportKind::Interactions, file, batch, |o| {
                o.dry_run = dry_run;
                o.partial = partial;
            })
            .await
        }
    };
    let whole = run(1000, true, true).await;
    assert_eq!((whole.rows, whole.created, whole.skipped, whole.rejected), (5, 3, 1, 1), "{whole:?}");
    assert_eq!(whole.errors[0].row, 4);
    assert_eq!(whole.warnings[0].row, 5, "the repeat of row 2");
    for batch in [1, 2, 3] {
        assert_eq!(outcome(&run(batch, true, true).await), outcome(&whole), "in batches of {batch}");
    }
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM interactions").await, 0, "dry runs write nothing");

    // Refused in batches of two: the first batch was written, then undone.
    let refused = run(2, false, false).await;
    assert_eq!((refused.status, refused.rejected, refused.created), (ImportStatus::Rejected, 1, 0));
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM interactions").await, 0);

    let applied = run(2, false, true).await;
    assert_eq!((applied.status, applied.created, applied.skipped), (ImportStatus::Imported, 3, 1), "{applied:?}");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM interactions").await, 3);
    let last_inquiry = "SELECT COUNT(*) FROM customers WHERE name = 'B贸易' AND last_inquiry_on IS NOT NULL";
    assert_eq!(scalar(&app, last_inquiry).await, 1, "activity refreshed for the customers written");
    // Again, in other batches: every record is stored already.
    let again = run(3, false, true).await;
    assert_eq!((again.created, again.skipped), (0, 4), "{again:?}");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM interactions").await, 3);

    // Many records over several batches, each batch's lookup among the
    // records the batches before wrote.
    let mut many = String::from("客户名称,日期,方式,备注\n");
    for i in 0..12_000 {
        many.push_str(&format!("A公司,{},电话,第{i}次回访\n", day(1 + i % 300)));
    }
    let report = import_kind_in_batches(&app, ImportKind::Interactions, &many, 5_000, |_| {}).await;
    assert_eq!((report.status, report.created, report.skipped), (ImportStatus::Imported, 12_000, 0), "{report:?}");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM interactions").await, 12_003);
    // Again: every record is stored; the warnings beyond the listed ones are counted.
    let again = import_kind_in_batches(&app, ImportKind::Interactions, &many, 5_000, |_| {}).await;
    assert_eq!((again.created, again.skipped), (0, 12_000), "{again:?}");
    assert!(!again.warnings.is_empty() && again.warnings_omitted > 0);
    assert_eq!(again.warnings.len() + again.warnings_omitted, 12_000);
});

// A file is read, checked and written a batch at a time: duplicates of rows
// in earlier batches (created and already written, or updated), stored
// customers looked up batch by batch, bad rows in the last batch — the
// report and the stored customers are the same for any batch size, and a
// refused file still writes nothing.
backend_test!(batches_of_any_size_import_the_same_customers, |app| {
    use rally::ops::import::{ImportStatus, OnDuplicate};
    let t = team(&app).await;
    // More customers stored than the file has rows: each batch's keys are looked up.
    let mut seed = String::from("客户名称,统一社会信用代码,区域,城市,负责人\n");
    seed.push_str("A公司,91350100M000100Y43,华南,广州,ming@rally.example\n");
    for i in 0..20 {
        seed.push_str(&format!("存量客户{i:02},,华东,,\n"));
    }
    let seeded = import_in_batches(&app, &seed, 1000, |_| {}).await;
    assert_eq!(seeded.created, 21, "{seeded:?}");

    let file = "客户名称,统一社会信用代码,区域,城市,电话,标签\n\
                B公司,91440300MA5F0000X2,华南,深圳,,首批\n\
                C公司,,华东,上海,13800000001,\n\
                A有限公司,91350100M000100Y43,,深圳,,重点\n\
                B有限公司,91440300MA5F0000X2,,广州,,复购\n\
                D公司,,火星,,,\n\
                C公司,,,杭州,+86 138 0000 0001,新增\n\
                存量客户07,,,北京,,\n\
                E公司,,华北,,,\n";
    let code_b = {
        let first17 = "91440300MA5F0000X";
        format!("{first17}{}", rally::domain::credit_code::check_char(first17).unwrap())
    };
    let file = file.replace("91440300MA5F0000X2", &code_b);
    let modes = [(OnDuplicate::Skip, false), (OnDuplicate::Update, false), (OnDuplicate::Update, true)];
    for (on_duplicate, partial) in modes {
        let dry = |batch: usize| {
            let (app, file) = (&app, &file);
            async move {
                import_in_batches(app, file, batch, |o| {
                    o.dry_run = true;
                    o.partial = partial;
                    o.on_duplicate = on_duplicate;
                })
                .await
            }
        };
        let whole = dry(1000).await;
        assert_eq!(whole.rows, 8);
        assert_eq!(whole.rejected, 1, "火星 is no region: {whole:?}");
        for batch in [1, 2, 3] {
            let report = dry(batch).await;
            assert_eq!(outcome(&report), outcome(&whole), "{on_duplicate:?} partial={partial} in batches of {batch}");
        }
        assert_eq!(app.store.count_customers().await.unwrap(), 21, "dry runs write nothing");
    }

    // Refused (a bad row in the second to last batch): nothing is written,
    // though the batches before it were.
    let refused = import_in_batches(&app, &file, 2, |o| o.on_duplicate = OnDuplicate::Update).await;
    assert_eq!((refused.status, refused.rejected, refused.created), (ImportStatus::Rejected, 1, 0));
    assert_eq!(refused.errors[0].row, 6);
    assert_eq!(app.store.count_customers().await.unwrap(), 21);

    // Applied in batches of two: row 5 updates B公司, created by row 2 in
    // the first batch; row 7 updates C公司 (row 3) by name and phone.
    let applied = import_in_batches(&app, &file, 2, |o| {
        o.on_duplicate = OnDuplicate::Update;
        o.partial = true;
    })
    .await;
    assert_eq!(applied.status, ImportStatus::Imported);
    assert_eq!((applied.created, applied.updated, applied.skipped, applied.rejected), (3, 4, 0, 1), "{applied:?}");
    let list = customers(&app, &t.lead).await;
    let b = named(&list, "B有限公司");
    assert_eq!((b["city"].as_str(), b["region"].as_str()), (Some("广州"), Some("华南")));
    let id = b["id"].as_i64().unwrap();
    let tags = format!("SELECT COUNT(*) FROM customer_tags WHERE customer_id = {id} AND tag IN ('复购', '首批')");
    assert_eq!(scalar(&app, &tags).await, 2);
    let c = named(&list, "C公司");
    assert_eq!(c["city"], "杭州");
    assert_eq!(named(&list, "A有限公司")["city"], "深圳");
    assert_eq!(named(&list, "存量客户07")["city"], "北京");
    assert_eq!(app.store.count_customers().await.unwrap(), 24);
    // Customers this import created are in its one record, not updated one by one.
    let history = app.store.audit_of("customer", id).await.unwrap();
    assert!(history.iter().all(|h| h.action != "update"), "{history:?}");
    let a = named(&list, "A有限公司")["id"].as_i64().unwrap();
    let history = app.store.audit_of("customer", a).await.unwrap();
    assert_eq!(history.iter().filter(|h| h.action == "update").count(), 1);
});

/// A workbook of `rows` customers as Excel writes one (shared strings, a
/// number column), with `bad_region` in the region of its last row.
fn customer_workbook(rows: usize, bad_region: Option<&str>) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (c, h) in ["客户名称", "区域", "城市", "年采购额"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for i in 0..rows {
        let r = i as u32 + 1;
        let region = if i + 1 == rows { bad_region.unwrap_or("华东") } else { ["华东", "华南", "华北"][i % 3] };
        sheet.write_string(r, 0, format!("流式客户{i:05}有限公司")).unwrap();
        sheet.write_string(r, 1, region).unwrap();
        sheet.write_string(r, 2, "上海").unwrap();
        sheet.write_number(r, 3, (i * 1000) as f64).unwrap();
    }
    workbook.save_to_buffer().unwrap()
}

// A workbook is read a batch at a time like a CSV file, several batches of
// its reader beyond the first: a bad row at the very end still refuses the
// whole file, and the same file without it imports every row.
backend_test!(a_long_workbook_imports_all_or_nothing, |app| {
    use rally::ops::import::{self, ImportOptions, ImportStatus, Importer, Upload};
    team(&app).await;
    let run = |bytes: Vec<u8>| {
        let app = &app;
        async move {
            let upload = Upload { bytes: bytes.into(), file_name: Some("客户.xlsx"), content_type: None };
            let prepared = import::prepare(rally::io::ImportKind::Customers, upload, None).unwrap();
            assert_eq!(prepared.head.len(), import::HEAD_ROWS, "the preview's rows, not the sheet");
            let mut options = ImportOptions::new(app.store.today());
            options.batch_rows = 1000;
            import::run(&app.store, &Importer::operator(), prepared, &options, &import::no_progress).await.unwrap()
        }
    };
    let refused = run(customer_workbook(3_000, Some("火星"))).await;
    assert_eq!((refused.status, refused.rows, refused.rejected), (ImportStatus::Rejected, 3_000, 1), "{refused:?}");
    assert_eq!(refused.errors[0].row, 3_001, "the row as Excel numbers it");
    assert_eq!(app.store.count_customers().await.unwrap(), 0, "nothing written");

    let imported = run(customer_workbook(3_000, None)).await;
    assert_eq!((imported.status, imported.created), (ImportStatus::Imported, 3_000), "{imported:?}");
    assert_eq!(app.store.count_customers().await.unwrap(), 3_000);
    let amount = "SELECT COUNT(*) FROM customers WHERE name = '流式客户02999有限公司' AND region = '华东'";
    assert_eq!(scalar(&app, amount).await, 1);

    // The same workbook as a file on disk (`rally import`): read from the
    // file as it goes, every row now a duplicate.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("客户.xlsx");
    std::fs::write(&path, customer_workbook(3_000, None)).unwrap();
    let prepared = import::prepare_file(rally::io::ImportKind::Customers, &path, None).unwrap();
    assert_eq!(prepared.head[0].number, 2);
    assert_eq!(prepared.count_rows().unwrap(), 3_000);
    let options = ImportOptions::new(app.store.today());
    let again = import::run(&app.store, &Importer::operator(), prepared, &options, &import::no_progress).await.unwrap();
    assert_eq!((again.status, again.created, again.skipped), (ImportStatus::Imported, 0, 3_000), "{again:?}");
});
