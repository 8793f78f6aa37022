//! Customers (accounts) and what happens between them and the team.

use std::fmt;
use std::str::FromStr;

/// How the team reached the customer (or the customer reached the team).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Phone,
    Im,
    Email,
    Visit,
    Event,
}

/// What an interaction was. `Inquiry` (询盘) drives tier B; `Order` carries an amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InteractionKind {
    Inquiry,
    Call,
    Visit,
    Email,
    Message,
    Order,
}

impl Channel {
    pub const ALL: [Channel; 5] = [Channel::Phone, Channel::Im, Channel::Email, Channel::Visit, Channel::Event];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Phone => "phone",
            Channel::Im => "im",
            Channel::Email => "email",
            Channel::Visit => "visit",
            Channel::Event => "event",
        }
    }
}

impl InteractionKind {
    pub const ALL: [InteractionKind; 6] = [
        InteractionKind::Inquiry,
        InteractionKind::Call,
        InteractionKind::Visit,
        InteractionKind::Email,
        InteractionKind::Message,
        InteractionKind::Order,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InteractionKind::Inquiry => "inquiry",
            InteractionKind::Call => "call",
            InteractionKind::Visit => "visit",
            InteractionKind::Email => "email",
            InteractionKind::Message => "message",
            InteractionKind::Order => "order",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for InteractionKind {
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

impl Channel {
    /// Matches a normalised keyword (lowercase, half-width, no spaces): the
    /// English codes and the words the team writes in its sheets. SMS counts
    /// as IM: a written message, not a call.
    pub fn from_keyword(k: &str) -> Option<Channel> {
        Some(match k {
            "phone" | "tel" | "telephone" | "call" | "电话" | "打电话" | "致电" | "手机" | "电话沟通" | "电话拜访" => {
                Channel::Phone
            }
            "im" | "wechat" | "wecom" | "dingtalk" | "qq" | "sms" | "微信" | "企业微信" | "企微" | "钉钉" | "飞书"
            | "短信" | "即时通讯" | "在线" => Channel::Im,
            "email" | "mail" | "邮件" | "电子邮件" | "邮箱" => Channel::Email,
            "visit" | "onsite" | "上门拜访" | "拜访" | "上门" | "面谈" | "面访" | "现场拜访" | "实地拜访"
            | "登门拜访" => Channel::Visit,
            "event" | "活动" | "展会" | "答谢会" | "研讨会" | "会议" | "线下活动" | "市场活动" => {
                Channel::Event
            }
            _ => return None,
        })
    }
}

impl InteractionKind {
    pub fn from_keyword(k: &str) -> Option<InteractionKind> {
        Some(match k {
            "inquiry" | "enquiry" | "询盘" | "咨询" | "询价" | "客户咨询" | "来询" => {
                InteractionKind::Inquiry
            }
            "call" | "phone" | "电话" | "通话" | "来电" | "去电" | "电话沟通" => InteractionKind::Call,
            "visit" | "拜访" | "上门拜访" | "上门" | "面谈" | "现场拜访" => InteractionKind::Visit,
            "email" | "mail" | "邮件" | "电子邮件" => InteractionKind::Email,
            "message" | "msg" | "im" | "消息" | "留言" | "微信" | "短信" | "信息" => InteractionKind::Message,
            "order" | "订单" | "成交" | "下单" | "签约" | "签单" => InteractionKind::Order,
            _ => return None,
        })
    }

    /// The kind a channel implies when a sheet has no kind column (the
    /// team's follow-up template has none). Events imply nothing.
    pub fn implied_by(channel: Channel) -> Option<InteractionKind> {
        match channel {
            Channel::Phone => Some(InteractionKind::Call),
            Channel::Im => Some(InteractionKind::Message),
            Channel::Email => Some(InteractionKind::Email),
            Channel::Visit => Some(InteractionKind::Visit),
            Channel::Event => None,
        }
    }

    /// The channel this kind implies when the sheet gives none. Inquiries
    /// and orders arrive by any channel.
    pub fn implied_channel(self) -> Option<Channel> {
        match self {
            InteractionKind::Call => Some(Channel::Phone),
            InteractionKind::Message => Some(Channel::Im),
            InteractionKind::Email => Some(Channel::Email),
            InteractionKind::Visit => Some(Channel::Visit),
            InteractionKind::Inquiry | InteractionKind::Order => None,
        }
    }
}

fn keyword(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace() && !matches!(c, '-' | '_')).flat_map(char::to_lowercase).collect()
}

impl FromStr for Channel {
    type Err = UnknownCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Channel::from_keyword(&keyword(s)).ok_or_else(|| UnknownCode { what: "channel", value: s.to_owned() })
    }
}

impl FromStr for InteractionKind {
    type Err = UnknownCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        InteractionKind::from_keyword(&keyword(s))
            .ok_or_else(|| UnknownCode { what: "interaction kind", value: s.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_chinese_words_parse() {
        for c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>().unwrap(), c);
        }
        for k in InteractionKind::ALL {
            assert_eq!(k.as_str().parse::<InteractionKind>().unwrap(), k);
        }
        assert_eq!("上门拜访".parse::<Channel>().unwrap(), Channel::Visit);
        assert_eq!("询盘".parse::<InteractionKind>().unwrap(), InteractionKind::Inquiry);
        assert!("传真".parse::<Channel>().is_err());
    }
}
