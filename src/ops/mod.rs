//! Use cases shared by the CLI, the web pages and the JSON API. Checks that
//! must hold whichever way a request arrives (validation, authorization)
//! live here, so the entry points cannot drift apart.

pub mod audit;
pub mod auth;
pub mod authz;
pub mod backup;
pub mod calendar;
pub mod campaigns;
pub mod contacts;
pub mod credentials;
pub mod customer_edit;
pub mod customers;
pub mod demo;
pub mod execution;
pub mod export;
pub mod history;
pub mod import;
pub mod interactions;
pub mod knowledge;
pub mod notify;
pub mod review;
pub mod segments;
pub mod settings;
pub mod team;
pub mod templates;
pub mod uploads;
pub mod users;

use crate::domain::{dates, text};

/// A use-case failure, phrased for the person who asked.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    /// Bad input; `field` names the offending field.
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error("not found")]
    NotFound,
    #[error("this role may not do that")]
    Forbidden,
    #[error("wrong email or password")]
    BadCredentials,
    #[error("too many failed sign-ins; try again in {retry_after_seconds} s")]
    Throttled { retry_after_seconds: i64 },
    /// The edit named a version that is no longer current; `current` is the
    /// object as it is now, so the caller can show what changed meanwhile.
    #[error("this record was changed by someone else (now version {current_version})")]
    Stale { current_version: i64, current: serde_json::Value },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl OpsError {
    /// Bad input in `field`. Quoted values in the message are shortened, so
    /// a message never echoes a huge value back.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        OpsError::Invalid { field, message: text::shorten_quotes(&message.into()) }
    }
}

pub type OpsResult<T> = Result<T, OpsError>;

/// Records a change by `actor` in the transaction that makes it.
pub(crate) async fn audit_change(
    tx: &mut crate::store::Tx,
    actor: &authz::Actor,
    action: crate::store::audit::AuditAction,
    object_type: &str,
    object_id: i64,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> OpsResult<()> {
    let entry = crate::store::audit::AuditEntry {
        actor_id: Some(actor.id),
        actor_email: &actor.email,
        action,
        object_type,
        object_id,
        before,
        after,
    };
    Ok(crate::store::audit::record(tx, entry).await?)
}

/// A required single-line text: trimmed, not blank, at most `max`
/// characters, no control characters.
pub(crate) fn required_text(field: &'static str, raw: &str, max: usize) -> OpsResult<String> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(OpsError::invalid(field, format!("{field} is empty")));
    }
    optional_text(field, text, max)
}

/// An optional single-line text: trimmed, at most `max` characters, no
/// control characters (a line break in a name or a phone number is a
/// mistake or an attack on whoever exports it).
pub(crate) fn optional_text(field: &'static str, raw: &str, max: usize) -> OpsResult<String> {
    checked_text(field, raw.trim(), max, false)
}

/// An optional multi-line text (notes, summaries, selling points): like
/// [`optional_text`], but tabs and line breaks are kept (`\r\n` as `\n`).
pub(crate) fn optional_multiline(field: &'static str, raw: &str, max: usize) -> OpsResult<String> {
    checked_text(field, &text::normalize_newlines(raw.trim()), max, true)
}

fn checked_text(field: &'static str, text: &str, max: usize, multiline: bool) -> OpsResult<String> {
    check_chars(field, text, multiline)?;
    if text.chars().count() > max {
        return Err(OpsError::invalid(field, format!("{field} is longer than {max} characters")));
    }
    Ok(text.to_owned())
}

/// Refuses NUL and other control characters in a text that is not passed
/// through [`optional_text`] (names, labels, expressions).
pub(crate) fn check_chars(field: &'static str, text: &str, multiline: bool) -> OpsResult<()> {
    text::check_chars(text, multiline).map_err(|bad| {
        let allowed = if multiline { " (tabs and line breaks are fine)" } else { "" };
        OpsError::invalid(
            field,
            format!(
                "{field} contains the control character {} at position {}; remove it{allowed}",
                bad.code(),
                bad.position
            ),
        )
    })
}

/// A date someone gave: within [`dates::EARLIEST`] ..= [`dates::LATEST`].
pub(crate) fn check_date(field: &'static str, date: chrono::NaiveDate) -> OpsResult<chrono::NaiveDate> {
    dates::check(date).map_err(|e| OpsError::invalid(field, format!("{field}: {e}")))
}
