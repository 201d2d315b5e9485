use std::collections::BTreeSet;

use serde_json::Value;

use super::*;

fn inst() -> Instance {
    Instance { id_instance: 1101000001, wid: "79990001122@c.us".into() }
}

fn chat() -> Chat {
    Chat { chat_id: "79001234567@c.us".into(), sender_name: "Иван".into() }
}

#[test]
fn every_reference_sample_loads() {
    let (dir, _) = crate::reference::green_api_dir();
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| crate::reference::missing(&dir, "the reference folder", &error.to_string()));
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    assert!(names.len() >= 6, "expected the six documented samples in {}: {names:?}", dir.display());
    for name in names {
        let sample = sample(&name);
        assert!(sample["typeWebhook"].is_string(), "{name} has no typeWebhook");
        assert!(sample["instanceData"]["idInstance"].is_i64(), "{name} has no instanceData.idInstance");
        assert!(sample["timestamp"].is_i64(), "{name}: timestamp must be integer Unix seconds");
    }
}

/// Each builder must produce the key structure of the matching real sample, apart from the
/// differences listed (keys newer bodies add, keys of a different quoted/message type).
#[test]
fn builders_match_sample_key_structure() {
    let (i, c) = (inst(), chat());
    // The quoted sample predates chatName/senderContactName; it quotes an image, the builder a text.
    let quoted_extra =
        [".senderData.chatName", ".senderData.senderContactName", ".messageData.quotedMessage.textMessage"];
    // (sample, built, keys only the build has, keys only the sample has)
    let cases: Vec<(&str, Value, &[&str], &[&str])> = vec![
        ("inbound_text.json", incoming_text(&i, &c, "A1", 1, "t"), &[], &[]),
        (
            "inbound_document_audio_mime.json",
            incoming_file(&i, &c, "A1", 1, "documentMessage", "http://x/1.mp3", "audio/mpeg", "1.mp3", None),
            &[],
            &[],
        ),
        (
            "inbound_quoted_text_forwarded.json",
            incoming_quoted(&i, &c, "A1", 1, "t", "B2"),
            &quoted_extra,
            &[
                ".messageData.quotedMessage.downloadUrl",
                ".messageData.quotedMessage.caption",
                ".messageData.quotedMessage.jpegThumbnail",
            ],
        ),
        (
            "outgoing_api_video.json",
            outgoing_api_file_echo(&i, &c, "A1", 1, "videoMessage", "http://x/v.mp4", "video/mp4", "v.mp4", None),
            &[],
            &[],
        ),
        (
            "status_noAccount.json",
            status(&i, "79001234567@c.us", "A1", 1, "noAccount", None),
            &[".chatId", ".sendByApi"],
            &[],
        ),
    ];
    for (file, built, only_built, only_sample) in cases {
        let sample_keys = key_paths(&sample(file));
        let expected: BTreeSet<String> = sample_keys
            .iter()
            .filter(|key| !only_sample.contains(&key.as_str()))
            .cloned()
            .chain(only_built.iter().map(|key| key.to_string()))
            .collect();
        assert_eq!(key_paths(&built), expected, "key structure differs from {file}");
    }

    // Phone-sent text vs the phone-sent image sample: same envelope, different messageData.
    let envelope = |value: &Value| -> BTreeSet<String> {
        key_paths(value)
            .into_iter()
            .filter(|key| !key.starts_with(".messageData.") || key == ".messageData.typeMessage")
            .collect()
    };
    assert_eq!(envelope(&outgoing_from_phone(&i, &c, "A1", 1, "t")), envelope(&sample("outgoing_phone_image.json")));
    assert_eq!(envelope(&outgoing_api_echo(&i, &c, "A1", 1, "t")), envelope(&sample("outgoing_api_video.json")));
}

#[test]
fn builders_fill_the_given_values() {
    let (i, c) = (inst(), chat());
    let text = incoming_text(&i, &c, "BAE5F4886F6F2D05", 1700000000, "Привет");
    assert_eq!(text["typeWebhook"], "incomingMessageReceived");
    assert_eq!(
        text["instanceData"],
        json!({"idInstance": 1101000001, "wid": "79990001122@c.us", "typeInstance": "whatsapp"})
    );
    assert_eq!(text["timestamp"], 1700000000);
    assert_eq!(text["idMessage"], "BAE5F4886F6F2D05");
    assert_eq!(text["senderData"]["sender"], "79001234567@c.us");
    assert_eq!(text["senderData"]["senderName"], "Иван");
    assert_eq!(text["messageData"]["textMessageData"]["textMessage"], "Привет");

    let extended = incoming_extended_text(&i, &c, "X", 1, "see https://example.com");
    assert_eq!(extended["messageData"]["typeMessage"], "extendedTextMessage");
    assert_eq!(extended["messageData"]["extendedTextMessageData"]["text"], "see https://example.com");

    let quoted = incoming_quoted(&i, &c, "X", 1, "yes", "3EB0C767D097B7C7C030");
    assert_eq!(quoted["messageData"]["quotedMessage"]["stanzaId"], "3EB0C767D097B7C7C030");
    assert_eq!(quoted["messageData"]["extendedTextMessageData"]["text"], "yes");

    let photo = incoming_file(&i, &c, "X", 1, "imageMessage", "http://h/m/a.jpg", "image/jpeg", "a.jpg", Some("cap"));
    assert_eq!(photo["messageData"]["fileMessageData"]["caption"], "cap");
    assert_eq!(photo["messageData"]["fileMessageData"]["downloadUrl"], "http://h/m/a.jpg");

    let place = incoming_location(&i, &c, "X", 1, 55.75, 37.61, "Кремль", "Москва");
    assert_eq!(place["messageData"]["locationMessageData"]["latitude"], 55.75);
    assert_eq!(place["messageData"]["locationMessageData"]["nameLocation"], "Кремль");

    let card = incoming_contact(&i, &c, "X", 1, "Анна", "BEGIN:VCARD\nEND:VCARD");
    assert_eq!(card["messageData"]["contactMessageData"]["displayName"], "Анна");

    let reaction = incoming_reaction(&i, &c, "X", 1, "👍", "3EB0C767D097B7C7C030");
    assert_eq!(reaction["messageData"]["typeMessage"], "reactionMessage");
    assert_eq!(reaction["messageData"]["extendedTextMessageData"]["text"], "👍");
    assert_eq!(reaction["messageData"]["quotedMessage"]["stanzaId"], "3EB0C767D097B7C7C030");

    let phone = outgoing_from_phone(&i, &c, "X", 1, "from the phone");
    assert_eq!(phone["typeWebhook"], "outgoingMessageReceived");
    assert_eq!(phone["senderData"]["sender"], "79990001122@c.us");
    assert_eq!(phone["senderData"]["chatId"], "79001234567@c.us");
    assert_eq!(outgoing_api_echo(&i, &c, "X", 1, "t")["typeWebhook"], "outgoingAPIMessageReceived");

    let failed = status(&i, "79001234567@c.us", "X", 5, "failed", Some("SWE004: too many"));
    assert_eq!((failed["status"].as_str(), failed["description"].as_str()), (Some("failed"), Some("SWE004: too many")));
    assert_eq!(failed["sendByApi"], true);
    assert!(status(&i, "c", "X", 5, "read", None).get("description").is_none());

    let state = state_changed(&i, "notAuthorized");
    assert_eq!(
        (state["typeWebhook"].as_str(), state["stateInstance"].as_str()),
        (Some("stateInstanceChanged"), Some("notAuthorized"))
    );
    assert!(state["timestamp"].as_i64().is_some_and(|t| t > 1_700_000_000));

    let mut group = incoming_text(
        &i,
        &Chat { chat_id: "120363039326117111@g.us".into(), sender_name: "Team".into() },
        "X",
        1,
        "hi",
    );
    set_group_sender(&mut group, "79005550000@c.us", "Пётр");
    assert_eq!(group["senderData"]["chatId"], "120363039326117111@g.us");
    assert_eq!(group["senderData"]["sender"], "79005550000@c.us");
}

#[test]
#[should_panic(expected = "the Green-API reference sample must be at")]
fn missing_sample_names_the_path() {
    sample("no_such_sample.json");
}

/// All key paths of a JSON value, array items merged: `.a.b[].c`.
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
            Value::Array(items) => items.iter().for_each(|item| walk(item, &format!("{prefix}[]"), out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(value, "", &mut out);
    out
}
