//! Many writers at once: writes queue and succeed (or answer 409 for a stale
//! version), never 500, and every acknowledged write is there afterwards.

use reqwest::Method;
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::backend_test;
use crate::helpers::{TestApp, TestUser, add_customer};

async fn send(app: &TestApp, user: &TestUser, method: Method, path: &str, body: Value) -> (u16, Value) {
    let response = app.api(user, method, path).json(&body).send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// Panics with every 5xx answer listed, so a failure shows what the server said.
fn assert_no_server_errors(what: &str, answers: &[(String, u16, Value)]) {
    let bad: Vec<_> = answers.iter().filter(|(_, s, _)| *s >= 500).collect();
    assert!(bad.is_empty(), "{what}: {} of {} requests answered 5xx: {bad:?}", bad.len(), answers.len());
}

backend_test!(twenty_writers_on_different_customers_and_one_customer_never_get_5xx, |app| {
    let lead = app.user("lead@example.com", "lead", None).await;
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(add_customer(&app, &format!("并发客户{i:02}"), "华南", None).await);
    }
    let busy = ids[0];
    let today = rally::clock::today();
    let app = std::sync::Arc::new(app);
    let mut tasks = JoinSet::new();
    for (i, &id) in ids.iter().enumerate() {
        let (app, lead) = (app.clone(), lead.clone());
        tasks.spawn(async move {
            let body = json!({"city": format!("城市{i:02}"), "version": 1});
            let (s, v) = send(&app, &lead, Method::PATCH, &format!("/api/v1/customers/{id}"), body).await;
            (format!("edit {id}"), s, v)
        });
    }
    for i in 0..20i64 {
        let (app, lead) = (app.clone(), lead.clone());
        tasks.spawn(async move {
            let day = today - chrono::Duration::days(i);
            let body =
                json!({"channel": "phone", "kind": "inquiry", "note": format!("第{i}次跟进"), "occurred_on": day});
            let (s, v) = send(&app, &lead, Method::POST, &format!("/api/v1/customers/{busy}/interactions"), body).await;
            (format!("log {i}"), s, v)
        });
    }
    let answers: Vec<_> = tasks.join_all().await;
    assert_no_server_errors("20 edits of different customers beside 20 logs on one", &answers);
    for (what, status, body) in &answers {
        assert!(matches!(status, 200 | 201), "{what}: {status} {body}");
    }

    // Every acknowledged write is there.
    for (i, &id) in ids.iter().enumerate() {
        let (s, c) = send(&app, &lead, Method::GET, &format!("/api/v1/customers/{id}"), Value::Null).await;
        assert_eq!(s, 200);
        assert_eq!(c["city"], format!("城市{i:02}"), "{c}");
        assert_eq!(c["version"], 2, "{c}");
    }
    let (_, list) =
        send(&app, &lead, Method::GET, &format!("/api/v1/customers/{busy}/interactions?limit=200"), Value::Null).await;
    let notes: Vec<_> =
        list["items"].as_array().unwrap().iter().map(|i| i["note"].as_str().unwrap().to_owned()).collect();
    assert_eq!(notes.len(), 20, "{notes:?}");
    // The activity columns saw every interaction, whichever committed last.
    let (_, c) = send(&app, &lead, Method::GET, &format!("/api/v1/customers/{busy}"), Value::Null).await;
    assert_eq!(c["last_interaction_on"], json!(today), "{c}");
    assert_eq!(c["last_inquiry_on"], json!(today), "{c}");
});

backend_test!(same_version_edits_of_one_record_one_wins_the_rest_get_409, |app| {
    let lead = app.user("lead@example.com", "lead", None).await;
    let id = add_customer(&app, "抢改客户", "华东", None).await;
    let (s, logged) = send(
        &app,
        &lead,
        Method::POST,
        &format!("/api/v1/customers/{id}/interactions"),
        json!({
            "channel": "phone", "kind": "call", "note": "初次电话"
        }),
    )
    .await;
    assert_eq!(s, 201, "{logged}");
    let interaction = logged["id"].as_i64().unwrap();
    let (s, contact) =
        send(&app, &lead, Method::POST, &format!("/api/v1/customers/{id}/contacts"), json!({"name": "张总"})).await;
    assert_eq!(s, 201, "{contact}");
    let contact = contact["id"].as_i64().unwrap();

    let app = std::sync::Arc::new(app);
    const EDITORS: usize = 12;
    for (path, field) in [
        (format!("/api/v1/customers/{id}"), "city"),
        (format!("/api/v1/interactions/{interaction}"), "note"),
        (format!("/api/v1/contacts/{contact}"), "title"),
    ] {
        let mut tasks = JoinSet::new();
        for n in 0..EDITORS {
            let (app, lead, path) = (app.clone(), lead.clone(), path.clone());
            tasks.spawn(async move {
                let value = format!("第{n}位编辑");
                let (s, body) = send(&app, &lead, Method::PATCH, &path, json!({field: value, "version": 1})).await;
                (value, s, body)
            });
        }
        let answers = tasks.join_all().await;
        assert_no_server_errors(&path, &answers);
        let winners: Vec<_> = answers.iter().filter(|(_, s, _)| *s == 200).collect();
        assert_eq!(winners.len(), 1, "{path}: exactly one edit of version 1 wins: {answers:?}");
        for (_, s, body) in answers.iter().filter(|(_, s, _)| *s != 200) {
            assert_eq!(*s, 409, "{path}: {body}");
            assert_eq!(body["error"]["code"], "version_conflict", "{path}: {body}");
        }
        // The winner's value is what is stored, at version 2.
        let (_, stored) = match field {
            "note" => {
                let (s, list) =
                    send(&app, &lead, Method::GET, &format!("/api/v1/customers/{id}/interactions"), Value::Null).await;
                (s, list["items"].as_array().unwrap().iter().find(|i| i["id"] == interaction).unwrap().clone())
            }
            "title" => {
                let (s, list) =
                    send(&app, &lead, Method::GET, &format!("/api/v1/customers/{id}/contacts"), Value::Null).await;
                (s, list["items"].as_array().unwrap().iter().find(|c| c["id"] == contact).unwrap().clone())
            }
            _ => send(&app, &lead, Method::GET, &path, Value::Null).await,
        };
        assert_eq!(stored[field], winners[0].0.as_str(), "{path}: {stored}");
        assert_eq!(stored["version"], 2, "{path}: {stored}");
    }
});

/// A customer CSV of `rows` new companies named `{prefix}00001`, ….
fn customer_csv(prefix: &str, rows: usize) -> String {
    let mut csv = String::from("name,region,industry,city,annual_purchase\n");
    for i in 1..=rows {
        csv.push_str(&format!("{prefix}{i:05},华东,制造业,上海,{}\n", 1_000_000 + i * 10));
    }
    csv
}

const RALLY: &str = env!("CARGO_BIN_EXE_rally");

backend_test!(imports_beside_writes_make_neither_fail, |app| {
    const CLI_ROWS: usize = 4000;
    const API_ROWS: usize = 1500;
    let lead = app.user("lead@example.com", "lead", None).await;
    let admin = app.user("admin@example.com", "admin", None).await;
    let mut ids = Vec::new();
    for i in 0..8 {
        ids.push(add_customer(&app, &format!("日常客户{i}"), "华南", None).await);
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("名单.csv");
    std::fs::write(&file, customer_csv("命令行导入客户", CLI_ROWS)).unwrap();

    let app = std::sync::Arc::new(app);
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Writers keep editing and logging until both imports are over.
    let mut writers = JoinSet::new();
    for (w, &id) in ids.iter().enumerate() {
        let (app, lead, done) = (app.clone(), lead.clone(), done.clone());
        writers.spawn(async move {
            let mut answers = Vec::new();
            let mut version = 1;
            for round in 0..150 {
                if done.load(std::sync::atomic::Ordering::SeqCst) && round >= 3 {
                    break;
                }
                let body = json!({"city": format!("城市{w}-{round}"), "version": version});
                let (s, v) = send(&app, &lead, Method::PATCH, &format!("/api/v1/customers/{id}"), body).await;
                if s == 200 {
                    version += 1;
                }
                answers.push((format!("edit {id} round {round}"), s, v));
                let body = json!({"channel": "im", "kind": "message", "note": format!("{w}-{round}")});
                let (s, v) =
                    send(&app, &lead, Method::POST, &format!("/api/v1/customers/{id}/interactions"), body).await;
                answers.push((format!("log {id} round {round}"), s, v));
            }
            (id, version, answers)
        });
    }
    let url = app.database_url.clone();
    let cli = tokio::task::spawn_blocking(move || {
        std::process::Command::new(RALLY)
            .args(["import", "customers", "--database-url", &url])
            .arg(&file)
            .env_remove("RALLY_DATABASE_URL")
            .output()
            .expect("run rally import")
    });
    let api_import = {
        let csv = customer_csv("接口导入客户", API_ROWS);
        app.api(&admin, Method::POST, "/api/v1/imports/customers").header("content-type", "text/csv").body(csv).send()
    };
    let api_import = api_import.await.unwrap();
    let api_status = api_import.status().as_u16();
    let api_report: Value = api_import.json().await.unwrap();
    let cli = cli.await.unwrap();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let results = writers.join_all().await;

    let stdout = String::from_utf8_lossy(&cli.stdout);
    assert!(cli.status.success(), "rally import: {stdout}{}", String::from_utf8_lossy(&cli.stderr));
    assert!(stdout.contains(&format!("created {CLI_ROWS},")), "{stdout}");
    assert_eq!(api_status, 200, "{api_report}");
    assert_eq!(api_report["created"], API_ROWS, "{api_report}");
    let mut writes = 0;
    for (id, version, answers) in &results {
        assert_no_server_errors("writes beside the imports", answers);
        for (what, s, body) in answers {
            assert!(matches!(s, 200 | 201), "{what}: {s} {body}");
        }
        writes += answers.len();
        let (_, c) = send(&app, &lead, Method::GET, &format!("/api/v1/customers/{id}"), Value::Null).await;
        assert_eq!(c["version"], *version, "{c}");
        let (_, list) =
            send(&app, &lead, Method::GET, &format!("/api/v1/customers/{id}/interactions?limit=200"), Value::Null)
                .await;
        assert_eq!(list["items"].as_array().unwrap().len(), answers.len() / 2, "every logged follow-up is there");
    }
    assert!(writes >= 8 * 6, "the writers ran beside the imports ({writes} writes)");
    assert_eq!(app.store.count_customers().await.unwrap(), (8 + CLI_ROWS + API_ROWS) as i64);
});

backend_test!(many_writers_and_readers_get_no_5xx_and_every_acknowledged_write_stays, |app| {
    const WRITERS: usize = 32;
    const ROUNDS: usize = 4;
    let lead = app.user("lead@example.com", "lead", None).await;
    let hot = add_customer(&app, "热门客户", "华北", None).await;
    let app = std::sync::Arc::new(app);
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));

    // Readers: the customer list and the hot customer's timeline, all along.
    let mut readers = JoinSet::new();
    for r in 0..4 {
        let (app, lead, done) = (app.clone(), lead.clone(), done.clone());
        readers.spawn(async move {
            let mut answers = Vec::new();
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let path = if r % 2 == 0 {
                    "/api/v1/customers?limit=50".to_owned()
                } else {
                    format!("/api/v1/customers/{hot}/interactions")
                };
                let (s, v) = send(&app, &lead, Method::GET, &path, Value::Null).await;
                answers.push((path, s, v));
            }
            answers
        });
    }

    let mut writers = JoinSet::new();
    for w in 0..WRITERS {
        let (app, lead) = (app.clone(), lead.clone());
        writers.spawn(async move {
            let mut answers = Vec::new();
            let mut created = Vec::new();
            let mut logged = Vec::new();
            for round in 0..ROUNDS {
                let name = format!("写入客户{w:02}-{round}");
                let (s, c) =
                    send(&app, &lead, Method::POST, "/api/v1/customers", json!({"name": name, "region": "华北"})).await;
                if s == 201 {
                    let id = c["id"].as_i64().unwrap();
                    let (s2, e) = send(
                        &app,
                        &lead,
                        Method::PATCH,
                        &format!("/api/v1/customers/{id}"),
                        json!({"city": format!("城市{w}"), "version": 1}),
                    )
                    .await;
                    let (s3, k) = send(
                        &app,
                        &lead,
                        Method::POST,
                        &format!("/api/v1/customers/{id}/contacts"),
                        json!({"name": format!("联系人{w}-{round}")}),
                    )
                    .await;
                    if s2 == 200 && s3 == 201 {
                        created.push((id, name.clone(), k["id"].as_i64().unwrap()));
                    }
                    answers.push((format!("edit {name}"), s2, e));
                    answers.push((format!("contact {name}"), s3, k));
                }
                answers.push((format!("create {name}"), s, c));
                let note = format!("热线{w:02}-{round}");
                let (s, i) = send(
                    &app,
                    &lead,
                    Method::POST,
                    &format!("/api/v1/customers/{hot}/interactions"),
                    json!({"channel": "phone", "kind": "inquiry", "note": note}),
                )
                .await;
                if s == 201 {
                    logged.push(note.clone());
                }
                answers.push((format!("log {note}"), s, i));
            }
            (answers, created, logged)
        });
    }
    let results = writers.join_all().await;
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let reads: Vec<_> = readers.join_all().await.into_iter().flatten().collect();
    assert_no_server_errors("reads beside the writers", &reads);

    let mut all_logged = Vec::new();
    for (answers, created, logged) in &results {
        assert_no_server_errors("many writers", answers);
        for (what, s, body) in answers {
            assert!(matches!(s, 200 | 201), "{what}: {s} {body}");
        }
        for (id, name, contact) in created {
            let (s, c) = send(&app, &lead, Method::GET, &format!("/api/v1/customers/{id}"), Value::Null).await;
            assert_eq!(s, 200, "{name}");
            assert_eq!((c["name"].as_str(), c["version"].as_i64()), (Some(name.as_str()), Some(2)), "{c}");
            let (_, contacts) =
                send(&app, &lead, Method::GET, &format!("/api/v1/customers/{id}/contacts"), Value::Null).await;
            assert!(contacts["items"].as_array().unwrap().iter().any(|k| k["id"] == *contact), "{contacts}");
        }
        all_logged.extend(logged.iter().cloned());
    }
    assert_eq!(all_logged.len(), WRITERS * ROUNDS);
    let (_, list) =
        send(&app, &lead, Method::GET, &format!("/api/v1/customers/{hot}/interactions?limit=200"), Value::Null).await;
    let mut stored: Vec<String> =
        list["items"].as_array().unwrap().iter().map(|i| i["note"].as_str().unwrap().to_owned()).collect();
    stored.sort();
    all_logged.sort();
    assert_eq!(stored, all_logged);
    assert_eq!(app.store.count_customers().await.unwrap(), 1 + (WRITERS * ROUNDS) as i64);
});

// Grouped writes (one transaction for many on SQLite): a write that fails
// after writing rolls back only itself and gets its own error; the others
// are kept and answered after the commit.
backend_test!(grouped_writes_that_fail_roll_back_only_themselves, |app| {
    use rally::store::audit::{AuditAction, AuditEntry, record};
    let mut writes = JoinSet::new();
    for i in 0..64_i64 {
        let store = app.store.clone();
        writes.spawn(async move {
            let answer = store
                .write_grouped(move |tx| {
                    Box::pin(async move {
                        let entry = AuditEntry {
                            actor_id: None,
                            actor_email: "group@example.com",
                            action: AuditAction::Create,
                            object_type: "grouped_write",
                            object_id: i,
                            before: None,
                            after: Some(json!({ "i": i })),
                        };
                        record(tx, entry).await?;
                        if i % 4 == 0 {
                            return Err(rally::ops::OpsError::invalid("i", format!("{i} is refused")));
                        }
                        Ok(i * 10)
                    })
                })
                .await;
            (i, answer)
        });
    }
    for (i, answer) in writes.join_all().await {
        match answer {
            Ok(v) => assert!(i % 4 != 0 && v == i * 10, "{i}: {v}"),
            Err(rally::ops::OpsError::Invalid { field, message }) => {
                assert_eq!((i % 4, field, message), (0, "i", format!("{i} is refused")));
            }
            Err(e) => panic!("{i}: {e}"),
        }
        let kept = app.store.audit_of("grouped_write", i).await.unwrap();
        assert_eq!(kept.len(), usize::from(i % 4 != 0), "{i}: {kept:?}");
    }
});
