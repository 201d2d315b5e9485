//! A counting HTTP proxy on loopback in front of the AWS emulator: every request the AWS SDKs
//! make (DynamoDB, SQS, S3) passes through it and is counted by service and operation, then
//! forwarded unchanged. Counting on the wire counts what the code does, retries included.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use http::{HeaderMap, HeaderName, Method, StatusCode};

#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("the proxy cannot listen on loopback: {0}")]
    Bind(std::io::Error),
    #[error("the proxy's HTTP client cannot be built: {0}")]
    Client(reqwest::Error),
}

/// Requests seen, keyed by service then operation (`dynamodb` / `PutItem`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts(pub BTreeMap<(String, String), u64>);

impl Counts {
    /// What happened between `earlier` and `self`.
    pub fn since(&self, earlier: &Counts) -> Counts {
        let mut out = BTreeMap::new();
        for (key, n) in &self.0 {
            let before = earlier.0.get(key).copied().unwrap_or(0);
            if *n > before {
                out.insert(key.clone(), n - before);
            }
        }
        Counts(out)
    }

    pub fn add(&mut self, other: &Counts) {
        for (key, n) in &other.0 {
            *self.0.entry(key.clone()).or_insert(0) += n;
        }
    }

    pub fn service_total(&self, service: &str) -> u64 {
        self.0.iter().filter(|((s, _), _)| s == service).map(|(_, n)| n).sum()
    }

    pub fn operations(&self, service: &str) -> BTreeMap<String, u64> {
        self.0.iter().filter(|((s, _), _)| s == service).map(|((_, op), n)| (op.clone(), *n)).collect()
    }
}

struct Shared {
    upstream: String,
    client: reqwest::Client,
    counts: Mutex<Counts>,
}

/// The running proxy; it stops with the runtime that started it.
#[derive(Clone)]
pub struct CountingProxy {
    shared: Arc<Shared>,
    url: String,
}

impl CountingProxy {
    /// Listens on a free loopback port and forwards to `upstream` (`http://127.0.0.1:5055`).
    pub async fn start(upstream: &str) -> Result<Self, ProxyError> {
        let client = reqwest::Client::builder()
            // The emulator is local: no pool limits to speak of, and no proxy from the environment.
            .no_proxy()
            .build()
            .map_err(ProxyError::Client)?;
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_owned(),
            client,
            counts: Mutex::new(Counts::default()),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(ProxyError::Bind)?;
        let addr = listener.local_addr().map_err(ProxyError::Bind)?;
        let app = axum::Router::new().fallback(forward).with_state(shared.clone());
        tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!(%error, "counting proxy stopped");
            }
        });
        Ok(Self { shared, url: format!("http://{addr}") })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn counts(&self) -> Counts {
        self.shared.counts.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

/// Service and operation of one AWS request. DynamoDB and SQS (AWS JSON protocol, which the
/// Rust SQS SDK uses) name the operation in `X-Amz-Target`; S3 by method and path.
pub fn classify(method: &Method, path: &str, query: Option<&str>, headers: &HeaderMap) -> (String, String) {
    if let Some(target) = headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
        let (prefix, op) = target.split_once('.').unwrap_or((target, ""));
        let service = match prefix {
            p if p.starts_with("DynamoDB") => "dynamodb",
            p if p.starts_with("AmazonSQS") => "sqs",
            p if p.starts_with("AmazonSSM") => "ssm",
            _ => "other",
        };
        return (service.to_owned(), op.to_owned());
    }
    // SQS over its older query protocol, should an SDK ever fall back to it.
    if let Some(action) = query.and_then(|q| form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "Action")) {
        return ("sqs".to_owned(), action.1.into_owned());
    }
    ("s3".to_owned(), s3_operation(method, path, query, headers))
}

/// Path-style S3 (`/bucket/key`): the operation by method, object or bucket, and sub-resource.
fn s3_operation(method: &Method, path: &str, query: Option<&str>, headers: &HeaderMap) -> String {
    let trimmed = path.trim_start_matches('/');
    let object = trimmed.split_once('/').is_some_and(|(_, key)| !key.is_empty());
    let sub: Vec<String> =
        query.map(|q| form_urlencoded::parse(q.as_bytes()).map(|(k, _)| k.into_owned()).collect()).unwrap_or_default();
    let has = |name: &str| sub.iter().any(|k| k == name);
    let op = match (method.as_str(), object) {
        ("PUT", true) if headers.contains_key("x-amz-copy-source") => "CopyObject",
        ("PUT", true) if has("partNumber") => "UploadPart",
        ("PUT", true) => "PutObject",
        ("GET", true) => "GetObject",
        ("HEAD", true) => "HeadObject",
        ("DELETE", true) => "DeleteObject",
        ("POST", true) if has("uploads") => "CreateMultipartUpload",
        ("POST", true) if has("uploadId") => "CompleteMultipartUpload",
        ("PUT", false) if has("lifecycle") => "PutBucketLifecycleConfiguration",
        ("PUT", false) => "CreateBucket",
        ("GET", false) if has("list-type") => "ListObjectsV2",
        ("HEAD", false) => "HeadBucket",
        (m, true) => return format!("{m} object"),
        (m, false) => return format!("{m} bucket"),
    };
    op.to_owned()
}

/// Marks the DynamoDB requests on a pacing clock (`{account}#RATE#{key}` items): the Planfix
/// rate limit's share of the store traffic, which the lead wants to see apart.
pub const PACING_SUFFIX: &str = " (pacing)";

fn touches_pacing_clock(body: &[u8]) -> bool {
    body.windows(6).any(|w| w == b"#RATE#")
}

/// The pseudo-service under which the items of DynamoDB transactions are counted.
pub const ITEMS_SERVICE: &str = "dynamodb_transaction_items";

fn transaction_items(op: &str, body: &[u8]) -> Option<u64> {
    if !op.starts_with("Transact") {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("TransactItems").and_then(|t| t.as_array()).map(|a| a.len() as u64)
}

/// Hop-by-hop headers and those the client recomputes for the forwarded body.
fn forwardable(name: &HeaderName) -> bool {
    !matches!(name.as_str(), "host" | "connection" | "content-length" | "transfer-encoding" | "expect" | "keep-alive")
}

async fn forward(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(error) => return answer(StatusCode::BAD_REQUEST, format!("request body: {error}")),
    };
    let mut key = classify(&parts.method, parts.uri.path(), parts.uri.query(), &parts.headers);
    if key.0 == "dynamodb" && touches_pacing_clock(&body) {
        key.1.push_str(PACING_SUFFIX);
    }
    let items = (key.0 == "dynamodb").then(|| transaction_items(&key.1, &body)).flatten();
    if let Ok(mut counts) = shared.counts.lock() {
        if let Some(items) = items {
            // Transactions bill per item (2 WRU each): their items are counted apart.
            *counts.0.entry((ITEMS_SERVICE.to_owned(), key.1.clone())).or_insert(0) += items;
        }
        *counts.0.entry(key).or_insert(0) += 1;
    }
    let path_and_query = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let mut headers = HeaderMap::new();
    for (name, value) in &parts.headers {
        if forwardable(name) {
            headers.append(name.clone(), value.clone());
        }
    }
    let sent = shared
        .client
        .request(parts.method.clone(), format!("{}{}", shared.upstream, path_and_query))
        .headers(headers)
        .body(body)
        .send()
        .await;
    let upstream = match sent {
        Ok(r) => r,
        Err(error) => return answer(StatusCode::BAD_GATEWAY, format!("upstream: {error}")),
    };
    let status = upstream.status();
    let mut out_headers = HeaderMap::new();
    for (name, value) in upstream.headers() {
        // Content-Length stays: a HEAD answer carries the object's size with no body.
        if !matches!(name.as_str(), "connection" | "transfer-encoding" | "keep-alive") {
            out_headers.append(name.clone(), value.clone());
        }
    }
    let bytes = match upstream.bytes().await {
        Ok(b) => b,
        Err(error) => return answer(StatusCode::BAD_GATEWAY, format!("upstream body: {error}")),
    };
    let mut resp = Response::new(Body::from(bytes));
    *resp.status_mut() = status;
    *resp.headers_mut() = out_headers;
    resp
}

fn answer(status: StatusCode, text: String) -> Response {
    let mut resp = Response::new(Body::from(text));
    *resp.status_mut() = status;
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(t: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-amz-target", t.parse().unwrap());
        h
    }

    #[test]
    fn classifies_json_protocol_targets_and_s3_paths() {
        let post = Method::POST;
        assert_eq!(
            classify(&post, "/", None, &target("DynamoDB_20120810.PutItem")),
            ("dynamodb".into(), "PutItem".into())
        );
        assert_eq!(
            classify(&post, "/", None, &target("AmazonSQS.SendMessageBatch")),
            ("sqs".into(), "SendMessageBatch".into())
        );
        let none = HeaderMap::new();
        assert_eq!(classify(&Method::PUT, "/bucket/a/b.jpg", Some("x-id=PutObject"), &none).1, "PutObject");
        assert_eq!(classify(&Method::GET, "/bucket/a/b.jpg", None, &none).1, "GetObject");
        assert_eq!(classify(&Method::PUT, "/bucket", Some("lifecycle"), &none).1, "PutBucketLifecycleConfiguration");
        assert_eq!(classify(&Method::PUT, "/bucket/", None, &none).1, "CreateBucket");
    }

    #[test]
    fn differences_keep_only_what_grew() {
        let mut a = Counts::default();
        a.0.insert(("dynamodb".into(), "PutItem".into()), 3);
        let mut b = a.clone();
        b.0.insert(("dynamodb".into(), "PutItem".into()), 5);
        b.0.insert(("sqs".into(), "SendMessage".into()), 1);
        let d = b.since(&a);
        assert_eq!(d.service_total("dynamodb"), 2);
        assert_eq!(d.operations("sqs").get("SendMessage"), Some(&1));
    }
}
