//! The checks of `POST /v3/message` that need no download, in the order the sim applies them:
//! parameter formats (`INVALID_MESSAGE_DATA` with `data.fields`), text xor content, blank text,
//! the channel (`CHANNEL_NOT_FOUND`, its state), `WRONG_TRANSPORT`, text length (W2). The live
//! API's order is unconfirmed.

use serde_json::{json, Map, Value};

use super::wazzup_error::WazzupError;
use super::Channel;

/// W2: "for WhatsApp up to 10 000 characters".
const MAX_TEXT: usize = 10_000;
/// WABA: one revision of W2 says 4096, another 1024 for a regular message (NOTES §6); the code is
/// `MESSAGES_TOO_LONG_WABA`. The sim takes 4096.
const MAX_WABA_TEXT: usize = 4096;

/// `chatType` values W2 lists (plus `wapi`, which a WABA chat might be called); anything else is
/// a bad value, not a wrong transport.
const CHAT_TYPES: &[&str] = &[
    "whatsapp",
    "wapi",
    "whatsgroup",
    "viber",
    "instagram",
    "telegram",
    "telegroup",
    "vk",
    "avito",
    "max",
    "maxgroup",
];

/// A send whose parameters have the right form.
pub(crate) struct Send<'a> {
    pub channel_id: &'a str,
    pub chat_type: &'a str,
    pub chat_id: &'a str,
    pub text: Option<&'a str>,
    pub content_uri: Option<&'a str>,
    pub ref_message_id: Option<&'a str>,
    pub crm_user_id: Option<&'a str>,
    pub crm_message_id: Option<&'a str>,
}

/// Formats, then text xor `contentUri`, then blank text.
pub(crate) fn parameters<'a>(body: &'a Map<String, Value>, channels: &[Channel]) -> Result<Send<'a>, WazzupError> {
    let mut bad = Vec::new();
    let mut field = |name: &'static str, ok: bool| {
        if !ok {
            bad.push(name);
        }
    };
    let channel_id = body.get("channelId").and_then(Value::as_str);
    // W2 case 1: "channelId is not in UUID format"; a configured id passes whatever its form.
    field(
        "channelId",
        channel_id.is_some_and(|id| uuid::Uuid::parse_str(id).is_ok() || channels.iter().any(|c| c.channel_id == id)),
    );
    let chat_type = body.get("chatType").and_then(Value::as_str);
    field("chatType", chat_type.is_some_and(|t| CHAT_TYPES.contains(&t)));
    let chat_id = body.get("chatId").and_then(Value::as_str);
    // WhatsApp and Viber: "only numbers, without spaces and special characters".
    let digits_only = matches!(chat_type, Some("whatsapp" | "wapi" | "viber"));
    field(
        "chatId",
        chat_id.is_some_and(|id| !id.is_empty() && (!digits_only || id.bytes().all(|b| b.is_ascii_digit()))),
    );
    let mut optional = |name: &'static str| match body.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::String(value)) => Some(value.as_str()),
        Some(_) => {
            field(name, false);
            None
        }
    };
    let text = optional("text");
    let content_uri = optional("contentUri");
    let ref_message_id = optional("refMessageId");
    let crm_user_id = optional("crmUserId");
    let crm_message_id = optional("crmMessageId");
    if let Some(uri) = content_uri {
        field("contentUri", is_http_url(uri));
    }
    let (Some(channel_id), Some(chat_type), Some(chat_id), true) = (channel_id, chat_type, chat_id, bad.is_empty())
    else {
        return Err(WazzupError::invalid_message_data(&bad));
    };
    if text.is_some() == content_uri.is_some() {
        // W2: "Both text and contentUri cannot be sent at the same time", and one is required.
        // W2's code table also has MESSAGE_ONLY_TEXT_OR_CONTENT / MESSAGE_NOTHING_TO_SEND for this.
        return Err(WazzupError::invalid_message_data(&["text", "contentUri"]));
    }
    if text.is_some_and(|t| t.trim().is_empty()) {
        return Err(WazzupError::send("MESSAGES_TEXT_CAN_NOT_BE_BLANK", "The text message cannot be empty", None));
    }
    Ok(Send { channel_id, chat_type, chat_id, text, content_uri, ref_message_id, crm_user_id, crm_message_id })
}

/// The channel the send goes through, if it exists, is usable and carries this `chatType`.
pub(crate) fn channel<'c>(send: &Send<'_>, channels: &'c [Channel]) -> Result<&'c Channel, WazzupError> {
    let Some(channel) = channels.iter().find(|c| c.channel_id == send.channel_id) else {
        return Err(WazzupError::send(
            "CHANNEL_NOT_FOUND",
            "The channel through which the message is sent is not found in the integration",
            Some(json!({ "channelId": send.channel_id })),
        ));
    };
    if let Some((code, description)) = unusable(&channel.state) {
        return Err(WazzupError::send(code, description, Some(json!({ "channelId": channel.channel_id }))));
    }
    if !chat_types_of(&channel.transport).contains(&send.chat_type) {
        return Err(WazzupError::send(
            "WRONG_TRANSPORT",
            format!("You can't send message to {} chat from {} transport", send.chat_type, channel.transport),
            Some(
                json!({ "channelId": channel.channel_id, "transport": channel.transport, "chatType": send.chat_type }),
            ),
        ));
    }
    Ok(channel)
}

/// Length as JavaScript counts it (UTF-16 units; an emoji is 2). That Wazzup counts this way,
/// rather than by code points, is unconfirmed; it is the stricter reading.
pub(crate) fn text_length(text: &str, channel: &Channel) -> Result<(), WazzupError> {
    let length = text.encode_utf16().count();
    if channel.transport == "wapi" && length > MAX_WABA_TEXT {
        return Err(WazzupError::send("MESSAGES_TOO_LONG_WABA", "The WABA message text is too long", None));
    }
    if length > MAX_TEXT {
        return Err(WazzupError::send(
            "MESSAGE_TEXT_TOO_LONG",
            "The length of the text message exceeds 10 000 characters",
            None,
        ));
    }
    Ok(())
}

/// The send error for a channel `state` other than `active`, from W2's code table and the states
/// of "Working with channels": off → `CHANNEL_BLOCKED`, unpaid → `CHANNEL_NO_MONEY`, WABA
/// rejected → `CHANNEL_WAPI_REJECTED`, anything else (phone offline, QR, starting…) →
/// `MESSAGE_CHANNEL_UNAVAILABLE`.
fn unusable(state: &str) -> Option<(&'static str, &'static str)> {
    match state {
        "active" => None,
        "disabled" => Some(("CHANNEL_BLOCKED", "The channel through which the message is sent is off")),
        "notEnoughMoney" => Some(("CHANNEL_NO_MONEY", "The channel is not paid and has the status of \"Not Paid\"")),
        "rejected" => Some(("CHANNEL_WAPI_REJECTED", "The WABA channel is blocked")),
        _ => Some(("MESSAGE_CHANNEL_UNAVAILABLE", "The channel from which the message is sent is not available")),
    }
}

/// The chat types a channel of `transport` sends to. WhatsApp and WABA channels take `whatsapp`
/// and `wapi` alike (W2 lists no `wapi` chat type; accepting it is the lenient reading); WhatsApp
/// groups (`whatsgroup`) are not simulated.
fn chat_types_of(transport: &str) -> &[&str] {
    match transport {
        "whatsapp" | "wapi" => &["whatsapp", "wapi"],
        "tgapi" => &["telegram", "telegroup"],
        "max" => &["max", "maxgroup"],
        "instagram" => &["instagram"],
        "telegram" => &["telegram"],
        "vk" => &["vk"],
        "avito" => &["avito"],
        _ => &[],
    }
}

/// An absolute `http(s)` URL with a host.
pub(crate) fn is_http_url(value: &str) -> bool {
    reqwest::Url::parse(value).is_ok_and(|url| matches!(url.scheme(), "http" | "https") && url.has_host())
}
