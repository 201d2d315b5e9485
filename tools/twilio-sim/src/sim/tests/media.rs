use axum::http::header::{CONTENT_DISPOSITION, LOCATION};
use axum::response::IntoResponse;
use axum::routing::get;

use super::*;

const PDF: &[u8] = b"%PDF-1.4 test document";

/// The origin the bridge would put in `MediaUrl` (S3 presigned URLs in production).
async fn media_origin() -> String {
    let app = Router::new()
        .route(
            "/doc.pdf",
            get(|| async {
                (
                    [
                        (CONTENT_TYPE, "application/pdf"),
                        (
                            CONTENT_DISPOSITION,
                            "attachment; filename=\"fallback.pdf\"; filename*=UTF-8''%D0%A1%D1%87%D1%91%D1%82.pdf",
                        ),
                    ],
                    PDF,
                )
            }),
        )
        .route("/moved", get(|| async { (StatusCode::FOUND, [(LOCATION, "/doc.pdf")]).into_response() }))
        .route("/loop", get(|| async { (StatusCode::FOUND, [(LOCATION, "/loop")]).into_response() }))
        .route("/missing", get(|| async { StatusCode::NOT_FOUND }))
        .route("/octet", get(|| async { ([(CONTENT_TYPE, "application/octet-stream")], PDF) }))
        .route("/empty", get(|| async { ([(CONTENT_TYPE, "image/png")], Vec::<u8>::new()) }));
    serve_app(app).await
}

#[tokio::test]
async fn media_url_is_fetched_through_redirects_and_recorded() {
    let (sim, base, client) = start().await;
    let origin = media_origin().await;
    let url = format!("{origin}/moved");
    let callback = "http://127.0.0.1:9/status";
    let (status, answer) = send(
        &client,
        &base,
        &[("To", USER), ("From", SENDER), ("Body", "Счёт"), ("MediaUrl", &url), ("StatusCallback", callback)],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let sid = answer["sid"].as_str().unwrap_or_default();
    assert!(sid.starts_with("MM"), "{sid}");
    assert_eq!(answer["num_media"], "1");

    let sent = sim.sent();
    let media = sent[0].media.as_ref().expect("media fetched");
    assert_eq!(
        media,
        &FetchedMedia {
            url,
            http_status: Some(200),
            content_type: Some("application/pdf".into()),
            filename: Some("Счёт.pdf".into()),
            bytes: PDF.to_vec(),
        }
    );
    assert_eq!(sent[0].async_error_code, None);
    let statuses: Vec<_> = sim.take_callbacks().iter().map(|c| c.param("MessageStatus").map(str::to_owned)).collect();
    assert_eq!(statuses, [Some("sent".to_owned()), Some("delivered".to_owned())]);
}

#[tokio::test]
async fn media_problems_are_accepted_then_fail_in_a_callback() {
    let (sim, base, client) = start().await;
    let origin = media_origin().await;
    for (path, http_status, code) in [
        ("/missing", Some(404), "63019"),
        ("/loop", None, "63019"),
        ("/empty", Some(200), "63019"),
        ("/octet", Some(200), "12300"),
    ] {
        let url = format!("{origin}{path}");
        let items =
            [("To", USER), ("From", SENDER), ("MediaUrl", &url), ("StatusCallback", "https://bridge.example/s")];
        let (status, answer) = send(&client, &base, &items).await;
        assert_eq!(status, StatusCode::CREATED, "{path}: Twilio fails media asynchronously");
        let sent = sim.sent().pop().expect("recorded");
        assert_eq!(sent.sid, answer["sid"].as_str().unwrap_or_default());
        assert_eq!(sent.media.as_ref().and_then(|m| m.http_status), http_status, "{path}");
        assert_eq!(sent.async_error_code, code.parse().ok(), "{path}");
        let callbacks = sim.take_callbacks();
        assert_eq!(callbacks.len(), 1, "{path}: one failed callback");
        assert_eq!(
            (callbacks[0].param("MessageStatus"), callbacks[0].param("ErrorCode")),
            (Some("failed"), Some(code))
        );
    }
    // A connection refused is a download failure too.
    let items = [("To", USER), ("From", SENDER), ("MediaUrl", "http://127.0.0.1:9/x.pdf")];
    assert_eq!(send(&client, &base, &items).await.0, StatusCode::CREATED);
    assert_eq!(sim.sent().pop().map(|s| s.async_error_code), Some(Some(63019)));
}

#[tokio::test]
async fn inbound_media_redirects_to_another_origin_without_credentials() {
    let (sim, base, client) = start().await;
    let url = sim.add_media(b"\xff\xd8\xff fake jpeg".to_vec(), "image/jpeg");
    let prefix = format!("{base}/2010-04-01/Accounts/{ACCOUNT}/Messages/MM");
    assert!(url.starts_with(&prefix) && url.contains("/Media/ME"), "{url}");

    // What the bridge does: Basic on the Twilio URL; reqwest drops it on the cross-origin hop.
    let download = client.get(&url).basic_auth(ACCOUNT, Some(TOKEN)).send().await.expect("request");
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.headers()[CONTENT_TYPE], "image/jpeg");
    let store = sim.media_store_base_url().expect("store served");
    assert_ne!(store, base, "the store is a different origin");
    assert!(download.url().as_str().starts_with(&format!("{store}/media-store/")), "{}", download.url());
    assert_eq!(download.bytes().await.expect("bytes").as_ref(), b"\xff\xd8\xff fake jpeg");

    // The redirect itself, and what happens when credentials are forwarded by hand.
    let manual = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let redirect = manual.get(&url).basic_auth(ACCOUNT, Some(TOKEN)).send().await.expect("request");
    assert_eq!(redirect.status(), StatusCode::TEMPORARY_REDIRECT);
    let location = redirect.headers()[LOCATION].to_str().expect("location").to_owned();
    assert!(location.starts_with(&format!("{store}/media-store/")), "{location}");
    let forwarded = manual.get(&location).basic_auth(ACCOUNT, Some(TOKEN)).send().await.expect("request");
    assert_eq!(forwarded.status(), StatusCode::BAD_REQUEST);
    assert!(forwarded.text().await.expect("body").contains("InvalidArgument"));
    let clean = manual.get(&location).send().await.expect("request");
    assert_eq!(clean.status(), StatusCode::OK);
    let unknown = manual.get(format!("{store}/media-store/nope")).send().await.expect("request");
    assert_eq!(unknown.status(), StatusCode::FORBIDDEN);

    let paths: Vec<_> = sim.requests().into_iter().map(|r| (r.path.starts_with("/media-store/"), r.status)).collect();
    assert_eq!(paths, [(false, 307), (true, 200), (false, 307), (true, 400), (true, 200), (true, 403)]);
}

#[tokio::test]
async fn inbound_media_auth_and_unknown_media() {
    let (sim, base, client) = start().await;
    let message_sid = webhook::message_sid(true);
    let url = sim.add_message_media(&message_sid, b"OggS voice".to_vec(), "audio/ogg");
    assert!(url.contains(&format!("/Messages/{message_sid}/Media/ME")), "{url}");

    let anonymous = client.get(&url).send().await.expect("request");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_twilio_error(&anonymous.json().await.expect("json"), 401, 20003);
    let wrong = client.get(&url).basic_auth(ACCOUNT, Some("nope")).send().await.expect("request");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    sim.set_media_auth(false);
    let open = client.get(&url).send().await.expect("request");
    assert_eq!(open.status(), StatusCode::OK);
    assert_eq!(open.bytes().await.expect("bytes").as_ref(), b"OggS voice");
    sim.set_media_auth(true);

    let media_sid = url.rsplit('/').next().unwrap_or_default();
    let not_found = [
        format!("{base}/2010-04-01/Accounts/{ACCOUNT}/Messages/{message_sid}/Media/ME00000000000000000000000000000000"),
        format!("{base}/2010-04-01/Accounts/{ACCOUNT}/Messages/MM00000000000000000000000000000000/Media/{media_sid}"),
    ];
    for missing in not_found {
        let answer = client.get(&missing).basic_auth(ACCOUNT, Some(TOKEN)).send().await.expect("request");
        assert_eq!(answer.status(), StatusCode::NOT_FOUND, "{missing}");
        assert_twilio_error(&answer.json().await.expect("json"), 404, 20404);
    }

    // Injected failures reach media downloads too.
    sim.fail_next(1, TwilioFailure::Error { http: 500, code: 20500, message: "Internal Server Error".into() });
    let failed = client.get(&url).basic_auth(ACCOUNT, Some(TOKEN)).send().await.expect("request");
    assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        client.get(&url).basic_auth(ACCOUNT, Some(TOKEN)).send().await.expect("request").status(),
        StatusCode::OK
    );
}
