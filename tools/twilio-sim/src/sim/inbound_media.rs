//! Inbound media (NOTES 3.3): the Media URL answers 307 to a short-lived storage URL on the media
//! store, which serves the bytes without credentials.

use axum::extract::{Path, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::twilio_error::TwilioError;
use super::TwilioSim;
use crate::{codes, ids};

/// `GET /2010-04-01/Accounts/{AccountSid}/Messages/{MM…}/Media/{ME…}` (Basic checked by the gate
/// while media auth is on) → 307 to `{store}/media-store/{token}`.
pub(crate) async fn redirect(
    State(sim): State<TwilioSim>,
    Path((account_sid, message_sid, media_sid)): Path<(String, String, String)>,
) -> Response {
    let mut state = sim.lock();
    let path = format!("/2010-04-01/Accounts/{account_sid}/Messages/{message_sid}/Media/{media_sid}");
    if account_sid != state.account_sid {
        return if state.media_auth { TwilioError::authenticate() } else { TwilioError::not_found(&path) }
            .into_response();
    }
    if state.media.get(&media_sid).is_none_or(|media| media.message_sid != message_sid) {
        return TwilioError::not_found(&path).into_response();
    }
    let Some(store) = state.store_base_url.clone() else {
        return TwilioError::new(500, codes::INTERNAL, "Internal Server Error").into_response();
    };
    let token = ids::store_token();
    state.store_tokens.insert(token.clone(), media_sid);
    (StatusCode::TEMPORARY_REDIRECT, [(LOCATION, format!("{store}/media-store/{token}"))]).into_response()
}

/// `GET /media-store/{token}` → the bytes with their content type. Like a presigned S3 URL, it
/// refuses a request that also carries `Authorization` (400, S3's "only one auth mechanism"),
/// which is how tests prove the client did not forward Twilio credentials across the redirect.
pub(crate) async fn store(State(sim): State<TwilioSim>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    if headers.contains_key(AUTHORIZATION) {
        return s3_error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string \
             parameter or the Authorization header should be specified",
        );
    }
    let state = sim.lock();
    match state.store_tokens.get(&token).and_then(|media_sid| state.media.get(media_sid)) {
        Some(media) => ([(CONTENT_TYPE, media.content_type.clone())], media.bytes.clone()).into_response(),
        None => s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Request has expired"),
    }
}

fn s3_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    (status, [(CONTENT_TYPE, "application/xml")], body).into_response()
}
