//! Twilio's REST errors (`{"code","message","more_info","status"}`) and delivery error codes, in
//! the bridge's terms. Codes: https://www.twilio.com/docs/api/errors (NOTES 3.6).

use bridge_core::domain::FailureKind;
use bridge_core::ports::SendFailure;
use reqwest::StatusCode;
use serde::Deserialize;

#[derive(Deserialize)]
struct RestError {
    code: Option<i64>,
    #[serde(default)]
    message: String,
}

/// 63016: outside the 24-hour window (WhatsApp 470).
const WINDOW_CLOSED: i64 = 63016;
/// 21211 invalid `To`, 21614 not a valid mobile number, 63003 channel could not find the `To`
/// address (the number is not on WhatsApp).
const INVALID_RECIPIENT: [i64; 3] = [21211, 21614, 63003];
/// 20429 too many requests, 63018 channel rate limit (WhatsApp 429), 20500/20503 Twilio-side.
const TRANSIENT: [i64; 4] = [20429, 63018, 20500, 20503];

pub(super) fn classify(status: StatusCode, body: &[u8]) -> SendFailure {
    let err = serde_json::from_slice::<RestError>(body).ok();
    let code = err.as_ref().and_then(|e| e.code);
    let reason =
        err.map(|e| e.message).filter(|m| !m.trim().is_empty()).unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
    tracing::warn!(status = status.as_u16(), code = ?code, "twilio send refused");
    match code {
        Some(WINDOW_CLOSED) => SendFailure::WindowClosed,
        Some(c) if INVALID_RECIPIENT.contains(&c) => SendFailure::InvalidRecipient { reason },
        Some(c) if TRANSIENT.contains(&c) => SendFailure::Transient { reason },
        _ if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS => SendFailure::Transient { reason },
        _ => SendFailure::Rejected { code: code.map(|c| c.to_string()), reason },
    }
}

/// The kind of a delivery failure from a status callback's `ErrorCode`.
pub(super) fn delivery_failure_kind(code: Option<i64>) -> FailureKind {
    match code {
        Some(WINDOW_CLOSED) => FailureKind::WindowClosed,
        Some(c) if INVALID_RECIPIENT.contains(&c) => FailureKind::InvalidRecipient,
        _ => FailureKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(http: u16, code: i64) -> SendFailure {
        let body = format!(r#"{{"code":{code},"message":"m{code}","more_info":"x","status":{http}}}"#);
        classify(StatusCode::from_u16(http).unwrap(), body.as_bytes())
    }

    #[test]
    fn codes_map_to_the_retry_rule() {
        assert_eq!(c(400, 63016), SendFailure::WindowClosed);
        assert!(matches!(c(400, 21211), SendFailure::InvalidRecipient { .. }));
        assert!(matches!(c(400, 21614), SendFailure::InvalidRecipient { .. }));
        assert!(matches!(c(429, 20429), SendFailure::Transient { .. }));
        assert!(matches!(c(400, 63018), SendFailure::Transient { .. }));
        assert!(matches!(c(503, 1), SendFailure::Transient { .. }));
        assert!(matches!(c(401, 20003), SendFailure::Rejected { code: Some(ref c), .. } if c == "20003"));
        assert!(matches!(classify(StatusCode::BAD_GATEWAY, b"<html>"), SendFailure::Transient { .. }));
        assert!(matches!(classify(StatusCode::BAD_REQUEST, b""), SendFailure::Rejected { code: None, .. }));
    }
}
