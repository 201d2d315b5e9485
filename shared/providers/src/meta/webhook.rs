use hmac::{Hmac, KeyInit, Mac};
use http::HeaderMap;
use sha2::Sha256;

use super::payload::{self, Envelope};
use bridge_core::config::{MetaConfig, Secret};
use bridge_core::domain::{
    ContactCard, DeliveryFailure, DeliveryState, FailureKind, InboundEvent, InboundMessage, MediaRef, MessageContent,
    Origin, Phone, StatusUpdate,
};
use bridge_core::ports::{Parsed, ProviderWebhook, WebhookError, WebhookRequest};

/// Webhook side of one account's Meta business number.
pub struct MetaWebhook {
    app_secret: Secret,
    verify_token: Secret,
    phone_number_id: String,
}

impl MetaWebhook {
    pub fn new(cfg: &MetaConfig) -> Self {
        Self {
            app_secret: cfg.app_secret.clone(),
            verify_token: cfg.verify_token.clone(),
            phone_number_id: cfg.phone_number_id.clone(),
        }
    }
}

impl ProviderWebhook for MetaWebhook {
    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), WebhookError> {
        verify_signature(&self.app_secret, req.headers, req.body)
    }

    fn parse(&self, req: &WebhookRequest<'_>) -> Result<Parsed, WebhookError> {
        parse_cloud_api(req.body, &self.phone_number_id)
    }

    fn handshake(&self, query: &[(String, String)]) -> Option<Result<String, WebhookError>> {
        Some(verify_handshake(&self.verify_token, query))
    }
}

/// A Cloud API webhook body (Meta's, and 360dialog's, which passes Meta's payload through) for
/// the number `phone_number_id`: the one parser of both adapters.
///
/// Only a body that is not a Cloud API envelope is an error (400). Inside it, each change and
/// each message or status stands alone: one that does not read is [`Parsed::rejected`] with a
/// body of its own (the envelope around just that item, for replay), the others are parsed.
/// Routing is strict: a change must name this account's `phone_number_id` in its `metadata`.
/// A change for another number, or naming none, is not stored here (two accounts may share one
/// Meta app, and so its secret); a body with nothing for this number at all is a 403.
pub(crate) fn parse_cloud_api(body: &[u8], phone_number_id: &str) -> Result<Parsed, WebhookError> {
    let envelope: Envelope = serde_json::from_slice(body).map_err(|e| {
        WebhookError::BadRequest(format!("not a Cloud API webhook body: {}", crate::items::serde_reason(&e)))
    })?;
    if envelope.object != "whatsapp_business_account" {
        return Err(WebhookError::BadRequest(format!("unexpected object {:?}", envelope.object)));
    }
    let mut parsed = Parsed::default();
    let (mut ours, mut foreign) = (0usize, 0usize);
    for entry in envelope.entry {
        let entry_id = entry.id.unwrap_or(serde_json::Value::Null);
        for change in entry.changes {
            // Other fields (account updates, templates, history…) are not conversation content.
            let known = matches!(change.field.as_str(), "messages" | "smb_message_echoes");
            let Some(raw) = change.value.filter(|_| known) else {
                parsed.ignored.push(format!("change of field {:?}", change.field));
                continue;
            };
            let one =
                |list: &str, item: serde_json::Value| single_item_body(&entry_id, &change.field, &raw, list, item);
            // serde would read a struct from an array too; only an object is a change value.
            let value = if raw.is_object() {
                crate::items::read_item::<payload::Value>(&raw, "change value")
            } else {
                Err("change value: not an object".to_owned())
            };
            let value: payload::Value = match value {
                Ok(value) => value,
                Err(reason) => {
                    let whole = serde_json::json!({
                        "object": "whatsapp_business_account",
                        "entry": [{ "id": entry_id, "changes": [{ "field": change.field, "value": raw }] }],
                    });
                    parsed.rejected.push(crate::items::rejected(whole, reason));
                    continue;
                }
            };
            match value.metadata.as_ref().and_then(|m| m.phone_number_id.as_deref()) {
                Some(id) if id == phone_number_id => ours += 1,
                named => {
                    foreign += 1;
                    let why = if named.is_some() { "another phone_number_id" } else { "no metadata.phone_number_id" };
                    tracing::warn!(items = value.messages.len() + value.statuses.len() + value.message_echoes.len(), "a change for {why} was not stored in this account: check which URL the Meta app's webhook points to");
                    parsed.ignored.push(format!("change addressed to {why}"));
                    continue;
                }
            }
            for raw_msg in &value.messages {
                match read_message(raw_msg, &value.contacts, Origin::Customer) {
                    Ok(m) => parsed.events.push(InboundEvent::Message(m)),
                    Err(reason) => {
                        parsed.rejected.push(crate::items::rejected(one("messages", raw_msg.clone()), reason))
                    }
                }
            }
            for raw_echo in &value.message_echoes {
                match read_message(raw_echo, &[], Origin::BusinessPhone) {
                    Ok(m) => parsed.events.push(InboundEvent::Message(m)),
                    Err(reason) => {
                        parsed.rejected.push(crate::items::rejected(one("message_echoes", raw_echo.clone()), reason))
                    }
                }
            }
            for raw_status in &value.statuses {
                match crate::items::read_item::<payload::Status>(raw_status, "status").and_then(normalize_status) {
                    Ok(Some(status)) => parsed.events.push(InboundEvent::Status(status)),
                    Ok(None) => parsed.ignored.push("a status the bridge does not track".into()),
                    Err(reason) => {
                        parsed.rejected.push(crate::items::rejected(one("statuses", raw_status.clone()), reason))
                    }
                }
            }
        }
    }
    if ours == 0 && foreign > 0 {
        return Err(WebhookError::Forbidden("payload is not for this account's phone_number_id"));
    }
    Ok(parsed)
}

/// The envelope around one item of a change: what [`parse_cloud_api`] reads as holding only it.
fn single_item_body(
    entry_id: &serde_json::Value,
    field: &str,
    raw_value: &serde_json::Value,
    list: &str,
    item: serde_json::Value,
) -> serde_json::Value {
    let mut value = raw_value.clone();
    if let Some(obj) = value.as_object_mut() {
        for other in ["messages", "statuses", "message_echoes"] {
            obj.remove(other);
        }
        obj.insert(list.to_owned(), serde_json::Value::Array(vec![item]));
    }
    serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": entry_id, "changes": [{ "field": field, "value": value }] }],
    })
}

fn read_message(
    raw: &serde_json::Value,
    contacts: &[payload::Contact],
    origin: Origin,
) -> Result<InboundMessage, String> {
    let msg: payload::Message = crate::items::read_item(raw, "message")?;
    normalize_message(&msg, contacts, origin).map_err(|e| match e {
        WebhookError::BadRequest(reason) => reason,
        other => other.to_string(),
    })
}

/// `X-Hub-Signature-256` over the raw body (360dialog reuses Meta's shapes, not this check).
fn verify_signature(app_secret: &Secret, headers: &HeaderMap, body: &[u8]) -> Result<(), WebhookError> {
    let header = bridge_core::credentials::single(headers, "x-hub-signature-256")?
        .ok_or(WebhookError::Unauthorized("missing X-Hub-Signature-256"))?;
    let hex_sig = header
        .to_str()
        .ok()
        .and_then(|v| v.trim().strip_prefix("sha256="))
        .ok_or(WebhookError::Unauthorized("malformed X-Hub-Signature-256"))?;
    let sig = hex::decode(hex_sig).map_err(|_| WebhookError::Unauthorized("malformed X-Hub-Signature-256"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.expose().as_bytes())
        .map_err(|_| WebhookError::Unauthorized("unusable app secret"))?;
    mac.update(body);
    // verify_slice compares in constant time.
    mac.verify_slice(&sig).map_err(|_| WebhookError::Unauthorized("invalid X-Hub-Signature-256"))
}

fn verify_handshake(verify_token: &Secret, query: &[(String, String)]) -> Result<String, WebhookError> {
    let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if get("hub.mode") != Some("subscribe") {
        return Err(WebhookError::BadRequest("hub.mode must be subscribe".into()));
    }
    let token = get("hub.verify_token").ok_or(WebhookError::Forbidden("missing hub.verify_token"))?;
    if !verify_token.matches(token.as_bytes()) {
        return Err(WebhookError::Forbidden("hub.verify_token does not match"));
    }
    get("hub.challenge").map(str::to_owned).ok_or_else(|| WebhookError::BadRequest("missing hub.challenge".into()))
}

fn parse_timestamp(raw: &str) -> Result<i64, String> {
    // Meta's are whole seconds as a string; the value is only shown when it is short (a
    // timestamp, not a customer's text).
    raw.parse().map_err(|_| match raw.len() {
        0..=24 => format!("timestamp {raw:?} is not Unix seconds"),
        _ => "timestamp is not Unix seconds".to_owned(),
    })
}

fn normalize_message(
    msg: &payload::Message,
    contacts: &[payload::Contact],
    origin: Origin,
) -> Result<InboundMessage, WebhookError> {
    // The conversation's phone is the customer's: the recipient of an echo.
    let customer = match origin {
        Origin::Customer => msg.from.as_str(),
        Origin::BusinessPhone => {
            msg.to.as_deref().ok_or_else(|| WebhookError::BadRequest("message echo without `to`".into()))?
        }
    };
    let from = Phone::parse(customer).map_err(|_| {
        WebhookError::BadRequest("the customer's number is not an international phone number (E.164)".into())
    })?;
    if msg.id.is_empty() || msg.id.len() > 256 {
        return Err(WebhookError::BadRequest("message id must be 1-256 characters".into()));
    }
    let profile_name = contacts
        .iter()
        .find(|c| c.wa_id.as_deref() == Some(msg.from.as_str()))
        .or(contacts.first())
        .and_then(|c| c.profile.as_ref())
        .and_then(|p| p.name.clone())
        .filter(|n| !n.trim().is_empty());
    let missing = |what: &str| WebhookError::BadRequest(format!("message of type {} has no {what} object", msg.kind));
    let media = |kind: &str, m: &Option<payload::Media>| -> Result<MessageContent, WebhookError> {
        let m = m.as_ref().ok_or_else(|| missing(kind))?;
        let media_kind = if kind == "audio" && m.voice == Some(true) { "voice" } else { kind };
        Ok(MessageContent::Media {
            media_kind: media_kind.to_owned(),
            media: MediaRef::Id(m.id.clone()),
            mime_type: m.mime_type.clone(),
            caption: m.caption.clone(),
            filename: m.filename.clone(),
        })
    };
    let content = match msg.kind.as_str() {
        "text" => MessageContent::Text { body: msg.text.as_ref().ok_or_else(|| missing("text"))?.body.clone() },
        "image" => media("image", &msg.image)?,
        "video" => media("video", &msg.video)?,
        "audio" => media("audio", &msg.audio)?,
        "document" => media("document", &msg.document)?,
        "sticker" => match media("sticker", &msg.sticker)? {
            // Animated stickers go as files: Planfix shows no animation.
            MessageContent::Media { media, mime_type, caption, filename, .. }
                if msg.sticker.as_ref().and_then(|s| s.animated) == Some(true) =>
            {
                MessageContent::Media { media_kind: "animated_sticker".into(), media, mime_type, caption, filename }
            }
            other => other,
        },
        "location" => {
            let l = msg.location.as_ref().ok_or_else(|| missing("location"))?;
            MessageContent::Location {
                latitude: l.latitude,
                longitude: l.longitude,
                name: l.name.clone(),
                address: l.address.clone(),
            }
        }
        "reaction" => {
            let r = msg.reaction.as_ref().ok_or_else(|| missing("reaction"))?;
            MessageContent::Reaction { to_message_id: r.message_id.clone(), emoji: r.emoji.clone().unwrap_or_default() }
        }
        "interactive" => match read::<payload::Interactive>(&msg.interactive) {
            Ok(i) => interactive(msg, i),
            Err(not_read) => not_read.content(msg),
        },
        "button" => match read::<payload::QuickReply>(&msg.button) {
            Ok(b) if !b.text.trim().is_empty() || b.payload.is_some() => {
                MessageContent::Choice { title: b.text, description: None, payload: b.payload }
            }
            Ok(_) => unreadable(msg),
            Err(not_read) => not_read.content(msg),
        },
        "contacts" => match read::<Vec<payload::SharedContact>>(&msg.contacts) {
            Ok(cards) if !cards.is_empty() => MessageContent::Contacts { cards: cards.into_iter().map(card).collect() },
            Ok(_) => unreadable(msg),
            Err(not_read) => not_read.content(msg),
        },
        // WhatsApp passes only that something came, and in newer payloads `unsupported.type`
        // (`poll_creation`, `edit` …); 360dialog also documents `type:"unknown"` (NOTES 4).
        "unsupported" | "unknown" => MessageContent::Withheld {
            kind: msg
                .unsupported
                .as_ref()
                .and_then(|u| u.get("type"))
                .and_then(|t| t.as_str())
                .map(str::to_owned)
                .filter(|t| !t.trim().is_empty()),
        },
        other => MessageContent::Unsupported { kind: other.to_owned() },
    };
    let content = forwarded(content, lenient::<payload::Context>(&msg.context).unwrap_or_default());
    let reply_to = reply_to(&msg.context);
    Ok(InboundMessage {
        id: msg.id.clone(),
        from,
        profile_name,
        timestamp: parse_timestamp(&msg.timestamp).map_err(WebhookError::BadRequest)?,
        content,
        origin,
        reply_to,
    })
}

/// A reply's `context.id` (the quoted message; `context.from` says who wrote it, which the
/// store's reference answers too). Read on its own so a malformed forward mark keeps the quote;
/// a forward carries no id.
fn reply_to(context: &Option<serde_json::Value>) -> Option<String> {
    let id = context.as_ref()?.get("id")?.as_str()?.trim();
    (!id.is_empty()).then(|| id.to_owned())
}

/// One of the leniently read objects of a message; None when absent or not of the expected shape.
fn lenient<T: serde::de::DeserializeOwned>(raw: &Option<serde_json::Value>) -> Option<T> {
    raw.as_ref().and_then(|v| T::deserialize(v).ok())
}

/// Why a leniently read object was not read.
enum NotRead {
    /// A known type that came without its object: content WhatsApp did not pass (Meta then
    /// reports an error on the change, e.g. 131000 "Unsupported webhook payload", pywa's
    /// `interactive_message_with_err`).
    Absent,
    /// An object of a shape the bridge does not expect: content the bridge cannot show.
    Malformed,
}

impl NotRead {
    fn content(self, msg: &payload::Message) -> MessageContent {
        match self {
            NotRead::Absent => MessageContent::Withheld { kind: Some(msg.kind.clone()) },
            NotRead::Malformed => unreadable(msg),
        }
    }
}

fn read<T: serde::de::DeserializeOwned>(raw: &Option<serde_json::Value>) -> Result<T, NotRead> {
    match raw {
        None | Some(serde_json::Value::Null) => Err(NotRead::Absent),
        Some(v) => T::deserialize(v).map_err(|_| NotRead::Malformed),
    }
}

fn unreadable(msg: &payload::Message) -> MessageContent {
    MessageContent::Unsupported { kind: msg.kind.clone() }
}

fn interactive(msg: &payload::Message, i: payload::Interactive) -> MessageContent {
    let reply = match i.kind.as_str() {
        "button_reply" => i.button_reply,
        "list_reply" => i.list_reply,
        // A Flow's answer (`nfm_reply`) and other kinds are not read (yet).
        other => return MessageContent::Unsupported { kind: other.to_owned() },
    };
    match reply {
        Some(r) if !r.title.trim().is_empty() || r.id.is_some() => MessageContent::Choice {
            title: r.title,
            description: r.description.filter(|d| !d.trim().is_empty()),
            payload: r.id.filter(|id| !id.is_empty()),
        },
        _ => unreadable(msg),
    }
}

fn card(c: payload::SharedContact) -> ContactCard {
    let name = c.name.unwrap_or_default();
    let joined = [name.first_name, name.middle_name, name.last_name]
        .into_iter()
        .flatten()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let formatted = name.formatted_name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    let org = c.org.unwrap_or_default();
    let company = [org.company, org.department]
        .into_iter()
        .flatten()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    let title = org.title.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    let organization = match (Some(company).filter(|c| !c.is_empty()), title) {
        (Some(c), Some(t)) => Some(format!("{c} · {t}")),
        (c, t) => c.or(t),
    };
    ContactCard {
        name: formatted.unwrap_or(joined),
        // The number as the card writes it, else the WhatsApp id it belongs to.
        phones: c
            .phones
            .into_iter()
            .filter_map(|p| {
                p.phone.filter(|n| !n.trim().is_empty()).or(p.wa_id.filter(|w| !w.is_empty()).map(|w| format!("+{w}")))
            })
            .collect(),
        emails: c.emails.into_iter().filter_map(|e| e.email).filter(|e| !e.trim().is_empty()).collect(),
        organization,
    }
}

/// The forward mark around what was forwarded; never around a file, whose hand-over to the
/// file relay reads `Media` at the top level.
fn forwarded(content: MessageContent, context: payload::Context) -> MessageContent {
    let marked = context.forwarded || context.frequently_forwarded;
    if !marked || matches!(content, MessageContent::Media { .. }) {
        return content;
    }
    MessageContent::Forwarded { frequently: context.frequently_forwarded, content: Box::new(content) }
}

/// None for states the bridge does not track (`deleted`, `warning` …).
fn normalize_status(st: payload::Status) -> Result<Option<StatusUpdate>, String> {
    let status = match st.status.as_str() {
        "sent" => DeliveryState::Sent,
        "delivered" => DeliveryState::Delivered,
        "read" => DeliveryState::Read,
        "failed" => DeliveryState::Failed,
        _ => return Ok(None),
    };
    let failure = st.errors.into_iter().next().map(|e| DeliveryFailure {
        kind: match e.code {
            // Re-engagement: the 24-hour window had closed (NOTES 2.6).
            Some(131047) => FailureKind::WindowClosed,
            // Undeliverable (the number may not use WhatsApp).
            Some(131026) => FailureKind::InvalidRecipient,
            _ => FailureKind::Other,
        },
        code: e.code.map(|c| c.to_string()),
        detail: e.title.unwrap_or_default(),
    });
    Ok(Some(StatusUpdate {
        timestamp: parse_timestamp(&st.timestamp)?,
        recipient: st.recipient_id.as_deref().and_then(|r| Phone::parse(r).ok()),
        failure: failure.filter(|_| status == DeliveryState::Failed),
        message_id: st.id,
        status,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn parse_one(message: Value) -> MessageContent {
        let body = json!({
            "object": "whatsapp_business_account",
            "entry": [{ "id": "1", "changes": [{ "field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": { "display_phone_number": "15550001111", "phone_number_id": "P1" },
                "contacts": [{ "profile": { "name": "Anna" }, "wa_id": "4915112345678" }],
                "messages": [message],
            }}]}],
        });
        let parsed = parse_cloud_api(body.to_string().as_bytes(), "P1").expect("parses");
        match parsed.events.into_iter().next() {
            Some(InboundEvent::Message(m)) => m.content,
            other => panic!("{other:?}"),
        }
    }

    fn message(kind: &str, fields: Value) -> Value {
        let mut m = json!({ "from": "4915112345678", "id": "wamid.1", "timestamp": "1700000000", "type": kind });
        for (k, v) in fields.as_object().unwrap() {
            m[k] = v.clone();
        }
        m
    }

    #[test]
    fn a_refused_item_keeps_its_envelope_alone_and_reads_the_same_again() {
        let good = message("text", json!({ "text": { "body": "hi" } }));
        let mut bad = message("text", json!({ "text": { "body": "secret words" } }));
        bad["id"] = json!("wamid.2");
        bad["timestamp"] = json!("1700000001.5");
        let failed_status = json!({ "id": "wamid.out", "status": "failed", "timestamp": "1700000002",
            "recipient_id": "4915112345678", "errors": [{ "title": "no code given" }] });
        let body = json!({
            "object": "whatsapp_business_account",
            "entry": [{ "id": "WABA", "changes": [{ "field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": { "display_phone_number": "15550001111", "phone_number_id": "P1" },
                "contacts": [{ "profile": { "name": "Anna" }, "wa_id": "4915112345678" }],
                "messages": [good, bad], "statuses": [failed_status],
            }}]}],
        });
        let parsed = parse_cloud_api(body.to_string().as_bytes(), "P1").expect("the envelope reads");
        assert_eq!(parsed.events.len(), 2, "the good message and the status without a code");
        assert!(parsed.events.iter().any(|e| matches!(e, InboundEvent::Status(s)
            if s.status == DeliveryState::Failed && s.failure.as_ref().is_some_and(|f| f.code.is_none()))));
        let [refused] = &parsed.rejected[..] else { panic!("{:?}", parsed.rejected) };
        assert_eq!(refused.reason, r#"timestamp "1700000001.5" is not Unix seconds"#);
        let kept: Value = serde_json::from_str(&refused.body).unwrap();
        let value = &kept["entry"][0]["changes"][0]["value"];
        assert_eq!(value["messages"].as_array().map(Vec::len), Some(1));
        assert_eq!(value["messages"][0]["id"], "wamid.2");
        assert!(value.get("statuses").is_none());
        assert_eq!(value["metadata"]["phone_number_id"], "P1");
        // Replayed, the same item is refused the same way, under the same body.
        let again = parse_cloud_api(refused.body.as_bytes(), "P1").unwrap();
        assert_eq!(again.rejected, parsed.rejected);
        assert!(again.events.is_empty());
    }

    #[test]
    fn button_and_list_replies_and_quick_replies_are_choices() {
        let button = message(
            "interactive",
            json!({ "interactive": { "type": "button_reply", "button_reply": { "id": "yes", "title": "Yes" } } }),
        );
        assert_eq!(
            parse_one(button),
            MessageContent::Choice { title: "Yes".into(), description: None, payload: Some("yes".into()) }
        );
        let row = json!({ "type": "list_reply", "list_reply": { "id": "r2", "title": "Tue", "description": "9-12" } });
        assert_eq!(
            parse_one(message("interactive", json!({ "interactive": row }))),
            MessageContent::Choice {
                title: "Tue".into(),
                description: Some("9-12".into()),
                payload: Some("r2".into())
            }
        );
        let quick = message("button", json!({ "button": { "payload": "STOP", "text": "Unsubscribe" } }));
        assert_eq!(
            parse_one(quick),
            MessageContent::Choice { title: "Unsubscribe".into(), description: None, payload: Some("STOP".into()) }
        );
    }

    #[test]
    fn shapes_the_bridge_does_not_expect_never_refuse_the_webhook() {
        // pywa's `interactive_message_with_err`: no interactive object at all.
        assert_eq!(
            parse_one(message("interactive", json!({}))),
            MessageContent::Withheld { kind: Some("interactive".into()) }
        );
        assert_eq!(
            parse_one(message("interactive", json!({ "interactive": { "type": "button_reply", "button_reply": 7 } }))),
            MessageContent::Unsupported { kind: "interactive".into() }
        );
        assert_eq!(
            parse_one(message("interactive", json!({ "interactive": { "type": "nfm_reply", "nfm_reply": {} } }))),
            MessageContent::Unsupported { kind: "nfm_reply".into() }
        );
        assert_eq!(
            parse_one(message("contacts", json!({ "contacts": "x" }))),
            MessageContent::Unsupported { kind: "contacts".into() }
        );
        assert_eq!(parse_one(message("button", json!({}))), MessageContent::Withheld { kind: Some("button".into()) });
        assert_eq!(
            parse_one(message("order", json!({ "order": {} }))),
            MessageContent::Unsupported { kind: "order".into() }
        );
        // A malformed context is no forward mark, and no refusal either.
        assert_eq!(
            parse_one(message("text", json!({ "text": { "body": "hi" }, "context": { "forwarded": "yes" } }))),
            MessageContent::Text { body: "hi".into() }
        );
    }

    #[test]
    fn contact_cards_keep_names_numbers_addresses_and_organisation() {
        let cards = json!([
            {
                "name": { "formatted_name": "Chandler Bing", "first_name": "Chandler" },
                "phones": [{ "phone": "+1 555-555-5555", "wa_id": "15555555555", "type": "CELL" }, { "wa_id": "15550000000" }],
                "emails": [{ "email": "c@bing.example", "type": "WORK" }],
                "org": { "company": "Acme", "department": "Data", "title": "Analyst" },
            },
            { "name": { "first_name": "Monica", "last_name": "Geller" } },
        ]);
        let expected = MessageContent::Contacts {
            cards: vec![
                ContactCard {
                    name: "Chandler Bing".into(),
                    phones: vec!["+1 555-555-5555".into(), "+15550000000".into()],
                    emails: vec!["c@bing.example".into()],
                    organization: Some("Acme, Data · Analyst".into()),
                },
                ContactCard { name: "Monica Geller".into(), ..Default::default() },
            ],
        };
        assert_eq!(parse_one(message("contacts", json!({ "contacts": cards }))), expected);
    }

    #[test]
    fn withheld_kinds_forwards_and_animated_stickers() {
        let errors = json!([{ "code": 131051, "title": "Message type unknown" }]);
        assert_eq!(
            parse_one(message("unsupported", json!({ "errors": errors, "unsupported": { "type": "poll_creation" } }))),
            MessageContent::Withheld { kind: Some("poll_creation".into()) }
        );
        assert_eq!(parse_one(message("unknown", json!({ "errors": errors }))), MessageContent::Withheld { kind: None });
        let fwd = message("text", json!({ "text": { "body": "chain" }, "context": { "frequently_forwarded": true } }));
        assert_eq!(
            parse_one(fwd),
            MessageContent::Forwarded {
                frequently: true,
                content: Box::new(MessageContent::Text { body: "chain".into() })
            }
        );
        // A forwarded file keeps its top-level `Media` (the file hand-over reads it there).
        let video = message(
            "video",
            json!({ "video": { "id": "m1", "mime_type": "video/mp4" }, "context": { "forwarded": true } }),
        );
        assert!(matches!(parse_one(video), MessageContent::Media { ref media_kind, .. } if media_kind == "video"));
        let animated =
            message("sticker", json!({ "sticker": { "id": "s1", "mime_type": "image/webp", "animated": true } }));
        assert!(
            matches!(parse_one(animated), MessageContent::Media { ref media_kind, .. } if media_kind == "animated_sticker")
        );
        let still =
            message("sticker", json!({ "sticker": { "id": "s2", "mime_type": "image/webp", "animated": false } }));
        assert!(matches!(parse_one(still), MessageContent::Media { ref media_kind, .. } if media_kind == "sticker"));
    }

    #[test]
    fn a_reply_names_the_quoted_message_and_a_forward_does_not() {
        let reply_of = |m: Value| {
            let body = json!({
                "object": "whatsapp_business_account",
                "entry": [{ "id": "1", "changes": [{ "field": "messages", "value": {
                    "messaging_product": "whatsapp",
                    "metadata": { "display_phone_number": "15550001111", "phone_number_id": "P1" },
                    "messages": [m],
                }}]}],
            });
            match parse_cloud_api(body.to_string().as_bytes(), "P1").expect("parses").events.into_iter().next() {
                Some(InboundEvent::Message(m)) => (m.reply_to, m.content),
                other => panic!("one message expected, got {other:?}"),
            }
        };
        let quoted = message(
            "text",
            json!({ "text": { "body": "yes" }, "context": { "from": "15550001111", "id": "wamid.quoted" } }),
        );
        assert_eq!(reply_of(quoted), (Some("wamid.quoted".into()), MessageContent::Text { body: "yes".into() }));
        let fwd = message("text", json!({ "text": { "body": "fw" }, "context": { "forwarded": true } }));
        assert!(matches!(reply_of(fwd), (None, MessageContent::Forwarded { .. })));
        let odd =
            message("text", json!({ "text": { "body": "x" }, "context": { "forwarded": "yes", "id": "wamid.q" } }));
        assert_eq!(reply_of(odd).0, Some("wamid.q".into()), "a malformed forward mark keeps the quote");
    }
}
