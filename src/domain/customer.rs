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

impl FromStr for Channel {
    type Err = UnknownCode;

    /// Accepts the English codes and the words the team writes in its sheets.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let v = s.trim().to_lowercase();
        Ok(match v.as_str() {
            "phone" | "电话" | "手机" => Channel::Phone,
            "im" | "微信" | "企业微信" | "钉钉" | "飞书" | "即时通讯" => Channel::Im,
            "email" | "邮件" | "电子邮件" => Channel::Email,
            "visit" | "上门拜访" | "拜访" | "上门" => Channel::Visit,
            "event" | "活动" | "会议" | "展会" => Channel::Event,
            _ => {
                return Err(UnknownCode { what: "channel", value: s.to_owned() });
            }
        })
    }
}

impl FromStr for InteractionKind {
    type Err = UnknownCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let v = s.trim().to_lowercase();
        Ok(match v.as_str() {
            "inquiry" | "询盘" | "咨询" | "询价" => InteractionKind::Inquiry,
            "call" | "电话" | "通话" => InteractionKind::Call,
            "visit" | "拜访" | "上门拜访" => InteractionKind::Visit,
            "email" | "邮件" => InteractionKind::Email,
            "message" | "消息" | "留言" => InteractionKind::Message,
            "order" | "订单" | "成交" | "下单" => InteractionKind::Order,
            _ => {
                return Err(UnknownCode { what: "interaction kind", value: s.to_owned() });
            }
        })
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
