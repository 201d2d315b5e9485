//! Account configs from text an operator wrote, with errors safe to log. serde's messages quote
//! the offending value (`invalid type: string "…"`), and in an account config that value is
//! often a secret; so an error here names where (the field's path) and what kind of mistake it
//! is, built from fixed words and the names of the config's own fields, never from the input.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{AccountConfig, Dialog360Config, GreenApiConfig, MetaConfig, TwilioConfig, WazzupConfig};

/// An account from its JSON text (one SSM parameter).
pub fn account_from_json(text: &str) -> Result<AccountConfig, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| json_syntax(&e))?;
    account_from_value(&value)
}

/// An account from an already parsed document (a `[[accounts]]` table of the local TOML).
pub fn account_from_document(document: &impl serde::Serialize) -> Result<AccountConfig, String> {
    let value = serde_json::to_value(document).map_err(|_| "not an account table".to_owned())?;
    account_from_value(&value)
}

fn account_from_value(value: &Value) -> Result<AccountConfig, String> {
    let e = match serde_path_to_error::deserialize::<_, AccountConfig>(value) {
        Ok(account) => return Ok(account),
        Err(e) => e,
    };
    let mut message = e.inner().to_string();
    let mut path = render_path(e.path(), &message);
    // `provider` is an internally tagged enum: serde buffers it, and the path stops there. Read
    // it again as the struct its `kind` names to find the field.
    if path == "provider" {
        if let Some((inner_path, inner_message)) = provider_error(value) {
            path = if inner_path.is_empty() { "provider".into() } else { format!("provider.{inner_path}") };
            message = inner_message;
        }
    }
    let what = describe_error(&message);
    Err(if path.is_empty() { what } else { format!("{path}: {what}") })
}

fn provider_error(value: &Value) -> Option<(String, String)> {
    let provider = value.get("provider")?.as_object()?;
    let kind = provider.get("kind")?.as_str()?;
    let mut fields = provider.clone();
    fields.remove("kind");
    let fields = Value::Object(fields);
    fn first_error<T: DeserializeOwned>(v: &Value) -> Option<(String, String)> {
        let e = serde_path_to_error::deserialize::<_, T>(v).err()?;
        let message = e.inner().to_string();
        Some((render_path(e.path(), &message), message))
    }
    match kind {
        "meta" => first_error::<MetaConfig>(&fields),
        "twilio" => first_error::<TwilioConfig>(&fields),
        "green-api" | "green_api" => first_error::<GreenApiConfig>(&fields),
        "360dialog" => first_error::<Dialog360Config>(&fields),
        "wazzup" => first_error::<WazzupConfig>(&fields),
        _ => None,
    }
}

/// `planfix.webhook_secret`, `settings.assignee_user_ids[2]`; empty at the top. The key of an
/// unknown field is the input's, not a field name, so it is left out.
fn render_path(path: &serde_path_to_error::Path, message: &str) -> String {
    use serde_path_to_error::Segment;
    let mut segments: Vec<&Segment> = path.iter().collect();
    // serde_path_to_error ends the path with the unknown key itself (except inside the tagged
    // provider, where it stops at `provider`).
    let unknown = message.strip_prefix("unknown field `").and_then(|rest| rest.split('`').next());
    if matches!((unknown, segments.last()), (Some(name), Some(Segment::Map { key })) if key == name) {
        segments.pop();
    }
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(if is_field_name(key) { key } else { "?" });
            }
            Segment::Unknown => out.push_str(if out.is_empty() { "?" } else { ".?" }),
        }
    }
    out
}

/// The shape of the config's own field names; anything else may be input.
fn is_field_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

/// What kind of mistake a serde message reports, in fixed words. Only two things are taken
/// from it: a missing or duplicated field's name (the config's own field, shape-checked) and
/// what was expected (the config's types speak there, after the input in serde's format).
pub fn describe_error(message: &str) -> String {
    let expected = || {
        let tail = &message[message.rfind(", expected ")? + 2..];
        // serde_json and toml append the position after the expectation.
        let tail = tail.split(" at line ").next().unwrap_or(tail).split('\n').next().unwrap_or(tail);
        Some(format!(" ({tail})"))
    };
    let field = |prefix: &str| {
        message.strip_prefix(prefix).and_then(|rest| rest.split('`').next()).filter(|name| is_field_name(name))
    };
    if let Some(name) = field("missing field `") {
        return format!("missing field `{name}`");
    }
    if let Some(name) = field("duplicate field `") {
        return format!("field `{name}` is given twice");
    }
    if message.starts_with("unknown field") {
        return format!("a field this version does not know (its name is not shown){}", expected().unwrap_or_default());
    }
    if message.starts_with("unknown variant") {
        return format!("a value that is not one of the choices (not shown){}", expected().unwrap_or_default());
    }
    if ["invalid type", "invalid value", "invalid length"].iter().any(|p| message.starts_with(p)) {
        return format!(
            "a value of the wrong type or form (not shown: it may be a secret){}",
            expected().unwrap_or_default()
        );
    }
    if message.starts_with("invalid account id") {
        return "not a valid account id: use 1-64 letters, digits, '-' or '_'".into();
    }
    "an invalid value (not shown: it may be a secret)".into()
}

/// Where the text stops being JSON; serde_json's syntax messages are fixed words, but its
/// message is not used anyway: the position is what the operator needs.
fn json_syntax(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Eof => format!("not valid JSON: it ends early (line {}, column {})", e.line(), e.column()),
        Category::Syntax => format!("not valid JSON: syntax error at line {}, column {}", e.line(), e.column()),
        Category::Io | Category::Data => "not valid JSON".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "s3cr3t-VALUE-do-not-print";

    fn good() -> Value {
        serde_json::json!({
            "id": "acme",
            "planfix": { "base_url": "https://acme.planfix.com/rest", "token": "pf", "webhook_secret": "hook-secret-0123456789" },
            "provider": { "kind": "meta", "app_secret": "0123456789abcdef0123456789abcdef",
                "verify_token": "verify-token-0123456789", "access_token": "EAAG", "phone_number_id": "1122" },
            "settings": { "assignee_user_ids": [1, 2] }
        })
    }

    fn error(v: &Value) -> String {
        let e = account_from_json(&v.to_string()).expect_err("invalid");
        assert_eq!(account_from_document(v).unwrap_err(), e, "both doors give the same answer");
        assert!(!e.contains(SECRET) && !e.contains("s3cr3t"), "a value was quoted: {e}");
        e
    }

    #[test]
    fn a_good_account_parses() {
        let a = account_from_json(&good().to_string()).unwrap();
        assert_eq!(a.id.as_str(), "acme");
    }

    #[test]
    fn errors_name_the_field_and_never_the_value() {
        let mut v = good();
        v["planfix"]["token"] = 12345.into();
        let e = error(&v);
        assert!(e.starts_with("planfix.token: a value of the wrong type"), "{e}");
        assert!(e.contains("expected a string") && !e.contains("12345"), "{e}");

        // Inside the tagged provider, the field is still named.
        let mut v = good();
        v["provider"]["app_secret"] = serde_json::json!([SECRET]);
        assert!(error(&v).starts_with("provider.app_secret: a value of the wrong type"), "{}", error(&v));

        let mut v = good();
        v["planfix"].as_object_mut().unwrap().remove("webhook_secret");
        assert_eq!(error(&v), "planfix: missing field `webhook_secret`");

        let mut v = good();
        v["provider"].as_object_mut().unwrap().remove("verify_token");
        assert_eq!(error(&v), "provider: missing field `verify_token`");

        // A mistyped key may be anything the operator pasted: its name is not repeated.
        let mut v = good();
        v["planfix"][SECRET] = "x".into();
        let e = error(&v);
        assert!(e.starts_with("planfix: a field this version does not know"), "{e}");
        assert!(e.contains("`webhook_secret`"), "the known fields are listed: {e}");
        let mut v = good();
        v["provider"]["s3cr3t_key"] = "x".into();
        assert!(error(&v).starts_with("provider: a field this version does not know"), "{}", error(&v));

        let mut v = good();
        v["provider"]["kind"] = SECRET.into();
        let e = error(&v);
        assert!(e.contains("not one of the choices") && e.contains("`meta`"), "{e}");

        let mut v = good();
        v["id"] = "ac me".into();
        assert!(error(&v).starts_with("id: not a valid account id"), "{}", error(&v));

        let mut v = good();
        v["settings"]["assignee_user_ids"][1] = SECRET.into();
        assert!(error(&v).starts_with("settings.assignee_user_ids[1]: "), "{}", error(&v));

        let mut v = good();
        v["planfix"]["requests_per_second"] = "fast".into();
        assert!(error(&v).starts_with("planfix.requests_per_second: "), "{}", error(&v));
    }

    #[test]
    fn broken_json_is_located_not_quoted() {
        let text = format!(r#"{{"id":"acme","planfix":{{"token":"{SECRET}"#);
        let e = account_from_json(&text).unwrap_err();
        assert!(e.starts_with("not valid JSON: it ends early (line 1, column"), "{e}");
        let e = account_from_json(&format!(r#"{{"id":"acme" "token":"{SECRET}"}}"#)).unwrap_err();
        assert!(e.starts_with("not valid JSON: syntax error at line 1, column 14"), "{e}");
        assert!(!e.contains(SECRET));
    }

    #[test]
    fn descriptions_are_made_of_fixed_words() {
        assert_eq!(describe_error("missing field `Token; rm -rf`"), "an invalid value (not shown: it may be a secret)");
        assert_eq!(
            describe_error("invalid type: string \"x, expected y\", expected a string at line 1 column 9"),
            "a value of the wrong type or form (not shown: it may be a secret) (expected a string)"
        );
        assert_eq!(
            describe_error("some custom message quoting abc"),
            "an invalid value (not shown: it may be a secret)"
        );
    }
}
