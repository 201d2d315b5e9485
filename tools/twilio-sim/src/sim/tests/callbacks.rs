use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use tokio::sync::mpsc;

use super::*;

const CALLBACK_URL: &str = "https://bridge.example.com/twilio/status?tenant=1";

fn assert_signed(callback: &Callback) {
    assert_eq!(webhook::sign(TOKEN, &callback.url, &callback.params), callback.signature, "{callback:?}");
}

#[tokio::test]
async fn accepted_sends_queue_signed_sent_then_delivered() {
    let (sim, base, client) = start().await;
    let (_, answer) =
        send(&client, &base, &[("To", USER), ("From", SENDER), ("Body", "hi"), ("StatusCallback", CALLBACK_URL)]).await;
    let sid = answer["sid"].as_str().expect("sid");
    assert_eq!(sim.sent()[0].status_callback.as_deref(), Some(CALLBACK_URL));

    let callbacks = sim.take_callbacks();
    assert_eq!(callbacks.len(), 2);
    for (callback, status) in callbacks.iter().zip(["sent", "delivered"]) {
        assert_eq!(callback.url, CALLBACK_URL);
        assert_signed(callback);
        assert_eq!(callback.param("MessageStatus"), Some(status));
        assert_eq!(callback.param("SmsStatus"), Some(status));
        assert_eq!(callback.param("MessageSid"), Some(sid));
        assert_eq!(callback.param("AccountSid"), Some(ACCOUNT));
        assert_eq!((callback.param("From"), callback.param("To")), (Some(SENDER), Some(USER)));
        assert_eq!(callback.param("ChannelToAddress"), Some("+79051234567"));
        assert_eq!(callback.param("ErrorCode"), None);
    }
    assert_eq!(callbacks[1].param("EventType"), Some("DELIVERED"));
    assert!(sim.take_callbacks().is_empty(), "take drains");

    // No StatusCallback, no callbacks.
    send(&client, &base, &[("To", USER), ("From", SENDER), ("Body", "quiet")]).await;
    assert!(sim.take_callbacks().is_empty());
}

#[tokio::test]
async fn async_recipient_failure_is_accepted_then_failed_once() {
    let (sim, base, client) = start().await;
    sim.fail_for_recipient_async("+79051234567", 63016);
    let (status, answer) =
        send(&client, &base, &[("To", USER), ("From", SENDER), ("Body", "late"), ("StatusCallback", CALLBACK_URL)])
            .await;
    assert_eq!(status, StatusCode::CREATED, "Twilio accepts sends outside the window");
    assert_eq!(answer["status"], "queued");
    assert_eq!(sim.sent()[0].async_error_code, Some(63016));
    let callbacks = sim.take_callbacks();
    assert_eq!(callbacks.len(), 1);
    assert_signed(&callbacks[0]);
    assert_eq!((callbacks[0].param("MessageStatus"), callbacks[0].param("ErrorCode")), (Some("failed"), Some("63016")));
    assert_eq!(
        callbacks[0].param("ErrorMessage"),
        Some(
            "Failed to send freeform message because you are outside the allowed window. If you are using WhatsApp, \
             please use a Message Template."
        )
    );

    // A template is what WhatsApp allows outside the window.
    let template = [
        ("To", USER),
        ("From", SENDER),
        ("ContentSid", "HXb5b62575e6e4ff6129ad7c8efe1f983e"),
        ("ContentVariables", r#"{"1":"12/1"}"#),
        ("StatusCallback", CALLBACK_URL),
    ];
    assert_eq!(send(&client, &base, &template).await.0, StatusCode::CREATED);
    assert_eq!(sim.sent()[1].content_sid.as_deref(), Some("HXb5b62575e6e4ff6129ad7c8efe1f983e"));
    assert_eq!(sim.sent()[1].async_error_code, None);
    assert_eq!(sim.take_callbacks().len(), 2);

    // Other codes fail templates too; clearing restores delivery.
    sim.fail_for_recipient_async("+79051234567", 63024);
    send(&client, &base, &template).await;
    assert_eq!(
        sim.take_callbacks().iter().filter_map(|c| c.param("ErrorCode").map(str::to_owned)).collect::<Vec<_>>(),
        ["63024"]
    );
    sim.clear_recipient("+79051234567");
    send(&client, &base, &[("To", USER), ("From", SENDER), ("Body", "hi"), ("StatusCallback", CALLBACK_URL)]).await;
    assert_eq!(sim.take_callbacks().len(), 2);
}

/// One POST the stand-in status endpoint received.
type Received = (HeaderMap, String);

/// A stand-in for the bridge's status endpoint, reporting each POST on the channel.
async fn receiver() -> (String, mpsc::UnboundedReceiver<Received>) {
    async fn status(State(tx): State<mpsc::UnboundedSender<Received>>, headers: HeaderMap, body: String) -> StatusCode {
        let _ = tx.send((headers, body));
        StatusCode::NO_CONTENT
    }
    let (tx, rx) = mpsc::unbounded_channel();
    (serve_app(Router::new().route("/twilio/status", post(status)).with_state(tx)).await, rx)
}

#[tokio::test]
async fn deliver_callbacks_posts_signed_forms() {
    let (sim, base, client) = start().await;
    let (origin, mut rx) = receiver().await;
    let url = format!("{origin}/twilio/status?tenant=1");

    // Queued before delivery is switched on, then flushed by switching it on.
    send(&client, &base, &[("To", USER), ("From", SENDER), ("Body", "one"), ("StatusCallback", &url)]).await;
    sim.deliver_callbacks(true);
    send(&client, &base, &[("To", USER), ("From", SENDER), ("Body", "two"), ("StatusCallback", &url)]).await;

    let mut received = Vec::new();
    for _ in 0..4 {
        let item =
            tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.expect("callback in time").expect("open");
        received.push(item);
    }
    assert!(sim.take_callbacks().is_empty(), "delivered callbacks are not queued");
    let sids: Vec<_> = sim.sent().into_iter().map(|s| s.sid).collect();
    let mut seen = Vec::new();
    for (headers, body) in &received {
        assert_eq!(headers["content-type"], "application/x-www-form-urlencoded");
        let params = webhook::parse(body);
        let signature = headers["x-twilio-signature"].to_str().expect("ascii");
        assert_eq!(webhook::sign(TOKEN, &url, &params), signature);
        seen.push((
            webhook::param(&params, "MessageSid").unwrap_or_default().to_owned(),
            webhook::param(&params, "MessageStatus").unwrap_or_default().to_owned(),
        ));
    }
    for sid in &sids {
        let statuses: Vec<_> = seen.iter().filter(|(s, _)| s == sid).map(|(_, status)| status.as_str()).collect();
        assert_eq!(statuses, ["sent", "delivered"], "in order for {sid}");
    }

    // Switched off again, callbacks queue.
    sim.deliver_callbacks(false);
    send(&client, &base, &[("To", USER), ("From", SENDER), ("Body", "three"), ("StatusCallback", &url)]).await;
    assert_eq!(sim.take_callbacks().len(), 2);
}
