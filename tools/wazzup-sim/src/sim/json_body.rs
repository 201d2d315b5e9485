//! Reading a route's JSON body.

use axum::extract::Request;
use serde_json::{Map, Value};

/// The largest body read: a 10,000-character text of 4-byte characters is 40 KB.
const MAX_JSON_BYTES: usize = 1024 * 1024;

/// The body as a JSON object, whatever its `Content-Type`; an empty body counts as `{}` (so the
/// answer names the missing fields). `None` when it is too large or not a JSON object.
pub(crate) async fn read_object(request: Request) -> Option<Map<String, Value>> {
    let bytes = axum::body::to_bytes(request.into_body(), MAX_JSON_BYTES).await.ok()?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Some(Map::new());
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}
