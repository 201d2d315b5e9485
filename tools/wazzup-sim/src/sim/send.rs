//! `POST /v3/message` (W2 `https://wazzup24.com/help/api-en/sending-messages/`) → 201
//! `{"messageId","chatId"}`, like `wazzup/send_success_201.json`.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::content::{self, Fetched};
use super::crm_ids::Reservation;
use super::wazzup_error::WazzupError;
use super::{ids, json_body, outbox, send_validation, SentMessage, WazzupSim};

pub(crate) async fn handle(sim: &WazzupSim, request: Request) -> Result<Response, WazzupError> {
    // A body that is not a JSON object names no field.
    let body = json_body::read_object(request).await.ok_or_else(|| WazzupError::invalid_message_data(&[]))?;
    let channels = sim.lock().channels.clone();
    let send = send_validation::parameters(&body, &channels)?;
    let channel = send_validation::channel(&send, &channels)?;
    if let Some(text) = send.text {
        send_validation::text_length(text, channel)?;
    }
    let Some(reservation) = Reservation::take(sim, send.crm_message_id) else {
        return Err(WazzupError::send(
            "REPEATED_CRM_MESSAGE_ID",
            "You have already sent message with same crmMessageId",
            Some(json!({ "crmMessageId": send.crm_message_id })),
        ));
    };
    let fetched = match send.content_uri {
        Some(uri) => Some(content::fetch(&sim.http, uri).await?),
        None => None,
    };
    reservation.commit();
    let message_id = ids::message_id();
    {
        let mut state = sim.lock();
        let echo = match &fetched {
            Some(file) => {
                // The echo links to the sim's copy, as Wazzup's would to its store.
                let id = state.store_media(file.bytes.clone(), file.content_type.as_deref());
                let uri = state.media_url(&id, file.file_name.as_deref());
                outbox::Echo::File { kind: content::message_type(file.content_type.as_deref()), content_uri: uri }
            }
            None => outbox::Echo::Text(send.text.unwrap_or_default().to_owned()),
        };
        state.sent.push(SentMessage {
            message_id: message_id.clone(),
            channel_id: send.channel_id.to_owned(),
            chat_id: send.chat_id.to_owned(),
            text: send.text.map(str::to_owned),
            content: fetched.map(|Fetched { bytes, content_type, file_name }| (bytes, content_type, file_name)),
            crm_message_id: send.crm_message_id.map(str::to_owned),
            ref_message_id: send.ref_message_id.map(str::to_owned),
        });
        let sent = outbox::Sent {
            channel_id: send.channel_id,
            chat_type: send.chat_type,
            chat_id: send.chat_id,
            message_id: &message_id,
            crm_user_id: send.crm_user_id,
        };
        outbox::after_send(&mut state, &sent, echo);
    }
    sim.outbox_ready.notify_one();
    Ok((StatusCode::CREATED, Json(json!({ "messageId": message_id, "chatId": send.chat_id }))).into_response())
}
