use std::time::{Duration, Instant};

use super::*;

fn patch_body(uri: &str) -> Value {
    json!({
        "webhooksUri": uri,
        "subscriptions": {
            "messagesAndStatuses": true, "contactsAndDealsCreation": false,
            "channelsUpdates": false, "templateStatus": false,
        },
    })
}

async fn patch(client: &reqwest::Client, base: &str, body: &Value) -> (StatusCode, Value) {
    answer(client.patch(format!("{base}/v3/webhooks")).bearer_auth(KEY).json(body).send().await.expect("request")).await
}

async fn get_setting(client: &reqwest::Client, base: &str) -> Value {
    answer(client.get(format!("{base}/v3/webhooks")).bearer_auth(KEY).send().await.expect("request")).await.1
}

#[tokio::test]
async fn patch_probes_the_uri_and_stores_the_setting() {
    let (sim, base, client) = start().await;
    assert_eq!(get_setting(&client, &base).await["webhooksUri"], Value::Null);
    let (hook, log) = listener(StatusCode::OK).await;
    let uri = format!("{hook}?token=secret");
    let (status, body) = patch(&client, &base, &patch_body(&uri)).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"ok": true})));
    assert_eq!(received(&log), [(None, crate::webhook::sample("webhook_test_probe.json"))], "no crmKey, no header");
    assert_eq!(get_setting(&client, &base).await, patch_body(&uri));
    assert_eq!(sim.webhook_target(), Some((uri.clone(), None)));

    // With a crmKey the probe carries it, and so does the target.
    let mut with_key = patch_body(&hook);
    with_key["crmKey"] = json!("crm-secret");
    let (status, _) = patch(&client, &base, &with_key).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(received(&log)[1].0.as_deref(), Some("Bearer crm-secret"));
    assert_eq!(sim.webhook_target(), Some((hook.clone(), Some("crm-secret".into()))));
}

#[tokio::test]
async fn a_probe_without_200_fails_the_patch() {
    let (sim, base, client) = start().await;
    for status in [StatusCode::NO_CONTENT, StatusCode::UNAUTHORIZED, StatusCode::INTERNAL_SERVER_ERROR] {
        let (hook, log) = listener(status).await;
        let (answer, body) = patch(&client, &base, &patch_body(&hook)).await;
        assert_eq!(answer, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "testPostNotPassed", "{body}");
        assert_eq!(body["data"]["statusCode"], status.as_u16());
        assert_eq!(received(&log).len(), 1);
    }
    let (answer, body) = patch(&client, &base, &patch_body("http://127.0.0.1:1/hook")).await;
    assert_eq!((answer, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("testPostNotPassed")));
    assert_eq!(sim.webhook_target(), None, "a failed PATCH stores nothing");
}

#[tokio::test]
async fn malformed_uris_and_fields_are_refused() {
    let (_sim, base, client) = start().await;
    let long = format!("https://example.com/{}", "a".repeat(181));
    assert_eq!(long.len(), 201);
    for uri in
        [json!(long), json!("ftp://example.com/x"), json!("/relative"), json!("not a uri"), json!(5), Value::Null]
    {
        let (status, body) = patch(&client, &base, &json!({"webhooksUri": uri})).await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("uriNotValid")), "{uri}");
        assert_eq!(body["description"], "Provided URI is not valid URI");
    }
    let (hook, log) = listener(StatusCode::OK).await;
    let (status, body) =
        patch(&client, &base, &json!({"webhooksUri": hook, "subscriptions": {"messagesAndStatuses": "yes"}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["data"]["fields"], json!(["messagesAndStatuses"]));
    assert!(received(&log).is_empty(), "no probe for a malformed body");
    // The docs' typo `tepmplateStatus` is read as templateStatus.
    let (status, _) =
        patch(&client, &base, &json!({"webhooksUri": hook, "subscriptions": {"tepmplateStatus": true}})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(get_setting(&client, &base).await["subscriptions"]["templateStatus"], true);
}

#[tokio::test]
async fn a_send_queues_echo_then_sent_and_delivered() {
    let (sim, base, client) = start().await;
    let mut body = text_send("Hello");
    body["crmUserId"] = json!("user-7");
    let (_, answer) = send(&client, &base, &body).await;
    let webhooks = sim.take_webhooks();
    assert_eq!(
        summary(&webhooks),
        [("echo", "sent".to_owned()), ("status", "sent".to_owned()), ("status", "delivered".to_owned())]
    );
    let echo = &webhooks[0]["messages"][0];
    assert_eq!(echo["messageId"], answer["messageId"], "the echo has the 201's messageId");
    assert_eq!(echo["isEcho"], true);
    assert_eq!(echo["text"], "Hello");
    assert_eq!(echo["chatId"], CHAT);
    assert_eq!(echo["channelId"], CHANNEL);
    assert_eq!(echo["authorId"], "user-7");
    for status in &webhooks[1..] {
        assert_eq!(status["statuses"][0]["messageId"], answer["messageId"]);
        assert!(status["statuses"][0]["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
    }
    assert_eq!(sim.pending_webhooks(), 0);

    sim.set_echo_api_sends(false);
    send(&client, &base, &text_send("quiet")).await;
    assert_eq!(summary(&sim.take_webhooks()), [("status", "sent".to_owned()), ("status", "delivered".to_owned())]);
}

#[tokio::test]
async fn a_failing_recipient_gets_one_error_status() {
    let (sim, base, client) = start().await;
    sim.set_echo_api_sends(false);
    sim.fail_for_recipient(CHAT, "BAD_CONTACT", "The account with this chatId does not exist");
    let (status, answer) = send(&client, &base, &text_send("hi")).await;
    assert_eq!(status, StatusCode::CREATED, "failures after the 201 come as statuses");
    let webhooks = sim.take_webhooks();
    assert_eq!(webhooks.len(), 1);
    let item = &webhooks[0]["statuses"][0];
    assert_eq!(item["messageId"], answer["messageId"]);
    assert_eq!(item["status"], "error");
    assert_eq!(
        item["error"],
        json!({"error": "BAD_CONTACT", "description": "The account with this chatId does not exist"})
    );

    sim.clear_recipient_failure(CHAT);
    send(&client, &base, &text_send("hi")).await;
    assert_eq!(summary(&sim.take_webhooks()), [("status", "sent".to_owned()), ("status", "delivered".to_owned())]);
}

#[tokio::test]
async fn delivery_posts_in_order_with_the_crm_key() {
    let (sim, base, client) = start().await;
    let (hook, log) = listener(StatusCode::OK).await;
    send(&client, &base, &text_send("one")).await;
    let chat = crate::webhook::Chat { channel_id: CHANNEL.into(), chat_id: CHAT.into(), name: "Ivan".into() };
    sim.push_webhook(crate::webhook::inbound_text(&chat, "in-1", "2025-05-06T14:18:00.001Z", "reply"));
    sim.deliver_webhooks(Some((hook, Some("crm-secret".into()))));
    let deadline = Instant::now() + Duration::from_secs(10);
    while received(&log).len() < 4 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let got = received(&log);
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(got.iter().all(|(auth, _)| auth.as_deref() == Some("Bearer crm-secret")));
    let bodies: Vec<Value> = got.into_iter().map(|(_, body)| body).collect();
    assert_eq!(
        summary(&bodies),
        [
            ("echo", "sent".to_owned()),
            ("status", "sent".to_owned()),
            ("status", "delivered".to_owned()),
            ("echo", "inbound".to_owned())
        ]
    );
    assert_eq!(bodies[3]["messages"][0]["messageId"], "in-1");
    assert_eq!(sim.pending_webhooks(), 0);
}

#[tokio::test]
async fn delivery_retries_until_200_and_stops_on_none() {
    let (sim, base, client) = start().await;
    let (refusing, refused) = listener(StatusCode::NO_CONTENT).await;
    send(&client, &base, &text_send("one")).await;
    sim.deliver_webhooks(Some((refusing, None)));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(received(&refused).first().map(|(auth, _)| auth.clone()), Some(None), "no crmKey, no header");
    assert_eq!(sim.pending_webhooks(), 3, "a 204 is not the 200 Wazzup expects");
    sim.deliver_webhooks(None);
    let (hook, log) = listener(StatusCode::OK).await;
    sim.deliver_webhooks(Some((hook, None)));
    let deadline = Instant::now() + Duration::from_secs(10);
    while sim.pending_webhooks() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(received(&log).len(), 3);
}
