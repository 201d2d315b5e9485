//! Loopback tests of the simulator: a real server on 127.0.0.1, driven with reqwest.

mod auth_and_limits;
mod content_uri;
mod send;
mod webhooks;

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

use super::*;

const KEY: &str = "c8cf90444023482f909520d454368d27";
const CHANNEL: &str = "00000000-0000-4000-8000-000000000001";
const WABA: &str = "00000000-0000-4000-8000-000000000002";
const OFF: &str = "00000000-0000-4000-8000-000000000003";
const OFFLINE: &str = "00000000-0000-4000-8000-000000000004";
const UNPAID: &str = "00000000-0000-4000-8000-000000000005";
const INSTAGRAM: &str = "00000000-0000-4000-8000-000000000006";
const CHAT: &str = "79000000001";

fn channel(channel_id: &str, transport: &str, state: &str) -> Channel {
    Channel {
        channel_id: channel_id.into(),
        transport: transport.into(),
        plain_id: "79990001122".into(),
        state: state.into(),
    }
}

async fn start() -> (WazzupSim, String, reqwest::Client) {
    let sim = WazzupSim::new(WazzupSimConfig {
        api_key: KEY.into(),
        channels: vec![
            channel(CHANNEL, "whatsapp", "active"),
            channel(WABA, "wapi", "active"),
            channel(OFF, "whatsapp", "disabled"),
            channel(OFFLINE, "whatsapp", "phoneUnavailable"),
            channel(UNPAID, "whatsapp", "notEnoughMoney"),
            channel(INSTAGRAM, "instagram", "active"),
        ],
    });
    let base = sim.serve(None).await.expect("bind loopback");
    (sim, base, reqwest::Client::new())
}

fn text_send(text: &str) -> Value {
    json!({ "channelId": CHANNEL, "chatType": "whatsapp", "chatId": CHAT, "text": text })
}

/// `POST /v3/message` with the key; the answer's status and JSON body (`Null` when empty).
async fn send(client: &reqwest::Client, base: &str, body: &Value) -> (StatusCode, Value) {
    let response = client.post(format!("{base}/v3/message")).bearer_auth(KEY).json(body).send().await.expect("request");
    answer(response).await
}

async fn answer(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let bytes = response.bytes().await.expect("body");
    let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).expect("JSON body") };
    (status, body)
}

/// What a test listener received: the `Authorization` header and the JSON body of each POST.
type Received = Arc<Mutex<Vec<(Option<String>, Value)>>>;

/// A CRM endpoint answering every POST with `status`; returns its URL and what it received.
async fn listener(status: StatusCode) -> (String, Received) {
    let received: Received = Arc::default();
    let log = received.clone();
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let log = log.clone();
            async move {
                let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
                let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
                log.lock().unwrap_or_else(|p| p.into_inner()).push((auth, body));
                status
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (format!("http://{addr}/hook"), received)
}

fn received(log: &Received) -> Vec<(Option<String>, Value)> {
    log.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// `(kind, status)` of queued webhooks: `("echo", "sent")` for an `isEcho` message, else
/// `("status", <status>)`.
fn summary(webhooks: &[Value]) -> Vec<(&'static str, String)> {
    webhooks
        .iter()
        .map(|w| match (w["messages"][0].is_object(), w["statuses"][0]["status"].as_str()) {
            (true, _) => ("echo", w["messages"][0]["status"].as_str().unwrap_or_default().to_owned()),
            (false, Some(status)) => ("status", status.to_owned()),
            _ => ("other", w.to_string()),
        })
        .collect()
}
