use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;

use super::*;

// Pair computed independently with python3:
//   hmac.new(b"test-app-secret", b'{"object":"whatsapp_business_account","entry":[]}',
//            hashlib.sha256).hexdigest()
#[test]
fn sign_matches_python_hmac() {
    let body = br#"{"object":"whatsapp_business_account","entry":[]}"#;
    assert_eq!(
        sign(b"test-app-secret", body),
        "sha256=c84a394cc475525991e78ff16e430b02e47f953877d2af0ade26956ce6f384dc"
    );
    // Same tool: hmac.new(b"key", b"The quick brown fox jumps over the lazy dog", sha256).
    assert_eq!(
        sign(b"key", b"The quick brown fox jumps over the lazy dog"),
        "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    );
}

#[test]
fn signed_body_signs_the_exact_bytes() {
    let payload = text_message(&biz(), &user(), "wamid.1", 1, "hi");
    let (body, signature) = signed_body(b"secret", &payload);
    assert_eq!(signature, sign(b"secret", &body));
    assert_eq!(serde_json::from_slice::<Value>(&body).ok(), Some(payload));
}

#[test]
fn builders_fill_the_given_values() {
    let text = text_message(&biz(), &user(), "wamid.A", 1700000000, "Привет");
    let value = &text["entry"][0]["changes"][0]["value"];
    assert_eq!(text["entry"][0]["id"], "1234567890987654321");
    assert_eq!(value["metadata"]["phone_number_id"], "1122334455667");
    assert_eq!(value["contacts"][0]["profile"]["name"], "Test Name");
    assert_eq!(value["messages"][0]["timestamp"], "1700000000");
    assert_eq!(value["messages"][0]["text"]["body"], "Привет");

    let voice =
        media_message(&biz(), &user(), "w", 1, "audio", "77", "audio/ogg; codecs=opus", Some("x"), Some("f"), true);
    let audio = &voice["entry"][0]["changes"][0]["value"]["messages"][0]["audio"];
    assert_eq!(audio["voice"], true);
    assert!(audio.get("caption").is_none() && audio.get("filename").is_none());

    let failed = status_update(&biz(), "972987654321", "wamid.B", "failed", 5, Some((131026, "Message undeliverable")));
    let status = &failed["entry"][0]["changes"][0]["value"]["statuses"][0];
    assert_eq!(status["errors"][0]["code"], 131026);
    assert_eq!(status["recipient_id"], "972987654321");
}

#[test]
fn retarget_replaces_only_the_message_identity() {
    let sample = text_message(&biz(), &user(), "wamid.old", 1, "old");
    let out = retarget_sample(&sample, "wamid.new", "79990001122", 42, Some("new"));
    let value = &out["entry"][0]["changes"][0]["value"];
    assert_eq!(value["messages"][0]["id"], "wamid.new");
    assert_eq!(value["messages"][0]["from"], "79990001122");
    assert_eq!(value["messages"][0]["timestamp"], "42");
    assert_eq!(value["messages"][0]["text"]["body"], "new");
    assert_eq!(value["contacts"][0]["wa_id"], "79990001122");
    assert_eq!(value["contacts"][0]["profile"], sample["entry"][0]["changes"][0]["value"]["contacts"][0]["profile"]);
    assert_eq!(retarget_sample(&sample, "wamid.old", "972987654321", 1, None), sample);
}

/// Every builder must produce the key structure of the matching real sample.
#[test]
fn builders_match_sample_key_structure() {
    let dir = samples_dir();
    let b = biz();
    let u = user();
    let with_hash = |mut v: Value| {
        set_media_sha256(&mut v, &media_sha256(b"bytes"));
        v
    };
    let forwarded = |mut v: Value| {
        set_forwarded(&mut v);
        v
    };
    let mut reply = text_message(&b, &u, "w", 1, "t");
    set_reply_context(&mut reply, &b.display_phone_number, "wamid.quoted");
    let media = |kind: &str, mime: &str, caption: Option<&str>, filename: Option<&str>, voice: bool| {
        with_hash(media_message(&b, &u, "w", 1, kind, "1", mime, caption, filename, voice))
    };
    // (sample file, built payload, sample keys the builder deliberately leaves out)
    let cases: Vec<(&str, Value, &[&str])> = vec![
        ("inbound_text.json", text_message(&b, &u, "w", 1, "t"), &[]),
        ("inbound_text_reply_context.json", reply, &[]),
        ("inbound_image.json", media("image", "image/jpeg", None, None, false), &[]),
        ("inbound_audio.json", forwarded(media("audio", "audio/mpeg", None, None, false)), &[]),
        ("inbound_voice.json", media("audio", "audio/ogg; codecs=opus", None, None, true), &[]),
        ("inbound_sticker.json", media("sticker", "image/webp", None, None, false), &[]),
        (
            "inbound_document.json",
            forwarded(media("document", "application/pdf", Some("c"), Some("f.pdf"), false)),
            &[],
        ),
        ("inbound_video_caption_forwarded.json", forwarded(media("video", "video/mp4", Some("c"), None, false)), &[]),
        // Status webhooks: contacts[] is optional there (see status_update).
        ("status_sent.json", status_update(&b, "1", "w", "sent", 1, None), &["contacts"]),
        ("status_delivered.json", status_update(&b, "1", "w", "delivered", 1, None), &["contacts"]),
        ("status_read.json", status_update(&b, "1", "w", "read", 1, None), &["contacts"]),
        ("status_failed.json", status_update(&b, "1", "w", "failed", 1, Some((130472, "x"))), &["contacts"]),
    ];
    for (file, built, left_out) in cases {
        let raw = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("read {file}: {e}"));
        let sample: Value = serde_json::from_slice(&raw).unwrap_or_else(|e| panic!("parse {file}: {e}"));
        let expected: BTreeSet<String> = key_paths(&sample)
            .into_iter()
            .filter(|path| !left_out.iter().any(|key| path.contains(&format!(".{key}"))))
            .collect();
        assert_eq!(key_paths(&built), expected, "key structure differs from {file}");

        // Retargeting a sample changes values only, never the structure.
        let retargeted = retarget_sample(&sample, "wamid.new", "79990001122", 42, Some("new"));
        assert_eq!(key_paths(&retargeted), key_paths(&sample), "retarget changed keys of {file}");
    }
}

/// `META_SAMPLES_DIR` (the folder), else `$BRIDGE_REFERENCE_DIR/providers/meta`, else the
/// reference folder beside the checkout (`../shared/reference` next to the workspace root).
/// Panics, naming the path, when the samples are not there: the comparison is the test.
fn samples_dir() -> PathBuf {
    let set = |name| std::env::var_os(name).filter(|value| !value.is_empty());
    let (dir, from) = if let Some(dir) = set("META_SAMPLES_DIR") {
        (PathBuf::from(dir), "META_SAMPLES_DIR")
    } else if let Some(dir) = set("BRIDGE_REFERENCE_DIR") {
        (PathBuf::from(dir).join("providers/meta"), "BRIDGE_REFERENCE_DIR")
    } else {
        // <workspace>/tools/meta-sim → <workspace>/../shared/reference
        let around_checkout = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .nth(3)
            .expect("the crate sits at <workspace>/tools/meta-sim");
        (around_checkout.join("shared/reference/providers/meta"), "the default location")
    };
    let sample = dir.join("inbound_text.json");
    let problem = match std::fs::metadata(&sample) {
        Ok(meta) if meta.is_file() => return dir,
        Ok(_) => "not a file".to_owned(),
        Err(error) => error.to_string(),
    };
    panic!(
        "the Meta webhook samples must be at {} ({from}): {}: {problem}. Put them there, or set \
         BRIDGE_REFERENCE_DIR to a reference folder holding providers/meta/, or META_SAMPLES_DIR to \
         the samples folder itself.",
        dir.display(),
        sample.display()
    );
}

/// All key paths of a JSON value, array items merged: `entry[].changes[].field`.
fn key_paths(value: &Value) -> BTreeSet<String> {
    fn walk(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    let path = format!("{prefix}.{key}");
                    out.insert(path.clone());
                    walk(child, &path, out);
                }
            }
            Value::Array(items) => {
                for item in items {
                    walk(item, &format!("{prefix}[]"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(value, "", &mut out);
    out
}

fn biz() -> Business {
    Business {
        phone_number_id: "1122334455667".into(),
        display_phone_number: "972123456789".into(),
        waba_id: "1234567890987654321".into(),
    }
}

fn user() -> Sender {
    Sender { wa_id: "972987654321".into(), profile_name: "Test Name".into() }
}
