//! Validation of `POST /{phone_number_id}/messages` bodies, following Meta's send reference.

use serde_json::{Map, Value};

use super::meta_error::MetaError;

pub(crate) const MAX_TEXT_CHARS: usize = 4096;
pub(crate) const MAX_CAPTION_CHARS: usize = 1024;
const MEDIA_TYPES: [&str; 5] = ["image", "video", "audio", "document", "sticker"];

/// What an accepted send is addressed to.
pub(crate) struct ValidSend {
    /// `to` exactly as given (echoed as `contacts[].input`).
    pub input: String,
    /// `to` reduced to digits (echoed as `contacts[].wa_id`).
    pub wa_id: String,
    pub kind: String,
}

pub(crate) fn validate_send(body: &Value) -> Result<ValidSend, MetaError> {
    let body =
        body.as_object().ok_or_else(|| MetaError::invalid_parameter("The request body must be a JSON object."))?;

    match body.get("messaging_product").and_then(Value::as_str) {
        Some("whatsapp") => {}
        Some(_) => return Err(MetaError::invalid_parameter("Param messaging_product must be 'whatsapp'.")),
        None => return Err(MetaError::invalid_parameter("The parameter messaging_product is required.")),
    }
    if let Some(recipient_type) = body.get("recipient_type") {
        if recipient_type.as_str() != Some("individual") {
            return Err(MetaError::invalid_parameter("Param recipient_type must be 'individual'."));
        }
    }
    let input = body
        .get("to")
        .and_then(Value::as_str)
        .ok_or_else(|| MetaError::invalid_parameter("The parameter to is required."))?;
    let wa_id = phone_digits(input).ok_or_else(|| {
        MetaError::invalid_parameter("Param to must be a phone number in international format (digits).")
    })?;

    // Meta defaults `type` to text when it is omitted.
    let kind = match body.get("type") {
        None => "text",
        Some(kind) => kind.as_str().ok_or_else(|| MetaError::invalid_parameter("Param type must be a string."))?,
    };
    let object = body
        .get(kind)
        .and_then(Value::as_object)
        .ok_or_else(|| MetaError::invalid_parameter(format!("The parameter {kind} is required.")));
    match kind {
        "text" => validate_text(object?)?,
        kind if MEDIA_TYPES.contains(&kind) => validate_media(kind, object?)?,
        "template" => validate_template(object?)?,
        "reaction" => validate_reaction(object?)?,
        "location" => validate_location(object?)?,
        other => return Err(MetaError::invalid_parameter(format!("Param type has an unsupported value: {other}."))),
    }
    validate_context(body)?;
    Ok(ValidSend { input: input.to_owned(), wa_id, kind: kind.to_owned() })
}

/// Digits of an international number; Meta tolerates a leading `+`.
fn phone_digits(to: &str) -> Option<String> {
    let digits = to.strip_prefix('+').unwrap_or(to);
    let ok = (5..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| digits.to_owned())
}

fn validate_text(text: &Map<String, Value>) -> Result<(), MetaError> {
    let body = text
        .get("body")
        .and_then(Value::as_str)
        .ok_or_else(|| MetaError::invalid_parameter("The parameter text['body'] is required."))?;
    if body.trim().is_empty() {
        return Err(MetaError::invalid_parameter("Param text['body'] must not be empty."));
    }
    if body.chars().count() > MAX_TEXT_CHARS {
        return Err(MetaError::invalid_parameter(format!(
            "Param text['body'] must be at most {MAX_TEXT_CHARS} characters long."
        )));
    }
    if text.get("preview_url").is_some_and(|v| !v.is_boolean()) {
        return Err(MetaError::invalid_parameter("Param text['preview_url'] must be a boolean."));
    }
    Ok(())
}

fn validate_media(kind: &str, media: &Map<String, Value>) -> Result<(), MetaError> {
    let id = non_empty_str(media, "id");
    let link = non_empty_str(media, "link");
    match (id, link) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(MetaError::invalid_parameter(format!(
                "Param {kind} must contain exactly one of {kind}['id'] or {kind}['link']."
            )))
        }
        (None, Some(link)) if !(link.starts_with("https://") || link.starts_with("http://")) => {
            return Err(MetaError::invalid_parameter(format!("Param {kind}['link'] must be a valid URL.")))
        }
        _ => {}
    }
    if let Some(caption) = media.get("caption") {
        if matches!(kind, "audio" | "sticker") {
            return Err(MetaError::invalid_parameter(format!("Param {kind}['caption'] is not allowed for {kind}.")));
        }
        let caption = caption
            .as_str()
            .ok_or_else(|| MetaError::invalid_parameter(format!("Param {kind}['caption'] must be a string.")))?;
        if caption.chars().count() > MAX_CAPTION_CHARS {
            return Err(MetaError::invalid_parameter(format!(
                "Param {kind}['caption'] must be at most {MAX_CAPTION_CHARS} characters long."
            )));
        }
    }
    if let Some(filename) = media.get("filename") {
        if kind != "document" {
            return Err(MetaError::invalid_parameter(format!(
                "Param {kind}['filename'] is only allowed for document."
            )));
        }
        if !filename.is_string() {
            return Err(MetaError::invalid_parameter("Param document['filename'] must be a string."));
        }
    }
    Ok(())
}

fn validate_template(template: &Map<String, Value>) -> Result<(), MetaError> {
    if non_empty_str(template, "name").is_none() {
        return Err(MetaError::invalid_parameter("The parameter template['name'] is required."));
    }
    let language = template.get("language").and_then(Value::as_object);
    if language.and_then(|l| non_empty_str(l, "code")).is_none() {
        return Err(MetaError::invalid_parameter("The parameter template['language']['code'] is required."));
    }
    Ok(())
}

fn validate_reaction(reaction: &Map<String, Value>) -> Result<(), MetaError> {
    if non_empty_str(reaction, "message_id").is_none() {
        return Err(MetaError::invalid_parameter("The parameter reaction['message_id'] is required."));
    }
    // An empty emoji is valid: it removes an earlier reaction.
    if !reaction.get("emoji").is_some_and(Value::is_string) {
        return Err(MetaError::invalid_parameter("The parameter reaction['emoji'] is required."));
    }
    Ok(())
}

fn validate_location(location: &Map<String, Value>) -> Result<(), MetaError> {
    for key in ["latitude", "longitude"] {
        let numeric = match location.get(key) {
            Some(Value::Number(_)) => true,
            Some(Value::String(s)) => s.parse::<f64>().is_ok(),
            _ => false,
        };
        if !numeric {
            return Err(MetaError::invalid_parameter(format!("The parameter location['{key}'] is required.")));
        }
    }
    Ok(())
}

fn validate_context(body: &Map<String, Value>) -> Result<(), MetaError> {
    match body.get("context") {
        None => Ok(()),
        Some(context) => match context.as_object().and_then(|c| non_empty_str(c, "message_id")) {
            Some(_) => Ok(()),
            None => Err(MetaError::invalid_parameter("The parameter context['message_id'] is required.")),
        },
    }
}

fn non_empty_str<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    map.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn code_of(body: Value) -> Option<i64> {
        validate_send(&body).err().map(|e| e.code)
    }

    #[test]
    fn accepts_documented_examples() {
        let text = json!({"messaging_product":"whatsapp","recipient_type":"individual","to":"79051234567",
                          "type":"text","text":{"body":"Hello"},"context":{"message_id":"wamid.X"}});
        let sent = validate_send(&text).ok().map(|s| (s.wa_id, s.kind));
        assert_eq!(sent, Some(("79051234567".into(), "text".into())));
        let doc = json!({"messaging_product":"whatsapp","to":"+79051234567","type":"document",
                         "document":{"link":"https://x/y.pdf","filename":"invoice.pdf","caption":"c"}});
        assert_eq!(validate_send(&doc).ok().map(|s| s.wa_id), Some("79051234567".into()));
        let template = json!({"messaging_product":"whatsapp","to":"79051234567","type":"template",
                              "template":{"name":"hello_world","language":{"code":"en_US"}}});
        assert_eq!(code_of(template), None);
        let reaction = json!({"messaging_product":"whatsapp","to":"79051234567","type":"reaction",
                              "reaction":{"message_id":"wamid.X","emoji":""}});
        assert_eq!(code_of(reaction), None);
    }

    #[test]
    fn rejects_what_meta_rejects() {
        let base = |extra: Value| {
            let mut body = json!({"messaging_product":"whatsapp","to":"79051234567"});
            if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
                body.extend(extra.clone());
            }
            body
        };
        assert_eq!(code_of(base(json!({"type":"text","text":{"body":""}}))), Some(100));
        assert_eq!(code_of(base(json!({"type":"text","text":{"body":"x".repeat(4097)}}))), Some(100));
        assert_eq!(code_of(base(json!({"type":"text","text":{"body":"x".repeat(4096)}}))), None);
        assert_eq!(code_of(base(json!({"type":"image","image":{"id":"1","link":"https://x"}}))), Some(100));
        assert_eq!(code_of(base(json!({"type":"image","image":{}}))), Some(100));
        assert_eq!(code_of(base(json!({"type":"audio","audio":{"id":"1","caption":"c"}}))), Some(100));
        assert_eq!(code_of(base(json!({"type":"image","image":{"id":"1","filename":"a.jpg"}}))), Some(100));
        assert_eq!(code_of(base(json!({"type":"video"}))), Some(100));
        assert_eq!(code_of(base(json!({"type":"contacts","contacts":{}}))), Some(100));
        assert_eq!(code_of(base(json!({"type":"text","text":{"body":"x"},"context":{}}))), Some(100));
        assert_eq!(code_of(json!({"messaging_product":"sms","to":"79051234567","text":{"body":"x"}})), Some(100));
        assert_eq!(code_of(json!({"messaging_product":"whatsapp","to":"7905-123","text":{"body":"x"}})), Some(100));
        assert_eq!(code_of(json!([1, 2])), Some(100));
    }
}
