//! Unique fake identifiers (wamids, media ids, trace ids, download tokens).
//!
//! A process-wide counter keeps ids unique across several simulators in one test binary; the
//! clock seed keeps them from repeating across runs that share a database.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::encoding;

fn next() -> (u64, u64) {
    static SEED: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let seed =
        *SEED.get_or_init(|| SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0));
    (seed, COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// `wamid.` followed by base64, like Meta's (`wamid.HBgL…`).
pub(crate) fn wamid() -> String {
    let (seed, n) = next();
    let mut raw = b"SIM".to_vec();
    raw.extend_from_slice(&seed.to_be_bytes());
    raw.extend_from_slice(&n.to_be_bytes());
    format!("wamid.{}", encoding::base64(&raw))
}

/// 19-digit numeric id, the shape of Meta media ids.
pub(crate) fn media_id() -> String {
    let (seed, n) = next();
    let span = 9_000_000_000_000_000_000u64;
    (1_000_000_000_000_000_000 + seed.wrapping_add(n) % span).to_string()
}

pub(crate) fn fbtrace_id() -> String {
    let (seed, n) = next();
    encoding::base64(&(seed ^ n.rotate_left(32)).to_be_bytes()).trim_end_matches('=').replace(['+', '/'], "A")
}

/// Opaque token for a media download URL.
pub(crate) fn download_token() -> String {
    let (seed, n) = next();
    hex::encode(encoding::sha256(format!("{seed}:{n}").as_bytes()))
}
