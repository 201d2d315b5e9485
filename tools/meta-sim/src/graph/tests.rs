use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::*;

const TOKEN: &str = "test-token";
const NUMBER_ID: &str = "1122334455667";

async fn start() -> (GraphSim, String, reqwest::Client) {
    let sim = GraphSim::new(GraphSimConfig { access_token: TOKEN.into(), phone_number_id: NUMBER_ID.into() });
    let base = sim.serve(None).await.expect("bind loopback");
    (sim, base, reqwest::Client::new())
}

async fn send(client: &reqwest::Client, base: &str, token: &str, body: &Value) -> (StatusCode, Value) {
    let response = client
        .post(format!("{base}/v21.0/{NUMBER_ID}/messages"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.json().await.expect("json answer"))
}

fn text_to(to: &str) -> Value {
    json!({"messaging_product":"whatsapp","recipient_type":"individual","to":to,"type":"text","text":{"body":"Hello"}})
}

#[tokio::test]
async fn text_send_is_accepted_and_recorded() {
    let (sim, base, client) = start().await;
    let (status, answer) = send(&client, &base, TOKEN, &text_to("79051234567")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["messaging_product"], "whatsapp");
    assert_eq!(answer["contacts"][0], json!({"input":"79051234567","wa_id":"79051234567"}));
    let wamid = answer["messages"][0]["id"].as_str().unwrap_or_default().to_owned();
    assert!(wamid.starts_with("wamid."), "{wamid}");

    let (_, second) = send(&client, &base, TOKEN, &text_to("79051234567")).await;
    assert_ne!(second["messages"][0]["id"], answer["messages"][0]["id"], "wamids are unique");

    let sent = sim.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(
        (sent[0].wamid.as_str(), sent[0].to.as_str(), sent[0].text()),
        (wamid.as_str(), "79051234567", Some("Hello"))
    );
    let requests = sim.requests();
    assert_eq!(requests[0].path, format!("/v21.0/{NUMBER_ID}/messages"));
    assert_eq!((requests[0].method.as_str(), requests[0].status), ("POST", 200));
    assert_eq!(requests[0].body.as_ref(), Some(&text_to("79051234567")));
}

#[tokio::test]
async fn bad_or_missing_token_gets_401_code_190() {
    let (sim, base, client) = start().await;
    let (status, answer) = send(&client, &base, "wrong", &text_to("79051234567")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer["error"]["code"], 190);
    assert_eq!(answer["error"]["type"], "OAuthException");
    assert!(answer["error"]["fbtrace_id"].is_string());

    let response = client.get(format!("{base}/v21.0/123")).send().await.expect("request");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(sim.sent().is_empty());
    assert!(sim.requests().iter().all(|r| r.status == 401));
}

#[tokio::test]
async fn recipient_failure_answers_meta_error_131047() {
    let (sim, base, client) = start().await;
    sim.fail_for_recipient("79050000000", 131047, 400);
    let (status, answer) = send(&client, &base, TOKEN, &text_to("79050000000")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"]["code"], 131047);
    assert_eq!(answer["error"]["message"], "(#131047) Re-engagement message");
    assert_eq!(answer["error"]["error_data"]["messaging_product"], "whatsapp");
    assert!(answer["error"]["error_data"]["details"].is_string());
    assert!(sim.sent().is_empty());

    // Other numbers are unaffected; clearing reopens the window.
    assert_eq!(send(&client, &base, TOKEN, &text_to("79051234567")).await.0, StatusCode::OK);
    sim.clear_recipient_failure("79050000000");
    assert_eq!(send(&client, &base, TOKEN, &text_to("79050000000")).await.0, StatusCode::OK);
}

#[tokio::test]
async fn injected_failures_apply_in_order() {
    let (sim, base, client) = start().await;
    sim.fail_next(1, GraphFailure::Error { http: 500, code: 131000, message: "Something went wrong".into() });
    sim.fail_next(1, GraphFailure::Delay(Duration::from_millis(50)));
    let (status, answer) = send(&client, &base, TOKEN, &text_to("79051234567")).await;
    assert_eq!((status, answer["error"]["code"].as_i64()), (StatusCode::INTERNAL_SERVER_ERROR, Some(131000)));
    let started = std::time::Instant::now();
    assert_eq!(send(&client, &base, TOKEN, &text_to("79051234567")).await.0, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(50));
    assert_eq!(sim.sent().len(), 1);
}

#[tokio::test]
async fn invalid_requests_get_meta_envelopes() {
    let (sim, base, client) = start().await;
    let malformed = client
        .post(format!("{base}/v21.0/{NUMBER_ID}/messages"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let answer: Value = malformed.json().await.expect("json answer");
    assert_eq!(answer["error"]["code"], 100);

    let wrong_number = client
        .post(format!("{base}/v21.0/999/messages"))
        .bearer_auth(TOKEN)
        .json(&text_to("79051234567"))
        .send()
        .await
        .expect("request");
    assert_eq!(wrong_number.status(), StatusCode::BAD_REQUEST);
    assert_eq!(wrong_number.json::<Value>().await.expect("json")["error"]["code"], 100);

    let bad_version = client
        .post(format!("{base}/latest/{NUMBER_ID}/messages"))
        .bearer_auth(TOKEN)
        .json(&text_to("79051234567"))
        .send()
        .await
        .expect("request");
    assert_eq!(bad_version.json::<Value>().await.expect("json")["error"]["code"], 2500);

    let audio_caption = json!({"messaging_product":"whatsapp","to":"79051234567","type":"audio",
                               "audio":{"id":"1","caption":"no"}});
    let (status, answer) = send(&client, &base, TOKEN, &audio_caption).await;
    assert_eq!((status, answer["error"]["code"].as_i64()), (StatusCode::BAD_REQUEST, Some(100)));
    assert!(sim.sent().is_empty());
}

#[tokio::test]
async fn inbound_media_round_trip() {
    let (sim, base, client) = start().await;
    let bytes = b"\xff\xd8\xff fake jpeg".to_vec();
    let id = sim.add_media(bytes.clone(), "image/jpeg");

    let meta: Value = client
        .get(format!("{base}/v21.0/{id}"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(meta["id"], id.as_str());
    assert_eq!(meta["mime_type"], "image/jpeg");
    assert_eq!(meta["file_size"], bytes.len());
    // python3: hashlib.sha256(b"\xff\xd8\xff fake jpeg").hexdigest()
    assert_eq!(meta["sha256"], "9a44b46ca3566ef3e0573cfc90389f28653f7b2a8b8852b7c6ff623451ae6eb9");
    let url = meta["url"].as_str().expect("url").to_owned();
    assert!(url.starts_with(&format!("{base}/media-download/{id}?token=")), "{url}");

    let without_bearer = client.get(&url).send().await.expect("request");
    assert_eq!(without_bearer.status(), StatusCode::UNAUTHORIZED);
    let download = client.get(&url).bearer_auth(TOKEN).send().await.expect("request");
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.headers()["content-type"], "image/jpeg");
    assert_eq!(download.bytes().await.expect("bytes").to_vec(), bytes);
    assert!(sim.requests().iter().all(|r| !r.path.contains("token")), "tokens never recorded");

    sim.set_media_url_ttl(Duration::ZERO);
    let expired = client.get(&url).bearer_auth(TOKEN).send().await.expect("request");
    assert_eq!(expired.status(), StatusCode::NOT_FOUND);

    let unknown = client.get(format!("{base}/v21.0/424242")).bearer_auth(TOKEN).send().await.expect("request");
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(unknown.json::<Value>().await.expect("json")["error"]["code"], 100);
}

#[tokio::test]
async fn upload_then_send_by_id() {
    let (sim, base, client) = start().await;
    let pdf = b"%PDF-1.4 fake".to_vec();
    let form =
        reqwest::multipart::Form::new().text("messaging_product", "whatsapp").text("type", "application/pdf").part(
            "file",
            reqwest::multipart::Part::bytes(pdf.clone())
                .file_name("invoice.pdf")
                .mime_str("application/pdf")
                .expect("mime"),
        );
    let response = client
        .post(format!("{base}/v21.0/{NUMBER_ID}/media"))
        .bearer_auth(TOKEN)
        .multipart(form)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    let id = response.json::<Value>().await.expect("json")["id"].as_str().expect("id").to_owned();
    assert_eq!(sim.uploaded_media(), vec![(id.clone(), "application/pdf".to_owned(), pdf.len())]);
    assert_eq!(sim.media_bytes(&id), Some(pdf));

    let document = json!({"messaging_product":"whatsapp","to":"79051234567","type":"document",
                          "document":{"id":id,"filename":"invoice.pdf","caption":"Your invoice"}});
    assert_eq!(send(&client, &base, TOKEN, &document).await.0, StatusCode::OK);
    assert_eq!(sim.sent()[0].caption(), Some("Your invoice"));

    let missing_product = reqwest::multipart::Form::new()
        .text("type", "image/jpeg")
        .part("file", reqwest::multipart::Part::bytes(vec![1, 2, 3]));
    let rejected = client
        .post(format!("{base}/v21.0/{NUMBER_ID}/media"))
        .bearer_auth(TOKEN)
        .multipart(missing_product)
        .send()
        .await
        .expect("request");
    assert_eq!(rejected.status(), StatusCode::BAD_REQUEST);
    assert_eq!(sim.uploaded_media().len(), 1);
}

#[test]
fn version_segment_shape() {
    assert!(is_version("v21.0") && is_version("v3.11"));
    assert!(!is_version("21.0") && !is_version("v21") && !is_version("v21.0.1") && !is_version("v.0"));
}
