use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::*;

fn chat() -> Chat {
    Chat {
        channel_id: "00000000-0000-4000-8000-000000000001".into(),
        chat_id: "79000000001".into(),
        name: "79000000001".into(),
    }
}

/// Every key path of a JSON value (`.messages[].contact.name`), array items merged.
fn key_paths(value: &Value) -> BTreeSet<String> {
    fn walk(value: &Value, prefix: String, out: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    let path = format!("{prefix}.{key}");
                    out.insert(path.clone());
                    walk(inner, path, out);
                }
            }
            Value::Array(items) => {
                for item in items {
                    walk(item, format!("{prefix}[]"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(value, String::new(), &mut out);
    out
}

/// The type of every leaf, so that a builder cannot turn an ISO string into a number.
fn leaf_types(value: &Value) -> BTreeSet<(String, &'static str)> {
    fn walk(value: &Value, prefix: String, out: &mut BTreeSet<(String, &'static str)>) {
        match value {
            Value::Object(map) => map.iter().for_each(|(key, inner)| walk(inner, format!("{prefix}.{key}"), out)),
            Value::Array(items) => items.iter().for_each(|item| walk(item, format!("{prefix}[]"), out)),
            Value::String(_) => drop(out.insert((prefix, "string"))),
            Value::Bool(_) => drop(out.insert((prefix, "bool"))),
            Value::Number(_) => drop(out.insert((prefix, "number"))),
            Value::Null => drop(out.insert((prefix, "null"))),
        }
    }
    let mut out = BTreeSet::new();
    walk(value, String::new(), &mut out);
    out
}

#[test]
fn every_reference_sample_loads() {
    let (dir, _) = crate::reference::wazzup_dir();
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| crate::reference::missing(&dir, "the reference folder", &error.to_string()));
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    assert!(names.len() >= 10, "expected the ten documented samples in {}: {names:?}", dir.display());
    for name in names {
        assert!(sample(&name).is_object(), "{name} is not a JSON object");
    }
}

#[test]
fn builders_match_sample_key_structure() {
    let c = chat();
    let t = "2025-05-06T14:18:00.001Z";
    let error_status = statuses(&[("b1", "error", t, Some(("BAD_CONTACT", "no such account")))]);
    let cases: Vec<(&str, Value)> = vec![
        ("inbound_text.json", inbound_text(&c, "a1", t, "hi")),
        ("inbound_image_sticker.json", inbound_media(&c, "a2", t, "image", "https://x/1.was", None)),
        ("echo_outgoing_from_phone.json", echo_from_phone(&c, "a4", t, "reply", "Manager")),
        ("statuses_delivered.json", statuses(&[("b1", "delivered", t, None)])),
        (
            "messages_and_statuses.json",
            combine(vec![inbound_text(&c, "a3", t, "thanks")], vec![statuses(&[("b1", "read", t, None)])]),
        ),
        ("webhook_test_probe.json", test_probe()),
    ];
    for (name, built) in cases {
        let expected = sample(name);
        assert_eq!(key_paths(&built), key_paths(&expected), "{name}: key paths differ");
        assert_eq!(leaf_types(&built), leaf_types(&expected), "{name}: leaf types differ");
    }
    // The error status adds only `error.{error, description}` (W1 status table; no sample).
    let extra: BTreeSet<String> =
        key_paths(&error_status).difference(&key_paths(&sample("statuses_delivered.json"))).cloned().collect();
    let want: BTreeSet<String> =
        [".statuses[].error", ".statuses[].error.error", ".statuses[].error.description"].map(String::from).into();
    assert_eq!(extra, want);
}

#[test]
fn builders_carry_the_sample_values() {
    let c = chat();
    let inbound = inbound_text(&c, "m1", "2025-05-06T14:18:00.001Z", "Тестовый\n• Вариант1\n• Вариант2");
    let want = sample("inbound_text.json");
    for key in ["chatType", "chatId", "channelId", "type", "isEcho", "status", "text", "dateTime"] {
        assert_eq!(inbound["messages"][0][key], want["messages"][0][key], "{key}");
    }
    let echo = echo_from_phone(&c, "m2", "2025-05-06T14:25:00.004Z", "Ответ менеджера с телефона", "Менеджер");
    let want = sample("echo_outgoing_from_phone.json");
    for key in ["isEcho", "status", "authorName", "sentFromApp", "text", "type"] {
        assert_eq!(echo["messages"][0][key], want["messages"][0][key], "{key}");
    }
}

#[test]
fn media_geo_and_vcard_bodies() {
    let c = chat();
    let doc = inbound_media(&c, "m1", "t", "document", "http://sim/store/1/?filename=a.pdf", Some("the contract"));
    assert_eq!(doc["messages"][0]["type"], "document");
    assert_eq!(doc["messages"][0]["text"], "the contract");
    assert_eq!(doc["messages"][0]["contentUri"], "http://sim/store/1/?filename=a.pdf");
    let geo = inbound_geo(&c, "m2", "t", 55.75, 37.61);
    assert_eq!(geo["messages"][0]["type"], "geo");
    assert_eq!(geo["messages"][0]["text"], "55.75, 37.61");
    let card = inbound_vcard(&c, "m3", "t", "BEGIN:VCARD\nFN:Ivan\nEND:VCARD");
    assert_eq!(card["messages"][0]["type"], "vcard");
    assert!(card["messages"][0]["text"].as_str().is_some_and(|t| t.contains("FN:Ivan")));
}

#[test]
fn combine_takes_bodies_and_bare_items() {
    let c = chat();
    let both = combine(
        vec![inbound_text(&c, "m1", "t", "a"), json!({"messageId": "m2"})],
        vec![statuses(&[("s1", "sent", "t", None), ("s1", "delivered", "t", None)])],
    );
    let ids: Vec<&str> =
        both["messages"].as_array().into_iter().flatten().filter_map(|m| m["messageId"].as_str()).collect();
    assert_eq!(ids, ["m1", "m2"]);
    assert_eq!(both["statuses"].as_array().map(Vec::len), Some(2));
}

#[test]
#[should_panic(expected = "the Wazzup reference sample must be at")]
fn a_missing_sample_panics_with_its_path() {
    sample("no_such_sample.json");
}
