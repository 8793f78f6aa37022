//! Signing in and out: database-backed sessions (so any server instance can
//! serve any request), throttling, bearer tokens, password changes.

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;

use super::authz::Actor;
use super::credentials::{hash_password, hash_token, verify_password};
use super::{OpsError, OpsResult};
use crate::domain::team::validate_password;
use crate::domain::throttle::{self, Policy};
use crate::store::Store;
use crate::store::audit::{self, AuditAction, AuditEntry};

/// A session ends after this long without a request.
pub const SESSION_IDLE: Duration = Duration::hours(12);
/// How often the sliding expiry is written back (not on every request).
const TOUCH_EVERY: Duration = Duration::minutes(5);

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

/// The keys one attempt to prove `email`'s password from `address` counts
/// under: the pair (one guesser, one account), the address (spraying), the
/// account (guessing from many addresses). Throttling only the account would
/// let anyone keep its owner out; throttling only the pair would not slow a
/// botnet. The addresses are the TCP peer's (behind a proxy, the proxy's).
fn throttle_keys(email: &str, address: &str) -> [(String, Policy); 3] {
    let account = email.trim().to_lowercase();
    [
        (format!("pair:{account}|{address}"), throttle::PAIR),
        (format!("address:{address}"), throttle::ADDRESS),
        (format!("account:{account}"), throttle::ACCOUNT),
    ]
}

/// Refuses the attempt while any of its keys waits; otherwise counts it as
/// a failure before the password is checked, so parallel guesses cannot all
/// slip through before the first one is counted.
async fn throttle_enter(store: &Store, keys: &[(String, Policy)], now: DateTime<Utc>) -> OpsResult<()> {
    let mut until: Option<DateTime<Utc>> = None;
    for (key, _) in keys {
        if let Some(u) = store.throttle_blocked_until(key, now).await? {
            until = Some(until.map_or(u, |v| v.max(u)));
        }
    }
    if let Some(until) = until {
        return Err(OpsError::Throttled { retry_after_seconds: throttle::retry_after_seconds(until, now) });
    }
    for (key, policy) in keys {
        let failures = store.throttle_count(key, now, now - throttle::FORGET_AFTER).await?;
        if let Some(wait) = policy.wait_after(failures) {
            store.throttle_block(key, failures, now + wait).await?;
        }
    }
    Ok(())
}

/// The password was right: the guesser's own pair starts afresh; the
/// address and the account only get this attempt back, so signing in to
/// one's own account does not wipe what others' failures counted.
async fn throttle_passed(store: &Store, keys: &[(String, Policy)]) -> OpsResult<()> {
    let [(pair, _), rest @ ..] = keys else { return Ok(()) };
    store.throttle_clear(pair).await?;
    for (key, policy) in rest {
        store.throttle_refund(key, policy.free).await?;
    }
    Ok(())
}

pub async fn sign_in(store: &Store, email: &str, password: &str, address: &str) -> OpsResult<NewSession> {
    sign_in_at(store, email, password, address, Utc::now()).await
}

/// [`sign_in`] at a given moment (tests walk the backoff through time).
pub async fn sign_in_at(
    store: &Store,
    email: &str,
    password: &str,
    address: &str,
    now: DateTime<Utc>,
) -> OpsResult<NewSession> {
    let keys = throttle_keys(email, address);
    throttle_enter(store, &keys, now).await?;
    let user = store.user_by_email(email).await?;
    let ok = match &user {
        Some(u) => verify_password(password, &u.password_hash) && u.active,
        None => {
            let _ = verify_password(password, dummy_hash());
            false
        }
    };
    let Some(user) = user.filter(|_| ok) else {
        return Err(OpsError::BadCredentials);
    };
    throttle_passed(store, &keys).await?;
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
    let Some((user, last_used_at)) = store.token_user(&hash).await? else {
        return Ok(None);
    };
    store.touch_token(&hash, last_used_at).await?;
    Ok(Some(Actor::from(user)))
}

pub async fn sign_out(store: &Store, token: &str) -> OpsResult<()> {
    store.delete_session(&hash_token(token)).await?;
    Ok(())
}

/// A self-service password change.
pub struct PasswordChange<'a> {
    pub current: &'a str,
    pub new: &'a str,
    /// Keep the account's API tokens working (by default they are revoked,
    /// as whoever learnt the old password may have made one).
    pub keep_tokens: bool,
    /// The session the change was made from: it stays signed in; every
    /// other session of the account ends.
    pub keep_session: Option<&'a str>,
    /// Where the request came from, for throttling the current-password check.
    pub address: &'a str,
}

/// Changes one's own password after checking the current one (throttled
/// like signing in); ends the account's other sessions and, unless told
/// to keep them, revokes its API tokens.
pub async fn change_password(store: &Store, actor: &Actor, change: PasswordChange<'_>) -> OpsResult<()> {
    let user = store.user_by_id(actor.id).await?.ok_or(OpsError::NotFound)?;
    let keys = throttle_keys(&user.email, change.address);
    throttle_enter(store, &keys, Utc::now()).await?;
    if !verify_password(change.current, &user.password_hash) {
        return Err(OpsError::invalid("current_password", "the current password is wrong"));
    }
    throttle_passed(store, &keys).await?;
    validate_password(change.new).map_err(|e| OpsError::invalid("new_password", e))?;
    let hash = hash_password(change.new)?;
    let mut tx = store.begin().await?;
    crate::store::users::set_password_hash(&mut tx, actor.id, &hash).await?;
    let revoked = if change.keep_tokens { 0 } else { crate::store::users::revoke_tokens_of(&mut tx, actor.id).await? };
    let keep = change.keep_session.map(hash_token);
    crate::store::sessions::delete_sessions_in_tx(&mut tx, actor.id, keep.as_deref()).await?;
    audit::record(
        &mut tx,
        AuditEntry {
            actor_id: Some(actor.id),
            actor_email: &actor.email,
            action: AuditAction::Update,
            object_type: "user",
            object_id: actor.id,
            before: None,
            after: Some(serde_json::json!({ "password": "changed", "tokens_revoked": revoked })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
