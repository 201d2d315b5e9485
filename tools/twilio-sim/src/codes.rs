//! Twilio error codes the simulator emits, with the texts of Twilio's error pages
//! (`https://www.twilio.com/docs/errors/{code}`). The bridge must key on the code, never the text.

// REST API answers.
pub(crate) const AUTHENTICATE: i64 = 20003;
pub(crate) const METHOD_NOT_ALLOWED: i64 = 20004;
pub(crate) const NOT_FOUND: i64 = 20404;
pub(crate) const INTERNAL: i64 = 20500;
pub(crate) const TO_INVALID: i64 = 21211;
pub(crate) const BODY_REQUIRED: i64 = 21602;
pub(crate) const FROM_REQUIRED: i64 = 21603;
pub(crate) const TO_REQUIRED: i64 = 21604;
pub(crate) const FROM_NOT_CAPABLE: i64 = 21606;
pub(crate) const STATUS_CALLBACK_INVALID: i64 = 21609;
pub(crate) const BODY_TOO_LONG: i64 = 21617;
pub(crate) const MEDIA_URL_INVALID: i64 = 21620;
pub(crate) const TOO_MANY_MEDIA: i64 = 21623;
pub(crate) const CONTENT_SID_INVALID: i64 = 21655;
pub(crate) const CONTENT_VARIABLES_INVALID: i64 = 21656;
pub(crate) const CHANNEL_MISMATCH: i64 = 21910;
pub(crate) const FROM_NOT_A_CHANNEL: i64 = 63007;

// Asynchronous failures, reported only in status callbacks.
pub(crate) const MEDIA_TOO_LARGE: i64 = 11751;
pub(crate) const INVALID_CONTENT_TYPE: i64 = 12300;
pub(crate) const OUTSIDE_WINDOW: i64 = 63016;
pub(crate) const MEDIA_DOWNLOAD_FAILED: i64 = 63019;

/// Longest `Body` Twilio accepts (error 21617).
pub(crate) const MAX_BODY_CHARS: usize = 1600;

/// `ErrorMessage` of a failed status callback.
pub(crate) fn callback_message(code: i64) -> String {
    match code {
        OUTSIDE_WINDOW => "Failed to send freeform message because you are outside the allowed window. If you are \
                           using WhatsApp, please use a Message Template."
            .into(),
        MEDIA_DOWNLOAD_FAILED => "Media failed to download".into(),
        MEDIA_TOO_LARGE => "Media exceeds messaging provider size limit".into(),
        INVALID_CONTENT_TYPE => "Invalid Content-Type".into(),
        30008 => "Unknown error".into(),
        63003 => "Channel could not find To address".into(),
        63018 => "Rate limit exceeded for Channel".into(),
        63024 => "Invalid message recipient".into(),
        _ => format!("Simulated Twilio error {code}"),
    }
}
