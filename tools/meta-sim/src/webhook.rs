//! Builders for the webhooks Meta POSTs to the bridge, plus their `X-Hub-Signature-256`.
//!
//! Shapes follow Meta's webhook reference as captured in the sample payloads
//! (`reference/providers/meta/*.json`): one entry, one `messages` change, one message or status.

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Map, Value};
use sha2::Sha256;

use crate::encoding;

/// `X-Hub-Signature-256` value: `sha256=<lowercase hex HMAC-SHA256(app_secret, body)>`.
pub fn sign(app_secret: &[u8], body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(app_secret) {
        Ok(mac) => mac,
        // HMAC hashes over-long keys and pads short ones, so no key length is rejected.
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Serialises `payload` once and signs those exact bytes, as Meta does.
/// Returns `(raw body, X-Hub-Signature-256 header value)`.
pub fn signed_body(app_secret: &[u8], payload: &Value) -> (Vec<u8>, String) {
    let body = payload.to_string().into_bytes();
    let signature = sign(app_secret, &body);
    (body, signature)
}

/// The WhatsApp user writing to the business.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    pub wa_id: String,
    pub profile_name: String,
}

/// The business phone number the webhook is addressed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Business {
    pub phone_number_id: String,
    pub display_phone_number: String,
    pub waba_id: String,
}

/// Inbound `type:"text"` message, shaped like `meta/inbound_text.json`.
pub fn text_message(biz: &Business, from: &Sender, wamid: &str, timestamp: i64, body: &str) -> Value {
    let message = json!({
        "from": from.wa_id,
        "id": wamid,
        "timestamp": timestamp.to_string(),
        "type": "text",
        "text": { "body": body },
    });
    message_envelope(biz, from, message)
}

/// Inbound media message (`kind`: image|video|audio|document|sticker), shaped like
/// `meta/inbound_{image,video…,audio,voice,document,sticker}.json`.
///
/// Fields Meta never sends for a kind are dropped rather than emitted: `caption` is kept only
/// on image/video/document, `filename` only on document, `voice` only on audio; stickers get
/// `animated:false`. `sha256` is omitted because the builder never sees the bytes; add it with
/// [`set_media_sha256`] (for example with [`crate::GraphSim::media_sha256`]).
#[allow(clippy::too_many_arguments)] // mirrors the fields of Meta's media object one to one
pub fn media_message(
    biz: &Business,
    from: &Sender,
    wamid: &str,
    timestamp: i64,
    kind: &str,
    media_id: &str,
    mime: &str,
    caption: Option<&str>,
    filename: Option<&str>,
    voice: bool,
) -> Value {
    let mut media = Map::new();
    media.insert("mime_type".into(), json!(mime));
    media.insert("id".into(), json!(media_id));
    if let Some(caption) = caption.filter(|_| matches!(kind, "image" | "video" | "document")) {
        media.insert("caption".into(), json!(caption));
    }
    if let Some(filename) = filename.filter(|_| kind == "document") {
        media.insert("filename".into(), json!(filename));
    }
    match kind {
        "audio" => {
            media.insert("voice".into(), json!(voice));
        }
        "sticker" => {
            media.insert("animated".into(), json!(false));
        }
        _ => {}
    }
    let message = json!({
        "from": from.wa_id,
        "id": wamid,
        "timestamp": timestamp.to_string(),
        "type": kind,
        kind: Value::Object(media),
    });
    message_envelope(biz, from, message)
}

/// Inbound message of any `type` with its object as given (`object` is put under the key named
/// by `kind`; None leaves it out, as Meta does for a type it could not fill).
pub fn typed_message(
    biz: &Business,
    from: &Sender,
    wamid: &str,
    timestamp: i64,
    kind: &str,
    object: Option<Value>,
) -> Value {
    let mut message = json!({
        "from": from.wa_id,
        "id": wamid,
        "timestamp": timestamp.to_string(),
        "type": kind,
    });
    if let Some(object) = object {
        message[kind] = object;
    }
    message_envelope(biz, from, message)
}

/// A tap on a reply button of an interactive message the business sent (`context_wamid`):
/// `type:"interactive"`, `interactive.{type:"button_reply", button_reply:{id,title}}` and
/// `context.{from,id}` (Meta's reply-buttons page; `david-lev/pywa`
/// `tests/data/updates/callback_button.json`).
pub fn button_reply(
    biz: &Business,
    from: &Sender,
    wamid: &str,
    timestamp: i64,
    context_wamid: &str,
    id: &str,
    title: &str,
) -> Value {
    let object = json!({ "type": "button_reply", "button_reply": { "id": id, "title": title } });
    with_context(biz, typed_message(biz, from, wamid, timestamp, "interactive", Some(object)), context_wamid)
}

/// A row chosen in an interactive list: `interactive.{type:"list_reply", list_reply:{id, title,
/// description?}}` (Meta's list-messages page; pywa's `callback_selection.json`).
#[allow(clippy::too_many_arguments)] // mirrors the fields of Meta's list_reply object one to one
pub fn list_reply(
    biz: &Business,
    from: &Sender,
    wamid: &str,
    timestamp: i64,
    context_wamid: &str,
    id: &str,
    title: &str,
    description: Option<&str>,
) -> Value {
    let mut row = json!({ "id": id, "title": title });
    if let Some(description) = description {
        row["description"] = json!(description);
    }
    let object = json!({ "type": "list_reply", "list_reply": row });
    with_context(biz, typed_message(biz, from, wamid, timestamp, "interactive", Some(object)), context_wamid)
}

/// A tap on a template's quick-reply button: `type:"button"`, `button.{payload, text}` (Meta's
/// "Button messages webhook reference"; pywa's `callback_button.json` key `quick_reply`).
pub fn quick_reply(
    biz: &Business,
    from: &Sender,
    wamid: &str,
    timestamp: i64,
    context_wamid: &str,
    payload: &str,
    text: &str,
) -> Value {
    let object = json!({ "payload": payload, "text": text });
    with_context(biz, typed_message(biz, from, wamid, timestamp, "button", Some(object)), context_wamid)
}

/// Shared contact cards: `type:"contacts"`, `contacts[]` of [`contact_card`]s (Meta's "Contacts
/// messages webhook reference").
pub fn contacts_message(biz: &Business, from: &Sender, wamid: &str, timestamp: i64, cards: Vec<Value>) -> Value {
    typed_message(biz, from, wamid, timestamp, "contacts", Some(Value::Array(cards)))
}

/// One card of [`contacts_message`]: `name.{formatted_name, first_name}`, `phones[].{phone, type,
/// wa_id?}` (`(number, type, wa_id)`), `emails[].{email, type:"WORK"}` and `org.{company, title}`
/// when given. Properties the user did not share are left out, as Meta does.
pub fn contact_card(
    formatted_name: &str,
    phones: &[(&str, &str, Option<&str>)],
    emails: &[&str],
    org: Option<(&str, Option<&str>)>,
) -> Value {
    let first = formatted_name.split_whitespace().next().unwrap_or("");
    let mut card = Map::new();
    card.insert("name".into(), json!({ "formatted_name": formatted_name, "first_name": first }));
    if !phones.is_empty() {
        let phones: Vec<Value> = phones
            .iter()
            .map(|(phone, kind, wa_id)| {
                let mut p = json!({ "phone": phone, "type": kind });
                if let Some(wa_id) = wa_id {
                    p["wa_id"] = json!(wa_id);
                }
                p
            })
            .collect();
        card.insert("phones".into(), Value::Array(phones));
    }
    if !emails.is_empty() {
        card.insert("emails".into(), emails.iter().map(|e| json!({ "email": e, "type": "WORK" })).collect());
    }
    if let Some((company, title)) = org {
        let mut o = json!({ "company": company });
        if let Some(title) = title {
            o["title"] = json!(title);
        }
        card.insert("org".into(), o);
    }
    Value::Object(card)
}

/// What WhatsApp does not pass to the Cloud API: `type:"unsupported"` with `errors[]` code 131051,
/// and in newer payloads `unsupported.type` naming it (Meta's "Unsupported messages webhook
/// reference"; sample `meta/inbound_unsupported.json`; pywa's `unsupported_with_type`).
pub fn unsupported_message(
    biz: &Business,
    from: &Sender,
    wamid: &str,
    timestamp: i64,
    unsupported_type: Option<&str>,
) -> Value {
    let object = unsupported_type.map(|t| json!({ "type": t }));
    let mut webhook = typed_message(biz, from, wamid, timestamp, "unsupported", object);
    if let Some(message) = first_item_mut(&mut webhook, "messages") {
        message["errors"] = json!([{
            "code": 131051,
            "title": "Message type unknown",
            "message": "Message type unknown",
            "error_data": { "details": "Message type is currently not supported." },
        }]);
    }
    webhook
}

/// Sets `sticker.animated` on a sticker built by [`media_message`] (which sends `false`).
pub fn set_sticker_animated(webhook: &mut Value, animated: bool) {
    if let Some(sticker) = first_item_mut(webhook, "messages").and_then(|m| m.get_mut("sticker")) {
        sticker["animated"] = json!(animated);
    }
}

/// Marks the first message as forwarded many times (`context.frequently_forwarded:true`,
/// pywa's `forwarded_many_times`).
pub fn set_frequently_forwarded(webhook: &mut Value) {
    if let Some(message) = first_item_mut(webhook, "messages") {
        message["context"] = json!({ "frequently_forwarded": true });
    }
}

/// `context.{from: business number, id}`: the message the tap answers.
fn with_context(biz: &Business, mut webhook: Value, context_wamid: &str) -> Value {
    if let Some(message) = first_item_mut(&mut webhook, "messages") {
        message["context"] = json!({ "from": biz.display_phone_number, "id": context_wamid });
    }
    webhook
}

/// Sets `<type>.sha256` on the first message of a webhook built by [`media_message`].
/// Meta's webhook hashes are base64 SHA-256 ([`media_sha256`]). No-op if there is no media object.
pub fn set_media_sha256(webhook: &mut Value, sha256: &str) {
    let Some(message) = first_item_mut(webhook, "messages") else { return };
    let Some(kind) = message.get("type").and_then(Value::as_str).map(str::to_owned) else { return };
    if let Some(media) = message.get_mut(&kind).and_then(Value::as_object_mut) {
        media.insert("sha256".into(), json!(sha256));
    }
}

/// Marks the first message as a reply: `context.{from,id}` names the quoted message
/// (usually a wamid the bridge sent, `from` being the business number), like
/// `meta/inbound_text_reply_context.json`.
pub fn set_reply_context(webhook: &mut Value, quoted_from: &str, quoted_wamid: &str) {
    if let Some(message) = first_item_mut(webhook, "messages") {
        message["context"] = json!({ "from": quoted_from, "id": quoted_wamid });
    }
}

/// Marks the first message as forwarded (`context.forwarded:true`).
pub fn set_forwarded(webhook: &mut Value) {
    if let Some(message) = first_item_mut(webhook, "messages") {
        message["context"] = json!({ "forwarded": true });
    }
}

/// Base64 SHA-256 of `bytes`, the encoding the webhook samples' `sha256` fields use.
pub fn media_sha256(bytes: &[u8]) -> String {
    encoding::base64(&encoding::sha256(bytes))
}

/// Delivery status callback (`sent|delivered|read|failed`), shaped like `meta/status_*.json`.
///
/// Non-failed statuses carry `conversation` and `pricing` like the samples (`expiration_timestamp`
/// only on `sent`); `error` adds `errors[]` with Meta's `{code,title,message,error_data,href}`.
/// `contacts[]` is left out: Meta does not always send it on statuses and the bridge must not
/// depend on it.
pub fn status_update(
    biz: &Business,
    recipient_wa_id: &str,
    wamid: &str,
    status: &str,
    timestamp: i64,
    error: Option<(i64, &str)>,
) -> Value {
    let mut item = Map::new();
    item.insert("id".into(), json!(wamid));
    item.insert("status".into(), json!(status));
    item.insert("timestamp".into(), json!(timestamp.to_string()));
    item.insert("recipient_id".into(), json!(recipient_wa_id));
    if status != "failed" {
        let mut conversation = json!({
            "id": encoding::digits(&format!("conversation:{}:{recipient_wa_id}", biz.phone_number_id), 30),
            "origin": { "type": "service" },
        });
        if status == "sent" {
            conversation["expiration_timestamp"] = json!((timestamp + 24 * 3600).to_string());
        }
        item.insert("conversation".into(), conversation);
        item.insert("pricing".into(), json!({ "billable": true, "pricing_model": "CBP", "category": "service" }));
    }
    if let Some((code, title)) = error {
        item.insert(
            "errors".into(),
            json!([{
                "code": code,
                "title": title,
                "message": title,
                "error_data": { "details": title },
                "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
            }]),
        );
    }
    let value = json!({
        "messaging_product": "whatsapp",
        "metadata": metadata(biz),
        "statuses": [Value::Object(item)],
    });
    envelope(biz, value)
}

/// Retargets a real sample at a new message: replaces the first message's `id`, `from`,
/// `timestamp` and, when `text` is given, its `text.body` (or the media `caption` if the sample
/// has one). The contact whose `wa_id` was the old sender follows `from`, so the payload stays
/// self-consistent. On a status sample the first status's `id`, `recipient_id` and `timestamp`
/// are replaced instead. Everything else is kept unchanged.
pub fn retarget_sample(sample: &Value, wamid: &str, from: &str, timestamp: i64, text: Option<&str>) -> Value {
    let mut out = sample.clone();
    let timestamp = timestamp.to_string();
    if let Some(message) = first_item_mut(&mut out, "messages") {
        let old_from = message.get("from").and_then(Value::as_str).map(str::to_owned);
        message["id"] = json!(wamid);
        message["from"] = json!(from);
        message["timestamp"] = json!(timestamp);
        if let Some(text) = text {
            replace_text(message, text);
        }
        if let (Some(old_from), Some(contacts)) =
            (old_from, first_value_mut(&mut out).and_then(|v| v.get_mut("contacts")))
        {
            for contact in contacts.as_array_mut().into_iter().flatten() {
                if contact.get("wa_id").and_then(Value::as_str) == Some(old_from.as_str()) {
                    contact["wa_id"] = json!(from);
                }
            }
        }
    } else if let Some(status) = first_item_mut(&mut out, "statuses") {
        status["id"] = json!(wamid);
        status["recipient_id"] = json!(from);
        status["timestamp"] = json!(timestamp);
    }
    out
}

fn replace_text(message: &mut Value, text: &str) {
    if let Some(body) = message.pointer_mut("/text/body") {
        *body = json!(text);
        return;
    }
    let kind = message.get("type").and_then(Value::as_str).map(str::to_owned);
    if let Some(caption) = kind.and_then(|kind| message.get_mut(&kind)).and_then(|m| m.get_mut("caption")) {
        *caption = json!(text);
    }
}

fn first_value_mut(webhook: &mut Value) -> Option<&mut Value> {
    webhook.pointer_mut("/entry/0/changes/0/value")
}

fn first_item_mut<'a>(webhook: &'a mut Value, array: &str) -> Option<&'a mut Value> {
    first_value_mut(webhook)?.get_mut(array)?.get_mut(0)
}

fn metadata(biz: &Business) -> Value {
    json!({
        "display_phone_number": biz.display_phone_number,
        "phone_number_id": biz.phone_number_id,
    })
}

/// `value` of an inbound message: metadata, the sender's contact card and the message.
fn message_envelope(biz: &Business, from: &Sender, message: Value) -> Value {
    // Current payloads also carry business-scoped user ids; derive stable fake ones.
    let contact = json!({
        "profile": { "name": from.profile_name },
        "wa_id": from.wa_id,
        "user_id": format!("US.{}", encoding::digits(&format!("user:{}", from.wa_id), 20)),
        "parent_user_id": format!("US.ENT.{}", encoding::digits(&format!("parent:{}:{}", biz.waba_id, from.wa_id), 20)),
    });
    let value = json!({
        "messaging_product": "whatsapp",
        "metadata": metadata(biz),
        "contacts": [contact],
        "messages": [message],
    });
    envelope(biz, value)
}

fn envelope(biz: &Business, value: Value) -> Value {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": biz.waba_id,
            "changes": [{ "value": value, "field": "messages" }],
        }],
    })
}

#[cfg(test)]
mod tests;
