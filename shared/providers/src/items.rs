//! Reading a webhook item by item: one item that does not read is refused on its own (kept as a
//! dead letter by intake) while the others are stored. The reasons name fields and rules, never
//! values: a refused item is a customer's message, and its reason goes to logs and operators.

use serde::de::DeserializeOwned;

use bridge_core::ports::Rejected;

/// An item deserialized from its JSON, or why not (values masked).
pub(crate) fn read_item<T: DeserializeOwned>(raw: &serde_json::Value, what: &str) -> Result<T, String> {
    T::deserialize(raw).map_err(|e| format!("{what}: {}", serde_reason(&e)))
}

pub(crate) fn rejected(body: serde_json::Value, reason: impl Into<String>) -> Rejected {
    Rejected { body: body.to_string(), reason: reason.into() }
}

/// A serde error's message without the values it quotes: `invalid type: string "Anna",
/// expected i64` → `invalid type: string …, expected i64`; digit runs (a phone as a number)
/// masked too. Field names (in backticks) stay: they say what to fix.
pub(crate) fn serde_reason(e: &serde_json::Error) -> String {
    let mut out = String::new();
    let mut in_quotes = false;
    let mut digits = 0usize;
    for c in e.to_string().chars() {
        if in_quotes {
            if c == '"' {
                in_quotes = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_quotes = true;
                out.push('…');
            }
            '0'..='9' => {
                digits += 1;
                // Keep short numbers (line/column, lengths); hide anything phone-long.
                if digits <= 4 {
                    out.push(c);
                } else if digits == 5 {
                    out.push('…');
                }
            }
            _ => {
                digits = 0;
                out.push(c);
            }
        }
    }
    // serde_json appends " at line 1 column 42" for text input: no use for an item.
    match out.find(" at line ") {
        Some(at) => out[..at].to_owned(),
        None => out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_keep_field_names_and_drop_values() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct M {
            from: String,
            id: String,
        }
        let e = serde_json::from_value::<M>(serde_json::json!({ "from": 4915112345678u64, "id": "x" })).unwrap_err();
        let reason = serde_reason(&e);
        assert!(!reason.contains("4915112345678") && !reason.contains("51123"), "{reason}");
        assert!(reason.contains("expected a string"), "{reason}");
        let e = serde_json::from_value::<M>(serde_json::json!({ "from": "secret text", "id": 1 })).unwrap_err();
        assert!(!serde_reason(&e).contains("secret"));
        let e = serde_json::from_value::<M>(serde_json::json!({ "id": "x" })).unwrap_err();
        assert_eq!(serde_reason(&e), "missing field `from`");
    }
}
