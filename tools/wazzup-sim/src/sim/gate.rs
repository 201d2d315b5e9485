//! What every request passes: recording, routing of the API routes, authentication by
//! `Authorization: Bearer <apiKey>`, the rate limit, and fault injection.

use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::wazzup_error::WazzupError;
use super::{channels, send, webhooks_setting, RecordedRequest, WazzupFailure, WazzupSim};

#[derive(Clone, Copy)]
enum Endpoint {
    SendMessage,
    ListChannels,
    SetWebhooks,
    GetWebhooks,
}

impl Endpoint {
    /// A known path with another verb is "not found" too: the sim has no 405.
    fn parse(verb: &Method, path: &str) -> Option<Self> {
        match (verb.as_str(), path) {
            ("POST", "/v3/message") => Some(Self::SendMessage),
            ("GET", "/v3/channels") => Some(Self::ListChannels),
            ("PATCH", "/v3/webhooks") => Some(Self::SetWebhooks),
            ("GET", "/v3/webhooks") => Some(Self::GetWebhooks),
            _ => None,
        }
    }
}

pub(crate) async fn record(State(sim): State<WazzupSim>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    sim.lock().requests.push(RecordedRequest { method, path, status });
    response
}

pub(crate) async fn api(State(sim): State<WazzupSim>, request: Request) -> Response {
    let Some(endpoint) = Endpoint::parse(request.method(), request.uri().path()) else {
        return WazzupError::not_found().into_response();
    };
    let failure = {
        let mut state = sim.lock();
        if !authorized(request.headers(), &state.api_key) {
            return WazzupError::unauthorized().into_response();
        }
        // Counted per key, so only authenticated requests count.
        if !state.rate.admit(Instant::now()) {
            return WazzupError::too_many_requests().into_response();
        }
        state.pending_failures.pop_front()
    };
    match failure {
        Some(WazzupFailure::Error { http, body }) => return WazzupError::injected(http, body).into_response(),
        Some(WazzupFailure::Delay(delay)) => tokio::time::sleep(delay).await,
        None => {}
    }
    let answer = match endpoint {
        Endpoint::SendMessage => send::handle(&sim, request).await,
        Endpoint::ListChannels => Ok(channels::list(&sim)),
        Endpoint::SetWebhooks => webhooks_setting::patch(&sim, request).await,
        Endpoint::GetWebhooks => Ok(webhooks_setting::get(&sim)),
    };
    answer.unwrap_or_else(IntoResponse::into_response)
}

pub(crate) async fn unknown_path() -> Response {
    WazzupError::not_found().into_response()
}

/// `Bearer <key>` with the scheme in any case (RFC 9110 §11.1); the key must match exactly.
fn authorized(headers: &HeaderMap, api_key: &str) -> bool {
    let Some(value) = headers.get(AUTHORIZATION).and_then(|value| value.to_str().ok()) else { return false };
    let Some((scheme, token)) = value.trim().split_once(' ') else { return false };
    scheme.eq_ignore_ascii_case("bearer") && !api_key.is_empty() && token.trim() == api_key
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue};

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(super::AUTHORIZATION, HeaderValue::from_str(value).expect("header"));
        headers
    }

    #[test]
    fn bearer_scheme_is_case_insensitive_and_the_key_exact() {
        assert!(super::authorized(&with("Bearer k1"), "k1"));
        assert!(super::authorized(&with("bearer k1"), "k1"));
        assert!(!super::authorized(&with("Bearer K1"), "k1"));
        assert!(!super::authorized(&with("Basic k1"), "k1"));
        assert!(!super::authorized(&with("k1"), "k1"));
        assert!(!super::authorized(&HeaderMap::new(), "k1"));
        assert!(!super::authorized(&with("Bearer "), ""));
    }
}
