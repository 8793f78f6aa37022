//! Messages: an event's texts (from the locale files, in the team's
//! language or the reader's) filled with the event's values, then shaped for
//! each channel within its size limit — WeCom markdown ≤ 4096 bytes or text
//! ≤ 2048 bytes with `mentioned_mobile_list`, DingTalk markdown with
//! `at.atMobiles` and `msgUuid`, a Feishu post under 20 KB, the webhook's
//! JSON body, and mail.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::EventKind;

/// Where texts come from (`i18n::Texts` in the application; a map in tests).
pub trait Texts {
    /// The text of `key`, or the key itself when missing.
    fn text<'a>(&'a self, key: &'a str) -> &'a str;
}

impl Texts for BTreeMap<String, String> {
    fn text<'a>(&'a self, key: &'a str) -> &'a str {
        self.get(key).map_or(key, String::as_str)
    }
}

/// A value in a text: literal (a campaign's name, a date) or a text key of
/// its own (a phase's name), looked up in the same language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Param {
    Key { key: String },
    Text(String),
}

impl From<&str> for Param {
    fn from(s: &str) -> Self {
        Param::Text(s.to_owned())
    }
}

impl From<String> for Param {
    fn from(s: String) -> Self {
        Param::Text(s)
    }
}

pub type Params = BTreeMap<String, Param>;

/// One line of a digest: a text key and its values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub key: String,
    #[serde(default)]
    pub params: Params,
}

/// What an event says, stored with it, so it is rendered in any language
/// later (the inbox in the reader's, robots in the team's).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventData {
    #[serde(default)]
    pub params: Params,
    #[serde(default)]
    pub lines: Vec<Line>,
    /// The path inside Rally the message links to (`/campaigns/3`).
    #[serde(default)]
    pub link: String,
    /// Which of the kind's texts, when it has several for its receivers
    /// (`lead`: `notify.follow_up_missing.lead.title`); empty: the kind's own.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub variant: String,
}

/// A rendered message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub title: String,
    pub body: String,
    pub lines: Vec<String>,
    /// Absolute when the team set Rally's address, else a path.
    pub link: String,
    pub open_label: String,
}

/// Which characters a value may carry into the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Plain,
    /// A value cannot add a link, emphasis or a heading to a robot's markdown.
    Markdown,
}

fn escape_markdown(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '[' => '［',
            ']' => '］',
            '(' => '（',
            ')' => '）',
            '<' => '＜',
            '>' => '＞',
            '*' => '＊',
            '_' => '＿',
            '`' => '｀',
            '#' => '＃',
            '\n' | '\r' => ' ',
            c => c,
        })
        .collect()
}

fn fill(t: &dyn Texts, key: &str, params: &Params, format: Format) -> String {
    let mut text = t.text(key).to_owned();
    for (name, value) in params {
        let value = match value {
            Param::Key { key } => t.text(key).to_owned(),
            Param::Text(s) if format == Format::Markdown => escape_markdown(s),
            Param::Text(s) => s.clone(),
        };
        text = text.replace(&format!("{{{name}}}"), &value);
    }
    text
}

/// The key of one of an event's texts (`notify.phase_due_soon.title`).
pub fn text_key(kind: EventKind, part: &str) -> String {
    format!("notify.{}.{part}", kind.as_str())
}

pub fn render(kind: EventKind, data: &EventData, t: &dyn Texts, public_url: &str, format: Format) -> Message {
    let base = public_url.trim().trim_end_matches('/');
    let link = if data.link.is_empty() { base.to_owned() } else { format!("{base}{}", data.link) };
    let key = |part: &str| {
        if data.variant.is_empty() { text_key(kind, part) } else { text_key(kind, &format!("{}.{part}", data.variant)) }
    };
    Message {
        title: fill(t, &key("title"), &data.params, format),
        body: fill(t, &key("body"), &data.params, format),
        lines: data.lines.iter().map(|l| fill(t, &l.key, &l.params, format)).collect(),
        link,
        open_label: t.text("notify.open").to_owned(),
    }
}

/// Cuts `s` to at most `max` bytes on a character boundary, marking the cut.
pub fn cut_bytes(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mark = "…";
    let mut end = max.saturating_sub(mark.len());
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{mark}", &s[..end])
}

pub const WECOM_MARKDOWN_MAX: usize = 4096;
pub const WECOM_TEXT_MAX: usize = 2048;
pub const DINGTALK_TEXT_MAX: usize = 4000;
/// Feishu refuses bodies of 20 KB or more; the rest of the body is small.
pub const FEISHU_CONTENT_MAX: usize = 18 * 1024;

fn plain_text(m: &Message) -> String {
    let mut out = format!("{}\n{}", m.title, m.body);
    for line in &m.lines {
        out.push_str("\n· ");
        out.push_str(line);
    }
    if !m.link.is_empty() {
        out.push_str(&format!("\n{}: {}", m.open_label, m.link));
    }
    out
}

fn markdown_text(m: &Message) -> String {
    let mut out = format!("**{}**\n\n{}", m.title, m.body);
    for line in &m.lines {
        out.push_str("\n- ");
        out.push_str(line);
    }
    if m.link.starts_with("http") {
        out.push_str(&format!("\n\n[{}]({})", m.open_label, m.link));
    }
    out
}

/// WeCom: markdown, or text when someone is to be @-mentioned (only text
/// messages take `mentioned_mobile_list`).
pub fn wecom(m: &Message, mobiles: &[String]) -> Value {
    if mobiles.is_empty() {
        json!({"msgtype": "markdown", "markdown": {"content": cut_bytes(&markdown_text(m), WECOM_MARKDOWN_MAX)}})
    } else {
        json!({"msgtype": "text", "text": {
            "content": cut_bytes(&plain_text(m), WECOM_TEXT_MAX),
            "mentioned_mobile_list": mobiles,
        }})
    }
}

/// DingTalk: markdown; an @-mention shows only when the text names the
/// mobile too. `msgUuid` lets DingTalk drop a repeat.
pub fn dingtalk(m: &Message, mobiles: &[String], key: &str) -> Value {
    let mut text = markdown_text(m);
    let at: String = mobiles.iter().map(|p| format!(" @{p}")).collect();
    text = cut_bytes(&text, DINGTALK_TEXT_MAX - at.len());
    text.push_str(&at);
    json!({
        "msgtype": "markdown",
        "markdown": {"title": cut_bytes(&m.title, 200), "text": text},
        "at": {"atMobiles": mobiles, "isAtAll": false},
        "msgUuid": key,
    })
}

/// Feishu: a rich-text post in the team's language, signed in the body when
/// the bot has a secret.
pub fn feishu(m: &Message, language: &str, signature: Option<(i64, String)>) -> Value {
    let mut content: Vec<Value> = vec![json!([{"tag": "text", "text": cut_bytes(&m.body, 8 * 1024)}])];
    for line in &m.lines {
        content.push(json!([{"tag": "text", "text": format!("· {line}")}]));
    }
    if m.link.starts_with("http") {
        content.push(json!([{"tag": "a", "text": m.open_label, "href": m.link}]));
    }
    // Drop lines from the end until the post fits.
    while serde_json::to_string(&content).map_or(0, |s| s.len()) > FEISHU_CONTENT_MAX && content.len() > 1 {
        content.remove(content.len() - 1);
    }
    let locale = if language.starts_with("en") { "en_us" } else { "zh_cn" };
    let mut body = json!({
        "msg_type": "post",
        "content": {"post": {locale: {"title": cut_bytes(&m.title, 500), "content": content}}},
    });
    if let Some((timestamp, sign)) = signature {
        body["timestamp"] = json!(timestamp.to_string());
        body["sign"] = json!(sign);
    }
    body
}

/// The generic webhook's body: `{"id", "event", "occurred_at", "data"}`.
pub fn webhook(event_id: i64, kind: EventKind, occurred_at: DateTime<Utc>, m: &Message, data: &EventData) -> Value {
    json!({
        "id": event_id,
        "event": kind.as_str(),
        "occurred_at": occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "data": {
            "title": m.title,
            "text": plain_text(m),
            "link": m.link,
            "params": data.params,
        },
    })
}

/// Mail: the title as subject, the plain text as body.
pub fn mail(m: &Message) -> (String, String) {
    (m.title.replace(['\r', '\n'], " "), plain_text(m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn texts() -> BTreeMap<String, String> {
        [
            ("notify.phase_due_soon.title", "【{campaign}】阶段截止提醒"),
            ("notify.phase_due_soon.body", "{phase}将于 {due_on} 截止。"),
            ("phase.2", "任务拆解与资源匹配"),
            ("notify.open", "打开快响"),
            ("notify.line", "{name}：{what}"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    fn data(campaign: &str) -> EventData {
        let mut params = Params::new();
        params.insert("campaign".into(), campaign.into());
        params.insert("phase".into(), Param::Key { key: "phase.2".into() });
        params.insert("due_on".into(), "2026-11-30".into());
        EventData { params, lines: vec![], link: "/campaigns/3".into(), variant: String::new() }
    }

    #[test]
    fn a_variant_picks_its_own_texts() {
        let mut t = texts();
        t.insert("notify.phase_due_soon.lead.title".into(), "{campaign}：名单".into());
        let mut d = data("双十一");
        d.variant = "lead".into();
        let m = render(EventKind::PhaseDueSoon, &d, &t, "", Format::Plain);
        assert_eq!(m.title, "双十一：名单");
        assert_eq!(m.body, "notify.phase_due_soon.lead.body", "a missing text shows its key");
    }

    #[test]
    fn fills_values_and_keys_and_links_into_rally() {
        let m = render(EventKind::PhaseDueSoon, &data("双十一"), &texts(), "https://rally.example.com/", Format::Plain);
        assert_eq!(m.title, "【双十一】阶段截止提醒");
        assert_eq!(m.body, "任务拆解与资源匹配将于 2026-11-30 截止。");
        assert_eq!(m.link, "https://rally.example.com/campaigns/3");
        let w = wecom(&m, &[]);
        assert_eq!(w["msgtype"], "markdown");
        assert!(
            w["markdown"]["content"].as_str().unwrap().contains("[打开快响](https://rally.example.com/campaigns/3)")
        );
        let w = wecom(&m, &["13800000000".to_owned()]);
        assert_eq!(w["msgtype"], "text");
        assert_eq!(w["text"]["mentioned_mobile_list"][0], "13800000000");
        let d = dingtalk(&m, &["13800000000".to_owned()], "rally-e1-c2");
        assert!(d["markdown"]["text"].as_str().unwrap().ends_with("@13800000000"));
        assert_eq!(d["at"]["atMobiles"][0], "13800000000");
        assert_eq!(d["msgUuid"], "rally-e1-c2");
        let f = feishu(&m, "zh-CN", Some((1_700_000_000, "sig".into())));
        assert_eq!(f["timestamp"], "1700000000");
        assert_eq!(f["content"]["post"]["zh_cn"]["title"], "【双十一】阶段截止提醒");
    }

    #[test]
    fn a_value_cannot_inject_markdown() {
        let m = render(EventKind::PhaseDueSoon, &data("[点我](http://evil)"), &texts(), "", Format::Markdown);
        assert!(!m.title.contains("](http"));
        assert!(m.title.contains("［点我］"));
    }

    proptest! {
        /// Whatever the values, each payload keeps to its receiver's limit.
        #[test]
        fn payloads_fit_their_limits(name in ".{0,3000}", lines in proptest::collection::vec(".{0,400}", 0..80)) {
            let mut d = data(&name);
            d.lines = lines.iter().map(|l| {
                let mut p = Params::new();
                p.insert("name".into(), l.as_str().into());
                p.insert("what".into(), l.as_str().into());
                Line { key: "notify.line".into(), params: p }
            }).collect();
            let m = render(EventKind::PhaseDueSoon, &d, &texts(), "https://r.example", Format::Markdown);
            let md = wecom(&m, &[]);
            prop_assert!(md["markdown"]["content"].as_str().unwrap().len() <= WECOM_MARKDOWN_MAX);
            let tx = wecom(&m, &["13800000000".to_owned()]);
            prop_assert!(tx["text"]["content"].as_str().unwrap().len() <= WECOM_TEXT_MAX);
            let dt = dingtalk(&m, &["13800000000".to_owned()], "k");
            prop_assert!(dt["markdown"]["text"].as_str().unwrap().len() <= DINGTALK_TEXT_MAX);
            let fs = feishu(&m, "zh-CN", None);
            prop_assert!(serde_json::to_vec(&fs).unwrap().len() < 20 * 1024);
        }
    }
}
