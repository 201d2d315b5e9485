//! `POST /waInstance{id}/sendFileByUpload/{token}`, multipart `chatId`, `file`, `fileName?`,
//! `caption?`, `quotedMessageId?` (`https://green-api.com/en/docs/api/sending/SendFileByUpload/`).
//! Answers `{idMessage, urlFile}`: `urlFile` links the stored copy (Green-API's is kept 15 days
//! and may be reused with `sendFileByUrl`). `fileName` falls back to the file part's name; one of
//! them must carry the extension Green-API classifies the file by.

use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{FromRequest, Multipart, Request};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::BytesMut;
use serde_json::json;

use super::file_by_url::MAX_FILE_BYTES;
use super::gate::Call;
use super::green_error::GreenError;
use super::validate::{self, Fields};
use super::{file_kind, ids, outbox, GreenApiSim, SentFile, SentMessage};
use crate::webhook;

const TEXT_FIELDS: &[&str] = &["chatId", "fileName", "caption", "quotedMessageId", "typingTime"];

struct FilePart {
    bytes: Vec<u8>,
    part_name: Option<String>,
    content_type: Option<String>,
}

pub(crate) async fn handle(sim: &GreenApiSim, call: &Call, request: Request) -> Result<Response, GreenError> {
    let multipart = Multipart::from_request(request, &()).await.map_err(|rejection| {
        GreenError::bad_request(&call.path, format!("Expected a multipart/form-data body: {}", rejection.body_text()))
    })?;
    let (fields, file) = read_form(call, multipart).await?;
    let invalid = |details: String| GreenError::validation(&call.path, details);
    let chat_id = validate::chat_id(&fields).map_err(invalid)?.to_owned();
    let file = file.ok_or_else(|| invalid("'file' is required".into()))?;
    let file_name = match validate::optional_str(&fields, "fileName").map_err(invalid)? {
        Some(name) if !name.is_empty() => name.to_owned(),
        _ => file.part_name.clone().ok_or_else(|| invalid("'fileName' is required".into()))?,
    };
    validate::file_name("fileName", &file_name).map_err(invalid)?;
    let caption = validate::optional_str(&fields, "caption").map_err(invalid)?.map(str::to_owned);
    if let Some(caption) = &caption {
        validate::max_text("caption", caption).map_err(invalid)?;
    }
    let quoted = validate::quoted_message_id(&fields).map_err(invalid)?.map(str::to_owned);
    validate::only_known(fields.keys(), TEXT_FIELDS).map_err(invalid)?;

    let id_message = ids::id_message();
    let url_file = {
        let mut state = sim.lock();
        outbox::check_quota(&state, call)?;
        let mime = file.content_type.clone().unwrap_or_else(|| file_kind::mime_for(&file_name).to_owned());
        let media = state.store_media(file.bytes.clone(), &mime, Some(&file_name));
        let url = state.media_url(&media, call.host.as_deref());
        state.message_media.insert((chat_id.clone(), id_message.clone()), media);
        state.sent.push(SentMessage {
            id_message: id_message.clone(),
            chat_id: chat_id.clone(),
            message: None,
            file: Some(SentFile {
                via: "upload",
                file_name: file_name.clone(),
                caption: caption.clone(),
                content_type: file.content_type,
                bytes: file.bytes,
            }),
            quoted,
        });
        let kind = file_kind::type_message(&file_name);
        outbox::after_send(&mut state, &chat_id, &id_message, |inst, chat, now| {
            webhook::outgoing_api_file_echo(
                inst,
                chat,
                &id_message,
                now,
                kind,
                &url,
                &mime,
                &file_name,
                caption.as_deref(),
            )
        });
        url
    };
    sim.outbox_ready.notify_one();
    Ok(Json(json!({ "idMessage": id_message, "urlFile": url_file })).into_response())
}

/// Text parts as JSON strings (so the JSON validators apply), plus the first `file` part.
async fn read_form(call: &Call, mut multipart: Multipart) -> Result<(Fields, Option<FilePart>), GreenError> {
    let malformed =
        |error: MultipartError| GreenError::bad_request(&call.path, format!("Malformed multipart body: {error}"));
    let mut fields = Fields::new();
    let mut file = None;
    while let Some(field) = multipart.next_field().await.map_err(malformed)? {
        let Some(name) = field.name().map(str::to_owned) else { continue };
        if name == "file" {
            if file.is_none() {
                file = Some(read_file(call, field).await?);
            }
            continue;
        }
        let text = field.text().await.map_err(malformed)?;
        fields.insert(name, text.into());
    }
    Ok((fields, file))
}

/// Streams the file part, refusing more than 100 MB (the exact answer Green-API gives for an
/// oversized upload is **unconfirmed**; the sim mirrors the sendFileByUrl text).
async fn read_file(call: &Call, mut field: Field<'_>) -> Result<FilePart, GreenError> {
    let part_name = field.file_name().map(str::to_owned);
    let content_type = field.content_type().map(str::to_owned);
    let mut buffer = BytesMut::new();
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| GreenError::bad_request(&call.path, format!("Malformed multipart body: {e}")))?
    {
        if buffer.len() + chunk.len() > MAX_FILE_BYTES {
            return Err(GreenError::internal(&call.path, "File exceeded max upload size. Limit: 100mb"));
        }
        buffer.extend_from_slice(&chunk);
    }
    Ok(FilePart { bytes: buffer.to_vec(), part_name, content_type })
}
