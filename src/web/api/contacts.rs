//! A customer's contacts.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{List, if_match, parse_body, parse_id};
use crate::app::AppState;
use crate::ops::authz::Permission;
use crate::ops::contacts::{self, ContactFields};
use crate::ops::customer_edit;
use crate::store::contacts::Contact;
use crate::web::api::{EditErrors, Forbidden};
use crate::web::error::ApiError;
use crate::web::session::ApiAuth;

#[derive(serde::Serialize, ToSchema)]
pub struct ContactList {
    pub items: Vec<Contact>,
    pub total: i64,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub name: Option<String>,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// WeChat / WeCom / DingTalk id.
    pub im_id: Option<String>,
    pub version: Option<i64>,
}

impl ContactInput {
    fn fields(self) -> (ContactFields, Option<i64>) {
        (
            ContactFields {
                name: self.name,
                title: self.title,
                phone: self.phone,
                email: self.email,
                im_id: self.im_id,
            },
            self.version,
        )
    }
}

/// The contacts of a visible customer.
#[utoipa::path(get, operation_id = "contacts_list", path = "/api/v1/customers/{id}/contacts", tag = "customers",
    params(("id" = i64, Path, description = "customer id")),
    responses((status = 200, description = "OK", body = ContactList)))]
pub async fn list(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<List<Contact>>, ApiError> {
    let id = parse_id(&id)?;
    let items = contacts::list(&state.store, &actor, id).await?;
    let total = items.len() as i64;
    Ok(Json(List { items, total, next_cursor: None }))
}

/// Add a contact to a customer one may edit.
#[utoipa::path(post, operation_id = "contacts_create", path = "/api/v1/customers/{id}/contacts", tag = "customers", request_body = ContactInput,
    params(("id" = i64, Path, description = "customer id")),
    responses((status = 201, description = "Created", body = Contact), Forbidden))]
pub async fn create(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Contact>), ApiError> {
    let customer_id = parse_id(&id)?;
    customer_edit::check(&state.store, &actor, customer_id, Permission::WriteCustomers).await?;
    let (fields, _) = parse_body::<ContactInput>(&headers, &body)?.fields();
    let id = contacts::create(&state.store, &actor, customer_id, fields).await?;
    let contact = contacts::list(&state.store, &actor, customer_id)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(ApiError::not_found)?;
    Ok((StatusCode::CREATED, Json(contact)))
}

/// Edit a contact.
#[utoipa::path(patch, operation_id = "contacts_update", path = "/api/v1/contacts/{id}", tag = "customers", request_body = ContactInput,
    params(("id" = i64, Path, description = "contact id"), ("If-Match" = Option<String>, Header, description = "the version being edited")),
    responses((status = 200, description = "OK", body = Contact), EditErrors))]
pub async fn update(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Contact>, ApiError> {
    let id = parse_id(&id)?;
    contacts::check(&state.store, &actor, id).await?;
    let (fields, version) = parse_body::<ContactInput>(&headers, &body)?.fields();
    let version = if_match(&headers)?.or(version);
    Ok(Json(contacts::update(&state.store, &actor, id, version, fields).await?))
}

/// Delete a contact.
#[utoipa::path(delete, operation_id = "contacts_delete", path = "/api/v1/contacts/{id}", tag = "customers",
    params(("id" = i64, Path, description = "contact id")),
    responses((status = 204, description = "Deleted"), Forbidden))]
pub async fn delete(
    State(state): State<AppState>,
    ApiAuth(actor): ApiAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    contacts::delete(&state.store, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
