//! `GET /whatsapp_business/attachments/?mid=…&ext=…&hash=…` on 360dialog's own host, with the
//! API key: the bytes behind a media URL (D3 "Download media from a media URL").
//!
//! D3 lists GET; the `docs/waba-messaging/…` revision lists POST. The sim serves GET only, as
//! NOTES §4 advises **(unconfirmed)**. What an expired or tampered URL answers is **unconfirmed**
//! (the OpenAPI page lists only 401 and 500); the sim answers 404 in 360dialog's body.

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

use super::d360_error::D360Error;
use super::Dialog360Sim;
use crate::clock;

pub(crate) async fn download(
    State(sim): State<Dialog360Sim>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else { return invalid() };
    let (Some(mid), Some(ext), Some(hash)) = (query.get("mid"), query.get("ext"), query.get("hash")) else {
        return D360Error::bad_request("mid, ext and hash are required.").into_response();
    };
    let state = sim.lock();
    let granted = state.grants.get(hash).filter(|grant| {
        grant.media_id == *mid
            && grant.ext.to_string() == *ext
            && grant.issued.elapsed() < state.media_url_ttl
            && clock::unix_seconds() <= grant.ext
    });
    match granted.and_then(|grant| state.media.get(&grant.media_id)) {
        Some(media) => ([(CONTENT_TYPE, media.mime.clone())], media.bytes.clone()).into_response(),
        // Unknown, tampered or expired URL: the client must look the media id up again.
        None => invalid(),
    }
}

fn invalid() -> Response {
    D360Error::new(404, "Media URL is invalid or has expired").into_response()
}
