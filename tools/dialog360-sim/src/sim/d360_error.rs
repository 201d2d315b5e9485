//! 360dialog's own error body (D4 "400: Bad Request", sample `360dialog/error_response.json`):
//! `{"meta":{"success":false,"http_code":…,"developer_message":"…","details":[…]}}`.
//!
//! D4 documents it for `/v1/configs/webhook`; that the gateway answers every 360dialog-level
//! error (key, rate limit, block, unknown path) with it is **unconfirmed** — the newer OpenAPI
//! pages (`docs/messaging-api/api-reference/media`, `…/webhooks`) describe 401s as
//! `{"error": string}` instead. Meta's own errors pass through in Meta's envelope
//! (see `meta_error`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

pub(crate) struct D360Error {
    pub http: u16,
    pub message: String,
    pub details: Vec<String>,
}

impl D360Error {
    pub fn new(http: u16, message: impl Into<String>) -> Self {
        Self { http, message: message.into(), details: Vec::new() }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.details.push(detail.into());
        self
    }

    /// D7's wording today; an older revision of the list (`partner/…/error-messages`) and
    /// `api/api-error-message-list` read "Invalid api_key".
    pub fn invalid_api_key() -> Self {
        Self::new(401, "Invalid API key")
    }

    /// D7: "400 You have exceeded the endpoint rate limit."
    pub fn rate_limited() -> Self {
        Self::new(400, "You have exceeded the endpoint rate limit.")
    }

    /// D7: "403 The endpoint is blocked" — what a blocked `GET /{media-id}` answers (D3 names
    /// the block, not its answer; pairing the two is **unconfirmed**).
    pub fn endpoint_blocked() -> Self {
        Self::new(403, "The endpoint is blocked")
    }

    pub fn not_found(path: &str) -> Self {
        Self::new(404, "Not Found").with_detail(format!("No endpoint {path}"))
    }

    pub fn method_not_allowed(method: &str, path: &str) -> Self {
        Self::new(405, "Method Not Allowed").with_detail(format!("{method} is not supported on {path}"))
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(400, "Bad Request").with_detail(detail)
    }
}

impl IntoResponse for D360Error {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.http).unwrap_or(StatusCode::BAD_REQUEST);
        let body = json!({
            "meta": {
                "success": false,
                "http_code": status.as_u16(),
                "developer_message": self.message,
                "details": self.details,
            }
        });
        (status, Json(body)).into_response()
    }
}
