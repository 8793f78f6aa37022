//! Use cases shared by the CLI, the web pages and the JSON API. Checks that
//! must hold whichever way a request arrives (validation, authorization)
//! live here, so the entry points cannot drift apart.

pub mod audit;
pub mod auth;
pub mod authz;
pub mod calendar;
pub mod campaigns;
pub mod contacts;
pub mod credentials;
pub mod customer_edit;
pub mod customers;
pub mod demo;
pub mod export;
pub mod import;
pub mod interactions;
pub mod segments;
pub mod settings;
pub mod team;
pub mod uploads;
pub mod users;

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
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        OpsError::Invalid { field, message: message.into() }
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

/// A required text: trimmed, not blank, at most `max` characters.
pub(crate) fn required_text(field: &'static str, raw: &str, max: usize) -> OpsResult<String> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(OpsError::invalid(field, format!("{field} is empty")));
    }
    optional_text(field, text, max)
}

/// An optional text: trimmed, at most `max` characters.
pub(crate) fn optional_text(field: &'static str, raw: &str, max: usize) -> OpsResult<String> {
    let text = raw.trim();
    if text.chars().count() > max {
        return Err(OpsError::invalid(field, format!("{field} is longer than {max} characters")));
    }
    Ok(text.to_owned())
}
