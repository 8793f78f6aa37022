//! Probes, migrations, demo data, users and tokens on both backends.

use rally::ops::{self, OpsError};
use rally::store::demo::DemoOutcome;
use serde_json::Value;

use crate::backend_test;

backend_test!(probes_report_ready, |app| {
    let health: Value = app.get("/healthz").await.json().await.unwrap();
    assert_eq!(health["status"], "ok");
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 200);
    let ready: Value = response.json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    let expected = match app.backend {
        crate::helpers::Backend::Sqlite => "sqlite",
        crate::helpers::Backend::Postgres => "postgres",
    };
    assert_eq!(ready["database"], expected);
    assert_eq!(ready["migrations"]["applied"], ready["migrations"]["expected"]);
});

backend_test!(readyz_says_not_ready_when_the_database_is_gone, |app| {
    app.store.close().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["database_reachable"], false);
});

backend_test!(migrating_again_changes_nothing, |app| {
    assert_eq!(app.store.migrate().await.unwrap(), 0);
    // A second server starting on the same database finds it current.
    let second = app.another_store().await;
    assert!(second.readiness().await.is_ready());
});

backend_test!(demo_loads_once, |app| {
    let first = ops::demo::load(&app.store, app.store.today()).await.unwrap();
    let DemoOutcome::Loaded { users, customers, interactions } = first.base else {
        panic!("first load should load: {first:?}");
    };
    assert_eq!(users, rally::demo::TEAM.len());
    assert_eq!(customers, rally::demo::DEMO_CUSTOMERS);
    assert_eq!(app.store.count_customers().await.unwrap(), 2_000);
    // The running campaign's follow-ups are interactions too.
    assert!(first.follow_ups > 20, "{first:?}");
    let all = interactions as i64 + first.follow_ups as i64;
    assert_eq!(app.store.count_interactions().await.unwrap(), all);

    let second = ops::demo::load(&app.store, app.store.today()).await.unwrap();
    assert_eq!(second.base, DemoOutcome::AlreadyLoaded);
    assert_eq!(second.follow_ups, 0);
    assert_eq!(app.store.count_customers().await.unwrap(), 2_000);
    assert_eq!(app.store.count_interactions().await.unwrap(), all);
    assert_eq!(app.store.users().await.unwrap().len(), rally::demo::TEAM.len());

    let ming = app.store.user_by_email("ming@rally.example").await.unwrap().unwrap();
    assert_eq!(ming.region.as_deref(), Some("华南"));
    assert!(ops::credentials::verify_password(rally::demo::DEMO_PASSWORD, &ming.password_hash));
});

backend_test!(two_servers_loading_the_demo_at_once_load_it_once, |app| {
    let other = app.another_store().await;
    let (a, b) = tokio::join!(ops::demo::load(&app.store, app.store.today()), ops::demo::load(&other, other.today()));
    let outcomes = [a.unwrap().base, b.unwrap().base];
    assert_eq!(outcomes.iter().filter(|o| matches!(o, DemoOutcome::Loaded { .. })).count(), 1, "{outcomes:?}");
    assert_eq!(app.store.count_customers().await.unwrap(), 2_000);
});

fn add(email: &str, role: &str, region: Option<&str>) -> ops::users::AddUser {
    ops::users::AddUser {
        email: email.to_owned(),
        name: "测试".to_owned(),
        role: role.to_owned(),
        region: region.map(str::to_owned),
        password: "correct horse".to_owned(),
    }
}

backend_test!(adding_users_validates_before_writing, |app| {
    let id = ops::users::add_user(&app.store, None, add("Ming@Example.com", "rep", Some("华南"))).await.unwrap();
    let stored = app.store.user_by_email("ming@example.com").await.unwrap().unwrap();
    assert_eq!(stored.id, id);

    let dup = ops::users::add_user(&app.store, None, add("ming@example.com", "lead", None)).await;
    assert!(matches!(dup, Err(OpsError::Conflict(ref m)) if m.contains("already exists")), "{dup:?}");
    let cases = [
        (add("x@example.com", "boss", None), "role"),
        (add("x@example.com", "rep", None), "region"),
        (add("x@example.com", "rep", Some("火星")), "region"),
        (add("not-an-email", "lead", None), "email"),
        (ops::users::AddUser { password: "short".into(), ..add("x@example.com", "lead", None) }, "password"),
    ];
    for (input, field) in cases {
        match ops::users::add_user(&app.store, None, input).await {
            Err(OpsError::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("expected an invalid {field}, got {other:?}"),
        }
    }
    assert_eq!(app.store.users().await.unwrap().len(), 1, "nothing half-written");
});

backend_test!(api_tokens_are_stored_hashed, |app| {
    ops::users::add_user(&app.store, None, add("lead@example.com", "lead", None)).await.unwrap();
    let token = ops::users::create_token(&app.store, "lead@example.com", "ci").await.unwrap();
    assert!(token.starts_with("rly_"));
    let hash = ops::credentials::hash_token(&token);
    let user = app.store.user_by_token_hash(&hash).await.unwrap().unwrap();
    assert_eq!(user.email, "lead@example.com");
    assert!(app.store.user_by_token_hash(&token).await.unwrap().is_none(), "the plain token is not stored");
    assert!(ops::users::create_token(&app.store, "nobody@example.com", "ci").await.is_err());
});

backend_test!(token_use_is_noted_once_a_minute, |app| {
    let lead = ops::users::add_user(&app.store, None, add("lead@example.com", "lead", None)).await.unwrap();
    let token = ops::users::create_token(&app.store, "lead@example.com", "ci").await.unwrap();
    let last_used = || async { app.store.tokens_of(lead).await.unwrap()[0].last_used_at };
    assert_eq!(last_used().await, None);
    let actor = ops::auth::bearer_actor(&app.store, &token).await.unwrap().expect("a live token");
    assert_eq!(actor.id, lead);
    let first = last_used().await.expect("noted on first use");
    // Used again within the minute: nothing written.
    for _ in 0..3 {
        ops::auth::bearer_actor(&app.store, &token).await.unwrap().expect("a live token");
    }
    assert_eq!(last_used().await, Some(first));
    assert!(ops::auth::bearer_actor(&app.store, "rly_not-a-token").await.unwrap().is_none());
});
