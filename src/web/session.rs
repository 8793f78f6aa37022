//! Who is asking: session cookies for pages (with CSRF protection on every
//! state-changing request) and bearer tokens or cookies for the API.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::error::ApiError;
use super::i18n::Locale;
use crate::app::AppState;
use crate::ops::auth;
use crate::ops::authz::Actor;

pub const SESSION_COOKIE: &str = "rally_session";
/// Anonymous CSRF token (double-submit) for the sign-in form.
pub const PRE_COOKIE: &str = "rally_pre";
pub const LANG_COOKIE: &str = "rally_lang";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const CSRF_FIELD: &str = "csrf";

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value: HttpOnly, SameSite, `Secure` when served over HTTPS.
pub fn set_cookie(name: &str, value: &str, secure: bool, same_site: &str, max_age: Option<i64>) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

/// The session resolved once per request by [`page_guard`].
#[derive(Clone, Debug)]
pub struct ResolvedSession {
    pub actor: Actor,
    pub csrf: String,
    pub token: String,
}

/// The language of a request: the user's setting, else the anonymous cookie, else Chinese.
pub fn request_locale(headers: &HeaderMap, actor: Option<&Actor>) -> Locale {
    actor
        .and_then(|a| Locale::parse(&a.locale))
        .or_else(|| cookie(headers, LANG_COOKIE).and_then(Locale::parse))
        .unwrap_or(Locale::ZhCn)
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Middleware for the HTML pages: resolves the session into the request's
/// extensions, and rejects any state-changing request whose CSRF token does
/// not match the session's (or, before sign-in, the `rally_pre` cookie's).
/// The token comes in the `X-CSRF-Token` header (htmx) or a form field
/// `csrf` — for multipart uploads the form's first field — never in the
/// URL, where it would end up in logs, history and `Referer` headers.
pub async fn page_guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let session = match cookie(&parts.headers, SESSION_COOKIE) {
        Some(token) => match auth::session_actor(&state.store, token).await {
            Ok(found) => found.map(|(actor, csrf)| ResolvedSession { actor, csrf, token: token.to_owned() }),
            Err(e) => return super::pages::error_page(&parts.headers, None, e.into()),
        },
        None => None,
    };
    let mut body = body;
    if is_unsafe(&parts.method) {
        let expected =
            session.as_ref().map(|s| s.csrf.clone()).or_else(|| cookie(&parts.headers, PRE_COOKIE).map(str::to_owned));
        let mut provided = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let content_type =
            parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        if provided.is_none() && content_type.starts_with("application/x-www-form-urlencoded") {
            let Ok(bytes) = axum::body::to_bytes(body, crate::app::MAX_FORM_BYTES).await else {
                return (StatusCode::PAYLOAD_TOO_LARGE, "form too large").into_response();
            };
            provided = query_param(&String::from_utf8_lossy(&bytes), CSRF_FIELD);
            body = axum::body::Body::from(bytes);
        } else if provided.is_none()
            && let Some(boundary) = multipart_boundary(&content_type)
        {
            let (found, rest) = multipart_csrf(body, &boundary).await;
            provided = found;
            body = rest;
        }
        let ok = matches!((&expected, &provided), (Some(e), Some(p)) if constant_time_eq(e, p));
        if !ok {
            let actor = session.as_ref().map(|s| &s.actor);
            return super::pages::csrf_rejected(&parts.headers, actor);
        }
    }
    let headers = parts.headers.clone();
    if let Some(s) = &session {
        parts.extensions.insert(s.clone());
    }
    let response = next.run(Request::from_parts(parts, body)).await;
    super::pages::frame_failure(&headers, session.as_ref(), response)
}

/// The boundary of a `multipart/form-data` content type.
fn multipart_boundary(content_type: &str) -> Option<String> {
    let mut pieces = content_type.split(';');
    if !pieces.next()?.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    pieces
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .filter(|b| !b.is_empty())
}

/// How much of a multipart body is read to find its first field.
const MULTIPART_PEEK: usize = 16 * 1024;

/// Reads a multipart body only as far as its first part and returns that
/// part's value if it is the `csrf` field, with a body that replays what was
/// read followed by the rest (a large upload is not buffered here).
async fn multipart_csrf(body: axum::body::Body, boundary: &str) -> (Option<String>, axum::body::Body) {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut head: Vec<u8> = Vec::new();
    let mut failed: Option<axum::Error> = None;
    let mut found = None;
    while head.len() < MULTIPART_PEEK {
        match first_part(&head, boundary) {
            FirstPart::Csrf(value) => {
                found = Some(value);
                break;
            }
            FirstPart::Other => break,
            FirstPart::NeedMore => {}
        }
        match stream.next().await {
            Some(Ok(chunk)) => head.extend_from_slice(&chunk),
            Some(Err(e)) => {
                failed = Some(e);
                break;
            }
            None => break,
        }
    }
    let replay = futures_util::stream::iter([Ok::<_, axum::Error>(axum::body::Bytes::from(head))])
        .chain(futures_util::stream::iter(failed.map(Err)))
        .chain(stream);
    (found, axum::body::Body::from_stream(replay))
}

enum FirstPart {
    Csrf(String),
    Other,
    NeedMore,
}

/// Looks at the start of a multipart body: `--BOUNDARY`, the first part's
/// headers, a blank line, its value, `--BOUNDARY` again.
fn first_part(head: &[u8], boundary: &str) -> FirstPart {
    let opening = format!("--{boundary}\r\n");
    let start = head.iter().position(|b| !matches!(b, b'\r' | b'\n')).unwrap_or(head.len());
    let head = &head[start..];
    if head.len() < opening.len() {
        return if opening.as_bytes().starts_with(head) { FirstPart::NeedMore } else { FirstPart::Other };
    }
    let Some(after) = head.strip_prefix(opening.as_bytes()) else { return FirstPart::Other };
    let Some(split) = find(after, b"\r\n\r\n") else { return FirstPart::NeedMore };
    let headers = String::from_utf8_lossy(&after[..split]).to_ascii_lowercase();
    let is_csrf = headers.lines().any(|line| {
        line.starts_with("content-disposition:") && line.contains("name=\"csrf\"") && !line.contains("filename")
    });
    if !is_csrf {
        return FirstPart::Other;
    }
    let value = &after[split + 4..];
    let closing = format!("\r\n--{boundary}");
    match find(value, closing.as_bytes()) {
        Some(end) => FirstPart::Csrf(String::from_utf8_lossy(&value[..end]).trim().to_owned()),
        None => FirstPart::NeedMore,
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn query_param(query: &str, name: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// A signed-in page request; anonymous requests are sent to the sign-in page.
pub struct PageAuth(pub ResolvedSession);

impl FromRequestParts<AppState> for PageAuth {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<ResolvedSession>() {
            Some(s) => Ok(PageAuth(s.clone())),
            None => {
                let next = parts.uri.path_and_query().map_or("/", |p| p.as_str());
                let target = format!("/login?next={}", urlencode(next));
                Err(Redirect::to(&target).into_response())
            }
        }
    }
}

/// An optionally signed-in page request (the sign-in page itself, errors).
pub struct MaybeAuth(pub Option<ResolvedSession>);

impl FromRequestParts<AppState> for MaybeAuth {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(MaybeAuth(parts.extensions.get::<ResolvedSession>().cloned()))
    }
}

pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).map(|e| e[1..].to_owned()).unwrap_or_default()
}

/// An API request's actor: a bearer token, or a session cookie (then state
/// changes need the `X-CSRF-Token` header, as the pages' htmx calls send it).
pub struct ApiAuth(pub Actor);

impl FromRequestParts<AppState> for ApiAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
                .map(str::trim)
                .ok_or_else(ApiError::unauthorized)?;
            return match auth::bearer_actor(&state.store, token).await? {
                Some(actor) => Ok(ApiAuth(actor)),
                None => {
                    Err(ApiError::new(StatusCode::UNAUTHORIZED, "invalid_token", "the token is unknown or revoked"))
                }
            };
        }
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(ApiError::unauthorized());
        };
        let Some((actor, csrf)) = auth::session_actor(&state.store, token).await? else {
            return Err(ApiError::unauthorized());
        };
        if is_unsafe(&parts.method) {
            let provided = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            if !constant_time_eq(provided, &csrf) {
                return Err(ApiError::new(StatusCode::FORBIDDEN, "csrf", "missing or wrong X-CSRF-Token header"));
            }
        }
        Ok(ApiAuth(actor))
    }
}

/// The client's address: the TCP peer, or — when the peer is one of the
/// `--trusted-proxies` — the client its `X-Forwarded-For` names.
pub struct ClientAddr(pub std::net::IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map_or(std::net::IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
        let trusted = &state.config.trusted_proxies;
        if trusted.is_empty() {
            return Ok(ClientAddr(peer));
        }
        let forwarded: Vec<&str> =
            parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
        Ok(ClientAddr(trusted.client_ip(peer, &forwarded)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(boundary: &str, name: &str, value: &str) -> String {
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
    }

    #[test]
    fn boundaries_are_read_from_the_content_type() {
        assert_eq!(multipart_boundary("multipart/form-data; boundary=abc").as_deref(), Some("abc"));
        assert_eq!(multipart_boundary("Multipart/Form-Data; charset=x; Boundary=\"a b\"").as_deref(), Some("a b"));
        assert_eq!(multipart_boundary("multipart/form-data"), None);
        assert_eq!(multipart_boundary("application/x-www-form-urlencoded"), None);
    }

    #[test]
    fn the_first_part_must_be_the_csrf_field() {
        let body = part("B", "csrf", "tok123") + &part("B", "kind", "customers") + "--B--\r\n";
        assert!(matches!(first_part(body.as_bytes(), "B"), FirstPart::Csrf(v) if v == "tok123"));
        let body = part("B", "kind", "customers") + &part("B", "csrf", "tok123");
        assert!(matches!(first_part(body.as_bytes(), "B"), FirstPart::Other), "csrf second does not count");
        let file = "--B\r\nContent-Disposition: form-data; name=\"csrf\"; filename=\"x\"\r\n\r\ntok\r\n--B";
        assert!(matches!(first_part(file.as_bytes(), "B"), FirstPart::Other), "a file named csrf does not count");
        let cut = &part("B", "csrf", "tok123")[..20];
        assert!(matches!(first_part(cut.as_bytes(), "B"), FirstPart::NeedMore));
        assert!(matches!(first_part(b"--", "B"), FirstPart::NeedMore));
        assert!(matches!(first_part(b"xx", "B"), FirstPart::Other));
        assert!(matches!(first_part(b"garbage that is long enough", "B"), FirstPart::Other));
    }

    #[tokio::test]
    async fn the_body_is_replayed_whole() {
        use futures_util::StreamExt;
        let file = "x".repeat(100_000);
        let body = part("B", "csrf", "tok") + &part("B", "file", &file) + "--B--\r\n";
        let chunks: Vec<Result<axum::body::Bytes, std::io::Error>> =
            body.as_bytes().chunks(7).map(|c| Ok(axum::body::Bytes::copy_from_slice(c))).collect();
        let streamed = axum::body::Body::from_stream(futures_util::stream::iter(chunks));
        let (found, rest) = multipart_csrf(streamed, "B").await;
        assert_eq!(found.as_deref(), Some("tok"));
        let mut replayed = Vec::new();
        let mut stream = rest.into_data_stream();
        while let Some(chunk) = stream.next().await {
            replayed.extend_from_slice(&chunk.unwrap());
        }
        assert_eq!(replayed, body.as_bytes());
    }
}
