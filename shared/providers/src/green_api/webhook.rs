//! Green-API's webhooks (NOTES 5.1–5.2), by `typeWebhook`: the customer's messages, what the
//! company wrote from the phone, delivery statuses; echoes of the bridge's own sends, state
//! changes and group chats are acknowledged and left alone.

use bridge_core::config::{GreenApiConfig, Secret};
use bridge_core::credentials;
use bridge_core::domain::{
    DeliveryFailure, DeliveryState, InboundEvent, InboundMessage, MediaRef, MessageContent, Origin, Phone, StatusUpdate,
};
use bridge_core::ports::{Parsed, ProviderWebhook, Rejected, WebhookError, WebhookRequest};

use super::errors;
use super::payload::{
    ArrayContact, ButtonsResponse, DeletedData, EditedData, ListResponse, MessageData, Notification, PollData,
    TemplateButtonReply,
};
use crate::items;
use serde::Deserialize;

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
        let presented = credentials::single(req.headers, "authorization")?
            .and_then(|v| v.to_str().ok())
            .ok_or(WebhookError::Unauthorized("missing Authorization"))?
            .trim();
        // `Bearer <token>` (scheme in any case), or the bare token as some setups send it.
        let presented = match presented.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ => presented,
        };
        if token.matches(presented.as_bytes()) {
            Ok(())
        } else {
            Err(WebhookError::Unauthorized("invalid webhook token"))
        }
    }

    fn parse(&self, req: &WebhookRequest<'_>) -> Result<Parsed, WebhookError> {
        // One notification per request: the envelope is a JSON object naming its `typeWebhook`
        // (else 400); a notification of a known type that does not read is refused as an item.
        let raw: serde_json::Value = serde_json::from_slice(req.body).map_err(|e| {
            WebhookError::BadRequest(format!("not a Green-API notification: {}", items::serde_reason(&e)))
        })?;
        if !raw.get("typeWebhook").is_some_and(serde_json::Value::is_string) {
            return Err(WebhookError::BadRequest("not a Green-API notification: no typeWebhook".into()));
        }
        if let Some(inst) = raw.get("instanceData").and_then(|i| i.get("idInstance")) {
            // A notification of another instance must not land in this account.
            if inst.as_i64() != Some(self.id_instance) {
                return Err(WebhookError::Forbidden("notification is for another Green-API instance"));
            }
        }
        let mut parsed = Parsed::default();
        // The body is the one item: kept byte for byte (re-serialized JSON could differ, e.g. a
        // number beyond 64 bits, and a replay must read exactly what came).
        let whole = || String::from_utf8_lossy(req.body).into_owned();
        let n: Notification = match items::read_item(&raw, "notification") {
            Ok(n) => n,
            Err(reason) => {
                parsed.rejected.push(Rejected { body: whole(), reason });
                return Ok(parsed);
            }
        };
        let read = match n.type_webhook.as_str() {
            "incomingMessageReceived" => push_message(&mut parsed, n, Origin::Customer),
            "outgoingMessageReceived" => push_message(&mut parsed, n, Origin::BusinessPhone),
            // The echo of the bridge's own send: acting on it would loop.
            "outgoingAPIMessageReceived" => {
                parsed.ignored.push("echo of a message the bridge sent".into());
                Ok(())
            }
            "outgoingMessageStatus" => status(n).map(|s| match s {
                Some(s) => parsed.events.push(InboundEvent::Status(s)),
                None => parsed.ignored.push("a status the bridge does not track".into()),
            }),
            other => {
                parsed.ignored.push(format!("notification {other:?}"));
                Ok(())
            }
        };
        if let Err(e) = read {
            let reason = match e {
                WebhookError::BadRequest(reason) => reason,
                other => other.to_string(),
            };
            parsed.rejected.push(Rejected { body: whole(), reason });
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
    Phone::parse(digits)
        .map(Some)
        .map_err(|_| WebhookError::BadRequest("chatId is not an international phone number (E.164)".into()))
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
    // `quotedMessage.stanzaId`: the message a reply quotes (a reaction's is its target instead).
    let reply_to = match data.type_message.as_str() {
        "reactionMessage" | "editedMessage" | "deletedMessage" => None,
        _ => data.quoted_message.as_ref().and_then(|q| q.stanza_id.clone()).filter(|id| !id.trim().is_empty()),
    };
    parsed.events.push(InboundEvent::Message(InboundMessage {
        id: id(n.id_message)?,
        from,
        profile_name,
        timestamp: n.timestamp,
        content: content(data, sender.sender.as_deref().unwrap_or(&sender.chat_id))?,
        origin,
        reply_to,
    }));
    Ok(())
}

fn content(data: MessageData, writer: &str) -> Result<MessageContent, WebhookError> {
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
        // Animated stickers go as files: Planfix shows no animation.
        let kind = if kind == "sticker" && truthy(&f.is_animated) { "animated_sticker" } else { kind };
        return Ok(MessageContent::Media {
            media_kind: kind.to_owned(),
            media: MediaRef::Url(f.download_url.clone()),
            mime_type: f.mime_type.clone().filter(|m| !m.is_empty()),
            caption: f.caption.clone().filter(|c| !c.trim().is_empty()),
            filename: f.file_name.clone().filter(|n| !n.is_empty()),
        });
    }
    let kind = data.type_message.trim_end_matches("Message").to_owned();
    let mut forward = Forward::of(&data.is_forwarded, &data.forwarding_score);
    let content = match data.type_message.as_str() {
        "textMessage" => {
            let t = data.text_message_data.ok_or_else(|| missing("textMessageData"))?;
            forward = forward.or(Forward::of(&t.is_forwarded, &t.forwarding_score));
            MessageContent::Text { body: t.text_message }
        }
        "extendedTextMessage" | "quotedMessage" => {
            let t = data.extended_text_message_data.ok_or_else(|| missing("extendedTextMessageData"))?;
            forward = forward.or(Forward::of(&t.is_forwarded, &t.forwarding_score));
            MessageContent::Text { body: t.text }
        }
        "locationMessage" => {
            let l = data.location_message_data.ok_or_else(|| missing("locationMessageData"))?;
            forward = forward.or(Forward::of(&l.is_forwarded, &l.forwarding_score));
            MessageContent::Location {
                latitude: l.latitude,
                longitude: l.longitude,
                name: l.name_location.filter(|n| !n.is_empty()),
                address: l.address.filter(|a| !a.is_empty()),
            }
        }
        "contactMessage" => {
            let c = data.contact_message_data.ok_or_else(|| missing("contactMessageData"))?;
            forward = forward.or(Forward::of(&c.is_forwarded, &c.forwarding_score));
            MessageContent::Contacts { cards: vec![crate::vcard::card(&c.display_name, &c.vcard)] }
        }
        // The field table puts the cards in `messageData.contacts`, the docs' example in
        // `messageData.messageData.contacts` (with the forward marks beside them): both are read.
        "contactsArrayMessage" => {
            let nested = data.message_data.as_ref();
            let cards = data
                .contacts
                .as_ref()
                .or_else(|| nested.and_then(|m| m.get("contacts")))
                .and_then(|c| Vec::<ArrayContact>::deserialize(c).ok())
                .filter(|c| !c.is_empty());
            if let Some(m) = nested {
                forward = forward.or(Forward::of(&m.get("isForwarded").cloned(), &m.get("forwardingScore").cloned()));
            }
            match cards {
                Some(cards) => MessageContent::Contacts {
                    cards: cards.iter().map(|c| crate::vcard::card(&c.display_name, &c.vcard)).collect(),
                },
                None => MessageContent::Unsupported { kind },
            }
        }
        "reactionMessage" => {
            let r = data.extended_text_message_data.ok_or_else(|| missing("extendedTextMessageData"))?;
            let to = data.quoted_message.and_then(|q| q.stanza_id).or(r.stanza_id).unwrap_or_default();
            MessageContent::Reaction { to_message_id: to, emoji: r.text }
        }
        "editedMessage" => match lenient::<EditedData>(&data.edited_message_data) {
            Some(e) if !e.stanza_id.trim().is_empty() => {
                MessageContent::Edited { original_id: e.stanza_id, text: e.text_message }
            }
            _ => MessageContent::Unsupported { kind },
        },
        "deletedMessage" => match lenient::<DeletedData>(&data.deleted_message_data) {
            Some(d) if !d.stanza_id.trim().is_empty() => MessageContent::Deleted { original_id: d.stanza_id },
            _ => MessageContent::Unsupported { kind },
        },
        "buttonsResponseMessage" => lenient::<ButtonsResponse>(&data.buttons_response_message)
            .map(|b| choice(b.selected_button_text, None, b.selected_button_id))
            .unwrap_or(MessageContent::Unsupported { kind }),
        // The docs spell the type both ways; the object is `templateButtonReplyMessage` in each.
        "templateButtonsReplyMessage" | "templateButtonReplyMessage" => {
            lenient::<TemplateButtonReply>(&data.template_button_reply_message)
                .map(|b| choice(b.selected_display_text, None, b.selected_id))
                .unwrap_or(MessageContent::Unsupported { kind })
        }
        // Beta; shape from Green-API's Apidog example of an outgoing reply (unconfirmed for
        // incoming ones).
        "interactiveButtonsResponse" => lenient::<TemplateButtonReply>(&data.interactive_buttons_response)
            .map(|b| choice(b.selected_display_text, None, b.selected_id))
            .unwrap_or(MessageContent::Unsupported { kind }),
        "listResponseMessage" => lenient::<ListResponse>(&data.list_response_message)
            .map(|l| choice(l.title, l.description, l.single_select_reply))
            .unwrap_or(MessageContent::Unsupported { kind }),
        "pollMessage" => match lenient::<PollData>(&data.poll_message_data) {
            Some(p) => MessageContent::Poll {
                question: p.name,
                options: p.options.into_iter().map(|o| o.option_name).filter(|o| !o.trim().is_empty()).collect(),
                multiple: p.multiple_answers,
            },
            None => MessageContent::Unsupported { kind },
        },
        // The whole poll's state: the writer's vote is the options that list them as a voter.
        "pollUpdateMessage" => match lenient::<PollData>(&data.poll_message_data) {
            Some(p) => MessageContent::PollVote {
                question: p.name,
                selected: p
                    .votes
                    .into_iter()
                    .filter(|v| v.option_voters.iter().any(|voter| voter == writer))
                    .map(|v| v.option_name)
                    .collect(),
                poll_id: p.stanza_id.filter(|id| !id.is_empty()),
            },
            None => MessageContent::Unsupported { kind },
        },
        _ => MessageContent::Unsupported { kind },
    };
    Ok(forward.wrap(content))
}

fn lenient<T: serde::de::DeserializeOwned>(raw: &Option<serde_json::Value>) -> Option<T> {
    raw.as_ref().and_then(|v| T::deserialize(v).ok())
}

fn choice(title: String, description: Option<String>, payload: Option<String>) -> MessageContent {
    MessageContent::Choice {
        title,
        description: description.filter(|d| !d.trim().is_empty()),
        payload: payload.filter(|p| !p.is_empty()),
    }
}

/// `true` or `"true"`.
fn truthy(v: &Option<serde_json::Value>) -> bool {
    match v {
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// Green-API's `isForwarded` / `forwardingScore` pair.
#[derive(Clone, Copy, Default)]
struct Forward {
    forwarded: bool,
    frequently: bool,
}

impl Forward {
    fn of(is_forwarded: &Option<serde_json::Value>, score: &Option<serde_json::Value>) -> Self {
        let score = match score {
            Some(serde_json::Value::Number(n)) => n.as_i64().unwrap_or(0),
            Some(serde_json::Value::String(s)) => s.trim().parse().unwrap_or(0),
            _ => 0,
        };
        // WhatsApp labels a message "forwarded many times" from the fifth forward on
        // (unconfirmed: Green-API documents only the count).
        Self { forwarded: truthy(is_forwarded) || score > 0, frequently: score >= 5 }
    }

    fn or(self, other: Self) -> Self {
        if self.forwarded {
            self
        } else {
            other
        }
    }

    fn wrap(self, content: MessageContent) -> MessageContent {
        if !self.forwarded {
            return content;
        }
        MessageContent::Forwarded { frequently: self.frequently, content: Box::new(content) }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use bridge_core::domain::ContactCard;
    use serde_json::json;

    const CUSTOMER: &str = "79001234567@c.us";

    fn read(message_data: serde_json::Value) -> MessageContent {
        let data: MessageData = serde_json::from_value(message_data).expect("messageData");
        content(data, CUSTOMER).expect("reads")
    }

    fn choice(title: &str, description: Option<&str>, payload: &str) -> MessageContent {
        MessageContent::Choice {
            title: title.into(),
            description: description.map(str::to_owned),
            payload: Some(payload.into()),
        }
    }

    #[test]
    fn button_template_and_list_replies_are_choices() {
        // The docs' examples (`…/selected-buttons/*`).
        let buttons = json!({ "typeMessage": "buttonsResponseMessage", "buttonsResponseMessage":
            { "stanzaId": "BAE53AFDD5F0C137", "selectedButtonId": "1", "selectedButtonText": "Green" } });
        assert_eq!(read(buttons), choice("Green", None, "1"));
        for spelling in ["templateButtonsReplyMessage", "templateButtonReplyMessage"] {
            let template = json!({ "typeMessage": spelling, "templateButtonReplyMessage":
                { "stanzaId": "BAE5", "selectedIndex": 2, "selectedId": "id1", "selectedDisplayText": "red" } });
            assert_eq!(read(template), choice("red", None, "id1"), "{spelling}");
        }
        let list = json!({ "typeMessage": "listResponseMessage", "listResponseMessage":
            { "stanzaId": "BAE5", "title": "Option 2", "listType": 1, "singleSelectReply": "option2" } });
        assert_eq!(read(list), choice("Option 2", None, "option2"));
        let interactive = json!({ "typeMessage": "interactiveButtonsResponse", "interactiveButtonsResponse":
            { "stanzaId": "BAE5", "selectedIndex": 1, "selectedId": "2", "selectedDisplayText": "Second Button" } });
        assert_eq!(read(interactive), choice("Second Button", None, "2"));
    }

    #[test]
    fn contact_arrays_in_both_documented_places() {
        let cards = json!([
            { "displayName": "Anna Smit", "vcard": "BEGIN:VCARD\nFN:Anna Smit\nitem1.TEL;waid=72345678910:+7 234 567 8910\nEND:VCARD" },
            { "displayName": "Alex Smit", "vcard": "BEGIN:VCARD\nTEL;type=CELL;waid=72345678901:+7 234 567 8901\nEND:VCARD" },
        ]);
        let expected = MessageContent::Contacts {
            cards: vec![
                ContactCard { name: "Anna Smit".into(), phones: vec!["+7 234 567 8910".into()], ..Default::default() },
                ContactCard { name: "Alex Smit".into(), phones: vec!["+7 234 567 8901".into()], ..Default::default() },
            ],
        };
        let table = json!({ "typeMessage": "contactsArrayMessage", "contacts": cards });
        assert_eq!(read(table), expected);
        let example = json!({ "typeMessage": "contactsArrayMessage",
            "messageData": { "contacts": cards, "forwardingScore": 0, "isForwarded": false } });
        assert_eq!(read(example), expected);
        let one = json!({ "typeMessage": "contactMessage", "contactMessageData":
            { "displayName": "Alex", "vcard": "TEL:+1 555\nEMAIL:a@x.example\nORG:Acme", "isForwarded": false } });
        assert_eq!(
            read(one),
            MessageContent::Contacts {
                cards: vec![ContactCard {
                    name: "Alex".into(),
                    phones: vec!["+1 555".into()],
                    emails: vec!["a@x.example".into()],
                    organization: Some("Acme".into()),
                }]
            }
        );
    }

    #[test]
    fn polls_and_the_writers_vote() {
        let poll = json!({ "typeMessage": "pollMessage", "pollMessageData":
            { "name": "Color", "options": [{ "optionName": "Red" }, { "optionName": "Black" }], "multipleAnswers": true } });
        assert_eq!(
            read(poll),
            MessageContent::Poll {
                question: "Color".into(),
                options: vec!["Red".into(), "Black".into()],
                multiple: true
            }
        );
        let update = json!({ "typeMessage": "pollUpdateMessage", "pollMessageData": { "stanzaId": "P1", "name": "Color",
            "votes": [
                { "optionName": "Red", "optionVoters": [CUSTOMER] },
                { "optionName": "Black", "optionVoters": ["79990001122@c.us"] },
            ], "multipleAnswers": false } });
        assert_eq!(
            read(update),
            MessageContent::PollVote {
                question: "Color".into(),
                selected: vec!["Red".into()],
                poll_id: Some("P1".into())
            }
        );
    }

    #[test]
    fn forwards_stickers_and_unexpected_shapes() {
        let fwd = json!({ "typeMessage": "textMessage", "textMessageData":
            { "textMessage": "chain", "isForwarded": true, "forwardingScore": 7 } });
        assert_eq!(
            read(fwd),
            MessageContent::Forwarded {
                frequently: true,
                content: Box::new(MessageContent::Text { body: "chain".into() })
            }
        );
        let once = json!({ "typeMessage": "extendedTextMessage", "extendedTextMessageData":
            { "text": "x", "isForwarded": true, "forwardingScore": 1 } });
        assert!(matches!(read(once), MessageContent::Forwarded { frequently: false, .. }));
        let sticker = |animated: bool| {
            json!({ "typeMessage": "stickerMessage", "fileMessageData": { "downloadUrl": "https://x/s.webp",
                "caption": "", "fileName": "s.webp", "isAnimated": animated, "mimeType": "image/webp",
                "isForwarded": true, "forwardingScore": 1 } })
        };
        assert!(
            matches!(read(sticker(true)), MessageContent::Media { ref media_kind, .. } if media_kind == "animated_sticker")
        );
        assert!(
            matches!(read(sticker(false)), MessageContent::Media { ref media_kind, .. } if media_kind == "sticker")
        );
        // Garbage in a new kind's object is a comment, never a refusal that blocks the queue.
        let odd = json!({ "typeMessage": "buttonsResponseMessage", "buttonsResponseMessage": "??" });
        assert_eq!(read(odd), MessageContent::Unsupported { kind: "buttonsResponse".into() });
        let odd_poll = json!({ "typeMessage": "pollMessage", "pollMessageData": { "options": 3 } });
        assert_eq!(read(odd_poll), MessageContent::Unsupported { kind: "poll".into() });
        let future = json!({ "typeMessage": "groupInviteMessage" });
        assert_eq!(read(future), MessageContent::Unsupported { kind: "groupInvite".into() });
        let odd_score = json!({ "typeMessage": "textMessage", "textMessageData":
            { "textMessage": "y", "isForwarded": "maybe", "forwardingScore": [] } });
        assert_eq!(read(odd_score), MessageContent::Text { body: "y".into() });
    }

    #[test]
    fn edits_deletions_and_quotes_point_at_their_message() {
        // The docs' examples (`…/incoming-message/EditedMessage`, `…/DeletedMessage`).
        let edited = json!({ "typeMessage": "editedMessage",
            "editedMessageData": { "textMessage": "New message", "stanzaId": "BAE5AFC355030F7A" } });
        assert_eq!(
            read(edited),
            MessageContent::Edited { original_id: "BAE5AFC355030F7A".into(), text: "New message".into() }
        );
        let deleted =
            json!({ "typeMessage": "deletedMessage", "deletedMessageData": { "stanzaId": "BAE5F4886F6F2D05" } });
        assert_eq!(read(deleted), MessageContent::Deleted { original_id: "BAE5F4886F6F2D05".into() });
        // Without the edited message's id there is nothing to point at: a readable placeholder.
        let odd = json!({ "typeMessage": "editedMessage", "editedMessageData": { "textMessage": "x" } });
        assert_eq!(read(odd), MessageContent::Unsupported { kind: "edited".into() });

        let hook = |message_data: serde_json::Value| {
            let body = json!({ "typeWebhook": "incomingMessageReceived", "timestamp": 1_700_000_000,
                "idMessage": "BAE5EVENT", "senderData": { "chatId": CUSTOMER, "sender": CUSTOMER, "senderName": "Anna" },
                "messageData": message_data });
            let mut parsed = Parsed::default();
            push_message(&mut parsed, serde_json::from_value(body).unwrap(), Origin::Customer).unwrap();
            match parsed.events.pop() {
                Some(InboundEvent::Message(m)) => m,
                other => panic!("{other:?}"),
            }
        };
        let quoted = hook(json!({ "typeMessage": "quotedMessage",
            "extendedTextMessageData": { "text": "Yes, that one", "stanzaId": "BAE5QUOTED" },
            "quotedMessage": { "stanzaId": "BAE5QUOTED", "participant": CUSTOMER, "typeMessage": "textMessage" } }));
        assert_eq!(quoted.reply_to.as_deref(), Some("BAE5QUOTED"));
        assert_eq!(quoted.content, MessageContent::Text { body: "Yes, that one".into() });
        let edit = hook(json!({ "typeMessage": "editedMessage",
            "editedMessageData": { "textMessage": "fixed", "stanzaId": "BAE5ORIG" } }));
        assert_eq!((edit.id.as_str(), edit.reply_to), ("BAE5EVENT", None), "the edit event's own id");
    }
}
