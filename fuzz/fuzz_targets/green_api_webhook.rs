//! Green-API notification bodies: with the instance's `webhookUrlToken` as a Bearer token a body
//! passes `verify` and is parsed, and its refused items obey the per-item properties
//! (`common.rs`; contact cards reach the vCard reader); any other Authorization is refused
//! without a panic.
#![no_main]
use bridge_core::config::{GreenApiConfig, GreenApiFileSend, Secret};
use bridge_core::ports::{ProviderWebhook, WebhookRequest, WebhookRoute};
use bridge_providers::green_api::GreenApiWebhook;
use libfuzzer_sys::fuzz_target;

mod common;

const TOKEN: &str = "fuzz-webhook-token-0123";

fuzz_target!(|data: &[u8]| {
    let cfg = GreenApiConfig {
        id_instance: 1101000001,
        api_token_instance: Secret::new("fuzz-api-token-0123456789"),
        api_url: "http://127.0.0.1:9".into(),
        media_url: None,
        webhook_url_token: Some(Secret::new(TOKEN)),
        allow_unauthenticated_webhooks: false,
        file_send: GreenApiFileSend::Url,
    };
    let hook = GreenApiWebhook::new(&cfg);

    let mut forged = http::HeaderMap::new();
    if let Some(v) = common::header_from(data, 40) {
        forged.insert("authorization", v);
    }
    let req = WebhookRequest { route: WebhookRoute::Main, public_url: None, headers: &forged, body: data };
    let _ = hook.verify(&req);

    let mut headers = http::HeaderMap::new();
    headers.insert("authorization", http::HeaderValue::from_static("Bearer fuzz-webhook-token-0123"));
    let req = WebhookRequest { route: WebhookRoute::Main, public_url: None, headers: &headers, body: data };
    assert_eq!(hook.verify(&req), Ok(()), "the configured token is refused");
    common::parse_and_check(&hook, &req);
});
