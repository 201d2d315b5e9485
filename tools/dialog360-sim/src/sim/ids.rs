//! Unique fake identifiers: wamids, media ids, media URL hashes, trace ids.
//!
//! A process-wide counter keeps ids unique across several simulators in one test binary; the
//! clock seed keeps them from repeating across runs that share a database. SplitMix64 is a
//! bijection, so distinct counter values never collide.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn next() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let seed =
        *SEED.get_or_init(|| SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0));
    splitmix64(seed.wrapping_add(COUNTER.fetch_add(1, Ordering::Relaxed)))
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `len` characters of the URL-safe base64 alphabet.
fn token(len: usize) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let mut bits = next();
        for _ in 0..10 {
            if out.len() == len {
                break;
            }
            out.push(char::from(URL_SAFE[(bits & 0x3f) as usize]));
            bits >>= 6;
        }
    }
    out
}

/// `wamid.` followed by base64-looking text, like Meta's (`wamid.HBgL…`); opaque to the bridge.
pub(crate) fn wamid() -> String {
    format!("wamid.HBgL{}", token(40).replace(['-', '_'], "A"))
}

/// 16-digit numeric id; media ids are numeric (D2; the samples use 15 digits).
pub(crate) fn media_id() -> String {
    (1_000_000_000_000_000 + next() % 9_000_000_000_000_000).to_string()
}

/// The media URL's `hash` query value (the sample's `ATfake…`; real ones are opaque).
pub(crate) fn url_hash() -> String {
    format!("AT{}", token(30))
}

pub(crate) fn fbtrace_id() -> String {
    token(27).replace(['-', '_'], "A")
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_unique_and_shaped() {
        let (a, b) = (super::media_id(), super::media_id());
        assert_ne!(a, b);
        assert!(a.len() == 16 && a.bytes().all(|c| c.is_ascii_digit()), "{a}");
        let wamid = super::wamid();
        assert!(wamid.starts_with("wamid.HBgL") && wamid.len() == 50, "{wamid}");
        assert!(super::url_hash().bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    }
}
