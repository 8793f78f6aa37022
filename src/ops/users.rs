//! Adding team members and issuing API tokens.

use super::credentials::{hash_password, new_api_token};
use super::{OpsError, OpsResult};
use crate::domain::team::{Email, Role, validate_password, validate_person_name};
use crate::store::users::NewUser;
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

/// Validates everything before writing anything, so a bad request leaves no trace.
pub async fn add_user(store: &Store, input: AddUser) -> OpsResult<i64> {
    let email = Email::parse(&input.email).map_err(|e| OpsError::invalid("email", e.to_string()))?;
    let name = validate_person_name(&input.name).map_err(|e| OpsError::invalid("name", e))?;
    let role: Role =
        input.role.parse().map_err(|e: crate::domain::team::UnknownRole| OpsError::invalid("role", e.to_string()))?;
    validate_password(&input.password).map_err(|e| OpsError::invalid("password", e))?;
    let region = input.region.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    let regions = store.regions().await?;
    match &region {
        Some(r) if !regions.contains(r) => {
            return Err(OpsError::invalid(
                "region",
                format!("unknown region {r:?}: expected one of {}", regions.join(", ")),
            ));
        }
        None if role.needs_region() => {
            return Err(OpsError::invalid("region", format!("a rep needs a region: one of {}", regions.join(", "))));
        }
        _ => {}
    }
    let password_hash = hash_password(&input.password)?;
    let new = NewUser { email: email.clone(), name, role, region, password_hash };
    store.insert_user(&new).await.map_err(|e| match e {
        StoreError::Conflict(_) => OpsError::Conflict(format!("a user with email {email} already exists")),
        other => other.into(),
    })
}

/// Creates an API token for a user and returns the plain token (shown once).
pub async fn create_token(store: &Store, email: &str, name: &str) -> OpsResult<String> {
    let user = store
        .user_by_email(email)
        .await?
        .ok_or_else(|| OpsError::invalid("email", format!("no user with email {:?}", email.trim())))?;
    let (token, hash, prefix) = new_api_token();
    store.insert_api_token(user.id, name, &hash, &prefix).await?;
    Ok(token)
}
