//! `POST /file/`, `GET /file/{id}`, `GET /file/{id}/download`, and the storage URL the download
//! redirects to (outside `/rest`, like a CDN link: no token needed).

use std::hash::{BuildHasher, RandomState};

use axum::body::{Body, Bytes};
use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{Multipart, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::request::as_int;
use crate::envelope::{code, success, success_with, ApiError};
use crate::gate::QueryPairs;
use crate::model::RecordedRequest;
use crate::render::{self, select_fields};
use crate::state::State as Account;
use crate::PlanfixSim;

/// Where `/file/{id}/download` points, relative to the server root.
pub(crate) const STORAGE_PREFIX: &str = "/download-storage";
/// The redirect chain [`redirect`] serves, outside `/rest` like the storage URL.
pub(crate) const REDIRECT_PREFIX: &str = "/redirect";

/// Streams the part named `file` into memory. Parts past the plan's size limit are still read
/// to the end (and dropped), so that the client gets the 7002 answer instead of a reset
/// connection in the middle of its upload.
pub(super) async fn upload(
    State(sim): State<PlanfixSim>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let mut multipart = multipart.map_err(|e| upload_failed(format!("not a multipart upload: {e}")))?;
    let limit = sim.lock().max_file_bytes;
    let mut upload: Option<(String, String, Vec<u8>)> = None;
    let mut refused: Option<ApiError> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(read_failed)? {
        if field.name() != Some("file") || upload.is_some() || refused.is_some() {
            drain(&mut field).await?;
            continue;
        }
        let Some(name) = field.file_name().map(str::to_owned).filter(|n| !n.is_empty()) else {
            drain(&mut field).await?;
            refused = Some(upload_failed("the part `file` has no filename".to_owned()));
            continue;
        };
        let content_type = field
            .content_type()
            .map(str::to_owned)
            .filter(|t| t != "application/octet-stream")
            .unwrap_or_else(|| content_type_for(&name).to_owned());
        let mut bytes = Vec::new();
        let mut size = 0u64;
        while let Some(chunk) = field.chunk().await.map_err(read_failed)? {
            size += chunk.len() as u64;
            if size > limit {
                bytes = Vec::new();
            } else {
                bytes.extend_from_slice(&chunk);
            }
        }
        if size > limit {
            refused = Some(ApiError::new(
                StatusCode::BAD_REQUEST,
                code::FILE_TOO_LARGE,
                format!("Rest API error upload file {name}: {size} bytes exceed the plan's limit of {limit} bytes"),
            ));
        } else {
            upload = Some((name, content_type, bytes));
        }
    }
    if let Some(refused) = refused {
        return Err(refused);
    }
    let (name, content_type, bytes) =
        upload.ok_or_else(|| upload_failed("the required part `file` is missing".to_owned()))?;
    let id = sim.lock().insert_file(name, content_type, Bytes::from(bytes));
    let mut members = Map::new();
    members.insert("id".to_owned(), Value::from(id));
    // The spec answers 200 here, not 201 as for other creations.
    Ok(success(StatusCode::OK, members))
}

pub(super) async fn get(
    State(sim): State<PlanfixSim>,
    Path(id): Path<String>,
    query: QueryPairs,
) -> Result<Response, ApiError> {
    let state = sim.lock();
    let file = find(&state, &id)?;
    Ok(success_with("file", select_fields(render::file(file), query.get("fields"))))
}

/// 302 to a fresh opaque storage URL on the same server (taken from `Host`), or where
/// [`PlanfixSim::redirect_downloads`] says.
pub(super) async fn download(
    State(sim): State<PlanfixSim>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let mut state = sim.lock();
    let file_id = find(&state, &id)?.id;
    let token = storage_token(file_id, state.storage_tokens.len());
    state.storage_tokens.insert(token.clone(), file_id);
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    let location = match &state.download_location {
        Some(template) => template.replace("{token}", &token),
        None => format!("http://{host}{STORAGE_PREFIX}/{token}"),
    };
    let location = HeaderValue::from_str(&location)
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, code::UNKNOWN, "bad Host header"))?;
    Ok((StatusCode::FOUND, [(header::LOCATION, location)]).into_response())
}

/// `/redirect/{hops}/{token}`: one more relative redirect, down to the storage URL of `token`
/// after `hops` of them in all.
pub(crate) async fn redirect(hops: u32, token: String) -> Response {
    let location = match hops {
        0 | 1 => format!("{STORAGE_PREFIX}/{token}"),
        more => format!("{REDIRECT_PREFIX}/{}/{token}", more - 1),
    };
    match HeaderValue::from_str(&location) {
        Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        Err(_) => (StatusCode::BAD_REQUEST, "bad token").into_response(),
    }
}

/// The storage URL: no authentication (the token in the path is the credential). Counts the
/// requests that carried an `Authorization` header anyway, which a client must not forward here.
pub(crate) async fn storage(sim: PlanfixSim, token: String, request: Request) -> Response {
    let with_auth = request.headers().contains_key(header::AUTHORIZATION);
    let mut state = sim.lock();
    state.storage_requests += 1;
    if with_auth {
        state.storage_requests_with_auth += 1;
    }
    let file = state
        .storage_tokens
        .get(&token)
        .and_then(|id| state.files.get(id))
        .map(|file| (file.content_type.clone(), file.bytes.clone()));
    let status = if file.is_some() { StatusCode::OK } else { StatusCode::NOT_FOUND };
    state.requests.push(RecordedRequest {
        method: request.method().as_str().to_owned(),
        path: request.uri().path().to_owned(),
        query: Vec::new(),
        body: None,
        status: status.as_u16(),
        at: std::time::Instant::now(),
    });
    drop(state);
    match file {
        Some((content_type, bytes)) => {
            let length = bytes.len().to_string();
            ([(header::CONTENT_TYPE, content_type), (header::CONTENT_LENGTH, length)], Body::from(bytes))
                .into_response()
        }
        // A storage miss is not a REST call: plain 404, as object stores answer.
        None => (StatusCode::NOT_FOUND, "no such object").into_response(),
    }
}

fn find<'s>(state: &'s Account, id: &str) -> Result<&'s crate::state::StoredFile, ApiError> {
    as_int(&Value::from(id)).and_then(|id| state.files.get(&id)).ok_or_else(|| {
        ApiError::new(StatusCode::BAD_REQUEST, code::FILE_NOT_FOUND, format!("File not found by id {id}"))
    })
}

async fn drain(field: &mut Field<'_>) -> Result<(), ApiError> {
    while field.chunk().await.map_err(read_failed)?.is_some() {}
    Ok(())
}

fn read_failed(error: MultipartError) -> ApiError {
    upload_failed(format!("the multipart body is unreadable: {error}"))
}

/// Code 7001 as in the spec's example answer.
fn upload_failed(reason: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, code::FILE_UPLOAD_FAILED, format!("Rest API error upload file: {reason}"))
}

/// Unguessable enough for a test fake: a per-process random hash of the file id and a counter.
fn storage_token(file_id: i64, counter: usize) -> String {
    let state = RandomState::new();
    format!("{:016x}{:016x}", state.hash_one((file_id, counter)), state.hash_one((counter, file_id, "storage")))
}

/// A content type from the file name, for seeded files and parts that sent none.
pub(crate) fn content_type_for(name: &str) -> &'static str {
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match extension.as_deref() {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("pdf") => "application/pdf",
        Some("txt") => "text/plain",
        Some("ogg" | "opus") => "audio/ogg",
        Some("mp3") => "audio/mpeg",
        Some("mp4") => "video/mp4",
        Some("docx") => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
}
