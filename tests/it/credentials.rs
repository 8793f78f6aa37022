//! Credentials: what a password change or reset does to sessions and API
//! tokens, and sign-in throttling (per address and per account, with
//! exponential backoff, state in the database, `Retry-After` on every 429).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::backend_test;
use crate::helpers::{PASSWORD, TestApp, TestUser, hidden_csrf};

const NEW_PASSWORD: &str = "a brand new passphrase";

async fn token_works(app: &TestApp, token: &str) -> bool {
    let response = app.client.get(app.url("/api/v1/me")).bearer_auth(token).send().await.unwrap();
    response.status() == 200
}

async fn another_token(app: &TestApp, user: &TestUser) -> String {
    rally::ops::users::create_token(&app.store, &user.email, "extra").await.unwrap()
}

backend_test!(an_admin_reset_revokes_api_tokens_unless_kept, |app| {
    let admin = app.user("admin@example.com", "admin", None).await;
    let rep = app.user("rep@example.com", "rep", Some("华南")).await;
    assert!(token_works(&app, &rep.token).await);

    // The API, by default: the rep's token dies with the old password.
    let path = format!("/api/v1/users/{}/password", rep.id);
    let reset = app.api(&admin, Method::POST, &path).json(&json!({"password": NEW_PASSWORD})).send().await.unwrap();
    assert_eq!(reset.status(), 204);
    assert!(!token_works(&app, &rep.token).await, "a reset must revoke the user's API tokens");

    // The API, keeping them on purpose.
    let kept = another_token(&app, &rep).await;
    let reset = app
        .api(&admin, Method::POST, &path)
        .json(&json!({"password": NEW_PASSWORD, "keep_tokens": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 204);
    assert!(token_works(&app, &kept).await, "keep_tokens keeps them");

    // The team page: the checkbox unticked revokes, ticked keeps.
    let browser = app.browser_session(&admin.email).await;
    let page = browser.get(app.url(&format!("/team/{}", rep.id))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("name=\"keep_tokens\""), "the reset form offers to keep tokens");
    let csrf = hidden_csrf(&page);
    let form_path = format!("/team/{}/password", rep.id);
    let response =
        browser.post(app.url(&form_path)).form(&[("csrf", csrf.as_str()), ("password", NEW_PASSWORD)]).send().await;
    assert_eq!(response.unwrap().status(), 303);
    assert!(!token_works(&app, &kept).await, "the page's reset revokes by default");
    let kept = another_token(&app, &rep).await;
    let response = browser
        .post(app.url(&form_path))
        .form(&[("csrf", csrf.as_str()), ("password", NEW_PASSWORD), ("keep_tokens", "on")])
        .send()
        .await;
    assert_eq!(response.unwrap().status(), 303);
    assert!(token_works(&app, &kept).await);

    let history: Value = app
        .api(&admin, Method::GET, &format!("/api/v1/audit/user/{}", rep.id))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let resets: Vec<&Value> =
        history["items"].as_array().unwrap().iter().filter(|r| r["after"]["password"] == "reset").collect();
    assert_eq!(resets.len(), 4, "{history}");
    assert_eq!(resets[0]["after"]["tokens_revoked"], 1);
    assert_eq!(resets[1]["after"]["tokens_revoked"], 0);
});

/// `rally user password` revokes tokens too, unless `--keep-tokens`.
#[tokio::test]
async fn the_cli_reset_revokes_api_tokens_unless_kept() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("cli.db").display());
    let store = rally::store::Store::open_and_migrate(&rally::config::DatabaseUrl::parse(&url).unwrap()).await.unwrap();
    let input = rally::ops::users::AddUser {
        email: "fang@example.com".into(),
        name: "芳".into(),
        role: "lead".into(),
        region: None,
        password: PASSWORD.into(),
    };
    rally::ops::users::add_user(&store, None, input).await.unwrap();
    let live = |token: String| {
        let store = store.clone();
        async move {
            let hash = rally::ops::credentials::hash_token(&token);
            store.user_by_token_hash(&hash).await.unwrap().is_some()
        }
    };
    for (extra, kept) in [(None, false), (Some("--keep-tokens"), true)] {
        let token = rally::ops::users::create_token(&store, "fang@example.com", "cli").await.unwrap();
        let mut args = vec!["user", "password", "--database-url", &url, "--email", "fang@example.com"];
        args.extend(extra);
        let mut child = Command::new(env!("CARGO_BIN_EXE_rally"))
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(format!("{NEW_PASSWORD}\n").as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(live(token).await, kept, "{args:?}: {}", String::from_utf8_lossy(&out.stdout));
    }
}

backend_test!(a_password_change_keeps_this_session_ends_the_others_and_revokes_tokens, |app| {
    let lead = app.user("lead@example.com", "lead", None).await;
    let here = app.browser_session(&lead.email).await;
    let elsewhere = app.browser_session(&lead.email).await;
    let page = here.get(app.url("/settings")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("name=\"keep_tokens\""), "the change form offers to keep tokens");
    let changed = here
        .post(app.url("/settings/password"))
        .form(&[("csrf", hidden_csrf(&page).as_str()), ("current_password", PASSWORD), ("new_password", NEW_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 303);
    assert_eq!(here.get(app.url("/settings")).send().await.unwrap().status(), 200, "this session stays");
    assert_eq!(elsewhere.get(app.url("/settings")).send().await.unwrap().status(), 303, "others end");
    assert!(!token_works(&app, &lead.token).await, "tokens are revoked by a change");

    // Through the API with a token: keep_tokens keeps them, the default revokes all, the caller's too.
    let keep = another_token(&app, &lead).await;
    let body = json!({"current_password": NEW_PASSWORD, "new_password": PASSWORD, "keep_tokens": true});
    let response = app.client.post(app.url("/api/v1/me/password")).bearer_auth(&keep).json(&body).send().await;
    assert_eq!(response.unwrap().status(), 204);
    assert!(token_works(&app, &keep).await);
    let body = json!({"current_password": PASSWORD, "new_password": PASSWORD});
    let response = app.client.post(app.url("/api/v1/me/password")).bearer_auth(&keep).json(&body).send().await;
    assert_eq!(response.unwrap().status(), 204);
    assert!(!token_works(&app, &keep).await);
    assert_eq!(here.get(app.url("/settings")).send().await.unwrap().status(), 303, "a token has no session to keep");

    // Through the API with the session cookie: that session stays.
    let here = app.browser_session(&lead.email).await;
    let page = here.get(app.url("/settings")).send().await.unwrap().text().await.unwrap();
    let csrf = page.split("name=\"csrf-token\" content=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let body = json!({"current_password": PASSWORD, "new_password": PASSWORD});
    let response = here.post(app.url("/api/v1/me/password")).header("x-csrf-token", csrf).json(&body).send().await;
    assert_eq!(response.unwrap().status(), 204);
    assert_eq!(here.get(app.url("/api/v1/me")).send().await.unwrap().status(), 200);
});

backend_test!(wrong_current_passwords_are_throttled_like_sign_in, |app| {
    let lead = app.user("lead@example.com", "lead", None).await;
    // Signed in before the guesses (which make this address wait for this account).
    let browser = app.browser_session(&lead.email).await;
    let change = |current: &'static str| {
        app.api(&lead, Method::POST, "/api/v1/me/password")
            .json(&json!({"current_password": current, "new_password": NEW_PASSWORD, "keep_tokens": true}))
            .send()
    };
    for _ in 0..5 {
        let response = change("not my password").await.unwrap();
        assert_eq!(response.status(), 422);
        assert_eq!(response.json::<Value>().await.unwrap()["error"]["field"], "current_password");
    }
    let throttled = change(PASSWORD).await.unwrap();
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS, "the right password waits too");
    let wait: i64 = throttled.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=15).contains(&wait), "{wait}");
    assert_eq!(throttled.json::<Value>().await.unwrap()["error"]["code"], "throttled");

    // The settings page answers the same, with the header.
    let page = browser.get(app.url("/settings")).send().await.unwrap().text().await.unwrap();
    let response = browser
        .post(app.url("/settings/password"))
        .form(&[("csrf", hidden_csrf(&page).as_str()), ("current_password", "guess"), ("new_password", NEW_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
});

backend_test!(a_throttled_sign_in_page_says_when_to_retry, |app| {
    app.user("lead@example.com", "lead", None).await;
    let client =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = client.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    let csrf = hidden_csrf(&page);
    let mut last = None;
    for _ in 0..6 {
        let response = client
            .post(app.url("/login"))
            .form(&[("csrf", csrf.as_str()), ("email", "lead@example.com"), ("password", "wrong")])
            .send()
            .await
            .unwrap();
        last = Some(response);
    }
    let response = last.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: i64 = response.headers().get("retry-after").expect("Retry-After").to_str().unwrap().parse().unwrap();
    assert!(wait >= 1, "{wait}");
    let html = response.text().await.unwrap();
    assert!(html.contains(&format!("{wait} 秒")), "the page names the wait: {html}");
});

backend_test!(a_guesser_elsewhere_does_not_lock_the_owner_out, |app| {
    app.user("lead@example.com", "lead", None).await;
    let sign_in = |password: &'static str, address: &'static str| {
        let store = app.store.clone();
        async move { rally::ops::auth::sign_in(&store, "lead@example.com", password, address).await }
    };
    for _ in 0..5 {
        assert!(matches!(sign_in("guess", "203.0.113.9").await, Err(rally::ops::OpsError::BadCredentials)));
    }
    assert!(
        matches!(sign_in(PASSWORD, "203.0.113.9").await, Err(rally::ops::OpsError::Throttled { .. })),
        "the guesser's address waits, even with the right password"
    );
    assert!(sign_in(PASSWORD, "198.51.100.7").await.is_ok(), "the owner elsewhere signs in");
    // Another server on the same database sees the same state.
    let second = app.another_store().await;
    let there = rally::ops::auth::sign_in(&second, "lead@example.com", "guess", "203.0.113.9").await;
    assert!(matches!(there, Err(rally::ops::OpsError::Throttled { .. })), "{:?}", there.err());
});

backend_test!(waits_double_with_each_failure_and_end, |app| {
    use chrono::Duration;
    use rally::ops::OpsError;
    app.user("lead@example.com", "lead", None).await;
    let start = chrono::Utc::now();
    let attempt = |password: &'static str, at: chrono::DateTime<chrono::Utc>| {
        let store = app.store.clone();
        async move { rally::ops::auth::sign_in_at(&store, "lead@example.com", password, "203.0.113.9", at).await }
    };
    let wait = |result: Result<_, OpsError>| match result {
        Err(OpsError::Throttled { retry_after_seconds }) => retry_after_seconds,
        Err(other) => panic!("expected a wait, got {other:?}"),
        Ok(_) => panic!("expected a wait, got a session"),
    };
    for _ in 0..5 {
        assert!(matches!(attempt("guess", start).await, Err(OpsError::BadCredentials)));
    }
    assert_eq!(wait(attempt("guess", start).await), 15);
    // The wait ends: one more guess, then twice as long.
    let later = start + Duration::seconds(16);
    assert!(matches!(attempt("guess", later).await, Err(OpsError::BadCredentials)));
    assert_eq!(wait(attempt(PASSWORD, later).await), 30);
    let later = later + Duration::seconds(31);
    assert!(matches!(attempt("guess", later).await, Err(OpsError::BadCredentials)));
    assert_eq!(wait(attempt(PASSWORD, later).await), 60);
    // After the wait the right password works and the count starts afresh.
    let later = later + Duration::seconds(61);
    assert!(attempt(PASSWORD, later).await.is_ok());
    assert!(matches!(attempt("guess", later).await, Err(OpsError::BadCredentials)));
    assert!(matches!(attempt("guess", later).await, Err(OpsError::BadCredentials)));

    // Housekeeping forgets quiet counts a day later: five free guesses again.
    let at = later + Duration::hours(25);
    rally::jobs::housekeeping::run_once(&app.store, at).await.unwrap();
    for _ in 0..5 {
        assert!(matches!(attempt("guess", at).await, Err(OpsError::BadCredentials)));
    }
    assert_eq!(wait(attempt("guess", at).await), 15);
});

/// With request tracing at debug level, a sign-in, a password change and API
/// calls leave no password, session cookie, CSRF token or API token in the
/// server's output.
#[tokio::test]
async fn secrets_never_reach_the_logs() {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("logs.db").display());
    let store = rally::store::Store::open_and_migrate(&rally::config::DatabaseUrl::parse(&url).unwrap()).await.unwrap();
    let input = rally::ops::users::AddUser {
        email: "fang@example.com".into(),
        name: "芳".into(),
        role: "lead".into(),
        region: None,
        password: PASSWORD.into(),
    };
    rally::ops::users::add_user(&store, None, input).await.unwrap();
    let token = rally::ops::users::create_token(&store, "fang@example.com", "logs").await.unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_rally"))
        .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--database-url", &url])
        .env("RUST_LOG", "debug")
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap();
    let client =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut ready = false;
    for _ in 0..200 {
        if client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status() == 200) {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let page = client.get(format!("{base}/login")).send().await.unwrap().text().await.unwrap();
    let pre_csrf = hidden_csrf(&page);
    let mut session_cookie = String::new();
    for password in ["a wrong guess 123", PASSWORD] {
        let form = [("csrf", pre_csrf.as_str()), ("email", "fang@example.com"), ("password", password)];
        let response = client.post(format!("{base}/login")).form(&form).send().await.unwrap();
        for value in response.headers().get_all("set-cookie") {
            let value = value.to_str().unwrap();
            if let Some(rest) = value.strip_prefix("rally_session=") {
                session_cookie = rest.split(';').next().unwrap().to_owned();
            }
        }
    }
    assert!(!session_cookie.is_empty(), "signed in");
    let settings = client.get(format!("{base}/settings")).send().await.unwrap().text().await.unwrap();
    let csrf = hidden_csrf(&settings);
    let change = [
        ("csrf", csrf.as_str()),
        ("current_password", PASSWORD),
        ("new_password", NEW_PASSWORD),
        ("keep_tokens", "on"),
    ];
    client.post(format!("{base}/settings/password")).form(&change).send().await.unwrap();
    assert_eq!(client.get(format!("{base}/api/v1/me")).bearer_auth(&token).send().await.unwrap().status(), 200);
    let body = json!({"current_password": NEW_PASSWORD, "new_password": PASSWORD, "keep_tokens": true});
    client.post(format!("{base}/api/v1/me/password")).bearer_auth(&token).json(&body).send().await.unwrap();
    let _ = Command::new("kill").args(["-TERM", &server.id().to_string()]).status();
    server.wait().unwrap();
    assert!(ready, "the server did not start");
    let logged = std::fs::read_to_string(&log_path).unwrap();
    assert!(logged.contains("/settings/password"), "requests are traced: {logged}");
    let secrets = [
        PASSWORD.to_owned(),
        NEW_PASSWORD.to_owned(),
        "a wrong guess 123".to_owned(),
        token.clone(),
        token[4..].to_owned(),
        pre_csrf,
        csrf,
        session_cookie,
    ];
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        assert!(!logged.contains(secret.as_str()), "the log shows a secret ({}…)", &secret[..secret.len().min(6)]);
    }
}

backend_test!(disabling_a_member_ends_their_sessions_and_stops_their_tokens, |app| {
    let admin = app.user("admin@example.com", "admin", None).await;
    let rep = app.user("rep@example.com", "rep", Some("华南")).await;
    let browser = app.browser_session(&rep.email).await;
    assert_eq!(browser.get(app.url("/api/v1/me")).send().await.unwrap().status(), 200);
    let path = format!("/api/v1/users/{}", rep.id);
    let response = app.api(&admin, Method::PATCH, &path).json(&json!({"active": false})).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(browser.get(app.url("/api/v1/me")).send().await.unwrap().status(), 401);
    assert!(!token_works(&app, &rep.token).await);
    let signed_in = rally::ops::auth::sign_in(&app.store, &rep.email, PASSWORD, "198.51.100.7").await;
    assert!(matches!(signed_in, Err(rally::ops::OpsError::BadCredentials)), "a disabled member cannot sign in");
});

/// Six wrong passwords for one account from one client behind the proxy,
/// then the owner signs in from another client through the same proxy.
async fn guess_then_sign_in_through_a_proxy(app: &crate::helpers::TestApp) -> StatusCode {
    app.user("lead@example.com", "lead", None).await;
    let client =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = client.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    let csrf = hidden_csrf(&page);
    let attempt = |password: &'static str, client_ip: &'static str| {
        client
            .post(app.url("/login"))
            .header("x-forwarded-for", client_ip)
            .form(&[("csrf", csrf.as_str()), ("email", "lead@example.com"), ("password", password)])
            .send()
    };
    let mut last = StatusCode::OK;
    for _ in 0..6 {
        last = attempt("wrong", "203.0.113.7").await.unwrap().status();
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS, "the guesser waits");
    attempt(PASSWORD, "198.51.100.20").await.unwrap().status()
}

mod trusted_proxies {
    use super::*;
    use crate::helpers::{Backend, spawn_app_with};

    fn behind_a_proxy() -> rally::app::AppConfig {
        rally::app::AppConfig { trusted_proxies: "127.0.0.1,::1".parse().unwrap(), ..Default::default() }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_trusted_proxy_names_the_client_so_the_owner_is_not_made_to_wait() {
        let Some(app) = spawn_app_with(Backend::Sqlite, rally::clock::Clock::System, behind_a_proxy()).await else {
            return;
        };
        assert_eq!(guess_then_sign_in_through_a_proxy(&app).await, StatusCode::SEE_OTHER);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn without_trusted_proxies_the_header_is_ignored() {
        let Some(app) = spawn_app_with(Backend::Sqlite, rally::clock::Clock::System, Default::default()).await else {
            return;
        };
        // The header cannot pick the address: both clients are this TCP peer.
        assert_eq!(guess_then_sign_in_through_a_proxy(&app).await, StatusCode::TOO_MANY_REQUESTS);
    }
}
