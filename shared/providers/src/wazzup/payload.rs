//! The webhook body (W1), only the fields the bridge reads; unknown fields are ignored because
//! Wazzup adds them freely. Every id is an opaque string (the docs' own are not always UUIDs).

use serde::Deserialize;

#[derive(Deserialize)]
pub(super) struct Webhook {
    #[serde(default)]
    pub test: bool,
    /// Read one by one ([`Message`], [`Status`]): one that does not read is refused alone.
    #[serde(default)]
    pub messages: Vec<serde_json::Value>,
    #[serde(default)]
    pub statuses: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Message {
    pub message_id: String,
    pub date_time: String,
    #[serde(default)]
    pub channel_id: String,
    #[serde(default)]
    pub chat_type: String,
    pub chat_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub is_echo: bool,
    pub text: Option<String>,
    pub content_uri: Option<String>,
    pub contact: Option<Contact>,
    #[serde(default)]
    pub is_deleted: bool,
    /// The message was edited: it comes again under its own `messageId` with the new `text`
    /// (and `oldInfo.oldText`), so the edit needs an id of its own (W1; NOTES 6).
    #[serde(default)]
    pub is_edited: bool,
    /// The quoted message (W1 names the field, shows no example): read for its `messageId`.
    pub quoted_message: Option<serde_json::Value>,
}

#[derive(Deserialize)]
pub(super) struct Contact {
    pub name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Status {
    pub message_id: String,
    pub timestamp: Option<String>,
    pub status: String,
    pub error: Option<StatusError>,
}

#[derive(Deserialize)]
pub(super) struct StatusError {
    #[serde(default)]
    pub error: String,
    #[serde(default)]
    pub description: String,
}
