//! Middleware every request passes: recording, bearer authentication, fault injection.

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::meta_error::MetaError;
use super::{GraphFailure, GraphSim, RecordedRequest};

/// Response extension through which a handler hands the parsed request body to [`record`].
#[derive(Clone)]
pub(crate) struct RecordedBody(pub Value);

pub(crate) async fn record(State(sim): State<GraphSim>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let body = response.extensions_mut().remove::<RecordedBody>().map(|b| b.0);
    let status = response.status().as_u16();
    sim.lock().requests.push(RecordedRequest { method, path, status, body });
    response
}

pub(crate) async fn authenticate_and_inject(State(sim): State<GraphSim>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    let failure = {
        let mut state = sim.lock();
        if presented != Some(state.access_token.as_str()) {
            return MetaError::invalid_token().into_response();
        }
        state.pending_failures.pop_front()
    };
    match failure {
        Some(GraphFailure::Error { http, code, message }) => {
            MetaError::with_message(http, code, &message, Some(message.clone())).into_response()
        }
        Some(GraphFailure::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            next.run(request).await
        }
        None => next.run(request).await,
    }
}

pub(crate) async fn unknown_path(request: Request) -> Response {
    MetaError::unknown_path(request.uri().path()).into_response()
}
