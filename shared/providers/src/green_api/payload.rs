//! The webhook body (https://green-api.com/en/docs/api/receiving/notifications-format/), only
//! the fields the bridge reads; unknown fields are ignored because Green-API adds them freely.

use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Notification {
    pub type_webhook: String,
    // `instanceData.idInstance` is checked on the raw JSON, before this is read.
    #[serde(default)]
    pub timestamp: i64,
    pub id_message: Option<String>,
    pub sender_data: Option<SenderData>,
    pub message_data: Option<MessageData>,
    /// `outgoingMessageStatus` only.
    pub status: Option<String>,
    pub chat_id: Option<String>,
    pub description: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SenderData {
    pub chat_id: String,
    /// Who wrote it (the customer on incoming messages, the business on outgoing ones).
    pub sender: Option<String>,
    pub chat_name: Option<String>,
    pub sender_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct MessageData {
    pub type_message: String,
    pub text_message_data: Option<TextData>,
    pub extended_text_message_data: Option<ExtendedText>,
    pub file_message_data: Option<FileData>,
    pub location_message_data: Option<LocationData>,
    pub contact_message_data: Option<ContactData>,
    pub quoted_message: Option<Quoted>,
    // The kinds below are read leniently (as JSON, then into the structs further down): Green-API
    // delivers an instance's webhooks in order and repeats a refused one, so a shape the bridge
    // does not expect must become a comment, never a refusal that holds up everything behind it.
    /// `buttonsResponseMessage` ([`ButtonsResponse`]).
    pub buttons_response_message: Option<serde_json::Value>,
    /// `templateButtonsReplyMessage` ([`TemplateButtonReply`]).
    pub template_button_reply_message: Option<serde_json::Value>,
    /// `interactiveButtonsResponse` (beta; [`TemplateButtonReply`]'s fields).
    pub interactive_buttons_response: Option<serde_json::Value>,
    /// `listResponseMessage` ([`ListResponse`]).
    pub list_response_message: Option<serde_json::Value>,
    /// `contactsArrayMessage` as the field table writes it: `messageData.contacts`.
    pub contacts: Option<serde_json::Value>,
    /// `contactsArrayMessage` as the docs' example writes it: `messageData.messageData.contacts`.
    pub message_data: Option<serde_json::Value>,
    /// `pollMessage` / `pollUpdateMessage` ([`PollData`]).
    pub poll_message_data: Option<serde_json::Value>,
    /// `editedMessage` ([`EditedData`]).
    pub edited_message_data: Option<serde_json::Value>,
    /// `deletedMessage` ([`DeletedData`]).
    pub deleted_message_data: Option<serde_json::Value>,
    /// Forward marks of `contactsArrayMessage` (and any kind that carries them at this level).
    pub is_forwarded: Option<serde_json::Value>,
    pub forwarding_score: Option<serde_json::Value>,
}

/// `buttonsResponseMessage` (`…/selected-buttons/ButtonsResponseMessage`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ButtonsResponse {
    #[serde(default)]
    pub selected_button_text: String,
    pub selected_button_id: Option<String>,
}

/// `templateButtonReplyMessage` (`…/selected-buttons/TemplateButtonsReplyMessage`); the same
/// fields come in `interactiveButtonsResponse` (Green-API's Apidog example, beta).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TemplateButtonReply {
    #[serde(default)]
    pub selected_display_text: String,
    pub selected_id: Option<String>,
}

/// `listResponseMessage` (`…/selected-buttons/ListResponseMessage`): `title` is the row's text,
/// `singleSelectReply` its id. A row `description` is not in the docs (read if present).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ListResponse {
    #[serde(default)]
    pub title: String,
    pub description: Option<String>,
    pub single_select_reply: Option<String>,
}

/// `editedMessageData` (`…/incoming-message/EditedMessage`): the new text, and in `stanzaId`
/// the edited message's id (the notification's `idMessage` is the edit event's own).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct EditedData {
    #[serde(default)]
    pub text_message: String,
    pub stanza_id: String,
}

/// `deletedMessageData` (`…/incoming-message/DeletedMessage`): `stanzaId` is the deleted message.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct DeletedData {
    pub stanza_id: String,
}

/// `pollMessageData` (`…/incoming-message/PollMessage`, `…/PollUpdateMessage`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PollData {
    #[serde(default)]
    pub name: String,
    pub stanza_id: Option<String>,
    #[serde(default)]
    pub options: Vec<PollOption>,
    #[serde(default)]
    pub votes: Vec<PollVotes>,
    #[serde(default)]
    pub multiple_answers: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PollOption {
    #[serde(default)]
    pub option_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PollVotes {
    #[serde(default)]
    pub option_name: String,
    #[serde(default)]
    pub option_voters: Vec<String>,
}

/// A card of `contactsArrayMessage`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ArrayContact {
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub vcard: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TextData {
    pub text_message: String,
    pub is_forwarded: Option<serde_json::Value>,
    pub forwarding_score: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ExtendedText {
    #[serde(default)]
    pub text: String,
    pub stanza_id: Option<String>,
    pub is_forwarded: Option<serde_json::Value>,
    pub forwarding_score: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FileData {
    #[serde(default)]
    pub download_url: String,
    pub caption: Option<String>,
    pub file_name: Option<String>,
    pub mime_type: Option<String>,
    /// Stickers only (`…/incoming-message/StickerMessage`).
    pub is_animated: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LocationData {
    pub name_location: Option<String>,
    pub address: Option<String>,
    pub latitude: f64,
    pub longitude: f64,
    pub is_forwarded: Option<serde_json::Value>,
    pub forwarding_score: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ContactData {
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub vcard: String,
    pub is_forwarded: Option<serde_json::Value>,
    pub forwarding_score: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Quoted {
    pub stanza_id: Option<String>,
}
