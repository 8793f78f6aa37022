//! Signing in and out: database-backed sessions (so any server instance can
//! serve any request), throttling, bearer tokens, password changes.

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;

use super::authz::Actor;
use super::credentials::{hash_password, hash_token, verify_password};
use super::{OpsError, OpsResult};
use crate::domain::team::validate_password;
use crate::store::Store;
use crate::store::audit::{self, AuditAction, AuditEntry};

/// A session ends after this long without a request.
pub const SESSION_IDLE: Duration = Duration::hours(12);
/// How often the sliding expiry is written back (not on every request).
const TOUCH_EVERY: Duration = Duration::minutes(5);
/// Failed sign-ins tolerated per window, per account and per address.
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;
pub const FAILURE_WINDOW: Duration = Duration::minutes(15);

pub struct NewSession {
    /// The cookie value; only its hash is stored.
    pub token: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A hash of a well-formed password, used to spend the same time whether or
/// not the account exists (no user enumeration by timing).
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("not a real password").unwrap_or_default())
}

pub async fn sign_in(store: &Store, email: &str, password: &str, address: &str) -> OpsResult<NewSession> {
    let now = Utc::now();
    let account_key = format!("account:{}", email.trim().to_lowercase());
    let address_key = format!("address:{address}");
    let since = now - FAILURE_WINDOW;
    if store.login_failures_since(&account_key, since).await? >= MAX_FAILURES_PER_ACCOUNT
        || store.login_failures_since(&address_key, since).await? >= MAX_FAILURES_PER_ADDRESS
    {
        return Err(OpsError::Throttled { retry_after_seconds: FAILURE_WINDOW.num_seconds() });
    }
    let user = store.user_by_email(email).await?;
    let ok = match &user {
        Some(u) => verify_password(password, &u.password_hash) && u.active,
        None => {
            let _ = verify_password(password, dummy_hash());
            false
        }
    };
    let Some(user) = user.filter(|_| ok) else {
        store.record_login_failure(&account_key, now).await?;
        store.record_login_failure(&address_key, now).await?;
        return Err(OpsError::BadCredentials);
    };
    store.clear_login_failures(&account_key).await?;
    let token = random_token();
    let csrf_token = random_token();
    let expires_at = now + SESSION_IDLE;
    store.insert_session(&hash_token(&token), user.id, &csrf_token, expires_at).await?;
    Ok(NewSession { token, csrf_token, expires_at })
}

/// The actor of a session cookie and the session's CSRF token.
pub async fn session_actor(store: &Store, token: &str) -> OpsResult<Option<(Actor, String)>> {
    let now = Utc::now();
    let id_hash = hash_token(token);
    let Some(session) = store.session(&id_hash, now).await? else {
        return Ok(None);
    };
    if now - session.last_seen_at > TOUCH_EVERY {
        store.touch_session(&id_hash, now, now + SESSION_IDLE).await?;
    }
    Ok(Some((session.user.into(), session.csrf_token)))
}

pub async fn bearer_actor(store: &Store, token: &str) -> OpsResult<Option<Actor>> {
    let hash = hash_token(token);
    let user = store.user_by_token_hash(&hash).await?;
    if user.is_some() {
        store.touch_token(&hash).await?;
    }
    Ok(user.map(Actor::from))
}

pub async fn sign_out(store: &Store, token: &str) -> OpsResult<()> {
    store.delete_session(&hash_token(token)).await?;
    Ok(())
}

/// Changes one's own password after checking the current one; ends the
/// account's other sessions.
pub async fn change_password(
    store: &Store,
    actor: &Actor,
    current: &str,
    new: &str,
    keep_session: Option<&str>,
) -> OpsResult<()> {
    let user = store.user_by_id(actor.id).await?.ok_or(OpsError::NotFound)?;
    if !verify_password(current, &user.password_hash) {
        return Err(OpsError::invalid("current_password", "the current password is wrong"));
    }
    validate_password(new).map_err(|e| OpsError::invalid("new_password", e))?;
    let hash = hash_password(new)?;
    let mut tx = store.begin().await?;
    crate::store::users::set_password_hash(&mut tx, actor.id, &hash).await?;
    audit::record(
        &mut tx,
        AuditEntry {
            actor_id: Some(actor.id),
            actor_email: &actor.email,
            action: AuditAction::Update,
            object_type: "user",
            object_id: actor.id,
            before: None,
            after: Some(serde_json::json!({ "password": "changed" })),
        },
    )
    .await?;
    tx.commit().await?;
    store.delete_sessions_of(actor.id, keep_session.map(hash_token).as_deref()).await?;
    Ok(())
}
