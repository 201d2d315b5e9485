//! The webhooks 360dialog POSTs to the bridge: Meta Cloud API payloads, forwarded unchanged
//! ("the object is always `whatsapp_business_account`", NOTES §4, D1), so the builders are
//! `meta-sim`'s, addressed to a 360dialog business.
//!
//! Two differences from the Meta builders, both following 360dialog's documented examples
//! (samples `360dialog/inbound_*.json`): inbound contacts carry only `profile.name` and `wa_id`
//! (no `user_id` / `parent_user_id`), and nothing is signed — 360dialog authenticates webhooks
//! with the custom headers of the webhook config, not with Meta's `X-Hub-Signature-256`.

use serde_json::Value;

pub use meta_sim::webhook::{contact_card, set_frequently_forwarded, set_sticker_animated};
pub use meta_sim::webhook::{media_sha256, retarget_sample, set_forwarded, set_media_sha256, set_reply_context};
pub use meta_sim::webhook::{Business, Sender};

use crate::reference;

/// The business number webhooks are addressed to (`metadata.phone_number_id`,
/// `metadata.display_phone_number`, `entry[].id` = WABA id).
pub fn business(phone_number_id: &str, display_phone_number: &str, waba_id: &str) -> Business {
    Business {
        phone_number_id: phone_number_id.to_owned(),
        display_phone_number: display_phone_number.to_owned(),
        waba_id: waba_id.to_owned(),
    }
}

/// Inbound `type:"text"`, shaped like `360dialog/inbound_text.json`.
pub fn text(biz: &Business, from: &Sender, wamid: &str, timestamp: i64, body: &str) -> Value {
    without_user_ids(meta_sim::webhook::text_message(biz, from, wamid, timestamp, body))
}

/// Inbound media (`kind`: image|video|audio|document|sticker) referring to `media_id` (for
/// example from [`crate::Dialog360Sim::add_media`]), shaped like `360dialog/inbound_image.json`.
/// Field rules are Meta's (see `meta_sim::webhook::media_message`); `sha256` is added with
/// [`set_media_sha256`].
pub fn media(
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
    let webhook =
        meta_sim::webhook::media_message(biz, from, wamid, timestamp, kind, media_id, mime, caption, filename, voice);
    without_user_ids(webhook)
}

/// An inbound message of any `type` with its object as given (Meta's shapes, see
/// `meta_sim::webhook::typed_message`), e.g. `location`.
pub fn typed(biz: &Business, from: &Sender, wamid: &str, timestamp: i64, kind: &str, object: Option<Value>) -> Value {
    without_user_ids(meta_sim::webhook::typed_message(biz, from, wamid, timestamp, kind, object))
}

/// A tap on a reply button (Meta's `interactive.button_reply`, passed through unchanged, D1).
pub fn button_reply(
    biz: &Business,
    from: &Sender,
    wamid: &str,
    timestamp: i64,
    context_wamid: &str,
    id: &str,
    title: &str,
) -> Value {
    without_user_ids(meta_sim::webhook::button_reply(biz, from, wamid, timestamp, context_wamid, id, title))
}

/// A list row chosen (Meta's `interactive.list_reply`).
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
    let webhook = meta_sim::webhook::list_reply(biz, from, wamid, timestamp, context_wamid, id, title, description);
    without_user_ids(webhook)
}

/// A template's quick-reply button tapped (Meta's `type:"button"`).
pub fn quick_reply(
    biz: &Business,
    from: &Sender,
    wamid: &str,
    timestamp: i64,
    context_wamid: &str,
    payload: &str,
    text: &str,
) -> Value {
    without_user_ids(meta_sim::webhook::quick_reply(biz, from, wamid, timestamp, context_wamid, payload, text))
}

/// Shared contact cards (Meta's `type:"contacts"`; cards from [`contact_card`]).
pub fn contacts(biz: &Business, from: &Sender, wamid: &str, timestamp: i64, cards: Vec<Value>) -> Value {
    without_user_ids(meta_sim::webhook::contacts_message(biz, from, wamid, timestamp, cards))
}

/// Content the API cannot show: `type:"unsupported"` (e.g. a message the user deleted) or
/// `type:"unknown"` (e.g. a disappearing message), both with `errors[]` code 131051 (D1).
pub fn not_passed(biz: &Business, from: &Sender, wamid: &str, timestamp: i64, unknown: bool) -> Value {
    let mut webhook = meta_sim::webhook::unsupported_message(biz, from, wamid, timestamp, None);
    if unknown {
        if let Some(message) = webhook.pointer_mut("/entry/0/changes/0/value/messages/0") {
            message["type"] = Value::from("unknown");
        }
    }
    without_user_ids(webhook)
}

/// Status callback (`sent|delivered|read|failed`, with `errors[]` when `error` is given), shaped
/// like `360dialog/status_*.json`.
pub fn status(
    biz: &Business,
    recipient_wa_id: &str,
    wamid: &str,
    status: &str,
    timestamp: i64,
    error: Option<(i64, &str)>,
) -> Value {
    meta_sim::webhook::status_update(biz, recipient_wa_id, wamid, status, timestamp, error)
}

/// A 360dialog reference sample (`providers/360dialog/{name}`, e.g. `inbound_text.json`) as JSON,
/// from `$BRIDGE_REFERENCE_DIR` or `<workspace>/../shared/reference`. Panics, naming the path,
/// when the file is missing or is not JSON: tests must not pass without their samples.
pub fn sample(name: &str) -> Value {
    let path = reference::dialog360_file(name);
    let raw = std::fs::read(&path).unwrap_or_else(|error| panic!("read {}: {error}", path.display()));
    serde_json::from_slice(&raw).unwrap_or_else(|error| panic!("parse {} as JSON: {error}", path.display()))
}

/// 360dialog's examples show contacts as `{profile:{name}, wa_id}` only.
fn without_user_ids(mut webhook: Value) -> Value {
    let contacts = webhook.pointer_mut("/entry/0/changes/0/value/contacts").and_then(Value::as_array_mut);
    for contact in contacts.into_iter().flatten() {
        if let Some(contact) = contact.as_object_mut() {
            contact.remove("user_id");
            contact.remove("parent_user_id");
        }
    }
    webhook
}

#[cfg(test)]
mod tests;
