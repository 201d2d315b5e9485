//! Green-API's HTTP answers in the bridge's terms (NOTES 5.5): 429 and 5xx are worth a retry;
//! 466 (the plan's quota is used up) is not — retrying would only spend the next quota too.

use bridge_core::domain::FailureKind;
use bridge_core::ports::SendFailure;
use reqwest::StatusCode;

pub(super) fn classify(status: StatusCode, body: &[u8]) -> SendFailure {
    // Bodies are short validation texts or JSON; never message content.
    let text = String::from_utf8_lossy(body).chars().take(300).collect::<String>();
    let reason = if text.trim().is_empty() { format!("HTTP {}", status.as_u16()) } else { text.trim().to_owned() };
    tracing::warn!(status = status.as_u16(), "green-api send refused");
    match status.as_u16() {
        466 => SendFailure::Rejected {
            code: Some("466".into()),
            reason: "the Green-API plan's message quota is used up; the account's plan needs topping up".into(),
        },
        401 | 403 => SendFailure::Rejected {
            code: Some(status.as_u16().to_string()),
            reason: "Green-API refused the instance id or token".into(),
        },
        429 => SendFailure::Transient { reason },
        s if s >= 500 => SendFailure::Transient { reason },
        s => SendFailure::Rejected { code: Some(s.to_string()), reason },
    }
}

/// `outgoingMessageStatus.status` → (delivery failure kind) for the failing ones.
pub(super) fn failure_kind(status: &str) -> Option<FailureKind> {
    match status {
        "noAccount" => Some(FailureKind::InvalidRecipient),
        // WABA instances: no open 24-hour session.
        "noActiveSession" => Some(FailureKind::WindowClosed),
        "failed" | "notInGroup" | "yellowCard" => Some(FailureKind::Other),
        _ => None,
    }
}

/// The words of a failure status for the note (Green-API sends a `description` only sometimes).
pub(super) fn failure_detail(status: &str) -> &'static str {
    match status {
        "noAccount" => "the number has no WhatsApp account",
        "notInGroup" => "the business is not a member of that group",
        "yellowCard" => "WhatsApp throttled sending from this number as suspicious",
        "noActiveSession" => "no open 24-hour session",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_the_retry_rule() {
        let c = |s: u16| classify(StatusCode::from_u16(s).unwrap(), b"x");
        assert!(matches!(c(466), SendFailure::Rejected { code: Some(ref c), .. } if c == "466"));
        assert!(matches!(c(429), SendFailure::Transient { .. }));
        assert!(matches!(c(502), SendFailure::Transient { .. }));
        assert!(matches!(c(400), SendFailure::Rejected { .. }));
        assert!(matches!(c(401), SendFailure::Rejected { .. }));
        assert_eq!(failure_kind("noAccount"), Some(FailureKind::InvalidRecipient));
        assert_eq!(failure_kind("delivered"), None);
    }
}
