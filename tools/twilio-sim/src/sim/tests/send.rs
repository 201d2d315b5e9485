use std::time::{Duration, Instant};

use super::*;

#[tokio::test]
async fn text_send_with_good_auth_is_created_and_recorded() {
    let (sim, base, client) = start().await;
    assert_eq!(sim.base_url().as_deref(), Some(base.as_str()));
    let (status, answer) = send(&client, &base, &[("To", USER), ("From", SENDER), ("Body", "Привет")]).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let sid = answer["sid"].as_str().expect("sid").to_owned();
    assert!(sid.starts_with("SM") && sid.len() == 34, "{sid}");
    assert_eq!(answer["account_sid"], ACCOUNT);
    assert_eq!((answer["from"].as_str(), answer["to"].as_str()), (Some(SENDER), Some(USER)));
    assert_eq!((answer["body"].as_str(), answer["status"].as_str()), (Some("Привет"), Some("queued")));
    assert_eq!((answer["num_media"].as_str(), answer["num_segments"].as_str()), (Some("0"), Some("1")));
    assert_eq!(
        (answer["direction"].as_str(), answer["api_version"].as_str()),
        (Some("outbound-api"), Some("2010-04-01"))
    );
    assert!(answer["error_code"].is_null() && answer["error_message"].is_null() && answer["price"].is_null());
    assert_eq!(answer["uri"], format!("/2010-04-01/Accounts/{ACCOUNT}/Messages/{sid}.json"));
    let date = answer["date_created"].as_str().expect("date_created");
    assert!(date.ends_with(" +0000") && date.len() == 31, "RFC 2822: {date}");

    let sent = sim.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].sid.as_str(), sent[0].to.as_str(), sent[0].body.as_deref()),
        (sid.as_str(), USER, Some("Привет"))
    );
    assert_eq!(
        (sent[0].media.as_ref(), sent[0].status_callback.as_ref(), sent[0].async_error_code),
        (None, None, None)
    );
    assert_eq!(
        sim.requests(),
        vec![RecordedRequest {
            method: "POST".into(),
            path: format!("/2010-04-01/Accounts/{ACCOUNT}/Messages.json"),
            status: 201
        }]
    );

    let (_, second) = send(&client, &base, &[("To", USER), ("From", SENDER), ("Body", "again")]).await;
    assert_ne!(second["sid"], answer["sid"], "SIDs are unique");
}

#[tokio::test]
async fn bad_or_missing_auth_gets_401_20003_and_nothing_is_sent() {
    let (sim, base, client) = start().await;
    let text = [("To", USER), ("From", SENDER), ("Body", "hi")];
    for auth in [None, Some((ACCOUNT, "wrong")), Some(("ACffffffffffffffffffffffffffffffff", TOKEN))] {
        let (status, answer) = post_form(&client, &messages_url(&base), auth, &text).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(
            answer,
            serde_json::json!({
                "code": 20003,
                "message": "Authenticate",
                "more_info": "https://www.twilio.com/docs/errors/20003",
                "status": 401,
            })
        );
    }
    // Good credentials on another account's path.
    let other = base.clone() + "/2010-04-01/Accounts/ACffffffffffffffffffffffffffffffff/Messages.json";
    let (status, answer) = post_form(&client, &other, Some((ACCOUNT, TOKEN)), &text).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_twilio_error(&answer, 401, 20003);

    let garbage = client
        .post(messages_url(&base))
        .header("authorization", "Basic %%%not-base64")
        .body("To=x")
        .send()
        .await
        .expect("request");
    assert_eq!(garbage.status(), StatusCode::UNAUTHORIZED);
    assert!(garbage.headers().contains_key("www-authenticate"));

    assert!(sim.sent().is_empty());
    assert!(sim.requests().iter().all(|r| r.status == 401), "{:?}", sim.requests());
}

#[tokio::test]
async fn validation_errors_answer_their_documented_codes() {
    let (sim, base, client) = start().await;
    let long = "x".repeat(1601);
    let cases: [(&[(&str, &str)], i64); 7] = [
        (&[("From", SENDER), ("Body", "hi")], 21604),
        (&[("To", "whatsapp:+7-905"), ("From", SENDER), ("Body", "hi")], 21211),
        (&[("To", USER), ("From", "whatsapp:+15005550006"), ("Body", "hi")], 63007),
        (&[("To", USER), ("From", SENDER)], 21602),
        (&[("To", USER), ("From", SENDER), ("Body", &long)], 21617),
        (
            &[("To", USER), ("From", SENDER), ("MediaUrl", "https://a.example/1"), ("MediaUrl", "https://a.example/2")],
            21623,
        ),
        (&[("To", USER), ("From", SENDER), ("Body", "hi"), ("StatusCallback", "not a url")], 21609),
    ];
    for (items, code) in cases {
        let (status, answer) = send(&client, &base, items).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{items:?}");
        assert_twilio_error(&answer, 400, code);
    }

    // Twilio reads form bodies only: JSON arrives as no parameters at all.
    let json = client
        .post(messages_url(&base))
        .basic_auth(ACCOUNT, Some(TOKEN))
        .header(CONTENT_TYPE, "application/json")
        .body(r#"{"To":"whatsapp:+79051234567","From":"whatsapp:+14155238886","Body":"hi"}"#)
        .send()
        .await
        .expect("request");
    assert_eq!(json.status(), StatusCode::BAD_REQUEST);
    assert_twilio_error(&json.json().await.expect("json"), 400, 21604);

    // Bytes that are not UTF-8 are no reason to fail differently.
    let binary = client
        .post(messages_url(&base))
        .basic_auth(ACCOUNT, Some(TOKEN))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(vec![0xff, 0xfe, b'=', 0x80])
        .send()
        .await
        .expect("request");
    assert_eq!(binary.status(), StatusCode::BAD_REQUEST);
    assert!(sim.sent().is_empty());
}

#[tokio::test]
async fn unknown_paths_and_methods_get_twilio_errors() {
    let (_sim, base, client) = start().await;
    let unknown = client.get(format!("{base}/2010-04-01/Accounts/{ACCOUNT}/Calls.json")).send().await.expect("request");
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let answer: Value = unknown.json().await.expect("json");
    assert_twilio_error(&answer, 404, 20404);
    assert!(answer["message"].as_str().is_some_and(|m| m.contains("/Calls.json")));

    let wrong_method =
        client.delete(messages_url(&base)).basic_auth(ACCOUNT, Some(TOKEN)).send().await.expect("request");
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_twilio_error(&wrong_method.json().await.expect("json"), 405, 20004);
}

#[tokio::test]
async fn injected_failures_apply_in_arrival_order() {
    let (sim, base, client) = start().await;
    sim.fail_next(1, TwilioFailure::Error { http: 429, code: 20429, message: "Too Many Requests".into() });
    sim.fail_next(1, TwilioFailure::Error { http: 503, code: 20503, message: "Service Unavailable".into() });
    sim.fail_next(1, TwilioFailure::Delay(Duration::from_millis(80)));
    let text = [("To", USER), ("From", SENDER), ("Body", "hi")];

    // Unauthenticated requests do not consume injected failures.
    assert_eq!(post_form(&client, &messages_url(&base), None, &text).await.0, StatusCode::UNAUTHORIZED);
    let (status, answer) = send(&client, &base, &text).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_twilio_error(&answer, 429, 20429);
    let (status, answer) = send(&client, &base, &text).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_twilio_error(&answer, 503, 20503);
    let started = Instant::now();
    assert_eq!(send(&client, &base, &text).await.0, StatusCode::CREATED);
    assert!(started.elapsed() >= Duration::from_millis(80));
    assert_eq!(send(&client, &base, &text).await.0, StatusCode::CREATED);
    assert_eq!(sim.sent().len(), 2);

    // A nonsense status is answered as 500 rather than crashing the handler.
    sim.fail_next(1, TwilioFailure::Error { http: 42, code: 1, message: "odd".into() });
    assert_eq!(send(&client, &base, &text).await.0, StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn recipient_failures_refuse_until_cleared() {
    let (sim, base, client) = start().await;
    sim.fail_for_recipient_sync("+79050000000", 400, 21614, "'To' number is not a valid mobile number");
    let to_failing = [("To", "whatsapp:+79050000000"), ("From", SENDER), ("Body", "hi")];
    let (status, answer) = send(&client, &base, &to_failing).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_twilio_error(&answer, 400, 21614);
    assert_eq!(answer["message"], "'To' number is not a valid mobile number");
    assert!(sim.sent().is_empty());

    // Other numbers are unaffected; clearing lets the number through.
    assert_eq!(send(&client, &base, &[("To", USER), ("From", SENDER), ("Body", "hi")]).await.0, StatusCode::CREATED);
    sim.clear_recipient("whatsapp:+79050000000");
    assert_eq!(send(&client, &base, &to_failing).await.0, StatusCode::CREATED);
}
