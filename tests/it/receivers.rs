//! Fake receivers on loopback, as strict as the real ones: WeCom, DingTalk
//! and Feishu robots and a webhook that check the body's shape and the
//! signature exactly as documented (computed here independently of Rally's
//! code) and answer with their real success and error bodies; and a small
//! SMTP server with AUTH that records mail. Each can be told to rate-limit
//! or to fail.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

pub const WECOM_KEY: &str = "693axxx6-7aoc-4bc4-97a0-0ec2sifa5aaa";
pub const DINGTALK_TOKEN: &str = "dt-access-token-0123456789";
pub const DINGTALK_SECRET: &str = "SECd0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6";
pub const FEISHU_TOKEN: &str = "fs-hook-0123-4567-89ab";
pub const FEISHU_SECRET: &str = "feishu-secret-xyz-0123456789";
pub const WEBHOOK_SECRET: &str = "whsec_rally_test_0123456789";
pub const SMTP_USER: &str = "rally@example.com";
pub const SMTP_PASSWORD: &str = "smtp-pass-0123456789";

/// How a receiver answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Ok,
    /// The robot's "too many messages" answer (WeCom 45009, DingTalk 130101, Feishu 11232, HTTP 429).
    RateLimit,
    /// HTTP 500.
    Fail,
}

/// One message a receiver accepted (or refused, with why).
#[derive(Clone, Debug)]
pub struct Received {
    pub receiver: &'static str,
    /// `msgUuid` (DingTalk) or `X-Rally-Delivery` (webhook).
    pub key: Option<String>,
    pub body: Value,
    pub accepted: bool,
    pub refusal: Option<String>,
}

#[derive(Default)]
pub struct Inner {
    pub received: Vec<Received>,
    pub mode: Option<Mode>,
    /// Answer each request after this long (to catch a server mid-send).
    pub delay: Duration,
}

#[derive(Clone, Default)]
pub struct Fakes {
    pub inner: Arc<Mutex<Inner>>,
}

impl Fakes {
    pub fn set_mode(&self, mode: Mode) {
        self.inner.lock().unwrap().mode = Some(mode);
    }

    pub fn set_delay(&self, delay: Duration) {
        self.inner.lock().unwrap().delay = delay;
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().unwrap().received.clone()
    }

    pub fn accepted(&self, receiver: &str) -> Vec<Received> {
        self.received().into_iter().filter(|r| r.receiver == receiver && r.accepted).collect()
    }

    fn mode(&self) -> Mode {
        self.inner.lock().unwrap().mode.unwrap_or(Mode::Ok)
    }

    fn record(&self, receiver: &'static str, key: Option<String>, body: Value, refusal: Option<String>) {
        self.inner.lock().unwrap().received.push(Received {
            receiver,
            key,
            body,
            accepted: refusal.is_none(),
            refusal,
        });
    }

    async fn pause(&self) {
        let delay = self.inner.lock().unwrap().delay;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }
}

pub struct Receivers {
    pub addr: SocketAddr,
    pub fakes: Fakes,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl Receivers {
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }
    pub fn wecom_url(&self) -> String {
        format!("{}/cgi-bin/webhook/send?key={WECOM_KEY}", self.base())
    }
    pub fn dingtalk_url(&self) -> String {
        format!("{}/robot/send?access_token={DINGTALK_TOKEN}", self.base())
    }
    pub fn feishu_url(&self) -> String {
        format!("{}/open-apis/bot/v2/hook/{FEISHU_TOKEN}", self.base())
    }
    pub fn webhook_url(&self) -> String {
        format!("{}/hook", self.base())
    }
}

pub async fn start() -> Receivers {
    let fakes = Fakes::default();
    let app = Router::new()
        .route("/cgi-bin/webhook/send", post(wecom))
        .route("/robot/send", post(dingtalk))
        .route("/open-apis/bot/v2/hook/{token}", post(feishu))
        .route("/hook", post(webhook))
        .with_state(fakes.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    Receivers { addr, fakes, _shutdown: tx }
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn json_answer(v: Value) -> Response {
    (StatusCode::OK, axum::Json(v)).into_response()
}

/// WeCom: the key in the query; markdown ≤ 4096 bytes or text ≤ 2048 bytes.
async fn wecom(State(f): State<Fakes>, Query(q): Query<Vec<(String, String)>>, body: Bytes) -> Response {
    f.pause().await;
    let key = q.iter().find(|(k, _)| k == "key").map(|(_, v)| v.as_str());
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if key != Some(WECOM_KEY) {
        f.record("wecom", None, parsed, Some("invalid key".into()));
        return json_answer(json!({"errcode": 93000, "errmsg": "invalid webhook url, hint: [1700000000_1_abc]"}));
    }
    let shape = match parsed["msgtype"].as_str() {
        Some("markdown") => parsed["markdown"]["content"].as_str().is_some_and(|c| !c.is_empty() && c.len() <= 4096),
        Some("text") => {
            parsed["text"]["content"].as_str().is_some_and(|c| !c.is_empty() && c.len() <= 2048)
                && parsed["text"]["mentioned_mobile_list"].as_array().is_none_or(|l| l.iter().all(Value::is_string))
        }
        _ => false,
    };
    if !shape {
        f.record("wecom", None, parsed, Some("bad body".into()));
        return json_answer(json!({"errcode": 40008, "errmsg": "invalid message type"}));
    }
    match f.mode() {
        Mode::RateLimit => {
            f.record("wecom", None, parsed, Some("rate limited".into()));
            json_answer(json!({"errcode": 45009, "errmsg": "api freq out of limit"}))
        }
        Mode::Fail => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        Mode::Ok => {
            f.record("wecom", None, parsed, None);
            json_answer(json!({"errcode": 0, "errmsg": "ok"}))
        }
    }
}

/// DingTalk: `sign` = URL-encoded base64 HMAC-SHA256(secret, timestamp + "\n" + secret), timestamp in ms within an hour.
async fn dingtalk(State(f): State<Fakes>, Query(q): Query<Vec<(String, String)>>, body: Bytes) -> Response {
    f.pause().await;
    let get = |name: &str| q.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let key = parsed["msgUuid"].as_str().map(str::to_owned);
    if get("access_token").as_deref() != Some(DINGTALK_TOKEN) {
        f.record("dingtalk", key, parsed, Some("token".into()));
        return json_answer(json!({"errcode": 300001, "errmsg": "token is not exist"}));
    }
    // Axum's Query has already URL-decoded `sign` once, as DingTalk does.
    let (Some(ts), Some(sign)) = (get("timestamp"), get("sign")) else {
        f.record("dingtalk", key, parsed, Some("unsigned".into()));
        return json_answer(json!({"errcode": 310000, "errmsg": "sign not match"}));
    };
    let fresh = ts.parse::<i64>().is_ok_and(|t| (chrono::Utc::now().timestamp_millis() - t).abs() < 3_600_000);
    let expected = b64(&hmac_sha256(DINGTALK_SECRET.as_bytes(), format!("{ts}\n{DINGTALK_SECRET}").as_bytes()));
    if !fresh || sign != expected {
        f.record("dingtalk", key, parsed, Some("sign".into()));
        return json_answer(
            json!({"errcode": 310000, "errmsg": "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"}),
        );
    }
    let shape = parsed["msgtype"] == "markdown"
        && parsed["markdown"]["title"].as_str().is_some_and(|t| !t.is_empty())
        && parsed["markdown"]["text"].as_str().is_some_and(|t| !t.is_empty())
        && parsed["at"]["atMobiles"].as_array().is_some_and(|l| l.iter().all(Value::is_string));
    if !shape {
        f.record("dingtalk", key, parsed, Some("bad body".into()));
        return json_answer(json!({"errcode": 40035, "errmsg": "缺少参数 json"}));
    }
    match f.mode() {
        Mode::RateLimit => {
            f.record("dingtalk", key, parsed, Some("rate limited".into()));
            json_answer(json!({"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}))
        }
        Mode::Fail => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        Mode::Ok => {
            f.record("dingtalk", key, parsed, None);
            json_answer(json!({"errcode": 0, "errmsg": "ok"}))
        }
    }
}

/// Feishu: `timestamp` (s) and `sign` = base64 HMAC-SHA256 keyed with timestamp + "\n" + secret over nothing; under 20 KB.
async fn feishu(State(f): State<Fakes>, Path(token): Path<String>, body: Bytes) -> Response {
    f.pause().await;
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if token != FEISHU_TOKEN {
        f.record("feishu", None, parsed, Some("token".into()));
        return json_answer(json!({"code": 19001, "msg": "param invalid: incoming webhook access token invalid"}));
    }
    if body.len() >= 20 * 1024 {
        f.record("feishu", None, parsed, Some("too large".into()));
        return json_answer(json!({"code": 9499, "msg": "Bad Request"}));
    }
    let ts = parsed["timestamp"].as_str().unwrap_or_default().to_owned();
    let fresh = ts.parse::<i64>().is_ok_and(|t| (chrono::Utc::now().timestamp() - t).abs() < 3600);
    let expected = b64(&hmac_sha256(format!("{ts}\n{FEISHU_SECRET}").as_bytes(), b""));
    if !fresh || parsed["sign"].as_str() != Some(expected.as_str()) {
        f.record("feishu", None, parsed, Some("sign".into()));
        return json_answer(
            json!({"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"}),
        );
    }
    let shape = match parsed["msg_type"].as_str() {
        Some("post") => parsed["content"]["post"]
            .as_object()
            .and_then(|langs| langs.values().next())
            .is_some_and(|p| p["title"].is_string() && p["content"].is_array()),
        Some("text") => parsed["content"]["text"].is_string(),
        _ => false,
    };
    if !shape {
        f.record("feishu", None, parsed, Some("bad body".into()));
        return json_answer(json!({"code": 9499, "msg": "Bad Request"}));
    }
    match f.mode() {
        Mode::RateLimit => {
            f.record("feishu", None, parsed, Some("rate limited".into()));
            json_answer(json!({"code": 11232, "msg": "frequency limited"}))
        }
        Mode::Fail => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        Mode::Ok => {
            f.record("feishu", None, parsed, None);
            json_answer(json!({"code": 0, "msg": "success", "data": {}}))
        }
    }
}

/// Webhook: `X-Rally-Signature: sha256=hex(HMAC-SHA256(secret, timestamp + "." + body))`.
async fn webhook(State(f): State<Fakes>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let key = header("x-rally-delivery");
    // Recorded on arrival: a sender killed while we answer has still reached us.
    let (Some(ts), Some(sig), Some(_event)) =
        (header("x-rally-timestamp"), header("x-rally-signature"), header("x-rally-event"))
    else {
        f.record("webhook", key, parsed, Some("headers".into()));
        return (StatusCode::BAD_REQUEST, "missing headers").into_response();
    };
    let mut message = format!("{ts}.").into_bytes();
    message.extend_from_slice(&body);
    let expected = format!(
        "sha256={}",
        hmac_sha256(WEBHOOK_SECRET.as_bytes(), &message).iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    if sig != expected {
        f.record("webhook", key, parsed, Some("signature".into()));
        return (StatusCode::UNAUTHORIZED, "bad signature").into_response();
    }
    let shape = parsed["id"].is_i64()
        && parsed["event"].is_string()
        && parsed["occurred_at"].is_string()
        && parsed["data"].is_object();
    if !shape || key.is_none() {
        f.record("webhook", key, parsed, Some("bad body".into()));
        return (StatusCode::BAD_REQUEST, "bad body").into_response();
    }
    match f.mode() {
        Mode::RateLimit => {
            f.record("webhook", key, parsed, Some("rate limited".into()));
            (StatusCode::TOO_MANY_REQUESTS, "slow down").into_response()
        }
        Mode::Fail => {
            f.record("webhook", key, parsed, Some("failing".into()));
            (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response()
        }
        Mode::Ok => {
            f.record("webhook", key, parsed, None);
            f.pause().await;
            (StatusCode::NO_CONTENT, "").into_response()
        }
    }
}

/// A mail the SMTP receiver accepted.
#[derive(Clone, Debug)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
    pub authenticated: bool,
}

pub struct SmtpReceiver {
    pub port: u16,
    pub mails: Arc<Mutex<Vec<Mail>>>,
}

/// A small SMTP server (EHLO, AUTH PLAIN and LOGIN, MAIL, RCPT, DATA, QUIT)
/// that accepts mail only after a successful AUTH and records it.
pub async fn start_smtp() -> SmtpReceiver {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mails: Arc<Mutex<Vec<Mail>>> = Arc::default();
    let store = mails.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let _ = smtp_session(socket, store).await;
            });
        }
    });
    SmtpReceiver { port, mails }
}

async fn smtp_session(socket: tokio::net::TcpStream, mails: Arc<Mutex<Vec<Mail>>>) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 fake.smtp ESMTP ready\r\n").await?;
    let (mut from, mut to, mut authenticated) = (String::new(), Vec::new(), false);
    let expected_plain = b64(format!("\0{SMTP_USER}\0{SMTP_PASSWORD}").as_bytes());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_uppercase();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            write.write_all(b"250-fake.smtp\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n").await?;
        } else if upper.starts_with("AUTH PLAIN") {
            let given = command.split_whitespace().nth(2).unwrap_or_default().to_owned();
            authenticated = given == expected_plain;
            let answer: &[u8] =
                if authenticated { b"235 2.7.0 ok\r\n" } else { b"535 5.7.8 authentication failed\r\n" };
            write.write_all(answer).await?;
        } else if upper.starts_with("AUTH LOGIN") {
            write.write_all(b"334 VXNlcm5hbWU6\r\n").await?;
            let mut user = String::new();
            lines.read_line(&mut user).await?;
            write.write_all(b"334 UGFzc3dvcmQ6\r\n").await?;
            let mut pass = String::new();
            lines.read_line(&mut pass).await?;
            authenticated = user.trim() == b64(SMTP_USER.as_bytes()) && pass.trim() == b64(SMTP_PASSWORD.as_bytes());
            let answer: &[u8] =
                if authenticated { b"235 2.7.0 ok\r\n" } else { b"535 5.7.8 authentication failed\r\n" };
            write.write_all(answer).await?;
        } else if upper.starts_with("MAIL FROM:") {
            if !authenticated {
                write.write_all(b"530 5.7.0 authentication required\r\n").await?;
                continue;
            }
            from = command[10..].trim().trim_matches(['<', '>']).split(' ').next().unwrap_or_default().to_owned();
            to.clear();
            write.write_all(b"250 ok\r\n").await?;
        } else if upper.starts_with("RCPT TO:") {
            to.push(command[8..].trim().trim_matches(['<', '>']).to_owned());
            write.write_all(b"250 ok\r\n").await?;
        } else if upper == "DATA" {
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = String::new();
            loop {
                let mut l = String::new();
                if lines.read_line(&mut l).await? == 0 {
                    return Ok(());
                }
                if l == ".\r\n" || l == ".\n" {
                    break;
                }
                data.push_str(&l);
            }
            mails.lock().unwrap().push(Mail { from: from.clone(), to: to.clone(), data, authenticated });
            write.write_all(b"250 2.0.0 queued\r\n").await?;
        } else if upper == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else if upper == "RSET" || upper == "NOOP" {
            write.write_all(b"250 ok\r\n").await?;
        } else {
            write.write_all(b"502 command not implemented\r\n").await?;
        }
    }
}
