//! `POST /waInstance{id}/sendMessage/{token}` (`https://green-api.com/en/docs/api/sending/SendMessage/`).

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::gate::Call;
use super::green_error::GreenError;
use super::validate::{self, Fields};
use super::{ids, json_body, outbox, GreenApiSim, SentMessage};
use crate::webhook;

/// Fields the method documents (`typingTime`, `typePreview`, `customPreview` are newer extras,
/// accepted but not simulated).
const FIELDS: &[&str] =
    &["chatId", "message", "quotedMessageId", "linkPreview", "typingTime", "typePreview", "customPreview"];

struct Text<'a> {
    chat_id: &'a str,
    message: &'a str,
    quoted: Option<&'a str>,
}

fn validate(body: &Fields) -> Result<Text<'_>, String> {
    let chat_id = validate::chat_id(body)?;
    // Whitespace-only text is accepted (only "" is empty for Joi).
    let message = validate::required_str(body, "message")?;
    validate::max_text("message", message)?;
    let quoted = validate::quoted_message_id(body)?;
    validate::optional_bool(body, "linkPreview")?;
    validate::optional_number(body, "typingTime")?;
    validate::only_known(body.keys(), FIELDS)?;
    Ok(Text { chat_id, message, quoted })
}

pub(crate) async fn handle(sim: &GreenApiSim, call: &Call, request: Request) -> Result<Response, GreenError> {
    let body = json_body::read_object(call, request).await?;
    let text = validate(&body).map_err(|details| GreenError::validation(&call.path, details))?;
    let id_message = ids::id_message();
    {
        let mut state = sim.lock();
        outbox::check_quota(&state, call)?;
        state.sent.push(SentMessage {
            id_message: id_message.clone(),
            chat_id: text.chat_id.to_owned(),
            message: Some(text.message.to_owned()),
            file: None,
            quoted: text.quoted.map(str::to_owned),
        });
        // A quoted send is echoed as plain text (the quote's echo shape is unconfirmed).
        outbox::after_send(&mut state, text.chat_id, &id_message, |inst, chat, now| {
            webhook::outgoing_api_echo(inst, chat, &id_message, now, text.message)
        });
    }
    sim.outbox_ready.notify_one();
    Ok(Json(json!({ "idMessage": id_message })).into_response())
}
