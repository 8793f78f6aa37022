//! Reminders and notifications as plain rules: which events exist and who
//! hears them, when a message may go out (working days, quiet hours), how
//! long a failed send waits (backoff with jitter), how fast a robot may be
//! fed (sliding-window rate limits), how robots and webhooks are signed,
//! what each receiver's answer means, and how a message is rendered for each
//! channel. No I/O: `ops::notify` stores, `jobs::notify` sends.

pub mod answer;
pub mod backoff;
pub mod ratelimit;
pub mod render;
pub mod schedule;
pub mod sign;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Something that happened (or fell due) that people should hear about.
/// The stored and API form is the snake_case code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A phase's deadline is today or on the next working day (campaign owners).
    PhaseDueSoon,
    /// A phase's deadline has passed without its milestone (campaign owners).
    PhaseOverdue,
    /// Someone raised a blocker (the campaign's lead).
    BlockerRaised,
    /// The lead escalated a blocker, with a reply-by date (management).
    BlockerEscalated,
    /// The lead decided a blocker, or management answered it (whoever raised it).
    BlockerDecided,
    /// Collateral or support was requested (those whose queue takes its kind).
    RequestRequested,
    /// A request was delivered (whoever asked).
    RequestDelivered,
    /// A delivered item went stale: the campaign's message or dates changed
    /// (whoever asked, and the queue that makes it again).
    RequestStale,
    /// Tasks and next actions due today or overdue: one digest a working
    /// morning for each assignee.
    TasksDue,
    /// No follow-up logged by the day's cutoff: the rep is reminded, the
    /// campaign's lead gets the list of reps.
    FollowUpMissing,
    /// The morning stand-up of each running campaign (the previous working
    /// day's contacts, intents, orders, missing updates; open blockers), for
    /// the team's group channels.
    StandupDigest,
    /// An admin's "send a test message" (one channel, never switched off).
    Test,
}

impl EventKind {
    /// The kinds a team switches on or off (a test message is always allowed).
    pub const CONFIGURABLE: [EventKind; 11] = [
        EventKind::PhaseDueSoon,
        EventKind::PhaseOverdue,
        EventKind::BlockerRaised,
        EventKind::BlockerEscalated,
        EventKind::BlockerDecided,
        EventKind::RequestRequested,
        EventKind::RequestDelivered,
        EventKind::RequestStale,
        EventKind::TasksDue,
        EventKind::FollowUpMissing,
        EventKind::StandupDigest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::PhaseDueSoon => "phase_due_soon",
            EventKind::PhaseOverdue => "phase_overdue",
            EventKind::BlockerRaised => "blocker_raised",
            EventKind::BlockerEscalated => "blocker_escalated",
            EventKind::BlockerDecided => "blocker_decided",
            EventKind::RequestRequested => "request_requested",
            EventKind::RequestDelivered => "request_delivered",
            EventKind::RequestStale => "request_stale",
            EventKind::TasksDue => "tasks_due",
            EventKind::FollowUpMissing => "follow_up_missing",
            EventKind::StandupDigest => "standup_digest",
            EventKind::Test => "test",
        }
    }

    /// Reminders fall due on the calendar (and are made only on working
    /// days); the others happen when someone acts.
    pub fn is_reminder(self) -> bool {
        matches!(
            self,
            EventKind::PhaseDueSoon
                | EventKind::PhaseOverdue
                | EventKind::TasksDue
                | EventKind::FollowUpMissing
                | EventKind::StandupDigest
        )
    }

    /// A digest for one person: a group robot or a webhook hears it only when
    /// its admin picked the kind for it (ten reps' mornings would flood a
    /// group), unlike the others, which a channel that picks nothing hears.
    pub fn is_personal_digest(self) -> bool {
        matches!(self, EventKind::TasksDue | EventKind::FollowUpMissing)
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown {what} {value:?}")]
pub struct UnknownCode {
    pub what: &'static str,
    pub value: String,
}

impl FromStr for EventKind {
    type Err = UnknownCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventKind::CONFIGURABLE
            .into_iter()
            .chain([EventKind::Test])
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| UnknownCode { what: "event kind", value: s.to_owned() })
    }
}

/// Where a message can go besides the in-app inbox (which is always on).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// 企业微信群机器人.
    Wecom,
    /// 钉钉自定义机器人.
    Dingtalk,
    /// 飞书自定义机器人.
    Feishu,
    /// A signed JSON POST to another system.
    Webhook,
    /// Mail over SMTP to each person's address.
    Email,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 5] =
        [ChannelKind::Wecom, ChannelKind::Dingtalk, ChannelKind::Feishu, ChannelKind::Webhook, ChannelKind::Email];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Wecom => "wecom",
            ChannelKind::Dingtalk => "dingtalk",
            ChannelKind::Feishu => "feishu",
            ChannelKind::Webhook => "webhook",
            ChannelKind::Email => "email",
        }
    }

    /// A group robot: one message per event for the whole group.
    pub fn is_robot(self) -> bool {
        matches!(self, ChannelKind::Wecom | ChannelKind::Dingtalk | ChannelKind::Feishu)
    }

    /// Mail goes to each person; everything else to one group or system.
    pub fn is_personal(self) -> bool {
        self == ChannelKind::Email
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChannelKind {
    type Err = UnknownCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ChannelKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| UnknownCode { what: "channel kind", value: s.to_owned() })
    }
}

/// The idempotency key of one event for one receiver (a channel, or a person
/// on a personal channel): recorded before the send, sent with it
/// (`X-Rally-Delivery`, DingTalk's `msgUuid`, the mail's `Message-ID`), so a
/// receiver can drop a repeat after a crash.
pub fn idempotency_key(event_id: i64, channel_id: i64, user_id: Option<i64>) -> String {
    match user_id {
        Some(u) => format!("rally-e{event_id}-c{channel_id}-u{u}"),
        None => format!("rally-e{event_id}-c{channel_id}"),
    }
}

/// A secret shown back: never in full, only enough to recognise it.
pub fn mask_secret(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.is_empty() {
        return String::new();
    }
    if chars.len() <= 8 {
        return "••••".to_owned();
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("••••{tail}")
}

/// A robot or webhook URL shown back: scheme and host, the path's first
/// segment, and the last four characters; keys and tokens sit in the path or
/// the query, so neither is shown.
pub fn mask_url(url: &str) -> String {
    let url = url.trim();
    if url.is_empty() {
        return String::new();
    }
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // A password in the authority is never shown either.
    let host = host.rsplit('@').next().unwrap_or_default();
    let chars: Vec<char> = url.chars().collect();
    let tail: String = if chars.len() > 24 { chars[chars.len() - 4..].iter().collect() } else { String::new() };
    let prefix = if scheme.is_empty() { host.to_owned() } else { format!("{scheme}://{host}") };
    format!("{prefix}/…{tail}")
}

/// A mainland mobile number as robots @-mention it: 11 digits starting
/// with 1 (spaces, dashes and a +86 prefix are dropped); `None` otherwise.
pub fn mobile(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let digits = match digits.strip_prefix("86") {
        Some(rest) if digits.len() == 13 => rest.to_owned(),
        _ => digits,
    };
    let plausible = raw.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '+'));
    (plausible && digits.len() == 11 && digits.starts_with('1')).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles_are_eleven_digits() {
        assert_eq!(mobile("138 0013 8000").as_deref(), Some("13800138000"));
        assert_eq!(mobile("+86 138-0013-8000").as_deref(), Some("13800138000"));
        assert_eq!(mobile("010-12345678"), None);
        assert_eq!(mobile("1380013800x"), None);
    }

    #[test]
    fn codes_round_trip() {
        for k in EventKind::CONFIGURABLE.into_iter().chain([EventKind::Test]) {
            assert_eq!(k.as_str().parse::<EventKind>().unwrap(), k);
        }
        for k in ChannelKind::ALL {
            assert_eq!(k.as_str().parse::<ChannelKind>().unwrap(), k);
        }
        assert!("sms".parse::<ChannelKind>().is_err());
    }

    #[test]
    fn secrets_and_urls_are_never_shown_whole() {
        let key = "693axxx6-7aoc-4bc4-97a0-0ec2sifa5aaa";
        let url = format!("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={key}");
        let shown = mask_url(&url);
        assert_eq!(shown, "https://qyapi.weixin.qq.com/…5aaa");
        assert!(!shown.contains(&key[..8]));
        assert_eq!(mask_secret("SECabcdef0123456789"), "••••6789");
        assert_eq!(mask_secret("short"), "••••");
        assert!(mask_url("http://user:pw@127.0.0.1:9/hook/x").starts_with("http://127.0.0.1:9/…"));
        assert!(!mask_url("http://user:pw@127.0.0.1:9/hook/x").contains("pw"));
    }

    #[test]
    fn keys_name_the_event_and_the_receiver() {
        assert_eq!(idempotency_key(12, 3, None), "rally-e12-c3");
        assert_eq!(idempotency_key(12, 3, Some(7)), "rally-e12-c3-u7");
    }
}
