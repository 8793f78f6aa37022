//! Team members: adding, editing (with optimistic concurrency), password
//! resets, and API tokens. Every change is audited in its own transaction.

use serde_json::json;

use super::authz::{self, Actor, Permission};
use super::credentials::{hash_password, new_api_token};
use super::{OpsError, OpsResult};
use crate::domain::team::{Email, Role, UnknownRole, validate_password, validate_person_name};
use crate::store::audit::{self, AuditAction, AuditEntry};
use crate::store::users::{self as user_store, NewUser, TokenInfo, User, UserChanges};
use crate::store::{Store, StoreError};

/// What a new team member is given as.
#[derive(Debug, Clone)]
pub struct AddUser {
    pub email: String,
    pub name: String,
    pub role: String,
    pub region: Option<String>,
    pub password: String,
}

/// A partial edit; `None` keeps the current value. `version`, when given,
/// must be current or the edit answers [`OpsError::Stale`].
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub name: Option<String>,
    pub role: Option<String>,
    /// `Some(None)` clears the region.
    pub region: Option<Option<String>>,
    pub active: Option<bool>,
    pub locale: Option<String>,
    pub version: Option<i64>,
}

pub const LOCALES: [&str; 2] = ["zh-CN", "en"];

fn audit_view(u: &User) -> serde_json::Value {
    json!({
        "email": u.email, "name": u.name, "role": u.role.as_str(), "region": u.region,
        "active": u.active, "locale": u.locale, "version": u.version,
    })
}

async fn check_region(store: &Store, role: Role, region: Option<String>) -> OpsResult<Option<String>> {
    let region = region.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    let regions = store.regions().await?;
    match &region {
        Some(r) if !regions.contains(r) => {
            Err(OpsError::invalid("region", format!("unknown region {r:?}: expected one of {}", regions.join(", "))))
        }
        None if role.needs_region() => {
            Err(OpsError::invalid("region", format!("a rep needs a region: one of {}", regions.join(", "))))
        }
        _ => Ok(region),
    }
}

fn parse_role(raw: &str) -> OpsResult<Role> {
    raw.parse().map_err(|e: UnknownRole| OpsError::invalid("role", e.to_string()))
}

/// Adds a team member. `actor` is `None` for the command line (an operator on
/// the server), otherwise it must be an admin. Validates before writing.
pub async fn add_user(store: &Store, actor: Option<&Actor>, input: AddUser) -> OpsResult<i64> {
    if let Some(actor) = actor {
        authz::require(actor, Permission::ManageTeam)?;
    }
    let email = Email::parse(&input.email).map_err(|e| OpsError::invalid("email", e.to_string()))?;
    let name = validate_person_name(&input.name).map_err(|e| OpsError::invalid("name", e))?;
    let role = parse_role(&input.role)?;
    validate_password(&input.password).map_err(|e| OpsError::invalid("password", e))?;
    let region = check_region(store, role, input.region).await?;
    let password_hash = hash_password(&input.password)?;
    let new = NewUser { email: email.clone(), name, role, region, password_hash };
    let mut tx = store.begin().await?;
    let id = user_store::insert_user(&mut tx, &new).await.map_err(|e| match e {
        StoreError::Conflict(_) => OpsError::Conflict(format!("a user with email {email} already exists")),
        other => other.into(),
    })?;
    let created = user_store::user_in_tx(&mut tx, id).await?.ok_or(OpsError::NotFound)?;
    audit::record(
        &mut tx,
        AuditEntry {
            actor_id: actor.map(|a| a.id),
            actor_email: actor.map_or("cli", |a| a.email.as_str()),
            action: AuditAction::Create,
            object_type: "user",
            object_id: id,
            before: None,
            after: Some(audit_view(&created)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn list_users(store: &Store, actor: &Actor) -> OpsResult<Vec<User>> {
    authz::require(actor, Permission::ReadTeam)?;
    Ok(store.users().await?)
}

pub async fn get_user(store: &Store, actor: &Actor, id: i64) -> OpsResult<User> {
    authz::require(actor, Permission::ReadTeam)?;
    store.user_by_id(id).await?.ok_or(OpsError::NotFound)
}

/// Edits a team member (admin). Checks permission first, then the object,
/// then the body, so a forbidden request learns nothing from validation.
pub async fn update_user(store: &Store, actor: &Actor, id: i64, patch: UserPatch) -> OpsResult<User> {
    authz::require(actor, Permission::ManageTeam)?;
    let mut tx = store.begin().await?;
    let before = user_store::user_in_tx(&mut tx, id).await?.ok_or(OpsError::NotFound)?;
    if let Some(v) = patch.version
        && v != before.version
    {
        return Err(OpsError::Stale { current_version: before.version, current: audit_view(&before) });
    }
    let name = match patch.name {
        Some(n) => validate_person_name(&n).map_err(|e| OpsError::invalid("name", e))?,
        None => before.name.clone(),
    };
    let role = match patch.role {
        Some(r) => parse_role(&r)?,
        None => before.role,
    };
    let region = check_region(store, role, patch.region.unwrap_or_else(|| before.region.clone())).await?;
    let locale = patch.locale.unwrap_or_else(|| before.locale.clone());
    if !LOCALES.contains(&locale.as_str()) {
        return Err(OpsError::invalid("locale", format!("unknown language {locale:?}: expected zh-CN or en")));
    }
    let active = patch.active.unwrap_or(before.active);
    if id == actor.id && (!active || role != Role::Admin) {
        return Err(OpsError::invalid("role", "you cannot remove your own admin access"));
    }
    let changes = UserChanges { name, role, region, active, locale };
    if !user_store::update_user(&mut tx, id, before.version, &changes).await? {
        // Someone else committed between our read and write.
        let now = store.user_by_id(id).await?.ok_or(OpsError::NotFound)?;
        return Err(OpsError::Stale { current_version: now.version, current: audit_view(&now) });
    }
    let after = user_store::user_in_tx(&mut tx, id).await?.ok_or(OpsError::NotFound)?;
    audit::record(
        &mut tx,
        AuditEntry {
            actor_id: Some(actor.id),
            actor_email: &actor.email,
            action: AuditAction::Update,
            object_type: "user",
            object_id: id,
            before: Some(audit_view(&before)),
            after: Some(audit_view(&after)),
        },
    )
    .await?;
    tx.commit().await?;
    if !after.active {
        store.delete_sessions_of(id, None).await?;
    }
    Ok(after)
}

/// An admin sets a new password for someone: their sessions end and, unless
/// `keep_tokens`, their API tokens are revoked (whoever knew the old password
/// may have made one).
pub async fn reset_password(store: &Store, actor: &Actor, id: i64, password: &str, keep_tokens: bool) -> OpsResult<()> {
    authz::require(actor, Permission::ManageTeam)?;
    store.user_by_id(id).await?.ok_or(OpsError::NotFound)?;
    set_password(store, Some(actor), id, password, keep_tokens).await
}

/// The command line's password reset (an operator on the server), with
/// the same effects as [`reset_password`].
pub async fn set_password_by_email(store: &Store, email: &str, password: &str, keep_tokens: bool) -> OpsResult<()> {
    let user = store
        .user_by_email(email)
        .await?
        .ok_or_else(|| OpsError::invalid("email", format!("no user with email {:?}", email.trim())))?;
    set_password(store, None, user.id, password, keep_tokens).await
}

async fn set_password(
    store: &Store,
    actor: Option<&Actor>,
    id: i64,
    password: &str,
    keep_tokens: bool,
) -> OpsResult<()> {
    validate_password(password).map_err(|e| OpsError::invalid("password", e))?;
    let hash = hash_password(password)?;
    let mut tx = store.begin().await?;
    user_store::set_password_hash(&mut tx, id, &hash).await?;
    let revoked = if keep_tokens { 0 } else { user_store::revoke_tokens_of(&mut tx, id).await? };
    crate::store::sessions::delete_sessions_in_tx(&mut tx, id, None).await?;
    audit::record(
        &mut tx,
        AuditEntry {
            actor_id: actor.map(|a| a.id),
            actor_email: actor.map_or("cli", |a| a.email.as_str()),
            action: AuditAction::Update,
            object_type: "user",
            object_id: id,
            before: None,
            after: Some(json!({ "password": "reset", "tokens_revoked": revoked })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn set_own_locale(store: &Store, actor: &Actor, locale: &str) -> OpsResult<()> {
    if !LOCALES.contains(&locale) {
        return Err(OpsError::invalid("locale", format!("unknown language {locale:?}: expected zh-CN or en")));
    }
    Ok(store.set_user_locale(actor.id, locale).await?)
}

/// Creates an API token for a user by email (the command line) and returns
/// the plain token, shown once.
pub async fn create_token(store: &Store, email: &str, name: &str) -> OpsResult<String> {
    let user = store
        .user_by_email(email)
        .await?
        .ok_or_else(|| OpsError::invalid("email", format!("no user with email {:?}", email.trim())))?;
    let (token, hash, prefix) = new_api_token();
    store.insert_api_token(user.id, name, &hash, &prefix).await?;
    Ok(token)
}

/// Creates a token for oneself (UI and API).
pub async fn create_own_token(store: &Store, actor: &Actor, name: &str) -> OpsResult<(TokenInfo, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(OpsError::invalid("name", "give the token a name of 1 to 100 characters"));
    }
    super::check_chars("name", name, false)?;
    let (token, hash, prefix) = new_api_token();
    let id = store.insert_api_token(actor.id, name, &hash, &prefix).await?;
    let info = store.tokens_of(actor.id).await?.into_iter().find(|t| t.id == id).ok_or(OpsError::NotFound)?;
    Ok((info, token))
}

pub async fn own_tokens(store: &Store, actor: &Actor) -> OpsResult<Vec<TokenInfo>> {
    Ok(store.tokens_of(actor.id).await?)
}

pub async fn revoke_own_token(store: &Store, actor: &Actor, token_id: i64) -> OpsResult<()> {
    if store.revoke_token(actor.id, token_id).await? { Ok(()) } else { Err(OpsError::NotFound) }
}

/// Replaces the team's sales regions (admin). Customers and reps keep the
/// region they have; the list decides what new entries may use.
pub async fn set_regions(store: &Store, actor: &Actor, regions: Vec<String>) -> OpsResult<Vec<String>> {
    authz::require(actor, Permission::ManageTeam)?;
    let mut clean: Vec<String> = Vec::new();
    for r in regions {
        let r = r.trim().to_owned();
        if r.is_empty() {
            continue;
        }
        super::check_chars("regions", &r, false)?;
        if r.chars().count() > 20 {
            return Err(OpsError::invalid("regions", format!("{r:?} is longer than 20 characters")));
        }
        if !clean.contains(&r) {
            clean.push(r);
        }
    }
    if clean.is_empty() || clean.len() > 50 {
        return Err(OpsError::invalid("regions", "give between 1 and 50 regions"));
    }
    // Read under the write turn, so the audit's "before" is what this change replaced.
    let mut tx = store.begin().await?;
    let before = store.regions().await?;
    user_store::replace_regions(&mut tx, &clean).await?;
    audit::record(
        &mut tx,
        AuditEntry {
            actor_id: Some(actor.id),
            actor_email: &actor.email,
            action: AuditAction::Update,
            object_type: "settings",
            object_id: 0,
            before: Some(json!({ "regions": before })),
            after: Some(json!({ "regions": clean })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(clean)
}
