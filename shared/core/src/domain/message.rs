use serde::{Deserialize, Serialize};

use super::Phone;

/// What a provider webhook carried, reduced to what the bridge acts on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum InboundEvent {
    Message(InboundMessage),
    Status(StatusUpdate),
}

/// One message in a conversation with a WhatsApp user: what the user sent to the business
/// number, or (providers that report it) what the company wrote from the phone itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InboundMessage {
    /// The provider's message id (Meta `wamid…`, Twilio `SM…`, Green-API `idMessage`): the
    /// idempotency key.
    pub id: String,
    /// The WhatsApp user of the conversation (also for messages the company wrote).
    pub from: Phone,
    /// WhatsApp profile name; may be empty or absent.
    pub profile_name: Option<String>,
    /// Send time reported by the provider (Unix seconds).
    pub timestamp: i64,
    pub content: MessageContent,
    /// Who wrote it; absent in records made before providers reported the company's own messages.
    #[serde(default, skip_serializing_if = "Origin::is_customer")]
    pub origin: Origin,
    /// The provider's id of the message this one quotes / replies to (Meta `context.id`,
    /// Green-API `quotedMessage.stanzaId`, Wazzup `quotedMessage.messageId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
}

/// Who wrote a conversation message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The WhatsApp user.
    #[default]
    Customer,
    /// The company, from the WhatsApp phone itself (not through the bridge): shown in the task as
    /// the company's message, never sent back.
    BusinessPhone,
}

impl Origin {
    pub fn is_customer(&self) -> bool {
        *self == Origin::Customer
    }
}

/// Where a media file can be fetched from: an id the provider resolves (Meta, 360dialog) or a
/// URL it gave (Twilio `MediaUrl0`, Green-API `downloadUrl`, Wazzup `contentUri`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaRef {
    Id(String),
    Url(String),
}

impl MediaRef {
    /// For logs: an id is not sensitive, a URL may be a capability (Green-API's need no auth).
    pub fn describe(&self) -> String {
        match self {
            MediaRef::Id(id) => format!("media {id}"),
            MediaRef::Url(_) => "media by URL".into(),
        }
    }
}

/// Records written before media could be URLs hold a bare id string.
impl<'de> Deserialize<'de> for MediaRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum Tagged {
            Id(String),
            Url(String),
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Bare(String),
            Tagged(Tagged),
        }
        Ok(match Either::deserialize(d)? {
            Either::Bare(id) | Either::Tagged(Tagged::Id(id)) => MediaRef::Id(id),
            Either::Tagged(Tagged::Url(url)) => MediaRef::Url(url),
        })
    }
}

/// The content kinds. Media carries only references here; the file itself travels through S3
/// in a later step, so the processor must not assume it has the bytes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MessageContent {
    Text {
        body: String,
    },
    Media {
        /// image | video | audio | voice | document | sticker
        media_kind: String,
        #[serde(alias = "media_id")]
        media: MediaRef,
        mime_type: Option<String>,
        caption: Option<String>,
        filename: Option<String>,
    },
    Location {
        latitude: f64,
        longitude: f64,
        name: Option<String>,
        address: Option<String>,
    },
    Reaction {
        to_message_id: String,
        emoji: String,
    },
    /// A type the bridge does not understand (yet); kept so the Planfix user knows something came.
    Unsupported {
        kind: String,
    },
    /// A tap on a reply button, a list row or a template's quick-reply button: what the button or
    /// row says, as the customer saw it.
    Choice {
        /// The button's or row's title (the customer's visible answer).
        title: String,
        /// The list row's description (list replies only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
        /// The id or payload the business gave the button or row (not the customer's words).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        payload: Option<String>,
    },
    /// One or more shared contact cards.
    Contacts {
        cards: Vec<ContactCard>,
    },
    /// A poll the writer created.
    Poll {
        question: String,
        options: Vec<String>,
        /// Several answers allowed.
        #[serde(default)]
        multiple: bool,
    },
    /// A vote in a poll: the options the voter has chosen now (empty: the vote was withdrawn).
    PollVote {
        question: String,
        selected: Vec<String>,
        /// The provider's id of the poll message, when it names one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        poll_id: Option<String>,
    },
    /// Something WhatsApp (or the provider) does not pass to integrations: only that it came is
    /// known, and, when the provider says so, what it was.
    Withheld {
        /// The provider's word for it (`poll_creation`, `edit`, `unknown` …), when it names one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kind: Option<String>,
    },
    /// A message the writer forwarded. Never wraps `Media`: the file hand-over reads `Media` at
    /// the top level, so forwarded files carry no mark (yet).
    Forwarded {
        /// WhatsApp's "forwarded many times".
        #[serde(default)]
        frequently: bool,
        content: Box<MessageContent>,
    },
    /// The writer edited an earlier message: its provider id and the new text.
    Edited {
        original_id: String,
        text: String,
    },
    /// The writer deleted an earlier message for everyone.
    Deleted {
        original_id: String,
    },
}

impl MessageContent {
    /// The words a later reaction, reply or edit quotes from this message (None: nothing a
    /// reader would recognise it by).
    pub fn quotable_text(&self) -> Option<&str> {
        match self {
            MessageContent::Text { body } => Some(body),
            MessageContent::Media { caption: Some(c), .. } if !c.trim().is_empty() => Some(c),
            MessageContent::Media { filename, .. } => filename.as_deref(),
            MessageContent::Location { name, address, .. } => name.as_deref().or(address.as_deref()),
            MessageContent::Choice { title, .. } => Some(title),
            MessageContent::Poll { question, .. } => Some(question),
            MessageContent::Edited { text, .. } => Some(text),
            MessageContent::Forwarded { content, .. } => content.quotable_text(),
            MessageContent::Contacts { cards } => cards.first().map(|c| c.name.as_str()),
            MessageContent::Reaction { .. }
            | MessageContent::Unsupported { .. }
            | MessageContent::PollVote { .. }
            | MessageContent::Withheld { .. }
            | MessageContent::Deleted { .. } => None,
        }
    }
}

/// A shared contact card, reduced to what a Planfix user acts on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactCard {
    /// The card's display name (may be empty when the card has none).
    pub name: String,
    /// Numbers as the card writes them (`+7 234 567 8910`).
    #[serde(default)]
    pub phones: Vec<String>,
    #[serde(default)]
    pub emails: Vec<String>,
    /// Company, department and job title, joined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
}

/// Where a message the bridge sent has got to. Ordered: a lower state arriving late never
/// overwrites a higher one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Sent,
    Delivered,
    Read,
    Failed,
}

impl DeliveryState {
    pub fn as_str(&self) -> &'static str {
        match self {
            DeliveryState::Sent => "sent",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Read => "read",
            DeliveryState::Failed => "failed",
        }
    }

    pub fn rank(&self) -> u8 {
        *self as u8 + 1
    }
}

impl std::fmt::Display for DeliveryState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a delivery failed, classified by the provider's adapter from its own codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The 24-hour customer service window had closed (Meta 131047, Twilio 63016, Wazzup
    /// `24_HOURS_EXCEEDED`, Green-API WABA `noActiveSession`).
    WindowClosed,
    /// The number cannot receive WhatsApp messages (Meta 131026, Green-API `noAccount` …).
    InvalidRecipient,
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryFailure {
    pub kind: FailureKind,
    /// The provider's own code, for the note and the operator.
    pub code: Option<String>,
    /// The provider's words (never message text).
    pub detail: String,
}

/// A delivery receipt for a message the bridge sent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusUpdate {
    pub message_id: String,
    pub status: DeliveryState,
    pub recipient: Option<Phone>,
    pub timestamp: i64,
    #[serde(default)]
    pub failure: Option<DeliveryFailure>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_refs_read_old_bare_ids_and_both_new_forms() {
        let old: MessageContent = serde_json::from_str(
            r#"{"type":"media","media_kind":"image","media_id":"m1","mime_type":null,"caption":null,"filename":null}"#,
        )
        .unwrap();
        assert!(matches!(old, MessageContent::Media { media: MediaRef::Id(ref id), .. } if id == "m1"));
        for media in [MediaRef::Id("m2".into()), MediaRef::Url("https://x/y".into())] {
            let json = serde_json::to_string(&media).unwrap();
            assert_eq!(serde_json::from_str::<MediaRef>(&json).unwrap(), media);
        }
    }

    #[test]
    fn the_new_kinds_round_trip_and_old_records_still_read() {
        let kinds = [
            MessageContent::Choice { title: "Yes".into(), description: Some("d".into()), payload: Some("p".into()) },
            MessageContent::Contacts {
                cards: vec![ContactCard {
                    name: "Anna".into(),
                    phones: vec!["+7 900".into()],
                    emails: vec!["a@b.c".into()],
                    organization: Some("Acme".into()),
                }],
            },
            MessageContent::Poll { question: "Q".into(), options: vec!["A".into(), "B".into()], multiple: true },
            MessageContent::PollVote { question: "Q".into(), selected: vec!["A".into()], poll_id: None },
            MessageContent::Withheld { kind: Some("poll_creation".into()) },
            MessageContent::Forwarded {
                frequently: true,
                content: Box::new(MessageContent::Text { body: "fwd".into() }),
            },
            MessageContent::Edited { original_id: "m1".into(), text: "new".into() },
            MessageContent::Deleted { original_id: "m1".into() },
        ];
        for content in kinds {
            let json = serde_json::to_string(&content).unwrap();
            assert_eq!(serde_json::from_str::<MessageContent>(&json).unwrap(), content, "{json}");
        }
        let minimal: MessageContent = serde_json::from_str(r#"{"type":"choice","title":"Yes"}"#).unwrap();
        assert_eq!(minimal, MessageContent::Choice { title: "Yes".into(), description: None, payload: None });
        let old: MessageContent = serde_json::from_str(r#"{"type":"unsupported","kind":"order"}"#).unwrap();
        assert_eq!(old, MessageContent::Unsupported { kind: "order".into() });
    }

    #[test]
    fn delivery_states_rank_in_order() {
        let ranks: Vec<u8> =
            [DeliveryState::Sent, DeliveryState::Delivered, DeliveryState::Read, DeliveryState::Failed]
                .iter()
                .map(DeliveryState::rank)
                .collect();
        assert_eq!(ranks, vec![1, 2, 3, 4]);
        assert_eq!(serde_json::to_string(&DeliveryState::Delivered).unwrap(), "\"delivered\"");
    }
}
