//! The people on a campaign team and what their roles are called.

use std::fmt;
use std::str::FromStr;

/// A team member's role. The stored and API form is the lowercase English code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    /// 销售负责人 — runs the campaign.
    Lead,
    /// 销售代表 — one region each.
    Rep,
    /// 市场部 — launches campaigns, supplies collateral.
    Marketing,
    /// 客服部 — answers campaign inquiries.
    Service,
    /// 技术部 / 物流 — demos and sample shipping.
    Support,
    /// 上级 — management, read-only.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 7] =
        [Role::Admin, Role::Lead, Role::Rep, Role::Marketing, Role::Service, Role::Support, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Lead => "lead",
            Role::Rep => "rep",
            Role::Marketing => "marketing",
            Role::Service => "service",
            Role::Support => "support",
            Role::Viewer => "viewer",
        }
    }

    /// A rep works one region; the region decides which customers land with them.
    pub fn needs_region(self) -> bool {
        self == Role::Rep
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown role {0:?}: expected one of admin, lead, rep, marketing, service, support, viewer")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        Role::ALL.into_iter().find(|r| r.as_str() == wanted).ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

pub use super::contact::{Email, InvalidEmail};

/// A display name: not blank, at most 100 characters.
pub fn validate_person_name(raw: &str) -> Result<String, &'static str> {
    let name = raw.trim();
    if name.is_empty() {
        Err("the name is empty")
    } else if name.chars().count() > 100 {
        Err("the name is longer than 100 characters")
    } else if super::text::check_chars(name, false).is_err() {
        Err("the name contains a control character; remove it")
    } else {
        Ok(name.to_owned())
    }
}

/// Passwords: long enough to resist guessing; no composition rules (NIST 800-63B).
pub fn validate_password(raw: &str) -> Result<(), &'static str> {
    let chars = raw.chars().count();
    if chars < 8 {
        Err("the password must have at least 8 characters")
    } else if chars > 256 {
        Err("the password must have at most 256 characters")
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_reject_unknown() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert_eq!("LEAD".parse::<Role>().unwrap(), Role::Lead);
        let err = "boss".parse::<Role>().unwrap_err().to_string();
        assert!(err.contains("unknown role \"boss\""), "{err}");
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(Email::parse(" Ming@Example.COM ").unwrap().as_str(), "ming@example.com");
        for bad in ["", "ming", "ming@", "@example.com", "ming@example", "a b@example.com", "a@b@c.com"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_need_eight_characters() {
        assert!(validate_password("1234567").is_err());
        assert!(validate_password("十二个汉字也可以用来").is_ok());
    }
}
