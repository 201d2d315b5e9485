//! What every request passes: recording (token masked), routing of instance methods,
//! authentication by the path's `idInstance` and `apiTokenInstance`, and fault injection.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::header::HOST;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::green_error::GreenError;
use super::{download, file_by_upload, file_by_url, send_message, GreenApiSim, GreenFailure, RecordedRequest};

/// What a method handler needs to know about its request besides the body.
pub(crate) struct Call {
    /// Request path with the token masked, for error bodies.
    pub path: String,
    /// `Host` header, for media links when `serve` did not set the base URL.
    pub host: Option<String>,
    /// Lowercased method name (`sendmessage`), as Green-API names it in 466 bodies.
    pub method: &'static str,
}

#[derive(Clone, Copy)]
enum Endpoint {
    SendMessage,
    SendFileByUrl,
    SendFileByUpload,
    DownloadFile,
}

impl Endpoint {
    /// All four are POST; another verb is "Not Found" like an unknown method.
    fn parse(verb: &Method, name: &str) -> Option<Self> {
        if verb != Method::POST {
            return None;
        }
        match name.to_ascii_lowercase().as_str() {
            "sendmessage" => Some(Self::SendMessage),
            "sendfilebyurl" => Some(Self::SendFileByUrl),
            "sendfilebyupload" => Some(Self::SendFileByUpload),
            "downloadfile" => Some(Self::DownloadFile),
            _ => None,
        }
    }

    fn lowercase_name(self) -> &'static str {
        match self {
            Self::SendMessage => "sendmessage",
            Self::SendFileByUrl => "sendfilebyurl",
            Self::SendFileByUpload => "sendfilebyupload",
            Self::DownloadFile => "downloadfile",
        }
    }
}

pub(crate) async fn record(State(sim): State<GreenApiSim>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let path = masked_path(request.uri().path(), &sim.lock().api_token);
    let response = next.run(request).await;
    let status = response.status().as_u16();
    sim.lock().requests.push(RecordedRequest { method, path, status });
    response
}

/// `/{waInstance…}/{method}/{token}`.
pub(crate) async fn api(
    State(sim): State<GreenApiSim>,
    segments: Result<Path<(String, String, String)>, PathRejection>,
    request: Request,
) -> Response {
    let path = masked_path(request.uri().path(), &sim.lock().api_token);
    let Ok(Path((instance, method, token))) = segments else { return GreenError::not_found(&path).into_response() };
    let Some(endpoint) = Endpoint::parse(request.method(), &method) else {
        return GreenError::not_found(&path).into_response();
    };
    let failure = {
        let mut state = sim.lock();
        let id = instance.strip_prefix("waInstance").and_then(|id| id.parse::<i64>().ok());
        if id != Some(state.id_instance) || token != state.api_token {
            return GreenError::unauthorized(&path).into_response();
        }
        state.pending_failures.pop_front()
    };
    match failure {
        Some(GreenFailure::Status { http, body }) => return GreenError::injected(http, body).into_response(),
        Some(GreenFailure::Delay(delay)) => tokio::time::sleep(delay).await,
        None => {}
    }
    let host = request.headers().get(HOST).and_then(|h| h.to_str().ok()).map(str::to_owned);
    let call = Call { path, host, method: endpoint.lowercase_name() };
    let answer = match endpoint {
        Endpoint::SendMessage => send_message::handle(&sim, &call, request).await,
        Endpoint::SendFileByUrl => file_by_url::handle(&sim, &call, request).await,
        Endpoint::SendFileByUpload => file_by_upload::handle(&sim, &call, request).await,
        Endpoint::DownloadFile => download::handle(&sim, &call, request).await,
    };
    answer.unwrap_or_else(IntoResponse::into_response)
}

pub(crate) async fn unknown_path(State(sim): State<GreenApiSim>, request: Request) -> Response {
    let path = masked_path(request.uri().path(), &sim.lock().api_token);
    GreenError::not_found(&path).into_response()
}

/// The path with the token segment of `/waInstance…/{method}/{token}` — and any other segment
/// equal to the real token — replaced by `***`, whatever token was presented.
pub(crate) fn masked_path(path: &str, token: &str) -> String {
    let instance_call = path.split('/').nth(1).is_some_and(|first| first.starts_with("waInstance"));
    path.split('/')
        .enumerate()
        .map(|(index, segment)| {
            let secret = (instance_call && index == 3) || (!token.is_empty() && segment == token);
            if secret {
                "***"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}
