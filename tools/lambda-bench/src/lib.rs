//! A mock of the Lambda Runtime API that serves one event and timestamps what the function
//! does with it, plus the measurement helpers of the `lambda-bench` runner.
//!
//! The mock answers the first `GET /2018-06-01/runtime/invocation/next` with the event and holds
//! every later one open forever: a function waiting there is idle, as between invocations on
//! Lambda. Each request is reported on a channel with the instant it arrived.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The request id of the one invocation a mock serves.
pub const REQUEST_ID: &str = "lambda-bench-invocation-1";

/// What the function under test did, in arrival order.
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    /// `GET …/invocation/next`; `n` counts from 0 (0: ready, 1: idle after the first answer).
    Next { at: Instant, n: usize },
    /// `POST …/invocation/{id}/response` (`error: false`) or `…/error` (`error: true`).
    Response { at: Instant, request_id: String, error: bool, body: Bytes },
    /// `POST …/runtime/init/error`: the function failed before its first `next`.
    InitError { at: Instant, body: Bytes },
}

impl Seen {
    pub fn at(&self) -> Instant {
        match self {
            Seen::Next { at, .. } | Seen::Response { at, .. } | Seen::InitError { at, .. } => *at,
        }
    }
}

struct Shared {
    event: String,
    served: AtomicUsize,
    seen: mpsc::UnboundedSender<Seen>,
}

/// A running mock on 127.0.0.1 (ephemeral port). Dropping it stops the server.
pub struct MockRuntime {
    addr: SocketAddr,
    seen: mpsc::UnboundedReceiver<Seen>,
    server: JoinHandle<()>,
}

impl MockRuntime {
    /// Serves `event` (the JSON Lambda hands the function) to the first `next`.
    pub async fn start(event: String) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (tx, seen) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared { event, served: AtomicUsize::new(0), seen: tx });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared);
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "mock runtime API stopped");
            }
        });
        Ok(Self { addr, seen, server })
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn runtime_api(&self) -> String {
        self.addr.to_string()
    }

    /// The next thing the function did, or None after `timeout`.
    pub async fn seen(&mut self, timeout: Duration) -> Option<Seen> {
        tokio::time::timeout(timeout, self.seen.recv()).await.ok().flatten()
    }
}

impl Drop for MockRuntime {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn next(State(shared): State<Arc<Shared>>) -> Response {
    let n = shared.served.fetch_add(1, Ordering::SeqCst);
    let _ = shared.seen.send(Seen::Next { at: Instant::now(), n });
    if n > 0 {
        // Idle: Lambda would freeze the instance here until the next event.
        std::future::pending::<()>().await;
    }
    let deadline = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default() + Duration::from_secs(300);
    let mut headers = HeaderMap::new();
    headers.insert("lambda-runtime-aws-request-id", HeaderValue::from_static(REQUEST_ID));
    if let Ok(v) = HeaderValue::from_str(&deadline.as_millis().to_string()) {
        headers.insert("lambda-runtime-deadline-ms", v);
    }
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        HeaderValue::from_static("arn:aws:lambda:us-east-1:123456789012:function:lambda-bench"),
    );
    headers.insert("lambda-runtime-trace-id", HeaderValue::from_static("Root=1-00000000-000000000000000000000000"));
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    (StatusCode::OK, headers, shared.event.clone()).into_response()
}

async fn response(State(shared): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    let _ = shared.seen.send(Seen::Response { at: Instant::now(), request_id: id, error: false, body });
    StatusCode::ACCEPTED
}

async fn error(State(shared): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    let _ = shared.seen.send(Seen::Response { at: Instant::now(), request_id: id, error: true, body });
    StatusCode::ACCEPTED
}

async fn init_error(State(shared): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    let _ = shared.seen.send(Seen::InitError { at: Instant::now(), body });
    StatusCode::ACCEPTED
}

/// `VmRSS` of a process in KiB, from `/proc/<pid>/status`.
pub fn vm_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The median of `values` (the mean of the two middle ones for an even count); None if empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 0 { (v[mid - 1] + v[mid]) / 2.0 } else { v[mid] })
}

/// `X-Hub-Signature-256` of a Meta webhook body: `sha256=` + hex HMAC-SHA256 with the app secret.
pub fn meta_signature(app_secret: &str, body: &[u8]) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(app_secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// An API Gateway event for a Meta webhook (`template`, e.g. events/meta-text-message.json) with
/// its message id and sender replaced and the body signed again, so every run records a new
/// message instead of a duplicate.
pub fn fresh_meta_event(
    template: &str,
    app_secret: &str,
    message_id: &str,
    phone: &str,
) -> Result<String, serde_json::Error> {
    let mut event: serde_json::Value = serde_json::from_str(template)?;
    let body = event["body"]
        .as_str()
        .unwrap_or_default()
        .replace("wamid.event-sample-1", message_id)
        .replace("79051234567", phone);
    event["headers"]["x-hub-signature-256"] = meta_signature(app_secret, body.as_bytes()).into();
    event["body"] = body.into();
    serde_json::to_string(&event)
}

/// An SQS event (`template`, e.g. events/sqs-work-conversation.json) whose one record carries `body`.
pub fn sqs_event_with_body(template: &str, body: &str) -> Result<String, serde_json::Error> {
    let mut event: serde_json::Value = serde_json::from_str(template)?;
    event["Records"][0]["body"] = body.into();
    serde_json::to_string(&event)
}
