//! Wazzup's error answers.
//!
//! - Send errors (W2 "Errors when sending messages") are 400 with
//!   `{"status":400,"requestId","error","description","data"?}`, like
//!   `wazzup/send_error_repeated_crm_message_id.json`.
//! - Other routes use W3's common form: a 4xx with an empty body or `{error, description,
//!   [data]}`. The sim answers 401 with an empty body and 404/429 with JSON; which codes and texts
//!   the live API puts in those is **unconfirmed**.

use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::ids;

#[derive(Debug)]
pub(crate) struct WazzupError {
    http: u16,
    body: Body,
}

#[derive(Debug)]
enum Body {
    Empty,
    Json(Value),
    Text(String),
}

impl WazzupError {
    /// 400 in the send form, with a fresh `requestId`.
    pub fn send(error: &str, description: impl Into<String>, data: Option<Value>) -> Self {
        let mut body = json!({
            "status": 400,
            "requestId": ids::request_id(),
            "error": error,
            "description": description.into(),
        });
        if let Some(data) = data {
            body["data"] = data;
        }
        Self { http: 400, body: Body::Json(body) }
    }

    /// W2 case 1: `INVALID_MESSAGE_DATA` naming the bad parameters in `data.fields`.
    pub fn invalid_message_data(fields: &[&str]) -> Self {
        Self::send("INVALID_MESSAGE_DATA", "Message data is invalid", Some(json!({ "fields": fields })))
    }

    /// `{error, description, [data]}` with `http` (W3).
    pub fn common(http: u16, error: &str, description: &str, data: Option<Value>) -> Self {
        let mut body = json!({ "error": error, "description": description });
        if let Some(data) = data {
            body["data"] = data;
        }
        Self { http, body: Body::Json(body) }
    }

    /// W3: "401 Unauthorized. Failed to pass the API key or passed the wrong key."
    pub fn unauthorized() -> Self {
        Self { http: 401, body: Body::Empty }
    }

    /// W3: 429 above the rate limit.
    pub fn too_many_requests() -> Self {
        Self::common(429, "TOO_MANY_REQUESTS", "No more than 500 requests every 5 seconds", None)
    }

    pub fn not_found() -> Self {
        Self::common(404, "NOT_FOUND", "Route not found", None)
    }

    /// A fault from [`super::WazzupFailure::Error`]: JSON if the body parses as JSON, nothing if
    /// empty, else text.
    pub fn injected(http: u16, body: String) -> Self {
        let body = if body.is_empty() {
            Body::Empty
        } else {
            match serde_json::from_str::<Value>(&body) {
                Ok(value) => Body::Json(value),
                Err(_) => Body::Text(body),
            }
        };
        Self { http, body }
    }
}

impl IntoResponse for WazzupError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.http).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        match self.body {
            Body::Empty => status.into_response(),
            Body::Json(value) => (status, Json(value)).into_response(),
            Body::Text(text) => (status, [(CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response(),
        }
    }
}
