use hmac::{Hmac, KeyInit, Mac};
use http::HeaderMap;
use sha2::Sha256;

use super::payload::{self, Envelope};
use bridge_core::config::{MetaConfig, Secret};
use bridge_core::domain::{InboundEvent, InboundMessage, MessageContent, Phone, StatusUpdate};
use bridge_core::ports::{ProviderWebhook, WebhookError};

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
    fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), WebhookError> {
        let header =
            headers.get("x-hub-signature-256").ok_or(WebhookError::Unauthorized("missing X-Hub-Signature-256"))?;
        let hex_sig = header
            .to_str()
            .ok()
            .and_then(|v| v.trim().strip_prefix("sha256="))
            .ok_or(WebhookError::Unauthorized("malformed X-Hub-Signature-256"))?;
        let sig = hex::decode(hex_sig).map_err(|_| WebhookError::Unauthorized("malformed X-Hub-Signature-256"))?;
        let mut mac = Hmac::<Sha256>::new_from_slice(self.app_secret.expose().as_bytes())
            .map_err(|_| WebhookError::Unauthorized("unusable app secret"))?;
        mac.update(body);
        // verify_slice compares in constant time.
        mac.verify_slice(&sig).map_err(|_| WebhookError::Unauthorized("invalid X-Hub-Signature-256"))
    }

    fn parse(&self, body: &[u8]) -> Result<Vec<InboundEvent>, WebhookError> {
        let envelope: Envelope = serde_json::from_slice(body)
            .map_err(|e| WebhookError::BadRequest(format!("not a Meta webhook body: {e}")))?;
        if envelope.object != "whatsapp_business_account" {
            return Err(WebhookError::BadRequest(format!("unexpected object {:?}", envelope.object)));
        }
        let mut events = Vec::new();
        for change in envelope.entry.into_iter().flat_map(|e| e.changes) {
            // Other fields (account updates, templates…) are not conversation content.
            let Some(value) = change.value.filter(|_| change.field == "messages") else { continue };
            if let Some(meta) = &value.metadata {
                // A payload for another business number must not land in this account.
                if meta.phone_number_id != self.phone_number_id {
                    return Err(WebhookError::Forbidden("payload is for another phone_number_id"));
                }
            }
            for msg in &value.messages {
                events.push(InboundEvent::Message(normalize_message(msg, &value.contacts)?));
            }
            for st in value.statuses {
                events.push(InboundEvent::Status(normalize_status(st)?));
            }
        }
        Ok(events)
    }

    fn handshake(&self, query: &[(String, String)]) -> Result<String, WebhookError> {
        let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        if get("hub.mode") != Some("subscribe") {
            return Err(WebhookError::BadRequest("hub.mode must be subscribe".into()));
        }
        let token = get("hub.verify_token").ok_or(WebhookError::Forbidden("missing hub.verify_token"))?;
        if !self.verify_token.matches(token.as_bytes()) {
            return Err(WebhookError::Forbidden("hub.verify_token does not match"));
        }
        get("hub.challenge").map(str::to_owned).ok_or_else(|| WebhookError::BadRequest("missing hub.challenge".into()))
    }
}

fn parse_timestamp(raw: &str) -> Result<i64, WebhookError> {
    raw.parse().map_err(|_| WebhookError::BadRequest(format!("timestamp {raw:?} is not Unix seconds")))
}

fn normalize_message(msg: &payload::Message, contacts: &[payload::Contact]) -> Result<InboundMessage, WebhookError> {
    let from = Phone::parse(&msg.from).map_err(|e| WebhookError::BadRequest(e.to_string()))?;
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
            media_id: m.id.clone(),
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
        "sticker" => media("sticker", &msg.sticker)?,
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
        other => MessageContent::Unsupported { kind: other.to_owned() },
    };
    Ok(InboundMessage { id: msg.id.clone(), from, profile_name, timestamp: parse_timestamp(&msg.timestamp)?, content })
}

fn normalize_status(st: payload::Status) -> Result<StatusUpdate, WebhookError> {
    Ok(StatusUpdate {
        timestamp: parse_timestamp(&st.timestamp)?,
        recipient: st.recipient_id.as_deref().and_then(|r| Phone::parse(r).ok()),
        errors: st.errors.into_iter().map(|e| (e.code, e.title.unwrap_or_default())).collect(),
        message_id: st.id,
        status: st.status,
    })
}
