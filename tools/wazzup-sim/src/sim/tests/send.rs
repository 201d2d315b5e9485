use std::time::Duration;

use super::*;
use crate::webhook;

#[tokio::test]
async fn a_text_send_gets_201_and_is_recorded() {
    let (sim, base, client) = start().await;
    // The docs' own request example (`wazzup/send_text_request.json`).
    let request = webhook::sample("send_text_request.json");
    let (status, body) = send(&client, &base, &request).await;
    assert_eq!(status, StatusCode::CREATED);
    let expected = webhook::sample("send_success_201.json");
    let keys = |v: &Value| v.as_object().map(|m| m.keys().cloned().collect::<Vec<_>>());
    assert_eq!(keys(&body), keys(&expected));
    assert_eq!(body["chatId"], request["chatId"]);
    let message_id = body["messageId"].as_str().expect("messageId");
    let parsed = uuid::Uuid::parse_str(message_id).expect("messageId is a UUID");
    assert_eq!(parsed.get_version_num(), 4);

    assert_eq!(
        sim.sent(),
        [SentMessage {
            message_id: message_id.to_owned(),
            channel_id: CHANNEL.into(),
            chat_id: CHAT.into(),
            text: Some("message text".into()),
            content: None,
            crm_message_id: Some("planfix-comment-0000001".into()),
            ref_message_id: Some("00000000-0000-4000-8000-0000000000a1".into()),
        }]
    );
    assert_eq!(sim.requests(), [RecordedRequest { method: "POST".into(), path: "/v3/message".into(), status: 201 }]);
    // A second send gets a fresh id.
    let (_, again) = send(&client, &base, &text_send("again")).await;
    assert_ne!(again["messageId"], body["messageId"]);
}

#[tokio::test]
async fn each_validation_error_has_its_code() {
    let (sim, base, client) = start().await;
    let with = |patch: Value| {
        let mut body = text_send("hi");
        if let (Some(body), Some(patch)) = (body.as_object_mut(), patch.as_object()) {
            for (key, value) in patch {
                if value.is_null() {
                    body.remove(key);
                } else {
                    body.insert(key.clone(), value.clone());
                }
            }
        }
        body
    };
    let long = "a".repeat(10_001);
    let emoji = "😀".repeat(5_001);
    let cases: Vec<(Value, &str, Option<Value>)> = vec![
        (with(json!({"channelId": "not-a-uuid"})), "INVALID_MESSAGE_DATA", Some(json!(["channelId"]))),
        (with(json!({"channelId": null})), "INVALID_MESSAGE_DATA", Some(json!(["channelId"]))),
        (with(json!({"chatType": "fax"})), "INVALID_MESSAGE_DATA", Some(json!(["chatType"]))),
        (with(json!({"chatId": "+79000000001"})), "INVALID_MESSAGE_DATA", Some(json!(["chatId"]))),
        (with(json!({"chatId": 79000000001u64})), "INVALID_MESSAGE_DATA", Some(json!(["chatId"]))),
        (with(json!({"text": 5})), "INVALID_MESSAGE_DATA", Some(json!(["text"]))),
        (
            with(json!({"contentUri": "https://example.com/a.png"})),
            "INVALID_MESSAGE_DATA",
            Some(json!(["text", "contentUri"])),
        ),
        (with(json!({"text": null})), "INVALID_MESSAGE_DATA", Some(json!(["text", "contentUri"]))),
        (with(json!({"text": null, "contentUri": "not a url"})), "INVALID_MESSAGE_DATA", Some(json!(["contentUri"]))),
        (json!([1, 2]), "INVALID_MESSAGE_DATA", Some(json!([]))),
        (json!({}), "INVALID_MESSAGE_DATA", Some(json!(["channelId", "chatType", "chatId"]))),
        (with(json!({"text": "  \n"})), "MESSAGES_TEXT_CAN_NOT_BE_BLANK", None),
        (with(json!({"channelId": "00000000-0000-4000-8000-0000000000ff"})), "CHANNEL_NOT_FOUND", None),
        (with(json!({"channelId": OFF})), "CHANNEL_BLOCKED", None),
        (with(json!({"channelId": OFFLINE})), "MESSAGE_CHANNEL_UNAVAILABLE", None),
        (with(json!({"channelId": UNPAID})), "CHANNEL_NO_MONEY", None),
        (with(json!({"chatType": "vk"})), "WRONG_TRANSPORT", None),
        (with(json!({"channelId": INSTAGRAM})), "WRONG_TRANSPORT", None),
        (with(json!({"text": long})), "MESSAGE_TEXT_TOO_LONG", None),
        // 5,001 emoji are 10,002 UTF-16 units: JavaScript's length.
        (with(json!({"text": emoji})), "MESSAGE_TEXT_TOO_LONG", None),
        (with(json!({"channelId": WABA, "text": "a".repeat(4097)})), "MESSAGES_TOO_LONG_WABA", None),
    ];
    for (body, code, fields) in cases {
        let (status, answer) = send(&client, &base, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{code}: {answer}");
        assert_eq!(answer["error"], code, "{answer}");
        assert_eq!(answer["status"], 400, "{answer}");
        assert!(answer["requestId"].as_str().is_some_and(|id| id.len() == 32), "{answer}");
        assert!(answer["description"].is_string(), "{answer}");
        if let Some(fields) = fields {
            assert_eq!(answer["data"]["fields"], fields, "{answer}");
        }
    }
    let raw = client.post(format!("{base}/v3/message")).bearer_auth(KEY).body("{oops").send().await;
    let (status, answer) = super::answer(raw.expect("request")).await;
    assert_eq!((status, answer["error"].as_str()), (StatusCode::BAD_REQUEST, Some("INVALID_MESSAGE_DATA")));
    assert!(sim.sent().is_empty());
    assert!(sim.take_webhooks().is_empty());

    // The edges pass: exactly 10,000 characters, WABA's `wapi` chat type, WRONG_TRANSPORT's data.
    let (status, _) = send(&client, &base, &with(json!({"text": "a".repeat(10_000)}))).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = send(&client, &base, &with(json!({"channelId": WABA, "chatType": "wapi"}))).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, wrong) = send(&client, &base, &with(json!({"chatType": "vk"}))).await;
    assert_eq!(wrong["data"], json!({"channelId": CHANNEL, "transport": "whatsapp", "chatType": "vk"}));
    assert_eq!(wrong["description"], "You can't send message to vk chat from whatsapp transport");
}

#[tokio::test]
async fn a_repeated_crm_message_id_is_refused_within_the_window_only() {
    let (sim, base, client) = start().await;
    sim.set_repeat_window(Duration::from_millis(500));
    let body = json!({
        "channelId": CHANNEL, "chatType": "whatsapp", "chatId": CHAT, "text": "once",
        "crmMessageId": "planfix-comment-0000001",
    });
    let (status, first) = send(&client, &base, &body).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, repeat) = send(&client, &base, &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let expected = webhook::sample("send_error_repeated_crm_message_id.json");
    let mut shape = repeat.clone();
    shape["requestId"] = expected["requestId"].clone();
    assert_eq!(shape, expected, "the sample's body, with its own requestId");
    assert_eq!(sim.sent().len(), 1, "not sent twice");
    assert_eq!(sim.take_webhooks().len(), 3, "echo + sent + delivered of the first send only");

    // Another id, or no id, is not affected.
    let (status, _) = send(&client, &base, &json!({"crmMessageId": "other"}).merge(&body)).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = send(&client, &base, &text_send("no id")).await;
    assert_eq!(status, StatusCode::CREATED);

    tokio::time::sleep(Duration::from_millis(600)).await;
    let (status, later) = send(&client, &base, &body).await;
    assert_eq!(status, StatusCode::CREATED, "after the window the same id is sent again");
    assert_ne!(later["messageId"], first["messageId"]);
    let once = sim.sent().iter().filter(|s| s.crm_message_id.as_deref() == Some("planfix-comment-0000001")).count();
    assert_eq!(once, 2);
}

#[tokio::test]
async fn a_failed_send_does_not_use_up_its_crm_message_id() {
    let (sim, base, client) = start().await;
    let body = json!({"channelId": OFF, "chatType": "whatsapp", "chatId": CHAT, "text": "x", "crmMessageId": "c-1"});
    let (status, _) = send(&client, &base, &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = send(&client, &base, &json!({"channelId": CHANNEL}).merge(&body)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(sim.sent().len(), 1);
}

/// `a.merge(b)`: `b` with `a`'s keys put over it.
trait Merge {
    fn merge(self, base: &Value) -> Value;
}

impl Merge for Value {
    fn merge(self, base: &Value) -> Value {
        let mut out = base.clone();
        if let (Some(out), Value::Object(over)) = (out.as_object_mut(), self) {
            out.extend(over);
        }
        out
    }
}
