//! Where files rest between provider and Planfix: S3 on AWS, a local folder in local runs.
//! Bodies are streams end to end, so no file is ever held whole in memory.

use std::pin::Pin;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::Stream;

/// A body in flight. `std::io::Error` because every source (HTTP, S3, files) maps to it cleanly.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob {0} not found")]
    NotFound(String),
    #[error("blob store unavailable: {0}")]
    Unavailable(String),
    #[error("reading the source stream failed: {0}")]
    Source(String),
}

impl BlobError {
    pub fn retry(&self) -> crate::retry::Retry {
        match self {
            BlobError::NotFound(_) => crate::retry::Retry::Never,
            _ => crate::retry::Retry::SOON,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobMeta {
    pub size: u64,
    pub content_type: String,
}

#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Streams `body` into `key`; memory stays bounded (one multipart part at most). Returns the
    /// number of bytes stored.
    async fn put(&self, key: &str, content_type: &str, body: ByteStream) -> Result<u64, BlobError>;
    async fn get(&self, key: &str) -> Result<(BlobMeta, ByteStream), BlobError>;
    /// A time-limited URL from which a third party (Planfix, a provider) can GET the object, with
    /// its stored `Content-Type` and, given a `download_name`, a `Content-Disposition` naming it.
    async fn presign_get(&self, key: &str, ttl: Duration, download_name: Option<&str>) -> Result<String, BlobError>;
}

/// `Content-Disposition` naming a download (RFC 6266): an ASCII fallback for old clients and the
/// exact UTF-8 name in `filename*`.
pub fn content_disposition(name: &str) -> String {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let mut exact = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            exact.push(b as char);
        } else {
            exact.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{exact}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn content_disposition_names_the_file_in_ascii_and_utf8() {
        assert_eq!(
            super::content_disposition("Счёт 1.pdf"),
            "attachment; filename=\"____ 1.pdf\"; filename*=UTF-8''%D0%A1%D1%87%D1%91%D1%82%201.pdf"
        );
        assert_eq!(
            super::content_disposition("a\"b.txt"),
            "attachment; filename=\"a_b.txt\"; filename*=UTF-8''a%22b.txt"
        );
    }
}
