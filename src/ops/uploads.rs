//! Files waiting on the import page between upload, preview and confirm.
//! They live in the database (any server instance can continue the flow),
//! belong to the person who uploaded them, and expire after a day.

use chrono::{DateTime, Duration, Utc};

use super::authz::Actor;
use super::import::{self, field_from_code, kind_code, parse_kind};
use super::{OpsError, OpsResult};
use crate::io::{Field, ImportKind};
use crate::store::Store;
use crate::store::uploads::PendingUpload;

/// How long an unconfirmed upload is kept.
pub fn lifetime() -> Duration {
    Duration::days(1)
}

/// An upload as the import page uses it.
#[derive(Clone, Debug)]
pub struct Pending {
    pub id: i64,
    pub kind: ImportKind,
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
    /// The mapping chosen in the preview; `None`: detect from the headers.
    pub mapping: Option<Vec<(usize, Field)>>,
}

impl Pending {
    pub fn upload(&self) -> import::Upload<'_> {
        import::Upload {
            bytes: &self.bytes,
            file_name: Some(&self.file_name),
            content_type: Some(&self.content_type).filter(|c| !c.is_empty()).map(String::as_str),
        }
    }
}

/// Keeps an uploaded file for the preview; returns its id.
pub async fn save(
    store: &Store,
    actor: &Actor,
    kind: ImportKind,
    file_name: &str,
    content_type: &str,
    bytes: &[u8],
    now: DateTime<Utc>,
) -> OpsResult<i64> {
    import::authorize(actor)?;
    let name: String = file_name.trim().chars().filter(|c| !c.is_control()).take(200).collect();
    let content_type: String = content_type.chars().take(200).collect();
    Ok(store.save_upload(actor.id, kind_code(kind), &name, &content_type, bytes, now).await?)
}

/// The actor's own, unexpired upload; anything else is not found.
pub async fn get(store: &Store, actor: &Actor, id: i64, now: DateTime<Utc>) -> OpsResult<Pending> {
    import::authorize(actor)?;
    let found = store.upload(id, actor.id).await?.filter(|u| u.created_at > now - lifetime());
    let upload = found.ok_or(OpsError::NotFound)?;
    pending(upload)
}

fn pending(u: PendingUpload) -> OpsResult<Pending> {
    let kind = parse_kind(&u.kind).ok_or(OpsError::NotFound)?;
    let mapping = u.mapping.as_deref().and_then(|json| decode_mapping(kind, json));
    Ok(Pending { id: u.id, kind, file_name: u.file_name, content_type: u.content_type, bytes: u.bytes, mapping })
}

/// Remembers the mapping chosen in the preview.
pub async fn set_mapping(store: &Store, actor: &Actor, id: i64, pairs: &[(usize, Field)]) -> OpsResult<()> {
    import::authorize(actor)?;
    let json = serde_json::to_string(&pairs.iter().map(|(i, f)| (*i, f.as_str())).collect::<Vec<_>>())
        .map_err(anyhow::Error::from)?;
    if store.set_upload_mapping(id, actor.id, &json).await? { Ok(()) } else { Err(OpsError::NotFound) }
}

/// Drops the upload (after a successful import, or on cancel).
pub async fn discard(store: &Store, actor: &Actor, id: i64) -> OpsResult<()> {
    Ok(store.delete_upload(id, actor.id).await?)
}

fn decode_mapping(kind: ImportKind, json: &str) -> Option<Vec<(usize, Field)>> {
    let pairs: Vec<(usize, String)> = serde_json::from_str(json).ok()?;
    pairs.into_iter().map(|(i, code)| Some((i, field_from_code(kind, &code)?))).collect()
}

/// Housekeeping: uploads nobody confirmed within [`lifetime`].
pub async fn prune(store: &Store, now: DateTime<Utc>) -> OpsResult<u64> {
    Ok(store.prune_uploads(now - lifetime()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mappings_round_trip_and_reject_foreign_fields() {
        let json = r#"[[0,"name"],[3,"phone"]]"#;
        assert_eq!(decode_mapping(ImportKind::Customers, json), Some(vec![(0, Field::Name), (3, Field::Phone)]));
        assert_eq!(decode_mapping(ImportKind::Interactions, json), None, "phone is not an interaction field");
        assert_eq!(decode_mapping(ImportKind::Customers, "garbage"), None);
    }
}
