//! Files waiting on the import page between upload, preview and confirm.
//! They live in the database (any server instance can continue the flow),
//! belong to the person who uploaded them, and expire after a day. Each
//! keeps its [`Preview`], computed when the file is uploaded or its mapping
//! changed: viewing the preview shows that, without reading the file again.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::authz::Actor;
use super::import::{
    self, ImportError, ImportOptions, ImportReport, Importer, OnDuplicate, field_from_code, kind_code, parse_kind,
};
use super::{OpsError, OpsResult};
use crate::io::{Field, ImportKind, MappingError};
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
    /// Empty when loaded by [`get_preview`].
    pub bytes: Vec<u8>,
    /// The mapping chosen in the preview; `None`: detect from the headers.
    pub mapping: Option<Vec<(usize, Field)>>,
    /// The stored preview, if computed (and readable).
    pub preview: Option<Preview>,
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

/// The actor's own, unexpired upload with its file; anything else is not found.
pub async fn get(store: &Store, actor: &Actor, id: i64, now: DateTime<Utc>) -> OpsResult<Pending> {
    import::authorize(actor)?;
    let found = store.upload(id, actor.id).await?.filter(|u| u.created_at > now - lifetime());
    let upload = found.ok_or(OpsError::NotFound)?;
    pending(upload)
}

/// The actor's own, unexpired upload without its file (it may be tens of
/// megabytes): what showing the stored preview needs.
pub async fn get_preview(store: &Store, actor: &Actor, id: i64, now: DateTime<Utc>) -> OpsResult<Pending> {
    import::authorize(actor)?;
    let found = store.upload_preview(id, actor.id).await?.filter(|u| u.created_at > now - lifetime());
    let upload = found.ok_or(OpsError::NotFound)?;
    pending(upload)
}

fn pending(u: PendingUpload) -> OpsResult<Pending> {
    let kind = parse_kind(&u.kind).ok_or(OpsError::NotFound)?;
    let mapping = u.mapping.as_deref().and_then(|json| decode_mapping(kind, json));
    // A preview stored by another version that no longer parses is
    // computed again, like a missing one.
    let preview = u.preview.as_deref().and_then(|json| serde_json::from_str(json).ok());
    Ok(Pending {
        id: u.id,
        kind,
        file_name: u.file_name,
        content_type: u.content_type,
        bytes: u.bytes,
        mapping,
        preview,
    })
}

fn encode_mapping(pairs: &[(usize, Field)]) -> OpsResult<String> {
    Ok(serde_json::to_string(&pairs.iter().map(|(i, f)| (*i, f.as_str())).collect::<Vec<_>>())
        .map_err(anyhow::Error::from)?)
}

/// Remembers the mapping chosen in the preview.
pub async fn set_mapping(store: &Store, actor: &Actor, id: i64, pairs: &[(usize, Field)]) -> OpsResult<()> {
    import::authorize(actor)?;
    let json = encode_mapping(pairs)?;
    if store.set_upload_mapping(id, actor.id, &json).await? { Ok(()) } else { Err(OpsError::NotFound) }
}

/// Stores a preview and the mapping it was made with (`None`: detected).
pub async fn set_preview(
    store: &Store,
    actor: &Actor,
    id: i64,
    mapping: Option<&[(usize, Field)]>,
    preview: &Preview,
) -> OpsResult<()> {
    import::authorize(actor)?;
    let mapping = mapping.map(encode_mapping).transpose()?;
    let json = serde_json::to_string(preview).map_err(anyhow::Error::from)?;
    if store.set_upload_preview(id, actor.id, mapping.as_deref(), &json).await? {
        Ok(())
    } else {
        Err(OpsError::NotFound)
    }
}

/// Bad rows and duplicates a preview keeps (the page shows this many; the
/// CLI and the API list them all).
pub const PREVIEW_PROBLEMS: usize = 500;
/// Data rows a preview keeps as a sample, and sample values per column.
pub const SAMPLE_ROWS: usize = 5;
const SAMPLE_VALUES: usize = 3;

/// The options the preview's dry run used, as the form shows them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choices {
    pub partial: bool,
    pub update: bool,
    pub partner: String,
}

/// Why the columns cannot be imported as mapped (for the page to word).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MappingProblem {
    /// Each entry lists field codes of which one must be mapped.
    MissingColumns(Vec<Vec<String>>),
    /// A field code mapped to two columns.
    MappedTwice(String),
    Other(String),
}

impl From<&MappingError> for MappingProblem {
    fn from(e: &MappingError) -> Self {
        match e {
            MappingError::MissingColumns(missing) => MappingProblem::MissingColumns(
                missing.iter().map(|any_of| any_of.iter().map(|f| f.as_str().to_owned()).collect()).collect(),
            ),
            MappingError::FieldMappedTwice(f) => MappingProblem::MappedTwice(f.as_str().to_owned()),
            other => MappingProblem::Other(other.to_string()),
        }
    }
}

/// What the preview page shows of an upload: the columns as read and mapped,
/// a sample, and what importing would do (a dry run of the good rows).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Preview {
    pub headers: Vec<String>,
    /// Per column, the field code it is mapped to ("" for none).
    pub mapping: Vec<String>,
    /// Per column, up to three values joined with ` · `.
    pub samples: Vec<String>,
    /// The first rows: (row number, cells under the headers).
    pub sample_rows: Vec<(usize, Vec<String>)>,
    /// Data rows read.
    pub rows: usize,
    /// Why the mapping cannot be imported; then there is no report.
    pub problem: Option<MappingProblem>,
    /// The dry run, with at most [`PREVIEW_PROBLEMS`] errors and warnings.
    pub report: Option<ImportReport>,
    /// Errors in the dry run, listed or not.
    pub errors_total: usize,
    pub choices: Choices,
}

/// Reads the upload with `mapping` (the detected one when `None`, or when
/// the chosen one no longer fits the file — then `problem` says why) and
/// dry-runs the good rows with `choices`. The file is read off the async
/// workers. Errors: the file cannot be read at all (`ImportError::File`),
/// or the database failed.
pub async fn compute_preview(
    store: &Store,
    actor: &Actor,
    kind: ImportKind,
    upload: std::sync::Arc<OwnedUpload>,
    mapping: Option<Vec<(usize, Field)>>,
    choices: Choices,
) -> Result<Preview, ImportError> {
    import::authorize(actor)?;
    let (prepared, fallback) = tokio::task::spawn_blocking(move || {
        let chosen = import::prepare(kind, upload.as_upload(), mapping.as_deref());
        match chosen {
            Err(ImportError::Mapping(e)) => {
                import::prepare(kind, upload.as_upload(), None).map(|p| (p, Some(MappingProblem::from(&e))))
            }
            other => other.map(|p| (p, None)),
        }
    })
    .await
    .map_err(|e| OpsError::Other(e.into()))??;
    let headers: Vec<String> = prepared.headers.iter().map(|h| shown(h)).collect();
    let width = headers.len();
    let preview_mapping =
        (0..width).map(|i| prepared.mapping.field_at(i).map_or("", |f| f.as_str()).to_owned()).collect();
    let samples = (0..width)
        .map(|i| {
            let values = prepared.head.iter().map(|r| r.get(i).display()).filter(|s| !s.is_empty()).take(SAMPLE_VALUES);
            values.map(|v| shown(&v)).collect::<Vec<_>>().join(" · ")
        })
        .collect();
    let sample_rows = prepared
        .head
        .iter()
        .take(SAMPLE_ROWS)
        .map(|r| (r.number, (0..width).map(|i| shown(&r.get(i).display())).collect()))
        .collect();
    let problem = fallback.or_else(|| prepared.mapping.check(kind).err().map(|e| MappingProblem::from(&e)));
    let mut preview = Preview {
        headers,
        mapping: preview_mapping,
        samples,
        sample_rows,
        // Counted by the dry run below, or else here.
        rows: 0,
        problem,
        report: None,
        errors_total: 0,
        choices,
    };
    if preview.problem.is_none() {
        let mut options = ImportOptions::new(store.today());
        options.dry_run = true;
        options.partial = true;
        options.on_duplicate = if preview.choices.update { OnDuplicate::Update } else { OnDuplicate::Skip };
        options.partner = Some(preview.choices.partner.clone()).filter(|p| !p.trim().is_empty());
        let importer = Importer::user(actor.clone());
        let mut report = import::run(store, &importer, prepared, &options, &import::no_progress).await?;
        preview.rows = report.rows;
        preview.errors_total = report.errors.len();
        report.errors.truncate(PREVIEW_PROBLEMS);
        report.warnings_omitted += report.warnings.len().saturating_sub(PREVIEW_PROBLEMS);
        report.warnings.truncate(PREVIEW_PROBLEMS);
        preview.report = Some(report);
    } else {
        let count = tokio::task::spawn_blocking(move || prepared.count_rows());
        preview.rows = count.await.map_err(|e| OpsError::Other(e.into()))??;
    }
    Ok(preview)
}

/// A cell or header as the preview shows it: cut to 100 characters, enough
/// to recognise it (the stored preview stays small whatever the file holds).
fn shown(text: &str) -> String {
    const SHOWN_CHARS: usize = 100;
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// An upload's bytes and labels, owned (to be read on another thread).
#[derive(Clone, Debug)]
pub struct OwnedUpload {
    pub bytes: bytes::Bytes,
    pub file_name: String,
    pub content_type: String,
}

impl OwnedUpload {
    pub fn as_upload(&self) -> import::Upload<'_> {
        import::Upload {
            bytes: self.bytes.clone(),
            file_name: Some(&self.file_name),
            content_type: Some(&self.content_type).filter(|c| !c.is_empty()).map(String::as_str),
        }
    }
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
