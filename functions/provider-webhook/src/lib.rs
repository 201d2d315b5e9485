//! Lambda adapter for provider webhooks: converts the Lambda HTTP event to `http` types, calls
//! the shared router, converts back. No logic lives here.

use bytes::Bytes;
use lambda_http::{Body, Request, Response};
use shared::web::{self, App};

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(t) => Bytes::from(t),
        Body::Binary(b) => Bytes::from(b),
        // Other body kinds are not produced by API Gateway/function URL events.
        _ => Bytes::new(),
    };
    let resp = web::handle(app, http::Request::from_parts(parts, bytes)).await;
    let (parts, body) = resp.into_parts();
    // JSON/text answers go back as text so API Gateway does not base64-encode them.
    let body = String::from_utf8(body.to_vec()).map(Body::Text).unwrap_or_else(|e| Body::Binary(e.into_bytes()));
    Response::from_parts(parts, body)
}
