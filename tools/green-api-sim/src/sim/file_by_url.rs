//! `POST /waInstance{id}/sendFileByUrl/{token}` (`https://green-api.com/en/docs/api/sending/SendFileByUrl/`).
//!
//! Green-API queues the send, answers `{idMessage}` at once and fetches `urlFile` later (retrying
//! 3 times, 120 s apart); a file it cannot fetch still got 200 and ends with an
//! `outgoingMessageStatus` `failed` (green-api/issues#43, #166). The sim fetches before
//! answering — so an expiring presigned URL passes here sooner than it must in production — and
//! keeps the rest: 200, then `failed` without an echo. A file over 100 MB is the one fetch
//! problem Green-API answers directly: 500 `File from url exceeded max upload size…` (common
//! errors page).

use std::time::Duration;

use axum::extract::Request;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::gate::Call;
use super::green_error::GreenError;
use super::validate::{self, Fields};
use super::{file_kind, ids, json_body, outbox, GreenApiSim, SentFile, SentMessage};
use crate::webhook;

/// Largest file Green-API sends (NOTES §5.4).
pub(crate) const MAX_FILE_BYTES: usize = 100 * 1024 * 1024;

const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

const FIELDS: &[&str] = &["chatId", "urlFile", "fileName", "caption", "quotedMessageId", "typingTime"];

struct FileSend<'a> {
    chat_id: &'a str,
    url: &'a str,
    file_name: &'a str,
    caption: Option<&'a str>,
    quoted: Option<&'a str>,
}

fn validate(body: &Fields) -> Result<FileSend<'_>, String> {
    let chat_id = validate::chat_id(body)?;
    let url = validate::required_str(body, "urlFile")?;
    validate::url("urlFile", url)?;
    let file_name = validate::required_str(body, "fileName")?;
    validate::file_name("fileName", file_name)?;
    let caption = validate::optional_str(body, "caption")?;
    if let Some(caption) = caption {
        validate::max_text("caption", caption)?;
    }
    let quoted = validate::quoted_message_id(body)?;
    validate::optional_number(body, "typingTime")?;
    validate::only_known(body.keys(), FIELDS)?;
    Ok(FileSend { chat_id, url, file_name, caption, quoted })
}

pub(crate) async fn handle(sim: &GreenApiSim, call: &Call, request: Request) -> Result<Response, GreenError> {
    let body = json_body::read_object(call, request).await?;
    let send = validate(&body).map_err(|details| GreenError::validation(&call.path, details))?;
    outbox::check_quota(&sim.lock(), call)?;
    let fetched = fetch(&sim.http, send.url).await;
    let id_message = ids::id_message();
    {
        let mut state = sim.lock();
        match fetched {
            Ok((bytes, content_type)) => {
                let mime = content_type.clone().unwrap_or_else(|| file_kind::mime_for(send.file_name).to_owned());
                let media = state.store_media(bytes.clone(), &mime, Some(send.file_name));
                let url = state.media_url(&media, call.host.as_deref());
                state.message_media.insert((send.chat_id.to_owned(), id_message.clone()), media);
                state.sent.push(SentMessage {
                    id_message: id_message.clone(),
                    chat_id: send.chat_id.to_owned(),
                    message: None,
                    file: Some(SentFile {
                        via: "url",
                        file_name: send.file_name.to_owned(),
                        caption: send.caption.map(str::to_owned),
                        content_type,
                        bytes,
                    }),
                    quoted: send.quoted.map(str::to_owned),
                });
                let kind = file_kind::type_message(send.file_name);
                outbox::after_send(&mut state, send.chat_id, &id_message, |inst, chat, now| {
                    webhook::outgoing_api_file_echo(
                        inst,
                        chat,
                        &id_message,
                        now,
                        kind,
                        &url,
                        &mime,
                        send.file_name,
                        send.caption,
                    )
                });
            }
            Err(FetchError::TooLarge { megabytes }) => {
                return Err(GreenError::internal(
                    &call.path,
                    format!(
                        "File from url exceeded max upload size. Size: {megabytes}mb Limit: 100mb Url: {}",
                        send.url
                    ),
                ));
            }
            Err(FetchError::Unavailable(reason)) => {
                // The description text of this `failed` status is unconfirmed.
                let description = format!("Failed to download file by url: {reason}");
                outbox::after_failed_send(&mut state, send.chat_id, &id_message, &description);
            }
        }
    }
    sim.outbox_ready.notify_one();
    Ok(Json(json!({ "idMessage": id_message })).into_response())
}

enum FetchError {
    TooLarge { megabytes: usize },
    Unavailable(String),
}

/// GET `url` (2xx required) → bytes and `Content-Type`, refusing more than [`MAX_FILE_BYTES`].
async fn fetch(client: &reqwest::Client, url: &str) -> Result<(Vec<u8>, Option<String>), FetchError> {
    let unavailable = |error: reqwest::Error| FetchError::Unavailable(error.without_url().to_string());
    let mut response = client.get(url).timeout(FETCH_TIMEOUT).send().await.map_err(unavailable)?;
    let status = response.status();
    if !status.is_success() {
        return Err(FetchError::Unavailable(format!("HTTP {}", status.as_u16())));
    }
    let too_large = |bytes: u64| FetchError::TooLarge { megabytes: bytes.div_ceil(1024 * 1024) as usize };
    if let Some(length) = response.content_length().filter(|&length| length > MAX_FILE_BYTES as u64) {
        return Err(too_large(length));
    }
    let content_type = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(unavailable)? {
        if bytes.len() + chunk.len() > MAX_FILE_BYTES {
            return Err(too_large((bytes.len() + chunk.len()) as u64));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok((bytes, content_type))
}
