//! Sending one delivery: the message rendered for its channel, signed, and
//! posted (robots and webhooks over HTTPS with reqwest) or mailed (SMTP
//! with lettre); the receiver's answer classified. One TLS stack for both:
//! rustls on aws-lc-rs.
//!
//! Nothing here logs or returns a URL or a secret: reqwest's errors name
//! their URL (which carries the robot's key), so they are stripped of it.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::Utc;

use super::channels::{SmtpConfig, SmtpTls};
use crate::domain::notify::answer::{Verdict, classify_http, classify_smtp, classify_transport};
use crate::domain::notify::render::{self, EventData, Format, Message};
use crate::domain::notify::{ChannelKind, sign};
use crate::i18n::{Locale, Texts, texts};
use crate::store::notify::ClaimedJob;

/// How long one send may take before it counts as a timeout (retried).
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// The most of a receiver's answer read (robots answer a few bytes).
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// What rendering needs: the team's language and Rally's address.
#[derive(Clone)]
pub struct SendContext {
    pub texts: &'static Texts,
    pub language: Locale,
    pub public_url: String,
}

impl SendContext {
    pub fn new(settings: &crate::domain::notify::schedule::NotifySettings) -> SendContext {
        let language = Locale::parse(&settings.language).unwrap_or(Locale::ZhCn);
        SendContext { texts: texts(language), language, public_url: settings.public_url.clone() }
    }
}

/// The process's HTTP client (connection pools are shared by all sends).
#[derive(Clone)]
pub struct Sender {
    http: reqwest::Client,
}

impl Sender {
    pub fn shared() -> Arc<Sender> {
        static SENDER: OnceLock<Arc<Sender>> = OnceLock::new();
        SENDER
            .get_or_init(|| {
                let http = reqwest::Client::builder()
                    .timeout(SEND_TIMEOUT)
                    .connect_timeout(Duration::from_secs(5))
                    .user_agent(concat!("Rally/", env!("CARGO_PKG_VERSION")))
                    // A robot URL never redirects; following one could leak the body elsewhere.
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .unwrap_or_else(|_| reqwest::Client::new());
                Arc::new(Sender { http })
            })
            .clone()
    }

    /// Sends one claimed delivery and says what the receiver answered.
    pub async fn deliver(&self, job: &ClaimedJob, ctx: &SendContext) -> Verdict {
        let Some(channel) = &job.channel else {
            return Verdict::Dead { answer: "the channel was removed".into() };
        };
        if !channel.enabled && job.event.kind != crate::domain::notify::EventKind::Test {
            return Verdict::Dead { answer: "the channel is switched off".into() };
        }
        let data: EventData = serde_json::from_str(&job.event.data).unwrap_or_default();
        let format = if matches!(channel.kind, ChannelKind::Wecom | ChannelKind::Dingtalk) {
            Format::Markdown
        } else {
            Format::Plain
        };
        let m = render::render(job.event.kind, &data, ctx.texts, &ctx.public_url, format);
        match channel.kind {
            ChannelKind::Wecom => {
                let body = render::wecom(&m, &job.mentions);
                self.post(ChannelKind::Wecom, &channel.url, json_bytes(&body), &[]).await
            }
            ChannelKind::Dingtalk => {
                let url = if channel.secret.is_empty() {
                    channel.url.clone()
                } else {
                    // DingTalk checks the timestamp against its own clock: the wall clock, not a test's.
                    sign::dingtalk_url(&channel.url, &channel.secret, Utc::now().timestamp_millis())
                };
                let body = render::dingtalk(&m, &job.mentions, &job.key);
                self.post(ChannelKind::Dingtalk, &url, json_bytes(&body), &[]).await
            }
            ChannelKind::Feishu => {
                let signature = (!channel.secret.is_empty()).then(|| {
                    let ts = Utc::now().timestamp();
                    (ts, sign::feishu(&channel.secret, ts))
                });
                let body = render::feishu(&m, ctx.language.code(), signature);
                self.post(ChannelKind::Feishu, &channel.url, json_bytes(&body), &[]).await
            }
            ChannelKind::Webhook => {
                let body = json_bytes(&render::webhook(job.event.id, job.event.kind, job.event.occurred_at, &m, &data));
                let ts = Utc::now().timestamp();
                let headers = [
                    ("X-Rally-Event", job.event.kind.as_str().to_owned()),
                    ("X-Rally-Delivery", job.key.clone()),
                    ("X-Rally-Timestamp", ts.to_string()),
                    ("X-Rally-Signature", sign::webhook(&channel.secret, ts, &body)),
                ];
                self.post(ChannelKind::Webhook, &channel.url, body, &headers).await
            }
            ChannelKind::Email => {
                let smtp: SmtpConfig = serde_json::from_str(&channel.config).unwrap_or_default();
                mail(&smtp, &channel.secret, &job.receiver, &job.key, &m).await
            }
        }
    }

    async fn post(&self, kind: ChannelKind, url: &str, body: Vec<u8>, headers: &[(&str, String)]) -> Verdict {
        let mut request =
            self.http.post(url).header(reqwest::header::CONTENT_TYPE, "application/json; charset=utf-8").body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        match request.send().await {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let mut answer = Vec::new();
                while let Ok(Some(chunk)) = response.chunk().await {
                    answer.extend_from_slice(&chunk);
                    if answer.len() >= MAX_ANSWER_BYTES {
                        break;
                    }
                }
                classify_http(kind, status, &String::from_utf8_lossy(&answer))
            }
            Err(e) => {
                let e = e.without_url();
                let builder = e.is_builder();
                let v = classify_transport(e.is_timeout(), e.is_connect(), &transport_text(&e));
                if builder { Verdict::Dead { answer: "the URL is not valid".into() } } else { v }
            }
        }
    }
}

/// A transport error's chain, without a URL (stripped by the caller).
fn transport_text(e: &reqwest::Error) -> String {
    use std::error::Error;
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn json_bytes(v: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

/// One mail to one person; `Message-ID` carries the idempotency key.
async fn mail(smtp: &SmtpConfig, password: &str, to: &str, key: &str, m: &Message) -> Verdict {
    use lettre::message::header::ContentType;
    use lettre::transport::smtp::authentication::Credentials;
    use lettre::transport::smtp::client::{Tls, TlsParameters};
    use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

    let (subject, text) = render::mail(m);
    let (Ok(from), Ok(to)) = (smtp.from.parse::<lettre::message::Mailbox>(), to.parse::<lettre::message::Mailbox>())
    else {
        return Verdict::Dead { answer: "the sender or the receiver is not a valid address".into() };
    };
    let message = match lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .message_id(Some(format!("<{key}@rally.invalid>")))
        .header(ContentType::TEXT_PLAIN)
        .body(text)
    {
        Ok(message) => message,
        Err(e) => return Verdict::Dead { answer: format!("the message cannot be built: {e}") },
    };
    let tls = match smtp.tls {
        SmtpTls::None => Tls::None,
        mode => match TlsParameters::new(smtp.host.clone()) {
            Ok(params) if mode == SmtpTls::Tls => Tls::Wrapper(params),
            Ok(params) => Tls::Required(params),
            Err(e) => return Verdict::Dead { answer: format!("TLS: {e}") },
        },
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
        .port(smtp.port)
        .tls(tls)
        .timeout(Some(SEND_TIMEOUT));
    if !smtp.username.is_empty() {
        builder = builder.credentials(Credentials::new(smtp.username.clone(), password.to_owned()));
    }
    let transport = builder.build();
    match transport.send(message).await {
        Ok(response) => {
            let _ = response;
            Verdict::Sent
        }
        Err(e) => {
            let code = e.status().and_then(|c| c.to_string().parse::<u16>().ok());
            classify_smtp(code, &e.to_string())
        }
    }
}
