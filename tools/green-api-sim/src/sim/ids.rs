//! Unique fake identifiers: `idMessage`s and media file names.
//!
//! A process-wide counter keeps ids unique across several simulators in one test binary; the
//! clock seed keeps them from repeating across runs that share a database. SplitMix64 is a
//! bijection, so distinct counter values never collide.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

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

/// 20 uppercase hex digits starting `3EB0`, the shape of the docs' `idMessage`
/// (`3EB0C767D097B7C7C030`); real ids are 16–32 hex digits.
pub(crate) fn id_message() -> String {
    format!("3EB0{:016X}", next())
}

/// 32 lowercase hex digits, like the UUIDs in Green-API's bucket links.
pub(crate) fn media_name() -> String {
    format!("{:016x}{:016x}", next(), next())
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_unique_and_shaped() {
        let (a, b) = (super::id_message(), super::id_message());
        assert_ne!(a, b);
        assert_eq!(a.len(), 20);
        assert!(a.bytes().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()), "{a}");
        assert_eq!(super::media_name().len(), 32);
    }
}
