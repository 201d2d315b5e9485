//! `PATCH /v3/webhooks` and `GET /v3/webhooks` (W1 "How to enable webhooks").
//!
//! PATCH takes `{webhooksUri, subscriptions:{messagesAndStatuses, contactsAndDealsCreation,
//! channelsUpdates, templateStatus}}`. A URI over 200 characters or not absolute `http(s)` →
//! 400 `uriNotValid`. Otherwise Wazzup POSTs `{"test": true}` to it and needs 200, else 400
//! `testPostNotPassed`. Success answers `{"ok": true}` (the docs write `{ ok }`, not JSON).
//!
//! **Unconfirmed** here: `crmKey` in the PATCH body (in the real API a `crmKey` is registered
//! through WAuth's `POST /v3/connect`, `https://wazzup24.com/help/api-en/wauth/`; the sim takes it
//! from the PATCH as a shortcut and keeps the last one given), whether the probe carries
//! `Authorization` (the sim sends it like any webhook when a key is known), the shape of
//! `testPostNotPassed`'s `data` (the docs: `data: { '${код ответа}' }`; here `{"statusCode": n}`
//! or `{"error": "<reason>"}`), and the GET answer before any PATCH (here `webhooksUri: null`).

use std::time::Duration;

use axum::extract::Request;
use axum::http::header::AUTHORIZATION;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::send_validation::is_http_url;
use super::wazzup_error::WazzupError;
use super::{json_body, WazzupSim};
use crate::webhook;

/// W1: "No more than 200 characters".
const MAX_URI_CHARS: usize = 200;
/// W1: webhook timeout 30 s.
const PROBE_TIMEOUT: Duration = Duration::from_secs(30);

const SUBSCRIPTIONS: [&str; 4] =
    ["messagesAndStatuses", "contactsAndDealsCreation", "channelsUpdates", "templateStatus"];

#[derive(Debug, Clone)]
pub(crate) struct Setting {
    pub uri: String,
    /// In the order of [`SUBSCRIPTIONS`].
    pub subscriptions: [bool; 4],
}

pub(crate) async fn patch(sim: &WazzupSim, request: Request) -> Result<Response, WazzupError> {
    let body = json_body::read_object(request).await.ok_or_else(|| invalid(&[]))?;
    let uri = match body.get("webhooksUri") {
        Some(Value::String(uri)) if uri.encode_utf16().count() <= MAX_URI_CHARS && is_http_url(uri) => uri.clone(),
        _ => return Err(WazzupError::common(400, "uriNotValid", "Provided URI is not valid URI", None)),
    };
    let subscriptions = subscriptions(body.get("subscriptions"))?;
    let crm_key = match body.get("crmKey") {
        None | Some(Value::Null) => None,
        Some(Value::String(key)) => Some(key.clone()),
        Some(_) => return Err(invalid(&["crmKey"])),
    };
    let crm_key = crm_key.or_else(|| sim.lock().crm_key.clone());
    probe(&sim.http, &uri, crm_key.as_deref()).await?;
    let mut state = sim.lock();
    state.webhooks = Some(Setting { uri, subscriptions });
    state.crm_key = crm_key;
    Ok(Json(json!({ "ok": true })).into_response())
}

pub(crate) fn get(sim: &WazzupSim) -> Response {
    let state = sim.lock();
    let (uri, flags) = match &state.webhooks {
        Some(setting) => (Value::String(setting.uri.clone()), setting.subscriptions),
        None => (Value::Null, [false; 4]),
    };
    let subscriptions: Map<String, Value> =
        SUBSCRIPTIONS.iter().zip(flags).map(|(name, on)| ((*name).to_owned(), Value::Bool(on))).collect();
    Json(json!({ "webhooksUri": uri, "subscriptions": subscriptions })).into_response()
}

/// Booleans; an absent flag is off. One revision of W1 spells `tepmplateStatus`: accepted too.
fn subscriptions(value: Option<&Value>) -> Result<[bool; 4], WazzupError> {
    let map = match value {
        None | Some(Value::Null) => return Ok([false; 4]),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(invalid(&["subscriptions"])),
    };
    let mut flags = [false; 4];
    for (flag, name) in flags.iter_mut().zip(SUBSCRIPTIONS) {
        let given = map.get(name).or_else(|| (name == "templateStatus").then(|| map.get("tepmplateStatus")).flatten());
        *flag = match given {
            None | Some(Value::Null) => false,
            Some(Value::Bool(on)) => *on,
            Some(_) => return Err(invalid(&[name])),
        };
    }
    Ok(flags)
}

/// POSTs `{"test": true}`; anything but 200 fails the PATCH.
async fn probe(client: &reqwest::Client, uri: &str, crm_key: Option<&str>) -> Result<(), WazzupError> {
    let mut post = client.post(uri).timeout(PROBE_TIMEOUT).json(&webhook::test_probe());
    if let Some(key) = crm_key {
        post = post.header(AUTHORIZATION, format!("Bearer {key}"));
    }
    let data = match post.send().await {
        Ok(response) if response.status().as_u16() == 200 => return Ok(()),
        Ok(response) => json!({ "statusCode": response.status().as_u16() }),
        Err(error) => json!({ "error": error.without_url().to_string() }),
    };
    Err(WazzupError::common(400, "testPostNotPassed", "URI does not return 200 OK on test request", Some(data)))
}

/// A malformed field (the docs name no code; `VALIDATION_ERROR` is W2's generic one).
fn invalid(fields: &[&str]) -> WazzupError {
    WazzupError::common(400, "VALIDATION_ERROR", "Validation error", Some(json!({ "fields": fields })))
}
