//! Wazzup's webhooks (W1): the connection probe `{"test": true}`, `messages[]` (the customer's,
//! and `isEcho` ones the company sent from the phone or another Wazzup window) and `statuses[]`,
//! possibly in one request.

use bridge_core::config::{Secret, WazzupConfig};
use bridge_core::domain::{
    DeliveryFailure, DeliveryState, InboundEvent, InboundMessage, MediaRef, MessageContent, Origin, Phone, StatusUpdate,
};
use bridge_core::ports::{Parsed, ProviderWebhook, WebhookError, WebhookRequest};

use serde_json::json;

use super::errors;
use super::payload::{Message, Status, Webhook};
use crate::items;
use sha2::Digest;

pub struct WazzupWebhook {
    crm_key: Secret,
    channel_id: String,
}

impl WazzupWebhook {
    pub fn new(cfg: &WazzupConfig) -> Self {
        Self { crm_key: cfg.crm_key.clone(), channel_id: cfg.channel_id.clone() }
    }
}

/// The probe Wazzup posts when the webhook is connected; whether it carries the `crmKey` is
/// unconfirmed (W1), and answering it stores nothing, so it needs none. The probe is
/// `{"test": true}`: any longer body is not it and is not parsed here (that parse was a third
/// of a message's CPU).
fn is_probe(body: &[u8]) -> bool {
    const PROBE_MAX_BYTES: usize = 64;
    if body.len() > PROBE_MAX_BYTES {
        return false;
    }
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.as_object().cloned())
        .is_some_and(|o| o.len() == 1 && o.get("test") == Some(&serde_json::Value::Bool(true)))
}

impl ProviderWebhook for WazzupWebhook {
    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), WebhookError> {
        if is_probe(req.body) {
            return Ok(());
        }
        let presented = bridge_core::credentials::authorization(req.headers, "Bearer")?
            .ok_or(WebhookError::Unauthorized("missing Authorization"))?;
        if self.crm_key.expose().is_empty() || !self.crm_key.matches(presented.trim().as_bytes()) {
            return Err(WebhookError::Unauthorized("invalid crmKey"));
        }
        Ok(())
    }

    fn parse(&self, req: &WebhookRequest<'_>) -> Result<Parsed, WebhookError> {
        // Wazzup documents the content type as `application/json; charset-utf-8` (sic): only
        // the body is read.
        let hook: Webhook = serde_json::from_slice(req.body)
            .map_err(|e| WebhookError::BadRequest(format!("not a Wazzup webhook body: {}", items::serde_reason(&e))))?;
        let mut parsed = Parsed::default();
        if hook.test {
            parsed.ignored.push("the connection probe".into());
            return Ok(parsed);
        }
        let (mut ours, mut foreign) = (0usize, 0usize);
        for raw in hook.messages {
            let m: Message = match items::read_item(&raw, "message") {
                Ok(m) => m,
                Err(reason) => {
                    parsed.rejected.push(items::rejected(json!({ "messages": [raw] }), reason));
                    continue;
                }
            };
            if !m.channel_id.is_empty() && m.channel_id != self.channel_id {
                // Not this account's channel: never stored here (a misrouted webhook URL).
                foreign += 1;
                tracing::warn!("a message for another Wazzup channel was not stored in this account");
                parsed.ignored.push("a message for another Wazzup channel".into());
                continue;
            }
            ours += 1;
            if m.chat_type != "whatsapp" && m.chat_type != "wapi" {
                parsed.ignored.push(format!("a {:?} chat (only WhatsApp is bridged)", m.chat_type));
                continue;
            }
            match message(m) {
                Ok(m) => parsed.events.push(InboundEvent::Message(m)),
                Err(e) => parsed.rejected.push(items::rejected(json!({ "messages": [raw] }), reason(e))),
            }
        }
        for raw in hook.statuses {
            ours += 1;
            match items::read_item::<Status>(&raw, "status").and_then(|s| status(s).map_err(reason)) {
                Ok(Some(s)) => parsed.events.push(InboundEvent::Status(s)),
                Ok(None) => parsed.ignored.push("a status the bridge does not track".into()),
                Err(why) => parsed.rejected.push(items::rejected(json!({ "statuses": [raw] }), why)),
            }
        }
        if ours == 0 && foreign > 0 {
            return Err(WebhookError::Forbidden("message is for another Wazzup channel"));
        }
        Ok(parsed)
    }
}

/// A normalization error as a refused item's reason.
fn reason(e: WebhookError) -> String {
    match e {
        WebhookError::BadRequest(reason) => reason,
        other => other.to_string(),
    }
}

fn id(raw: &str) -> Result<String, WebhookError> {
    let ok = !raw.is_empty() && raw.len() <= 128 && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    ok.then(|| raw.to_owned()).ok_or_else(|| WebhookError::BadRequest("messageId is missing or malformed".into()))
}

/// ISO 8601 (`2025-05-06T14:18:00.001Z`) → Unix seconds.
fn unix(raw: &str) -> Result<i64, WebhookError> {
    time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|_| match raw.len() {
            // A time is short; anything longer is not one, and not repeated.
            0..=40 => WebhookError::BadRequest(format!("{raw:?} is not an ISO 8601 time")),
            _ => WebhookError::BadRequest("a time field is not an ISO 8601 time".into()),
        })
}

/// The file's name: the link's `filename` parameter (Wazzup's store links carry it, as the
/// samples show), else the last path segment when it has an extension.
fn file_name(uri: &str) -> Option<String> {
    let (path, query) = uri.split('#').next()?.split_once('?').unwrap_or((uri, ""));
    let named = form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "filename").map(|(_, v)| v.into_owned());
    let last = path.trim_end_matches('/').rsplit('/').next().filter(|l| l.contains('.')).map(str::to_owned);
    named.filter(|n| !n.trim().is_empty()).or(last).map(|n| n.replace(['/', '\\'], "_"))
}

fn message(m: Message) -> Result<InboundMessage, WebhookError> {
    let from = Phone::parse(&m.chat_id)
        .map_err(|_| WebhookError::BadRequest("chatId is not an international phone number (E.164)".into()))?;
    // Wazzup names an unknown contact by its number: that is no name.
    let profile_name =
        m.contact.as_ref().and_then(|c| c.name.clone()).filter(|n| !n.trim().is_empty() && n.trim() != m.chat_id);
    let text = m.text.clone().unwrap_or_default();
    let original = id(&m.message_id)?;
    // An edit or a deletion comes under the original's `messageId`: each gets an id of its own
    // (an edit's from its new text, so a second edit is not taken for a redelivery of the first).
    let (event_id, change) = if m.is_deleted {
        (format!("{original}:deleted"), Some(MessageContent::Deleted { original_id: original.clone() }))
    } else if m.is_edited {
        let digest = hex::encode(&sha2::Sha256::digest(text.as_bytes())[..8]);
        let edit = MessageContent::Edited { original_id: original.clone(), text: text.clone() };
        (format!("{original}:edit:{digest}"), Some(edit))
    } else {
        (original, None)
    };
    let reply_to = m
        .quoted_message
        .as_ref()
        .and_then(|q| q.get("messageId"))
        .and_then(|v| v.as_str())
        .filter(|id| !id.trim().is_empty())
        .map(str::to_owned);
    // A deleted file may come without its `contentUri`: the change is all that is read then.
    let content = match change {
        Some(change) => change,
        None => content(&m, text)?,
    };
    Ok(InboundMessage {
        id: event_id,
        from,
        profile_name,
        timestamp: unix(&m.date_time)?,
        content,
        origin: if m.is_echo { Origin::BusinessPhone } else { Origin::Customer },
        reply_to,
    })
}

fn content(m: &Message, text: String) -> Result<MessageContent, WebhookError> {
    Ok(match m.kind.as_str() {
        "text" => MessageContent::Text { body: text },
        "image" | "audio" | "video" | "document" => {
            let uri = m
                .content_uri
                .clone()
                .filter(|u| !u.is_empty())
                .ok_or_else(|| WebhookError::BadRequest(format!("{} message without contentUri", m.kind)))?;
            let name = file_name(&uri);
            // A WhatsApp sticker arrives as an image with a `.was` file (W1's example): an
            // animated sticker's format, so it goes as a file; a `.webp` one is a picture
            // (unconfirmed: W1 shows only `.was`).
            let lower = name.as_deref().map(str::to_ascii_lowercase).unwrap_or_default();
            let kind = match (m.kind.as_str(), lower.rsplit('.').next()) {
                (_, Some("was")) => "animated_sticker".to_owned(),
                ("image", Some("webp")) => "sticker".to_owned(),
                (kind, _) => kind.to_owned(),
            };
            MessageContent::Media {
                media_kind: kind,
                media: MediaRef::Url(uri),
                mime_type: None,
                caption: Some(text).filter(|t| !t.trim().is_empty()),
                filename: name,
            }
        }
        // The vCard(s) in `text` (unconfirmed: W1 names the type but shows no body).
        "vcard" => MessageContent::Contacts { cards: crate::vcard::cards(&text) },
        // The fields of `geo` are not in W1's table (unconfirmed): its text is kept as it came.
        "geo" => MessageContent::Text { body: format!("📍 {text}") },
        "missing_call" => MessageContent::Text { body: "📞 Missed call".into() },
        // What Wazzup (or WhatsApp) does not pass on (W1's type list).
        "unsupported" | "unknown" => MessageContent::Withheld { kind: None },
        other => MessageContent::Unsupported { kind: other.to_owned() },
    })
}

/// `statuses[]`; None for states the bridge does not track (`edited` …).
fn status(s: Status) -> Result<Option<StatusUpdate>, WebhookError> {
    let state = match s.status.as_str() {
        "sent" => DeliveryState::Sent,
        "delivered" => DeliveryState::Delivered,
        "read" => DeliveryState::Read,
        "error" => DeliveryState::Failed,
        _ => return Ok(None),
    };
    let failure = (state == DeliveryState::Failed).then(|| {
        let e = s.error.as_ref();
        let code = e.map(|e| e.error.clone()).filter(|c| !c.is_empty());
        DeliveryFailure {
            kind: errors::failure_kind(code.as_deref().unwrap_or("")),
            code,
            detail: e.map(|e| e.description.clone()).unwrap_or_default(),
        }
    });
    Ok(Some(StatusUpdate {
        message_id: id(&s.message_id)?,
        status: state,
        recipient: None,
        timestamp: s.timestamp.as_deref().map(unix).transpose()?.unwrap_or(0),
        failure,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bridge_core::domain::ContactCard;
    use serde_json::json;

    fn read(kind: &str, extra: serde_json::Value) -> MessageContent {
        let mut m = json!({ "messageId": "00000000-0000-4000-8000-0000000000a1", "dateTime": "2025-05-06T14:18:00.001Z",
            "channelId": "c", "chatType": "whatsapp", "chatId": "79000000001", "type": kind, "isEcho": false });
        for (k, v) in extra.as_object().unwrap() {
            m[k] = v.clone();
        }
        message(serde_json::from_value(m).expect("item")).expect("reads").content
    }

    #[test]
    fn cards_stickers_and_withheld_content() {
        let vcard = read("vcard", json!({ "text": "BEGIN:VCARD\nFN:Anna\nTEL:+7 900 000\nEND:VCARD" }));
        assert_eq!(
            vcard,
            MessageContent::Contacts {
                cards: vec![ContactCard {
                    name: "Anna".into(),
                    phones: vec!["+7 900 000".into()],
                    ..Default::default()
                }]
            }
        );
        let was = read("image", json!({ "contentUri": "https://store.wazzup24.com/x/?filename=a.was" }));
        assert!(matches!(was, MessageContent::Media { ref media_kind, .. } if media_kind == "animated_sticker"));
        let webp = read("image", json!({ "contentUri": "https://store.wazzup24.com/x/?filename=a.webp" }));
        assert!(matches!(webp, MessageContent::Media { ref media_kind, .. } if media_kind == "sticker"));
        assert_eq!(read("unsupported", json!({})), MessageContent::Withheld { kind: None });
        assert_eq!(read("unknown", json!({})), MessageContent::Withheld { kind: None });
        assert_eq!(read("wapi_template", json!({})), MessageContent::Unsupported { kind: "wapi_template".into() });
    }

    #[test]
    fn edits_and_deletions_get_ids_of_their_own_and_quotes_are_read() {
        let full = |extra: serde_json::Value| {
            let mut m = json!({ "messageId": "00000000-0000-4000-8000-0000000000a1", "dateTime": "2025-05-06T14:18:00.001Z",
                "channelId": "c", "chatType": "whatsapp", "chatId": "79000000001", "type": "text", "isEcho": false });
            for (k, v) in extra.as_object().unwrap() {
                m[k] = v.clone();
            }
            message(serde_json::from_value(m).expect("item")).expect("reads")
        };
        let original = "00000000-0000-4000-8000-0000000000a1";
        let edit = full(json!({ "text": "new words", "isEdited": true, "oldInfo": { "oldText": "old words" } }));
        assert_eq!(edit.content, MessageContent::Edited { original_id: original.into(), text: "new words".into() });
        assert!(edit.id.starts_with(&format!("{original}:edit:")), "{}", edit.id);
        let again = full(json!({ "text": "newer words", "isEdited": true }));
        assert_ne!(again.id, edit.id, "a second edit is no redelivery of the first");
        assert_eq!(full(json!({ "text": "new words", "isEdited": true })).id, edit.id, "a redelivery is");
        // A deleted file may come without its link.
        let gone = full(json!({ "type": "image", "isDeleted": true }));
        assert_eq!(
            (gone.id, gone.content),
            (format!("{original}:deleted"), MessageContent::Deleted { original_id: original.into() })
        );
        let quoted = full(json!({ "text": "yes", "quotedMessage": { "messageId": "q-1", "text": "which one?" } }));
        assert_eq!((quoted.id.as_str(), quoted.reply_to.as_deref()), (original, Some("q-1")));
    }
}
