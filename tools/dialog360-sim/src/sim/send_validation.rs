//! Validation of `POST /messages` bodies. 360dialog takes Meta's Cloud API body unchanged (D:
//! `docs/guides`, `docs/messaging/message-types/image`), so the rules are Meta's send reference,
//! as `meta-sim` applies them (its validator is private, hence this copy).

use serde_json::{Map, Value};

use super::meta_error::MetaError;

const MAX_TEXT_CHARS: usize = 4096;
const MAX_CAPTION_CHARS: usize = 1024;
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

    // Required on Cloud API; the On-Premise body (`waba.360dialog.io/v1/messages`) had none.
    match body.get("messaging_product").and_then(Value::as_str) {
        Some("whatsapp") => {}
        Some(_) => return Err(MetaError::invalid_parameter("Param messaging_product must be 'whatsapp'.")),
        None => return Err(MetaError::invalid_parameter("The parameter messaging_product is required.")),
    }
    if body.get("recipient_type").is_some_and(|r| r.as_str() != Some("individual")) {
        return Err(MetaError::invalid_parameter("Param recipient_type must be 'individual'."));
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
    let object = || {
        body.get(kind)
            .and_then(Value::as_object)
            .ok_or_else(|| MetaError::invalid_parameter(format!("The parameter {kind} is required.")))
    };
    match kind {
        "text" => validate_text(object()?)?,
        kind if MEDIA_TYPES.contains(&kind) => validate_media(kind, object()?)?,
        "template" => validate_template(object()?)?,
        "reaction" => validate_reaction(object()?)?,
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
    // "Either id or link is required, but should not be used at the same time" (docs/messaging/media).
    match (non_empty_str(media, "id"), non_empty_str(media, "link")) {
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

    fn with(extra: Value) -> Value {
        let mut body = json!({"messaging_product":"whatsapp","to":"79000000001"});
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        body
    }

    #[test]
    fn accepts_documented_bodies() {
        let image = with(json!({"recipient_type":"individual","type":"image","image":{"id":"1","caption":"c"}}));
        assert_eq!(validate_send(&image).ok().map(|s| (s.wa_id, s.kind)), Some(("79000000001".into(), "image".into())));
        let plus = json!({"messaging_product":"whatsapp","to":"+79000000001","text":{"body":"x"}});
        assert_eq!(
            validate_send(&plus).ok().map(|s| (s.input, s.wa_id)),
            Some(("+79000000001".into(), "79000000001".into()))
        );
        assert_eq!(
            code_of(with(json!({"type":"text","text":{"body":"x".repeat(4096)},"context":{"message_id":"w"}}))),
            None
        );
        assert_eq!(code_of(with(json!({"type":"template","template":{"name":"t","language":{"code":"en"}}}))), None);
        assert_eq!(code_of(with(json!({"type":"reaction","reaction":{"message_id":"w","emoji":""}}))), None);
        assert_eq!(
            code_of(with(json!({"type":"document","document":{"link":"https://x/y.pdf","filename":"y.pdf"}}))),
            None
        );
    }

    #[test]
    fn rejects_what_meta_rejects() {
        assert_eq!(code_of(with(json!({"type":"text","text":{"body":"x".repeat(4097)}}))), Some(100));
        assert_eq!(code_of(with(json!({"type":"text","text":{"body":"  "}}))), Some(100));
        assert_eq!(code_of(with(json!({"type":"text","text":{"body":"x","preview_url":"yes"}}))), Some(100));
        assert_eq!(code_of(with(json!({"type":"image","image":{"id":"1","link":"https://x"}}))), Some(100));
        assert_eq!(code_of(with(json!({"type":"image","image":{"link":"ftp://x"}}))), Some(100));
        assert_eq!(code_of(with(json!({"type":"audio","audio":{"id":"1","caption":"c"}}))), Some(100));
        assert_eq!(code_of(with(json!({"type":"video","video":{"id":"1","filename":"v.mp4"}}))), Some(100));
        assert_eq!(code_of(with(json!({"type":"video"}))), Some(100));
        assert_eq!(code_of(with(json!({"type":"contacts","contacts":{}}))), Some(100));
        assert_eq!(code_of(with(json!({"type":7}))), Some(100));
        assert_eq!(code_of(with(json!({"text":{"body":"x"},"context":{}}))), Some(100));
        assert_eq!(code_of(json!({"to":"79000000001","text":{"body":"x"}})), Some(100));
        assert_eq!(code_of(json!({"messaging_product":"whatsapp","to":"7900-000","text":{"body":"x"}})), Some(100));
        assert_eq!(code_of(json!({"messaging_product":"whatsapp","to":79000000001u64,"text":{"body":"x"}})), Some(100));
        assert_eq!(code_of(json!("text")), Some(100));
    }
}
