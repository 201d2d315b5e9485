//! Builders for what Twilio POSTs to the bridge, plus their `X-Twilio-Signature` (NOTES 3.1, 3.2).
//!
//! Bodies are `application/x-www-form-urlencoded` parameter lists in the order of the captured
//! samples (`reference/providers/twilio/*.form`); order does not matter to the signature, which
//! sorts by name. Newer parameters the old samples lack (`MessageType`, and `ProfileName` / `WaId`
//! on media and location) are added as current Twilio bodies carry them.

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

use crate::{address, codes, ids, reference};

/// Twilio's REST API version, echoed in every webhook.
pub const API_VERSION: &str = "2010-04-01";

/// `X-Twilio-Signature`: base64(HMAC-SHA1(auth_token, url + name₁value₁ + name₂value₂ …)) with the
/// parameters sorted by name. The sort is stable, so repeated names keep their order (Twilio's
/// Python helper also sorts repeated values; none of Twilio's messaging webhooks repeat a name).
pub fn sign(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut mac = match Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()) {
        Ok(mac) => mac,
        // HMAC hashes over-long keys and pads short ones, so no key length is rejected.
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Form body (`application/x-www-form-urlencoded`, spaces as `+`), as Twilio encodes it.
pub fn encode(params: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish()
}

/// Parameters of a form body, in order; malformed escapes are kept literally, never rejected.
pub fn parse(body: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(body.as_bytes()).into_owned().collect()
}

/// A fresh message SID: `MM…` when the message carries media, `SM…` otherwise.
pub fn message_sid(with_media: bool) -> String {
    ids::message_sid(with_media)
}

/// The WhatsApp user writing to the business number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    pub account_sid: String,
    /// The user, E.164 with `+`.
    pub from: String,
    /// The business number, E.164 with `+`.
    pub to: String,
    /// WhatsApp display name (`ProfileName`); Twilio omits it when the user has none.
    pub profile_name: Option<String>,
}

/// Inbound text, shaped like `inbound_text_with_profilename_waid.form`.
pub fn text(i: &Inbound, message_sid: &str, body: &str) -> Vec<(String, String)> {
    let mut params = inbound(i, message_sid, body, 0);
    push(&mut params, "MessageType", "text");
    params
}

/// Inbound media, shaped like `inbound_image.form`: `NumMedia`, `MediaUrl{k}`,
/// `MediaContentType{k}`, the caption in `Body` (Twilio has no caption or file-name field), and
/// `MessageType` from the first content type.
pub fn media(i: &Inbound, message_sid: &str, caption: &str, media: &[(String, String)]) -> Vec<(String, String)> {
    let mut params = inbound(i, message_sid, caption, media.len());
    for (k, (url, content_type)) in media.iter().enumerate() {
        push(&mut params, &format!("MediaContentType{k}"), content_type);
        push(&mut params, &format!("MediaUrl{k}"), url);
    }
    let kind = media.first().map_or("text", |(_, content_type)| message_type(content_type));
    push(&mut params, "MessageType", kind);
    params
}

/// Inbound shared location, shaped like `inbound_location.form` (empty `Body`).
pub fn location(
    i: &Inbound,
    message_sid: &str,
    lat: f64,
    lon: f64,
    address: Option<&str>,
    label: Option<&str>,
) -> Vec<(String, String)> {
    let mut params = Vec::new();
    push(&mut params, "Latitude", &lat.to_string());
    push(&mut params, "Longitude", &lon.to_string());
    if let Some(address) = address {
        push(&mut params, "Address", address);
    }
    if let Some(label) = label {
        push(&mut params, "Label", label);
    }
    params.extend(inbound(i, message_sid, "", 0));
    push(&mut params, "MessageType", "location");
    params
}

/// A tap on a quick-reply (or reply) button: `MessageType=button`, `Body` and `ButtonText` the
/// button's text, `ButtonPayload` its id, `OriginalRepliedMessageSid` the message it answers
/// (as integrations' code and a published capture show them; unconfirmed in Twilio's table).
pub fn button(
    i: &Inbound,
    message_sid: &str,
    text: &str,
    payload: &str,
    replied_sid: Option<&str>,
) -> Vec<(String, String)> {
    let mut params = inbound(i, message_sid, text, 0);
    push(&mut params, "MessageType", "button");
    push(&mut params, "ButtonText", text);
    push(&mut params, "ButtonPayload", payload);
    if let Some(sid) = replied_sid {
        push(&mut params, "OriginalRepliedMessageSid", sid);
    }
    params
}

/// A row chosen in a list (`twilio/list-picker`): `MessageType=interactive`, `Body` the row's
/// title, `ListId` its id and `ListTitle` its title (unconfirmed: seen in integrations' code, not
/// in Twilio's parameter table).
pub fn list_reply(i: &Inbound, message_sid: &str, list_id: &str, title: &str) -> Vec<(String, String)> {
    let mut params = inbound(i, message_sid, title, 0);
    push(&mut params, "MessageType", "interactive");
    push(&mut params, "ListId", list_id);
    push(&mut params, "ListTitle", title);
    params
}

/// A message with no body and no media, `MessageType` as given (what Twilio sends for content it
/// does not pass on is unconfirmed).
pub fn bodiless(i: &Inbound, message_sid: &str, message_type: &str) -> Vec<(String, String)> {
    let mut params = inbound(i, message_sid, "", 0);
    push(&mut params, "MessageType", message_type);
    params
}

/// Marks an inbound message as forwarded: `Forwarded=true`, and `FrequentlyForwarded=true` when
/// `frequently` (as integrations type Twilio's WhatsApp parameters; unconfirmed in Twilio's table).
pub fn set_forwarded(params: &mut Vec<(String, String)>, frequently: bool) {
    push(params, "Forwarded", "true");
    if frequently {
        push(params, "FrequentlyForwarded", "true");
    }
}

/// Status callback of an outbound message, shaped like `status_sent.form` / `status_delivered.form`.
///
/// `from` is the business sender and `to` the recipient, in any of the forms `+…`, digits or
/// `whatsapp:+…`. `EventType` (`DELIVERED`, `READ`) is added for delivered and read;
/// `StructuredMessage=false` only on `sent`, as in the samples. `error_code` adds `ErrorCode` and
/// `ErrorMessage` (the shape of failed callbacks is not in the samples: unconfirmed).
pub fn status(
    account_sid: &str,
    message_sid: &str,
    status: &str,
    from: &str,
    to: &str,
    error_code: Option<&str>,
) -> Vec<(String, String)> {
    let mut params = Vec::new();
    match status {
        "delivered" => push(&mut params, "EventType", "DELIVERED"),
        "read" => push(&mut params, "EventType", "READ"),
        _ => {}
    }
    if let Some(code) = error_code {
        push(&mut params, "ErrorCode", code);
        let message = code.parse().map_or_else(|_| format!("Twilio error {code}"), codes::callback_message);
        push(&mut params, "ErrorMessage", &message);
    }
    push(&mut params, "SmsSid", message_sid);
    push(&mut params, "SmsStatus", status);
    push(&mut params, "MessageStatus", status);
    push(&mut params, "ChannelToAddress", &address::e164(to));
    push(&mut params, "To", &address::channel(to));
    push(&mut params, "ChannelPrefix", "whatsapp");
    push(&mut params, "MessageSid", message_sid);
    push(&mut params, "AccountSid", account_sid);
    if status == "sent" {
        push(&mut params, "StructuredMessage", "false");
    }
    push(&mut params, "From", &address::channel(from));
    push(&mut params, "ApiVersion", API_VERSION);
    push(&mut params, "ChannelInstallSid", &ids::channel_install_sid(account_sid, &address::e164(from)));
    params
}

/// A raw sample `providers/twilio/{name}` of the reference folder, parsed (for tests elsewhere).
/// Panics, naming the path, when it is missing.
pub fn sample(name: &str) -> Vec<(String, String)> {
    let path = reference::twilio_file(name);
    match std::fs::read_to_string(&path) {
        Ok(body) => parse(&body),
        Err(error) => panic!("cannot read the Twilio sample {}: {error}", path.display()),
    }
}

/// The value of parameter `name` (the first, if repeated).
pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// Fields every inbound message carries, in the order of the real capture.
fn inbound(i: &Inbound, message_sid: &str, body: &str, num_media: usize) -> Vec<(String, String)> {
    let from = address::e164(&i.from);
    let mut params = Vec::new();
    push(&mut params, "SmsMessageSid", message_sid);
    push(&mut params, "NumMedia", &num_media.to_string());
    if let Some(name) = &i.profile_name {
        push(&mut params, "ProfileName", name);
    }
    push(&mut params, "SmsSid", message_sid);
    push(&mut params, "WaId", &from[1..]);
    push(&mut params, "SmsStatus", "received");
    push(&mut params, "Body", body);
    push(&mut params, "To", &address::channel(&i.to));
    push(&mut params, "NumSegments", "1");
    push(&mut params, "ReferralNumMedia", "0");
    push(&mut params, "MessageSid", message_sid);
    push(&mut params, "AccountSid", &i.account_sid);
    push(&mut params, "From", &address::channel(&from));
    push(&mut params, "ApiVersion", API_VERSION);
    params
}

/// `MessageType` Twilio reports for a media content type (stickers, `image/webp`, count as images
/// here: unconfirmed whether Twilio says `sticker`).
fn message_type(content_type: &str) -> &'static str {
    match content_type.split('/').next().map(str::trim).map(str::to_ascii_lowercase).as_deref() {
        Some("image") => "image",
        Some("video") => "video",
        Some("audio") => "audio",
        _ => "document",
    }
}

fn push(params: &mut Vec<(String, String)>, name: &str, value: &str) {
    params.push((name.to_owned(), value.to_owned()));
}

#[cfg(test)]
mod tests;
