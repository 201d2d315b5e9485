//! Planfix scenario requests: any body, JSON or form, any auth header — never a panic.
#![no_main]
use bridge_core::config::Secret;
use bridge_core::planfix_webhook::{authenticate, parse_notice};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_notice(Some("application/json"), data);
    let _ = parse_notice(Some("application/x-www-form-urlencoded"), data);
    let mut headers = http::HeaderMap::new();
    if let Ok(v) = http::HeaderValue::from_bytes(data) {
        headers.insert(http::header::AUTHORIZATION, v.clone());
        let _ = authenticate(&Secret::new("s3cret"), &headers);
        headers.insert("x-bridge-token", v);
        let _ = authenticate(&Secret::new("s3cret"), &headers);
    }
});
