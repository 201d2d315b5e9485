use hmac::{Hmac, KeyInit, Mac};
use http::HeaderMap;
use sha2::Sha256;

use super::payload::{self, Envelope};
use bridge_core::config::{MetaConfig, Secret};
use bridge_core::domain::{
    DeliveryFailure, DeliveryState, FailureKind, InboundEvent, InboundMessage, MediaRef, MessageContent, Origin, Phone,
    StatusUpdate,
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
pub(crate) fn parse_cloud_api(body: &[u8], phone_number_id: &str) -> Result<Parsed, WebhookError> {
    let envelope: Envelope = serde_json::from_slice(body)
        .map_err(|e| WebhookError::BadRequest(format!("not a Cloud API webhook body: {e}")))?;
    if envelope.object != "whatsapp_business_account" {
        return Err(WebhookError::BadRequest(format!("unexpected object {:?}", envelope.object)));
    }
    let mut parsed = Parsed::default();
    for change in envelope.entry.into_iter().flat_map(|e| e.changes) {
        // Other fields (account updates, templates, history…) are not conversation content.
        let known = matches!(change.field.as_str(), "messages" | "smb_message_echoes");
        let Some(value) = change.value.filter(|_| known) else {
            parsed.ignored.push(format!("change of field {:?}", change.field));
            continue;
        };
        if let Some(meta) = &value.metadata {
            // A payload for another business number must not land in this account.
            if meta.phone_number_id != phone_number_id {
                return Err(WebhookError::Forbidden("payload is for another phone_number_id"));
            }
        }
        for msg in &value.messages {
            parsed.events.push(InboundEvent::Message(normalize_message(msg, &value.contacts, Origin::Customer)?));
        }
        for echo in &value.message_echoes {
            parsed.events.push(InboundEvent::Message(normalize_message(echo, &[], Origin::BusinessPhone)?));
        }
        for st in value.statuses {
            match normalize_status(st)? {
                Some(status) => parsed.events.push(InboundEvent::Status(status)),
                None => parsed.ignored.push("a status the bridge does not track".into()),
            }
        }
    }
    Ok(parsed)
}

/// `X-Hub-Signature-256` over the raw body (360dialog reuses Meta's shapes, not this check).
fn verify_signature(app_secret: &Secret, headers: &HeaderMap, body: &[u8]) -> Result<(), WebhookError> {
    let header = headers.get("x-hub-signature-256").ok_or(WebhookError::Unauthorized("missing X-Hub-Signature-256"))?;
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

fn parse_timestamp(raw: &str) -> Result<i64, WebhookError> {
    raw.parse().map_err(|_| WebhookError::BadRequest(format!("timestamp {raw:?} is not Unix seconds")))
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
    let from = Phone::parse(customer).map_err(|e| WebhookError::BadRequest(e.to_string()))?;
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
    Ok(InboundMessage {
        id: msg.id.clone(),
        from,
        profile_name,
        timestamp: parse_timestamp(&msg.timestamp)?,
        content,
        origin,
    })
}

/// None for states the bridge does not track (`deleted`, `warning` …).
fn normalize_status(st: payload::Status) -> Result<Option<StatusUpdate>, WebhookError> {
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
            131047 => FailureKind::WindowClosed,
            // Undeliverable (the number may not use WhatsApp).
            131026 => FailureKind::InvalidRecipient,
            _ => FailureKind::Other,
        },
        code: Some(e.code.to_string()),
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
