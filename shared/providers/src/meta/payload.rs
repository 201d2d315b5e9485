//! Serde model of the parts of Meta's webhook the bridge reads. Unknown fields are ignored
//! (Meta adds fields without notice); required ones are required so garbage gets a 400.

use serde::Deserialize;

#[derive(Deserialize)]
pub struct Envelope {
    pub object: String,
    pub entry: Vec<Entry>,
}

#[derive(Deserialize)]
pub struct Entry {
    #[serde(default)]
    pub changes: Vec<Change>,
}

#[derive(Deserialize)]
pub struct Change {
    pub field: String,
    #[serde(default)]
    pub value: Option<Value>,
}

#[derive(Deserialize)]
pub struct Value {
    #[serde(default)]
    pub metadata: Option<Metadata>,
    #[serde(default)]
    pub contacts: Vec<Contact>,
    #[serde(default)]
    pub messages: Vec<Message>,
    #[serde(default)]
    pub statuses: Vec<Status>,
    /// `smb_message_echoes`: what the business wrote from the WhatsApp Business app on a number
    /// that runs in coexistence with the Cloud API (`from` = business, `to` = customer).
    #[serde(default)]
    pub message_echoes: Vec<Message>,
}

#[derive(Deserialize)]
pub struct Metadata {
    pub phone_number_id: String,
}

#[derive(Deserialize)]
pub struct Contact {
    #[serde(default)]
    pub profile: Option<Profile>,
    #[serde(default)]
    pub wa_id: Option<String>,
}

#[derive(Deserialize)]
pub struct Profile {
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Deserialize)]
pub struct Message {
    pub from: String,
    /// Echoes only: the customer.
    #[serde(default)]
    pub to: Option<String>,
    pub id: String,
    pub timestamp: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub text: Option<Text>,
    #[serde(default)]
    pub image: Option<Media>,
    #[serde(default)]
    pub video: Option<Media>,
    #[serde(default)]
    pub audio: Option<Media>,
    #[serde(default)]
    pub document: Option<Media>,
    #[serde(default)]
    pub sticker: Option<Media>,
    #[serde(default)]
    pub location: Option<Location>,
    #[serde(default)]
    pub reaction: Option<Reaction>,
}

#[derive(Deserialize)]
pub struct Text {
    pub body: String,
}

#[derive(Deserialize)]
pub struct Media {
    pub id: String,
    #[serde(default)]
    pub mime_type: Option<String>,
    #[serde(default)]
    pub caption: Option<String>,
    #[serde(default)]
    pub filename: Option<String>,
    #[serde(default)]
    pub voice: Option<bool>,
}

#[derive(Deserialize)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
}

#[derive(Deserialize)]
pub struct Reaction {
    pub message_id: String,
    #[serde(default)]
    pub emoji: Option<String>,
}

#[derive(Deserialize)]
pub struct Status {
    pub id: String,
    pub status: String,
    pub timestamp: String,
    #[serde(default)]
    pub recipient_id: Option<String>,
    #[serde(default)]
    pub errors: Vec<StatusError>,
}

#[derive(Deserialize)]
pub struct StatusError {
    pub code: i64,
    #[serde(default)]
    pub title: Option<String>,
}
