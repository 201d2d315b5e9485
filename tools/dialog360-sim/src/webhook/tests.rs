use std::collections::BTreeSet;

use serde_json::Value;

use super::*;

const SAMPLES: [&str; 7] = [
    "error_response.json",
    "inbound_image.json",
    "inbound_text.json",
    "media_retrieve_response.json",
    "status_delivered.json",
    "status_failed.json",
    "webhook_config_request.json",
];

fn biz() -> Business {
    business("100000000000002", "79000000000", "100000000000001")
}

fn user() -> Sender {
    Sender { wa_id: "79000000001".into(), profile_name: "NAME".into() }
}

/// Every object key path in `value` (array elements share the path `[]`).
pub(crate) fn key_paths(value: &Value) -> BTreeSet<String> {
    fn walk(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    let path = format!("{prefix}/{key}");
                    out.insert(path.clone());
                    walk(child, &path, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|item| walk(item, &format!("{prefix}[]"), out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(value, "", &mut out);
    out
}

#[test]
fn all_samples_load() {
    for name in SAMPLES {
        assert!(sample(name).is_object(), "{name}");
    }
}

#[test]
#[should_panic(expected = "the 360dialog reference sample must be at")]
fn a_missing_sample_panics_with_its_path() {
    sample("no_such_sample.json");
}

#[test]
fn text_has_the_documented_shape() {
    let built = text(&biz(), &user(), "wamid.FAKE00000000000000000000000001", 1700000000, "MESSAGE_BODY");
    let documented = sample("inbound_text.json");
    assert_eq!(key_paths(&built), key_paths(&documented));
    assert_eq!(built, documented, "same values as the docs' example once filled alike");
}

#[test]
fn media_has_the_documented_shape() {
    let mut built = media(
        &biz(),
        &user(),
        "wamid.FAKE00000000000000000000000002",
        1700000060,
        "image",
        "100000000000010",
        "image/jpeg",
        Some("CAPTION"),
        Some("ignored.jpg"),
        false,
    );
    set_media_sha256(&mut built, "IMAGE_HASH");
    assert_eq!(built, sample("inbound_image.json"));
}

#[test]
fn statuses_have_the_documented_fields() {
    let delivered = status(&biz(), "79000000001", "wamid.X", "delivered", 1700000120, None);
    let documented = key_paths(&sample("status_delivered.json"));
    let built = key_paths(&delivered);
    // The docs' delivered example also shows `conversation.expiration_timestamp`, which Meta's
    // builder sets on `sent` only.
    assert!(built.is_subset(&documented), "{:?}", built.difference(&documented).collect::<Vec<_>>());

    let failed = status(&biz(), "79000000001", "wamid.Y", "failed", 1700000180, Some((131014, "Request failed")));
    let documented = key_paths(&sample("status_failed.json"));
    let built = key_paths(&failed);
    assert!(documented.is_subset(&built), "{:?}", documented.difference(&built).collect::<Vec<_>>());
    assert_eq!(failed.pointer("/entry/0/changes/0/value/statuses/0/errors/0/code"), Some(&Value::from(131014)));
}
