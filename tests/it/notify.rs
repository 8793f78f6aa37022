//! Notifications end to end against real receivers on loopback: every
//! channel's test message arrives correctly signed; receivers' errors are
//! retried or dead as they should be; quiet hours and holidays hold
//! messages; a rate-limited robot gets its burst at ≤ 20 a minute with
//! nothing lost; reminders are made once however many servers scan.

use chrono::{DateTime, NaiveDate, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_test;
use crate::helpers::{TestApp, TestUser};
use crate::receivers::{self, Mode};
use rally::clock::Clock;
use rally::domain::notify::EventKind;
use rally::domain::notify::render::{EventData, Params};
use rally::domain::notify::schedule::at_local;
use rally::ops::authz::Actor;
use rally::ops::notify::channels::{ChannelInput, SmtpConfig, SmtpTls};
use rally::ops::notify::queue::{Worker, run};
use rally::ops::notify::{Context, Event, emit_now};
use rally::store::Store;
use rally::store::notify::DeliveryFilter;

pub async fn actor(app: &TestApp, user: &TestUser) -> Actor {
    Actor::from(app.store.user_by_id(user.id).await.unwrap().unwrap())
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// The store seen at `h:m` on `d` (Asia/Shanghai).
fn at(store: &Store, d: &str, h: u32, m: u32) -> Store {
    store.with_clock(Clock::Fixed(at_local(day(d), chrono::NaiveTime::from_hms_opt(h, m, 0).unwrap())))
}

pub fn channel(kind: &str, name: &str, url: &str, secret: &str) -> ChannelInput {
    ChannelInput {
        kind: Some(kind.into()),
        name: Some(name.into()),
        url: Some(url.into()),
        secret: Some(secret.into()),
        ..ChannelInput::default()
    }
}

/// An event for the given recipients, made now on `store`'s clock.
pub async fn event(store: &Store, kind: EventKind, key: &str, recipients: Vec<i64>) -> i64 {
    let ctx = Context::load(store).await.unwrap();
    let mut params = Params::new();
    params.insert("campaign".into(), "双十一新品A限时促销".into());
    params.insert("phase".into(), rally::domain::notify::render::Param::Key { key: "phase.breakdown".into() });
    params.insert("due_on".into(), "2026-11-26".into());
    let e = Event {
        kind,
        dedupe_key: key.into(),
        occurred_at: store.now(),
        data: EventData { params, link: "/campaigns/1".into(), ..EventData::default() },
        recipients,
        only_channel: None,
    };
    emit_now(store, &ctx, &e).await.unwrap().expect("a new event")
}

async fn statuses(store: &Store) -> Vec<String> {
    store.deliveries(&DeliveryFilter::default(), 1000).await.unwrap().into_iter().map(|d| d.status).collect()
}

backend_test!(every_channel_sends_a_correctly_signed_test_message, |app| {
    let fakes = receivers::start().await;
    let smtp = receivers::start_smtp().await;
    let admin_user = app.user("admin@example.com", "admin", None).await;
    let admin = actor(&app, &admin_user).await;
    let s = &app.store;
    let ops = rally::ops::notify::channels::create;
    let wecom = ops(s, &admin, channel("wecom", "销售群", &fakes.wecom_url(), "")).await.unwrap();
    let dingtalk =
        ops(s, &admin, channel("dingtalk", "钉钉群", &fakes.dingtalk_url(), receivers::DINGTALK_SECRET)).await.unwrap();
    let feishu =
        ops(s, &admin, channel("feishu", "飞书群", &fakes.feishu_url(), receivers::FEISHU_SECRET)).await.unwrap();
    let webhook =
        ops(s, &admin, channel("webhook", "CRM", &fakes.webhook_url(), receivers::WEBHOOK_SECRET)).await.unwrap();
    let mail = ops(
        s,
        &admin,
        ChannelInput {
            kind: Some("email".into()),
            name: Some("邮件".into()),
            secret: Some(receivers::SMTP_PASSWORD.into()),
            smtp: Some(SmtpConfig {
                host: "127.0.0.1".into(),
                port: smtp.port,
                tls: SmtpTls::None,
                username: receivers::SMTP_USER.into(),
                from: "快响 Rally <rally@example.com>".into(),
            }),
            ..ChannelInput::default()
        },
    )
    .await
    .unwrap();

    // Secrets are never shown back in full.
    assert!(!dingtalk.url.contains(receivers::DINGTALK_TOKEN) && !dingtalk.secret.contains("SECd0e1"));
    assert!(!wecom.url.contains(receivers::WECOM_KEY));

    for (view, receiver) in [(&wecom, "wecom"), (&dingtalk, "dingtalk"), (&feishu, "feishu"), (&webhook, "webhook")] {
        let result = rally::ops::notify::channels::send_test(s, &admin, view.id).await.unwrap();
        assert_eq!(result.status, "sent", "{receiver}: {:?} {:?}", result.answer, fakes.fakes.received());
        let got = fakes.fakes.accepted(receiver);
        assert_eq!(got.len(), 1, "{receiver}: {:?}", fakes.fakes.received());
    }
    let d = &fakes.fakes.accepted("dingtalk")[0];
    assert!(d.body["markdown"]["text"].as_str().unwrap().contains("快响测试消息"));
    assert!(d.key.as_deref().is_some_and(|k| k.starts_with("rally-e")), "msgUuid carries the idempotency key");
    let w = &fakes.fakes.accepted("webhook")[0];
    assert_eq!(w.body["event"], "test");
    assert_eq!(w.body["data"]["title"], "快响测试消息");

    let result = rally::ops::notify::channels::send_test(s, &admin, mail.id).await.unwrap();
    assert_eq!(result.status, "sent", "{:?}", result.answer);
    let mails = smtp.mails.lock().unwrap().clone();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].authenticated);
    assert_eq!(mails[0].from, "rally@example.com");
    assert_eq!(mails[0].to, vec!["admin@example.com".to_owned()]);
    assert!(mails[0].data.contains("Message-ID: <rally-e"), "{}", mails[0].data);

    // Nothing secret in the audit trail.
    for id in [wecom.id, dingtalk.id, feishu.id, webhook.id, mail.id] {
        let history = s.audit_of("notification_channel", id).await.unwrap();
        let text = serde_json::to_string(&history.iter().map(|r| &r.after).collect::<Vec<_>>()).unwrap();
        for secret in [
            receivers::WECOM_KEY,
            receivers::DINGTALK_TOKEN,
            receivers::DINGTALK_SECRET,
            receivers::FEISHU_SECRET,
            receivers::FEISHU_TOKEN,
            receivers::WEBHOOK_SECRET,
            receivers::SMTP_PASSWORD,
        ] {
            assert!(!text.contains(secret), "the audit trail shows a secret: {text}");
        }
    }
});

backend_test!(receiver_errors_are_retried_or_dead_with_the_receivers_message, |app| {
    let fakes = receivers::start().await;
    let admin_user = app.user("admin@example.com", "admin", None).await;
    let admin = actor(&app, &admin_user).await;
    let s = at(&app.store, "2026-11-25", 10, 0);
    let create = rally::ops::notify::channels::create;
    // A wrong key: dead at once, with WeCom's own words.
    let bad = format!("{}/cgi-bin/webhook/send?key=wrong-key", fakes.base());
    let wrong = create(&s, &admin, channel("wecom", "旧群", &bad, "")).await.unwrap();
    // A DingTalk robot whose secret does not match: dead at once.
    let unsigned = create(&s, &admin, channel("dingtalk", "钉钉", &fakes.dingtalk_url(), "SECwrong")).await.unwrap();
    let hook =
        create(&s, &admin, channel("webhook", "CRM", &fakes.webhook_url(), receivers::WEBHOOK_SECRET)).await.unwrap();
    fakes.fakes.set_mode(Mode::Fail);
    event(&s, EventKind::PhaseDueSoon, "e1", vec![admin_user.id]).await;
    let worker = Worker::new("t");
    let report = run(&s, &worker, None).await.unwrap();
    assert_eq!((report.dead, report.retried), (2, 1), "{report:?}");
    let log = s.deliveries(&DeliveryFilter::default(), 10).await.unwrap();
    let of = |id: i64| log.iter().find(|d| d.channel_id == Some(id)).unwrap();
    assert_eq!(of(wrong.id).status, "dead");
    assert!(of(wrong.id).last_answer.as_deref().unwrap().contains("93000: invalid webhook url"));
    assert_eq!(of(unsigned.id).status, "dead");
    assert!(of(unsigned.id).last_answer.as_deref().unwrap().contains("sign not match"));
    let refusals: Vec<Option<String>> =
        fakes.fakes.received().into_iter().filter(|r| r.receiver == "dingtalk").map(|r| r.refusal).collect();
    assert_eq!(refusals, [Some("sign".to_owned())], "the receiver refused the wrong signature itself");
    // A 500 is retried later (backoff: 15–30 s), not now.
    let retrying = of(hook.id);
    assert_eq!(retrying.status, "retrying");
    assert!(retrying.last_answer.as_deref().unwrap().contains("HTTP 500"));
    let next = retrying.next_at.unwrap();
    assert!(next > s.now() + chrono::Duration::seconds(14) && next <= s.now() + chrono::Duration::seconds(30));
    assert_eq!(run(&s, &worker, None).await.unwrap().done(), 0, "nothing is due yet");
    // The receiver recovers; a minute later the retry goes.
    fakes.fakes.set_mode(Mode::Ok);
    let later = s.with_clock(Clock::Fixed(s.now() + chrono::Duration::seconds(31)));
    assert_eq!(run(&later, &worker, None).await.unwrap().sent, 1);
    let attempts = s.delivery_attempts(&[retrying.id]).await.unwrap();
    let outcomes: Vec<&str> = attempts.iter().map(|a| a.outcome.as_str()).collect();
    assert_eq!(outcomes, ["retry", "sent"]);
    // The admin fixes the key and retries the dead job: it goes.
    let fixed = ChannelInput { url: Some(fakes.wecom_url()), ..ChannelInput::default() };
    rally::ops::notify::channels::update(&later, &admin, wrong.id, None, fixed).await.unwrap();
    let dead = rally::ops::notify::log::jobs(&later, &admin, true, None, 10).await.unwrap();
    assert_eq!(dead.len(), 2);
    let job = dead.iter().find(|j| j.ref_id == of(wrong.id).id).unwrap();
    rally::ops::notify::log::retry(&later, &admin, job.id).await.unwrap();
    assert_eq!(run(&later, &worker, None).await.unwrap().sent, 1);
    assert_eq!(fakes.fakes.accepted("wecom").len(), 1);
    // Only dead jobs can be retried, and only by an admin.
    let lead = app.user("lead@example.com", "lead", None).await;
    let lead = actor(&app, &lead).await;
    assert!(matches!(
        rally::ops::notify::log::retry(&later, &lead, job.id).await,
        Err(rally::ops::OpsError::Forbidden)
    ));
    assert!(matches!(
        rally::ops::notify::log::retry(&later, &admin, job.id).await,
        Err(rally::ops::OpsError::NotFound)
    ));
});

backend_test!(quiet_hours_and_holidays_hold_messages_until_a_working_morning, |app| {
    let fakes = receivers::start().await;
    let admin_user = app.user("admin@example.com", "admin", None).await;
    let admin = actor(&app, &admin_user).await;
    let evening = at(&app.store, "2026-11-24", 22, 30);
    rally::ops::notify::channels::create(
        &evening,
        &admin,
        channel("webhook", "CRM", &fakes.webhook_url(), receivers::WEBHOOK_SECRET),
    )
    .await
    .unwrap();
    let worker = Worker::new("t");
    // Tuesday 22:30: made now (the inbox has it), sent at Wednesday 08:00.
    event(&evening, EventKind::PhaseOverdue, "night", vec![admin_user.id]).await;
    assert_eq!(app.store.unread_count(admin_user.id).await.unwrap(), 1);
    assert_eq!(run(&evening, &worker, None).await.unwrap().done(), 0);
    let held = &evening.deliveries(&DeliveryFilter::default(), 10).await.unwrap()[0];
    assert_eq!(held.next_at, Some(at_local(day("2026-11-25"), chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap())));
    assert_eq!(run(&at(&app.store, "2026-11-25", 7, 59), &worker, None).await.unwrap().done(), 0);
    assert_eq!(run(&at(&app.store, "2026-11-25", 8, 0), &worker, None).await.unwrap().sent, 1);

    // National Day (2026-10-01 to 10-07 off): held until Thursday 10-08 08:00.
    let holiday = at(&app.store, "2026-10-03", 11, 0);
    event(&holiday, EventKind::PhaseOverdue, "holiday", vec![admin_user.id]).await;
    assert_eq!(run(&at(&app.store, "2026-10-07", 12, 0), &worker, None).await.unwrap().done(), 0);
    assert_eq!(run(&at(&app.store, "2026-10-08", 8, 0), &worker, None).await.unwrap().sent, 1);
    assert_eq!(fakes.fakes.accepted("webhook").len(), 2);

    // Reminders are not even made on a holiday or at night; an adjusted
    // working Saturday (2026-10-10) is a working day.
    let lead = app.user("lead@example.com", "lead", None).await;
    create_campaign(&app, &lead, "2026-10-08", "2026-10-09", "2026-10-31").await;
    let scan = |d: &'static str, h: u32, m: u32| {
        let store = at(&app.store, d, h, m);
        async move { rally::ops::notify::reminders::scan(&store).await.unwrap() }
    };
    assert_eq!(scan("2026-10-04", 10, 0).await, 0, "a holiday");
    assert_eq!(scan("2026-10-09", 22, 0).await, 0, "quiet hours");
    assert_eq!(scan("2026-10-10", 8, 0).await, 0, "before the working day starts");
    assert!(scan("2026-10-10", 9, 30).await > 0, "an adjusted working Saturday gets its reminders");
});

backend_test!(a_rate_limited_robot_gets_its_burst_at_twenty_a_minute_with_nothing_lost, |app| {
    let fakes = receivers::start().await;
    let admin_user = app.user("admin@example.com", "admin", None).await;
    let admin = actor(&app, &admin_user).await;
    let t0 = at(&app.store, "2026-11-25", 10, 0);
    rally::ops::notify::channels::create(&t0, &admin, channel("wecom", "销售群", &fakes.wecom_url(), ""))
        .await
        .unwrap();
    for i in 0..45 {
        event(&t0, EventKind::PhaseDueSoon, &format!("burst-{i}"), vec![admin_user.id]).await;
    }
    let worker = Worker::new("t");
    let mut sent_at: Vec<DateTime<Utc>> = Vec::new();
    // Each run is a moment of the store's clock; the queue may send only
    // what the robot's window allows then.
    for second in (0..=180).step_by(5) {
        let store = t0.with_clock(Clock::Fixed(t0.now() + chrono::Duration::seconds(second)));
        let report = run(&store, &worker, None).await.unwrap();
        sent_at.extend(std::iter::repeat_n(store.now(), report.sent));
    }
    assert_eq!(sent_at.len(), 45, "every message of the burst arrives");
    assert_eq!(fakes.fakes.accepted("wecom").len(), 45);
    for (i, start) in sent_at.iter().enumerate() {
        let within = sent_at[i..].iter().filter(|t| **t < *start + chrono::Duration::seconds(60)).count();
        assert!(within <= 20, "{within} messages in the minute from {start}");
    }
    assert_eq!(sent_at.iter().filter(|t| **t == t0.now()).count(), 20, "the first twenty go at once");
    assert!(statuses(&t0).await.iter().all(|s| s == "sent"));

    // The robot's own "too fast" answer is retried after its minute, not dropped.
    fakes.fakes.set_mode(Mode::RateLimit);
    let t1 = t0.with_clock(Clock::Fixed(t0.now() + chrono::Duration::minutes(10)));
    event(&t1, EventKind::PhaseDueSoon, "limited", vec![admin_user.id]).await;
    assert_eq!(run(&t1, &worker, None).await.unwrap().retried, 1);
    fakes.fakes.set_mode(Mode::Ok);
    let t2 = t1.with_clock(Clock::Fixed(t1.now() + chrono::Duration::seconds(75)));
    assert_eq!(run(&t2, &worker, None).await.unwrap().sent, 1);
});

backend_test!(phase_deadlines_remind_owners_once_however_many_servers_scan, |app| {
    let fakes = receivers::start().await;
    let admin_user = app.user("admin@example.com", "admin", None).await;
    let admin = actor(&app, &admin_user).await;
    let lead = app.user("lead@example.com", "lead", None).await;
    let rep = app.user("rep@example.com", "rep", Some("华南")).await;
    // Announced Monday 11-23: kickoff due Wednesday 11-25, breakdown Thursday 11-26.
    let id = create_campaign(&app, &lead, "2026-11-23", "2026-11-30", "2026-12-20").await;
    rally::ops::notify::channels::create(
        &app.store,
        &admin,
        channel("dingtalk", "钉钉群", &fakes.dingtalk_url(), receivers::DINGTALK_SECRET),
    )
    .await
    .unwrap();
    rally::ops::notify::set_my_prefs(&app.store, &actor(&app, &lead).await, "138 0013 8000", &[]).await.unwrap();
    let morning = at(&app.store, "2026-11-25", 9, 5);
    let other_server = app.another_store().await.with_clock(morning.clock());
    let (a, b) =
        tokio::join!(rally::ops::notify::reminders::scan(&morning), rally::ops::notify::reminders::scan(&other_server));
    let made = a.unwrap() + b.unwrap();
    assert_eq!(made, 2, "kickoff due today and breakdown due tomorrow, made once");
    assert_eq!(rally::ops::notify::reminders::scan(&morning).await.unwrap(), 0);
    let lead_actor = actor(&app, &lead).await;
    let inbox = rally::ops::notify::inbox::list(&morning, &lead_actor, None, false, 50).await.unwrap();
    assert_eq!(inbox.unread, 2);
    assert!(inbox.items.iter().all(|i| i.link == format!("/campaigns/{id}")));
    assert!(inbox.items.iter().any(|i| i.title.contains("启动与目标锚定")), "{:?}", inbox.items);
    assert_eq!(morning.unread_count(rep.id).await.unwrap(), 0, "a rep who is no owner hears nothing");
    let worker = Worker::new("t");
    assert_eq!(run(&morning, &worker, None).await.unwrap().sent, 2);
    let got = fakes.fakes.accepted("dingtalk");
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].body["at"]["atMobiles"], json!(["13800138000"]), "the lead is @-mentioned");
    // Marking read.
    rally::ops::notify::inbox::mark_read(&morning, &lead_actor, inbox.items[0].id).await.unwrap();
    assert_eq!(morning.unread_count(lead.id).await.unwrap(), 1);
    let admin_actor = actor(&app, &admin_user).await;
    assert!(rally::ops::notify::inbox::mark_read(&morning, &admin_actor, inbox.items[1].id).await.is_err());
    assert_eq!(rally::ops::notify::inbox::mark_all_read(&morning, &lead_actor).await.unwrap(), 1);
    // The next day the overdue kickoff is reminded again; switched off, nothing.
    let input =
        rally::ops::notify::SettingsInput { enabled: Some(vec!["phase_due_soon".into()]), ..Default::default() };
    rally::ops::notify::set_settings(&app.store, &admin, input).await.unwrap();
    let next = at(&app.store, "2026-11-26", 9, 5);
    assert_eq!(rally::ops::notify::reminders::scan(&next).await.unwrap(), 1, "breakdown due today only");
});

/// A campaign planned by `lead` through the API.
pub async fn create_campaign(app: &TestApp, lead: &TestUser, announced: &str, starts: &str, ends: &str) -> i64 {
    let response = app
        .api(lead, Method::POST, "/api/v1/campaigns")
        .json(&json!({"name": "双十一新品A限时促销", "kind": "new_product", "announced_on": announced,
                       "starts_on": starts, "ends_on": ends}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().unwrap()
}

/// How many times each idempotency key reached the webhook receiver.
fn arrivals(fakes: &receivers::Fakes) -> std::collections::BTreeMap<String, usize> {
    let mut seen = std::collections::BTreeMap::new();
    for r in fakes.accepted("webhook") {
        *seen.entry(r.key.expect("X-Rally-Delivery")).or_insert(0) += 1;
    }
    seen
}

backend_test!(two_workers_on_one_database_deliver_each_message_exactly_once, |app| {
    let fakes = receivers::start().await;
    let admin_user = app.user("admin@example.com", "admin", None).await;
    let admin = actor(&app, &admin_user).await;
    let s = at(&app.store, "2026-11-25", 10, 0);
    rally::ops::notify::channels::create(
        &s,
        &admin,
        channel("webhook", "CRM", &fakes.webhook_url(), receivers::WEBHOOK_SECRET),
    )
    .await
    .unwrap();
    for i in 0..200 {
        event(&s, EventKind::PhaseDueSoon, &format!("pair-{i}"), vec![admin_user.id]).await;
    }
    // A second server's store on the same database, at the same moment.
    let other = app.another_store().await.with_clock(s.clock());
    let (mut a, mut b) = (Worker::new("a"), Worker::new("b"));
    // Small batches, so the two interleave.
    a.concurrency = 4;
    b.concurrency = 4;
    let (ra, rb) = tokio::join!(run(&s, &a, None), run(&other, &b, None));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.sent + rb.sent, 200, "{ra:?} {rb:?}");
    assert!(ra.sent > 0 && rb.sent > 0, "both workers took a share: {ra:?} {rb:?}");
    let seen = arrivals(&fakes.fakes);
    assert_eq!(seen.len(), 200, "every message arrived");
    assert!(seen.values().all(|n| *n == 1), "a message arrived twice: {seen:?}");
    assert!(statuses(&s).await.iter().all(|st| st == "sent"));
    assert_eq!(run(&s, &a, None).await.unwrap().done(), 0, "nothing is left to send");
});

backend_test!(a_worker_stopped_mid_send_is_taken_over_after_its_lease_with_the_same_key, |app| {
    let fakes = receivers::start().await;
    let admin_user = app.user("admin@example.com", "admin", None).await;
    let admin = actor(&app, &admin_user).await;
    let s = at(&app.store, "2026-11-25", 10, 0);
    rally::ops::notify::channels::create(
        &s,
        &admin,
        channel("webhook", "CRM", &fakes.webhook_url(), receivers::WEBHOOK_SECRET),
    )
    .await
    .unwrap();
    for i in 0..5 {
        event(&s, EventKind::PhaseDueSoon, &format!("stalled-{i}"), vec![admin_user.id]).await;
    }
    // The receiver takes the messages but answers only after a long while:
    // the worker is stopped (its task dropped, as a killed process) before
    // it hears back, so it records nothing.
    fakes.fakes.set_delay(std::time::Duration::from_secs(30));
    let stalled = {
        let store = s.clone();
        tokio::spawn(async move { run(&store, &Worker::new("stalled"), None).await })
    };
    let started = std::time::Instant::now();
    while fakes.fakes.accepted("webhook").len() < 5 {
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "the sends never arrived");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    stalled.abort();
    let _ = stalled.await;
    fakes.fakes.set_delay(std::time::Duration::ZERO);
    assert!(statuses(&s).await.iter().all(|st| st == "sending"), "each attempt is recorded before its send");

    // Within the lease nobody else touches them.
    let rescuer = Worker::new("rescuer");
    let within = s.with_clock(Clock::Fixed(s.now() + chrono::Duration::seconds(59)));
    let report = run(&within, &rescuer, None).await.unwrap();
    assert_eq!((report.done(), report.reaped), (0, 0), "{report:?}");
    // After it, another worker sends them again with the same keys, so the
    // receiver can tell the repeat, and each is recorded sent once.
    let after = s.with_clock(Clock::Fixed(s.now() + chrono::Duration::seconds(61)));
    let report = run(&after, &rescuer, None).await.unwrap();
    assert_eq!((report.reaped, report.sent), (5, 5), "{report:?}");
    let seen = arrivals(&fakes.fakes);
    assert_eq!(seen.len(), 5);
    assert!(seen.values().all(|n| *n == 2), "each was repeated once with its key: {seen:?}");
    let log = s.deliveries(&DeliveryFilter::default(), 10).await.unwrap();
    assert!(log.iter().all(|d| d.status == "sent"));
    let ids: Vec<i64> = log.iter().map(|d| d.id).collect();
    let attempts = s.delivery_attempts(&ids).await.unwrap();
    for d in &log {
        let outcomes: Vec<&str> =
            attempts.iter().filter(|a| a.delivery_id == d.id).map(|a| a.outcome.as_str()).collect();
        assert_eq!(outcomes, ["unknown", "sent"], "delivery {}", d.id);
    }
    // A message recorded as sent is never sent again, whoever looks later.
    let much_later = s.with_clock(Clock::Fixed(s.now() + chrono::Duration::minutes(30)));
    assert_eq!(run(&much_later, &rescuer, None).await.unwrap().done(), 0);
    assert_eq!(fakes.fakes.accepted("webhook").len(), 10);
});

/// The id of the channel named `name`.
async fn channel_id_named(app: &TestApp, name: &str) -> i64 {
    app.store.channels().await.unwrap().into_iter().find(|c| c.name == name).expect("the channel was saved").id
}

backend_test!(an_admin_configures_each_channel_in_the_pages_and_its_test_message_arrives_signed, |app| {
    use crate::helpers::{get_page, post_form};
    let fakes = receivers::start().await;
    let smtp = receivers::start_smtp().await;
    app.user("admin@example.com", "admin", None).await;
    let browser = app.browser_session("admin@example.com").await;
    let smtp_port = smtp.port.to_string();
    let forms: Vec<(&str, Vec<(&str, String)>)> = vec![
        (
            "钉钉群",
            vec![
                ("kind", "dingtalk".into()),
                ("url", fakes.dingtalk_url()),
                ("secret", receivers::DINGTALK_SECRET.into()),
            ],
        ),
        ("企业微信群", vec![("kind", "wecom".into()), ("url", fakes.wecom_url())]),
        (
            "飞书群",
            vec![("kind", "feishu".into()), ("url", fakes.feishu_url()), ("secret", receivers::FEISHU_SECRET.into())],
        ),
        (
            "CRM",
            vec![
                ("kind", "webhook".into()),
                ("url", fakes.webhook_url()),
                ("secret", receivers::WEBHOOK_SECRET.into()),
            ],
        ),
        (
            "邮件",
            vec![
                ("kind", "email".into()),
                ("secret", receivers::SMTP_PASSWORD.into()),
                ("smtp_host", "127.0.0.1".into()),
                ("smtp_port", smtp_port.clone()),
                ("smtp_tls", "none".into()),
                ("smtp_username", receivers::SMTP_USER.into()),
                ("smtp_from", "rally@example.com".into()),
            ],
        ),
    ];
    for (name, fields) in &forms {
        let mut form: Vec<(&str, &str)> = vec![("name", name)];
        form.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
        let (status, location, body) = post_form(&browser, &app, "/settings/channels", &form).await;
        assert_eq!((status, location.as_str()), (303, "/settings/channels?ok=channels.created"), "{name}: {body}");
        let id = channel_id_named(&app, name).await;
        let (status, _, page) = post_form(&browser, &app, &format!("/settings/channels/{id}/test"), &[]).await;
        assert_eq!(status, 200);
        assert!(page.contains("测试消息已送达"), "{name}: {page}");
    }
    for receiver in ["dingtalk", "wecom", "feishu", "webhook"] {
        assert_eq!(fakes.fakes.accepted(receiver).len(), 1, "{receiver}: {:?}", fakes.fakes.received());
    }
    assert_eq!(smtp.mails.lock().unwrap().len(), 1);
    // The page never shows a key or secret back.
    let (_, page) = get_page(&browser, &app, "/settings/channels").await;
    for secret in [
        receivers::DINGTALK_TOKEN,
        receivers::DINGTALK_SECRET,
        receivers::WECOM_KEY,
        receivers::FEISHU_TOKEN,
        receivers::FEISHU_SECRET,
        receivers::WEBHOOK_SECRET,
        receivers::SMTP_PASSWORD,
    ] {
        assert!(!page.contains(secret), "the channels page shows a secret");
    }
    assert!(page.contains("钉钉自定义机器人") && page.contains("发送测试消息"));

    // A robot that refuses its key: the page says so in the receiver's words,
    // the job is dead, and once the key is fixed the admin sends it again.
    let bad = format!("{}/cgi-bin/webhook/send?key=wrong-key", fakes.base());
    post_form(&browser, &app, "/settings/channels", &[("name", "旧群"), ("kind", "wecom"), ("url", &bad)]).await;
    let id = channel_id_named(&app, "旧群").await;
    let (_, _, page) = post_form(&browser, &app, &format!("/settings/channels/{id}/test"), &[]).await;
    assert!(page.contains("测试消息未送达") && page.contains("93000"), "{page}");
    let (status, page) = get_page(&browser, &app, "/settings/jobs").await;
    assert_eq!(status, 200);
    assert!(page.contains("invalid webhook url"), "{page}");
    let job = page.split("/settings/jobs/").nth(1).and_then(|r| r.split('/').next()).unwrap().to_owned();
    let (_, edit) = get_page(&browser, &app, &format!("/settings/channels/{id}")).await;
    let version = edit.split("name=\"version\" value=\"").nth(1).and_then(|r| r.split('"').next()).unwrap().to_owned();
    let fixed = fakes.wecom_url();
    let (status, location, body) = post_form(
        &browser,
        &app,
        &format!("/settings/channels/{id}"),
        &[("name", "旧群"), ("url", &fixed), ("enabled", "on"), ("version", &version)],
    )
    .await;
    assert_eq!((status, location.as_str()), (303, "/settings/channels?ok=channels.saved"), "{body}");
    let (status, location, _) = post_form(&browser, &app, &format!("/settings/jobs/{job}/retry"), &[]).await;
    assert_eq!((status, location.as_str()), (303, "/settings/jobs?ok=jobs.retried"));
    run(&app.store, &Worker::new("t"), None).await.unwrap();
    assert_eq!(fakes.fakes.accepted("wecom").len(), 2);
    let (_, log) = get_page(&browser, &app, "/settings/deliveries?status=sent").await;
    assert!(log.contains("rally-e") && log.contains("已送达"), "{log}");
});

backend_test!(the_bell_counts_unread_notifications_and_the_inbox_marks_them_read, |app| {
    use crate::helpers::{get_page, post_form};
    let lead = app.user("lead@example.com", "lead", None).await;
    let browser = app.browser_session("lead@example.com").await;
    let (_, page) = get_page(&browser, &app, "/").await;
    assert!(!page.contains("bell-count"), "no number without notifications");
    for i in 0..3 {
        event(&app.store, EventKind::PhaseDueSoon, &format!("bell-{i}"), vec![lead.id]).await;
    }
    let (_, page) = get_page(&browser, &app, "/").await;
    assert!(page.contains("<span class=\"bell-count\">3</span>"), "{page}");
    assert!(page.contains("aria-label=\"3 条未读通知\""));
    let (status, inbox) = get_page(&browser, &app, "/inbox").await;
    assert_eq!(status, 200);
    assert!(inbox.contains("双十一新品A限时促销") && inbox.contains("共 3 条，3 条未读"), "{inbox}");
    // Opening one marks it read and goes where it points.
    let id = inbox
        .split("action=\"/inbox/")
        .skip(1)
        .filter_map(|r| r.split('/').next())
        .find(|s| s.parse::<i64>().is_ok())
        .unwrap()
        .to_owned();
    let (status, location, _) =
        post_form(&browser, &app, &format!("/inbox/{id}/read"), &[("open", "/campaigns/1")]).await;
    assert_eq!((status, location.as_str()), (303, "/campaigns/1"));
    assert_eq!(app.store.unread_count(lead.id).await.unwrap(), 2);
    // Never to another site.
    let (_, location, _) = post_form(&browser, &app, &format!("/inbox/{id}/read"), &[("open", "//evil.example")]).await;
    assert_eq!(location, "/inbox");
    let (status, location, _) = post_form(&browser, &app, "/inbox/read-all", &[]).await;
    assert_eq!((status, location.as_str()), (303, "/inbox?ok=inbox.all_read"));
    let (_, page) = get_page(&browser, &app, "/inbox?unread=1").await;
    assert!(page.contains("暂无通知") && !page.contains("bell-count"), "{page}");

    // Preferences: the mobile for @-mentions and a mail opt-out.
    let (status, location, body) = post_form(
        &browser,
        &app,
        "/settings/notifications",
        &[("mobile", "138-0013-8000"), ("mail", "phase_due_soon")],
    )
    .await;
    assert_eq!((status, location.as_str()), (303, "/settings/notifications?ok=notify_prefs.saved"), "{body}");
    let prefs = app.store.notify_prefs(lead.id).await.unwrap();
    assert_eq!(prefs.mobile, "13800138000");
    let unticked: Vec<EventKind> =
        EventKind::CONFIGURABLE.into_iter().filter(|k| *k != EventKind::PhaseDueSoon).collect();
    assert_eq!(prefs.mail_optout, unticked, "what is not ticked comes by mail no more");
    let (status, _, body) = post_form(&browser, &app, "/settings/notifications", &[("mobile", "12345")]).await;
    assert_eq!(status, 422);
    assert!(body.contains("12345"), "what was typed is kept");
});

backend_test!(a_blocker_on_the_demos_running_campaign_reaches_the_lead_and_every_channel, |app| {
    use rally::ops::execution::{blockers, requests};
    let fakes = receivers::start().await;
    let smtp = receivers::start_smtp().await;
    rally::ops::demo::load(&app.store, app.store.today()).await.unwrap();
    let by_email = |email: &'static str| {
        let store = app.store.clone();
        async move { Actor::from(store.user_by_email(email).await.unwrap().unwrap()) }
    };
    let admin = by_email("admin@rally.example").await;
    let rep = by_email("ming@rally.example").await;
    let boss = by_email("boss@rally.example").await;
    let marketing = by_email("marketing@rally.example").await;
    // The demo's own activity already put notifications in the demo team's inboxes.
    assert!(app.store.unread_count(marketing.id).await.unwrap() > 0, "the demo's requests reached marketing");
    let campaigns = rally::ops::campaigns::list(&app.store, &admin).await.unwrap();
    let running = campaigns
        .iter()
        .find(|v| v.campaign.status == rally::domain::campaign::CampaignStatus::Active)
        .expect("the demo has a running campaign");
    let campaign = running.campaign.id;
    let lead_id = running.campaign.lead_id.expect("the campaign has a lead");
    let lead = Actor::from(app.store.user_by_id(lead_id).await.unwrap().unwrap());

    let s = at(&app.store, "2026-11-25", 10, 0);
    let create = rally::ops::notify::channels::create;
    create(&s, &admin, channel("wecom", "销售群", &fakes.wecom_url(), "")).await.unwrap();
    create(&s, &admin, channel("dingtalk", "钉钉群", &fakes.dingtalk_url(), receivers::DINGTALK_SECRET)).await.unwrap();
    create(&s, &admin, channel("feishu", "飞书群", &fakes.feishu_url(), receivers::FEISHU_SECRET)).await.unwrap();
    create(&s, &admin, channel("webhook", "CRM", &fakes.webhook_url(), receivers::WEBHOOK_SECRET)).await.unwrap();
    let mail = ChannelInput {
        kind: Some("email".into()),
        name: Some("邮件".into()),
        secret: Some(receivers::SMTP_PASSWORD.into()),
        smtp: Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port: smtp.port,
            tls: SmtpTls::None,
            username: receivers::SMTP_USER.into(),
            from: "rally@example.com".into(),
        }),
        ..ChannelInput::default()
    };
    create(&s, &admin, mail).await.unwrap();
    // The demo's earlier notifications are not this test's.
    let worker = Worker::new("t");
    run(&s, &worker, None).await.unwrap();
    let before_unread = s.unread_count(lead.id).await.unwrap();

    let b = blockers::raise(&s, &rep, campaign, None, "样品不够，客户要先试用").await.unwrap();
    assert_eq!(s.unread_count(lead.id).await.unwrap(), before_unread + 1);
    let inbox = rally::ops::notify::inbox::list(&s, &lead, None, true, 5).await.unwrap();
    assert!(
        inbox.items[0].title.contains("提出了卡点") && inbox.items[0].body.contains("样品不够"),
        "{:?}",
        inbox.items[0]
    );
    assert_eq!(inbox.items[0].link, format!("/campaigns/{campaign}/blockers"));
    assert_eq!(run(&s, &worker, None).await.unwrap().sent, 5, "one message per channel (mail to the lead)");
    for receiver in ["wecom", "dingtalk", "feishu", "webhook"] {
        assert_eq!(fakes.fakes.accepted(receiver).len(), 1, "{receiver}");
    }
    assert_eq!(fakes.fakes.accepted("webhook")[0].body["event"], "blocker_raised");
    let mails = smtp.mails.lock().unwrap().clone();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, vec![s.user_by_id(lead.id).await.unwrap().unwrap().email]);
    let event_id = s.event_by_key(&format!("blocker_raised:b{}:v{}", b.id, b.version)).await.unwrap().unwrap().id;
    let log = s.deliveries(&DeliveryFilter { event_id: Some(event_id), ..Default::default() }, 10).await.unwrap();
    assert_eq!(log.len(), 5);
    assert!(log.iter().all(|d| d.status == "sent"), "{log:?}");

    // Escalated: management hears it with the reply-by date; decided: the rep who raised it.
    let reply_by = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
    let b = blockers::act(&s, &lead, b.id, blockers::Act::Escalate { reply_by: Some(reply_by) }, None).await.unwrap();
    let boss_inbox = rally::ops::notify::inbox::list(&s, &boss, None, true, 5).await.unwrap();
    assert!(boss_inbox.items[0].title.contains("2026-11-27"), "{:?}", boss_inbox.items[0]);
    let rep_unread = s.unread_count(rep.id).await.unwrap();
    blockers::act(&s, &lead, b.id, blockers::Act::Decide { decision: "先调 3 台样品".into() }, None).await.unwrap();
    assert_eq!(s.unread_count(rep.id).await.unwrap(), rep_unread + 1);
    let rep_inbox = rally::ops::notify::inbox::list(&s, &rep, None, true, 5).await.unwrap();
    assert!(rep_inbox.items[0].body.contains("先调 3 台样品"), "{:?}", rep_inbox.items[0]);

    // A collateral request reaches marketing's queue; its delivery, the rep.
    let marketing_unread = s.unread_count(marketing.id).await.unwrap();
    let input = requests::RequestInput {
        kind: Some("collateral".into()),
        item: Some("新品海报".into()),
        quantity: Some(20),
        ..Default::default()
    };
    let r = requests::create(&s, &rep, campaign, input).await.unwrap();
    assert_eq!(s.unread_count(marketing.id).await.unwrap(), marketing_unread + 1);
    let rep_unread = s.unread_count(rep.id).await.unwrap();
    requests::move_request(&s, &marketing, r.id, "delivered", None, Some("已放共享盘"), None).await.unwrap();
    assert_eq!(s.unread_count(rep.id).await.unwrap(), rep_unread + 1);
    let rep_inbox = rally::ops::notify::inbox::list(&s, &rep, None, true, 5).await.unwrap();
    assert!(rep_inbox.items[0].title.contains("新品海报") && rep_inbox.items[0].body.contains("已放共享盘"));
    // The lead changes the campaign's message: the delivered poster is stale;
    // the rep who asked and marketing, who makes it again, hear it once.
    let (rep_unread, marketing_unread) =
        (s.unread_count(rep.id).await.unwrap(), s.unread_count(marketing.id).await.unwrap());
    let theme = rally::ops::campaigns::CampaignFields {
        theme: Some("新品A首发，买二送一".into()),
        ..Default::default()
    };
    rally::ops::campaigns::update_with(&s, &lead, campaign, None, theme, false).await.unwrap();
    assert!(s.unread_count(rep.id).await.unwrap() > rep_unread);
    assert!(s.unread_count(marketing.id).await.unwrap() > marketing_unread);
    let rep_inbox = rally::ops::notify::inbox::list(&s, &rep, None, true, 20).await.unwrap();
    assert!(
        rep_inbox.items.iter().any(|i| i.event == EventKind::RequestStale && i.title.contains("新品海报")),
        "{:?}",
        rep_inbox.items
    );
    // Nobody hears about their own act.
    assert_eq!(
        s.event_recipients(
            s.event_by_key(&format!("request_delivered:r{}:v{}", r.id, r.version + 1)).await.unwrap().unwrap().id
        )
        .await
        .unwrap(),
        [rep.id]
    );
});

const RALLY: &str = env!("CARGO_BIN_EXE_rally");

/// A `rally serve` process with its workers, killed (SIGKILL) when dropped.
struct Serve(std::process::Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `rally serve` on a free port with a short job lease, once it listens.
async fn serve(url: &str, log: &std::path::Path) -> Serve {
    use std::io::BufRead;
    let mut child = std::process::Command::new(RALLY)
        .args(["serve", "--addr", "127.0.0.1:0", "--database-url", url, "--job-lease-seconds", "2"])
        .env_remove("RALLY_DATABASE_URL")
        .env_remove("RALLY_NO_WORKERS")
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("start rally serve");
    let stdout = child.stdout.take().unwrap();
    let started = tokio::task::spawn_blocking(move || {
        std::io::BufReader::new(stdout).lines().any(|l| l.is_ok_and(|l| l.contains("running at http://")))
    })
    .await
    .unwrap();
    assert!(started, "rally serve did not start: {}", std::fs::read_to_string(log).unwrap_or_default());
    Serve(child)
}

/// Waits until every delivery is sent (the servers work on their own).
async fn until_all_sent(store: &Store, expected: usize) {
    let started = std::time::Instant::now();
    loop {
        let log = store.deliveries(&DeliveryFilter::default(), 10_000).await.unwrap();
        if log.len() == expected && log.iter().all(|d| d.status == "sent") {
            return;
        }
        let open: Vec<&str> = log.iter().map(|d| d.status.as_str()).filter(|s| *s != "sent").collect();
        assert!(started.elapsed() < std::time::Duration::from_secs(120), "still not sent: {open:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

backend_test!(two_servers_deliver_each_message_once_and_a_killed_one_loses_nothing, |app| {
    let fakes = receivers::start().await;
    let admin_user = app.user("admin@example.com", "admin", None).await;
    let admin = actor(&app, &admin_user).await;
    rally::ops::notify::channels::create(
        &app.store,
        &admin,
        channel("webhook", "CRM", &fakes.webhook_url(), receivers::WEBHOOK_SECRET),
    )
    .await
    .unwrap();
    // Made on a working morning in the past, so they are due whatever the time now.
    let made = at(&app.store, "2026-11-25", 10, 0);
    for i in 0..200 {
        event(&made, EventKind::PhaseDueSoon, &format!("pair-{i}"), vec![admin_user.id]).await;
    }
    // The receiver takes a while to answer, so sends overlap and a kill catches some mid-send.
    fakes.fakes.set_delay(std::time::Duration::from_millis(150));
    let dir = tempfile::tempdir().unwrap();

    // Two servers, 200 due messages: each arrives exactly once.
    let a = serve(&app.database_url, &dir.path().join("a.log")).await;
    let b = serve(&app.database_url, &dir.path().join("b.log")).await;
    until_all_sent(&app.store, 200).await;
    let first = arrivals(&fakes.fakes);
    assert_eq!(first.len(), 200, "every message arrived");
    assert!(first.values().all(|n| *n == 1), "a message arrived twice: {first:?}");
    drop((a, b));

    // 200 more; one server is killed mid-run. The other takes over its
    // messages when their lease ends: every one arrives, and only those the
    // killed server had in flight arrive a second time, with the same
    // idempotency key (so the receiver can drop the repeat).
    for i in 0..200 {
        event(&made, EventKind::PhaseDueSoon, &format!("kill-{i}"), vec![admin_user.id]).await;
    }
    let a = serve(&app.database_url, &dir.path().join("a2.log")).await;
    let b = serve(&app.database_url, &dir.path().join("b2.log")).await;
    let started = std::time::Instant::now();
    while fakes.fakes.accepted("webhook").len() < 200 + 40 {
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "the servers do not send");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    drop(a);
    until_all_sent(&app.store, 400).await;
    drop(b);
    let all = arrivals(&fakes.fakes);
    assert_eq!(all.len(), 400, "every message arrived");
    let repeated: Vec<&String> = all.iter().filter(|(_, n)| **n > 1).map(|(k, _)| k).collect();
    assert!(all.values().all(|n| *n <= 2), "{all:?}");
    assert!(repeated.iter().all(|k| !first.contains_key(*k)), "a message of the first run came again");
    // At most what one server keeps in flight (its worker's concurrency).
    assert!(repeated.len() <= 32, "{} repeats", repeated.len());
    // Each repeat is recorded: an attempt of unknown outcome, then the send.
    let log = app.store.deliveries(&DeliveryFilter::default(), 1000).await.unwrap();
    let ids: Vec<i64> = log.iter().filter(|d| repeated.contains(&&d.idempotency_key)).map(|d| d.id).collect();
    let attempts = app.store.delivery_attempts(&ids).await.unwrap();
    for id in &ids {
        let outcomes: Vec<&str> =
            attempts.iter().filter(|x| x.delivery_id == *id).map(|x| x.outcome.as_str()).collect();
        assert_eq!(outcomes, ["unknown", "sent"], "delivery {id}");
    }
    eprintln!("killed mid-run: {} of 200 messages were in flight and went again with their key", repeated.len());
});

/// Like `backend_test!`, on an app whose clock stands at noon of Tuesday
/// 2026-09-29: a week before National Day (10-01 to 10-07 off), with the
/// adjusted working Saturday 10-10 after it.
macro_rules! digest_test {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some($app) = on_day(crate::helpers::Backend::Sqlite).await $body
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(rally_no_postgres, ignore = "PostgreSQL is not installed (Debian: postgresql)")]
            async fn postgres() {
                if let Some($app) = on_day(crate::helpers::Backend::Postgres).await $body
            }
        }
    };
}

async fn on_day(backend: crate::helpers::Backend) -> Option<TestApp> {
    crate::helpers::spawn_app_with_clock(backend, Clock::fixed_on(day("2026-09-29"))).await
}

struct Team {
    admin: TestUser,
    lead: TestUser,
    ming: TestUser,
    hua: TestUser,
    campaign: i64,
}

async fn call(app: &TestApp, user: &TestUser, method: Method, path: &str, body: Value) -> (u16, Value) {
    let response = app.api(user, method, path).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A lead, two reps of 华南 with one member each in a campaign running from
/// 09-29 to 10-30; 华 logs a follow-up on 09-29, 明 does not.
async fn running_team(app: &TestApp) -> Team {
    let admin = app.user("admin@example.com", "admin", None).await;
    let lead = app.named_user("lead@example.com", "周强", "lead", None).await;
    let ming = app.named_user("ming@example.com", "明", "rep", Some("华南")).await;
    let hua = app.named_user("hua@example.com", "华", "rep", Some("华南")).await;
    crate::execution::customer_worked_from(app, "A公司", "华南", Some(ming.id), 3, day("2026-09-10")).await;
    let b = crate::execution::customer_worked_from(app, "B贸易", "华南", Some(hua.id), 3, day("2026-09-10")).await;
    let (status, created) = call(
        app,
        &lead,
        Method::POST,
        "/api/v1/campaigns",
        json!({"name": "国庆促销", "kind": "new_product", "segment": "region = \"华南\"",
               "announced_on": "2026-09-28", "starts_on": "2026-09-29", "ends_on": "2026-10-30"}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let campaign = created["id"].as_i64().unwrap();
    let (status, body) =
        call(app, &lead, Method::POST, &format!("/api/v1/campaigns/{campaign}/members/generate"), json!({})).await;
    assert_eq!((status, body["added"].as_i64()), (200, Some(2)), "{body}");
    let (status, body) =
        call(app, &lead, Method::PATCH, &format!("/api/v1/campaigns/{campaign}"), json!({"status": "active"})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(
        app,
        &hua,
        Method::POST,
        &format!("/api/v1/campaigns/{campaign}/members/{b}/follow-ups"),
        json!({"channel": "phone", "summary": "电话介绍国庆促销", "stage": "intent"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    Team { admin, lead, ming, hua, campaign }
}

async fn scan_at(app: &TestApp, d: &str, h: u32, m: u32) -> usize {
    rally::ops::notify::reminders::scan(&at(&app.store, d, h, m)).await.unwrap()
}

async fn made(app: &TestApp, key: &str) -> Option<Value> {
    let e = app.store.event_by_key(key).await.unwrap()?;
    Some(serde_json::from_str(&e.data).unwrap())
}

digest_test!(each_person_gets_one_digest_a_working_day_and_none_on_holidays_or_at_night, |app| {
    let t = running_team(&app).await;
    let ming_key = |d: &str| format!("tasks_due:u{}:{d}", t.ming.id);
    // 明's S member: the call is due Wednesday 09-30, the visit Friday 10-09.
    // Tuesday: nothing due, nothing made.
    scan_at(&app, "2026-09-29", 9, 30).await;
    assert!(made(&app, &ming_key("2026-09-29")).await.is_none());
    // Wednesday before the working day starts: nothing yet.
    scan_at(&app, "2026-09-30", 8, 30).await;
    assert!(made(&app, &ming_key("2026-09-30")).await.is_none());
    // Two servers scanning at once, then again later: one digest per person.
    let morning = at(&app.store, "2026-09-30", 9, 5);
    let other_server = app.another_store().await.with_clock(morning.clock());
    let (a, b) =
        tokio::join!(rally::ops::notify::reminders::scan(&morning), rally::ops::notify::reminders::scan(&other_server));
    a.unwrap();
    b.unwrap();
    scan_at(&app, "2026-09-30", 11, 0).await;
    let data = made(&app, &ming_key("2026-09-30")).await.expect("明's digest");
    assert_eq!(
        (data["params"]["today"].as_str(), data["params"]["overdue"].as_str()),
        (Some("1"), Some("0")),
        "{data}"
    );
    assert_eq!(data["lines"].as_array().unwrap().len(), 1, "{data}");
    assert_eq!(data["lines"][0]["params"]["customer"], "A公司");
    let ming = actor(&app, &t.ming).await;
    let inbox = rally::ops::notify::inbox::list(&morning, &ming, None, false, 50).await.unwrap();
    let digests: Vec<_> = inbox.items.iter().filter(|i| i.event == EventKind::TasksDue).collect();
    assert_eq!(digests.len(), 1, "{:?}", inbox.items);
    assert_eq!(digests[0].title, "今日待办：1 项今天到期，0 项已逾期");
    assert!(digests[0].lines[0].contains("A公司") && digests[0].lines[0].contains("电话沟通"), "{:?}", digests[0]);
    assert_eq!(digests[0].link, "/day");
    assert!(made(&app, &format!("tasks_due:u{}:2026-09-30", t.lead.id)).await.is_none(), "nothing due, nothing");

    // Quiet hours: a scan at night makes nothing for that day.
    scan_at(&app, "2026-10-09", 21, 30).await;
    assert!(made(&app, &ming_key("2026-10-09")).await.is_none());
    // National Day and a Sunday: nothing; the adjusted working Saturday: both, one overdue since 09-30.
    scan_at(&app, "2026-10-05", 10, 0).await;
    assert!(made(&app, &ming_key("2026-10-05")).await.is_none(), "a holiday");
    scan_at(&app, "2026-10-11", 10, 0).await;
    assert!(made(&app, &ming_key("2026-10-11")).await.is_none(), "a Sunday");
    scan_at(&app, "2026-10-10", 9, 30).await;
    let data = made(&app, &ming_key("2026-10-10")).await.expect("an adjusted working Saturday");
    assert_eq!(
        (data["params"]["today"].as_str(), data["params"]["overdue"].as_str()),
        (Some("0"), Some("2")),
        "{data}"
    );
    assert_eq!(data["lines"][0]["key"], "notify.tasks_due.line_overdue");

    // Switched off: not made.
    let admin = actor(&app, &t.admin).await;
    let mut kinds: Vec<String> = EventKind::CONFIGURABLE.iter().map(|k| k.as_str().to_owned()).collect();
    kinds.retain(|k| k != "tasks_due");
    let input = rally::ops::notify::SettingsInput { enabled: Some(kinds), ..Default::default() };
    rally::ops::notify::set_settings(&app.store, &admin, input).await.unwrap();
    scan_at(&app, "2026-10-12", 9, 30).await;
    assert!(made(&app, &ming_key("2026-10-12")).await.is_none());
});

digest_test!(reps_without_a_follow_up_by_the_cutoff_are_reminded_and_listed_to_the_lead, |app| {
    let t = running_team(&app).await;
    let rep_key = |u: &TestUser| format!("follow_up_missing:u{}:2026-09-29", u.id);
    let lead_key = format!("follow_up_missing:lead:u{}:2026-09-29", t.lead.id);
    scan_at(&app, "2026-09-29", 17, 59).await;
    assert!(made(&app, &rep_key(&t.ming)).await.is_none(), "before the cutoff");
    let evening = at(&app.store, "2026-09-29", 18, 5);
    let other_server = app.another_store().await.with_clock(evening.clock());
    let (a, b) =
        tokio::join!(rally::ops::notify::reminders::scan(&evening), rally::ops::notify::reminders::scan(&other_server));
    a.unwrap();
    b.unwrap();
    assert!(made(&app, &rep_key(&t.ming)).await.is_some(), "明 logged nothing");
    assert!(made(&app, &rep_key(&t.hua)).await.is_none(), "华 logged her call");
    let list = made(&app, &lead_key).await.expect("the lead's list");
    assert_eq!(list["variant"], "lead");
    assert_eq!(list["params"]["count"], "1");
    assert_eq!(list["lines"][0]["params"]["reps"], "明", "{list}");
    let lead = actor(&app, &t.lead).await;
    let inbox = rally::ops::notify::inbox::list(&evening, &lead, None, false, 50).await.unwrap();
    let lists: Vec<_> = inbox.items.iter().filter(|i| i.event == EventKind::FollowUpMissing).collect();
    assert_eq!(lists.len(), 1, "{:?}", inbox.items);
    assert!(lists[0].title.starts_with("1 位销售"), "{:?}", lists[0]);
    assert!(lists[0].lines[0].contains("国庆促销") && lists[0].lines[0].contains("明"), "{:?}", lists[0]);
    assert_eq!(lists[0].link, format!("/campaigns/{}/standup", t.campaign));
    let ming = actor(&app, &t.ming).await;
    let inbox = rally::ops::notify::inbox::list(&evening, &ming, None, false, 50).await.unwrap();
    assert_eq!(inbox.items.iter().filter(|i| i.event == EventKind::FollowUpMissing).count(), 1);
    // Later scans the same evening make nothing more.
    scan_at(&app, "2026-09-29", 20, 0).await;
    let inbox = rally::ops::notify::inbox::list(&evening, &lead, None, false, 50).await.unwrap();
    assert_eq!(inbox.items.iter().filter(|i| i.event == EventKind::FollowUpMissing).count(), 1);
});

digest_test!(the_standup_digest_reaches_the_group_robot_with_the_days_counts, |app| {
    let fakes = receivers::start().await;
    let t = running_team(&app).await;
    let admin = actor(&app, &t.admin).await;
    let create = rally::ops::notify::channels::create;
    create(&app.store, &admin, channel("wecom", "销售群", &fakes.wecom_url(), "")).await.unwrap();
    create(&app.store, &admin, channel("webhook", "CRM", &fakes.webhook_url(), receivers::WEBHOOK_SECRET))
        .await
        .unwrap();
    let (status, body) = call(
        &app,
        &t.ming,
        Method::POST,
        &format!("/api/v1/campaigns/{}/blockers", t.campaign),
        json!({"text": "样品不够，客户要先试用"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let worker = Worker::new("t");
    let before = fakes.fakes.accepted("wecom").len();

    // Wednesday 09:00 (the default stand-up time): Tuesday's stand-up.
    scan_at(&app, "2026-09-30", 8, 59).await;
    assert!(made(&app, &format!("standup_digest:c{}:2026-09-30", t.campaign)).await.is_none());
    let morning = at(&app.store, "2026-09-30", 9, 1);
    rally::ops::notify::reminders::scan(&morning).await.unwrap();
    rally::ops::notify::reminders::scan(&morning).await.unwrap();
    run(&morning, &worker, None).await.unwrap();
    let got: Vec<String> = fakes.fakes.accepted("wecom")[before..]
        .iter()
        .map(|r| r.body["markdown"]["content"].as_str().unwrap_or_default().to_owned())
        .collect();
    // Each rep's own digest stays out of the group; the stand-up goes there once.
    assert!(got.iter().all(|t| !t.contains("今日待办")), "{got:?}");
    let standups: Vec<&String> = got.iter().filter(|t| t.contains("站会摘要")).collect();
    assert_eq!(standups.len(), 1, "{got:?}");
    let text = standups[0].clone();
    assert!(text.contains("【国庆促销】站会摘要（2026-09-29）"), "{text}");
    assert!(text.contains("联系 1 家，新增意向 1 家，成交 0 单；未更新 1 人；未解决的卡点 1 个"), "{text}");
    assert!(text.contains("未更新：明") && text.contains("样品不够"), "{text}");
    let hook = fakes.fakes.accepted("webhook");
    let digest = hook.iter().find(|r| r.body["event"] == "standup_digest").expect("the webhook hears it");
    assert_eq!(digest.body["data"]["params"]["contacted"], "1");
    assert_eq!(digest.body["data"]["params"]["missing"], "1");
    assert_eq!(digest.body["data"]["params"]["blockers"], "1");
    assert!(hook.iter().all(|r| r.body["event"] != "tasks_due"), "personal digests stay out of the group");

    // Not on a holiday; yes on the adjusted working Saturday, for its previous working day.
    scan_at(&app, "2026-10-06", 10, 0).await;
    assert!(made(&app, &format!("standup_digest:c{}:2026-10-06", t.campaign)).await.is_none());
    scan_at(&app, "2026-10-10", 9, 30).await;
    let data = made(&app, &format!("standup_digest:c{}:2026-10-10", t.campaign)).await.expect("Saturday 10-10");
    assert_eq!(data["params"]["date"], "2026-10-09");
});

backend_test!(digest_times_are_team_settings_checked_with_clear_errors, |app| {
    let admin = app.user("admin@example.com", "admin", None).await;
    let lead = app.user("lead@example.com", "lead", None).await;
    let path = "/api/v1/settings/notifications";
    let (status, body) = call(&app, &admin, Method::GET, path, Value::Null).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["workday_start"].as_str(), body["standup_at"].as_str()), (Some("09:00"), Some("09:00")));
    assert_eq!(body["followup_cutoff"], "18:00");
    assert!(body["enabled"].as_array().unwrap().iter().any(|k| k == "standup_digest"));
    for (input, field) in [
        (json!({"standup_at": "9点"}), "standup_at"),
        (json!({"followup_cutoff": "25:00"}), "followup_cutoff"),
        (json!({"followup_cutoff": "22:00"}), "followup_cutoff"),
        (json!({"standup_at": "07:00"}), "standup_at"),
        (json!({"enabled": ["standup"]}), "enabled"),
    ] {
        let (status, body) = call(&app, &admin, Method::PUT, path, input.clone()).await;
        assert_eq!(status, 422, "{input}: {body}");
        assert_eq!(body["error"]["field"], field, "{input}: {body}");
    }
    let (status, _) = call(&app, &lead, Method::PUT, path, json!({"standup_at": "09:30"})).await;
    assert_eq!(status, 403);
    let (status, body) =
        call(&app, &admin, Method::PUT, path, json!({"standup_at": "09:30", "followup_cutoff": "17:30"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["standup_at"].as_str(), body["followup_cutoff"].as_str()), (Some("09:30"), Some("17:30")));
    // One cutoff: the stand-up's 未更新 flag uses the same time.
    let execution = rally::ops::execution::settings(&app.store).await.unwrap();
    assert_eq!(execution.standup_cutoff, "17:30");
    let s = rally::ops::notify::settings(&app.store).await.unwrap();
    assert_eq!(s.standup_at, chrono::NaiveTime::from_hms_opt(9, 30, 0).unwrap());
});
