//! The webhook body (https://green-api.com/en/docs/api/receiving/notifications-format/), only
//! the fields the bridge reads; unknown fields are ignored because Green-API adds them freely.

use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Notification {
    pub type_webhook: String,
    pub instance_data: Option<InstanceData>,
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
pub(super) struct InstanceData {
    pub id_instance: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SenderData {
    pub chat_id: String,
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
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TextData {
    pub text_message: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ExtendedText {
    #[serde(default)]
    pub text: String,
    pub stanza_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FileData {
    #[serde(default)]
    pub download_url: String,
    pub caption: Option<String>,
    pub file_name: Option<String>,
    pub mime_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LocationData {
    pub name_location: Option<String>,
    pub address: Option<String>,
    pub latitude: f64,
    pub longitude: f64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ContactData {
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub vcard: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Quoted {
    pub stanza_id: Option<String>,
}
