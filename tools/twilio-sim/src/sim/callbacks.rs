//! Status callbacks Twilio would POST for an accepted send (NOTES 3.1): `sent` then `delivered`,
//! or a single `failed` with the error code of an asynchronous failure. (Twilio sends no callback
//! for the initial `queued`; `read` needs the user, so the simulator never invents it.)

use std::time::Duration;

use axum::http::header::{CONTENT_TYPE, USER_AGENT};

use super::Callback;
use crate::webhook;

/// Pause before each delivered callback, so the bridge has stored the SID from the 201 first.
const DELIVERY_GAP: Duration = Duration::from_millis(150);

/// The accepted send the callbacks are about.
pub(crate) struct Outbound<'a> {
    pub account_sid: &'a str,
    pub auth_token: &'a str,
    pub message_sid: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub url: &'a str,
}

pub(crate) fn plan(send: &Outbound<'_>, async_error_code: Option<i64>) -> Vec<Callback> {
    let statuses: Vec<(&str, Option<String>)> = match async_error_code {
        Some(code) => vec![("failed", Some(code.to_string()))],
        None => vec![("sent", None), ("delivered", None)],
    };
    statuses
        .into_iter()
        .map(|(status, code)| {
            let params =
                webhook::status(send.account_sid, send.message_sid, status, send.from, send.to, code.as_deref());
            let signature = webhook::sign(send.auth_token, send.url, &params);
            Callback { url: send.url.to_owned(), params, signature }
        })
        .collect()
}

/// POSTs `callbacks` in order, as Twilio does: form body, `X-Twilio-Signature`. Failures are
/// logged and dropped (Twilio does not retry messaging callbacks by default, NOTES 3.7).
pub(crate) async fn deliver(client: reqwest::Client, callbacks: Vec<Callback>) {
    for callback in callbacks {
        tokio::time::sleep(DELIVERY_GAP).await;
        let result = client
            .post(&callback.url)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(USER_AGENT, "TwilioProxy/1.1")
            .header("X-Twilio-Signature", &callback.signature)
            .body(webhook::encode(&callback.params))
            .send()
            .await;
        let status = callback.param("MessageStatus").unwrap_or_default().to_owned();
        match result {
            Ok(response) if response.status().is_success() => {
                tracing::debug!(%status, "twilio-sim delivered a status callback");
            }
            Ok(response) => tracing::warn!(%status, answer = response.status().as_u16(), "status callback refused"),
            // The URL may carry secrets; keep it out of the log.
            Err(error) => tracing::warn!(%status, error = %error.without_url(), "status callback not delivered"),
        }
    }
}
