//! `POST /messages`: Meta's send body and answers (360dialog passes both through, NOTES §4).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use serde_json::{json, Value};

use super::meta_error::MetaError;
use super::send_validation::validate_send;
use super::{ids, outbox, Dialog360Sim, SentMessage};

pub(crate) async fn send(State(sim): State<Dialog360Sim>, body: Bytes) -> Response {
    let parsed: Value = match serde_json::from_slice(&body) {
        Ok(parsed) => parsed,
        Err(error) => {
            return MetaError::invalid_parameter(format!("The request body is not valid JSON: {error}."))
                .into_response()
        }
    };
    let valid = match validate_send(&parsed) {
        Ok(valid) => valid,
        Err(error) => return error.into_response(),
    };
    let wamid = ids::wamid();
    {
        let mut state = sim.lock();
        if let Some(&(code, http)) = state.recipient_failures.get(&valid.wa_id) {
            return MetaError::whatsapp(http, code).into_response();
        }
        state.sent.push(SentMessage { wamid: wamid.clone(), to: valid.wa_id.clone(), kind: valid.kind, body: parsed });
        outbox::after_send(&mut state, &valid.wa_id, &wamid);
    }
    sim.outbox_ready.notify_one();
    Json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{ "input": valid.input, "wa_id": valid.wa_id }],
        "messages": [{ "id": wamid }],
    }))
    .into_response()
}
