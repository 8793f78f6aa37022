//! Every page route for every role: the expected status is written down
//! here, and a route registered in `src/web/pages/mod.rs` without a line in
//! this table fails the test (as the API's OpenAPI walk does for the API).
//!
//! Destructive and object routes are exercised on ids that do not exist, so
//! a role that may act gets 404 and one that may not gets 403: the policy is
//! checked before the object, as ARCHITECTURE.md promises.

use crate::backend_test;
use crate::helpers::{TestApp, add_customer, get_page, post_form};

pub(crate) const ROLES: [&str; 7] = ["admin", "lead", "rep", "marketing", "service", "support", "viewer"];

/// One expected answer: an exact status, or `ok` (done, redirected, or a
/// form error — anything but 403, 404 and 5xx).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    Status(u16),
    Ok,
}

impl Expect {
    fn parse(word: &str) -> Expect {
        match word {
            "ok" => Expect::Ok,
            n => Expect::Status(n.parse().unwrap_or_else(|_| panic!("bad expectation {n:?}"))),
        }
    }

    fn holds(self, status: u16) -> bool {
        match self {
            Expect::Status(s) => s == status,
            Expect::Ok => !matches!(status, 403 | 404) && status < 500,
        }
    }
}

/// METHOD PATH, then one expectation per role in `ROLES` order. Placeholders:
/// {customer} another rep's customer (a rep cannot see it), {contact} and
/// {interaction} of it, {campaign} a campaign, {template} an SOP template, {user} a viewer, {missing} an
/// id nobody has.
pub(crate) const POLICY: &str = "
GET  /                                             200 200 200 200 200 200 200
POST /logout                                       303 303 303 303 303 303 303
GET  /settings                                     200 200 200 200 200 200 200
POST /settings/language                            ok  ok  ok  ok  ok  ok  ok
POST /settings/password                            ok  ok  ok  ok  ok  ok  ok
GET  /settings/tokens                              200 200 200 200 200 200 200
POST /settings/tokens                              ok  ok  ok  ok  ok  ok  ok
POST /settings/tokens/{missing}/revoke             404 404 404 404 404 404 404
GET  /settings/team                                200 200 200 200 200 200 200
GET  /settings/tiers                               200 200 200 200 200 200 200
POST /settings/tiers                               ok  ok  403 403 403 403 403
GET  /settings/calendar                            200 200 200 200 200 200 200
POST /settings/calendar                            ok  403 403 403 403 403 403
GET  /settings/phases                              200 200 200 200 200 200 200
POST /settings/phases                              ok  ok  403 403 403 403 403
GET  /customers                                    200 200 200 200 200 200 200
POST /customers                                    ok  ok  ok  403 403 403 403
GET  /customers/new                                200 200 200 403 403 403 403
GET  /customers/segment-preview                    200 200 200 200 200 200 200
GET  /customers/tier-counts                        200 200 200 200 200 200 200
GET  /customers/segment-builder                    200 200 200 200 200 200 200
POST /customers/segments                           ok  ok  ok  ok  403 403 403
POST /customers/segments/{missing}/delete          404 404 404 404 403 403 403
GET  /customers/import                             200 200 200 403 403 403 403
POST /customers/import                             ok  ok  ok  403 403 403 403
GET  /customers/import/{missing}                   404 404 404 403 403 403 403
POST /customers/import/{missing}                   404 404 404 403 403 403 403
GET  /customers/import/{missing}/progress          404 404 404 403 403 403 403
GET  /customers/{customer}                         200 200 404 200 200 200 200
POST /customers/{customer}                         ok  ok  404 403 403 403 403
GET  /customers/{customer}/edit                    200 200 404 403 403 403 403
POST /customers/{missing}/delete                   404 404 403 403 403 403 403
POST /customers/{customer}/contacts                ok  ok  404 403 403 403 403
GET  /customers/{customer}/contacts/{contact}      200 200 404 403 403 403 403
POST /customers/{customer}/contacts/{contact}      ok  ok  404 403 403 403 403
POST /customers/{customer}/contacts/{missing}/delete 404 404 404 403 403 403 403
POST /customers/{customer}/interactions            ok  ok  404 403 ok  403 403
GET  /customers/{customer}/interactions/{interaction} 200 200 404 403 403 403 403
POST /customers/{customer}/interactions/{interaction} ok ok 404 403 403 403 403
POST /customers/{customer}/interactions/{missing}/delete 404 404 404 403 404 403 403
GET  /team                                         200 200 200 200 200 200 200
POST /team                                         ok  403 403 403 403 403 403
POST /team/regions                                 ok  403 403 403 403 403 403
GET  /team/{user}                                  200 403 403 403 403 403 403
POST /team/{user}                                  ok  403 403 403 403 403 403
POST /team/{user}/password                         ok  403 403 403 403 403 403
GET  /audit/customer/{customer}                    200 200 403 403 403 403 403
GET  /api/docs                                     200 200 200 200 200 200 200
GET  /campaigns                                    200 200 200 200 200 200 200
POST /campaigns                                    ok  ok  403 ok  403 403 403
GET  /campaigns/new                                200 200 403 200 403 403 403
POST /campaigns/new/notice                         ok  ok  403 ok  403 403 403
GET  /campaigns/{campaign}                         200 200 200 200 200 200 200
POST /campaigns/{campaign}                         ok  ok  403 ok  403 403 403
GET  /campaigns/{campaign}/edit                    200 200 403 200 403 403 403
POST /campaigns/{campaign}/milestones/kickoff_held  ok  ok  403 ok  403 403 403
POST /campaigns/{campaign}/activate                ok  ok  403 ok  403 403 403
GET  /campaigns/{campaign}/breakdown               200 200 200 200 200 200 200
POST /campaigns/{campaign}/breakdown               ok  ok  403 ok  403 403 403
GET  /campaigns/{campaign}/members                 200 200 200 200 200 200 200
GET  /campaigns/{campaign}/members/counts          200 200 200 200 200 200 200
POST /campaigns/{campaign}/members/generate        ok  ok  403 ok  403 403 403
POST /campaigns/{campaign}/members/import          ok  ok  403 403 403 403 403
GET  /campaigns/{campaign}/export                  200 200 200 200 200 200 200
GET  /campaigns/{missing}                          404 404 404 404 404 404 404
GET  /campaigns/history                            200 200 200 200 200 200 200
GET  /templates                                    200 200 200 200 200 200 200
POST /templates                                    ok  ok  403 ok  403 403 403
GET  /templates/{template}                         200 200 200 200 200 200 200
GET  /templates/{missing}                          404 404 404 404 404 404 404
POST /templates/{missing}/retire                   404 404 403 404 403 403 403
GET  /day                                          200 200 200 403 403 403 403
GET  /campaigns/{campaign}/members/{customer}      200 200 404 200 200 200 200
POST /campaigns/{campaign}/members/{customer}/follow-ups ok ok 404 403 403 403 403
POST /campaigns/{campaign}/members/{customer}/claim 403 403 404 403 403 403 403
POST /campaigns/{campaign}/members/{customer}/stage ok ok 403 403 403 403 403
POST /campaigns/{campaign}/members/{customer}/blockers ok ok 404 ok ok ok 403
POST /campaigns/{campaign}/members/{customer}/assignee ok ok 403 403 403 403 403
POST /campaigns/{campaign}/members/reassign        ok  ok  403 403 403 403 403
GET  /campaigns/{campaign}/members/export          200 200 200 200 200 200 200
GET  /campaigns/{campaign}/follow-ups/export       200 200 200 200 200 200 200
GET  /campaigns/{campaign}/panel                   200 200 200 200 200 200 200
GET  /campaigns/{campaign}/standup                 200 200 200 200 200 200 200
GET  /campaigns/{campaign}/standup/board           200 200 200 200 200 200 200
GET  /campaigns/{campaign}/requests                200 200 200 200 200 200 200
POST /campaigns/{campaign}/requests                ok  ok  ok  403 403 403 403
GET  /campaigns/{campaign}/blockers                200 200 200 200 200 200 200
POST /campaigns/{campaign}/blockers                ok  ok  ok  ok  ok  ok  403
GET  /campaigns/{campaign}/playbook                200 200 200 200 200 200 200
POST /campaigns/{campaign}/playbook                ok  ok  403 403 403 403 403
GET  /campaigns/{campaign}/review                  200 200 200 200 200 200 200
POST /campaigns/{campaign}/review                  ok  ok  403 403 403 403 403
POST /campaigns/{campaign}/review/held             ok  ok  403 403 403 403 403
POST /campaigns/{campaign}/review/costs            ok  ok  403 ok  403 403 403
GET  /campaigns/{campaign}/review/export           200 200 200 200 200 200 200
POST /blockers/{missing}                           404 404 403 403 403 403 404
GET  /requests                                     200 403 403 200 403 200 403
POST /requests/{missing}                           404 403 403 404 403 404 403
GET  /knowledge                                    200 200 200 200 200 200 200
POST /knowledge                                    ok  ok  ok  ok  ok  403 403
GET  /knowledge/new                                200 200 200 200 200 403 403
GET  /knowledge/{missing}                          404 404 404 404 404 404 404
POST /knowledge/{missing}                          404 404 404 404 404 403 403
GET  /knowledge/{missing}/edit                     404 404 404 404 404 403 403
POST /knowledge/{missing}/retire                   404 404 403 404 403 403 403
POST /knowledge/{missing}/merge                    404 404 403 404 403 403 403
POST /knowledge/{missing}/helped                   404 404 404 403 403 403 403
GET  /search                                       200 200 200 200 200 200 200
GET  /scripts                                      200 200 200 200 200 200 200
POST /scripts                                      ok  ok  403 ok  403 403 403
POST /scripts/{missing}                            404 404 403 404 403 403 403
POST /scripts/{missing}/delete                     404 404 403 404 403 403 403
GET  /customers/{customer}/campaigns               200 200 200 200 200 200 200
GET  /campaigns/{campaign}/activate                200 200 403 200 403 403 403
POST /campaigns/{campaign}/activate/confirm        ok  ok  403 ok  403 403 403
GET  /inbox                                        200 200 200 200 200 200 200
POST /inbox/read-all                               ok  ok  ok  ok  ok  ok  ok
POST /inbox/{missing}/read                         404 404 404 404 404 404 404
GET  /settings/notifications                       200 200 200 200 200 200 200
POST /settings/notifications                       ok  ok  ok  ok  ok  ok  ok
GET  /settings/channels                            200 403 403 403 403 403 403
POST /settings/channels                            ok  403 403 403 403 403 403
POST /settings/channels/team                       ok  403 403 403 403 403 403
GET  /settings/channels/{missing}                  404 403 403 403 403 403 403
POST /settings/channels/{missing}                  404 403 403 403 403 403 403
POST /settings/channels/{missing}/test             404 403 403 403 403 403 403
POST /settings/channels/{missing}/delete           404 403 403 403 403 403 403
GET  /settings/deliveries                          200 403 403 403 403 403 403
GET  /settings/jobs                                200 403 403 403 403 403 403
POST /settings/jobs/{missing}/retry                404 403 403 403 403 403 403
";

/// Routes that anyone may open without signing in.
const PUBLIC: [&str; 3] = ["GET /login", "POST /login", "GET /lang"];

struct Row {
    method: String,
    path: String,
    expect: Vec<Expect>,
}

fn policy() -> Vec<Row> {
    POLICY
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(words.len(), 2 + ROLES.len(), "policy line {line:?}");
            Row {
                method: words[0].to_owned(),
                path: words[1].to_owned(),
                expect: words[2..].iter().map(|w| Expect::parse(w)).collect(),
            }
        })
        .collect()
}

/// (method, path template) of every route `src/web/pages/mod.rs` registers.
fn registered_routes() -> Vec<(String, String)> {
    let source = include_str!("../../src/web/pages/mod.rs");
    let mut out = Vec::new();
    for chunk in source.split(".route(").skip(1) {
        let chunk = chunk.split(".route_layer(").next().unwrap_or(chunk);
        let Some(path) = chunk.trim_start().strip_prefix('"').and_then(|r| r.split('"').next()) else { continue };
        let handlers = &chunk[chunk.find(',').unwrap_or(0)..];
        let calls = |name: &str| {
            handlers
                .match_indices(&format!("{name}("))
                .any(|(at, _)| !handlers[..at].chars().last().is_some_and(|c| c.is_alphanumeric() || c == '_'))
        };
        if calls("get") {
            out.push(("GET".to_owned(), path.to_owned()));
        }
        if calls("post") {
            out.push(("POST".to_owned(), path.to_owned()));
        }
    }
    assert!(out.len() > 40, "the route scan found only {} routes; has the router moved?", out.len());
    out
}

/// The policy's path with its placeholders, as a route template (`{id}`).
fn template_of(path: &str) -> String {
    let mut out = String::new();
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(if segment.starts_with('{') { "{}" } else { segment });
    }
    out
}

#[test]
fn every_page_route_has_a_policy() {
    let listed: Vec<(String, String)> = policy().iter().map(|r| (r.method.clone(), template_of(&r.path))).collect();
    let mut missing = Vec::new();
    for (method, path) in registered_routes() {
        let key = format!("{method} {path}");
        if PUBLIC.contains(&key.as_str()) {
            continue;
        }
        let template = template_of(&path);
        // `{key}` segments (milestones) are listed with a concrete value.
        let known = listed.iter().any(|(m, p)| {
            m == &method
                && (p == &template
                    || (p.split('/').count() == template.split('/').count()
                        && p.split('/').zip(template.split('/')).all(|(a, b)| a == b || b == "{}")))
        });
        if !known {
            missing.push(key);
        }
    }
    assert!(missing.is_empty(), "page routes without a policy line in tests/it/page_routes.rs: {missing:#?}");
}

backend_test!(every_page_answers_every_role_as_the_policy_says, |app| {
    let mut clients = Vec::new();
    for role in ROLES {
        let email = format!("{role}@example.com");
        app.user(&email, role, (role == "rep").then_some("华南")).await;
        clients.push(app.browser_session(&email).await);
    }
    let other_rep = app.user("rep-b@example.com", "rep", Some("华北")).await;
    let viewer = app.user("target@example.com", "viewer", None).await;
    let customer = add_customer(&app, "北方重工有限公司", "华北", Some(other_rep.id)).await;
    let other = app.browser_session("rep-b@example.com").await;
    post_form(&other, &app, &format!("/customers/{customer}/contacts"), &[("name", "王总")]).await;
    post_form(
        &other,
        &app,
        &format!("/customers/{customer}/interactions"),
        &[("occurred_on", "2026-11-02"), ("channel", "phone"), ("kind", "inquiry"), ("note", "询价")],
    )
    .await;
    let contact = rally::ops::contacts::list(&app.store, &admin_actor(&app).await, customer).await.unwrap()[0].id;
    let interaction =
        rally::ops::interactions::list(&app.store, &admin_actor(&app).await, customer, 10).await.unwrap()[0].id;
    let lead = &clients[1];
    let (status, location, _) = post_form(
        lead,
        &app,
        "/campaigns",
        &[
            ("name", "矩阵活动"),
            ("kind", "new_product"),
            ("segment", "region = \"华北\""),
            ("announced_on", "2026-11-02"),
            ("starts_on", "2026-11-03"),
            ("ends_on", "2026-11-30"),
        ],
    )
    .await;
    assert_eq!(status, 303, "the lead creates the campaign");
    let campaign: i64 = location.split('/').nth(2).unwrap().parse().unwrap();
    let (status, _, _) = post_form(lead, &app, &format!("/campaigns/{campaign}/members/generate"), &[]).await;
    assert_eq!(status, 303, "the lead generates the target list");

    // An SOP template (as saved from a reviewed campaign; its contents do not matter here).
    let template = {
        let body = serde_json::to_string(&rally::domain::sop::TemplateBody::default()).unwrap();
        let admin = admin_actor(&app).await;
        let mut tx = app.store.begin().await.unwrap();
        let id =
            rally::store::templates::insert_template(&mut tx, "矩阵模板", "new_product", campaign, &body, admin.id)
                .await
                .unwrap();
        tx.commit().await.unwrap();
        id
    };
    let fill = |path: &str| {
        path.replace("{template}", &template.to_string())
            .replace("{customer}", &customer.to_string())
            .replace("{contact}", &contact.to_string())
            .replace("{interaction}", &interaction.to_string())
            .replace("{campaign}", &campaign.to_string())
            .replace("{user}", &viewer.id.to_string())
            .replace("{missing}", "987654")
    };
    let mut wrong = Vec::new();
    let mut observed = String::new();
    for row in policy() {
        let path = fill(&row.path);
        observed.push_str(&format!("{:<4} {:<50}", row.method, row.path));
        for (i, role) in ROLES.iter().enumerate() {
            // Signing out ends the session; each role's check runs last for it.
            let client = if row.path == "/logout" {
                &app.browser_session(&format!("{role}@example.com")).await
            } else {
                &clients[i]
            };
            let status = match row.method.as_str() {
                "GET" => get_page(client, &app, &path).await.0,
                _ => post_form(client, &app, &path, &[]).await.0,
            };
            observed.push_str(&format!(" {status}"));
            if !row.expect[i].holds(status) {
                wrong.push(format!("{} {path} as {role}: {status}, expected {:?}", row.method, row.expect[i]));
            }
        }
        observed.push('\n');
    }
    if std::env::var_os("RALLY_PRINT_PAGE_POLICY").is_some() {
        println!("{observed}");
    }
    assert!(wrong.is_empty(), "page answers that differ from the policy:\n{}", wrong.join("\n"));

    // Signed out, every page but the public ones sends the browser to sign in.
    let anonymous = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for row in policy().iter().filter(|r| r.method == "GET") {
        let response = anonymous.get(app.url(&fill(&row.path))).send().await.unwrap();
        let location = response.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        if row.path == "/api/docs" {
            continue;
        }
        assert_eq!(response.status(), 303, "{} signed out", row.path);
        assert!(location.starts_with("/login?next="), "{} signed out goes to {location}", row.path);
    }
});

async fn admin_actor(app: &TestApp) -> rally::ops::authz::Actor {
    app.store.user_by_email("admin@example.com").await.unwrap().unwrap().into()
}
