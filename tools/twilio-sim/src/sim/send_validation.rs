//! The checks Twilio makes on `POST …/Messages.json` before accepting a WhatsApp send
//! (NOTES 3.4, 3.6). Codes and texts are from Twilio's error pages; which check wins when several
//! fail is not documented, so the order here (To, From, content, media, callback) is a choice.
//! Parameter names are matched case-sensitively, as Twilio documents them (unconfirmed whether
//! Twilio tolerates other casings).

use reqwest::Url;

use super::twilio_error::TwilioError;
use crate::address::{self, PREFIX};
use crate::codes;
use crate::webhook::param;

/// A send that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SendRequest {
    /// `To` as posted.
    pub to: String,
    /// The recipient, `+<digits>`.
    pub to_e164: String,
    pub from: String,
    pub body: Option<String>,
    pub media_url: Option<String>,
    pub status_callback: Option<String>,
    pub content_sid: Option<String>,
    pub content_variables: Option<String>,
}

/// `sender` is the configured business number, `+<digits>`.
pub(crate) fn validate(params: &[(String, String)], sender: &str) -> Result<SendRequest, TwilioError> {
    let given = |name| param(params, name).filter(|value| !value.is_empty());

    let to = given("To").ok_or_else(|| bad(codes::TO_REQUIRED, "A 'To' phone number is required."))?;
    let to_number = to.strip_prefix(PREFIX).unwrap_or(to);
    if !address::is_e164(to_number) {
        return Err(bad(codes::TO_INVALID, format!("Invalid 'To' Phone Number: {to}")));
    }
    let from = given("From").ok_or_else(|| bad(codes::FROM_REQUIRED, "A 'From' phone number is required."))?;
    match (from.starts_with(PREFIX), to.starts_with(PREFIX)) {
        (true, true) => {}
        // Both plain numbers would be SMS; the simulator has no SMS number.
        (false, false) => {
            return Err(bad(
                codes::FROM_NOT_CAPABLE,
                "The 'From' phone number provided is not a valid message-capable Twilio phone number for this \
                 destination/account",
            ))
        }
        _ => {
            return Err(bad(
                codes::CHANNEL_MISMATCH,
                "Invalid 'From' and 'To' pair. 'From' and 'To' should be of the same channel",
            ))
        }
    }
    if from.strip_prefix(PREFIX) != Some(sender) {
        // Synchronous 400 for an unknown WhatsApp sender (unconfirmed: Twilio may also fail it later).
        return Err(bad(codes::FROM_NOT_A_CHANNEL, "Twilio could not find a Channel with the specified From address"));
    }

    let body = param(params, "Body").map(str::to_owned);
    let media_urls: Vec<&str> = params
        .iter()
        .filter(|(name, value)| name == "MediaUrl" && !value.is_empty())
        .map(|(_, v)| v.as_str())
        .collect();
    let content_sid = given("ContentSid").map(str::to_owned);
    if body.as_deref().is_none_or(str::is_empty) && media_urls.is_empty() && content_sid.is_none() {
        return Err(bad(codes::BODY_REQUIRED, "Message body is required."));
    }
    if body.as_deref().is_some_and(|body| body.chars().count() > codes::MAX_BODY_CHARS) {
        return Err(bad(codes::BODY_TOO_LONG, "The concatenated message body exceeds the 1600 character limit."));
    }
    // Twilio allows 10 media for MMS; a WhatsApp message carries one (the code Twilio uses for a
    // second WhatsApp media is unconfirmed; 21623 is its "too many media" code).
    if media_urls.len() > 1 {
        return Err(bad(codes::TOO_MANY_MEDIA, "Number of media files exceeds allowed limit"));
    }
    if media_urls.iter().any(|url| !is_absolute_http(url)) {
        return Err(bad(codes::MEDIA_URL_INVALID, "Invalid media URL(s)"));
    }

    if content_sid.as_deref().is_some_and(|sid| !is_sid(sid, "HX")) {
        return Err(bad(codes::CONTENT_SID_INVALID, "The ContentSid is Invalid"));
    }
    let content_variables = given("ContentVariables").map(str::to_owned);
    if content_variables
        .as_deref()
        .is_some_and(|v| !serde_json::from_str::<serde_json::Value>(v).is_ok_and(|v| v.is_object()))
    {
        return Err(bad(codes::CONTENT_VARIABLES_INVALID, "The ContentVariables Parameter is invalid"));
    }

    let status_callback = given("StatusCallback").map(str::to_owned);
    if let Some(url) = status_callback.as_deref().filter(|url| url.len() > 4000 || !is_absolute_http(url)) {
        return Err(bad(codes::STATUS_CALLBACK_INVALID, format!("The StatusCallback URL {url} is not a valid URL.")));
    }

    Ok(SendRequest {
        to: to.to_owned(),
        to_e164: to_number.to_owned(),
        from: from.to_owned(),
        body,
        media_url: media_urls.first().map(|url| (*url).to_owned()),
        status_callback,
        content_sid,
        content_variables,
    })
}

fn bad(code: i64, message: impl Into<String>) -> TwilioError {
    TwilioError::bad_request(code, message)
}

/// A fully qualified `http(s)://host/…` URL, what Twilio asks of `MediaUrl` and `StatusCallback`.
pub(crate) fn is_absolute_http(url: &str) -> bool {
    Url::parse(url)
        .is_ok_and(|url| matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty()))
}

/// `<prefix>` + 32 hex digits.
fn is_sid(sid: &str, prefix: &str) -> bool {
    sid.strip_prefix(prefix).is_some_and(|hex| hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SENDER: &str = "+14155238886";

    fn form(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
    }

    fn code(items: &[(&str, &str)]) -> Option<i64> {
        validate(&form(items), SENDER).err().map(|error| error.code)
    }

    const TO: (&str, &str) = ("To", "whatsapp:+79051234567");
    const FROM: (&str, &str) = ("From", "whatsapp:+14155238886");

    #[test]
    fn each_problem_gets_its_code() {
        assert_eq!(code(&[FROM, ("Body", "hi")]), Some(21604));
        assert_eq!(code(&[("To", "whatsapp:79051234567"), FROM, ("Body", "hi")]), Some(21211));
        assert_eq!(code(&[("To", "whatsapp:+7905abc"), FROM, ("Body", "hi")]), Some(21211));
        assert_eq!(code(&[TO, ("Body", "hi")]), Some(21603));
        assert_eq!(code(&[("To", "+79051234567"), FROM, ("Body", "hi")]), Some(21910));
        assert_eq!(code(&[("To", "+79051234567"), ("From", "+14155238886"), ("Body", "hi")]), Some(21606));
        assert_eq!(code(&[TO, ("From", "whatsapp:+15005550006"), ("Body", "hi")]), Some(63007));
        assert_eq!(code(&[TO, FROM]), Some(21602));
        assert_eq!(code(&[TO, FROM, ("Body", "")]), Some(21602));
        assert_eq!(code(&[TO, FROM, ("Body", &"я".repeat(1601))]), Some(21617));
        assert_eq!(
            code(&[TO, FROM, ("MediaUrl", "https://a.example/1"), ("MediaUrl", "https://a.example/2")]),
            Some(21623)
        );
        assert_eq!(code(&[TO, FROM, ("MediaUrl", "a.example/1.pdf")]), Some(21620));
        assert_eq!(code(&[TO, FROM, ("MediaUrl", "ftp://a.example/1.pdf")]), Some(21620));
        assert_eq!(code(&[TO, FROM, ("ContentSid", "HX123")]), Some(21655));
        let template = ("ContentSid", "HXb5b62575e6e4ff6129ad7c8efe1f983e");
        assert_eq!(code(&[TO, FROM, template, ("ContentVariables", "[1]")]), Some(21656));
        assert_eq!(code(&[TO, FROM, ("Body", "hi"), ("StatusCallback", "/relative")]), Some(21609));
        assert_eq!(code(&[TO, FROM, ("Body", "hi"), ("StatusCallback", "mailto:x@y.z")]), Some(21609));
    }

    #[test]
    fn valid_sends_are_described() {
        let body = "я".repeat(1600);
        let ok = validate(
            &form(&[TO, FROM, ("Body", &body), ("StatusCallback", "https://bridge.example/twilio/status?k=1")]),
            SENDER,
        )
        .expect("valid");
        assert_eq!((ok.to_e164.as_str(), ok.body.as_deref()), ("+79051234567", Some(body.as_str())));
        assert_eq!(ok.status_callback.as_deref(), Some("https://bridge.example/twilio/status?k=1"));

        let media = validate(&form(&[TO, FROM, ("Body", ""), ("MediaUrl", "http://127.0.0.1:9/x.pdf")]), SENDER)
            .expect("media only");
        assert_eq!((media.body.as_deref(), media.media_url.as_deref()), (Some(""), Some("http://127.0.0.1:9/x.pdf")));

        let template = validate(
            &form(&[
                TO,
                FROM,
                ("ContentSid", "HXb5b62575e6e4ff6129ad7c8efe1f983e"),
                ("ContentVariables", "{\"1\":\"x\"}"),
            ]),
            SENDER,
        )
        .expect("template without Body");
        assert_eq!(template.body, None);
    }
}
