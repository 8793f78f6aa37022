//! The team as pages and reports show it: who is who (names beside ids,
//! owner choices) and the configured sales regions.

use super::OpsResult;
use super::authz::{self, Actor, Permission};
use crate::domain::team::Role;
use crate::store::Store;
use crate::store::users::User;

/// Everyone on the team, active or not (old records name former members).
#[derive(Clone, Debug, Default)]
pub struct Directory {
    users: Vec<User>,
}

impl Directory {
    pub fn all(&self) -> &[User] {
        &self.users
    }

    pub fn get(&self, id: Option<i64>) -> Option<&User> {
        id.and_then(|id| self.users.iter().find(|u| u.id == id))
    }

    pub fn by_email(&self, email: &str) -> Option<&User> {
        self.users.iter().find(|u| u.email.eq_ignore_ascii_case(email))
    }

    /// The member's name, or `fallback` when there is none (unassigned).
    pub fn name_or(&self, id: Option<i64>, fallback: &str) -> String {
        self.get(id).map_or_else(|| fallback.to_owned(), |u| u.name.clone())
    }

    pub fn email_of(&self, id: Option<i64>) -> Option<String> {
        self.get(id).map(|u| u.email.clone())
    }

    /// Active members holding one of `roles`, in id order.
    pub fn active_with(&self, roles: &[Role]) -> impl Iterator<Item = &User> {
        self.users.iter().filter(move |u| u.active && roles.contains(&u.role))
    }
}

pub async fn directory(store: &Store, actor: &Actor) -> OpsResult<Directory> {
    authz::require(actor, Permission::ReadTeam)?;
    Ok(Directory { users: store.users().await? })
}

/// The team's sales regions, in display order.
pub async fn regions(store: &Store, actor: &Actor) -> OpsResult<Vec<String>> {
    authz::require(actor, Permission::ReadTeam)?;
    Ok(store.regions().await?)
}
