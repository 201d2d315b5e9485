use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::*;
use crate::webhook::{self, Chat};

const ID: i64 = 1101000001;
const TOKEN: &str = "d75b3a66374942c5b3c019c698abc2067e151558acbd412345";
const CHAT: &str = "79001234567@c.us";

async fn start() -> (GreenApiSim, String, reqwest::Client) {
    let sim = GreenApiSim::new(GreenApiSimConfig {
        id_instance: ID,
        api_token: TOKEN.into(),
        wid: "79990001122@c.us".into(),
    });
    let base = sim.serve(None).await.expect("bind loopback");
    (sim, base, reqwest::Client::new())
}

fn url(base: &str, method: &str) -> String {
    format!("{base}/waInstance{ID}/{method}/{TOKEN}")
}

async fn post_json(client: &reqwest::Client, url: &str, body: &Value) -> (StatusCode, Value) {
    let response = client.post(url).json(body).send().await.expect("request");
    let status = response.status();
    (status, response.json().await.expect("json answer"))
}

/// A tiny file server: `GET /files/{name}` answers `body` with `content_type`; anything else 404.
async fn file_server(body: &'static [u8], content_type: &'static str) -> String {
    let app = Router::new()
        .route("/files/{name}", get(move || async move { ([(axum::http::header::CONTENT_TYPE, content_type)], body) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    format!("http://{addr}")
}

fn statuses(webhooks: &[Value]) -> Vec<(String, String)> {
    webhooks
        .iter()
        .map(|w| {
            let kind = w["typeWebhook"].as_str().unwrap_or_default().to_owned();
            let status =
                w["status"].as_str().or(w["messageData"]["typeMessage"].as_str()).unwrap_or_default().to_owned();
            (kind, status)
        })
        .collect()
}

#[tokio::test]
async fn send_message_is_accepted_and_recorded() {
    let (sim, base, client) = start().await;
    let (status, answer) =
        post_json(&client, &url(&base, "sendMessage"), &json!({"chatId": CHAT, "message": "Hello"})).await;
    assert_eq!(status, StatusCode::OK);
    let id = answer["idMessage"].as_str().expect("idMessage").to_owned();
    assert!(
        (16..=32).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase()),
        "{id}"
    );

    // Method names match case-insensitively; group chats are accepted; quotes are recorded.
    let quoted =
        json!({"chatId": "120363039326117111@g.us", "message": "re", "quotedMessageId": id, "linkPreview": false});
    let (status, second) = post_json(&client, &url(&base, "SendMessage"), &quoted).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(second["idMessage"], answer["idMessage"], "ids are unique");

    let sent = sim.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(
        sent[0],
        SentMessage {
            id_message: id.clone(),
            chat_id: CHAT.into(),
            message: Some("Hello".into()),
            file: None,
            quoted: None
        }
    );
    assert_eq!(sent[1].quoted.as_deref(), Some(id.as_str()));
    let requests = sim.requests();
    assert_eq!(
        requests[0],
        RecordedRequest { method: "POST".into(), path: format!("/waInstance{ID}/sendMessage/***"), status: 200 }
    );
}

#[tokio::test]
async fn wrong_token_or_instance_gets_401_and_is_masked() {
    let (sim, base, client) = start().await;
    let body = json!({"chatId": CHAT, "message": "Hello"});
    let (status, answer) = post_json(&client, &format!("{base}/waInstance{ID}/sendMessage/wrong-token"), &body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer["statusCode"], 401);
    assert_eq!(answer["path"], format!("/waInstance{ID}/sendMessage/***"));
    let (status, _) = post_json(&client, &format!("{base}/waInstance999/sendMessage/{TOKEN}"), &body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = post_json(&client, &format!("{base}/instance{ID}/sendMessage/{TOKEN}"), &body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    assert!(sim.sent().is_empty());
    assert!(sim.take_webhooks().is_empty());
    let requests = sim.requests();
    assert_eq!(requests.len(), 3);
    assert!(
        requests.iter().all(|r| r.status == 401 && !r.path.contains(TOKEN) && !r.path.contains("wrong-token")),
        "{requests:?}"
    );
}

#[tokio::test]
async fn invalid_sends_get_400_with_green_api_texts() {
    let (sim, base, client) = start().await;
    let send = url(&base, "sendMessage");
    let cases = [
        (json!({"message": "x"}), "'chatId' is required"),
        (json!({"chatId": "79001234567", "message": "x"}), "'chatId' must be one of the next formats"),
        (json!({"chatId": "+79001234567@c.us", "message": "x"}), "'chatId' must be one of the next formats"),
        (json!({"chatId": null, "message": "x"}), "'chatId' must be a string"),
        (json!({"chatId": CHAT}), "'message' is required"),
        (json!({"chatId": CHAT, "message": ""}), "'message' is not allowed to be empty"),
        (json!({"chatId": CHAT, "message": 5}), "'message' must be a string"),
        (
            json!({"chatId": CHAT, "message": "A".repeat(20_001)}),
            "'message' length must be less than or equal to 20000 characters long",
        ),
        (json!({"chatId": CHAT, "message": "😀".repeat(10_001)}), "less than or equal to 20000"),
        (
            json!({"chatId": CHAT, "message": "x", "quotedMessageId": "short"}),
            "'message id' must be at least 16 symbols",
        ),
        (json!({"chatId": CHAT, "message": "x", "linkPreview": "yes"}), "'linkPreview' must be a boolean"),
        (json!({"chatId": CHAT, "message": "x", "wrongFieldName": 1}), "'wrongFieldName' is not allowed"),
        (json!(["not", "an", "object"]), "'value' must be of type object"),
    ];
    for (body, expected) in cases {
        let (status, answer) = post_json(&client, &send, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("Validation failed. Details: ") && message.contains(expected),
            "{body} → {message}"
        );
        assert_eq!(answer["statusCode"], 400);
        assert!(answer["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')), "{answer}");
        assert_eq!(answer["path"], format!("/waInstance{ID}/sendMessage/***"));
    }
    // The longest text and whitespace-only text pass.
    for message in ["A".repeat(20_000), "   ".into()] {
        let (status, _) = post_json(&client, &send, &json!({"chatId": CHAT, "message": message})).await;
        assert_eq!(status, StatusCode::OK);
    }

    let malformed = client
        .post(&send)
        .header("content-type", "application/json")
        .body("{\"chatId\":")
        .send()
        .await
        .expect("request");
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let answer: Value = malformed.json().await.expect("json");
    assert!(
        answer["message"].as_str().is_some_and(|m| m.starts_with("Unexpected token in JSON at position")),
        "{answer}"
    );

    let huge = json!({"chatId": CHAT, "message": "x", "payload": "X".repeat(150_000)});
    let (status, answer) = post_json(&client, &send, &huge).await;
    assert_eq!(
        (status, answer["message"].as_str()),
        (StatusCode::INTERNAL_SERVER_ERROR, Some("request entity too large"))
    );
    assert_eq!(sim.sent().len(), 2);
}

#[tokio::test]
async fn unknown_paths_and_verbs_get_404() {
    let (sim, base, client) = start().await;
    for path in [
        format!("/waInstance{ID}/getSettings/{TOKEN}"),
        "/nothing".into(),
        format!("/waInstance{ID}/sendMessage/{TOKEN}/x"),
    ] {
        let response = client.post(format!("{base}{path}")).json(&json!({})).send().await.expect("request");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let get = client.get(url(&base, "sendMessage")).send().await.expect("request");
    assert_eq!(get.status(), StatusCode::NOT_FOUND);
    assert!(sim.requests().iter().all(|r| r.status == 404 && !r.path.contains(TOKEN)));
}

#[tokio::test]
async fn send_file_by_url_fetches_the_file() {
    let (sim, base, client) = start().await;
    let files = file_server(b"%PDF-1.4 fake", "application/pdf").await;
    let body = json!({
        "chatId": CHAT,
        "urlFile": format!("{files}/files/invoice.pdf"),
        "fileName": "invoice.pdf",
        "caption": "Your invoice",
    });
    let (status, answer) = post_json(&client, &url(&base, "sendFileByUrl"), &body).await;
    assert_eq!(status, StatusCode::OK);
    let id = answer["idMessage"].as_str().expect("idMessage").to_owned();
    let sent = sim.sent();
    let file = sent[0].file.as_ref().expect("file send");
    assert_eq!(
        (
            file.via,
            file.file_name.as_str(),
            file.caption.as_deref(),
            file.content_type.as_deref(),
            file.bytes.as_slice()
        ),
        ("url", "invoice.pdf", Some("Your invoice"), Some("application/pdf"), &b"%PDF-1.4 fake"[..])
    );
    assert_eq!((sent[0].id_message.as_str(), sent[0].message.as_ref()), (id.as_str(), None));

    // The echo links a copy the bridge can download, also through downloadFile.
    let webhooks = sim.take_webhooks();
    assert_eq!(statuses(&webhooks)[0], ("outgoingAPIMessageReceived".into(), "documentMessage".into()));
    let echoed = webhooks[0]["messageData"]["fileMessageData"]["downloadUrl"].as_str().expect("downloadUrl").to_owned();
    assert_eq!(client.get(&echoed).send().await.expect("get").bytes().await.expect("bytes").as_ref(), b"%PDF-1.4 fake");
    let (status, download) =
        post_json(&client, &url(&base, "downloadFile"), &json!({"chatId": CHAT, "idMessage": id})).await;
    assert_eq!((status, download["downloadUrl"].as_str()), (StatusCode::OK, Some(echoed.as_str())));

    let no_extension = json!({"chatId": CHAT, "urlFile": format!("{files}/files/invoice.pdf"), "fileName": "invoice"});
    let (status, answer) = post_json(&client, &url(&base, "sendFileByUrl"), &no_extension).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer["message"].as_str().is_some_and(|m| m.contains("'fileName'")), "{answer}");
    let no_name = json!({"chatId": CHAT, "urlFile": format!("{files}/files/invoice.pdf")});
    assert_eq!(post_json(&client, &url(&base, "sendFileByUrl"), &no_name).await.0, StatusCode::BAD_REQUEST);
    let bad_url = json!({"chatId": CHAT, "urlFile": "invoice.pdf", "fileName": "invoice.pdf"});
    let (status, answer) = post_json(&client, &url(&base, "sendFileByUrl"), &bad_url).await;
    assert_eq!(
        (status, answer["message"].as_str()),
        (StatusCode::BAD_REQUEST, Some("Validation failed. Details: 'urlFile' must be a valid uri"))
    );
    assert_eq!(sim.sent().len(), 1);
}

#[tokio::test]
async fn unfetchable_file_is_accepted_then_failed() {
    let (sim, base, client) = start().await;
    let files = file_server(b"x", "image/png").await;
    let body = json!({"chatId": CHAT, "urlFile": format!("{files}/missing"), "fileName": "a.png"});
    let (status, answer) = post_json(&client, &url(&base, "sendFileByUrl"), &body).await;
    assert_eq!(status, StatusCode::OK, "Green-API accepts the send and reports later");
    assert!(sim.sent().is_empty());
    let webhooks = sim.take_webhooks();
    assert_eq!(statuses(&webhooks), vec![("outgoingMessageStatus".into(), "failed".into())]);
    assert_eq!(webhooks[0]["idMessage"], answer["idMessage"]);
    assert!(webhooks[0]["description"].as_str().is_some_and(|d| d.contains("HTTP 404")), "{}", webhooks[0]);
}

#[tokio::test]
async fn send_file_by_upload_takes_multipart() {
    let (sim, base, client) = start().await;
    let jpeg = b"\xff\xd8\xff fake jpeg".to_vec();
    let form = reqwest::multipart::Form::new().text("chatId", CHAT).text("caption", "Photo").part(
        "file",
        reqwest::multipart::Part::bytes(jpeg.clone()).file_name("window.jpg").mime_str("image/jpeg").expect("mime"),
    );
    let response = client.post(url(&base, "sendFileByUpload")).multipart(form).send().await.expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.expect("json");
    let url_file = answer["urlFile"].as_str().expect("urlFile").to_owned();
    assert!(url_file.starts_with(&format!("{base}/media/")) && url_file.ends_with(".jpg"), "{url_file}");
    let sent = sim.sent();
    let file = sent[0].file.as_ref().expect("file");
    assert_eq!((file.via, file.file_name.as_str(), file.caption.as_deref()), ("upload", "window.jpg", Some("Photo")));
    assert_eq!((file.content_type.as_deref(), &file.bytes), (Some("image/jpeg"), &jpeg));
    assert_eq!(sent[0].id_message, answer["idMessage"].as_str().unwrap_or_default());
    let served = client.get(&url_file).send().await.expect("get");
    assert_eq!(served.headers()["content-type"], "image/jpeg");
    assert_eq!(served.bytes().await.expect("bytes").to_vec(), jpeg);
    assert_eq!(statuses(&sim.take_webhooks())[0].1, "imageMessage");

    // Without a file, or without any name carrying an extension, the upload is refused.
    let no_file = reqwest::multipart::Form::new().text("chatId", CHAT);
    let response = client.post(url(&base, "sendFileByUpload")).multipart(no_file).send().await.expect("request");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let nameless =
        reqwest::multipart::Form::new().text("chatId", CHAT).part("file", reqwest::multipart::Part::bytes(vec![1, 2]));
    let response = client.post(url(&base, "sendFileByUpload")).multipart(nameless).send().await.expect("request");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let not_multipart =
        client.post(url(&base, "sendFileByUpload")).json(&json!({"chatId": CHAT})).send().await.expect("request");
    assert_eq!(not_multipart.status(), StatusCode::BAD_REQUEST);
    assert_eq!(sim.sent().len(), 1);
}

#[tokio::test]
async fn added_media_is_served_and_downloadable() {
    let (sim, base, client) = start().await;
    let link = sim.add_media(b"ID3 fake mp3".to_vec(), "audio/mpeg");
    assert!(link.starts_with(&format!("{base}/media/")) && link.ends_with(".mp3"), "{link}");
    let response = client.get(&link).send().await.expect("get");
    assert_eq!(
        (response.status(), response.headers()["content-type"].to_str().ok()),
        (StatusCode::OK, Some("audio/mpeg"))
    );
    assert_eq!(response.bytes().await.expect("bytes").as_ref(), b"ID3 fake mp3");
    assert_eq!(client.get(format!("{base}/media/nope.jpg")).send().await.expect("get").status(), StatusCode::NOT_FOUND);

    // The webhook the bridge would receive for it, and the downloadFile fallback.
    let linked = sim.add_message_media(CHAT, "F7AEC1B7086ECDC7E6E45923F5EDB825", b"%PDF".to_vec(), "application/pdf");
    let chat = Chat { chat_id: CHAT.into(), sender_name: "Иван".into() };
    let inbound = webhook::incoming_file(
        &sim.instance(),
        &chat,
        "F7AEC1B7086ECDC7E6E45923F5EDB825",
        1,
        "documentMessage",
        &linked,
        "application/pdf",
        "a.pdf",
        None,
    );
    assert_eq!(inbound["messageData"]["fileMessageData"]["downloadUrl"], linked.as_str());
    let (status, answer) = post_json(
        &client,
        &url(&base, "downloadFile"),
        &json!({"chatId": CHAT, "idMessage": "F7AEC1B7086ECDC7E6E45923F5EDB825"}),
    )
    .await;
    assert_eq!((status, answer["downloadUrl"].as_str()), (StatusCode::OK, Some(linked.as_str())));
    let (status, answer) =
        post_json(&client, &url(&base, "downloadFile"), &json!({"chatId": CHAT, "idMessage": "0000000000000000"}))
            .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        answer["message"].as_str().is_some_and(|m| m.starts_with("File message encrypted url not found by chatId")),
        "{answer}"
    );
}

#[tokio::test]
async fn sends_queue_echo_then_sent_and_delivered() {
    let (sim, base, client) = start().await;
    let (_, answer) =
        post_json(&client, &url(&base, "sendMessage"), &json!({"chatId": CHAT, "message": "Hello"})).await;
    let webhooks = sim.take_webhooks();
    assert_eq!(
        statuses(&webhooks),
        vec![
            ("outgoingAPIMessageReceived".into(), "textMessage".into()),
            ("outgoingMessageStatus".into(), "sent".into()),
            ("outgoingMessageStatus".into(), "delivered".into()),
        ]
    );
    for webhook in &webhooks {
        assert_eq!(webhook["idMessage"], answer["idMessage"]);
        assert_eq!(webhook["instanceData"]["idInstance"], ID);
    }
    assert_eq!(webhooks[0]["messageData"]["textMessageData"]["textMessage"], "Hello");
    assert_eq!(webhooks[0]["senderData"]["sender"], "79990001122@c.us");
    assert_eq!((webhooks[1]["chatId"].as_str(), webhooks[1]["sendByApi"].as_bool()), (Some(CHAT), Some(true)));
    assert!(sim.take_webhooks().is_empty(), "drained");
}

#[tokio::test]
async fn recipient_failure_yields_that_status() {
    let (sim, base, client) = start().await;
    sim.fail_for_recipient("79001234567", "noAccount");
    sim.fail_for_recipient("79005550000@c.us", "failed");
    let (status, _) =
        post_json(&client, &url(&base, "sendMessage"), &json!({"chatId": CHAT, "message": "Hello"})).await;
    assert_eq!(status, StatusCode::OK, "accepted, reported later");
    let (_, _) =
        post_json(&client, &url(&base, "sendMessage"), &json!({"chatId": "79005550000@c.us", "message": "Hi"})).await;
    let webhooks = sim.take_webhooks();
    assert_eq!(
        statuses(&webhooks),
        vec![
            ("outgoingAPIMessageReceived".into(), "textMessage".into()),
            ("outgoingMessageStatus".into(), "noAccount".into()),
            ("outgoingAPIMessageReceived".into(), "textMessage".into()),
            ("outgoingMessageStatus".into(), "failed".into()),
        ]
    );
    assert!(webhooks[1].get("description").is_none());
    assert!(webhooks[3]["description"].is_string());

    sim.clear_recipient_failure("79001234567@c.us");
    post_json(&client, &url(&base, "sendMessage"), &json!({"chatId": CHAT, "message": "Again"})).await;
    assert_eq!(statuses(&sim.take_webhooks())[2].1, "delivered");
}

#[tokio::test]
async fn exhausted_quota_answers_466() {
    let (sim, base, client) = start().await;
    post_json(&client, &url(&base, "sendMessage"), &json!({"chatId": CHAT, "message": "first"})).await;
    sim.set_quota_exhausted(true);
    let (status, answer) =
        post_json(&client, &url(&base, "sendMessage"), &json!({"chatId": "79005550000@c.us", "message": "x"})).await;
    assert_eq!(status.as_u16(), 466);
    assert_eq!(answer["correspondentsStatus"]["status"], "CORRESPONDENTS_QUOTE_EXCEEDED");
    assert_eq!(answer["invokeStatus"]["method"], "sendmessage");
    assert!(answer["correspondentsStatus"]["description"].as_str().is_some_and(|d| d.contains(CHAT)), "{answer}");
    let files = file_server(b"x", "image/png").await;
    let file = json!({"chatId": CHAT, "urlFile": format!("{files}/files/a.png"), "fileName": "a.png"});
    assert_eq!(post_json(&client, &url(&base, "sendFileByUrl"), &file).await.0.as_u16(), 466);
    assert_eq!(sim.sent().len(), 1);
    sim.set_quota_exhausted(false);
    assert_eq!(post_json(&client, &url(&base, "sendFileByUrl"), &file).await.0, StatusCode::OK);
}

#[tokio::test]
async fn injected_failures_apply_in_order() {
    let (sim, base, client) = start().await;
    sim.fail_next(1, GreenFailure::Status { http: 429, body: "Too Many Requests".into() });
    sim.fail_next(1, GreenFailure::Status { http: 502, body: r#"{"error":"Bad Gateway"}"#.into() });
    sim.fail_next(1, GreenFailure::Delay(Duration::from_millis(50)));
    let body = json!({"chatId": CHAT, "message": "Hello"});

    // Unauthenticated requests do not consume injected failures.
    let (status, _) = post_json(&client, &format!("{base}/waInstance{ID}/sendMessage/nope"), &body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let limited = client.post(url(&base, "sendMessage")).json(&body).send().await.expect("request");
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.text().await.expect("text"), "Too Many Requests");
    let (status, answer) = post_json(&client, &url(&base, "sendMessage"), &body).await;
    assert_eq!((status, answer), (StatusCode::BAD_GATEWAY, json!({"error": "Bad Gateway"})));
    let started = Instant::now();
    assert_eq!(post_json(&client, &url(&base, "sendMessage"), &body).await.0, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(50));
    assert_eq!(sim.sent().len(), 1);
    let codes: Vec<u16> = sim.requests().iter().map(|r| r.status).collect();
    assert_eq!(codes, vec![401, 429, 502, 200]);
}

#[tokio::test]
async fn delivery_posts_webhooks_with_the_bearer_token() {
    let received: Arc<Mutex<Vec<(Option<String>, Value)>>> = Arc::default();
    let fail_first = Arc::new(Mutex::new(true));
    let app = Router::new().route(
        "/hook",
        post({
            let received = received.clone();
            move |headers: HeaderMap, Json(body): Json<Value>| async move {
                // The first attempt fails: delivery must retry the same webhook, in order.
                let mut fail = fail_first.lock().unwrap_or_else(|p| p.into_inner());
                if std::mem::take(&mut *fail) {
                    return StatusCode::INTERNAL_SERVER_ERROR;
                }
                let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
                received.lock().unwrap_or_else(|p| p.into_inner()).push((auth, body));
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let hook = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });

    let (sim, base, client) = start().await;
    let inbound = webhook::incoming_text(
        &sim.instance(),
        &Chat { chat_id: CHAT.into(), sender_name: "Иван".into() },
        "A",
        1,
        "hi",
    );
    sim.push_webhook(inbound.clone());
    post_json(&client, &url(&base, "sendMessage"), &json!({"chatId": CHAT, "message": "Hello"})).await;
    sim.deliver_webhooks(Some((hook, Some("webhook-secret".into()))));

    // Delivered means acknowledged by the listener *and* removed from the queue.
    let deadline = Instant::now() + Duration::from_secs(10);
    while sim.pending_webhooks() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let received = received.lock().unwrap_or_else(|p| p.into_inner()).clone();
    assert_eq!(received.len(), 4, "{received:?}");
    assert!(received.iter().all(|(auth, _)| auth.as_deref() == Some("Bearer webhook-secret")));
    assert_eq!(received[0].1, inbound);
    let kinds: Vec<&str> = received.iter().map(|(_, body)| body["typeWebhook"].as_str().unwrap_or_default()).collect();
    assert_eq!(
        kinds,
        ["incomingMessageReceived", "outgoingAPIMessageReceived", "outgoingMessageStatus", "outgoingMessageStatus"]
    );

    sim.deliver_webhooks(None);
    post_json(&client, &url(&base, "sendMessage"), &json!({"chatId": CHAT, "message": "kept"})).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(sim.pending_webhooks(), 3, "stopped delivery keeps webhooks queued");
    assert_eq!(sim.take_webhooks().len(), 3);
}

#[test]
fn token_segments_are_masked() {
    assert_eq!(gate::masked_path("/waInstance1/sendMessage/abc", "real"), "/waInstance1/sendMessage/***");
    assert_eq!(gate::masked_path("/waInstance1/sendMessage/abc/x", "real"), "/waInstance1/sendMessage/***/x");
    assert_eq!(gate::masked_path("/other/real/x", "real"), "/other/***/x");
    assert_eq!(gate::masked_path("/media/a.jpg", "real"), "/media/a.jpg");
    assert_eq!(gate::masked_path("/", ""), "/");
}
