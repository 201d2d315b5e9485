//! `POST /v1/configs/webhook` `{url, headers?}` → 200 `{url, headers}` (D4; sample
//! `360dialog/webhook_config_request.json`), and `GET` of the same path.
//!
//! Checks: `url` must be an http(s) URL, and — per D8, "Webhook URLs or headers for Cloud API
//! does not support "_"(underscore) or ":xxxx"(port) in (sub)domain names" — neither its host nor
//! a header name may contain `_` (the header half is inferred from "or headers", **unconfirmed**).
//! The port rule is deliberately **not** enforced: loopback tests need `http://127.0.0.1:<port>`.
//! D4's request table lists only `url`; that the request takes the answer's `headers` object is
//! shown by D4's example, D5 and D6. D4 writes "Get Webhook URL" as a POST without body; the sim
//! answers GET (**unconfirmed**).

use axum::extract::State;
use axum::http::{HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use serde_json::{json, Map, Value};

use super::d360_error::D360Error;
use super::{Dialog360Sim, WebhookConfig};

pub(crate) async fn set(State(sim): State<Dialog360Sim>, body: Bytes) -> Response {
    let config = match parse(&body) {
        Ok(config) => config,
        Err(detail) => return D360Error::new(400, "Invalid webhook configuration").with_detail(detail).into_response(),
    };
    let answer = answer(&config);
    sim.lock().webhook_config = Some(config);
    // A delivery task waiting for a target may go now.
    sim.outbox_ready.notify_one();
    Json(answer).into_response()
}

pub(crate) async fn get(State(sim): State<Dialog360Sim>) -> Response {
    match sim.lock().webhook_config.as_ref() {
        Some(config) => Json(answer(config)).into_response(),
        None => D360Error::new(404, "Webhook URL is not set").into_response(),
    }
}

fn answer(config: &WebhookConfig) -> Value {
    let headers: Map<String, Value> = config.headers.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    json!({ "url": config.url, "headers": headers })
}

fn parse(body: &[u8]) -> Result<WebhookConfig, String> {
    let body: Value = serde_json::from_slice(body).map_err(|error| format!("The body is not valid JSON: {error}."))?;
    let url = body.get("url").and_then(Value::as_str).ok_or("url is required and must be a string.")?;
    let host = url_host(url).ok_or_else(|| format!("url must be an http(s) URL with a host: {url}"))?;
    if host.contains('_') {
        return Err(format!("Webhook URLs do not support '_' in (sub)domain names: {host}"));
    }
    let headers = match body.get("headers") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(headers)) => {
            headers.iter().map(|(name, value)| header(name, value)).collect::<Result<_, _>>()?
        }
        Some(_) => return Err("headers must be an object of header names to string values.".into()),
    };
    Ok(WebhookConfig { url: url.to_owned(), headers })
}

fn header(name: &str, value: &Value) -> Result<(String, String), String> {
    if name.contains('_') {
        return Err(format!("Webhook headers do not support '_': {name}"));
    }
    if HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(format!("Not a valid header name: {name}"));
    }
    let value = value.as_str().ok_or_else(|| format!("The value of header {name} must be a string."))?;
    if HeaderValue::from_str(value).is_err() {
        return Err(format!("Not a valid value for header {name}."));
    }
    Ok((name.to_owned(), value.to_owned()))
}

/// Host of an `http://` / `https://` URL, without user info or port; `None` if there is none.
fn url_host(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = match host_port.strip_prefix('[') {
        // IPv6 literal: `[::1]:8080`.
        Some(v6) => v6.split_once(']').map(|(host, _)| host)?,
        None => host_port.split(':').next()?,
    };
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_extracted() {
        assert_eq!(url_host("https://bridge.example.com/webhooks/360dialog"), Some("bridge.example.com"));
        assert_eq!(url_host("http://127.0.0.1:8080/x?y"), Some("127.0.0.1"));
        assert_eq!(url_host("https://user:pw@my_host.example.com:443"), Some("my_host.example.com"));
        assert_eq!(url_host("http://[::1]:9000/"), Some("::1"));
        assert_eq!(url_host("ftp://example.com"), None);
        assert_eq!(url_host("https:///path"), None);
    }

    #[test]
    fn underscores_and_bad_headers_are_refused() {
        assert!(parse(br#"{"url":"https://a_b.example.com/h"}"#).is_err());
        assert!(parse(br#"{"url":"https://ok.example.com/a_path"}"#).is_ok(), "only the host is checked");
        assert!(parse(br#"{"url":"https://ok.example.com","headers":{"X_Secret":"v"}}"#).is_err());
        assert!(parse(br#"{"url":"https://ok.example.com","headers":{"X-Secret":1}}"#).is_err());
        assert!(parse(br#"{"url":"https://ok.example.com","headers":{"X Secret":"v"}}"#).is_err());
        assert!(parse(br#"{"url":"https://ok.example.com","headers":["X-Secret"]}"#).is_err());
        assert!(parse(br#"{"headers":{}}"#).is_err());
        assert!(parse(b"not json").is_err());
    }
}
