//! Use cases shared by the CLI, the web pages and the JSON API. Checks that
//! must hold whichever way a request arrives (validation, authorization)
//! live here, so the entry points cannot drift apart.

pub mod credentials;
pub mod demo;
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
