//! Media endpoints: metadata + download URL, download, upload, delete (NOTES 2.3, 2.4).

use std::time::Instant;

use axum::extract::multipart::{Field, MultipartRejection};
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::header::{CONTENT_TYPE, HOST};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::{Bytes, BytesMut};
use serde_json::json;

use super::meta_error::MetaError;
use super::state::DownloadGrant;
use super::{hex_sha256, ids, is_version, GraphSim};

const MB: usize = 1024 * 1024;

/// `GET /{ver}/{media_id}` → metadata with a short-lived download URL.
pub(crate) async fn metadata(
    State(sim): State<GraphSim>,
    Path((version, media_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if !is_version(&version) {
        return MetaError::unknown_path(&format!("/{version}/{media_id}")).into_response();
    }
    let mut state = sim.lock();
    // Optional guard Meta offers: the media must belong to the given number.
    if let Some(number) = query_param(query.as_deref(), "phone_number_id") {
        if number != state.phone_number_id {
            return MetaError::unknown_object(404, &media_id, "get").into_response();
        }
    }
    let Some(media) = state.media.get(&media_id) else {
        return MetaError::unknown_object(404, &media_id, "get").into_response();
    };
    let (mime, sha256, size) = (media.mime.clone(), hex_sha256(&media.bytes), media.bytes.len());
    let base = match &state.base_url {
        Some(base) => base.clone(),
        None => {
            let host = headers.get(HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
            format!("http://{host}")
        }
    };
    let token = ids::download_token();
    state.downloads.insert(token.clone(), DownloadGrant { media_id: media_id.clone(), issued: Instant::now() });
    Json(json!({
        "messaging_product": "whatsapp",
        "url": format!("{base}/media-download/{media_id}?token={token}"),
        "mime_type": mime,
        "sha256": sha256,
        "file_size": size,
        "id": media_id,
    }))
    .into_response()
}

/// `GET /media-download/{media_id}?token=…` (bearer already checked) → the bytes.
pub(crate) async fn download(
    State(sim): State<GraphSim>,
    Path(media_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let state = sim.lock();
    let granted = query_param(query.as_deref(), "token")
        .and_then(|token| state.downloads.get(token))
        .filter(|grant| grant.media_id == media_id && grant.issued.elapsed() < state.media_url_ttl);
    match (granted, state.media.get(&media_id)) {
        (Some(_), Some(media)) => ([(CONTENT_TYPE, media.mime.clone())], media.bytes.clone()).into_response(),
        // Unknown or expired URL: the client must ask for a fresh one.
        _ => MetaError::unknown_object(404, &media_id, "get").into_response(),
    }
}

/// `DELETE /{ver}/{media_id}`.
pub(crate) async fn delete(State(sim): State<GraphSim>, Path((version, media_id)): Path<(String, String)>) -> Response {
    if !is_version(&version) {
        return MetaError::unknown_path(&format!("/{version}/{media_id}")).into_response();
    }
    let mut state = sim.lock();
    if state.media.remove(&media_id).is_none() {
        return MetaError::unknown_object(404, &media_id, "delete").into_response();
    }
    state.upload_order.retain(|id| id != &media_id);
    Json(json!({ "success": true })).into_response()
}

/// `POST /{ver}/{phone_number_id}/media`, multipart `file`, `type`, `messaging_product`.
pub(crate) async fn upload(
    State(sim): State<GraphSim>,
    Path((version, phone_number_id)): Path<(String, String)>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    if !is_version(&version) {
        return MetaError::unknown_path(&format!("/{version}/{phone_number_id}/media")).into_response();
    }
    if sim.lock().phone_number_id != phone_number_id {
        return MetaError::unknown_object(400, &phone_number_id, "post").into_response();
    }
    let form = match multipart {
        Ok(multipart) => read_upload_form(multipart).await,
        Err(rejection) => {
            Err(MetaError::invalid_parameter(format!("Expected a multipart/form-data body: {rejection}.")))
        }
    };
    match form.and_then(UploadForm::validate) {
        Ok((bytes, mime)) => Json(json!({ "id": sim.store_media(bytes, &mime, true) })).into_response(),
        Err(error) => error.into_response(),
    }
}

#[derive(Default)]
struct UploadForm {
    file: Option<Bytes>,
    mime: Option<String>,
    messaging_product: Option<String>,
}

impl UploadForm {
    fn validate(self) -> Result<(Bytes, String), MetaError> {
        if self.messaging_product.as_deref() != Some("whatsapp") {
            return Err(MetaError::invalid_parameter(
                "The parameter messaging_product is required and must be 'whatsapp'.",
            ));
        }
        let mime = self
            .mime
            .filter(|m| m.contains('/'))
            .ok_or_else(|| MetaError::invalid_parameter("The parameter type is required (a MIME type)."))?;
        let file = self.file.ok_or_else(|| MetaError::invalid_parameter("The parameter file is required."))?;
        if file.is_empty() {
            return Err(MetaError::invalid_parameter("The parameter file must not be empty."));
        }
        let limit = size_limit(&mime);
        if file.len() > limit {
            let details = format!("{mime} files may be at most {} MB.", limit as f64 / MB as f64);
            return Err(MetaError::with_message(400, 131053, "Media upload error", Some(details)));
        }
        Ok((file, mime))
    }
}

async fn read_upload_form(mut multipart: Multipart) -> Result<UploadForm, MetaError> {
    let mut form = UploadForm::default();
    while let Some(field) = multipart.next_field().await.map_err(malformed)? {
        match field.name() {
            Some("file") => form.file = Some(read_file(field).await?),
            Some("type") => form.mime = Some(field.text().await.map_err(malformed)?.trim().to_owned()),
            Some("messaging_product") => {
                form.messaging_product = Some(field.text().await.map_err(malformed)?.trim().to_owned())
            }
            // Unknown parts are skipped by the next `next_field`.
            _ => {}
        }
    }
    Ok(form)
}

/// Streams the file part chunk by chunk, refusing anything above the largest Meta limit.
async fn read_file(mut field: Field<'_>) -> Result<Bytes, MetaError> {
    let mut buffer = BytesMut::new();
    while let Some(chunk) = field.chunk().await.map_err(malformed)? {
        if buffer.len() + chunk.len() > 100 * MB {
            return Err(MetaError::with_message(
                400,
                131053,
                "Media upload error",
                Some("Files may be at most 100 MB.".into()),
            ));
        }
        buffer.extend_from_slice(&chunk);
    }
    Ok(buffer.freeze())
}

fn malformed(error: axum::extract::multipart::MultipartError) -> MetaError {
    MetaError::invalid_parameter(format!("Malformed multipart body: {error}."))
}

/// Meta's per-type limits (NOTES 2.5); WebP is the sticker format.
fn size_limit(mime: &str) -> usize {
    match mime {
        "image/webp" => 500 * 1024,
        m if m.starts_with("image/") => 5 * MB,
        m if m.starts_with("video/") || m.starts_with("audio/") => 16 * MB,
        _ => 100 * MB,
    }
}

fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?.split('&').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}
