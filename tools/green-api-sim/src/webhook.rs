//! Builders for the JSON bodies Green-API POSTs to the bridge's `webhookUrl` (NOTES §5.1).
//!
//! Every body is one event: `typeWebhook`, `instanceData`, `timestamp` (Unix seconds) and, for
//! messages, `idMessage`, `senderData` and `messageData`. Shapes follow the real samples in
//! `reference/providers/green-api/` and the docs pages named on each builder
//! (`https://green-api.com/en/docs/api/receiving/notifications-format/…`).
//!
//! Senders are always chats of one person (`…@c.us`) unless a test retargets a group message
//! with [`set_group_sender`]: a group's `senderData.sender` is the member who wrote, which
//! [`Chat`] does not carry.

use serde_json::{json, Value};

use crate::clock;
use crate::reference;

/// The Green-API instance (the business's WhatsApp account) a webhook comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub id_instance: i64,
    /// The business account, e.g. `79990001122@c.us`.
    pub wid: String,
}

/// The chat a message belongs to: the customer (`79001234567@c.us`) or a group (`…@g.us`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chat {
    pub chat_id: String,
    /// The customer's WhatsApp name; used as `chatName`, `senderName` and `senderContactName`.
    pub sender_name: String,
}

/// `textMessage`, like `green-api/inbound_text.json`.
pub fn incoming_text(inst: &Instance, chat: &Chat, id_message: &str, timestamp: i64, text: &str) -> Value {
    incoming(inst, chat, id_message, timestamp, text_data(text))
}

/// `extendedTextMessage` (a text with a link preview, or any text some clients send this way).
/// Fields per `…/incoming-message/ExtendedTextMessage`; preview fields are left empty.
pub fn incoming_extended_text(inst: &Instance, chat: &Chat, id_message: &str, timestamp: i64, text: &str) -> Value {
    let data = json!({
        "typeMessage": "extendedTextMessage",
        "extendedTextMessageData": {
            "text": text,
            "description": "",
            "title": "",
            "jpegThumbnail": "",
            "forwardingScore": 0,
            "isForwarded": false,
        },
    });
    incoming(inst, chat, id_message, timestamp, data)
}

/// A reply quoting one of the business's own messages (`quoted_id` is the `idMessage` the bridge
/// got from a send), like `green-api/inbound_quoted_text_forwarded.json` but not forwarded.
///
/// The quoted message is taken to be a text whose body the builder does not know, so
/// `quotedMessage.textMessage` is empty; the bridge must key on `stanzaId`.
pub fn incoming_quoted(
    inst: &Instance,
    chat: &Chat,
    id_message: &str,
    timestamp: i64,
    text: &str,
    quoted_id: &str,
) -> Value {
    let data = json!({
        "typeMessage": "quotedMessage",
        "extendedTextMessageData": {
            "text": text,
            "stanzaId": quoted_id,
            "participant": inst.wid,
            "forwardingScore": 0,
            "isForwarded": false,
        },
        "quotedMessage": {
            "stanzaId": quoted_id,
            "participant": inst.wid,
            "typeMessage": "textMessage",
            "textMessage": "",
        },
    });
    incoming(inst, chat, id_message, timestamp, data)
}

/// A file (`type_message`: `imageMessage|videoMessage|audioMessage|documentMessage`), like
/// `green-api/inbound_document_audio_mime.json`. `download_url` is a direct link, typically
/// [`crate::GreenApiSim::add_media`]'s; `caption` is sent as `""` when absent, as Green-API does.
pub fn incoming_file(
    inst: &Instance,
    chat: &Chat,
    id_message: &str,
    timestamp: i64,
    type_message: &str,
    download_url: &str,
    mime_type: &str,
    file_name: &str,
    caption: Option<&str>,
) -> Value {
    let data = file_data(type_message, download_url, mime_type, file_name, caption);
    incoming(inst, chat, id_message, timestamp, data)
}

/// `locationMessage` with `locationMessageData.{nameLocation, address, jpegThumbnail, latitude,
/// longitude, …}` (`…/incoming-message/LocationMessage`).
pub fn incoming_location(
    inst: &Instance,
    chat: &Chat,
    id_message: &str,
    timestamp: i64,
    latitude: f64,
    longitude: f64,
    name: &str,
    address: &str,
) -> Value {
    let data = json!({
        "typeMessage": "locationMessage",
        "locationMessageData": {
            "nameLocation": name,
            "address": address,
            "jpegThumbnail": "",
            "latitude": latitude,
            "longitude": longitude,
            "forwardingScore": 0,
            "isForwarded": false,
        },
    });
    incoming(inst, chat, id_message, timestamp, data)
}

/// `contactMessage` with `contactMessageData.{displayName, vcard}` (`…/incoming-message/ContactMessage`).
/// The forwarding fields are added like on the other message types (unconfirmed for contacts).
pub fn incoming_contact(
    inst: &Instance,
    chat: &Chat,
    id_message: &str,
    timestamp: i64,
    display_name: &str,
    vcard: &str,
) -> Value {
    let data = json!({
        "typeMessage": "contactMessage",
        "contactMessageData": {
            "displayName": display_name,
            "vcard": vcard,
            "forwardingScore": 0,
            "isForwarded": false,
        },
    });
    incoming(inst, chat, id_message, timestamp, data)
}

/// `reactionMessage`: the emoji is in `extendedTextMessageData.text` and the message reacted to
/// in `quotedMessage.stanzaId` (`…/incoming-message/ReactionMessage`). `participant` names the
/// business, the usual author of the message a customer reacts to. An emptied reaction (removal)
/// is `emoji = ""` (unconfirmed).
pub fn incoming_reaction(
    inst: &Instance,
    chat: &Chat,
    id_message: &str,
    timestamp: i64,
    emoji: &str,
    to_id: &str,
) -> Value {
    let data = json!({
        "typeMessage": "reactionMessage",
        "extendedTextMessageData": { "text": emoji },
        "quotedMessage": { "stanzaId": to_id, "participant": inst.wid },
    });
    incoming(inst, chat, id_message, timestamp, data)
}

/// `buttonsResponseMessage`: a tap on a simple button of the business's message `stanza_id`
/// (`…/selected-buttons/ButtonsResponseMessage`).
pub fn incoming_buttons_response(
    inst: &Instance,
    chat: &Chat,
    id_message: &str,
    timestamp: i64,
    stanza_id: &str,
    button_id: &str,
    button_text: &str,
) -> Value {
    let data = json!({
        "typeMessage": "buttonsResponseMessage",
        "buttonsResponseMessage": {
            "stanzaId": stanza_id,
            "selectedButtonId": button_id,
            "selectedButtonText": button_text,
        },
    });
    incoming(inst, chat, id_message, timestamp, data)
}

/// `templateButtonsReplyMessage`: a tap on a template's button; the object is
/// `templateButtonReplyMessage.{stanzaId, selectedIndex, selectedId, selectedDisplayText}`
/// (`…/selected-buttons/TemplateButtonsReplyMessage`).
#[allow(clippy::too_many_arguments)] // mirrors the fields of Green-API's object one to one
pub fn incoming_template_button_reply(
    inst: &Instance,
    chat: &Chat,
    id_message: &str,
    timestamp: i64,
    stanza_id: &str,
    index: u32,
    selected_id: &str,
    text: &str,
) -> Value {
    let data = json!({
        "typeMessage": "templateButtonsReplyMessage",
        "templateButtonReplyMessage": {
            "stanzaId": stanza_id,
            "selectedIndex": index,
            "selectedId": selected_id,
            "selectedDisplayText": text,
        },
    });
    incoming(inst, chat, id_message, timestamp, data)
}

/// `listResponseMessage`: a row chosen in a list, `listResponseMessage.{stanzaId, title,
/// listType:1, singleSelectReply}` (`…/selected-buttons/ListResponseMessage`). A row description
/// is not in the docs: given, it goes in `description` (unconfirmed).
#[allow(clippy::too_many_arguments)] // mirrors the fields of Green-API's object one to one
pub fn incoming_list_response(
    inst: &Instance,
    chat: &Chat,
    id_message: &str,
    timestamp: i64,
    stanza_id: &str,
    row_id: &str,
    title: &str,
    description: Option<&str>,
) -> Value {
    let mut reply = json!({ "stanzaId": stanza_id, "title": title, "listType": 1, "singleSelectReply": row_id });
    if let Some(description) = description {
        reply["description"] = json!(description);
    }
    incoming(
        inst,
        chat,
        id_message,
        timestamp,
        json!({ "typeMessage": "listResponseMessage", "listResponseMessage": reply }),
    )
}

/// `contactsArrayMessage` with `(displayName, vcard)` cards, as the docs' example nests them:
/// `messageData.messageData.{contacts, forwardingScore, isForwarded}`
/// (`…/incoming-message/ContactsArrayMessage`; the field table puts `contacts` one level up).
pub fn incoming_contacts_array(
    inst: &Instance,
    chat: &Chat,
    id_message: &str,
    timestamp: i64,
    cards: &[(&str, &str)],
) -> Value {
    let contacts: Vec<Value> =
        cards.iter().map(|(name, vcard)| json!({ "displayName": name, "vcard": vcard })).collect();
    let data = json!({
        "typeMessage": "contactsArrayMessage",
        "messageData": { "contacts": contacts, "forwardingScore": 0, "isForwarded": false },
    });
    incoming(inst, chat, id_message, timestamp, data)
}

/// `pollMessage`: `pollMessageData.{name, options[].optionName, multipleAnswers}`
/// (`…/incoming-message/PollMessage`).
pub fn incoming_poll(
    inst: &Instance,
    chat: &Chat,
    id_message: &str,
    timestamp: i64,
    name: &str,
    options: &[&str],
    multiple: bool,
) -> Value {
    let options: Vec<Value> = options.iter().map(|o| json!({ "optionName": o })).collect();
    let data = json!({
        "typeMessage": "pollMessage",
        "pollMessageData": { "name": name, "options": options, "multipleAnswers": multiple },
    });
    incoming(inst, chat, id_message, timestamp, data)
}

/// `pollUpdateMessage`: the poll `stanza_id`'s state after a vote, `pollMessageData.{stanzaId,
/// name, votes[].{optionName, optionVoters[]}, multipleAnswers}`; `votes` pairs each option with
/// the chat ids that chose it (`…/incoming-message/PollUpdateMessage`).
#[allow(clippy::too_many_arguments)] // mirrors the fields of Green-API's object one to one
pub fn incoming_poll_update(
    inst: &Instance,
    chat: &Chat,
    id_message: &str,
    timestamp: i64,
    stanza_id: &str,
    name: &str,
    votes: &[(&str, &[&str])],
    multiple: bool,
) -> Value {
    let votes: Vec<Value> =
        votes.iter().map(|(option, voters)| json!({ "optionName": option, "optionVoters": voters })).collect();
    let data = json!({
        "typeMessage": "pollUpdateMessage",
        "pollMessageData": { "stanzaId": stanza_id, "name": name, "votes": votes, "multipleAnswers": multiple },
    });
    incoming(inst, chat, id_message, timestamp, data)
}

/// `stickerMessage`: `fileMessageData` with `isAnimated` and `mimeType:"image/webp"`
/// (`…/incoming-message/StickerMessage`; Green-API's Apidog example).
pub fn incoming_sticker(
    inst: &Instance,
    chat: &Chat,
    id_message: &str,
    timestamp: i64,
    download_url: &str,
    file_name: &str,
    animated: bool,
) -> Value {
    let mut data = file_data("stickerMessage", download_url, "image/webp", file_name, None);
    data["fileMessageData"]["isAnimated"] = json!(animated);
    incoming(inst, chat, id_message, timestamp, data)
}

/// `editedMessage`: the customer edited their message `original_id` to `text`; `id_message` is
/// the edit event's own id (`…/incoming-message/EditedMessage`).
pub fn incoming_edited(
    inst: &Instance,
    chat: &Chat,
    id_message: &str,
    timestamp: i64,
    original_id: &str,
    text: &str,
) -> Value {
    let data = json!({
        "typeMessage": "editedMessage",
        "editedMessageData": { "textMessage": text, "stanzaId": original_id },
    });
    incoming(inst, chat, id_message, timestamp, data)
}

/// `deletedMessage`: the customer deleted their message `original_id` for everyone; `id_message`
/// is the deletion event's own id (`…/incoming-message/DeletedMessage`).
pub fn incoming_deleted(inst: &Instance, chat: &Chat, id_message: &str, timestamp: i64, original_id: &str) -> Value {
    let data = json!({ "typeMessage": "deletedMessage", "deletedMessageData": { "stanzaId": original_id } });
    incoming(inst, chat, id_message, timestamp, data)
}

/// Any `incomingMessageReceived` whose `messageData` is given as is (a type the builders above
/// do not cover, e.g. one Green-API adds later).
pub fn incoming_message_data(inst: &Instance, chat: &Chat, id_message: &str, timestamp: i64, data: Value) -> Value {
    incoming(inst, chat, id_message, timestamp, data)
}

/// Marks a text, contact or location message as forwarded `score` times: `isForwarded` and
/// `forwardingScore` in its data object (`…/incoming-message/TextMessage` lists both for text).
pub fn set_forwarded(webhook: &mut Value, score: u32) {
    let Some(data) = webhook.get_mut("messageData").and_then(Value::as_object_mut) else { return };
    for (key, value) in data.iter_mut() {
        if key != "typeMessage" && key != "quotedMessage" {
            if let Some(object) = value.as_object_mut() {
                object.insert("isForwarded".into(), json!(score > 0));
                object.insert("forwardingScore".into(), json!(score));
            }
        }
    }
}

/// `outgoingMessageReceived`: a text the business typed on its phone (or WhatsApp Web), shaped
/// like `green-api/outgoing_phone_image.json` with `textMessageData`
/// (`…/outgoing-message/TextMessage`). The bridge mirrors these into Planfix.
pub fn outgoing_from_phone(inst: &Instance, chat: &Chat, id_message: &str, timestamp: i64, text: &str) -> Value {
    outgoing("outgoingMessageReceived", inst, chat, id_message, timestamp, text_data(text))
}

/// `outgoingAPIMessageReceived`: the echo of a text the bridge itself sent (ignore it: loops).
pub fn outgoing_api_echo(inst: &Instance, chat: &Chat, id_message: &str, timestamp: i64, text: &str) -> Value {
    outgoing("outgoingAPIMessageReceived", inst, chat, id_message, timestamp, text_data(text))
}

/// `outgoingAPIMessageReceived` for a file the bridge sent, like `green-api/outgoing_api_video.json`.
pub fn outgoing_api_file_echo(
    inst: &Instance,
    chat: &Chat,
    id_message: &str,
    timestamp: i64,
    type_message: &str,
    download_url: &str,
    mime_type: &str,
    file_name: &str,
    caption: Option<&str>,
) -> Value {
    let data = file_data(type_message, download_url, mime_type, file_name, caption);
    outgoing("outgoingAPIMessageReceived", inst, chat, id_message, timestamp, data)
}

/// `outgoingMessageStatus` of a message sent by the API (`sendByApi: true`).
///
/// `status`: `sent|delivered|read|failed|noAccount|notInGroup|yellowCard`; `description` is
/// present only when given (Green-API fills it on `failed`). Current bodies carry `chatId` and
/// `sendByApi`; `green-api/status_noAccount.json` is an older revision without them
/// (`…/outgoing-message/OutgoingMessageStatus`).
pub fn status(
    inst: &Instance,
    chat_id: &str,
    id_message: &str,
    timestamp: i64,
    status: &str,
    description: Option<&str>,
) -> Value {
    let mut body = json!({
        "typeWebhook": "outgoingMessageStatus",
        "chatId": chat_id,
        "instanceData": instance_data(inst),
        "timestamp": timestamp,
        "idMessage": id_message,
        "status": status,
    });
    if let Some(description) = description {
        body["description"] = json!(description);
    }
    body["sendByApi"] = json!(true);
    body
}

/// `stateInstanceChanged` (`notAuthorized`, `authorized`, `blocked`, `sleepMode`, `starting`,
/// `yellowCard`), stamped now (`…/notifications-format/StateInstanceChanged`).
pub fn state_changed(inst: &Instance, state: &str) -> Value {
    json!({
        "typeWebhook": "stateInstanceChanged",
        "instanceData": instance_data(inst),
        "timestamp": clock::unix_seconds(),
        "stateInstance": state,
    })
}

/// Makes a message webhook come from `sender` (a member, `…@c.us`) inside its group chat.
/// No-op on bodies without `senderData`.
pub fn set_group_sender(webhook: &mut Value, sender: &str, sender_name: &str) {
    if let Some(data) = webhook.get_mut("senderData").and_then(Value::as_object_mut) {
        data.insert("sender".into(), json!(sender));
        data.insert("senderName".into(), json!(sender_name));
        data.insert("senderContactName".into(), json!(sender_name));
    }
}

/// Loads `providers/green-api/{name}` from the reference folder (`$BRIDGE_REFERENCE_DIR`, else
/// `<workspace>/../shared/reference`). Panics with the path when it is missing or not JSON.
pub fn sample(name: &str) -> Value {
    let path = reference::green_api_file(name);
    let raw = std::fs::read(&path).unwrap_or_else(|error| panic!("read {}: {error}", path.display()));
    serde_json::from_slice(&raw).unwrap_or_else(|error| panic!("parse {} as JSON: {error}", path.display()))
}

fn text_data(text: &str) -> Value {
    json!({ "typeMessage": "textMessage", "textMessageData": { "textMessage": text } })
}

/// `fileMessageData` in the key order of the samples.
fn file_data(type_message: &str, download_url: &str, mime_type: &str, file_name: &str, caption: Option<&str>) -> Value {
    json!({
        "typeMessage": type_message,
        "fileMessageData": {
            "downloadUrl": download_url,
            "caption": caption.unwrap_or(""),
            "fileName": file_name,
            "jpegThumbnail": "",
            "mimeType": mime_type,
            "forwardingScore": 0,
            "isForwarded": false,
        },
    })
}

fn instance_data(inst: &Instance) -> Value {
    json!({ "idInstance": inst.id_instance, "wid": inst.wid, "typeInstance": "whatsapp" })
}

/// `incomingMessageReceived`: the customer is the sender.
fn incoming(inst: &Instance, chat: &Chat, id_message: &str, timestamp: i64, message_data: Value) -> Value {
    let sender_data = json!({
        "chatId": chat.chat_id,
        "sender": chat.chat_id,
        "chatName": chat.sender_name,
        "senderName": chat.sender_name,
        "senderContactName": chat.sender_name,
    });
    message_webhook("incomingMessageReceived", inst, id_message, timestamp, sender_data, message_data)
}

/// Outgoing messages: the business (`wid`) is the sender, `chatName` names the customer. The
/// business's own display names are not known to the builder and are left empty.
fn outgoing(
    type_webhook: &str,
    inst: &Instance,
    chat: &Chat,
    id_message: &str,
    timestamp: i64,
    message_data: Value,
) -> Value {
    let sender_data = json!({
        "chatId": chat.chat_id,
        "chatName": chat.sender_name,
        "sender": inst.wid,
        "senderName": "",
        "senderContactName": "",
    });
    message_webhook(type_webhook, inst, id_message, timestamp, sender_data, message_data)
}

fn message_webhook(
    type_webhook: &str,
    inst: &Instance,
    id_message: &str,
    timestamp: i64,
    sender_data: Value,
    message_data: Value,
) -> Value {
    json!({
        "typeWebhook": type_webhook,
        "instanceData": instance_data(inst),
        "timestamp": timestamp,
        "idMessage": id_message,
        "senderData": sender_data,
        "messageData": message_data,
    })
}

#[cfg(test)]
mod tests;
