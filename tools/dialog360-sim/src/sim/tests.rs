use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::media_lookup::LOOKASIDE_ATTACHMENTS;
use super::*;
use crate::webhook::{self, Sender};

const KEY: &str = "test-d360-key";
const NUMBER_ID: &str = "100000000000002";
const TO: &str = "79000000001";

async fn start() -> (Dialog360Sim, String, reqwest::Client) {
    let sim = Dialog360Sim::new(Dialog360SimConfig { api_key: KEY.into(), phone_number_id: NUMBER_ID.into() });
    let base = sim.serve(None).await.expect("bind loopback");
    (sim, base, reqwest::Client::new())
}

async fn answer(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.expect("json answer"))
}

async fn send(client: &reqwest::Client, base: &str, body: &Value) -> (StatusCode, Value) {
    answer(client.post(format!("{base}/messages")).header("D360-API-KEY", KEY).json(body).send().await.expect("send"))
        .await
}

async fn get(client: &reqwest::Client, url: &str) -> reqwest::Response {
    client.get(url).header("D360-API-KEY", KEY).send().await.expect("request")
}

fn text_to(to: &str) -> Value {
    json!({"messaging_product":"whatsapp","recipient_type":"individual","to":to,"type":"text",
           "text":{"body":"Hello","preview_url":false}})
}

/// The attachment URL on the sim's own host, as the bridge must rewrite it (D3).
fn on_own_host(lookaside: &str, base: &str) -> String {
    let path_and_query = lookaside.strip_prefix("https://lookaside.fbsbx.com").expect("lookaside URL");
    format!("{base}{path_and_query}")
}

async fn media_url(client: &reqwest::Client, base: &str, id: &str) -> String {
    let (status, meta) = answer(get(client, &format!("{base}/{id}")).await).await;
    assert_eq!(status, StatusCode::OK, "{meta}");
    meta["url"].as_str().expect("url").to_owned()
}

#[tokio::test]
async fn missing_or_wrong_key_gets_401_in_360dialog_body() {
    let (sim, base, client) = start().await;
    for key in [None, Some("wrong")] {
        let mut request = client.post(format!("{base}/messages")).json(&text_to(TO));
        if let Some(key) = key {
            request = request.header("D360-API-KEY", key);
        }
        let (status, body) = answer(request.send().await.expect("send")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["meta"]["success"], false);
        assert_eq!(body["meta"]["http_code"], 401);
        assert_eq!(body["meta"]["developer_message"], "Invalid API key");
    }
    // A bearer token (Meta's scheme) is no substitute, and unknown paths ask for the key first.
    let bearer = client.get(format!("{base}/123")).bearer_auth(KEY).send().await.expect("get");
    assert_eq!(bearer.status(), StatusCode::UNAUTHORIZED);
    let unknown = client.get(format!("{base}/v1/nothing")).send().await.expect("get");
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert!(sim.sent().is_empty() && sim.take_webhooks().is_empty());
    assert_eq!(sim.requests().len(), 4);
    assert!(sim.requests().iter().all(|r| r.status == 401));
    assert_eq!(sim.media_lookup_errors(), 0, "unauthenticated look-ups are not counted");
}

#[tokio::test]
async fn text_send_is_accepted_and_recorded() {
    let (sim, base, client) = start().await;
    let (status, body) = send(&client, &base, &text_to(TO)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["messaging_product"], "whatsapp");
    assert_eq!(body["contacts"], json!([{"input": TO, "wa_id": TO}]));
    let wamid = body["messages"][0]["id"].as_str().unwrap_or_default().to_owned();
    assert!(wamid.starts_with("wamid."), "{wamid}");

    let (_, plus) = send(&client, &base, &text_to("+79000000009")).await;
    assert_eq!(plus["contacts"], json!([{"input": "+79000000009", "wa_id": "79000000009"}]));
    assert_ne!(plus["messages"][0]["id"], body["messages"][0]["id"], "wamids are unique");

    let sent = sim.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!((sent[0].wamid.as_str(), sent[0].to.as_str(), sent[0].kind.as_str()), (wamid.as_str(), TO, "text"));
    assert_eq!(sent[0].text(), Some("Hello"));
    assert_eq!(sent[0].body, text_to(TO));
    assert_eq!(sim.requests()[0], RecordedRequest { method: "POST".into(), path: "/messages".into(), status: 200 });
}

#[tokio::test]
async fn invalid_sends_get_meta_envelopes() {
    let (sim, base, client) = start().await;
    let too_long = json!({"messaging_product":"whatsapp","to":TO,"type":"text","text":{"body":"x".repeat(4097)}});
    let unknown_type = json!({"messaging_product":"whatsapp","to":TO,"type":"hologram","hologram":{}});
    let bad_to = json!({"messaging_product":"whatsapp","to":"79-000","type":"text","text":{"body":"x"}});
    let no_product = json!({"to":TO,"type":"text","text":{"body":"x"}});
    for body in [too_long, unknown_type, bad_to, no_product] {
        let (status, answer) = send(&client, &base, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer["error"]["code"], 100);
        assert_eq!(answer["error"]["type"], "OAuthException");
        assert!(answer["error"]["error_data"]["details"].is_string());
        assert!(answer["error"]["fbtrace_id"].is_string());
    }
    let malformed = client
        .post(format!("{base}/messages"))
        .header("D360-API-KEY", KEY)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("send");
    let (status, answer) = answer(malformed).await;
    assert_eq!((status, answer["error"]["code"].as_i64()), (StatusCode::BAD_REQUEST, Some(100)));
    assert!(sim.sent().is_empty());
    assert!(sim.take_webhooks().is_empty(), "refused sends queue no statuses");
}

#[tokio::test]
async fn recipient_failure_answers_meta_errors() {
    let (sim, base, client) = start().await;
    sim.fail_for_recipient("79000000005", 131047, 400);
    sim.fail_for_recipient("79000000006", 131026, 400);
    let (status, body) = send(&client, &base, &text_to("79000000005")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], 131047);
    assert_eq!(body["error"]["message"], "(#131047) Re-engagement message");
    assert_eq!(body["error"]["error_data"]["messaging_product"], "whatsapp");
    assert!(body["error"]["error_data"]["details"].is_string());
    assert_eq!(send(&client, &base, &text_to("79000000006")).await.1["error"]["code"], 131026);
    assert!(sim.sent().is_empty() && sim.take_webhooks().is_empty());

    assert_eq!(send(&client, &base, &text_to(TO)).await.0, StatusCode::OK, "other numbers are unaffected");
    sim.clear_recipient_failure("79000000005");
    assert_eq!(send(&client, &base, &text_to("79000000005")).await.0, StatusCode::OK);
}

#[tokio::test]
async fn media_id_gives_a_lookaside_url_served_on_the_own_host() {
    let (sim, base, client) = start().await;
    let bytes = b"\xff\xd8\xff fake jpeg".to_vec();
    let id = sim.add_media(bytes.clone(), "image/jpeg");

    let (status, meta) = answer(get(&client, &format!("{base}/{id}")).await).await;
    assert_eq!(status, StatusCode::OK);
    let documented = crate::webhook::sample("media_retrieve_response.json");
    assert_eq!(
        meta.as_object().map(|m| m.keys().collect::<Vec<_>>()),
        documented.as_object().map(|m| m.keys().collect::<Vec<_>>())
    );
    assert_eq!((meta["id"].as_str(), meta["mime_type"].as_str()), (Some(id.as_str()), Some("image/jpeg")));
    assert_eq!(meta["messaging_product"], "whatsapp");
    assert_eq!(meta["file_size"], bytes.len());
    // python3: hashlib.sha256(b"\xff\xd8\xff fake jpeg").hexdigest()
    assert_eq!(meta["sha256"], "9a44b46ca3566ef3e0573cfc90389f28653f7b2a8b8852b7c6ff623451ae6eb9");
    let url = meta["url"].as_str().expect("url");
    assert!(url.starts_with(&format!("{LOOKASIDE_ATTACHMENTS}?mid={id}&ext=")), "{url}");
    assert!(url.contains("&hash=AT"), "{url}");

    let own = on_own_host(url, &base);
    let without_key = client.get(&own).send().await.expect("get");
    assert_eq!(without_key.status(), StatusCode::UNAUTHORIZED);
    let download = get(&client, &own).await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.headers()["content-type"], "image/jpeg");
    assert_eq!(download.bytes().await.expect("bytes").to_vec(), bytes);
    assert!(sim.requests().iter().all(|r| !r.path.contains("hash")), "queries are never recorded");
    assert_eq!(sim.requests().last().map(|r| r.path.as_str()), Some("/whatsapp_business/attachments/"));

    let (status, unknown) = answer(get(&client, &format!("{base}/4242424242")).await).await;
    assert_eq!((status, unknown["error"]["code"].as_i64()), (StatusCode::NOT_FOUND, Some(100)));

    let deleted = client.delete(format!("{base}/{id}")).header("D360-API-KEY", KEY).send().await.expect("delete");
    assert_eq!(answer(deleted).await, (StatusCode::OK, json!({"success": true})));
    assert_eq!(get(&client, &own).await.status(), StatusCode::NOT_FOUND, "deleted media has no bytes");
}

#[tokio::test]
async fn expired_or_tampered_urls_are_refused() {
    let (sim, base, client) = start().await;
    let id = sim.add_media(b"%PDF".to_vec(), "application/pdf");
    let own = on_own_host(&media_url(&client, &base, &id).await, &base);

    let tampered_hash = format!("{}X", own);
    let ext = own.split("&ext=").nth(1).and_then(|rest| rest.split('&').next()).expect("ext");
    let tampered_ext = own.replace(&format!("ext={ext}"), "ext=9999999999");
    for url in [tampered_hash, tampered_ext, format!("{base}/whatsapp_business/attachments/?mid={id}")] {
        let response = get(&client, &url).await;
        assert!(response.status().is_client_error(), "{url}: {}", response.status());
        assert_eq!(response.json::<Value>().await.expect("json")["meta"]["success"], false);
    }

    sim.set_media_url_ttl(Duration::ZERO);
    let (status, body) = answer(get(&client, &own).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "an issued URL expires with the TTL");
    assert_eq!(body["meta"]["http_code"], 404);
    let born_expired = on_own_host(&media_url(&client, &base, &id).await, &base);
    assert_eq!(get(&client, &born_expired).await.status(), StatusCode::NOT_FOUND);

    sim.set_media_url_ttl(Duration::from_secs(300));
    let fresh = on_own_host(&media_url(&client, &base, &id).await, &base);
    assert_eq!(get(&client, &fresh).await.status(), StatusCode::OK, "a new look-up gives a working URL");
    assert_eq!(sim.media_lookup_errors(), 0, "download failures do not count toward the block");
}

#[tokio::test]
async fn failed_lookups_block_the_endpoint_until_the_block_ends() {
    let (sim, base, client) = start().await;
    sim.set_media_block(3, Duration::from_secs(60), Duration::from_millis(400));
    let id = sim.add_media(b"ogg".to_vec(), "audio/ogg");
    for n in 1..=3 {
        assert!(!sim.media_blocked());
        assert_eq!(get(&client, &format!("{base}/99999{n}")).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(sim.media_lookup_errors(), n);
    }
    assert!(sim.media_blocked());
    let (status, body) = answer(get(&client, &format!("{base}/{id}")).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "even a known id is blocked");
    assert_eq!(body["meta"]["developer_message"], "The endpoint is blocked");
    assert_eq!(body["meta"]["http_code"], 403);
    assert_eq!(sim.media_lookup_errors(), 3, "blocked answers are not counted again");
    assert_eq!(send(&client, &base, &text_to(TO)).await.0, StatusCode::OK, "only look-ups are blocked");

    tokio::time::sleep(Duration::from_millis(450)).await;
    assert!(!sim.media_blocked());
    assert_eq!(get(&client, &format!("{base}/{id}")).await.status(), StatusCode::OK);
    assert_eq!(sim.media_lookup_errors(), 0);

    // Errors older than the window fall out of the count.
    sim.set_media_block(2, Duration::from_millis(150), Duration::from_secs(60));
    assert_eq!(get(&client, &format!("{base}/1")).await.status(), StatusCode::NOT_FOUND);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(get(&client, &format!("{base}/2")).await.status(), StatusCode::NOT_FOUND);
    assert!(!sim.media_blocked());
    assert_eq!(sim.media_lookup_errors(), 1);
}

#[tokio::test]
async fn injected_lookup_failures_count_toward_the_block() {
    let (sim, base, client) = start().await;
    sim.set_media_block(1, Duration::from_secs(60), Duration::from_secs(60));
    let id = sim.add_media(b"x".to_vec(), "image/png");
    sim.fail_next(1, Dialog360Failure::Error { http: 500, body: "{}".into() });
    assert_eq!(get(&client, &format!("{base}/{id}")).await.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(sim.media_blocked());
    assert_eq!(get(&client, &format!("{base}/{id}")).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn webhook_config_is_stored_and_underscores_refused() {
    let (sim, base, client) = start().await;
    let documented = crate::webhook::sample("webhook_config_request.json");
    let set =
        |body: Value| client.post(format!("{base}/v1/configs/webhook")).header("D360-API-KEY", KEY).json(&body).send();
    let (status, echoed) = answer(set(documented.clone()).await.expect("set")).await;
    assert_eq!((status, &echoed), (StatusCode::OK, &documented));
    let stored = WebhookConfig {
        url: "https://bridge.example.com/webhooks/360dialog".into(),
        headers: vec![("X-Bridge-Secret".into(), "fake-secret-0000000000000000000000000000".into())],
    };
    assert_eq!(sim.webhook_config(), Some(stored.clone()));
    let (status, read) = answer(get(&client, &format!("{base}/v1/configs/webhook")).await).await;
    assert_eq!((status, read), (StatusCode::OK, documented));

    for refused in [
        json!({"url": "https://my_bridge.example.com/hook"}),
        json!({"url": "https://bridge.example.com/hook", "headers": {"X_Secret": "v"}}),
        json!({"url": "bridge.example.com/hook"}),
        json!({"headers": {}}),
    ] {
        let (status, body) = answer(set(refused.clone()).await.expect("set")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
        assert_eq!(body["meta"]["http_code"], 400);
        assert!(body["meta"]["details"][0].is_string());
    }
    assert_eq!(sim.webhook_config(), Some(stored), "refused configs change nothing");

    // Ports are accepted (D8 forbids them, but loopback tests need them); headers are optional.
    let loopback = json!({"url": "http://127.0.0.1:9/hook"});
    let (status, echoed) = answer(set(loopback).await.expect("set")).await;
    assert_eq!((status, echoed), (StatusCode::OK, json!({"url": "http://127.0.0.1:9/hook", "headers": {}})));
}

#[tokio::test]
async fn accepted_sends_queue_sent_and_delivered_statuses() {
    let (sim, base, client) = start().await;
    sim.set_business("79000000000", "100000000000001");
    let (_, body) = send(&client, &base, &text_to(TO)).await;
    let wamid = body["messages"][0]["id"].clone();
    assert_eq!(sim.pending_webhooks(), 2);
    let webhooks = sim.take_webhooks();
    let statuses: Vec<&Value> =
        webhooks.iter().filter_map(|w| w.pointer("/entry/0/changes/0/value/statuses/0")).collect();
    assert_eq!(statuses.iter().map(|s| s["status"].as_str()).collect::<Vec<_>>(), [Some("sent"), Some("delivered")]);
    assert!(statuses.iter().all(|s| s["id"] == wamid && s["recipient_id"] == TO));
    let first = &webhooks[0];
    assert_eq!(first["object"], "whatsapp_business_account");
    assert_eq!(first["entry"][0]["id"], "100000000000001");
    assert_eq!(first["entry"][0]["changes"][0]["field"], "messages");
    assert_eq!(first["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"], NUMBER_ID);
    assert!(sim.take_webhooks().is_empty(), "taking drains the queue");
}

type Received = Arc<Mutex<Vec<(HeaderMap, Value)>>>;

/// A webhook listener that answers 503 to its first POST, then 200, recording everything.
async fn listener() -> (String, Received) {
    let received: Received = Arc::default();
    let store = received.clone();
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, Json(body): Json<Value>| {
            let store = store.clone();
            async move {
                let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
                store.push((headers, body));
                if store.len() == 1 {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (format!("http://{addr}/hook"), received)
}

#[tokio::test]
async fn delivery_posts_webhooks_with_the_configured_headers() {
    let (sim, base, client) = start().await;
    let (hook, received) = listener().await;
    let config = json!({"url": hook, "headers": {"X-Bridge-Secret": "s3cret", "Authorization": "Basic dGVzdA=="}});
    let set = client.post(format!("{base}/v1/configs/webhook")).header("D360-API-KEY", KEY).json(&config);
    assert_eq!(set.send().await.expect("set").status(), StatusCode::OK);

    let biz = sim.business();
    let from = Sender { wa_id: TO.into(), profile_name: "Test".into() };
    let inbound = webhook::text(&biz, &from, "wamid.IN1", 1700000000, "hi");
    sim.push_webhook(inbound.clone());
    send(&client, &base, &text_to(TO)).await;
    sim.deliver_webhooks(true);

    let deadline = Instant::now() + Duration::from_secs(10);
    while sim.pending_webhooks() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let received = received.lock().unwrap_or_else(|p| p.into_inner()).clone();
    // The first POST was refused with 503 and retried.
    assert_eq!(received.len(), 4, "{received:?}");
    assert_eq!(received[0].1, inbound);
    assert_eq!(received[1].1, inbound);
    for (headers, _) in &received {
        assert_eq!(headers["x-bridge-secret"], "s3cret");
        assert_eq!(headers["authorization"], "Basic dGVzdA==");
        assert_eq!(headers["content-type"], "application/json");
        assert!(headers.get("d360-api-key").is_none(), "the API key is never sent to the webhook");
    }
    let kinds: Vec<_> = received[2..]
        .iter()
        .map(|(_, body)| body.pointer("/entry/0/changes/0/value/statuses/0/status").and_then(Value::as_str))
        .collect();
    assert_eq!(kinds, [Some("sent"), Some("delivered")]);

    sim.deliver_webhooks(false);
    send(&client, &base, &text_to(TO)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(sim.pending_webhooks(), 2, "stopped delivery keeps webhooks queued");
}

#[tokio::test]
async fn injected_failures_apply_in_order() {
    let (sim, base, client) = start().await;
    sim.fail_next(1, Dialog360Failure::RateLimited);
    sim.fail_next(1, Dialog360Failure::Error { http: 502, body: "WhatsApp for Business API not available".into() });
    sim.fail_next(1, Dialog360Failure::Delay(Duration::from_millis(50)));

    let (status, body) = send(&client, &base, &text_to(TO)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, crate::webhook::sample("error_response.json"), "the documented rate-limit body");

    let response = client.post(format!("{base}/messages")).header("D360-API-KEY", KEY).json(&text_to(TO));
    let response = response.send().await.expect("send");
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert!(response.headers()["content-type"].to_str().unwrap_or_default().starts_with("text/plain"));
    assert_eq!(response.text().await.expect("text"), "WhatsApp for Business API not available");

    let started = Instant::now();
    assert_eq!(send(&client, &base, &text_to(TO)).await.0, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(50));
    assert_eq!(sim.sent().len(), 1);
}

#[tokio::test]
async fn upload_then_send_by_id() {
    let (sim, base, client) = start().await;
    let pdf = b"%PDF-1.4 fake".to_vec();
    let part = reqwest::multipart::Part::bytes(pdf.clone()).file_name("invoice.pdf");
    let form = reqwest::multipart::Form::new()
        .text("messaging_product", "whatsapp")
        .text("type", "application/pdf")
        .part("file", part);
    let response = client.post(format!("{base}/media")).header("D360-API-KEY", KEY).multipart(form);
    let (status, body) = answer(response.send().await.expect("upload")).await;
    assert_eq!(status, StatusCode::OK);
    let id = body["id"].as_str().expect("id").to_owned();
    assert!(id.bytes().all(|b| b.is_ascii_digit()), "{id}");
    assert_eq!(sim.uploaded_media(), vec![(id.clone(), "application/pdf".to_owned(), pdf.len())]);
    assert_eq!(sim.media_bytes(&id), Some(pdf));

    // D3's curl example has no `type` part: the file part's Content-Type stands in.
    let part = reqwest::multipart::Part::bytes(vec![1, 2, 3]).file_name("a.jpg").mime_str("image/jpeg").expect("mime");
    let form = reqwest::multipart::Form::new().text("messaging_product", "whatsapp").part("file", part);
    let response = client.post(format!("{base}/media")).header("D360-API-KEY", KEY).multipart(form);
    assert_eq!(response.send().await.expect("upload").status(), StatusCode::OK);
    assert_eq!(sim.uploaded_media()[1].1, "image/jpeg");

    let document = json!({"messaging_product":"whatsapp","to":TO,"type":"document",
                          "document":{"id":id,"filename":"invoice.pdf","caption":"Your invoice"}});
    assert_eq!(send(&client, &base, &document).await.0, StatusCode::OK);
    assert_eq!(sim.sent()[0].caption(), Some("Your invoice"));

    let form = reqwest::multipart::Form::new()
        .text("type", "image/png")
        .part("file", reqwest::multipart::Part::bytes(vec![1]));
    let response = client.post(format!("{base}/media")).header("D360-API-KEY", KEY).multipart(form);
    let (status, body) = answer(response.send().await.expect("upload")).await;
    assert_eq!((status, body["error"]["code"].as_i64()), (StatusCode::BAD_REQUEST, Some(100)));
    let not_multipart = client.post(format!("{base}/media")).header("D360-API-KEY", KEY).json(&json!({}));
    assert_eq!(not_multipart.send().await.expect("upload").status(), StatusCode::BAD_REQUEST);
    assert_eq!(sim.uploaded_media().len(), 2);
}

#[tokio::test]
async fn unknown_paths_and_methods_get_360dialog_bodies() {
    let (_sim, base, client) = start().await;
    let (status, body) = answer(get(&client, &format!("{base}/v1/messages/extra")).await).await;
    assert_eq!((status, body["meta"]["http_code"].as_u64()), (StatusCode::NOT_FOUND, Some(404)));
    let (status, body) = answer(get(&client, &format!("{base}/not-a-media-id")).await).await;
    assert_eq!((status, body["meta"]["success"].as_bool()), (StatusCode::NOT_FOUND, Some(false)));
    let (status, body) = answer(get(&client, &format!("{base}/messages")).await).await;
    assert_eq!((status, body["meta"]["http_code"].as_u64()), (StatusCode::METHOD_NOT_ALLOWED, Some(405)));
}
