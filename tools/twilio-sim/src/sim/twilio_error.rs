//! Twilio's REST error JSON:
//! `{"code":…,"message":"…","more_info":"https://www.twilio.com/docs/errors/{code}","status":…}`.

use axum::http::header::WWW_AUTHENTICATE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::codes;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Twilio error {code} (HTTP {http}): {message}")]
pub(crate) struct TwilioError {
    pub http: u16,
    pub code: i64,
    pub message: String,
}

impl TwilioError {
    pub fn new(http: u16, code: i64, message: impl Into<String>) -> Self {
        Self { http, code, message: message.into() }
    }

    /// Missing or wrong credentials, or credentials of another account than the path's.
    pub fn authenticate() -> Self {
        Self::new(401, codes::AUTHENTICATE, "Authenticate")
    }

    /// Twilio names the path it could not find.
    pub fn not_found(path: &str) -> Self {
        Self::new(404, codes::NOT_FOUND, format!("The requested resource {path} was not found"))
    }

    pub fn method_not_allowed() -> Self {
        Self::new(405, codes::METHOD_NOT_ALLOWED, "Method not allowed")
    }

    pub fn bad_request(code: i64, message: impl Into<String>) -> Self {
        Self::new(400, code, message)
    }

    fn status(&self) -> StatusCode {
        // An injected status outside 100..=999 falls back to 500 rather than panicking.
        StatusCode::from_u16(self.http).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for TwilioError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = json!({
            "code": self.code,
            "message": self.message,
            "more_info": format!("https://www.twilio.com/docs/errors/{}", self.code),
            "status": status.as_u16(),
        });
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            if let Ok(value) = "Basic realm=\"Twilio API\"".parse() {
                response.headers_mut().insert(WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}
