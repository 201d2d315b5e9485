//! Wazzup's error codes in the bridge's terms (W2 "Errors when sending messages", W3 "Common
//! errors"). Codes are compared ignoring case and `_`: the docs spell them both
//! `REPEATED_CRM_MESSAGE_ID` and `repeatedCrmMessageId`.

use bridge_core::domain::FailureKind;
use bridge_core::ports::SendFailure;
use reqwest::StatusCode;
use serde::Deserialize;

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: String,
    #[serde(default)]
    description: String,
}

/// `REPEATED_CRM_MESSAGE_ID` / `repeatedCrmMessageId` → `repeatedcrmmessageid`.
pub(super) fn normalized(code: &str) -> String {
    code.chars().filter(|c| *c != '_').flat_map(char::to_lowercase).collect()
}

/// What a refused send means. `Ok(())` = "already sent": a repeat of a `crmMessageId` within
/// Wazzup's 60 s is the first attempt's success (its answer was lost), not a failure.
pub(super) fn classify(status: StatusCode, body: &[u8]) -> Result<(), SendFailure> {
    let parsed = serde_json::from_slice::<ErrorBody>(body).ok();
    let code = parsed.as_ref().map(|e| e.error.clone()).unwrap_or_default();
    let reason = parsed
        .map(|e| if e.description.is_empty() { e.error } else { format!("{}: {}", e.error, e.description) })
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
    tracing::warn!(status = status.as_u16(), code = %code, "wazzup send refused");
    let failure = match normalized(&code).as_str() {
        "repeatedcrmmessageid" => return Ok(()),
        "badcontact" => SendFailure::InvalidRecipient { reason },
        "24hoursexceeded" => SendFailure::WindowClosed,
        _ if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS => SendFailure::Transient { reason },
        // Channel blocked, out of money, unavailable, spam, template refused, invalid data …:
        // none gets better by retrying; the note tells the Planfix user which.
        _ => SendFailure::Rejected { code: Some(code).filter(|c| !c.is_empty()), reason },
    };
    Err(failure)
}

/// The kind of a delivery failure from a `statuses[].error.error` code.
pub(super) fn failure_kind(code: &str) -> FailureKind {
    match normalized(code).as_str() {
        "24hoursexceeded" => FailureKind::WindowClosed,
        "badcontact" => FailureKind::InvalidRecipient,
        _ => FailureKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_crm_message_id_is_success_in_both_spellings() {
        let long = br#"{"status":400,"requestId":"r","error":"REPEATED_CRM_MESSAGE_ID","description":"x","data":{}}"#;
        assert_eq!(classify(StatusCode::BAD_REQUEST, long), Ok(()));
        let short = br#"{"error":"repeatedCrmMessageId","description":"x"}"#;
        assert_eq!(classify(StatusCode::BAD_REQUEST, short), Ok(()));
    }

    #[test]
    fn codes_map_to_the_retry_rule() {
        let c = |http: u16, code: &str| {
            classify(StatusCode::from_u16(http).unwrap(), format!(r#"{{"error":"{code}"}}"#).as_bytes())
        };
        assert!(matches!(c(400, "BAD_CONTACT"), Err(SendFailure::InvalidRecipient { .. })));
        assert_eq!(c(400, "24_HOURS_EXCEEDED"), Err(SendFailure::WindowClosed));
        assert!(matches!(c(429, ""), Err(SendFailure::Transient { .. })));
        assert!(matches!(c(500, "UNKNOWN_ERROR"), Err(SendFailure::Transient { .. })));
        assert!(matches!(c(400, "CHANNEL_NO_MONEY"), Err(SendFailure::Rejected { .. })));
        assert_eq!(failure_kind("24_HOURS_EXCEEDED"), FailureKind::WindowClosed);
        assert_eq!(failure_kind("BAD_CONTACT"), FailureKind::InvalidRecipient);
    }
}
