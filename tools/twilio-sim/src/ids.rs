//! Fresh Twilio-shaped identifiers: a two-letter prefix and 32 lowercase hex digits.
//!
//! A process-wide counter keeps ids unique across several simulators in one test binary; the
//! clock seed keeps them from repeating across runs that share a database.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use sha1::{Digest, Sha1};

fn fresh_hex(kind: &str) -> String {
    static SEED: OnceLock<u128> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let seed = *SEED.get_or_init(|| SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    sha1_hex(&format!("{kind}:{seed}:{n}"))
}

/// Lowercase hex SHA-1 (40 digits); Twilio SIDs use the first 32.
pub(crate) fn sha1_hex(seed: &str) -> String {
    Sha1::digest(seed.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn sid(prefix: &str, hex: &str) -> String {
    format!("{prefix}{}", &hex[..32])
}

/// `SM…` for a text message, `MM…` for one with media (as Twilio names them).
pub(crate) fn message_sid(with_media: bool) -> String {
    sid(if with_media { "MM" } else { "SM" }, &fresh_hex("message"))
}

/// `ME…`, a Media subresource.
pub(crate) fn media_sid() -> String {
    sid("ME", &fresh_hex("media"))
}

/// Opaque token of a media-store URL (the short-lived storage link behind a media redirect).
pub(crate) fn store_token() -> String {
    fresh_hex("store")
}

/// `XE…` channel installation of a sender, stable for an account and sender number.
pub(crate) fn channel_install_sid(account_sid: &str, sender: &str) -> String {
    sid("XE", &sha1_hex(&format!("install:{account_sid}:{sender}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sids_have_twilio_shape_and_are_unique() {
        for (id, prefix) in [(message_sid(false), "SM"), (message_sid(true), "MM"), (media_sid(), "ME")] {
            assert_eq!(id.len(), 34, "{id}");
            assert!(id.starts_with(prefix), "{id}");
            assert!(id[2..].bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()), "{id}");
        }
        assert_ne!(message_sid(false), message_sid(false));
        assert_eq!(channel_install_sid("AC1", "+1"), channel_install_sid("AC1", "+1"));
    }

    // python3: hashlib.sha1(b"abc").hexdigest()
    #[test]
    fn sha1_hex_matches_python() {
        assert_eq!(sha1_hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
    }
}
