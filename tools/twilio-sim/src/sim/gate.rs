//! Middleware every request passes: recording, HTTP Basic authentication, fault injection.

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;

use super::twilio_error::TwilioError;
use super::{RecordedRequest, TwilioFailure, TwilioSim};

pub(crate) async fn record(State(sim): State<TwilioSim>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    sim.lock().requests.push(RecordedRequest { method, path, status });
    response
}

/// The Messages resource always needs Basic `AccountSid:AuthToken`.
pub(crate) async fn api_auth(State(sim): State<TwilioSim>, request: Request, next: Next) -> Response {
    guard(sim, true, request, next).await
}

/// Media URLs need it only while media authentication is on.
pub(crate) async fn media_auth(State(sim): State<TwilioSim>, request: Request, next: Next) -> Response {
    let required = sim.lock().media_auth;
    guard(sim, required, request, next).await
}

async fn guard(sim: TwilioSim, auth_required: bool, request: Request, next: Next) -> Response {
    let failure = {
        let mut state = sim.lock();
        if auth_required
            && basic_credentials(request.headers()) != Some((state.account_sid.clone(), state.auth_token.clone()))
        {
            return TwilioError::authenticate().into_response();
        }
        state.pending_failures.pop_front()
    };
    match failure {
        Some(TwilioFailure::Error { http, code, message }) => TwilioError::new(http, code, message).into_response(),
        Some(TwilioFailure::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            next.run(request).await
        }
        None => next.run(request).await,
    }
}

/// `(user, password)` of an `Authorization: Basic …` header; anything malformed is no credentials.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

pub(crate) async fn unknown_path(request: Request) -> Response {
    TwilioError::not_found(request.uri().path()).into_response()
}

pub(crate) async fn method_not_allowed() -> Response {
    TwilioError::method_not_allowed().into_response()
}
