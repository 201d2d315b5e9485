//! Reading a method's JSON body the way Green-API answers about it.

use axum::extract::Request;
use serde_json::{Map, Value};

use super::gate::Call;
use super::green_error::GreenError;

/// Green-API refuses large JSON bodies with 500 `request entity too large` (seen at ~150 KB in a
/// public QA suite against the live API; the exact threshold is **unconfirmed**). 100 KiB still
/// holds a 20 000-character message of 4-byte emoji.
const MAX_JSON_BYTES: usize = 100 * 1024;

/// The body as a JSON object. An empty body counts as `{}` (so the answer names the first
/// missing field), like a body parser that ignores what it cannot read.
pub(crate) async fn read_object(call: &Call, request: Request) -> Result<Map<String, Value>, GreenError> {
    let bytes = axum::body::to_bytes(request.into_body(), MAX_JSON_BYTES)
        .await
        .map_err(|_| GreenError::internal(&call.path, "request entity too large"))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(GreenError::validation(&call.path, "'value' must be of type object")),
        // Docs: 400 "Unexpected token _ in JSON at position XX" (a Node.js parser's text).
        Err(error) => Err(GreenError::bad_request(
            &call.path,
            format!("Unexpected token in JSON at position {}", byte_position(&bytes, error.line(), error.column())),
        )),
    }
}

/// 0-based byte offset of serde_json's 1-based line/column.
fn byte_position(bytes: &[u8], line: usize, column: usize) -> usize {
    let line_start: usize = bytes.split(|&b| b == b'\n').take(line.saturating_sub(1)).map(|l| l.len() + 1).sum();
    line_start + column.saturating_sub(1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn positions_count_from_zero() {
        assert_eq!(super::byte_position(b"{x", 1, 2), 1);
        assert_eq!(super::byte_position(b"{\n x", 2, 2), 3);
    }
}
