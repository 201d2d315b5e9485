//! Lambda glue shared by the HTTP functions: converts the Lambda HTTP event to `http` types,
//! calls the shared router for the function's surface, converts back. No logic lives here.

use std::sync::Arc;

use bridge_core::Bridge;
use bridge_http::{self as web, Surface};
use bytes::Bytes;
use lambda_http::{service_fn, Body, Error, Request, RequestExt, Response};
use tracing::Instrument;

pub async fn handle(app: &Arc<Bridge>, surface: Surface, req: Request) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(t) => Bytes::from(t),
        Body::Binary(b) => Bytes::from(b),
        // No other body kind comes from API Gateway or function URL events.
        _ => Bytes::new(),
    };
    let resp = web::handle(app, surface, http::Request::from_parts(parts, bytes)).await;
    let (parts, body) = resp.into_parts();
    // JSON/text answers go back as text so API Gateway does not base64-encode them.
    let body = String::from_utf8(body.to_vec()).map(Body::Text).unwrap_or_else(|e| Body::Binary(e.into_bytes()));
    Response::from_parts(parts, body)
}

/// The whole life of a function instance: JSON logs, configuration and clients built once per
/// cold start, then the runtime loop.
pub async fn run(surface: Surface) -> Result<(), Error> {
    bridge_app::telemetry::init_json_logs();
    let app = Arc::new(bridge_app::aws::app_from_env().await?);
    lambda_http::run(service_fn(move |req: Request| {
        let app = Arc::clone(&app);
        // Every log line of this request carries the Lambda request id.
        let request_id = req.lambda_context_ref().map(|c| c.request_id.clone()).unwrap_or_default();
        let span = tracing::info_span!("invocation", request_id = %request_id);
        async move { Ok::<_, Error>(handle(&app, surface, req).await) }.instrument(span)
    }))
    .await
}
