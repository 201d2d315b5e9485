//! Field checks with Green-API's validation texts.
//!
//! The texts are Joi's (`'chatId' is required`, `'message' is not allowed to be empty`,
//! `'message' length must be less than or equal to 20000 characters long`, `'x' is not allowed`…,
//! listed on `https://green-api.com/en/docs/api/common-errors/` and asserted by a public QA suite
//! run against the live API). Joi checks keys in schema order and stops at the first problem;
//! unknown keys are reported after the known ones. Joi measures strings in UTF-16 code units, so
//! the sim does too: an emoji counts 2 towards the 20 000.

use serde_json::{Map, Value};

/// `sendMessage` text and file captions: "The maximum length of a text message is 20000
/// characters" (`https://green-api.com/en/docs/api/sending/SendMessage/`; older revisions said
/// 4096). Caption: "The maximum field length is 20000 characters" (SendFileByUrl page).
pub(crate) const MAX_TEXT_UTF16: usize = 20_000;

/// `quotedMessageId` / `idMessage` shorter than this is refused ("'message id' must be at least
/// 16 symbols", common errors page).
const MIN_MESSAGE_ID: usize = 16;

pub(crate) type Fields = Map<String, Value>;

/// A required non-empty string.
pub(crate) fn required_str<'a>(body: &'a Fields, key: &str) -> Result<&'a str, String> {
    match body.get(key) {
        None => Err(format!("'{key}' is required")),
        Some(Value::String(value)) if value.is_empty() => Err(format!("'{key}' is not allowed to be empty")),
        Some(Value::String(value)) => Ok(value),
        Some(_) => Err(format!("'{key}' must be a string")),
    }
}

/// An optional string (empty allowed).
pub(crate) fn optional_str<'a>(body: &'a Fields, key: &str) -> Result<Option<&'a str>, String> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::String(value)) => Ok(Some(value)),
        Some(_) => Err(format!("'{key}' must be a string")),
    }
}

pub(crate) fn optional_bool(body: &Fields, key: &str) -> Result<Option<bool>, String> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Bool(value)) => Ok(Some(*value)),
        Some(_) => Err(format!("'{key}' must be a boolean")),
    }
}

pub(crate) fn optional_number(body: &Fields, key: &str) -> Result<(), String> {
    match body.get(key) {
        None | Some(Value::Number(_)) => Ok(()),
        Some(_) => Err(format!("'{key}' must be a number")),
    }
}

/// `chatId`: `digits@c.us` (a person) or `digits[-digits]@g.us` (a group).
pub(crate) fn chat_id(body: &Fields) -> Result<&str, String> {
    let chat_id = required_str(body, "chatId")?;
    if is_chat_id(chat_id) {
        Ok(chat_id)
    } else {
        Err("'chatId' must be one of the next formats: 'phone_number@c.us' or 'group_id@g.us'".into())
    }
}

pub(crate) fn is_chat_id(chat_id: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some(phone) = chat_id.strip_suffix("@c.us") {
        return digits(phone);
    }
    if let Some(group) = chat_id.strip_suffix("@g.us") {
        let mut parts = group.splitn(2, '-');
        return parts.next().is_some_and(digits) && parts.next().is_none_or(digits);
    }
    false
}

/// Text no longer than [`MAX_TEXT_UTF16`] UTF-16 code units.
pub(crate) fn max_text(key: &str, value: &str) -> Result<(), String> {
    if value.encode_utf16().count() > MAX_TEXT_UTF16 {
        Err(format!("'{key}' length must be less than or equal to {MAX_TEXT_UTF16} characters long"))
    } else {
        Ok(())
    }
}

/// An optional `quotedMessageId`.
pub(crate) fn quoted_message_id(body: &Fields) -> Result<Option<&str>, String> {
    match optional_str(body, "quotedMessageId")? {
        Some(id) if id.chars().count() < MIN_MESSAGE_ID => {
            Err(format!("'message id' must be at least {MIN_MESSAGE_ID} symbols"))
        }
        other => Ok(other),
    }
}

/// A required message id (`downloadFile`'s `idMessage`).
pub(crate) fn message_id<'a>(body: &'a Fields, key: &str) -> Result<&'a str, String> {
    let id = required_str(body, key)?;
    if id.chars().count() < MIN_MESSAGE_ID {
        return Err(format!("'message id' must be at least {MIN_MESSAGE_ID} symbols"));
    }
    Ok(id)
}

/// Green-API rejects fields it does not know: `'wrongFieldName' is not allowed`.
pub(crate) fn only_known<'a>(keys: impl IntoIterator<Item = &'a String>, allowed: &[&str]) -> Result<(), String> {
    match keys.into_iter().find(|key| !allowed.contains(&key.as_str())) {
        Some(unknown) => Err(format!("'{unknown}' is not allowed")),
        None => Ok(()),
    }
}

/// A file name Green-API can classify: it must carry an extension (the exact text Green-API
/// answers without one is **unconfirmed**).
pub(crate) fn file_name(key: &str, name: &str) -> Result<(), String> {
    if super::file_kind::extension(name).is_some() {
        Ok(())
    } else {
        Err(format!("'{key}' must contain the file extension"))
    }
}

/// `urlFile`: an absolute http(s) URL (Joi `string.uri` text).
pub(crate) fn url(key: &str, value: &str) -> Result<(), String> {
    let rest = value.strip_prefix("https://").or_else(|| value.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') && !value.contains(char::is_whitespace) => Ok(()),
        _ => Err(format!("'{key}' must be a valid uri")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_id_shapes() {
        assert!(is_chat_id("79001234567@c.us"));
        assert!(is_chat_id("11001234567-1581234048@g.us"));
        assert!(is_chat_id("120363039326117111@g.us"));
        for bad in
            ["79001234567", "+79001234567@c.us", "@c.us", "7900@s.whatsapp.net", "1-2-3@g.us", "abc@g.us", "1-@g.us"]
        {
            assert!(!is_chat_id(bad), "{bad}");
        }
    }

    #[test]
    fn length_counts_utf16_units() {
        assert!(max_text("message", &"A".repeat(20_000)).is_ok());
        assert!(max_text("message", &"A".repeat(20_001)).is_err());
        // 10 000 emoji are 20 000 UTF-16 units; one more is too many.
        assert!(max_text("message", &"😀".repeat(10_000)).is_ok());
        assert!(max_text("message", &"😀".repeat(10_001)).is_err());
        assert!(max_text("message", &"Ж".repeat(20_000)).is_ok());
    }

    #[test]
    fn urls() {
        assert!(url("urlFile", "https://bucket.s3.amazonaws.com/a.pdf?X-Amz-Signature=1").is_ok());
        assert!(url("urlFile", "http://127.0.0.1:9/a.jpg").is_ok());
        for bad in ["ftp://x/a", "https://", "a.pdf", "https:///a", "http://a b"] {
            assert!(url("urlFile", bad).is_err(), "{bad}");
        }
    }
}
