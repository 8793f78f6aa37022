//! The API's error shape, `{"error": {"code", "message", "field"?}}`, and the
//! mapping from use-case errors to HTTP statuses. 500s are logged with their
//! cause and answered without it.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::ops::OpsError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    /// Extra members of the error object (e.g. `current` on a version conflict).
    pub details: Option<Box<(&'static str, Value)>>,
    pub retry_after: Option<i64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), field: None, details: None, retry_after: None }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError { field: Some(field.into()), ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message) }
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "sign in or send Authorization: Bearer TOKEN")
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
    }
}

impl From<OpsError> for ApiError {
    fn from(err: OpsError) -> Self {
        match err {
            OpsError::Invalid { field, message } => ApiError::invalid(field, message),
            OpsError::Conflict(message) => ApiError::new(StatusCode::CONFLICT, "conflict", message),
            OpsError::NotFound => ApiError::not_found(),
            OpsError::Forbidden => ApiError::new(StatusCode::FORBIDDEN, "forbidden", "your role may not do this"),
            OpsError::BadCredentials => ApiError::new(StatusCode::UNAUTHORIZED, "bad_credentials", err.to_string()),
            OpsError::Throttled { retry_after_seconds } => ApiError {
                retry_after: Some(retry_after_seconds),
                ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "throttled", err.to_string())
            },
            OpsError::Stale { current_version, ref current } => ApiError {
                details: Some(Box::new(("current", current.clone()))),
                ..ApiError::new(
                    StatusCode::CONFLICT,
                    "version_conflict",
                    format!("the record was changed meanwhile; the current version is {current_version}"),
                )
            },
            OpsError::Store(crate::store::StoreError::NotFound) => ApiError::not_found(),
            OpsError::Store(crate::store::StoreError::Conflict(what)) => ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("this conflicts with an existing record ({what})"),
            ),
            OpsError::Store(e) => internal(&e),
            OpsError::Other(e) => internal(&*e),
        }
    }
}

fn internal(err: &dyn std::error::Error) -> ApiError {
    tracing::error!(error = %err, "internal error");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; it has been logged")
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(field) = self.field {
            error["field"] = Value::String(field);
        }
        if let Some(details) = self.details {
            let (key, value) = *details;
            error[key] = value;
        }
        let mut response = (self.status, Json(json!({ "error": error }))).into_response();
        if let Some(seconds) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}
