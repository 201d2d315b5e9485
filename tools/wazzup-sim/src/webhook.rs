//! Builders for the JSON bodies Wazzup POSTs to the CRM's `webhooksUri` (NOTES §6; W1
//! `https://wazzup24.com/help/webhooks/`).
//!
//! Each message builder returns a whole body, `{"messages":[item]}`; each item carries
//! `messageId, dateTime, channelId, chatType:"whatsapp", chatId, type, isEcho, contact:{name,
//! avatarUri}, status` and its content (`text`, `contentUri`), in the shape of the samples in
//! `reference/providers/wazzup/`. [`combine`] merges bodies (or bare items) into one webhook, as
//! Wazzup may send messages and statuses together.
//!
//! **Unconfirmed** (no example in the docs): captions of media (sent here in `text`, which W1
//! says "may not be present if the message has content"), and the bodies of `geo` and `vcard`
//! messages (here the coordinates, or the raw vCard, in `text`).

use serde_json::{json, Map, Value};

use crate::reference;

/// The chat a message belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chat {
    /// The Wazzup channel (the business's WhatsApp number), a UUID.
    pub channel_id: String,
    /// The customer's number, digits only (`79011112233`).
    pub chat_id: String,
    /// `contact.name`: the customer's name as Wazzup knows it (the samples show the number).
    pub name: String,
}

/// An incoming text, like `wazzup/inbound_text.json`.
pub fn inbound_text(chat: &Chat, message_id: &str, date_time_iso: &str, text: &str) -> Value {
    let mut item = inbound_item(chat, message_id, date_time_iso, "text");
    item.insert("text".into(), json!(text));
    body("messages", item)
}

/// An incoming file, like `wazzup/inbound_image_sticker.json`. `kind` is `image|audio|video|document`;
/// `content_uri` is a direct link, typically [`crate::WazzupSim::add_media`]'s. A caption goes in
/// `text` (unconfirmed).
pub fn inbound_media(
    chat: &Chat,
    message_id: &str,
    date_time_iso: &str,
    kind: &str,
    content_uri: &str,
    text_caption: Option<&str>,
) -> Value {
    let mut item = inbound_item(chat, message_id, date_time_iso, kind);
    item.insert("contentUri".into(), json!(content_uri));
    if let Some(caption) = text_caption {
        item.insert("text".into(), json!(caption));
    }
    body("messages", item)
}

/// An incoming location, `type:"geo"`. W1 lists the type but shows no body: the coordinates are
/// put in `text` as `"<lat>, <lon>"` (unconfirmed; forward the text as it is).
pub fn inbound_geo(chat: &Chat, message_id: &str, date_time_iso: &str, latitude: f64, longitude: f64) -> Value {
    let mut item = inbound_item(chat, message_id, date_time_iso, "geo");
    item.insert("text".into(), json!(format!("{latitude}, {longitude}")));
    body("messages", item)
}

/// An incoming contact card, `type:"vcard"`, with the raw vCard in `text` (unconfirmed, as for geo).
pub fn inbound_vcard(chat: &Chat, message_id: &str, date_time_iso: &str, vcard: &str) -> Value {
    let mut item = inbound_item(chat, message_id, date_time_iso, "vcard");
    item.insert("text".into(), json!(vcard));
    body("messages", item)
}

/// An incoming message of a type that carries no content, e.g. `unsupported` or `unknown`
/// (W1's type list; W1 shows no example, so no `text` or `contentUri` is sent).
pub fn inbound_typed(chat: &Chat, message_id: &str, date_time_iso: &str, kind: &str) -> Value {
    body("messages", inbound_item(chat, message_id, date_time_iso, kind))
}

/// A text quoting the message `quoted_id` (W1 names `quotedMessage`; its shape is unconfirmed:
/// taken to be the quoted message's own item, read for its `messageId`).
pub fn inbound_reply(chat: &Chat, message_id: &str, date_time_iso: &str, text: &str, quoted_id: &str) -> Value {
    let mut item = inbound_item(chat, message_id, date_time_iso, "text");
    item.insert("text".into(), json!(text));
    item.insert("quotedMessage".into(), json!({ "messageId": quoted_id, "type": "text" }));
    body("messages", item)
}

/// The customer's text `message_id` edited to `text`: it comes again under its own id with
/// `isEdited:true` and `oldInfo.oldText` (W1's field table; no example there).
pub fn inbound_edited(chat: &Chat, message_id: &str, date_time_iso: &str, text: &str, old_text: &str) -> Value {
    let mut item = inbound_item(chat, message_id, date_time_iso, "text");
    item.insert("text".into(), json!(text));
    item.insert("isEdited".into(), json!(true));
    item.insert("oldInfo".into(), json!({ "oldText": old_text }));
    body("messages", item)
}

/// The customer's message `message_id` deleted for everyone: `isDeleted:true` (W1's field table).
pub fn inbound_deleted(chat: &Chat, message_id: &str, date_time_iso: &str) -> Value {
    let mut item = inbound_item(chat, message_id, date_time_iso, "text");
    item.insert("isDeleted".into(), json!(true));
    body("messages", item)
}

/// A text the business sent from its phone, like `wazzup/echo_outgoing_from_phone.json`:
/// `isEcho:true`, `status:"sent"`, `authorName`, `sentFromApp:false`. The bridge mirrors these.
pub fn echo_from_phone(chat: &Chat, message_id: &str, date_time_iso: &str, text: &str, author_name: &str) -> Value {
    let mut item = echo_item(chat, "whatsapp", message_id, date_time_iso, "text");
    item.insert("text".into(), json!(text));
    item.insert("authorName".into(), json!(author_name));
    body("messages", item)
}

/// `{"statuses":[…]}` from `(messageId, status, timestamp, Some((error, description)))`, like
/// `wazzup/statuses_delivered.json`; `status` is `sent|delivered|read|error|edited`, the error
/// object goes with `error` (W1 status table).
pub fn statuses(items: &[(&str, &str, &str, Option<(&str, &str)>)]) -> Value {
    let items = items
        .iter()
        .map(|&(message_id, status, timestamp_iso, error)| status_item(message_id, status, timestamp_iso, error))
        .collect();
    json!({ "statuses": Value::Array(items) })
}

/// One webhook carrying both `messages` and `statuses` (W1: "One webhook can contain messages and
/// statuses types at the same time"), like `wazzup/messages_and_statuses.json`. Each argument may
/// hold whole bodies from the builders above (their items are taken out) or bare items.
pub fn combine(messages: Vec<Value>, statuses: Vec<Value>) -> Value {
    json!({
        "messages": Value::Array(flatten("messages", messages)),
        "statuses": Value::Array(flatten("statuses", statuses)),
    })
}

/// The probe Wazzup POSTs when `PATCH /v3/webhooks` connects a URI (`wazzup/webhook_test_probe.json`).
pub fn test_probe() -> Value {
    json!({ "test": true })
}

/// Loads `providers/wazzup/{name}` from the reference folder (`$BRIDGE_REFERENCE_DIR`, else
/// `<workspace>/../shared/reference`). Panics with the path when it is missing or not JSON.
pub fn sample(name: &str) -> Value {
    let path = reference::wazzup_file(name);
    let raw = std::fs::read(&path).unwrap_or_else(|error| panic!("read {}: {error}", path.display()));
    serde_json::from_slice(&raw).unwrap_or_else(|error| panic!("parse {} as JSON: {error}", path.display()))
}

/// What the sim queues for a message the bridge sent through the API, when API echoes are on:
/// the same `messageId` the 201 answered, `isEcho:true`, `status:"sent"`. Which fields a real
/// echo of an API send carries is unconfirmed (W1 says echoes are sends "not from this API");
/// `authorId` is the `crmUserId` of the send, when given.
pub(crate) fn api_send_echo(
    chat: &Chat,
    chat_type: &str,
    message_id: &str,
    date_time_iso: &str,
    content: EchoContent<'_>,
    crm_user_id: Option<&str>,
) -> Value {
    let (kind, key, value) = match content {
        EchoContent::Text(text) => ("text", "text", text),
        EchoContent::File { kind, content_uri } => (kind, "contentUri", content_uri),
    };
    let mut item = echo_item(chat, chat_type, message_id, date_time_iso, kind);
    item.insert(key.into(), json!(value));
    if let Some(author) = crm_user_id {
        item.insert("authorId".into(), json!(author));
    }
    body("messages", item)
}

/// The content of an API send's echo.
pub(crate) enum EchoContent<'a> {
    Text(&'a str),
    /// `kind`: `image|audio|video|document`.
    File {
        kind: &'a str,
        content_uri: &'a str,
    },
}

fn status_item(message_id: &str, status: &str, timestamp_iso: &str, error: Option<(&str, &str)>) -> Value {
    let mut item = json!({ "messageId": message_id, "timestamp": timestamp_iso, "status": status });
    if let Some((code, description)) = error {
        item["error"] = json!({ "error": code, "description": description });
    }
    item
}

fn inbound_item(chat: &Chat, message_id: &str, date_time_iso: &str, kind: &str) -> Map<String, Value> {
    let mut item = common_item(chat, "whatsapp", message_id, date_time_iso, kind);
    item.insert("isEcho".into(), json!(false));
    item.insert("status".into(), json!("inbound"));
    item
}

fn echo_item(chat: &Chat, chat_type: &str, message_id: &str, date_time_iso: &str, kind: &str) -> Map<String, Value> {
    let mut item = common_item(chat, chat_type, message_id, date_time_iso, kind);
    item.insert("isEcho".into(), json!(true));
    item.insert("status".into(), json!("sent"));
    item.insert("sentFromApp".into(), json!(false));
    item
}

fn common_item(chat: &Chat, chat_type: &str, message_id: &str, date_time_iso: &str, kind: &str) -> Map<String, Value> {
    let mut item = Map::new();
    item.insert("messageId".into(), json!(message_id));
    item.insert("dateTime".into(), json!(date_time_iso));
    item.insert("channelId".into(), json!(chat.channel_id));
    item.insert("chatType".into(), json!(chat_type));
    item.insert("chatId".into(), json!(chat.chat_id));
    item.insert("type".into(), json!(kind));
    item.insert("contact".into(), json!({ "name": chat.name, "avatarUri": avatar_uri(&chat.chat_id) }));
    item
}

/// A fake avatar link shaped like the samples' (`https://store.wazzup24.com/<40 characters>`).
fn avatar_uri(chat_id: &str) -> String {
    format!("https://store.wazzup24.com/{chat_id:0>40}")
}

fn body(key: &str, item: Map<String, Value>) -> Value {
    json!({ key: [Value::Object(item)] })
}

/// Items of `key` out of whole bodies; anything else is taken as an item itself.
fn flatten(key: &str, values: Vec<Value>) -> Vec<Value> {
    let mut items = Vec::new();
    for value in values {
        match value {
            Value::Object(mut map) if map.get(key).is_some_and(Value::is_array) => {
                if let Some(Value::Array(inner)) = map.remove(key) {
                    items.extend(inner);
                }
            }
            other => items.push(other),
        }
    }
    items
}

#[cfg(test)]
mod tests;
