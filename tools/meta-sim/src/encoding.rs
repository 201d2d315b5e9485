//! Small encoders shared by the webhook builder and the Graph server.

use sha2::{Digest, Sha256};

/// Standard base64 with padding; the only base64 the crate needs (media hashes in webhooks),
/// too small to justify another dependency.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 0x3f) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Deterministic decimal digits derived from `seed`, for stable fake ids.
pub(crate) fn digits(seed: &str, len: usize) -> String {
    let hash = sha256(seed.as_bytes());
    let mut n = u128::from_be_bytes(hash[..16].try_into().unwrap_or([0; 16]));
    let mut out = String::with_capacity(len);
    for _ in 0..len {
        out.push(char::from(b'0' + (n % 10) as u8));
        n /= 10;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values computed with python3 `base64.b64encode` / `hashlib.sha256`.
    #[test]
    fn base64_matches_python() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"abcd"), "YWJjZA==");
        assert_eq!(base64(&sha256(b"hello")), "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=");
    }

    // Expected values computed with python3: n = int.from_bytes(hashlib.sha256(seed).digest()[:16],
    // "big"), then the decimal digits of n from the lowest up (n % 10, n //= 10), `len` of them.
    #[test]
    fn digits_are_stable_and_sized() {
        assert_eq!(digits("x", 20), "14553569577563712305");
        assert_eq!(digits("y", 20), "46869560774621764229");
        assert_eq!(digits("x", 5), "14553");
    }
}
