//! The mock Runtime API against the hello-world baseline (debug build): the runner's
//! measurements rest on this exchange, so it must not rot unnoticed.

use std::process::Stdio;
use std::time::Duration;

use lambda_bench::{fresh_meta_event, meta_signature, vm_rss_kib, MockRuntime, Seen, REQUEST_ID};

fn events_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events")
}

#[tokio::test]
async fn hello_lambda_goes_ready_answers_and_idles() {
    let template = std::fs::read_to_string(events_dir().join("meta-text-message.json")).unwrap();
    let event = fresh_meta_event(&template, "demo-meta-app-secret", "wamid.mock-test", "79990001122").unwrap();
    let mut mock = MockRuntime::start(event).await.unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_hello-lambda"))
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", mock.runtime_api())
        .env("AWS_LAMBDA_FUNCTION_NAME", "hello")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let wait = Duration::from_secs(30);
    let ready = mock.seen(wait).await.expect("the function asks for its first event");
    assert!(matches!(ready, Seen::Next { n: 0, .. }), "{ready:?}");
    let Some(Seen::Response { request_id, error, body, at }) = mock.seen(wait).await else {
        panic!("no response to the invocation");
    };
    assert_eq!((request_id.as_str(), error), (REQUEST_ID, false));
    assert!(at >= ready.at());
    let answer: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!((answer["statusCode"].as_i64(), answer["body"].as_str()), (Some(200), Some("hello")), "{answer}");
    let idle = mock.seen(wait).await.expect("the function waits for its next event");
    assert!(matches!(idle, Seen::Next { n: 1, .. }), "{idle:?}");
    let rss = vm_rss_kib(child.id().unwrap()).expect("a running process has a VmRSS");
    assert!(rss > 0);
    child.start_kill().unwrap();
    child.wait().await.unwrap();
}

/// A re-signed event carries the signature of its new body, and re-signing the sample's own
/// id and sender reproduces the signature the sample ships with.
#[test]
fn fresh_meta_events_are_signed_like_the_samples() {
    let template = std::fs::read_to_string(events_dir().join("meta-text-message.json")).unwrap();
    let original: serde_json::Value = serde_json::from_str(&template).unwrap();
    let same = fresh_meta_event(&template, "demo-meta-app-secret", "wamid.event-sample-1", "79051234567").unwrap();
    let same: serde_json::Value = serde_json::from_str(&same).unwrap();
    assert_eq!(same["headers"]["x-hub-signature-256"], original["headers"]["x-hub-signature-256"]);

    let fresh = fresh_meta_event(&template, "demo-meta-app-secret", "wamid.other", "79990001122").unwrap();
    let fresh: serde_json::Value = serde_json::from_str(&fresh).unwrap();
    let body = fresh["body"].as_str().unwrap();
    assert!(body.contains("wamid.other") && body.contains("79990001122") && !body.contains("79051234567"));
    assert_eq!(
        fresh["headers"]["x-hub-signature-256"].as_str().unwrap(),
        meta_signature("demo-meta-app-secret", body.as_bytes())
    );
}
