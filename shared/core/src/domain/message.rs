use serde::{Deserialize, Serialize};

use super::Phone;

/// What a provider webhook carried, reduced to what the bridge acts on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum InboundEvent {
    Message(InboundMessage),
    Status(StatusUpdate),
}

/// One message a WhatsApp user sent to the business number.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InboundMessage {
    /// The provider's message id (Meta `wamid…`): the idempotency key.
    pub id: String,
    pub from: Phone,
    /// WhatsApp profile name; may be empty or absent.
    pub profile_name: Option<String>,
    /// Send time reported by the provider (Unix seconds).
    pub timestamp: i64,
    pub content: MessageContent,
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
        media_id: String,
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
}

/// A delivery receipt for a message the bridge sent (sent / delivered / read / failed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusUpdate {
    pub message_id: String,
    pub status: String,
    pub recipient: Option<Phone>,
    pub timestamp: i64,
    pub errors: Vec<(i64, String)>,
}
