//! Reading the REST API's answers: bodies, the fail envelope, and which failures are worth a retry.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use bridge_core::ports::planfix::*;
use bridge_core::retry::Retry;

/// Reads an answer of the REST API: a JSON body on success (none for 202 or an empty body), the
/// fail envelope's code and message otherwise.
pub(crate) async fn read_response<T: DeserializeOwned>(
    method: &Method,
    path: &str,
    resp: reqwest::Response,
) -> Result<(StatusCode, Option<T>), PlanfixError> {
    let status = resp.status();
    let bytes = resp.bytes().await.map_err(|e| PlanfixError::Transport(without_url(e)))?;
    tracing::debug!(%method, path, status = status.as_u16(), "planfix call");
    if status.is_success() {
        if bytes.is_empty() || status == StatusCode::ACCEPTED {
            return Ok((status, None));
        }
        let parsed =
            serde_json::from_slice(&bytes).map_err(|e| PlanfixError::Decode(format!("{method} {path}: {e}")))?;
        return Ok((status, Some(parsed)));
    }
    Err(api_error(method, path, status, &bytes))
}

pub(crate) fn api_error(method: &Method, path: &str, status: StatusCode, bytes: &[u8]) -> PlanfixError {
    let envelope: Option<FailEnvelope> = serde_json::from_slice(bytes).ok();
    let code = envelope.as_ref().and_then(|e| e.code);
    PlanfixError::Api {
        http: status.as_u16(),
        code,
        message: envelope.and_then(|e| e.error).unwrap_or_else(|| format!("{method} {path} failed")),
        retry: classify(status.as_u16(), code),
    }
}

/// How long to hold work back once Planfix says the account's daily request limit is spent:
/// retrying within minutes would only burn the retry budget (the worker caps it at its own
/// longest pause).
const DAILY_LIMIT_PAUSE: Duration = Duration::from_secs(900);

/// Planfix's answers, in the one retry rule's terms (NOTES §errors): network trouble, HTTP 5xx
/// and 429, and code 0 (unknown error) are worth another try soon; code 22 (daily request limit
/// spent) only after a long pause; everything else (validation, not found, no access) never.
pub(crate) fn classify(http: u16, code: Option<i64>) -> Retry {
    match code {
        Some(22) => Retry::Later { not_before: Some(DAILY_LIMIT_PAUSE) },
        Some(0) => Retry::SOON,
        _ if http >= 500 || http == 429 => Retry::SOON,
        _ => Retry::Never,
    }
}

/// reqwest errors embed the URL; keep the message but not the query string (it may hold a token).
pub(crate) fn without_url(e: reqwest::Error) -> String {
    e.without_url().to_string()
}

#[derive(Deserialize)]
struct FailEnvelope {
    code: Option<i64>,
    error: Option<String>,
}
