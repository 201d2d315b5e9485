//! Green-API's webhooks (NOTES 5.1–5.2), by `typeWebhook`: the customer's messages, what the
//! company wrote from the phone, delivery statuses; echoes of the bridge's own sends, state
//! changes and group chats are acknowledged and left alone.

use bridge_core::config::{GreenApiConfig, Secret};
use bridge_core::domain::{
    DeliveryFailure, DeliveryState, InboundEvent, InboundMessage, MediaRef, MessageContent, Origin, Phone, StatusUpdate,
};
use bridge_core::ports::{Parsed, ProviderWebhook, WebhookError, WebhookRequest};

use super::errors;
use super::payload::{MessageData, Notification};

pub struct GreenApiWebhook {
    id_instance: i64,
    token: Option<Secret>,
    allow_unauthenticated: bool,
}

impl GreenApiWebhook {
    pub fn new(cfg: &GreenApiConfig) -> Self {
        Self {
            id_instance: cfg.id_instance,
            token: cfg.webhook_url_token.clone().filter(|t| !t.expose().is_empty()),
            allow_unauthenticated: cfg.allow_unauthenticated_webhooks,
        }
    }
}

impl ProviderWebhook for GreenApiWebhook {
    /// `Authorization: Bearer <webhookUrlToken>`; the raw token is accepted too (the exact form
    /// is unconfirmed, NOTES 5.2). Without a configured token only an explicit waiver lets a
    /// webhook in.
    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), WebhookError> {
        let Some(token) = &self.token else {
            if self.allow_unauthenticated {
                return Ok(());
            }
            return Err(WebhookError::Unauthorized(
                "no webhookUrlToken is configured for this Green-API account (set one, or waive it explicitly)",
            ));
        };
        let presented = req
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(WebhookError::Unauthorized("missing Authorization"))?;
        let presented = presented.strip_prefix("Bearer ").unwrap_or(presented).trim();
        if token.matches(presented.as_bytes()) {
            Ok(())
        } else {
            Err(WebhookError::Unauthorized("invalid webhook token"))
        }
    }

    fn parse(&self, req: &WebhookRequest<'_>) -> Result<Parsed, WebhookError> {
        let n: Notification = serde_json::from_slice(req.body)
            .map_err(|e| WebhookError::BadRequest(format!("not a Green-API notification: {e}")))?;
        if let Some(inst) = &n.instance_data {
            // A notification of another instance must not land in this account.
            if inst.id_instance != self.id_instance {
                return Err(WebhookError::Forbidden("notification is for another Green-API instance"));
            }
        }
        let mut parsed = Parsed::default();
        match n.type_webhook.as_str() {
            "incomingMessageReceived" => push_message(&mut parsed, n, Origin::Customer)?,
            "outgoingMessageReceived" => push_message(&mut parsed, n, Origin::BusinessPhone)?,
            // The echo of the bridge's own send: acting on it would loop.
            "outgoingAPIMessageReceived" => parsed.ignored.push("echo of a message the bridge sent".into()),
            "outgoingMessageStatus" => match status(n)? {
                Some(s) => parsed.events.push(InboundEvent::Status(s)),
                None => parsed.ignored.push("a status the bridge does not track".into()),
            },
            other => parsed.ignored.push(format!("notification {other:?}")),
        }
        Ok(parsed)
    }
}

fn id(raw: Option<String>) -> Result<String, WebhookError> {
    raw.filter(|id| !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .ok_or_else(|| WebhookError::BadRequest("idMessage is missing or malformed".into()))
}

/// A person's chat id → their phone; None for groups.
fn person(chat_id: &str) -> Result<Option<Phone>, WebhookError> {
    if chat_id.ends_with("@g.us") {
        return Ok(None);
    }
    let digits = chat_id.strip_suffix("@c.us").unwrap_or(chat_id);
    Phone::parse(digits).map(Some).map_err(|e| WebhookError::BadRequest(format!("chatId: {e}")))
}

fn push_message(parsed: &mut Parsed, n: Notification, origin: Origin) -> Result<(), WebhookError> {
    let sender = n.sender_data.ok_or_else(|| WebhookError::BadRequest("message without senderData".into()))?;
    let Some(from) = person(&sender.chat_id)? else {
        parsed.ignored.push("a group chat message (groups are not bridged)".into());
        return Ok(());
    };
    let data = n.message_data.ok_or_else(|| WebhookError::BadRequest("message without messageData".into()))?;
    // The customer's name: theirs on their own messages, the chat's on the company's.
    let profile_name = match origin {
        Origin::Customer => sender.sender_name.or(sender.chat_name),
        Origin::BusinessPhone => sender.chat_name,
    }
    .filter(|n| !n.trim().is_empty());
    parsed.events.push(InboundEvent::Message(InboundMessage {
        id: id(n.id_message)?,
        from,
        profile_name,
        timestamp: n.timestamp,
        content: content(data)?,
        origin,
    }));
    Ok(())
}

fn content(data: MessageData) -> Result<MessageContent, WebhookError> {
    let missing = |what: &str| WebhookError::BadRequest(format!("{} without {what}", data.type_message));
    let media_kind = match data.type_message.as_str() {
        "imageMessage" => Some("image"),
        "videoMessage" => Some("video"),
        "audioMessage" => Some("audio"),
        "documentMessage" => Some("document"),
        "stickerMessage" => Some("sticker"),
        _ => None,
    };
    if let Some(kind) = media_kind {
        let f = data.file_message_data.as_ref().ok_or_else(|| missing("fileMessageData"))?;
        if f.download_url.is_empty() {
            return Err(missing("downloadUrl"));
        }
        return Ok(MessageContent::Media {
            media_kind: kind.to_owned(),
            media: MediaRef::Url(f.download_url.clone()),
            mime_type: f.mime_type.clone().filter(|m| !m.is_empty()),
            caption: f.caption.clone().filter(|c| !c.trim().is_empty()),
            filename: f.file_name.clone().filter(|n| !n.is_empty()),
        });
    }
    Ok(match data.type_message.as_str() {
        "textMessage" => MessageContent::Text {
            body: data.text_message_data.ok_or_else(|| missing("textMessageData"))?.text_message,
        },
        "extendedTextMessage" | "quotedMessage" => MessageContent::Text {
            body: data.extended_text_message_data.ok_or_else(|| missing("extendedTextMessageData"))?.text,
        },
        "locationMessage" => {
            let l = data.location_message_data.ok_or_else(|| missing("locationMessageData"))?;
            MessageContent::Location {
                latitude: l.latitude,
                longitude: l.longitude,
                name: l.name_location.filter(|n| !n.is_empty()),
                address: l.address.filter(|a| !a.is_empty()),
            }
        }
        "contactMessage" => {
            let c = data.contact_message_data.ok_or_else(|| missing("contactMessageData"))?;
            MessageContent::Text { body: crate::vcard::summary(&c.display_name, &c.vcard) }
        }
        "reactionMessage" => {
            let r = data.extended_text_message_data.ok_or_else(|| missing("extendedTextMessageData"))?;
            let to = data.quoted_message.and_then(|q| q.stanza_id).or(r.stanza_id).unwrap_or_default();
            MessageContent::Reaction { to_message_id: to, emoji: r.text }
        }
        other => MessageContent::Unsupported { kind: other.trim_end_matches("Message").to_owned() },
    })
}

/// `outgoingMessageStatus`; None for states the bridge does not track (`pending` …).
fn status(n: Notification) -> Result<Option<StatusUpdate>, WebhookError> {
    let raw = n.status.clone().unwrap_or_default();
    let state = match raw.as_str() {
        "sent" => DeliveryState::Sent,
        "delivered" => DeliveryState::Delivered,
        "read" => DeliveryState::Read,
        s if errors::failure_kind(s).is_some() => DeliveryState::Failed,
        _ => return Ok(None),
    };
    let failure = errors::failure_kind(&raw).map(|kind| DeliveryFailure {
        kind,
        code: Some(raw.clone()),
        detail: n.description.clone().filter(|d| !d.is_empty()).unwrap_or_else(|| errors::failure_detail(&raw).into()),
    });
    Ok(Some(StatusUpdate {
        message_id: id(n.id_message)?,
        status: state,
        recipient: n.chat_id.as_deref().and_then(|c| person(c).ok().flatten()),
        timestamp: n.timestamp,
        failure,
    }))
}
