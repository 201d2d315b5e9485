//! The simulated operations. Paths are the spec's, relative to `/rest`.

mod comments;
mod contacts;
mod files;
mod process;
mod request;
mod tasks;

pub(crate) use files::content_type_for;

use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::Map;

use crate::envelope::{success, ApiError};
use crate::gate::{self, SpecKnown};
use crate::model::RecordedRequest;
use crate::PlanfixSim;

pub(crate) fn router(sim: PlanfixSim) -> Router {
    Router::new()
        .route("/ping", get(ping))
        .route("/contact/list", post(contacts::list))
        .route("/contact/", post(contacts::create))
        .route("/contact/{id}", get(contacts::get).post(contacts::update))
        .route("/task/", post(tasks::create))
        .route("/task/list", post(tasks::list))
        .route("/task/{id}", get(tasks::get).post(tasks::update))
        .route("/process/task/{id}/statuses", get(process::statuses))
        .route("/task/{id}/comments/", post(comments::create))
        .route("/task/{id}/comments/list", post(comments::list))
        // Named as in the spec: the gate compares the matched route with the spec's template.
        .route("/task/{id}/comments/{commentId}", post(comments::update))
        .route("/comment/{id}", get(comments::get))
        // The handler enforces the plan's per-file limit itself, while streaming.
        .route("/file/", post(files::upload).layer(DefaultBodyLimit::disable()))
        .route("/file/{id}", get(files::get))
        .route("/file/{id}/download", get(files::download))
        .fallback(not_routed)
        .method_not_allowed_fallback(not_routed)
        // After the fallbacks, so that unrouted requests pass the gate too.
        .layer(middleware::from_fn_with_state(sim.clone(), gate::gate))
        .with_state(sim)
}

/// The router under `/rest`, as the real base URL has it.
pub(crate) fn rooted(sim: PlanfixSim) -> Router {
    let outside = sim.clone();
    let storage = sim.clone();
    Router::new()
        .route(
            &format!("{}/{{token}}", files::STORAGE_PREFIX),
            get(move |Path(token): Path<String>, request: Request| files::storage(storage.clone(), token, request)),
        )
        .route(
            &format!("{}/{{hops}}/{{token}}", files::REDIRECT_PREFIX),
            get(|Path((hops, token)): Path<(u32, String)>| files::redirect(hops, token)),
        )
        .nest("/rest", router(sim))
        .fallback(move |request: Request| outside_rest(outside.clone(), request))
}

async fn ping() -> Response {
    success(StatusCode::OK, Map::new())
}

/// Known to the spec but not simulated → 501; unknown to Planfix → 404 and a violation.
async fn not_routed(State(sim): State<PlanfixSim>, SpecKnown(known): SpecKnown, request: Request) -> Response {
    let (method, path) = (request.method().as_str().to_owned(), request.uri().path().to_owned());
    if known {
        return axum::response::IntoResponse::into_response(ApiError::not_simulated(format!("{method} {path}")));
    }
    gate::violation(
        &sim,
        &method,
        &path,
        StatusCode::NOT_FOUND,
        &format!("{method} {path} is not a Planfix REST operation"),
    )
}

async fn outside_rest(sim: PlanfixSim, request: Request) -> Response {
    let (method, path) = (request.method().as_str().to_owned(), request.uri().path().to_owned());
    sim.lock().requests.push(RecordedRequest {
        method: method.clone(),
        path: path.clone(),
        query: Vec::new(),
        body: None,
        status: StatusCode::NOT_FOUND.as_u16(),
        at: std::time::Instant::now(),
    });
    gate::violation(&sim, &method, &path, StatusCode::NOT_FOUND, "the Planfix REST API lives under /rest")
}
