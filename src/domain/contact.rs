//! How to reach a person: an e-mail address and a phone number. One rule for
//! each, used by the forms, the API and the importer alike, so whatever one
//! of them accepts the others accept too (an exported list imports again).

use std::fmt;

use super::text::{clean, half_width_char, is_blank_char, quote};

/// An e-mail address as stored: half-width, trimmed and lowercased, so
/// sign-in is not case-sensitive and uniqueness holds across spellings.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{} is not an e-mail address", quote(.0))]
pub struct InvalidEmail(pub String);

impl Email {
    /// One `@`, a dotted domain, no spaces, and none of the characters that
    /// separate addresses in a list (`,;<>"`): a cell holding two addresses
    /// is refused rather than stored as one.
    pub fn parse(raw: &str) -> Result<Self, InvalidEmail> {
        let email = clean(raw).to_lowercase();
        let valid = match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && local.len() <= 64
                    && email.len() <= 254
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
                    && !email
                        .chars()
                        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, ',' | ';' | '<' | '>' | '"'))
            }
            None => false,
        };
        if valid { Ok(Email(email)) } else { Err(InvalidEmail(raw.to_owned())) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone number as stored: digits, `+` (leading only), `-`, spaces and
/// brackets (`(010) 1234-5678`), half-width, runs of spaces collapsed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Phone(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InvalidPhone {
    #[error("{} is not a phone number: use digits, +, -, spaces and brackets only, one number per field", quote(.0))]
    Character(String),
    #[error("{} is not a phone number: it needs 7 to 20 digits", quote(.0))]
    Digits(String),
}

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, InvalidPhone> {
        let cleaned = clean(raw);
        let mut out = String::with_capacity(cleaned.len());
        let mut digits = 0;
        for (i, c) in cleaned.chars().map(half_width_char).enumerate() {
            match c {
                '0'..='9' => digits += 1,
                '+' if i == 0 => {}
                '-' | '(' | ')' => {}
                c if is_blank_char(c) => {
                    if !out.ends_with(' ') {
                        out.push(' ');
                    }
                    continue;
                }
                _ => return Err(InvalidPhone::Character(raw.to_owned())),
            }
            out.push(c);
        }
        if !(7..=20).contains(&digits) {
            return Err(InvalidPhone::Digits(raw.to_owned()));
        }
        Ok(Phone(out))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn emails_are_one_address_each() {
        assert_eq!(Email::parse(" Ming@Example.COM ").unwrap().as_str(), "ming@example.com");
        assert_eq!(Email::parse("ｍｉｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ").unwrap().as_str(), "ming@example.com");
        for bad in ["", "ming", "@x.cn", "a@b", "a@.cn", "a@x..cn", "a,b@x.cn", "a@x.cn;b@y.cn", "a b@x.cn", "<a@x.cn>"]
        {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones_are_digits_and_separators() {
        assert_eq!(Phone::parse("(010) 1234-5678").unwrap().as_str(), "(010) 1234-5678");
        assert_eq!(Phone::parse("＋８６ １３８  0013 8000").unwrap().as_str(), "+86 138 0013 8000");
        assert!(matches!(Phone::parse("138abc00138"), Err(InvalidPhone::Character(_))));
        assert!(matches!(Phone::parse("123"), Err(InvalidPhone::Digits(_))));
        assert!(matches!(Phone::parse("138-0013-8000 / 139-0013-9000"), Err(InvalidPhone::Character(_))));
    }

    proptest! {
        /// What one parse returns parses again to itself: a stored value is
        /// always acceptable input (the export → import round trip).
        #[test]
        fn parsed_values_are_fixed_points(raw in "\\PC{0,30}") {
            if let Ok(email) = Email::parse(&raw) {
                prop_assert_eq!(Email::parse(email.as_str()).unwrap(), email.clone());
            }
            if let Ok(phone) = Phone::parse(&raw) {
                prop_assert_eq!(Phone::parse(phone.as_str()).unwrap(), phone.clone());
            }
        }
    }
}
