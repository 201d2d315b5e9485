//! Blob store on a local folder, for local runs. A key `a/b/c` is the file `{root}/a/b/c`; its
//! content type sits beside it in `c.content-type`. Presigned URLs have the shape
//! `{base}/blobs/{key}?expires=…&sig=…` with an HMAC that [`DirBlobStore::verify_presigned`]
//! checks; the local server serves them ([`DirBlobStore::open_presigned`]) to the providers that
//! fetch files by URL (Twilio, Green-API).

use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use futures_util::StreamExt;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tokio::io::AsyncWriteExt;
use tokio_util::io::ReaderStream;

use bridge_core::ports::blob::{BlobError, BlobMeta, BlobStore, ByteStream};

const SIDECAR_SUFFIX: &str = ".content-type";
const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";
const READ_CHUNK: usize = 64 * 1024;

pub struct DirBlobStore {
    root: PathBuf,
    base_url: String,
    signing_secret: Vec<u8>,
}

fn io_unavailable(what: &str, path: &Path, e: std::io::Error) -> BlobError {
    BlobError::Unavailable(format!("{what} {}: {e}", path.display()))
}

fn sidecar(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(SIDECAR_SUFFIX);
    PathBuf::from(name)
}

/// Percent-encodes a key for a URL path, keeping `/` as the separator.
fn encode_path(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

impl DirBlobStore {
    /// `base_url` is where the local server is reached (e.g. `http://127.0.0.1:8080`).
    pub fn new(root: impl Into<PathBuf>, base_url: String, signing_secret: Vec<u8>) -> Self {
        Self { root: root.into(), base_url: base_url.trim_end_matches('/').to_owned(), signing_secret }
    }

    /// Maps a key to its file, refusing anything that could leave the root or collide with the
    /// store's own files (sidecars, hidden temp files).
    fn path_for(&self, key: &str) -> Result<PathBuf, BlobError> {
        let bad = |why: &str| BlobError::Unavailable(format!("invalid blob key {key:?}: {why}"));
        let path = Path::new(key);
        if key.is_empty() {
            return Err(bad("empty"));
        }
        if path.is_absolute() {
            return Err(bad("absolute"));
        }
        for c in path.components() {
            match c {
                Component::Normal(part) if part.to_string_lossy().starts_with('.') => {
                    return Err(bad("a path segment starts with '.'"))
                }
                Component::Normal(_) => {}
                _ => return Err(bad("only plain path segments are allowed")),
            }
        }
        if key.ends_with(SIDECAR_SUFFIX) {
            return Err(bad("reserved suffix"));
        }
        Ok(self.root.join(path))
    }

    fn mac(&self, key: &str, expires: i64, name: Option<&str>) -> Hmac<Sha256> {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.signing_secret).expect("HMAC takes any key length");
        mac.update(format!("{key}|{expires}|{}", name.unwrap_or("")).as_bytes());
        mac
    }

    /// Whether `sig` is this store's signature of (`key`, `expires`, `name`) and `now` (unix
    /// seconds) is not past `expires`. `key` is the percent-decoded path after `/blobs/`.
    pub fn verify_presigned(&self, key: &str, expires: i64, name: Option<&str>, sig: &str, now: i64) -> bool {
        if now > expires {
            return false;
        }
        let Ok(sig) = hex::decode(sig) else { return false };
        // verify_slice compares in constant time.
        self.mac(key, expires, name).verify_slice(&sig).is_ok()
    }

    /// Serves one presigned URL's request (the local server's `GET /blobs/{key}` route): the
    /// object with its type and, when the URL names it, a `Content-Disposition`; None when the
    /// signature is wrong or expired.
    pub async fn open_presigned(
        &self,
        key: &str,
        query: &[(String, String)],
    ) -> Result<Option<(BlobMeta, Option<String>, ByteStream)>, BlobError> {
        let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let (Some(expires), Some(sig)) = (get("expires").and_then(|e| e.parse::<i64>().ok()), get("sig")) else {
            return Ok(None);
        };
        let name = get("name");
        if !self.verify_presigned(key, expires, name, sig, unix_now()) {
            return Ok(None);
        }
        let (meta, body) = self.get(key).await?;
        Ok(Some((meta, name.map(bridge_core::ports::blob::content_disposition), body)))
    }

    async fn write_file(path: &Path, mut body: ByteStream) -> Result<u64, BlobError> {
        let mut file = tokio::fs::File::create(path).await.map_err(|e| io_unavailable("creating", path, e))?;
        let mut total = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| BlobError::Source(e.to_string()))?;
            file.write_all(&chunk).await.map_err(|e| io_unavailable("writing", path, e))?;
            total += chunk.len() as u64;
        }
        // tokio writes in the background: flush so the rename sees every byte.
        file.flush().await.map_err(|e| io_unavailable("writing", path, e))?;
        Ok(total)
    }
}

#[async_trait]
impl BlobStore for DirBlobStore {
    async fn put(&self, key: &str, content_type: &str, body: ByteStream) -> Result<u64, BlobError> {
        let path = self.path_for(key)?;
        let dir = path.parent().unwrap_or(&self.root);
        tokio::fs::create_dir_all(dir).await.map_err(|e| io_unavailable("creating", dir, e))?;
        // Temp file beside the target (same filesystem, so the rename is atomic); its leading
        // dot keeps it out of the key space.
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let tmp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4()));
        let total = match Self::write_file(&tmp, body).await {
            Ok(total) => total,
            Err(e) => {
                let _ = tokio::fs::remove_file(&tmp).await;
                return Err(e);
            }
        };
        if let Err(e) = tokio::fs::rename(&tmp, &path).await {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(io_unavailable("renaming to", &path, e));
        }
        let side = sidecar(&path);
        tokio::fs::write(&side, content_type).await.map_err(|e| io_unavailable("writing", &side, e))?;
        Ok(total)
    }

    async fn get(&self, key: &str) -> Result<(BlobMeta, ByteStream), BlobError> {
        let path = self.path_for(key)?;
        let file = match tokio::fs::File::open(&path).await {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => return Err(BlobError::NotFound(key.to_owned())),
            Err(e) => return Err(io_unavailable("opening", &path, e)),
        };
        let size = file.metadata().await.map_err(|e| io_unavailable("reading", &path, e))?.len();
        let content_type = match tokio::fs::read_to_string(sidecar(&path)).await {
            Ok(ct) => ct,
            // A put interrupted between data and sidecar leaves no type: fall back to the generic one.
            Err(e) if e.kind() == ErrorKind::NotFound => DEFAULT_CONTENT_TYPE.to_owned(),
            Err(e) => return Err(io_unavailable("reading", &sidecar(&path), e)),
        };
        Ok((BlobMeta { size, content_type }, Box::pin(ReaderStream::with_capacity(file, READ_CHUNK))))
    }

    async fn presign_get(&self, key: &str, ttl: Duration, download_name: Option<&str>) -> Result<String, BlobError> {
        self.path_for(key)?;
        let expires = unix_now().saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX));
        let sig = hex::encode(self.mac(key, expires, download_name).finalize().into_bytes());
        let name = download_name.map(|n| format!("&name={}", encode_path(n).replace('/', "%2F"))).unwrap_or_default();
        Ok(format!("{}/blobs/{}?expires={expires}{name}&sig={sig}", self.base_url, encode_path(key)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_stay_under_the_root() {
        let s = DirBlobStore::new("/srv/blobs", "http://x".into(), b"k".to_vec());
        assert_eq!(s.path_for("acme/in/a.jpg").unwrap(), PathBuf::from("/srv/blobs/acme/in/a.jpg"));
        for bad in ["", "/etc/passwd", "..", "a/../../b", "./a", "a/.tmp", "a.content-type"] {
            assert!(matches!(s.path_for(bad), Err(BlobError::Unavailable(_))), "{bad:?}");
        }
    }

    #[test]
    fn url_paths_are_percent_encoded() {
        assert_eq!(encode_path("acme/in/a b?.jpg"), "acme/in/a%20b%3F.jpg");
        assert_eq!(encode_path("ü"), "%C3%BC");
    }
}
