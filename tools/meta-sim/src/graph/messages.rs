//! `POST /{ver}/{phone_number_id}/messages`.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use serde_json::{json, Value};

use super::gate::RecordedBody;
use super::meta_error::MetaError;
use super::send_validation::validate_send;
use super::{ids, is_version, GraphSim, SentMessage};

pub(crate) async fn send(
    State(sim): State<GraphSim>,
    Path((version, phone_number_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if !is_version(&version) {
        return MetaError::unknown_path(&format!("/{version}/{phone_number_id}/messages")).into_response();
    }
    let parsed: Value = match serde_json::from_slice(&body) {
        Ok(parsed) => parsed,
        Err(error) => {
            return MetaError::invalid_parameter(format!("The request body is not valid JSON: {error}."))
                .into_response()
        }
    };
    let mut response = answer(&sim, &phone_number_id, &parsed);
    response.extensions_mut().insert(RecordedBody(parsed));
    response
}

fn answer(sim: &GraphSim, phone_number_id: &str, body: &Value) -> Response {
    if sim.lock().phone_number_id != phone_number_id {
        return MetaError::unknown_object(400, phone_number_id, "post").into_response();
    }
    let valid = match validate_send(body) {
        Ok(valid) => valid,
        Err(error) => return error.into_response(),
    };
    let mut state = sim.lock();
    if let Some(&(code, http)) = state.recipient_failures.get(&valid.wa_id) {
        return MetaError::whatsapp(http, code).into_response();
    }
    let wamid = ids::wamid();
    state.sent.push(SentMessage {
        wamid: wamid.clone(),
        phone_number_id: phone_number_id.to_owned(),
        to: valid.wa_id.clone(),
        kind: valid.kind,
        body: body.clone(),
    });
    Json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{ "input": valid.input, "wa_id": valid.wa_id }],
        "messages": [{ "id": wamid }],
    }))
    .into_response()
}
