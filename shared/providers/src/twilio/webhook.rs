//! Twilio's webhooks (NOTES 3.1–3.2): form bodies; inbound messages on the main route, status
//! callbacks on `/status` (the bridge names that URL in every send).

use bridge_core::config::{Secret, TwilioConfig};
use bridge_core::domain::{
    unix_now, DeliveryFailure, DeliveryState, InboundEvent, InboundMessage, MediaRef, MessageContent, Origin, Phone,
    StatusUpdate,
};
use bridge_core::ports::{Ack, Parsed, ProviderWebhook, Rejected, WebhookError, WebhookRequest, WebhookRoute};

use super::{errors, signature, strip_channel};

pub struct TwilioWebhook {
    account_sid: String,
    auth_token: Secret,
}

impl TwilioWebhook {
    pub fn new(cfg: &TwilioConfig) -> Self {
        Self { account_sid: cfg.account_sid.clone(), auth_token: cfg.auth_token.clone() }
    }
}

type Params = Vec<(String, String)>;

fn get<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
}

fn required<'a>(params: &'a Params, name: &'static str) -> Result<&'a str, WebhookError> {
    get(params, name).ok_or_else(|| WebhookError::BadRequest(format!("missing {name}")))
}

/// Message SIDs are `SM`/`MM` + 32 hex; anything else is not Twilio's.
fn sid(params: &Params) -> Result<String, WebhookError> {
    let sid = required(params, "MessageSid")?;
    if sid.len() > 64 || !sid.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(WebhookError::BadRequest("MessageSid is not a Twilio SID".into()));
    }
    Ok(sid.to_owned())
}

fn phone(params: &Params, name: &'static str) -> Result<Phone, WebhookError> {
    Phone::parse(strip_channel(required(params, name)?))
        .map_err(|_| WebhookError::BadRequest(format!("{name} is not an international phone number (E.164)")))
}

impl ProviderWebhook for TwilioWebhook {
    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), WebhookError> {
        let presented = bridge_core::credentials::single(req.headers, "x-twilio-signature")?
            .and_then(|v| v.to_str().ok())
            .ok_or(WebhookError::Unauthorized("missing X-Twilio-Signature"))?;
        // Twilio signs the URL it called; without the configured public URL nothing can match.
        let Some(url) = req.public_url else {
            tracing::error!("Twilio webhook refused: no public URL configured (BRIDGE_PUBLIC_URL)");
            return Err(WebhookError::Unauthorized("the bridge has no public URL configured to verify Twilio against"));
        };
        let params: Vec<_> = form_urlencoded::parse(req.body).collect();
        if !signature::verify(self.auth_token.expose(), url, &params, presented) {
            return Err(WebhookError::Unauthorized("invalid X-Twilio-Signature"));
        }
        Ok(())
    }

    fn parse(&self, req: &WebhookRequest<'_>) -> Result<Parsed, WebhookError> {
        let params: Params = form_urlencoded::parse(req.body).into_owned().collect();
        // A request signed for another Twilio account must not land in this one.
        if get(&params, "AccountSid").is_some_and(|a| a != self.account_sid) {
            return Err(WebhookError::Forbidden("payload is for another Twilio account"));
        }
        // One message (or status) per request: the envelope is a form naming a message SID
        // (else 400); a message that then does not read is refused as an item, never lost.
        if get(&params, "MessageSid").is_none() && get(&params, "SmsSid").is_none() {
            return Err(WebhookError::BadRequest("not a Twilio webhook: no MessageSid".into()));
        }
        let mut parsed = Parsed::default();
        let is_status = req.route == WebhookRoute::Status
            || (get(&params, "MessageStatus").is_some() && get(&params, "SmsStatus") != Some("received"));
        let read = if is_status {
            status(&params).map(|s| match s {
                Some(s) => parsed.events.push(InboundEvent::Status(s)),
                None => parsed.ignored.push(format!("status {:?}", get(&params, "MessageStatus").unwrap_or(""))),
            })
        } else {
            messages(&params).map(|m| parsed.events.extend(m.into_iter().map(InboundEvent::Message)))
        };
        if let Err(e) = read {
            let reason = match e {
                WebhookError::BadRequest(reason) => reason,
                other => other.to_string(),
            };
            parsed.rejected.push(Rejected { body: String::from_utf8_lossy(req.body).into_owned(), reason });
        }
        Ok(parsed)
    }

    fn ack(&self) -> Ack {
        Ack::EmptyTwiml
    }

    fn has_status_route(&self) -> bool {
        true
    }
}

fn media_kind(content_type: &str) -> &'static str {
    match content_type.split('/').next().unwrap_or("") {
        "image" => "image",
        "video" => "video",
        "audio" => "audio",
        _ => "document",
    }
}

/// One inbound webhook → its messages. Several media in one Twilio message become one message
/// each (`MM…`, `MM…-1`, …) so each file gets its comment; the caption goes with the first.
fn messages(params: &Params) -> Result<Vec<InboundMessage>, WebhookError> {
    let id = sid(params)?;
    let from = phone(params, "From")?;
    let profile_name = get(params, "ProfileName").map(str::to_owned);
    // Twilio's inbound webhook carries no send time: the arrival time stands in for it.
    let timestamp = unix_now();
    let body = get(params, "Body").unwrap_or("");
    let message = |id: String, content| InboundMessage {
        id,
        from: from.clone(),
        profile_name: profile_name.clone(),
        timestamp,
        content,
        origin: Origin::Customer,
        reply_to: None,
    };
    let num_media: usize = get(params, "NumMedia").unwrap_or("0").parse().map_err(|_| bad("NumMedia"))?;
    if num_media > 10 {
        return Err(bad("NumMedia"));
    }
    if num_media > 0 {
        let mut out = Vec::with_capacity(num_media);
        for k in 0..num_media {
            let url = get(params, &format!("MediaUrl{k}")).ok_or_else(|| bad("MediaUrlN"))?;
            let mime = get(params, &format!("MediaContentType{k}")).map(str::to_owned);
            // A sticker is an `image/webp` picture; whether Twilio ever says `MessageType=sticker`
            // is unconfirmed (its docs list no such value): honoured when it does.
            let kind = match (get(params, "MessageType"), media_kind(mime.as_deref().unwrap_or(""))) {
                (Some("sticker"), "image") => "sticker",
                (_, kind) => kind,
            };
            let content = MessageContent::Media {
                media_kind: kind.to_owned(),
                media: MediaRef::Url(url.to_owned()),
                mime_type: mime,
                caption: Some(body.to_owned()).filter(|b| k == 0 && !b.is_empty()),
                filename: None,
            };
            out.push(message(if k == 0 { id.clone() } else { format!("{id}-{k}") }, content));
        }
        return Ok(out);
    }
    let content = if let (Some(lat), Some(lon)) = (get(params, "Latitude"), get(params, "Longitude")) {
        MessageContent::Location {
            latitude: lat.parse().map_err(|_| bad("Latitude"))?,
            longitude: lon.parse().map_err(|_| bad("Longitude"))?,
            name: get(params, "Label").map(str::to_owned),
            address: get(params, "Address").map(str::to_owned),
        }
    } else if let Some(button) = get(params, "ButtonText") {
        // A tap on a quick-reply or reply button: `ButtonText` is what the button says,
        // `ButtonPayload` its id, `Body` repeats the text (a published capture and integrations'
        // typed models; Twilio's parameter table itself could not be read: unconfirmed).
        MessageContent::Choice {
            title: button.to_owned(),
            description: None,
            payload: get(params, "ButtonPayload").map(str::to_owned),
        }
    } else if let Some(row) = get(params, "ListId") {
        // A list row: `ListId` is the row's id; its title in `ListTitle`, else in `Body`
        // (unconfirmed: seen in integrations' code, not in Twilio's parameter table).
        let title = get(params, "ListTitle").or(Some(body).filter(|b| !b.is_empty())).unwrap_or(row);
        MessageContent::Choice { title: title.to_owned(), description: None, payload: Some(row.to_owned()) }
    } else if !body.is_empty() {
        MessageContent::Text { body: body.to_owned() }
    } else {
        match get(params, "MessageType") {
            // What WhatsApp does not pass on (unconfirmed: the value Twilio uses is not documented).
            Some("unsupported") | Some("unknown") => MessageContent::Withheld { kind: None },
            kind => MessageContent::Unsupported { kind: kind.unwrap_or("unknown").to_owned() },
        }
    };
    // `Forwarded` / `FrequentlyForwarded` are `true` on forwards (integrations' typed models of
    // Twilio's WhatsApp parameters: unconfirmed against Twilio's table); files carry no mark
    // (their hand-over reads `Media` at the top level).
    let frequently = get(params, "FrequentlyForwarded").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let forwarded = frequently || get(params, "Forwarded").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let content =
        if forwarded { MessageContent::Forwarded { frequently, content: Box::new(content) } } else { content };
    Ok(vec![message(id, content)])
}

fn bad(name: &str) -> WebhookError {
    WebhookError::BadRequest(format!("{name} is malformed"))
}

/// A status callback; None for the states before `sent` (queued, accepted, sending …).
fn status(params: &Params) -> Result<Option<StatusUpdate>, WebhookError> {
    let state = match required(params, "MessageStatus")? {
        "sent" => DeliveryState::Sent,
        "delivered" => DeliveryState::Delivered,
        "read" => DeliveryState::Read,
        "failed" | "undelivered" => DeliveryState::Failed,
        _ => return Ok(None),
    };
    let code: Option<i64> = get(params, "ErrorCode").and_then(|c| c.parse().ok());
    let failure = (state == DeliveryState::Failed).then(|| DeliveryFailure {
        kind: errors::delivery_failure_kind(code),
        code: code.map(|c| c.to_string()),
        detail: get(params, "ErrorMessage").unwrap_or("").to_owned(),
    });
    Ok(Some(StatusUpdate {
        message_id: sid(params)?,
        status: state,
        recipient: get(params, "To").and_then(|t| Phone::parse(strip_channel(t)).ok()),
        // Status callbacks carry no time either.
        timestamp: unix_now(),
        failure,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(extra: &[(&str, &str)]) -> MessageContent {
        let params: Params = [
            ("MessageSid", "SM0123456789abcdef0123456789abcdef"),
            ("From", "whatsapp:+4915112345678"),
            ("NumMedia", "0"),
        ]
        .iter()
        .chain(extra)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        messages(&params).expect("reads").remove(0).content
    }

    #[test]
    fn buttons_and_list_rows_are_choices() {
        let quick = read(&[("MessageType", "button"), ("Body", "Yes"), ("ButtonText", "Yes"), ("ButtonPayload", "Y1")]);
        assert_eq!(
            quick,
            MessageContent::Choice { title: "Yes".into(), description: None, payload: Some("Y1".into()) }
        );
        let row = read(&[("MessageType", "interactive"), ("Body", "Tuesday"), ("ListId", "tue")]);
        assert_eq!(
            row,
            MessageContent::Choice { title: "Tuesday".into(), description: None, payload: Some("tue".into()) }
        );
        let titled = read(&[("ListId", "tue"), ("ListTitle", "Tue 9-12"), ("Body", "Tuesday")]);
        assert!(matches!(titled, MessageContent::Choice { ref title, .. } if title == "Tue 9-12"));
    }

    #[test]
    fn forwards_are_marked_and_withheld_content_says_so() {
        let fwd = read(&[("Body", "chain"), ("Forwarded", "true"), ("FrequentlyForwarded", "true")]);
        assert_eq!(
            fwd,
            MessageContent::Forwarded {
                frequently: true,
                content: Box::new(MessageContent::Text { body: "chain".into() })
            }
        );
        assert_eq!(read(&[("Body", "x"), ("Forwarded", "false")]), MessageContent::Text { body: "x".into() });
        assert_eq!(read(&[("MessageType", "unsupported")]), MessageContent::Withheld { kind: None });
        assert_eq!(read(&[("MessageType", "order")]), MessageContent::Unsupported { kind: "order".into() });
    }
}
