//! Green-API's error answers.
//!
//! Validation errors are 400 with `{"statusCode","timestamp","path","message"}`, the message being
//! `Validation failed. Details: <Joi-style text>` — the shape of a 400 captured from a live
//! instance (checkWhatsapp, 2026) and of the texts on `https://green-api.com/en/docs/api/common-errors/`.
//! The same envelope is used for 401/404/500, whose real bodies are **unconfirmed**. The real
//! `path` echoes the `apiTokenInstance`; the sim masks it, so never log Green-API error bodies raw.
//! 466 has its own documented body (`https://greenapi.com/en/docs/api/466-error-example-body`).

use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::clock;

#[derive(Debug)]
pub(crate) struct GreenError {
    http: u16,
    body: ErrorBody,
}

#[derive(Debug)]
enum ErrorBody {
    Envelope { path: String, message: String },
    Json(Value),
    Text(String),
}

impl GreenError {
    /// 400 `Validation failed. Details: {details}`.
    pub fn validation(path: &str, details: impl std::fmt::Display) -> Self {
        Self::bad_request(path, format!("Validation failed. Details: {details}"))
    }

    /// 400 with a message of its own (malformed JSON, a file not found…).
    pub fn bad_request(path: &str, message: impl Into<String>) -> Self {
        Self::envelope(400, path, message)
    }

    /// Wrong `idInstance` or `apiTokenInstance` (the docs give 403 for a wrong idInstance; the
    /// sim answers 401 for both, which a client must treat alike anyway).
    pub fn unauthorized(path: &str) -> Self {
        Self::envelope(401, path, "Unauthorized")
    }

    /// Unknown method or path, or a method called with the wrong HTTP verb (docs: 404).
    pub fn not_found(path: &str) -> Self {
        Self::envelope(404, path, "Not Found")
    }

    pub fn internal(path: &str, message: impl Into<String>) -> Self {
        Self::envelope(500, path, message)
    }

    /// 466 on the Developer plan when the month's chats are used up ("body for the number of
    /// chats" on the 466 page, including its `QUOTE` spelling; the quotaExceeded webhook spells
    /// `QUOTA`). `method` is the lowercased method name, `used` the month's calls of it, `chats`
    /// the chats still allowed.
    pub fn quota_exceeded(method: &str, used: usize, chats: &[String]) -> Self {
        let description = format!(
            "Monthly quota has been exceeded. You can only send or receive messages from these numbers: {}. \
             Please go to your personal account and change the tariff to business https://console.green-api.com",
            chats.join(",")
        );
        let body = json!({
            "invokeStatus": { "method": method, "used": used, "total": 0, "status": "QUOTE_ALLOWED" },
            "correspondentsStatus": {
                "method": "correspondents",
                "used": 3,
                "total": 3,
                "status": "CORRESPONDENTS_QUOTE_EXCEEDED",
                "description": description,
            },
        });
        Self { http: 466, body: ErrorBody::Json(body) }
    }

    /// A fault from [`super::GreenFailure::Status`]: JSON if the body parses as JSON, else text.
    pub fn injected(http: u16, body: String) -> Self {
        let body = match serde_json::from_str::<Value>(&body) {
            Ok(value) => ErrorBody::Json(value),
            Err(_) => ErrorBody::Text(body),
        };
        Self { http, body }
    }

    fn envelope(http: u16, path: &str, message: impl Into<String>) -> Self {
        Self { http, body: ErrorBody::Envelope { path: path.to_owned(), message: message.into() } }
    }
}

impl IntoResponse for GreenError {
    fn into_response(self) -> Response {
        // 466 is not a registered status but a valid code; only out-of-range values fall back.
        let status = StatusCode::from_u16(self.http).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        match self.body {
            ErrorBody::Envelope { path, message } => {
                let body = json!({
                    "statusCode": self.http,
                    "timestamp": clock::iso8601_now(),
                    "path": path,
                    "message": message,
                });
                (status, Json(body)).into_response()
            }
            ErrorBody::Json(value) => (status, Json(value)).into_response(),
            ErrorBody::Text(text) => (status, [(CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response(),
        }
    }
}
