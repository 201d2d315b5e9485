//! Serde model of the parts of Meta's webhook the bridge reads. Unknown fields are ignored
//! (Meta adds fields without notice); required ones are required, so an item without them is
//! refused (alone: see [`Envelope`]).

use serde::Deserialize;

/// The envelope: what must read for the body to be a Cloud API webhook at all (else 400).
/// Below it, each change and each message or status is read on its own, so one item that does
/// not read is refused alone while its siblings are stored.
#[derive(Deserialize)]
pub struct Envelope {
    pub object: String,
    pub entry: Vec<Entry>,
}

#[derive(Deserialize)]
pub struct Entry {
    /// The WhatsApp Business Account id (kept in a refused item's body).
    #[serde(default)]
    pub id: Option<serde_json::Value>,
    #[serde(default)]
    pub changes: Vec<Change>,
}

#[derive(Deserialize)]
pub struct Change {
    pub field: String,
    #[serde(default)]
    pub value: Option<serde_json::Value>,
}

/// A `messages` (or `smb_message_echoes`) change's value, its lists still raw.
#[derive(Deserialize)]
pub struct Value {
    #[serde(default)]
    pub metadata: Option<Metadata>,
    #[serde(default)]
    pub contacts: Vec<Contact>,
    #[serde(default)]
    pub messages: Vec<serde_json::Value>,
    #[serde(default)]
    pub statuses: Vec<serde_json::Value>,
    /// `smb_message_echoes`: what the business wrote from the WhatsApp Business app on a number
    /// that runs in coexistence with the Cloud API (`from` = business, `to` = customer).
    #[serde(default)]
    pub message_echoes: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
pub struct Metadata {
    /// Optional here so that a value without it reads; the parser refuses to route it.
    #[serde(default)]
    pub phone_number_id: Option<String>,
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
    // The kinds below are read leniently (as JSON, then into the structs further down): a shape
    // the bridge does not expect becomes an "unsupported" comment, never a refused webhook that
    // would take the other messages of the same POST with it.
    /// `type:"interactive"`: a reply button or list row tapped ([`Interactive`]).
    #[serde(default)]
    pub interactive: Option<serde_json::Value>,
    /// `type:"button"`: a template's quick-reply button tapped ([`QuickReply`]).
    #[serde(default)]
    pub button: Option<serde_json::Value>,
    /// `type:"contacts"`: shared cards ([`SharedContact`]), not the envelope's sender `contacts`.
    #[serde(default)]
    pub contacts: Option<serde_json::Value>,
    /// `type:"unsupported"`: `{type}` naming what WhatsApp withheld (newer payloads only).
    #[serde(default)]
    pub unsupported: Option<serde_json::Value>,
    /// Reply and forward marks ([`Context`]).
    #[serde(default)]
    pub context: Option<serde_json::Value>,
}

/// `interactive`: `{type:"button_reply", button_reply:{id,title}}` or `{type:"list_reply",
/// list_reply:{id,title,description?}}` (Meta's reply-buttons and list-messages pages; samples in
/// public GitHub `david-lev/pywa` `tests/data/updates/callback_{button,selection}.json`).
/// `nfm_reply` (a WhatsApp Flow's answer) is not read.
#[derive(Deserialize)]
pub struct Interactive {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub button_reply: Option<Reply>,
    #[serde(default)]
    pub list_reply: Option<Reply>,
}

#[derive(Deserialize)]
pub struct Reply {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// `button`: `{payload, text}` (Meta's "Button messages webhook reference").
#[derive(Deserialize)]
pub struct QuickReply {
    #[serde(default)]
    pub payload: Option<String>,
    #[serde(default)]
    pub text: String,
}

/// One shared card (Meta's "Contacts messages webhook reference": "many contact properties may be
/// omitted"; field names as in the contacts message object).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SharedContact {
    pub name: Option<ContactName>,
    pub phones: Vec<ContactPhone>,
    pub emails: Vec<ContactEmail>,
    pub org: Option<ContactOrg>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ContactName {
    pub formatted_name: Option<String>,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ContactPhone {
    pub phone: Option<String>,
    pub wa_id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ContactEmail {
    pub email: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ContactOrg {
    pub company: Option<String>,
    pub department: Option<String>,
    pub title: Option<String>,
}

/// `context`: `forwarded` / `frequently_forwarded` (Meta's text webhook reference; pywa's samples
/// `forwarded`, `forwarded_many_times`); `{from, id}` of a reply is read by `webhook::reply_to`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Context {
    pub forwarded: bool,
    pub frequently_forwarded: bool,
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
    /// Stickers: `animated` (sample `meta/inbound_sticker.json`).
    #[serde(default)]
    pub animated: Option<bool>,
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
    /// Optional: a failed status is worth recording even when Meta leaves the code out.
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(default)]
    pub title: Option<String>,
}
