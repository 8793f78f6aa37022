//! What a receiver's answer means for the queue: sent; retry later (rate
//! limited, a server error, a timeout); or dead at once (a bad key, a bad
//! signature, a keyword mismatch — retrying cannot fix those, the admin
//! must), with the receiver's own message kept for the admin.

use super::ChannelKind;

/// The outcome of one attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Sent,
    /// Worth another attempt; `rate_limited` waits out the robot's window.
    Retry {
        answer: String,
        rate_limited: bool,
    },
    /// Another attempt would fail the same way.
    Dead {
        answer: String,
    },
}

/// Longest answer kept (receivers sometimes answer with a whole HTML page).
const MAX_ANSWER: usize = 300;

/// A receiver's text, shortened for the log.
pub fn excerpt(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() <= MAX_ANSWER {
        return text.to_owned();
    }
    text.chars().take(MAX_ANSWER).collect::<String>() + "…"
}

/// Classifies an HTTP answer of a robot or a webhook.
pub fn classify_http(kind: ChannelKind, status: u16, body: &str) -> Verdict {
    let answer = format!("HTTP {status}: {}", excerpt(body));
    if status == 429 {
        return Verdict::Retry { answer, rate_limited: true };
    }
    if status >= 500 || status == 408 {
        return Verdict::Retry { answer, rate_limited: false };
    }
    if !(200..300).contains(&status) {
        return Verdict::Dead { answer };
    }
    match kind {
        ChannelKind::Webhook | ChannelKind::Email => Verdict::Sent,
        ChannelKind::Wecom | ChannelKind::Dingtalk | ChannelKind::Feishu => classify_robot(kind, body),
    }
}

/// A robot answers 200 with a code in the body.
fn classify_robot(kind: ChannelKind, body: &str) -> Verdict {
    let parsed: serde_json::Value = match serde_json::from_str(body) {
        Ok(v) => v,
        // A proxy's error page or a truncated answer: the robot may be fine.
        Err(_) => {
            return Verdict::Retry { answer: format!("unreadable answer: {}", excerpt(body)), rate_limited: false };
        }
    };
    let code_field = match kind {
        ChannelKind::Feishu => ["code", "StatusCode"].into_iter().find_map(|f| parsed.get(f)),
        _ => parsed.get("errcode"),
    };
    let code = code_field.and_then(serde_json::Value::as_i64);
    let message = ["errmsg", "msg", "StatusMessage"]
        .into_iter()
        .find_map(|f| parsed.get(f).and_then(|m| m.as_str()))
        .unwrap_or_default();
    let answer = format!("{}: {}", code.map_or("?".to_owned(), |c| c.to_string()), excerpt(message));
    match (kind, code) {
        (_, Some(0)) => Verdict::Sent,
        // WeCom 45009 and DingTalk 130101: too many messages this minute.
        (ChannelKind::Wecom, Some(45009)) | (ChannelKind::Dingtalk, Some(130101)) => {
            Verdict::Retry { answer, rate_limited: true }
        }
        // Feishu 11232: frequency limited; 9499 with "too many" likewise.
        (ChannelKind::Feishu, Some(11232)) => Verdict::Retry { answer, rate_limited: true },
        // -1: "system busy" on WeCom and DingTalk.
        (ChannelKind::Wecom | ChannelKind::Dingtalk, Some(-1)) => Verdict::Retry { answer, rate_limited: false },
        // No code at all: not an answer we understand; do not give up on it.
        (_, None) => Verdict::Retry { answer: format!("unexpected answer: {}", excerpt(body)), rate_limited: false },
        // Bad key or token, bad signature, keyword or IP mismatch, message
        // too long: the admin must fix the channel.
        _ => Verdict::Dead { answer },
    }
}

/// A network failure before any answer: a timeout or a refused connection
/// is worth retrying; a bad address is not.
pub fn classify_transport(timeout: bool, connect: bool, description: &str) -> Verdict {
    let answer = excerpt(description);
    if timeout || connect {
        Verdict::Retry { answer, rate_limited: false }
    } else if description.contains("builder") || description.contains("relative URL") {
        Verdict::Dead { answer }
    } else {
        Verdict::Retry { answer, rate_limited: false }
    }
}

/// An SMTP reply: 4xx is transient, 5xx permanent (RFC 5321).
pub fn classify_smtp(code: Option<u16>, description: &str) -> Verdict {
    let answer = excerpt(description);
    match code {
        Some(c) if (400..500).contains(&c) => Verdict::Retry { answer, rate_limited: c == 421 || c == 450 },
        Some(c) if c >= 500 => Verdict::Dead { answer },
        // No reply code: the connection or TLS failed; try again later.
        _ => Verdict::Retry { answer, rate_limited: false },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ChannelKind::*;

    #[test]
    fn robots_succeed_with_code_zero() {
        assert_eq!(classify_http(Wecom, 200, r#"{"errcode":0,"errmsg":"ok"}"#), Verdict::Sent);
        assert_eq!(classify_http(Dingtalk, 200, r#"{"errcode":0,"errmsg":"ok"}"#), Verdict::Sent);
        assert_eq!(classify_http(Feishu, 200, r#"{"code":0,"msg":"success","data":{}}"#), Verdict::Sent);
        assert_eq!(classify_http(Feishu, 200, r#"{"StatusCode":0,"StatusMessage":"success"}"#), Verdict::Sent);
    }

    #[test]
    fn rate_limits_and_server_errors_are_retried() {
        for (kind, body) in [
            (Wecom, r#"{"errcode":45009,"errmsg":"api freq out of limit"}"#),
            (Dingtalk, r#"{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}"#),
            (Feishu, r#"{"code":11232,"msg":"frequency limited"}"#),
        ] {
            assert!(matches!(classify_http(kind, 200, body), Verdict::Retry { rate_limited: true, .. }), "{body}");
        }
        assert!(matches!(classify_http(Webhook, 503, "busy"), Verdict::Retry { rate_limited: false, .. }));
        assert!(matches!(classify_http(Webhook, 429, ""), Verdict::Retry { rate_limited: true, .. }));
        assert!(matches!(classify_http(Wecom, 200, "<html>bad gateway"), Verdict::Retry { .. }));
        assert!(matches!(classify_transport(true, false, "timed out"), Verdict::Retry { .. }));
    }

    #[test]
    fn bad_keys_signatures_and_keywords_are_dead_with_the_receivers_message() {
        let dead = |v: Verdict| match v {
            Verdict::Dead { answer } => answer,
            other => panic!("expected dead, got {other:?}"),
        };
        assert_eq!(
            dead(classify_http(Wecom, 200, r#"{"errcode":93000,"errmsg":"invalid webhook url"}"#)),
            "93000: invalid webhook url"
        );
        assert!(dead(classify_http(Dingtalk, 200, r#"{"errcode":310000,"errmsg":"sign not match"}"#)).contains("sign"));
        assert!(dead(classify_http(Feishu, 200, r#"{"code":19021,"msg":"sign match fail"}"#)).contains("19021"));
        assert!(dead(classify_http(Feishu, 200, r#"{"code":19024,"msg":"Key Words Not Found"}"#)).contains("Key"));
        assert!(dead(classify_http(Webhook, 401, "bad signature")).contains("401"));
        assert!(matches!(classify_smtp(Some(535), "authentication failed"), Verdict::Dead { .. }));
        assert!(matches!(classify_smtp(Some(451), "try later"), Verdict::Retry { .. }));
    }

    #[test]
    fn long_answers_are_shortened() {
        let long = "x".repeat(5000);
        match classify_http(Webhook, 400, &long) {
            Verdict::Dead { answer } => assert!(answer.chars().count() < 320),
            other => panic!("{other:?}"),
        }
    }
}
