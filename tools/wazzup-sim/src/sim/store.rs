//! `GET /store/{id}`: the direct `contentUri` links of media, like `store.wazzup24.com`'s. Whether
//! the real links need authentication or expire is unconfirmed (NOTES §6); these need none. The
//! file name travels in the link's `?filename=` (as in the samples), not in a header.

use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::WazzupSim;

pub(crate) async fn serve(State(sim): State<WazzupSim>, Path(id): Path<String>) -> Response {
    let state = sim.lock();
    match state.media.get(&id) {
        Some(media) => {
            let mime = media.mime.clone().unwrap_or_else(|| "application/octet-stream".to_owned());
            ([(CONTENT_TYPE, mime)], media.bytes.clone()).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `{base}/store/{id}/` plus `?filename=<name>` (percent-encoded) when a name is known.
pub(crate) fn url(base: &str, id: &str, file_name: Option<&str>) -> String {
    match file_name {
        Some(name) => format!("{base}/store/{id}/?filename={}", query_escape(name)),
        None => format!("{base}/store/{id}/"),
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn query_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn links_carry_an_escaped_file_name() {
        assert_eq!(super::url("http://h", "ab", None), "http://h/store/ab/");
        assert_eq!(super::url("http://h", "ab", Some("a b&c.pdf")), "http://h/store/ab/?filename=a%20b%26c.pdf");
        assert_eq!(super::url("", "ab", Some("счёт.pdf")), "/store/ab/?filename=%D1%81%D1%87%D1%91%D1%82.pdf");
    }
}
