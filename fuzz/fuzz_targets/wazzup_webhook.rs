//! Wazzup webhook bodies: with the account's `crmKey` as a Bearer token a body passes `verify`
//! and is parsed, and its refused items obey the per-item properties (`common.rs`; `vcard`
//! messages reach the vCard reader); any other Authorization is refused without a panic (the
//! `{"test": true}` probe passes without one).
#![no_main]
use bridge_core::config::{Secret, WazzupConfig};
use bridge_core::ports::{ProviderWebhook, WebhookRequest, WebhookRoute};
use bridge_providers::wazzup::WazzupWebhook;
use libfuzzer_sys::fuzz_target;

mod common;

const CRM_KEY: &str = "fuzz-wazzup-crm-key-0123";

fuzz_target!(|data: &[u8]| {
    let cfg = WazzupConfig {
        api_key: Secret::new("fuzz-wazzup-api-key-0123"),
        // The reference samples' channel (`/work/shared/reference/providers/wazzup/`).
        channel_id: "00000000-0000-4000-8000-000000000001".into(),
        crm_key: Secret::new(CRM_KEY),
        api_base_url: "http://127.0.0.1:9".into(),
    };
    let hook = WazzupWebhook::new(&cfg);

    let mut forged = http::HeaderMap::new();
    if let Some(v) = common::header_from(data, 40) {
        forged.insert("authorization", v);
    }
    let req = WebhookRequest { route: WebhookRoute::Main, public_url: None, headers: &forged, body: data };
    let _ = hook.verify(&req);

    let mut headers = http::HeaderMap::new();
    headers.insert("authorization", http::HeaderValue::from_static("Bearer fuzz-wazzup-crm-key-0123"));
    let req = WebhookRequest { route: WebhookRoute::Main, public_url: None, headers: &headers, body: data };
    assert_eq!(hook.verify(&req), Ok(()), "the configured crmKey is refused");
    common::parse_and_check(&hook, &req);
});
