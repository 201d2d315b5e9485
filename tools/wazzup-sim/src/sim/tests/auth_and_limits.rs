use std::time::{Duration, Instant};

use super::*;

#[tokio::test]
async fn every_route_needs_the_bearer_key() {
    let (sim, base, client) = start().await;
    let cases = [
        client.get(format!("{base}/v3/channels")),
        client.get(format!("{base}/v3/channels")).bearer_auth("wrong"),
        client.get(format!("{base}/v3/channels")).header("authorization", KEY),
        client.get(format!("{base}/v3/webhooks")).basic_auth(KEY, Some("")),
        client.post(format!("{base}/v3/message")).json(&text_send("hi")),
        client.patch(format!("{base}/v3/webhooks")).json(&json!({"webhooksUri": "http://127.0.0.1:1/"})),
    ];
    for request in cases {
        let (status, body) = answer(request.send().await.expect("request")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body, Value::Null, "W3: the body may be empty");
    }
    assert!(sim.sent().is_empty());
    assert!(sim.take_webhooks().is_empty());
    assert!(sim.requests().iter().all(|r| r.status == 401));
}

#[tokio::test]
async fn channels_are_listed_and_requests_recorded_without_query() {
    let (sim, base, client) = start().await;
    let response = client.get(format!("{base}/v3/channels?x=1")).bearer_auth(KEY).send().await.expect("request");
    let (status, body) = answer(response).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body[0],
        json!({"channelId": CHANNEL, "transport": "whatsapp", "plainId": "79990001122", "state": "active"})
    );
    assert_eq!(body.as_array().map(Vec::len), Some(6));
    sim.set_channel_state(CHANNEL, "qr");
    assert_eq!(sim.channels()[0].state, "qr");
    assert_eq!(sim.requests(), [RecordedRequest { method: "GET".into(), path: "/v3/channels".into(), status: 200 }]);
}

#[tokio::test]
async fn unknown_paths_and_verbs_are_404() {
    let (sim, base, client) = start().await;
    for request in [
        client.get(format!("{base}/v3/nothing")).bearer_auth(KEY),
        client.get(format!("{base}/v3/message")).bearer_auth(KEY),
        client.delete(format!("{base}/v3/channels")).bearer_auth(KEY),
        client.get(format!("{base}/")),
        client.get(format!("{base}/store/unknown")),
    ] {
        assert_eq!(request.send().await.expect("request").status(), StatusCode::NOT_FOUND);
    }
    assert_eq!(sim.requests().len(), 5);
}

#[tokio::test]
async fn over_the_rate_limit_is_429_until_the_window_resets() {
    let (sim, base, client) = start().await;
    sim.set_rate_limit(3, Duration::from_millis(400));
    let get = || client.get(format!("{base}/v3/channels")).bearer_auth(KEY).send();
    let opened = Instant::now();
    for _ in 0..3 {
        assert_eq!(get().await.expect("request").status(), StatusCode::OK);
    }
    let (status, body) = answer(get().await.expect("request")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(body["error"].is_string(), "{body}");
    // A send over the limit is not handled.
    let (status, _) = send(&client, &base, &text_send("hi")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(sim.sent().is_empty());
    tokio::time::sleep(Duration::from_millis(400).saturating_sub(opened.elapsed()) + Duration::from_millis(50)).await;
    assert_eq!(get().await.expect("request").status(), StatusCode::OK);
}

#[tokio::test]
async fn the_default_limit_is_500_per_5_seconds() {
    let (_sim, base, client) = start().await;
    let mut statuses = Vec::new();
    for _ in 0..501 {
        let response = client.get(format!("{base}/v3/channels")).bearer_auth(KEY).send().await.expect("request");
        statuses.push(response.status().as_u16());
    }
    assert!(statuses[..500].iter().all(|&s| s == 200));
    assert_eq!(statuses[500], 429);
}

#[tokio::test]
async fn injected_errors_and_delays_hit_the_next_requests() {
    let (sim, base, client) = start().await;
    sim.fail_next(1, WazzupFailure::Error { http: 500, body: String::new() });
    sim.fail_next(1, WazzupFailure::Error { http: 502, body: "Bad Gateway".into() });
    sim.fail_next(1, WazzupFailure::Error { http: 400, body: r#"{"error":"UNKNOWN_ERROR"}"#.into() });
    let (status, body) = send(&client, &base, &text_send("a")).await;
    assert_eq!((status.as_u16(), body), (500, Value::Null));
    let response = client.post(format!("{base}/v3/message")).bearer_auth(KEY).json(&text_send("b")).send().await;
    let response = response.expect("request");
    assert_eq!(response.status().as_u16(), 502);
    assert_eq!(response.text().await.expect("text"), "Bad Gateway");
    let (status, body) = send(&client, &base, &text_send("c")).await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (400, Some("UNKNOWN_ERROR")));
    assert!(sim.sent().is_empty(), "failed requests are not handled");

    sim.fail_next(1, WazzupFailure::Delay(Duration::from_millis(300)));
    let started = Instant::now();
    let (status, _) = send(&client, &base, &text_send("d")).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(sim.sent().len(), 1);
}
