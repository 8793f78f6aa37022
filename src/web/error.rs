//! The API's error shape, `{"error": {"code", "message", "field"?}}`, and the
//! mapping from use-case errors to HTTP statuses. 500s are logged with their
//! cause and answered without it.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::ops::OpsError;
use crate::store::StoreError;

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

    /// A version conflict; `current` is the record in the shape its GET returns.
    pub fn stale(current_version: i64, current: Value) -> Self {
        ApiError {
            details: Some(Box::new(("current", current))),
            ..ApiError::new(
                StatusCode::CONFLICT,
                "version_conflict",
                format!("the record was changed meanwhile; the current version is {current_version}"),
            )
        }
    }

    /// An error answer made by something other than a handler (an axum
    /// extractor's rejection, the router's 405, the body limit's 413), with
    /// the code its status stands for.
    pub fn from_status(status: StatusCode, text: &str) -> Self {
        let (code, fallback) = match status {
            StatusCode::BAD_REQUEST => ("bad_request", "the request is malformed"),
            StatusCode::UNAUTHORIZED => ("unauthorized", "sign in or send Authorization: Bearer TOKEN"),
            StatusCode::FORBIDDEN => ("forbidden", "your role may not do this"),
            StatusCode::NOT_FOUND => ("not_found", "no such resource"),
            StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "this path does not take that method"),
            StatusCode::CONFLICT => ("conflict", "conflict"),
            StatusCode::LENGTH_REQUIRED => ("length_required", "send a Content-Length"),
            StatusCode::PAYLOAD_TOO_LARGE => ("too_large", "the request body is too large"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", "send the body as application/json"),
            StatusCode::UNPROCESSABLE_ENTITY => ("invalid", "the request could not be processed"),
            StatusCode::TOO_MANY_REQUESTS => ("throttled", "too many requests"),
            s if s.is_server_error() => ("internal", "internal error; it has been logged"),
            _ => ("error", "the request failed"),
        };
        // axum's rejection texts are for developers and may quote input; a 5xx says nothing.
        let text = text.trim();
        let message = if text.is_empty() || status.is_server_error() { fallback.to_owned() } else { text.to_owned() };
        ApiError::new(status, code, message)
    }
}

/// Middleware: every error answer under `/api/v1` is the API's JSON shape,
/// including those no handler made — axum's extractor rejections (400, 413,
/// 415, 422), the router's 405 and the body limit's 413. `Allow` and
/// `Retry-After` are kept.
pub async fn api_error_envelope(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/v1");
    let method = request.method().clone();
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if !is_api || !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 16 * 1024).await.unwrap_or_default();
    let mut error = ApiError::from_status(status, &String::from_utf8_lossy(&text));
    if status == StatusCode::METHOD_NOT_ALLOWED {
        let allowed = parts.headers.get(header::ALLOW).and_then(|v| v.to_str().ok()).unwrap_or("");
        error.message = format!("{method} is not allowed here; allowed: {allowed}");
    }
    let mut rebuilt = error.into_response();
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(v) = parts.headers.get(&name) {
            rebuilt.headers_mut().insert(name, v.clone());
        }
    }
    rebuilt
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
            // Handlers replace `current` with the GET shape (`ApiError::stale`);
            // this is the fallback for any that does not.
            OpsError::Stale { current_version, current } => ApiError::stale(current_version, current),
            OpsError::Store(StoreError::NotFound) => ApiError::not_found(),
            // PostgreSQL rolled the transaction back for a concurrent one (deadlock, serialization).
            OpsError::Store(StoreError::Conflict(what)) if what == crate::store::CONCURRENT_CHANGE => {
                ApiError::new(StatusCode::CONFLICT, "conflict", "a concurrent change got in the way; try again")
            }
            OpsError::Store(StoreError::Conflict(what)) => ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("this conflicts with an existing record ({what})"),
            ),
            OpsError::Store(e @ StoreError::Busy) => ApiError {
                retry_after: Some(5),
                ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", e.to_string())
            },
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
        let message = crate::domain::text::shorten_quotes(&self.message);
        let mut error = json!({ "code": self.code, "message": message });
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
