//! `POST /media`: multipart `messaging_product`, `file`, and `type` → `{"id":"<numeric>"}` (D3).
//!
//! D3's curl example sends no `type` part, only `file=@…;type=image/jpeg`, so a missing `type`
//! falls back to the file part's `Content-Type`. Errors are Meta's (the upload goes to Meta);
//! the exact codes for a bad upload through 360dialog are **unconfirmed**.

use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::{Bytes, BytesMut};
use serde_json::json;

use super::meta_error::MetaError;
use super::Dialog360Sim;

const MB: usize = 1024 * 1024;

pub(crate) async fn upload(
    State(sim): State<Dialog360Sim>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let form = match multipart {
        Ok(multipart) => read_form(multipart).await,
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
    file_content_type: Option<String>,
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
        let mime = self.mime.or(self.file_content_type).filter(|m| m.contains('/')).ok_or_else(|| {
            MetaError::invalid_parameter("The parameter type (a MIME type) or the file's Content-Type is required.")
        })?;
        let file = self.file.ok_or_else(|| MetaError::invalid_parameter("The parameter file is required."))?;
        if file.is_empty() {
            return Err(MetaError::invalid_parameter("The parameter file must not be empty."));
        }
        let limit = size_limit(&mime);
        if file.len() > limit {
            let details = format!("{mime} files may be at most {} KB.", limit / 1024);
            return Err(MetaError::with_message(400, 131053, "Media upload error", Some(details)));
        }
        Ok((file, mime))
    }
}

async fn read_form(mut multipart: Multipart) -> Result<UploadForm, MetaError> {
    let mut form = UploadForm::default();
    while let Some(field) = multipart.next_field().await.map_err(malformed)? {
        match field.name() {
            Some("file") => {
                form.file_content_type = field.content_type().map(str::to_owned);
                form.file = Some(read_file(field).await?);
            }
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

/// Streams the file part chunk by chunk, refusing anything above 100 MB ("The maximum supported
/// file size for media messages on Cloud API is 100MB", D3).
async fn read_file(mut field: Field<'_>) -> Result<Bytes, MetaError> {
    let mut buffer = BytesMut::new();
    while let Some(chunk) = field.chunk().await.map_err(malformed)? {
        if buffer.len() + chunk.len() > 100 * MB {
            let details = Some("Files may be at most 100 MB.".to_owned());
            return Err(MetaError::with_message(400, 131053, "Media upload error", details));
        }
        buffer.extend_from_slice(&chunk);
    }
    Ok(buffer.freeze())
}

fn malformed(error: MultipartError) -> MetaError {
    MetaError::invalid_parameter(format!("Malformed multipart body: {error}."))
}

/// Meta's per-type limits (NOTES §2.5), which 360dialog's "Supported Media Types" table repeats;
/// WebP is the sticker format.
fn size_limit(mime: &str) -> usize {
    match mime {
        "image/webp" => 500 * 1024,
        m if m.starts_with("image/") => 5 * MB,
        m if m.starts_with("video/") || m.starts_with("audio/") => 16 * MB,
        _ => 100 * MB,
    }
}
