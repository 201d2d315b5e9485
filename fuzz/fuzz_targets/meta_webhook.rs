//! Meta webhook bodies: a body signed as Meta signs it (`X-Hub-Signature-256`, HMAC-SHA256 of
//! the raw body with the app secret) passes `verify` and is parsed, and its refused items obey
//! the per-item properties (`common.rs`); unsigned, any header is refused without a panic; any
//! handshake query answers without a panic.
#![no_main]
use bridge_core::config::{MetaConfig, Secret};
use bridge_core::ports::{ProviderWebhook, WebhookRequest, WebhookRoute};
use bridge_providers::meta::MetaWebhook;
use hmac::{Hmac, KeyInit, Mac};
use libfuzzer_sys::fuzz_target;
use sha2::Sha256;

mod common;

const APP_SECRET: &str = "fuzz-app-secret-0123456789abcdef";

/// `sha256=<hex HMAC-SHA256 of body>`, as Meta sends it.
fn signature(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(APP_SECRET.as_bytes()).expect("HMAC takes any key");
    mac.update(body);
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

fuzz_target!(|data: &[u8]| {
    let cfg = MetaConfig {
        app_secret: Secret::new(APP_SECRET),
        verify_token: Secret::new("fuzz-verify-token-0123"),
        access_token: Secret::new("fuzz-access-token-0123"),
        phone_number_id: "1122334455667".into(),
        graph_base_url: "http://127.0.0.1:9".into(),
        graph_api_version: "v21.0".into(),
    };
    let hook = MetaWebhook::new(&cfg);

    // A header made of the input's first bytes: malformed or wrong, never a panic.
    let mut forged = http::HeaderMap::new();
    if let Some(v) = common::header_from(data, 80) {
        forged.insert("x-hub-signature-256", v);
    }
    let req = WebhookRequest { route: WebhookRoute::Main, public_url: None, headers: &forged, body: data };
    let _ = hook.verify(&req);

    let mut signed = http::HeaderMap::new();
    signed.insert("x-hub-signature-256", http::HeaderValue::from_str(&signature(data)).expect("hex is a header value"));
    let req = WebhookRequest { route: WebhookRoute::Main, public_url: None, headers: &signed, body: data };
    assert_eq!(hook.verify(&req), Ok(()), "a correctly signed body is refused");
    common::parse_and_check(&hook, &req);

    let text = String::from_utf8_lossy(data);
    let pairs: Vec<(String, String)> =
        text.split('&').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    let _ = hook.handshake(&pairs);
});
