//! `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` (Basic auth already checked).

use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use serde_json::{json, Value};

use super::callbacks::{self, Outbound};
use super::send_validation::{validate, SendRequest};
use super::twilio_error::TwilioError;
use super::{media_fetch, rfc2822, SentMessage, TwilioSim};
use crate::webhook::API_VERSION;
use crate::{codes, ids, webhook};

pub(crate) async fn create(
    State(sim): State<TwilioSim>,
    Path(account_sid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let sender = {
        let state = sim.lock();
        // Valid credentials for another account's path: Twilio's 20003 ("using subaccount
        // credentials to access master account").
        if account_sid != state.account_sid {
            return TwilioError::authenticate().into_response();
        }
        state.whatsapp_from.clone()
    };
    // Twilio reads only form bodies; anything else reaches validation as no parameters at all
    // (so a JSON body fails like a missing `To`, 21604: unconfirmed but what form-only parsing gives).
    let params = if is_form(&headers) { webhook::parse(&String::from_utf8_lossy(&body)) } else { Vec::new() };
    let send = match validate(&params, &sender) {
        Ok(send) => send,
        Err(error) => return error.into_response(),
    };
    if let Some(error) = sim.lock().sync_failures.get(&send.to_e164).cloned() {
        return error.into_response();
    }
    let (media, media_failure) = match send.media_url.as_deref() {
        Some(url) => {
            let (media, failure) = media_fetch::fetch(sim.client.as_ref(), url).await;
            (Some(media), failure)
        }
        None => (None, None),
    };
    accept(&sim, send, media, media_failure)
}

fn accept(
    sim: &TwilioSim,
    send: SendRequest,
    media: Option<super::FetchedMedia>,
    media_failure: Option<i64>,
) -> Response {
    let sid = ids::message_sid(media.is_some());
    let (resource, callbacks) = {
        let mut state = sim.lock();
        // Templates are what WhatsApp allows outside the 24-hour window, so 63016 spares them.
        let recipient_failure = state
            .async_failures
            .get(&send.to_e164)
            .copied()
            .filter(|&code| !(code == codes::OUTSIDE_WINDOW && send.content_sid.is_some()));
        let async_error_code = media_failure.or(recipient_failure);
        let resource = resource(&state.account_sid, &sid, &send, media.is_some());
        let callbacks = send.status_callback.as_deref().map_or_else(Vec::new, |url| {
            let planned = Outbound {
                account_sid: &state.account_sid,
                auth_token: &state.auth_token,
                message_sid: &sid,
                from: &send.from,
                to: &send.to,
                url,
            };
            callbacks::plan(&planned, async_error_code)
        });
        state.sent.push(SentMessage {
            sid: sid.clone(),
            from: send.from,
            to: send.to,
            body: send.body,
            media,
            status_callback: send.status_callback,
            content_sid: send.content_sid,
            content_variables: send.content_variables,
            async_error_code,
        });
        (resource, callbacks)
    };
    sim.dispatch_callbacks(callbacks);
    (StatusCode::CREATED, Json(resource)).into_response()
}

/// The Message resource as Twilio answers a create: `queued`, no price or error yet. Twilio
/// serialises `num_media` and `num_segments` as strings.
fn resource(account_sid: &str, sid: &str, send: &SendRequest, with_media: bool) -> Value {
    let now = rfc2822::now();
    let uri = format!("/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}");
    json!({
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "body": send.body.as_deref().unwrap_or_default(),
        "date_created": now,
        "date_sent": null,
        "date_updated": now,
        "direction": "outbound-api",
        "error_code": null,
        "error_message": null,
        "from": send.from,
        "messaging_service_sid": null,
        "num_media": if with_media { "1" } else { "0" },
        "num_segments": "1",
        "price": null,
        "price_unit": "USD",
        "sid": sid,
        "status": "queued",
        "subresource_uris": { "media": format!("{uri}/Media.json") },
        "to": send.to,
        "uri": format!("{uri}.json"),
    })
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
}
