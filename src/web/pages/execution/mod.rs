//! Campaign execution pages: a rep's day (今日跟进), a member with the
//! follow-up form (template 3, phone-first), the stand-up (站会), the
//! progress panel, requests (物料 / 支持), blockers (卡点), scripts (话术)
//! and the playbook. Handlers call `ops::execution` and render.

use crate::domain::execution::FeedbackKind;
use crate::domain::execution::blockers::BlockerStatus;
use crate::domain::execution::playbook::Action;
use crate::domain::execution::requests::{Readiness, RequestKind, RequestStatus};
use crate::domain::execution::stage::Stage;
use crate::web::i18n::Texts;

pub mod day;
pub mod member;
pub mod panels;
pub mod playbook;
pub mod requests;
pub mod standup;
pub mod team_work;

pub fn stage_key(s: Stage) -> &'static str {
    match s {
        Stage::Targeted => "stage.targeted",
        Stage::Contacted => "stage.contacted",
        Stage::Intent => "stage.intent",
        Stage::Ordered => "stage.ordered",
        Stage::Lost => "stage.lost",
    }
}

/// A stage code as stored (target list rows carry it as text).
pub fn stage_code_key(code: &str) -> &'static str {
    code.parse::<Stage>().map_or("stage.targeted", stage_key)
}

pub fn action_key(code: &str) -> &'static str {
    match code.parse::<Action>() {
        Ok(Action::Phone) => "action.phone",
        Ok(Action::Visit) => "action.visit",
        Ok(Action::Invite) => "action.invite",
        Ok(Action::Push) => "action.push",
        _ => "action.nurture",
    }
}

pub fn feedback_key(k: FeedbackKind) -> &'static str {
    match k {
        FeedbackKind::Objection => "feedback.objection",
        FeedbackKind::Interest => "feedback.interest",
        FeedbackKind::Neutral => "feedback.neutral",
    }
}

pub fn request_kind_key(k: RequestKind) -> &'static str {
    match k {
        RequestKind::Collateral => "request.kind_collateral",
        RequestKind::Demo => "request.kind_demo",
        RequestKind::Logistics => "request.kind_logistics",
        RequestKind::Training => "request.kind_training",
    }
}

pub fn request_status_key(s: RequestStatus) -> &'static str {
    match s {
        RequestStatus::Requested => "request.status_requested",
        RequestStatus::Accepted => "request.status_accepted",
        RequestStatus::Delivered => "request.status_delivered",
        RequestStatus::Declined => "request.status_declined",
    }
}

pub fn readiness_key(r: Readiness) -> (&'static str, &'static str) {
    match r {
        Readiness::Ready => ("ready", "readiness.ready"),
        Readiness::Stale => ("stale", "readiness.stale"),
        Readiness::Pending => ("pending", "readiness.pending"),
        Readiness::Declined => ("declined", "readiness.declined"),
    }
}

pub fn blocker_status_key(s: BlockerStatus) -> &'static str {
    match s {
        BlockerStatus::Open => "blocker.status_open",
        BlockerStatus::Escalated => "blocker.status_escalated",
        BlockerStatus::Decided => "blocker.status_decided",
        BlockerStatus::Answered => "blocker.status_answered",
    }
}

/// A lost reason in the reader's language: the default codes translated,
/// the team's own words as written.
pub fn lost_reason_label(t: &Texts, code: &str) -> String {
    let key = format!("lost.{code}");
    let text = t.get(&key);
    if text == key { code.to_owned() } else { text.to_owned() }
}

/// A ratio as a percentage (`120%`), or `—`.
pub fn percent(r: Option<f64>) -> String {
    r.map_or_else(|| "—".to_owned(), |v| format!("{:.0}%", v * 100.0))
}

/// An instant as the team reads it (Asia/Shanghai), `MM-DD HH:MM`.
pub fn short_time(at: chrono::DateTime<chrono::Utc>) -> String {
    crate::ops::execution::in_china(at).format("%m-%d %H:%M").to_string()
}
