//! Running a campaign (phase 3): member stages and their moves, the tier
//! playbook and its working-day due dates, the funnel and the run-rate
//! projection, the stand-up's flags, collateral and support requests, and
//! blockers. Plain rules; `ops::execution` stores and authorizes them.

pub mod blockers;
pub mod playbook;
pub mod progress;
pub mod requests;
pub mod stage;
pub mod standup;

use std::fmt;

/// An unknown code in input (`stage`, `channel`, …), naming what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}: expected one of {expected}")]
pub struct UnknownCode {
    pub what: &'static str,
    pub value: String,
    pub expected: &'static str,
}

/// Implements `as_str`, `FromStr` and `Display` for a fieldless enum from
/// one table of (variant, code).
macro_rules! codes {
    ($ty:ident, $what:literal, [$(($variant:ident, $code:literal)),+ $(,)?]) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $code),+
                }
            }
        }

        impl std::str::FromStr for $ty {
            type Err = $crate::domain::execution::UnknownCode;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.trim() {
                    $($code => Ok($ty::$variant),)+
                    _ => Err($crate::domain::execution::UnknownCode {
                        what: $what,
                        value: s.to_owned(),
                        expected: concat!($($code, " "),+),
                    }),
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use codes;

/// What a customer said back (template 3's 客户反馈).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackKind {
    /// 异议 — e.g. "客户对价格有异议".
    Objection,
    /// 兴趣
    Interest,
    Neutral,
}

codes!(FeedbackKind, "feedback kind", [(Objection, "objection"), (Interest, "interest"), (Neutral, "neutral")]);

/// The default reasons a member is lost; the team edits the list.
pub const DEFAULT_LOST_REASONS: [&str; 6] = ["price", "timing", "competitor", "no_budget", "no_response", "other"];

/// A lost-reason list as edited: trimmed, not blank, unique, 1–20 entries of
/// at most 30 characters.
pub fn check_lost_reasons(list: &[String]) -> Result<Vec<String>, &'static str> {
    let mut out: Vec<String> = Vec::new();
    for raw in list {
        let r = raw.trim();
        if r.is_empty() {
            continue;
        }
        if r.chars().count() > 30 {
            return Err("a reason is longer than 30 characters");
        }
        if !out.iter().any(|x| x == r) {
            out.push(r.to_owned());
        }
    }
    if out.is_empty() {
        return Err("the list needs at least one reason");
    }
    if out.len() > 20 {
        return Err("at most 20 reasons");
    }
    Ok(out)
}

/// A time of day as the team writes it (`18:00`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimeOfDay(pub chrono::NaiveTime);

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%H:%M"))
    }
}

impl std::str::FromStr for TimeOfDay {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        let s = s.trim();
        chrono::NaiveTime::parse_from_str(s, "%H:%M")
            .or_else(|_| chrono::NaiveTime::parse_from_str(s, "%H:%M:%S"))
            .map(TimeOfDay)
            .map_err(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feedback_kinds_round_trip() {
        for k in FeedbackKind::ALL {
            assert_eq!(k.as_str().parse::<FeedbackKind>().unwrap(), *k);
        }
        let err = "angry".parse::<FeedbackKind>().unwrap_err().to_string();
        assert!(err.contains("objection"), "{err}");
    }

    #[test]
    fn lost_reason_lists_are_cleaned() {
        let list = vec![" price ".to_owned(), "price".to_owned(), "".to_owned(), "质量问题".to_owned()];
        assert_eq!(check_lost_reasons(&list).unwrap(), vec!["price", "质量问题"]);
        assert!(check_lost_reasons(&[]).is_err());
        assert!(check_lost_reasons(&["很".repeat(31)]).is_err());
    }

    #[test]
    fn times_of_day_parse() {
        assert_eq!("18:00".parse::<TimeOfDay>().unwrap().to_string(), "18:00");
        assert_eq!("09:30:00".parse::<TimeOfDay>().unwrap().to_string(), "09:30");
        assert!("25:00".parse::<TimeOfDay>().is_err());
    }
}
