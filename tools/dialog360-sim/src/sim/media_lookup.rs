//! `GET /{media-id}` → metadata with Meta's media URL (D2), and `DELETE /{media-id}` (D3).
//!
//! The URL is on `lookaside.fbsbx.com`, as 360dialog answers it; the bridge must download from the
//! same path and query on 360dialog's host with its key (D3), which the sim serves in
//! [`super::attachments`]. The sim never makes the lookaside host reachable, so a client that
//! forgets the rewrite fails loudly.

use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::d360_error::D360Error;
use super::meta_error::MetaError;
use super::state::MediaGrant;
use super::{ids, Dialog360Sim};
use crate::clock;

/// Where Meta's media URLs point (D2, sample `360dialog/media_retrieve_response.json`).
pub(crate) const LOOKASIDE_ATTACHMENTS: &str = "https://lookaside.fbsbx.com/whatsapp_business/attachments/";

/// A media look-up is a GET of one numeric segment; only those count toward the block (D3:
/// "Error-based throttling applies only to GET requests").
pub(crate) fn is_lookup(method: &Method, path: &str) -> bool {
    method == Method::GET && path.strip_prefix('/').is_some_and(is_media_id)
}

fn is_media_id(segment: &str) -> bool {
    !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit())
}

pub(crate) async fn metadata(State(sim): State<Dialog360Sim>, Path(media_id): Path<String>) -> Response {
    if !is_media_id(&media_id) {
        return D360Error::not_found(&format!("/{media_id}")).into_response();
    }
    let mut state = sim.lock();
    let Some(media) = state.media.get(&media_id) else {
        return MetaError::unknown_object(404, &media_id, "get").into_response();
    };
    let (mime, sha256, size) = (media.mime.clone(), hex_sha256(&media.bytes), media.bytes.len());
    let ext = clock::unix_seconds() + ttl_seconds(state.media_url_ttl);
    let hash = ids::url_hash();
    state.grants.insert(hash.clone(), MediaGrant { media_id: media_id.clone(), ext, issued: Instant::now() });
    Json(json!({
        "file_size": size,
        "id": media_id,
        "messaging_product": "whatsapp",
        "mime_type": mime,
        "sha256": sha256,
        "url": format!("{LOOKASIDE_ATTACHMENTS}?mid={media_id}&ext={ext}&hash={hash}"),
    }))
    .into_response()
}

pub(crate) async fn delete(State(sim): State<Dialog360Sim>, Path(media_id): Path<String>) -> Response {
    if !is_media_id(&media_id) {
        return D360Error::not_found(&format!("/{media_id}")).into_response();
    }
    let mut state = sim.lock();
    if state.media.remove(&media_id).is_none() {
        return MetaError::unknown_object(404, &media_id, "delete").into_response();
    }
    state.upload_order.retain(|id| id != &media_id);
    state.grants.retain(|_, grant| grant.media_id != media_id);
    Json(json!({ "success": true })).into_response()
}

/// Whole seconds, rounded up so that a sub-second TTL still gives an `ext` in the future.
fn ttl_seconds(ttl: Duration) -> i64 {
    let secs = ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0);
    i64::try_from(secs).unwrap_or(i64::MAX / 2)
}

/// Lowercase hex SHA-256 — Meta's metadata form; D2's example `a1b2c3d4e5f6...` looks hex too
/// (webhooks carry base64, see [`crate::webhook::media_sha256`]).
fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_are_numeric_gets() {
        assert!(is_lookup(&Method::GET, "/100000000000010"));
        assert!(!is_lookup(&Method::DELETE, "/100000000000010"));
        assert!(!is_lookup(&Method::GET, "/messages"));
        assert!(!is_lookup(&Method::GET, "/1/2"));
        assert!(!is_lookup(&Method::GET, "/"));
    }

    // python3: hashlib.sha256(b"abc").hexdigest()
    #[test]
    fn hex_sha256_matches_python() {
        assert_eq!(hex_sha256(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
