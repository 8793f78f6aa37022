//! Running a campaign through the API: members (stage, assignee, claims),
//! follow-ups (template 3), progress, the stand-up and a rep's day, tasks
//! and the playbook, requests, blockers and scripts.

pub mod blockers;
pub mod follow_ups;
pub mod members;
pub mod reports;
pub mod requests;
pub mod scripts;
pub mod work;

use chrono::{DateTime, Utc};

/// An instant as the team reads it: RFC 3339 in Asia/Shanghai.
pub fn china_time(at: DateTime<Utc>) -> String {
    crate::ops::execution::in_china(at).to_rfc3339()
}

/// An optional CNY amount from JSON as fen (negative amounts are refused by
/// the use case, which names the field).
pub fn optional_fen(yuan: Option<f64>) -> Option<i64> {
    yuan.filter(|v| v.is_finite()).map(|v| (v * 100.0).round() as i64)
}
