//! Middleware in front of every route: records the request, checks the token, checks the
//! request against the spec, injects faults, and hands the parsed body to the handler.
//! Multipart bodies (file uploads, up to 100 MB) are not buffered: they reach the handler as the
//! original stream.

use std::time::Duration;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

use crate::conn::Cut;
use crate::envelope::{code, fail, ApiError};
use crate::model::{Failure, FiredFault, RecordedRequest};
use crate::spec::{BodyKind, Rejection};
use crate::PlanfixSim;

/// Far above Planfix's 64 KB comment limit; a guard against runaway clients only.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The request body parsed as JSON (`None` when empty).
#[derive(Clone, Debug, Default)]
pub(crate) struct JsonBody(pub Option<Value>);

/// The decoded query string.
#[derive(Clone, Debug, Default)]
pub(crate) struct QueryPairs(pub Vec<(String, String)>);

impl QueryPairs {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }
}

/// Whether the spec validator found the operation (so an unrouted request is merely not
/// simulated, rather than unknown to Planfix).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SpecKnown(pub bool);

macro_rules! from_extensions {
    ($($extension:ty),*) => {$(
        impl<S: Send + Sync> FromRequestParts<S> for $extension {
            type Rejection = std::convert::Infallible;
            async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
                Ok(parts.extensions.get::<Self>().cloned().unwrap_or_default())
            }
        }
    )*};
}
from_extensions!(JsonBody, QueryPairs, SpecKnown);

pub(crate) async fn gate(State(sim): State<PlanfixSim>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let method = parts.method.as_str().to_owned();
    let path = parts.uri.path().to_owned();
    let query = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri).map(|q| q.0);
    let multipart = multipart_type(&parts.headers);
    let (bytes, streamed) = match multipart {
        Some(_) => (Ok(Bytes::new()), Some(body)),
        None => (to_bytes(body, MAX_BODY_BYTES).await, None),
    };
    let parsed = match (&bytes, &multipart) {
        (_, Some(_)) => Ok(None),
        (Ok(bytes), None) => parse_body(&parts.headers, bytes),
        (Err(_), None) => Err(format!("the body is unreadable or larger than {MAX_BODY_BYTES} bytes")),
    };
    let recorded_body = match (&parsed, &bytes, &multipart) {
        (_, _, Some(content_type)) => Some(Value::String(format!("<{content_type} body, streamed>"))),
        (Ok(json), _, None) => json.clone(),
        (Err(_), Ok(bytes), None) => Some(Value::String(String::from_utf8_lossy(bytes).into_owned())),
        (Err(_), Err(_), None) => None,
    };
    let index = record(&sim, &method, &path, query.as_ref().ok().cloned().unwrap_or_default(), recorded_body);

    let route = parts.extensions.get::<MatchedPath>().map(|matched| matched.as_str().to_owned());
    let cut = parts.extensions.get::<ConnectInfo<Cut>>().map(|info| info.0.clone());
    let admitted = Admitted { method, path, query, parsed, multipart, route };
    let response = match admitted.admit(&sim, &parts.headers).await {
        Ok((body, query, spec_known, then)) => {
            let mut parts = parts;
            parts.extensions.insert(JsonBody(body));
            parts.extensions.insert(QueryPairs(query));
            parts.extensions.insert(SpecKnown(spec_known));
            let body = streamed.unwrap_or_else(|| Body::from(bytes.unwrap_or_default()));
            let request = Request::from_parts(parts, body);
            match then {
                Then::Answer => next.run(request).await,
                Then::Replace { http, body } => {
                    next.run(request).await;
                    let status = StatusCode::from_u16(http).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                    (status, Json(body)).into_response()
                }
                Then::AnswerLate(delay) => {
                    let handled = handle_detached(&sim, index, next, request).await;
                    tokio::time::sleep(delay).await;
                    handled
                }
                Then::Drop => {
                    let handled = handle_detached(&sim, index, next, request).await;
                    match cut {
                        // hyper then fails to write the answer and closes the connection.
                        Some(cut) => {
                            cut.cut();
                            handled
                        }
                        None => fail(StatusCode::INTERNAL_SERVER_ERROR, code::UNKNOWN, DROP_NEEDS_SERVE),
                    }
                }
            }
        }
        Err(response) => response,
    };
    set_status(&sim, index, &response);
    response
}

/// The answer to a `DropAfterCommit` when the router runs outside [`PlanfixSim::serve`], which
/// alone provides connections that can be cut.
const DROP_NEEDS_SERVE: &str = "planfix-sim: Failure::DropAfterCommit needs the server of PlanfixSim::serve";

/// What the gate does with the request once admitted.
enum Then {
    Answer,
    /// Handle it, then answer this instead.
    Replace {
        http: u16,
        body: Value,
    },
    /// Handle it (detached), then answer after the delay.
    AnswerLate(Duration),
    /// Handle it (detached), then close the connection without an answer.
    Drop,
}

/// Runs the handler in a task of its own, so that the effect is committed and its status logged
/// even if the client hangs up meanwhile (hyper then drops the gate's future, and would drop an
/// inline handler with it).
async fn handle_detached(sim: &PlanfixSim, index: usize, next: Next, request: Request) -> Response {
    let sim = sim.clone();
    let handling = tokio::spawn(async move {
        let response = next.run(request).await;
        set_status(&sim, index, &response);
        response
    });
    handling.await.unwrap_or_else(|error| {
        tracing::error!(%error, "planfix-sim: handler failed");
        fail(StatusCode::INTERNAL_SERVER_ERROR, code::UNKNOWN, "planfix-sim: handler failed")
    })
}

fn set_status(sim: &PlanfixSim, index: usize, response: &Response) {
    if let Some(recorded) = sim.lock().requests.get_mut(index) {
        recorded.status = response.status().as_u16();
    }
}

struct Admitted {
    method: String,
    path: String,
    query: Result<Vec<(String, String)>, axum::extract::rejection::QueryRejection>,
    parsed: Result<Option<Value>, String>,
    /// The Content-Type of a multipart body (left unread for the handler).
    multipart: Option<String>,
    /// The simulator's route that matched, if any.
    route: Option<String>,
}

impl Admitted {
    /// Ok: the parsed body and query, whether the spec knows the operation, and what to do after
    /// handling; Err: the answer.
    async fn admit(
        self,
        sim: &PlanfixSim,
        headers: &HeaderMap,
    ) -> Result<(Option<Value>, Vec<(String, String)>, bool, Then), Response> {
        let Self { method, path, query, parsed, multipart, route } = self;
        let query = match query {
            Ok(query) => query,
            Err(error) => {
                return Err(violation(
                    sim,
                    &method,
                    &path,
                    StatusCode::BAD_REQUEST,
                    &format!("malformed query string: {error}"),
                ))
            }
        };
        if !authorized(sim.token(), headers, &method, &query) {
            return Err(fail(StatusCode::UNAUTHORIZED, code::ACCESS_DENIED, "Access denied, unknown token"));
        }
        let body = match parsed {
            Ok(body) => body,
            Err(reason) => {
                return Err(violation(sim, &method, &path, StatusCode::BAD_REQUEST, &format!("invalid JSON: {reason}")))
            }
        };
        let mut spec_known = false;
        if let Some(spec) = sim.spec() {
            let kind = match &multipart {
                Some(content_type) => BodyKind::Multipart(content_type),
                None => BodyKind::Json(body.as_ref()),
            };
            match spec.check_body_kind(&method, &path, &query, kind) {
                // e.g. `/task/templates` is its own operation, not `/task/{id}` with id "templates".
                // (Under `nest("/rest")` the matched route carries the prefix.)
                Ok(template) if route.as_deref().is_some_and(|route| !route.ends_with(template)) => {
                    return Err(ApiError::not_simulated(format!("{method} {template}")).into_response());
                }
                Ok(_) => spec_known = true,
                Err(Rejection::UnknownOperation(reason)) => {
                    return Err(violation(sim, &method, &path, StatusCode::NOT_FOUND, &reason));
                }
                Err(Rejection::Invalid(reason)) => {
                    return Err(violation(sim, &method, &path, StatusCode::BAD_REQUEST, &reason));
                }
            }
        }
        {
            let mut state = sim.lock();
            let now = std::time::Instant::now();
            if let (Some(min), Some(last)) = (state.min_interval, state.last_request_at) {
                if now.duration_since(last) < min {
                    state.rate_rejections += 1;
                    let body = serde_json::json!({"result":"fail","code":0,"error":"Too many requests"});
                    return Err((StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response());
                }
            }
            state.last_request_at = Some(now);
        }
        let failure = {
            let mut state = sim.lock();
            let targeted = state
                .targeted_failures
                .iter_mut()
                .find(|(m, fragment, left, _)| *left > 0 && *m == method && path.contains(fragment.as_str()))
                .map(|(_, _, left, failure)| {
                    *left -= 1;
                    failure.clone()
                });
            let failure = targeted.or_else(|| state.failures.pop_front());
            if let Some(failure) = &failure {
                let (method, path, failure) = (method.clone(), path.clone(), failure.clone());
                state.fired.push(FiredFault { method, path, failure });
            }
            failure
        };
        let then = match failure {
            None => Then::Answer,
            Some(Failure::AfterHandling { http, body }) => Then::Replace { http, body },
            Some(Failure::AnswerLate(delay)) => Then::AnswerLate(delay),
            Some(Failure::DropAfterCommit) => Then::Drop,
            Some(Failure::Status { http, body }) => {
                let status = StatusCode::from_u16(http).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                return Err((status, Json(body)).into_response());
            }
            Some(Failure::Delay(delay)) => {
                tokio::time::sleep(delay).await;
                Then::Answer
            }
        };
        Ok((body, query, spec_known, then))
    }
}

/// `Authorization: Bearer <token>`; GET requests may pass `?access_token=<token>` instead.
fn authorized(token: &str, headers: &HeaderMap, method: &str, query: &[(String, String)]) -> bool {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .is_some_and(|(scheme, given)| scheme.eq_ignore_ascii_case("bearer") && given.trim() == token);
    let in_query = method == "GET" && query.iter().any(|(key, value)| key == "access_token" && value == token);
    bearer || in_query
}

/// The Content-Type when it is `multipart/*` (such bodies are streamed, never parsed here).
fn multipart_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/"))
        .map(str::to_owned)
}

/// Empty → `None`; anything else must be JSON (multipart bodies never get here).
fn parse_body(headers: &HeaderMap, bytes: &Bytes) -> Result<Option<Value>, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !content_type.is_empty() && !content_type.contains("json") {
        return Err(format!("Content-Type is {content_type:?}, not application/json"));
    }
    serde_json::from_slice(bytes).map(Some).map_err(|e| e.to_string())
}

fn record(sim: &PlanfixSim, method: &str, path: &str, query: Vec<(String, String)>, body: Option<Value>) -> usize {
    let mut state = sim.lock();
    state.requests.push(RecordedRequest {
        method: method.to_owned(),
        path: path.to_owned(),
        query,
        body,
        status: 0,
        at: std::time::Instant::now(),
    });
    state.requests.len() - 1
}

/// Records a violation and answers with the fail envelope, code 30.
pub(crate) fn violation(sim: &PlanfixSim, method: &str, path: &str, status: StatusCode, reason: &str) -> Response {
    tracing::warn!(%method, %path, %reason, "planfix-sim: request not allowed by the spec");
    sim.lock().violations.push(format!("{method} {path}: {reason}"));
    fail(status, code::INVALID_REQUEST, &format!("spec violation: {reason}"))
}
