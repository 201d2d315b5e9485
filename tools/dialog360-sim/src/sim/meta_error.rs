//! Meta's Graph API error envelope, which 360dialog passes through for sends and media (NOTES
//! §2.6, §4 "Meta's error codes pass through"):
//! `{"error":{"message":"(#code) title","type":…,"code":…,"error_data":{…},"fbtrace_id":…}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::ids;

pub(crate) struct MetaError {
    pub http: u16,
    pub code: i64,
    pub error_type: &'static str,
    pub message: String,
    pub details: Option<String>,
    pub subcode: Option<i64>,
}

impl MetaError {
    /// WhatsApp-level error (`code` like 131047) with the standard title for that code.
    pub fn whatsapp(http: u16, code: i64) -> Self {
        Self::with_message(http, code, title_for(code), Some(details_for(code).to_owned()))
    }

    pub fn with_message(http: u16, code: i64, title: &str, details: Option<String>) -> Self {
        Self { http, code, error_type: "OAuthException", message: format!("(#{code}) {title}"), details, subcode: None }
    }

    /// `(#100) Invalid parameter` with details naming the offending field.
    pub fn invalid_parameter(details: impl Into<String>) -> Self {
        Self::with_message(400, 100, "Invalid parameter", Some(details.into()))
    }

    /// What Graph answers for an id that names nothing (or nothing this number may use).
    pub fn unknown_object(http: u16, id: &str, operation: &str) -> Self {
        Self {
            error_type: "GraphMethodException",
            message: format!(
                "Unsupported {operation} request. Object with ID '{id}' does not exist, cannot be loaded due to \
                 missing permissions, or does not support this operation."
            ),
            subcode: Some(33),
            ..Self::with_message(http, 100, "", None)
        }
    }

    pub fn body(&self) -> serde_json::Value {
        let mut error = json!({
            "message": self.message,
            "type": self.error_type,
            "code": self.code,
            "fbtrace_id": ids::fbtrace_id(),
        });
        if let Some(details) = &self.details {
            error["error_data"] = json!({ "messaging_product": "whatsapp", "details": details });
        }
        if let Some(subcode) = self.subcode {
            error["error_subcode"] = json!(subcode);
        }
        json!({ "error": error })
    }
}

impl IntoResponse for MetaError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.http).unwrap_or(StatusCode::BAD_REQUEST);
        (status, Json(self.body())).into_response()
    }
}

/// Titles from Meta's error-code table; the bridge must key on `code`, never on these.
fn title_for(code: i64) -> &'static str {
    match code {
        100 => "Invalid parameter",
        130429 => "Rate limit hit",
        131000 => "Something went wrong",
        131026 => "Message undeliverable",
        131047 => "Re-engagement message",
        131051 => "Unsupported message type",
        131053 => "Media upload error",
        131056 => "(Business Account, Consumer Account) pair rate limit hit",
        _ => "Simulated error",
    }
}

fn details_for(code: i64) -> &'static str {
    match code {
        130429 => "Cloud API message throughput has been reached.",
        131026 => "Unable to deliver message. Reasons can include: the recipient phone number is not a WhatsApp phone number.",
        131047 => "More than 24 hours have passed since the recipient last replied to the sender number.",
        131056 => "Too many messages sent from the sender phone number to the same recipient phone number in a short period of time.",
        131000 => "Message failed to send due to an unknown error.",
        _ => "Simulated failure injected by dialog360-sim.",
    }
}
