use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, LOCATION};
use axum::response::IntoResponse;
use axum::routing::get;

use super::*;

const PDF: &[u8] = b"%PDF-1.4 fake";

/// `/file` (a PDF with a name), `/photo` (a JPEG, no name), `/moved` (302 to `/file`), `/gone`
/// (404), `/empty`, `/big` (one byte over 10 MiB).
async fn file_server() -> String {
    let app = Router::new()
        .route(
            "/file",
            get(|| async {
                ([(CONTENT_TYPE, "application/pdf"), (CONTENT_DISPOSITION, "attachment; filename=\"счёт 1.pdf\"")], PDF)
            }),
        )
        .route("/photo", get(|| async { ([(CONTENT_TYPE, "image/jpeg")], &b"\xFF\xD8\xFF"[..]) }))
        .route("/moved", get(|| async { (StatusCode::FOUND, [(LOCATION, "/file")]).into_response() }))
        .route("/gone", get(|| async { StatusCode::NOT_FOUND }))
        .route("/empty", get(|| async { ([(CONTENT_TYPE, "image/png")], Vec::<u8>::new()) }))
        .route("/big", get(|| async { vec![0u8; content::MAX_CONTENT_BYTES + 1] }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    format!("http://{addr}")
}

fn file_send(uri: &str) -> Value {
    json!({ "channelId": CHANNEL, "chatType": "whatsapp", "chatId": CHAT, "contentUri": uri })
}

#[tokio::test]
async fn content_is_fetched_and_recorded_with_type_and_name() {
    let (sim, base, client) = start().await;
    let files = file_server().await;
    let (status, body) = send(&client, &base, &file_send(&format!("{files}/file"))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let sent = sim.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].text, None);
    assert_eq!(sent[0].content, Some((PDF.to_vec(), Some("application/pdf".into()), Some("счёт 1.pdf".into()))));

    // The echo links to the sim's own copy, which serves the same bytes.
    let webhooks = sim.take_webhooks();
    let echo = &webhooks[0]["messages"][0];
    assert_eq!(echo["messageId"], body["messageId"]);
    assert_eq!(echo["type"], "document");
    let uri = echo["contentUri"].as_str().expect("contentUri");
    assert!(uri.starts_with(&format!("{base}/store/")) && uri.ends_with("?filename=%D1%81%D1%87%D1%91%D1%82%201.pdf"));
    let copy = client.get(uri).send().await.expect("fetch copy");
    assert_eq!(copy.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()), Some("application/pdf"));
    assert_eq!(copy.bytes().await.expect("bytes").as_ref(), PDF);

    let (status, _) = send(&client, &base, &file_send(&format!("{files}/photo"))).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(sim.take_webhooks()[0]["messages"][0]["type"], "image");
    assert_eq!(sim.sent()[1].content.as_ref().and_then(|c| c.2.clone()), None);
}

#[tokio::test]
async fn redirects_errors_empty_and_oversized_content_are_refused() {
    let (sim, base, client) = start().await;
    let files = file_server().await;
    let cases = [
        ("/moved", "MESSAGE_DOWNLOAD_CONTENT_ERROR"),
        ("/gone", "MESSAGE_DOWNLOAD_CONTENT_ERROR"),
        ("/empty", "MESSAGES_CONTENT_CAN_NOT_BE_BLANK"),
        ("/big", "MESSAGES_CONTENT_SIZE_EXCEEDED"),
    ];
    for (path, code) in cases {
        let (status, body) = send(&client, &base, &file_send(&format!("{files}{path}"))).await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some(code)), "{path}: {body}");
    }
    // Nothing listens on port 1.
    let (status, body) = send(&client, &base, &file_send("http://127.0.0.1:1/x.png")).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("MESSAGE_DOWNLOAD_CONTENT_ERROR")));
    assert!(sim.sent().is_empty());
    assert!(sim.take_webhooks().is_empty());
}

#[tokio::test]
async fn a_failed_download_releases_the_crm_message_id() {
    let (sim, base, client) = start().await;
    let files = file_server().await;
    let mut body = file_send(&format!("{files}/gone"));
    body["crmMessageId"] = json!("c-9");
    let (status, _) = send(&client, &base, &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    body["contentUri"] = json!(format!("{files}/file"));
    let (status, _) = send(&client, &base, &body).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(sim.sent().len(), 1);
}

#[tokio::test]
async fn added_media_is_served_without_auth() {
    let (sim, _base, client) = start().await;
    let uri = sim.add_media(b"OggS".to_vec(), "audio/ogg", "voice.ogg");
    assert!(uri.ends_with("/?filename=voice.ogg"), "{uri}");
    let response = client.get(&uri).send().await.expect("fetch");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()), Some("audio/ogg"));
    assert_eq!(response.bytes().await.expect("bytes").as_ref(), b"OggS");
    let bare = sim.add_media(b"x".to_vec(), "image/png", "");
    assert!(bare.ends_with('/'), "{bare}");
    // The store path without the trailing slash works too.
    let response = client.get(bare.trim_end_matches('/')).send().await.expect("fetch");
    assert_eq!(response.status(), StatusCode::OK);
}
