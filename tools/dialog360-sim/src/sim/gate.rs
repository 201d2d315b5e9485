//! Middleware every request passes: recording, `D360-API-KEY` authentication, the media look-up
//! block, and fault injection.

use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::d360_error::D360Error;
use super::{media_lookup, Dialog360Failure, Dialog360Sim, RecordedRequest};

/// The header every 360dialog request carries the key in (`https://docs.360dialog.com/the-basics`).
pub(crate) const API_KEY_HEADER: &str = "D360-API-KEY";

pub(crate) async fn record(State(sim): State<Dialog360Sim>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    // Path only: the query of an attachment download carries its hash.
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    sim.lock().requests.push(RecordedRequest { method, path, status });
    response
}

pub(crate) async fn authenticate_and_inject(State(sim): State<Dialog360Sim>, request: Request, next: Next) -> Response {
    let presented = request.headers().get(API_KEY_HEADER).and_then(|value| value.to_str().ok()).map(str::trim);
    let lookup = media_lookup::is_lookup(request.method(), request.uri().path());
    let failure = {
        let mut state = sim.lock();
        if presented != Some(state.api_key.as_str()) {
            return D360Error::invalid_api_key().into_response();
        }
        if lookup && state.media_block.is_blocked(Instant::now()) {
            return D360Error::endpoint_blocked().into_response();
        }
        state.pending_failures.pop_front()
    };
    let response = match failure {
        Some(Dialog360Failure::Error { http, body }) => injected(http, body),
        Some(Dialog360Failure::RateLimited) => D360Error::rate_limited().into_response(),
        Some(Dialog360Failure::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            next.run(request).await
        }
        None => next.run(request).await,
    };
    // Every error answer of a look-up counts toward the block, whatever caused it (D3).
    if lookup && (response.status().is_client_error() || response.status().is_server_error()) {
        sim.lock().media_block.record_error(Instant::now());
    }
    response
}

pub(crate) async fn unknown_path(request: Request) -> Response {
    D360Error::not_found(request.uri().path()).into_response()
}

pub(crate) async fn method_not_allowed(request: Request) -> Response {
    D360Error::method_not_allowed(request.method().as_str(), request.uri().path()).into_response()
}

fn injected(http: u16, body: String) -> Response {
    let status = StatusCode::from_u16(http).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let content_type = if serde_json::from_str::<serde_json::Value>(&body).is_ok() {
        "application/json"
    } else {
        "text/plain; charset=utf-8"
    };
    (status, [(CONTENT_TYPE, content_type)], body).into_response()
}
